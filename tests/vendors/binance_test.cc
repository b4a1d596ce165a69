// Binance klines provider against a local server speaking its documented JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_server.h"
#include "plugin_harness.h"

namespace sf::testing {
namespace {

using nlohmann::json;

json Kline(int64_t open_ms, int64_t len_ms, const std::string& o, const std::string& h,
           const std::string& l, const std::string& c, const std::string& v, const std::string& q) {
  return {open_ms, o, h, l, c, v, open_ms + len_ms - 1, q, 42, "0", "0", "0"};
}

json Config(const std::string& base) { return {{"base_url", base}, {"timeout_ms", 2000}}; }

const sf_provider_vtable* Bn() { return LoadProvider("vendors.so", "binance"); }

TEST(Binance, KlinesMapWithVwapAndCloseTimeAcrossAWeekend) {
  // 2024-01-06 and -07 are a Saturday and Sunday: crypto trades 24/7.
  const int64_t day = 86400000;
  const int64_t sat = Utc(2024, 1, 6) / 1000;
  FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
    json body = {
        Kline(sat, day, "43900.01", "44200.00", "43600.50", "44100.10", "100.5", "4420000.0"),
        Kline(sat + day, day, "44100.10", "44500.00", "43900.00", "44000.00", "0", "0")};
    Reply(response, 200, body.dump());
  });
  Instance bn(Bn(), Config(server.base_url()));
  ASSERT_TRUE(bn.ok()) << bn.create_outcome().error;
  RecordingSink sink;
  const Outcome out = bn.FetchBars({"BTCUSDT"}, "1d", sink, Utc(2024, 1, 6), Utc(2024, 1, 8));
  ASSERT_EQ(out.status, SF_OK) << out.error;
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.path, "/api/v3/klines");
  EXPECT_EQ(req.query.at("symbol"), "BTCUSDT");
  EXPECT_EQ(req.query.at("interval"), "1d");
  EXPECT_EQ(req.query.at("startTime"), std::to_string(sat));
  EXPECT_EQ(req.query.at("endTime"), std::to_string(Utc(2024, 1, 8) / 1000 - 1));
  EXPECT_EQ(req.query.at("limit"), "1000");
  ASSERT_EQ(sink.batches.size(), 1u);
  const Batch& b = sink.batches[0];
  EXPECT_EQ(b.ts_start, (std::vector<int64_t>{Utc(2024, 1, 6), Utc(2024, 1, 7)}));
  ASSERT_TRUE(b.has_ts_end);  // Binance says exactly when a kline closes
  EXPECT_EQ(b.ts_end[0], Utc(2024, 1, 7));
  EXPECT_DOUBLE_EQ(b.open[0], 43900.01);
  EXPECT_DOUBLE_EQ(b.high[0], 44200.00);
  EXPECT_DOUBLE_EQ(b.low[0], 43600.50);
  EXPECT_DOUBLE_EQ(b.close[0], 44100.10);
  EXPECT_DOUBLE_EQ(b.volume[0], 100.5);
  EXPECT_DOUBLE_EQ(b.volume[1], 0);
  // The second kline has no volume, so no vwap: the column is left out
  // rather than filled with an invented value.
  EXPECT_FALSE(b.has_vwap);
}

TEST(Binance, PaginatesByStartTimeUntilAShortPage) {
  const int64_t hour = 3600000;
  const int64_t t0 = Utc(2024, 3, 1) / 1000;
  FakeVendorServer server([&](const RecordedRequest& req, auto&, auto& response, auto&) {
    const int64_t start = std::stoll(req.query.at("startTime"));
    const int limit = std::stoi(req.query.at("limit"));
    json body = json::array();
    const int64_t end = t0 + 5 * hour;  // five klines exist
    for (int64_t t = t0 + ((start - t0 + hour - 1) / hour) * hour;
         t < end && static_cast<int>(body.size()) < limit; t += hour) {
      body.push_back(Kline(t, hour, "10", "11", "9", "10.5", "2", "21"));
    }
    Reply(response, 200, body.dump());
  });
  json config = Config(server.base_url());
  config["limit"] = 2;
  Instance bn(Bn(), config);
  RecordingSink sink;
  const Outcome out = bn.FetchBars({"ETHUSDT"}, "1h", sink, Utc(2024, 3, 1), 0);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].query.at("startTime"), std::to_string(t0 + hour + 1));
  ASSERT_EQ(sink.batches.size(), 1u);
  ASSERT_EQ(sink.batches[0].ts_start.size(), 5u);
  EXPECT_EQ(sink.batches[0].ts_start[4], Utc(2024, 3, 1, 4));
  ASSERT_TRUE(sink.batches[0].has_vwap);
  EXPECT_DOUBLE_EQ(sink.batches[0].vwap[0], 10.5);
}

TEST(Binance, ErrorsMapToStatusCodes) {
  struct Case {
    int http;
    std::string body;
    std::map<std::string, std::string> headers;
    sf_status code;
    const char* text;
  } cases[] = {
      {400,
       R"({"code":-1121,"msg":"Invalid symbol."})",
       {},
       SF_ERR_NOT_FOUND,
       "code -1121: Invalid symbol."},
      {429,
       R"({"code":-1003,"msg":"Too many requests; current limit of IP is 6000 request weight per 1 MINUTE."})",
       {{"Retry-After", "3"}},
       SF_ERR_RATE_LIMITED,
       "retry after 3 s (Retry-After header)"},
      {418,
       R"({"code":-1003,"msg":"Way too many requests; IP banned until 1700000000000."})",
       {{"Retry-After", "120"}},
       SF_ERR_RATE_LIMITED,
       "IP banned"},
      {400,
       R"({"code":-1120,"msg":"Invalid interval."})",
       {},
       SF_ERR_INVALID_ARGUMENT,
       "Invalid interval."},
      {401,
       R"({"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."})",
       {},
       SF_ERR_UNAUTHENTICATED,
       "api_key"},
      {503,
       R"({"code":-1001,"msg":"Internal error; unable to process your request. Please try again."})",
       {},
       SF_ERR_UNAVAILABLE,
       "retry later"},
  };
  for (const Case& c : cases) {
    FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
      for (const auto& [k, v] : c.headers) response.set(k, v);
      Reply(response, c.http, c.body);
    });
    Instance bn(Bn(), Config(server.base_url()));
    RecordingSink sink;
    const Outcome out = bn.FetchBars({"BTCUSDT"}, "1d", sink);
    EXPECT_EQ(out.status, c.code) << c.body << " -> " << out.error;
    EXPECT_NE(out.error.find(c.text), std::string::npos) << out.error;
    EXPECT_NE(out.error.find("binance BTCUSDT"), std::string::npos) << out.error;
  }
}

TEST(Binance, MalformedKlinesAreRefusedOneByOne) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    const int64_t t = Utc(2024, 1, 1) / 1000;
    json body = {Kline(t, 60000, "1", "2", "0.5", "1.5", "3", "4"),
                 json::array({t + 60000, "1"}),
                 {"not", "a", "kline", 1, 2, 3, 4, 5, 6},
                 Kline(t + 120000, 60000, "1", "2", "0.5", "one", "3", "4"),
                 Kline(0, 60000, "1", "2", "0.5", "1.5", "3", "4"),
                 Kline(t + 180000, 60000, "1", "2", "3", "1.5", "3", "4")};
    Reply(response, 200, body.dump());
  });
  Instance bn(Bn(), Config(server.base_url()));
  RecordingSink sink;
  const Outcome out = bn.FetchBars({"BTCUSDT"}, "1m", sink);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  EXPECT_EQ(server.requests().at(0).query.count("startTime"), 0u);
  ASSERT_EQ(sink.batches.at(0).ts_start.size(), 1u);
  EXPECT_EQ(sink.rejects.size(), 5u);
  EXPECT_TRUE(sink.Rejected("with integer times"));
  EXPECT_TRUE(sink.Rejected("close is not a decimal string"));
  EXPECT_TRUE(sink.Rejected("before min_date"));
  EXPECT_TRUE(sink.Rejected("high 2 < low 3"));
}

TEST(Binance, SymbolsFollowTheVendorRule) {
  FakeVendorServer server(
      [](const RecordedRequest&, auto&, auto& response, auto&) { Reply(response, 200, "[]"); });
  Instance bn(Bn(), Config(server.base_url()));
  for (const char* s : {"BTC-USD", "btcusdt", "BTC.USDT", "B"}) {
    RecordingSink sink;
    const Outcome out = bn.FetchBars({s}, "1d", sink);
    EXPECT_EQ(out.status, SF_ERR_INVALID_ARGUMENT) << s;
    EXPECT_NE(out.error.find("refused before any request"), std::string::npos) << out.error;
  }
  EXPECT_TRUE(server.requests().empty());
  RecordingSink sink;
  EXPECT_EQ(bn.FetchBars({"BTCUSDT"}, "1d", sink).status, SF_NO_DATA);
}

}  // namespace
}  // namespace sf::testing
