// Parsing of one per-symbol daily price file (AlphaVantage daily-adjusted or
// Yahoo) into columns. Hand-written: one pass over a byte buffer, no streams,
// numbers through std::from_chars. Part of the csv plugin; no host code.
//
// Thread-safety: pure functions over caller-owned data.
#ifndef SF_PLUGINS_CSV_CSV_PARSER_H_
#define SF_PLUGINS_CSV_CSV_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sf::csv {

struct DailyColumns {
  std::vector<int64_t> ts;  // trading date at 00:00 UTC, µs; oldest first
  std::vector<double> open, high, low, close, volume;
  std::vector<double> adj_factor;  // adjusted close / close; empty without one
  size_t size() const { return ts.size(); }
};

struct RowError {
  int64_t line = 0;  // 1-based line in the file
  std::string reason;
};

struct ParseResult {
  // Empty when the file is price data; otherwise why it is not (the whole
  // file is refused).
  std::string refused;
  std::string format;  // "alphavantage" or "yahoo"
  DailyColumns bars;
  std::vector<RowError> errors;  // the first max_errors malformed rows
  int64_t malformed_rows = 0;    // all of them
};

// Parses `text` (the whole file). Rows outside [from_us, to_us) (0 = open
// bound) are skipped silently. Bars come back oldest first whatever the
// file's order; two rows with the same date keep both (the host rejects the
// duplicate).
ParseResult ParseDailyCsv(std::string_view text, int64_t from_us, int64_t to_us,
                          size_t max_errors);

// Days since 1970-01-01 of "YYYY-MM-DD"; false when malformed or impossible.
bool ParseIsoDate(std::string_view s, int64_t* days);

}  // namespace sf::csv

#endif  // SF_PLUGINS_CSV_CSV_PARSER_H_
