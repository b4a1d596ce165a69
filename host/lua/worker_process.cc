#include "lua/worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace sf::lua {
namespace {

struct FdCloser {
  int fd = -1;
  ~FdCloser() { if (fd >= 0) close(fd); }
};

}  // namespace

StatusOr<std::unique_ptr<WorkerProcess>> WorkerProcess::Spawn(const WorkerConfig& c,
                                                              int arena_fd) {
  if (access(c.worker_path.c_str(), X_OK) != 0)
    return NotFound("lua worker executable '" + c.worker_path + "' is missing or not executable");
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return IoError(std::string("socketpair: ") + strerror(errno));
  FdCloser child_sock{sv[1]};
  std::unique_ptr<WorkerProcess> w(new WorkerProcess());
  w->sock_ = sv[0];

  FdCloser progress_fd{memfd_create("sf-lua-progress", MFD_CLOEXEC)};
  if (progress_fd.fd < 0 || ftruncate(progress_fd.fd, 4096) != 0)
    return IoError(std::string("progress page: ") + strerror(errno));
  void* pm = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, progress_fd.fd, 0);
  if (pm == MAP_FAILED) return IoError(std::string("progress page mmap: ") + strerror(errno));
  w->progress_ = static_cast<volatile int32_t*>(pm);

  // Move the three fds above the target numbers first, so dup2 onto 3/4/5
  // cannot clobber one another.
  FdCloser hi[3] = {{fcntl(child_sock.fd, F_DUPFD_CLOEXEC, 64)},
                    {fcntl(arena_fd, F_DUPFD_CLOEXEC, 64)},
                    {fcntl(progress_fd.fd, F_DUPFD_CLOEXEC, 64)}};
  for (auto& h : hi)
    if (h.fd < 0) return IoError(std::string("dup: ") + strerror(errno));

  std::vector<std::string> argv_s = {c.worker_path, "--lib", c.lib_dir,
                                     "--memory-mb", std::to_string(c.memory_mb),
                                     "--max-per-symbol", std::to_string(c.max_intents_per_symbol),
                                     "--max-per-bar", std::to_string(c.max_intents_per_bar),
                                     "--atr-period", std::to_string(c.atr_period),
                                     "--backstop-s", std::to_string(c.backstop_seconds),
                                     "--models", c.models.dump()};
  for (const auto& d : c.plugin_dirs) {
    argv_s.push_back("--plugins");
    argv_s.push_back(d);
  }
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, hi[0].fd, 3);
  posix_spawn_file_actions_adddup2(&fa, hi[1].fd, 4);
  posix_spawn_file_actions_adddup2(&fa, hi[2].fd, 5);
  posix_spawn_file_actions_addclosefrom_np(&fa, 6);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int rc = posix_spawn(&pid, c.worker_path.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return IoError("posix_spawn " + c.worker_path + ": " + strerror(rc));
  w->pid_ = pid;

  const Deadline deadline = std::chrono::steady_clock::now() + c.start_timeout;
  auto hello = w->Receive(deadline);
  if (!hello.ok())
    return Status(hello.status().code(), "lua worker did not start: " + hello.status().message());
  if (!hello->value("ok", false))
    return Internal("lua worker did not start: " + hello->value("error", std::string("?")));
  w->hello_ = *hello;
  return w;
}

WorkerProcess::~WorkerProcess() {
  Kill();
  if (sock_ >= 0) close(sock_);
  if (progress_ != nullptr) munmap(const_cast<int32_t*>(progress_), 4096);
}

void WorkerProcess::Reap(bool block) {
  if (pid_ <= 0) return;
  int st = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    if (WIFEXITED(st)) {
      exit_description_ = "exited with status " + std::to_string(WEXITSTATUS(st));
    } else if (WIFSIGNALED(st)) {
      int sig = WTERMSIG(st);
      exit_description_ = "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
    }
    pid_ = -1;
  } else if (r < 0) {
    pid_ = -1;
  }
}

void WorkerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(true);
}

Status WorkerProcess::Send(MsgType type, const nlohmann::json& request) {
  if (pid_ <= 0) return Unavailable("lua worker is not running (" + exit_description_ + ")");
  return WriteMessage(sock_, type,
                      request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

StatusOr<nlohmann::json> WorkerProcess::Receive(const Deadline& deadline, std::string* data) {
  if (pid_ <= 0) return Unavailable("lua worker is not running (" + exit_description_ + ")");
  auto m = ReadMessage(sock_, &deadline);
  if (!m.ok()) {
    if (m.status().code() == SF_ERR_TIMEOUT) {
      Kill();
      return m.status();
    }
    // The peer closed: it died. Give it a moment to be reapable.
    Kill();
    return Unavailable("lua worker died: " + exit_description_);
  }
  if (data != nullptr) data->clear();
  std::string_view text = m->payload;
  if (m->type == MsgType::kReplyWithData) {
    uint32_t n = 0;
    if (text.size() < sizeof(n) ||
        (std::memcpy(&n, text.data(), sizeof(n)), text.size() - sizeof(n) < n)) {
      Kill();
      return BadData("lua worker sent a reply whose length prefix is past its end");
    }
    if (data != nullptr) data->assign(text.substr(sizeof(n) + n));
    text = text.substr(sizeof(n), n);
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    Kill();
    return BadData("lua worker sent a reply that is not JSON");
  }
  return j;
}

StatusOr<nlohmann::json> WorkerProcess::Call(MsgType type, const nlohmann::json& request,
                                             std::chrono::milliseconds budget) {
  SF_RETURN_IF_ERROR(Send(type, request));
  return Receive(std::chrono::steady_clock::now() + budget);
}

}  // namespace sf::lua
