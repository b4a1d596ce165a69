// End-to-end tests of the API platform over real HTTP on loopback against
// the real `signalforge serve` with its embedded PostgreSQL: accounts and
// tokens, a corpus of bad tokens, API keys and scopes, tiers on every
// route, admin changes and the audit log, rate limits under concurrency,
// size limits, problem+json errors, /metrics (checked by promtool) and
// /openapi.json.
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "app/process.h"
#include "http_client.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";
const std::string kAdminEmail = "root@signalforge.test";
const std::string kAdminPassword = "admin-password-123";
const std::string kPublicKeyPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzasVaqmwXJZBGTdOWBIS\n"
    "twmuPPIkrX+B44kVP2SfNfuZ8mKE7yOdui3xc5tWMRlXSG9Y9EJSO5umHciYBcWh\n"
    "6WQeN2yEfHJUXxMFH4wMWUHC4MZoByMZcnHVXzHXUtsMdcMVFP8AFxpjBXAEyvSI\n"
    "+POqasoQ8x7saqx43usVLzRbwa6DEbv9ivRe/2j5FF2QYPqoA0F5EqmMiF5ZYTR9\n"
    "b1svrpdF7WYg+IJZIDlgs64gG4HMOC+FHEsfq597tQG1uHHml0hFXAD6cttYTbLY\n"
    "OdvTUAc0iF0MBfTejeUthSGN6skrrx0PP2rIXssuLCFEesy53xEaW6jX5lO1sqCG\n"
    "KQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

// --- token crafting, independent of the server's implementation -----------

std::string B64(const std::string& s) {
  std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);
  return out;
}

std::string Hmac(const std::string& key, const std::string& data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  std::string mac(32, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

std::string SignRaw(const std::string& header, const std::string& payload,
                    const std::string& key = kSecret) {
  const std::string input = B64(header) + "." + B64(payload);
  return input + "." + B64(Hmac(key, input));
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json Claims(int64_t user_id) {
  return {{"iss", "signalforge"},      {"aud", "signalforge-api"}, {"sub", std::to_string(user_id)},
          {"iat", Now()},              {"nbf", Now()},             {"exp", Now() + 600}};
}

std::string Sign(const json& claims, const json& header = {{"alg", "HS256"}, {"typ", "JWT"}}) {
  return SignRaw(header.dump(), claims.dump());
}

// --- the server --------------------------------------------------------------

class ApiPlatformTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    if (sodium_init() < 0) abort();
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("sf-api-platform-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    json cfg = {
        {"http", {{"host", "127.0.0.1"}, {"port", 0}, {"threads", 32}}},
        {"log", {{"level", "warn"}}},
        {"plugins", {{"directories", json::array()}}},
        {"database",
         {{"data_dir", (*dir_ / "pg").string()},
          {"migrations_dir", std::string(SF_SOURCE_DIR) + "/schemas/migrations"}}},
        {"api",
         {{"enabled", true},
          {"max_body_bytes", 4096},
          {"max_header_bytes", 8192},
          {"max_page_size", 100},
          {"auth_cache_ms", 60000},
          {"password", {{"ops_limit", 1}, {"mem_limit_kib", 8}}},
          {"admin", {{"email", kAdminEmail}}},
          {"cors", {{"allowed_origins", {"https://app.example"}}}},
          {"usage", {{"flush_ms", 50}}},
          {"rate_limits",
           {{"free", {{"per_second", 1000}, {"burst", 1000}}},
            {"premium", {{"per_second", 1}, {"burst", 10}}},
            {"pro", {{"per_second", 1000}, {"burst", 1000}}},
            {"admin", {{"per_second", 1000}, {"burst", 1000}}},
            {"anonymous", {{"per_second", 1000}, {"burst", 1000}}},
            {"auth", {{"per_second", 0.05}, {"burst", 5}}}}}}}};
    const fs::path cfg_path = *dir_ / "signalforge.json";
    std::ofstream(cfg_path) << cfg.dump(2);
    ProcessOptions opts;
    opts.cwd = SF_SOURCE_DIR;  // the repository's config/ (calendars) resolves from here
    opts.env = {{"SIGNALFORGE_JWT_SECRET", kSecret},
                {"SIGNALFORGE_ADMIN_PASSWORD", kAdminPassword}};
    server_ = new Server(SF_BINARY, {"serve", "--config", cfg_path.string()}, opts);
    ASSERT_TRUE(server_->WaitListening(std::chrono::seconds(120))) << server_->err();
    port_ = server_->port();
  }

  static void TearDownTestSuite() {
    if (server_) {
      auto r = server_->Stop(SIGTERM);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      delete server_;
      server_ = nullptr;
    }
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
  }

 protected:
  // A fresh loopback source address: its own per-IP buckets.
  static std::string NextIp() {
    static std::atomic<int> n{10};
    const int i = n++;
    return "127.0." + std::to_string(i / 250) + "." + std::to_string(1 + i % 250);
  }

  static HttpResponse Call(const std::string& method, const std::string& target,
                           const std::string& token = "", const json& body = nullptr,
                           std::vector<std::pair<std::string, std::string>> headers = {},
                           const std::string& ip = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers = std::move(headers);
    if (!token.empty()) r.headers.push_back({"Authorization", "Bearer " + token});
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers.push_back({"Content-Type", "application/json"});
    }
    r.source_ip = ip;
    return Send(port_, r);
  }

  struct Account {
    int64_t id = 0;
    std::string email, password, access, refresh;
  };

  static Account Register(const std::string& tag) {
    static std::atomic<int> n{0};
    Account a;
    a.email = tag + std::to_string(n++) + "@example.test";
    a.password = "correct horse battery";
    const std::string ip = NextIp();
    auto reg = Call("POST", "/api/v1/auth/register", "",
                    {{"email", a.email}, {"password", a.password}}, {}, ip);
    EXPECT_EQ(reg.status, 201) << reg.body;
    a.id = reg.Json().value("id", int64_t{0});
    auto login = Call("POST", "/api/v1/auth/login", "",
                      {{"email", a.email}, {"password", a.password}}, {}, ip);
    EXPECT_EQ(login.status, 200) << login.body;
    a.access = login.Json().value("access_token", "");
    a.refresh = login.Json().value("refresh_token", "");
    return a;
  }

  static std::string AdminToken() {
    static std::string token = [] {
      auto r = Call("POST", "/api/v1/auth/login", "",
                    {{"email", kAdminEmail}, {"password", kAdminPassword}}, {}, NextIp());
      EXPECT_EQ(r.status, 200) << r.body;
      return r.Json().value("access_token", "");
    }();
    return token;
  }

  static void ExpectProblem(const HttpResponse& r, int status, const std::string& code,
                            const std::string& field = "") {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("content-type"), "application/problem+json") << r.body;
    const json p = r.Json();
    ASSERT_TRUE(p.is_object()) << r.body;
    EXPECT_EQ(p.value("status", 0), status);
    EXPECT_EQ(p.value("code", ""), code) << r.body;
    EXPECT_FALSE(p.value("detail", "").empty());
    EXPECT_TRUE(p.contains("type") && p.contains("title"));
    if (!field.empty()) {
      EXPECT_EQ(p.value("field", ""), field) << r.body;
    }
  }

  static fs::path* dir_;
  static Server* server_;
  static int port_;
};

fs::path* ApiPlatformTest::dir_ = nullptr;
Server* ApiPlatformTest::server_ = nullptr;
int ApiPlatformTest::port_ = 0;

// --- accounts ------------------------------------------------------------------

TEST_F(ApiPlatformTest, RegisterLoginMeAndProfileChange) {
  Account a = Register("alice");
  ASSERT_GT(a.id, 0);
  EXPECT_FALSE(a.access.empty());
  EXPECT_FALSE(a.refresh.empty());
  auto me = Call("GET", "/api/v1/me", a.access);
  ASSERT_EQ(me.status, 200) << me.body;
  json body = me.Json();
  EXPECT_EQ(body["id"], a.id);
  EXPECT_EQ(body["email"], a.email);
  EXPECT_EQ(body["tier"], "free");
  EXPECT_EQ(body["risk_profile"], "moderate");
  EXPECT_TRUE(body["usage"].contains("requests_24h"));
  EXPECT_EQ(body["rate_limit"]["burst"], 1000);
  EXPECT_FALSE(me.Header("ratelimit-limit").empty());
  EXPECT_FALSE(me.Header("ratelimit-remaining").empty());
  EXPECT_EQ(body.dump().find("password"), std::string::npos) << "no hash in the profile";

  auto patch = Call("PATCH", "/api/v1/me", a.access, {{"risk_profile", "aggressive"}});
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(patch.Json()["risk_profile"], "aggressive");
  auto bad = Call("PATCH", "/api/v1/me", a.access, {{"risk_profile", "yolo"}});
  ExpectProblem(bad, 400, "invalid_argument", "/risk_profile");
}

TEST_F(ApiPlatformTest, RegistrationRulesNameTheField) {
  const std::string ip = NextIp();
  auto unknown = Call("POST", "/api/v1/auth/register", "",
                      {{"email", "x@example.test"}, {"password", "long enough pw"}, {"admin", true}},
                      {}, ip);
  ExpectProblem(unknown, 400, "invalid_argument");
  EXPECT_NE(unknown.Json().value("detail", "").find("admin"), std::string::npos) << unknown.body;
  auto type = Call("POST", "/api/v1/auth/register", "", {{"email", 7}, {"password", "x"}}, {}, ip);
  ExpectProblem(type, 400, "invalid_argument", "/email");
  auto shortpw = Call("POST", "/api/v1/auth/register", "",
                      {{"email", "short@example.test"}, {"password", "short"}}, {}, ip);
  ExpectProblem(shortpw, 400, "invalid_argument", "/password");
  auto malformed = Send(port_, {.method = "POST",
                                .target = "/api/v1/auth/register",
                                .headers = {{"Content-Type", "application/json"}},
                                .body = "{\"email\": \"a@b\", \"password\": ",
                                .source_ip = ip});
  ExpectProblem(malformed, 400, "invalid_argument");
  auto form = Send(port_, {.method = "POST",
                           .target = "/api/v1/auth/register",
                           .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                           .body = "email=a@b&password=x",
                           .source_ip = ip});
  ExpectProblem(form, 415, "unsupported_media_type");
}

TEST_F(ApiPlatformTest, DuplicateEmailAndWrongPasswords) {
  Account a = Register("dup");
  const std::string ip = NextIp();
  auto again = Call("POST", "/api/v1/auth/register", "",
                    {{"email", a.email}, {"password", "another password"}}, {}, ip);
  ExpectProblem(again, 409, "email_taken", "/email");
  auto wrong = Call("POST", "/api/v1/auth/login", "",
                    {{"email", a.email}, {"password", "not the password"}}, {}, ip);
  ExpectProblem(wrong, 401, "invalid_credentials");
  auto nobody = Call("POST", "/api/v1/auth/login", "",
                     {{"email", "nobody@example.test"}, {"password", "not the password"}}, {}, ip);
  ExpectProblem(nobody, 401, "invalid_credentials");
  EXPECT_EQ(wrong.Json()["detail"], nobody.Json()["detail"]) << "no account enumeration";
}

TEST_F(ApiPlatformTest, RefreshRotatesAndReuseRevokesTheFamily) {
  Account a = Register("refresh");
  const std::string ip = NextIp();
  auto r1 = Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", a.refresh}}, {}, ip);
  ASSERT_EQ(r1.status, 200) << r1.body;
  const std::string next = r1.Json()["refresh_token"];
  EXPECT_NE(next, a.refresh);
  EXPECT_EQ(Call("GET", "/api/v1/me", r1.Json()["access_token"]).status, 200);
  // The consumed token again: refused, and its successor dies with it.
  auto reuse = Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", a.refresh}}, {}, ip);
  ExpectProblem(reuse, 401, "invalid_refresh_token");
  auto after = Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", next}}, {}, ip);
  ExpectProblem(after, 401, "invalid_refresh_token");
  auto junk = Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", "junk"}}, {}, ip);
  ExpectProblem(junk, 401, "invalid_refresh_token");
}

TEST_F(ApiPlatformTest, LogoutRevokesTheRefreshToken) {
  Account a = Register("logout");
  auto out = Call("POST", "/api/v1/auth/logout", a.access, {{"refresh_token", a.refresh}});
  EXPECT_EQ(out.status, 204) << out.body;
  auto r = Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", a.refresh}}, {}, NextIp());
  ExpectProblem(r, 401, "invalid_refresh_token");
  // Another user's refresh token cannot be logged out by me.
  Account b = Register("logout");
  auto cross = Call("POST", "/api/v1/auth/logout", a.access, {{"refresh_token", b.refresh}});
  EXPECT_EQ(cross.status, 404) << cross.body;
  EXPECT_EQ(Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", b.refresh}}, {}, NextIp())
                .status,
            200);
}

// --- bad tokens ----------------------------------------------------------------

TEST_F(ApiPlatformTest, ThirtyPlusBadTokensAreAll401) {
  Account a = Register("tokens");
  const json good = Claims(a.id);
  ASSERT_EQ(Call("GET", "/api/v1/me", Sign(good)).status, 200) << "the crafted baseline works";

  auto without = [&](const char* claim) {
    json c = good;
    c.erase(claim);
    return Sign(c);
  };
  auto with = [&](const char* claim, const json& v) {
    json c = good;
    c[claim] = v;
    return Sign(c);
  };
  const std::string none_payload = B64(good.dump());
  std::vector<std::pair<std::string, std::string>> corpus = {
      {"alg none", B64(R"({"alg":"none","typ":"JWT"})") + "." + none_payload + "."},
      {"alg None", B64(R"({"alg":"None"})") + "." + none_payload + "."},
      {"alg NONE", B64(R"({"alg":"NONE"})") + "." + none_payload + "."},
      {"alg nOnE", B64(R"({"alg":"nOnE"})") + "." + none_payload + "."},
      {"alg none with signature", SignRaw(R"({"alg":"none"})", good.dump())},
      {"alg hs256 lowercase", SignRaw(R"({"alg":"hs256"})", good.dump())},
      {"alg HS512", SignRaw(R"({"alg":"HS512"})", good.dump())},
      {"alg RS256 signed with HMAC of the public key",
       SignRaw(R"({"alg":"RS256"})", good.dump(), kPublicKeyPem)},
      {"HS256 signed with the public key", SignRaw(R"({"alg":"HS256"})", good.dump(), kPublicKeyPem)},
      {"no alg", SignRaw(R"({"typ":"JWT"})", good.dump())},
      {"crit header", SignRaw(R"({"alg":"HS256","crit":["exp"]})", good.dump())},
      {"header not json", SignRaw("not json", good.dump())},
      {"header is an array", SignRaw("[1,2]", good.dump())},
      {"wrong secret", SignRaw(R"({"alg":"HS256"})", good.dump(), kSecret + "x")},
      {"missing exp", without("exp")},
      {"exp is a string", with("exp", std::to_string(Now() + 600))},
      {"expired", with("exp", Now() - 3600)},
      {"expired beyond leeway", with("exp", Now() - 61)},
      {"future nbf", with("nbf", Now() + 3600)},
      {"future iat", with("iat", Now() + 3600)},
      {"wrong aud", with("aud", "someone-else")},
      {"aud array without us", with("aud", {"a", "b"})},
      {"missing aud", without("aud")},
      {"wrong iss", with("iss", "evil")},
      {"missing iss", without("iss")},
      {"missing sub", without("sub")},
      {"sub not a number", with("sub", "admin")},
      {"sub numeric type", with("sub", a.id)},
      {"sub of a user that does not exist", with("sub", "999999999")},
      {"payload not an object", SignRaw(R"({"alg":"HS256"})", "[]")},
  };
  // Tampering with a good token.
  const std::string token = Sign(good);
  const size_t d1 = token.find('.'), d2 = token.rfind('.');
  json elevated = good;
  elevated["sub"] = "1";
  corpus.push_back({"tampered payload", token.substr(0, d1) + "." + B64(elevated.dump()) +
                                            token.substr(d2)});
  std::string flipped = token;
  flipped[d2 + 3] = flipped[d2 + 3] == 'A' ? 'B' : 'A';
  corpus.push_back({"tampered signature", flipped});
  corpus.push_back({"signature stripped", token.substr(0, d2 + 1)});
  corpus.push_back({"two segments", token.substr(0, d2)});
  corpus.push_back({"four segments", token + ".AAAA"});
  corpus.push_back({"one segment", token.substr(0, d1)});
  corpus.push_back({"empty", ""});
  corpus.push_back({"bad base64", "%%%." + token.substr(d1 + 1)});
  corpus.push_back({"oversized", token + std::string(5000, 'A')});
  corpus.push_back({"api key shaped garbage", "sfk_" + std::string(43, 'x')});
  ASSERT_GE(corpus.size(), 30u);
  for (const auto& [name, bad] : corpus) {
    auto r = Call("GET", "/api/v1/me", "", nullptr, {{"Authorization", "Bearer " + bad}});
    EXPECT_EQ(r.status, 401) << name << ": " << r.body;
    EXPECT_EQ(r.Json().value("code", ""), "unauthenticated") << name;
  }
  // Not a bearer at all.
  for (const std::string& h : {std::string("Basic dXNlcjpwYXNz"), std::string("Bearer"),
                               std::string("Token ") + token}) {
    auto r = Call("GET", "/api/v1/me", "", nullptr, {{"Authorization", h}});
    EXPECT_EQ(r.status, 401) << h;
  }
  EXPECT_EQ(Call("GET", "/api/v1/me").status, 401);
}

// --- API keys ------------------------------------------------------------------

TEST_F(ApiPlatformTest, ApiKeysAreShownOnceScopedAndRevocable) {
  Account a = Register("keys");
  auto created = Call("POST", "/api/v1/me/keys", a.access,
                      {{"name", "bot"}, {"scopes", {"signals:read"}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string key = created.Json()["key"];
  const int64_t key_id = created.Json()["id"];
  ASSERT_EQ(key.rfind("sfk_", 0), 0u);

  auto list = Call("GET", "/api/v1/me/keys", a.access);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(key), std::string::npos) << "the secret is never listed";
  EXPECT_EQ(list.Json()["items"].size(), 1u);

  // The key authenticates (both header styles) with its scopes.
  auto me = Call("GET", "/api/v1/me", key);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["auth"]["via_api_key"], true);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", nullptr, {{"X-API-Key", key}}).status, 200);
  ExpectProblem(Call("PATCH", "/api/v1/me", key, {{"risk_profile", "moderate"}}), 403,
                "insufficient_scope");
  ExpectProblem(Call("POST", "/api/v1/me/keys", key, json::object()), 403, "access_token_required");

  // Another user cannot revoke it.
  Account b = Register("keys");
  EXPECT_EQ(Call("DELETE", "/api/v1/me/keys/" + std::to_string(key_id), b.access).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/me", key).status, 200);
  // Its owner can, and it stops working at once.
  EXPECT_EQ(Call("DELETE", "/api/v1/me/keys/" + std::to_string(key_id), a.access).status, 204);
  ExpectProblem(Call("GET", "/api/v1/me", key), 401, "unauthenticated");
  EXPECT_EQ(Call("DELETE", "/api/v1/me/keys/" + std::to_string(key_id), a.access).status, 404);
  ExpectProblem(Call("DELETE", "/api/v1/me/keys/abc", a.access), 400, "invalid_argument", "id");
  ExpectProblem(Call("POST", "/api/v1/me/keys", a.access, {{"scopes", {"Signals READ"}}}), 400,
                "invalid_argument", "/scopes/0");
}

// --- tiers and admin ---------------------------------------------------------------

TEST_F(ApiPlatformTest, NonAdminGets403OnEveryAdminRoute) {
  Account a = Register("pleb");
  auto doc = Call("GET", "/openapi.json").Json();
  ASSERT_TRUE(doc.is_object());
  int checked = 0;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      if (op.value("x-min-tier", "") != "admin") continue;
      std::string target = path;
      for (size_t p; (p = target.find('{')) != std::string::npos;)
        target.replace(p, target.find('}', p) - p + 1, "1");
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(c));
      auto r = Call(upper, target, a.access, upper == "GET" || upper == "DELETE" ? json() : json::object());
      EXPECT_EQ(r.status, 403) << upper << " " << path << ": " << r.body;
      EXPECT_EQ(r.Json().value("code", ""), "tier_required") << upper << " " << path;
      ++checked;
    }
  }
  EXPECT_GE(checked, 5) << "the admin user routes at least";
}

TEST_F(ApiPlatformTest, EveryRouteAboveFreeRefusesAFreeAccount) {
  Account a = Register("free");
  auto doc = Call("GET", "/openapi.json").Json();
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      const std::string tier = op.value("x-min-tier", "free");
      if (tier == "free" || op.value("x-websocket", false)) continue;
      std::string target = path;
      for (size_t p; (p = target.find('{')) != std::string::npos;)
        target.replace(p, target.find('}', p) - p + 1, "1");
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(c));
      auto r = Call(upper, target, a.access);
      EXPECT_EQ(r.status, 403) << upper << " " << path << " needs " << tier << ": " << r.body;
    }
  }
}

TEST_F(ApiPlatformTest, AdminChangesTierAndStatusWithAudit) {
  Account a = Register("managed");
  const std::string admin = AdminToken();
  ASSERT_FALSE(admin.empty());
  const std::string url = "/api/v1/admin/users/" + std::to_string(a.id);
  auto got = Call("GET", url, admin);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.Json()["tier"], "free");

  auto pro = Call("PATCH", url, admin, {{"tier", "pro"}});
  ASSERT_EQ(pro.status, 200) << pro.body;
  EXPECT_EQ(pro.Json()["tier"], "pro");
  EXPECT_EQ(Call("GET", "/api/v1/me", a.access).Json()["tier"], "pro") << "applies at once";
  ExpectProblem(Call("PATCH", url, admin, {{"tier", "gold"}}), 400, "invalid_argument", "/tier");
  ExpectProblem(Call("PATCH", url, admin, json::object()), 400, "invalid_argument");
  ExpectProblem(Call("PATCH", "/api/v1/admin/users/999999999", admin, {{"tier", "pro"}}), 404,
                "not_found");

  // Suspension: the access token, the refresh token and keys stop at once.
  auto key = Call("POST", "/api/v1/me/keys", a.access, json::object()).Json()["key"];
  auto off = Call("PATCH", url, admin, {{"status", "suspended"}});
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(Call("GET", "/api/v1/me", a.access).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/me", key.get<std::string>()).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/auth/refresh", "", {{"refresh_token", a.refresh}}, {}, NextIp())
                .status,
            401);
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", "", {{"email", a.email}, {"password", a.password}},
                 {}, NextIp())
                .status,
            401);

  auto audit = Call("GET", "/api/v1/admin/audit?limit=50", admin);
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::set<std::string> seen;
  const json entries = audit.Json()["items"];
  for (const auto& e : entries)
    if (e.value("target", "") == "user:" + std::to_string(a.id))
      seen.insert(e["action"].get<std::string>() + ":" + e["detail"].value("to", ""));
  EXPECT_TRUE(seen.count("user.tier_change:pro")) << audit.body;
  EXPECT_TRUE(seen.count("user.status_change:suspended")) << audit.body;

  // Deleted users' tokens are refused too.
  Account b = Register("deleted");
  EXPECT_EQ(Call("DELETE", "/api/v1/admin/users/" + std::to_string(b.id), admin).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/me", b.access).status, 401);
}

TEST_F(ApiPlatformTest, AdminUserListPagesWithACursorAndCapsThePageSize) {
  for (int i = 0; i < 3; ++i) Register("page");
  const std::string admin = AdminToken();
  auto first = Call("GET", "/api/v1/admin/users?limit=2", admin);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(first.Json()["items"].size(), 2u);
  const std::string cursor = first.Json()["next_cursor"];
  auto second = Call("GET", "/api/v1/admin/users?limit=2&cursor=" + cursor, admin);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_GT(second.Json()["items"][0]["id"].get<int64_t>(),
            first.Json()["items"][1]["id"].get<int64_t>());
  ExpectProblem(Call("GET", "/api/v1/admin/users?limit=1000000", admin), 400, "invalid_argument",
                "limit");
  ExpectProblem(Call("GET", "/api/v1/admin/users?limit=101", admin), 400, "invalid_argument",
                "limit");
  ExpectProblem(Call("GET", "/api/v1/admin/users?limit=ten", admin), 400, "invalid_argument",
                "limit");
  ExpectProblem(Call("GET", "/api/v1/admin/users?cursor=garbage", admin), 400, "invalid_argument",
                "cursor");
  ExpectProblem(Call("GET", "/api/v1/admin/users?tier=gold", admin), 400, "invalid_argument",
                "tier");
}

// --- rate limits -------------------------------------------------------------------

TEST_F(ApiPlatformTest, ConcurrentRequestsNeverExceedTheBurst) {
  Account a = Register("burst");
  ASSERT_EQ(Call("PATCH", "/api/v1/admin/users/" + std::to_string(a.id), AdminToken(),
                 {{"tier", "premium"}})
                .status,
            200);
  // premium: burst 10, 1 token/s.
  constexpr int kThreads = 16, kPerThread = 4;
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::mutex mu;
  std::vector<HttpResponse> refusals;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = Call("GET", "/api/v1/me/keys", a.access);
        if (r.status == 200) ++ok;
        else if (r.status == 429) {
          ++limited;
          std::lock_guard<std::mutex> lock(mu);
          refusals.push_back(r);
        } else ++other;
      }
    });
  for (auto& t : threads) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(ok.load(), 10) << "the burst is admitted";
  EXPECT_LE(ok.load(), 10 + static_cast<int>(elapsed * 1.0) + 1)
      << "never more than the burst plus the refill (" << elapsed << " s)";
  ASSERT_GT(limited.load(), 0);
  for (const auto& r : refusals) {
    ExpectProblem(r, 429, "rate_limited");
    EXPECT_GE(std::stoi(r.Header("retry-after")), 1);
    EXPECT_EQ(r.Header("ratelimit-limit"), "10");
    EXPECT_EQ(r.Header("ratelimit-remaining"), "0");
  }
}

TEST_F(ApiPlatformTest, LoginIsLimitedPerIpMoreStrictly) {
  const std::string ip = NextIp();
  int limited_at = 0;
  for (int i = 1; i <= 8 && !limited_at; ++i) {
    auto r = Call("POST", "/api/v1/auth/login", "",
                  {{"email", "who@example.test"}, {"password", "wrong password!"}}, {}, ip);
    if (r.status == 429) limited_at = i;
    else EXPECT_EQ(r.status, 401);
  }
  EXPECT_EQ(limited_at, 6) << "the auth bucket holds 5";
  // Another client address is not affected; ordinary routes from the first are not either.
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", "",
                 {{"email", "who@example.test"}, {"password", "wrong password!"}}, {}, NextIp())
                .status,
            401);
  EXPECT_EQ(Call("GET", "/openapi.json", "", nullptr, {}, ip).status, 200);
}

// --- limits and malformed input ----------------------------------------------------

TEST_F(ApiPlatformTest, OversizedAndMalformedRequestsAreRejectedWithoutHarm) {
  Account a = Register("limits");
  const std::string big(5000, 'x');
  auto body = Call("PATCH", "/api/v1/me", a.access, {{"display_name", big}});
  ExpectProblem(body, 413, "body_too_large");
  HttpRequest chunked{.method = "PATCH",
                      .target = "/api/v1/me",
                      .headers = {{"Authorization", "Bearer " + a.access},
                                  {"Content-Type", "application/json"}},
                      .body = json{{"display_name", big}}.dump(),
                      .chunked = true};
  ExpectProblem(Send(port_, chunked), 413, "body_too_large");
  auto headers = Call("GET", "/api/v1/me", a.access, nullptr,
                      {{"X-Filler-1", std::string(4000, 'h')}, {"X-Filler-2", std::string(4000, 'h')},
                       {"X-Filler-3", std::string(4000, 'h')}});
  EXPECT_TRUE(headers.status == 431 || headers.status == 400) << headers.status;
  auto huge = Call("GET", "/api/v1/me", a.access, nullptr, {{"X-Huge", std::string(100000, 'h')}});
  EXPECT_TRUE(huge.status == 400 || huge.status == 431 || huge.status == 0) << huge.status;
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 300; ++i) many.push_back({"X-Many-" + std::to_string(i), "v"});
  auto lots = Call("GET", "/api/v1/me", a.access, nullptr, many);
  EXPECT_TRUE(lots.status == 400 || lots.status == 431) << lots.status;
  for (const std::string& text : {std::string("{"), std::string("[1,2"), std::string("\"str"),
                                  std::string("{\"display_name\": \"\xff\xfe\"}"),
                                  std::string("nul\0l", 5), std::string("{} trailing")}) {
    HttpRequest r{.method = "PATCH",
                  .target = "/api/v1/me",
                  .headers = {{"Authorization", "Bearer " + a.access},
                              {"Content-Type", "application/json"}},
                  .body = text};
    auto resp = Send(port_, r);
    EXPECT_EQ(resp.status, 400) << text << ": " << resp.body;
    EXPECT_EQ(resp.Header("content-type"), "application/problem+json");
  }
  ExpectProblem(Call("PATCH", "/api/v1/me", a.access, json::array({1})), 400, "invalid_argument");
  ExpectProblem(Call("GET", "/api/v1/nothing-here", a.access), 404, "not_found");
  auto wrong = Call("PUT", "/api/v1/me", a.access, json::object());
  ExpectProblem(wrong, 405, "method_not_allowed");
  EXPECT_NE(wrong.Header("allow").find("PATCH"), std::string::npos);
  // Still healthy afterwards.
  EXPECT_EQ(Call("GET", "/api/v1/me", a.access).status, 200);
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
}

// --- CORS, metrics, OpenAPI, usage ----------------------------------------------------

TEST_F(ApiPlatformTest, CorsFollowsTheConfiguredOrigins) {
  auto pre = Call("OPTIONS", "/api/v1/me", "", nullptr,
                  {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.Header("access-control-allow-origin"), "https://app.example");
  EXPECT_NE(pre.Header("access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_NE(pre.Header("access-control-allow-methods").find("PATCH"), std::string::npos);
  auto other = Call("OPTIONS", "/api/v1/me", "", nullptr, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.Header("access-control-allow-origin"), "");
  auto get = Call("GET", "/openapi.json", "", nullptr, {{"Origin", "https://app.example"}});
  EXPECT_EQ(get.Header("access-control-allow-origin"), "https://app.example");
}

TEST_F(ApiPlatformTest, MetricsPassPromtool) {
  Account a = Register("metrics");
  for (int i = 0; i < 3; ++i) Call("GET", "/api/v1/me", a.access);
  auto m = Call("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.Header("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(m.body.find("signalforge_http_requests_total{method=\"GET\",route=\"/api/v1/me\","
                        "status=\"200\"}"),
            std::string::npos)
      << m.body.substr(0, 2000);
  EXPECT_NE(m.body.find("signalforge_http_request_duration_seconds_bucket{method=\"GET\",route=\""
                        "/api/v1/me\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("signalforge_db_pool_connections{state=\"open\"}"), std::string::npos);
  const fs::path file = *dir_ / "metrics.txt";
  std::ofstream(file) << m.body;
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    GTEST_FAIL() << "promtool is missing (Debian package prometheus, .ci/install-deps)";
  const std::string cmd = "promtool check metrics < " + file.string() + " > " +
                          (*dir_ / "promtool.out").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream out(*dir_ / "promtool.out");
  std::string report((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << report;
}

TEST_F(ApiPlatformTest, OpenApiDocumentsEveryRouteConsistently) {
  auto r = Call("GET", "/openapi.json");
  ASSERT_EQ(r.status, 200);
  const json doc = r.Json();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["info"].contains("title") && doc["info"].contains("version"));
  ASSERT_TRUE(doc["components"]["schemas"].contains("Problem"));
  ASSERT_TRUE(doc["components"]["securitySchemes"].contains("bearerAuth"));
  for (const char* p : {"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh",
                        "/api/v1/me", "/api/v1/me/keys", "/api/v1/me/keys/{id}",
                        "/api/v1/admin/users", "/api/v1/admin/users/{id}"})
    EXPECT_TRUE(doc["paths"].contains(p)) << p;
  std::set<std::string> op_ids;
  const std::set<std::string> methods = {"get", "post", "put", "patch", "delete"};
  for (const auto& [path, ops] : doc["paths"].items()) {
    ASSERT_EQ(path.rfind("/", 0), 0u);
    for (const auto& [method, op] : ops.items()) {
      const std::string where = method + " " + path;
      EXPECT_TRUE(methods.count(method)) << where;
      EXPECT_TRUE(op.contains("summary")) << where;
      EXPECT_TRUE(op["responses"].is_object() && !op["responses"].empty()) << where;
      EXPECT_TRUE(op_ids.insert(op.value("operationId", "")).second) << "duplicate id " << where;
      // Each {param} of the path is declared.
      for (size_t p = path.find('{'); p != std::string::npos; p = path.find('{', p + 1)) {
        const std::string name = path.substr(p + 1, path.find('}', p) - p - 1);
        bool declared = false;
        for (const auto& prm : op.value("parameters", json::array()))
          declared = declared || (prm["in"] == "path" && prm["name"] == name && prm["required"] == true);
        EXPECT_TRUE(declared) << where << " {" << name << "}";
      }
      // Every $ref resolves inside the document.
      std::function<void(const json&)> refs = [&](const json& j) {
        if (j.is_object()) {
          if (j.contains("$ref") && j["$ref"].is_string()) {
            const std::string ref = j["$ref"];
            ASSERT_EQ(ref.rfind("#/", 0), 0u) << where << " " << ref;
            EXPECT_NO_THROW((void)doc.at(json::json_pointer(ref.substr(1)))) << where << " " << ref;
          }
          for (const auto& [k, v] : j.items()) refs(v);
        } else if (j.is_array()) {
          for (const auto& v : j) refs(v);
        }
      };
      refs(op);
      // The documented route exists on the server: unauthenticated it is 401
      // (or served, for public routes), never "no route".
      if (op.value("x-websocket", false)) continue;
      std::string target = path;
      for (size_t p; (p = target.find('{')) != std::string::npos;)
        target.replace(p, target.find('}', p) - p + 1, "1");
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(c));
      auto resp = Call(upper, target, "", upper == "GET" || upper == "DELETE" ? json() : json::object(),
                       {}, NextIp());
      EXPECT_NE(resp.status, 404) << where << ": " << resp.body;
      EXPECT_NE(resp.status, 405) << where;
      if (!op["security"].empty()) {
        EXPECT_EQ(resp.status, 401) << where << ": " << resp.body;
      }
    }
  }
}

// /openapi.json of the real serve against the OpenAPI Initiative's OAS 3.1
// JSON Schema (draft 2020-12 with $dynamicRef), by python3-jsonschema.
TEST_F(ApiPlatformTest, OpenApiValidatesAgainstTheOfficialOas31Schema) {
  auto r = Call("GET", "/openapi.json");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(fs::exists(SF_OAS31_SCHEMA)) << SF_OAS31_SCHEMA << " (built by npm ci)";
  const fs::path doc = *dir_ / "openapi.json";
  std::ofstream(doc) << r.body;
  auto validate = [&](const fs::path& file, std::string* report) {
    const fs::path out = *dir_ / "oas-check.out";
    const std::string cmd = std::string(SF_OAS_VALIDATOR) + " " + SF_OAS31_SCHEMA + " " +
                            file.string() + " > " + out.string() + " 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream in(out);
    report->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return rc;
  };
  std::string report;
  EXPECT_EQ(validate(doc, &report), 0) << report;
  // The check can fail: the same document with an operation whose
  // responses are keyed by a non-status is refused, naming the member.
  json broken = r.Json();
  broken["paths"]["/api/v1/me"]["get"]["responses"] = {{"ok", {{"description", "x"}}}};
  const fs::path bad = *dir_ / "openapi-broken.json";
  std::ofstream(bad) << broken.dump();
  EXPECT_NE(validate(bad, &report), 0) << report;
  EXPECT_NE(report.find("/paths//api/v1/me/get/responses"), std::string::npos) << report;
}

TEST_F(ApiPlatformTest, EveryRequestIsRecordedInApiUsage) {
  Account a = Register("usage");
  for (int i = 0; i < 5; ++i) Call("GET", "/api/v1/me/keys", a.access);
  int64_t recorded = 0;
  for (int attempt = 0; attempt < 50 && recorded < 6; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto me = Call("GET", "/api/v1/me", a.access);
    recorded = 0;
    const json top = me.Json()["usage"]["top_endpoints_24h"];
    for (const auto& e : top)
      if (e["endpoint"] == "/api/v1/me/keys" && e["method"] == "GET") recorded = e["requests"];
  }
  EXPECT_EQ(recorded, 5) << "five GET /api/v1/me/keys rows";
}

}  // namespace
}  // namespace sf::test
