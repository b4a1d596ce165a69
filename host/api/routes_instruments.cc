// Routes: instruments (tradable symbols): a screener-style list filtered by
// type, sector, exchange, market cap and a text match, paginated by symbol;
// one instrument with its newest daily bar.
#include <algorithm>
#include <cctype>

#include "api/router.h"
#include "api/routes_common.h"
#include "store/bars_repository.h"
#include "store/instruments_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json InstrumentJson(const store::Instrument& i) {
  return {{"symbol", i.symbol},         {"name", OrNull(i.name)},
          {"type", i.type},             {"exchange", OrNull(i.exchange)},
          {"currency", i.currency},     {"sector", OrNull(i.sector)},
          {"market_cap", OrNull(i.market_cap)}, {"active", i.active}};
}

ApiResponse List(ApiRequest& r) {
  int64_t limit = r.PageSize(100);
  std::string type = r.QueryEnum("type", "", {"equity", "crypto", "forex", "commodity"});
  std::string sector = Lower(r.QueryString("sector", "", 100));
  std::string exchange = Lower(r.QueryString("exchange", "", 100));
  std::string q = Lower(r.QueryString("q", "", 100));
  int64_t min_cap = r.QueryInt("min_market_cap", 0, 0, INT64_MAX);
  int64_t max_cap = r.QueryInt("max_market_cap", INT64_MAX, 0, INT64_MAX);
  bool active_only = r.QueryBool("active", true);
  std::string after;
  if (auto c = r.Query("cursor")) {
    json pos = DecodeCursor(*c);
    if (!pos.contains("s") || !pos["s"].is_string()) {
      throw BadRequest("query parameter 'cursor' is not a cursor this API returned", "cursor");
    }
    after = pos["s"].get<std::string>();
  }
  auto all = ValueOrThrow(store::InstrumentsRepository(r.pool).List(active_only));
  json items = json::array();
  std::string last;
  bool more = false;
  for (const auto& i : all) {  // ordered by symbol
    if (!after.empty() && i.symbol <= after) continue;
    if (!type.empty() && i.type != type) continue;
    if (!sector.empty() && Lower(i.sector.value_or("")) != sector) continue;
    if (!exchange.empty() && Lower(i.exchange.value_or("")) != exchange) continue;
    if (r.Query("min_market_cap") || r.Query("max_market_cap")) {
      if (!i.market_cap || *i.market_cap < min_cap || *i.market_cap > max_cap) continue;
    }
    if (!q.empty() && Lower(i.symbol).find(q) == std::string::npos &&
        Lower(i.name.value_or("")).find(q) == std::string::npos) {
      continue;
    }
    if (static_cast<int64_t>(items.size()) == limit) {
      more = true;
      break;
    }
    items.push_back(InstrumentJson(i));
    last = i.symbol;
  }
  return {.body = {{"items", std::move(items)},
                   {"next_cursor", more ? json(EncodeCursor({{"s", last}})) : json(nullptr)}}};
}

ApiResponse Detail(ApiRequest& r) {
  const std::string& symbol = r.Param("symbol");
  auto inst = ValueOrThrow(store::InstrumentsRepository(r.pool).FindBySymbol(symbol));
  json body = InstrumentJson(inst);
  body["data_provider"] = OrNull(inst.data_provider);
  store::BarsRepository bars(r.pool);
  auto latest = ValueOrThrow(bars.LatestBarEnd(symbol, market::Timeframe::k1d));
  body["last_bar"] = nullptr;
  if (latest) {
    auto s = ValueOrThrow(bars.Load(symbol, market::Timeframe::k1d, *latest, *latest));
    if (s.size() == 1) {
      body["last_bar"] = {{"timeframe", "1d"}, {"ts", IsoTime(s.ts[0])}, {"open", s.open[0]},
                          {"high", s.high[0]}, {"low", s.low[0]},     {"close", s.close[0]},
                          {"volume", s.volume[0]}};
    }
  }
  return {.body = std::move(body)};
}

const RouteRegistrar kInstrumentRoutes({
    {.method = "GET",
     .pattern = "/api/v1/instruments",
     .min_tier = Tier::kFree,
     .scope = "instruments:read",
     .openapi = Operation(
         "Screen instruments", "instruments", 200, "{items, next_cursor}, ordered by symbol",
         {{"type", {{"type", "string"}, {"enum", {"equity", "crypto", "forex", "commodity"}}}, ""},
          {"sector", {{"type", "string"}}, "exact, case-insensitive"},
          {"exchange", {{"type", "string"}}, "exact, case-insensitive"},
          {"q", {{"type", "string"}}, "substring of symbol or name"},
          {"min_market_cap", {{"type", "integer"}, {"minimum", 0}}, ""},
          {"max_market_cap", {{"type", "integer"}, {"minimum", 0}}, ""},
          {"active", {{"type", "boolean"}}, "default true"},
          {"limit", {{"type", "integer"}, {"minimum", 1}}, "default 100"},
          {"cursor", {{"type", "string"}}, ""}}),
     .handler = List},
    {.method = "GET",
     .pattern = "/api/v1/instruments/{symbol}",
     .min_tier = Tier::kFree,
     .scope = "instruments:read",
     .openapi = Operation("One instrument with its newest daily bar", "instruments", 200, "The instrument"),
     .handler = Detail},
});

}  // namespace
}  // namespace sf::api
