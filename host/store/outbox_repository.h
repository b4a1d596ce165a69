// The delivery outbox (table `deliveries`): claiming due rows for sending
// and recording the outcome.
//
// ClaimDeliveries picks due rows (status pending/failed, next_attempt_at
// passed, no live lease) with FOR UPDATE SKIP LOCKED, so competing workers
// (threads or processes) never claim the same row at once, and stamps them
// with a lease (owner + expiry) and attempts + 1. A worker that crashes
// leaves its lease to run out; the rows are then claimable again
// (at-least-once; the idempotency key stays the same across attempts).
// Mark* succeed only while the caller still owns the lease
// (SF_ERR_CONFLICT otherwise) and record the attempt in delivery_attempts.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
#ifndef SF_STORE_OUTBOX_REPOSITORY_H_
#define SF_STORE_OUTBOX_REPOSITORY_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct Delivery {
  int64_t id = 0;
  std::string idempotency_key;
  std::string event_type;
  std::optional<std::string> signal_id;
  std::optional<int64_t> subscription_id;
  std::string channel;
  std::string destination;
  nlohmann::json payload;
  std::string status;
  int attempts = 0;  // including the current claim
  std::optional<std::string> last_error;
  int64_t lease_until = 0;  // µs since epoch
};

// What one send attempt produced (recorded in delivery_attempts).
struct DeliveryAttempt {
  std::optional<int> http_status{};
  std::optional<double> latency_ms{};
  std::string error{};  // empty when sent
};

// The outcome of one attempt of a claimed row, for FinishMany.
struct DeliveryOutcome {
  int64_t id = 0;
  std::string outcome;                    // sent | failed | dead
  std::optional<int64_t> next_attempt_us;  // failed: when to retry
  DeliveryAttempt attempt;
};

// A row to enqueue outside a signal (tests, "send a test", other events).
struct NewDelivery {
  std::string idempotency_key;
  std::string event_type;
  std::optional<std::string> signal_id;
  std::optional<int64_t> subscription_id;
  std::string channel;
  std::string destination;
  nlohmann::json payload = nlohmann::json::object();
};

class OutboxRepository {
 public:
  explicit OutboxRepository(Pool* pool) : pool_(pool) {}

  // Inserts rows (idempotent on idempotency_key) and NOTIFYs kOutboxChannel.
  // Returns how many were new.
  StatusOr<int> Enqueue(const std::vector<NewDelivery>& rows);

  // Up to `limit` due rows leased to `worker_id` for `lease`.
  StatusOr<std::vector<Delivery>> ClaimDeliveries(const std::string& worker_id, int limit,
                                                  std::chrono::milliseconds lease);
  Status MarkSent(int64_t id, const std::string& worker_id, const DeliveryAttempt& attempt = {});
  // Schedules a retry at `next_attempt_us` (µs since epoch).
  Status MarkFailed(int64_t id, const std::string& worker_id, int64_t next_attempt_us,
                    const DeliveryAttempt& attempt);
  // Records many outcomes in one statement (one transaction): each row is
  // finished and its attempt recorded only while `worker_id` still holds
  // its lease. Returns the ids that were finished; the others had lost
  // their lease (reclaimed by another worker, or already finished).
  StatusOr<std::vector<int64_t>> FinishMany(const std::string& worker_id,
                                            const std::vector<DeliveryOutcome>& outcomes);
  // Puts a claimed row back untried until `until_us` (µs since epoch), e.g.
  // the end of its rule's quiet hours: the claim does not count as an
  // attempt, nothing goes to delivery_attempts, last_error says why.
  Status Hold(int64_t id, const std::string& worker_id, int64_t until_us,
              const std::string& why);
  // Gives up: the row stays visible with status 'dead'.
  Status MarkDead(int64_t id, const std::string& worker_id, const DeliveryAttempt& attempt);

  // Rows per status, e.g. {"pending": 3, "sent": 10}.
  StatusOr<std::map<std::string, int64_t>> CountByStatus();
  // When the next row becomes due (µs), to size a worker's sleep.
  StatusOr<std::optional<int64_t>> NextDueAt();

 private:
  Status Finish(int64_t id, const std::string& worker_id, const char* outcome,
                std::optional<int64_t> next_attempt_us, const DeliveryAttempt& attempt);
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_OUTBOX_REPOSITORY_H_
