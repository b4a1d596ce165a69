// Shared helpers for the Lua strategy host tests: temporary scripts
// directories, runtime options that use the real worker and the real
// indicator plugin, synthetic and S&P 500 series.
#ifndef SF_TESTS_LUA_TEST_UTIL_H_
#define SF_TESTS_LUA_TEST_UTIL_H_

#include <dirent.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lua/csv_bars.h"
#include "lua/strategy_runtime.h"
#include "market/bar_series.h"

namespace sf::lua::testing {

namespace fs = std::filesystem;

// True when this test binary, and so the worker built with it, runs under
// AddressSanitizer (make test-sanitize builds everything with it).
#if defined(__SANITIZE_ADDRESS__)
#define SF_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SF_TEST_UNDER_ASAN 1
#endif
#endif
#ifdef SF_TEST_UNDER_ASAN
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sf-lua-test-XXXXXX";
    path_ = mkdtemp(tmpl);
    fs::create_directories(path_ + "/scripts");
    fs::create_directories(path_ + "/plugins");
    // Only the indicator plugin: workers load every plugin of their dirs.
    fs::create_symlink(std::string(SF_PLUGIN_DIR) + "/indicators.so", path_ + "/plugins/indicators.so");
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string scripts() const { return path_ + "/scripts"; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = scripts() + "/" + name;
    const std::string tmp = p + ".tmp";
    { std::ofstream(tmp) << text; }
    fs::rename(tmp, p);  // atomic, like an editor's save
    return p;
  }

 private:
  std::string path_;
};

inline RuntimeOptions Options(const TempDir& dir) {
  RuntimeOptions o;
  o.scripts_dir = dir.scripts();
  o.lib_dir = std::string(SF_SOURCE_DIR) + "/scripts/lib";
  o.worker_path = SF_LUA_WORKER;
  o.plugin_dirs = {dir.path() + "/plugins"};
  o.history_bars = 300;
  o.max_series = 64;
  return o;
}

// A deterministic random-walk daily series of n bars ending at `end_day`.
inline market::BarSeries Walk(const std::string& symbol, int n, uint32_t seed = 1,
                              int64_t first_day = 18000) {
  market::BarSeries s;
  s.symbol = symbol;
  s.timeframe = market::Timeframe::k1d;
  double price = 100;
  uint32_t x = seed * 2654435761u + 1;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    const double r = (static_cast<double>(x >> 8) / 16777216.0 - 0.5) * 0.04;
    const double open = price;
    price = price * (1 + r);
    const double hi = std::max(open, price) * 1.01, lo = std::min(open, price) * 0.99;
    s.Append((first_day + i) * 86400LL * 1000000 + 21 * 3600LL * 1000000, open, hi, lo, price,
             1e6 + (x % 1000) * 1000);
  }
  return s;
}

inline market::BarSeries Sp500(const std::string& symbol) {
  auto s = LoadDailyCsv(std::string(SF_SP500_DIR) + "/daily/" + symbol + ".csv", symbol);
  if (!s.ok()) {
    fprintf(stderr, "%s\n", s.status().ToString().c_str());
    abort();
  }
  return std::move(*s);
}

// Children of this process that still exist (zombies included).
inline std::vector<int> ChildPids() {
  std::vector<int> out;
  const int me = getpid();
  for (const auto& de : fs::directory_iterator("/proc")) {
    const std::string name = de.path().filename().string();
    if (name.empty() || !isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream st(de.path() / "stat");
    std::string line;
    if (!std::getline(st, line)) continue;
    auto rp = line.rfind(')');
    if (rp == std::string::npos) continue;
    char state;
    int ppid;
    if (sscanf(line.c_str() + rp + 1, " %c %d", &state, &ppid) == 2 && ppid == me)
      out.push_back(std::stoi(name));
  }
  return out;
}

inline long RssKb() {
  std::ifstream st("/proc/self/status");
  std::string line;
  while (std::getline(st, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

inline int OpenFds() {
  int n = 0;
  for ([[maybe_unused]] const auto& de : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace sf::lua::testing

#endif  // SF_TESTS_LUA_TEST_UTIL_H_
