// The pool across a PostgreSQL crash/restart (pg_ctl stop -m immediate):
// requests during the outage fail fast with SF_ERR_UNAVAILABLE and the same
// pool serves again afterwards, with no action from its user.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "test_util.h"

namespace sf::store {
namespace {

using test::DailyBars;
using Clock = std::chrono::steady_clock;

TEST(Pool, SurvivesAServerCrashAndRestartUnderLoad) {
  testing::PgCluster own;  // this test stops its server, so it gets its own
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  const std::string conninfo = own.CreateMigratedDatabase("outage");
  PoolOptions o;
  o.conninfo = conninfo;
  o.size = 4;
  o.checkout_timeout = std::chrono::milliseconds(2000);
  auto pool_or = Pool::Create(o);
  ASSERT_TRUE(pool_or.ok());
  Pool& pool = **pool_or;
  BarsRepository bars(&pool);

  std::atomic<bool> stop{false}, down{false};
  std::atomic<int> ok_before{0}, ok_after{0}, unavailable{0}, other{0};
  std::atomic<int64_t> slowest_failure_ms{0};
  std::string other_error;
  std::mutex mu;
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t) {
    load.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        auto t0 = Clock::now();
        Status s;
        if (t == 0) {
          auto r = bars.Ingest(DailyBars("L" + std::to_string(i % 5), i % 50, 20));
          s = r.ok() ? Status::Ok() : r.status();
        } else {
          auto c = pool.Acquire();
          s = c.ok() ? (*c)->Run("SELECT count(*) FROM bars") : c.status();
        }
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
        if (s.ok()) {
          (down ? ok_after : ok_before)++;
        } else if (s.code() == SF_ERR_UNAVAILABLE &&
                   s.message().rfind("database unavailable: ", 0) == 0) {
          ++unavailable;
          int64_t prev = slowest_failure_ms;
          while (ms > prev && !slowest_failure_ms.compare_exchange_weak(prev, ms)) {
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else {
          std::lock_guard<std::mutex> lock(mu);
          ++other;
          other_error = s.ToString();
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(own.cluster().StopImmediate().ok());
  down = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const int failures_during_outage = unavailable;
  ASSERT_TRUE(own.cluster().Start().ok());
  // The same pool serves again on its own.
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (ok_after < 20 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (auto& t : load) t.join();

  EXPECT_GT(ok_before, 0);
  EXPECT_GT(failures_during_outage, 3) << "requests during the outage must fail, not hang";
  EXPECT_LT(slowest_failure_ms, 1000) << "outage failures must be fast";
  EXPECT_GE(ok_after, 20) << "the pool did not recover";
  EXPECT_EQ(other, 0) << other_error;
  auto c = pool.Acquire();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE((*c)->Ping());
}

TEST(Pool, CheckoutTimesOutWhenAllConnectionsAreBusy) {
  PoolOptions o;
  o.conninfo = testing::PgCluster::Shared().CreateDatabase("busy");
  o.size = 1;
  o.checkout_timeout = std::chrono::milliseconds(150);
  auto pool = Pool::Create(o);
  ASSERT_TRUE(pool.ok());
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  auto t0 = Clock::now();
  auto second = (*pool)->Acquire();
  EXPECT_EQ(second.status().code(), SF_ERR_TIMEOUT);
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(140));
  { auto release = std::move(*held); }
  EXPECT_TRUE((*pool)->Acquire().ok());
}

TEST(Pool, UnreachableServerIsUnavailableWithTheReason) {
  auto pool = Pool::Create({.conninfo = "host=/tmp/sf-no-such-dir port=5999 dbname=x"});
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), SF_ERR_UNAVAILABLE);
  EXPECT_NE(pool.status().message().find("database unavailable"), std::string::npos);
}

TEST(Pool, ServerErrorsMapToCodesAndKeepTheConnection) {
  auto pool = test::MakePool(testing::PgCluster::Shared().CreateDatabase("err"), 1);
  auto c = pool->Acquire();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Run("SELECT 1/0").code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ((*c)->Run("SELECT * FROM no_such_table").code(), SF_ERR_INTERNAL);
  ASSERT_TRUE((*c)->Run("CREATE TABLE u (k int PRIMARY KEY)").ok());
  ASSERT_TRUE((*c)->Run("INSERT INTO u VALUES ($1)", Params().Add(1)).ok());
  EXPECT_EQ((*c)->Run("INSERT INTO u VALUES ($1)", Params().Add(1)).code(), SF_ERR_CONFLICT);
  // A parameter is data, never SQL.
  auto r = (*c)->Exec("SELECT $1::text", Params().Add("'); DROP TABLE u; --"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->GetString(0, 0), "'); DROP TABLE u; --");
  EXPECT_FALSE((*c)->broken());
  EXPECT_TRUE((*c)->Run("SELECT count(*) FROM u").ok());
}

}  // namespace
}  // namespace sf::store
