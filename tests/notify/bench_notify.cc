// bench-notify: alert delivery speed on loopback, against a throwaway
// PostgreSQL cluster, the real notifier plugin and a local HTTP receiver.
//
//  1. Latency: 1,000 webhook rules exist (filtered by symbol across 100
//     symbols, so each signal reaches 10 of them); signals are committed
//     one after another with their outbox rows, and each webhook's arrival
//     is timed from the commit. Reports p50/p99 (target p99 <= 100 ms).
//     Also the same with one signal reaching all 1,000 rules at once.
//  2. Fan-out: one signal to 10,000 webhook rules, commit -> last webhook
//     received (target <= 10 s).
// The machine is shared: figures are wall clock of one run.
#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>

#include "notify/alert_router.h"
#include "notify/delivery_worker.h"
#include "notify_support.h"
#include "store/listener.h"
#include "store/signals_repository.h"
#include "support/pg_cluster.h"

namespace {

using namespace sf;
using namespace sf::notify::test;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Env {
  std::unique_ptr<store::Pool> pool;
  std::string conninfo;
  int64_t version = 0;
  int64_t user = 0;
};

Env MakeEnv(const std::string& prefix, const std::vector<std::string>& symbols) {
  Env e;
  e.conninfo = sf::testing::PgCluster::Shared().CreateMigratedDatabase(prefix);
  auto pool = store::Pool::Create({.conninfo = e.conninfo, .size = 24});
  if (!pool.ok()) {
    std::fprintf(stderr, "pool: %s\n", pool.status().ToString().c_str());
    std::exit(1);
  }
  e.pool = std::move(*pool);
  e.version = MakeStrategy(*e.pool, "mean_reversion", symbols);
  e.user = MakeUser(*e.pool, prefix + "@example.com");
  return e;
}

// Inserts `n` webhook rules in one statement; rule i filters on symbol
// symbols[i % symbols.size()] when `filtered`.
void AddRules(Env& e, int n, const std::string& url, const std::vector<std::string>& symbols,
              bool filtered) {
  auto c = e.pool->Acquire();
  auto r = (*c)->Exec(
      "INSERT INTO alert_subscriptions (user_id, channel, destination, secret, filters)"
      " SELECT $1, 'webhook', $2 || '/' || g, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',"
      "  CASE WHEN $4 THEN jsonb_build_object('symbols', jsonb_build_array(($5::jsonb)->>(g % $6)))"
      "  ELSE '{}'::jsonb END"
      " FROM generate_series(0, $3 - 1) g",
      store::Params().Add(e.user).Add(url).Add(n).Add(filtered)
          .Add(nlohmann::json(symbols).dump()).Add(static_cast<int>(symbols.size())));
  if (!r.ok()) {
    std::fprintf(stderr, "rules: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
}

struct Running {
  std::unique_ptr<notify::ChannelSet> channels;
  std::unique_ptr<notify::DeliveryWorker> worker;
  std::unique_ptr<store::Listener> listener;
  notify::NotifySettings settings;
};

Running StartWorker(Env& e, int threads) {
  Running r;
  auto s = notify::ParseNotifySettings({{"threads", threads},
                                        {"max_per_destination", threads},
                                        {"batch", 256},
                                        {"poll_ms", 1000}});
  r.settings = *s;
  r.channels = notify::ChannelSet::Create(
      &NotifierRegistry(), {{"webhook", {{"allow_networks", {"127.0.0.1/32"}}}}}, nullptr);
  r.worker = std::make_unique<notify::DeliveryWorker>(e.pool.get(), r.channels.get(), r.settings);
  r.worker->Start();
  notify::DeliveryWorker* w = r.worker.get();
  r.listener = std::make_unique<store::Listener>(
      e.conninfo, std::vector<std::string>{store::kOutboxChannel},
      [w](const store::Notification&) { w->Wake(); });
  (void)r.listener->Start();
  return r;
}

// Commits signal `day` for `symbol`; returns the commit time.
Clock::time_point CommitSignal(Env& e, const notify::AlertRouter& router, const std::string& symbol,
                               int day, size_t* rows) {
  auto signal = MakeSignal(e.version, symbol, day);
  auto outbox = router.ForNewSignal(signal, "mean_reversion", NowSeconds() * 1'000'000);
  store::SignalsRepository signals(e.pool.get());
  auto res = signals.InsertSignalWithOutbox(signal, *outbox);
  if (!res.ok()) {
    std::fprintf(stderr, "signal: %s\n", res.status().ToString().c_str());
    std::exit(1);
  }
  *rows = outbox->size();
  return Clock::now();
}

void Latency(int rules, bool filtered, int signal_count) {
  std::vector<std::string> symbols;
  for (int i = 0; i < 100; ++i) symbols.push_back("S" + std::to_string(i));
  Env e = MakeEnv(filtered ? "latf" : "lata", symbols);
  Receiver receiver(nullptr, 0, 32);
  AddRules(e, rules, receiver.url("/h"), symbols, filtered);
  Running run = StartWorker(e, 16);
  notify::AlertRouter router(e.pool.get(), run.channels.get(), run.settings);
  std::vector<double> lat;
  size_t expected = 0;
  double route_ms = 0;
  for (int s = 0; s < signal_count; ++s) {
    size_t rows = 0;
    auto before = Clock::now();
    auto committed = CommitSignal(e, router, symbols[s % symbols.size()], s, &rows);
    route_ms += Ms(committed - before);
    expected += rows;
    if (!receiver.WaitFor(expected, std::chrono::seconds(60))) {
      std::fprintf(stderr, "timed out waiting for deliveries\n");
      std::exit(1);
    }
    auto got = receiver.received();
    for (size_t i = expected - rows; i < got.size(); ++i) lat.push_back(Ms(got[i].at - committed));
  }
  std::printf(
      "latency  rules=%d  %s  signals=%d  deliveries=%zu  commit->received p50=%.1f ms  "
      "p99=%.1f ms  max=%.1f ms  (route+commit avg %.1f ms)\n",
      rules, filtered ? "each signal -> 10 rules" : "each signal -> every rule", signal_count,
      lat.size(), Percentile(lat, 0.5), Percentile(lat, 0.99), Percentile(lat, 1.0),
      route_ms / signal_count);
  run.listener->Stop();
  run.worker->Stop();
}

void FanOut(int rules) {
  Env e = MakeEnv("fan", {"AAPL"});
  Receiver receiver(nullptr, 0, 48);
  AddRules(e, rules, receiver.url("/h"), {"AAPL"}, false);
  Running run = StartWorker(e, 32);
  notify::AlertRouter router(e.pool.get(), run.channels.get(), run.settings);
  size_t rows = 0;
  auto start = Clock::now();
  auto committed = CommitSignal(e, router, "AAPL", 1, &rows);
  if (!receiver.WaitFor(rows, std::chrono::seconds(120))) {
    std::fprintf(stderr, "fan-out: only %zu of %zu arrived\n", receiver.count(), rows);
    std::exit(1);
  }
  auto last = Clock::now();
  std::printf(
      "fan-out  rules=%d  route+commit %.0f ms, commit -> last webhook received %.0f ms  "
      "(%.0f deliveries/s)\n",
      rules, Ms(committed - start), Ms(last - committed),
      static_cast<double>(rows) / (Ms(last - committed) / 1000.0));
  run.listener->Stop();
  run.worker->Stop();
  auto st = run.worker->stats();
  std::printf(
      "fan-out  split (thread-ms, summed over threads): claim %lld (dispatcher), send %lld "
      "(%d senders), record %lld in %lld batches (recorder); receiver saw %d connections\n",
      static_cast<long long>(st.claim_ms), static_cast<long long>(st.send_ms), run.settings.threads,
      static_cast<long long>(st.record_ms), static_cast<long long>(st.record_batches),
      receiver.connections());
}

}  // namespace

// bench_notify [latency|fanout]: both parts when no argument.
int main(int argc, char** argv) {
  std::string only = argc > 1 ? argv[1] : "";
  if (only.empty() || only == "latency") {
    Latency(1000, true, 100);
    Latency(1000, false, 3);
  }
  if (only.empty() || only == "fanout") FanOut(10000);
  return 0;
}
