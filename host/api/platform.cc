#include "api/platform.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include <algorithm>
#include <istream>
#include <sstream>

#include "api/metrics.h"
#include "api/openapi.h"
#include "base/logging.h"
#include "store/api_keys_repository.h"
#include "store/pool.h"
#include "store/audit_repository.h"
#include "store/refresh_tokens_repository.h"
#include "store/users_repository.h"

namespace sf::api {

using nlohmann::json;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kApiKeyPrefix = "sfk_";

const char* Reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Error";
  }
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RateLimit ReadLimit(const json& j) {
  return RateLimit{j.at("per_second").get<double>(), j.at("burst").get<int64_t>()};
}

}  // namespace

ApiError StoreError(const Status& s) {
  if (s.code() == SF_ERR_UNAVAILABLE || s.code() == SF_ERR_TIMEOUT)
    return ServiceUnavailable("the database is unavailable; retry shortly");
  base::Logger("api")->error("repository call failed: {}", s.ToString());
  return ApiError(500, "internal", "the server failed to handle this request");
}

ApiResponse ProblemResponse(const ApiError& e) {
  ApiResponse r{.status = e.status,
                .body = {{"type", "urn:signalforge:problem:" + e.code},
                         {"title", Reason(e.status)},
                         {"status", e.status},
                         {"code", e.code},
                         {"detail", e.detail}}};
  if (!e.field.empty()) r.body["field"] = e.field;
  r.content_type = "application/problem+json";
  r.headers = e.headers;
  return r;
}

StatusOr<PlatformOptions> PlatformOptions::FromConfig(const json& config) {
  PlatformOptions o;
  const json api = config.value("api", json::object());
  const json auth = config.value("auth", json::object());
  o.jwt.secret = auth.value("jwt_secret", "");
  const json jwt = api.value("jwt", json::object());
  o.jwt.issuer = jwt.value("issuer", o.jwt.issuer);
  o.jwt.audience = jwt.value("audience", o.jwt.audience);
  o.jwt.access_ttl_s = jwt.value("access_ttl_s", o.jwt.access_ttl_s);
  o.jwt.leeway_s = jwt.value("leeway_s", o.jwt.leeway_s);
  o.refresh_ttl_s = jwt.value("refresh_ttl_s", o.refresh_ttl_s);
  const json pw = api.value("password", json::object());
  o.password.ops_limit = pw.value("ops_limit", o.password.ops_limit);
  o.password.mem_limit_kib = pw.value("mem_limit_kib", o.password.mem_limit_kib);
  o.max_body_bytes = api.value("max_body_bytes", o.max_body_bytes);
  o.max_header_bytes = api.value("max_header_bytes", o.max_header_bytes);
  o.max_page_size = api.value("max_page_size", o.max_page_size);
  o.rate_limits = {{"free", {5, 20}},       {"premium", {20, 60}}, {"pro", {100, 200}},
                   {"admin", {1000, 2000}}, {"anonymous", {5, 20}}, {"auth", {1, 5}}};
  const json limits = api.value("rate_limits", json::object());
  for (auto it = limits.begin(); it != limits.end(); ++it)
    o.rate_limits[it.key()] = ReadLimit(it.value());
  const json cors = api.value("cors", json::object());
  o.cors_origins = cors.value("allowed_origins", std::vector<std::string>{});
  o.cors_max_age_s = cors.value("max_age_s", o.cors_max_age_s);
  const json usage = api.value("usage", json::object());
  o.usage.flush_interval = std::chrono::milliseconds(usage.value("flush_ms", 500));
  o.usage.max_queue = usage.value("max_queue", o.usage.max_queue);
  o.metrics_token = api.value("metrics_token", "");
  o.registration_open = api.value("registration_open", true);
  o.auth_cache_ms = api.value("auth_cache_ms", o.auth_cache_ms);
  o.signal_cache_ms = api.value("signal_cache_ms", o.signal_cache_ms);
  auto codec = JwtCodec::Create(o.jwt);
  if (!codec.ok()) return codec.status();
  return o;
}

StatusOr<std::unique_ptr<ApiPlatform>> ApiPlatform::Create(PlatformOptions options,
                                                           store::Pool* pool, app::Context* ctx,
                                                           std::vector<Route> routes) {
  auto jwt = JwtCodec::Create(options.jwt);
  if (!jwt.ok()) return jwt.status();
  std::optional<RouteTable> table;
  try {
    table.emplace(std::move(routes));
  } catch (const std::invalid_argument& e) {
    return InvalidArgument(e.what());
  }
  std::unique_ptr<ApiPlatform> p(
      new ApiPlatform(std::move(options), pool, ctx, std::move(*table), std::move(*jwt)));
  for (const auto& r : p->table_.routes()) {
    if (r.request_schema.is_null()) {
      p->schemas_.emplace_back();
      continue;
    }
    auto compiled = base::JsonSchema::Compile(r.request_schema);
    if (!compiled.ok())
      return InvalidArgument("route " + r.method + " " + r.pattern +
                             ": request schema: " + compiled.status().message());
    p->schemas_.emplace_back(std::move(*compiled));
  }
  if (pool != nullptr && p->options_.signal_cache_ms > 0) {
    Status listening = p->signal_cache_->Start(pool->options().conninfo);
    if (!listening.ok())
      base::Logger("api")->warn("signal list cache off (cannot LISTEN on sf_signals): {}",
                                listening.ToString());
  }
  return p;
}

ApiPlatform::ApiPlatform(PlatformOptions options, store::Pool* pool, app::Context* ctx,
                         RouteTable table, JwtCodec jwt)
    : options_(std::move(options)),
      pool_(pool),
      ctx_(ctx),
      table_(std::move(table)),
      jwt_(std::move(jwt)),
      openapi_(BuildOpenApi(table_.routes(), "1.0.0")),
      usage_(std::make_unique<UsageRecorder>(pool, options_.usage)),
      signal_cache_(std::make_unique<SignalListCache>(
          std::chrono::milliseconds(options_.signal_cache_ms))) {}

ApiPlatform::~ApiPlatform() = default;

const RateLimit& ApiPlatform::LimitFor(const std::string& klass,
                                       const std::optional<Principal>& who) const {
  auto find = [&](const std::string& name) -> const RateLimit& {
    auto it = options_.rate_limits.find(name);
    if (it != options_.rate_limits.end()) return it->second;
    static const RateLimit kFallback{1, 5};
    return kFallback;
  };
  if (klass == "auth") return find("auth");
  if (!who) return find("anonymous");
  return find(std::string(TierName(who->tier)));
}

// ---------------------------------------------------------------------------
// Authentication

Principal ApiPlatform::PrincipalForUser(int64_t user_id) {
  const auto now = Clock::now();
  const auto ttl = std::chrono::milliseconds(options_.auth_cache_ms);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = users_.find(user_id);
    if (it != users_.end() && now - it->second.fetched < ttl) {
      if (!it->second.active) throw Unauthorized("the account of this token is not active");
      return it->second.principal;
    }
  }
  store::UsersRepository users(pool_);
  auto row = users.FindById(user_id);
  if (!row.ok()) throw StoreError(row.status());
  CachedPrincipal c;
  c.fetched = now;
  if (*row) {
    const store::UserRow& u = **row;
    c.active = u.status == "active";
    c.principal.user_id = u.id;
    c.principal.email = u.email;
    c.principal.tier = ParseTier(u.tier).value_or(Tier::kFree);
    c.principal.risk_profile = u.risk_profile;
  }
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (users_.size() > 100000) users_.clear();
    users_[user_id] = c;
  }
  if (!c.active) throw Unauthorized("the account of this token is not active");
  return c.principal;
}

Principal ApiPlatform::PrincipalForKey(const std::string& key) {
  const std::string hash = Sha256Hex(key);
  const auto now = Clock::now();
  const auto ttl = std::chrono::milliseconds(options_.auth_cache_ms);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = keys_.find(hash);
    if (it != keys_.end() && now - it->second.fetched < ttl) {
      if (!it->second.active) throw Unauthorized("the API key is unknown, revoked or expired");
      return it->second.principal;
    }
  }
  store::ApiKeysRepository keys(pool_);
  auto found = keys.FindLiveByHash(hash);
  if (!found.ok()) throw StoreError(found.status());
  CachedPrincipal c;
  c.fetched = now;
  if (*found) {
    const auto& [k, u] = **found;
    c.active = u.status == "active";
    c.principal.user_id = u.id;
    c.principal.email = u.email;
    c.principal.tier = ParseTier(u.tier).value_or(Tier::kFree);
    c.principal.risk_profile = u.risk_profile;
    c.principal.via_api_key = true;
    c.principal.api_key_id = k.id;
    c.principal.scopes = k.scopes;
  }
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (keys_.size() > 100000) keys_.clear();
    keys_[hash] = c;
  }
  if (!c.active) throw Unauthorized("the API key is unknown, revoked or expired");
  return c.principal;
}

Principal ApiPlatform::Authenticate(const std::string& credential) {
  if (credential.rfind(kApiKeyPrefix, 0) == 0) {
    if (credential.size() > 128) throw Unauthorized("the API key is malformed");
    return PrincipalForKey(credential);
  }
  const int64_t now = NowSeconds();
  int64_t cached_user = 0;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = tokens_.find(credential);
    // Verify() accepted it, so only time can have made it invalid since.
    if (it != tokens_.end() && now <= it->second.exp + options_.jwt.leeway_s)
      cached_user = it->second.user_id;
  }
  if (cached_user > 0) return PrincipalForUser(cached_user);
  auto claims = jwt_.Verify(credential, now);
  if (!claims.ok()) throw Unauthorized(claims.status().message());
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (tokens_.size() >= 100000)
      std::erase_if(tokens_, [&](const auto& kv) { return now > kv.second.exp + options_.jwt.leeway_s; });
    if (tokens_.size() >= 100000) tokens_.clear();
    tokens_[credential] = VerifiedToken{claims->user_id, claims->exp};
  }
  return PrincipalForUser(claims->user_id);
}

void ApiPlatform::InvalidateUser(int64_t user_id) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  users_.erase(user_id);
  std::erase_if(keys_, [&](const auto& kv) { return kv.second.principal.user_id == user_id; });
}

void ApiPlatform::InvalidateApiKeys() {
  std::lock_guard<std::mutex> lock(cache_mu_);
  keys_.clear();
}

json ApiPlatform::IssueTokens(int64_t user_id) {
  const std::string refresh = RandomToken(32);
  // The refresh token is stored first: a token the client receives always exists.
  store::RefreshTokensRepository tokens(pool_);
  Status s = tokens.Create(user_id, Sha256Hex(refresh), options_.refresh_ttl_s);
  if (!s.ok()) throw StoreError(s);
  return {{"access_token", IssueAccessToken(user_id)},
          {"refresh_token", refresh},
          {"token_type", "Bearer"},
          {"expires_in", options_.jwt.access_ttl_s}};
}

std::string ApiPlatform::IssueAccessToken(int64_t user_id) const {
  return jwt_.Issue(user_id, NowSeconds());
}

// ---------------------------------------------------------------------------
// Serving

namespace {

class PlatformHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit PlatformHandler(ApiPlatform* p) : p_(p) {}
  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    p_->Handle(req, resp);
  }

 private:
  ApiPlatform* p_;
};

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct RouteMetrics {
  MetricFamily& requests;
  MetricFamily& duration;
};

RouteMetrics& HttpMetrics() {
  static RouteMetrics m{
      MetricsRegistry::Global().Counter("signalforge_http_requests_total",
                                        "API requests by method, route template and status.",
                                        {"method", "route", "status"}),
      MetricsRegistry::Global().Histogram("signalforge_http_request_duration_seconds",
                                          "API request latency by method and route template.",
                                          {"method", "route"}, LatencyBuckets())};
  return m;
}

}  // namespace

Poco::Net::HTTPRequestHandler* ApiPlatform::NewHandler() { return new PlatformHandler(this); }

void ApiPlatform::AddCors(const HTTPServerRequest& request, ApiResponse& answer) const {
  if (options_.cors_origins.empty() || !request.has("Origin")) return;
  const std::string& origin = request.get("Origin");
  const bool any = std::find(options_.cors_origins.begin(), options_.cors_origins.end(), "*") !=
                   options_.cors_origins.end();
  if (!any && std::find(options_.cors_origins.begin(), options_.cors_origins.end(), origin) ==
                  options_.cors_origins.end())
    return;
  answer.headers["Access-Control-Allow-Origin"] = any ? "*" : origin;
  if (!any) answer.headers["Vary"] = "Origin";
  answer.headers["Access-Control-Expose-Headers"] =
      "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After";
}

void ApiPlatform::Send(HTTPServerRequest& request, HTTPServerResponse& response,
                       const ApiResponse& answer) {
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status),
                              Reason(answer.status));
  for (const auto& [k, v] : answer.headers) response.set(k, v);
  if (answer.status == 204 || answer.status == 304) {
    response.setContentLength(0);
    response.send();
    return;
  }
  const std::string dumped =
      answer.text ? std::string() : answer.body.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string& text = answer.text ? *answer.text : dumped;
  response.setContentType(answer.text ? answer.content_type
                                      : (answer.content_type.empty() ? "application/json"
                                                                     : answer.content_type));
  // Poco's response streams write through a 4 KiB buffer: one send() per
  // 4 KiB. A small answer goes through sendBuffer (header and body in one
  // send(); it leaves the body out for HEAD); a larger one sends its header,
  // then the whole body in one write on the connection's socket.
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  if (text.size() <= 3072 || request.getMethod() == "HEAD" || impl == nullptr) {
    response.sendBuffer(text.data(), text.size());
    return;
  }
  response.setContentLength(static_cast<std::streamsize>(text.size()));
  response.send().flush();
  impl->socket().sendBytes(text.data(), static_cast<int>(text.size()));
}

void ApiPlatform::Handle(HTTPServerRequest& request, HTTPServerResponse& response) {
  const auto started = Clock::now();
  ApiRequest req;
  req.ctx = ctx_;
  req.pool = pool_;
  req.platform = this;
  req.method = request.getMethod();
  req.max_page_size_ = options_.max_page_size;
  req.authenticator_ = [this](const std::string& c) { return Authenticate(c); };
  req.auditor_ = [this](const std::string& actor, const std::string& action,
                        const std::string& target, const json& detail) {
    store::AuditRepository audit(pool_);
    auto id = audit.Append(actor, action, target, detail);
    if (!id.ok()) throw StoreError(id.status());
  };
  try {
    req.client_ip = request.clientAddress().host().toString();
  } catch (const Poco::Exception&) {
  }

  std::string route_label = "unmatched";
  RateDecision rate;
  ApiResponse answer;
  bool upgraded = false;
  try {
    try {
      Poco::URI uri(request.getURI());
      req.path = uri.getPath();
      for (auto& [k, v] : uri.getQueryParameters()) req.query[k] = v;
    } catch (const Poco::Exception&) {
      throw BadRequest("the request target is not a valid URI");
    }
    size_t header_bytes = 0;
    for (const auto& [name, value] : request) {
      header_bytes += name.size() + value.size() + 4;
      req.headers[Lower(name)] = value;
    }
    if (header_bytes > options_.max_header_bytes)
      throw ApiError(431, "headers_too_large",
                     "the request headers are " + std::to_string(header_bytes) +
                         " bytes; the limit is " + std::to_string(options_.max_header_bytes) +
                         " (config /api/max_header_bytes)");

    if (req.path == "/metrics") {
      route_label = "/metrics";
      if (req.method != "GET" && req.method != "HEAD")
        throw ApiError(405, "method_not_allowed", "/metrics answers GET only");
      if (!options_.metrics_token.empty()) {
        const std::string want = "Bearer " + options_.metrics_token;
        if (!ConstantTimeEquals(req.Header("authorization").value_or(""), want))
          throw Unauthorized("/metrics needs the configured metrics token (api.metrics_token)");
      }
      answer.text = MetricsRegistry::Global().Render();
      answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (req.path == "/openapi.json") {
      route_label = "/openapi.json";
      if (req.method != "GET" && req.method != "HEAD")
        throw ApiError(405, "method_not_allowed", "/openapi.json answers GET only");
      answer.body = openapi_;
    } else if (req.method == "OPTIONS") {
      // CORS preflight: answer for any path that has routes.
      auto m = table_.Find("", req.path);
      if (m.allowed.empty()) throw NotFoundError("no route for " + req.path);
      answer.status = 204;
      std::string allow;
      for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      answer.headers["Allow"] = allow + ", OPTIONS";
      if (!options_.cors_origins.empty() && request.has("Origin")) {
        answer.headers["Access-Control-Allow-Methods"] = allow + ", OPTIONS";
        answer.headers["Access-Control-Allow-Headers"] =
            "Authorization, Content-Type, X-API-Key";
        answer.headers["Access-Control-Max-Age"] = std::to_string(options_.cors_max_age_s);
      }
    } else {
      auto match = table_.Find(req.method == "HEAD" ? "GET" : req.method, req.path);
      if (!match.route) {
        if (!match.allowed.empty()) {
          std::string allow;
          for (const auto& a : match.allowed) allow += (allow.empty() ? "" : ", ") + a;
          ApiError e(405, "method_not_allowed", req.path + " answers " + allow);
          e.headers["Allow"] = allow;
          throw e;
        }
        throw NotFoundError("no route for " + req.path);
      }
      route_label = match.route->pattern;
      answer = Serve(request, response, req, match, &rate, &upgraded);
    }
  } catch (const ApiError& e) {
    answer = ProblemResponse(e);
  } catch (const Poco::Net::MessageException& e) {
    answer = ProblemResponse(BadRequest("malformed HTTP request: " + e.message()));
    response.setKeepAlive(false);
  } catch (const std::exception& e) {
    base::Logger("api")->error("{} {} failed: {}", req.method, req.path, e.what());
    answer = ProblemResponse(ApiError(500, "internal", "the server failed to handle this request"));
  }
  if (upgraded) return;  // the WebSocket handler answered and owned the connection

  if (rate.limit > 0) {
    answer.headers["RateLimit-Limit"] = std::to_string(rate.limit);
    answer.headers["RateLimit-Remaining"] = std::to_string(rate.remaining);
    answer.headers["RateLimit-Reset"] = std::to_string(rate.reset_s);
  }
  AddCors(request, answer);
  // A request refused before its body was read (401, 403, 404, 429, 413...)
  // leaves those bytes on the connection, where they would be parsed as the
  // next request: close it instead of keeping it alive.
  const bool has_body = (request.hasContentLength() && request.getContentLength64() > 0) ||
                        request.getChunkedTransferEncoding();
  if (answer.status == 413 || (answer.status >= 400 && has_body && req.body.empty())) {
    response.setKeepAlive(false);
  }
  try {
    if (!response.sent()) Send(request, response, answer);
  } catch (const Poco::Exception& e) {
    base::Logger("api")->debug("could not answer {} {}: {}", req.method, req.path, e.displayText());
  }

  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  auto& m = HttpMetrics();
  m.requests.With({req.method, route_label, std::to_string(answer.status)}).Inc();
  m.duration.Observe({req.method, route_label}, seconds);
  if (req.path.rfind("/api/", 0) == 0) {
    store::UsageRecord u;
    if (req.principal) {
      u.user_id = req.principal->user_id;
      if (req.principal->via_api_key) u.api_key_id = req.principal->api_key_id;
    }
    u.method = req.method;
    u.endpoint = route_label;
    u.status = answer.status;
    u.latency_ms = seconds * 1000.0;
    u.ts_us = NowMicros();
    usage_->Record(std::move(u));
  }
}

ApiResponse ApiPlatform::Serve(HTTPServerRequest& request, HTTPServerResponse& response,
                               ApiRequest& req, const RouteTable::Match& match, RateDecision* rate,
                               bool* upgraded) {
  const Route& route = *match.route;
  req.route = &route;
  req.params = match.params;

  // Authentication: a public route ignores credentials; a WebSocket route
  // with auth=false may authenticate later from its first message.
  std::optional<std::string> credential;
  if (auto a = req.Header("authorization")) {
    if (a->size() < 7 || Lower(a->substr(0, 7)) != "bearer ")
      throw Unauthorized("the Authorization header must be 'Bearer <token>'");
    credential = a->substr(7);
  } else if (auto k = req.Header("x-api-key")) {
    credential = *k;
  }
  if (route.auth) {
    if (!credential) throw Unauthorized("this route needs an access token or an API key");
    req.principal = Authenticate(*credential);
  }

  // Rate limit before anything costly (body parsing, the handler).
  const std::string bucket_owner =
      req.principal ? "u" + std::to_string(req.principal->user_id) : "ip" + req.client_ip;
  RateLimit limit = LimitFor(route.rate_class, req.principal);
  if (route.rate_class == "expensive") {
    limit.per_second /= 10;
    limit.burst = std::max<int64_t>(1, limit.burst / 10);
  }
  *rate = limiter_.Take(route.rate_class + "|" + bucket_owner, limit);
  if (!rate->allowed) {
    ApiError e(429, "rate_limited",
               "too many requests; retry in " + std::to_string(rate->retry_after_s) + " s");
    e.headers["Retry-After"] = std::to_string(rate->retry_after_s);
    throw e;
  }

  if (req.principal) {
    if (!TierAtLeast(req.principal->tier, route.min_tier))
      throw ApiError(403, "tier_required",
                     route.method + " " + route.pattern + " needs the " +
                         std::string(TierName(route.min_tier)) + " tier; this account is " +
                         std::string(TierName(req.principal->tier)));
    if (!req.principal->HasScope(route.scope))
      throw ApiError(403, "insufficient_scope",
                     "this API key lacks the scope '" + route.scope + "' that " + route.method +
                         " " + route.pattern + " needs");
  }

  if (route.upgrade) {
    *upgraded = true;
    route.upgrade(req, request, response);
    return ApiResponse();
  }

  // Body: bounded read, then JSON + schema when the route declares one.
  if (request.hasContentLength() &&
      request.getContentLength64() > static_cast<Poco::Int64>(options_.max_body_bytes))
    throw ApiError(413, "body_too_large",
                   "the request body is " + std::to_string(request.getContentLength64()) +
                       " bytes; the limit is " + std::to_string(options_.max_body_bytes) +
                       " (config /api/max_body_bytes)");
  {
    std::istream& in = request.stream();
    char buf[8192];
    while (in) {
      in.read(buf, sizeof buf);
      req.body.append(buf, static_cast<size_t>(in.gcount()));
      if (req.body.size() > options_.max_body_bytes)
        throw ApiError(413, "body_too_large",
                       "the request body is larger than " +
                           std::to_string(options_.max_body_bytes) +
                           " bytes (config /api/max_body_bytes)");
    }
  }
  const size_t index = static_cast<size_t>(&route - table_.routes().data());
  if (schemas_[index]) {
    const std::string type = Lower(req.Header("content-type").value_or(""));
    if (!req.body.empty() && type.rfind("application/json", 0) != 0)
      throw ApiError(415, "unsupported_media_type",
                     "the request body must be application/json (Content-Type)");
    const json& body = req.Json();
    auto errors = schemas_[index]->Validate(body, 1);
    if (!errors.empty())
      throw BadRequest("request body " + errors[0].ToString(),
                       errors[0].pointer.empty() ? "/" : errors[0].pointer);
  }
  return route.handler(req);
}

}  // namespace sf::api
