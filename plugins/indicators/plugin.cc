// Entry point of the first-party indicator plugin (org.signalforge.indicators):
// the manifest and the init that registers every indicator through the host
// API table. Built only against sdk/.
#include <string>
#include <vector>

#include "framework.h"

namespace sf::indicators {
namespace {

std::vector<VTableFn> AllIndicators() {
  std::vector<VTableFn> all;
  AppendMovingAverages(all);
  AppendMomentum(all);
  AppendVolatility(all);
  AppendVolume(all);
  AppendTrend(all);
  AppendFeatures(all);
  return all;
}

sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char* config_json) {
  (void)config_json;
  sf::sdk::Remember(host);
  if (host == nullptr || !SF_HOST_HAS(host, register_indicator)) {
    sf::sdk::SetError(SF_ERR_ABI_MISMATCH,
                      "org.signalforge.indicators: the host offers no register_indicator");
    return SF_ERR_ABI_MISMATCH;
  }
  for (VTableFn fn : AllIndicators()) {
    // A failed registration (e.g. a duplicate id) already carries the host's
    // message; stop so the host can roll the plugin back.
    const sf_status s = host->register_indicator(plugin, fn());
    if (s != SF_OK) return s;
  }
  return SF_OK;
}

const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER,
    /*min_host_minor=*/0,
    /*reserved0=*/0,
    /*id=*/"org.signalforge.indicators",
    /*version=*/"1.0.0",
    /*name=*/"Signalforge indicators",
    /*description=*/"Technical indicators and price features, TA-Lib exact, batch and streaming",
    /*author=*/"Signalforge",
    /*license=*/"Apache-2.0",
    /*init=*/&Init,
    /*shutdown=*/nullptr,
};

}  // namespace
}  // namespace sf::indicators

SF_PLUGIN_ENTRY(host) {
  (void)host;
  return &sf::indicators::kManifest;
}
