// The market-watching alert rules (price_cross, volume_spike,
// indicator_threshold through the real indicator plugin, news) against a
// real throwaway PostgreSQL: synthetic bars and news go through the
// evaluator the notify service subscribes to the market feed, the outbox
// rows it writes are delivered by the real worker to a local webhook
// receiver, and a replay of the same bars and news adds nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <thread>

#include "notify/alert_evaluator.h"
#include "notify/delivery_worker.h"
#include "notify_support.h"
#include "store/alerts_repository.h"
#include "store/deliveries_repository.h"
#include "store/watchlists_repository.h"
#include "support/pg_cluster.h"

namespace sf::notify::test {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kMinuteUs = 60'000'000;
constexpr int64_t kStartUs = 1'767'623'400'000'000LL;  // 2026-01-05 14:30 UTC

market::CompletedBar Bar(const std::string& symbol, int i, double close, double volume = 1000,
                         market::Timeframe tf = market::Timeframe::k1m) {
  market::CompletedBar b;
  b.symbol = symbol;
  b.timeframe = tf;
  b.ts_start = kStartUs + i * kMinuteUs;
  b.ts_end = b.ts_start + market::TimeframeMicros(tf);
  b.open = b.high = b.low = b.close = close;
  b.volume = volume;
  return b;
}

class Rules : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pool = store::Pool::Create(
        {.conninfo = sf::testing::PgCluster::Shared().CreateMigratedDatabase("rules"),
         .size = 8});
    ASSERT_TRUE(pool.ok()) << pool.status().ToString();
    pool_ = std::move(*pool);
    MakeStrategy(*pool_, "mean_reversion", {"AAPL", "MSFT", "XOM"});
    channels_ = ChannelSet::Create(
        &NotifierRegistry(), {{"webhook", {{"allow_networks", {"127.0.0.1/32"}}}}}, nullptr);
    auto s = ParseNotifySettings({{"poll_ms", 50}, {"jitter", 0}});
    ASSERT_TRUE(s.ok());
    settings_ = *s;
    user_ = MakeUser(*pool_, "watcher@example.com");
  }

  store::AlertSubscription Rule(const std::string& kind, nlohmann::json filters,
                                const std::string& url, int64_t user = 0) {
    store::AlertsRepository alerts(pool_.get());
    store::NewAlertSubscription n;
    n.kind = kind;
    n.channel = "webhook";
    n.destination = url;
    n.filters = std::move(filters);
    auto sub = alerts.Create(user ? user : user_, n);
    EXPECT_TRUE(sub.ok()) << sub.status().ToString();
    return sub.ok() ? *sub : store::AlertSubscription{};
  }

  std::unique_ptr<AlertEvaluator> Evaluator() {
    return std::make_unique<AlertEvaluator>(pool_.get(), channels_.get(), settings_,
                                            &PluginRegistry("indicators.so"));
  }

  int Feed(AlertEvaluator& ev, const std::vector<market::CompletedBar>& bars) {
    int rows = 0;
    for (const auto& b : bars) {
      auto n = ev.OnBar(b);
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      rows += n.ok() ? *n : 0;
    }
    return rows;
  }

  // Runs the worker until the outbox is drained.
  void Deliver() {
    DeliveryWorker worker(pool_.get(), channels_.get(), settings_);
    worker.Start();
    store::DeliveriesRepository repo(pool_.get());
    auto deadline = std::chrono::steady_clock::now() + milliseconds(15000);
    while (std::chrono::steady_clock::now() < deadline) {
      auto n = repo.CountUnfinished();
      if (n.ok() && *n == 0) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
    worker.Stop();
  }

  std::vector<nlohmann::json> Bodies(const Receiver& r, const std::string& path) {
    std::vector<nlohmann::json> out;
    for (const auto& got : r.received())
      if (got.path == path) out.push_back(nlohmann::json::parse(got.body));
    return out;
  }

  std::unique_ptr<store::Pool> pool_;
  std::unique_ptr<ChannelSet> channels_;
  NotifySettings settings_;
  int64_t user_ = 0;
};

TEST_F(Rules, PriceCrossFiresOncePerCrossSignedAndReplaysAddNothing) {
  Receiver receiver;
  auto up = Rule("price_cross", {{"symbol", "AAPL"}, {"level", 200}, {"direction", "above"}},
                 receiver.url("/up"));
  Rule("price_cross", {{"symbol", "AAPL"}, {"level", 190}, {"direction", "below"}},
       receiver.url("/down"));
  // The same rule for a premium user: webhooks are pro, nothing is written.
  int64_t premium = MakeUser(*pool_, "premium@example.com", "premium");
  Rule("price_cross", {{"symbol", "AAPL"}, {"level", 200}, {"direction", "above"}},
       receiver.url("/premium"), premium);
  std::vector<market::CompletedBar> bars;
  int i = 0;
  for (double c : {195.0, 198.0, 201.0, 203.0, 199.0, 202.0, 189.0, 188.0})
    bars.push_back(Bar("AAPL", i++, c));
  // A 5-minute bar crossing too: the rule follows the shortest timeframe
  // (1m here), so the cross is not reported twice.
  auto five = Bar("AAPL", 0, 205.0, 5000, market::Timeframe::k5m);
  five.open = 195.0;
  bars.push_back(five);
  bars.push_back(Bar("MSFT", i++, 250.0));  // another symbol
  auto ev = Evaluator();
  EXPECT_EQ(Feed(*ev, bars), 3);  // up at 201 and at 202, down at 189
  // A restart replaying the same bars adds nothing.
  auto again = Evaluator();
  EXPECT_EQ(Feed(*again, bars), 0);
  Deliver();
  auto ups = Bodies(receiver, "/up");
  ASSERT_EQ(ups.size(), 2u);
  EXPECT_EQ(ups[0]["type"], "alert.price_cross");
  std::set<double> closes;  // sent concurrently: any order
  for (const auto& u : ups) closes.insert(u["data"]["close"].get<double>());
  EXPECT_EQ(closes, (std::set<double>{201.0, 202.0}));
  EXPECT_EQ(ups[0]["data"]["direction"], "above");
  EXPECT_NE(ups[0]["data"]["summary"].get<std::string>().find("AAPL crossed above 200"),
            std::string::npos);
  auto downs = Bodies(receiver, "/down");
  ASSERT_EQ(downs.size(), 1u);
  EXPECT_DOUBLE_EQ(downs[0]["data"]["close"].get<double>(), 189.0);
  EXPECT_TRUE(Bodies(receiver, "/premium").empty());
  for (const auto& r : receiver.received()) {
    if (r.path != "/up") continue;
    std::string why;
    EXPECT_TRUE(VerifyStandardWebhook(*up.secret, r.headers.at("webhook-id"),
                                      r.headers.at("webhook-timestamp"),
                                      r.headers.at("webhook-signature"), r.body, NowSeconds(),
                                      &why))
        << why;
    EXPECT_EQ(r.headers.at("webhook-id").rfind("price_cross:" + std::to_string(up.id) + ":AAPL:1m:", 0),
              0u);
  }
}

TEST_F(Rules, VolumeSpikeAgainstTheAverageOfTheBarsBefore) {
  Receiver receiver;
  Rule("volume_spike", {{"symbol", "XOM"}, {"multiple", 3}, {"lookback", 5}},
       receiver.url("/vol"));
  std::vector<market::CompletedBar> bars;
  int i = 0;
  for (int k = 0; k < 5; ++k) bars.push_back(Bar("XOM", i++, 100, 100));
  bars.push_back(Bar("XOM", i++, 100, 350));  // 3.5x the 5-bar average: fires
  bars.push_back(Bar("XOM", i++, 100, 200));  // average now 150: 1.33x
  bars.push_back(Bar("XOM", i++, 100, 290));  // average 170: 1.7x
  auto ev = Evaluator();
  EXPECT_EQ(Feed(*ev, bars), 1);
  Deliver();
  auto got = Bodies(receiver, "/vol");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["type"], "alert.volume_spike");
  EXPECT_DOUBLE_EQ(got[0]["data"]["volume"].get<double>(), 350);
  EXPECT_DOUBLE_EQ(got[0]["data"]["average_volume"].get<double>(), 100);
  // Bad filters are refused by name.
  store::AlertsRepository alerts(pool_.get());
  store::NewAlertSubscription n;
  n.kind = "volume_spike";
  n.channel = "webhook";
  n.destination = receiver.url("/x");
  n.filters = {{"symbol", "XOM"}, {"lookback", 1}};
  EXPECT_NE(alerts.Create(user_, n).status().message().find("filters.lookback"), std::string::npos);
  n.filters = {{"symbol", "XOM"}, {"timeframe", "2m"}};
  EXPECT_NE(alerts.Create(user_, n).status().message().find("filters.timeframe"), std::string::npos);
}

TEST_F(Rules, IndicatorThresholdCrossingThroughTheIndicatorPlugin) {
  Receiver receiver;
  Rule("indicator_threshold",
       {{"symbol", "MSFT"}, {"indicator", "rsi"}, {"params", {14}}, {"op", "<"}, {"value", 30}},
       receiver.url("/rsi"));
  Rule("indicator_threshold",
       {{"symbol", "MSFT"}, {"indicator", "no_such_indicator"}, {"op", ">"}, {"value", 1}},
       receiver.url("/none"));
  std::vector<market::CompletedBar> bars;
  int i = 0;
  double c = 100;
  for (int k = 0; k < 20; ++k) bars.push_back(Bar("MSFT", i++, c += (k % 2 ? 1.0 : -0.5)));
  for (int k = 0; k < 12; ++k) bars.push_back(Bar("MSFT", i++, c -= 2.0));  // a slide
  for (int k = 0; k < 6; ++k) bars.push_back(Bar("MSFT", i++, c -= 0.5));   // still low
  auto ev = Evaluator();
  EXPECT_EQ(Feed(*ev, bars), 1) << "RSI(14) crosses below 30 once during the slide";
  Deliver();
  auto got = Bodies(receiver, "/rsi");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["type"], "alert.indicator_threshold");
  EXPECT_EQ(got[0]["data"]["indicator"], "rsi(14)");
  EXPECT_LT(got[0]["data"]["value"].get<double>(), 30);
  EXPECT_GE(got[0]["data"]["previous_value"].get<double>(), 30);
  EXPECT_TRUE(Bodies(receiver, "/none").empty());
}

TEST_F(Rules, NewsForWatchedSymbolsWithSentimentAndScoreFilters) {
  Receiver receiver;
  Rule("news", {{"symbols", {"AAPL"}}, {"sentiment", "negative"}}, receiver.url("/neg"));
  Rule("news", {{"min_score", 50}}, receiver.url("/watchlist"));  // the owner's watchlists
  store::WatchlistsRepository lists(pool_.get());
  ASSERT_TRUE(lists.Create(user_, "energy", {"XOM"}).ok());
  auto item = [](const std::string& id, const std::string& symbols, double score,
                 const std::string& extra) {
    market::NewsItem n;
    n.id = id;
    n.url = "https://news.example/" + id;
    n.title = "Headline " + id;
    n.source = "wire";
    n.symbols = symbols;
    n.score = score;
    n.extra_json = extra;
    n.published_us = kStartUs;
    return n;
  };
  auto ev = Evaluator();
  int rows = 0;
  for (const auto& n :
       {item("a1", "AAPL", 10, R"({"sentiment": 0.6})"),      // positive: no
        item("a2", "AAPL,MSFT", 10, R"({"sentiment": -0.7})"),  // negative AAPL: /neg
        item("a3", "AAPL", 10, ""),                             // no sentiment: no
        item("x1", "XOM", 80, ""),                              // watchlist, score 80: /watchlist
        item("x2", "XOM", 20, ""),                              // score too low
        item("m1", "MSFT", 99, R"({"sentiment": -0.9})")}) {    // not watched by anyone
    auto n2 = ev->OnNews(n);
    ASSERT_TRUE(n2.ok()) << n2.status().ToString();
    rows += *n2;
  }
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(*ev->OnNews(item("a2", "AAPL,MSFT", 10, R"({"sentiment": -0.7})")), 0);  // replay
  Deliver();
  auto neg = Bodies(receiver, "/neg");
  ASSERT_EQ(neg.size(), 1u);
  EXPECT_EQ(neg[0]["type"], "alert.news");
  EXPECT_EQ(neg[0]["data"]["title"], "Headline a2");
  EXPECT_EQ(neg[0]["data"]["symbols"], nlohmann::json::array({"AAPL"}));
  auto watched = Bodies(receiver, "/watchlist");
  ASSERT_EQ(watched.size(), 1u);
  EXPECT_EQ(watched[0]["data"]["title"], "Headline x1");
}

}  // namespace
}  // namespace sf::notify::test
