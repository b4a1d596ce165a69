#include "engine/live_engine.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "base/logging.h"
#include "engine/strategy_stats.h"
#include "store/bars_repository.h"
#include "store/claims_repository.h"
#include "store/instruments_repository.h"
#include "store/performance_queries_repository.h"
#include "store/signal_lifecycle_repository.h"

namespace sf::engine {

using nlohmann::json;

namespace {

constexpr size_t kCyclesKept = 1000;
constexpr size_t kNewsKept = 2000;
constexpr int kClosesPerPrune = 50;
constexpr int64_t kClaimsKeptUs = 30 * 86'400'000'000LL;

std::string SeriesKey(const std::string& symbol, market::Timeframe tf) {
  return symbol + "@" + std::string(market::TimeframeName(tf));
}

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1);
  return v[i];
}

// Synthetic and vendor news carry a severity word; strategies score a number.
double SeverityScore(const json& extra) {
  if (!extra.contains("severity")) return 0;
  const auto& s = extra["severity"];
  if (s.is_number()) return s.get<double>();
  if (!s.is_string()) return 0;
  const std::string w = s.get<std::string>();
  if (w == "severe") return 1.0;
  if (w == "moderate") return 0.66;
  if (w == "minor") return 0.33;
  return 0;
}

store::StoredSignal StoredFrom(const TrackedSignal& t, const LifecycleStep& step) {
  store::StoredSignal s;
  s.id = t.open.id;
  s.strategy_id = t.strategy_id;
  s.symbol = t.open.symbol;
  s.side = t.open.side;
  s.timeframe = std::string(market::TimeframeName(t.timeframe));
  s.bar_ts = t.open.opened_at;
  s.expires_at = t.open.expires_at;
  s.entry_price = t.open.entry;
  s.current_price = step.exit_price;
  s.confidence = t.confidence;
  s.target_price = t.open.target;
  s.stop_price = t.open.stop;
  s.status = step.status;
  s.exit_price = step.exit_price;
  s.exit_at = step.exit_at;
  s.realized_pnl_pct = step.realized_pnl_pct;
  return s;
}

}  // namespace

json CycleReport::ToJson() const {
  return {{"timeframe", std::string(market::TimeframeName(timeframe))},
          {"bar_ts", store::FormatTimestamp(bar_ts)},
          {"symbols", symbols},
          {"complete", complete},
          {"leader", leader},
          {"cadence", cadence},
          {"evaluated", evaluated},
          {"intents", intents},
          {"signals_created", signals_created},
          {"duplicates", duplicates},
          {"rejected", rejected},
          {"closed", closed},
          {"errors", errors},
          {"latency_ms", latency_ms},
          {"strategy_ms", strategy_ms},
          {"monitor_ms", monitor_ms},
          {"claims_ms", claims_ms},
          {"commit_ms", commit_ms},
          {"features_ms", features_ms}};
}

StatusOr<std::unique_ptr<LiveEngine>> LiveEngine::Create(LiveEngineOptions options) {
  if (options.pool == nullptr) return InvalidArgument("engine: a store pool is required");
  if (options.runtime == nullptr) return InvalidArgument("engine: a strategy runtime is required");
  if (options.history_bars < 2) return InvalidArgument("engine.history_bars must be >= 2");
  if (options.instance.empty()) return InvalidArgument("engine: instance name is empty");
  return std::unique_ptr<LiveEngine>(new LiveEngine(std::move(options)));
}

LiveEngine::LiveEngine(LiveEngineOptions o)
    : opt_(std::move(o)), risk_(opt_.risk), monitor_(opt_.pool), paper_(opt_.pool), tracker_(opt_.grace) {}

LiveEngine::~LiveEngine() { Stop(); }

void LiveEngine::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LiveEngine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LiveEngine::OnBar(const market::CompletedBar& bar) {
  if ((wanted_tf_mask_.load() & (1u << static_cast<unsigned>(bar.timeframe))) == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(bar);
  }
  cv_.notify_one();
}

void LiveEngine::OnNews(const market::NewsItem& item) {
  std::lock_guard<std::mutex> lock(mu_);
  news_.push_back(item);
  if (news_.size() > kNewsKept) news_.pop_front();
}

void LiveEngine::OnLeadershipChange(bool leader) {
  if (leader) need_recovery_ = true;
  cv_.notify_one();
}

void LiveEngine::Run() {
  while (!stop_) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto deadline = tracker_.NextDeadline();
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(250);
      if (deadline && *deadline < until) until = *deadline;
      cv_.wait_until(lock, until, [this] { return stop_.load() || !queue_.empty(); });
      if (stop_) break;
    }
    try {
      ProcessPending(false);
    } catch (const std::exception& e) {
      // Nothing a bar does may take the host down; report and carry on.
      base::Logger("engine")->error("engine: bar processing failed: {}", e.what());
      std::lock_guard<std::mutex> lock(stats_mu_);
      ++errors_;
      last_error_ = e.what();
    }
  }
}

const market::BarSeries* LiveEngine::Series(const std::string& symbol, market::Timeframe tf) const {
  auto it = series_.find(SeriesKey(symbol, tf));
  return it == series_.end() ? nullptr : &it->second;
}

void LiveEngine::AddBar(const market::CompletedBar& bar) {
  const std::string key = SeriesKey(bar.symbol, bar.timeframe);
  auto it = series_.find(key);
  if (it == series_.end()) {
    // First sight: the history stored so far, so strategies start warm.
    market::BarSeries s;
    s.symbol = bar.symbol;
    s.timeframe = bar.timeframe;
    const int64_t span = market::TimeframeMicros(bar.timeframe) * opt_.history_bars * 2;
    auto stored = store::BarsRepository(opt_.pool).Load(bar.symbol, bar.timeframe, bar.ts_end - span, bar.ts_end - 1);
    if (stored.ok()) {
      s = std::move(*stored);
      if (s.size() > static_cast<size_t>(opt_.history_bars)) {
        const size_t drop = s.size() - opt_.history_bars;
        for (auto* v : {&s.open, &s.high, &s.low, &s.close, &s.volume}) v->erase(v->begin(), v->begin() + drop);
        s.ts.erase(s.ts.begin(), s.ts.begin() + drop);
      }
    }
    it = series_.emplace(key, std::move(s)).first;
  }
  market::BarSeries& s = it->second;
  if (s.size() > 0 && bar.ts_end <= s.ts.back()) return;  // already have it
  s.Append(bar.ts_end, bar.open, bar.high, bar.low, bar.close, bar.volume);
  if (s.size() > static_cast<size_t>(opt_.history_bars) * 2) {
    const size_t drop = s.size() - opt_.history_bars;
    for (auto* v : {&s.open, &s.high, &s.low, &s.close, &s.volume}) v->erase(v->begin(), v->begin() + drop);
    s.ts.erase(s.ts.begin(), s.ts.begin() + drop);
  }
  tracker_.Add(bar.symbol, bar.timeframe, bar.ts_end, std::chrono::steady_clock::now());
}

std::vector<CycleReport> LiveEngine::ProcessPending(bool force) {
  std::deque<market::CompletedBar> bars;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bars.swap(queue_);
  }
  for (const auto& b : bars) AddBar(b);
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    bars_received_ += static_cast<int64_t>(bars.size());
  }
  auto now = std::chrono::steady_clock::now();
  if (force) now += std::chrono::hours(24 * 365);
  std::vector<CycleReport> reports;
  for (const DueBar& due : tracker_.TakeDue(now)) {
    CycleReport r = CloseBar(due);
    RecordCycle(r);
    reports.push_back(r);
  }
  if (Leading()) {
    for (auto& r : RunCadence()) {
      RecordCycle(r);
      reports.push_back(std::move(r));
    }
  }
  if (reports.empty() && Leading() && need_recovery_) (void)Recover();
  return reports;
}

void LiveEngine::UpdateCadences(int64_t now_us) {
  auto log = base::Logger("engine");
  for (const auto& st : opt_.runtime->Statuses()) {
    if (st.name.empty()) continue;
    const std::string stem = std::filesystem::path(st.file).stem().string();
    json spec;
    std::string where;
    if (opt_.cadence.is_object() && opt_.cadence.contains(stem)) {
      spec = opt_.cadence[stem];
      where = "engine.cadence." + stem;
    } else if (opt_.cadence.is_object() && opt_.cadence.contains(st.name)) {
      spec = opt_.cadence[st.name];
      where = "engine.cadence." + st.name;
    } else if (st.declaration.is_object() && st.declaration.contains("cadence")) {
      spec = st.declaration["cadence"];
      where = st.file + ": declaration field 'cadence'";
    }
    if (st.state != "running" || spec.is_null()) {
      cadence_.Set(st.name, std::nullopt, now_us);
      continue;
    }
    auto c = ParseCadence(spec, where);
    if (!c.ok()) {
      if (cadence_errors_.insert(c.status().message()).second)
        log->error("engine: {} (strategy {} runs on bar closes only)", c.status().message(), st.name);
      cadence_.Set(st.name, std::nullopt, now_us);
      continue;
    }
    cadence_.Set(st.name, *c, now_us);
  }
}

std::vector<CycleReport> LiveEngine::RunCadence() {
  std::vector<CycleReport> reports;
  const int64_t now = opt_.clock ? opt_.clock() : NowUs();
  UpdateCadences(now);
  if (cadence_.empty()) return reports;
  const auto due = cadence_.TakeDue(now, opt_.market_open);
  if (due.empty()) return reports;
  if (need_recovery_ || !recovered_) (void)Recover();
  // Group the due strategies by (timeframe, tick).
  std::map<std::pair<market::Timeframe, int64_t>, std::vector<StrategyRef>> groups;
  for (const auto& [name, tick] : due) {
    for (const auto tf : {market::Timeframe::k1m, market::Timeframe::k5m, market::Timeframe::k15m,
                          market::Timeframe::k1h, market::Timeframe::k4h, market::Timeframe::k1d}) {
      CycleReport scratch;
      for (const auto& ref : SyncStrategies(tf, &scratch))
        if (ref.name == name) groups[{tf, tick}].push_back(ref);
    }
  }
  for (const auto& [key, strategies] : groups) {
    const auto t0 = std::chrono::steady_clock::now();
    CycleReport report;
    report.timeframe = key.first;
    report.bar_ts = key.second;
    report.cadence = true;
    report.leader = true;
    std::vector<std::string> symbols;
    for (const auto& [k, s] : series_)
      if (s.timeframe == key.first && s.size() > 0 && s.ts.back() <= key.second) symbols.push_back(s.symbol);
    report.symbols = static_cast<int>(symbols.size());
    report.complete = true;
    bool unknown = false;
    for (const auto& sym : symbols) unknown = unknown || !instrument_ids_.count(sym);
    if (unknown) RefreshInstruments();
    std::set<std::string> closed_strategies;
    auto claiming = StartClaim(strategies, symbols, key.first, key.second, &report);
    if (claiming.valid()) {
      // Feature sets as of the timeframe's newest bar close (a tick has no bar of its own).
      const json& latest = last_features_[key.first];
      EvaluateClaimed(claiming.get(), strategies, key.first, key.second, false, [&latest] { return latest; },
                      &report, &closed_strategies);
    }
    report.latency_ms = MsSince(t0);
    if (report.signals_created || report.rejected) {
      base::Logger("engine")->info("engine: cadence tick {} {}: {} symbols, {} intents, {} signals, {} rejected",
                                   market::TimeframeName(key.first), store::FormatTimestamp(key.second),
                                   report.symbols, report.intents, report.signals_created, report.rejected);
    }
    reports.push_back(report);
  }
  return reports;
}

Status LiveEngine::Recover() {
  need_recovery_ = false;
  auto log = base::Logger("engine");
  auto closes = monitor_.Recover(
      [this](const std::string& sym, market::Timeframe tf) { return Series(sym, tf); }, NowUs());
  if (!closes.ok()) {
    need_recovery_ = true;
    log->warn("engine: recovery failed (retrying on the next bar): {}", closes.status().ToString());
    return closes.status();
  }
  std::set<std::string> closed_strategies;
  for (const auto& c : *closes) AfterClose(c, &closed_strategies);
  // The house portfolio's realized result and its peak, from closed signals in exit order.
  auto closed = store::PerformanceQueriesRepository(opt_.pool).ClosedSignals();
  if (closed.ok()) {
    double cum = 0, peak = 0;
    for (const auto& c : *closed) {
      cum += c.size_pct * c.return_pct / 100;
      peak = std::max(peak, cum);
    }
    realized_pct_ = cum;
    peak_equity_ = 100 * (1 + peak / 100);
  }
  if (!closed_strategies.empty()) {
    std::vector<const market::BarSeries*> universe;
    for (const auto& [k, s] : series_) universe.push_back(&s);
    auto saved = RefreshStrategyPerformance(opt_.pool, EqualWeightIndex(universe), NowUs());
    if (!saved.ok()) log->warn("engine: performance statistics: {}", saved.status().ToString());
  }
  recovered_ = true;
  UpdateWantedTimeframes();
  log->info("engine: recovery done: {} active signals, {} closed while away", monitor_.active().size(),
            closes->size());
  return Status::Ok();
}

void LiveEngine::UpdateWantedTimeframes() {
  uint32_t mask = 0;
  for (const auto& st : opt_.runtime->Statuses()) {
    if (st.state != "running" || !st.declaration.contains("timeframe")) continue;
    if (auto tf = market::ParseTimeframe(st.declaration["timeframe"].get<std::string>()))
      mask |= 1u << static_cast<unsigned>(*tf);
  }
  for (const auto& [id, t] : monitor_.active()) mask |= 1u << static_cast<unsigned>(t.timeframe);
  if (opt_.paper) mask |= 1u << static_cast<unsigned>(opt_.mark_timeframe);
  wanted_tf_mask_ = mask;
}

void LiveEngine::RefreshInstruments() {
  auto list = store::InstrumentsRepository(opt_.pool).List();
  if (!list.ok()) return;
  for (const auto& i : *list) {
    instrument_ids_[i.symbol] = i.id;
    lua::InstrumentInfo info{i.type, i.sector.value_or(""), i.name.value_or("")};
    auto it = instruments_.find(i.symbol);
    if (it != instruments_.end() && it->second.sector == info.sector && it->second.type == info.type) continue;
    instruments_[i.symbol] = info;
    opt_.runtime->SetInstrument(i.symbol, info);
  }
}

std::vector<LiveEngine::StrategyRef> LiveEngine::SyncStrategies(market::Timeframe tf, CycleReport* report) {
  std::vector<StrategyRef> out;
  auto log = base::Logger("engine");
  size_t running = 0;
  for (const auto& st : opt_.runtime->Statuses()) {
    if (st.state != "running") continue;
    ++running;
    auto tfs = st.declaration.contains("timeframe") && st.declaration["timeframe"].is_string()
                   ? market::ParseTimeframe(st.declaration["timeframe"].get<std::string>())
                   : std::nullopt;
    if (!tfs) continue;
    auto it = versions_.find(st.version);
    if (it == versions_.end()) {
      json params = json::object();
      if (st.declaration.contains("params") && st.declaration["params"].is_object()) {
        for (const auto& [k, p] : st.declaration["params"].items())
          if (p.is_object() && p.contains("value")) params[k] = p["value"];
      }
      const std::string source = opt_.runtime->VersionSource(st.version).value_or("");
      auto ref = store::StrategiesRepository(opt_.pool).EnsureVersion(st.name, st.version, source, params);
      if (!ref.ok()) {
        log->warn("engine: recording version {} of {}: {}", st.version.substr(0, 12), st.name,
                  ref.status().ToString());
        ++report->errors;
        continue;
      }
      it = versions_.emplace(st.version, StrategyRef{st.name, ref->strategy_id, ref->version_id, *tfs}).first;
    }
    if (it->second.timeframe == tf) out.push_back(it->second);
  }
  std::lock_guard<std::mutex> lock(stats_mu_);
  strategies_ = running;
  return out;
}

std::vector<double> LiveEngine::Returns(const std::string& symbol, market::Timeframe tf) const {
  std::vector<double> r;
  const market::BarSeries* s = Series(symbol, tf);
  if (s == nullptr || s->size() < 2) return r;
  const size_t n = std::min<size_t>(s->size() - 1, static_cast<size_t>(opt_.returns_lookback));
  r.reserve(n);
  for (size_t i = s->size() - n; i < s->size(); ++i) r.push_back(s->close[i] / s->close[i - 1] - 1);
  return r;
}

PortfolioState LiveEngine::HousePortfolio() const {
  PortfolioState p;
  p.equity = 100 * (1 + (realized_pct_ + monitor_.UnrealizedContributionPct()) / 100);
  p.peak_equity = std::max(peak_equity_, p.equity);
  for (const auto& [id, t] : monitor_.active())
    p.positions.push_back({t.open.symbol, t.open.side, t.sector, t.size_pct, Returns(t.open.symbol, t.timeframe)});
  return p;
}

double LiveEngine::Mark(const std::string& symbol) const {
  const market::BarSeries* s = Series(symbol, opt_.mark_timeframe);
  return s != nullptr && s->size() > 0 ? s->close.back() : 0.0;
}

json LiveEngine::ExtrasFor(const std::vector<std::string>& symbols, market::Timeframe tf, int64_t bar_ts,
                          json features) {
  json extras = json::object();
  if (features.is_object()) {
    for (auto& [sym, sets] : features.items())
      if (sets.is_object()) extras[sym]["features"] = std::move(sets);
  }
  const int64_t from = bar_ts - market::TimeframeMicros(tf);
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> wanted(symbols.begin(), symbols.end());
    for (const auto& n : news_) {
      if (n.published_us <= from || n.published_us > bar_ts) continue;
      json extra = json::parse(n.extra_json.empty() ? "{}" : n.extra_json, nullptr, false);
      if (!extra.is_object()) extra = json::object();
      json item = {{"title", n.title},
                   {"source", n.source},
                   {"url", n.url},
                   {"published", static_cast<double>(n.published_us) / 1e6},
                   {"severity", SeverityScore(extra)},
                   {"credibility", extra.value("credibility", 0.8)},
                   {"kind", extra.value("kind", std::string())}};
      // symbols: comma-separated list on the item.
      size_t pos = 0;
      while (pos <= n.symbols.size()) {
        size_t end = n.symbols.find(',', pos);
        if (end == std::string::npos) end = n.symbols.size();
        std::string sym = n.symbols.substr(pos, end - pos);
        if (wanted.count(sym)) extras[sym]["news"].push_back(item);
        pos = end + 1;
      }
    }
  }
  for (const auto& [id, t] : monitor_.active()) {
    extras[t.open.symbol]["positions"].push_back(
        {{"strategy", t.strategy}, {"side", t.open.side}, {"entry", t.open.entry}, {"signal_id", t.open.id}});
  }
  return extras;
}

void LiveEngine::AfterClose(const MonitorClose& c, std::set<std::string>* closed_strategies) {
  closed_strategies->insert(c.signal.strategy);
  realized_pct_ += c.signal.size_pct * c.step.realized_pnl_pct / 100;
  auto log = base::Logger("engine");
  if (opt_.paper) {
    auto n = paper_.OnClose(c.signal.open.id, c.step.exit_price, c.step.exit_at);
    if (!n.ok()) log->warn("engine: paper close of {}: {}", c.signal.open.id, n.status().ToString());
  }
  if (opt_.on_close) opt_.on_close(StoredFrom(c.signal, c.step), c.signal.strategy);
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++closes_;
}

void LiveEngine::HandleIntent(const lua::Intent& intent, const StrategyRef& ref, const market::BarSeries& series,
                              CycleReport* report, std::vector<store::NewRejection>* rejections,
                              std::set<std::string>* closed_strategies) {
  auto log = base::Logger("engine");
  const double close = series.close.back();
  // An opposite signal of the same strategy is its exit: close the open one
  // at this bar's close before judging the new one.
  if (const TrackedSignal* open = monitor_.Find(ref.strategy_id, intent.symbol);
      open != nullptr && open->open.side != intent.side) {
    auto c = monitor_.CloseOpposite(open->open.id, intent.bar_ts, close);
    if (c.ok()) {
      AfterClose(*c, closed_strategies);
      ++report->closed;
    } else {
      log->warn("engine: closing {} on an opposite signal: {}", open->open.id, c.status().ToString());
      ++report->errors;
    }
  }
  Candidate cand;
  cand.symbol = intent.symbol;
  cand.side = intent.side;
  auto inst = instruments_.find(intent.symbol);
  cand.sector = inst == instruments_.end() ? "" : inst->second.sector;
  cand.confidence = intent.confidence;
  cand.entry = intent.entry;
  cand.target = intent.target;
  cand.stop = intent.stop;
  cand.returns = Returns(intent.symbol, intent.timeframe);
  const RiskDecision d = risk_.Evaluate(cand, HousePortfolio());
  if (!d.accepted) {
    json detail = d.ToJson();
    detail["strategy"] = ref.name;
    detail["confidence"] = intent.confidence;
    detail["entry"] = intent.entry;
    rejections->push_back({ref.version_id, intent.symbol, intent.bar_ts, intent.side, d.rule, detail});
    ++report->rejected;
    return;
  }
  store::NewSignal ns;
  ns.strategy_version_id = ref.version_id;
  ns.symbol = intent.symbol;
  ns.side = intent.side;
  ns.timeframe = intent.timeframe;
  ns.bar_ts = intent.bar_ts;
  if (intent.expires_at > intent.bar_ts) ns.expires_at = intent.expires_at;
  ns.entry_price = intent.entry;
  ns.current_price = close;
  ns.target_price = intent.target;
  ns.stop_price = intent.stop;
  ns.risk_reward = d.risk_reward;
  ns.position_size_pct = std::min(100.0, d.size_pct);
  ns.max_risk_pct = std::min(100.0, d.risk_pct);
  ns.confidence = intent.confidence;
  ns.features = intent.features.is_object() ? intent.features : json::object();
  ns.model_attribution = {{"strategy_version", intent.version}};
  ns.summary = intent.summary;
  std::vector<store::OutboxItem> outbox;
  bool have_outbox = false;
  if (opt_.outbox) {
    auto o = opt_.outbox(ns, ref.name);
    if (o.ok()) {
      outbox = std::move(*o);
      have_outbox = true;
    } else {
      log->warn("engine: outbox rules for {} {}: {} (logging the signal instead)", ref.name, intent.symbol,
                o.status().ToString());
    }
  }
  if (!have_outbox) {
    store::OutboxItem item;
    item.channel = "log";
    item.payload = {{"strategy", ref.name},      {"symbol", ns.symbol},   {"side", ns.side},
                    {"entry", ns.entry_price},   {"target", intent.target}, {"stop", intent.stop},
                    {"confidence", ns.confidence}, {"summary", ns.summary},
                    {"timeframe", std::string(market::TimeframeName(ns.timeframe))},
                    {"bar_ts", store::FormatTimestamp(ns.bar_ts)}};
    outbox.push_back(std::move(item));
  }
  auto res = store::SignalsRepository(opt_.pool).InsertSignalWithOutbox(ns, outbox);
  if (!res.ok()) {
    log->error("engine: storing the {} signal of {} on {}: {}", intent.side, ref.name, intent.symbol,
               res.status().ToString());
    ++report->errors;
    return;
  }
  if (!res->created) {
    ++report->duplicates;
    return;
  }
  ++report->signals_created;
  log->info("engine: signal {} {} {} {} entry {:.2f} target {:.2f} stop {:.2f} conf {:.2f} size {:.1f}%",
            res->signal_id, ref.name, intent.side, intent.symbol, intent.entry, intent.target, intent.stop,
            intent.confidence, d.size_pct);
  TrackedSignal t;
  t.open.id = res->signal_id;
  t.open.symbol = intent.symbol;
  t.open.side = intent.side;
  t.open.entry = intent.entry;
  t.open.target = intent.target;
  t.open.stop = intent.stop;
  t.open.expires_at = ns.expires_at;
  t.open.opened_at = intent.bar_ts;
  t.open.last_price = close;
  t.strategy_id = ref.strategy_id;
  t.strategy = ref.name;
  t.timeframe = intent.timeframe;
  t.sector = cand.sector;
  t.size_pct = *ns.position_size_pct;
  t.confidence = intent.confidence;
  monitor_.Track(t);
  if (opt_.paper) {
    PaperSignal ps{res->signal_id, ref.name, intent.symbol, intent.side, cand.sector,
                   intent.confidence, intent.entry, *ns.position_size_pct, intent.bar_ts};
    auto n = paper_.OnSignal(ps, [this](const std::string& s) { return Mark(s); });
    if (!n.ok()) log->warn("engine: paper portfolios for {}: {}", res->signal_id, n.status().ToString());
  }
}

std::future<StatusOr<std::unique_ptr<store::Claim>>> LiveEngine::StartClaim(
    const std::vector<StrategyRef>& strategies, const std::vector<std::string>& symbols, market::Timeframe tf,
    int64_t ts, CycleReport* report) {
  if (strategies.empty() || symbols.empty()) return {};
  std::vector<int64_t> ids;
  for (const auto& s : strategies) ids.push_back(s.strategy_id);
  std::vector<store::ClaimInstrument> instruments;
  for (const auto& sym : symbols) {
    auto it = instrument_ids_.find(sym);  // symbols without an instrument row are not evaluated
    if (it != instrument_ids_.end()) instruments.push_back({sym, it->second});
  }
  return std::async(std::launch::async,
                    [this, ids = std::move(ids), instruments = std::move(instruments), tf, ts, report] {
                      const auto c0 = std::chrono::steady_clock::now();
                      auto claim = store::ClaimsRepository(opt_.pool).ClaimBar(ids, instruments, tf, ts, opt_.instance);
                      report->claims_ms = MsSince(c0);
                      return claim;
                    });
}

void LiveEngine::EvaluateClaimed(StatusOr<std::unique_ptr<store::Claim>> claim,
                                 const std::vector<StrategyRef>& strategies, market::Timeframe tf, int64_t ts,
                                 bool at_bar, const std::function<json()>& features, CycleReport* report,
                                 std::set<std::string>* closed_strategies) {
  auto log = base::Logger("engine");
  std::vector<store::NewRejection> rejections;
  {
    store::ClaimsRepository claims(opt_.pool);
    if (!claim.ok()) {
      log->error("engine: claiming {} {}: {}", market::TimeframeName(tf),
                 store::FormatTimestamp(ts), claim.status().ToString());
      ++report->errors;
    } else {
      std::set<std::pair<int64_t, std::string>> mine;
      std::set<std::string> eval_set;
      for (const auto& k : (*claim)->keys()) {
        mine.insert({k.strategy_id, k.symbol});
        const market::BarSeries* s = Series(k.symbol, tf);
        if (s != nullptr && s->size() > 0 && (!at_bar || s->ts.back() == ts)) eval_set.insert(k.symbol);
      }
      std::vector<std::string> eval(eval_set.begin(), eval_set.end());
      // Only the strategies whose work this instance claimed run evaluate
      // (another one's, or one without a cadence tick, must not: evaluate
      // may change its state).
      std::set<int64_t> claimed;
      for (const auto& k : mine) claimed.insert(k.first);
      std::vector<std::string> names;
      for (const auto& s : strategies)
        if (claimed.count(s.strategy_id)) names.push_back(s.name);
      if (names.empty()) eval.clear();
      report->evaluated = static_cast<int>(eval.size());
      auto w0 = std::chrono::steady_clock::now();
      if (!eval.empty()) {
        lua::BarClose bc{tf, ts, eval, ExtrasFor(eval, tf, ts, features())};
        const auto s0 = std::chrono::steady_clock::now();
        lua::BarResult r = opt_.runtime->OnBarClose(bc, names);
        report->strategy_ms = MsSince(s0);
        w0 = std::chrono::steady_clock::now();
        for (const auto& e : r.errors) {
          log->warn("engine: {} {}: {}", e.strategy, e.symbol, e.message);
          ++report->errors;
        }
        for (const auto& line : r.logs) log->info("engine: strategy log {}", line);
        std::map<std::string, const StrategyRef*> by_name;
        for (const auto& s : strategies) by_name[s.name] = &s;
        for (const auto& p : r.rejected) {
          auto it = by_name.find(p.strategy);
          rejections.push_back({it == by_name.end() ? std::nullopt : std::optional<int64_t>(it->second->version_id),
                                p.symbol, ts, std::nullopt, "invalid_intent",
                                json{{"reason", p.message}, {"strategy", p.strategy}}});
          ++report->rejected;
        }
        // Most confident first: with limited capacity the best intents win.
        std::vector<const lua::Intent*> intents;
        for (const auto& i : r.intents) intents.push_back(&i);
        std::stable_sort(intents.begin(), intents.end(),
                         [](const lua::Intent* a, const lua::Intent* b) { return a->confidence > b->confidence; });
        for (const lua::Intent* i : intents) {
          auto it = by_name.find(i->strategy);
          if (it == by_name.end() || !mine.count({it->second->strategy_id, i->symbol})) continue;
          const market::BarSeries* s = Series(i->symbol, tf);
          if (s == nullptr || s->size() == 0) continue;
          ++report->intents;
          HandleIntent(*i, *it->second, *s, report, &rejections, closed_strategies);
        }
      }
      if (!rejections.empty()) {
        auto n = store::RejectionsRepository(opt_.pool).Record(rejections);
        if (!n.ok()) {
          log->warn("engine: recording {} rejections: {}", rejections.size(), n.status().ToString());
          ++report->errors;
        }
      }
      Status done = (*claim)->Complete();
      if (!done.ok()) {
        log->warn("engine: completing claims: {}", done.ToString());
        ++report->errors;
      }
      report->commit_ms = MsSince(w0);
      // Finished claims only matter while a bar can still be re-run.
      if (--closes_until_prune_ <= 0) {
        closes_until_prune_ = kClosesPerPrune;
        auto pruned = claims.Prune(ts - kClaimsKeptUs);
        if (!pruned.ok()) log->warn("engine: pruning claims: {}", pruned.status().ToString());
      }
    }
  }

}

CycleReport LiveEngine::CloseBar(const DueBar& due) {
  const auto t0 = std::chrono::steady_clock::now();
  auto log = base::Logger("engine");
  CycleReport report;
  report.timeframe = due.timeframe;
  report.bar_ts = due.bar_ts;
  report.symbols = static_cast<int>(due.symbols.size());
  report.complete = due.complete;
  // Symbols whose newest bar is this one (a straggler from an older bar
  // that arrives after a newer one is not evaluated: its series moved on).
  std::vector<std::string> fresh;
  for (const auto& sym : due.symbols) {
    const market::BarSeries* s = Series(sym, due.timeframe);
    if (s != nullptr && s->size() > 0 && s->ts.back() == due.bar_ts) fresh.push_back(sym);
  }
  report.leader = Leading();
  if (report.leader) {
    bool unknown = false;
    for (const auto& sym : fresh) unknown = unknown || !instrument_ids_.count(sym);
    if (unknown) RefreshInstruments();
  }
  // Host feature sets (regime_v1...) compute while the series go to the
  // strategies and the store works below; series_ does not change meanwhile.
  std::future<json> features;
  if (report.leader && opt_.bar_features && !fresh.empty()) {
    BarFeaturesInput in{due.timeframe, due.bar_ts, fresh, {}, {}};
    for (const auto& [k, s] : series_) {
      if (s.timeframe != due.timeframe || s.size() == 0) continue;
      auto inst = instruments_.find(s.symbol);
      in.universe.push_back(&s);
      in.sectors.push_back(inst == instruments_.end() ? "" : inst->second.sector);
    }
    features = std::async(std::launch::async, [this, in = std::move(in), &report] {
      const auto f0 = std::chrono::steady_clock::now();
      json out = opt_.bar_features(in);
      report.features_ms = MsSince(f0);
      return out;
    });
  }
  std::vector<std::string> ready;
  for (const auto& sym : fresh) {
    Status st = opt_.runtime->UpdateSeries(*Series(sym, due.timeframe));
    if (!st.ok()) {
      ++report.errors;
      log->warn("engine: series {} to the strategies: {}", sym, st.ToString());
      continue;
    }
    ready.push_back(sym);
  }
  if (!report.leader) {
    report.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return report;
  }
  if (need_recovery_ || !recovered_) (void)Recover();
  auto take_features = [&]() -> json {
    if (!features.valid()) return json::object();
    try {
      json f = features.get();
      last_features_[due.timeframe] = f;  // what cadence ticks of this timeframe read
      return f;
    } catch (const std::exception& e) {
      log->warn("engine: feature sets for {} {}: {}", market::TimeframeName(due.timeframe),
                store::FormatTimestamp(due.bar_ts), e.what());
      ++report.errors;
      return json::object();
    }
  };

  // The bar's work is claimed (its own connection) while the monitor works.
  std::vector<StrategyRef> strategies = SyncStrategies(due.timeframe, &report);
  auto claiming = StartClaim(strategies, ready, due.timeframe, due.bar_ts, &report);

  // 1. Open signals see the bar first: a stop hit on this bar closes before
  //    any new signal is judged against the portfolio.
  std::set<std::string> closed_strategies;
  const auto m0 = std::chrono::steady_clock::now();
  {
    std::vector<const market::BarSeries*> bars;
    bars.reserve(ready.size());
    for (const auto& sym : ready) bars.push_back(Series(sym, due.timeframe));
    for (const auto& c : monitor_.OnBars(bars)) {
      AfterClose(c, &closed_strategies);
      ++report.closed;
    }
  }
  report.monitor_ms = MsSince(m0);

  // 2. Strategies of this timeframe, on the work this instance claimed.
  if (claiming.valid()) {
    EvaluateClaimed(claiming.get(), strategies, due.timeframe, due.bar_ts, true, take_features, &report,
                    &closed_strategies);
  }
  if (features.valid()) (void)take_features();  // not evaluated (no work claimed): still joined here

  // 3. Paper portfolios marked at this bar; 4. statistics of strategies whose signals closed.
  if (opt_.paper && due.timeframe == opt_.mark_timeframe) {
    Status s = paper_.MarkToMarket(due.bar_ts, [this](const std::string& sym) { return Mark(sym); });
    if (!s.ok()) log->warn("engine: paper mark-to-market: {}", s.ToString());
  }
  report.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!closed_strategies.empty()) {
    std::vector<const market::BarSeries*> universe;
    for (const auto& [k, s] : series_)
      if (s.timeframe == market::Timeframe::k1d) universe.push_back(&s);
    const auto benchmark = EqualWeightIndex(universe);
    for (const auto& name : closed_strategies) {
      auto saved = RefreshStrategyPerformance(opt_.pool, benchmark, due.bar_ts, name);
      if (!saved.ok()) log->warn("engine: performance of {}: {}", name, saved.status().ToString());
    }
  }
  UpdateWantedTimeframes();
  if (report.signals_created || report.closed || report.rejected) {
    log->info("engine: bar {} {}: {} symbols, {} evaluated, {} intents, {} signals, {} rejected, {} closed, {:.1f} ms",
              market::TimeframeName(due.timeframe), store::FormatTimestamp(due.bar_ts), report.symbols,
              report.evaluated, report.intents, report.signals_created, report.rejected, report.closed,
              report.latency_ms);
  }
  return report;
}

void LiveEngine::RecordCycle(const CycleReport& r) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++bar_closes_;
  signals_created_ += r.signals_created;
  rejections_ += r.rejected;
  errors_ += r.errors;
  active_signals_ = monitor_.active().size();
  if (r.leader && r.evaluated > 0) {
    cycle_ms_.push_back(r.latency_ms);
    if (cycle_ms_.size() > kCyclesKept) cycle_ms_.pop_front();
  }
  last_cycle_ = r;
}

json LiveEngine::Health() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  std::vector<double> ms(cycle_ms_.begin(), cycle_ms_.end());
  json h = {{"ready", true},
            {"leader", Leading()},
            {"instance", opt_.instance},
            {"strategies", strategies_},
            {"bars_received", bars_received_},
            {"bar_closes", bar_closes_},
            {"signals_created", signals_created_},
            {"rejections", rejections_},
            {"signals_closed", closes_},
            {"active_signals", active_signals_},
            {"errors", errors_},
            {"cycle_ms",
             {{"last", ms.empty() ? 0.0 : ms.back()},
              {"p50", Percentile(ms, 0.5)},
              {"p99", Percentile(ms, 0.99)},
              {"max", ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end())}}}};
  if (bar_closes_ > 0) h["last_cycle"] = last_cycle_.ToJson();
  if (!last_error_.empty()) h["last_error"] = last_error_;
  return h;
}

}  // namespace sf::engine
