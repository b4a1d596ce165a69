// Records one api_usage row per API request without putting the database on
// the request path: Record() appends to a bounded in-memory queue and a
// background thread writes the queue in batches (every flush_interval or
// when max_batch rows are waiting). When the queue is full (the database is
// down or too slow) new records are dropped and counted in the metric
// signalforge_api_usage_dropped_total, never blocking a request.
//
// Thread-safety: Record() and Flush() are thread-safe. The destructor
// writes what is queued and joins the writer.
#ifndef SF_API_USAGE_H_
#define SF_API_USAGE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "store/api_usage_repository.h"

namespace sf::api {

struct UsageOptions {
  std::chrono::milliseconds flush_interval{500};
  size_t max_batch = 1000;
  size_t max_queue = 100000;
};

class UsageRecorder {
 public:
  UsageRecorder(store::Pool* pool, UsageOptions options);
  ~UsageRecorder();
  UsageRecorder(const UsageRecorder&) = delete;
  UsageRecorder& operator=(const UsageRecorder&) = delete;

  void Record(store::UsageRecord record);
  // Writes everything queued so far before returning (tests, shutdown).
  void Flush();

 private:
  void Run();
  void WriteBatch(std::vector<store::UsageRecord>& batch);

  store::ApiUsageRepository repo_;
  const UsageOptions options_;
  std::mutex mu_;
  std::condition_variable cv_, flushed_;
  std::vector<store::UsageRecord> queue_;
  uint64_t enqueued_ = 0, written_ = 0;  // records handed to the writer / finished
  bool stop_ = false;
  bool flush_requested_ = false;
  std::thread writer_;
};

}  // namespace sf::api

#endif  // SF_API_USAGE_H_
