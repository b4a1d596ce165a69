// Alert rules, the outbox and the delivery worker against a real throwaway
// PostgreSQL and a real HTTP receiver: signal + outbox in one transaction,
// filters / tiers / quiet hours, retries with backoff then dead-lettering,
// 410 disabling the rule, per-destination concurrency, lease takeover, and
// user scoping of the rule and delivery APIs.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "notify/alert_router.h"
#include "notify/delivery_worker.h"
#include "notify_support.h"
#include "store/alerts_repository.h"
#include "store/deliveries_repository.h"
#include "store/outbox_repository.h"
#include "support/pg_cluster.h"

namespace sf::notify::test {
namespace {

using std::chrono::milliseconds;

class NotifyDb : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pool = store::Pool::Create(
        {.conninfo = sf::testing::PgCluster::Shared().CreateMigratedDatabase("notify"),
         .size = 12});
    ASSERT_TRUE(pool.ok()) << pool.status().ToString();
    pool_ = std::move(*pool);
    version_ = MakeStrategy(*pool_, "mean_reversion", {"AAPL", "MSFT", "XOM"});
    nlohmann::json cfg = {{"webhook", {{"allow_networks", {"127.0.0.1/32"}}, {"timeout_ms", 5000}}}};
    channels_ = ChannelSet::Create(&NotifierRegistry(), cfg, nullptr);
    auto s = ParseNotifySettings({{"retry_schedule_s", {0, 0.1, 0.1}},
                                  {"jitter", 0},
                                  {"poll_ms", 50},
                                  {"lease_ms", 5000},
                                  {"threads", 4}});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    settings_ = *s;
  }

  store::AlertSubscription Rule(int64_t user, const std::string& url,
                                nlohmann::json filters = nlohmann::json::object(),
                                const std::string& channel = "webhook") {
    store::AlertsRepository alerts(pool_.get());
    store::NewAlertSubscription n;
    n.channel = channel;
    n.destination = url;
    n.filters = std::move(filters);
    auto sub = alerts.Create(user, n);
    EXPECT_TRUE(sub.ok()) << sub.status().ToString();
    return sub.ok() ? *sub : store::AlertSubscription{};
  }

  // Routes and commits one signal; returns its id.
  std::string Commit(const store::NewSignal& signal, int64_t now_us, int* rows = nullptr) {
    AlertRouter router(pool_.get(), channels_.get(), settings_);
    auto outbox = router.ForNewSignal(signal, "mean_reversion", now_us);
    EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
    store::SignalsRepository signals(pool_.get());
    auto res = signals.InsertSignalWithOutbox(signal, *outbox);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    if (rows) *rows = res.ok() ? res->outbox_rows : -1;
    return res.ok() ? res->signal_id : "";
  }

  bool WaitUnfinished(int64_t want, milliseconds timeout) {
    store::DeliveriesRepository repo(pool_.get());
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto n = repo.CountUnfinished();
      if (n.ok() && *n == want) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  int64_t Count(const std::string& sql) { return QueryInt(*pool_, sql); }

  std::unique_ptr<store::Pool> pool_;
  int64_t version_ = 0;
  std::unique_ptr<ChannelSet> channels_;
  NotifySettings settings_;
};

int64_t NowUs() { return NowSeconds() * 1'000'000; }

TEST_F(NotifyDb, SignalReachesMatchingRulesSignedAndOnlyThem) {
  Receiver receiver;
  int64_t alice = MakeUser(*pool_, "alice@example.com");
  int64_t bob = MakeUser(*pool_, "bob@example.com");
  int64_t free_user = MakeUser(*pool_, "free@example.com", "free");
  auto all = Rule(alice, receiver.url("/alice"));
  Rule(alice, receiver.url("/alice-msft"), {{"symbols", {"MSFT"}}});
  auto sure = Rule(bob, receiver.url("/bob"), {{"min_confidence", 0.7}, {"sides", {"buy"}},
                                               {"strategies", {"mean_reversion"}},
                                               {"sectors", {"technology"}}});
  Rule(bob, receiver.url("/bob-unsure"), {{"min_confidence", 0.9}});
  Rule(bob, receiver.url("/bob-sell"), {{"sides", {"sell"}}});
  Rule(bob, receiver.url("/bob-energy"), {{"sectors", {"Energy"}}});
  Rule(free_user, receiver.url("/free"));  // webhook is not in the free tier
  int64_t premium = MakeUser(*pool_, "premium@example.com", "premium");
  Rule(premium, receiver.url("/premium"));  // webhooks are pro (issue 8)
  int rows = 0;
  std::string signal_id = Commit(MakeSignal(version_, "AAPL", 1, "buy", 0.8), NowUs(), &rows);
  EXPECT_EQ(rows, 2);

  DeliveryWorker worker(pool_.get(), channels_.get(), settings_);
  worker.Start();
  ASSERT_TRUE(receiver.WaitFor(2, milliseconds(10000)));
  ASSERT_TRUE(WaitUnfinished(0, milliseconds(10000)));
  worker.Stop();
  std::set<std::string> paths;
  for (const auto& r : receiver.received()) {
    paths.insert(r.path);
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["type"], "signal.created");
    EXPECT_EQ(body["data"]["signal_id"], signal_id);
    EXPECT_EQ(body["data"]["symbol"], "AAPL");
    EXPECT_EQ(body["data"]["strategy"], "mean_reversion");
    EXPECT_DOUBLE_EQ(body["data"]["target_price"].get<double>(), 195.0);
    const std::string& secret = r.path == "/alice" ? *all.secret : *sure.secret;
    std::string why;
    EXPECT_TRUE(VerifyStandardWebhook(secret, r.headers.at("webhook-id"),
                                      r.headers.at("webhook-timestamp"),
                                      r.headers.at("webhook-signature"), r.body, NowSeconds(), &why))
        << why;
    EXPECT_EQ(r.headers.at("webhook-id"),
              signal_id + ":signal.created:" + std::to_string(r.path == "/alice" ? all.id : sure.id));
  }
  EXPECT_EQ(paths, (std::set<std::string>{"/alice", "/bob"}));
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE status = 'sent'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM delivery_attempts WHERE outcome = 'sent' AND http_status = 200"), 2);
  EXPECT_EQ(worker.stats().sent, 2);
}

TEST_F(NotifyDb, QuietHoursHoldAlertsUntilTheyEndThenSendThem) {
  Receiver receiver;
  int64_t ny = MakeUser(*pool_, "ny@example.com", "pro", "America/New_York");
  store::AlertsRepository alerts(pool_.get());
  store::NewAlertSubscription n;
  n.channel = "webhook";
  n.destination = receiver.url("/quiet");
  n.quiet_hours_start = "22:00";
  n.quiet_hours_end = "07:00";
  ASSERT_TRUE(alerts.Create(ny, n).ok());
  // 2026-03-08 (DST starts at 02:00 in New York): quiet hours end at 07:00
  // EDT = 11:00:00 UTC. 10:59:30 UTC is inside, 30 s before the end.
  const int64_t kEnd = 1'772'967'600'000'000LL;
  const int64_t kBefore = 1'772'967'570'000'000LL;
  // An alert inside quiet hours is not dropped: it gets its outbox row.
  int rows = 0;
  Commit(MakeSignal(version_, "AAPL", 2), kBefore, &rows);
  ASSERT_EQ(rows, 1);
  const int64_t id = Count("SELECT id FROM deliveries");
  std::atomic<int64_t> now{kBefore};
  DeliveryWorker worker(pool_.get(), channels_.get(), settings_);  // driven by hand
  worker.SetClock([&] { return now.load(); });
  auto held_until = [&] {
    return Count("SELECT (extract(epoch FROM next_attempt_at) * 1000000)::bigint FROM deliveries");
  };
  EXPECT_EQ(worker.DeliverNow(id).code(), SF_ERR_UNAVAILABLE);
  EXPECT_EQ(held_until(), kEnd);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE status = 'pending' AND attempts = 0"
                  " AND lease_owner IS NULL AND last_error LIKE 'held: quiet hours%'"),
            1);
  now = kEnd - 1'000'000;  // one second before the end: still held
  EXPECT_EQ(worker.DeliverNow(id).code(), SF_ERR_UNAVAILABLE);
  EXPECT_EQ(held_until(), kEnd);
  EXPECT_EQ(receiver.count(), 0u);
  EXPECT_EQ(Count("SELECT count(*) FROM delivery_attempts"), 0);
  now = kEnd;  // the end: sent, as the first attempt
  ASSERT_TRUE(worker.DeliverNow(id).ok());
  ASSERT_EQ(receiver.count(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE status = 'sent' AND attempts = 1"), 1);
  EXPECT_EQ(worker.stats().held, 2);

  // The end across the DST change: 23:30 EST on the 7th -> 07:00 EDT.
  EXPECT_EQ(AlertRouter::QuietHoursEnd("22:00", "07:00", "America/New_York",
                                       1'772'944'200'000'000LL),
            kEnd);
  EXPECT_FALSE(AlertRouter::QuietHoursEnd("22:00", "07:00", "America/New_York", kEnd));
  // 2026-01-05 14:30 UTC = 23:30 in Tokyo: ends 07:00 JST = 22:00 UTC.
  EXPECT_EQ(AlertRouter::QuietHoursEnd("22:00", "07:00", "Asia/Tokyo", 1'767'623'400'000'000LL),
            1'767'623'400'000'000LL + 27'000'000'000LL);  // 7.5 h later
  EXPECT_TRUE(AlertRouter::InQuietHours("09:00", "17:00", "America/New_York",
                                        1'767'637'800'000'000LL));  // 2026-01-05 13:30 EST
  EXPECT_FALSE(AlertRouter::InQuietHours("09:00", "17:00", "UTC", 1'767'637'800'000'000LL + 4 * 3'600'000'000LL));
}

TEST_F(NotifyDb, TheRunningWorkerHoldsARowDueInQuietHours) {
  Receiver receiver;
  int64_t user = MakeUser(*pool_, "night@example.com", "pro", "UTC");
  // Quiet from an hour ago to an hour from now (UTC), whatever the time.
  auto hhmm = [](int64_t s) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(s / 3600 % 24),
                  static_cast<int>(s / 60 % 60));
    return std::string(buf);
  };
  store::AlertsRepository alerts(pool_.get());
  store::NewAlertSubscription n;
  n.channel = "webhook";
  n.destination = receiver.url("/night");
  n.quiet_hours_start = hhmm(NowSeconds() - 3600);
  n.quiet_hours_end = hhmm(NowSeconds() + 3600);
  ASSERT_TRUE(alerts.Create(user, n).ok());
  Commit(MakeSignal(version_, "AAPL", 3), NowUs());
  DeliveryWorker worker(pool_.get(), channels_.get(), settings_);
  worker.Start();
  auto deadline = std::chrono::steady_clock::now() + milliseconds(10000);
  while (worker.stats().held < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(20));
  std::this_thread::sleep_for(milliseconds(300));
  worker.Stop();
  EXPECT_EQ(worker.stats().held, 1);
  EXPECT_EQ(receiver.count(), 0u);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE status = 'pending' AND attempts = 0"
                  " AND next_attempt_at > now() + interval '55 minutes'"),
            1);
}

TEST_F(NotifyDb, FailuresBackOffThenDeadLetterWithEveryAttemptRecorded) {
  Receiver receiver([](const Received&) { return Reply{503, "down", {}, milliseconds(0)}; });
  int64_t user = MakeUser(*pool_, "carol@example.com");
  auto rule = Rule(user, receiver.url("/down"));
  Commit(MakeSignal(version_, "MSFT", 3), NowUs());
  DeliveryWorker worker(pool_.get(), channels_.get(), settings_);
  auto start = std::chrono::steady_clock::now();
  worker.Start();
  ASSERT_TRUE(WaitUnfinished(0, milliseconds(15000)));
  worker.Stop();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(200)) << "the 0.1 s waits between attempts were not kept";
  EXPECT_EQ(receiver.count(), 3u);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE status = 'dead' AND attempts = 3"), 1);
  auto received = receiver.received();
  for (size_t i = 1; i < received.size(); ++i) {
    EXPECT_GE(received[i].at - received[i - 1].at, milliseconds(90));
    EXPECT_EQ(received[i].headers.at("webhook-id"), received[0].headers.at("webhook-id"));
  }
  // The owner sees the dead delivery and its three attempts; nobody else does.
  store::AlertsRepository alerts(pool_.get());
  auto mine = alerts.ListDeliveries(user, {.subscription_id = rule.id});
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].status, "dead");
  EXPECT_NE((*mine)[0].last_error.value_or("").find("gave up after 3 attempts"), std::string::npos)
      << (*mine)[0].last_error.value_or("");
  auto attempts = alerts.ListAttempts(user, (*mine)[0].id);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 3u);
  EXPECT_EQ((*attempts)[0].outcome, "failed");
  EXPECT_EQ((*attempts)[2].outcome, "dead");
  for (const auto& a : *attempts) {
    EXPECT_EQ(a.http_status.value_or(0), 503);
    EXPECT_TRUE(a.latency_ms.has_value());
  }
  int64_t other = MakeUser(*pool_, "mallory@example.com");
  EXPECT_EQ(alerts.ListAttempts(other, (*mine)[0].id).status().code(), SF_ERR_NOT_FOUND);
  EXPECT_TRUE(alerts.ListDeliveries(other)->empty());
}

TEST_F(NotifyDb, RetryAfterIsHonouredAndTheRetrySucceeds) {
  std::atomic<int> calls{0};
  Receiver receiver([&](const Received&) {
    Reply r;
    if (calls++ == 0) {
      r.status = 429;
      r.headers["Retry-After"] = "1";
    }
    return r;
  });
  int64_t user = MakeUser(*pool_, "dan@example.com");
  Rule(user, receiver.url("/limited"));
  Commit(MakeSignal(version_, "MSFT", 4), NowUs());
  DeliveryWorker worker(pool_.get(), channels_.get(), settings_);
  worker.Start();
  ASSERT_TRUE(WaitUnfinished(0, milliseconds(15000)));
  worker.Stop();
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_GE(got[1].at - got[0].at, milliseconds(900)) << "Retry-After: 1 was not honoured";
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE status = 'sent' AND attempts = 2"), 1);
}

TEST_F(NotifyDb, GoneDisablesTheRuleAndLaterDeliveriesAreNotSent) {
  Receiver receiver([](const Received&) { return Reply{410, "gone", {}, milliseconds(0)}; });
  int64_t user = MakeUser(*pool_, "erin@example.com");
  auto rule = Rule(user, receiver.url("/gone"));
  Commit(MakeSignal(version_, "AAPL", 5), NowUs());
  DeliveryWorker worker(pool_.get(), channels_.get(), settings_);
  worker.Start();
  ASSERT_TRUE(WaitUnfinished(0, milliseconds(10000)));
  store::AlertsRepository alerts(pool_.get());
  auto after = alerts.Get(user, rule.id);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->active);
  EXPECT_NE(after->disabled_reason.value_or("").find("410"), std::string::npos)
      << after->disabled_reason.value_or("");
  // A row written before the rule was switched off is dead without an attempt.
  store::OutboxRepository outbox(pool_.get());
  ASSERT_TRUE(outbox.Enqueue({{"late-1", "signal.created", std::nullopt, rule.id, "webhook",
                               rule.destination, {{"x", 1}}}})
                  .ok());
  worker.Wake();
  ASSERT_TRUE(WaitUnfinished(0, milliseconds(10000)));
  worker.Stop();
  EXPECT_EQ(receiver.count(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE idempotency_key = 'late-1' AND status = 'dead'"), 1);
  // No new rows for a disabled rule.
  AlertRouter router(pool_.get(), channels_.get(), settings_);
  EXPECT_TRUE(router.ForNewSignal(MakeSignal(version_, "AAPL", 6), "mean_reversion", NowUs())->empty());
}

TEST_F(NotifyDb, ASlowEndpointDoesNotHoldUpTheOthers) {
  // Two endpoints (destination = channel + host:port): one slow, one fast.
  Receiver slow([](const Received&) { return Reply{200, "ok", {}, milliseconds(600)}; });
  Receiver fast;
  // slack needs no secret, so rows without a rule can exercise the cap.
  store::OutboxRepository outbox(pool_.get());
  std::vector<store::NewDelivery> rows;
  for (int i = 0; i < 4; ++i)
    rows.push_back({"slow-" + std::to_string(i), "alert.test", std::nullopt, std::nullopt, "slack",
                    slow.url("/slow"), {{"i", i}}});
  for (int i = 0; i < 12; ++i)
    rows.push_back({"fast-" + std::to_string(i), "alert.test", std::nullopt, std::nullopt, "slack",
                    fast.url("/fast"), {{"i", i}}});
  ASSERT_TRUE(outbox.Enqueue(rows).ok());
  auto settings = settings_;
  settings.max_per_destination = 1;
  settings.threads = 4;
  settings.batch = 16;
  nlohmann::json cfg = {{"slack", {{"allow_networks", {"127.0.0.1/32"}}}}};
  auto channels = ChannelSet::Create(&NotifierRegistry(), cfg, nullptr);
  DeliveryWorker worker(pool_.get(), channels.get(), settings);
  auto start = std::chrono::steady_clock::now();
  worker.Start();
  ASSERT_TRUE(WaitUnfinished(0, milliseconds(20000)));
  worker.Stop();
  EXPECT_EQ(slow.max_concurrent("/slow"), 1);
  ASSERT_EQ(slow.count(), 4u);
  ASSERT_EQ(fast.count(), 12u);
  std::chrono::steady_clock::time_point last_fast{};
  for (const auto& r : fast.received()) last_fast = std::max(last_fast, r.at);
  // Every fast delivery was done while the slow endpoint still worked
  // through its queue one at a time.
  EXPECT_LT(last_fast, slow.received()[1].at);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(4 * 600 - 100));
}

TEST_F(NotifyDb, AnExpiredLeaseIsTakenOverWithTheSameId) {
  Receiver receiver;
  int64_t user = MakeUser(*pool_, "gina@example.com");
  Rule(user, receiver.url("/lease"));
  Commit(MakeSignal(version_, "AAPL", 7), NowUs());
  store::DeliveriesRepository repo(pool_.get());
  // A worker that claims and then "dies" (never finishes).
  auto claimed = repo.Claim("dead-worker", 10, milliseconds(300));
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  // Nobody else can claim it while the lease runs.
  EXPECT_TRUE(repo.Claim("other", 10, milliseconds(300))->empty());
  DeliveryWorker worker(pool_.get(), channels_.get(), settings_, "rescuer");
  worker.Start();
  ASSERT_TRUE(WaitUnfinished(0, milliseconds(10000)));
  worker.Stop();
  ASSERT_EQ(receiver.count(), 1u);
  EXPECT_EQ(receiver.received()[0].headers.at("webhook-id"), (*claimed)[0].delivery.idempotency_key);
  // The dead worker's late report is refused.
  store::OutboxRepository outbox(pool_.get());
  EXPECT_EQ(outbox.MarkSent((*claimed)[0].delivery.id, "dead-worker").code(), SF_ERR_CONFLICT);
  EXPECT_EQ(Count("SELECT attempts FROM deliveries"), 2);
}

TEST_F(NotifyDb, SendTestDeliversRightAwayAndIsLogged) {
  Receiver receiver;
  int64_t user = MakeUser(*pool_, "hank@example.com");
  auto rule = Rule(user, receiver.url("/test"));
  store::DeliveriesRepository repo(pool_.get());
  store::NewDelivery row{"test:" + std::to_string(rule.id) + ":1", "alert.test", std::nullopt,
                         rule.id, "webhook", rule.destination,
                         AlertRouter::TestPayload(rule, NowUs())};
  auto id = repo.InsertHeld(row, std::chrono::hours(1));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  DeliveryWorker worker(pool_.get(), channels_.get(), settings_);  // not started
  ASSERT_TRUE(worker.DeliverNow(*id).ok());
  ASSERT_EQ(receiver.count(), 1u);
  auto body = nlohmann::json::parse(receiver.received()[0].body);
  EXPECT_EQ(body["type"], "alert.test");
  EXPECT_TRUE(body["data"]["test"].get<bool>());
  store::AlertsRepository alerts(pool_.get());
  auto d = alerts.GetDelivery(user, *id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, "sent");
  EXPECT_EQ(worker.DeliverNow(*id).code(), SF_ERR_CONFLICT);  // already sent
}

TEST_F(NotifyDb, RulesAreScopedToTheirOwnerAndValidated) {
  int64_t alice = MakeUser(*pool_, "a2@example.com");
  int64_t bob = MakeUser(*pool_, "b2@example.com");
  store::AlertsRepository alerts(pool_.get());
  store::NewAlertSubscription n;
  n.channel = "webhook";
  n.destination = "https://hooks.example.com/x";
  n.filters = {{"symbols", {"AAPL"}}, {"min_confidence", 0.6}};
  auto sub = alerts.Create(alice, n);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  ASSERT_TRUE(sub->secret.has_value());
  EXPECT_EQ(sub->secret->rfind("whsec_", 0), 0u);
  EXPECT_GE(sub->secret->size(), 6u + 32u);
  EXPECT_EQ(alerts.Get(bob, sub->id).status().code(), SF_ERR_NOT_FOUND);
  EXPECT_EQ(alerts.Update(bob, sub->id, {.active = false}).status().code(), SF_ERR_NOT_FOUND);
  EXPECT_EQ(alerts.Delete(bob, sub->id).code(), SF_ERR_NOT_FOUND);
  EXPECT_TRUE(alerts.List(bob)->empty());
  EXPECT_EQ(alerts.List(alice)->size(), 1u);
  auto updated = alerts.Update(alice, sub->id, {.quiet_hours_start = "22:00", .quiet_hours_end = "06:30"});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->quiet_hours_start.value_or(""), "22:00");
  EXPECT_EQ(updated->quiet_hours_end.value_or(""), "06:30");

  n.filters = {{"symbol", {"AAPL"}}};
  Status typo = alerts.Create(alice, n).status();
  EXPECT_EQ(typo.code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(typo.message().find("filters.symbol is not a filter of new_signal"), std::string::npos)
      << typo.message();
  n.filters = {{"min_confidence", 1.5}};
  EXPECT_NE(alerts.Create(alice, n).status().message().find("min_confidence"), std::string::npos);
  n.filters = nlohmann::json::object();
  n.secret = "short";
  EXPECT_NE(alerts.Create(alice, n).status().message().find("at least 24 bytes"), std::string::npos);
  n.secret.reset();
  n.quiet_hours_start = "25:00";
  n.quiet_hours_end = "06:00";
  EXPECT_NE(alerts.Create(alice, n).status().message().find("HH:MM"), std::string::npos);
  n.quiet_hours_start.reset();
  n.quiet_hours_end.reset();
  n.kind = "price_cross";
  n.filters = {{"symbol", "AAPL"}, {"level", 200}, {"direction", "above"}};
  EXPECT_TRUE(alerts.Create(alice, n).ok());
  n.filters = {{"symbol", "AAPL"}};
  EXPECT_EQ(alerts.Create(alice, n).status().code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(alerts.Create(424242, n).status().code(), SF_ERR_INVALID_ARGUMENT);
  n.filters = {{"symbol", "AAPL"}, {"level", 200}, {"direction", "above"}};
  EXPECT_EQ(alerts.Create(424242, n).status().code(), SF_ERR_NOT_FOUND);
  EXPECT_TRUE(alerts.Delete(alice, sub->id).ok());
}

TEST(NotifySettingsTest, DefaultsAndErrorsNameTheKey) {
  auto d = ParseNotifySettings(nlohmann::json());
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->schedule.size(), 10u);
  EXPECT_EQ(d->schedule[0].count(), 0);
  EXPECT_EQ(d->schedule[1].count(), 5000);
  EXPECT_EQ(d->schedule[9].count(), 86400000);
  // The tiers of issue 8: alerts are premium and above, webhooks are pro.
  for (const char* c : {"email", "telegram", "slack", "discord", "log"}) {
    EXPECT_TRUE(d->TierAllows("premium", c)) << c;
    EXPECT_TRUE(d->TierAllows("pro", c)) << c;
    EXPECT_FALSE(d->TierAllows("free", c)) << c;
  }
  EXPECT_FALSE(d->TierAllows("premium", "webhook"));
  EXPECT_TRUE(d->TierAllows("pro", "webhook"));
  EXPECT_TRUE(d->TierAllows("admin", "webhook"));
  EXPECT_FALSE(d->TierAllows("free", "webhook"));
  EXPECT_FALSE(d->TierAllows("unknown", "log"));
  auto bad = ParseNotifySettings({{"threads", 0}});
  EXPECT_NE(bad.status().message().find("notify.threads"), std::string::npos);
  bad = ParseNotifySettings({{"retry_schedule_s", {0, -1}}});
  EXPECT_NE(bad.status().message().find("retry_schedule_s"), std::string::npos);
}

TEST(DestinationKeyTest, GroupsByChannelAndAuthority) {
  EXPECT_EQ(store::DestinationKey("webhook", "https://Hooks.Example.com:8443/a?b"),
            "webhook|https://hooks.example.com:8443");
  EXPECT_EQ(store::DestinationKey("webhook", "https://hooks.example.com:8443/other"),
            "webhook|https://hooks.example.com:8443");
  EXPECT_EQ(store::DestinationKey("telegram", "12345"), "telegram|12345");
}

}  // namespace
}  // namespace sf::notify::test
