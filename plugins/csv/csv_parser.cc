// Daily CSV parsing (csv_parser.h).
#include "csv_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>

namespace sf::csv {

namespace {

constexpr int64_t kUsPerDay = 86'400'000'000;

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '"')) s.remove_suffix(1);
  return s;
}

// Printable excerpt of an input for messages.
std::string Excerpt(std::string_view s, size_t max = 40) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (s.size() > max) out += "...";
  return out;
}

enum Col { kDate, kOpen, kHigh, kLow, kClose, kAdj, kVolume, kNumCols };

}  // namespace

bool ParseIsoDate(std::string_view s, int64_t* days) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (s.size() > 10 && s[10] != ' ' && s[10] != 'T') return false;
  int v[3] = {0, 0, 0};
  const int start[3] = {0, 5, 8}, len[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < len[k]; ++i) {
      const char c = s[static_cast<size_t>(start[k] + i)];
      if (c < '0' || c > '9') return false;
      v[k] = v[k] * 10 + (c - '0');
    }
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (v[1] < 1 || v[1] > 12 || v[2] < 1) return false;
  const bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
  if (v[2] > kDays[v[1] - 1] + (v[1] == 2 && leap ? 1 : 0)) return false;
  *days = DaysFromCivil(v[0], static_cast<unsigned>(v[1]), static_cast<unsigned>(v[2]));
  return true;
}

ParseResult ParseDailyCsv(std::string_view text, int64_t from_us, int64_t to_us,
                          size_t max_errors) {
  ParseResult r;
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF) {
    text.remove_prefix(3);
  }
  size_t eol = text.find('\n');
  std::string_view header = text.substr(0, eol);
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);

  // Map header names to columns.
  int col_of[kNumCols];
  std::fill(std::begin(col_of), std::end(col_of), -1);
  int ncols = 0;
  {
    size_t pos = 0;
    while (pos <= header.size()) {
      size_t comma = header.find(',', pos);
      std::string name = Lower(Trim(header.substr(pos, comma == std::string_view::npos
                                                           ? std::string_view::npos
                                                           : comma - pos)));
      int c = -1;
      if (name == "timestamp" || name == "date" || name == "datetime" || name == "time") c = kDate;
      else if (name == "open") c = kOpen;
      else if (name == "high") c = kHigh;
      else if (name == "low") c = kLow;
      else if (name == "close") c = kClose;
      else if (name == "adjusted_close" || name == "adj close" || name == "adj_close" ||
               name == "adjclose") c = kAdj;
      else if (name == "volume") c = kVolume;
      if (c >= 0 && col_of[c] < 0) col_of[c] = ncols;
      ++ncols;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
  }
  static const char* kNames[] = {"timestamp/Date", "open", "high", "low", "close", "adjusted_close", "volume"};
  std::string missing;
  for (int c = 0; c < kNumCols; ++c) {
    if (c != kAdj && col_of[c] < 0) missing += (missing.empty() ? "" : ", ") + std::string(kNames[c]);
  }
  if (!missing.empty()) {
    r.refused = "not price data: the header lacks " + missing + " (first line is '" +
                Excerpt(header) + "')";
    return r;
  }
  r.format = Lower(header).rfind("timestamp", 0) == 0 ? "alphavantage" : "yahoo";
  const bool has_adj = col_of[kAdj] >= 0;

  // Which column index feeds which field.
  int field_of_col[64];
  std::fill(std::begin(field_of_col), std::end(field_of_col), -1);
  int max_col = 0;
  for (int c = 0; c < kNumCols; ++c) {
    if (col_of[c] >= 0 && col_of[c] < 64) {
      field_of_col[col_of[c]] = c;
      max_col = std::max(max_col, col_of[c]);
    }
  }

  const size_t est = text.size() / 60 + 1;
  DailyColumns& b = r.bars;
  b.ts.reserve(est); b.open.reserve(est); b.high.reserve(est); b.low.reserve(est);
  b.close.reserve(est); b.volume.reserve(est);
  if (has_adj) b.adj_factor.reserve(est);

  auto bad_row = [&](int64_t line, std::string reason) {
    r.malformed_rows++;
    if (r.errors.size() < max_errors) r.errors.push_back({line, std::move(reason)});
  };

  size_t pos = eol == std::string_view::npos ? text.size() : eol + 1;
  int64_t line_no = 1;
  const char* data = text.data();
  const size_t n = text.size();
  while (pos < n) {
    ++line_no;
    size_t end = pos;
    while (end < n && data[end] != '\n') ++end;
    size_t stop = end;
    if (stop > pos && data[stop - 1] == '\r') --stop;
    const size_t line_start = pos;
    pos = end + 1;
    if (stop == line_start) continue;  // blank line
    if (stop - line_start > 1024) {
      bad_row(line_no, "line longer than 1024 bytes");
      continue;
    }
    double v[kNumCols] = {0, 0, 0, 0, 0, 0, 0};
    int64_t day = 0;
    int col = 0;
    size_t f = line_start;
    std::string error;
    while (col <= max_col) {
      size_t g = f;
      while (g < stop && data[g] != ',') ++g;
      if (f > stop) break;
      const int field = field_of_col[col];
      if (field == kDate) {
        if (!ParseIsoDate(std::string_view(data + f, g - f), &day)) {
          error = "date '" + Excerpt(std::string_view(data + f, g - f)) +
                  "' is not a YYYY-MM-DD date";
          break;
        }
      } else if (field >= 0) {
        const char* a = data + f;
        const char* e = data + g;
        if (a < e && *a == '+') ++a;
        auto res = std::from_chars(a, e, v[field]);
        if (res.ec != std::errc() || res.ptr != e || a == e) {
          error = std::string(kNames[field]) + " '" + Excerpt(std::string_view(data + f, g - f)) +
                  "' is not a number";
          break;
        }
      }
      ++col;
      f = g + 1;
      if (g >= stop && col <= max_col) {
        error = std::to_string(col) + " field(s), expected at least " + std::to_string(max_col + 1);
        break;
      }
    }
    if (!error.empty()) {
      bad_row(line_no, error);
      continue;
    }
    const int64_t ts = day * kUsPerDay;
    if ((from_us != 0 && ts < from_us) || (to_us != 0 && ts >= to_us)) continue;
    b.ts.push_back(ts);
    b.open.push_back(v[kOpen]);
    b.high.push_back(v[kHigh]);
    b.low.push_back(v[kLow]);
    b.close.push_back(v[kClose]);
    b.volume.push_back(v[kVolume]);
    if (has_adj) {
      b.adj_factor.push_back(v[kClose] > 0 ? v[kAdj] / v[kClose]
                                           : std::numeric_limits<double>::quiet_NaN());
    }
  }

  // Oldest first: AlphaVantage writes newest first, Yahoo oldest first.
  const size_t m = b.size();
  if (m > 1 && !std::is_sorted(b.ts.begin(), b.ts.end())) {
    bool descending = std::is_sorted(b.ts.rbegin(), b.ts.rend());
    std::vector<size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    if (descending) {
      std::reverse(order.begin(), order.end());
    } else {
      std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return b.ts[x] < b.ts[y]; });
    }
    auto permute = [&](auto& vec) {
      if (vec.empty()) return;
      std::remove_reference_t<decltype(vec)> out(m);
      for (size_t i = 0; i < m; ++i) out[i] = vec[order[i]];
      vec.swap(out);
    };
    permute(b.ts); permute(b.open); permute(b.high); permute(b.low);
    permute(b.close); permute(b.volume); permute(b.adj_factor);
  }
  return r;
}

}  // namespace sf::csv
