// WorkerProcess: the host's handle on one Lua worker process (sf_lua_worker).
//
// Spawned with posix_spawn (never a bare fork of the multi-threaded host), it
// gets a socketpair, the read-only series arena and a shared progress word.
// Every request has a deadline: when it passes, the worker is killed with
// SIGKILL and reaped on the spot, so a runaway strategy (a JIT-compiled
// loop, a pathological pattern inside a C function, anything the Lua debug
// hook would miss) never keeps a core busy.
//
// Ownership: owns the child process, its socket and progress page; the
// destructor kills and reaps a live child. Thread-safety: none; one caller.
#ifndef SF_LUA_WORKER_PROCESS_H_
#define SF_LUA_WORKER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <csignal>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lua/protocol.h"

namespace sf::lua {

struct WorkerConfig {
  std::string worker_path;   // the sf_lua_worker executable
  std::string lib_dir;       // scripts/lib
  size_t memory_mb = 256;    // Lua heap cap per strategy
  int max_intents_per_symbol = 3;
  int max_intents_per_bar = 100;
  int atr_period = 14;
  int backstop_seconds = 30; // worker-side alarm() per request
  std::vector<std::string> plugin_dirs;
  nlohmann::json models = nlohmann::json::object();
  std::chrono::milliseconds start_timeout{10000};
};

class WorkerProcess {
 public:
  static StatusOr<std::unique_ptr<WorkerProcess>> Spawn(const WorkerConfig& config, int arena_fd);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  Status Send(MsgType type, const nlohmann::json& request);
  // Waits for the reply until `deadline`. On timeout the worker is killed
  // (SF_ERR_TIMEOUT); when it died, SF_ERR_UNAVAILABLE says how. Binary data
  // sent after the reply (kReplyWithData) goes to *data when given.
  StatusOr<nlohmann::json> Receive(const Deadline& deadline, std::string* data = nullptr);
  StatusOr<nlohmann::json> Call(MsgType type, const nlohmann::json& request,
                                std::chrono::milliseconds budget);

  // SIGKILL and reap (idempotent).
  void Kill();
  // SIGKILL only: the kernel tears the process down while the caller goes
  // on (Kill, or the destructor, reaps it later).
  void SignalKill() {
    if (pid_ > 0) kill(pid_, SIGKILL);
  }
  bool alive() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // What the worker is evaluating: slot + 1 (0 between calls), and in a
  // range the bar time (µs) it is at.
  int32_t progress() const { return progress_ ? *progress_ : 0; }
  int64_t progress_ts() const {
    return progress_ ? reinterpret_cast<const volatile int64_t*>(progress_)[1] : 0;
  }
  // "exited with status 3", "killed by signal 9 (Killed)" once it ended.
  const std::string& exit_description() const { return exit_description_; }
  const nlohmann::json& hello() const { return hello_; }

 private:
  WorkerProcess() = default;
  void Reap(bool block);

  pid_t pid_ = -1;
  int sock_ = -1;
  volatile int32_t* progress_ = nullptr;
  std::string exit_description_;
  nlohmann::json hello_;
};

}  // namespace sf::lua

#endif  // SF_LUA_WORKER_PROCESS_H_
