// What the notify tests and benchmark share:
//  - Receiver: a real HTTP server on 127.0.0.1 (Poco HTTPServer) that stands
//    in for a subscriber's endpoint: records every request (headers, body,
//    arrival time), answers with a scripted status / delay / Retry-After,
//    counts TCP connections (so SSRF probes can prove nothing arrived), and
//    can be restarted on the same port (outage tests).
//  - VerifyStandardWebhook: an independent check of Standard Webhooks
//    signatures with OpenSSL (not the plugin's Poco code), with the usual
//    5-minute timestamp tolerance.
//  - The notifier plugin loaded through the real plugin loader.
//  - Users, rules and signals in a throwaway database.
//
// Thread-safety: Receiver accessors may be called while it serves.
#ifndef SF_TESTS_NOTIFY_NOTIFY_SUPPORT_H_
#define SF_TESTS_NOTIFY_NOTIFY_SUPPORT_H_

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/registry.h"
#include "store/pool.h"
#include "store/signals_repository.h"

namespace sf::notify::test {

struct Received {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::steady_clock::time_point at;
  int64_t wall_us = 0;
};

// What the receiver answers.
struct Reply {
  int status = 200;
  std::string body = "ok";
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds delay{0};
};

class Receiver {
 public:
  using Script = std::function<Reply(const Received&)>;
  // port 0 = any free port.
  explicit Receiver(Script script = nullptr, uint16_t port = 0, int threads = 16);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  std::vector<Received> received() const;
  size_t count() const;
  // TCP connections accepted so far.
  int connections() const;
  // Largest number of requests being handled at once, per path.
  int max_concurrent(const std::string& path) const;
  void set_script(Script script);
  void Stop();
  // Blocks until `n` requests arrived or `timeout` passed.
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) const;

  void Handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Script script_;
  std::vector<Received> received_;
  std::map<std::string, int> active_, max_active_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::shared_ptr<std::atomic<int>> connections_;
};

// True when `signature_header` ("v1,<b64> v1,<b64>...") holds a valid
// signature of id.timestamp.body under `secret` (whsec_ form or raw) and the
// timestamp is within 300 s of `now_s`. `why` tells which rule failed.
bool VerifyStandardWebhook(const std::string& secret, const std::string& id,
                           const std::string& timestamp, const std::string& signature_header,
                           const std::string& body, int64_t now_s, std::string* why = nullptr);

// A registry with build/plugins/<file> loaded by the real loader (one per
// file, kept for the whole run).
plugins::Registry& PluginRegistry(const std::string& file);
// PluginRegistry("notifiers.so").
plugins::Registry& NotifierRegistry();

// A user; returns its id.
// The default tier is pro: the tier webhooks need (issue 8).
int64_t MakeUser(store::Pool& pool, const std::string& email, const std::string& tier = "pro",
                 const std::string& timezone = "UTC");
// A strategy version and the instruments a test signal needs.
int64_t MakeStrategy(store::Pool& pool, const std::string& name,
                     const std::vector<std::string>& symbols);
store::NewSignal MakeSignal(int64_t version_id, const std::string& symbol, int day,
                            const std::string& side = "buy", double confidence = 0.8);
int64_t QueryInt(store::Pool& pool, const std::string& sql);

int64_t NowSeconds();

// A free TCP port on 127.0.0.1 (bound and released).
uint16_t FreePort();

// A child process (fork + exec) whose stdout the test can read line by
// line; killed with SIGKILL when destroyed if still running.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool running() const { return pid_ > 0; }
  int pid() const { return pid_; }
  // The next stdout line (without newline), or "" at EOF / timeout.
  std::string ReadLine(std::chrono::milliseconds timeout);
  void Signal(int sig);
  // Waits for exit; returns the raw wait status (or -1).
  int Wait();

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
};

}  // namespace sf::notify::test

#endif  // SF_TESTS_NOTIFY_NOTIFY_SUPPORT_H_
