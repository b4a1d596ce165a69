// The "notify" service of `signalforge serve` (start slot kOrderNotify):
// turns events into outbox rows according to users' alert rules, and runs
// the delivery worker that sends them through the notifier plugins
// (webhook, email, telegram, slack, discord; "log" is built in).
//
// Writing outbox rows is the caller's job, in the event's own transaction
// (nothing is delivered that was not committed, nothing committed is lost):
//
//   auto* notify = dynamic_cast<sf::app::NotifyService*>(ctx.FindService("notify"));
//   auto outbox = notify->OutboxFor(signal, "mean_reversion");
//   if (!outbox.ok()) ...;
//   signals.InsertSignalWithOutbox(signal, *outbox);   // one transaction + NOTIFY
//
// Rules that watch the market (price_cross, volume_spike,
// indicator_threshold, news) are evaluated on the market service's live
// bars and news (notify/alert_evaluator.h) and enqueue their own rows.
//
// The worker wakes on the outbox NOTIFY (and polls), claims due rows with
// FOR UPDATE SKIP LOCKED under a lease, retries with backoff and jitter,
// dead-letters after the last scheduled attempt, and disables a rule whose
// endpoint answered 410 (see notify/delivery_worker.h).
//
// Configuration: the "notify" section (schemas/config.schema.json).
// Thread-safety: every public method is safe from any thread between Start
// and Stop (HTTP handler threads, the engine's thread).
#ifndef SF_APP_NOTIFY_SERVICE_H_
#define SF_APP_NOTIFY_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/service.h"
#include "base/status.h"
#include "store/alerts_repository.h"
#include "store/signals_repository.h"

namespace sf::notify {
class AlertEvaluator;
class AlertRouter;
class ChannelSet;
class DeliveryWorker;
}  // namespace sf::notify

namespace sf::store {
class Listener;
class Pool;
}  // namespace sf::store

namespace sf::app {

class NotifyService final : public Service {
 public:
  NotifyService();
  ~NotifyService() override;

  Status Start(Context& ctx) override;
  void Stop() override;
  // {"ready","worker":{"claimed","sent","failed","dead","in_flight"},
  //  "outbox":{status:count},"channels":[...],"error"?}
  nlohmann::json Health() const override;

  // The outbox rows for a new signal: one per active new_signal rule whose
  // filters (strategies, symbols, sectors, sides, min_confidence) match,
  // and whose owner's tier allows its channel (a rule in its quiet hours
  // gets its row too; the worker holds it until they end). Payload: the signal as subscribers see
  // it (symbol, side, entry, target, stop, confidence, summary, strategy,
  // timeframe, bar time); the store adds "signal_id".
  StatusOr<std::vector<store::OutboxItem>> OutboxFor(const store::NewSignal& signal,
                                                     const std::string& strategy_name) const;

  // Enqueues "signal.closed" / "signal.updated" deliveries for the
  // signal_update rules that match a stored signal (same filters as
  // OutboxFor). Idempotent per (signal, event, rule).
  Status EnqueueSignalUpdate(const store::StoredSignal& signal, const std::string& strategy_name,
                             const std::string& event_type) const;

  // "Send a test": delivers a sample "alert.test" event to one of the user's
  // rules right away (one attempt, recorded in the delivery log like any
  // other). SF_ERR_NOT_FOUND when the rule is not the user's; otherwise the
  // status of the attempt (e.g. SF_ERR_UNAVAILABLE "endpoint answered 503").
  Status SendTest(int64_t user_id, int64_t subscription_id);

  // Checks a rule before the API stores it: the channel exists, the tier
  // allows it, and the notifier accepts the destination (URL syntax, SSRF
  // rules, e-mail syntax...). SF_ERR_PERMISSION for a channel the tier does
  // not include, SF_ERR_INVALID_ARGUMENT / SF_ERR_PERMISSION with the
  // notifier's reason for a bad destination.
  Status CheckSubscription(const std::string& tier, const std::string& channel,
                           const std::string& destination) const;

  // Channels a tier may use (config notify.tiers), of those loaded.
  std::vector<std::string> ChannelsFor(const std::string& tier) const;

 private:
  store::Pool* pool_ = nullptr;  // the store service's
  std::unique_ptr<notify::ChannelSet> channels_;
  std::unique_ptr<notify::AlertRouter> router_;
  std::unique_ptr<notify::DeliveryWorker> worker_;
  std::unique_ptr<store::Listener> listener_;
  // Shared with the market service's callbacks, which outlive Stop.
  std::shared_ptr<notify::AlertEvaluator> evaluator_;
};

}  // namespace sf::app

#endif  // SF_APP_NOTIFY_SERVICE_H_
