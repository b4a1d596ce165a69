// Routes: signals (list with filters and cursor pagination, detail with
// features, news and performance history) and a user's feedback on a signal.
//
// Tier rule (routes_common.h SignalVisibleTo): free callers get closed
// signals older than 24 h only; the list applies it inside the query, the
// detail and feedback routes answer 404 for a signal the caller may not see
// (so a free key cannot even learn that an active signal exists).
#include "api/platform.h"
#include "api/router.h"
#include "api/routes_common.h"
#include "store/feedback_repository.h"
#include "store/signal_queries_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

const std::vector<std::string> kStatusFilter = {"active",      "closed",      "target_reached",
                                                "stopped_out", "expired",     "manually_closed"};

ApiResponse ListSignals(ApiRequest& r) {
  const Principal& who = r.User();
  const int64_t now = NowMicros();
  store::SignalFilter f;
  f.limit = static_cast<int>(r.PageSize());
  std::string status = r.QueryEnum("status", "", kStatusFilter);
  if (status == "closed") {
    f.closed_only = true;
  } else if (!status.empty()) {
    f.status = status;
  }
  if (r.Query("symbol")) f.symbol = r.QueryString("symbol", "", 32);
  if (r.Query("strategy")) f.strategy = r.QueryString("strategy", "", 100);
  if (r.Query("min_confidence")) f.min_confidence = r.QueryDouble("min_confidence", 0, 0, 1);
  std::string side = r.QueryEnum("side", "", {"buy", "sell"});
  if (!side.empty()) f.side = side;
  f.from = QueryTime(r, "from");
  f.to = QueryTime(r, "to");
  if (f.from && f.to && *f.from > *f.to) {
    throw BadRequest("query parameter 'from' must not be after 'to'", "from");
  }
  if (!TierAtLeast(who.tier, Tier::kPremium)) {
    if (status == "active") {
      throw Forbidden("active signals are for the premium tier and above; the free tier sees "
                      "closed signals older than 24 hours");
    }
    f.closed_only = true;
    f.created_before = now - kFreeDelayMicros;
  }
  if (auto c = r.Query("cursor")) {
    json pos = DecodeCursor(*c);
    if (!pos.contains("t") || !pos["t"].is_number_integer() || !pos.contains("id") ||
        !pos["id"].is_string() || !store::IsUuidText(pos["id"].get<std::string>())) {
      throw BadRequest("query parameter 'cursor' is not a cursor this API returned", "cursor");
    }
    f.after = store::SignalCursor{pos["t"].get<int64_t>(), pos["id"].get<std::string>()};
  }
  // The answer depends on the filter and the visibility class only (no
  // per-user data), so one rendered body serves every caller of that class.
  const bool sees_all = TierAtLeast(who.tier, Tier::kPremium);
  const json key = {sees_all,       OrNull(f.status),  OrNull(f.symbol),
                    OrNull(f.strategy), OrNull(f.min_confidence), OrNull(f.side),
                    OrNull(f.from), OrNull(f.to),      f.closed_only,
                    f.limit,        f.after ? json::array({f.after->created_at, f.after->id})
                                            : json(nullptr)};
  auto text = r.platform->signal_cache().GetOrBuild(key.dump(), [&] {
    auto page = ValueOrThrow(store::SignalQueriesRepository(r.pool).List(f));
    json items = json::array();
    for (const auto& s : page.rows) items.push_back(SignalJson(s));
    json body = {{"items", std::move(items)},
                 {"next_cursor", page.next ? json(EncodeCursor({{"t", page.next->created_at},
                                                                {"id", page.next->id}}))
                                           : json(nullptr)}};
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
  });
  return {.text = *text};
}

// The signal when `who` may see it; 404 otherwise (existence not revealed).
store::SignalRow VisibleSignal(ApiRequest& r, const std::string& id) {
  auto row = ValueOrThrow(store::SignalQueriesRepository(r.pool).Find(id));
  if (!SignalVisibleTo(r.User(), row.status, row.created_at, NowMicros())) {
    throw NotFoundError("signal " + id + " not found");
  }
  return row;
}

ApiResponse SignalDetail(ApiRequest& r) {
  const std::string& id = r.Param("id");
  VisibleSignal(r, id);
  auto d = ValueOrThrow(store::SignalQueriesRepository(r.pool).Detail(id));
  json body = SignalJson(d.signal);
  body["features"] = d.features;
  body["model_attribution"] = d.model_attribution;
  body["max_favorable_excursion_pct"] = OrNull(d.max_favorable_excursion_pct);
  body["max_adverse_excursion_pct"] = OrNull(d.max_adverse_excursion_pct);
  json news = d.triggering_news;
  if (news.is_object()) {
    news["published_at"] = IsoTime(news["published_at_us"].get<int64_t>());
    news.erase("published_at_us");
  }
  body["triggering_news"] = news;
  body["news_analysis"] = d.news_analysis;
  json perf = json::array();
  for (const auto& p : d.performance) {
    perf.push_back({{"bar_ts", IsoTime(p.bar_ts)},
                    {"price", p.price},
                    {"unrealized_pnl_pct", p.unrealized_pnl_pct},
                    {"days_held", p.days_held}});
  }
  body["performance"] = std::move(perf);
  body["feedback"] = d.feedback;
  return {.body = std::move(body)};
}

json FeedbackJson(const store::SignalFeedback& f) {
  return {{"signal_id", f.signal_id},
          {"action", OrNull(f.action)},
          {"rating", OrNull(f.rating)},
          {"comment", OrNull(f.comment)},
          {"created_at", IsoTime(f.created_at)}};
}

ApiResponse PutFeedback(ApiRequest& r) {
  const std::string& id = r.Param("id");
  VisibleSignal(r, id);
  const json& b = r.Json();
  store::SignalFeedback f;
  f.signal_id = id;
  if (b.contains("action")) f.action = b["action"].get<std::string>();
  if (b.contains("rating")) f.rating = b["rating"].get<int>();
  if (b.contains("comment")) f.comment = b["comment"].get<std::string>();
  auto saved = ValueOrThrow(store::FeedbackRepository(r.pool).Upsert(r.User().user_id, f));
  return {.body = FeedbackJson(saved)};
}

ApiResponse GetFeedback(ApiRequest& r) {
  const std::string& id = r.Param("id");
  VisibleSignal(r, id);
  return {.body = FeedbackJson(
              ValueOrThrow(store::FeedbackRepository(r.pool).Get(r.User().user_id, id)))};
}

const json kFeedbackSchema = [] {
  json s = ObjectSchema({{"action", {{"type", "string"},
                                     {"enum", {"ignored", "bookmarked", "executed", "shared"}}}},
                         {"rating", {{"type", "integer"}, {"minimum", 1}, {"maximum", 5}}},
                         {"comment", {{"type", "string"}, {"maxLength", 2000}}}});
  s["minProperties"] = 1;
  return s;
}();

const RouteRegistrar kSignalRoutes({
    {.method = "GET",
     .pattern = "/api/v1/signals",
     .min_tier = Tier::kFree,
     .scope = "signals:read",
     .openapi = Operation(
         "List signals, newest first", "signals", 200,
         "A page of signals: {items, next_cursor}. Free tier: closed signals older than 24 h only.",
         {{"status", {{"type", "string"}, {"enum", kStatusFilter}}, "closed = any closed status"},
          {"symbol", {{"type", "string"}}, "instrument symbol"},
          {"strategy", {{"type", "string"}}, "strategy name"},
          {"min_confidence", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}, ""},
          {"side", {{"type", "string"}, {"enum", {"buy", "sell"}}}, ""},
          {"from", {{"type", "string"}, {"format", "date-time"}}, "created at or after"},
          {"to", {{"type", "string"}, {"format", "date-time"}}, "created at or before"},
          {"limit", {{"type", "integer"}, {"minimum", 1}}, "page size (max api.max_page_size)"},
          {"cursor", {{"type", "string"}}, "next_cursor of the previous page"}}),
     .handler = ListSignals},
    {.method = "GET",
     .pattern = "/api/v1/signals/{id}",
     .min_tier = Tier::kFree,
     .scope = "signals:read",
     .openapi = Operation("One signal with features, news analysis and performance history",
                          "signals", 200, "The signal"),
     .handler = SignalDetail},
    {.method = "PUT",
     .pattern = "/api/v1/signals/{id}/feedback",
     .min_tier = Tier::kFree,
     .scope = "feedback:write",
     .request_schema = kFeedbackSchema,
     .openapi = Operation("Set your feedback on a signal (action, rating 1-5, comment)", "signals",
                          200, "The stored feedback"),
     .handler = PutFeedback},
    {.method = "GET",
     .pattern = "/api/v1/signals/{id}/feedback",
     .min_tier = Tier::kFree,
     .scope = "signals:read",
     .openapi = Operation("Your feedback on a signal", "signals", 200, "The stored feedback"),
     .handler = GetFeedback},
});

}  // namespace
}  // namespace sf::api
