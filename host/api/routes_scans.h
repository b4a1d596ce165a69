// Custom scans: a pro user submits a strategy (scripts/<name>.lua) over
// chosen symbols with parameter overrides (POST /api/v1/scans), then polls
// its status and results (GET /api/v1/scans/{id}). ScanRunner runs queued
// scans in the background: it claims one at a time from the database (FOR
// UPDATE SKIP LOCKED, so several hosts share the queue), loads each symbol's
// recent bars from the store, and evaluates the strategy ONCE at the newest
// bar through the real Lua runtime (lua/strategy_runtime.h: its own
// sandboxed worker process, the same code path as live). Results are the
// intents the strategy produced (symbol, side, confidence, entry, target,
// stop, summary, features) plus per-symbol problems. Only the chosen
// symbols the strategy's declared universe admits are evaluated.
//
// Ownership: ScanRunner::Instance() lives for the process, starts on the
// first submitted scan and stops at exit. Thread-safety: all public methods
// are thread-safe.
#ifndef SF_API_ROUTES_SCANS_H_
#define SF_API_ROUTES_SCANS_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/scans_repository.h"

namespace sf::store {
class Pool;
}

namespace sf::api {

struct ScanOptions {
  std::string scripts_dir = "scripts";  // strategies: <scripts_dir>/<name>.lua
  std::string lib_dir;                  // default <scripts_dir>/lib
  std::string worker_path;              // sf_lua_worker; empty: beside the executable
  std::vector<std::string> plugin_dirs; // indicator/model plugins for the worker
  int history_bars = 300;               // bars loaded per symbol
  int max_symbols = 100;                // per scan
  int poll_ms = 2000;                   // queue poll when no wake-up arrives

  // From the config's "scans" section (paths resolved by the caller).
  static ScanOptions FromConfig(const nlohmann::json& config);
};

class ScanRunner {
 public:
  static ScanRunner& Instance();
  ~ScanRunner();

  // Starts the background thread once (later calls just wake it).
  Status EnsureStarted(store::Pool* pool, const ScanOptions& options);
  void Stop();
  // Runs one claimed scan now, on the calling thread (the thread uses it;
  // public for tests).
  nlohmann::json Run(const store::Scan& scan, Status* error);

 private:
  void Loop();
  store::Pool* pool_ = nullptr;
  ScanOptions options_;
  std::string worker_id_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  std::atomic<bool> running_{false};
};

}  // namespace sf::api

#endif  // SF_API_ROUTES_SCANS_H_
