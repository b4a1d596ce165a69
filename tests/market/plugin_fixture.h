// Loads the real first-party provider plugins (.so from the build tree)
// through the host's loader, once per test binary.
#ifndef SF_TESTS_MARKET_PLUGIN_FIXTURE_H_
#define SF_TESTS_MARKET_PLUGIN_FIXTURE_H_

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "market/bar_sink.h"
#include "plugins/loader.h"
#include "plugins/plugin_call.h"
#include "plugins/registry.h"

namespace sf::market::testing {

inline plugins::Registry& LoadedRegistry() {
  static plugins::Registry* registry = [] {
    auto* r = new plugins::Registry();
    plugins::Loader loader(*r);
    for (const char* so : {SF_PLUGIN_DIR "/sf_csv.so", SF_PLUGIN_DIR "/sf_synthetic.so"}) {
      auto res = loader.LoadFile(so);
      EXPECT_TRUE(res.loaded) << so << ": " << res.reason;
    }
    return r;
  }();
  return *registry;
}

inline std::unique_ptr<plugins::ProviderInstance> MakeProvider(const std::string& id,
                                                               const std::string& config) {
  const plugins::Provider* p = LoadedRegistry().FindProvider(id);
  EXPECT_NE(p, nullptr) << "provider " << id << " not registered";
  if (p == nullptr) return nullptr;
  auto inst = plugins::ProviderInstance::Create(*p, config);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  if (!inst.ok()) return nullptr;
  return std::move(*inst);
}

inline sf_fetch_request Request(const std::vector<const char*>& symbols, const char* tf,
                                int64_t from = 0, int64_t to = 0) {
  sf_fetch_request r{};
  r.struct_size = sizeof(r);
  r.symbols = symbols.empty() ? nullptr : symbols.data();
  r.symbol_count = static_cast<int64_t>(symbols.size());
  r.timeframe = tf;
  r.from_us = from;
  r.to_us = to;
  return r;
}

}  // namespace sf::market::testing

#endif  // SF_TESTS_MARKET_PLUGIN_FIXTURE_H_
