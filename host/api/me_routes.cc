// The caller's own account: profile, tier, risk profile, rate limit and
// usage (GET/PATCH /api/v1/me) and API keys (/api/v1/me/keys). Keys are
// minted and revoked only with an access token (a key cannot mint keys);
// the secret is in the creation answer once and stored only as a hash.
#include <nlohmann/json.hpp>

#include "api/platform.h"
#include "api/router.h"
#include "api/secrets.h"
#include "store/api_keys_repository.h"
#include "store/api_usage_repository.h"
#include "store/users_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

json Profile(const store::UserRow& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"display_name", u.display_name ? json(*u.display_name) : json()},
          {"tier", u.tier},
          {"risk_profile", u.risk_profile},
          {"timezone", u.timezone},
          {"status", u.status},
          {"created_at", u.created_at}};
}

json KeyJson(const store::ApiKeyRow& k) {
  const auto opt = [](const std::optional<std::string>& v) { return v ? json(*v) : json(); };
  return {{"id", k.id},
          {"name", k.name},
          {"prefix", k.key_prefix},
          {"scopes", k.scopes},
          {"created_at", k.created_at},
          {"last_used_at", opt(k.last_used_at)},
          {"expires_at", opt(k.expires_at)},
          {"revoked_at", opt(k.revoked_at)}};
}

ApiResponse GetMe(ApiRequest& r) {
  const Principal& who = r.User();
  store::UsersRepository users(r.pool);
  auto u = users.FindById(who.user_id);
  if (!u.ok()) throw StoreError(u.status());
  if (!*u) throw NotFoundError("this account no longer exists");
  store::ApiUsageRepository usage(r.pool);
  auto summary = usage.Summary(who.user_id);
  if (!summary.ok()) throw StoreError(summary.status());
  const RateLimit& limit = r.platform->LimitFor("", r.principal);
  json body = Profile(**u);
  body["auth"] = {{"via_api_key", who.via_api_key},
                  {"scopes", who.via_api_key ? json(who.scopes) : json::array({"*"})}};
  body["rate_limit"] = {{"per_second", limit.per_second}, {"burst", limit.burst}};
  body["usage"] = std::move(*summary);
  return {.body = std::move(body)};
}

ApiResponse PatchMe(ApiRequest& r) {
  const json& body = r.Json();
  store::UserChange change;
  if (body.contains("display_name")) change.display_name = body["display_name"].get<std::string>();
  if (body.contains("risk_profile")) change.risk_profile = body["risk_profile"].get<std::string>();
  if (body.contains("timezone")) change.timezone = body["timezone"].get<std::string>();
  store::UsersRepository users(r.pool);
  auto u = users.Update(r.User().user_id, change);
  if (!u.ok()) throw StoreError(u.status());
  if (!*u) throw NotFoundError("this account no longer exists");
  r.platform->InvalidateUser(r.User().user_id);
  return {.body = Profile(**u)};
}

void RequireAccessToken(const ApiRequest& r) {
  if (r.User().via_api_key)
    throw ApiError(403, "access_token_required",
                   "API keys are managed with an access token from /api/v1/auth/login, not with "
                   "an API key");
}

ApiResponse CreateKey(ApiRequest& r) {
  RequireAccessToken(r);
  const json& body = r.Json();
  std::vector<std::string> scopes = body.value("scopes", std::vector<std::string>{"*"});
  std::optional<int64_t> expires_in_s;
  if (body.contains("expires_in_days")) expires_in_s = body["expires_in_days"].get<int64_t>() * 86400;
  const std::string key = "sfk_" + RandomToken(32);
  store::ApiKeysRepository keys(r.pool);
  auto row = keys.Create(r.User().user_id, body.value("name", ""), key.substr(0, 12),
                         Sha256Hex(key), scopes, expires_in_s);
  if (!row.ok()) throw StoreError(row.status());
  json out = KeyJson(*row);
  out["key"] = key;
  return ApiResponse::Created(std::move(out));
}

ApiResponse ListKeys(ApiRequest& r) {
  store::ApiKeysRepository keys(r.pool);
  auto rows = keys.ListForUser(r.User().user_id);
  if (!rows.ok()) throw StoreError(rows.status());
  json items = json::array();
  for (const auto& k : *rows) items.push_back(KeyJson(k));
  return {.body = {{"items", std::move(items)}}};
}

ApiResponse RevokeKey(ApiRequest& r) {
  RequireAccessToken(r);
  store::ApiKeysRepository keys(r.pool);
  auto done = keys.Revoke(r.User().user_id, r.PathInt("id"));
  if (!done.ok()) throw StoreError(done.status());
  if (!*done) throw NotFoundError("you have no live API key with id " + r.Param("id"));
  r.platform->InvalidateApiKeys();
  return ApiResponse::NoContent();
}

const json kPatchMe = {
    {"type", "object"},
    {"additionalProperties", false},
    {"minProperties", 1},
    {"properties",
     {{"display_name", {{"type", "string"}, {"maxLength", 100}}},
      {"risk_profile", {{"enum", {"conservative", "moderate", "aggressive"}}}},
      {"timezone",
       {{"type", "string"}, {"pattern", "^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$"}, {"maxLength", 64}}}}}};

const json kNewKey = {
    {"type", "object"},
    {"additionalProperties", false},
    {"properties",
     {{"name", {{"type", "string"}, {"maxLength", 100}}},
      {"scopes",
       {{"type", "array"},
        {"minItems", 1},
        {"maxItems", 32},
        {"uniqueItems", true},
        {"items", {{"type", "string"}, {"pattern", "^(\\*|[a-z_]+|[a-z_]+:(read|write|\\*))$"}}}}},
      {"expires_in_days", {{"type", "integer"}, {"minimum", 1}, {"maximum", 3650}}}}}};

const RouteRegistrar kMeRoutes({
    {.method = "GET",
     .pattern = "/api/v1/me",
     .openapi = {{"summary", "The caller's profile, tier, risk profile, rate limit and usage"},
                 {"tags", {"me"}}},
     .handler = &GetMe},
    {.method = "PATCH",
     .pattern = "/api/v1/me",
     .scope = "account:write",
     .request_schema = kPatchMe,
     .openapi = {{"summary", "Change display name, risk profile or time zone"}, {"tags", {"me"}}},
     .handler = &PatchMe},
    {.method = "POST",
     .pattern = "/api/v1/me/keys",
     .request_schema = kNewKey,
     .openapi = {{"summary", "Create an API key (the secret is shown once)"},
                 {"description",
                  "Scopes look like 'signals:read' or 'watchlists:*'; '*' grants all. Needs an "
                  "access token."},
                 {"tags", {"me"}},
                 {"responses", {{"201", {{"description", "The key, with its secret in `key`."}}}}}},
     .handler = &CreateKey},
    {.method = "GET",
     .pattern = "/api/v1/me/keys",
     .openapi = {{"summary", "The caller's API keys (no secrets)"}, {"tags", {"me"}}},
     .handler = &ListKeys},
    {.method = "DELETE",
     .pattern = "/api/v1/me/keys/{id}",
     .openapi = {{"summary", "Revoke an API key"},
                 {"tags", {"me"}},
                 {"responses", {{"204", {{"description", "Revoked."}}}}}},
     .handler = &RevokeKey},
});

}  // namespace
}  // namespace sf::api
