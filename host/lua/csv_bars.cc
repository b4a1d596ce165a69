#include "lua/csv_bars.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace sf::lua {
namespace {

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<int64_t> ParseDateToCloseMicros(const std::string& s) {
  int y, m, d;
  if (s.size() < 10 || sscanf(s.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return (days * 86400 + 21 * 3600) * 1000000;
}

StatusOr<market::BarSeries> LoadDailyCsv(const std::string& path, const std::string& symbol) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open " + path);
  market::BarSeries s;
  s.symbol = symbol;
  s.timeframe = market::Timeframe::k1d;
  std::string line;
  int lineno = 0;
  std::vector<std::string> f;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineno == 1) {
      if (line.rfind("timestamp,open,high,low,close,adjusted_close,volume", 0) != 0)
        return BadData(path + ":1: expected the header timestamp,open,high,low,close,adjusted_close,volume,...");
      continue;
    }
    if (line.empty()) continue;
    f.clear();
    size_t a = 0;
    for (;;) {
      size_t b = line.find(',', a);
      f.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
      if (b == std::string::npos) break;
      a = b + 1;
    }
    auto ts = f.empty() ? std::nullopt : ParseDateToCloseMicros(f[0]);
    if (f.size() < 7 || !ts)
      return BadData(path + ":" + std::to_string(lineno) + ": expected a date and 6 numbers");
    double v[6];
    for (int k = 0; k < 6; ++k) {
      char* end = nullptr;
      v[k] = std::strtod(f[k + 1].c_str(), &end);
      if (end == f[k + 1].c_str() || !std::isfinite(v[k]))
        return BadData(path + ":" + std::to_string(lineno) + ": column " + std::to_string(k + 2) +
                       " is not a number");
    }
    const double close = v[3], adj = v[4];
    const double k = close > 0 ? adj / close : 1.0;
    if (!s.ts.empty() && *ts <= s.ts.back()) {
      // Files are newest-last; a repeated or older date is a data error.
      return BadData(path + ":" + std::to_string(lineno) + ": dates must increase");
    }
    s.Append(*ts, v[0] * k, v[1] * k, v[2] * k, adj, v[5]);
  }
  if (s.size() == 0) return BadData(path + ": no bars");
  return s;
}

}  // namespace sf::lua
