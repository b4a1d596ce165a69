#include "app/app_context.h"

#include <filesystem>

#include "base/logging.h"

namespace sf::app {

AppContext::AppContext(nlohmann::json config, std::string config_path, std::string base_dir)
    : config_(std::move(config)),
      config_path_(std::move(config_path)),
      base_dir_(std::move(base_dir)) {}

AppContext::~AppContext() {
  StopServices();
  if (registry_) registry_->Shutdown();
}

std::string AppContext::ResolvePath(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(base_dir_) / p).lexically_normal().string();
}

plugins::Registry& AppContext::plugins() {
  if (registry_) return *registry_;
  registry_ = std::make_unique<plugins::Registry>();
  const auto& section = config_.value("/plugins"_json_pointer, nlohmann::json::object());
  std::vector<std::string> dirs;
  for (const auto& d : section.value("directories", nlohmann::json::array()))
    dirs.push_back(ResolvePath(d.get<std::string>()));
  plugins::LoaderOptions options;
  options.probe = section.value("probe", true);
  plugins::Loader loader(*registry_, options);
  auto log = base::Logger("plugins");
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      log->warn("plugin directory {} does not exist; nothing loaded from it", dir);
  }
  plugin_results_ = loader.LoadDirectories(dirs, section.value("config", nlohmann::json::object()));
  std::size_t loaded = 0;
  for (const auto& r : plugin_results_) loaded += r.loaded;
  log->info("{} plugin(s) loaded, {} refused", loaded, plugin_results_.size() - loaded);
  return *registry_;
}

Service* AppContext::FindService(const std::string& name) {
  std::shared_lock lock(services_mu_);
  for (auto& [n, s] : services_)
    if (n == name) return s.get();
  return nullptr;
}

void AppContext::AddStartedService(std::string name, std::unique_ptr<Service> service) {
  std::unique_lock lock(services_mu_);
  services_.emplace_back(std::move(name), std::move(service));
}

std::vector<std::pair<std::string, const Service*>> AppContext::StartedServices() const {
  std::shared_lock lock(services_mu_);
  std::vector<std::pair<std::string, const Service*>> out;
  for (const auto& [n, s] : services_) out.emplace_back(n, s.get());
  return out;
}

void AppContext::StopServices() {
  auto log = base::Logger("app");
  while (true) {
    std::pair<std::string, std::unique_ptr<Service>> last;
    Service* s = nullptr;
    {
      // Stopped while still findable: the later services are gone already,
      // the earlier ones may still be asked for by the one stopping.
      std::shared_lock lock(services_mu_);
      if (services_.empty()) break;
      last.first = services_.back().first;
      s = services_.back().second.get();
    }
    log->info("stopping service {}", last.first);
    try {
      s->Stop();
    } catch (const std::exception& e) {
      log->error("service {} threw while stopping: {}", last.first, e.what());
    } catch (...) {
      log->error("service {} threw while stopping", last.first);
    }
    std::unique_lock lock(services_mu_);
    last.second = std::move(services_.back().second);
    services_.pop_back();
    lock.unlock();
    last.second.reset();
  }
}

}  // namespace sf::app
