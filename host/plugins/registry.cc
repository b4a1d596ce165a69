#include "plugins/registry.h"

namespace sf::plugins {
namespace {

template <typename T>
const T* Find(const std::map<std::string, std::unique_ptr<T>, std::less<>>& m,
              std::string_view id) {
  auto it = m.find(id);
  return it == m.end() ? nullptr : it->second.get();
}

template <typename T>
std::vector<const T*> All(const std::map<std::string, std::unique_ptr<T>, std::less<>>& m) {
  std::vector<const T*> out;
  out.reserve(m.size());
  for (const auto& [id, c] : m) out.push_back(c.get());
  return out;
}

}  // namespace

const Indicator* Registry::FindIndicator(std::string_view id) const { return Find(indicators_, id); }
const Provider* Registry::FindProvider(std::string_view id) const { return Find(providers_, id); }
const Model* Registry::FindModel(std::string_view id) const { return Find(models_, id); }
const Notifier* Registry::FindNotifier(std::string_view id) const { return Find(notifiers_, id); }

std::vector<const Indicator*> Registry::indicators() const { return All(indicators_); }
std::vector<const Provider*> Registry::providers() const { return All(providers_); }
std::vector<const Model*> Registry::models() const { return All(models_); }
std::vector<const Notifier*> Registry::notifiers() const { return All(notifiers_); }

nlohmann::json Registry::Describe() const {
  nlohmann::json plugins = nlohmann::json::array();
  for (const auto& p : plugins_) {
    nlohmann::json components = nlohmann::json::array();
    for (const auto& c : p.components) {
      auto colon = c.find(':');
      components.push_back({{"kind", c.substr(0, colon)}, {"id", c.substr(colon + 1)}});
    }
    plugins.push_back({{"id", p.id},
                       {"version", p.version},
                       {"name", p.name},
                       {"description", p.description},
                       {"path", p.path},
                       {"abi", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)},
                       {"min_host_minor", p.min_host_minor},
                       {"components", std::move(components)}});
  }
  return {{"host_abi", std::to_string(SF_ABI_MAJOR) + "." + std::to_string(SF_ABI_MINOR)},
          {"plugins", std::move(plugins)}};
}

void Registry::Shutdown() {
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
    if (it->shutdown != nullptr) {
      auto fn = it->shutdown;
      it->shutdown = nullptr;
      fn();
    }
  }
}

}  // namespace sf::plugins
