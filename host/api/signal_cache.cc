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
  std::shared_ptr<Flight> flight;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && now - it->second.stored < ttl_) {
      ++hits_;
      return it->second.body;
    }
    auto f = flights_.find(key);
    if (f != flights_.end() && f->second->generation == generation_) {
      // Someone refreshes an expired page (no NOTIFY dropped it): serve the
      // expired copy meanwhile, so an expiry never stalls the readers.
      if (it != entries_.end()) {
        ++hits_;
        return it->second.body;
      }
      // Someone builds this page for the current generation: take theirs.
      std::shared_ptr<Flight> theirs = f->second;
      flight_done_.wait_for(lock, kFlightWait, [&] { return theirs->done; });
      if (theirs->done && theirs->body) {
        ++hits_;
        return theirs->body;
      }
      // Their build failed or is stuck: build our own answer, uncached.
      lock.unlock();
      ++misses_;
      return std::make_shared<const std::string>(build());
    }
    flight = std::make_shared<Flight>();
    flight->generation = generation_;
    flights_[key] = flight;
  }
  ++misses_;
  auto finish = [&](std::shared_ptr<const std::string> body) {
    std::lock_guard<std::mutex> lock(mu_);
    flight->body = body;
    flight->done = true;
    auto f = flights_.find(key);
    if (f != flights_.end() && f->second == flight) flights_.erase(f);
    // Built before an invalidation that arrived meanwhile: serve, do not keep.
    if (body && flight->generation == generation_) {
      if (entries_.size() >= max_entries_) entries_.clear();
      entries_[key] = Entry{body, now};
    }
    flight_done_.notify_all();
  };
  std::shared_ptr<const std::string> body;
  try {
    body = std::make_shared<const std::string>(build());
  } catch (...) {
    finish(nullptr);
    throw;
  }
  finish(body);
  return body;
}

}  // namespace sf::api
