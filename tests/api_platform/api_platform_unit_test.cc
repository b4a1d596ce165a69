// Unit tests of the API platform's parts that need no server: route
// matching, query helpers, JWT verification rules, the token bucket under
// concurrency, the metrics text format and the OpenAPI assembly.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/jwt.h"
#include "api/metrics.h"
#include "api/openapi.h"
#include "api/rate_limit.h"
#include "api/router.h"
#include "api/secrets.h"

namespace sf::api {
namespace {

using nlohmann::json;

ApiResponse Ok(ApiRequest&) { return {.body = {{"ok", true}}}; }

TEST(RouteTable, MatchesLiteralsBeforeParametersAndReportsAllowedMethods) {
  RouteTable t({{.method = "GET", .pattern = "/api/v1/keys/{id}", .handler = &Ok},
                {.method = "GET", .pattern = "/api/v1/keys/current", .handler = &Ok},
                {.method = "DELETE", .pattern = "/api/v1/keys/{id}", .handler = &Ok}});
  auto m = t.Find("GET", "/api/v1/keys/current");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/v1/keys/current");
  m = t.Find("GET", "/api/v1/keys/42");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("id"), "42");
  m = t.Find("PUT", "/api/v1/keys/42");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "DELETE"}));
  EXPECT_EQ(t.Find("GET", "/api/v1/keys").route, nullptr);
  EXPECT_EQ(t.Find("GET", "/api/v1/keys/42/extra").route, nullptr);
}

TEST(RouteTable, RefusesDuplicatesAndMalformedPatterns) {
  EXPECT_THROW(RouteTable({{.method = "GET", .pattern = "/a/{id}", .handler = &Ok},
                           {.method = "GET", .pattern = "/a/{name}", .handler = &Ok}}),
               std::invalid_argument);
  EXPECT_THROW(RouteTable({{.method = "GET", .pattern = "/a/x{id}", .handler = &Ok}}),
               std::invalid_argument);
  EXPECT_THROW(RouteTable({{.method = "FETCH", .pattern = "/a", .handler = &Ok}}),
               std::invalid_argument);
  EXPECT_THROW(RouteTable(std::vector<Route>{{.method = "GET", .pattern = "/a"}}),
               std::invalid_argument);
}

TEST(ApiRequest, QueryHelpersNameTheParameterAndTheRule) {
  ApiRequest r;
  r.query = {{"limit", "1000000"}, {"x", "abc"}, {"f", "1.5"}, {"b", "maybe"}, {"p", "7d"}};
  r.max_page_size_ = 200;
  try {
    (void)r.PageSize();
    FAIL() << "10^6 accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.field, "limit");
    EXPECT_NE(e.detail.find("between 1 and 200"), std::string::npos) << e.detail;
  }
  EXPECT_THROW((void)r.QueryInt("x", 0, 0, 10), ApiError);
  EXPECT_EQ(r.QueryInt("absent", 5, 0, 10), 5);
  EXPECT_DOUBLE_EQ(r.QueryDouble("f", 0, 0, 2), 1.5);
  EXPECT_THROW((void)r.QueryDouble("f", 0, 0, 1), ApiError);
  EXPECT_THROW((void)r.QueryBool("b", false), ApiError);
  EXPECT_EQ(r.QueryEnum("p", "30d", {"7d", "30d"}), "7d");
  EXPECT_THROW((void)r.QueryEnum("x", "30d", {"7d", "30d"}), ApiError);
  r.params = {{"id", "-3"}};
  EXPECT_THROW((void)r.PathInt("id"), ApiError);
  r.params = {{"id", "99999999999999999999"}};
  EXPECT_THROW((void)r.PathInt("id"), ApiError);
  r.params = {{"id", "12"}};
  EXPECT_EQ(r.PathInt("id"), 12);
  r.body = "{not json";
  EXPECT_THROW((void)r.Json(), ApiError);
}

TEST(Cursor, RoundTripsAndRefusesForgeries) {
  const json pos = {{"after", 42}, {"ts", "2024-01-01"}};
  EXPECT_EQ(DecodeCursor(EncodeCursor(pos)), pos);
  EXPECT_THROW((void)DecodeCursor("!!"), ApiError);
  EXPECT_THROW((void)DecodeCursor(Base64UrlEncode("[1]")), ApiError);
}

TEST(Principal, ScopesOfKeysAndTokens) {
  Principal jwt;
  EXPECT_TRUE(jwt.HasScope("signals:read"));
  Principal key{.via_api_key = true};
  key.scopes = {"signals:read", "watchlists:*"};
  EXPECT_TRUE(key.HasScope("signals:read"));
  EXPECT_FALSE(key.HasScope("signals:write"));
  EXPECT_TRUE(key.HasScope("watchlists:write"));
  EXPECT_FALSE(key.HasScope("watch:write"));
  key.scopes = {"*"};
  EXPECT_TRUE(key.HasScope("admin"));
  EXPECT_TRUE(TierAtLeast(Tier::kPro, Tier::kPremium));
  EXPECT_FALSE(TierAtLeast(Tier::kFree, Tier::kPremium));
  EXPECT_EQ(ParseTier("pro"), Tier::kPro);
  EXPECT_EQ(ParseTier("Pro"), std::nullopt);
}

TEST(Jwt, RefusesShortSecretsAndLargeLeeway) {
  EXPECT_FALSE(JwtCodec::Create({.secret = ""}).ok());
  EXPECT_FALSE(JwtCodec::Create({.secret = std::string(31, 'k')}).ok());
  EXPECT_FALSE(JwtCodec::Create({.secret = std::string(32, 'k'), .leeway_s = 61}).ok());
  EXPECT_TRUE(JwtCodec::Create({.secret = std::string(32, 'k')}).ok());
}

TEST(Jwt, IssuedTokensVerifyWithinTheirLifetimeAndLeeway) {
  auto codec = JwtCodec::Create({.secret = std::string(40, 's'), .access_ttl_s = 100,
                                 .leeway_s = 30});
  ASSERT_TRUE(codec.ok());
  const std::string t = codec->Issue(7, 1000);
  auto c = codec->Verify(t, 1050);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->user_id, 7);
  EXPECT_TRUE(codec->Verify(t, 1129).ok()) << "inside the leeway";
  EXPECT_FALSE(codec->Verify(t, 1131).ok()) << "past exp + leeway";
  EXPECT_TRUE(codec->Verify(t, 975).ok()) << "nbf within the leeway";
  EXPECT_FALSE(codec->Verify(t, 960).ok()) << "nbf/iat in the future";
  auto other = JwtCodec::Create({.secret = std::string(40, 't')});
  EXPECT_FALSE(other->Verify(t, 1050).ok());
  // Same secret, other audience.
  auto aud = JwtCodec::Create({.secret = std::string(40, 's'), .audience = "other"});
  EXPECT_FALSE(aud->Verify(t, 1050).ok());
}

TEST(RateLimiter, NeverOverAdmitsUnderConcurrency) {
  RateLimiter limiter;
  const RateLimit limit{.per_second = 0.001, .burst = 25};
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        if (limiter.Take("user:1", limit).allowed) ++admitted;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 25);
}

TEST(RateLimiter, RefillsAtTheConfiguredRateAndReportsRetryAfter) {
  RateLimiter limiter;
  const RateLimit limit{.per_second = 2, .burst = 4};
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.Take("k", limit, t0).allowed);
  auto refused = limiter.Take("k", limit, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.limit, 4);
  EXPECT_TRUE(limiter.Take("k", limit, t0 + std::chrono::milliseconds(500)).allowed);
  EXPECT_FALSE(limiter.Take("k", limit, t0 + std::chrono::milliseconds(600)).allowed);
  EXPECT_TRUE(limiter.Take("other", limit, t0).allowed) << "buckets are per key";
}

TEST(Metrics, RendersCountersGaugesAndCumulativeHistograms) {
  MetricsRegistry reg;
  reg.Counter("t_requests_total", "Requests.", {"route"}).With({"/a\"b"}).Inc(2);
  reg.Gauge("t_open", "Open.").With({}).Set(3);
  auto& h = reg.Histogram("t_latency_seconds", "Latency.", {}, {0.1, 1});
  h.Observe({}, 0.05);
  h.Observe({}, 0.5);
  h.Observe({}, 5);
  const std::string text = reg.Render();
  EXPECT_NE(text.find("# TYPE t_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{route=\"/a\\\"b\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_open 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"0.10000000000000001\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_count 3\n"), std::string::npos);
  EXPECT_THROW(reg.Counter("t_requests", "no suffix"), std::invalid_argument);
  EXPECT_THROW(reg.Gauge("t_requests_total", "other type"), std::invalid_argument);
  EXPECT_THROW(reg.Gauge("bad name", "x"), std::invalid_argument);
}

TEST(OpenApi, AssemblesOperationsWithSecurityParametersAndErrors) {
  std::vector<Route> routes = {
      {.method = "GET", .pattern = "/api/v1/things/{id}", .min_tier = Tier::kPro,
       .scope = "things:read", .openapi = {{"summary", "A thing"}}, .handler = &Ok},
      {.method = "POST", .pattern = "/api/v1/login", .auth = false,
       .request_schema = {{"type", "object"}}, .handler = &Ok}};
  const json doc = BuildOpenApi(routes, "9.9.9");
  EXPECT_EQ(doc["openapi"], "3.1.0");
  const json& get = doc["paths"]["/api/v1/things/{id}"]["get"];
  EXPECT_EQ(get["x-min-tier"], "pro");
  EXPECT_EQ(get["x-api-key-scope"], "things:read");
  EXPECT_EQ(get["parameters"][0]["name"], "id");
  EXPECT_TRUE(get["responses"].contains("401"));
  EXPECT_TRUE(get["responses"].contains("404"));
  EXPECT_FALSE(get["security"].empty());
  const json& post = doc["paths"]["/api/v1/login"]["post"];
  EXPECT_TRUE(post["security"].empty());
  EXPECT_TRUE(post["requestBody"]["content"].contains("application/json"));
  EXPECT_NE(get["operationId"], post["operationId"]);
}

TEST(Passwords, Argon2idHashesVerifyAndRulesAreNamed) {
  const PasswordCost cheap{.ops_limit = 1, .mem_limit_kib = 8};
  auto h = HashPassword("correct horse battery", cheap);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword("correct horse battery", *h));
  EXPECT_FALSE(VerifyPassword("correct horse batterY", *h));
  EXPECT_FALSE(VerifyPassword("x", "$1$md5crypt"));
  EXPECT_NE(CheckPasswordRules("short").message().find("at least 10"), std::string::npos);
  EXPECT_FALSE(CheckPasswordRules(std::string(300, 'a')).ok());
  EXPECT_FALSE(CheckPasswordRules("            ").ok());
}

}  // namespace
}  // namespace sf::api
