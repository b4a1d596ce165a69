// The delivery worker's view of the outbox (table `deliveries`), on top of
// OutboxRepository (outbox_repository.h, which records outcomes): claims
// that also bring what a send needs from the rule (its signing secret,
// whether it is still active) and that skip destinations the worker is
// already busy with, so one slow endpoint cannot fill a worker's hands.
//
// Claims use FOR UPDATE SKIP LOCKED and a lease (owner + expiry): competing
// workers (threads or processes) never hold the same row at once, and the
// rows of a worker that died become claimable when its lease runs out.
// Finish rows with OutboxRepository::MarkSent / MarkFailed / MarkDead.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
#ifndef SF_STORE_DELIVERIES_REPOSITORY_H_
#define SF_STORE_DELIVERIES_REPOSITORY_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/outbox_repository.h"
#include "store/pool.h"

namespace sf::store {

struct ClaimedDelivery {
  Delivery delivery;
  std::optional<std::string> secret;  // the rule's signing secret
  bool subscription_active = true;   // false: the rule was disabled or deleted
  std::optional<std::string> disabled_reason;
  int64_t created_at = 0;  // µs since epoch
  // The rule's quiet hours ("HH:MM") and its owner's time zone.
  std::optional<std::string> quiet_hours_start, quiet_hours_end;
  std::string timezone = "UTC";
};

class DeliveriesRepository {
 public:
  explicit DeliveriesRepository(Pool* pool) : pool_(pool) {}

  // Up to `limit` due rows leased to `worker_id`, oldest due first,
  // excluding rows whose (channel, destination) key is in `busy`
  // (DestinationKey below).
  StatusOr<std::vector<ClaimedDelivery>> Claim(const std::string& worker_id, int limit,
                                               std::chrono::milliseconds lease,
                                               const std::vector<std::string>& busy = {});

  // Claims one row by id if it is due or pending (a "send a test" that
  // must go now); SF_ERR_CONFLICT when someone else holds it.
  StatusOr<ClaimedDelivery> ClaimOne(int64_t id, const std::string& worker_id,
                                     std::chrono::milliseconds lease);

  // Inserts one row that no Claim() takes for `hold` (so the caller can
  // ClaimOne it right away, e.g. "send a test") and returns its id.
  StatusOr<int64_t> InsertHeld(const NewDelivery& row, std::chrono::milliseconds hold);

  // Rows not finished yet (pending or failed), due or not.
  StatusOr<int64_t> CountUnfinished();

 private:
  Pool* pool_;
};

// The per-destination concurrency key: channel + "|" + the URL's scheme and
// authority (or the whole destination when it is not a URL), lower-cased.
std::string DestinationKey(const std::string& channel, const std::string& destination);

}  // namespace sf::store

#endif  // SF_STORE_DELIVERIES_REPOSITORY_H_
