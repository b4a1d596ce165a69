// Benchmarks of host/base (not tests): the JSON Schema validator on the real
// config schema and on an API-sized body, and the environment overrides.
// Read the figures as ratios within one run: the machine is shared.
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "base/env_overrides.h"
#include "base/json_schema.h"

namespace {

using nlohmann::json;
using sf::base::JsonSchema;

const json& ConfigSchemaDoc() {
  static const json doc = [] {
    std::ifstream in(std::string(SF_SOURCE_DIR) + "/schemas/config.schema.json");
    return json::parse(in);
  }();
  return doc;
}

json DefaultConfig() {
  std::ifstream in(std::string(SF_SOURCE_DIR) + "/config/signalforge.json");
  json cfg = json::parse(in);
  (*JsonSchema::Compile(ConfigSchemaDoc())).ApplyDefaults(cfg);
  return cfg;
}

void BM_CompileConfigSchema(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(JsonSchema::Compile(ConfigSchemaDoc()).ok());
}
BENCHMARK(BM_CompileConfigSchema);

void BM_ValidateConfig(benchmark::State& state) {
  auto schema = *JsonSchema::Compile(ConfigSchemaDoc());
  const json cfg = DefaultConfig();
  for (auto _ : state) benchmark::DoNotOptimize(schema.IsValid(cfg));
}
BENCHMARK(BM_ValidateConfig);

void BM_CompileThenValidateConfig(benchmark::State& state) {
  const json cfg = DefaultConfig();
  for (auto _ : state)
    benchmark::DoNotOptimize((*JsonSchema::Compile(ConfigSchemaDoc())).IsValid(cfg));
}
BENCHMARK(BM_CompileThenValidateConfig);

// An API-like body: N bars, each an object with a pattern-checked symbol.
void BM_ValidateBars(benchmark::State& state) {
  auto schema = *JsonSchema::Compile(json::parse(R"({
    "type": "array", "maxItems": 100000,
    "items": {"type": "object", "additionalProperties": false,
      "required": ["symbol", "ts", "open", "high", "low", "close", "volume"],
      "properties": {
        "symbol": {"type": "string", "pattern": "^[A-Z.]{1,10}$"},
        "ts": {"type": "integer", "minimum": 0},
        "open": {"type": "number", "exclusiveMinimum": 0},
        "high": {"type": "number", "exclusiveMinimum": 0},
        "low": {"type": "number", "exclusiveMinimum": 0},
        "close": {"type": "number", "exclusiveMinimum": 0},
        "volume": {"type": "number", "minimum": 0}}}})"));
  json bars = json::array();
  for (int64_t i = 0; i < state.range(0); ++i)
    bars.push_back({{"symbol", "AAPL"},
                    {"ts", 1700000000 + i * 60},
                    {"open", 100.0 + i},
                    {"high", 101.0 + i},
                    {"low", 99.0 + i},
                    {"close", 100.5 + i},
                    {"volume", 1000}});
  for (auto _ : state) benchmark::DoNotOptimize(schema.IsValid(bars));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ValidateBars)->Arg(1000);

void BM_EnvOverrides(benchmark::State& state) {
  auto bindings = *sf::base::EnvBindings(ConfigSchemaDoc(), "SIGNALFORGE");
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SIGNALFORGE_HTTP_PORT") return "9000";
    if (name == "SIGNALFORGE_JWT_SECRET") return "secret";
    return std::nullopt;
  };
  for (auto _ : state) {
    json cfg = json::object();
    benchmark::DoNotOptimize(sf::base::ApplyEnvOverrides(bindings, env, cfg).ok());
  }
}
BENCHMARK(BM_EnvOverrides);

}  // namespace

BENCHMARK_MAIN();
