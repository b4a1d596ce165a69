// The delivery worker: drains the outbox (table `deliveries`) through the
// notifier channels, at least once per row, and records every attempt.
//
// One dispatcher thread claims due rows (FOR UPDATE SKIP LOCKED + a lease,
// store/deliveries_repository.h) whenever it is woken (Wake(), normally on
// the outbox NOTIFY), when the next row falls due, or every poll interval;
// `threads` sender threads make the attempts, and one recorder thread
// writes their outcomes in batches (every outcome waiting when it is free,
// in one statement: store::OutboxRepository::FinishMany), so a fan-out does
// not pay a transaction per delivery. An outcome not yet recorded when the
// process dies leaves its row leased: it is sent again after the lease,
// with the same id (at-least-once). At most max_per_destination
// sends run against one destination (channel + URL authority) at a time,
// and the dispatcher does not claim rows for a destination that already has
// twice its cap waiting, so one slow endpoint cannot hold up the others.
//
// After an attempt:
//   sent                           -> status sent
//   "gone" (410, bot blocked)      -> the rule is disabled with the reason,
//                                     the row is dead
//   permanent error (bad address,
//   refused by the SSRF guard...)  -> dead
//   anything else                  -> failed, next attempt after the next
//                                     wait of the retry schedule (+-jitter),
//                                     or the remote's Retry-After when
//                                     longer; dead after the last one
//   rule disabled or deleted       -> dead without an attempt
// Before an attempt: a row whose rule is inside its quiet hours (owner's
// time zone) is held untried until they end (next_attempt_at = the end,
// the claim not counted); then it is sent like any other, one by one.
// "Send a test" (alert.test) ignores quiet hours: the user asked for it.
// A worker killed mid-send leaves its lease to expire; another worker then
// claims the row again with the same idempotency key, so a duplicate
// carries the same webhook-id.
//
// Ownership: borrows the pool and the channel set (both must outlive it).
// Thread-safety: Start/Stop by the owner; Wake, DeliverNow and stats from
// any thread.
#ifndef SF_NOTIFY_DELIVERY_WORKER_H_
#define SF_NOTIFY_DELIVERY_WORKER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "notify/channel_set.h"
#include "notify/notify_settings.h"
#include "store/deliveries_repository.h"
#include "store/pool.h"

namespace sf::notify {

struct WorkerStats {
  int64_t claimed = 0, sent = 0, failed = 0, dead = 0, disabled = 0, lost_leases = 0, held = 0;
  int64_t in_flight = 0;
  // Where the time went (summed over threads, ms): claiming, sending,
  // recording outcomes; and how many record batches.
  int64_t claim_ms = 0, send_ms = 0, record_ms = 0, record_batches = 0;
  nlohmann::json ToJson() const;
};

class DeliveryWorker {
 public:
  // `worker_id` names the lease owner ("host:pid:n" when empty).
  DeliveryWorker(store::Pool* pool, const ChannelSet* channels, NotifySettings settings,
                 std::string worker_id = "");
  ~DeliveryWorker();  // stops
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void Start();
  // Finishes the sends in progress; claimed rows not yet started are left
  // to their leases (another worker takes them over when they expire).
  void Stop();
  // Something new may be due: claim now.
  void Wake();

  // Claims row `delivery_id` and makes one attempt on the calling thread
  // (for "send a test"); the outcome is recorded like any other. Returns
  // the attempt's status.
  Status DeliverNow(int64_t delivery_id);

  // The wall clock quiet hours are judged by (µs since epoch); tests set a
  // controlled one. Call before Start / DeliverNow.
  void SetClock(std::function<int64_t()> now_us) { clock_ = std::move(now_us); }

  WorkerStats stats() const;
  const std::string& worker_id() const { return worker_id_; }

 private:
  struct Job {
    store::ClaimedDelivery claimed;
    std::string key;  // destination key
  };
  void DispatchLoop();
  void SendLoop();
  void RecordLoop();
  // One attempt and its bookkeeping; returns the attempt's status. The
  // outcome is recorded before returning when `record_now`, else queued
  // for the recorder thread.
  Status Process(const store::ClaimedDelivery& c, bool record_now);
  // Records outcomes (one statement) and counts them.
  void Record(std::vector<store::DeliveryOutcome> outcomes);
  std::chrono::milliseconds NextWait(int attempts_done, int64_t retry_after_ms);
  bool TakeJob(Job* job);
  // Rows a worker holds at most (running + queued): enough to keep every
  // sender busy while the next claim runs.
  int Capacity() const { return std::max(settings_.threads * 2, settings_.batch * 2); }

  store::Pool* pool_;
  const ChannelSet* channels_;
  NotifySettings settings_;
  std::string worker_id_;

  mutable std::mutex mu_;
  std::condition_variable dispatch_cv_;  // wake the dispatcher
  std::condition_variable send_cv_;      // a job is ready
  bool stop_ = true;
  bool wake_ = false;
  std::map<std::string, std::deque<Job>> queued_;  // by destination key
  std::map<std::string, int> running_;             // sends in progress by key
  int queued_count_ = 0;
  int running_count_ = 0;

  std::thread dispatcher_;
  std::vector<std::thread> senders_;

  std::mutex record_mu_;
  std::condition_variable record_cv_;
  std::vector<store::DeliveryOutcome> to_record_;
  bool record_stop_ = false;
  std::thread recorder_;

  std::function<int64_t()> clock_;
  std::atomic<int64_t> claimed_{0}, sent_{0}, failed_{0}, dead_{0}, disabled_{0},
      lost_leases_{0}, held_{0};
  std::atomic<int64_t> claim_us_{0}, send_us_{0}, record_us_{0}, record_batches_{0};
};

}  // namespace sf::notify

#endif  // SF_NOTIFY_DELIVERY_WORKER_H_
