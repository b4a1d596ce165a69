// Leader election for several `serve` instances sharing one PostgreSQL: the
// instance holding a session-level advisory lock (pg_try_advisory_lock) on
// its own dedicated connection leads the scheduler.
//
// No home-made protocol: PostgreSQL releases the lock when the holder's
// session ends, which happens as soon as the holder process dies (its
// socket closes) or its connection breaks. Followers try to take the lock
// every `retry` (default 500 ms), so a takeover happens within about one
// retry interval of the leader's death. A leader pings its connection on the
// same interval and steps down at once when the ping fails (it can no longer
// be sure it holds the lock).
//
// Thread-safety: is_leader() and Health() are safe from any thread; the
// on_change callback runs on the elector's thread.
#ifndef SF_ENGINE_LEADER_H_
#define SF_ENGINE_LEADER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace sf::store { class AdvisoryLockSession; }

namespace sf::engine {

// The advisory lock key of the engine's scheduler ("sfengine" in ASCII).
inline constexpr int64_t kSchedulerLockKey = 0x7366656e67696e65;

class LeaderElector {
 public:
  struct Options {
    std::string conninfo;
    int64_t lock_key = kSchedulerLockKey;
    std::chrono::milliseconds retry{500};
    std::string instance;  // for logs and health
  };
  using ChangeFn = std::function<void(bool leader)>;

  LeaderElector(Options options, ChangeFn on_change);
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Releases the lock (closes the session) and joins the thread.
  void Stop();
  bool is_leader() const { return leader_.load(); }
  // {"leader": bool, "instance", "terms": times this instance became leader,
  //  "last_error"?}
  nlohmann::json Health() const;

 private:
  void Run();
  void SetLeader(bool leader);

  Options opt_;
  ChangeFn on_change_;
  std::unique_ptr<store::AdvisoryLockSession> session_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> leader_{false};
  std::atomic<int64_t> terms_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  mutable std::mutex err_mu_;
  std::string last_error_;
};

}  // namespace sf::engine

#endif  // SF_ENGINE_LEADER_H_
