// StrategyVm: one strategy's LuaJIT state, its sandbox and its batch driver.
// This is the code that runs inside a Lua worker process (worker_main.cc);
// the host never runs strategy code in its own process (see worker_pool.h).
//
// Life of a VM: Create (capped allocator, privileged bootstrap from
// scripts/lib/sf/runtime.lua, then the dangerous libraries are removed from
// the real globals), Load (compile the strategy text-only, run it in a fresh
// sandbox environment, validate the declaration it returns, bind params),
// then any number of Eval calls (one per bar close, many symbols each).
//
// Ownership: owns its lua_State and the per-bar indicator buffer; borrows
// the arena, the indicator source and the model table from the caller.
// Thread-safety: none; one thread drives a VM.
#ifndef SF_LUA_STRATEGY_VM_H_
#define SF_LUA_STRATEGY_VM_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lua/indicator_source.h"
#include "lua/series_arena.h"
#include "signalforge/model.h"

struct lua_State;

namespace sf::lua {

// A loaded model instance strategies reach as ctx.predict(name, features).
struct ModelHandle {
  const sf_model_vtable* vt = nullptr;
  void* instance = nullptr;
  std::vector<std::string> features;  // names, for keyed feature tables
};

struct VmOptions {
  std::string lib_dir;                   // scripts/lib, holds sf/runtime.lua
  size_t memory_limit = 256u << 20;      // bytes the Lua allocator may hold
  int max_intents_per_symbol = 3;
  int max_intents_per_bar = 100;
  int atr_period = 14;                   // for target_atr / stop_atr
  size_t indicator_buffer_cells = 64u << 20;  // doubles per bar for indicator outputs
  const IndicatorSource* indicators = nullptr;
  const ArenaReader* arena = nullptr;
  const std::map<std::string, ModelHandle>* models = nullptr;
  volatile int32_t* progress = nullptr;  // index of the symbol being evaluated
  // In a worker process: end the process (exit status kExitMemoryCap) the
  // moment the cap is crossed instead of failing the allocation. LuaJIT does
  // not survive every allocation failure (inside traces, during GC), and a
  // strategy must not be able to catch its own memory bomb with pcall.
  bool exit_on_memory_cap = false;
};

// Exit status of a worker that crossed its memory cap.
inline constexpr int kExitMemoryCap = 75;

struct EvalRequest {
  double bar_time = 0;               // seconds since the epoch (ctx.time)
  std::vector<int> slots;            // arena slots, one per symbol
  std::vector<std::string> symbols;
  nlohmann::json extras = nlohmann::json::object();  // SYMBOL -> {news, sentiment, ...}
};

class StrategyVm {
 public:
  static StatusOr<std::unique_ptr<StrategyVm>> Create(const VmOptions& options);
  ~StrategyVm();
  StrategyVm(const StrategyVm&) = delete;
  StrategyVm& operator=(const StrategyVm&) = delete;

  // Compiles `source` (text only; chunkname "@path" makes errors read
  // "path:line: message"), runs it in a fresh sandbox environment and
  // validates the declaration table it returns. `param_overrides` are the
  // operator's values for declared params. Returns the declaration as JSON.
  StatusOr<nlohmann::json> Load(const std::string& source, const std::string& chunkname,
                                const nlohmann::json& param_overrides);

  // Evaluates the strategy for every symbol of the request. Returns
  // {"intents":[...], "rejected":[{symbol, reason}], "errors":[{symbol,
  // message}], "logs":[...], "memory_bytes":N, "memory_exceeded":bool} or
  // {"fatal": message} when the driver itself failed.
  nlohmann::json Eval(const EvalRequest& request);

  StatusOr<nlohmann::json> SaveState();
  Status RestoreState(const nlohmann::json& state);
  Status SetInstruments(const nlohmann::json& instruments);
  Status SetTimeframes(const nlohmann::json& timeframes);

  size_t memory_used() const { return mem_used_; }
  bool memory_exceeded() const { return mem_refused_; }

 private:
  explicit StrategyVm(const VmOptions& options) : opt_(options) {}
  Status Bootstrap();
  static void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  static int ComputeL(lua_State* L);
  static int PredictL(lua_State* L);
  static int ReadLibL(lua_State* L);
  int Compute(lua_State* L, char* err, size_t errcap);
  int Predict(lua_State* L, char* err, size_t errcap);
  Status CallRuntime(const char* fn, int nargs, int nresults);
  Status ValidateDeclaration(const std::string& file, const nlohmann::json& overrides,
                             nlohmann::json* decl);
  void CollectIntents(const std::string& symbol, int slot, nlohmann::json* intents,
                      nlohmann::json* rejected);

  // A streaming indicator state per (slot, indicator, params): a new bar
  // costs one stream_update instead of a recompute over the whole window.
  struct Stream {
    const IndicatorInfo* info = nullptr;
    void* state = nullptr;
    int64_t last_ts = INT64_MIN;
    std::vector<std::vector<double>> out;  // per output, aligned with the bars fed
    ~Stream() {
      if (state != nullptr) info->vt->stream_destroy(state);
    }
  };
  int ComputeStreaming(const IndicatorInfo& info, int slot, const std::vector<double>& params,
                       const sf_bar_series& in, double* const* outputs, char* err, size_t errcap);

  VmOptions opt_;
  std::map<std::string, std::unique_ptr<Stream>> streams_;
  lua_State* L_ = nullptr;
  size_t mem_used_ = 0;
  bool mem_refused_ = false;
  int runtime_ref_ = -1;
  std::unique_ptr<double[]> ind_buf_;
  size_t ind_cap_ = 0;
  size_t ind_used_ = 0;
  double* ind_base_ = nullptr;  // read by Lua through ind_base_addr
  int32_t local_progress_ = 0;
  std::string file_;
};

}  // namespace sf::lua

#endif  // SF_LUA_STRATEGY_VM_H_
