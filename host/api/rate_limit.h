// Token-bucket rate limiting for the API: one bucket per key (a user and
// class, or a client IP and class), refilled continuously at `per_second`
// up to `burst`. A request takes one token or is refused with the time
// until one is available.
//
// Admission is decided under the bucket's shard mutex, so concurrent
// requests never take more than `burst` tokens from a full bucket (plus what
// refills meanwhile). Buckets that are full again are forgotten when a shard
// grows past kMaxBucketsPerShard, bounding memory under many clients.
//
// Thread-safety: thread-safe.
#ifndef SF_API_RATE_LIMIT_H_
#define SF_API_RATE_LIMIT_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sf::api {

struct RateLimit {
  double per_second = 1;
  int64_t burst = 1;
};

struct RateDecision {
  bool allowed = false;
  int64_t limit = 0;        // the burst (RateLimit-Limit)
  int64_t remaining = 0;    // whole tokens left (RateLimit-Remaining)
  int64_t reset_s = 0;      // seconds until the bucket is full (RateLimit-Reset)
  int64_t retry_after_s = 0;  // when refused: seconds until one token exists
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kShards = 64;
  static constexpr size_t kMaxBucketsPerShard = 4096;

  RateDecision Take(const std::string& key, const RateLimit& limit,
                    Clock::time_point now = Clock::now());
  // Buckets held right now (for metrics and tests).
  size_t size() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  std::array<Shard, kShards> shards_;
};

}  // namespace sf::api

#endif  // SF_API_RATE_LIMIT_H_
