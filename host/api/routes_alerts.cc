// Routes: the caller's alert subscriptions (CRUD), "send a test" and the
// delivery log of a subscription. Storage and rules are
// store/alerts_repository.h; a test is an "alert.test" outbox row that the
// delivery worker sends like any other delivery (with its SSRF guard,
// signing and retries), so the answer is 202 and the outcome shows in the
// subscription's deliveries. Every id is scoped to the caller (404
// otherwise). Tiers: alerts are premium and above; webhooks need pro.
#include <algorithm>
#include <cstdio>
#include <random>

#include "api/router.h"
#include "api/routes_common.h"
#include "store/alerts_repository.h"
#include "store/outbox_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

json AlertJson(const store::AlertSubscription& a, bool show_secret) {
  json j = {{"id", a.id},
            {"kind", a.kind},
            {"channel", a.channel},
            {"destination", a.destination},
            {"filters", a.filters},
            {"active", a.active},
            {"disabled_reason", OrNull(a.disabled_reason)},
            {"quiet_hours_start", OrNull(a.quiet_hours_start)},
            {"quiet_hours_end", OrNull(a.quiet_hours_end)},
            {"created_at", IsoTime(a.created_at)},
            {"updated_at", IsoTime(a.updated_at)}};
  // A webhook secret is shown once, when the subscription is created.
  if (show_secret && a.secret) j["secret"] = *a.secret;
  return j;
}

void CheckChannelTier(const Principal& who, const std::string& channel) {
  if (channel == "webhook" && !TierAtLeast(who.tier, Tier::kPro)) {
    throw Forbidden("webhook alerts are for the pro tier; your tier is " +
                    std::string(TierName(who.tier)));
  }
}

ApiResponse List(ApiRequest& r) {
  json items = json::array();
  for (const auto& a : ValueOrThrow(store::AlertsRepository(r.pool).List(r.User().user_id))) {
    items.push_back(AlertJson(a, false));
  }
  return {.body = {{"items", std::move(items)}}};
}

ApiResponse Get(ApiRequest& r) {
  return {.body = AlertJson(
              ValueOrThrow(store::AlertsRepository(r.pool).Get(r.User().user_id, r.PathInt("id"))), false)};
}

ApiResponse Create(ApiRequest& r) {
  const json& b = r.Json();
  store::NewAlertSubscription n;
  n.kind = b.value("kind", std::string("new_signal"));
  n.channel = b["channel"].get<std::string>();
  n.destination = b["destination"].get<std::string>();
  CheckChannelTier(r.User(), n.channel);
  if (b.contains("secret")) n.secret = b["secret"].get<std::string>();
  if (b.contains("filters")) n.filters = b["filters"];
  if (b.contains("quiet_hours_start")) n.quiet_hours_start = b["quiet_hours_start"].get<std::string>();
  if (b.contains("quiet_hours_end")) n.quiet_hours_end = b["quiet_hours_end"].get<std::string>();
  auto a = ValueOrThrow(store::AlertsRepository(r.pool).Create(r.User().user_id, n), "filters");
  return ApiResponse::Created(AlertJson(a, true));
}

ApiResponse Update(ApiRequest& r) {
  const json& b = r.Json();
  store::AlertSubscriptionPatch p;
  if (b.contains("destination")) p.destination = b["destination"].get<std::string>();
  if (b.contains("secret")) p.secret = b["secret"].get<std::string>();
  if (b.contains("filters")) p.filters = b["filters"];
  if (b.contains("active")) p.active = b["active"].get<bool>();
  if (b.contains("quiet_hours_start")) {
    if (b["quiet_hours_start"].is_null()) {
      p.clear_quiet_hours = true;
    } else {
      p.quiet_hours_start = b["quiet_hours_start"].get<std::string>();
    }
  }
  if (b.contains("quiet_hours_end") && !b["quiet_hours_end"].is_null()) {
    p.quiet_hours_end = b["quiet_hours_end"].get<std::string>();
  }
  auto a = ValueOrThrow(store::AlertsRepository(r.pool).Update(r.User().user_id, r.PathInt("id"), p),
                        "filters");
  return {.body = AlertJson(a, false)};
}

ApiResponse Delete(ApiRequest& r) {
  OkOrThrow(store::AlertsRepository(r.pool).Delete(r.User().user_id, r.PathInt("id")));
  return ApiResponse::NoContent();
}

ApiResponse SendTest(ApiRequest& r) {
  const Principal& who = r.User();
  auto a = ValueOrThrow(store::AlertsRepository(r.pool).Get(who.user_id, r.PathInt("id")));
  CheckChannelTier(who, a.channel);
  std::random_device rd;
  char key[40];
  std::snprintf(key, sizeof key, "test-%lld-%08x%08x", static_cast<long long>(a.id), rd(), rd());
  store::NewDelivery d;
  d.idempotency_key = key;
  d.event_type = "alert.test";
  d.subscription_id = a.id;
  d.channel = a.channel;
  d.destination = a.destination;
  d.payload = {{"type", "alert.test"},
               {"subscription_id", a.id},
               {"message", "Test alert from Signalforge: this subscription works."},
               {"sent_at", IsoTime(NowMicros())}};
  OkOrThrow(store::OutboxRepository(r.pool).Enqueue({d}).status());
  return {.status = 202,
          .body = {{"delivery", key},
                   {"status", "queued"},
                   {"deliveries_url", "/api/v1/alerts/" + std::to_string(a.id) + "/deliveries"}}};
}

ApiResponse Deliveries(ApiRequest& r) {
  const Principal& who = r.User();
  const int64_t id = r.PathInt("id");
  (void)ValueOrThrow(store::AlertsRepository(r.pool).Get(who.user_id, id));  // 404 when not yours
  store::DeliveryQuery q;
  q.subscription_id = id;
  q.limit = static_cast<int>(std::min<int64_t>(r.PageSize(), 500));
  json items = json::array();
  for (const auto& d : ValueOrThrow(store::AlertsRepository(r.pool).ListDeliveries(who.user_id, q))) {
    items.push_back({{"id", d.id},
                     {"delivery", d.idempotency_key},
                     {"event_type", d.event_type},
                     {"signal_id", OrNull(d.signal_id)},
                     {"status", d.status},
                     {"attempts", d.attempts},
                     {"last_error", OrNull(d.last_error)},
                     {"created_at", IsoTime(d.created_at)},
                     {"sent_at", TimeOrNull(d.sent_at)}});
  }
  return {.body = {{"items", std::move(items)}}};
}

const json kQuiet = {{"type", {"string", "null"}}, {"pattern", "^([01][0-9]|2[0-3]):[0-5][0-9]$"}};

// What `filters` holds per kind (checked by store::ValidateAlertFilters,
// which names the key and the rule when one is wrong).
const json kFilters = {
    {"type", "object"},
    {"description",
     "Per kind. new_signal / signal_update: strategies, symbols, sectors (string lists), sides "
     "([\"buy\",\"sell\"]), min_confidence (0..1). price_cross: symbol (required), level "
     "(required), direction \"above\"|\"below\" (required), timeframe. volume_spike: symbol "
     "(required), multiple (default 3), lookback (bars, 2..500, default 20), timeframe. "
     "indicator_threshold: symbol, indicator (an indicator id such as \"rsi\"), op \"<\"|\">\", "
     "value (all required), params (numbers in the indicator's order), timeframe; fires when output 0 "
     "crosses value. news: symbols (default: your watchlists), min_score, sentiment "
     "\"positive\"|\"negative\", min_abs_sentiment (0..1). timeframe is one of 1m, 5m, 15m, 1h, "
     "4h, 1d (default: the shortest the feed delivers)."}};

const RouteRegistrar kAlertRoutes({
    {.method = "GET", .pattern = "/api/v1/alerts", .min_tier = Tier::kPremium, .scope = "alerts:read",
     .openapi = Operation("Your alert subscriptions", "alerts", 200, "{items}"), .handler = List},
    {.method = "POST", .pattern = "/api/v1/alerts", .min_tier = Tier::kPremium, .scope = "alerts:write",
     .request_schema = ObjectSchema(
         {{"kind", {{"type", "string"},
                    {"enum", {"new_signal", "signal_update", "price_cross", "volume_spike",
                              "indicator_threshold", "news"}}}},
          {"channel", {{"type", "string"}, {"pattern", "^[a-z0-9_.-]{1,64}$"}}},
          {"destination", {{"type", "string"}, {"minLength", 1}, {"maxLength", 2048}}},
          {"secret", {{"type", "string"}, {"minLength", 24}, {"maxLength", 256}}},
          {"filters", kFilters},
          {"quiet_hours_start", kQuiet},
          {"quiet_hours_end", kQuiet}},
         {"channel", "destination"}),
     .openapi = Operation("Create an alert subscription (a webhook's secret is shown once)", "alerts", 201,
                          "The subscription"),
     .handler = Create},
    {.method = "GET", .pattern = "/api/v1/alerts/{id}", .min_tier = Tier::kPremium, .scope = "alerts:read",
     .openapi = Operation("One alert subscription", "alerts", 200, "The subscription"), .handler = Get},
    {.method = "PATCH", .pattern = "/api/v1/alerts/{id}", .min_tier = Tier::kPremium, .scope = "alerts:write",
     .request_schema = [] {
       json s = ObjectSchema({{"destination", {{"type", "string"}, {"minLength", 1}, {"maxLength", 2048}}},
                              {"secret", {{"type", "string"}, {"minLength", 24}, {"maxLength", 256}}},
                              {"filters", kFilters},
                              {"active", {{"type", "boolean"}}},
                              {"quiet_hours_start", kQuiet},
                              {"quiet_hours_end", kQuiet}});
       s["minProperties"] = 1;
       return s;
     }(),
     .openapi = Operation("Change an alert subscription", "alerts", 200, "The subscription"),
     .handler = Update},
    {.method = "DELETE", .pattern = "/api/v1/alerts/{id}", .min_tier = Tier::kPremium, .scope = "alerts:write",
     .openapi = Operation("Delete an alert subscription", "alerts", 204, "Deleted"), .handler = Delete},
    {.method = "POST", .pattern = "/api/v1/alerts/{id}/test", .min_tier = Tier::kPremium,
     .scope = "alerts:write", .request_schema = ObjectSchema(json::object()),
     .openapi = Operation("Send a test alert through this subscription", "alerts", 202,
                          "Queued; the outcome appears in the subscription's deliveries"),
     .handler = SendTest},
    {.method = "GET", .pattern = "/api/v1/alerts/{id}/deliveries", .min_tier = Tier::kPremium,
     .scope = "alerts:read",
     .openapi = Operation("Delivery log of a subscription, newest first", "alerts", 200, "{items}"),
     .handler = Deliveries},
});

}  // namespace
}  // namespace sf::api
