// The indicator plugin as the feature-set tests see it: the REAL built .so
// loaded once through sf::plugins::Loader, wrapped in the Lua host's
// IndicatorSource (what host/app/feature_sets.cc computes price_v1 with).
// Not thread-safe on first use; tests call it from one thread.
#ifndef SF_TESTS_MODELS_FEATURE_SUPPORT_H_
#define SF_TESTS_MODELS_FEATURE_SUPPORT_H_

#include <gtest/gtest.h>

#include "lua/indicator_source.h"
#include "plugins/loader.h"
#include "plugins/registry.h"

namespace sf::models::test {

inline const lua::IndicatorSource& IndicatorPlugin() {
  // Plugins are never unloaded: the registry lives to the end of the process,
  // held by a static so LeakSanitizer sees it as reachable, not leaked.
  static plugins::Registry* registry = new plugins::Registry();
  static lua::IndicatorSource* source = [] {
    plugins::Loader loader(*registry);
    auto res = loader.LoadFile(SF_INDICATORS_PLUGIN);
    EXPECT_TRUE(res.loaded) << res.reason;
    auto* src = new lua::IndicatorSource();
    EXPECT_TRUE(src->AddRegistry(*registry).ok());
    return src;
  }();
  return *source;
}

}  // namespace sf::models::test

#endif  // SF_TESTS_MODELS_FEATURE_SUPPORT_H_
