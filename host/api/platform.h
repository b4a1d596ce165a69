// The API platform: everything around a route handler. It owns the route
// table, the JWT codec, the rate limiter, the usage recorder and the
// compiled request schemas, and serves every request under /api/ plus
// GET /metrics and GET /openapi.json through the host's HTTP listener
// (host/app/api_service.cc mounts it; there is no second server).
//
// Per request, in order: CORS preflight, header size limit, route match
// (404 / 405 with Allow), authentication (Authorization: Bearer <JWT or API
// key>, or X-API-Key), tier and scope checks (403), rate limit (429 with
// Retry-After; RateLimit-* headers on every answer), body size limit (413),
// JSON parse and schema validation (400 naming the member), the handler,
// then metrics and one api_usage row. Errors are application/problem+json.
//
// Authentication caches a user's status and tier (and an API key's scopes)
// for `auth_cache_ms`, so a disabled user or a revoked key is refused by
// every instance within that time, and at once by the instance that made
// the change (Invalidate*). A JWT whose signature and claims were verified
// is remembered (by its exact text) until its exp, so the HMAC and JSON
// work is done once per token, not per request; the user's status is still
// checked through the principal cache above on every request.
//
// Ownership: created by the api service; outlives every request it serves.
// Thread-safety: Handle() and the accessors are thread-safe.
#ifndef SF_API_PLATFORM_H_
#define SF_API_PLATFORM_H_

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/jwt.h"
#include "api/rate_limit.h"
#include "api/router.h"
#include "api/secrets.h"
#include "api/signal_cache.h"
#include "api/usage.h"
#include "base/json_schema.h"
#include "base/status.h"

namespace sf::api {

struct PlatformOptions {
  JwtOptions jwt;
  int64_t refresh_ttl_s = 30 * 86400;
  PasswordCost password;
  size_t max_body_bytes = 64 * 1024;
  size_t max_header_bytes = 16 * 1024;
  int64_t max_page_size = 200;
  // "free", "premium", "pro", "admin", "anonymous" (unauthenticated, per
  // IP) and "auth" (login/register/refresh, per IP).
  std::map<std::string, RateLimit> rate_limits;
  std::vector<std::string> cors_origins;  // "*" allows any origin
  int64_t cors_max_age_s = 600;
  UsageOptions usage;
  std::string metrics_token;  // non-empty: /metrics needs "Bearer <token>"
  bool registration_open = true;
  int64_t auth_cache_ms = 2000;
  int64_t signal_cache_ms = 1000;  // signal_cache.h; 0 disables

  // From the config's /api and /auth sections (defaults already applied by
  // the schema). Refuses a missing or short JWT secret.
  static StatusOr<PlatformOptions> FromConfig(const nlohmann::json& config);
};

class ApiPlatform {
 public:
  // Builds the route table (duplicate or malformed routes and request
  // schemas are refused, naming the route) and starts the usage writer.
  static StatusOr<std::unique_ptr<ApiPlatform>> Create(PlatformOptions options, store::Pool* pool,
                                                       app::Context* ctx, std::vector<Route> routes);
  ~ApiPlatform();

  // Serves one request (any exception is turned into a problem response).
  void Handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
  // A Poco handler calling Handle() (the listener takes ownership).
  Poco::Net::HTTPRequestHandler* NewHandler();

  // Verifies a JWT access token or an API key; throws a 401 ApiError.
  Principal Authenticate(const std::string& credential);
  // Drops cached authentication state after a change.
  void InvalidateUser(int64_t user_id);
  void InvalidateApiKeys();

  // Issues an access token and a refresh token for a user:
  // {"access_token","refresh_token","token_type":"Bearer","expires_in"}.
  nlohmann::json IssueTokens(int64_t user_id);
  // Only the access token (refresh rotation issues its own refresh token).
  std::string IssueAccessToken(int64_t user_id) const;

  const PlatformOptions& options() const { return options_; }
  const JwtCodec& jwt() const { return jwt_; }
  store::Pool* pool() const { return pool_; }
  const RouteTable& routes() const { return table_; }
  const nlohmann::json& openapi() const { return openapi_; }
  UsageRecorder& usage() { return *usage_; }
  RateLimiter& limiter() { return limiter_; }
  SignalListCache& signal_cache() { return *signal_cache_; }
  const RateLimit& LimitFor(const std::string& klass, const std::optional<Principal>& who) const;

 private:
  ApiPlatform(PlatformOptions options, store::Pool* pool, app::Context* ctx, RouteTable table,
              JwtCodec jwt);
  ApiResponse Serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                    ApiRequest& req, const RouteTable::Match& match, RateDecision* rate,
                    bool* upgraded);
  void Send(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
            const ApiResponse& answer);
  void AddCors(const Poco::Net::HTTPServerRequest& request, ApiResponse& answer) const;
  Principal PrincipalForUser(int64_t user_id);
  Principal PrincipalForKey(const std::string& key);

  const PlatformOptions options_;
  store::Pool* pool_;
  app::Context* ctx_;
  const RouteTable table_;
  const JwtCodec jwt_;
  std::vector<std::optional<base::JsonSchema>> schemas_;  // parallel to table_.routes()
  nlohmann::json openapi_;
  RateLimiter limiter_;
  std::unique_ptr<UsageRecorder> usage_;
  std::unique_ptr<SignalListCache> signal_cache_;

  struct CachedPrincipal {
    Principal principal;
    bool active = false;
    std::chrono::steady_clock::time_point fetched;
  };
  std::mutex cache_mu_;
  std::unordered_map<int64_t, CachedPrincipal> users_;
  std::unordered_map<std::string, CachedPrincipal> keys_;  // by key hash
  // Verified JWTs by their text: user id and exp (seconds).
  struct VerifiedToken {
    int64_t user_id = 0;
    int64_t exp = 0;
  };
  std::unordered_map<std::string, VerifiedToken> tokens_;
};

// Renders an ApiError as the problem+json answer.
ApiResponse ProblemResponse(const ApiError& error);
// The answer to a failed repository call: 503 "unavailable" when the
// database is down or busy, else a 500 that leaks nothing.
ApiError StoreError(const Status& status);

}  // namespace sf::api

#endif  // SF_API_PLATFORM_H_
