// bench-lua: what the Lua strategy host costs per bar.
//   1. dispatch overhead of an empty strategy, per symbol, inside the worker's
//      VM (the batch driver calling evaluate 500 times) -- target <= 100 ns;
//   2. the same through the whole runtime (host -> worker IPC, JSON, reply);
//   3. mean_reversion.lua over 500 symbols on one new bar, end to end, with
//      its indicators computed once per series per bar -- target <= 5 ms.
// Figures are medians of repeated runs; ratios against the targets are
// printed so a noisy shared machine can still be read.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "lua/series_arena.h"
#include "lua/strategy_runtime.h"
#include "lua/strategy_vm.h"
#include "lua_test_util.h"

using namespace sf::lua;
using Clock = std::chrono::steady_clock;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

constexpr int kSymbols = 500;

}  // namespace

int main() {
  testing::TempDir dir;
  std::vector<sf::market::BarSeries> series;
  for (int i = 0; i < kSymbols; ++i) series.push_back(testing::Walk("S" + std::to_string(i), 400, i + 1));

  // --- 1. in-VM dispatch of an empty strategy
  {
    auto arena = SeriesArena::Create(kSymbols + 8, 300);
    std::vector<int> slots;
    std::vector<std::string> syms;
    for (const auto& s : series) {
      slots.push_back(*(*arena)->Sync(s));
      syms.push_back(s.symbol);
    }
    auto reader = ArenaReader::Map((*arena)->fd());
    VmOptions o;
    o.lib_dir = std::string(SF_SOURCE_DIR) + "/scripts/lib";
    o.arena = reader->get();
    auto vm = StrategyVm::Create(o);
    if (!vm.ok()) { fprintf(stderr, "%s\n", vm.status().ToString().c_str()); return 1; }
    auto d = (*vm)->Load("return { name = 'empty', timeframe = '1d', universe = { type = 'equity' },"
                         " evaluate = function(ctx, symbol) end }", "@empty.lua", nlohmann::json::object());
    if (!d.ok()) { fprintf(stderr, "%s\n", d.status().ToString().c_str()); return 1; }
    EvalRequest req;
    req.slots = slots;
    // Cost of the batch minus the cost of building an empty batch's tables,
    // measured as (N symbols) - (1 symbol), per extra symbol.
    EvalRequest one;
    one.slots = {slots[0]};
    std::vector<double> full, single;
    for (int r = 0; r < 300; ++r) {
      auto t0 = Clock::now();
      (*vm)->Eval(req);
      auto t1 = Clock::now();
      (*vm)->Eval(one);
      auto t2 = Clock::now();
      full.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
      single.push_back(std::chrono::duration<double, std::nano>(t2 - t1).count());
    }
    const double per = (Median(full) - Median(single)) / (kSymbols - 1);
    printf("empty strategy, in-VM dispatch:      %7.1f ns per symbol per bar  (target 100 ns: %.2fx of target)\n",
           per, per / 100.0);
    printf("  batch of %d symbols: %.1f us; batch of 1: %.1f us\n", kSymbols, Median(full) / 1e3,
           Median(single) / 1e3);
  }

  // --- 2./3. through the runtime (worker processes, real indicator plugin)
  RuntimeOptions o = testing::Options(dir);
  o.history_bars = 300;
  o.max_series = kSymbols + 8;
  auto rt = StrategyRuntime::Create(o);
  if (!rt.ok()) { fprintf(stderr, "%s\n", rt.status().ToString().c_str()); return 1; }
  for (auto& s : series) {
    // Keep the last bar back: the benchmark appends it as "the new bar".
    (void)(*rt)->UpdateSeries(s, static_cast<int64_t>(s.size()) - 50);
    (*rt)->SetInstrument(s.symbol, {"equity", "", ""});
  }
  std::filesystem::copy_file(std::string(SF_SOURCE_DIR) + "/scripts/mean_reversion.lua",
                             dir.scripts() + "/mean_reversion.lua");
  dir.Write("empty.lua", "return { name = 'empty', timeframe = '1d', universe = { type = 'equity' },"
                         " evaluate = function(ctx, symbol) end }");
  auto e = (*rt)->LoadFile(dir.scripts() + "/empty.lua", true);
  if (e.state != "running") { fprintf(stderr, "%s\n", e.last_error.c_str()); return 1; }
  std::vector<double> empty_bar;
  for (int r = 0; r < 50; ++r) {
    auto t0 = Clock::now();
    auto res = (*rt)->OnBarClose({sf::market::Timeframe::k1d, 0, {}, {}});
    empty_bar.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  printf("empty strategy, whole runtime (IPC): %7.1f ns per symbol per bar  (%.1f us per bar of %d)\n",
         Median(empty_bar) * 1e3 / kSymbols, Median(empty_bar), kSymbols);
  std::filesystem::remove(dir.scripts() + "/empty.lua");
  (void)(*rt)->LoadFile(dir.scripts() + "/empty.lua", true);

  auto m = (*rt)->LoadFile(dir.scripts() + "/mean_reversion.lua", true);
  if (m.state != "running") { fprintf(stderr, "%s\n", m.last_error.c_str()); return 1; }
  std::vector<double> eval_ms, update_ms;
  size_t intents = 0;
  for (int bar = 49; bar >= 0; --bar) {
    auto t0 = Clock::now();
    for (auto& s : series) (void)(*rt)->UpdateSeries(s, static_cast<int64_t>(s.size()) - bar);
    auto t1 = Clock::now();
    auto res = (*rt)->OnBarClose({sf::market::Timeframe::k1d, series[0].ts[series[0].size() - 1 - bar], {}, {}});
    auto t2 = Clock::now();
    intents += res.intents.size();
    if (!res.errors.empty()) { fprintf(stderr, "%s\n", res.errors[0].message.c_str()); return 1; }
    update_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    eval_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  printf("mean_reversion.lua, %d symbols, one new bar: %.2f ms per bar  (target 5 ms: %.2fx of target)\n",
         kSymbols, Median(eval_ms), Median(eval_ms) / 5.0);
  printf("  appending the new bar to %d series in the arena: %.3f ms; %zu intents over 50 bars\n",
         kSymbols, Median(update_ms), intents);
  return 0;
}
