// The WebSocket stream (/api/v1/stream): subscribers receive new signals and
// signal updates as they commit, on every instance, through LISTEN/NOTIFY
// (store/listener.h, channel kSignalsChannel; payload = the signal id), and
// the bars of a symbol (channel kBarsChannel; payload "SYMBOL" or
// "SYMBOL|timeframe").
//
// Protocol (JSON text frames):
//   client -> {"type":"auth","token":"<JWT or API key>"}   (first message,
//             unless the token came in Sec-WebSocket-Protocol as
//             "bearer.<token>"; tokens never go in the URL)
//   server -> {"type":"welcome","user_id":..,"tier":"premium","channels":[...]}
//   client -> {"type":"subscribe","channel":"signals" | "signal:<id>" | "bars:<SYMBOL>"}
//   server -> {"type":"subscribed","channel":...} or {"type":"error","code","detail"}
//   client -> {"type":"unsubscribe","channel":...} / {"type":"ping"}
//   server -> {"type":"signal","channel":"signals","event":"created"|"updated","signal":{...}}
//             {"type":"signal.closed","channel":..,"signal_id":..,"status":"target_reached"|
//              "stopped_out"|"expired"|"manually_closed","exit_price":..,"exit_reason":..,
//              "exit_at":..,"realized_pnl_pct":..,"signal":{...}}   (a NOTIFY of a signal
//              that is no longer active: the engine's close; sent to subscribers of
//              "signals" and "signal:<id>" whose tier may see that signal)
//             {"type":"bar","channel":"bars:AAPL","symbol":..,"timeframe":..,"bar":{...}}
// The stream is a premium feature: a free account is refused at auth
// (close code 4403) and never receives an active signal.
//
// Fan-out: one event-loop thread owns every adopted connection. Sockets are
// non-blocking; each message is serialised and framed ONCE and appended to
// each subscriber's outgoing buffer. A client whose unsent bytes exceed
// max_queue_bytes is disconnected (close 1008 "slow consumer") instead of
// slowing the loop; others are unaffected. Incoming frames larger than
// max_frame_bytes close the connection with 1009.
//
// Ownership: StreamHub::Instance() lives for the process; it starts its
// listener and loop on first use (EnsureStarted) and stops at exit or on
// Stop(). Thread-safety: every public method is thread-safe.
#ifndef SF_API_STREAM_H_
#define SF_API_STREAM_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/WebSocket.h>

#include "api/router.h"
#include "base/status.h"

namespace sf::store {
class Listener;
class Pool;
}  // namespace sf::store

namespace sf::api {

inline constexpr const char* kBarsChannel = "sf_bars";

struct StreamOptions {
  std::size_t max_frame_bytes = 16 * 1024;     // largest client frame accepted
  std::size_t max_queue_bytes = 1024 * 1024;   // unsent bytes before a client is cut off
  int max_subscriptions = 64;                  // channels per connection
  int auth_timeout_ms = 10000;                 // time to send the auth message
};

struct StreamStats {
  std::size_t connections = 0;
  uint64_t messages_sent = 0;     // frames queued to clients
  uint64_t slow_disconnects = 0;  // clients cut off at the queue bound
  uint64_t signals_fanned_out = 0;
};

class StreamHub {
 public:
  static StreamHub& Instance();

  StreamHub();
  ~StreamHub();
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  // Starts the LISTEN connection (on `pool`'s database) and the event loop
  // the first time; later calls return OK at once. `pool` must outlive the
  // hub's running period (Stop() before the pool goes away).
  Status EnsureStarted(store::Pool* pool, const StreamOptions& options = {});
  void Stop();

  // Takes over an authenticated WebSocket (after the welcome was sent).
  void Adopt(Poco::Net::WebSocket socket, const Principal& principal);

  // Loads signal `id` and sends it to its subscribers (what a NOTIFY on
  // kSignalsChannel triggers; public for tests and tools).
  void PublishSignal(const std::string& id);

  StreamStats Stats() const;
  const StreamOptions& options() const { return options_; }

  struct Impl;

 private:
  void Loop();
  StreamOptions options_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<store::Listener> listener_;
  std::thread thread_;
  std::mutex start_mu_;
  std::atomic<bool> running_{false};
};

// The upgrade handler of GET /api/v1/stream (registered in stream.cc):
// handshake, authentication, tier check, then hand-off to the hub.
void HandleStreamUpgrade(ApiRequest& request, Poco::Net::HTTPServerRequest& http_request,
                         Poco::Net::HTTPServerResponse& http_response);

}  // namespace sf::api

#endif  // SF_API_STREAM_H_
