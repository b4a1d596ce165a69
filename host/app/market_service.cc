// The live market feed of `serve` (market_service.h).
#include "app/market_service.h"

#include <algorithm>
#include <chrono>

#include "app/context.h"
#include "app/store_service.h"
#include "base/logging.h"
#include "market/quality.h"
#include "market/time_zone.h"
#include "store/bars_repository.h"
#include "store/instruments_repository.h"

namespace sf::app {

using nlohmann::json;

namespace {

constexpr int64_t kUsPerDay = 86'400'000'000;
constexpr int64_t kFlushEveryUs = 10'000'000;
constexpr int64_t kFlushRows = 50'000;
constexpr size_t kNewsKept = 1000;

int64_t WallNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct MarketService::Feed {
  std::string asset_class;
  std::shared_ptr<const market::TradingCalendar> calendar;
  std::unique_ptr<market::ProviderChain> chain;
  std::map<std::string, std::unique_ptr<plugins::ProviderInstance>> instances;
  std::map<std::string, double> speed;  // simulated-clock speed per provider
  std::unique_ptr<market::BarAggregator> aggregator;
  std::vector<market::CompletedBar> held;  // provider bars not complete yet (1d...)
  std::vector<market::BackfillRequest> backfills;
  std::string active;
  std::string last_state_logged;
};

MarketService::~MarketService() { Stop(); }

void MarketService::SubscribeBars(BarFn fn) {
  std::lock_guard<std::mutex> lock(subs_mu_);
  bar_subs_.push_back(std::move(fn));
}

void MarketService::SubscribeNews(NewsFn fn) {
  std::lock_guard<std::mutex> lock(subs_mu_);
  news_subs_.push_back(std::move(fn));
}

std::vector<market::NewsItem> MarketService::RecentNews() const {
  std::lock_guard<std::mutex> lock(subs_mu_);
  return news_;
}

Status MarketService::Start(Context& ctx) {
  auto log = base::Logger("market");
  const json& cfg = ctx.config();
  auto settings = market::MarketSettingsFromConfig(cfg.contains("market") ? cfg["market"] : json::object(),
                                                   [&ctx](const std::string& p) { return ctx.ResolvePath(p); });
  if (!settings.ok()) return settings.status();
  settings_ = std::move(*settings);
  auto calendars = market::CalendarSet::LoadDirectory(settings_.calendars_dir);
  if (!calendars.ok()) return calendars.status();
  calendars_ = std::move(*calendars);
  if (!settings_.live.enabled) {
    std::lock_guard<std::mutex> lock(health_mu_);
    health_ = {{"ready", true}, {"live", false}};
    return Status::Ok();
  }
  if (settings_.live.store) {
    if (auto* store = dynamic_cast<StoreService*>(ctx.FindService("store"))) pool_ = &store->pool();
  }
  std::vector<std::string> problems;
  for (const auto& [asset_class, names] : settings_.failover) {
    auto feed = std::make_unique<Feed>();
    feed->asset_class = asset_class;
    std::vector<std::string> usable;
    for (const auto& name : names) {
      market::ProviderSpec spec = settings_.Provider(name);
      const plugins::Provider* p = ctx.plugins().FindProvider(spec.component);
      if (p == nullptr) {
        problems.push_back(asset_class + "/" + name + ": provider component '" + spec.component +
                           "' is not loaded (check plugins.directories)");
        continue;
      }
      if (p->vt.poll == nullptr) {
        problems.push_back(asset_class + "/" + name + ": provider '" + spec.component + "' has no live poll");
        continue;
      }
      auto inst = plugins::ProviderInstance::Create(*p, spec.config.dump());
      if (!inst.ok()) {
        problems.push_back(asset_class + "/" + name + ": " + inst.status().ToString());
        continue;
      }
      // Which calendar: the exchange of the first provider's instruments.
      if (!feed->calendar) {
        if (auto list = (*inst)->ListInstruments(); list.ok()) {
          json arr = json::parse(*list, nullptr, false);
          if (arr.is_array() && !arr.empty() && arr[0].contains("exchange") && arr[0]["exchange"].is_string()) {
            feed->calendar = calendars_.ForExchange(arr[0]["exchange"].get<std::string>());
          }
        }
      }
      feed->speed[name] = spec.config.value("speed", 1.0);
      feed->instances[name] = std::move(*inst);
      usable.push_back(name);
    }
    if (usable.empty()) continue;
    if (!feed->calendar) {
      feed->calendar = calendars_.Find(asset_class == "crypto" ? "crypto" : settings_.default_calendar);
    }
    if (!feed->calendar) return NotFound("market: no calendar for asset class " + asset_class);
    feed->chain = std::make_unique<market::ProviderChain>(asset_class, usable, settings_.breaker,
                                                          feed->calendar, market::Timeframe::k1m);
    std::vector<market::Timeframe> targets;
    for (auto tf : settings_.live.timeframes) {
      if (tf != market::Timeframe::k1m && tf != market::Timeframe::k1d) targets.push_back(tf);
    }
    feed->aggregator = std::make_unique<market::BarAggregator>(feed->calendar, market::Timeframe::k1m, targets);
    feeds_.push_back(std::move(feed));
  }
  for (const auto& p : problems) log->warn("market: {}", p);
  if (feeds_.empty()) {
    error_ = problems.empty() ? "market.failover lists no provider" : problems.front();
    log->error("market: no live provider available; the live feed is off ({})", error_);
  }
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    health_ = {{"ready", true}, {"live", !feeds_.empty()}};
    if (!error_.empty()) health_["error"] = error_;
  }
  if (!feeds_.empty()) thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void MarketService::Stop() {
  stop_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

json MarketService::Health() const {
  std::lock_guard<std::mutex> lock(health_mu_);
  json h = health_;
  h["bars_released"] = bars_released_.load();
  h["bars_stored"] = bars_stored_.load();
  h["store_errors"] = store_errors_.load();
  if (feed_clock_.load() > 0) h["feed_clock"] = market::FormatTimestampUs(feed_clock_.load());
  json q = json::object();
  for (int r = 0; r < market::kQualityRuleCount; ++r) {
    q[market::QualityRuleName(static_cast<market::QualityRule>(r))] =
        market::GlobalQualityCounters().Get(static_cast<market::QualityRule>(r));
  }
  h["quality"] = q;
  return h;
}

void MarketService::Run() {
  auto log = base::Logger("market");
  // Instruments and history first.
  for (auto& feed : feeds_) {
    const int64_t now = WallNow();
    auto name = feed->chain->Select(now);
    if (!name) continue;
    auto& inst = *feed->instances[*name];
    if (pool_ != nullptr) {
      if (auto list = inst.ListInstruments(); list.ok()) {
        json arr = json::parse(*list, nullptr, false);
        std::vector<store::Instrument> rows;
        for (const auto& i : arr.is_array() ? arr : json::array()) {
          if (!i.contains("symbol") || !i["symbol"].is_string() || !market::IsValidSymbol(i["symbol"])) continue;
          store::Instrument row;
          row.symbol = i["symbol"];
          if (i.contains("name") && i["name"].is_string()) row.name = i["name"].get<std::string>();
          if (i.contains("exchange") && i["exchange"].is_string()) row.exchange = i["exchange"].get<std::string>();
          if (i.contains("sector") && i["sector"].is_string() && !i["sector"].get<std::string>().empty()) {
            row.sector = i["sector"].get<std::string>();
          }
          const std::string type = i.value("type", std::string("equity"));
          row.type = (type == "crypto" || type == "forex" || type == "commodity") ? type : "equity";
          row.data_provider = inst.provider().id;
          rows.push_back(std::move(row));
        }
        Status s = store::InstrumentsRepository(pool_).UpsertAll(rows);
        if (!s.ok()) log->warn("market: storing instruments of {}: {}", *name, s.ToString());
      }
    }
    if (settings_.live.backfill_days > 0) {
      Backfill(*feed, *name, "", now - settings_.live.backfill_days * kUsPerDay, now, market::Timeframe::k1d);
    }
    if (stop_) break;
  }
  FlushStore(true);
  while (!stop_) {
    const int64_t wall = WallNow();
    for (auto& feed : feeds_) PollFeed(*feed, wall);
    FlushStore(false);
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(settings_.live.poll_interval_ms), [this] { return stop_.load(); });
  }
  FlushStore(true);
}

void MarketService::PollFeed(Feed& feed, int64_t wall) {
  auto log = base::Logger("market");
  auto name = feed.chain->Select(wall);
  json states = json::object();
  if (name) {
    feed.active = *name;
    int64_t newest = 0;
    market::BarSink sink(
        *name,
        [&](market::ProviderBars&& bars) -> Status {
          if (bars.size() > 0) newest = std::max(newest, bars.ts_end.back());
          Accept(feed, std::move(bars), /*live=*/true);
          return Status::Ok();
        },
        [&](std::vector<market::NewsItem>&& items) {
          std::vector<NewsFn> subs;
          {
            std::lock_guard<std::mutex> lock(subs_mu_);
            subs = news_subs_;
            for (const auto& n : items) news_.push_back(n);
            if (news_.size() > kNewsKept) news_.erase(news_.begin(), news_.end() - kNewsKept);
          }
          for (const auto& n : items) {
            for (const auto& fn : subs) fn(n);
          }
        });
    Status s = feed.instances[*name]->Poll(wall, *sink.sink());
    for (const auto& r : sink.rejections()) log->warn("market: {} rejected {}: {}", *name, r.what, r.reason);
    if (!s.ok()) {
      feed.chain->OnFailure(*name, wall, s.ToString());
    } else {
      feed.chain->OnSuccess(*name, wall, newest);
    }
    // Holes found while accepting: fetch them from the provider now serving.
    auto backfills = std::move(feed.backfills);
    feed.backfills.clear();
    for (const auto& b : backfills) {
      Backfill(feed, *name, b.symbol, b.from_us, b.to_us - market::TimeframeMicros(market::Timeframe::k1m),
               market::Timeframe::k1m);
    }
  } else {
    feed.active.clear();
  }
  Release(feed, std::max(wall, feed_clock_.load()));
  for (const auto& [pname, inst] : feed.instances) {
    const auto& br = feed.chain->breaker(pname);
    states[pname] = {{"state", market::BreakerStateName(br.state(wall))},
                     {"failures", br.consecutive_failures()},
                     {"last_error", br.last_error()}};
  }
  std::string summary = states.dump();
  if (summary != feed.last_state_logged) {
    log->info("market: {} providers {}", feed.asset_class, summary);
    feed.last_state_logged = summary;
  }
  std::lock_guard<std::mutex> lock(health_mu_);
  health_["providers"][feed.asset_class] = states;
  health_["active"][feed.asset_class] = feed.active.empty() ? json(nullptr) : json(feed.active);
}

void MarketService::Backfill(Feed& feed, const std::string& provider, const std::string& symbol,
                             int64_t from_us, int64_t to_us, market::Timeframe tf) {
  if (to_us <= from_us) return;
  auto log = base::Logger("market");
  market::BarSink sink(provider, [&](market::ProviderBars&& bars) -> Status {
    Accept(feed, std::move(bars), /*live=*/false);
    return stop_ ? Status(SF_ERR_CANCELLED, "market service stopping") : Status::Ok();
  });
  sink.ExpectTimeframe(tf);
  const std::string tf_name(market::TimeframeName(tf));
  const char* sym = symbol.c_str();
  sf_fetch_request req{};
  req.struct_size = sizeof(req);
  req.symbols = symbol.empty() ? nullptr : &sym;
  req.symbol_count = symbol.empty() ? 0 : 1;
  req.timeframe = tf_name.c_str();
  req.from_us = from_us;
  req.to_us = to_us;
  Status s = feed.instances[provider]->FetchBars(req, *sink.sink());
  if (!s.ok() && s.code() != SF_ERR_CANCELLED) {
    log->warn("market: backfill {} {} from {}: {}", symbol.empty() ? "all" : symbol, tf_name, provider,
              s.ToString());
  } else {
    log->info("market: backfilled {} bars ({} {}) from {}", sink.bars_received(), symbol.empty() ? "all" : symbol,
              tf_name, provider);
  }
}

void MarketService::Accept(Feed& feed, market::ProviderBars&& bars, bool live) {
  auto log = base::Logger("market");
  market::AssignBarEnds(&bars, *feed.calendar);
  market::QualityOptions q = settings_.quality;
  // A simulated market runs ahead of the wall clock by design: its clock is
  // the newest bar accepted, and the future bound scales with its speed.
  const double speed = std::max(1.0, feed.speed.count(bars.source) ? feed.speed[bars.source] : 1.0);
  q.now_us = std::max(WallNow(), feed_clock_.load());
  q.max_future_us = static_cast<int64_t>(static_cast<double>(q.max_future_us) * speed);
  q.check_gaps = false;  // live holes are found by the chain and backfilled
  market::QualityReport report = market::CheckBars(&bars, *feed.calendar, q);
  for (const auto& issue : report.issues) {
    log->warn("market: {} {}: {}", market::QualityRuleRejects(issue.rule) ? "rejected" : "flagged",
              market::QualityRuleName(issue.rule), issue.detail);
  }
  if (bars.size() == 0) return;
  const int64_t newest = bars.ts_end.back();
  int64_t clock = feed_clock_.load();
  while (newest > clock && !feed_clock_.compare_exchange_weak(clock, newest)) {
  }
  if (live && bars.timeframe == market::Timeframe::k1m) {
    if (auto hole = feed.chain->OnBars(bars.symbol, bars.ts_end.front(), newest)) {
      feed.backfills.push_back(*hole);
    }
  }
  // Store what the provider delivered (1m, 1d...), once.
  if (pool_ != nullptr) {
    auto& buf = pending_store_[{bars.symbol, bars.timeframe}];
    if (buf.symbol.empty()) {
      buf.symbol = bars.symbol;
      buf.timeframe = bars.timeframe;
      buf.source = bars.source;
    }
    for (size_t i = 0; i < bars.size(); ++i) {
      buf.ts_start.push_back(bars.ts_start[i]);
      buf.ts_end.push_back(bars.ts_end[i]);
      buf.open.push_back(bars.open[i]);
      buf.high.push_back(bars.high[i]);
      buf.low.push_back(bars.low[i]);
      buf.close.push_back(bars.close[i]);
      buf.volume.push_back(bars.volume[i]);
      buf.adj_factor.push_back(bars.Factor(i));
    }
    pending_rows_ += static_cast<int64_t>(bars.size());
  }
  if (!live) return;
  // Subscribers get adjusted bars, each once it is complete.
  for (size_t i = 0; i < bars.size(); ++i) {
    const double f = bars.Factor(i);
    if (bars.timeframe == market::Timeframe::k1m) {
      Status s = feed.aggregator->Add(bars.symbol, bars.ts_end[i], bars.open[i] * f, bars.high[i] * f,
                                      bars.low[i] * f, bars.close[i] * f, bars.volume[i]);
      if (!s.ok()) log->debug("market: {}", s.message());
    } else {
      feed.held.push_back({bars.symbol, bars.timeframe, bars.ts_start[i], bars.ts_end[i], bars.open[i] * f,
                           bars.high[i] * f, bars.low[i] * f, bars.close[i] * f, bars.volume[i]});
    }
  }
}

void MarketService::Release(Feed& feed, int64_t now) {
  std::vector<market::CompletedBar> out = feed.aggregator->Release(now);
  auto done = std::stable_partition(feed.held.begin(), feed.held.end(),
                                    [&](const market::CompletedBar& b) { return b.ts_end <= now; });
  out.insert(out.end(), feed.held.begin(), done);
  feed.held.erase(feed.held.begin(), done);
  for (const auto& b : out) {
    Deliver(b);
    // Timeframes built here (5m..4h) are stored too; provider ones already are.
    if (pool_ != nullptr && b.timeframe != market::Timeframe::k1m && b.timeframe != market::Timeframe::k1d) {
      auto& buf = pending_store_[{b.symbol, b.timeframe}];
      if (buf.symbol.empty()) {
        buf.symbol = b.symbol;
        buf.timeframe = b.timeframe;
        buf.source = "resampled";
      }
      buf.ts_start.push_back(b.ts_start);
      buf.ts_end.push_back(b.ts_end);
      buf.open.push_back(b.open);
      buf.high.push_back(b.high);
      buf.low.push_back(b.low);
      buf.close.push_back(b.close);
      buf.volume.push_back(b.volume);
      buf.adj_factor.push_back(1.0);
      ++pending_rows_;
    }
  }
}

void MarketService::Deliver(const market::CompletedBar& bar) {
  std::vector<BarFn> subs;
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    subs = bar_subs_;
  }
  for (const auto& fn : subs) fn(bar);
  bars_released_++;
}

void MarketService::FlushStore(bool force) {
  if (pool_ == nullptr || pending_store_.empty()) return;
  const int64_t now = WallNow();
  if (!force && pending_rows_ < kFlushRows && now - last_flush_us_ < kFlushEveryUs) return;
  last_flush_us_ = now;
  auto log = base::Logger("market");
  store::BarsRepository repo(pool_);
  for (auto& [key, buf] : pending_store_) {
    if (buf.size() == 0) continue;
    buf.SortByStart();
    std::vector<bool> keep(buf.size(), true);
    for (size_t i = 1; i < buf.size(); ++i) keep[i] = buf.ts_start[i] != buf.ts_start[i - 1];
    buf.Filter(keep);
    store::BarBatch batch;
    batch.symbol = buf.symbol;
    batch.timeframe = buf.timeframe;
    batch.source = buf.source;
    batch.ts_start = std::move(buf.ts_start);
    batch.ts_end = std::move(buf.ts_end);
    batch.open = std::move(buf.open);
    batch.high = std::move(buf.high);
    batch.low = std::move(buf.low);
    batch.close = std::move(buf.close);
    batch.volume = std::move(buf.volume);
    batch.adj_factor = std::move(buf.adj_factor);
    auto r = repo.Ingest(batch);
    if (!r.ok()) {
      if (store_errors_++ < 20) log->warn("market: storing {} {}: {}", batch.symbol,
                                          market::TimeframeName(batch.timeframe), r.status().ToString());
    } else {
      bars_stored_ += r->inserted + r->updated;
    }
  }
  pending_store_.clear();
  pending_rows_ = 0;
}

namespace {
const ServiceRegistrar kMarketService({kOrderMarket, "market",
                                       []() -> std::unique_ptr<Service> { return std::make_unique<MarketService>(); }});
}  // namespace

}  // namespace sf::app
