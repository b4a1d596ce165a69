// A short-lived cache of rendered answers of GET /api/v1/signals, so the hot
// list route does not query the database on every request.
//
// Keys are built by the route from the tier *visibility class* (free or
// premium-and-above: what SignalVisibleTo lets a caller see) and the
// canonical query; the list holds no per-user data, so one cached body is
// safe to serve to every caller of that class and never carries one user's
// private data to another. An entry lives for `ttl`, and every entry is
// dropped at once when a signal is created or changes: the cache LISTENs on
// the store's sf_signals channel (the same NOTIFY the WebSocket hub uses; a
// reconnect of that connection also drops everything, because notifications
// sent during the outage are lost). What the TTL still bounds: a change
// committed without a NOTIFY (e.g. a mark-to-market price update) and the
// free tier's moving 24 h window show up at most `ttl` late.
//
// An answer computed while an invalidation arrived is returned to its caller
// but not stored (generation check), so a stale list never outlives the
// NOTIFY that made it stale.
//
// Ownership: owned by the ApiPlatform; Stop() (or the destructor) closes the
// LISTEN connection. Thread-safety: GetOrBuild/Invalidate are thread-safe;
// `build` runs on the caller's thread without the cache lock held.
#ifndef SF_API_SIGNAL_CACHE_H_
#define SF_API_SIGNAL_CACHE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/status.h"

namespace sf::store {
class Listener;
}

namespace sf::api {

class SignalListCache {
 public:
  // `ttl` 0 disables the cache (GetOrBuild always builds).
  explicit SignalListCache(std::chrono::milliseconds ttl, size_t max_entries = 4096);
  ~SignalListCache();
  SignalListCache(const SignalListCache&) = delete;
  SignalListCache& operator=(const SignalListCache&) = delete;

  // LISTENs on sf_signals through `conninfo`. Until this succeeds the cache
  // stays off (it would have no way to learn about new signals).
  Status Start(const std::string& conninfo);
  void Stop();

  // The cached body for `key`, or build() stored under `key` and returned.
  // Exceptions from build() propagate and nothing is stored. Concurrent
  // misses of one key build once (single flight): the others wait for that
  // answer (at most `kFlightWait`, then build themselves), so an expiry or a
  // NOTIFY does not send every connection to the database at once. While an
  // entry that merely expired (no NOTIFY dropped it) is being rebuilt, the
  // expired copy is served, so staleness is bounded by the TTL plus one build.
  std::shared_ptr<const std::string> GetOrBuild(const std::string& key,
                                                const std::function<std::string()>& build);

  // Drops every entry (a NOTIFY on sf_signals does this).
  void Invalidate();

  bool enabled() const { return enabled_.load(); }
  uint64_t hits() const { return hits_.load(); }
  uint64_t misses() const { return misses_.load(); }

 private:
  struct Entry {
    std::shared_ptr<const std::string> body;
    std::chrono::steady_clock::time_point stored;
  };
  struct Flight {  // one build of a key in progress
    uint64_t generation = 0;
    bool done = false;
    std::shared_ptr<const std::string> body;  // null when the build failed
  };
  static constexpr std::chrono::milliseconds kFlightWait{5000};
  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  std::unique_ptr<store::Listener> listener_;
  std::atomic<bool> enabled_{false};
  std::mutex mu_;
  uint64_t generation_ = 0;  // guarded by mu_
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;  // guarded by mu_
  std::condition_variable flight_done_;
  std::atomic<uint64_t> hits_{0}, misses_{0};
};

}  // namespace sf::api

#endif  // SF_API_SIGNAL_CACHE_H_
