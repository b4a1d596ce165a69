// Routes: market data of one symbol (bars by timeframe and range from the
// store) with requested indicators computed by the indicator plugins
// (plugins/plugin_call.h IndicatorCall). Indicators are asked for as
// "name(p1,p2)" items separated by commas, e.g. "sma(20),bbands(20,2),rsi(14)";
// warm-up bars before `from` are loaded so values at `from` are complete.
#include <algorithm>
#include <cmath>
#include <regex>

#include "api/router.h"
#include "api/routes_common.h"
#include "app/context.h"
#include "plugins/plugin_call.h"
#include "store/bars_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

constexpr int kMaxIndicators = 8;
constexpr int64_t kMaxBars = 5000;

struct IndicatorRequest {
  std::string label;  // as asked: "bbands(20,2)"
  std::string id;
  std::vector<double> params;
};

std::vector<IndicatorRequest> ParseIndicators(const std::string& text) {
  static const std::regex kItem(R"(\s*([a-z][a-z0-9_]{0,31})(?:\(([^()]*)\))?\s*(,|$))");
  std::vector<IndicatorRequest> out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), kItem);
  size_t consumed = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    if (static_cast<size_t>(m.position()) != consumed) break;
    consumed += m.length();
    IndicatorRequest req;
    req.id = m[1];
    std::string params = m[2];
    req.label = req.id + "(" + params + ")";
    std::string cleaned;
    for (char c : params) {
      if (c != ' ') cleaned += c;
    }
    req.label = req.id + "(" + cleaned + ")";
    size_t pos = 0;
    while (pos < cleaned.size()) {
      size_t end = cleaned.find(',', pos);
      std::string tok = cleaned.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      char* stop = nullptr;
      double v = std::strtod(tok.c_str(), &stop);
      if (tok.empty() || *stop != '\0' || !std::isfinite(v)) {
        throw BadRequest("query parameter 'indicators': parameter '" + tok + "' of " + req.id +
                             " is not a number",
                         "indicators");
      }
      req.params.push_back(v);
      if (end == std::string::npos) break;
      pos = end + 1;
    }
    out.push_back(std::move(req));
    if (m[3] == "" || consumed >= text.size()) break;
  }
  if (consumed != text.size()) {
    throw BadRequest("query parameter 'indicators' must be a comma-separated list like "
                     "\"sma(20),rsi(14)\"; could not read it from position " +
                         std::to_string(consumed),
                     "indicators");
  }
  if (out.size() > kMaxIndicators) {
    throw BadRequest("query parameter 'indicators' lists " + std::to_string(out.size()) +
                         " indicators; at most " + std::to_string(kMaxIndicators) + " per request",
                     "indicators");
  }
  return out;
}

json Values(const std::vector<double>& v, size_t from) {
  json a = json::array();
  for (size_t i = from; i < v.size(); ++i) a.push_back(std::isfinite(v[i]) ? json(v[i]) : json(nullptr));
  return a;
}

ApiResponse Bars(ApiRequest& r) {
  const std::string& symbol = r.Param("symbol");
  std::string tf_name = r.QueryEnum("timeframe", "1d", {"1m", "5m", "15m", "1h", "4h", "1d"});
  market::Timeframe tf = *store::TimeframeFromSqlName(tf_name);
  const int64_t bar_us = market::TimeframeMicros(tf);
  int64_t to = QueryTime(r, "to").value_or(NowMicros());
  int64_t limit = r.QueryInt("limit", 500, 1, kMaxBars);
  int64_t from = QueryTime(r, "from").value_or(to - limit * bar_us * (tf == market::Timeframe::k1d ? 7 : 5) / 5);
  if (from > to) throw BadRequest("query parameter 'from' must not be after 'to'", "from");

  std::vector<IndicatorRequest> wanted;
  if (auto text = r.Query("indicators"); text && !text->empty()) wanted = ParseIndicators(*text);
  std::vector<std::pair<const plugins::Indicator*, int64_t>> calls;  // indicator, lookback
  int64_t warmup = 0;
  for (const auto& w : wanted) {
    const plugins::Indicator* ind = r.ctx ? r.ctx->plugins().FindIndicator(w.id) : nullptr;
    if (ind == nullptr) {
      throw BadRequest("query parameter 'indicators': no indicator plugin provides '" + w.id + "'",
                       "indicators");
    }
    auto lb = plugins::IndicatorCall(*ind, w.params).Lookback();
    if (!lb.ok()) {
      throw BadRequest("query parameter 'indicators': " + w.label + ": " + lb.status().message(),
                       "indicators");
    }
    calls.emplace_back(ind, *lb);
    warmup = std::max(warmup, *lb);
  }
  // Calendar time for `warmup` bars with weekends and nights in between.
  int64_t load_from = from - warmup * bar_us * (tf == market::Timeframe::k1d ? 2 : 4) - bar_us;
  auto series = ValueOrThrow(store::BarsRepository(r.pool).Load(symbol, tf, load_from, to), "symbol");
  size_t first = 0;
  while (first < series.size() && series.ts[first] < from) ++first;
  size_t count = series.size() - first;
  if (static_cast<int64_t>(count) > limit) {
    first = series.size() - static_cast<size_t>(limit);  // the newest `limit` bars
    count = static_cast<size_t>(limit);
  }
  json bars = json::array();
  for (size_t i = first; i < series.size(); ++i) {
    bars.push_back({{"ts", IsoTime(series.ts[i])},
                    {"open", series.open[i]},
                    {"high", series.high[i]},
                    {"low", series.low[i]},
                    {"close", series.close[i]},
                    {"volume", series.volume[i]}});
  }
  json indicators = json::object();
  sf_bar_series view = series.View();
  for (size_t k = 0; k < wanted.size(); ++k) {
    auto out = plugins::IndicatorCall(*calls[k].first, wanted[k].params).Compute(view);
    if (!out.ok()) OkOrThrow(out.status(), "indicators");
    json names = calls[k].first->metadata.value("outputs", json::array());
    json values = json::object();
    for (size_t o = 0; o < out->size(); ++o) {
      std::string name = o < names.size() && names[o].is_object()
                             ? names[o].value("name", "out" + std::to_string(o))
                             : "out" + std::to_string(o);
      values[name] = Values((*out)[o], first);
    }
    indicators[wanted[k].label] = {{"lookback", calls[k].second}, {"values", std::move(values)}};
  }
  return {.body = {{"symbol", symbol},
                   {"timeframe", tf_name},
                   {"from", IsoTime(from)},
                   {"to", IsoTime(to)},
                   {"count", count},
                   {"bars", std::move(bars)},
                   {"indicators", std::move(indicators)}}};
}

const RouteRegistrar kMarketRoutes({
    {.method = "GET",
     .pattern = "/api/v1/market/{symbol}/bars",
     .min_tier = Tier::kFree,
     .scope = "market:read",
     .openapi = Operation(
         "Bars of a symbol with indicators", "market", 200,
         "{symbol, timeframe, bars: [{ts (bar end), open, high, low, close, volume}], "
         "indicators: {\"rsi(14)\": {lookback, values: {output: [...]}}}} (values aligned to bars, "
         "null in warm-up)",
         {{"timeframe", {{"type", "string"}, {"enum", {"1m", "5m", "15m", "1h", "4h", "1d"}}}, "default 1d"},
          {"from", {{"type", "string"}, {"format", "date-time"}}, "bar end at or after"},
          {"to", {{"type", "string"}, {"format", "date-time"}}, "bar end at or before (default now)"},
          {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxBars}}, "newest bars kept (default 500)"},
          {"indicators", {{"type", "string"}}, "e.g. sma(20),bbands(20,2),rsi(14)"}}),
     .handler = Bars},
});

}  // namespace
}  // namespace sf::api
