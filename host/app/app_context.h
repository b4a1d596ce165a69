// The Context every command gets (context.h), as the application builds it:
// the effective config, base_dir (the current directory at start), the
// plugin registry loaded on first use, and the services `serve` started.
//
// Ownership: created by main for one command run; owns the registry and the
// started services. Thread-safety: config(), base_dir(), ResolvePath() are
// safe from any thread; plugins() must first be called from the main thread
// (serve loads plugins before starting anything); FindService() and
// StartedServices() are safe from any thread.
#ifndef SF_APP_APP_CONTEXT_H_
#define SF_APP_APP_CONTEXT_H_

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "app/context.h"
#include "app/service.h"
#include "plugins/loader.h"

namespace sf::app {

class AppContext final : public Context {
 public:
  AppContext(nlohmann::json config, std::string config_path, std::string base_dir);
  ~AppContext() override;

  const nlohmann::json& config() const override { return config_; }
  const std::string& base_dir() const override { return base_dir_; }
  std::string ResolvePath(const std::string& path) const override;
  plugins::Registry& plugins() override;
  Service* FindService(const std::string& name) override;

  // The config file in use ("" when none was read).
  const std::string& config_path() const { return config_path_; }
  // What loading the plugin directories did (after plugins()).
  const std::vector<plugins::LoadResult>& plugin_results() const { return plugin_results_; }

  // serve: services in start order. Added after a successful Start().
  void AddStartedService(std::string name, std::unique_ptr<Service> service);
  // Stops every started service in reverse order and forgets them.
  void StopServices();
  std::vector<std::pair<std::string, const Service*>> StartedServices() const;

  // Blocks until SIGINT/SIGTERM/SIGQUIT (the application's
  // ServerApplication::waitForTerminationRequest).
  void WaitForTerminationRequest() const { wait_for_termination_(); }
  void set_wait_for_termination(std::function<void()> fn) { wait_for_termination_ = std::move(fn); }

 private:
  nlohmann::json config_;
  std::string config_path_;
  std::string base_dir_;
  std::unique_ptr<plugins::Registry> registry_;
  std::vector<plugins::LoadResult> plugin_results_;
  mutable std::shared_mutex services_mu_;
  std::vector<std::pair<std::string, std::unique_ptr<Service>>> services_;
  std::function<void()> wait_for_termination_;
};

}  // namespace sf::app

#endif  // SF_APP_APP_CONTEXT_H_
