#include "app/notify_service.h"

#include <chrono>

#include "app/context.h"
#include "app/market_service.h"
#include "app/store_service.h"
#include "base/logging.h"
#include "notify/alert_evaluator.h"
#include "notify/alert_router.h"
#include "notify/channel_set.h"
#include "notify/delivery_worker.h"
#include "store/deliveries_repository.h"
#include "store/listener.h"
#include "store/outbox_repository.h"

namespace sf::app {
namespace {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const ServiceRegistrar kNotifyRegistrar(
    {kOrderNotify, "notify", []() -> std::unique_ptr<Service> {
       return std::make_unique<NotifyService>();
     }});

}  // namespace

NotifyService::NotifyService() = default;
NotifyService::~NotifyService() { Stop(); }

Status NotifyService::Start(Context& ctx) {
  auto* store = dynamic_cast<StoreService*>(ctx.FindService("store"));
  if (store == nullptr) return Unavailable("notify needs the store service, which is not running");
  pool_ = &store->pool();
  auto settings = notify::ParseNotifySettings(
      ctx.config().contains("notify") ? ctx.config()["notify"] : nlohmann::json());
  if (!settings.ok()) return settings.status();
  channels_ = notify::ChannelSet::Create(
      &ctx.plugins(), settings->channels,
      [&ctx](const std::string& p) { return ctx.ResolvePath(p); });
  router_ = std::make_unique<notify::AlertRouter>(pool_, channels_.get(), *settings);
  worker_ = std::make_unique<notify::DeliveryWorker>(pool_, channels_.get(), *settings);
  auto log = base::Logger("notify");
  if (!settings->enabled) {
    log->info("delivery worker off (notify.enabled = false); outbox rows wait for another host");
    return Status::Ok();
  }
  // Market-watching rules (price_cross, volume_spike, indicator_threshold,
  // news) run on the live bars and news. The market service keeps its
  // subscribers for its whole life, so the callbacks share the evaluator,
  // which Stop closes.
  if (auto* market = dynamic_cast<MarketService*>(ctx.FindService("market"))) {
    evaluator_ = std::make_shared<notify::AlertEvaluator>(pool_, channels_.get(), *settings,
                                                          &ctx.plugins());
    auto ev = evaluator_;
    market->SubscribeBars([ev](const market::CompletedBar& bar) {
      auto n = ev->OnBar(bar);
      if (!n.ok()) base::Logger("notify")->warn("alert rules on {} bar: {}", bar.symbol,
                                                 n.status().ToString());
    });
    market->SubscribeNews([ev](const market::NewsItem& item) {
      auto n = ev->OnNews(item);
      if (!n.ok()) base::Logger("notify")->warn("news alert rules: {}", n.status().ToString());
    });
  } else {
    log->info("no market service: price, volume, indicator and news alert rules stay idle");
  }
  worker_->Start();
  notify::DeliveryWorker* worker = worker_.get();
  listener_ = std::make_unique<store::Listener>(
      store->conninfo(), std::vector<std::string>{store::kOutboxChannel},
      [worker](const store::Notification&) { worker->Wake(); });
  Status ls = listener_->Start();
  if (!ls.ok()) {
    // Polling still finds every row; only latency suffers.
    log->warn("outbox LISTEN failed ({}); the delivery worker polls", ls.ToString());
  }
  log->info("delivery worker {} started ({} threads, channels: {})", worker_->worker_id(),
            settings->threads, nlohmann::json(channels_->Names()).dump());
  return Status::Ok();
}

void NotifyService::Stop() {
  if (evaluator_) evaluator_->Close();  // waits for a call in progress
  evaluator_.reset();
  if (listener_) listener_->Stop();
  listener_.reset();
  if (worker_) worker_->Stop();
  worker_.reset();
  router_.reset();
  channels_.reset();
}

nlohmann::json NotifyService::Health() const {
  nlohmann::json h = {{"ready", worker_ != nullptr}};
  if (worker_) h["worker"] = worker_->stats().ToJson();
  if (channels_) {
    h["channels"] = channels_->Names();
    if (!channels_->unavailable().empty()) h["unavailable_channels"] = channels_->unavailable();
  }
  if (pool_ != nullptr) {
    store::OutboxRepository outbox(pool_);
    auto counts = outbox.CountByStatus();
    if (counts.ok()) h["outbox"] = *counts;
  }
  return h;
}

StatusOr<std::vector<store::OutboxItem>> NotifyService::OutboxFor(
    const store::NewSignal& signal, const std::string& strategy_name) const {
  if (!router_) return Unavailable("notify service is not running");
  return router_->ForNewSignal(signal, strategy_name, NowUs());
}

Status NotifyService::EnqueueSignalUpdate(const store::StoredSignal& signal,
                                          const std::string& strategy_name,
                                          const std::string& event_type) const {
  if (!router_) return Unavailable("notify service is not running");
  auto rows = router_->ForSignalUpdate(signal, strategy_name, event_type, NowUs());
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::Ok();
  store::OutboxRepository outbox(pool_);
  auto n = outbox.Enqueue(*rows);
  return n.ok() ? Status::Ok() : n.status();
}

Status NotifyService::SendTest(int64_t user_id, int64_t subscription_id) {
  if (!worker_) return Unavailable("notify service is not running");
  store::AlertsRepository alerts(pool_);
  auto sub = alerts.Get(user_id, subscription_id);
  if (!sub.ok()) return sub.status();
  int64_t now = NowUs();
  store::NewDelivery row;
  row.idempotency_key = "test:" + std::to_string(subscription_id) + ":" + std::to_string(now);
  row.event_type = "alert.test";
  row.subscription_id = subscription_id;
  row.channel = sub->channel;
  row.destination = sub->destination;
  row.payload = notify::AlertRouter::TestPayload(*sub, now);
  // Held back from the polling worker so this thread makes the attempt and
  // can report its outcome; a failure is retried on the normal schedule.
  store::DeliveriesRepository deliveries(pool_);
  auto id = deliveries.InsertHeld(row, std::chrono::hours(1));
  if (!id.ok()) return id.status();
  return worker_->DeliverNow(*id);
}

Status NotifyService::CheckSubscription(const std::string& tier, const std::string& channel,
                                        const std::string& destination) const {
  if (!channels_ || !router_) return Unavailable("notify service is not running");
  if (!channels_->Has(channel)) return channels_->Validate(channel, destination);
  if (!router_->settings().TierAllows(tier, channel)) {
    return PermissionDenied("channel \"" + channel + "\" is not included in the \"" + tier +
                            "\" tier (allowed: " + nlohmann::json(ChannelsFor(tier)).dump() +
                            ")");
  }
  return channels_->Validate(channel, destination);
}

std::vector<std::string> NotifyService::ChannelsFor(const std::string& tier) const {
  std::vector<std::string> out;
  if (!channels_ || !router_) return out;
  for (const auto& c : channels_->Names())
    if (router_->settings().TierAllows(tier, c)) out.push_back(c);
  return out;
}

}  // namespace sf::app
