// Backtest benchmarks (not tests): `cmake --build BUILD --target bench-backtest`.
//
//  1. mean_reversion.lua over every file of ../shared/data/sp500/daily, end
//     to end (CSV parsing, the Lua worker, risk, lifecycle, statistics).
//  2. An SMA(10)/SMA(30) crossover strategy in Lua over 100 synthetic symbols
//     × 20,000 bars (backtrader's published benchmark size).
// Prints wall and CPU time (this process + the Lua worker) and bars/s.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/backtest.h"
#include "lua/csv_bars.h"

namespace fs = std::filesystem;
using sf::engine::BacktestConfig;

namespace {

double CpuSeconds() {
  rusage self{}, kids{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(self.ru_utime) + s(self.ru_stime) + s(kids.ru_utime) + s(kids.ru_stime);
}

BacktestConfig Base(const std::string& file, const std::string& plugins) {
  BacktestConfig c;
  c.strategy_file = file;
  c.lib_dir = std::string(SF_SOURCE_DIR) + "/scripts/lib";
  c.worker_path = SF_LUA_WORKER;
  c.plugin_dirs = {plugins};
  return c;
}

void Report(const char* name, const sf::engine::BacktestResult& r, double wall, double cpu,
            double target_note) {
  std::printf("%-34s bars %9lld  steps %6lld  trades %5zu  wall %7.2f s  cpu %7.2f s  "
              "%10.0f bars/s (wall)  %10.0f bars/s (cpu)  [target %s]\n",
              name, static_cast<long long>(r.bars), static_cast<long long>(r.steps),
              r.trades.size(), wall, cpu, r.bars / wall, r.bars / cpu,
              target_note > 100 ? ">= 5,000,000 bars/s" : "<= 10 s end to end");
}

}  // namespace

int main() {
  const std::string dir = "/tmp/sf-bench-backtest-" + std::to_string(getpid());
  fs::create_directories(dir + "/plugins");
  fs::create_symlink(std::string(SF_PLUGIN_DIR) + "/indicators.so", dir + "/plugins/indicators.so");

  {  // 1. mean_reversion over the whole S&P 500 set.
    auto t0 = std::chrono::steady_clock::now();
    double c0 = CpuSeconds();
    std::vector<sf::market::BarSeries> data;
    std::map<std::string, std::string> sectors;
    for (const auto& de : fs::directory_iterator(std::string(SF_SP500_DIR) + "/daily")) {
      auto b = sf::lua::LoadDailyCsv(de.path().string(), de.path().stem().string());
      if (b.ok()) data.push_back(std::move(*b));
    }
    std::sort(data.begin(), data.end(), [](auto& a, auto& b) { return a.symbol < b.symbol; });
    BacktestConfig cfg = Base(std::string(SF_SOURCE_DIR) + "/scripts/mean_reversion.lua", dir + "/plugins");
    auto r = sf::engine::RunBacktest(cfg, data);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) {
      std::fprintf(stderr, "mean_reversion: %s\n", r.status().ToString().c_str());
      return 1;
    }
    Report("mean_reversion sp500 (all)", *r, wall, CpuSeconds() - c0, 10);
  }
  {  // 2. SMA(10)/SMA(30) crossover, 100 symbols × 20,000 bars.
    std::ofstream(dir + "/sma_cross.lua") << R"(
return {
  name = "sma_cross", timeframe = "1d", universe = { type = "equity" }, history = 60,
  params = { fast = 10, slow = 30 },
  evaluate = function(ctx, symbol)
    local f = ctx.indicator("sma", { period = ctx.params.fast })
    local s = ctx.indicator("sma", { period = ctx.params.slow })
    local c = ctx.bars.close[-1]
    if f:crossed_above(s) then
      return { side = "buy", confidence = 0.8, entry = c, target = c * 1.1, stop = c * 0.95, expiry = 20, summary = "cross up" }
    elseif f:crossed_below(s) then
      return { side = "sell", confidence = 0.8, entry = c, target = c * 0.9, stop = c * 1.05, expiry = 20, summary = "cross down" }
    end
  end,
}
)";
    std::vector<sf::market::BarSeries> data;
    for (int k = 0; k < 100; ++k) {
      sf::market::BarSeries s;
      s.symbol = "S" + std::to_string(k);
      s.Reserve(20000);
      double p = 100;
      uint32_t x = 2654435761u * (k + 1);
      for (int i = 0; i < 20000; ++i) {
        x = x * 1664525u + 1013904223u;
        double r = (static_cast<double>(x >> 8) / 16777216.0 - 0.5) * 0.03;
        double o = p;
        p *= 1 + r;
        s.Append((int64_t{1000} + i) * 86'400'000'000LL, o, std::max(o, p) * 1.005,
                 std::min(o, p) * 0.995, p, 1e6);
      }
      data.push_back(std::move(s));
    }
    auto t0 = std::chrono::steady_clock::now();
    double c0 = CpuSeconds();
    BacktestConfig cfg = Base(dir + "/sma_cross.lua", dir + "/plugins");
    cfg.history_bars = 100;
    auto r = sf::engine::RunBacktest(cfg, data);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) {
      std::fprintf(stderr, "sma_cross: %s\n", r.status().ToString().c_str());
      return 1;
    }
    Report("sma(10)/sma(30) 100 x 20,000", *r, wall, CpuSeconds() - c0, 1000);
  }
  fs::remove_all(dir);
  return 0;
}
