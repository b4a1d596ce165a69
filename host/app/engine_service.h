// The "engine" service of `signalforge serve` (start slot kOrderEngine): runs
// the live signal engine (engine/live_engine.h). It loads and watches the
// Lua strategies (engine.scripts_dir), subscribes to the market service's
// completed bars and news, takes part in leader election on the store's
// database (only the leader evaluates; others follow warm and take over
// within about engine.leader_retry_ms when it dies), and hands every new
// signal's outbox rows to the notify service when one runs (a "log" row
// otherwise).
//
//   auto* engine = dynamic_cast<sf::app::EngineService*>(ctx.FindService("engine"));
//   nlohmann::json s = engine->Strategies();       // status of every strategy file
//   nlohmann::json h = engine->Health();           // leader, counters, cycle latency
//
// Performance statistics are read from the store, not from this service:
// store::PerformanceQueriesRepository(&pool).StrategyPerformanceJson(name, period).
//
// Thread-safety: Health(), Strategies() and is_leader() are safe from any
// thread between Start and Stop.
#ifndef SF_APP_ENGINE_SERVICE_H_
#define SF_APP_ENGINE_SERVICE_H_

#include <atomic>
#include <memory>
#include <string>

#include "app/service.h"
#include "engine/leader.h"
#include "engine/live_engine.h"
#include "lua/strategy_runtime.h"

namespace sf::app {

class EngineService final : public Service {
 public:
  EngineService() = default;
  ~EngineService() override;

  Status Start(Context& ctx) override;
  void Stop() override;
  // {"ready","enabled","leader":{...},"engine":{LiveEngine::Health()},"strategies":n,"error"?}
  nlohmann::json Health() const override;

  // [{"file","name","state","version","pending_version","last_error","reloads",...}]
  nlohmann::json Strategies() const;
  bool is_leader() const { return elector_ && elector_->is_leader(); }

 private:
  std::unique_ptr<lua::StrategyRuntime> runtime_;
  std::unique_ptr<engine::LiveEngine> engine_;
  std::unique_ptr<engine::LeaderElector> elector_;
  std::atomic<bool> running_{false};
  bool enabled_ = false;
};

}  // namespace sf::app

#endif  // SF_APP_ENGINE_SERVICE_H_
