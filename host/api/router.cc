#include "api/router.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "api/secrets.h"

namespace sf::api {

using nlohmann::json;

std::string_view TierName(Tier tier) {
  switch (tier) {
    case Tier::kFree:
      return "free";
    case Tier::kPremium:
      return "premium";
    case Tier::kPro:
      return "pro";
    case Tier::kAdmin:
      return "admin";
  }
  return "free";
}

std::optional<Tier> ParseTier(std::string_view name) {
  if (name == "free") return Tier::kFree;
  if (name == "premium") return Tier::kPremium;
  if (name == "pro") return Tier::kPro;
  if (name == "admin") return Tier::kAdmin;
  return std::nullopt;
}

bool Principal::HasScope(std::string_view scope) const {
  if (!via_api_key || scope.empty()) return true;
  for (const auto& s : scopes) {
    if (s == "*" || s == scope) return true;
    // "signals:*" grants "signals:read".
    if (s.size() >= 2 && s.ends_with(":*") &&
        scope.substr(0, s.size() - 1) == std::string_view(s).substr(0, s.size() - 1))
      return true;
  }
  return false;
}

ApiError::ApiError(int status_in, std::string code_in, std::string detail_in, std::string field_in)
    : status(status_in),
      code(std::move(code_in)),
      detail(std::move(detail_in)),
      field(std::move(field_in)) {}

ApiError BadRequest(std::string detail, std::string field) {
  return ApiError(400, "invalid_argument", std::move(detail), std::move(field));
}
ApiError Unauthorized(std::string detail) {
  ApiError e(401, "unauthenticated", std::move(detail));
  e.headers["WWW-Authenticate"] = "Bearer realm=\"signalforge\"";
  return e;
}
ApiError Forbidden(std::string detail) { return ApiError(403, "forbidden", std::move(detail)); }
ApiError NotFoundError(std::string detail) { return ApiError(404, "not_found", std::move(detail)); }
ApiError ConflictError(std::string detail, std::string field) {
  return ApiError(409, "conflict", std::move(detail), std::move(field));
}
ApiError Unprocessable(std::string detail, std::string field) {
  return ApiError(422, "unprocessable", std::move(detail), std::move(field));
}
ApiError ServiceUnavailable(std::string detail) {
  return ApiError(503, "unavailable", std::move(detail));
}

// ---------------------------------------------------------------------------
// ApiRequest

const json& ApiRequest::Json() {
  if (json_) return *json_;
  if (body.empty()) throw BadRequest("this request needs a JSON body");
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    throw BadRequest("the request body is not valid JSON (RFC 8259)");
  json_ = std::move(parsed);
  return *json_;
}

const Principal& ApiRequest::User() const {
  if (!principal) throw Unauthorized("this route needs an access token or an API key");
  return *principal;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Shorten(const std::string& value) {
  if (value.size() <= 40) return value;
  return value.substr(0, 40) + "...";
}

}  // namespace

std::optional<std::string> ApiRequest::Header(std::string_view name) const {
  auto it = headers.find(Lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ApiRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string ApiRequest::QueryString(const std::string& name, const std::string& default_value,
                                    std::size_t max_length) const {
  auto v = Query(name);
  if (!v) return default_value;
  if (v->size() > max_length)
    throw BadRequest("query parameter '" + name + "' is " + std::to_string(v->size()) +
                         " bytes long; at most " + std::to_string(max_length) + " are allowed",
                     name);
  return *v;
}

int64_t ApiRequest::QueryInt(const std::string& name, int64_t default_value, int64_t min,
                             int64_t max) const {
  auto v = Query(name);
  if (!v) return default_value;
  const std::string rule = "query parameter '" + name + "' must be an integer between " +
                           std::to_string(min) + " and " + std::to_string(max);
  if (v->empty() || v->size() > 20) throw BadRequest(rule + ", got '" + Shorten(*v) + "'", name);
  errno = 0;
  char* end = nullptr;
  const long long n = std::strtoll(v->c_str(), &end, 10);
  if (errno != 0 || end != v->c_str() + v->size())
    throw BadRequest(rule + ", got '" + Shorten(*v) + "'", name);
  if (n < min || n > max) throw BadRequest(rule + ", got " + std::to_string(n), name);
  return n;
}

double ApiRequest::QueryDouble(const std::string& name, double default_value, double min,
                               double max) const {
  auto v = Query(name);
  if (!v) return default_value;
  char* end = nullptr;
  const double d = v->empty() || v->size() > 64 ? NAN : std::strtod(v->c_str(), &end);
  if (!std::isfinite(d) || end != v->c_str() + v->size() || d < min || d > max) {
    json lo = min, hi = max;
    throw BadRequest("query parameter '" + name + "' must be a number between " + lo.dump() +
                         " and " + hi.dump() + ", got '" + Shorten(*v) + "'",
                     name);
  }
  return d;
}

bool ApiRequest::QueryBool(const std::string& name, bool default_value) const {
  auto v = Query(name);
  if (!v) return default_value;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  throw BadRequest("query parameter '" + name + "' must be true or false, got '" + Shorten(*v) + "'",
                   name);
}

std::string ApiRequest::QueryEnum(const std::string& name, const std::string& default_value,
                                  const std::vector<std::string>& allowed) const {
  auto v = Query(name);
  if (!v) return default_value;
  if (std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return *v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw BadRequest("query parameter '" + name + "' must be one of " + list + ", got '" +
                       Shorten(*v) + "'",
                   name);
}

int64_t ApiRequest::PageSize(int64_t default_value) const {
  return QueryInt("limit", std::min(default_value, max_page_size_), 1, max_page_size_);
}

const std::string& ApiRequest::Param(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end())
    throw std::logic_error("route " + path + " has no path parameter '" + name + "'");
  return it->second;
}

int64_t ApiRequest::PathInt(const std::string& name) const {
  const std::string& v = Param(name);
  errno = 0;
  char* end = nullptr;
  const long long n = v.empty() || v.size() > 19 ? 0 : std::strtoll(v.c_str(), &end, 10);
  if (errno != 0 || n <= 0 || end != v.c_str() + v.size())
    throw BadRequest("path parameter '" + name + "' must be a positive integer, got '" +
                         Shorten(v) + "'",
                     name);
  return n;
}

const Principal& ApiRequest::Authenticate(const std::string& credential) {
  if (!authenticator_) throw ServiceUnavailable("authentication is not available");
  principal = authenticator_(credential);
  return *principal;
}

void ApiRequest::Audit(const std::string& action, const std::string& target, const json& detail) {
  if (!auditor_) throw ServiceUnavailable("the audit log is not available");
  const std::string actor = principal ? "user:" + std::to_string(principal->user_id) : "anonymous";
  auditor_(actor, action, target, detail);
}

// ---------------------------------------------------------------------------
// Registration

namespace {
std::vector<Route>& MutableRoutes() {
  static std::vector<Route> routes;
  return routes;
}
}  // namespace

RouteRegistrar::RouteRegistrar(std::vector<Route> routes) {
  auto& all = MutableRoutes();
  for (auto& r : routes) all.push_back(std::move(r));
}

const std::vector<Route>& RegisteredRoutes() { return MutableRoutes(); }

// ---------------------------------------------------------------------------
// Cursors

std::string EncodeCursor(const json& position) { return Base64UrlEncode(position.dump()); }

json DecodeCursor(const std::string& cursor) {
  const auto bad = [] {
    return BadRequest("query parameter 'cursor' is not a cursor this API returned", "cursor");
  };
  std::string text;
  if (cursor.empty() || cursor.size() > 1024 || !Base64UrlDecode(cursor, &text)) throw bad();
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw bad();
  return j;
}

// ---------------------------------------------------------------------------
// RouteTable

namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

RouteTable::RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {
  static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  for (const auto& r : routes_) {
    const std::string name = r.method + " " + r.pattern;
    if (std::find(kMethods.begin(), kMethods.end(), r.method) == kMethods.end())
      throw std::invalid_argument("route " + name + ": unsupported method");
    if (r.pattern.empty() || r.pattern.front() != '/')
      throw std::invalid_argument("route " + name + ": the pattern must start with '/'");
    if (!r.handler && !r.upgrade)
      throw std::invalid_argument("route " + name + ": neither handler nor upgrade is set");
    auto segs = Split(r.pattern);
    for (const auto& s : segs) {
      if ((s.find('{') != std::string::npos || s.find('}') != std::string::npos) && !IsParam(s))
        throw std::invalid_argument("route " + name + ": segment '" + s +
                                    "' mixes a {parameter} with text");
    }
    for (size_t k = 0; k < segments_.size(); ++k) {
      if (routes_[k].method == r.method && segments_[k].size() == segs.size()) {
        bool same = true;
        for (size_t i = 0; i < segs.size() && same; ++i)
          same = (IsParam(segs[i]) && IsParam(segments_[k][i])) || segs[i] == segments_[k][i];
        if (same)
          throw std::invalid_argument("routes " + routes_[k].method + " " + routes_[k].pattern +
                                      " and " + name + " match the same requests");
      }
    }
    segments_.push_back(std::move(segs));
  }
}

RouteTable::Match RouteTable::Find(std::string_view method, std::string_view path) const {
  Match best;
  int best_literals = -1;
  const auto segs = Split(path);
  for (size_t k = 0; k < routes_.size(); ++k) {
    const auto& pat = segments_[k];
    if (pat.size() != segs.size()) continue;
    int literals = 0;
    bool ok = true;
    for (size_t i = 0; i < pat.size() && ok; ++i) {
      if (IsParam(pat[i]))
        ok = !segs[i].empty();
      else if (pat[i] == segs[i])
        ++literals;
      else
        ok = false;
    }
    if (!ok) continue;
    if (routes_[k].method != method) {
      if (std::find(best.allowed.begin(), best.allowed.end(), routes_[k].method) ==
          best.allowed.end())
        best.allowed.push_back(routes_[k].method);
      continue;
    }
    // A literal segment beats a parameter ("/keys/current" over "/keys/{id}").
    if (literals > best_literals) {
      best_literals = literals;
      best.route = &routes_[k];
      best.params.clear();
      for (size_t i = 0; i < pat.size(); ++i)
        if (IsParam(pat[i])) best.params[pat[i].substr(1, pat[i].size() - 2)] = segs[i];
    }
  }
  if (best.route) best.allowed.clear();
  return best;
}

}  // namespace sf::api
