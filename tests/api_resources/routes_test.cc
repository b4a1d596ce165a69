// Resource routes over real HTTP against a real database: happy paths,
// errors naming the input, tier visibility of signals and ownership (user B
// can never read or change user A's things: every id-taking route -> 404).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "api/signal_cache.h"
#include "api_env.h"
#include "store/signals_repository.h"

namespace sf::api::test {
namespace {

using nlohmann::json;

class Routes : public ::testing::Test {
 protected:
  void SetUp() override {
    scripts_ = std::filesystem::temp_directory_path() /
               ("sf-apires-scripts-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(scripts_);
    env_ = std::make_unique<ApiEnv>(scripts_.string());
    for (const char* s : {"AAPL", "MSFT", "XOM"}) env_->AddInstrument(s, std::string(s) == "XOM" ? "Energy" : "Technology");
  }
  void TearDown() override {
    env_.reset();
    std::error_code ec;
    std::filesystem::remove_all(scripts_, ec);
  }
  std::string User(const std::string& tier) { return env_->TokenFor(env_->CreateUser(tier)); }

  std::filesystem::path scripts_;
  std::unique_ptr<ApiEnv> env_;
};

TEST_F(Routes, SignalListFiltersAndCursorPagination) {
  std::string premium = User("premium");
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.insert(env_->AddSignal("AAPL", "mean_reversion", "active", 1 + i, 0.7 + i * 0.1));
  ids.insert(env_->AddSignal("MSFT", "momentum", "target_reached", 30, 0.75, "sell"));
  ids.insert(env_->AddSignal("MSFT", "momentum", "stopped_out", 50, 0.65, "sell", -2.0));

  // Every page follows the cursor; together they are every signal once, newest first.
  std::vector<std::string> seen;
  std::string path = "/api/v1/signals?limit=2";
  for (int page = 0; page < 10; ++page) {
    auto r = env_->Call("GET", path, premium);
    ASSERT_EQ(r.status, 200) << r.text;
    for (const auto& s : r.body["items"]) seen.push_back(s["id"]);
    if (r.body["next_cursor"].is_null()) break;
    EXPECT_EQ(r.body["items"].size(), 2u);
    path = "/api/v1/signals?limit=2&cursor=" + r.body["next_cursor"].get<std::string>();
  }
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), ids);

  auto all = env_->Call("GET", "/api/v1/signals", premium);
  ASSERT_EQ(all.status, 200);
  std::string prev = "9999";
  for (const auto& s : all.body["items"]) {
    EXPECT_LE(s["created_at"].get<std::string>(), prev);
    prev = s["created_at"];
  }
  auto count = [&](const std::string& q) {
    auto r = env_->Call("GET", "/api/v1/signals?" + q, premium);
    EXPECT_EQ(r.status, 200) << q << ": " << r.text;
    return r.body["items"].size();
  };
  EXPECT_EQ(count("status=active"), 3u);
  EXPECT_EQ(count("status=closed"), 2u);
  EXPECT_EQ(count("status=stopped_out"), 1u);
  EXPECT_EQ(count("symbol=MSFT"), 2u);
  EXPECT_EQ(count("side=sell"), 2u);
  EXPECT_EQ(count("strategy=mean_reversion"), 3u);
  EXPECT_EQ(count("min_confidence=0.85"), 1u);
  EXPECT_EQ(count("symbol=MSFT&min_confidence=0.7"), 1u);
  EXPECT_EQ(count("symbol=NOPE"), 0u);
}

TEST_F(Routes, BadSignalQueriesAreRefusedNamingTheParameter) {
  std::string premium = User("premium");
  struct Case {
    std::string query, field;
  } cases[] = {{"limit=1000000", "limit"},       {"limit=0", "limit"},
               {"limit=abc", "limit"},           {"status=bogus", "status"},
               {"side=long", "side"},            {"min_confidence=2", "min_confidence"},
               {"from=yesterday", "from"},       {"to=2024-13-45", "to"},
               {"cursor=not-a-cursor", "cursor"},  {"cursor=eyJ4IjoxfQ", "cursor"},
               {"from=2024-02-01&to=2024-01-01", "from"}};
  for (const auto& c : cases) {
    auto r = env_->Call("GET", "/api/v1/signals?" + c.query, premium);
    EXPECT_EQ(r.status, 400) << c.query << ": " << r.text;
    EXPECT_EQ(r.headers["Content-Type"], "application/problem+json") << c.query;
    EXPECT_EQ(r.body.value("field", ""), c.field) << c.query << ": " << r.text;
  }
}

TEST_F(Routes, FreeTierNeverSeesActiveOrRecentSignals) {
  std::string free = User("free");
  std::string active = env_->AddSignal("AAPL", "mean_reversion", "active", 72);
  std::string recent_closed = env_->AddSignal("AAPL", "mean_reversion", "target_reached", 2);
  std::string old_closed = env_->AddSignal("MSFT", "mean_reversion", "target_reached", 48);

  auto list = env_->Call("GET", "/api/v1/signals?limit=50", free);
  ASSERT_EQ(list.status, 200) << list.text;
  ASSERT_EQ(list.body["items"].size(), 1u);
  EXPECT_EQ(list.body["items"][0]["id"], old_closed);
  EXPECT_EQ(list.body["items"][0]["realized_pnl_pct"], 4.0);
  for (const char* q : {"status=closed", "symbol=AAPL", "strategy=mean_reversion", "min_confidence=0"}) {
    auto r = env_->Call("GET", std::string("/api/v1/signals?") + q, free);
    ASSERT_EQ(r.status, 200);
    for (const auto& s : r.body["items"]) EXPECT_NE(s["status"], "active") << q;
    for (const auto& s : r.body["items"]) EXPECT_EQ(s["id"], old_closed) << q;
  }
  EXPECT_EQ(env_->Call("GET", "/api/v1/signals?status=active", free).status, 403);
  EXPECT_EQ(env_->Call("GET", "/api/v1/signals/" + active, free).status, 404);
  EXPECT_EQ(env_->Call("GET", "/api/v1/signals/" + recent_closed, free).status, 404);
  EXPECT_EQ(env_->Call("PUT", "/api/v1/signals/" + active + "/feedback", free, {{"rating", 5}}).status, 404);
  EXPECT_EQ(env_->Call("GET", "/api/v1/signals/" + old_closed, free).status, 200);

  std::string premium = User("premium");
  EXPECT_EQ(env_->Call("GET", "/api/v1/signals/" + active, premium).status, 200);
  EXPECT_EQ(env_->Call("GET", "/api/v1/signals?status=active", premium).body["items"].size(), 1u);
}

// The signal-list cache: one entry per query and visibility class (a
// premium caller's cached page never reaches a free caller), dropped by a
// NOTIFY on sf_signals long before its TTL.
TEST_F(Routes, SignalListCacheIsPerVisibilityAndDroppedByNotify) {
  std::string active = env_->AddSignal("AAPL", "mean_reversion", "active", 72);
  std::string old_closed = env_->AddSignal("MSFT", "mean_reversion", "target_reached", 48);
  std::string premium = User("premium"), free = User("free");
  auto p = env_->Call("GET", "/api/v1/signals?limit=50", premium);
  ASSERT_EQ(p.status, 200);
  EXPECT_EQ(p.body["items"].size(), 2u);
  for (int i = 0; i < 3; ++i) {
    auto f = env_->Call("GET", "/api/v1/signals?limit=50", free);
    ASSERT_EQ(f.status, 200);
    ASSERT_EQ(f.body["items"].size(), 1u) << f.text;
    EXPECT_EQ(f.body["items"][0]["id"], old_closed);
  }

  SignalListCache cache(std::chrono::minutes(1));
  ASSERT_TRUE(cache.Start(env_->conninfo()).ok());
  ASSERT_TRUE(cache.enabled());
  auto get = [&](const std::string& value) {
    return *cache.GetOrBuild("k", [&] { return value; });
  };
  EXPECT_EQ(get("first"), "first");
  EXPECT_EQ(get("second"), "first");  // cached
  EXPECT_EQ(cache.hits(), 1u);
  env_->Sql("NOTIFY sf_signals, '" + active + "'");
  std::string seen;
  for (int i = 0; i < 100 && seen != "third"; ++i) {
    seen = get("third");
    if (seen != "third") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(seen, "third") << "the NOTIFY did not drop the cached list within 5 s";
  // A failing build stores nothing and propagates.
  EXPECT_THROW(cache.GetOrBuild("other", []() -> std::string { throw std::runtime_error("db"); }),
               std::runtime_error);
  EXPECT_EQ(*cache.GetOrBuild("other", [] { return std::string("ok"); }), "ok");
}

// Concurrent misses of one key build once (the rest wait for that answer),
// so a TTL expiry does not send every connection to the database at once; a
// failed build lets the waiters build their own answer.
TEST_F(Routes, SignalListCacheBuildsOncePerConcurrentMiss) {
  SignalListCache cache(std::chrono::minutes(1));
  ASSERT_TRUE(cache.Start(env_->conninfo()).ok());
  std::atomic<int> builds{0};
  auto slow = [&](const std::string& value) {
    return [&builds, value] {
      ++builds;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      return value;
    };
  };
  std::vector<std::thread> threads;
  std::vector<std::string> seen(16);
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&, i] { seen[i] = *cache.GetOrBuild("page", slow("v" + std::to_string(i))); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(builds.load(), 1);
  for (const auto& v : seen) EXPECT_EQ(v, seen[0]);

  // An entry that only expired is served while one caller rebuilds it.
  {
    SignalListCache short_lived(std::chrono::milliseconds(1000));
    ASSERT_TRUE(short_lived.Start(env_->conninfo()).ok());
    EXPECT_EQ(*short_lived.GetOrBuild("p", [] { return std::string("old"); }), "old");
    std::this_thread::sleep_for(std::chrono::milliseconds(1050));  // expired
    std::thread refresher([&] { EXPECT_EQ(*short_lived.GetOrBuild("p", slow("new")), "new"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the refresh is under way
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(*short_lived.GetOrBuild("p", slow("other")), "old");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
    refresher.join();
    EXPECT_EQ(*short_lived.GetOrBuild("p", slow("other")), "new");
  }

  // The leader fails: it throws, every waiter still gets an answer of its own.
  builds = 0;
  threads.clear();
  std::atomic<int> answered{0}, thrown{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      try {
        auto body = cache.GetOrBuild("failing", [&, i]() -> std::string {
          if (builds++ == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            throw std::runtime_error("db down");
          }
          return "ok" + std::to_string(i);
        });
        if (body && !body->empty()) ++answered;
      } catch (const std::runtime_error&) {
        ++thrown;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(thrown.load(), 1);
  EXPECT_EQ(answered.load(), 7);
}

TEST_F(Routes, SignalDetailCarriesFeaturesNewsAndPerformance) {
  std::string premium = User("premium");
  std::string id = env_->AddSignal("AAPL", "mean_reversion", "active", 5);
  env_->Sql(
      "INSERT INTO news_events (instrument_id, headline, url, source, published_at, sentiment)"
      " SELECT id, 'AAPL misses earnings', 'https://example.com/a', 'wire', now() - interval '6 hours', -0.6"
      " FROM instruments WHERE symbol = 'AAPL'");
  env_->Sql(
      "INSERT INTO news_analysis (news_event_id, event_type, severity, time_horizon, company_specific,"
      " credibility, sentiment, model) SELECT id, 'earnings_miss', 'moderate', 'quarters', true, 0.9, -0.6,"
      " 'rules' FROM news_events");
  env_->Sql("UPDATE signals SET triggering_news_id = (SELECT id FROM news_events) WHERE id = '" + id + "'");
  store::SignalsRepository repo(&env_->pool());
  ASSERT_TRUE(repo.RecordPerformance(id, 1'600'000'000'000'000LL, 101.5, 1.5, 1).ok());
  ASSERT_TRUE(repo.RecordPerformance(id, 1'600'086'400'000'000LL, 99.0, -1.0, 2).ok());

  auto r = env_->Call("GET", "/api/v1/signals/" + id, premium);
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["symbol"], "AAPL");
  EXPECT_EQ(r.body["features"]["rsi"], 24.5);
  EXPECT_EQ(r.body["triggering_news"]["headline"], "AAPL misses earnings");
  ASSERT_EQ(r.body["news_analysis"].size(), 1u);
  EXPECT_EQ(r.body["news_analysis"][0]["event_type"], "earnings_miss");
  ASSERT_EQ(r.body["performance"].size(), 2u);
  EXPECT_EQ(r.body["performance"][1]["unrealized_pnl_pct"], -1.0);

  EXPECT_EQ(env_->Call("GET", "/api/v1/signals/00000000-0000-0000-0000-000000000000", premium).status, 404);
  EXPECT_EQ(env_->Call("GET", "/api/v1/signals/not-a-uuid", premium).status, 404);
}

TEST_F(Routes, FeedbackIsValidatedAndUpserted) {
  std::string premium = User("premium");
  std::string id = env_->AddSignal("AAPL", "mean_reversion", "active", 1);
  auto bad_field = env_->Call("PUT", "/api/v1/signals/" + id + "/feedback", premium, {{"stars", 5}});
  EXPECT_EQ(bad_field.status, 400);
  EXPECT_NE(bad_field.text.find("stars"), std::string::npos) << bad_field.text;
  auto bad_type = env_->Call("PUT", "/api/v1/signals/" + id + "/feedback", premium, {{"rating", "five"}});
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_EQ(bad_type.body["field"], "/rating") << bad_type.text;
  EXPECT_EQ(env_->Call("PUT", "/api/v1/signals/" + id + "/feedback", premium, json::object()).status, 400);
  EXPECT_EQ(env_->Raw("PUT", "/api/v1/signals/" + id + "/feedback", premium, "{\"rating\":").status, 400);

  auto ok = env_->Call("PUT", "/api/v1/signals/" + id + "/feedback", premium, {{"rating", 4}, {"action", "executed"}});
  ASSERT_EQ(ok.status, 200) << ok.text;
  auto again = env_->Call("PUT", "/api/v1/signals/" + id + "/feedback", premium, {{"rating", 2}});
  ASSERT_EQ(again.status, 200);
  auto got = env_->Call("GET", "/api/v1/signals/" + id + "/feedback", premium);
  EXPECT_EQ(got.body["rating"], 2);
  auto detail = env_->Call("GET", "/api/v1/signals/" + id, premium);
  EXPECT_EQ(detail.body["feedback"]["count"], 1);
  // Another user has no feedback on it.
  EXPECT_EQ(env_->Call("GET", "/api/v1/signals/" + id + "/feedback", User("premium")).status, 404);
}

TEST_F(Routes, PerformanceSummarisesClosedSignals) {
  std::string free = User("free");
  env_->AddSignal("AAPL", "mean_reversion", "target_reached", 30, 0.8, "buy", 6.0);
  env_->AddSignal("MSFT", "mean_reversion", "stopped_out", 40, 0.8, "buy", -2.0);
  env_->AddSignal("XOM", "momentum", "target_reached", 50, 0.8, "buy", 4.0);
  env_->AddSignal("XOM", "momentum", "active", 1);
  auto r = env_->Call("GET", "/api/v1/performance?period=7d&grouping=weekly", free);
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["overall"]["count"], 3);
  EXPECT_EQ(r.body["overall"]["wins"], 2);
  EXPECT_NEAR(r.body["overall"]["avg_return_pct"].get<double>(), 8.0 / 3, 1e-9);
  EXPECT_NEAR(r.body["overall"]["win_rate"].get<double>(), 2.0 / 3, 1e-9);
  ASSERT_EQ(r.body["strategies"].size(), 2u);
  EXPECT_EQ(r.body["strategies"][0]["key"], "mean_reversion");
  EXPECT_EQ(r.body["strategies"][0]["count"], 2);
  EXPECT_EQ(r.body["active_signals"], 1);
  EXPECT_GE(r.body["series"].size(), 1u);
  auto one = env_->Call("GET", "/api/v1/performance?strategy=momentum&period=all", free);
  ASSERT_EQ(one.status, 200) << one.text;
  EXPECT_EQ(one.body["overall"]["count"], 1);
  EXPECT_EQ(env_->Call("GET", "/api/v1/performance?period=1y", free).body.value("field", ""), "period");
  EXPECT_EQ(env_->Call("GET", "/api/v1/performance?grouping=hourly", free).status, 400);
}

TEST_F(Routes, MarketBarsWithIndicatorsFromThePlugin) {
  std::string free = User("free");
  env_->AddDailyBars("AAPL", 80);
  auto r = env_->Call("GET", "/api/v1/market/AAPL/bars?limit=30&indicators=sma(5),rsi(14)", free);
  ASSERT_EQ(r.status, 200) << r.text;
  const json& bars = r.body["bars"];
  ASSERT_EQ(bars.size(), 30u);
  const json& sma = r.body["indicators"]["sma(5)"]["values"].begin().value();
  ASSERT_EQ(sma.size(), 30u);
  // Warm-up bars before the first returned bar were loaded: every value is set
  // and equals the mean of the five closes ending there.
  std::vector<double> closes;
  for (const auto& b : bars) closes.push_back(b["close"]);
  for (size_t i = 4; i < closes.size(); ++i) {
    double mean = (closes[i] + closes[i - 1] + closes[i - 2] + closes[i - 3] + closes[i - 4]) / 5;
    ASSERT_FALSE(sma[i].is_null()) << i;
    EXPECT_NEAR(sma[i].get<double>(), mean, 1e-9) << i;
  }
  EXPECT_FALSE(sma[0].is_null());
  EXPECT_TRUE(r.body["indicators"].contains("rsi(14)"));

  EXPECT_EQ(env_->Call("GET", "/api/v1/market/AAPL/bars?indicators=nosuch(3)", free).body.value("field", ""),
            "indicators");
  EXPECT_EQ(env_->Call("GET", "/api/v1/market/AAPL/bars?indicators=sma(x)", free).status, 400);
  EXPECT_EQ(env_->Call("GET", "/api/v1/market/AAPL/bars?indicators=sma(20", free).status, 400);
  EXPECT_EQ(env_->Call("GET", "/api/v1/market/AAPL/bars?timeframe=2d", free).body.value("field", ""), "timeframe");
  EXPECT_EQ(env_->Call("GET", "/api/v1/market/AAPL/bars?limit=1000000", free).body.value("field", ""), "limit");
  EXPECT_EQ(env_->Call("GET", "/api/v1/market/NOPE/bars", free).status, 404);
}

TEST_F(Routes, InstrumentScreenerAndDetail) {
  std::string free = User("free");
  env_->AddDailyBars("MSFT", 5);
  auto tech = env_->Call("GET", "/api/v1/instruments?sector=technology", free);
  ASSERT_EQ(tech.status, 200) << tech.text;
  EXPECT_EQ(tech.body["items"].size(), 2u);
  auto q = env_->Call("GET", "/api/v1/instruments?q=xo", free);
  ASSERT_EQ(q.body["items"].size(), 1u);
  EXPECT_EQ(q.body["items"][0]["symbol"], "XOM");
  auto p1 = env_->Call("GET", "/api/v1/instruments?limit=2", free);
  ASSERT_EQ(p1.body["items"].size(), 2u);
  auto p2 = env_->Call("GET", "/api/v1/instruments?limit=2&cursor=" + p1.body["next_cursor"].get<std::string>(), free);
  ASSERT_EQ(p2.body["items"].size(), 1u);
  EXPECT_EQ(p2.body["items"][0]["symbol"], "XOM");
  EXPECT_TRUE(p2.body["next_cursor"].is_null());
  EXPECT_EQ(env_->Call("GET", "/api/v1/instruments?min_market_cap=2000000000", free).body["items"].size(), 0u);
  auto d = env_->Call("GET", "/api/v1/instruments/MSFT", free);
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(d.body["sector"], "Technology");
  EXPECT_FALSE(d.body["last_bar"].is_null());
  EXPECT_EQ(env_->Call("GET", "/api/v1/instruments/NOPE", free).status, 404);
  EXPECT_EQ(env_->Call("GET", "/api/v1/instruments?type=stock", free).status, 400);
}

TEST_F(Routes, WatchlistsCrud) {
  std::string t = User("free");
  auto c = env_->Call("POST", "/api/v1/watchlists", t, {{"name", "tech"}, {"symbols", {"MSFT", "AAPL"}}});
  ASSERT_EQ(c.status, 201) << c.text;
  EXPECT_EQ(c.body["symbols"], json({"AAPL", "MSFT"}));
  int64_t id = c.body["id"];
  EXPECT_EQ(env_->Call("POST", "/api/v1/watchlists", t, {{"name", "tech"}}).status, 409);
  auto unknown = env_->Call("POST", "/api/v1/watchlists", t, {{"name", "x"}, {"symbols", {"ZZZZ"}}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.text.find("ZZZZ"), std::string::npos);
  EXPECT_EQ(env_->Call("POST", "/api/v1/watchlists", t, {{"name", "y"}, {"colour", "red"}}).status, 400);
  EXPECT_EQ(env_->Call("POST", "/api/v1/watchlists", t, {{"symbols", {"AAPL"}}}).status, 400);
  auto u = env_->Call("PATCH", "/api/v1/watchlists/" + std::to_string(id), t, {{"symbols", {"XOM"}}});
  ASSERT_EQ(u.status, 200) << u.text;
  EXPECT_EQ(u.body["symbols"], json({"XOM"}));
  EXPECT_EQ(env_->Call("GET", "/api/v1/watchlists", t).body["items"].size(), 1u);
  EXPECT_EQ(env_->Call("DELETE", "/api/v1/watchlists/" + std::to_string(id), t).status, 204);
  EXPECT_EQ(env_->Call("GET", "/api/v1/watchlists/" + std::to_string(id), t).status, 404);
  EXPECT_EQ(env_->Call("GET", "/api/v1/watchlists/abc", t).status, 400);
}

TEST_F(Routes, PaperPortfolioTradesAndPnl) {
  std::string t = User("free");
  env_->AddDailyBars("AAPL", 10, 100);  // last close 104.75
  auto c = env_->Call("POST", "/api/v1/portfolios", t, {{"name", "paper"}, {"initial_cash", 10000}});
  ASSERT_EQ(c.status, 201) << c.text;
  std::string base = "/api/v1/portfolios/" + std::to_string(c.body["id"].get<int64_t>());
  auto buy = env_->Call("POST", base + "/trades", t, {{"symbol", "AAPL"}, {"side", "buy"}, {"quantity", 10}, {"price", 100}});
  ASSERT_EQ(buy.status, 201) << buy.text;
  EXPECT_DOUBLE_EQ(buy.body["cash"].get<double>(), 9000);
  ASSERT_EQ(buy.body["positions"].size(), 1u);
  const json& pos = buy.body["positions"][0];
  EXPECT_DOUBLE_EQ(pos["last_price"].get<double>(), 104.75);
  EXPECT_DOUBLE_EQ(pos["unrealized_pnl"].get<double>(), 47.5);
  EXPECT_DOUBLE_EQ(buy.body["equity"].get<double>(), 9000 + 1047.5);
  auto too_big = env_->Call("POST", base + "/trades", t, {{"symbol", "AAPL"}, {"side", "buy"}, {"quantity", 1000}});
  EXPECT_EQ(too_big.status, 422) << too_big.text;
  EXPECT_EQ(env_->Call("POST", base + "/trades", t, {{"symbol", "AAPL"}, {"side", "hold"}, {"quantity", 1}}).status, 400);
  EXPECT_EQ(env_->Call("POST", base + "/trades", t, {{"symbol", "AAPL"}, {"side", "buy"}, {"quantity", -1}}).status, 400);
  auto sell = env_->Call("POST", base + "/trades", t, {{"symbol", "AAPL"}, {"side", "sell"}, {"quantity", 10}});
  ASSERT_EQ(sell.status, 201);
  EXPECT_EQ(sell.body["positions"].size(), 0u);
  EXPECT_DOUBLE_EQ(sell.body["total_pnl"].get<double>(), 47.5);
  EXPECT_EQ(env_->Call("GET", "/api/v1/portfolios", t).body["items"].size(), 1u);
}

TEST_F(Routes, AlertSubscriptionsCrudTestAndTiers) {
  std::string premium = User("premium");
  auto c = env_->Call("POST", "/api/v1/alerts", premium,
                      {{"channel", "email"}, {"destination", "me@example.com"}, {"filters", {{"symbols", {"AAPL"}}}}});
  ASSERT_EQ(c.status, 201) << c.text;
  std::string base = "/api/v1/alerts/" + std::to_string(c.body["id"].get<int64_t>());
  EXPECT_EQ(env_->Call("POST", "/api/v1/alerts", premium, {{"channel", "webhook"}, {"destination", "https://example.com/h"}}).status,
            403);
  EXPECT_EQ(env_->Call("POST", "/api/v1/alerts", User("free"), {{"channel", "email"}, {"destination", "a@b.c"}}).status,
            403);
  auto bad = env_->Call("POST", "/api/v1/alerts", premium, {{"channel", "email"}, {"destination", "a@b.c"}, {"filters", {{"symbol", "AAPL"}}}});
  EXPECT_EQ(bad.status, 422) << bad.text;
  auto p = env_->Call("PATCH", base, premium, {{"active", false}});
  ASSERT_EQ(p.status, 200) << p.text;
  EXPECT_EQ(p.body["active"], false);
  auto test = env_->Call("POST", base + "/test", premium, json::object());
  ASSERT_EQ(test.status, 202) << test.text;
  auto log = env_->Call("GET", base + "/deliveries", premium);
  ASSERT_EQ(log.status, 200) << log.text;
  ASSERT_EQ(log.body["items"].size(), 1u);
  EXPECT_EQ(log.body["items"][0]["event_type"], "alert.test");
  EXPECT_EQ(log.body["items"][0]["delivery"], test.body["delivery"]);
  EXPECT_EQ(env_->Call("DELETE", base, premium).status, 204);
  EXPECT_EQ(env_->Call("GET", base, premium).status, 404);

  std::string pro = User("pro");
  auto hook = env_->Call("POST", "/api/v1/alerts", pro, {{"channel", "webhook"}, {"destination", "https://example.com/h"}});
  ASSERT_EQ(hook.status, 201) << hook.text;
  EXPECT_TRUE(hook.body.contains("secret"));  // shown once
  auto again = env_->Call("GET", "/api/v1/alerts/" + std::to_string(hook.body["id"].get<int64_t>()), pro);
  EXPECT_FALSE(again.body.contains("secret"));
}

// User B tries every id-taking route on user A's things: all 404, and A's
// things are unchanged afterwards.
TEST_F(Routes, NobodyReadsOrChangesAnotherUsersThings) {
  std::string a = User("pro"), b = User("pro");
  env_->AddDailyBars("AAPL", 5);
  std::filesystem::path f = scripts_ / "noop.lua";
  std::ofstream(f) << "return { name = 'noop', timeframe = '1d', universe = { type = 'equity' },\n"
                      "  evaluate = function(ctx, symbol) return nil end }\n";
  auto wl = env_->Call("POST", "/api/v1/watchlists", a, {{"name", "mine"}, {"symbols", {"AAPL"}}});
  auto al = env_->Call("POST", "/api/v1/alerts", a, {{"channel", "email"}, {"destination", "a@example.com"}});
  auto pf = env_->Call("POST", "/api/v1/portfolios", a, {{"name", "mine"}});
  auto sc = env_->Call("POST", "/api/v1/scans", a, {{"strategy", "noop"}, {"symbols", {"AAPL"}}});
  ASSERT_EQ(wl.status, 201) << wl.text;
  ASSERT_EQ(al.status, 201) << al.text;
  ASSERT_EQ(pf.status, 201) << pf.text;
  ASSERT_EQ(sc.status, 202) << sc.text;
  std::string w = "/api/v1/watchlists/" + std::to_string(wl.body["id"].get<int64_t>());
  std::string l = "/api/v1/alerts/" + std::to_string(al.body["id"].get<int64_t>());
  std::string p = "/api/v1/portfolios/" + std::to_string(pf.body["id"].get<int64_t>());
  std::string s = "/api/v1/scans/" + sc.body["id"].get<std::string>();
  struct Try {
    std::string method, path;
    json body;
  } tries[] = {{"GET", w, nullptr},
               {"PATCH", w, {{"name", "stolen"}}},
               {"DELETE", w, nullptr},
               {"GET", l, nullptr},
               {"PATCH", l, {{"active", false}}},
               {"DELETE", l, nullptr},
               {"POST", l + "/test", json::object()},
               {"GET", l + "/deliveries", nullptr},
               {"GET", p, nullptr},
               {"POST", p + "/trades", {{"symbol", "AAPL"}, {"side", "buy"}, {"quantity", 1}}},
               {"DELETE", p, nullptr},
               {"GET", s, nullptr}};
  for (const auto& t : tries) {
    auto r = env_->Call(t.method, t.path, b, t.body);
    EXPECT_EQ(r.status, 404) << t.method << " " << t.path << ": " << r.text;
  }
  for (const char* list : {"/api/v1/watchlists", "/api/v1/alerts", "/api/v1/portfolios", "/api/v1/scans"}) {
    EXPECT_EQ(env_->Call("GET", list, b).body["items"].size(), 0u) << list;
  }
  EXPECT_EQ(env_->Call("GET", w, a).body["name"], "mine");
  EXPECT_EQ(env_->Call("GET", l, a).body["active"], true);
  EXPECT_EQ(env_->Call("GET", p, a).body["cash"], 100000.0);
  EXPECT_EQ(env_->Call("GET", s, a).status, 200);
}

TEST_F(Routes, ScanRunsTheLuaStrategyInTheBackground) {
  env_->AddDailyBars("AAPL", 40, 100);
  env_->AddDailyBars("MSFT", 40, 300);
  std::ofstream(scripts_ / "above.lua")
      << "return { name = 'above', timeframe = '1d', universe = { type = 'equity' },\n"
         "  params = { level = { default = 200, min = 0, max = 100000 } },\n"
         "  evaluate = function(ctx, symbol)\n"
         "    local c = ctx.bars.close[-1]\n"
         "    if c > ctx.params.level then\n"
         "      return { side = 'buy', confidence = 0.9, entry = c, target = c * 1.1, stop = c * 0.95, expiry = 5,\n"
         "               summary = symbol .. ' above level', features = { close = c } }\n"
         "    end\n"
         "  end }\n";
  std::string pro = User("pro");
  EXPECT_EQ(env_->Call("POST", "/api/v1/scans", User("premium"), {{"strategy", "above"}, {"symbols", {"AAPL"}}}).status, 403);
  auto missing = env_->Call("POST", "/api/v1/scans", pro, {{"strategy", "nosuch"}, {"symbols", {"AAPL"}}});
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.body["field"], "strategy");
  EXPECT_EQ(env_->Call("POST", "/api/v1/scans", pro, {{"strategy", "above"}, {"symbols", json::array()}}).status, 400);

  auto sub = env_->Call("POST", "/api/v1/scans", pro,
                        {{"strategy", "above"}, {"symbols", {"AAPL", "MSFT", "XOM"}}, {"params", {{"level", 150}}}});
  ASSERT_EQ(sub.status, 202) << sub.text;
  std::string path = "/api/v1/scans/" + sub.body["id"].get<std::string>();
  json scan;
  for (int i = 0; i < 300; ++i) {
    scan = env_->Call("GET", path, pro).body;
    if (scan["status"] == "done" || scan["status"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(scan["status"], "done") << scan.dump();
  const json& res = scan["results"];
  ASSERT_EQ(res["intents"].size(), 1u) << res.dump();  // only MSFT closes above 150
  EXPECT_EQ(res["intents"][0]["symbol"], "MSFT");
  EXPECT_EQ(res["evaluated"].size(), 2u);
  ASSERT_EQ(res["skipped"].size(), 1u);  // XOM has no bars
  EXPECT_EQ(res["skipped"][0]["symbol"], "XOM");

  std::ofstream(scripts_ / "broken.lua") << "return { name = 'broken', timeframe = '1d',\n";
  auto bad = env_->Call("POST", "/api/v1/scans", pro, {{"strategy", "broken"}, {"symbols", {"AAPL"}}});
  ASSERT_EQ(bad.status, 202);
  std::string bad_path = "/api/v1/scans/" + bad.body["id"].get<std::string>();
  for (int i = 0; i < 300; ++i) {
    scan = env_->Call("GET", bad_path, pro).body;
    if (scan["status"] == "done" || scan["status"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(scan["status"], "failed");
  EXPECT_NE(scan["error"].get<std::string>().find("broken"), std::string::npos) << scan.dump();
}

TEST_F(Routes, AdminPluginsStrategiesModelsAndSystem) {
  std::string admin = User("admin");
  std::string pro = User("pro");
  env_->AddSignal("AAPL", "mean_reversion", "active", 1);
  for (const char* path : {"/api/v1/admin/plugins", "/api/v1/admin/strategies", "/api/v1/admin/models",
                           "/api/v1/admin/system"}) {
    EXPECT_EQ(env_->Call("GET", path, pro).status, 403) << path;
    auto r = env_->Call("GET", path, admin);
    EXPECT_EQ(r.status, 200) << path << ": " << r.text;
  }
  auto plugins = env_->Call("GET", "/api/v1/admin/plugins", admin);
  EXPECT_NE(plugins.text.find("indicator"), std::string::npos);
  auto st = env_->Call("GET", "/api/v1/admin/strategies", admin);
  ASSERT_GE(st.body["items"].size(), 1u);
  EXPECT_EQ(st.body["items"][0]["name"], "mean_reversion");
  EXPECT_EQ(st.body["items"][0]["active_signals"], 1);

  auto dis = env_->Call("PATCH", "/api/v1/admin/strategies/mean_reversion", admin, {{"status", "disabled"}});
  ASSERT_EQ(dis.status, 200) << dis.text;
  EXPECT_EQ(env_->Call("GET", "/api/v1/admin/strategies", admin).body["items"][0]["status"], "disabled");
  EXPECT_EQ(env_->Call("PATCH", "/api/v1/admin/strategies/nosuch", admin, {{"status", "active"}}).status, 404);
  EXPECT_EQ(env_->Call("PATCH", "/api/v1/admin/strategies/mean_reversion", admin, {{"status", "paused"}}).status, 400);

  auto up = env_->Call("POST", "/api/v1/admin/strategies", admin, {{"name", "fresh"}, {"source", "return {}\n"}});
  ASSERT_EQ(up.status, 202) << up.text;
  EXPECT_TRUE(std::filesystem::exists(scripts_ / "fresh.lua"));
  EXPECT_EQ(env_->Call("POST", "/api/v1/admin/strategies", admin, {{"name", "../etc"}, {"source", "x"}}).status, 422);
  bool listed = false;
  auto after = env_->Call("GET", "/api/v1/admin/strategies", admin);
  for (const auto& s : after.body["items"]) {
    listed = listed || (s["name"] == "fresh" && s["status"] == "not_loaded");
  }
  EXPECT_TRUE(listed) << after.text;
  auto sys = env_->Call("GET", "/api/v1/admin/system", admin);
  EXPECT_EQ(sys.body["database"]["reachable"], true);
  EXPECT_GE(sys.body["tables"]["signals"].get<int64_t>(), 1);
}

}  // namespace
}  // namespace sf::api::test
