// bench-market: (1) load + adjust the whole S&P 500 CSV set into memory
// through the real csv plugin, timed, with the peak RSS of a separate
// process (getrusage of the child) against a baseline child that only loads
// the plugins; (2) the synthetic generator's bars per second (1m and 1d).
//
// Usage: bench_market [--child csv|baseline]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "market/bar_sink.h"
#include "market/calendar.h"
#include "plugins/loader.h"
#include "plugins/plugin_call.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// What the host keeps per symbol: the adjusted series (end times) and the
// factor, from which raw prices are recovered (raw = adjusted / factor).
struct Held {
  sf::market::BarSeries adjusted;
  std::vector<double> factor;
};

int Child(const std::string& what) {
  sf::plugins::Registry registry;
  sf::plugins::Loader loader(registry);
  auto res = loader.LoadFile(SF_PLUGIN_DIR "/sf_csv.so");
  if (!res.loaded) {
    std::fprintf(stderr, "cannot load csv plugin: %s\n", res.reason.c_str());
    return 1;
  }
  auto cal = sf::market::TradingCalendar::LoadFile(SF_CALENDAR_DIR "/nyse.json");
  if (!cal.ok()) return 1;
  auto inst = sf::plugins::ProviderInstance::Create(*registry.FindProvider("csv"),
                                                    R"({"path":")" SF_SP500_DIR R"(/daily"})");
  if (!inst.ok()) return 1;
  if (what == "baseline") {
    std::printf("{\"bars\":0}\n");
    return 0;
  }
  std::vector<Held> held;
  held.reserve(512);
  int64_t bars = 0;
  const auto t0 = Clock::now();
  sf::market::BarSink sink("csv", [&](sf::market::ProviderBars&& b) -> sf::Status {
    sf::market::AssignBarEnds(&b, **cal);
    Held h;
    h.adjusted = b.Adjusted();
    h.factor = std::move(b.adj_factor);
    h.factor.shrink_to_fit();
    bars += static_cast<int64_t>(h.adjusted.size());
    held.push_back(std::move(h));
    return sf::Status::Ok();
  });
  sf_fetch_request req{};
  req.struct_size = sizeof(req);
  req.timeframe = "1d";
  sf::Status s = (*inst)->FetchBars(req, *sink.sink());
  const auto t1 = Clock::now();
  if (!s.ok()) return 1;
  std::printf("{\"bars\":%lld,\"symbols\":%zu,\"seconds\":%.3f,\"refused\":%zu}\n",
              static_cast<long long>(bars), held.size(), Seconds(t0, t1), sink.rejections().size());
  return 0;
}

// Runs this program as a child; returns its stdout and peak RSS in MB.
std::string RunChild(const char* self, const char* what, double* rss_mb, double* cpu_s) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    execl(self, self, "--child", what, static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  *rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  *cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return out;
}

void SyntheticRate(sf::plugins::Registry& registry, const char* tf, int64_t from, int64_t to, int symbols) {
  const std::string cfg = "{\"seed\":42,\"symbols\":" + std::to_string(symbols) + ",\"epoch\":\"2022-01-03\"}";
  auto inst = sf::plugins::ProviderInstance::Create(*registry.FindProvider("synthetic"), cfg);
  if (!inst.ok()) return;
  int64_t bars = 0;
  sf::market::BarSink sink("synthetic", [&](sf::market::ProviderBars&& b) -> sf::Status {
    bars += static_cast<int64_t>(b.size());
    return sf::Status::Ok();
  });
  sf_fetch_request req{};
  req.struct_size = sizeof(req);
  req.timeframe = tf;
  req.from_us = from;
  req.to_us = to;
  const auto t0 = Clock::now();
  sf::Status s = (*inst)->FetchBars(req, *sink.sink());
  const double secs = Seconds(t0, Clock::now());
  std::printf("synthetic %s: %lld bars in %.3f s = %.0f bars/s (%d symbols)%s\n", tf,
              static_cast<long long>(bars), secs, bars / secs, symbols, s.ok() ? "" : " FAILED");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--child") == 0) return Child(argv[2]);
  // Wall time suffers on a shared machine; CPU time (user + sys of the
  // child) is what the one-core target is about. The baseline child loads
  // the plugin and does nothing else.
  double base_rss = 0, rss = 0, base_cpu = 0, cpu = 0;
  std::string base = RunChild(argv[0], "baseline", &base_rss, &base_cpu);
  std::string out = RunChild(argv[0], "csv", &rss, &cpu);
  std::printf("csv load+adjust S&P 500: %s", out.c_str());
  std::printf("  CPU %.2f s (baseline %.2f s); peak RSS %.1f MB (baseline process %.1f MB, data %.1f MB)\n",
              cpu, base_cpu, rss, base_rss, rss - base_rss);

  sf::plugins::Registry registry;
  sf::plugins::Loader loader(registry);
  auto res = loader.LoadFile(SF_PLUGIN_DIR "/sf_synthetic.so");
  if (!res.loaded) {
    std::fprintf(stderr, "cannot load synthetic plugin: %s\n", res.reason.c_str());
    return 1;
  }
  constexpr int64_t kDay = 86'400'000'000;
  const int64_t mar1 = 19052 * kDay;  // 2022-03-01
  SyntheticRate(registry, "1m", mar1, mar1 + 7 * kDay, 500);
  SyntheticRate(registry, "1d", mar1, mar1 + 365 * kDay, 500);
  return 0;
}
