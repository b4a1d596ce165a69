// Indicator benchmark (Google Benchmark), run with `cmake --build BUILD
// --target bench-indicators` (pinned to one core):
//   batch/<id>      ns per bar over 2^20 bars for every registered indicator
//   talib/<id>      TA-Lib's batch function for the same indicator/params
//   stream/<id>     ns per stream_update call (through the C ABI)
//   universe1/...   each core indicator alone over the synthetic universe
//                   (plugin and TA-Lib), to see where the universe time goes
//   universe/...    the 11 core indicators over 500 synthetic symbols x 5,000
//                   bars, and over every real S&P 500 file
// After the runs a table prints plugin vs TA-Lib ns/bar (CPU time) and their
// ratio; with --benchmark_repetitions=N --benchmark_enable_random_interleaving
// (what the bench-indicators target passes) the medians are used.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include "ta_libc.h"
}

#include "test_support.h"

namespace sf::indicators::test {
namespace {

constexpr size_t kBars = 1u << 20;

const Series& Big() {
  static Series s = Synthetic(kBars, 42);
  return s;
}

struct Core {
  const char* id;
  std::vector<double> params;
};

// The 11 core indicators.
const std::vector<Core>& CoreSet() {
  static const std::vector<Core> core = {
      {"sma", {20}},       {"ema", {20}},           {"rsi", {14}},   {"macd", {12, 26, 9}},
      {"bbands", {20, 2, 2}}, {"atr", {14}},        {"adx", {14}},   {"stoch", {14, 3, 3}},
      {"cci", {20}},       {"willr", {14}},         {"obv", {}}};
  return core;
}

std::vector<double> ParamsFor(const sf::plugins::Indicator& ind) {
  for (const auto& c : CoreSet()) {
    if (ind.id == c.id) return c.params;
  }
  return DefaultParams(ind);
}

// Output buffers reused across iterations.
struct Buffers {
  std::vector<std::vector<double>> cols;
  std::vector<double*> ptrs;
  Buffers(size_t k, size_t n) : cols(k, std::vector<double>(n)) {
    for (auto& c : cols) ptrs.push_back(c.data());
  }
};

void SetPerBar(benchmark::State& st, size_t bars) {
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * bars));
  st.counters["ns_per_bar"] = benchmark::Counter(static_cast<double>(st.iterations() * bars),
                                                 benchmark::Counter::kIsRate |
                                                     benchmark::Counter::kInvert);
}

// `wanted` > 0 passes NULL for the outputs after the first `wanted` (only
// for optional outputs, e.g. BBANDS' %B and bandwidth).
void BatchPlugin(benchmark::State& st, const sf::plugins::Indicator* ind, uint32_t wanted) {
  const Series& s = Big();
  const auto params = ParamsFor(*ind);
  Buffers b(ind->vt.output_count, s.size());
  for (uint32_t k = wanted; wanted > 0 && k < ind->vt.output_count; ++k) b.ptrs[k] = nullptr;
  const sf_bar_series view = s.View();
  for (auto _ : st) {
    const sf_status rc = ind->vt.compute(params.data(), static_cast<uint32_t>(params.size()), &view,
                                         b.ptrs.data(), ind->vt.output_count);
    if (rc != SF_OK) st.SkipWithError("compute failed");
    benchmark::DoNotOptimize(b.cols[0][s.size() - 1]);
  }
  SetPerBar(st, s.size());
}

void StreamPlugin(benchmark::State& st, const sf::plugins::Indicator* ind) {
  const Series& s = Big();
  const auto params = ParamsFor(*ind);
  std::vector<sf_bar> bars(1u << 16);
  for (size_t i = 0; i < bars.size(); ++i) bars[i] = s.BarAt(i);
  std::vector<double> out(ind->vt.output_count);
  void* state = nullptr;
  if (ind->vt.stream_create(params.data(), static_cast<uint32_t>(params.size()), &state) != SF_OK) {
    st.SkipWithError("stream_create failed");
    return;
  }
  size_t i = 0;
  for (auto _ : st) {
    ind->vt.stream_update(state, &bars[i], out.data(), ind->vt.output_count);
    benchmark::DoNotOptimize(out[0]);
    i = (i + 1) & (bars.size() - 1);
  }
  ind->vt.stream_destroy(state);
  st.counters["ns_per_update"] = benchmark::Counter(static_cast<double>(st.iterations()),
                                                    benchmark::Counter::kIsRate |
                                                        benchmark::Counter::kInvert);
}

// TA-Lib calls for the same indicators and parameters as ParamsFor().
using TaFn = std::function<void(const Series&, std::vector<std::vector<double>>&)>;
#define N static_cast<int>(s.size()) - 1
#define O(k) o[k].data()
std::map<std::string, TaFn> TaLibFns() {
  int b = 0, n = 0;
  (void)b;
  (void)n;
  std::map<std::string, TaFn> m;
  m["sma"] = [](const Series& s, auto& o) { int b, n; TA_SMA(0, N, s.close.data(), 20, &b, &n, O(0)); };
  m["ema"] = [](const Series& s, auto& o) { int b, n; TA_EMA(0, N, s.close.data(), 20, &b, &n, O(0)); };
  m["rsi"] = [](const Series& s, auto& o) { int b, n; TA_RSI(0, N, s.close.data(), 14, &b, &n, O(0)); };
  m["macd"] = [](const Series& s, auto& o) {
    int b, n; TA_MACD(0, N, s.close.data(), 12, 26, 9, &b, &n, O(0), O(1), O(2)); };
  m["bbands"] = [](const Series& s, auto& o) {
    int b, n; TA_BBANDS(0, N, s.close.data(), 20, 2, 2, TA_MAType_SMA, &b, &n, O(0), O(1), O(2)); };
  // Like with like for BBANDS: TA-Lib's three bands, then %B and bandwidth
  // from them (the plugin's five outputs; the TA-Lib comparison test's
  // formulas).
  m["bbands_5"] = [](const Series& s, auto& o) {
    int b, n;
    TA_BBANDS(0, N, s.close.data(), 20, 2, 2, TA_MAType_SMA, &b, &n, O(0), O(1), O(2));
    for (int i = 0; i < n; ++i) {
      const double w = o[0][i] - o[2][i];
      o[3][i] = w != 0 ? (s.close[b + i] - o[2][i]) / w : 0.5;
      o[4][i] = o[1][i] != 0 ? w / o[1][i] : 0.0;
    }
  };
  m["bbands_3"] = m["bbands"];
  m["atr"] = [](const Series& s, auto& o) {
    int b, n; TA_ATR(0, N, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, O(0)); };
  m["adx"] = [](const Series& s, auto& o) {
    int b, n; TA_ADX(0, N, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, O(0)); };
  m["stoch"] = [](const Series& s, auto& o) {
    int b, n; TA_STOCH(0, N, s.high.data(), s.low.data(), s.close.data(), 14, 3, TA_MAType_SMA, 3,
                       TA_MAType_SMA, &b, &n, O(0), O(1)); };
  m["cci"] = [](const Series& s, auto& o) {
    int b, n; TA_CCI(0, N, s.high.data(), s.low.data(), s.close.data(), 20, &b, &n, O(0)); };
  m["willr"] = [](const Series& s, auto& o) {
    int b, n; TA_WILLR(0, N, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, O(0)); };
  m["obv"] = [](const Series& s, auto& o) {
    int b, n; TA_OBV(0, N, s.close.data(), s.volume.data(), &b, &n, O(0)); };
  // More TA-Lib functions at the plugin's default parameters.
  m["wma"] = [](const Series& s, auto& o) { int b, n; TA_WMA(0, N, s.close.data(), 30, &b, &n, O(0)); };
  m["dema"] = [](const Series& s, auto& o) { int b, n; TA_DEMA(0, N, s.close.data(), 30, &b, &n, O(0)); };
  m["tema"] = [](const Series& s, auto& o) { int b, n; TA_TEMA(0, N, s.close.data(), 30, &b, &n, O(0)); };
  m["trima"] = [](const Series& s, auto& o) { int b, n; TA_TRIMA(0, N, s.close.data(), 30, &b, &n, O(0)); };
  m["kama"] = [](const Series& s, auto& o) { int b, n; TA_KAMA(0, N, s.close.data(), 30, &b, &n, O(0)); };
  m["t3"] = [](const Series& s, auto& o) { int b, n; TA_T3(0, N, s.close.data(), 5, 0.7, &b, &n, O(0)); };
  m["mom"] = [](const Series& s, auto& o) { int b, n; TA_MOM(0, N, s.close.data(), 10, &b, &n, O(0)); };
  m["roc"] = [](const Series& s, auto& o) { int b, n; TA_ROC(0, N, s.close.data(), 10, &b, &n, O(0)); };
  m["trix"] = [](const Series& s, auto& o) { int b, n; TA_TRIX(0, N, s.close.data(), 30, &b, &n, O(0)); };
  m["cmo"] = [](const Series& s, auto& o) { int b, n; TA_CMO(0, N, s.close.data(), 14, &b, &n, O(0)); };
  m["stddev"] = [](const Series& s, auto& o) { int b, n; TA_STDDEV(0, N, s.close.data(), 5, 1, &b, &n, O(0)); };
  m["natr"] = [](const Series& s, auto& o) {
    int b, n; TA_NATR(0, N, s.high.data(), s.low.data(), s.close.data(), 14, &b, &n, O(0)); };
  m["mfi"] = [](const Series& s, auto& o) {
    int b, n; TA_MFI(0, N, s.high.data(), s.low.data(), s.close.data(), s.volume.data(), 14, &b, &n, O(0)); };
  m["ad"] = [](const Series& s, auto& o) {
    int b, n; TA_AD(0, N, s.high.data(), s.low.data(), s.close.data(), s.volume.data(), &b, &n, O(0)); };
  m["adosc"] = [](const Series& s, auto& o) {
    int b, n; TA_ADOSC(0, N, s.high.data(), s.low.data(), s.close.data(), s.volume.data(), 3, 10, &b, &n, O(0)); };
  m["sar"] = [](const Series& s, auto& o) {
    int b, n; TA_SAR(0, N, s.high.data(), s.low.data(), 0.02, 0.2, &b, &n, O(0)); };
  m["aroon"] = [](const Series& s, auto& o) {
    int b, n; TA_AROON(0, N, s.high.data(), s.low.data(), 14, &b, &n, O(0), O(1)); };
  m["ultosc"] = [](const Series& s, auto& o) {
    int b, n; TA_ULTOSC(0, N, s.high.data(), s.low.data(), s.close.data(), 7, 14, 28, &b, &n, O(0)); };
  m["ppo"] = [](const Series& s, auto& o) {
    int b, n; TA_PPO(0, N, s.close.data(), 12, 26, TA_MAType_SMA, &b, &n, O(0)); };
  m["stochrsi"] = [](const Series& s, auto& o) {
    int b, n; TA_STOCHRSI(0, N, s.close.data(), 14, 5, 3, TA_MAType_SMA, &b, &n, O(0), O(1)); };
  m["linreg"] = [](const Series& s, auto& o) {
    int b, n; TA_LINEARREG(0, N, s.close.data(), 14, &b, &n, O(0)); };
  return m;
}

void BatchTaLib(benchmark::State& st, TaFn fn) {
  const Series& s = Big();
  std::vector<std::vector<double>> o(5, std::vector<double>(s.size()));
  for (auto _ : st) {
    fn(s, o);
    benchmark::DoNotOptimize(o[0][0]);
  }
  SetPerBar(st, s.size());
}

// ---- the universe ----------------------------------------------------------

struct Universe {
  std::vector<Series> series;
  size_t bars = 0;
};

const Universe& SyntheticUniverse() {
  static Universe u = [] {
    Universe x;
    for (uint64_t k = 0; k < 500; ++k) {
      x.series.push_back(Synthetic(5000, 1000 + k));
      x.bars += 5000;
    }
    return x;
  }();
  return u;
}

const Universe& RealUniverse() {
  static Universe u = [] {
    Universe x;
    for (const auto& sym : Sp500Symbols()) {
      Series s;
      if (LoadSp500(sym, &s)) {
        x.bars += s.size();
        x.series.push_back(std::move(s));
      }
    }
    return x;
  }();
  return u;
}

// `bands_only`: BBANDS computes its three bands, NULL for the optional %B
// and bandwidth (what TA-Lib's BBANDS gives); otherwise all five outputs.
void UniversePlugin(benchmark::State& st, const Universe* u, bool bands_only) {
  if (u->series.empty()) {
    st.SkipWithError("no data");
    return;
  }
  std::vector<const sf::plugins::Indicator*> inds;
  for (const auto& c : CoreSet()) inds.push_back(&Find(c.id));
  size_t longest = 0;
  for (const auto& s : u->series) longest = std::max(longest, s.size());
  Buffers b(5, longest);
  std::vector<double*> bands = b.ptrs;
  bands[3] = bands[4] = nullptr;
  for (auto _ : st) {
    for (const auto& s : u->series) {
      const sf_bar_series view = s.View();
      for (size_t k = 0; k < inds.size(); ++k) {
        const auto& p = CoreSet()[k].params;
        const bool three = bands_only && inds[k]->id == "bbands";
        inds[k]->vt.compute(p.data(), static_cast<uint32_t>(p.size()), &view,
                            three ? bands.data() : b.ptrs.data(), inds[k]->vt.output_count);
      }
    }
    benchmark::DoNotOptimize(b.cols[0][0]);
  }
  st.counters["symbols"] = static_cast<double>(u->series.size());
  st.counters["bars"] = static_cast<double>(u->bars);
  SetPerBar(st, u->bars * CoreSet().size());
}

// One core indicator over the synthetic universe: where the universe time
// goes, with every series in cache as in the full pass.
void UniverseOnePlugin(benchmark::State& st, size_t core_index) {
  const Universe& u = SyntheticUniverse();
  const Core& c = CoreSet()[core_index];
  const sf::plugins::Indicator& ind = Find(c.id);
  Buffers b(ind.vt.output_count, 5000);
  for (auto _ : st) {
    for (const auto& s : u.series) {
      const sf_bar_series view = s.View();
      ind.vt.compute(c.params.data(), static_cast<uint32_t>(c.params.size()), &view,
                     b.ptrs.data(), ind.vt.output_count);
    }
    benchmark::DoNotOptimize(b.cols[0][0]);
  }
  SetPerBar(st, u.bars);
}

void UniverseOneTaLib(benchmark::State& st, size_t core_index) {
  const Universe& u = SyntheticUniverse();
  const TaFn fn = TaLibFns().at(CoreSet()[core_index].id);
  std::vector<std::vector<double>> o(3, std::vector<double>(5000));
  for (auto _ : st) {
    for (const auto& s : u.series) fn(s, o);
    benchmark::DoNotOptimize(o[0][0]);
  }
  SetPerBar(st, u.bars);
}

void UniverseTaLib(benchmark::State& st, const Universe* u) {
  if (u->series.empty()) {
    st.SkipWithError("no data");
    return;
  }
  const auto fns = TaLibFns();
  size_t longest = 0;
  for (const auto& s : u->series) longest = std::max(longest, s.size());
  std::vector<std::vector<double>> o(3, std::vector<double>(longest));
  for (auto _ : st) {
    for (const auto& s : u->series) {
      for (const auto& c : CoreSet()) fns.at(c.id)(s, o);
    }
    benchmark::DoNotOptimize(o[0][0]);
  }
  SetPerBar(st, u->bars * CoreSet().size());
}

// Prints the plugin / TA-Lib table once every benchmark ran.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.error_occurred) continue;
      // With --benchmark_repetitions the median aggregate wins (on a shared,
      // loaded machine, medians of randomly interleaved repetitions are what
      // make plugin/TA-Lib ratios repeatable); otherwise the single run.
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type == Run::RT_Aggregate && !median) continue;
      if (r.run_type == Run::RT_Iteration && r.repetitions > 1) continue;
      if (r.run_type == Run::RT_Iteration && r.iterations == 0) continue;
      // Names carry Google Benchmark's "/min_time:..." suffix; key on the bare name.
      std::string name = r.run_name.function_name;
      ns_[name] = r.GetAdjustedCPUTime() * Scale(r.time_unit);
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-12s %14s %14s %8s %16s\n", "indicator", "plugin ns/bar", "TA-Lib ns/bar",
                "ratio", "stream ns/update");
    for (const auto& [name, t] : ns_) {
      if (name.rfind("batch/", 0) != 0) continue;
      const std::string id = name.substr(6);
      const double per_bar = t / kBars;
      const auto ta = ns_.find("talib/" + id);
      const auto stream = ns_.find("stream/" + id);
      std::printf("%-12s %14.3f", id.c_str(), per_bar);
      if (ta != ns_.end()) {
        const double ta_bar = ta->second / kBars;
        std::printf(" %14.3f %8.2f", ta_bar, per_bar / ta_bar);
      } else {
        std::printf(" %14s %8s", "-", "-");
      }
      if (stream != ns_.end()) std::printf(" %16.2f", stream->second);
      std::printf("\n");
    }
    std::printf("\n%-12s %16s %16s %8s   (one indicator over 500 x 5,000 bars)\n",
                "universe", "plugin ms/pass", "TA-Lib ms/pass", "ratio");
    double sum_p = 0, sum_t = 0;
    for (const auto& c : CoreSet()) {
      const auto p = ns_.find(std::string("universe1/plugin/") + c.id);
      const auto t = ns_.find(std::string("universe1/talib/") + c.id);
      if (p == ns_.end() || t == ns_.end()) continue;
      sum_p += p->second;
      sum_t += t->second;
      std::printf("%-12s %16.2f %16.2f %8.2f\n", c.id, p->second / 1e6, t->second / 1e6,
                  p->second / t->second);
    }
    if (sum_t > 0) {
      std::printf("%-12s %16.2f %16.2f %8.2f\n\n", "sum", sum_p / 1e6, sum_t / 1e6,
                  sum_p / sum_t);
    }
    for (const std::string u : {"synthetic_500x5000", "sp500_real"}) {
      const auto t = ns_.find("universe/talib/" + u);
      for (const std::string variant : {"", "_bb3"}) {
        const auto p = ns_.find("universe/plugin/" + u + variant);
        if (p == ns_.end()) continue;
        std::printf("universe %-22s plugin %8.1f ms (%s)", (u + variant).c_str(),
                    p->second / 1e6,
                    variant.empty() ? "BBANDS 5 outputs" : "BBANDS 3 bands, as TA-Lib");
        if (t != ns_.end()) {
          std::printf("   TA-Lib %8.1f ms   ratio %.2f", t->second / 1e6,
                      p->second / t->second);
        }
        std::printf("\n");
      }
    }
  }

 private:
  static double Scale(benchmark::TimeUnit u) {
    switch (u) {
      case benchmark::kNanosecond: return 1;
      case benchmark::kMicrosecond: return 1e3;
      case benchmark::kMillisecond: return 1e6;
      case benchmark::kSecond: return 1e9;
    }
    return 1;
  }
  std::map<std::string, double> ns_;
};

}  // namespace
}  // namespace sf::indicators::test

int main(int argc, char** argv) {
  using namespace sf::indicators::test;
  TA_Initialize();
  auto all = Plugins().indicators();
  std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->id < b->id; });
  const auto ta = TaLibFns();
  for (const auto* ind : all) {
    benchmark::RegisterBenchmark(("batch/" + ind->id).c_str(), BatchPlugin, ind, 0u)
        ->Unit(benchmark::kMillisecond)->MinTime(0.2);
    auto it = ta.find(ind->id);
    if (it != ta.end()) {
      benchmark::RegisterBenchmark(("talib/" + ind->id).c_str(), BatchTaLib, it->second)
          ->Unit(benchmark::kMillisecond)->MinTime(0.2);
    }
  }
  // BBANDS like with like: its three bands only (NULL %B and bandwidth)
  // against TA-Lib's BBANDS, and all five against TA-Lib plus the ratios.
  const sf::plugins::Indicator* bbands = &Find("bbands");
  benchmark::RegisterBenchmark("batch/bbands_3", BatchPlugin, bbands, 3u)
      ->Unit(benchmark::kMillisecond)->MinTime(0.2);
  benchmark::RegisterBenchmark("batch/bbands_5", BatchPlugin, bbands, 0u)
      ->Unit(benchmark::kMillisecond)->MinTime(0.2);
  for (const char* id : {"bbands_3", "bbands_5"}) {
    benchmark::RegisterBenchmark((std::string("talib/") + id).c_str(), BatchTaLib, ta.at(id))
        ->Unit(benchmark::kMillisecond)->MinTime(0.2);
  }
  for (const auto* ind : all) {
    benchmark::RegisterBenchmark(("stream/" + ind->id).c_str(), StreamPlugin, ind)->MinTime(0.05);
  }
  for (size_t k = 0; k < CoreSet().size(); ++k) {
    const std::string id = CoreSet()[k].id;
    benchmark::RegisterBenchmark(("universe1/plugin/" + id).c_str(), UniverseOnePlugin, k)
        ->Unit(benchmark::kMillisecond)->MinTime(0.3);
    benchmark::RegisterBenchmark(("universe1/talib/" + id).c_str(), UniverseOneTaLib, k)
        ->Unit(benchmark::kMillisecond)->MinTime(0.3);
  }
  // The universe twice for the plugin: BBANDS with all five outputs, and
  // with its three bands only (like TA-Lib's BBANDS in the TA-Lib row).
  for (const auto& [name, u] :
       {std::pair<std::string, const Universe*>{"synthetic_500x5000", &SyntheticUniverse()},
        std::pair<std::string, const Universe*>{"sp500_real", &RealUniverse()}}) {
    benchmark::RegisterBenchmark(("universe/plugin/" + name).c_str(), UniversePlugin, u, false)
        ->Unit(benchmark::kMillisecond)->MinTime(1);
    benchmark::RegisterBenchmark(("universe/plugin/" + name + "_bb3").c_str(), UniversePlugin,
                                 u, true)->Unit(benchmark::kMillisecond)->MinTime(1);
    benchmark::RegisterBenchmark(("universe/talib/" + name).c_str(), UniverseTaLib, u)
        ->Unit(benchmark::kMillisecond)->MinTime(1);
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
