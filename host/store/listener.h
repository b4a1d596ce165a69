// LISTEN/NOTIFY on a dedicated connection: wakes consumers (the delivery
// worker, the WebSocket hub) as soon as a signal or outbox row commits.
//
// Notifications are a latency optimisation only; polling the tables stays
// the source of truth. When the connection drops, the listener reconnects
// with backoff and then reports a wake-up with `reconnected = true` on every
// channel, because notifications sent during the outage are lost and the
// consumer should poll.
//
// Thread-safety: Start/Stop from the owner; the callback runs on the
// listener's own thread (keep it short); WaitForNotification is safe from
// any thread.
#ifndef SF_STORE_LISTENER_H_
#define SF_STORE_LISTENER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"

namespace sf::store {

struct Notification {
  std::string channel;
  std::string payload;
  bool reconnected = false;  // synthetic wake-up after a reconnect
};

class Listener {
 public:
  using Callback = std::function<void(const Notification&)>;

  // `channels` are code constants (kSignalsChannel...), [a-z_]+ only.
  Listener(std::string conninfo, std::vector<std::string> channels, Callback callback = nullptr);
  ~Listener();  // stops
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Connects and LISTENs before returning (so a NOTIFY committed after
  // Start() returns is seen). SF_ERR_UNAVAILABLE if the server is down.
  Status Start();
  void Stop();

  // Counts every notification (and reconnect wake-up) received so far.
  uint64_t generation() const;
  // Waits until generation() > `seen` or the timeout; returns the new
  // generation (== seen on timeout).
  uint64_t WaitForNotification(uint64_t seen, std::chrono::milliseconds timeout);
  bool connected() const { return connected_; }

 private:
  void Run();
  Status Connect();
  void Deliver(const Notification& n);

  std::string conninfo_;
  std::vector<std::string> channels_;
  Callback callback_;
  void* conn_ = nullptr;  // PGconn*, owned by the listener thread after Start
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  int wake_fds_[2] = {-1, -1};  // self-pipe to interrupt poll() on Stop
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
};

}  // namespace sf::store

#endif  // SF_STORE_LISTENER_H_
