// At-least-once across an outage and a crash: the receiver is down while a
// worker process retries; the receiver comes back slow, and the worker is
// killed with SIGKILL while sends are in flight; a second worker takes over
// the expired leases. Every delivery must arrive at least once, each
// duplicate with the same webhook-id and body, every request correctly
// signed, and nothing may be left pending, failed, dead or leased.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <thread>

#include "notify_support.h"
#include "store/alerts_repository.h"
#include "store/deliveries_repository.h"
#include "store/signals_repository.h"
#include "support/pg_cluster.h"

#ifndef SF_NOTIFY_WORKER
#error "SF_NOTIFY_WORKER must name the notify_worker program"
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

TEST(Outage, EveryDeliveryArrivesAtLeastOnceAcrossOutageAndKill9) {
  std::string conninfo = sf::testing::PgCluster::Shared().CreateMigratedDatabase("outage");
  auto pool_or = store::Pool::Create({.conninfo = conninfo, .size = 4});
  ASSERT_TRUE(pool_or.ok()) << pool_or.status().ToString();
  store::Pool& pool = **pool_or;
  const uint16_t port = FreePort();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  int64_t user = MakeUser(pool, "ops@example.com");
  int64_t version = MakeStrategy(pool, "mean_reversion", {"AAPL"});
  store::AlertsRepository alerts(&pool);
  std::map<std::string, std::string> secret_of_path;
  constexpr int kRules = 40, kSignals = 5;
  for (int i = 0; i < kRules; ++i) {
    store::NewAlertSubscription n;
    n.channel = "webhook";
    n.destination = base + "/r" + std::to_string(i);
    auto sub = alerts.Create(user, n);
    ASSERT_TRUE(sub.ok()) << sub.status().ToString();
    secret_of_path["/r" + std::to_string(i)] = *sub->secret;
  }
  // The outbox rows the engine would write with each signal.
  std::set<std::string> expected;
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

  nlohmann::json settings = {
      {"threads", 8},
      {"max_per_destination", 8},
      {"lease_ms", 1500},
      {"poll_ms", 50},
      {"jitter", 0.1},
      {"retry_schedule_s", nlohmann::json::array()},
      {"channels", {{"webhook", {{"allow_networks", {"127.0.0.1/32"}}, {"timeout_ms", 2000}}}}}};
  settings["retry_schedule_s"].push_back(0);
  for (int i = 0; i < 45; ++i) settings["retry_schedule_s"].push_back(0.3);
  const std::vector<std::string> argv = {SF_NOTIFY_WORKER, conninfo,
                                         std::string(SF_PLUGIN_DIR) + "/notifiers.so",
                                         settings.dump()};

  // 1. The endpoint is down: the first worker fails and reschedules.
  auto first = std::make_unique<Child>(argv);
  ASSERT_TRUE(WaitReady(*first));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (QueryInt(pool, "SELECT count(*) FROM delivery_attempts WHERE outcome = 'failed'") <
             kRules * kSignals &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(50));
  EXPECT_GE(QueryInt(pool, "SELECT count(*) FROM delivery_attempts WHERE outcome = 'failed'"),
            kRules * kSignals);
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
  store::DeliveriesRepository repo(&pool);
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    auto n = repo.CountUnfinished();
    if (n.ok() && *n == 0) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  second.Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(second.Wait()));
  receiver.Stop();

  EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE status = 'sent'"),
            kRules * kSignals);
  EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE status <> 'sent'"), 0);
  EXPECT_EQ(QueryInt(pool, "SELECT count(*) FROM deliveries WHERE lease_owner IS NOT NULL"), 0);

  std::map<std::string, std::vector<Received>> by_id;
  for (const auto& r : receiver.received()) by_id[r.headers.at("webhook-id")].push_back(r);
  int duplicates = 0;
  for (const auto& id : expected) {
    auto it = by_id.find(id);
    ASSERT_NE(it, by_id.end()) << "delivery " << id << " never arrived";
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
  // The kill hit requests in flight (150 ms each, 8 at a time): they were
  // received but never marked sent, so they came again with the same id.
  EXPECT_GT(leased, 0);
  EXPECT_GT(duplicates, 0);
  std::cout << "[outage] " << expected.size() << " deliveries, " << duplicates
            << " duplicates after kill -9, " << leased << " leases taken over\n";
}

}  // namespace
}  // namespace sf::notify::test
