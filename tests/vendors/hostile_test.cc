// Hostile vendors: huge and endless bodies, slow-loris servers, redirects,
// garbage, refused connections. Every case must end within its bound with a
// named reason and emit nothing. Tests use short limits (300 ms deadlines,
// 1 MiB bodies) to stay fast.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_server.h"
#include "plugin_harness.h"

namespace sf::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const sf_provider_vtable* Bn() { return LoadProvider("vendors.so", "binance"); }

json Config(const std::string& base) {
  return {{"base_url", base},
          {"timeout_ms", 300},
          {"connect_timeout_ms", 300},
          {"max_body_bytes", 1 << 20}};
}

std::string GoodKlines() {
  const int64_t t = Utc(2024, 1, 1) / 1000;
  return json::array(
             {json::array({t, "1", "2", "0.5", "1.5", "3", t + 59999, "4", 1, "0", "0", "0"})})
      .dump();
}

struct Timed {
  Outcome out;
  double seconds = 0;
  size_t batches = 0;
};

Timed Fetch(const json& config) {
  Instance bn(Bn(), config);
  EXPECT_TRUE(bn.ok()) << bn.create_outcome().error;
  RecordingSink sink;
  const auto start = Clock::now();
  Timed t;
  t.out = bn.FetchBars({"BTCUSDT"}, "1m", sink);
  t.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  t.batches = sink.batches.size();
  return t;
}

TEST(Hostile, DeclaredHundredMegabyteBodyIsRefusedUnread) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto& stopping) {
    response.setContentLength64(100LL << 20);
    std::ostream& out = response.send();
    const std::string chunk(64 << 10, '[');
    for (int i = 0; i < 1600 && out.good() && !stopping; ++i) out << chunk;
  });
  const Timed t = Fetch(Config(server.base_url()));
  EXPECT_EQ(t.out.status, SF_ERR_TOO_LARGE) << t.out.error;
  EXPECT_NE(t.out.error.find("declared body of 104857600 bytes is over max_body_bytes=1048576"),
            std::string::npos)
      << t.out.error;
  EXPECT_NE(t.out.error.find("binance BTCUSDT"), std::string::npos);
  EXPECT_LT(t.seconds, 2.0);
  EXPECT_EQ(t.batches, 0u);
}

TEST(Hostile, StreamedHundredMegabyteBodyIsCutAtTheCap) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto& stopping) {
    response.setChunkedTransferEncoding(true);
    std::ostream& out = response.send();
    const std::string chunk(64 << 10, ' ');
    for (int i = 0; i < 1600 && out.good() && !stopping; ++i) out << chunk << std::flush;
  });
  json config = Config(server.base_url());
  config["timeout_ms"] = 5000;  // the cap, not the deadline, must stop it
  const Timed t = Fetch(config);
  EXPECT_EQ(t.out.status, SF_ERR_TOO_LARGE) << t.out.error;
  EXPECT_NE(t.out.error.find("passed max_body_bytes=1048576 while streaming"), std::string::npos)
      << t.out.error;
  EXPECT_LT(t.seconds, 3.0);
}

TEST(Hostile, EndlessSlowBodyHitsTheTotalDeadline) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto& stopping) {
    response.setChunkedTransferEncoding(true);
    std::ostream& out = response.send();
    out << "[" << std::flush;
    while (out.good() && !stopping) {
      out << " " << std::flush;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const Timed t = Fetch(Config(server.base_url()));
  EXPECT_EQ(t.out.status, SF_ERR_TIMEOUT) << t.out.error;
  EXPECT_NE(t.out.error.find("total deadline of 300 ms"), std::string::npos) << t.out.error;
  EXPECT_GE(t.seconds, 0.25);
  EXPECT_LT(t.seconds, 1.5);
}

TEST(Hostile, SlowLorisHeadersHitTheTotalDeadline) {
  RawTcpServer server([](Poco::Net::StreamSocket& s, const std::atomic<bool>& stopping) {
    char buf[4096];
    s.setReceiveTimeout(Poco::Timespan(1, 0));
    s.receiveBytes(buf, sizeof buf);
    const std::string head = "HTTP/1.1 200 OK\r\nX-Slow: ";
    s.sendBytes(head.data(), static_cast<int>(head.size()));
    // One header byte every 50 ms: each recv finishes in time, the whole never does.
    while (!stopping) {
      if (s.sendBytes("a", 1) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const Timed t = Fetch(Config(server.base_url()));
  EXPECT_EQ(t.out.status, SF_ERR_TIMEOUT) << t.out.error;
  EXPECT_GE(t.seconds, 0.25);
  EXPECT_LT(t.seconds, 1.5);
}

TEST(Hostile, SilentServerTimesOut) {
  RawTcpServer server([](Poco::Net::StreamSocket&, const std::atomic<bool>& stopping) {
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  const Timed t = Fetch(Config(server.base_url()));
  EXPECT_EQ(t.out.status, SF_ERR_TIMEOUT) << t.out.error;
  EXPECT_LT(t.seconds, 1.5);
}

TEST(Hostile, ConnectionRefusedIsUnavailable) {
  const Timed t = Fetch(Config("http://127.0.0.1:" + std::to_string(ClosedPort())));
  EXPECT_EQ(t.out.status, SF_ERR_UNAVAILABLE) << t.out.error;
  EXPECT_NE(t.out.error.find("connection refused"), std::string::npos) << t.out.error;
  EXPECT_NE(t.out.error.find("binance BTCUSDT"), std::string::npos) << t.out.error;
}

TEST(Hostile, ClosedWithoutResponseIsUnavailable) {
  RawTcpServer server([](Poco::Net::StreamSocket& s, const std::atomic<bool>&) {
    char buf[4096];
    s.setReceiveTimeout(Poco::Timespan(1, 0));
    s.receiveBytes(buf, sizeof buf);
  });
  const Timed t = Fetch(Config(server.base_url()));
  EXPECT_EQ(t.out.status, SF_ERR_UNAVAILABLE) << t.out.error;
  EXPECT_NE(t.out.error.find("without a response"), std::string::npos) << t.out.error;
}

TEST(Hostile, NonHttpGarbageIsRefused) {
  RawTcpServer server([](Poco::Net::StreamSocket& s, const std::atomic<bool>&) {
    char buf[4096];
    s.setReceiveTimeout(Poco::Timespan(1, 0));
    s.receiveBytes(buf, sizeof buf);
    const std::string junk = "SSH-2.0-OpenSSH_9.2\r\n\x01\x02\xff\xfe garbage\r\n\r\n";
    s.sendBytes(junk.data(), static_cast<int>(junk.size()));
  });
  const Timed t = Fetch(Config(server.base_url()));
  EXPECT_LT(t.out.status, 0);
  EXPECT_TRUE(t.out.status == SF_ERR_IO || t.out.status == SF_ERR_UNAVAILABLE) << t.out.error;
  EXPECT_NE(t.out.error.find("binance BTCUSDT"), std::string::npos) << t.out.error;
  EXPECT_EQ(t.batches, 0u);
}

TEST(Hostile, TruncatedBodyIsRefused) {
  RawTcpServer server([](Poco::Net::StreamSocket& s, const std::atomic<bool>&) {
    char buf[4096];
    s.setReceiveTimeout(Poco::Timespan(1, 0));
    s.receiveBytes(buf, sizeof buf);
    const std::string resp =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        "1000\r\n\r\n[[1704067200000,";
    s.sendBytes(resp.data(), static_cast<int>(resp.size()));
    s.shutdownSend();
  });
  const Timed t = Fetch(Config(server.base_url()));
  EXPECT_EQ(t.out.status, SF_ERR_IO) << t.out.error;
  EXPECT_NE(t.out.error.find("body truncated"), std::string::npos) << t.out.error;
}

TEST(Hostile, GarbageAndDeeplyNestedJsonAreBadData) {
  const std::string bodies[] = {std::string("\x89PNG\r\n\x1a\n\x00\x00", 10),
                                "<html><body>Service temporarily unavailable</body></html>",
                                std::string(200000, '['), "[[1,2,3]", "{\"a\":1}"};
  for (const std::string& body : bodies) {
    FakeVendorServer server(
        [&](const RecordedRequest&, auto&, auto& response, auto&) { Reply(response, 200, body); });
    const Timed t = Fetch(Config(server.base_url()));
    EXPECT_EQ(t.out.status, SF_ERR_BAD_DATA) << body.substr(0, 20) << " -> " << t.out.error;
    EXPECT_NE(t.out.error.find("binance BTCUSDT: malformed"), std::string::npos) << t.out.error;
    EXPECT_EQ(t.batches, 0u);
  }
}

TEST(Hostile, RedirectsAreNotFollowedByDefault) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    response.redirect("http://169.254.169.254/latest/meta-data/",
                      Poco::Net::HTTPResponse::HTTP_FOUND);
  });
  const Timed t = Fetch(Config(server.base_url()));
  EXPECT_EQ(t.out.status, SF_ERR_IO) << t.out.error;
  EXPECT_NE(t.out.error.find("redirects are not followed (max_redirects=0)"), std::string::npos)
      << t.out.error;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(Hostile, RedirectsOnlyToTheSameHostAndNeverInALoop) {
  // Same-host redirect: followed when allowed.
  FakeVendorServer moved([](const RecordedRequest& req, auto&, auto& response, auto&) {
    if (req.path == "/api/v3/klines") {
      response.redirect("/v2" + req.path + "?symbol=BTCUSDT&interval=1m",
                        Poco::Net::HTTPResponse::HTTP_MOVED_PERMANENTLY);
    } else {
      Reply(response, 200, GoodKlines());
    }
  });
  json config = Config(moved.base_url());
  config["max_redirects"] = 2;
  Timed t = Fetch(config);
  EXPECT_EQ(t.out.status, SF_OK) << t.out.error;
  EXPECT_EQ(t.batches, 1u);
  EXPECT_EQ(moved.requests().size(), 2u);

  // Loop back to itself.
  FakeVendorServer loop([](const RecordedRequest& req, auto&, auto& response, auto&) {
    response.redirect(req.path == "/a" ? "/b" : "/a", Poco::Net::HTTPResponse::HTTP_FOUND);
  });
  config = Config(loop.base_url());
  config["max_redirects"] = 5;
  t = Fetch(config);
  EXPECT_EQ(t.out.status, SF_ERR_IO) << t.out.error;
  EXPECT_NE(t.out.error.find("redirect loop"), std::string::npos) << t.out.error;
  EXPECT_LE(loop.requests().size(), 3u);

  // Elsewhere: refused even when redirects are allowed.
  FakeVendorServer away([](const RecordedRequest&, auto&, auto& response, auto&) {
    response.redirect("http://example.invalid/steal",
                      Poco::Net::HTTPResponse::HTTP_TEMPORARY_REDIRECT);
  });
  config = Config(away.base_url());
  config["max_redirects"] = 5;
  t = Fetch(config);
  EXPECT_EQ(t.out.status, SF_ERR_IO) << t.out.error;
  EXPECT_NE(t.out.error.find("only redirects to the same scheme, host and port"), std::string::npos)
      << t.out.error;

  // Too many distinct hops.
  std::atomic<int> hop{0};
  FakeVendorServer chain([&](const RecordedRequest&, auto&, auto& response, auto&) {
    response.redirect("/hop" + std::to_string(hop++), Poco::Net::HTTPResponse::HTTP_FOUND);
  });
  config = Config(chain.base_url());
  config["max_redirects"] = 2;
  t = Fetch(config);
  EXPECT_EQ(t.out.status, SF_ERR_IO) << t.out.error;
  EXPECT_NE(t.out.error.find("more than max_redirects=2"), std::string::npos) << t.out.error;
  EXPECT_EQ(chain.requests().size(), 3u);
}

TEST(Hostile, ApiKeysAreRedactedFromMessages) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    response.redirect("http://elsewhere.invalid/", Poco::Net::HTTPResponse::HTTP_FOUND);
  });
  Instance av(
      LoadProvider("vendors.so", "alphavantage"),
      json{{"base_url", server.base_url()}, {"api_key", "SUPERSECRET123"}, {"timeout_ms", 300}});
  RecordingSink sink;
  const Outcome out = av.FetchBars({"IBM"}, "1d", sink);
  EXPECT_EQ(out.status, SF_ERR_IO);
  EXPECT_EQ(out.error.find("SUPERSECRET123"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("apikey=***"), std::string::npos) << out.error;
}

}  // namespace
}  // namespace sf::testing
