// Costs of the plugin boundary: loading a library with and without the
// crash-safe probe, and an indicator call through the registry helper vs a
// direct call of the copied vtable. Compare the pairs as ratios.
#include <benchmark/benchmark.h>

#include <vector>

#include "plugins/loader.h"
#include "plugins/plugin_call.h"

namespace {

using sf::plugins::Loader;
using sf::plugins::LoaderOptions;
using sf::plugins::Registry;

void BM_LoadHello(benchmark::State& state) {
  LoaderOptions o;
  o.probe = state.range(0) != 0;
  o.log = false;
  for (auto _ : state) {
    Registry registry;
    auto r = Loader(registry, o).LoadFile(SF_HELLO_PLUGIN);
    if (!r.loaded) state.SkipWithError(r.reason.c_str());
  }
}
BENCHMARK(BM_LoadHello)->Arg(0)->Arg(1)->ArgNames({"probe"})->Unit(benchmark::kMicrosecond);

struct Loaded {
  Registry registry;
  const sf::plugins::Indicator* ind = nullptr;
  Loaded() {
    LoaderOptions o;
    o.log = false;
    o.probe = false;
    (void)Loader(registry, o).LoadFile(SF_HELLO_PLUGIN);
    ind = registry.FindIndicator("hello_sum");
  }
};

void BM_ComputeDirect(benchmark::State& state) {
  Loaded l;
  std::vector<double> close(state.range(0), 1.0), out(state.range(0));
  sf_bar_series in{};
  in.struct_size = sizeof in;
  in.count = state.range(0);
  in.close = close.data();
  double params[1] = {20};
  double* outs[1] = {out.data()};
  for (auto _ : state) {
    benchmark::DoNotOptimize(l.ind->vt.compute(params, 1, &in, outs, 1));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ComputeDirect)->Arg(64)->Arg(4096);

void BM_ComputeViaIndicatorCall(benchmark::State& state) {
  Loaded l;
  std::vector<double> close(state.range(0), 1.0);
  sf_bar_series in{};
  in.count = state.range(0);
  in.close = close.data();
  sf::plugins::IndicatorCall call(*l.ind, {20});
  for (auto _ : state) {
    auto out = call.Compute(in);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ComputeViaIndicatorCall)->Arg(64)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
