// Alpaca v2 bars provider against a local server speaking its documented JSON.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "fake_server.h"
#include "plugin_harness.h"

namespace sf::testing {
namespace {

using nlohmann::json;

json Config(const std::string& base) {
  return {{"base_url", base}, {"key_id", "AKTEST"}, {"secret_key", "s3cret"}, {"timeout_ms", 2000}};
}

const sf_provider_vtable* Ap() { return LoadProvider("vendors.so", "alpaca"); }

json Bar(const std::string& t, double o, double h, double l, double c, double v, double vw) {
  return {{"t", t}, {"o", o}, {"h", h}, {"l", l}, {"c", c}, {"v", v}, {"n", 12}, {"vw", vw}};
}

TEST(Alpaca, PaginatesWithKeysAndMapsDailyBarsToNewYorkDates) {
  FakeVendorServer server([](const RecordedRequest& req, auto&, auto& response, auto&) {
    json body;
    if (req.query.count("page_token") == 0) {
      body = {{"bars",
               {Bar("2024-01-03T05:00:00Z", 184.22, 185.88, 183.43, 184.25, 58414500, 184.6),
                Bar("2024-07-01T04:00:00Z", 216.1, 218.0, 215.0, 216.75, 1000, 216.5)}},
              {"symbol", "AAPL"},
              {"next_page_token", "QUFQTHxEfDIwMjQ="}};
    } else {
      EXPECT_EQ(req.query.at("page_token"), "QUFQTHxEfDIwMjQ=");
      body = {{"bars", {Bar("2024-07-02T04:00:00Z", 216.0, 220.0, 215.5, 219.0, 2000, 218.0)}},
              {"symbol", "AAPL"},
              {"next_page_token", nullptr}};
    }
    Reply(response, 200, body.dump());
  });
  Instance ap(Ap(), Config(server.base_url()));
  ASSERT_TRUE(ap.ok()) << ap.create_outcome().error;
  RecordingSink sink;
  const Outcome out = ap.FetchBars({"AAPL"}, "1d", sink, Utc(2024, 1, 1), Utc(2024, 8, 1));
  ASSERT_EQ(out.status, SF_OK) << out.error;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].path, "/v2/stocks/AAPL/bars");
  EXPECT_EQ(requests[0].headers.at("apca-api-key-id"), "AKTEST");
  EXPECT_EQ(requests[0].headers.at("apca-api-secret-key"), "s3cret");
  EXPECT_EQ(requests[0].query.at("timeframe"), "1Day");
  EXPECT_EQ(requests[0].query.at("start"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(requests[0].query.at("end"), "2024-08-01T00:00:00Z");
  EXPECT_EQ(requests[0].query.at("adjustment"), "raw");
  EXPECT_EQ(requests[0].query.at("feed"), "iex");
  ASSERT_EQ(sink.batches.size(), 1u);
  const Batch& b = sink.batches[0];
  EXPECT_EQ(b.ts_start, (std::vector<int64_t>{Utc(2024, 1, 3), Utc(2024, 7, 1), Utc(2024, 7, 2)}));
  EXPECT_DOUBLE_EQ(b.open[0], 184.22);
  EXPECT_DOUBLE_EQ(b.close[2], 219.0);
  EXPECT_DOUBLE_EQ(b.volume[1], 1000);
  ASSERT_TRUE(b.has_vwap);
  EXPECT_DOUBLE_EQ(b.vwap[0], 184.6);
  EXPECT_FALSE(b.has_adj);
}

TEST(Alpaca, IntradayFourHourBars) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json body = {{"bars", {Bar("2024-01-03T13:00:00Z", 10, 11, 9, 10, 5, 10)}},
                 {"symbol", "SPY"},
                 {"next_page_token", nullptr}};
    Reply(response, 200, body.dump());
  });
  Instance ap(Ap(), Config(server.base_url()));
  RecordingSink sink;
  ASSERT_EQ(ap.FetchBars({"SPY"}, "4h", sink).status, SF_OK);
  EXPECT_EQ(server.requests().at(0).query.at("timeframe"), "4Hour");
  EXPECT_EQ(server.requests().at(0).query.at("start"), "1980-01-01T00:00:00Z");
  EXPECT_EQ(sink.batches.at(0).ts_start[0], Utc(2024, 1, 3, 13));
  EXPECT_FALSE(sink.batches.at(0).has_ts_end);  // the host's calendar ends equity bars
}

TEST(Alpaca, ErrorsMapToStatusCodes) {
  const int64_t reset = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        30;
  struct Case {
    int http;
    std::string body;
    std::map<std::string, std::string> headers;
    sf_status code;
    const char* text;
  } cases[] = {
      {401, R"({"message":"unauthorized."})", {}, SF_ERR_UNAUTHENTICATED, "unauthorized."},
      {403, R"({"message":"forbidden."})", {}, SF_ERR_UNAUTHENTICATED, "check the API key"},
      {422,
       R"({"code":42210000,"message":"invalid symbol: XYZ"})",
       {},
       SF_ERR_NOT_FOUND,
       "invalid symbol"},
      {429,
       R"({"message":"too many requests."})",
       {{"X-RateLimit-Limit", "200"},
        {"X-RateLimit-Remaining", "0"},
        {"X-RateLimit-Reset", std::to_string(reset)}},
       SF_ERR_RATE_LIMITED,
       "retry after "},
      {500, R"({"message":"internal server error"})", {}, SF_ERR_UNAVAILABLE, "HTTP 500"},
      {400, R"({"message":"invalid timeframe"})", {}, SF_ERR_INVALID_ARGUMENT, "invalid timeframe"},
  };
  for (const Case& c : cases) {
    FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
      for (const auto& [k, v] : c.headers) response.set(k, v);
      Reply(response, c.http, c.body);
    });
    Instance ap(Ap(), Config(server.base_url()));
    RecordingSink sink;
    const Outcome out = ap.FetchBars({"XYZ"}, "1d", sink);
    EXPECT_EQ(out.status, c.code) << c.body << " -> " << out.error;
    EXPECT_NE(out.error.find(c.text), std::string::npos) << out.error;
    EXPECT_NE(out.error.find("alpaca XYZ"), std::string::npos) << out.error;
    if (c.http == 429) {
      // Derived from X-RateLimit-Reset, about 30 s from now.
      const size_t at = out.error.find("retry after ");
      const int secs = std::stoi(out.error.substr(at + 12));
      EXPECT_GE(secs, 25);
      EXPECT_LE(secs, 31);
    }
  }
}

TEST(Alpaca, PaginationIsBounded) {
  // A server that keeps handing out the same token: a loop.
  FakeVendorServer looping([](const RecordedRequest&, auto&, auto& response, auto&) {
    json body = {{"bars", {Bar("2024-01-03T05:00:00Z", 10, 11, 9, 10, 5, 10)}},
                 {"symbol", "AAPL"},
                 {"next_page_token", "same"}};
    Reply(response, 200, body.dump());
  });
  Instance ap(Ap(), Config(looping.base_url()));
  RecordingSink sink;
  const Outcome out = ap.FetchBars({"AAPL"}, "1d", sink);
  EXPECT_EQ(out.status, SF_ERR_BAD_DATA);
  EXPECT_NE(out.error.find("pagination loop"), std::string::npos) << out.error;
  EXPECT_EQ(looping.requests().size(), 2u);

  // A server with endless fresh tokens stops at max_pages, keeping what it read.
  std::atomic<int> page{0};
  FakeVendorServer endless([&](const RecordedRequest&, auto&, auto& response, auto&) {
    const int p = page++;
    char t[32];
    std::snprintf(t, sizeof t, "2024-01-%02dT05:00:00Z", p + 2);
    json body = {{"bars", {Bar(t, 10, 11, 9, 10, 5, 10)}},
                 {"symbol", "AAPL"},
                 {"next_page_token", "tok" + std::to_string(p)}};
    Reply(response, 200, body.dump());
  });
  json config = Config(endless.base_url());
  config["max_pages"] = 3;
  Instance capped(Ap(), config);
  RecordingSink sink2;
  const Outcome out2 = capped.FetchBars({"AAPL"}, "1d", sink2);
  EXPECT_EQ(out2.status, SF_OK) << out2.error;
  EXPECT_EQ(endless.requests().size(), 3u);
  ASSERT_EQ(sink2.batches.size(), 1u);
  EXPECT_EQ(sink2.batches[0].ts_start.size(), 3u);
  EXPECT_TRUE(sink2.Rejected("stopped after max_pages=3"));
}

TEST(Alpaca, SecretsComeFromConfigOrEnvironment) {
  Instance missing(Ap(), json{{"key_id", "A"}});
  EXPECT_EQ(missing.create_outcome().status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(missing.create_outcome().error.find("'secret_key'"), std::string::npos);

  Instance unset(Ap(), json{{"key_id", "A"}, {"secret_key_env", "SF_TEST_SURELY_UNSET_VAR"}});
  EXPECT_NE(unset.create_outcome().error.find("SF_TEST_SURELY_UNSET_VAR"), std::string::npos);

  setenv("SF_TEST_ALPACA_SECRET", "from-env", 1);
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    Reply(response, 200, R"({"bars":null,"symbol":"AAPL","next_page_token":null})");
  });
  Instance env(Ap(), json{{"base_url", server.base_url()},
                          {"key_id", "A"},
                          {"secret_key_env", "SF_TEST_ALPACA_SECRET"}});
  ASSERT_TRUE(env.ok()) << env.create_outcome().error;
  RecordingSink sink;
  EXPECT_EQ(env.FetchBars({"AAPL"}, "1d", sink).status, SF_NO_DATA);
  EXPECT_EQ(server.requests().at(0).headers.at("apca-api-secret-key"), "from-env");
}

}  // namespace
}  // namespace sf::testing
