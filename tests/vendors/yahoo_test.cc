// Yahoo chart v8 provider against a local server speaking its documented JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_server.h"
#include "plugin_harness.h"

namespace sf::testing {
namespace {

using nlohmann::json;

json Chart(const std::string& symbol, const json& ts, const json& quote, const json& adj,
           int gmtoffset = -18000) {
  json result = {{"meta",
                  {{"currency", "USD"},
                   {"symbol", symbol},
                   {"exchangeName", "NMS"},
                   {"instrumentType", "EQUITY"},
                   {"gmtoffset", gmtoffset},
                   {"timezone", "EST"},
                   {"exchangeTimezoneName", "America/New_York"},
                   {"dataGranularity", "1d"}}},
                 {"timestamp", ts},
                 {"indicators", {{"quote", json::array({quote})}}}};
  if (!adj.is_null()) result["indicators"]["adjclose"] = json::array({{{"adjclose", adj}}});
  return {{"chart", {{"result", json::array({result})}, {"error", nullptr}}}};
}

json Config(const std::string& base) { return {{"base_url", base}, {"timeout_ms", 2000}}; }

const sf_provider_vtable* Yh() { return LoadProvider("vendors.so", "yahoo"); }

TEST(Yahoo, DailyChartMapsToExchangeDatesWithAdjustment) {
  // Session opens 14:30 UTC (09:30 EST); null row = no trade that day.
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json ts = {1704205800, 1704292200, 1704378600};
    json quote = {{"open", {187.15, 184.22, nullptr}},
                  {"high", {188.44, 185.88, nullptr}},
                  {"low", {183.89, 183.43, nullptr}},
                  {"close", {185.64, 184.25, nullptr}},
                  {"volume", {82488700, 58414500, nullptr}}};
    json adj = {184.73, 183.35, nullptr};
    Reply(response, 200, Chart("AAPL", ts, quote, adj).dump());
  });
  Instance yh(Yh(), Config(server.base_url()));
  ASSERT_TRUE(yh.ok()) << yh.create_outcome().error;
  RecordingSink sink;
  const Outcome out = yh.FetchBars({"AAPL"}, "1d", sink, Utc(2024, 1, 2), Utc(2024, 1, 5));
  ASSERT_EQ(out.status, SF_OK) << out.error;
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.path, "/v8/finance/chart/AAPL");
  EXPECT_EQ(req.query.at("interval"), "1d");
  EXPECT_EQ(req.query.at("period1"), std::to_string(Utc(2024, 1, 2) / 1000000));
  EXPECT_EQ(req.query.at("period2"), std::to_string(Utc(2024, 1, 5) / 1000000));
  EXPECT_EQ(req.query.at("includeAdjustedClose"), "true");
  ASSERT_EQ(sink.batches.size(), 1u);
  const Batch& b = sink.batches[0];
  ASSERT_EQ(b.ts_start.size(), 2u);
  EXPECT_EQ(b.ts_start[0], Utc(2024, 1, 2));
  EXPECT_EQ(b.ts_start[1], Utc(2024, 1, 3));
  EXPECT_FALSE(b.has_ts_end);
  EXPECT_DOUBLE_EQ(b.open[0], 187.15);
  EXPECT_DOUBLE_EQ(b.high[1], 185.88);
  EXPECT_DOUBLE_EQ(b.low[1], 183.43);
  EXPECT_DOUBLE_EQ(b.close[1], 184.25);
  EXPECT_DOUBLE_EQ(b.volume[0], 82488700);
  ASSERT_TRUE(b.has_adj);
  EXPECT_DOUBLE_EQ(b.adj_factor[0], 184.73 / 185.64);
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_NE(sink.rejects[0].reason.find("open is null"), std::string::npos);
  EXPECT_NE(sink.rejects[0].what.find("yahoo AAPL 1d bar 2024-01-04"), std::string::npos)
      << sink.rejects[0].what;
}

TEST(Yahoo, IntradayKeepsUtcTimestampsAndEncodesIndexSymbols) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json ts = {1704378600, 1704382200};
    json quote = {{"open", {4700.5, 4705}},
                  {"high", {4710, 4712}},
                  {"low", {4698, 4701}},
                  {"close", {4705, 4711}},
                  {"volume", {0, 0}}};
    Reply(response, 200, Chart("^GSPC", ts, quote, nullptr).dump());
  });
  Instance yh(Yh(), Config(server.base_url()));
  RecordingSink sink;
  const Outcome out = yh.FetchBars({"^GSPC"}, "1h", sink);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.path, "/v8/finance/chart/^GSPC");
  EXPECT_EQ(req.query.at("interval"), "60m");
  EXPECT_EQ(req.query.at("range"), "730d");
  const Batch& b = sink.batches.at(0);
  EXPECT_EQ(b.ts_start, (std::vector<int64_t>{Utc(2024, 1, 4, 14, 30), Utc(2024, 1, 4, 15, 30)}));
  EXPECT_FALSE(b.has_ts_end);
  EXPECT_FALSE(b.has_adj);
  EXPECT_DOUBLE_EQ(b.volume[1], 0);
}

TEST(Yahoo, ErrorsMapToStatusCodes) {
  struct Case {
    int http;
    std::string body;
    std::map<std::string, std::string> headers;
    sf_status code;
    const char* text;
  } cases[] = {
      {404,
       R"({"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}})",
       {},
       SF_ERR_NOT_FOUND,
       "symbol may be delisted"},
      {200,
       R"({"chart":{"result":null,"error":{"code":"Not Found","description":"No data found"}}})",
       {},
       SF_ERR_NOT_FOUND,
       "unknown symbol"},
      {429,
       "Too Many Requests\r\n",
       {{"Retry-After", "7"}},
       SF_ERR_RATE_LIMITED,
       "retry after 7 s (Retry-After header)"},
      {401,
       R"({"finance":{"result":null,"error":{"code":"Unauthorized","description":"Invalid Crumb"}}})",
       {},
       SF_ERR_UNAUTHENTICATED,
       "Invalid Crumb"},
      {400,
       R"({"chart":{"result":null,"error":{"code":"Bad Request","description":"Invalid input - interval=7m is not supported"}}})",
       {},
       SF_ERR_INVALID_ARGUMENT,
       "interval=7m"},
      {502, "<html>Bad Gateway</html>", {}, SF_ERR_UNAVAILABLE, "HTTP 502"},
  };
  for (const Case& c : cases) {
    FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
      for (const auto& [k, v] : c.headers) response.set(k, v);
      Reply(response, c.http, c.body);
    });
    Instance yh(Yh(), Config(server.base_url()));
    RecordingSink sink;
    const Outcome out = yh.FetchBars({"XYZ"}, "1d", sink);
    EXPECT_EQ(out.status, c.code) << c.body << " -> " << out.error;
    EXPECT_NE(out.error.find(c.text), std::string::npos) << out.error;
    EXPECT_NE(out.error.find("yahoo XYZ"), std::string::npos) << out.error;
  }
}

TEST(Yahoo, MalformedChartsAreBadData) {
  const std::string bodies[] = {
      // column shorter than timestamps
      Chart(
          "XYZ", {1704205800, 1704292200},
          {{"open", {1}}, {"high", {1, 2}}, {"low", {1, 2}}, {"close", {1, 2}}, {"volume", {1, 2}}},
          nullptr)
          .dump(),
      R"({"chart":{"result":[],"error":null}})",
      R"({"chart":{"result":[{"meta":{"symbol":"XYZ"},"timestamp":"soon"}],"error":null}})",
      R"({"chart": )",
      Chart("ABC", {1704205800},
            {{"open", {1}}, {"high", {1}}, {"low", {1}}, {"close", {1}}, {"volume", {1}}}, nullptr)
          .dump(),
  };
  for (const std::string& body : bodies) {
    FakeVendorServer server(
        [&](const RecordedRequest&, auto&, auto& response, auto&) { Reply(response, 200, body); });
    Instance yh(Yh(), Config(server.base_url()));
    RecordingSink sink;
    const Outcome out = yh.FetchBars({"XYZ"}, "1d", sink);
    EXPECT_EQ(out.status, SF_ERR_BAD_DATA) << body << " -> " << out.error;
    EXPECT_NE(out.error.find("yahoo XYZ"), std::string::npos) << out.error;
    EXPECT_TRUE(sink.batches.empty());
  }
}

}  // namespace
}  // namespace sf::testing
