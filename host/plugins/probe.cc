#include "plugins/probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>

#include "plugins/host_api.h"

namespace sf::plugins {
namespace {

// Records on the pipe: one tag byte, a 4-byte length, the payload.
constexpr char kStage = 'S';
constexpr char kPlugin = 'I';
constexpr char kResult = 'R';

void WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void WriteRecord(int fd, char tag, const std::string& payload) {
  char head[5];
  head[0] = tag;
  uint32_t len = static_cast<uint32_t>(payload.size());
  std::memcpy(head + 1, &len, sizeof len);
  WriteAll(fd, head, sizeof head);
  WriteAll(fd, payload.data(), payload.size());
}

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  const char* text = ::strsignal(sig);
  std::string out = abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
  if (text != nullptr) out += std::string(" (") + text + ")";
  return out;
}

[[noreturn]] void Child(int fd, const std::function<std::string(const ProbeProgress&)>& body) {
  // Let a crash be a crash: a sanitizer's or the host's own handlers would
  // turn it into an exit code and a report on the host's stderr.
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS}) {
    ::signal(sig, SIG_DFL);
  }
  struct rlimit no_core {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  SetPluginLoggingEnabled(false);
  ProbeProgress progress;
  progress.stage = [fd](const std::string& s) { WriteRecord(fd, kStage, s); };
  progress.plugin = [fd](const std::string& id) { WriteRecord(fd, kPlugin, id); };
  std::string reason = body(progress);
  WriteRecord(fd, kResult, reason);
  ::_exit(0);
}

}  // namespace

ProbeOutcome RunProbe(const std::function<std::string(const ProbeProgress&)>& body,
                      std::chrono::milliseconds timeout) {
  ProbeOutcome out;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    out.reason = std::string("probe: cannot create a pipe: ") + std::strerror(errno);
    return out;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    out.reason = std::string("probe: cannot fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return out;
  }
  if (pid == 0) {
    ::close(fds[0]);
    Child(fds[1], body);
  }
  ::close(fds[1]);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string buf;
  std::string stage = "load";
  bool have_result = false;
  bool timed_out = false;
  bool eof = false;
  while (!have_result && !eof) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pfd {fds[0], POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      break;
    }
    char chunk[4096];
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
    } else {
      buf.append(chunk, static_cast<size_t>(n));
    }
    // Consume every complete record.
    while (buf.size() >= 5) {
      uint32_t len;
      std::memcpy(&len, buf.data() + 1, sizeof len);
      if (buf.size() < 5 + size_t{len}) break;
      char tag = buf[0];
      std::string payload = buf.substr(5, len);
      buf.erase(0, 5 + size_t{len});
      if (tag == kStage) stage = payload;
      if (tag == kPlugin) out.plugin_id = payload;
      if (tag == kResult) {
        have_result = true;
        out.ok = payload.empty();
        out.reason = payload;
      }
    }
  }
  ::close(fds[0]);

  // Reap the child; a child that reported but does not exit is killed.
  int status = 0;
  bool reaped = false;
  while (!reaped) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      reaped = true;
      break;
    }
    if (w < 0 && errno != EINTR) break;
    if (timed_out || std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      reaped = true;
      if (!have_result) timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (have_result) return out;
  out.ok = false;
  if (timed_out) {
    out.reason = "timed out after " + std::to_string(timeout.count()) + " ms during " + stage +
                 " (probe process killed)";
  } else if (reaped && WIFSIGNALED(status)) {
    out.reason = "crashed with " + SignalName(WTERMSIG(status)) + " during " + stage +
                 " (probe process; the host is unaffected)";
  } else if (reaped && WIFEXITED(status)) {
    out.reason = "exited with status " + std::to_string(WEXITSTATUS(status)) + " during " +
                 stage + " (the plugin must not call exit)";
  } else {
    out.reason = "probe process ended without an answer during " + stage;
  }
  return out;
}

}  // namespace sf::plugins
