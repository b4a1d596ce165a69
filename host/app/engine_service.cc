// The live engine inside `serve` (engine_service.h).
#include "app/engine_service.h"

#include <unistd.h>

#include "app/context.h"
#include "app/engine_regime.h"
#include "app/market_service.h"
#include "app/notify_service.h"
#include "app/store_service.h"
#include "base/logging.h"
#include "market/calendar.h"
#include "store/models_repository.h"
#include "store/paper_repository.h"

namespace sf::app {

using nlohmann::json;

EngineService::~EngineService() { Stop(); }

Status EngineService::Start(Context& ctx) {
  auto log = base::Logger("engine");
  const json& root = ctx.config();
  const json cfg = root.contains("engine") ? root["engine"] : json::object();
  enabled_ = cfg.value("enabled", true);
  if (!enabled_) {
    log->info("engine: disabled by engine.enabled");
    return Status::Ok();
  }
  auto* store = dynamic_cast<StoreService*>(ctx.FindService("store"));
  if (store == nullptr) return Unavailable("engine: the store service is not running");

  auto risk = engine::RiskLimits::FromJson(cfg.value("risk", json::object()));
  if (!risk.ok()) return InvalidArgument("config engine.risk: " + risk.status().message());

  lua::RuntimeOptions ro;
  ro.scripts_dir = ctx.ResolvePath(cfg.value("scripts_dir", std::string("scripts")));
  const std::string lib = cfg.value("lib_dir", std::string());
  ro.lib_dir = lib.empty() ? ro.scripts_dir + "/lib" : ctx.ResolvePath(lib);
  const std::string worker = cfg.value("worker_path", std::string());
  if (!worker.empty()) ro.worker_path = ctx.ResolvePath(worker);
  if (root.contains("plugins") && root["plugins"].contains("directories")) {
    for (const auto& d : root["plugins"]["directories"]) ro.plugin_dirs.push_back(ctx.ResolvePath(d.get<std::string>()));
  }
  ro.eval_budget = std::chrono::milliseconds(cfg.value("eval_budget_ms", 2000));
  ro.memory_mb = cfg.value("memory_mb", 256);
  ro.history_bars = cfg.value("history_bars", 300);
  ro.params = cfg.value("params", json::object());
  // ctx.predict("NAME"): the registry's active version of every trained
  // model, or the version the config pins (models.active.NAME); read once
  // at start.
  auto models = store::ModelsRepository(&store->pool()).RuntimeModels(root.value("models", json::object()));
  if (models.ok()) {
    ro.models = *models;
    for (const auto& [name, m] : models->items())
      log->info("engine: model {} version {} serves ctx.predict (file {})", name, m.value("version", 0),
                m["config"].value("path", std::string()));
  } else {
    log->error("engine: models: {}; strategies run without models", models.status().message());
  }
  auto rt = lua::StrategyRuntime::Create(ro);
  if (!rt.ok()) return Status(rt.status().code(), "engine: strategy runtime: " + rt.status().message());
  runtime_ = std::move(*rt);
  runtime_->LoadAll();
  for (const auto& st : runtime_->Statuses()) {
    if (st.state == "running") {
      log->info("engine: strategy {} ({}) version {} is running", st.name, st.file, st.version.substr(0, 12));
    } else {
      log->error("engine: strategy {} is {}: {}", st.file, st.state, st.last_error);
    }
  }
  if (cfg.value("watch", true)) {
    Status w = runtime_->StartWatching();
    if (!w.ok()) log->warn("engine: not watching {}: {}", ro.scripts_dir, w.ToString());
  }

  const json paper = cfg.value("paper", json::object());
  const bool paper_on = paper.value("enabled", true);
  const std::string house = paper.value("house_portfolio", std::string("house"));
  if (paper_on && !house.empty()) {
    auto id = store::PaperRepository(&store->pool())
                  .CreatePortfolio(house, paper.value("initial_cash", 100000.0),
                                   {{"slippage_bps", paper.value("slippage_bps", 5.0)},
                                    {"fee_per_trade", paper.value("fee_per_trade", 1.0)}});
    if (!id.ok()) log->warn("engine: house portfolio '{}': {}", house, id.status().ToString());
  }

  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  const std::string instance = std::string(host) + ":" + std::to_string(getpid());

  engine::LiveEngineOptions eo;
  eo.pool = &store->pool();
  eo.runtime = runtime_.get();
  eo.risk = *risk;
  eo.instance = instance;
  eo.grace = std::chrono::milliseconds(cfg.value("grace_ms", 3000));
  eo.history_bars = std::max(ro.history_bars, 2);
  eo.paper = paper_on;
  eo.is_leader = [this] { return elector_ && elector_->is_leader(); };
  // Cadence: strategies that also run on a clock, within the market's hours.
  eo.cadence = cfg.value("cadence", json::object());
  for (const auto& [stem, spec] : eo.cadence.items()) {
    auto c = engine::ParseCadence(spec, "config engine.cadence." + stem);
    if (!c.ok()) return c.status();
  }
  {
    // When the market is open, for cadences (config or a strategy's declaration).
    const json market = root.value("market", json::object());
    const std::string name = cfg.value("calendar", std::string("nyse"));
    auto calendars = market::CalendarSet::LoadDirectory(
        ctx.ResolvePath(market.value("calendars_dir", std::string("config/calendars"))));
    std::shared_ptr<const market::TradingCalendar> calendar = calendars.ok() ? calendars->Find(name) : nullptr;
    if (calendar) {
      eo.market_open = [calendar](int64_t ts) { return calendar->IsOpen(ts); };
    } else {
      const std::string why = calendars.ok() ? "no calendar named '" + name + "'" : calendars.status().message();
      if (!eo.cadence.empty()) return InvalidArgument("config engine.calendar: " + why);
      log->warn("engine: calendar for cadences: {} (cadence ticks would run at any hour)", why);
    }
  }
  // Host feature sets strategies read with ctx.features(set).
  for (const auto& set : cfg.value("feature_sets", json::array({"regime_v1"}))) {
    if (!set.is_string() || set.get<std::string>() != "regime_v1")
      return InvalidArgument("config engine.feature_sets: unknown set " + set.dump() + " (known: regime_v1)");
    auto regime = std::make_shared<RegimeV1Live>();
    eo.bar_features = [regime](const engine::BarFeaturesInput& in) { return (*regime)(in); };
  }
  // The notify service starts after the engine: look it up when a signal
  // needs it, not now.
  eo.outbox = [&ctx](const store::NewSignal& s, const std::string& strategy)
      -> StatusOr<std::vector<store::OutboxItem>> {
    auto* notify = dynamic_cast<NotifyService*>(ctx.FindService("notify"));
    if (notify == nullptr) return Unavailable("the notify service is not running");
    return notify->OutboxFor(s, strategy);
  };
  eo.on_close = [&ctx](const store::StoredSignal& s, const std::string& strategy) {
    if (auto* notify = dynamic_cast<NotifyService*>(ctx.FindService("notify"))) {
      Status st = notify->EnqueueSignalUpdate(s, strategy, "signal.closed");
      if (!st.ok()) base::Logger("engine")->warn("engine: signal.closed for {}: {}", s.id, st.ToString());
    }
  };
  auto eng = engine::LiveEngine::Create(std::move(eo));
  if (!eng.ok()) return eng.status();
  engine_ = std::move(*eng);

  engine::LeaderElector::Options lo;
  lo.conninfo = store->conninfo();
  lo.retry = std::chrono::milliseconds(cfg.value("leader_retry_ms", 500));
  lo.instance = instance;
  elector_ = std::make_unique<engine::LeaderElector>(
      lo, [this](bool leader) { engine_->OnLeadershipChange(leader); });

  engine_->Start();
  elector_->Start();
  running_ = true;
  if (auto* market = dynamic_cast<MarketService*>(ctx.FindService("market"))) {
    engine::LiveEngine* e = engine_.get();
    std::atomic<bool>* running = &running_;
    market->SubscribeBars([e, running](const market::CompletedBar& bar) {
      if (running->load()) e->OnBar(bar);
    });
    market->SubscribeNews([e, running](const market::NewsItem& item) {
      if (running->load()) e->OnNews(item);
    });
  } else {
    log->warn("engine: no market service; strategies run only when bars are fed");
  }
  log->info("engine: instance {} started with {} strategies in {}", instance, runtime_->Statuses().size(),
            ro.scripts_dir);
  return Status::Ok();
}

void EngineService::Stop() {
  running_ = false;
  if (elector_) elector_->Stop();
  if (engine_) engine_->Stop();
  if (runtime_) runtime_->StopWatching();
}

json EngineService::Health() const {
  if (!enabled_) return {{"ready", true}, {"enabled", false}};
  json h = {{"ready", engine_ != nullptr}, {"enabled", true}};
  if (elector_) h["leader"] = elector_->Health();
  if (engine_) h["engine"] = engine_->Health();
  if (runtime_) {
    int running = 0, failed = 0;
    for (const auto& st : runtime_->Statuses()) (st.state == "running" ? running : failed)++;
    h["strategies"] = {{"running", running}, {"not_running", failed}};
    // Per file: state, versions and the last refused load (file:line), for
    // the admin API and the dashboard (which reach it through Health()).
    h["strategy_files"] = Strategies();
  }
  return h;
}

json EngineService::Strategies() const {
  json out = json::array();
  if (runtime_) {
    for (const auto& st : runtime_->Statuses()) out.push_back(st.ToJson());
  }
  return out;
}

namespace {
const ServiceRegistrar kEngineService({kOrderEngine, "engine",
                                       []() -> std::unique_ptr<Service> { return std::make_unique<EngineService>(); }});
}  // namespace

}  // namespace sf::app
