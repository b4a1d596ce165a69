// At-least-once across an outage and a crash, twice:
//  1. a worker process (notify_worker) retries while the receiver is down;
//     the receiver comes back slow, the worker is killed with SIGKILL while
//     sends are in flight, and a second worker takes over the leases;
//  2. a real `signalforge serve` (store + notify services, notify config
//     from its config file) is killed with SIGKILL while the receiver is
//     down, the receiver comes back, and a restarted serve delivers.
// Every delivery must arrive at least once, each duplicate with the same
// webhook-id and body, every request correctly signed, and nothing may be
// left pending, failed, dead or leased.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "notify_support.h"
#include "store/alerts_repository.h"
#include "store/deliveries_repository.h"
#include "store/signals_repository.h"
#include "support/pg_cluster.h"

#if !defined(SF_NOTIFY_WORKER) || !defined(SF_SIGNALFORGE) || !defined(SF_SOURCE_DIR)
#error "SF_NOTIFY_WORKER, SF_SIGNALFORGE and SF_SOURCE_DIR must be defined by CMake"
#endif

namespace sf::notify::test {
namespace {

using std::chrono::milliseconds;

// Skips log lines until the worker says "ready <id>".
bool WaitReady(Child& worker) {
  for (int i = 0; i < 50; ++i) {
    std::string line = worker.ReadLine(std::chrono::seconds(30));
    if (line.rfind("ready ", 0) == 0) return true;
    if (line.empty()) return false;
  }
  return false;
}

// 40 webhook rules x 5 signals committed with their outbox rows, to
// http://127.0.0.1:<port>/r<i>.
struct OutageLoad {
  std::set<std::string> expected;                    // webhook-ids
  std::map<std::string, std::string> secret_of_path;  // "/r7" -> its secret
  static constexpr int kRules = 40, kSignals = 5;
  std::string conninfo;
  std::unique_ptr<store::Pool> pool;
  uint16_t port = 0;  // the receiver's, down for now

  // A fresh database with the load enqueued.
  void Prepare(const std::string& prefix) {
    conninfo = sf::testing::PgCluster::Shared().CreateMigratedDatabase(prefix);
    auto pool_or = store::Pool::Create({.conninfo = conninfo, .size = 4});
    ASSERT_TRUE(pool_or.ok()) << pool_or.status().ToString();
    pool = std::move(*pool_or);
    port = FreePort();
    Enqueue(*pool, "http://127.0.0.1:" + std::to_string(port));
  }

  void Enqueue(store::Pool& pool, const std::string& base) {
    int64_t user = MakeUser(pool, "ops@example.com");
    int64_t version = MakeStrategy(pool, "mean_reversion", {"AAPL"});
    store::AlertsRepository alerts(&pool);
    for (int i = 0; i < kRules; ++i) {
      store::NewAlertSubscription n;
      n.channel = "webhook";
      n.destination = base + "/r" + std::to_string(i);
      auto sub = alerts.Create(user, n);
      ASSERT_TRUE(sub.ok()) << sub.status().ToString();
      secret_of_path["/r" + std::to_string(i)] = *sub->secret;
    }
    store::SignalsRepository signals(&pool);
    for (int s = 0; s < kSignals; ++s) {
      auto subs = alerts.List(user);
      std::vector<store::OutboxItem> items;
      for (const auto& sub : *subs) {
        store::OutboxItem item;
        item.subscription_id = sub.id;
        item.channel = "webhook";
        item.destination = sub.destination;
        item.payload = {{"symbol", "AAPL"}, {"n", s}};
        items.push_back(item);
      }
      auto res = signals.InsertSignalWithOutbox(MakeSignal(version, "AAPL", s), items);
      ASSERT_TRUE(res.ok()) << res.status().ToString();
      for (const auto& sub : *subs)
        expected.insert(res->signal_id + ":signal.created:" + std::to_string(sub.id));
    }
    ASSERT_EQ(expected.size(), static_cast<size_t>(kRules * kSignals));
  }

  // The notify settings both tests run with: quick retries, short leases.
  static nlohmann::json Settings() {
    nlohmann::json settings = {
        {"threads", 8},
        {"max_per_destination", 8},
        {"lease_ms", 1500},
        {"poll_ms", 50},
        {"jitter", 0.1},
        {"retry_schedule_s", nlohmann::json::array()},
        {"channels",
         {{"webhook", {{"allow_networks", {"127.0.0.1/32"}}, {"timeout_ms", 2000}}}}}};
    settings["retry_schedule_s"].push_back(0);
    for (int i = 0; i < 45; ++i) settings["retry_schedule_s"].push_back(0.3);
    return settings;
  }

  static void WaitFailedAttempts(store::Pool& pool, int64_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (QueryInt(pool, "SELECT count(*) FROM delivery_attempts WHERE outcome = 'failed'") < n &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(50));
    EXPECT_GE(QueryInt(pool, "SELECT count(*) FROM delivery_attempts WHERE outcome = 'failed'"), n);
  }

  static void WaitDrained(store::Pool& pool) {
    store::DeliveriesRepository repo(&pool);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
      auto n = repo.CountUnfinished();
      if (n.ok() && *n == 0) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  // Checks the outbox and what the receiver got; returns the duplicates.
  int Verify(store::Pool& pool, const Receiver& receiver) const {
    EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE status = 'sent'"),
              kRules * kSignals);
    EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE status <> 'sent'"), 0);
    EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE lease_owner IS NOT NULL"), 0);
    std::map<std::string, std::vector<Received>> by_id;
    for (const auto& r : receiver.received()) by_id[r.headers.at("webhook-id")].push_back(r);
    int duplicates = 0;
    for (const auto& id : expected) {
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        ADD_FAILURE() << "delivery " << id << " never arrived";
        continue;
      }
      const auto& copies = it->second;
      duplicates += static_cast<int>(copies.size()) - 1;
      for (const auto& r : copies) {
        EXPECT_EQ(r.body, copies[0].body) << "a duplicate of " << id << " differs";
        EXPECT_EQ(r.path, copies[0].path);
        std::string why;
        EXPECT_TRUE(VerifyStandardWebhook(secret_of_path.at(r.path), id,
                                          r.headers.at("webhook-timestamp"),
                                          r.headers.at("webhook-signature"), r.body,
                                          std::stoll(r.headers.at("webhook-timestamp")), &why))
            << why;
      }
    }
    EXPECT_EQ(by_id.size(), expected.size()) << "requests with an id that was never enqueued";
    return duplicates;
  }
};

TEST(Outage, EveryDeliveryArrivesAtLeastOnceAcrossOutageAndKill9) {
  OutageLoad load;
  ASSERT_NO_FATAL_FAILURE(load.Prepare("outage"));
  store::Pool& pool = *load.pool;
  const std::string& conninfo = load.conninfo;
  const uint16_t port = load.port;
  const std::vector<std::string> argv = {SF_NOTIFY_WORKER, conninfo,
                                         std::string(SF_PLUGIN_DIR) + "/notifiers.so",
                                         OutageLoad::Settings().dump()};

  // 1. The endpoint is down: the first worker fails and reschedules.
  auto first = std::make_unique<Child>(argv);
  ASSERT_TRUE(WaitReady(*first));
  OutageLoad::WaitFailedAttempts(pool, load.expected.size());
  EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE status = 'sent'"), 0);

  // 2. The endpoint comes back, slowly; kill -9 the worker mid-flight.
  Receiver receiver([](const Received&) { return Reply{200, "ok", {}, milliseconds(150)}; }, port,
                    32);
  ASSERT_TRUE(receiver.WaitFor(40, milliseconds(30000)));
  first->Signal(SIGKILL);
  first->Wait();
  const int64_t leased = QueryInt(
      pool, "SELECT count(*) FROM deliveries WHERE lease_until > now() AND status <> 'sent'");

  // 3. A second worker takes over once the leases expire.
  Child second(argv);
  ASSERT_TRUE(WaitReady(second));
  OutageLoad::WaitDrained(pool);
  second.Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(second.Wait()));
  receiver.Stop();
  int duplicates = load.Verify(pool, receiver);
  // The kill hit requests in flight (150 ms each, 8 at a time): they were
  // received but never marked sent, so they came again with the same id.
  EXPECT_GT(leased, 0);
  EXPECT_GT(duplicates, 0);
  std::cout << "[outage] " << load.expected.size() << " deliveries, " << duplicates
            << " duplicates after kill -9, " << leased << " leases taken over\n";
}

// Skips log lines until serve says "signalforge listening on ...".
bool WaitListening(Child& serve) {
  for (int i = 0; i < 200; ++i) {
    std::string line = serve.ReadLine(std::chrono::seconds(60));
    if (line.find("signalforge listening on") != std::string::npos) return true;
    if (line.empty()) return false;
  }
  return false;
}

TEST(Outage, KillNineOfServeWhileTheReceiverIsDownLosesNothing) {
  OutageLoad load;
  ASSERT_NO_FATAL_FAILURE(load.Prepare("serveout"));
  store::Pool& pool = *load.pool;
  const std::string& conninfo = load.conninfo;
  const uint16_t port = load.port;

  // serve with the store and notify services on the test database; the
  // market feed and the engine stay off so only notify touches the outbox.
  char dir_template[] = "/tmp/sf-serve-outage-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  nlohmann::json cfg = {{"http", {{"host", "127.0.0.1"}, {"port", 0}, {"threads", 2}}},
                        {"plugins", {{"directories", {SF_PLUGIN_DIR}}}},
                        {"database", {{"url", conninfo}}},
                        {"market", {{"live", {{"enabled", false}}}}},
                        {"engine", {{"enabled", false}}},
                        {"notify", OutageLoad::Settings()}};
  const std::string config = dir + "/serve.json";
  {
    std::ofstream out(config);
    out << cfg.dump(2);
  }
  // From the source folder, where serve finds config/calendars; exec keeps
  // the pid, so the SIGKILL hits serve itself.
  const std::vector<std::string> argv = {
      "/bin/sh", "-c",
      std::string("cd '") + SF_SOURCE_DIR + "' && exec '" + SF_SIGNALFORGE + "' serve --config '" +
          config + "'"};

  // 1. The endpoint is down: serve's worker fails and reschedules; then
  //    serve is killed with SIGKILL, holding leases on rows mid-retry.
  auto first = std::make_unique<Child>(argv);
  ASSERT_TRUE(WaitListening(*first)) << "serve did not start";
  OutageLoad::WaitFailedAttempts(pool, load.expected.size());
  EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE status = 'sent'"), 0);
  first->Signal(SIGKILL);
  int status = first->Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE status <> 'pending'"
                           " AND status <> 'failed'"),
            0);

  // 2. The endpoint comes back; a restarted serve delivers everything,
  //    taking over the dead instance's leases once they expire.
  Receiver receiver(nullptr, port, 32);
  Child second(argv);
  ASSERT_TRUE(WaitListening(second)) << "serve did not restart";
  OutageLoad::WaitDrained(pool);
  second.Signal(SIGTERM);
  status = second.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "serve exit status " << status;
  receiver.Stop();
  int duplicates = load.Verify(pool, receiver);
  std::cout << "[serve outage] " << load.expected.size() << " deliveries after kill -9 of serve, "
            << duplicates << " duplicates\n";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sf::notify::test
