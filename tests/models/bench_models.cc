// Benchmark of the XGBoost model plugin: prediction latency through the
// plugin's vtable against a bare XGBoost C API call (XGBoosterPredictFromDense
// on the same model file) in the same run, interleaved call by call so both
// see the same machine noise; then a training-time figure.
//
//   bench_models WORKDIR [--train-rows N] [--no-train]
//
// Model: 200 trees, depth 6, 32 features, binary:logistic, trained through
// the plugin on synthetic data. Figures: p50/p99 of single-row and 500-row
// predictions, and their ratios to the bare call (targets: single-row p99 <=
// 100 us, 500 rows <= 2.5 ms, ratio <= 1.1).
#include <sys/resource.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_support.h"

namespace {

using sf::models::test::Answer;
using sf::models::test::FindModel;
using sf::models::test::Instance;
using Clock = std::chrono::steady_clock;

struct Synthetic {
  std::vector<double> x, y;
  std::vector<std::string> names;
  std::vector<const char*> name_ptrs;
  int64_t rows = 0, cols = 0;
};

Synthetic Make(int64_t rows, int64_t cols, uint64_t seed) {
  Synthetic s;
  s.rows = rows;
  s.cols = cols;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  std::vector<double> w(static_cast<size_t>(cols));
  for (auto& v : w) v = n01(rng);
  s.x.resize(static_cast<size_t>(rows * cols));
  s.y.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    double z = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const double v = n01(rng);
      s.x[static_cast<size_t>(r * cols + c)] = v;
      z += w[static_cast<size_t>(c)] * v * (c % 3 == 0 ? v : 1.0);
    }
    s.y[static_cast<size_t>(r)] = z + 2.0 * n01(rng) > 0 ? 1.0 : 0.0;
  }
  for (int64_t c = 0; c < cols; ++c) s.names.push_back("f" + std::to_string(c));
  for (const auto& n : s.names) s.name_ptrs.push_back(n.c_str());
  return s;
}

sf_dataset View(const Synthetic& s) {
  sf_dataset d = sf::sdk::Make<sf_dataset>();
  d.rows = s.rows;
  d.cols = s.cols;
  d.features = s.x.data();
  d.labels = s.y.data();
  d.feature_names = s.name_ptrs.data();
  return d;
}

double Pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

std::string Iface(const double* data, int64_t rows, int64_t cols) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "{\"data\":[%" PRIuPTR ",true],\"shape\":[%" PRId64 ",%" PRId64
                "],\"typestr\":\"<f8\",\"version\":3}",
                reinterpret_cast<uintptr_t>(data), rows, cols);
  return buf;
}

struct Latency {
  double p50_plugin, p99_plugin, p50_bare, p99_bare;
  double cpu_p50_plugin, cpu_p99_plugin, cpu_p50_bare, cpu_p99_bare;  // thread CPU time
};

// CPU time of this thread: on a shared, oversubscribed machine wall-clock
// tails are mostly time spent descheduled; CPU time shows the work itself.
double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

Latency Measure(const sf::plugins::Model& m, const Instance& inst, BoosterHandle bare,
                const Synthetic& data, int64_t batch, int iterations) {
  const char* cfg =
      "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
      "\"strict_shape\":false,\"cache_id\":0,\"missing\":NaN}";
  std::vector<double> out(static_cast<size_t>(batch));
  std::vector<double> plugin_ns, bare_ns, plugin_cpu, bare_cpu;
  const int64_t max_start = data.rows - batch;
  double sink = 0;
  for (int it = -100; it < iterations; ++it) {  // 100 warm-up calls
    const int64_t start = (static_cast<int64_t>(it + 100) * 7919) % max_start;
    const double* rows = data.x.data() + start * data.cols;
    int64_t out_cols = 0;
    const double c0 = ThreadCpuNs();
    const auto t0 = Clock::now();
    if (m.vt.predict(inst.get(), rows, batch, data.cols, out.data(), batch, &out_cols) != SF_OK) {
      std::fprintf(stderr, "plugin predict failed\n");
      std::exit(1);
    }
    const auto t1 = Clock::now();
    const double c1 = ThreadCpuNs();
    const std::string iface = Iface(rows, batch, data.cols);
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* res = nullptr;
    if (XGBoosterPredictFromDense(bare, iface.c_str(), cfg, nullptr, &shape, &dim, &res) != 0) {
      std::fprintf(stderr, "bare predict failed: %s\n", XGBGetLastError());
      std::exit(1);
    }
    sink += res[0];
    const auto t2 = Clock::now();
    const double c2 = ThreadCpuNs();
    sink += out[0];
    if (it < 0) continue;
    plugin_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    bare_ns.push_back(std::chrono::duration<double, std::nano>(t2 - t1).count());
    plugin_cpu.push_back(c1 - c0);
    bare_cpu.push_back(c2 - c1);
  }
  if (sink == -1) std::puts("");
  return {Pct(plugin_ns, 0.5),  Pct(plugin_ns, 0.99),  Pct(bare_ns, 0.5),  Pct(bare_ns, 0.99),
          Pct(plugin_cpu, 0.5), Pct(plugin_cpu, 0.99), Pct(bare_cpu, 0.5), Pct(bare_cpu, 0.99)};
}

// User + system CPU seconds of the whole process (every training thread).
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_models WORKDIR [--train-rows N] [--no-train]\n");
    return 2;
  }
  const std::string dir = argv[1];
  int64_t train_rows = 2'400'000;
  bool train = true;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-train") == 0) train = false;
    if (std::strcmp(argv[i], "--train-rows") == 0 && i + 1 < argc) train_rows = std::atoll(argv[++i]);
  }
  std::filesystem::create_directories(dir);
  const auto& m = FindModel("xgboost");

  // 200 trees, depth 6, 32 features.
  const Synthetic data = Make(20000, 32, 1);
  const std::string model_path = dir + "/bench_200x6x32.json";
  {
    const nlohmann::json params = {{"num_round", 200}, {"max_depth", 6}, {"eta", 0.1},
                                   {"folds", 0},       {"nthread", 1},   {"objective", "binary:logistic"}};
    sf_dataset d = View(data);
    Answer a = sf::models::test::Train(m, params.dump(), d, model_path);
    if (a.status != SF_OK) {
      std::fprintf(stderr, "training the benchmark model failed: %s\n", a.error.c_str());
      return 1;
    }
  }
  Answer la;
  Instance inst = sf::models::test::Load(m, nlohmann::json{{"path", model_path}}.dump(), &la);
  if (!inst) {
    std::fprintf(stderr, "load failed: %s\n", la.error.c_str());
    return 1;
  }
  BoosterHandle bare = nullptr;
  XGBoosterCreate(nullptr, 0, &bare);
  if (XGBoosterLoadModel(bare, model_path.c_str()) != 0 ||
      XGBoosterSetParam(bare, "nthread", "1") != 0) {
    std::fprintf(stderr, "bare load failed: %s\n", XGBGetLastError());
    return 1;
  }

  std::printf("XGBoost predict, 200 trees depth 6, 32 features, nthread 1 (plugin vs bare C API, "
              "interleaved)\n");
  std::printf("%-10s %12s %12s %12s %12s %9s %9s\n", "rows", "plugin p50", "plugin p99", "bare p50",
              "bare p99", "p50 x", "p99 x");
  for (int64_t batch : {int64_t{1}, int64_t{500}}) {
    const Latency l = Measure(m, inst, bare, data, batch, batch == 1 ? 20000 : 2000);
    std::printf("%-10" PRId64 " %10.1f us %10.1f us %10.1f us %10.1f us %9.3f %9.3f   (wall)\n",
                batch, l.p50_plugin / 1e3, l.p99_plugin / 1e3, l.p50_bare / 1e3, l.p99_bare / 1e3,
                l.p50_plugin / l.p50_bare, l.p99_plugin / l.p99_bare);
    std::printf("%-10" PRId64 " %10.1f us %10.1f us %10.1f us %10.1f us %9.3f %9.3f   (thread CPU)\n",
                batch, l.cpu_p50_plugin / 1e3, l.cpu_p99_plugin / 1e3, l.cpu_p50_bare / 1e3,
                l.cpu_p99_bare / 1e3, l.cpu_p50_plugin / l.cpu_p50_bare,
                l.cpu_p99_plugin / l.cpu_p99_bare);
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) std::printf("load average during the run: %.2f\n", load[0]);
  XGBoosterFree(bare);

  if (train) {
    const Synthetic big = Make(train_rows, 15, 2);
    const nlohmann::json params = {{"num_round", 200}, {"max_depth", 6}, {"eta", 0.1},
                                   {"folds", 0},       {"nthread", 2},   {"objective", "binary:logistic"}};
    sf_dataset d = View(big);
    const double cpu0 = ProcessCpuSeconds();
    const auto t0 = Clock::now();
    Answer a = sf::models::test::Train(m, params.dump(), d, dir + "/bench_train.json");
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = ProcessCpuSeconds() - cpu0;
    if (a.status != SF_OK) {
      std::fprintf(stderr, "training failed: %s\n", a.error.c_str());
      return 1;
    }
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    std::printf("training: %" PRId64 " rows x 15 features, 200 rounds depth 6, hist, 2 threads: "
                "%.1f s wall, %.1f s CPU (load average %.2f)\n",
                train_rows, secs, cpu, load[0]);
  }
  return 0;
}
