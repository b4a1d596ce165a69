// Routes: the caller's paper portfolios: create, list with equity and P/L,
// one portfolio with positions valued at the latest daily close, paper
// trades, delete. Every id is scoped to the caller (404 otherwise).
#include "api/router.h"
#include "api/routes_common.h"
#include "store/portfolio_queries_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

json PortfolioJson(const store::PaperPortfolio& p, bool with_positions) {
  json j = {{"id", p.id},
            {"name", p.name},
            {"base_currency", p.base_currency},
            {"initial_cash", p.initial_cash},
            {"cash", p.cash},
            {"equity", p.equity},
            {"total_pnl", p.total_pnl},
            {"total_pnl_pct", p.total_pnl_pct},
            {"created_at", IsoTime(p.created_at)}};
  if (with_positions) {
    json pos = json::array();
    for (const auto& q : p.positions) {
      pos.push_back({{"symbol", q.symbol},
                     {"quantity", q.quantity},
                     {"avg_price", q.avg_price},
                     {"last_price", q.last_price},
                     {"last_price_at", TimeOrNull(q.last_price_at)},
                     {"market_value", q.market_value},
                     {"unrealized_pnl", q.unrealized_pnl},
                     {"unrealized_pnl_pct", q.unrealized_pnl_pct},
                     {"opened_at", IsoTime(q.opened_at)}});
    }
    j["positions"] = std::move(pos);
  }
  return j;
}

ApiResponse List(ApiRequest& r) {
  json items = json::array();
  for (const auto& p : ValueOrThrow(store::PortfolioQueriesRepository(r.pool).List(r.User().user_id))) {
    items.push_back(PortfolioJson(p, false));
  }
  return {.body = {{"items", std::move(items)}}};
}

ApiResponse Get(ApiRequest& r) {
  return {.body = PortfolioJson(ValueOrThrow(store::PortfolioQueriesRepository(r.pool).Get(
                                    r.User().user_id, r.PathInt("id"))),
                                true)};
}

ApiResponse Create(ApiRequest& r) {
  const json& b = r.Json();
  auto p = ValueOrThrow(store::PortfolioQueriesRepository(r.pool).Create(
                            r.User().user_id, b["name"].get<std::string>(),
                            b.value("initial_cash", 100000.0), b.value("base_currency", std::string("USD"))),
                        "name");
  return ApiResponse::Created(PortfolioJson(p, true));
}

ApiResponse Trade(ApiRequest& r) {
  const int64_t id = r.PathInt("id");
  const json& b = r.Json();
  store::PaperTrade t;
  t.symbol = b["symbol"].get<std::string>();
  t.side = b["side"].get<std::string>();
  t.quantity = b["quantity"].get<double>();
  if (b.contains("price")) t.price = b["price"].get<double>();
  t.fees = b.value("fees", 0.0);
  auto p = ValueOrThrow(store::PortfolioQueriesRepository(r.pool).Trade(r.User().user_id, id, t), "symbol");
  return ApiResponse::Created(PortfolioJson(p, true));
}

ApiResponse Delete(ApiRequest& r) {
  OkOrThrow(store::PortfolioQueriesRepository(r.pool).Delete(r.User().user_id, r.PathInt("id")));
  return ApiResponse::NoContent();
}

const RouteRegistrar kPortfolioRoutes({
    {.method = "GET", .pattern = "/api/v1/portfolios", .scope = "portfolios:read",
     .openapi = Operation("Your paper portfolios with equity and P/L", "portfolios", 200, "{items}"),
     .handler = List},
    {.method = "POST", .pattern = "/api/v1/portfolios", .scope = "portfolios:write",
     .request_schema = ObjectSchema(
         {{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}},
          {"initial_cash", {{"type", "number"}, {"minimum", 0}, {"maximum", 1e12}}},
          {"base_currency", {{"type", "string"}, {"pattern", "^[A-Z]{3}$"}}}},
         {"name"}),
     .openapi = Operation("Create a paper portfolio", "portfolios", 201, "The portfolio"),
     .handler = Create},
    {.method = "GET", .pattern = "/api/v1/portfolios/{id}", .scope = "portfolios:read",
     .openapi = Operation("One portfolio with positions and unrealized P/L", "portfolios", 200, "The portfolio"),
     .handler = Get},
    {.method = "POST", .pattern = "/api/v1/portfolios/{id}/trades", .scope = "portfolios:write",
     .request_schema = ObjectSchema(
         {{"symbol", {{"type", "string"}, {"minLength", 1}, {"maxLength", 32}}},
          {"side", {{"type", "string"}, {"enum", {"buy", "sell"}}}},
          {"quantity", {{"type", "number"}, {"exclusiveMinimum", 0}, {"maximum", 1e12}}},
          {"price", {{"type", "number"}, {"exclusiveMinimum", 0}}},
          {"fees", {{"type", "number"}, {"minimum", 0}}}},
         {"symbol", "side", "quantity"}),
     .openapi = Operation("Record a paper trade (default price: latest daily close)", "portfolios", 201,
                          "The portfolio after the trade"),
     .handler = Trade},
    {.method = "DELETE", .pattern = "/api/v1/portfolios/{id}", .scope = "portfolios:write",
     .openapi = Operation("Delete a paper portfolio", "portfolios", 204, "Deleted"), .handler = Delete},
});

}  // namespace
}  // namespace sf::api
