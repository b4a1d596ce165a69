// Helpers shared by the backtest test programs: real S&P 500 bars cut to a
// time range, and running the real `signalforge` binary.
// Not thread-safe (popen); tests call them from one thread.
#ifndef SF_TESTS_BACKTEST_BACKTEST_SUPPORT_H_
#define SF_TESTS_BACKTEST_BACKTEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "lua/csv_bars.h"
#include "market/bar_series.h"

namespace sf::backtest_test {

// Bars of `symbols` from ../shared/data/sp500/daily with lo <= ts <= hi (µs).
inline std::vector<market::BarSeries> LoadSp500(const std::vector<std::string>& symbols, int64_t lo,
                                                int64_t hi) {
  std::vector<market::BarSeries> out;
  for (const auto& s : symbols) {
    auto b = lua::LoadDailyCsv(std::string(SF_SP500_DIR) + "/daily/" + s + ".csv", s);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    if (!b.ok()) continue;
    market::BarSeries cut;
    cut.symbol = s;
    for (size_t i = 0; i < b->size(); ++i)
      if (b->ts[i] >= lo && b->ts[i] <= hi)
        cut.Append(b->ts[i], b->open[i], b->high[i], b->low[i], b->close[i], b->volume[i]);
    out.push_back(std::move(cut));
  }
  return out;
}

struct CmdResult {
  int code = -1;
  std::string out;  // stdout and stderr
};

inline CmdResult Exec(const std::string& cmd) {
  CmdResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace sf::backtest_test

#endif  // SF_TESTS_BACKTEST_BACKTEST_SUPPORT_H_
