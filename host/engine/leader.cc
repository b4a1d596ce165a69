#include "engine/leader.h"

#include "base/logging.h"
#include "store/advisory_lock.h"

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
    if (!session_) {
      SetLeader(false);
      auto c = store::AdvisoryLockSession::Open(opt_.conninfo, "signalforge-leader");
      if (c.ok()) {
        session_ = std::move(*c);
      } else {
        note(c.status().ToString());
      }
    }
    if (session_) {
      if (leader_) {
        if (!session_->Alive()) {
          note("leader connection lost");
          session_.reset();
          SetLeader(false);
        }
      } else {
        auto r = session_->TryLock(opt_.lock_key);
        if (r.ok()) {
          if (*r) SetLeader(true);
        } else {
          note(r.status().ToString());
          if (!session_->Alive()) session_.reset();
        }
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, opt_.retry, [this] { return stop_.load(); });
  }
  // Closing the session releases the lock for the next leader right away.
  session_.reset();
  SetLeader(false);
}

}  // namespace sf::engine
