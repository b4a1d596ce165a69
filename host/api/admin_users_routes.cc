// Admin routes for accounts: list and inspect users, change a user's tier or
// status (suspend, reactivate, delete), and read the audit log. Every change
// is written to audit_log with the acting admin, the before and after
// values; suspending or deleting a user revokes their refresh tokens and
// drops their cached authentication at once.
#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "api/platform.h"
#include "api/router.h"
#include "store/audit_repository.h"
#include "store/refresh_tokens_repository.h"
#include "store/users_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

json UserJson(const store::UserRow& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"display_name", u.display_name ? json(*u.display_name) : json()},
          {"tier", u.tier},
          {"risk_profile", u.risk_profile},
          {"status", u.status},
          {"created_at", u.created_at},
          {"updated_at", u.updated_at}};
}

ApiResponse ListUsers(ApiRequest& r) {
  const int64_t limit = r.PageSize();
  int64_t after = 0;
  if (auto c = r.Query("cursor")) {
    json pos = DecodeCursor(*c);
    if (!pos.contains("after") || !pos["after"].is_number_integer())
      throw BadRequest("query parameter 'cursor' is not a cursor this API returned", "cursor");
    after = pos["after"].get<int64_t>();
  }
  std::optional<std::string> tier, status;
  if (r.Query("tier")) tier = r.QueryEnum("tier", "", {"free", "premium", "pro", "admin"});
  if (r.Query("status")) status = r.QueryEnum("status", "", {"active", "suspended", "deleted"});
  store::UsersRepository users(r.pool);
  auto rows = users.List(after, static_cast<int>(limit) + 1, tier, status);
  if (!rows.ok()) throw StoreError(rows.status());
  json items = json::array();
  const size_t n = std::min(rows->size(), static_cast<size_t>(limit));
  for (size_t i = 0; i < n; ++i) items.push_back(UserJson((*rows)[i]));
  json body = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (rows->size() > n) body["next_cursor"] = EncodeCursor({{"after", (*rows)[n - 1].id}});
  return {.body = std::move(body)};
}

ApiResponse GetUser(ApiRequest& r) {
  store::UsersRepository users(r.pool);
  auto u = users.FindById(r.PathInt("id"));
  if (!u.ok()) throw StoreError(u.status());
  if (!*u) throw NotFoundError("no user with id " + r.Param("id"));
  return {.body = UserJson(**u)};
}

ApiResponse ChangeUser(ApiRequest& r, const store::UserChange& change) {
  const int64_t id = r.PathInt("id");
  if (id == r.User().user_id)
    throw ConflictError("an admin cannot change their own tier or status; ask another admin");
  store::UsersRepository users(r.pool);
  store::UserRow before;
  auto after = users.Update(id, change, &before);
  if (!after.ok()) throw StoreError(after.status());
  if (!*after) throw NotFoundError("no user with id " + r.Param("id"));
  const store::UserRow& a = **after;
  const std::string target = "user:" + std::to_string(id);
  if (before.tier != a.tier)
    r.Audit("user.tier_change", target, {{"from", before.tier}, {"to", a.tier}});
  if (before.status != a.status) {
    r.Audit("user.status_change", target, {{"from", before.status}, {"to", a.status}});
    if (a.status != "active") {
      store::RefreshTokensRepository tokens(r.pool);
      Status s = tokens.RevokeAllForUser(id);
      if (!s.ok()) throw StoreError(s);
    }
  }
  r.platform->InvalidateUser(id);
  return {.body = UserJson(a)};
}

ApiResponse PatchUser(ApiRequest& r) {
  const json& body = r.Json();
  store::UserChange change;
  if (body.contains("tier")) change.tier = body["tier"].get<std::string>();
  if (body.contains("status")) change.status = body["status"].get<std::string>();
  return ChangeUser(r, change);
}

ApiResponse DeleteUser(ApiRequest& r) {
  store::UserChange change;
  change.status = "deleted";
  ChangeUser(r, change);
  return ApiResponse::NoContent();
}

ApiResponse ListAudit(ApiRequest& r) {
  const int64_t limit = r.PageSize();
  const int64_t before = r.QueryInt("before_id", 0, 0, INT64_MAX);
  std::optional<std::string> action;
  if (r.Query("action")) action = r.QueryString("action", "", 64);
  store::AuditRepository audit(r.pool);
  auto rows = audit.List(before, static_cast<int>(limit), action);
  if (!rows.ok()) throw StoreError(rows.status());
  json items = json::array();
  for (const auto& e : *rows)
    items.push_back({{"id", e.id},
                     {"actor", e.actor},
                     {"action", e.action},
                     {"target", e.target ? json(*e.target) : json()},
                     {"detail", e.detail},
                     {"ts", e.ts}});
  return {.body = {{"items", std::move(items)}}};
}

const json kPatchUser = {{"type", "object"},
                         {"additionalProperties", false},
                         {"minProperties", 1},
                         {"properties",
                          {{"tier", {{"enum", {"free", "premium", "pro", "admin"}}}},
                           {"status", {{"enum", {"active", "suspended", "deleted"}}}}}}};

json PageParams() {
  return json::array(
      {{{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 1}}}},
       {{"name", "cursor"}, {"in", "query"}, {"schema", {{"type", "string"}}}}});
}

json AuditParams() {
  return json::array(
      {PageParams()[0],
       {{"name", "before_id"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 0}}}},
       {{"name", "action"}, {"in", "query"}, {"schema", {{"type", "string"}}}}});
}

json UserListParams() {
  json p = PageParams();
  p.push_back({{"name", "tier"}, {"in", "query"}, {"schema", {{"type", "string"}}}});
  p.push_back({{"name", "status"}, {"in", "query"}, {"schema", {{"type", "string"}}}});
  return p;
}

const RouteRegistrar kAdminUserRoutes({
    {.method = "GET",
     .pattern = "/api/v1/admin/users",
     .min_tier = Tier::kAdmin,
     .scope = "admin:read",
     .openapi = {{"summary", "List users (cursor pagination; filters tier, status)"},
                 {"tags", {"admin"}},
                 {"parameters", UserListParams()}},
     .handler = &ListUsers},
    {.method = "GET",
     .pattern = "/api/v1/admin/users/{id}",
     .min_tier = Tier::kAdmin,
     .scope = "admin:read",
     .openapi = {{"summary", "One user"}, {"tags", {"admin"}}},
     .handler = &GetUser},
    {.method = "PATCH",
     .pattern = "/api/v1/admin/users/{id}",
     .min_tier = Tier::kAdmin,
     .scope = "admin:write",
     .request_schema = kPatchUser,
     .openapi = {{"summary", "Change a user's tier or status (audited)"}, {"tags", {"admin"}}},
     .handler = &PatchUser},
    {.method = "DELETE",
     .pattern = "/api/v1/admin/users/{id}",
     .min_tier = Tier::kAdmin,
     .scope = "admin:write",
     .openapi = {{"summary", "Delete a user (status deleted; audited)"},
                 {"tags", {"admin"}},
                 {"responses", {{"204", {{"description", "Deleted."}}}}}},
     .handler = &DeleteUser},
    {.method = "GET",
     .pattern = "/api/v1/admin/audit",
     .min_tier = Tier::kAdmin,
     .scope = "admin:read",
     .openapi = {{"summary", "The audit log, newest first"},
                 {"tags", {"admin"}},
                 {"parameters", AuditParams()}},
     .handler = &ListAudit},
});

}  // namespace
}  // namespace sf::api
