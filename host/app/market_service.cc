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
#include "store/news_repository.h"

namespace sf::app {

using nlohmann::json;

namespace {

constexpr int64_t kFlushEveryUs = 10'000'000;
constexpr int64_t kFlushRows = 50'000;
constexpr size_t kNewsKept = 1000;

int64_t WallNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

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
  // An instance of a named provider, or a problem saying why not.
  auto create = [&](const std::string& where, const std::string& name, bool need_poll)
      -> std::unique_ptr<plugins::ProviderInstance> {
    market::ProviderSpec spec = settings_.Provider(name);
    const plugins::Provider* p = ctx.plugins().FindProvider(spec.component);
    if (p == nullptr) {
      problems.push_back(where + "/" + name + ": provider component '" + spec.component +
                         "' is not loaded (check plugins.directories)");
      return nullptr;
    }
    if (need_poll && p->vt.poll == nullptr) {
      problems.push_back(where + "/" + name + ": provider '" + spec.component + "' has no live poll");
      return nullptr;
    }
    auto inst = plugins::ProviderInstance::Create(*p, spec.config.dump());
    if (!inst.ok()) {
      problems.push_back(where + "/" + name + ": " + inst.status().ToString());
      return nullptr;
    }
    return std::move(*inst);
  };
  std::vector<market::Timeframe> targets;
  for (auto tf : settings_.live.timeframes) {
    if (tf != market::Timeframe::k1m && tf != market::Timeframe::k1d) targets.push_back(tf);
  }
  market::LiveFeedCallbacks callbacks;
  callbacks.store = [this](const market::ProviderBars& bars) { StoreBars(bars); };
  callbacks.release = [this](const market::CompletedBar& bar) {
    Deliver(bar);
    // Timeframes built here (5m..4h) are stored too; provider ones already are.
    if (bar.timeframe == market::Timeframe::k1m || bar.timeframe == market::Timeframe::k1d) return;
    market::ProviderBars one;
    one.symbol = bar.symbol;
    one.timeframe = bar.timeframe;
    one.source = "resampled";
    one.ts_start = {bar.ts_start};
    one.ts_end = {bar.ts_end};
    one.open = {bar.open};
    one.high = {bar.high};
    one.low = {bar.low};
    one.close = {bar.close};
    one.volume = {bar.volume};
    StoreBars(one);
  };
  callbacks.news = [this](std::vector<market::NewsItem>&& items) { OnNews(std::move(items)); };
  callbacks.log = [log](const std::string& level, const std::string& message) {
    if (level == "warn") {
      log->warn("market: {}", message);
    } else if (level == "info") {
      log->info("market: {}", message);
    } else {
      log->debug("market: {}", message);
    }
  };
  for (const auto& [asset_class, names] : settings_.failover) {
    std::vector<market::LiveProvider> usable;
    std::shared_ptr<const market::TradingCalendar> calendar;
    for (const auto& name : names) {
      auto inst = create(asset_class, name, /*need_poll=*/true);
      if (!inst) continue;
      // Which calendar: the exchange of the first provider's instruments.
      if (!calendar) {
        if (auto list = inst->ListInstruments(); list.ok()) {
          json arr = json::parse(*list, nullptr, false);
          if (arr.is_array() && !arr.empty() && arr[0].contains("exchange") && arr[0]["exchange"].is_string()) {
            calendar = calendars_.ForExchange(arr[0]["exchange"].get<std::string>());
          }
        }
      }
      const double speed = settings_.Provider(name).config.value("speed", 1.0);
      usable.push_back({name, std::move(inst), speed});
    }
    if (usable.empty()) continue;
    if (!calendar) calendar = calendars_.Find(asset_class == "crypto" ? "crypto" : settings_.default_calendar);
    if (!calendar) return NotFound("market: no calendar for asset class " + asset_class);
    feeds_.push_back(std::make_unique<market::LiveFeed>(asset_class, calendar, std::move(usable), settings_.breaker,
                                                        settings_.quality, targets, callbacks));
  }
  for (const auto& name : settings_.live.news) {
    if (auto inst = create("live.news", name, /*need_poll=*/true)) news_sources_.push_back({name, std::move(inst), ""});
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
  if (!feeds_.empty() || !news_sources_.empty()) thread_ = std::thread([this] { Run(); });
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
  h["news_stored"] = news_stored_.load();
  h["news_duplicates"] = news_duplicates_.load();
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
    auto name = feed->chain().Select(now);
    if (!name) continue;
    auto& inst = *feed->Instance(*name);
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
    feed->BackfillHistory(now, settings_.live.backfill_days);
    if (stop_) break;
  }
  FlushStore(true);
  while (!stop_) {
    const int64_t wall = WallNow();
    for (auto& feed : feeds_) {
      feed->Poll(wall);
      int64_t clock = feed_clock_.load();
      while (feed->clock() > clock && !feed_clock_.compare_exchange_weak(clock, feed->clock())) {
      }
      json states = feed->ProviderStates(wall);
      std::lock_guard<std::mutex> lock(health_mu_);
      if (health_["providers"][feed->asset_class()] != states) {
        log->info("market: {} providers {}", feed->asset_class(), states.dump());
      }
      health_["providers"][feed->asset_class()] = states;
      health_["active"][feed->asset_class()] = feed->active().empty() ? json(nullptr) : json(feed->active());
    }
    for (auto& source : news_sources_) PollNews(source, wall);
    FlushStore(false);
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(settings_.live.poll_interval_ms), [this] { return stop_.load(); });
  }
  FlushStore(true);
}

void MarketService::PollNews(NewsSource& source, int64_t wall) {
  auto log = base::Logger("market");
  market::BarSink sink(source.name, nullptr,
                       [this](std::vector<market::NewsItem>&& items) { OnNews(std::move(items)); });
  Status s = source.instance->Poll(wall, *sink.sink());
  for (const auto& r : sink.rejections()) log->debug("market: news {} rejected {}: {}", source.name, r.what, r.reason);
  // Log a failure once, not every round.
  const std::string error = s.ok() ? std::string() : s.ToString();
  if (error != source.last_error) {
    if (!error.empty()) {
      log->warn("market: news provider {}: {}", source.name, error);
    } else {
      log->info("market: news provider {} recovered", source.name);
    }
    source.last_error = error;
  }
  std::lock_guard<std::mutex> lock(health_mu_);
  health_["news_providers"][source.name] = error.empty() ? json("ok") : json(error);
}

void MarketService::OnNews(std::vector<market::NewsItem>&& items) {
  if (items.empty()) return;
  if (pool_ != nullptr) {
    std::vector<store::NewsEvent> events;
    events.reserve(items.size());
    for (const auto& n : items) events.push_back(store::NewsEventFromItem(n));
    auto r = store::NewsRepository(pool_).Insert(events);
    auto log = base::Logger("market");
    if (!r.ok()) {
      if (store_errors_++ < 20) log->warn("market: storing {} news items: {}", events.size(), r.status().ToString());
    } else {
      news_stored_ += r->inserted;
      news_duplicates_ += r->duplicates;
      for (const auto& refusal : r->refused) log->warn("market: {} refused: {}", refusal.what, refusal.reason);
    }
  }
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
}

void MarketService::StoreBars(const market::ProviderBars& bars) {
  if (pool_ == nullptr || bars.size() == 0) return;
  auto& buf = pending_store_[{bars.symbol, bars.timeframe}];
  if (buf.symbol.empty()) {
    buf.symbol = bars.symbol;
    buf.timeframe = bars.timeframe;
    buf.source = bars.source;
  }
  buf.Append(bars);
  pending_rows_ += static_cast<int64_t>(bars.size());
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
  store::IngestOptions options;
  options.notify = true;  // the API stream's bar channel hears each series as it commits
  for (auto& [key, buf] : pending_store_) {
    if (buf.size() == 0) continue;
    buf.SortByStart();
    std::vector<bool> keep(buf.size(), true);
    for (size_t i = 1; i < buf.size(); ++i) keep[i] = buf.ts_start[i] != buf.ts_start[i - 1];
    buf.Filter(keep);
    const std::string source = buf.source;
    store::BarBatch batch = store::BarBatchFromProvider(std::move(buf), source);
    auto r = repo.Ingest(batch, options);
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
