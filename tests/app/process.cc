#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace sf::test {
namespace {

std::vector<std::string> ChildEnv(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "SIGNALFORGE_", 12) == 0) continue;
    env.emplace_back(*e);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

// fork + exec with stdout -> out_fd, stderr -> err_fd. Never returns in the child.
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const ProcessOptions& options, int out_fd, int err_fd) {
  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s = ChildEnv(options.env);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    // Signals the test runner blocked must not stay blocked in the child.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

void Decode(int status, RunResult& r) {
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    r.exit_code = -1;
    r.signal = WTERMSIG(status);
  }
}

}  // namespace

RunResult Run(const std::string& binary, const std::vector<std::string>& args,
              const ProcessOptions& options) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) std::abort();
  pid_t pid = Spawn(binary, args, options, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  RunResult r;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      r.err += "\n[test harness: timed out; killed]";
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  Decode(status, r);
  return r;
}

Server::Server(const std::string& binary, const std::vector<std::string>& args,
               const ProcessOptions& options) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) std::abort();
  char path[] = "/tmp/sf_app_test_stderr_XXXXXX";
  int err_fd = mkstemp(path);
  if (err_fd < 0) std::abort();
  err_path_ = path;
  pid_ = Spawn(binary, args, options, out[1], err_fd);
  close(out[1]);
  close(err_fd);
  out_fd_ = out[0];
}

Server::~Server() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (!err_path_.empty()) unlink(err_path_.c_str());
}

bool Server::WaitListening(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string marker = "listening on http://";
  while (std::chrono::steady_clock::now() < deadline) {
    auto at = out_.find(marker);
    if (at != std::string::npos) {
      auto eol = out_.find('\n', at);
      if (eol != std::string::npos) {
        std::string addr = out_.substr(at + marker.size(), eol - at - marker.size());
        port_ = std::atoi(addr.substr(addr.rfind(':') + 1).c_str());
        return port_ > 0;
      }
    }
    pollfd fd = {out_fd_, POLLIN, 0};
    if (poll(&fd, 1, 100) > 0) {
      char buf[1024];
      ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n > 0) {
        out_.append(buf, static_cast<size_t>(n));
        continue;
      }
      return false;  // stdout closed: the process is gone
    }
  }
  return false;
}

RunResult Server::Stop(int sig, std::chrono::seconds timeout) {
  RunResult r;
  if (pid_ <= 0) return r;
  kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      r.err = "[test harness: did not stop in time; killed]\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  Decode(status, r);
  char buf[4096];
  ssize_t n;
  int flags = fcntl(out_fd_, F_GETFL);
  fcntl(out_fd_, F_SETFL, flags | O_NONBLOCK);
  while ((n = read(out_fd_, buf, sizeof buf)) > 0) out_.append(buf, static_cast<size_t>(n));
  r.out = out_;
  r.err += err();
  return r;
}

std::string Server::err() const {
  std::ifstream in(err_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sf::test
