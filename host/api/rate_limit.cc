#include "api/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace sf::api {

RateDecision RateLimiter::Take(const std::string& key, const RateLimit& limit,
                               Clock::time_point now) {
  const double burst = static_cast<double>(std::max<int64_t>(1, limit.burst));
  const double rate = std::max(1e-9, limit.per_second);
  Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto [it, inserted] = shard.buckets.try_emplace(key, Bucket{burst, now});
  Bucket& b = it->second;
  if (!inserted && now > b.last) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst, b.tokens + elapsed * rate);
    b.last = now;
  }
  RateDecision d;
  d.limit = static_cast<int64_t>(burst);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.retry_after_s = std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) / rate)));
  }
  d.remaining = static_cast<int64_t>(std::floor(b.tokens));
  d.reset_s = static_cast<int64_t>(std::ceil((burst - b.tokens) / rate));

  if (shard.buckets.size() > kMaxBucketsPerShard) {
    std::erase_if(shard.buckets, [&](const auto& kv) {
      const double elapsed = std::chrono::duration<double>(now - kv.second.last).count();
      return kv.second.tokens + elapsed * rate >= burst && kv.first != key;
    });
  }
  return d;
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace sf::api
