// User alert rules (table alert_subscriptions) and what happened to their
// deliveries (deliveries, delivery_attempts), as the API and the notify
// service see them.
//
// Every user-facing method takes the owner's user_id and only ever touches
// that user's rows: asking for another user's subscription or delivery is
// SF_ERR_NOT_FOUND, exactly as for an id that does not exist, so ids leak
// nothing across accounts.
//
// Rules checked here (SF_ERR_INVALID_ARGUMENT naming the field and rule):
// kind is one of kAlertKinds; channel matches ^[a-z0-9_.-]{1,64}$;
// destination is 1..2048 bytes; a webhook secret has >= 24 bytes (one is
// generated, "whsec_" + base64 of 32 random bytes, when a webhook
// subscription is created without one); filters is an object whose keys
// are among those documented below (see "Filters of a rule"); quiet hours are both set or
// both unset, "HH:MM". Channel-specific checks (URL syntax, SSRF rules, the
// user's tier) belong to the notify service (app/notify_service.h), which
// callers run before Create/Update.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_ALERTS_REPOSITORY_H_
#define SF_STORE_ALERTS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

// The kinds of alert rule (alert_subscriptions.kind).
inline constexpr const char* kAlertKinds[] = {"new_signal",   "signal_update",
                                              "price_cross",  "volume_spike",
                                              "indicator_threshold", "news"};

// Filters of a rule (alert_subscriptions.filters, a JSON object). Every key
// is optional; an absent key does not filter.
//   new_signal / signal_update:
//     "strategies": ["mean_reversion"], "symbols": ["AAPL"],
//     "sectors": ["Technology"], "sides": ["buy"|"sell"],
//     "min_confidence": 0.7 (0..1)
//   price_cross: "symbol", "level" (price), "direction": "above"|"below"
//   volume_spike: "symbol", "multiple" (x average volume, > 1, default 3),
//     "lookback" (bars averaged, 2..500, default 20)
//   indicator_threshold: "symbol", "indicator" ("rsi"), "params": [14],
//     "op": "<"|">", "value": 30
//   the three above: "timeframe" ("1m".."1d"; default: the shortest the
//     live feed delivers for the symbol)
//   news: "symbols": [...] (default: the owner's watchlists), "min_score",
//     "sentiment": "positive"|"negative", "min_abs_sentiment" (0..1)
// How each kind fires: notify/alert_evaluator.h.
// Unknown keys are refused so a typo ("symbol" vs "symbols") is not silently
// ignored.
struct AlertSubscription {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string kind = "new_signal";
  std::string channel;      // notifier id: webhook, email, telegram, slack, discord, log
  std::string destination;  // URL, e-mail address, chat id
  std::optional<std::string> secret;  // webhook signing secret (show once, on create)
  nlohmann::json filters = nlohmann::json::object();
  bool active = true;
  std::optional<std::string> disabled_reason;  // why it was switched off (e.g. HTTP 410)
  std::optional<std::string> quiet_hours_start, quiet_hours_end;  // "HH:MM", user's time zone
  int64_t created_at = 0, updated_at = 0;  // µs since epoch
};

// What a user supplies to create a rule.
struct NewAlertSubscription {
  std::string kind = "new_signal";
  std::string channel;
  std::string destination;
  std::optional<std::string> secret;  // webhook: generated when unset
  nlohmann::json filters = nlohmann::json::object();
  std::optional<std::string> quiet_hours_start, quiet_hours_end;
};

// A partial update; unset fields stay as they are. Setting active = true
// clears disabled_reason. clear_quiet_hours removes both bounds.
struct AlertSubscriptionPatch {
  std::optional<std::string> destination{};
  std::optional<std::string> secret{};
  std::optional<nlohmann::json> filters{};
  std::optional<bool> active{};
  std::optional<std::string> quiet_hours_start{}, quiet_hours_end{};
  bool clear_quiet_hours = false;
};

// An active rule matched for an event, with what the notify service needs
// about its owner to decide (tier -> allowed channels, time zone -> quiet
// hours).
struct AlertMatch {
  AlertSubscription subscription;
  std::string tier;      // users.tier
  std::string timezone;  // users.timezone (IANA name)
};

// One delivery (outbox row) as its owner sees it.
struct DeliveryRecord {
  int64_t id = 0;
  std::string idempotency_key;  // the webhook-id
  std::string event_type;
  std::optional<std::string> signal_id;
  std::optional<int64_t> subscription_id;
  std::string channel;
  std::string destination;
  std::string status;  // pending | sent | failed | dead
  int attempts = 0;
  int64_t next_attempt_at = 0;  // µs since epoch
  std::optional<std::string> last_error;
  int64_t created_at = 0;
  std::optional<int64_t> sent_at;
};

// One recorded attempt of a delivery.
struct DeliveryAttemptRecord {
  int attempt = 0;
  std::string worker_id;
  std::string outcome;  // sent | failed | dead
  std::optional<int> http_status;
  std::optional<double> latency_ms;
  std::optional<std::string> error;
  int64_t attempted_at = 0;  // µs since epoch
};

struct DeliveryQuery {
  std::optional<int64_t> subscription_id{};
  std::optional<std::string> status{};  // pending | sent | failed | dead
  int limit = 50;                     // 1..500, newest first
  std::optional<int64_t> before_id{};   // keyset pagination: rows with id < before_id
};

class AlertsRepository {
 public:
  explicit AlertsRepository(Pool* pool) : pool_(pool) {}

  // ---- CRUD, scoped to the owner ----------------------------------------
  // SF_ERR_NOT_FOUND when user_id does not exist.
  StatusOr<AlertSubscription> Create(int64_t user_id, const NewAlertSubscription& sub);
  StatusOr<AlertSubscription> Get(int64_t user_id, int64_t subscription_id);
  // The user's rules, oldest first.
  StatusOr<std::vector<AlertSubscription>> List(int64_t user_id);
  StatusOr<AlertSubscription> Update(int64_t user_id, int64_t subscription_id,
                                     const AlertSubscriptionPatch& patch);
  Status Delete(int64_t user_id, int64_t subscription_id);

  // ---- for the notify service -------------------------------------------
  // Active rules of `kind` of active users, with owner tier and time zone.
  StatusOr<std::vector<AlertMatch>> ActiveForKind(const std::string& kind);
  // The rule by id whoever owns it, with owner tier and time zone
  // (SF_ERR_NOT_FOUND when it does not exist).
  StatusOr<AlertMatch> FindMatch(int64_t subscription_id);
  // Switches a rule off with a reason the user sees ("endpoint answered 410
  // Gone"). Idempotent.
  Status Disable(int64_t subscription_id, const std::string& reason);

  // ---- delivery log, scoped to the owner --------------------------------
  StatusOr<std::vector<DeliveryRecord>> ListDeliveries(int64_t user_id,
                                                       const DeliveryQuery& query = {});
  StatusOr<DeliveryRecord> GetDelivery(int64_t user_id, int64_t delivery_id);
  // Every attempt of one of the user's deliveries, first to last.
  StatusOr<std::vector<DeliveryAttemptRecord>> ListAttempts(int64_t user_id, int64_t delivery_id);

 private:
  Pool* pool_;
};

// Checks a filters object against the rules in "Filters of a rule" above for
// `kind`; the error names the key and the rule.
Status ValidateAlertFilters(const std::string& kind, const nlohmann::json& filters);

}  // namespace sf::store

#endif  // SF_STORE_ALERTS_REPOSITORY_H_
