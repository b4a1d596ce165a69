// The small reliability pieces in front of the LLM endpoint: a bounded LRU
// cache of answers by headline hash, a token-bucket rate limiter and a
// circuit breaker. Time is passed in (steady-clock milliseconds) so the rules
// can be reasoned about and tested without sleeping.
// Thread-safety: none of these lock; NewsAnalyzer holds one mutex around them.
#ifndef SF_PLUGINS_LLM_GUARDS_H_
#define SF_PLUGINS_LLM_GUARDS_H_

#include <algorithm>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace sf::llm {

class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}
  std::optional<std::string> Get(uint64_t key) {
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }
  void Put(uint64_t key, std::string value) {
    if (capacity_ == 0) return;
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  size_t size() const { return order_.size(); }

 private:
  size_t capacity_;
  std::list<std::pair<uint64_t, std::string>> order_;  // most recent first
  std::unordered_map<uint64_t, std::list<std::pair<uint64_t, std::string>>::iterator> index_;
};

// `rate` tokens per second, at most `burst` saved up.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  bool TryTake(int64_t now_ms) {
    if (last_ms_ >= 0) tokens_ = std::min(burst_, tokens_ + (now_ms - last_ms_) * rate_ / 1000.0);
    last_ms_ = now_ms;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  // Milliseconds until a token is available.
  int64_t WaitMs() const { return tokens_ >= 1.0 ? 0 : static_cast<int64_t>((1.0 - tokens_) * 1000.0 / rate_) + 1; }

 private:
  double rate_, burst_, tokens_;
  int64_t last_ms_ = -1;
};

// Opens after `threshold` consecutive failures; while open every call is
// refused until `cooldown_ms` passed, then one trial call is let through
// (half-open): success closes it, failure opens it again.
class CircuitBreaker {
 public:
  CircuitBreaker(int threshold, int64_t cooldown_ms)
      : threshold_(threshold), cooldown_ms_(cooldown_ms) {}
  // True when a call may go out now.
  bool Allow(int64_t now_ms) {
    if (failures_ < threshold_) return true;
    if (now_ms < open_until_ms_ || trial_in_flight_) return false;
    trial_in_flight_ = true;
    return true;
  }
  void Success() {
    failures_ = 0;
    trial_in_flight_ = false;
  }
  void Failure(int64_t now_ms) {
    ++failures_;
    trial_in_flight_ = false;
    if (failures_ >= threshold_) open_until_ms_ = now_ms + cooldown_ms_;
  }
  bool open() const { return failures_ >= threshold_; }
  int64_t open_until_ms() const { return open_until_ms_; }
  int failures() const { return failures_; }

 private:
  int threshold_;
  int64_t cooldown_ms_;
  int failures_ = 0;
  int64_t open_until_ms_ = 0;
  bool trial_in_flight_ = false;
};

}  // namespace sf::llm

#endif  // SF_PLUGINS_LLM_GUARDS_H_
