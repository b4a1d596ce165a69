// The seam every HTTP API route is written against: what a route declares
// (method, pattern, minimum tier, API-key scope, request schema, OpenAPI
// fragment, handler) and what a handler sees (ApiRequest) and returns
// (ApiResponse). The platform (host/api/platform.h) does everything around the
// handler, in this order: size limits, route match, authentication (Bearer
// JWT or API key), tier and scope checks, rate limiting, body parsing and
// validation against `request_schema`, then the handler, then usage
// recording and metrics. A handler only reads its inputs and answers.
//
// Routes register themselves from any host/api/*.cc with a static
// RouteRegistrar:
//
//   static const sf::api::RouteRegistrar kWatchlists({
//       {.method = "GET", .pattern = "/api/v1/watchlists/{id}",
//        .min_tier = sf::api::Tier::kFree, .scope = "watchlists:read",
//        .openapi = {{"summary", "One watchlist"}, {"tags", {"watchlists"}}},
//        .handler = [](sf::api::ApiRequest& r) -> sf::api::ApiResponse {
//          const int64_t id = r.PathInt("id");
//          ...
//          return {.body = {{"id", id}}};
//        }},
//   });
//
// Errors: throw ApiError (or one of the helpers below); it is rendered as
// application/problem+json {type,title,status,code,detail,field}. Any other
// exception becomes a 500 "internal" problem (logged, detail not leaked).
//
// WebSocket routes set `upgrade` instead of `handler`: the platform runs the
// same checks (a route with auth=false may authenticate later with
// ApiRequest::Authenticate, e.g. from a first message), then hands the raw
// Poco request/response to `upgrade`, which owns the connection until it
// returns.
//
// Thread-safety: the route table is built once at start and is immutable;
// handlers run concurrently on HTTP threads and must hold no cross-request
// state of their own. An ApiRequest belongs to one request/thread.
#ifndef SF_API_ROUTER_H_
#define SF_API_ROUTER_H_

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace sf::app {
class Context;
}
namespace sf::store {
class Pool;
}

namespace sf::api {

class ApiPlatform;  // host/api/platform.h

// Subscription tiers, ordered: a higher tier may do everything a lower one may.
enum class Tier { kFree = 0, kPremium = 1, kPro = 2, kAdmin = 3 };

// "free", "premium", "pro", "admin" (the spelling used in the database, the
// config and the API).
std::string_view TierName(Tier tier);
// The tier named `name` (exact lower-case spelling), or nullopt.
std::optional<Tier> ParseTier(std::string_view name);
// True when `have` grants what `need` requires.
inline bool TierAtLeast(Tier have, Tier need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

// Who is calling. For a JWT the scopes are empty and every scope is granted;
// an API key carries the scopes it was created with.
struct Principal {
  int64_t user_id = 0;
  std::string email{};
  Tier tier = Tier::kFree;
  std::vector<std::string> scopes{};
  bool via_api_key = false;
  std::string risk_profile{};  // "conservative" | "moderate" | "aggressive"
  int64_t api_key_id = 0;     // the key used, 0 for a JWT

  // True for a JWT; for an API key when `scope` (or "*") was granted.
  bool HasScope(std::string_view scope) const;
};

// An error a handler (or the platform) answers with. `code` is stable and
// machine-readable ("not_found", "invalid_argument", "forbidden"...);
// `detail` is for humans and names the input and the rule; `field` names the
// offending parameter / body member when there is one ("limit", "/name").
struct ApiError : std::exception {
  ApiError(int status, std::string code, std::string detail, std::string field = "");
  const char* what() const noexcept override { return detail.c_str(); }

  int status;
  std::string code;
  std::string detail;
  std::string field;
  // Extra response headers (Retry-After, WWW-Authenticate...).
  std::map<std::string, std::string> headers;
};

ApiError BadRequest(std::string detail, std::string field = "");       // 400 invalid_argument
ApiError Unauthorized(std::string detail);                              // 401 unauthenticated
ApiError Forbidden(std::string detail);                                 // 403 forbidden
ApiError NotFoundError(std::string detail);                             // 404 not_found
ApiError ConflictError(std::string detail, std::string field = "");     // 409 conflict
ApiError Unprocessable(std::string detail, std::string field = "");     // 422 unprocessable
ApiError ServiceUnavailable(std::string detail);                        // 503 unavailable

struct Route;

// One request as a handler sees it.
class ApiRequest {
 public:
  std::string method;  // "GET"
  std::string path;    // "/api/v1/watchlists/7" (decoded, no query)
  // Path parameters from the pattern ("{id}" -> params["id"]).
  std::map<std::string, std::string> params;
  // Query parameters, decoded; a repeated name keeps its last value.
  std::map<std::string, std::string> query;
  // Request headers, names lower-cased.
  std::map<std::string, std::string> headers;
  std::string body;
  // Set when the caller authenticated (always on routes with auth = true).
  std::optional<Principal> principal;
  app::Context* ctx = nullptr;
  store::Pool* pool = nullptr;
  std::string client_ip;
  const Route* route = nullptr;
  // The platform serving this request (auth, limits, usage; platform.h).
  ApiPlatform* platform = nullptr;

  // The body as JSON. On routes with a request_schema it was parsed and
  // validated before the handler ran (unknown members and wrong types were
  // already answered with a 400 naming the member). Without a schema it is
  // parsed on first call; malformed JSON throws a 400 ApiError.
  const nlohmann::json& Json();

  // The authenticated caller; throws 401 when there is none.
  const Principal& User() const;

  // A header by case-insensitive name, or nullopt.
  std::optional<std::string> Header(std::string_view name) const;

  // Query helpers. Each throws a 400 ApiError whose `field` is the
  // parameter name and whose detail states the rule, e.g.
  // "query parameter 'limit' must be an integer between 1 and 200, got 1000000".
  std::optional<std::string> Query(const std::string& name) const;
  std::string QueryString(const std::string& name, const std::string& default_value,
                          std::size_t max_length = 256) const;
  int64_t QueryInt(const std::string& name, int64_t default_value, int64_t min, int64_t max) const;
  double QueryDouble(const std::string& name, double default_value, double min, double max) const;
  bool QueryBool(const std::string& name, bool default_value) const;
  // One of `allowed` ("7d", "30d"...), or default_value when absent.
  std::string QueryEnum(const std::string& name, const std::string& default_value,
                        const std::vector<std::string>& allowed) const;
  // The page size from "limit": default kDefaultPageSize, at most
  // max_page_size (the "api.max_page_size" config, 200 by default).
  // A larger value is refused, never silently clamped.
  int64_t PageSize(int64_t default_value = 50) const;

  // A path parameter; PathInt requires a positive 64-bit integer (400 naming
  // the parameter otherwise).
  const std::string& Param(const std::string& name) const;
  int64_t PathInt(const std::string& name) const;

  // Verifies a credential (a JWT access token or an API key, without the
  // "Bearer " prefix) exactly as the Authorization header is verified, stores
  // the result in `principal` and returns it. Throws a 401 ApiError.
  // For WebSocket routes that authenticate from a first message.
  const Principal& Authenticate(const std::string& credential);

  // Appends an audit_log row for an admin change made by this request
  // (actor "user:<id>"). Throws 503 when the database is unavailable.
  void Audit(const std::string& action, const std::string& target,
             const nlohmann::json& detail = nlohmann::json::object());

  // Set by the platform.
  std::function<Principal(const std::string&)> authenticator_;
  std::function<void(const std::string&, const std::string&, const std::string&,
                     const nlohmann::json&)>
      auditor_;
  int64_t max_page_size_ = 200;
  std::optional<nlohmann::json> json_;
};

inline constexpr int64_t kDefaultPageSize = 50;

// What a handler answers. `body` is sent as application/json (nothing for a
// 204); `text` (when set) is sent verbatim with `content_type` instead.
//   return {.body = {{"id", 7}}};            // 200
//   return ApiResponse::Created(row_json);   // 201
struct ApiResponse {
  int status = 200;
  nlohmann::json body{};
  std::map<std::string, std::string> headers{};
  std::optional<std::string> text{};
  std::string content_type = "application/json";

  static ApiResponse Created(nlohmann::json b) { return {.status = 201, .body = std::move(b)}; }
  static ApiResponse NoContent() { return {.status = 204}; }
};

using Handler = std::function<ApiResponse(ApiRequest&)>;
using UpgradeHandler = std::function<void(ApiRequest&, Poco::Net::HTTPServerRequest&,
                                          Poco::Net::HTTPServerResponse&)>;

// One route: an aggregate, written with designated initializers
//   {.method = "GET", .pattern = "/api/v1/me", .handler = &GetMe}
// (every member has a default, so omitted ones are fine).
struct Route {
  std::string method{};   // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string pattern{};  // "/api/v1/watchlists/{id}"; {name} matches one segment
  Tier min_tier = Tier::kFree;
  bool auth = true;        // false: public route (rate limited per client IP)
  std::string scope{};     // API-key scope required, e.g. "signals:read"; "" = any key
  // JSON Schema (host/base/json_schema.h subset) of the body; null = the
  // route takes no body. Objects should say "additionalProperties": false.
  nlohmann::json request_schema{};
  // The OpenAPI 3.1 operation object (summary, description, tags,
  // parameters, responses). The platform adds operationId, security, the
  // requestBody (from request_schema) and the common error responses when
  // absent. Path parameters may be omitted: they are derived from `pattern`.
  nlohmann::json openapi{};
  Handler handler{};
  // Rate-limit bucket: "" (per user per tier; per IP when unauthenticated),
  // "auth" (login/register/refresh: stricter, per IP), "expensive" (scans,
  // backtests: a tenth of the tier's rate).
  std::string rate_class{};
  // WebSocket routes: called instead of `handler` after the checks.
  UpgradeHandler upgrade{};

  // A WebSocket route (GET) served by `upgrade`.
  static Route WebSocket(std::string p, UpgradeHandler u) {
    return {.method = "GET", .pattern = std::move(p), .upgrade = std::move(u)};
  }
};

// Registers routes during static initialisation. Duplicate (method,
// pattern) pairs are refused when the router is built (serve fails to start
// naming both).
struct RouteRegistrar {
  explicit RouteRegistrar(std::vector<Route> routes);
};

// Every route registered so far (static initialisation order).
const std::vector<Route>& RegisteredRoutes();

// Encodes a pagination cursor (base64url of compact JSON) and decodes it
// back; a cursor that does not decode to a JSON object is a 400 naming
// "cursor".
std::string EncodeCursor(const nlohmann::json& position);
nlohmann::json DecodeCursor(const std::string& cursor);

// The immutable route table: matches a method and path to a route.
class RouteTable {
 public:
  // Fails (std::invalid_argument naming both routes) on a duplicate
  // (method, pattern) or a malformed pattern.
  explicit RouteTable(std::vector<Route> routes);

  struct Match {
    const Route* route = nullptr;  // nullptr: no route
    std::map<std::string, std::string> params;
    // When route is nullptr but the path matched other methods: those
    // methods (for a 405 with Allow).
    std::vector<std::string> allowed;
  };
  Match Find(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> segments_;  // per route, split pattern
};

}  // namespace sf::api

#endif  // SF_API_ROUTER_H_
