// The live feed of one asset class (live_feed.h).
#include "market/live_feed.h"

#include <algorithm>

#include "market/time_zone.h"

namespace sf::market {

namespace {

constexpr int64_t kUsPerDay = 86'400'000'000;

std::vector<std::string> Names(const std::vector<LiveProvider>& providers) {
  std::vector<std::string> out;
  for (const auto& p : providers) out.push_back(p.name);
  return out;
}

}  // namespace

LiveFeed::LiveFeed(std::string asset_class, std::shared_ptr<const TradingCalendar> calendar,
                   std::vector<LiveProvider> providers, const BreakerOptions& breaker, QualityOptions quality,
                   std::vector<Timeframe> targets, LiveFeedCallbacks callbacks)
    : asset_class_(std::move(asset_class)),
      calendar_(std::move(calendar)),
      providers_(std::move(providers)),
      chain_(std::make_unique<ProviderChain>(asset_class_, Names(providers_), breaker, calendar_, Timeframe::k1m)),
      quality_(quality),
      callbacks_(std::move(callbacks)),
      aggregator_(calendar_, Timeframe::k1m, std::move(targets)) {}

LiveProvider* LiveFeed::Find(const std::string& name) {
  for (auto& p : providers_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

plugins::ProviderInstance* LiveFeed::Instance(const std::string& name) {
  LiveProvider* p = Find(name);
  return p ? p->instance.get() : nullptr;
}

void LiveFeed::Log(const std::string& level, const std::string& message) {
  if (callbacks_.log) callbacks_.log(level, message);
}

nlohmann::json LiveFeed::ProviderStates(int64_t now_us) const {
  nlohmann::json states = nlohmann::json::object();
  for (const auto& p : providers_) {
    const auto& br = chain_->breaker(p.name);
    states[p.name] = {{"state", BreakerStateName(br.state(now_us))},
                      {"failures", br.consecutive_failures()},
                      {"last_error", br.last_error()}};
  }
  return states;
}

void LiveFeed::BackfillHistory(int64_t now_us, int days) {
  if (days <= 0) return;
  auto name = chain_->Select(now_us);
  if (!name) return;
  Backfill(*Find(*name), "", now_us - days * kUsPerDay, now_us, Timeframe::k1d, now_us);
}

void LiveFeed::Poll(int64_t now_us) {
  auto name = chain_->Select(now_us);
  if (name) {
    active_ = *name;
    LiveProvider& provider = *Find(*name);
    int64_t newest = 0;
    BarSink sink(
        *name,
        [&](ProviderBars&& bars) -> Status {
          newest = std::max(newest, Accept(std::move(bars), /*live=*/true, now_us));
          return Status::Ok();
        },
        [&](std::vector<NewsItem>&& items) {
          if (callbacks_.news && !items.empty()) callbacks_.news(std::move(items));
        });
    Status s = provider.instance->Poll(now_us, *sink.sink());
    for (const auto& r : sink.rejections()) Log("warn", *name + " rejected " + r.what + ": " + r.reason);
    if (!s.ok()) {
      chain_->OnFailure(*name, now_us, s.ToString());
      Log("warn", asset_class_ + " poll of " + *name + " failed: " + s.ToString());
    } else {
      chain_->OnSuccess(*name, now_us, newest);
    }
    // Holes found while accepting: fetch them from the provider now serving.
    auto backfills = std::move(backfills_);
    backfills_.clear();
    for (const auto& b : backfills) {
      Backfill(provider, b.symbol, b.from_us, b.to_us - TimeframeMicros(Timeframe::k1m), Timeframe::k1m, now_us);
    }
  } else {
    active_.clear();
  }
  Release(std::max(now_us, clock_));
}

void LiveFeed::Backfill(LiveProvider& provider, const std::string& symbol, int64_t from_us, int64_t to_us,
                        Timeframe tf, int64_t now_us) {
  if (to_us <= from_us) return;
  BarSink sink(provider.name, [&](ProviderBars&& bars) -> Status {
    (void)Accept(std::move(bars), /*live=*/false, now_us);
    return Status::Ok();
  });
  sink.ExpectTimeframe(tf);
  const std::string tf_name(TimeframeName(tf));
  const char* sym = symbol.c_str();
  sf_fetch_request req{};
  req.struct_size = sizeof(req);
  req.symbols = symbol.empty() ? nullptr : &sym;
  req.symbol_count = symbol.empty() ? 0 : 1;
  req.timeframe = tf_name.c_str();
  req.from_us = from_us;
  req.to_us = to_us;
  Status s = provider.instance->FetchBars(req, *sink.sink());
  for (const auto& r : sink.rejections()) Log("warn", provider.name + " rejected " + r.what + ": " + r.reason);
  const std::string what = (symbol.empty() ? std::string("all") : symbol) + " " + tf_name + " " +
                           FormatTimestampUs(from_us) + " .. " + FormatTimestampUs(to_us);
  if (!s.ok()) {
    Log("warn", "backfill " + what + " from " + provider.name + ": " + s.ToString());
  } else {
    Log("info", "backfilled " + std::to_string(sink.bars_received()) + " bars (" + what + ") from " +
                    provider.name);
  }
}

int64_t LiveFeed::Accept(ProviderBars&& bars, bool live, int64_t now_us) {
  AssignBarEnds(&bars, *calendar_);
  QualityOptions q = quality_;
  const LiveProvider* p = Find(bars.source);
  const double speed = std::max(1.0, p ? p->speed : 1.0);
  q.now_us = std::max(now_us, clock_);
  q.max_future_us = static_cast<int64_t>(static_cast<double>(q.max_future_us) * speed);
  q.check_gaps = false;  // live holes are found by the chain and backfilled
  QualityReport report = CheckBars(&bars, *calendar_, q);
  for (const auto& issue : report.issues) {
    Log("warn", std::string(QualityRuleRejects(issue.rule) ? "rejected " : "flagged ") +
                    QualityRuleName(issue.rule) + ": " + issue.detail);
  }
  if (bars.size() == 0) return 0;
  const int64_t newest = bars.ts_end.back();
  clock_ = std::max(clock_, newest);
  if (live && bars.timeframe == Timeframe::k1m) {
    if (auto hole = chain_->OnBars(bars.symbol, bars.ts_end.front(), newest)) backfills_.push_back(*hole);
  } else if (bars.timeframe == Timeframe::k1m) {
    // Backfilled minutes move the mark too, so the hole is not asked twice.
    if (auto last = chain_->LastBarEnd(bars.symbol); !last || *last < newest) chain_->SetLastBarEnd(bars.symbol, newest);
  }
  if (callbacks_.store) callbacks_.store(bars);
  // Backfilled bars are stored only: the newer bars that revealed the hole
  // were released first, and a strategy never sees time run backwards.
  if (!live) return newest;
  // Subscribers get adjusted bars, each once it is complete.
  for (size_t i = 0; i < bars.size(); ++i) {
    const double f = bars.Factor(i);
    if (bars.timeframe == Timeframe::k1m) {
      Status s = aggregator_.Add(bars.symbol, bars.ts_end[i], bars.open[i] * f, bars.high[i] * f, bars.low[i] * f,
                                 bars.close[i] * f, bars.volume[i]);
      if (!s.ok()) Log("debug", s.message());
    } else {
      held_.push_back({bars.symbol, bars.timeframe, bars.ts_start[i], bars.ts_end[i], bars.open[i] * f,
                       bars.high[i] * f, bars.low[i] * f, bars.close[i] * f, bars.volume[i]});
    }
  }
  return newest;
}

void LiveFeed::Release(int64_t now_us) {
  std::vector<CompletedBar> out = aggregator_.Release(now_us);
  auto done = std::stable_partition(held_.begin(), held_.end(),
                                    [&](const CompletedBar& b) { return b.ts_end <= now_us; });
  out.insert(out.end(), held_.begin(), done);
  held_.erase(held_.begin(), done);
  if (callbacks_.release) {
    for (const auto& b : out) callbacks_.release(b);
  }
}

}  // namespace sf::market
