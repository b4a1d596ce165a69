#include "store/listener.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include "base/logging.h"

namespace sf::store {

namespace {
PGconn* AsConn(void* p) { return static_cast<PGconn*>(p); }
}  // namespace

Listener::Listener(std::string conninfo, std::vector<std::string> channels, Callback callback)
    : conninfo_(std::move(conninfo)), channels_(std::move(channels)), callback_(std::move(callback)) {}

Listener::~Listener() { Stop(); }

Status Listener::Connect() {
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* vals[] = {conninfo_.c_str(), "3", "signalforge-listener", nullptr};
  PGconn* c = PQconnectdbParams(keys, vals, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    std::string msg = c ? PQerrorMessage(c) : "out of memory";
    if (c) PQfinish(c);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Unavailable("database unavailable: " + msg);
  }
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  for (const auto& ch : channels_) {
    bool ok = !ch.empty() && std::all_of(ch.begin(), ch.end(), [](char x) {
      return (x >= 'a' && x <= 'z') || x == '_';
    });
    if (!ok) {
      PQfinish(c);
      return InvalidArgument("listener channel '" + ch + "' must match [a-z_]+");
    }
    // Channel names are identifiers (no parameters possible); validated above.
    PGresult* r = PQexec(c, ("LISTEN " + ch).c_str());
    bool fine = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string err = PQerrorMessage(c);
    if (r) PQclear(r);
    if (!fine) {
      PQfinish(c);
      return Unavailable("database unavailable: LISTEN " + ch + " failed: " + err);
    }
  }
  if (conn_) PQfinish(AsConn(conn_));
  conn_ = c;
  connected_ = true;
  return Status::Ok();
}

Status Listener::Start() {
  if (thread_.joinable()) return Status::Ok();
  SF_RETURN_IF_ERROR(Connect());
  if (pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) return IoError("listener: pipe failed");
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Listener::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  char b = 1;
  (void)!write(wake_fds_[1], &b, 1);
  thread_.join();
  close(wake_fds_[0]);
  close(wake_fds_[1]);
  wake_fds_[0] = wake_fds_[1] = -1;
  if (conn_) PQfinish(AsConn(conn_));
  conn_ = nullptr;
  connected_ = false;
}

void Listener::Deliver(const Notification& n) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
  if (callback_) {
    try {
      callback_(n);
    } catch (const std::exception& e) {
      sf::base::Logger("store")->error("listener: callback threw: {}", e.what());
    }
  }
}

void Listener::Run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_) {
    if (!connected_) {
      Status s = Connect();
      if (!s.ok()) {
        pollfd p{wake_fds_[0], POLLIN, 0};
        poll(&p, 1, static_cast<int>(backoff.count()));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
      backoff = std::chrono::milliseconds(100);
      sf::base::Logger("store")->info("listener: reconnected");
      for (const auto& ch : channels_) Deliver({ch, "", true});
    }
    PGconn* c = AsConn(conn_);
    pollfd fds[2] = {{PQsocket(c), POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    int n = poll(fds, 2, 1000);
    if (stop_) break;
    if (n < 0) continue;
    if (n == 0) {
      // Idle: make sure the connection is still alive (a dead server does
      // not always wake poll()).
      PGresult* r = PQexec(c, "SELECT 1");
      if (r) PQclear(r);
    } else if (!PQconsumeInput(c)) {
      connected_ = false;
      continue;
    }
    if (PQstatus(c) != CONNECTION_OK) {
      connected_ = false;
      continue;
    }
    while (PGnotify* nt = PQnotifies(c)) {
      Notification note{nt->relname ? nt->relname : "", nt->extra ? nt->extra : "", false};
      PQfreemem(nt);
      Deliver(note);
    }
  }
}

uint64_t Listener::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

uint64_t Listener::WaitForNotification(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return generation_ > seen; });
  return generation_;
}

}  // namespace sf::store
