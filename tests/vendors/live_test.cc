// The HTTP vendors as live providers: poll() against local servers speaking
// Alpaca's and Yahoo's documented JSON, then the host's live feed
// (sf::market::LiveFeed, the code `serve` runs) failing over from a
// rate-limited Alpaca to Yahoo, backfilling the hole from Yahoo, and going
// back to Alpaca once its breaker's probe succeeds.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/parse_util.h"
#include "fake_server.h"
#include "market/calendar.h"
#include "market/live_feed.h"
#include "plugin_harness.h"
#include "plugins/plugin_call.h"

namespace sf::testing {
namespace {

using nlohmann::json;

constexpr int64_t kMin = 60'000'000;
constexpr int64_t kSec = 1'000'000;

// One price path both vendors serve (so a switch between them is seamless):
// smooth enough that the quality rules never call a minute an outlier.
double Price(int64_t t_us) {
  const double m = static_cast<double>(t_us / kMin);
  return 100 + 2 * std::sin(m * 0.7) + 1.5 * std::sin(m * 0.13);
}
struct Ohlc {
  double o, h, l, c;
};
Ohlc MinuteBar(int64_t start_us) {
  const double o = Price(start_us), c = Price(start_us + kMin);
  return {o, std::max(o, c) + 0.05, std::min(o, c) - 0.05, c};
}

// A minute boundary an hour ago: every bar of the tests is in the past.
int64_t Anchor() {
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return now / kMin * kMin - 60 * kMin;
}

// Alpaca v2 bars: start..end inclusive (as Alpaca documents), or 429.
class AlpacaLive {
 public:
  AlpacaLive()
      : server_([this](const RecordedRequest& req, auto&, auto& response, auto&) {
          if (limited_) {
            response.set("Retry-After", "120");
            Reply(response, 429, R"({"message":"too many requests."})");
            return;
          }
          EXPECT_EQ(req.query.at("timeframe"), "1Min");
          const auto start = vendors::ParseRfc3339(req.query.at("start"));
          const auto end = vendors::ParseRfc3339(req.query.at("end"));
          json bars = json::array();
          for (int64_t t = (*start + kMin - 1) / kMin * kMin; t <= *end; t += kMin) {
            const Ohlc b = MinuteBar(t);
            bars.push_back({{"t", vendors::FormatUtc(t)}, {"o", b.o}, {"h", b.h}, {"l", b.l}, {"c", b.c},
                            {"v", 1000}, {"n", 10}, {"vw", (b.h + b.l) / 2}});
          }
          Reply(response, 200, json({{"bars", bars}, {"symbol", "AAPL"}, {"next_page_token", nullptr}}).dump());
        }) {}
  std::string base_url() const { return server_.base_url(); }
  std::vector<RecordedRequest> requests() const { return server_.requests(); }
  void SetLimited(bool on) { limited_ = on; }

 private:
  std::atomic<bool> limited_{false};
  FakeVendorServer server_;
};

// Yahoo chart v8, 1m interval: timestamps in [period1, period2).
class YahooLive {
 public:
  YahooLive()
      : server_([](const RecordedRequest& req, auto&, auto& response, auto&) {
          EXPECT_EQ(req.query.at("interval"), "1m");
          const int64_t p1 = std::stoll(req.query.at("period1")) * kSec;
          const int64_t p2 = std::stoll(req.query.at("period2")) * kSec;
          json ts = json::array(), o = json::array(), h = json::array(), l = json::array(), c = json::array(),
               v = json::array();
          for (int64_t t = (p1 + kMin - 1) / kMin * kMin; t < p2; t += kMin) {
            const Ohlc b = MinuteBar(t);
            ts.push_back(t / kSec);
            o.push_back(b.o);
            h.push_back(b.h);
            l.push_back(b.l);
            c.push_back(b.c);
            v.push_back(1000);
          }
          json result = {{"meta", {{"symbol", "AAPL"}, {"gmtoffset", 0}, {"dataGranularity", "1m"}}},
                         {"timestamp", ts},
                         {"indicators", {{"quote", json::array({{{"open", o}, {"high", h}, {"low", l},
                                                                 {"close", c}, {"volume", v}}})}}}};
          Reply(response, 200, json({{"chart", {{"result", json::array({result})}, {"error", nullptr}}}}).dump());
        }) {}
  std::string base_url() const { return server_.base_url(); }
  std::vector<RecordedRequest> requests() const { return server_.requests(); }

 private:
  FakeVendorServer server_;
};

json AlpacaConfig(const std::string& base, int lookback_minutes, int poll_interval_ms) {
  return {{"base_url", base},         {"key_id", "AK"},
          {"secret_key", "s"},        {"timeout_ms", 2000},
          {"symbols", {"AAPL"}},      {"live_lookback_minutes", lookback_minutes},
          {"poll_interval_ms", poll_interval_ms}};
}

TEST(VendorsLive, PollEmitsEachCompleteBarOnceAndHonoursRetryAfter) {
  AlpacaLive alpaca;
  Instance ap(LoadProvider("vendors.so", "alpaca"), AlpacaConfig(alpaca.base_url(), 5, 60000));
  ASSERT_TRUE(ap.ok()) << ap.create_outcome().error;
  const int64_t t = Anchor();

  RecordingSink first;
  Outcome out = ap.Poll(t + 30 * kSec, first);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  ASSERT_EQ(first.batches.size(), 1u);
  // The bar starting at t is still running at t+30s: not emitted.
  std::vector<int64_t> expected;
  for (int i = -5; i < 0; ++i) expected.push_back(t + i * kMin);
  EXPECT_EQ(first.batches[0].ts_start, expected);
  EXPECT_EQ(first.batches[0].timeframe, "1m");
  EXPECT_TRUE(first.batches[0].has_vwap);
  EXPECT_EQ(alpaca.requests().at(0).query.at("start"), vendors::FormatUtc(t - 5 * kMin));

  RecordingSink soon;  // within poll_interval_ms: no request at all
  EXPECT_EQ(ap.Poll(t + 40 * kSec, soon).status, SF_NO_DATA);
  EXPECT_EQ(alpaca.requests().size(), 1u);

  RecordingSink next;  // only what completed since
  out = ap.Poll(t + 90 * kSec, next);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  ASSERT_EQ(next.batches.size(), 1u);
  EXPECT_EQ(next.batches[0].ts_start, std::vector<int64_t>{t});
  EXPECT_EQ(alpaca.requests().at(1).query.at("start"), vendors::FormatUtc(t));

  alpaca.SetLimited(true);
  RecordingSink limited;
  out = ap.Poll(t + 200 * kSec, limited);
  EXPECT_EQ(out.status, SF_ERR_RATE_LIMITED);
  EXPECT_NE(out.error.find("retry after 120 s"), std::string::npos) << out.error;
  EXPECT_TRUE(limited.batches.empty());
  EXPECT_EQ(alpaca.requests().size(), 3u);
  // Until Retry-After has passed, no request goes out (it would prolong the ban).
  out = ap.Poll(t + 300 * kSec, limited);
  EXPECT_EQ(out.status, SF_ERR_RATE_LIMITED);
  EXPECT_NE(out.error.find("no request before"), std::string::npos) << out.error;
  EXPECT_EQ(alpaca.requests().size(), 3u);
  alpaca.SetLimited(false);
  RecordingSink after;
  out = ap.Poll(t + 330 * kSec, after);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  EXPECT_EQ(alpaca.requests().size(), 4u);
  ASSERT_EQ(after.batches.size(), 1u);
  EXPECT_EQ(after.batches[0].ts_start.front(), t + kMin);  // resumes where it stopped
  EXPECT_EQ(after.batches[0].ts_start.back(), t + 4 * kMin);
}

TEST(VendorsLive, LiveConfigMistakesAreNamed) {
  Instance no_symbols(LoadProvider("vendors.so", "yahoo"), json{{"base_url", "http://127.0.0.1:9"}});
  ASSERT_TRUE(no_symbols.ok());
  RecordingSink sink;
  Outcome out = no_symbols.Poll(Anchor(), sink);
  EXPECT_EQ(out.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(out.error.find("'symbols'"), std::string::npos) << out.error;

  Instance four_hours(LoadProvider("vendors.so", "yahoo"),
                      json{{"base_url", "http://127.0.0.1:9"}, {"symbols", {"AAPL"}}, {"live_timeframe", "4h"}});
  ASSERT_TRUE(four_hours.ok());
  out = four_hours.Poll(Anchor(), sink);
  EXPECT_EQ(out.status, SF_ERR_UNSUPPORTED);
  EXPECT_NE(out.error.find("live_timeframe"), std::string::npos) << out.error;

  Instance bad_lookback(LoadProvider("vendors.so", "yahoo"), json{{"live_lookback_minutes", 0}});
  EXPECT_FALSE(bad_lookback.ok());
  EXPECT_NE(bad_lookback.create_outcome().error.find("live_lookback_minutes"), std::string::npos);
}

std::unique_ptr<plugins::ProviderInstance> Make(const std::string& id, const json& config) {
  const plugins::Provider* p = LoadProviderComponent("vendors.so", id);
  EXPECT_NE(p, nullptr);
  if (p == nullptr) return nullptr;
  auto inst = plugins::ProviderInstance::Create(*p, config.dump());
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  return inst.ok() ? std::move(*inst) : nullptr;
}

TEST(VendorsLive, FeedFailsOverOnRateLimitBackfillsTheHoleAndReturns) {
  AlpacaLive alpaca;
  YahooLive yahoo;
  auto calendars = market::CalendarSet::LoadDirectory(SF_CALENDAR_DIR);
  ASSERT_TRUE(calendars.ok()) << calendars.status().ToString();
  // A 24/7 calendar keeps the test independent of the time of day it runs;
  // failover and backfill do not depend on sessions.
  auto calendar = calendars->Find("crypto");
  ASSERT_NE(calendar, nullptr);

  std::vector<market::LiveProvider> providers;
  providers.push_back({"alpaca", Make("alpaca", AlpacaConfig(alpaca.base_url(), 5, 0)), 1.0});
  providers.push_back({"yahoo",
                       Make("yahoo", {{"base_url", yahoo.base_url()},
                                      {"symbols", {"AAPL"}},
                                      {"live_lookback_minutes", 2},
                                      {"poll_interval_ms", 0}}),
                       1.0});
  ASSERT_TRUE(providers[0].instance && providers[1].instance);
  market::BreakerOptions breaker;
  breaker.failure_threshold = 2;
  breaker.open_us = 10 * kMin;
  std::map<int64_t, std::string> stored;  // bar start -> provider (first delivery)
  std::map<int64_t, int> deliveries;
  std::vector<market::CompletedBar> released;
  std::vector<std::string> warnings;
  market::LiveFeedCallbacks cb;
  cb.store = [&](const market::ProviderBars& bars) {
    ASSERT_EQ(bars.timeframe, market::Timeframe::k1m);
    for (size_t i = 0; i < bars.size(); ++i) {
      stored.emplace(bars.ts_start[i], bars.source);
      deliveries[bars.ts_start[i]]++;
      EXPECT_EQ(bars.ts_end[i], bars.ts_start[i] + kMin);
      EXPECT_DOUBLE_EQ(bars.open[i], MinuteBar(bars.ts_start[i]).o);
    }
  };
  cb.release = [&](const market::CompletedBar& bar) {
    if (bar.timeframe == market::Timeframe::k1m) released.push_back(bar);
  };
  cb.log = [&](const std::string& level, const std::string& m) {
    if (level == "warn") warnings.push_back(m);
  };
  market::LiveFeed feed("equity", calendar, std::move(providers), breaker, market::QualityOptions{},
                        {market::Timeframe::k5m}, cb);
  const int64_t t = Anchor();

  feed.Poll(t);  // Alpaca: the last 5 minutes
  feed.Poll(t + kMin);
  EXPECT_EQ(feed.active(), "alpaca");
  ASSERT_EQ(stored.size(), 6u);
  EXPECT_EQ(stored.begin()->first, t - 5 * kMin);

  alpaca.SetLimited(true);
  feed.Poll(t + 2 * kMin);  // 429 with Retry-After
  feed.Poll(t + 3 * kMin);  // still banned: refused without a request; the breaker opens
  const size_t alpaca_requests = alpaca.requests().size();
  json states = feed.ProviderStates(t + 3 * kMin);
  EXPECT_EQ(states["alpaca"]["state"], "open") << states.dump();
  EXPECT_NE(states["alpaca"]["last_error"].get<std::string>().find("retry after 120 s"), std::string::npos)
      << states.dump();

  // Yahoo takes over; its first poll reaches back only 2 minutes, so the
  // minutes t+1 .. t+4 are a hole, fetched from Yahoo in one range request.
  feed.Poll(t + 7 * kMin);
  EXPECT_EQ(feed.active(), "yahoo");
  EXPECT_EQ(alpaca.requests().size(), alpaca_requests);  // an open breaker sends nothing
  const auto yreq = yahoo.requests();
  ASSERT_EQ(yreq.size(), 2u);
  EXPECT_EQ(yreq[0].query.at("period1"), std::to_string((t + 5 * kMin) / kSec));  // the poll
  EXPECT_EQ(yreq[1].query.at("period1"), std::to_string((t + 1 * kMin) / kSec));  // the backfill
  EXPECT_EQ(yreq[1].query.at("period2"), std::to_string((t + 5 * kMin) / kSec));
  for (int64_t m = -5; m <= 6; ++m) {
    ASSERT_EQ(stored.count(t + m * kMin), 1u) << "minute " << m << " missing";
    EXPECT_EQ(deliveries[t + m * kMin], 1) << "minute " << m;
  }
  EXPECT_EQ(stored.size(), 12u);
  EXPECT_EQ(stored[t + 3 * kMin], "yahoo");
  EXPECT_EQ(stored[t], "alpaca");

  // Ten minutes later the breaker lets one probe through; Alpaca answers
  // again, so it serves again (first in order) and the breaker closes.
  alpaca.SetLimited(false);
  feed.Poll(t + 17 * kMin);
  EXPECT_EQ(feed.active(), "alpaca");
  states = feed.ProviderStates(t + 17 * kMin);
  EXPECT_EQ(states["alpaca"]["state"], "closed") << states.dump();
  for (int64_t m = 7; m <= 16; ++m) EXPECT_EQ(stored.count(t + m * kMin), 1u) << "minute " << m;
  EXPECT_EQ(stored[t + 10 * kMin], "alpaca");

  // What strategies saw never ran backwards and never repeated a minute.
  ASSERT_FALSE(released.empty());
  for (size_t i = 1; i < released.size(); ++i) EXPECT_GT(released[i].ts_end, released[i - 1].ts_end);
  EXPECT_EQ(released.back().ts_end, t + 17 * kMin);
}

}  // namespace
}  // namespace sf::testing
