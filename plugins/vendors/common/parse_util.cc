// Strict parsers shared by the provider plugins (see parse_util.h).
#include "common/parse_util.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "signalforge/signalforge.hpp"

namespace sf::vendors {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at *pos.
bool Digits(std::string_view s, size_t* pos, size_t n, int64_t* out) {
  if (*pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

int64_t Floor7(int64_t v) { return ((v % 7) + 7) % 7; }

// 0 = Sunday.
int64_t Weekday(int64_t days) { return Floor7(days + 4); }

int64_t NthSunday(int64_t y, unsigned m, int n) {
  const int64_t first = DaysFromCivil(y, m, 1);
  return first + Floor7(7 - Weekday(first)) + 7 * (n - 1);
}

int64_t LastSunday(int64_t y, unsigned m) {
  const int64_t last = (m == 12 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, m + 1, 1)) - 1;
  return last - Weekday(last);
}

std::optional<int64_t> Compose(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s,
                               int64_t frac_us, int64_t offset_s) {
  if (mo < 1 || mo > 12 || !IsValidDate(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) {
    return std::nullopt;
  }
  if (h > 23 || mi > 59 || s > 60) return std::nullopt;
  if (s == 60) s = 59;  // leap second: clamp rather than roll into the next minute
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + s) - offset_s) * kMicrosPerSecond + frac_us;
}

}  // namespace

bool IsValidSymbol(std::string_view symbol) {
  if (symbol.empty() || symbol.size() > 20) return false;
  for (size_t i = 0; i < symbol.size(); ++i) {
    const char c = symbol[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || IsDigit(c);
    if (i == 0) {
      if (!alnum && c != '^') return false;
    } else if (!alnum && c != '.' && c != '=' && c != '^' && c != '-') {
      return false;
    }
  }
  return symbol.find("--") == std::string_view::npos;
}

std::string QuoteForMessage(std::string_view text, size_t max_len) {
  std::string out = "'";
  size_t n = 0;
  for (unsigned char c : text) {
    if (n++ >= max_len) {
      out += "...";
      break;
    }
    if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += "'";
  return out;
}

std::optional<double> ParseDouble(std::string_view text) {
  while (!text.empty() && (text.front() == ' ')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) return HUGE_VAL;  // caught as non-finite
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// Howard Hinnant's civil-from-days algorithms.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsValidDate(int64_t y, unsigned m, unsigned d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const unsigned max = (m == 2 && leap) ? 29 : kDays[m - 1];
  return d <= max;
}

std::optional<int64_t> ParseDate(std::string_view s) {
  size_t p = 0;
  int64_t y, mo, d;
  if (!Digits(s, &p, 4, &y) || !Expect(s, &p, '-') || !Digits(s, &p, 2, &mo) ||
      !Expect(s, &p, '-') || !Digits(s, &p, 2, &d) || p != s.size()) {
    return std::nullopt;
  }
  return Compose(y, mo, d, 0, 0, 0, 0, 0);
}

std::optional<int64_t> ParseDateTimeNaive(std::string_view s) {
  size_t p = 0;
  int64_t y, mo, d, h, mi, sec = 0;
  if (!Digits(s, &p, 4, &y) || !Expect(s, &p, '-') || !Digits(s, &p, 2, &mo) ||
      !Expect(s, &p, '-') || !Digits(s, &p, 2, &d) || !Expect(s, &p, ' ') ||
      !Digits(s, &p, 2, &h) || !Expect(s, &p, ':') || !Digits(s, &p, 2, &mi)) {
    return std::nullopt;
  }
  if (p < s.size() && (!Expect(s, &p, ':') || !Digits(s, &p, 2, &sec))) return std::nullopt;
  if (p != s.size()) return std::nullopt;
  return Compose(y, mo, d, h, mi, sec, 0, 0);
}

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  size_t p = 0;
  int64_t y, mo, d, h, mi, sec;
  if (!Digits(s, &p, 4, &y) || !Expect(s, &p, '-') || !Digits(s, &p, 2, &mo) ||
      !Expect(s, &p, '-') || !Digits(s, &p, 2, &d)) {
    return std::nullopt;
  }
  if (p >= s.size() || (s[p] != 'T' && s[p] != 't' && s[p] != ' ')) return std::nullopt;
  ++p;
  if (!Digits(s, &p, 2, &h) || !Expect(s, &p, ':') || !Digits(s, &p, 2, &mi) ||
      !Expect(s, &p, ':') || !Digits(s, &p, 2, &sec)) {
    return std::nullopt;
  }
  int64_t frac_us = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int64_t scale = 100000;
    size_t digits = 0;
    while (p < s.size() && IsDigit(s[p])) {
      if (scale > 0) frac_us += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
      ++digits;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
  }
  int64_t offset = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    const int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int64_t oh, om;
    if (!Digits(s, &p, 2, &oh)) return std::nullopt;
    if (p < s.size() && s[p] == ':') ++p;
    if (!Digits(s, &p, 2, &om) || oh > 23 || om > 59) return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;  // RFC 3339 requires a zone
  }
  if (p != s.size()) return std::nullopt;
  return Compose(y, mo, d, h, mi, sec, frac_us, offset);
}

std::optional<int64_t> ParseRfc822(std::string_view s) {
  // Tokenise on spaces and commas.
  std::string_view tok[8];
  size_t n = 0;
  size_t p = 0;
  while (p < s.size() && n < 8) {
    while (p < s.size() &&
           (s[p] == ' ' || s[p] == '\t' || s[p] == ',' || s[p] == '\n' || s[p] == '\r')) {
      ++p;
    }
    const size_t start = p;
    while (p < s.size() && s[p] != ' ' && s[p] != '\t' && s[p] != ',' && s[p] != '\n' &&
           s[p] != '\r') {
      ++p;
    }
    if (p > start) tok[n++] = s.substr(start, p - start);
  }
  while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
  if (p != s.size()) return std::nullopt;  // more than 8 tokens
  size_t i = 0;
  auto alpha = [](std::string_view t) {
    for (char c : t) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return false;
    }
    return !t.empty();
  };
  if (i < n && alpha(tok[i])) ++i;  // optional weekday
  if (n - i < 4) return std::nullopt;
  const auto day = ParseInt(tok[i]);
  if (!day || tok[i].size() > 2) return std::nullopt;
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                  "jul", "aug", "sep", "oct", "nov", "dec"};
  const std::string_view mon = tok[i + 1];
  if (mon.size() < 3 || !alpha(mon)) return std::nullopt;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    bool eq = true;
    for (int k = 0; k < 3; ++k) {
      if (std::tolower(static_cast<unsigned char>(mon[k])) != kMonths[m][k]) eq = false;
    }
    if (eq) month = m + 1;
  }
  if (month == 0) return std::nullopt;
  auto year = ParseInt(tok[i + 2]);
  if (!year) return std::nullopt;
  if (tok[i + 2].size() == 2) {
    *year += *year < 50 ? 2000 : 1900;
  } else if (tok[i + 2].size() != 4) {
    return std::nullopt;
  }
  const std::string_view t = tok[i + 3];
  size_t q = 0;
  int64_t h, mi, sec = 0;
  if (!Digits(t, &q, 2, &h) || !Expect(t, &q, ':') || !Digits(t, &q, 2, &mi)) return std::nullopt;
  if (q < t.size() && (!Expect(t, &q, ':') || !Digits(t, &q, 2, &sec))) return std::nullopt;
  if (q != t.size()) return std::nullopt;
  int64_t offset = 0;
  if (n - i >= 5) {
    const std::string_view z = tok[i + 4];
    if (z[0] == '+' || z[0] == '-') {
      size_t zp = 1;
      int64_t oh, om;
      if (!Digits(z, &zp, 2, &oh)) return std::nullopt;
      if (zp < z.size() && z[zp] == ':') ++zp;
      if (!Digits(z, &zp, 2, &om) || zp != z.size() || oh > 23 || om > 59) return std::nullopt;
      offset = (z[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else {
      const std::string zone = UpperAscii(z);
      struct Named {
        const char* name;
        int hours;
      };
      static const Named kZones[] = {{"GMT", 0},  {"UT", 0},   {"UTC", 0},  {"Z", 0},
                                     {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
                                     {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
      bool found = false;
      for (const Named& nz : kZones) {
        if (zone == nz.name) {
          offset = nz.hours * 3600;
          found = true;
        }
      }
      if (!found) return std::nullopt;
    }
    if (n - i > 5) return std::nullopt;
  }
  return Compose(*year, month, *day, h, mi, sec, 0, offset);
}

int64_t NewYorkOffsetAtUtc(int64_t utc_us) {
  const int64_t secs = utc_us >= 0 ? utc_us / kMicrosPerSecond
                                   : -((-utc_us + kMicrosPerSecond - 1) / kMicrosPerSecond);
  const int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  int64_t start_day, end_day;
  if (y >= 2007) {
    start_day = NthSunday(y, 3, 2);
    end_day = NthSunday(y, 11, 1);
  } else if (y >= 1987) {
    start_day = NthSunday(y, 4, 1);
    end_day = LastSunday(y, 10);
  } else {
    start_day = LastSunday(y, 4);
    end_day = LastSunday(y, 10);
  }
  // 02:00 local standard time = 07:00 UTC; 02:00 local daylight = 06:00 UTC.
  const int64_t start = start_day * 86400 + 7 * 3600;
  const int64_t end = end_day * 86400 + 6 * 3600;
  return (secs >= start && secs < end) ? -4 * 3600 : -5 * 3600;
}

int64_t NewYorkWallToUtc(int64_t wall_us) {
  const int64_t daylight = wall_us + 4 * 3600 * kMicrosPerSecond;
  if (NewYorkOffsetAtUtc(daylight) == -4 * 3600) return daylight;
  return wall_us + 5 * 3600 * kMicrosPerSecond;
}

std::string FormatUtc(int64_t us) {
  int64_t secs =
      us >= 0 ? us / kMicrosPerSecond : -((-us + kMicrosPerSecond - 1) / kMicrosPerSecond);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

std::string FormatDate(int64_t us) { return FormatUtc(us).substr(0, 10); }

nlohmann::json ParseJsonBounded(std::string_view body, const std::string& who, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escape = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        throw sf::sdk::Error(SF_ERR_BAD_DATA, who + ": malformed JSON: nesting deeper than " +
                                                  std::to_string(max_depth) + " levels at byte " +
                                                  std::to_string(i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    // Parse again with exceptions only to get the position for the message.
    std::string detail = "not valid JSON";
    try {
      const nlohmann::json again = nlohmann::json::parse(body);
      (void)again;
    } catch (const nlohmann::json::parse_error& e) {
      detail = "not valid JSON at byte " + std::to_string(e.byte);
    }
    std::string head(body.substr(0, 40));
    throw sf::sdk::Error(SF_ERR_BAD_DATA, who + ": malformed JSON: " + detail + " (body starts " +
                                              QuoteForMessage(head, 40) + ")");
  }
  return j;
}

std::string CleanText(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  bool pending_space = false;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = 1;
    uint32_t cp = c;
    bool valid = true;
    if (c >= 0x80) {
      if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
      } else {
        valid = false;
      }
      if (valid && i + len > text.size()) valid = false;
      for (size_t k = 1; valid && k < len; ++k) {
        const unsigned char cc = static_cast<unsigned char>(text[i + k]);
        if ((cc & 0xC0) != 0x80) {
          valid = false;
        } else {
          cp = (cp << 6) | (cc & 0x3F);
        }
      }
      if (valid) {
        const bool overlong =
            (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) valid = false;
      }
      if (!valid) len = 1;
    }
    std::string_view piece;
    static const char kReplacement[] = "\xEF\xBF\xBD";
    const bool space =
        valid && (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == ' ' || cp == 0xA0);
    if (space) {
      pending_space = !out.empty();
    } else {
      piece = valid ? text.substr(i, len) : std::string_view(kReplacement, 3);
      const size_t need = piece.size() + (pending_space ? 1 : 0);
      if (out.size() + need > max_bytes) break;
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.append(piece);
    }
    i += len;
  }
  return out;
}

std::string UpperAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace sf::vendors
