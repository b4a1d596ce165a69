#include "engine/leader.h"

#include "base/logging.h"
#include "store/pg.h"

namespace sf::engine {

LeaderElector::LeaderElector(Options options, ChangeFn on_change)
    : opt_(std::move(options)), on_change_(std::move(on_change)) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

nlohmann::json LeaderElector::Health() const {
  nlohmann::json j = {{"leader", leader_.load()}, {"instance", opt_.instance}, {"terms", terms_.load()}};
  std::lock_guard<std::mutex> lock(err_mu_);
  if (!last_error_.empty()) j["last_error"] = last_error_;
  return j;
}

void LeaderElector::SetLeader(bool leader) {
  if (leader_.exchange(leader) == leader) return;
  if (leader) terms_++;
  base::Logger("engine")->info("engine: instance {} {} the scheduler", opt_.instance,
                               leader ? "now leads" : "no longer leads");
  if (on_change_) on_change_(leader);
}

void LeaderElector::Run() {
  auto note = [this](const std::string& e) {
    std::lock_guard<std::mutex> lock(err_mu_);
    last_error_ = e;
  };
  while (!stop_) {
    if (!conn_ || conn_->broken()) {
      conn_.reset();
      SetLeader(false);
      auto c = store::Connection::Open(opt_.conninfo, 3);
      if (c.ok()) {
        conn_ = std::move(*c);
        // Keepalives let the server notice a vanished peer host quickly;
        // a dead local process closes its socket at once anyway.
        (void)conn_->Run("SET application_name = 'signalforge-leader'");
      } else {
        note(c.status().ToString());
      }
    }
    if (conn_) {
      if (leader_) {
        if (!conn_->Ping()) {
          note("leader connection lost");
          conn_.reset();
          SetLeader(false);
        }
      } else {
        auto r = conn_->Exec("SELECT pg_try_advisory_lock($1)", store::Params().Add(opt_.lock_key));
        if (r.ok()) {
          if (r->GetBool(0, 0)) SetLeader(true);
        } else {
          note(r.status().ToString());
        }
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, opt_.retry, [this] { return stop_.load(); });
  }
  // Closing the session releases the lock for the next leader right away.
  conn_.reset();
  SetLeader(false);
}

}  // namespace sf::engine
