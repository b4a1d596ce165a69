// Indicators as the Lua runtime sees them: a minimal interface over indicator
// components (sf_indicator_vtable), so the runtime does not care whether the
// vtables came from the plugin registry or from a test harness.
//
// IndicatorInfo is parsed once from a component's metadata_json; params are
// resolved by name (with defaults and min/max checks) before a compute call.
// Thread-safety: immutable after construction; Compute follows the
// component's own thread rule (the Lua worker calls it from one thread).
#ifndef SF_LUA_INDICATOR_SOURCE_H_
#define SF_LUA_INDICATOR_SOURCE_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "signalforge/indicator.h"

namespace sf::plugins { class Registry; }

namespace sf::lua {

struct IndicatorParam {
  std::string name;
  std::string type;  // "int", "double", "enum"
  double default_value = 0;
  double min = -1e300;
  double max = 1e300;
  std::vector<std::string> values;  // enum names
};

struct IndicatorInfo {
  std::string id;
  std::vector<IndicatorParam> params;
  std::vector<std::string> outputs;
  const sf_indicator_vtable* vt = nullptr;
};

class IndicatorSource {
 public:
  IndicatorSource() = default;
  IndicatorSource(const IndicatorSource&) = delete;
  IndicatorSource& operator=(const IndicatorSource&) = delete;

  // Adds a component; refuses malformed metadata with a reason naming it.
  // The vtable must outlive the source.
  Status Add(const sf_indicator_vtable* vt);
  // Adds every indicator of a loaded registry.
  Status AddRegistry(const plugins::Registry& registry);

  const IndicatorInfo* Find(std::string_view id) const;
  std::vector<std::string> Ids() const;

  // Computes every output of `info` over `input` into outputs[k] (each
  // input.count doubles). Plugin errors come back with the plugin's message.
  Status Compute(const IndicatorInfo& info, const std::vector<double>& params,
                 const sf_bar_series& input, double* const* outputs) const;

 private:
  std::map<std::string, std::unique_ptr<IndicatorInfo>, std::less<>> by_id_;
};

}  // namespace sf::lua

#endif  // SF_LUA_INDICATOR_SOURCE_H_
