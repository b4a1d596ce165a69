#include "api/usage.h"

#include <algorithm>

#include "api/metrics.h"
#include "base/logging.h"

namespace sf::api {

UsageRecorder::UsageRecorder(store::Pool* pool, UsageOptions options)
    : repo_(pool), options_(options) {
  writer_ = std::thread([this] { Run(); });
}

UsageRecorder::~UsageRecorder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void UsageRecorder::Record(store::UsageRecord record) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= options_.max_queue) {
      MetricsRegistry::Global()
          .Counter("signalforge_api_usage_dropped_total",
                   "api_usage rows dropped because the write queue was full.")
          .With({})
          .Inc();
      return;
    }
    queue_.push_back(std::move(record));
    ++enqueued_;
    wake = queue_.size() >= options_.max_batch;
  }
  if (wake) cv_.notify_one();
}

void UsageRecorder::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = enqueued_;
  flush_requested_ = true;
  cv_.notify_one();
  flushed_.wait(lock, [&] { return written_ >= target || stop_; });
}

void UsageRecorder::WriteBatch(std::vector<store::UsageRecord>& batch) {
  for (size_t i = 0; i < batch.size(); i += options_.max_batch) {
    std::vector<store::UsageRecord> part(
        batch.begin() + static_cast<std::ptrdiff_t>(i),
        batch.begin() + static_cast<std::ptrdiff_t>(std::min(batch.size(), i + options_.max_batch)));
    Status s = repo_.InsertBatch(part);
    if (!s.ok()) {
      base::Logger("api")->warn("dropping {} api_usage rows: {}", part.size(), s.ToString());
      MetricsRegistry::Global()
          .Counter("signalforge_api_usage_dropped_total",
                   "api_usage rows dropped because the write queue was full.")
          .With({})
          .Inc(static_cast<double>(part.size()));
    }
  }
}

void UsageRecorder::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait_for(lock, options_.flush_interval,
                 [&] { return stop_ || flush_requested_ || queue_.size() >= options_.max_batch; });
    std::vector<store::UsageRecord> batch;
    batch.swap(queue_);
    const uint64_t upto = enqueued_;
    const bool stopping = stop_;
    flush_requested_ = false;
    lock.unlock();
    if (!batch.empty()) WriteBatch(batch);
    lock.lock();
    written_ = upto;
    flushed_.notify_all();
    if (stopping && queue_.empty()) return;
  }
}

}  // namespace sf::api
