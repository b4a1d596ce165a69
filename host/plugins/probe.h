// Crash-safe trial run: runs a piece of work (open a plugin library, call
// its entry point and init) in a forked child process first, so a library
// that crashes (SIGSEGV, abort) or hangs there is refused with the signal or
// "timed out" while the host keeps running. The child reports its progress
// ("entry", "init") and its answer over a pipe and leaves with _exit.
// Thread-safety: call from one thread at a time (fork copies only the
// calling thread; the child touches no lock another thread might hold:
// plugin logging is off in the child).
#ifndef SF_PLUGINS_PROBE_H_
#define SF_PLUGINS_PROBE_H_

#include <chrono>
#include <functional>
#include <string>

namespace sf::plugins {

// What the child reports while it works.
struct ProbeProgress {
  std::function<void(const std::string& stage)> stage;       // "entry", "init"
  std::function<void(const std::string& plugin_id)> plugin;  // once the id is known
};

struct ProbeOutcome {
  bool ok = false;
  std::string plugin_id;  // when the child got that far
  std::string reason;     // when !ok: the child's own reason, or how it died
};

// Runs `body` in a forked child; `body` returns "" for success or a reason.
ProbeOutcome RunProbe(const std::function<std::string(const ProbeProgress&)>& body,
                      std::chrono::milliseconds timeout);

}  // namespace sf::plugins

#endif  // SF_PLUGINS_PROBE_H_
