#include "notify/delivery_worker.h"

#include <signal.h>
#include <unistd.h>

#include <random>
#include <set>

#include "base/logging.h"
#include "notify/alert_router.h"
#include "store/alerts_repository.h"
#include "store/outbox_repository.h"

namespace sf::notify {
namespace {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string DefaultWorkerId() {
  static std::atomic<int> next{1};
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "host") + ":" + std::to_string(getpid()) + ":" +
         std::to_string(next++);
}

// A send must not die of a peer that closed its socket.
void BlockSigpipeOnThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Failures the remote will not change its mind about.
bool Permanent(sf_status code) {
  return code == SF_ERR_INVALID_ARGUMENT || code == SF_ERR_PERMISSION ||
         code == SF_ERR_NOT_FOUND || code == SF_ERR_BAD_DATA || code == SF_ERR_TOO_LARGE ||
         code == SF_ERR_UNSUPPORTED;
}

}  // namespace

nlohmann::json WorkerStats::ToJson() const {
  return {{"claimed", claimed}, {"sent", sent},         {"failed", failed},
          {"dead", dead},       {"disabled", disabled}, {"lost_leases", lost_leases},
          {"held", held},       {"in_flight", in_flight},
          {"time_ms", {{"claim", claim_ms}, {"send", send_ms}, {"record", record_ms}}},
          {"record_batches", record_batches}};
}

DeliveryWorker::DeliveryWorker(store::Pool* pool, const ChannelSet* channels,
                               NotifySettings settings, std::string worker_id)
    : pool_(pool),
      channels_(channels),
      settings_(std::move(settings)),
      worker_id_(worker_id.empty() ? DefaultWorkerId() : std::move(worker_id)) {
  if (settings_.schedule.empty()) settings_.schedule = DefaultRetrySchedule();
}

DeliveryWorker::~DeliveryWorker() { Stop(); }

void DeliveryWorker::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) return;
    stop_ = false;
    wake_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(record_mu_);
    record_stop_ = false;
  }
  recorder_ = std::thread([this] { RecordLoop(); });
  dispatcher_ = std::thread([this] { DispatchLoop(); });
  for (int i = 0; i < settings_.threads; ++i) senders_.emplace_back([this] { SendLoop(); });
}

void DeliveryWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  dispatch_cv_.notify_all();
  send_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& t : senders_) t.join();
  senders_.clear();
  {
    std::lock_guard<std::mutex> lock(record_mu_);
    record_stop_ = true;
  }
  record_cv_.notify_all();
  if (recorder_.joinable()) recorder_.join();  // records what the senders finished
  std::lock_guard<std::mutex> lock(mu_);
  queued_.clear();  // their leases run out; another worker takes them
  queued_count_ = 0;
}

void DeliveryWorker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  dispatch_cv_.notify_one();
}

WorkerStats DeliveryWorker::stats() const {
  WorkerStats s;
  s.claimed = claimed_;
  s.sent = sent_;
  s.failed = failed_;
  s.dead = dead_;
  s.disabled = disabled_;
  s.lost_leases = lost_leases_;
  s.held = held_;
  s.claim_ms = claim_us_ / 1000;
  s.send_ms = send_us_ / 1000;
  s.record_ms = record_us_ / 1000;
  s.record_batches = record_batches_;
  std::lock_guard<std::mutex> lock(mu_);
  s.in_flight = running_count_ + queued_count_;
  return s;
}

void DeliveryWorker::DispatchLoop() {
  BlockSigpipeOnThisThread();
  auto log = base::Logger("notify");
  store::DeliveriesRepository repo(pool_);
  store::OutboxRepository outbox(pool_);
  const int capacity_max = Capacity();
  auto last_error_log = std::chrono::steady_clock::time_point{};
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_ = false;
    int capacity = capacity_max - queued_count_ - running_count_;
    bool full_batch = false;
    bool db_error = false;
    if (capacity > 0) {
      // A destination with a full queue of its own (twice its cap waiting
      // behind the sends running) gets no more rows this round: the slots
      // stay free for the other destinations.
      std::vector<std::string> busy;
      for (const auto& [key, q] : queued_) {
        if (static_cast<int>(q.size()) >= 2 * settings_.max_per_destination) busy.push_back(key);
      }
      int limit = std::min(settings_.batch, capacity);
      lock.unlock();
      auto t0 = std::chrono::steady_clock::now();
      auto claimed = repo.Claim(worker_id_, limit, settings_.lease, busy);
      claim_us_ += std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
      lock.lock();
      if (!claimed.ok()) {
        db_error = true;
        if (std::chrono::steady_clock::now() - last_error_log > std::chrono::seconds(10)) {
          log->warn("delivery worker {}: claim failed: {}", worker_id_,
                    claimed.status().ToString());
          last_error_log = std::chrono::steady_clock::now();
        }
      } else {
        full_batch = static_cast<int>(claimed->size()) == limit;
        for (auto& c : *claimed) {
          std::string key = store::DestinationKey(c.delivery.channel, c.delivery.destination);
          queued_[key].push_back(Job{std::move(c), key});
          ++queued_count_;
        }
        claimed_ += static_cast<int64_t>(claimed->size());
        if (!claimed->empty()) send_cv_.notify_all();
      }
    }
    if (stop_) break;
    if (full_batch && queued_count_ + running_count_ < capacity_max) continue;
    // Sleep until woken, the next row is due, or the poll interval passes.
    auto wait = settings_.poll;
    if (!db_error && !full_batch) {
      lock.unlock();
      auto next = outbox.NextDueAt();
      lock.lock();
      if (next.ok() && next->has_value()) {
        int64_t ms = (**next - NowUs()) / 1000 + 1;
        if (ms < wait.count()) wait = std::chrono::milliseconds(std::max<int64_t>(ms, 1));
      }
    }
    if (!wake_ && !stop_) dispatch_cv_.wait_for(lock, wait, [&] { return stop_ || wake_; });
  }
}

bool DeliveryWorker::TakeJob(Job* job) {
  // Caller holds mu_. The oldest-claimed job of a destination below its cap.
  for (auto it = queued_.begin(); it != queued_.end(); ++it) {
    if (it->second.empty()) continue;
    auto r = running_.find(it->first);
    if (r != running_.end() && r->second >= settings_.max_per_destination) continue;
    *job = std::move(it->second.front());
    it->second.pop_front();
    if (it->second.empty()) queued_.erase(it);
    --queued_count_;
    ++running_[job->key];
    ++running_count_;
    return true;
  }
  return false;
}

void DeliveryWorker::SendLoop() {
  BlockSigpipeOnThisThread();
  const int capacity_max = Capacity();
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    Job job;
    send_cv_.wait(lock, [&] { return stop_ || TakeJob(&job); });
    if (stop_ && job.key.empty()) return;
    lock.unlock();
    if (job.claimed.delivery.lease_until / 1000 <= NowUs() / 1000) {
      // Waited past its lease: another worker may own it now.
      ++lost_leases_;
    } else {
      (void)Process(job.claimed, false);
    }
    lock.lock();
    if (--running_[job.key] == 0) running_.erase(job.key);
    --running_count_;
    // A destination freed a slot: queued jobs for it may go now.
    send_cv_.notify_all();
    if (queued_count_ + running_count_ <= capacity_max / 2) {
      wake_ = true;
      dispatch_cv_.notify_one();
    }
    if (stop_) return;
  }
}

std::chrono::milliseconds DeliveryWorker::NextWait(int attempts_done, int64_t retry_after_ms) {
  int64_t base = settings_.schedule[std::min<size_t>(attempts_done, settings_.schedule.size() - 1)]
                     .count();
  thread_local std::mt19937_64 rng(std::random_device{}());
  if (settings_.jitter > 0 && base > 0) {
    std::uniform_real_distribution<double> u(-settings_.jitter, settings_.jitter);
    base = static_cast<int64_t>(static_cast<double>(base) * (1.0 + u(rng)));
  }
  return std::chrono::milliseconds(std::max(base, retry_after_ms));
}

void DeliveryWorker::RecordLoop() {
  std::unique_lock<std::mutex> lock(record_mu_);
  while (true) {
    record_cv_.wait(lock, [&] { return record_stop_ || !to_record_.empty(); });
    if (to_record_.empty()) return;  // stopping, nothing left
    std::vector<store::DeliveryOutcome> batch;
    batch.swap(to_record_);
    lock.unlock();
    Record(std::move(batch));
    lock.lock();
  }
}

void DeliveryWorker::Record(std::vector<store::DeliveryOutcome> outcomes) {
  store::OutboxRepository outbox(pool_);
  auto t0 = std::chrono::steady_clock::now();
  StatusOr<std::vector<int64_t>> done = std::vector<int64_t>{};
  // A failed write is tried again briefly; if the database stays away the
  // rows keep their leases and are sent again later (same id).
  for (int attempt = 0; attempt < 3; ++attempt) {
    done = outbox.FinishMany(worker_id_, outcomes);
    if (done.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
  }
  record_us_ += std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
  ++record_batches_;
  if (!done.ok()) {
    base::Logger("notify")->warn("recording {} delivery outcomes failed: {}", outcomes.size(),
                                 done.status().ToString());
    return;
  }
  std::set<int64_t> finished(done->begin(), done->end());
  for (const auto& o : outcomes) {
    if (!finished.count(o.id)) {
      ++lost_leases_;
    } else if (o.outcome == "sent") {
      ++sent_;
    } else if (o.outcome == "failed") {
      ++failed_;
    } else {
      ++dead_;
    }
  }
}

Status DeliveryWorker::Process(const store::ClaimedDelivery& c, bool record_now) {
  const store::Delivery& d = c.delivery;
  store::DeliveryAttempt attempt;
  auto finish = [&](const char* outcome, std::optional<int64_t> next_us = std::nullopt) {
    store::DeliveryOutcome o{d.id, outcome, next_us, attempt};
    if (record_now) {
      Record({std::move(o)});
      return;
    }
    {
      std::lock_guard<std::mutex> lock(record_mu_);
      to_record_.push_back(std::move(o));
    }
    record_cv_.notify_one();
  };
  if (!c.subscription_active) {
    attempt.error = "not sent: the alert rule was disabled (" +
                    c.disabled_reason.value_or("switched off by its owner") + ")";
    finish("dead");
    return PermissionDenied(attempt.error);
  }
  if (d.event_type != "alert.test") {
    int64_t now = clock_ ? clock_() : NowUs();
    if (auto until = AlertRouter::QuietHoursEnd(c.quiet_hours_start, c.quiet_hours_end,
                                                c.timezone, now)) {
      std::string why = "held: quiet hours " + c.quiet_hours_start.value_or("") + "-" +
                        c.quiet_hours_end.value_or("") + " " + c.timezone + " until " +
                        IsoUtc(*until);
      store::OutboxRepository outbox(pool_);
      Status held = outbox.Hold(d.id, worker_id_, *until, why);
      if (held.ok()) {
        ++held_;
      } else if (held.code() == SF_ERR_CONFLICT) {
        ++lost_leases_;
      } else {
        base::Logger("notify")->warn("delivery {}: holding it failed: {}", d.id, held.ToString());
      }
      return Unavailable(why);
    }
  }
  Outgoing o;
  o.delivery_id = d.idempotency_key;
  o.event_type = d.event_type;
  o.destination = d.destination;
  o.secret = c.secret;
  // The event time goes into the body; taking it from the row keeps the
  // body byte-identical on every retry of rows written without one.
  if (!d.payload.contains("occurred_at") && c.created_at > 0) {
    nlohmann::json payload = d.payload;
    payload["occurred_at"] = IsoUtc(c.created_at);
    o.payload_json = payload.dump();
  } else {
    o.payload_json = d.payload.dump();
  }
  o.timestamp_us = NowUs();
  o.attempt = d.attempts;
  auto t0 = std::chrono::steady_clock::now();
  SendOutcome out = channels_->Send(d.channel, o);
  send_us_ += std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - t0)
                  .count();
  if (out.remote_status > 0) attempt.http_status = out.remote_status;
  attempt.latency_ms = out.latency_ms;
  if (out.status.ok()) {
    finish("sent");
    return out.status;
  }
  attempt.error = out.status.ToString();
  if (out.disable) {
    if (d.subscription_id) {
      store::AlertsRepository alerts(pool_);
      std::string reason = "disabled after delivery " + std::to_string(d.id) + ": " + attempt.error;
      if (alerts.Disable(*d.subscription_id, reason).ok()) ++disabled_;
    }
    finish("dead");
    return out.status;
  }
  if (Permanent(out.status.code())) {
    finish("dead");
    return out.status;
  }
  if (d.attempts >= static_cast<int>(settings_.schedule.size())) {
    attempt.error += " (gave up after " + std::to_string(d.attempts) + " attempts)";
    finish("dead");
    return out.status;
  }
  auto wait = NextWait(d.attempts, out.retry_after_ms);
  finish("failed", NowUs() + wait.count() * 1000);
  return out.status;
}

Status DeliveryWorker::DeliverNow(int64_t delivery_id) {
  store::DeliveriesRepository repo(pool_);
  auto claimed = repo.ClaimOne(delivery_id, worker_id_, settings_.lease);
  if (!claimed.ok()) return claimed.status();
  ++claimed_;
  return Process(*claimed, true);
}

}  // namespace sf::notify
