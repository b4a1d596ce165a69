// Alert rules -> outbox rows: decides which users' rules an event reaches
// and on which channel, and builds the payload subscribers receive.
//
// A rule matches a signal when every filter it sets matches (strategies,
// symbols, sectors, sides, min_confidence; see store/alerts_repository.h),
// its owner's tier allows its channel (notify.tiers) and the channel is
// loaded. Quiet hours (in the owner's time zone; a window may wrap
// midnight, e.g. 22:00-07:00) do not drop an alert: the delivery worker
// holds a row that falls due inside them until they end and then sends it
// as it is, one by one (QuietHoursEnd below; notify/delivery_worker.h).
//
// Thread-safety: immutable after construction; every method is safe from
// any thread. Borrows the pool and the channel set.
#ifndef SF_NOTIFY_ALERT_ROUTER_H_
#define SF_NOTIFY_ALERT_ROUTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "notify/channel_set.h"
#include "notify/notify_settings.h"
#include "store/alerts_repository.h"
#include "store/outbox_repository.h"
#include "store/pool.h"
#include "store/signals_repository.h"

namespace sf::notify {

// What the filters look at.
struct SignalFacts {
  std::string strategy;
  std::string symbol;
  std::optional<std::string> sector;
  std::string side;
  double confidence = 0;
};

class AlertRouter {
 public:
  AlertRouter(store::Pool* pool, const ChannelSet* channels, NotifySettings settings)
      : pool_(pool), channels_(channels), settings_(std::move(settings)) {}

  // Outbox rows for a new signal (event "signal.created") at `now_us`.
  StatusOr<std::vector<store::OutboxItem>> ForNewSignal(const store::NewSignal& signal,
                                                        const std::string& strategy,
                                                        int64_t now_us) const;

  // Rows for a change of a stored signal ("signal.closed",
  // "signal.updated"), to enqueue with OutboxRepository::Enqueue. Keys are
  // "<signal>:<event>:<rule>", so a repeated call adds nothing.
  StatusOr<std::vector<store::NewDelivery>> ForSignalUpdate(const store::StoredSignal& signal,
                                                            const std::string& strategy,
                                                            const std::string& event_type,
                                                            int64_t now_us) const;

  // The sample payload "send a test" delivers.
  static nlohmann::json TestPayload(const store::AlertSubscription& sub, int64_t now_us);

  // The payload of a new signal as subscribers see it.
  static nlohmann::json SignalPayload(const store::NewSignal& signal, const std::string& strategy,
                                      int64_t now_us);

  static bool FiltersMatch(const nlohmann::json& filters, const SignalFacts& facts);
  // Whether local wall time of `now_us` in `timezone` is inside [start, end)
  // ("HH:MM"; end < start wraps midnight). An unknown zone counts as UTC.
  static bool InQuietHours(const std::optional<std::string>& start,
                           const std::optional<std::string>& end, const std::string& timezone,
                           int64_t now_us);
  // When the quiet hours that `now_us` falls in end (µs since epoch, the
  // first instant of local time `end` after `now_us`, across DST changes),
  // or nullopt when `now_us` is not inside them.
  static std::optional<int64_t> QuietHoursEnd(const std::optional<std::string>& start,
                                              const std::optional<std::string>& end,
                                              const std::string& timezone, int64_t now_us);

  const NotifySettings& settings() const { return settings_; }

 private:
  // The matching rules of `kind` for `facts`.
  StatusOr<std::vector<store::AlertMatch>> Matching(const std::string& kind,
                                                    SignalFacts facts) const;
  store::Pool* pool_;
  const ChannelSet* channels_;
  NotifySettings settings_;
};

// ISO-8601 UTC with microseconds of µs since the epoch.
std::string IsoUtc(int64_t micros);

}  // namespace sf::notify

#endif  // SF_NOTIFY_ALERT_ROUTER_H_
