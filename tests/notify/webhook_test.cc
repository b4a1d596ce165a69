// The webhook, slack and discord notifiers through the real plugin loader,
// against a real HTTP receiver on loopback: Standard Webhooks signatures
// checked independently (OpenSSL), tampering and replay detected, 410 /
// 429 / redirects, and the SSRF guard: every probe is refused and none
// reaches the listener.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "address_policy.h"
#include "notify/channel_set.h"
#include "notify_support.h"
#include "signalforge/signalforge.hpp"
#include "signing.h"

namespace sf::notify::test {
namespace {

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";  // 24-byte key

std::unique_ptr<ChannelSet> Channels(const nlohmann::json& url_config) {
  nlohmann::json cfg = {{"webhook", url_config}, {"slack", url_config}, {"discord", url_config}};
  auto set = ChannelSet::Create(&NotifierRegistry(), cfg, nullptr);
  EXPECT_TRUE(set->Has("webhook"));
  return set;
}

nlohmann::json LoopbackAllowed() {
  return {{"allow_networks", {"127.0.0.1/32"}}, {"timeout_ms", 3000}};
}

Outgoing Delivery(const std::string& url, const std::string& id = "sig-1:signal.created:7") {
  Outgoing o;
  o.delivery_id = id;
  o.event_type = "signal.created";
  o.destination = url;
  o.secret = kSecret;
  o.payload_json = nlohmann::json{{"signal_id", "0b6f0c5e-1111-4a4a-9c9c-000000000001"},
                                  {"symbol", "AAPL"},
                                  {"side", "buy"},
                                  {"entry_price", 187.25},
                                  {"target_price", 195.0},
                                  {"stop_price", 182.5},
                                  {"confidence", 0.8},
                                  {"summary", "oversold"},
                                  {"occurred_at", "2026-11-21T02:00:00.000000Z"}}
                       .dump();
  o.timestamp_us = NowSeconds() * 1'000'000;
  return o;
}

TEST(Webhook, SignatureVerifiesIndependentlyAndTamperingFails) {
  Receiver receiver;
  auto channels = Channels(LoopbackAllowed());
  Outgoing d = Delivery(receiver.url());
  SendOutcome out = channels->Send("webhook", d);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.remote_status, 200);
  ASSERT_EQ(receiver.count(), 1u);
  Received r = receiver.received()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/hook");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["host"], "127.0.0.1:" + std::to_string(receiver.port()));
  const std::string id = r.headers["webhook-id"], ts = r.headers["webhook-timestamp"],
                    sig = r.headers["webhook-signature"];
  EXPECT_EQ(id, d.delivery_id);
  EXPECT_EQ(ts, std::to_string(d.timestamp_us / 1'000'000));
  const int64_t now = NowSeconds();
  std::string why;
  EXPECT_TRUE(VerifyStandardWebhook(kSecret, id, ts, sig, r.body, now, &why)) << why;

  // The body: the event envelope with the signal.
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["type"], "signal.created");
  EXPECT_EQ(body["timestamp"], "2026-11-21T02:00:00.000000Z");
  EXPECT_EQ(body["data"]["symbol"], "AAPL");
  EXPECT_EQ(body["data"]["signal_id"], "0b6f0c5e-1111-4a4a-9c9c-000000000001");
  EXPECT_DOUBLE_EQ(body["data"]["entry_price"].get<double>(), 187.25);

  std::string tampered = r.body;
  tampered[tampered.find("AAPL")] = 'B';
  EXPECT_FALSE(VerifyStandardWebhook(kSecret, id, ts, sig, tampered, now, &why));
  EXPECT_EQ(why, "no v1 signature matches");
  EXPECT_FALSE(VerifyStandardWebhook(kSecret, id + "x", ts, sig, r.body, now, &why));
  EXPECT_FALSE(
      VerifyStandardWebhook(kSecret, id, std::to_string(std::stoll(ts) + 1), sig, r.body, now));
  EXPECT_FALSE(VerifyStandardWebhook("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", id, ts, sig,
                                     r.body, now));
  // A replay is rejected once it is older than the tolerance.
  EXPECT_TRUE(VerifyStandardWebhook(kSecret, id, ts, sig, r.body, std::stoll(ts) + 299));
  EXPECT_FALSE(VerifyStandardWebhook(kSecret, id, ts, sig, r.body, std::stoll(ts) + 301, &why));
  EXPECT_EQ(why, "timestamp outside the 5-minute tolerance");
}

TEST(Webhook, RetryKeepsIdAndBodyButSignsTheNewTimestamp) {
  Receiver receiver;
  auto channels = Channels(LoopbackAllowed());
  Outgoing first = Delivery(receiver.url());
  Outgoing again = first;
  again.timestamp_us += 7'000'000;
  again.attempt = 2;
  ASSERT_TRUE(channels->Send("webhook", first).status.ok());
  ASSERT_TRUE(channels->Send("webhook", again).status.ok());
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
  EXPECT_EQ(got[0].body, got[1].body);
  EXPECT_NE(got[0].headers["webhook-signature"], got[1].headers["webhook-signature"]);
  for (auto& r : got) {
    EXPECT_TRUE(VerifyStandardWebhook(kSecret, r.headers["webhook-id"], r.headers["webhook-timestamp"],
                                      r.headers["webhook-signature"], r.body, NowSeconds() + 7));
  }
}

TEST(Webhook, ShortOrMissingSecretIsRefusedBeforeSending) {
  Receiver receiver;
  auto channels = Channels(LoopbackAllowed());
  Outgoing d = Delivery(receiver.url());
  d.secret = "too-short-secret";
  SendOutcome out = channels->Send("webhook", d);
  EXPECT_EQ(out.status.code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(out.status.message().find("at least 24 bytes"), std::string::npos)
      << out.status.message();
  d.secret.reset();
  EXPECT_EQ(channels->Send("webhook", d).status.code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(receiver.connections(), 0);
}

TEST(Webhook, GoneRateLimitedAndRedirectAnswers) {
  Receiver receiver([](const Received& r) {
    Reply reply;
    if (r.path == "/gone") reply.status = 410;
    if (r.path == "/slow-down") {
      reply.status = 429;
      reply.headers["Retry-After"] = "42";
    }
    if (r.path == "/moved") {
      reply.status = 301;
      reply.headers["Location"] = "/elsewhere";
    }
    if (r.path == "/busy") reply.status = 503;
    return reply;
  });
  auto channels = Channels(LoopbackAllowed());
  SendOutcome gone = channels->Send("webhook", Delivery(receiver.url("/gone")));
  EXPECT_EQ(gone.status.code(), SF_ERR_NOT_FOUND);
  EXPECT_TRUE(gone.disable);
  EXPECT_EQ(gone.remote_status, 410);

  SendOutcome limited = channels->Send("webhook", Delivery(receiver.url("/slow-down")));
  EXPECT_EQ(limited.status.code(), SF_ERR_RATE_LIMITED);
  EXPECT_EQ(limited.retry_after_ms, 42000);
  EXPECT_FALSE(limited.disable);

  SendOutcome moved = channels->Send("webhook", Delivery(receiver.url("/moved")));
  EXPECT_EQ(moved.status.code(), SF_ERR_UNAVAILABLE);
  EXPECT_NE(moved.status.message().find("not followed"), std::string::npos);
  SendOutcome busy = channels->Send("webhook", Delivery(receiver.url("/busy")));
  EXPECT_EQ(busy.status.code(), SF_ERR_UNAVAILABLE);
  EXPECT_EQ(busy.remote_status, 503);
  for (const auto& r : receiver.received()) EXPECT_NE(r.path, "/elsewhere");
  EXPECT_EQ(receiver.count(), 4u);
}

TEST(Webhook, EndpointDownIsRetryableNotPermanent) {
  uint16_t port = FreePort();
  auto channels = Channels(LoopbackAllowed());
  SendOutcome out =
      channels->Send("webhook", Delivery("http://127.0.0.1:" + std::to_string(port) + "/hook"));
  EXPECT_EQ(out.status.code(), SF_ERR_UNAVAILABLE) << out.status.ToString();
}

TEST(ChatHooks, SlackAndDiscordPayloads) {
  Receiver receiver([](const Received& r) {
    Reply reply;
    if (r.path == "/discord") reply.status = 204, reply.body = "";
    return reply;
  });
  auto channels = Channels(LoopbackAllowed());
  ASSERT_TRUE(channels->Send("slack", Delivery(receiver.url("/slack"))).status.ok());
  ASSERT_TRUE(channels->Send("discord", Delivery(receiver.url("/discord"))).status.ok());
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 2u);
  auto slack = nlohmann::json::parse(got[0].body);
  auto discord = nlohmann::json::parse(got[1].body);
  const std::string expected =
      "BUY AAPL @ 187.25 | target 195 | stop 182.5 | confidence 80% | oversold";
  EXPECT_EQ(slack["text"], expected);
  EXPECT_EQ(discord["content"], expected);
  EXPECT_TRUE(discord["allowed_mentions"]["parse"].empty());
  EXPECT_EQ(got[0].headers.count("webhook-signature"), 0u);
}

// ---- SSRF -----------------------------------------------------------------

TEST(Ssrf, EveryProbeIsRefusedAndNoneReachesTheListener) {
  Receiver receiver;
  const std::string p = std::to_string(receiver.port());
  // Without an allow-list: the production default.
  auto channels = Channels({{"timeout_ms", 2000}});
  const std::vector<std::string> probes = {
      "http://127.0.0.1:" + p + "/hook",
      "http://localhost:" + p + "/hook",
      "http://127.0.0.1.:" + p + "/hook",           // trailing dot
      "http://2130706433:" + p + "/hook",           // decimal
      "http://0177.0.0.1:" + p + "/hook",           // octal
      "http://0x7f.0.0.1:" + p + "/hook",           // hex
      "http://0x7f000001:" + p + "/hook",           // hex, one part
      "http://127.1:" + p + "/hook",                // shortened
      "http://127.000.000.001:" + p + "/hook",      // zero-padded
      "http://[::1]:" + p + "/hook",                // IPv6 loopback
      "http://[::ffff:127.0.0.1]:" + p + "/hook",   // IPv4-mapped
      "http://[::ffff:7f00:1]:" + p + "/hook",      // IPv4-mapped, hex
      "http://[::127.0.0.1]:" + p + "/hook",        // IPv4-compatible
      "http://[64:ff9b::7f00:1]:" + p + "/hook",    // NAT64
      "http://[2002:7f00:1::]:" + p + "/hook",      // 6to4
      "http://0.0.0.0:" + p + "/hook",
      "http://[::]:" + p + "/hook",
      "http://user@127.0.0.1:" + p + "/hook",       // userinfo
      "http://example.com@127.0.0.1:" + p + "/hook",
      "http://127.0.0.1:" + p + "\\@example.com/hook",
      "http://127.0.0.1%2e:" + p + "/hook",
      "ftp://127.0.0.1:" + p + "/hook",
      "gopher://127.0.0.1:" + p + "/_GET",
      "file:///etc/passwd",
      "dict://127.0.0.1:" + p + "/",
      "http://169.254.169.254/latest/meta-data/",   // cloud metadata
      "http://[fe80::1]/",
      "http://[fd00::1]/",
      "http://10.0.0.1/",
      "http://172.16.5.4/",
      "http://192.168.0.1/",
      "http://100.64.0.1/",                          // CGNAT
      "http://224.0.0.1/",
      "http://255.255.255.255/",
      "http:/127.0.0.1:" + p + "/hook",             // no authority
      "http://127.0.0.1:" + p + " /hook",           // whitespace
  };
  for (const auto& url : probes) {
    Status v = channels->Validate("webhook", url);
    EXPECT_FALSE(v.ok()) << url << " passed validation";
    EXPECT_TRUE(v.code() == SF_ERR_PERMISSION || v.code() == SF_ERR_INVALID_ARGUMENT ||
                v.code() == SF_ERR_UNAVAILABLE)
        << url << ": " << v.ToString();
    for (const char* channel : {"webhook", "slack", "discord"}) {
      SendOutcome out = channels->Send(channel, Delivery(url));
      EXPECT_FALSE(out.status.ok()) << channel << " sent to " << url;
    }
  }
  EXPECT_EQ(receiver.connections(), 0) << "an SSRF probe reached the listener";
  EXPECT_EQ(receiver.count(), 0u);

  // The reason names the rule.
  Status meta = channels->Validate("webhook", "http://169.254.169.254/latest/meta-data/");
  EXPECT_EQ(meta.code(), SF_ERR_PERMISSION);
  EXPECT_NE(meta.message().find("link-local"), std::string::npos) << meta.message();
  Status octal = channels->Validate("webhook", "http://0177.0.0.1/");
  EXPECT_NE(octal.message().find("127.0.0.1"), std::string::npos) << octal.message();
}

TEST(Ssrf, AllowListOpensOnlyWhatItNames) {
  Receiver receiver;
  auto narrow = Channels({{"allow_networks", {"127.0.0.2/32"}}});
  EXPECT_FALSE(narrow->Validate("webhook", receiver.url()).ok());
  EXPECT_FALSE(narrow->Send("webhook", Delivery(receiver.url())).status.ok());
  EXPECT_EQ(receiver.connections(), 0);
  auto open = Channels(LoopbackAllowed());
  EXPECT_TRUE(open->Validate("webhook", receiver.url()).ok());
  EXPECT_TRUE(open->Send("webhook", Delivery(receiver.url())).status.ok());
  EXPECT_EQ(receiver.connections(), 1);
  // Userinfo stays refused even for an allowed address.
  EXPECT_FALSE(open->Validate("webhook", "http://a@127.0.0.1:" +
                                             std::to_string(receiver.port()) + "/hook")
                   .ok());
}

TEST(Ssrf, NamesAreJudgedByEveryAddressTheyResolveTo) {
  using notifiers::AddressPolicy;
  auto resolver = [](const std::string& host) {
    std::vector<Poco::Net::IPAddress> a;
    if (host == "rebind.example") {
      a.emplace_back("93.184.216.34");
      a.emplace_back("10.1.2.3");
    } else if (host == "metadata.example") {
      a.emplace_back("169.254.169.254");
    } else if (host == "mapped.example") {
      a.emplace_back("::ffff:192.168.1.1");
    } else if (host == "public.example") {
      a.emplace_back("93.184.216.34");
    }
    return a;
  };
  AddressPolicy policy(nlohmann::json::object(), resolver);
  for (const char* url : {"https://rebind.example/h", "https://metadata.example/h",
                          "https://mapped.example/h"}) {
    try {
      policy.Vet(url);
      ADD_FAILURE() << url << " passed";
    } catch (const sf::sdk::Error& e) {
      EXPECT_EQ(e.code(), SF_ERR_PERMISSION) << url << ": " << e.what();
    }
  }
  auto ok = policy.Vet("https://Public.Example./hooks/1?x=1#frag");
  EXPECT_EQ(ok.host, "public.example");
  EXPECT_EQ(ok.address.toString(), "93.184.216.34");
  EXPECT_EQ(ok.port, 443);
  EXPECT_EQ(ok.target, "/hooks/1?x=1");
  EXPECT_EQ(ok.HostHeader(), "public.example");
  try {
    policy.Vet("https://nowhere.example/");
    ADD_FAILURE() << "an unresolvable name passed";
  } catch (const sf::sdk::Error& e) {
    EXPECT_EQ(e.code(), SF_ERR_UNAVAILABLE);
  }
}

TEST(Ssrf, ResolutionsAreCachedBrieflyAndStillCheckedEveryTime) {
  using notifiers::AddressPolicy;
  int lookups = 0;
  auto resolver = [&lookups](const std::string& host) {
    ++lookups;
    std::vector<Poco::Net::IPAddress> a;
    a.emplace_back(host == "metadata.example" ? "169.254.169.254" : "93.184.216.34");
    return a;
  };
  AddressPolicy cached(nlohmann::json{{"dns_cache_ms", 60000}}, resolver);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(cached.Vet("https://public.example/h/" + std::to_string(i)).address.toString(),
              "93.184.216.34");
  EXPECT_EQ(lookups, 1) << "one host, one lookup within the cache time";
  for (int i = 0; i < 3; ++i) {
    try {
      cached.Vet("https://metadata.example/h");
      ADD_FAILURE() << "a cached internal address passed";
    } catch (const sf::sdk::Error& e) {
      EXPECT_EQ(e.code(), SF_ERR_PERMISSION) << e.what();
    }
  }
  EXPECT_EQ(lookups, 2);
  AddressPolicy uncached(nlohmann::json{{"dns_cache_ms", 0}}, resolver);
  uncached.Vet("https://public.example/a");
  uncached.Vet("https://public.example/b");
  EXPECT_EQ(lookups, 4);
  EXPECT_THROW(AddressPolicy(nlohmann::json{{"dns_cache_ms", -1}}), sf::sdk::Error);
}

TEST(Webhook, PostsToOneEndpointReuseAKeptAliveConnection) {
  Receiver receiver;
  auto channels = Channels(LoopbackAllowed());
  for (int i = 0; i < 20; ++i) {
    SendOutcome out = channels->Send("webhook", Delivery(receiver.url("/k/" + std::to_string(i)),
                                                         "ka-" + std::to_string(i)));
    ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  }
  ASSERT_EQ(receiver.count(), 20u);
  EXPECT_EQ(receiver.connections(), 1) << "every post after the first should reuse the connection";
  // The server drops its kept-alive connections: the next post notices and
  // goes out on a new one, without an error.
  const uint16_t port = receiver.port();
  receiver.Stop();
  Receiver again(nullptr, port);
  SendOutcome out = channels->Send("webhook", Delivery(again.url("/after"), "ka-after"));
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(again.count(), 1u);
}

TEST(Ssrf, LooseIPv4Forms) {
  uint32_t v = 0;
  ASSERT_TRUE(notifiers::ParseLooseIPv4("2130706433", &v));
  EXPECT_EQ(v, 0x7f000001u);
  ASSERT_TRUE(notifiers::ParseLooseIPv4("0x7f.1", &v));
  EXPECT_EQ(v, 0x7f000001u);
  ASSERT_TRUE(notifiers::ParseLooseIPv4("0177.0.0.01", &v));
  EXPECT_EQ(v, 0x7f000001u);
  ASSERT_TRUE(notifiers::ParseLooseIPv4("10.1", &v));
  EXPECT_EQ(v, 0x0a000001u);
  EXPECT_FALSE(notifiers::ParseLooseIPv4("256.1.1.1", &v));
  EXPECT_FALSE(notifiers::ParseLooseIPv4("1.2.3.4.5", &v));
  EXPECT_FALSE(notifiers::ParseLooseIPv4("08.1.1.1", &v));  // 8 is not octal
  EXPECT_FALSE(notifiers::ParseLooseIPv4("example", &v));
}

TEST(Signing, MatchesTheStandardWebhooksReferenceVector) {
  // From the Standard Webhooks specification's test vectors.
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const std::string body = R"({"test": 2432232314})";
  EXPECT_EQ(notifiers::SignatureHeader(notifiers::SigningKey(secret), id, 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

}  // namespace
}  // namespace sf::notify::test
