// StrategyVm: one strategy's LuaJIT state, its sandbox and its batch driver.
// This is the code that runs inside a Lua worker process (worker_main.cc);
// the host never runs strategy code in its own process (see worker_pool.h).
//
// Life of a VM: Create (capped allocator, privileged bootstrap from
// scripts/lib/sf/runtime.lua, then the dangerous libraries are removed from
// the real globals), Load (compile the strategy text-only, run it in a fresh
// sandbox environment, validate the declaration it returns, bind params),
// then any number of Eval calls (one per bar close, many symbols each) or
// EvalRange calls (every bar time of a range, for backtests, without a
// round trip per bar).
//
// What a strategy sees of a slot is set by a *cursor* (worker memory, read
// by Lua through FFI): the visible window of bars and the absolute index of
// the current bar. Eval points every cursor at the newest stored bars;
// EvalRange moves them bar by bar. Indicator values live in per-(slot,
// indicator, params) entries computed once from the slot's first stored bar
// and extended by streaming updates (or computed whole, in range mode); Lua
// views read them through the same cursor, so nothing is recomputed per bar.
//
// Ownership: owns its lua_State, cursors and indicator entries; borrows
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
#include <climits>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lua/indicator_source.h"
#include "lua/range_wire.h"
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
  size_t indicator_buffer_cells = 128u << 20;  // doubles all cached indicator outputs may hold
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
  int64_t bar_ts = 0;                // µs (ctx.time is this in seconds)
  std::vector<int> slots;            // arena slots, one per symbol (the slot names it)
  nlohmann::json extras = nlohmann::json::object();  // SYMBOL -> {news, sentiment, ...}
};

struct RangeEvalRequest {
  std::vector<int> slots;            // arena slots holding whole series, in evaluation order
  int64_t from_ts = INT64_MIN, to_ts = INT64_MAX;  // bar times evaluated (inclusive)
  // Progress word pair the driver writes: [0] is the slot+1 Lua evaluates,
  // the int64 at byte 8 the bar time (for the host's kill message).
  volatile int64_t* progress_ts = nullptr;
};

// The worker-side view of a slot (layout shared with runtime.lua).
struct SlotCursor {
  int32_t off;      // cell index of the first visible bar's ts (data + off + col * capacity)
  int32_t len;      // visible bars
  int32_t abs_end;  // absolute index of the current bar + 1
  int32_t reserved;
};

// One cached indicator output column (layout shared with runtime.lua):
// the value at absolute bar index a is p[a - origin].
struct IndColumn {
  const double* p;
  int32_t origin;
  int32_t reserved;
};

// Free lists of small blocks (16-byte size classes up to 256 bytes) carved
// from 64 KiB chunks: the Lua allocator's fast path. Blocks are reused, never
// returned to the system before the VM ends. Single-threaded.
class SmallBlockPool {
 public:
  static constexpr size_t kGranule = 16;
  static constexpr size_t kClasses = 16;
  static constexpr size_t kMaxSmall = kGranule * kClasses;
  static constexpr size_t kChunkBytes = 64 * 1024;
  static bool SameClass(size_t a, size_t b) { return (a - 1) / kGranule == (b - 1) / kGranule; }
  void* Get(size_t size);        // 1 <= size <= kMaxSmall; nullptr when out of memory
  void Put(void* p, size_t size);

 private:
  void* free_[kClasses] = {};
  unsigned char* chunk_next_ = nullptr;
  size_t chunk_left_ = 0;
  std::vector<std::unique_ptr<unsigned char[]>> chunks_;
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

  // Evaluates every bar time in [from_ts, to_ts] of the union of the slots'
  // bar times, as Eval would after each bar closed. The output of the bars
  // that have any goes to *wire (lua/range_wire.h records, ascending bar
  // time); returns {"bars_with_output": N, "evaluated": symbol-bars,
  // "bar_times": N, "memory_bytes", "memory_exceeded"} or {"fatal": message}.
  nlohmann::json EvalRange(const RangeEvalRequest& request, std::string* wire);

  // Feature series (ctx.features): layer "live" or "range"; `clear` drops
  // the layer first. Each series: {set, name, scope, ts:[µs], values:[...]}.
  Status SetFeatures(const std::string& layer, const nlohmann::json& series, bool clear);
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
  void CollectIntents(const std::string& symbol, int slot, BatchOutput* out);
  // Runs R.run_batch over batch_[0..n) and appends what it gave (validated)
  // to `out`. Returns false (with *fatal set) when the driver failed.
  bool RunBatch(int n, int64_t bar_ts, const nlohmann::json* extras, BatchOutput* out,
                std::string* fatal);
  void PointCursorAtNewest(int slot);

  // Indicator values per (slot, indicator, params), from the slot's first
  // stored bar. Streaming indicators extend by one stream_update per new
  // bar; others are recomputed over the stored bars when bars arrive.
  // Storage of indicator values: resize does not zero them (a batch call
  // writes every cell), and a large column is mapped with its pages
  // populated at once rather than faulted in one by one as it is written.
  template <class T>
  struct ColumnAllocator {
    using value_type = T;
    static constexpr size_t kPopulateBytes = 64 * 1024;
    ColumnAllocator() = default;
    template <class U>
    ColumnAllocator(const ColumnAllocator<U>&) {}  // NOLINT: rebinding
    T* allocate(size_t n);
    void deallocate(T* p, size_t n) noexcept;
    template <class U>
    void construct(U* p) noexcept {
      ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... A>
    void construct(U* p, A&&... a) {
      ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
    }
    template <class U>
    bool operator==(const ColumnAllocator<U>&) const { return true; }
  };
  using Column = std::vector<double, ColumnAllocator<double>>;
  struct IndEntry {
    const IndicatorInfo* info = nullptr;
    std::vector<double> params;
    int slot = -1;
    int32_t generation = -1;   // of the slot when computed
    int64_t origin = 0;        // absolute index of out[k][0]
    int64_t upto = 0;          // absolute index after the newest computed bar
    void* state = nullptr;     // stream state fed through `upto` (or null)
    std::vector<Column> out;
    int first_column = 0;      // columns first_column .. + outputs
    ~IndEntry() {
      if (state != nullptr) info->vt->stream_destroy(state);
    }
  };
  // Brings an entry up to the slot's newest stored bar. `whole`: compute a
  // fresh entry in one batch call (range mode) instead of streaming.
  int Extend(IndEntry& e, bool whole, char* err, size_t errcap);
  void PublishColumns(const IndEntry& e);

  VmOptions opt_;
  SmallBlockPool pool_;  // before L_: the state's blocks live in it
  lua_State* L_ = nullptr;
  size_t mem_used_ = 0;
  bool mem_refused_ = false;
  int runtime_ref_ = -1;
  // Intent fields, in kIntentFields order: registry refs of the interned
  // names and the names' interned bytes (pointer identity = same string).
  enum IntentField {
    kFieldSide, kFieldConfidence, kFieldEntry, kFieldTarget, kFieldStop, kFieldTargetAtr,
    kFieldStopAtr, kFieldExpiry, kFieldSummary, kFieldFeatures, kFieldCount
  };
  static constexpr const char* kIntentFields[kFieldCount] = {
      "side", "confidence", "entry", "target", "stop", "target_atr", "stop_atr", "expiry", "summary", "features"};
  int field_refs_[kFieldCount] = {};
  const char* field_names_[kFieldCount] = {};
  bool range_mode_ = false;
  std::unique_ptr<SlotCursor[]> cursors_;   // one per arena slot
  std::unique_ptr<int32_t[]> batch_;        // slots of the current batch
  std::vector<int> tf_slots_;               // slots of other timeframes (ctx.bars_of)
  std::vector<std::unique_ptr<IndEntry>> entries_;
  std::map<std::string, size_t> entry_index_;          // key -> entries_ index
  std::vector<std::vector<size_t>> slot_entries_;       // slot -> entries_ indexes
  std::vector<IndColumn> columns_;
  IndColumn* columns_base_ = nullptr;       // read by Lua through columns_addr
  size_t cached_cells_ = 0;
  int32_t local_progress_[4] = {0, 0, 0, 0};
  std::string file_;
};

}  // namespace sf::lua

#endif  // SF_LUA_STRATEGY_VM_H_
