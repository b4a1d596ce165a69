// Backtest benchmarks (not tests): `cmake --build BUILD --target bench-backtest`.
//
//  1. mean_reversion.lua over every file of ../shared/data/sp500/daily, end
//     to end through the real binary (`signalforge backtest --data DIR`:
//     CSV parsing, regime_v1 over the universe, the Lua worker, risk,
//     lifecycle, statistics, JSON), range mode (the default) over all 505
//     symbols; the per-bar path over the first 100 symbols for the ratio.
//  2. An SMA(10)/SMA(30) crossover strategy in Lua over 100 synthetic symbols
//     × 20,000 bars (backtrader's published benchmark size), bars/s of
//     RunBacktest wall time, range mode and per-bar in the same run.
// Prints wall and CPU time (this process + children: the binary, the Lua
// worker), bars/s, and where the time went (strategy = series to the worker
// + evaluation; simulation = fills, lifecycle, equity, risk).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/backtest.h"

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

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

BacktestConfig Base(const std::string& file, const std::string& plugins) {
  BacktestConfig c;
  c.strategy_file = file;
  c.lib_dir = std::string(SF_SOURCE_DIR) + "/scripts/lib";
  c.worker_path = SF_LUA_WORKER;
  c.plugin_dirs = {plugins};
  return c;
}

void Line(const char* name, double bars, double wall, double cpu, double strategy, double sim,
          const char* target) {
  std::printf("%-44s bars %9.0f  wall %7.2f s  cpu %7.2f s  %11.0f bars/s (wall)  "
              "strategy %6.2f s  simulation %5.2f s  [target %s]\n",
              name, bars, wall, cpu, bars / wall, strategy, sim, target);
}

// `signalforge backtest` over the S&P 500 folder; false when it failed.
bool EndToEnd(const std::string& dir, const char* name, const std::string& extra, double* bars_per_s,
              std::vector<std::string>* symbols) {
  const std::string out = dir + "/mr.json";
  const std::string cmd = std::string(SF_BINARY) + " --config " + dir + "/config.json backtest --strategy " +
                          SF_SOURCE_DIR + "/scripts/mean_reversion.lua --data " + SF_SP500_DIR +
                          "/daily --from 1999-01-01 --to 2021-12-31 --risk min_risk_reward=1 --no-store --json " + out +
                          " " + extra +
                          " > " + dir + "/mr.log 2>&1";
  auto t0 = std::chrono::steady_clock::now();
  const double c0 = CpuSeconds();
  const int rc = std::system(cmd.c_str());
  const double wall = Since(t0), cpu = CpuSeconds() - c0;
  std::ifstream f(out);
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (rc != 0 || !j.is_object()) {
    std::fprintf(stderr, "%s failed (%d): see %s/mr.log\n", name, rc, dir.c_str());
    return false;
  }
  const double bars = j["bars"].get<double>();
  Line(name, bars, wall, cpu, j["strategy_seconds"].get<double>(), j["simulation_seconds"].get<double>(),
       "<= 10 s end to end");
  std::printf("%-44s   of the wall time: load + regime_v1 + start-up %.2f s, RunBacktest %.2f s "
              "(Lua worker %.2f s, simulation CPU %.2f s); %zu symbols, %zu trades, %zu signals\n", "",
              wall - j["seconds"].get<double>(), j["seconds"].get<double>(), j.value("worker_seconds", 0.0),
              j.value("simulation_cpu_seconds", 0.0), j["symbols"].size(), j["trades"].size(),
              static_cast<size_t>(j["signals"].get<int64_t>()));
  *bars_per_s = bars / wall;
  *symbols = j["symbols"].get<std::vector<std::string>>();
  fs::remove(out);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Optional argument: "sp500" or "sma" runs only that part; "sma-range" only
  // its range-mode run (for profiling).
  const std::string only = argc > 1 ? argv[1] : "";
  const std::string dir = "/tmp/sf-bench-backtest-" + std::to_string(getpid());
  fs::create_directories(dir + "/plugins");
  fs::create_symlink(std::string(SF_PLUGIN_DIR) + "/indicators.so", dir + "/plugins/indicators.so");
  std::ofstream(dir + "/config.json")
      << nlohmann::json{{"plugins", {{"directories", {dir + "/plugins"}}, {"probe", false}}},
                        {"log", {{"level", "error"}}}}.dump();
  int failures = 0;

  if (only.empty() || only == "sp500") {  // 1. mean_reversion over the whole S&P 500 set, end to end.
    double range = 0, per_bar = 0;
    std::vector<std::string> loaded, unused;
    failures += !EndToEnd(dir, "mean_reversion sp500 (all), range", "", &range, &loaded);
    std::string first100;  // of the files that load
    for (size_t i = 0; i < loaded.size() && i < 100; ++i) first100 += (i ? "," : "") + loaded[i];
    if (!first100.empty())
      failures += !EndToEnd(dir, "mean_reversion sp500 (100 symbols), per-bar",
                            "--per-bar --symbols " + first100, &per_bar, &unused);
    if (range > 0 && per_bar > 0)
      std::printf("%-44s range / per-bar throughput: %.1fx\n", "", range / per_bar);
  }
  if (only.empty() || only.starts_with("sma")) {  // 2. SMA(10)/SMA(30) crossover, 100 symbols × 20,000 bars.
    std::ofstream(dir + "/sma_cross.lua") << R"(
return {
  name = "sma_cross", timeframe = "1d", universe = { type = "equity" }, history = 60,
  independent = true,  -- no state shared between symbols: a backtest may split them
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
    // Runs: range mode with one worker per core (2 here), range mode with
    // one worker, per-bar mode.
    double rates[3] = {0, 0, 0};
    const char* names[3] = {"sma(10)/sma(30) 100 x 20,000, range", "sma(10)/sma(30) 100 x 20,000, range, 1 worker",
                            "sma(10)/sma(30) 100 x 20,000, per-bar"};
    for (int run = 0; run < (only == "sma-range" ? 1 : 3); ++run) {
      const int per_bar = run == 2;
      BacktestConfig cfg = Base(dir + "/sma_cross.lua", dir + "/plugins");
      cfg.history_bars = 100;
      cfg.per_bar = per_bar == 1;
      cfg.workers = run == 1 ? 1 : 0;
      auto t0 = std::chrono::steady_clock::now();
      const double c0 = CpuSeconds();
      auto r = sf::engine::RunBacktest(cfg, data);
      const double wall = Since(t0), cpu = CpuSeconds() - c0;
      if (!r.ok()) {
        std::fprintf(stderr, "sma_cross: %s\n", r.status().ToString().c_str());
        ++failures;
        continue;
      }
      Line(names[run], static_cast<double>(r->bars), wall, cpu, r->strategy_seconds,
           r->simulation_seconds, ">= 5,000,000 bars/s");
      std::printf("%-44s   %zu signals, %zu trades; Lua workers %d, %.2f s (sum); simulation "
                  "%.2f s CPU: %.0f symbol-bars/s\n", "", r->signals.size(), r->trades.size(),
                  r->workers, r->worker_seconds, r->simulation_cpu_seconds,
                  r->bars / std::max(r->simulation_cpu_seconds, 1e-9));
      rates[run] = r->bars / wall;
    }
    if (rates[0] > 0 && rates[2] > 0)
      std::printf("%-44s range / per-bar throughput: %.1fx; range with one worker per core / "
                  "one worker: %.2fx\n", "", rates[0] / rates[2], rates[0] / std::max(rates[1], 1e-9));
  }
  fs::remove_all(dir);
  return failures == 0 ? 0 : 1;
}
