// AlphaVantage provider against a local server speaking its documented JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_server.h"
#include "plugin_harness.h"

namespace sf::testing {
namespace {

using nlohmann::json;

json DailyRow(const std::string& o, const std::string& h, const std::string& l,
              const std::string& c, const std::string& adj, const std::string& v,
              const std::string& split = "1.0") {
  return {{"1. open", o},
          {"2. high", h},
          {"3. low", l},
          {"4. close", c},
          {"5. adjusted close", adj},
          {"6. volume", v},
          {"7. dividend amount", "0.0000"},
          {"8. split coefficient", split}};
}

json DailyBody(const std::string& symbol, const json& series) {
  return {{"Meta Data",
           {{"1. Information", "Daily Time Series with Splits and Dividend Events"},
            {"2. Symbol", symbol},
            {"3. Last Refreshed", "2020-09-01"},
            {"4. Output Size", "Full size"},
            {"5. Time Zone", "US/Eastern"}}},
          {"Time Series (Daily)", series}};
}

json Config(const FakeVendorServer& server) {
  return {{"base_url", server.base_url()}, {"api_key", "test-key"}, {"timeout_ms", 2000}};
}

const sf_provider_vtable* Av() { return LoadProvider("vendors.so", "alphavantage"); }

TEST(AlphaVantage, PluginIdentity) {
  ASSERT_NE(Av(), nullptr);
  EXPECT_EQ(PluginId("vendors.so"), "org.signalforge.vendors");
  for (const char* id : {"alphavantage", "yahoo", "alpaca", "binance"}) {
    const sf_provider_vtable* vt = LoadProvider("vendors.so", id);
    ASSERT_NE(vt, nullptr) << id;
    const json meta = json::parse(vt->metadata_json);
    EXPECT_TRUE(meta["bars"].get<bool>()) << id;
    EXPECT_TRUE(meta["config"]["properties"].contains("base_url")) << id;
  }
}

TEST(AlphaVantage, DailyAdjustedMapsEveryFieldAcrossASplit) {
  // AAPL's 4:1 split on 2020-08-31: raw prices drop, adjusted close does not.
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json series = {
        {"2020-08-31", DailyRow("127.58", "131.0", "126.0", "129.04", "127.8", "225702700", "4.0")},
        {"2020-08-28", DailyRow("504.05", "505.77", "498.31", "499.23", "123.6", "46907479")},
        {"2020-08-27", DailyRow("508.57", "509.94", "495.33", "500.04", "123.8", "38888096")}};
    Reply(response, 200, DailyBody("AAPL", series).dump());
  });
  Instance av(Av(), Config(server));
  ASSERT_TRUE(av.ok()) << av.create_outcome().error;
  RecordingSink sink;
  const Outcome out = av.FetchBars({"AAPL"}, "1d", sink);
  ASSERT_EQ(out.status, SF_OK) << out.error;

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/query");
  EXPECT_EQ(requests[0].query.at("function"), "TIME_SERIES_DAILY_ADJUSTED");
  EXPECT_EQ(requests[0].query.at("symbol"), "AAPL");
  EXPECT_EQ(requests[0].query.at("apikey"), "test-key");
  EXPECT_EQ(requests[0].query.at("outputsize"), "full");

  ASSERT_EQ(sink.batches.size(), 1u);
  const Batch& b = sink.batches[0];
  EXPECT_EQ(b.symbol, "AAPL");
  EXPECT_EQ(b.timeframe, "1d");
  ASSERT_EQ(b.ts_start.size(), 3u);
  EXPECT_EQ(b.ts_start[0], Utc(2020, 8, 27));
  EXPECT_EQ(b.ts_start[1], Utc(2020, 8, 28));
  EXPECT_EQ(b.ts_start[2], Utc(2020, 8, 31));
  // Equity bar ends come from the host's calendar (session close, early closes).
  EXPECT_FALSE(b.has_ts_end);
  EXPECT_DOUBLE_EQ(b.open[0], 508.57);
  EXPECT_DOUBLE_EQ(b.high[0], 509.94);
  EXPECT_DOUBLE_EQ(b.low[0], 495.33);
  EXPECT_DOUBLE_EQ(b.close[0], 500.04);
  EXPECT_DOUBLE_EQ(b.volume[0], 38888096);
  EXPECT_DOUBLE_EQ(b.close[2], 129.04);  // raw prices stay raw
  ASSERT_TRUE(b.has_adj);
  EXPECT_DOUBLE_EQ(b.adj_factor[0], 123.8 / 500.04);
  EXPECT_DOUBLE_EQ(b.adj_factor[2], 127.8 / 129.04);
  // Adjusted closes are continuous across the split.
  EXPECT_NEAR(b.close[1] * b.adj_factor[1] / (b.close[2] * b.adj_factor[2]), 123.6 / 127.8, 1e-12);
  EXPECT_FALSE(b.has_vwap);
  EXPECT_TRUE(sink.rejects.empty());
}

TEST(AlphaVantage, IntradayConvertsNewYorkWallTimeToUtc) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json bar = {{"1. open", "10"},
                {"2. high", "11"},
                {"3. low", "9"},
                {"4. close", "10.5"},
                {"5. volume", "100"}};
    json body = {{"Meta Data",
                  {{"2. Symbol", "IBM"}, {"4. Interval", "5min"}, {"6. Time Zone", "US/Eastern"}}},
                 {"Time Series (5min)",
                  {{"2024-01-05 09:30:00", bar},
                   {"2024-07-01 09:30:00", bar},
                   {"2024-03-10 03:00:00", bar}}}};
    Reply(response, 200, body.dump());
  });
  Instance av(Av(), Config(server));
  RecordingSink sink;
  const Outcome out = av.FetchBars({"IBM"}, "5m", sink);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.query.at("function"), "TIME_SERIES_INTRADAY");
  EXPECT_EQ(req.query.at("interval"), "5min");
  EXPECT_EQ(req.query.at("adjusted"), "false");
  EXPECT_EQ(req.query.at("extended_hours"), "false");
  ASSERT_EQ(sink.batches.size(), 1u);
  const Batch& b = sink.batches[0];
  ASSERT_EQ(b.ts_start.size(), 3u);
  EXPECT_EQ(b.ts_start[0], Utc(2024, 1, 5, 14, 30));  // EST = UTC-5
  EXPECT_EQ(b.ts_start[1], Utc(2024, 3, 10, 7, 0));   // 03:00 EDT on the DST start day
  EXPECT_EQ(b.ts_start[2], Utc(2024, 7, 1, 13, 30));  // EDT = UTC-4
  EXPECT_FALSE(b.has_ts_end);
  EXPECT_FALSE(b.has_adj);
}

TEST(AlphaVantage, ErrorBodiesMapToStatusCodes) {
  struct Case {
    json body;
    sf_status code;
    const char* text;
  } cases[] = {
      {{{"Error Message",
         "Invalid API call. Please retry or visit the documentation "
         "(https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED."}},
       SF_ERR_NOT_FOUND,
       "unknown symbol"},
      {{{"Error Message",
         "the parameter apikey is invalid or missing. Please claim your free API key"}},
       SF_ERR_UNAUTHENTICATED,
       "api_key"},
      {{{"Note",
         "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls "
         "per minute and 500 calls per day."}},
       SF_ERR_RATE_LIMITED,
       "retry after 60 s"},
      {{{"Information",
         "We have detected your API key as XYZ and our standard API rate limit is "
         "25 requests per day."}},
       SF_ERR_RATE_LIMITED,
       "daily quota"},
      {{{"Information", "Thank you for using Alpha Vantage! This is a premium endpoint."}},
       SF_ERR_PERMISSION,
       "premium"},
  };
  for (const Case& c : cases) {
    FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
      Reply(response, 200, c.body.dump());
    });
    Instance av(Av(), Config(server));
    RecordingSink sink;
    const Outcome out = av.FetchBars({"ZZZZ"}, "1d", sink);
    EXPECT_EQ(out.status, c.code) << c.body.dump() << " -> " << out.error;
    EXPECT_NE(out.error.find("alphavantage ZZZZ"), std::string::npos) << out.error;
    EXPECT_NE(out.error.find(c.text), std::string::npos) << out.error;
    EXPECT_TRUE(sink.batches.empty());
  }
}

TEST(AlphaVantage, HttpStatusesMapToStatusCodes) {
  struct Case {
    int http;
    sf_status code;
    const char* text;
  } cases[] = {{503, SF_ERR_UNAVAILABLE, "retry later"},
               {500, SF_ERR_UNAVAILABLE, "HTTP 500"},
               {429, SF_ERR_RATE_LIMITED, "retry after 60 s"},
               {401, SF_ERR_UNAUTHENTICATED, "credentials"},
               {404, SF_ERR_NOT_FOUND, "HTTP 404"}};
  for (const Case& c : cases) {
    FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
      Reply(response, c.http, "{\"error\":\"nope\"}");
    });
    Instance av(Av(), Config(server));
    RecordingSink sink;
    const Outcome out = av.FetchBars({"IBM"}, "1d", sink);
    EXPECT_EQ(out.status, c.code) << c.http << ": " << out.error;
    EXPECT_NE(out.error.find(c.text), std::string::npos) << out.error;
    EXPECT_NE(out.error.find("alphavantage IBM"), std::string::npos) << out.error;
  }
}

TEST(AlphaVantage, EchoedSymbolMustBeValidAndTheOneAskedFor) {
  for (const std::string& echoed :
       std::vector<std::string>{"MSFT", "AAPL'; DROP TABLE bars;--", "AA\x01PL"}) {
    FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
      json series = {{"2020-08-27", DailyRow("1", "2", "0.5", "1.5", "1.5", "10")}};
      Reply(response, 200, DailyBody(echoed, series).dump());
    });
    Instance av(Av(), Config(server));
    RecordingSink sink;
    const Outcome out = av.FetchBars({"AAPL"}, "1d", sink);
    EXPECT_EQ(out.status, SF_ERR_BAD_DATA) << out.error;
    EXPECT_NE(out.error.find("alphavantage AAPL"), std::string::npos) << out.error;
    EXPECT_TRUE(sink.batches.empty());
  }
}

TEST(AlphaVantage, EveryBadRowIsRefusedWithItsRuleAndGoodRowsPass) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json series = {
        {"2021-03-01", DailyRow("10", "11", "9", "10.5", "10.5", "1000")},  // the good one
        {"2021-03-02", DailyRow("NaN", "11", "9", "10.5", "10.5", "1000")},
        {"2021-03-03", DailyRow("10", "inf", "9", "10.5", "10.5", "1000")},
        {"2021-03-04", DailyRow("-10", "11", "9", "10.5", "10.5", "1000")},
        {"2021-03-05", DailyRow("10", "11", "0", "10.5", "10.5", "1000")},
        {"2021-03-08", DailyRow("10", "9", "11", "10", "10", "1000")},
        {"2021-03-09", DailyRow("10", "11", "9", "12", "12", "1000")},
        {"2021-03-10", DailyRow("10", "11", "9", "10.5", "10.5", "-5")},
        {"2021-03-11", DailyRow("10", "11", "9", "10.5", "abc", "1000")},
        {"2021-03-12", {{"1. open", "10"}}},
        {"1970-01-01", DailyRow("10", "11", "9", "10.5", "10.5", "1000")},
        {"2100-01-01", DailyRow("10", "11", "9", "10.5", "10.5", "1000")},
        {"yesterday", DailyRow("10", "11", "9", "10.5", "10.5", "1000")},
        {"2021-02-30", DailyRow("10", "11", "9", "10.5", "10.5", "1000")},
    };
    Reply(response, 200, DailyBody("IBM", series).dump());
  });
  Instance av(Av(), Config(server));
  RecordingSink sink;
  const Outcome out = av.FetchBars({"IBM"}, "1d", sink);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  ASSERT_EQ(sink.batches.size(), 1u);
  ASSERT_EQ(sink.batches[0].ts_start.size(), 1u);
  EXPECT_EQ(sink.batches[0].ts_start[0], Utc(2021, 3, 1));
  EXPECT_EQ(sink.rejects.size(), 13u);
  EXPECT_TRUE(sink.Rejected("open is NaN (prices must be finite)"));
  EXPECT_TRUE(sink.Rejected("high is inf (prices must be finite)"));
  EXPECT_TRUE(sink.Rejected("open is -10 (prices must be > 0)"));
  EXPECT_TRUE(sink.Rejected("low is 0 (prices must be > 0)"));
  EXPECT_TRUE(sink.Rejected("high 9 < low 11"));
  EXPECT_TRUE(sink.Rejected("close 12 outside low..high [9, 11]"));
  EXPECT_TRUE(sink.Rejected("volume is -5"));
  EXPECT_TRUE(sink.Rejected("\"5. adjusted close\" missing"));
  EXPECT_TRUE(sink.Rejected("field \"2. high\" missing or not a number"));
  EXPECT_TRUE(sink.Rejected("timestamp before min_date 1980-01-01"));
  EXPECT_TRUE(sink.Rejected("more than 2 days in the future"));
  EXPECT_TRUE(sink.Rejected("date is not YYYY-MM-DD"));
  for (const Reject& r : sink.rejects) {
    EXPECT_EQ(r.what.rfind("alphavantage IBM 1d ", 0), 0u) << r.what;
  }
}

TEST(AlphaVantage, AllRowsBadIsBadData) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json series = {{"2021-03-02", DailyRow("NaN", "11", "9", "10.5", "10.5", "1000")}};
    Reply(response, 200, DailyBody("IBM", series).dump());
  });
  Instance av(Av(), Config(server));
  RecordingSink sink;
  const Outcome out = av.FetchBars({"IBM"}, "1d", sink);
  EXPECT_EQ(out.status, SF_ERR_BAD_DATA);
  EXPECT_NE(out.error.find("all 1 bars refused"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("open is NaN"), std::string::npos) << out.error;
  EXPECT_TRUE(sink.batches.empty());
}

TEST(AlphaVantage, RangeIsFromInclusiveToExclusive) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json series;
    for (int d = 1; d <= 5; ++d) {
      series["2021-03-0" + std::to_string(d)] = DailyRow("10", "11", "9", "10", "10", "1");
    }
    Reply(response, 200, DailyBody("IBM", series).dump());
  });
  Instance av(Av(), Config(server));
  RecordingSink sink;
  const Outcome out = av.FetchBars({"IBM"}, "1d", sink, Utc(2021, 3, 2), Utc(2021, 3, 4));
  ASSERT_EQ(out.status, SF_OK) << out.error;
  ASSERT_EQ(sink.batches.size(), 1u);
  EXPECT_EQ(sink.batches[0].ts_start, (std::vector<int64_t>{Utc(2021, 3, 2), Utc(2021, 3, 3)}));
  RecordingSink empty;
  EXPECT_EQ(av.FetchBars({"IBM"}, "1d", empty, Utc(2022, 1, 1), 0).status, SF_NO_DATA);
}

TEST(AlphaVantage, OneUnknownSymbolDoesNotHideTheOthers) {
  FakeVendorServer server([](const RecordedRequest& req, auto&, auto& response, auto&) {
    if (req.query.at("symbol") == "NOPE") {
      Reply(response, 200, R"({"Error Message":"Invalid API call."})");
      return;
    }
    json series = {{"2021-03-01", DailyRow("10", "11", "9", "10", "10", "1")}};
    Reply(response, 200, DailyBody(req.query.at("symbol"), series).dump());
  });
  Instance av(Av(), Config(server));
  RecordingSink sink;
  const Outcome out = av.FetchBars({"IBM", "NOPE", "MSFT"}, "1d", sink);
  EXPECT_EQ(out.status, SF_ERR_NOT_FOUND);
  EXPECT_NE(out.error.find("1 of 3 symbols refused"), std::string::npos) << out.error;
  ASSERT_EQ(sink.batches.size(), 2u);
  EXPECT_EQ(sink.batches[0].symbol, "IBM");
  EXPECT_EQ(sink.batches[1].symbol, "MSFT");
  EXPECT_TRUE(sink.Rejected("alphavantage NOPE"));
}

TEST(AlphaVantage, HostCancelStopsTheFetch) {
  FakeVendorServer server([](const RecordedRequest& req, auto&, auto& response, auto&) {
    json series = {{"2021-03-01", DailyRow("10", "11", "9", "10", "10", "1")}};
    Reply(response, 200, DailyBody(req.query.at("symbol"), series).dump());
  });
  Instance av(Av(), Config(server));
  RecordingSink sink;
  sink.cancel_after_batches = 1;
  const Outcome out = av.FetchBars({"IBM", "MSFT", "AAPL"}, "1d", sink);
  EXPECT_EQ(out.status, SF_ERR_CANCELLED) << out.error;
  EXPECT_EQ(sink.batches.size(), 1u);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(AlphaVantage, ConfigAndRequestMistakesAreNamed) {
  Instance no_key(Av(), json{{"base_url", "http://127.0.0.1:1"}});
  EXPECT_EQ(no_key.create_outcome().status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(no_key.create_outcome().error.find("'api_key'"), std::string::npos);

  Instance typo(Av(), json{{"api_key", "k"}, {"timeout_msec", 5}});
  EXPECT_EQ(typo.create_outcome().status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(typo.create_outcome().error.find("'timeout_msec'"), std::string::npos);

  Instance bad_url(Av(), json{{"api_key", "k"}, {"base_url", "ftp://x"}});
  EXPECT_NE(bad_url.create_outcome().error.find("'base_url'"), std::string::npos);

  Instance neg(Av(), json{{"api_key", "k"}, {"timeout_ms", -1}});
  EXPECT_NE(neg.create_outcome().error.find("'timeout_ms' must be between"), std::string::npos);

  Instance av(Av(), json{{"api_key", "k"}, {"base_url", "http://127.0.0.1:1"}});
  ASSERT_TRUE(av.ok());
  RecordingSink sink;
  Outcome out = av.FetchBars({"IBM"}, "4h", sink);
  EXPECT_EQ(out.status, SF_ERR_UNSUPPORTED);
  EXPECT_NE(out.error.find("'4h' is not offered"), std::string::npos) << out.error;
  out = av.FetchBars({}, "1d", sink);
  EXPECT_EQ(out.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(out.error.find("'symbols'"), std::string::npos) << out.error;
}

TEST(AlphaVantage, ConfiguredSymbolsServeEmptyRequestsAndListInstruments) {
  FakeVendorServer server([](const RecordedRequest& req, auto&, auto& response, auto&) {
    json series = {{"2021-03-01", DailyRow("10", "11", "9", "10", "10", "1")}};
    Reply(response, 200, DailyBody(req.query.at("symbol"), series).dump());
  });
  json config = Config(server);
  config["symbols"] = {"IBM", "BRK.B"};
  Instance av(Av(), config);
  ASSERT_TRUE(av.ok()) << av.create_outcome().error;
  std::string instruments;
  ASSERT_EQ(av.ListInstruments(&instruments).status, SF_OK);
  EXPECT_EQ(json::parse(instruments), json::parse(R"([{"symbol":"IBM"},{"symbol":"BRK.B"}])"));
  RecordingSink sink;
  ASSERT_EQ(av.FetchBars({}, "1d", sink).status, SF_OK);
  ASSERT_EQ(sink.batches.size(), 2u);
  EXPECT_EQ(sink.batches[1].symbol, "BRK.B");
  EXPECT_EQ(server.requests().at(1).query.at("symbol"), "BRK.B");

  config["symbols"] = {"IBM", "DROP TABLE"};
  Instance bad(Av(), config);
  EXPECT_EQ(bad.create_outcome().status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bad.create_outcome().error.find("'symbols' holds 'DROP TABLE'"), std::string::npos)
      << bad.create_outcome().error;
}

TEST(AlphaVantage, HostileSymbolsAreRefusedBeforeAnyRequest) {
  FakeVendorServer server(
      [](const RecordedRequest&, auto&, auto& response, auto&) { Reply(response, 200, "{}"); });
  Instance av(Av(), Config(server));
  const std::string cases[] = {"AAPL;DROP TABLE bars",
                               "aapl",
                               "A B",
                               std::string("X\x01Y"),
                               "../etc",
                               "A'B",
                               "A--B",
                               "",
                               "ABCDEFGHIJKLMNOPQRSTU",
                               "A%20B",
                               "A/B",
                               "\xC3\xA9T"};
  for (const std::string& s : cases) {
    RecordingSink sink;
    const Outcome out = av.FetchBars({"IBM", s}, "1d", sink);
    EXPECT_EQ(out.status, SF_ERR_INVALID_ARGUMENT) << s;
    EXPECT_NE(out.error.find("refused before any request"), std::string::npos) << out.error;
    EXPECT_NE(out.error.find("symbols must match"), std::string::npos) << out.error;
  }
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace sf::testing
