// Signals + outbox in one transaction, NOTIFY on commit, claiming with
// FOR UPDATE SKIP LOCKED and leases, against a real cluster.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/instruments_repository.h"
#include "store/listener.h"
#include "store/outbox_repository.h"
#include "store/signals_repository.h"
#include "test_util.h"

namespace sf::store {
namespace {

using test::kDayUs;
using test::kEpoch2020Us;
using test::MakePool;
using test::QueryInt;

class SignalsOutbox : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing::PgCluster::Shared().CreateMigratedDatabase("sig");
    pool_ = MakePool(conninfo_, 6);
    ASSERT_TRUE(pool_);
    InstrumentsRepository inst(pool_.get());
    for (const char* s : {"AAPL", "MSFT"}) {
      Instrument i;
      i.symbol = s;
      ASSERT_TRUE(inst.Upsert(i).ok());
    }
    StrategiesRepository strategies(pool_.get());
    auto v = strategies.EnsureVersion("mean_reversion", "abcdef0123456789", "return {}");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    version_ = v->version_id;
  }

  NewSignal Signal(const std::string& symbol, int day) {
    NewSignal s;
    s.strategy_version_id = version_;
    s.symbol = symbol;
    s.side = "buy";
    s.bar_ts = kEpoch2020Us + day * kDayUs;
    s.expires_at = s.bar_ts + 5 * kDayUs;
    s.entry_price = 100;
    s.current_price = 100;
    s.target_price = 110;
    s.stop_price = 95;
    s.risk_reward = 2;
    s.confidence = 0.8;
    s.features = {{"rsi", 25.5}};
    s.summary = "oversold";
    return s;
  }

  std::vector<OutboxItem> Outbox(int n) {
    std::vector<OutboxItem> v;
    for (int i = 0; i < n; ++i) {
      OutboxItem o;
      o.channel = "webhook";
      o.destination = "http://127.0.0.1/hook" + std::to_string(i);
      o.payload = {{"n", i}};
      v.push_back(o);
    }
    return v;
  }

  std::string conninfo_;
  std::unique_ptr<Pool> pool_;
  int64_t version_ = 0;
};

TEST_F(SignalsOutbox, SignalAndOutboxAreWrittenTogetherAndIdempotently) {
  SignalsRepository repo(pool_.get());
  auto first = repo.InsertSignalWithOutbox(Signal("AAPL", 1), Outbox(3));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->outbox_rows, 3);
  EXPECT_EQ(first->signal_id.size(), 36u);

  // A re-run of the same bar returns the same signal and adds nothing.
  auto again = repo.InsertSignalWithOutbox(Signal("AAPL", 1), Outbox(3));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->signal_id, first->signal_id);
  EXPECT_EQ(again->outbox_rows, 0);
  EXPECT_EQ(QueryInt(*pool_, "SELECT count(*) FROM signals"), 1);
  EXPECT_EQ(QueryInt(*pool_, "SELECT count(*) FROM deliveries"), 3);
  EXPECT_EQ(QueryInt(*pool_, "SELECT count(*) FROM deliveries WHERE payload->>'signal_id' = $1",
                     Params().Add(first->signal_id)),
            3);

  auto found = repo.Find(first->signal_id);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->symbol, "AAPL");
  EXPECT_EQ(found->bar_ts, kEpoch2020Us + kDayUs);
  EXPECT_EQ(found->status, "active");
  EXPECT_EQ(repo.Find("not-a-uuid").status().code(), SF_ERR_NOT_FOUND);

  SignalClose close;
  close.status = "target_reached";
  close.exit_price = 110;
  close.exit_reason = "target";
  close.exit_at = kEpoch2020Us + 3 * kDayUs;
  close.realized_pnl_pct = 10;
  ASSERT_TRUE(repo.Close(first->signal_id, close).ok());
  EXPECT_EQ(repo.Close(first->signal_id, close).code(), SF_ERR_CONFLICT);
  auto active = repo.ListActive();
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(active->empty());
  EXPECT_TRUE(repo.RecordPerformance(first->signal_id, kEpoch2020Us + 2 * kDayUs, 105, 5, 1).ok());
  EXPECT_TRUE(repo.RecordPerformance(first->signal_id, kEpoch2020Us + 2 * kDayUs, 106, 6, 1).ok());
  EXPECT_EQ(QueryInt(*pool_, "SELECT count(*) FROM signal_performance"), 1);
}

TEST_F(SignalsOutbox, AFailedOutboxRowRollsBackTheSignal) {
  SignalsRepository repo(pool_.get());
  auto items = Outbox(2);
  items[1].event_type = "Bad Event!";  // breaks the event_type CHECK in the database
  auto r = repo.InsertSignalWithOutbox(Signal("MSFT", 2), items);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), SF_ERR_INVALID_ARGUMENT) << r.status().ToString();
  EXPECT_EQ(QueryInt(*pool_, "SELECT count(*) FROM signals"), 0);
  EXPECT_EQ(QueryInt(*pool_, "SELECT count(*) FROM deliveries"), 0);
}

TEST_F(SignalsOutbox, ValidationNamesTheRule) {
  SignalsRepository repo(pool_.get());
  NewSignal s = Signal("AAPL", 3);
  s.confidence = 1.5;
  auto r = repo.InsertSignalWithOutbox(s, {});
  EXPECT_EQ(r.status().code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.status().message().find("confidence"), std::string::npos);
  s = Signal("ZZZZ", 3);
  EXPECT_EQ(repo.InsertSignalWithOutbox(s, {}).status().code(), SF_ERR_NOT_FOUND);
  s = Signal("AAPL", 3);
  s.strategy_version_id = 999999;
  EXPECT_EQ(repo.InsertSignalWithOutbox(s, {}).status().code(), SF_ERR_NOT_FOUND);
}

TEST_F(SignalsOutbox, ListenerHearsCommitsOnlyAndAfterTheyAreVisible) {
  std::mutex mu;
  std::vector<Notification> got;
  Listener listener(conninfo_, {kSignalsChannel, kOutboxChannel}, [&](const Notification& n) {
    std::lock_guard<std::mutex> lock(mu);
    got.push_back(n);
  });
  ASSERT_TRUE(listener.Start().ok());
  SignalsRepository repo(pool_.get());

  // A rolled-back write announces nothing.
  auto items = Outbox(1);
  items[0].event_type = "BAD!";
  ASSERT_FALSE(repo.InsertSignalWithOutbox(Signal("MSFT", 9), items).ok());

  uint64_t gen = listener.generation();
  auto r = repo.InsertSignalWithOutbox(Signal("MSFT", 10), Outbox(1));
  ASSERT_TRUE(r.ok());
  for (int i = 0; i < 50 && listener.generation() < gen + 2; ++i) {
    listener.WaitForNotification(listener.generation(), std::chrono::milliseconds(100));
  }
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].channel, kSignalsChannel);
  EXPECT_EQ(got[0].payload, r->signal_id);
  EXPECT_EQ(got[1].channel, kOutboxChannel);
  EXPECT_EQ(got[1].payload, "1");
  // The notified signal is visible to a reader right away.
  SignalsRepository reader(pool_.get());
  EXPECT_TRUE(reader.Find(got[0].payload).ok());
}

TEST_F(SignalsOutbox, ConcurrentConsumersNeverClaimARowTwice) {
  SignalsRepository repo(pool_.get());
  constexpr int kSignals = 100, kPerSignal = 4;
  for (int d = 0; d < kSignals; ++d) {
    ASSERT_TRUE(repo.InsertSignalWithOutbox(Signal(d % 2 ? "AAPL" : "MSFT", d), Outbox(kPerSignal)).ok());
  }
  constexpr int kWorkers = 6;
  std::mutex mu;
  std::map<int64_t, int> claims;
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      auto pool = Pool::Create({.conninfo = conninfo_, .size = 1});
      if (!pool.ok()) {
        ++errors;
        return;
      }
      OutboxRepository outbox(pool->get());
      const std::string me = "worker-" + std::to_string(w);
      for (;;) {
        auto batch = outbox.ClaimDeliveries(me, 7, std::chrono::minutes(5));
        if (!batch.ok()) {
          ++errors;
          return;
        }
        if (batch->empty()) return;
        for (const auto& d : *batch) {
          {
            std::lock_guard<std::mutex> lock(mu);
            ++claims[d.id];
          }
          if (!outbox.MarkSent(d.id, me, {.http_status = 200, .latency_ms = 1.0}).ok()) ++errors;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claims.size(), static_cast<size_t>(kSignals * kPerSignal));
  for (const auto& [id, n] : claims) EXPECT_EQ(n, 1) << "delivery " << id;
  OutboxRepository outbox(pool_.get());
  auto counts = outbox.CountByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)["sent"], kSignals * kPerSignal);
  EXPECT_EQ(QueryInt(*pool_, "SELECT count(*) FROM delivery_attempts WHERE outcome = 'sent'"),
            kSignals * kPerSignal);
}

TEST_F(SignalsOutbox, ExpiredLeasesAreReclaimedAndStaleOwnersRefused) {
  SignalsRepository repo(pool_.get());
  ASSERT_TRUE(repo.InsertSignalWithOutbox(Signal("AAPL", 20), Outbox(2)).ok());
  OutboxRepository outbox(pool_.get());
  auto a = outbox.ClaimDeliveries("crashed", 10, std::chrono::milliseconds(200));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  // Leased: nobody else gets them.
  auto none = outbox.ClaimDeliveries("other", 10, std::chrono::minutes(1));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto b = outbox.ClaimDeliveries("other", 10, std::chrono::minutes(1));
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].attempts, 2);
  EXPECT_EQ((*b)[0].idempotency_key, (*a)[0].idempotency_key);
  // The crashed worker coming back cannot finish rows it lost.
  EXPECT_EQ(outbox.MarkSent((*a)[0].id, "crashed").code(), SF_ERR_CONFLICT);

  // Failed -> retried after next_attempt; dead stays dead.
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  ASSERT_TRUE(outbox.MarkFailed((*b)[0].id, "other", now_us + 300'000, {.http_status = 503, .error = "503"}).ok());
  ASSERT_TRUE(outbox.MarkDead((*b)[1].id, "other", {.error = "410 gone"}).ok());
  auto early = outbox.ClaimDeliveries("w3", 10, std::chrono::minutes(1));
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto later = outbox.ClaimDeliveries("w3", 10, std::chrono::minutes(1));
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].id, (*b)[0].id);
  EXPECT_EQ((*later)[0].last_error.value_or(""), "503");
  auto counts = outbox.CountByStatus();
  EXPECT_EQ((*counts)["dead"], 1);
}

TEST_F(SignalsOutbox, EnqueueIsIdempotentOnTheKey) {
  OutboxRepository outbox(pool_.get());
  NewDelivery d;
  d.idempotency_key = "test:1";
  d.event_type = "alert.test";
  d.channel = "log";
  auto a = outbox.Enqueue({d, d});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, 1);
  auto b = outbox.Enqueue({d});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 0);
}

}  // namespace
}  // namespace sf::store
