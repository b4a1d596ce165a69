// Routes: the caller's watchlists (CRUD). Every id is scoped to the caller:
// another user's list answers 404 exactly like a missing one.
#include "api/router.h"
#include "api/routes_common.h"
#include "store/watchlists_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

json WatchlistJson(const store::Watchlist& w) {
  return {{"id", w.id}, {"name", w.name}, {"symbols", w.symbols}, {"created_at", IsoTime(w.created_at)}};
}

const json kSymbols = {{"type", "array"},
                       {"maxItems", 500},
                       {"uniqueItems", true},
                       {"items", {{"type", "string"}, {"pattern", "^[A-Za-z0-9][A-Za-z0-9.^=/:_-]{0,31}$"}}}};
const json kName = {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}};

ApiResponse List(ApiRequest& r) {
  json items = json::array();
  for (const auto& w : ValueOrThrow(store::WatchlistsRepository(r.pool).List(r.User().user_id))) {
    items.push_back(WatchlistJson(w));
  }
  return {.body = {{"items", std::move(items)}}};
}

ApiResponse Get(ApiRequest& r) {
  return {.body = WatchlistJson(
              ValueOrThrow(store::WatchlistsRepository(r.pool).Get(r.User().user_id, r.PathInt("id"))))};
}

ApiResponse Create(ApiRequest& r) {
  const json& b = r.Json();
  auto w = ValueOrThrow(store::WatchlistsRepository(r.pool).Create(
                            r.User().user_id, b["name"].get<std::string>(),
                            b.value("symbols", std::vector<std::string>{})),
                        "symbols");
  return ApiResponse::Created(WatchlistJson(w));
}

ApiResponse Update(ApiRequest& r) {
  const int64_t id = r.PathInt("id");
  const json& b = r.Json();
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> symbols;
  if (b.contains("name")) name = b["name"].get<std::string>();
  if (b.contains("symbols")) symbols = b["symbols"].get<std::vector<std::string>>();
  auto w = ValueOrThrow(store::WatchlistsRepository(r.pool).Update(r.User().user_id, id, name, symbols),
                        "symbols");
  return {.body = WatchlistJson(w)};
}

ApiResponse Delete(ApiRequest& r) {
  OkOrThrow(store::WatchlistsRepository(r.pool).Delete(r.User().user_id, r.PathInt("id")));
  return ApiResponse::NoContent();
}

const json kPatchSchema = [] {
  json s = ObjectSchema({{"name", kName}, {"symbols", kSymbols}});
  s["minProperties"] = 1;
  return s;
}();

const RouteRegistrar kWatchlistRoutes({
    {.method = "GET", .pattern = "/api/v1/watchlists", .scope = "watchlists:read",
     .openapi = Operation("Your watchlists", "watchlists", 200, "{items}"), .handler = List},
    {.method = "POST", .pattern = "/api/v1/watchlists", .scope = "watchlists:write",
     .request_schema = ObjectSchema({{"name", kName}, {"symbols", kSymbols}}, {"name"}),
     .openapi = Operation("Create a watchlist", "watchlists", 201, "The new watchlist"),
     .handler = Create},
    {.method = "GET", .pattern = "/api/v1/watchlists/{id}", .scope = "watchlists:read",
     .openapi = Operation("One of your watchlists", "watchlists", 200, "The watchlist"), .handler = Get},
    {.method = "PATCH", .pattern = "/api/v1/watchlists/{id}", .scope = "watchlists:write",
     .request_schema = kPatchSchema,
     .openapi = Operation("Rename a watchlist or replace its symbols", "watchlists", 200, "The watchlist"),
     .handler = Update},
    {.method = "DELETE", .pattern = "/api/v1/watchlists/{id}", .scope = "watchlists:write",
     .openapi = Operation("Delete a watchlist", "watchlists", 204, "Deleted"), .handler = Delete},
});

}  // namespace
}  // namespace sf::api
