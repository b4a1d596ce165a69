#include "api/signal_cache.h"

#include <vector>

#include "store/listener.h"
#include "store/signals_repository.h"

namespace sf::api {

using Clock = std::chrono::steady_clock;

SignalListCache::SignalListCache(std::chrono::milliseconds ttl, size_t max_entries)
    : ttl_(ttl), max_entries_(max_entries) {}

SignalListCache::~SignalListCache() { Stop(); }

Status SignalListCache::Start(const std::string& conninfo) {
  if (ttl_.count() <= 0) return Status::Ok();
  listener_ = std::make_unique<store::Listener>(
      conninfo, std::vector<std::string>{store::kSignalsChannel},
      [this](const store::Notification&) { Invalidate(); });
  Status s = listener_->Start();
  if (!s.ok()) {
    listener_.reset();
    return s;
  }
  enabled_ = true;
  return Status::Ok();
}

void SignalListCache::Stop() {
  enabled_ = false;
  if (listener_) listener_->Stop();
  listener_.reset();
  Invalidate();
}

void SignalListCache::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  entries_.clear();
}

std::shared_ptr<const std::string> SignalListCache::GetOrBuild(
    const std::string& key, const std::function<std::string()>& build) {
  if (!enabled_) return std::make_shared<const std::string>(build());
  const auto now = Clock::now();
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && now - it->second.stored < ttl_) {
      ++hits_;
      return it->second.body;
    }
    generation = generation_;
  }
  ++misses_;
  auto body = std::make_shared<const std::string>(build());
  std::lock_guard<std::mutex> lock(mu_);
  // Built before an invalidation that arrived meanwhile: serve, do not keep.
  if (generation != generation_) return body;
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_[key] = Entry{body, now};
  return body;
}

}  // namespace sf::api
