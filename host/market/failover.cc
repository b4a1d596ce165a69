// Circuit breakers and provider chains (failover.h).
#include "market/failover.h"

#include <algorithm>

#include "market/calendar.h"

namespace sf::market {

const char* BreakerStateName(CircuitBreaker::State s) {
  switch (s) {
    case CircuitBreaker::State::kClosed: return "closed";
    case CircuitBreaker::State::kOpen: return "open";
    case CircuitBreaker::State::kHalfOpen: return "half_open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options,
                               std::shared_ptr<const TradingCalendar> calendar)
    : options_(options), calendar_(std::move(calendar)) {
  options_.failure_threshold = std::max(1, options_.failure_threshold);
  options_.half_open_probes = std::max(1, options_.half_open_probes);
  options_.probe_successes = std::max(1, options_.probe_successes);
}

CircuitBreaker::State CircuitBreaker::state(int64_t now) const {
  if (state_ == State::kOpen && now - opened_at_ >= options_.open_us) return State::kHalfOpen;
  return state_;
}

bool CircuitBreaker::Allow(int64_t now) {
  if (state_ == State::kOpen && now - opened_at_ >= options_.open_us) {
    state_ = State::kHalfOpen;
    probes_in_flight_ = 0;
    probe_successes_ = 0;
  }
  switch (state_) {
    case State::kClosed: return true;
    case State::kOpen: return false;
    case State::kHalfOpen:
      if (probes_in_flight_ >= options_.half_open_probes) return false;
      ++probes_in_flight_;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess(int64_t) {
  failures_ = 0;
  if (state_ == State::kHalfOpen) {
    probes_in_flight_ = std::max(0, probes_in_flight_ - 1);
    if (++probe_successes_ >= options_.probe_successes) state_ = State::kClosed;
  } else if (state_ == State::kOpen) {
    // A late answer from before the breaker opened; stay open.
  }
}

void CircuitBreaker::RecordFailure(int64_t now, const std::string& reason) {
  last_error_ = reason;
  ++failures_;
  if (state_ == State::kHalfOpen ||
      (state_ == State::kClosed && failures_ >= options_.failure_threshold)) {
    state_ = State::kOpen;
    opened_at_ = now;
    probes_in_flight_ = 0;
    probe_successes_ = 0;
  }
}

int64_t CircuitBreaker::OpenMicrosBetween(int64_t from, int64_t to) const {
  if (to <= from) return 0;
  if (calendar_ == nullptr || calendar_->continuous()) return to - from;
  int64_t total = 0;
  for (int64_t d = calendar_->LocalDay(from); d <= calendar_->LocalDay(to); ++d) {
    auto s = calendar_->SessionOn(d);
    if (!s) continue;
    const int64_t a = std::max(from, s->open_us), b = std::min(to, s->close_us);
    if (b > a) total += b - a;
  }
  return total;
}

void CircuitBreaker::RecordSilence(int64_t now, int64_t last_bar_end) {
  if (OpenMicrosBetween(last_bar_end, now) > options_.silence_us) {
    RecordFailure(now, "no new bars for " +
                           std::to_string(OpenMicrosBetween(last_bar_end, now) / 1'000'000) +
                           " s of open market");
  } else {
    RecordSuccess(now);
  }
}

ProviderChain::ProviderChain(std::string asset_class, std::vector<std::string> providers,
                             BreakerOptions options,
                             std::shared_ptr<const TradingCalendar> calendar, Timeframe tf)
    : asset_class_(std::move(asset_class)),
      providers_(std::move(providers)),
      calendar_(std::move(calendar)),
      timeframe_(tf) {
  for (const auto& p : providers_) breakers_.emplace(p, CircuitBreaker(options, calendar_));
}

std::optional<std::string> ProviderChain::Select(int64_t now) {
  for (const auto& p : providers_) {
    if (breakers_.at(p).Allow(now)) return p;
  }
  return std::nullopt;
}

CircuitBreaker& ProviderChain::breaker(const std::string& provider) {
  return breakers_.at(provider);
}

void ProviderChain::OnFailure(const std::string& provider, int64_t now, const std::string& reason) {
  auto it = breakers_.find(provider);
  if (it != breakers_.end()) it->second.RecordFailure(now, reason);
}

void ProviderChain::OnSuccess(const std::string& provider, int64_t now, int64_t newest) {
  auto it = breakers_.find(provider);
  if (it == breakers_.end()) return;
  newest_any_ = std::max(newest_any_, newest);
  if (newest > 0 || newest_any_ == 0) {
    it->second.RecordSuccess(now);
  } else {
    it->second.RecordSilence(now, newest_any_);
  }
}

std::optional<BackfillRequest> ProviderChain::OnBars(const std::string& symbol, int64_t first_end,
                                                     int64_t last_end) {
  std::optional<BackfillRequest> out;
  auto it = last_end_.find(symbol);
  if (it != last_end_.end() && first_end > it->second) {
    auto expected = calendar_->ExpectedBarEnds(timeframe_, it->second, first_end - 1);
    if (!expected.empty()) {
      out = BackfillRequest{symbol, it->second, first_end, static_cast<int64_t>(expected.size())};
    }
  }
  int64_t& mark = last_end_[symbol];
  mark = std::max(mark, last_end);
  newest_any_ = std::max(newest_any_, last_end);
  return out;
}

void ProviderChain::SetLastBarEnd(const std::string& symbol, int64_t end) {
  last_end_[symbol] = end;
  newest_any_ = std::max(newest_any_, end);
}

std::optional<int64_t> ProviderChain::LastBarEnd(const std::string& symbol) const {
  auto it = last_end_.find(symbol);
  if (it == last_end_.end()) return std::nullopt;
  return it->second;
}

}  // namespace sf::market
