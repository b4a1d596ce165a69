// Strict parsing helpers shared by the vendor and news plugins: symbols,
// numbers, dates and times (civil dates, RFC 3339, RFC 822, America/New_York
// wall time), bounded JSON, and UTF-8 text clean-up.
//
// Every parser returns std::nullopt (or false) on input that does not match
// its rule exactly; callers turn that into a message naming the input and the
// rule. Nothing here throws except ParseJsonBounded (sf::sdk::Error).
// Thread-safety: pure functions.
#ifndef SF_VENDORS_COMMON_PARSE_UTIL_H_
#define SF_VENDORS_COMMON_PARSE_UTIL_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace sf::vendors {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// The symbol rule, applied before any request and to every symbol a response
// names: 1..20 characters, first [A-Z0-9^], then [A-Z0-9.=^-], no "--".
// Upper case only: no control, quote, ';', space, '/', '%' or SQL text.
inline constexpr const char* kSymbolRule =
    "symbols must match ^[A-Z0-9^][A-Z0-9.=^-]{0,19}$ (upper case; no spaces, quotes, ';', "
    "'/', control characters or \"--\")";
bool IsValidSymbol(std::string_view symbol);
// The symbol quoted for a message, with control and non-ASCII bytes escaped.
std::string QuoteForMessage(std::string_view text, size_t max_len = 64);

// Whole-string number parse; accepts what strtod-style "1.5e3" accepts,
// including "nan"/"inf" (callers check finiteness and say why).
std::optional<double> ParseDouble(std::string_view text);
std::optional<int64_t> ParseInt(std::string_view text);

// Days since 1970-01-01 for a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);
bool IsValidDate(int64_t y, unsigned m, unsigned d);

// "YYYY-MM-DD" -> µs at 00:00 UTC of that date.
std::optional<int64_t> ParseDate(std::string_view text);
// "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM" -> µs, treating it as UTC.
std::optional<int64_t> ParseDateTimeNaive(std::string_view text);
// RFC 3339 / ISO 8601 with zone: "2024-01-02T15:04:05Z",
// "2024-01-02T15:04:05.123456+02:00" -> µs UTC.
std::optional<int64_t> ParseRfc3339(std::string_view text);
// RFC 822 / RFC 1123 / RFC 2822 as used in RSS pubDate:
// "Mon, 02 Jan 2006 15:04:05 -0700", "02 Jan 06 15:04 GMT", "... EST" -> µs UTC.
std::optional<int64_t> ParseRfc822(std::string_view text);

// UTC offset of America/New_York (US rules since 2007, 1987-2006 before)
// at a UTC instant, in seconds (-18000 or -14400).
int64_t NewYorkOffsetAtUtc(int64_t utc_us);
// A New York wall-clock time (as naive µs) -> µs UTC. For the repeated hour
// in November the first (daylight) occurrence is used.
int64_t NewYorkWallToUtc(int64_t wall_us);

// "2024-01-02T15:04:05Z" (seconds precision).
std::string FormatUtc(int64_t us);
// "2024-01-02".
std::string FormatDate(int64_t us);

// Parses JSON after checking that nesting is at most max_depth deep; throws
// sf::sdk::Error(SF_ERR_BAD_DATA, "<who>: malformed JSON: ...") otherwise.
nlohmann::json ParseJsonBounded(std::string_view body, const std::string& who, int max_depth = 64);

// Valid UTF-8 with control characters (other than none) replaced by spaces,
// runs of whitespace collapsed, trimmed, cut to max_bytes at a character
// boundary. Invalid byte sequences become U+FFFD.
std::string CleanText(std::string_view text, size_t max_bytes);

// Upper-case ASCII copy.
std::string UpperAscii(std::string_view text);

}  // namespace sf::vendors

#endif  // SF_VENDORS_COMMON_PARSE_UTIL_H_
