#include "lua/strategy_runtime.h"

#include "lua/range_wire.h"
#include "lua/strategy_vm.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <spdlog/spdlog.h>

namespace sf::lua {
namespace fs = std::filesystem;
namespace {

// A strategy's print/ctx.log lines kept per bar (scripts/lib/sf/runtime.lua's
// kMaxLogs, which caps each worker's).
constexpr size_t kMaxLogLinesPerBar = 200;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read strategy file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string DefaultWorkerPath() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path p = exe.parent_path() / "sf_lua_worker";
    if (fs::exists(p, ec)) return p.string();
  }
#ifdef SF_LUA_WORKER_BUILD_PATH
  return SF_LUA_WORKER_BUILD_PATH;
#else
  return "sf_lua_worker";
#endif
}

bool IsStrategyFile(const fs::path& p) {
  return p.extension() == ".lua" && !p.filename().string().starts_with(".");
}

}  // namespace

std::string Sha256Hex(const std::string& data) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(data);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

nlohmann::json Intent::ToJson() const {
  return {{"strategy", strategy}, {"version", version}, {"file", file},
          {"symbol", symbol}, {"timeframe", std::string(market::TimeframeName(timeframe))},
          {"bar_ts", bar_ts}, {"side", side}, {"confidence", confidence},
          {"entry", entry}, {"target", target}, {"stop", stop},
          {"expiry_bars", expiry_bars}, {"expires_at", expires_at},
          {"summary", summary},
          {"features", features.is_null() ? nlohmann::json::object() : features}};
}

nlohmann::json StrategyStatus::ToJson() const {
  return {{"file", file}, {"name", name}, {"state", state}, {"version", version},
          {"pending_version", pending_version}, {"last_error", last_error},
          {"loaded_at_us", loaded_at_us}, {"reloads", reloads}, {"refused", refused},
          {"kills", kills}, {"declaration", declaration}, {"worker", worker}};
}

StatusOr<std::unique_ptr<StrategyRuntime>> StrategyRuntime::Create(RuntimeOptions o) {
  if (o.scripts_dir.empty()) return InvalidArgument("lua: scripts_dir is required");
  std::error_code ec;
  o.scripts_dir = fs::absolute(o.scripts_dir, ec).lexically_normal().string();
  if (o.lib_dir.empty()) o.lib_dir = (fs::path(o.scripts_dir) / "lib").string();
  o.lib_dir = fs::absolute(o.lib_dir, ec).lexically_normal().string();
  if (!fs::exists(fs::path(o.lib_dir) / "sf" / "runtime.lua"))
    return NotFound("lua: " + o.lib_dir + "/sf/runtime.lua is missing (the host's Lua runtime)");
  if (o.worker_path.empty()) o.worker_path = DefaultWorkerPath();
  if (o.eval_budget.count() <= 0 || o.load_budget.count() <= 0)
    return InvalidArgument("lua: eval_budget and load_budget must be positive");
  std::unique_ptr<StrategyRuntime> rt(new StrategyRuntime(std::move(o)));
  if (rt->opt_.range_chunk_bars <= 0 || rt->opt_.range_budget_per_bar.count() < 0)
    return InvalidArgument("lua: range_chunk_bars must be positive and range_budget_per_bar >= 0");
  auto arena = SeriesArena::Create(rt->opt_.max_series, rt->opt_.history_bars,
                                   rt->opt_.series_capacity);
  if (!arena.ok()) return arena.status();
  rt->arena_ = std::move(*arena);
  WorkerConfig& w = rt->wcfg_;
  w.worker_path = rt->opt_.worker_path;
  w.lib_dir = rt->opt_.lib_dir;
  w.memory_mb = rt->opt_.memory_mb;
  w.max_intents_per_symbol = rt->opt_.max_intents_per_symbol;
  w.max_intents_per_bar = rt->opt_.max_intents_per_bar;
  w.atr_period = rt->opt_.atr_period;
  w.plugin_dirs = rt->opt_.plugin_dirs;
  w.models = rt->opt_.models;
  const auto longest = std::max(rt->opt_.eval_budget, rt->opt_.load_budget);
  w.backstop_seconds = static_cast<int>(longest.count() / 1000 * 2 + 5);
  return rt;
}

StrategyRuntime::~StrategyRuntime() {
  StopWatching();
  std::lock_guard lock(mu_);
  // Every worker is signalled first, so the kernel tears them down in
  // parallel (a large Lua heap takes milliseconds to unmap), then reaped.
  for (auto& [file, e] : entries_) {
    if (e.active.worker) e.active.worker->SignalKill();
    if (e.pending && e.pending->worker) e.pending->worker->SignalKill();
  }
  for (auto& w : retired_)
    if (w) w->SignalKill();
  retired_.clear();
  entries_.clear();  // reaps every worker
}

Status StrategyRuntime::UpdateSeries(const market::BarSeries& series, int64_t upto) {
  std::lock_guard lock(mu_);
  auto r = arena_->Sync(series, upto);
  return r.ok() ? Status::Ok() : r.status();
}

Status StrategyRuntime::UpdateSeriesMany(const std::vector<market::BarSeries>& series, int threads) {
  std::lock_guard lock(mu_);
  for (const auto& s : series)  // slots first: then Sync only reads the index
    if (auto slot = arena_->SlotOf(s); !slot.ok())
      return Status(slot.status().code(), s.symbol + ": " + slot.status().message());
  const size_t n = static_cast<size_t>(std::clamp<int>(threads, 1, 8));
  std::vector<Status> failed(n, Status::Ok());
  auto copy = [&](size_t part) {
    for (size_t i = part; i < series.size(); i += n)
      if (auto r = arena_->Sync(series[i]); !r.ok() && failed[part].ok())
        failed[part] = Status(r.status().code(), series[i].symbol + ": " + r.status().message());
  };
  std::vector<std::thread> pool;
  for (size_t part = 1; part < n && part < series.size(); ++part) pool.emplace_back(copy, part);
  copy(0);
  for (auto& t : pool) t.join();
  for (const Status& f : failed) SF_RETURN_IF_ERROR(f);
  return Status::Ok();
}

nlohmann::json StrategyRuntime::InstrumentsJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [sym, info] : instruments_)
    j[sym] = {{"type", info.type}, {"sector", info.sector}, {"name", info.name}};
  return j;
}

void StrategyRuntime::SetInstrument(const std::string& symbol, const InstrumentInfo& info) {
  std::lock_guard lock(mu_);
  instruments_[symbol] = info;
  nlohmann::json one = {{symbol, {{"type", info.type}, {"sector", info.sector}, {"name", info.name}}}};
  for (auto& [file, e] : entries_)
    if (e.active.worker && e.active.worker->alive())
      (void)e.active.worker->Call(MsgType::kInstruments, one, opt_.load_budget);
}

void StrategyRuntime::OnVersion(
    std::function<void(const std::string&, const std::string&, const std::string&)> fn) {
  std::lock_guard lock(mu_);
  on_version_ = std::move(fn);
}

StatusOr<StrategyRuntime::Version> StrategyRuntime::Compile(const std::string& path,
                                                            const std::string& source) {
  Version v;
  v.hash = Sha256Hex(source);
  v.source = source;
  auto w = SpawnWorker(path, source, &v.declaration);
  if (!w.ok()) return w.status();
  {
    std::lock_guard lock(mu_);
    std::vector<const FeatureSeries*> live;
    for (const auto& [key, f] : features_) live.push_back(&f);
    if (!live.empty()) SF_RETURN_IF_ERROR(SendFeatures(**w, "live", live));
  }
  v.worker = std::move(*w);
  v.loaded_at_us = NowMicros();
  return v;
}

StatusOr<std::unique_ptr<WorkerProcess>> StrategyRuntime::SpawnWorker(const std::string& path,
                                                                      const std::string& source,
                                                                      nlohmann::json* declaration) {
  auto w = WorkerProcess::Spawn(wcfg_, arena_->fd());
  if (!w.ok()) return w.status();
  const std::string stem = fs::path(path).stem().string();
  nlohmann::json params = opt_.params.is_object() && opt_.params.contains(stem)
                              ? opt_.params[stem] : nlohmann::json::object();
  // Chunk names are relative to the scripts dir's parent, so messages read
  // "scripts/momentum_swing.lua:12: ...".
  std::string shown = path;
  std::error_code ec;
  fs::path rel = fs::relative(path, fs::path(opt_.scripts_dir).parent_path(), ec);
  if (!ec && !rel.empty() && !rel.string().starts_with("..")) shown = rel.string();
  auto r = (*w)->Call(MsgType::kLoad, {{"source", source}, {"chunkname", "@" + shown},
                                       {"params", params}}, opt_.load_budget);
  if (!r.ok()) {
    if ((*w)->exit_description() == "exited with status " + std::to_string(kExitMemoryCap))
      return Status(SF_ERR_NO_MEMORY, shown + ": loading exceeded the memory cap of " +
                                          std::to_string(opt_.memory_mb) + " MiB");
    if (r.status().code() == SF_ERR_TIMEOUT)
      return Status(SF_ERR_TIMEOUT, shown + ": loading took longer than the load budget of " +
                                        std::to_string(opt_.load_budget.count()) +
                                        " ms (top-level code must only declare); killed");
    return r.status();
  }
  if (!r->value("ok", false)) return InvalidArgument(r->value("error", std::string("?")));
  if (declaration != nullptr) *declaration = (*r)["declaration"];
  auto inst = (*w)->Call(MsgType::kInstruments, InstrumentsJson(), opt_.load_budget);
  if (!inst.ok()) return inst.status();
  return std::move(*w);
}

StrategyRuntime::Entry& StrategyRuntime::EntryFor(const std::string& file) {
  auto it = entries_.find(file);
  if (it != entries_.end()) return it->second;
  Entry& e = entries_[file];
  e.file = file;
  e.status.file = file;
  e.status.state = "failed";
  return e;
}

void StrategyRuntime::Activate(Entry& e, Version v, bool carry_state) {
  if (carry_state && e.active.worker && e.active.worker->alive()) {
    auto st = e.active.worker->Call(MsgType::kSaveState, nlohmann::json::object(), opt_.load_budget);
    if (st.ok() && st->value("ok", false)) {
      auto rs = v.worker->Call(MsgType::kRestoreState, {{"state", (*st)["state"]}}, opt_.load_budget);
      if (!rs.ok() || !rs->value("ok", false))
        spdlog::warn("lua: {}: restoring state into the new version failed: {}", e.file,
                     rs.ok() ? rs->value("error", std::string("?")) : rs.status().message());
    } else {
      spdlog::warn("lua: {}: saving state of the old version failed: {}", e.file,
                   st.ok() ? st->value("error", std::string("?")) : st.status().message());
    }
  }
  const bool replaced = e.active.worker != nullptr || !e.status.version.empty();
  e.active = std::move(v);  // the old worker (if any) is killed and reaped here
  e.status.state = "running";
  e.status.version = e.active.hash;
  e.status.name = e.active.declaration.value("name", std::string());
  e.status.declaration = e.active.declaration;
  e.status.worker = e.active.worker ? e.active.worker->hello() : nlohmann::json();
  e.status.loaded_at_us = e.active.loaded_at_us;
  e.disabled_hash.clear();
  if (replaced) ++e.status.reloads;
  spdlog::info("lua: {} version {} is running", e.file, e.active.hash.substr(0, 12));
}

void StrategyRuntime::Disable(Entry& e, const std::string& reason) {
  if (e.active.worker) e.active.worker->Kill();
  e.active.worker.reset();
  e.disabled_hash = e.active.hash;
  e.status.state = "disabled";
  e.status.last_error = reason;
  ++e.status.kills;
  spdlog::error("lua: {} disabled until its file changes: {}", e.file, reason);
}

StrategyStatus StrategyRuntime::LoadFile(const std::string& path, bool activate) {
  return LoadFileImpl(path, activate, false);
}

StrategyStatus StrategyRuntime::LoadFileImpl(const std::string& path_in, bool activate,
                                             bool force) {
  std::error_code ec;
  const std::string path = fs::absolute(path_in, ec).lexically_normal().string();
  auto src = ReadText(path);
  std::string hash = src.ok() ? Sha256Hex(*src) : "";
  {
    std::lock_guard lock(mu_);
    Entry& e = EntryFor(path);
    if (!src.ok()) {
      e.status.last_error = src.status().message();
      return e.status;
    }
    // Same bytes as what runs or waits: nothing to do (a disabled version
    // stays disabled until the file really changes).
    if (!force && ((hash == e.active.hash && (e.active.worker || hash == e.disabled_hash)) ||
                   (e.pending && e.pending->hash == hash)))
      return e.status;
  }
  // Compile outside the lock: a bar may be running meanwhile.
  auto v = Compile(path, *src);
  std::lock_guard lock(mu_);
  Entry& e = EntryFor(path);
  if (!v.ok()) {
    e.status.last_error = v.status().message();
    ++e.status.refused;
    spdlog::error("lua: refused {}: {}{}", path, v.status().message(),
                  e.active.worker ? " (the previous version keeps running)" : "");
    return e.status;
  }
  // Two files must not declare the same strategy name.
  const std::string name = v->declaration.value("name", std::string());
  for (const auto& [file, other] : entries_) {
    if (file != path && other.status.name == name && other.status.state != "failed") {
      e.status.last_error = path + ": strategy name '" + name + "' is already declared by " + file;
      ++e.status.refused;
      return e.status;
    }
  }
  sources_[v->hash] = v->source;
  if (on_version_) on_version_(path, v->hash, v->source);
  e.status.last_error.clear();
  if (activate || !e.active.worker) {
    e.pending.reset();
    e.status.pending_version.clear();
    Activate(e, std::move(*v), false);
  } else {
    e.status.pending_version = v->hash;
    e.pending = std::move(*v);
    spdlog::info("lua: {} version {} checked; takes over at the next bar", path,
                 e.pending->hash.substr(0, 12));
  }
  return e.status;
}

void StrategyRuntime::LoadAll() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(opt_.scripts_dir, ec))
    if (de.is_regular_file() && IsStrategyFile(de.path())) files.push_back(de.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) (void)LoadFile(f, true);
}

std::vector<std::string> StrategyRuntime::UniverseOf(const Entry& e,
                                                     const std::vector<std::string>& batch) const {
  const nlohmann::json& u = e.active.declaration["universe"];
  std::vector<std::string> out;
  if (u.contains("symbols")) {
    std::set<std::string> want;
    for (const auto& s : u["symbols"]) want.insert(s.get<std::string>());
    for (const auto& s : batch)
      if (want.count(s)) out.push_back(s);
  } else if (u.contains("watchlist")) {
    auto it = opt_.watchlists.find(u["watchlist"].get<std::string>());
    if (it == opt_.watchlists.end()) return out;
    std::set<std::string> want(it->second.begin(), it->second.end());
    for (const auto& s : batch)
      if (want.count(s)) out.push_back(s);
  } else if (u.contains("type")) {
    const std::string type = u["type"].get<std::string>();
    for (const auto& s : batch) {
      auto it = instruments_.find(s);
      if (it != instruments_.end() && it->second.type == type) out.push_back(s);
    }
  }
  return out;
}

BarResult StrategyRuntime::OnBarClose(const BarClose& bar, const std::vector<std::string>& strategies) {
  BarResult result;
  std::lock_guard lock(mu_);
  // 1. Bar boundary: pending versions take over, removed files stop.
  SwapPending(&result);
  // 2. The batch: symbols of this timeframe that have a series.
  const std::string tfname(market::TimeframeName(bar.timeframe));
  std::vector<std::string> batch = bar.symbols;
  if (batch.empty()) {
    const std::string suffix = "@" + tfname;
    for (const auto& [key, slot] : arena_->index())
      if (key.size() > suffix.size() && key.ends_with(suffix))
        batch.push_back(key.substr(0, key.size() - suffix.size()));
  }
  std::vector<Entry*> sent;
  for (auto& [file, e] : entries_) {
    if (!e.active.worker || e.status.state != "running") continue;
    if (e.active.declaration.value("timeframe", std::string()) != tfname) continue;
    if (!strategies.empty() && std::find(strategies.begin(), strategies.end(), e.status.name) == strategies.end())
      continue;
    std::vector<std::string> syms = UniverseOf(e, batch);
    std::vector<int> slots;
    std::vector<std::string> present;
    for (const auto& s : syms) {
      int slot = arena_->Find(s, bar.timeframe);
      if (slot < 0) continue;
      slots.push_back(slot);
      present.push_back(s);
    }
    if (present.empty()) continue;
    // Compact: slots name their symbols (the worker reads the arena keys).
    nlohmann::json req = {{"bar_ts", bar.bar_ts}, {"slots", slots}};
    if (bar.extras.is_object() && !bar.extras.empty()) {
      nlohmann::json extras = nlohmann::json::object();
      for (const auto& s : present)
        if (bar.extras.contains(s)) extras[s] = bar.extras[s];
      if (!extras.empty()) req["extras"] = std::move(extras);
    }
    nlohmann::json tfs = TimeframesJson(e, present);
    if (!tfs.is_null()) req["timeframes"] = std::move(tfs);
    Status s = e.active.worker->Send(MsgType::kEval, req);
    if (!s.ok()) {
      Disable(e, "lua worker is gone: " + s.message());
      result.errors.push_back({e.status.name, e.active.hash, "", e.status.last_error});
      continue;
    }
    sent.push_back(&e);
  }
  // 3. Collect, each strategy within its budget (they ran in parallel).
  const Deadline deadline = std::chrono::steady_clock::now() + opt_.eval_budget;
  for (Entry* ep : sent) {
    Entry& e = *ep;
    auto r = e.active.worker->Receive(deadline);
    const std::string reason = FailureReason(*e.active.worker, r, [&] {
      const std::string sym = SymbolOfSlot(e.active.worker->progress() - 1);
      return "exceeded its CPU budget of " + std::to_string(opt_.eval_budget.count()) +
             " ms per bar" + (sym.empty() ? "" : " in evaluate(ctx, \"" + sym + "\")") + "; killed";
    });
    if (!reason.empty()) {
      Disable(e, reason);
      result.errors.push_back({e.status.name, e.active.hash, "", reason});
      continue;
    }
    CollectReply(e, *r, bar.timeframe, bar.bar_ts, &result);
    result.worker_seconds += r->value("seconds", 0.0);
    result.worker_cpu_seconds += r->value("cpu_seconds", 0.0);
  }
  return result;
}

namespace {
nlohmann::json FeatureJson(const FeatureSeries& f) {
  return nlohmann::json{{"set", f.set}, {"name", f.name}, {"scope", f.scope},
                        {"ts", f.ts}, {"values", f.values}};
}
}  // namespace

Status StrategyRuntime::SendFeatures(WorkerProcess& w, const std::string& layer,
                                     const std::vector<const FeatureSeries*>& series) {
  nlohmann::json list = nlohmann::json::array();
  for (const FeatureSeries* f : series) list.push_back(FeatureJson(*f));
  auto r = w.Call(MsgType::kFeatures, {{"layer", layer}, {"clear", true}, {"series", list}},
                  opt_.load_budget);
  if (!r.ok()) return r.status();
  if (!r->value("ok", false))
    return InvalidArgument("feature series: " + r->value("error", std::string("?")));
  return Status::Ok();
}

Status StrategyRuntime::SetFeatureSeries(const FeatureSeries& fs) {
  if (fs.set.empty() || fs.name.empty())
    return InvalidArgument("feature series: 'set' and 'name' are required (got set '" + fs.set +
                           "', name '" + fs.name + "')");
  if (fs.ts.size() != fs.values.size())
    return InvalidArgument("feature series " + fs.set + "." + fs.name + ": ts has " +
                           std::to_string(fs.ts.size()) + " points but values " +
                           std::to_string(fs.values.size()));
  if (!fs.scope.empty() && !fs.scope.starts_with("sector:") && !fs.scope.starts_with("symbol:"))
    return InvalidArgument("feature series " + fs.set + "." + fs.name + ": scope '" + fs.scope +
                           "' must be empty (every symbol), 'sector:<Sector>' or 'symbol:<SYM>'");
  for (size_t i = 1; i < fs.ts.size(); ++i)
    if (fs.ts[i] <= fs.ts[i - 1])
      return InvalidArgument("feature series " + fs.set + "." + fs.name +
                             ": ts must be strictly ascending (point " + std::to_string(i) + ")");
  std::lock_guard lock(mu_);
  auto key = std::make_tuple(fs.set, fs.name, fs.scope);
  if (fs.ts.empty()) features_.erase(key);
  else features_[key] = fs;
  const nlohmann::json one = {{"layer", "live"}, {"clear", false},
                              {"series", nlohmann::json::array({FeatureJson(fs)})}};
  for (auto& [file, e] : entries_) {
    for (WorkerProcess* w : {e.active.worker.get(), e.pending ? e.pending->worker.get() : nullptr}) {
      if (w == nullptr || !w->alive()) continue;
      auto r = w->Call(MsgType::kFeatures, one, opt_.load_budget);
      if (!r.ok() || !r->value("ok", false))
        spdlog::warn("lua: {}: feature series {}.{} not delivered: {}", file, fs.set, fs.name,
                     r.ok() ? r->value("error", std::string("?")) : r.status().message());
    }
  }
  return Status::Ok();
}

void StrategyRuntime::SwapPending(BarResult* result) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (e.remove_pending) {
      spdlog::info("lua: {} was removed; its strategy stops", e.file);
      it = entries_.erase(it);
      continue;
    }
    if (e.pending) {
      Version v = std::move(*e.pending);
      e.pending.reset();
      e.status.pending_version.clear();
      Activate(e, std::move(v), true);
      result->swapped.push_back(e.status.name);
    }
    ++it;
  }
}

nlohmann::json StrategyRuntime::TimeframesJson(const Entry& e,
                                               const std::vector<std::string>& symbols) const {
  const auto& tfs = e.active.declaration["timeframes"];
  if (!tfs.is_array() || tfs.empty()) return nullptr;
  nlohmann::json m = nlohmann::json::object();
  for (const auto& s : symbols)
    for (const auto& t : tfs) {
      auto ptf = market::ParseTimeframe(t.get<std::string>());
      int slot = ptf ? arena_->Find(s, *ptf) : -1;
      if (slot >= 0) m[s][t.get<std::string>()] = slot;
    }
  return m;
}

void StrategyRuntime::CollectReply(const Entry& e, const nlohmann::json& rep,
                                   market::Timeframe tf, int64_t bar_ts, BarResult* out) const {
  BatchOutput b;
  for (const auto& j : rep.value("intents", nlohmann::json::array())) {
    WireIntent& in = b.intents.emplace_back();
    in.symbol = j.value("symbol", "");
    in.buy = j.value("side", "") == "buy";
    in.confidence = j.value("confidence", 0.0);
    in.entry = j.value("entry", 0.0);
    in.target = j.value("target", 0.0);
    in.stop = j.value("stop", 0.0);
    in.expiry_bars = j.value("expiry_bars", 0);
    in.summary = j.value("summary", "");
    in.features = j.value("features", nlohmann::json::object());
  }
  for (const auto& j : rep.value("rejected", nlohmann::json::array()))
    b.rejected.emplace_back(j.value("symbol", ""), j.value("reason", ""));
  for (const auto& j : rep.value("errors", nlohmann::json::array()))
    b.errors.emplace_back(j.value("symbol", ""), j.value("message", ""));
  for (const auto& l : rep.value("logs", nlohmann::json::array())) b.logs.push_back(l.get<std::string>());
  AppendBatch(e, b, tf, bar_ts, out);
}

void StrategyRuntime::AppendBatch(const Entry& e, BatchOutput& b, market::Timeframe tf,
                                  int64_t bar_ts, BarResult* out, bool identity) const {
  const int64_t tf_us = market::TimeframeMicros(tf);
  out->intents.reserve(out->intents.size() + b.intents.size());
  for (WireIntent& w : b.intents) {
    Intent& in = out->intents.emplace_back();
    in.strategy = e.status.name;
    if (identity) {
      in.version = e.active.hash;
      in.file = e.file;
    }
    in.symbol = std::move(w.symbol);
    in.timeframe = tf;
    in.bar_ts = bar_ts;
    in.side = w.buy ? "buy" : "sell";
    in.confidence = w.confidence;
    in.entry = w.entry;
    in.target = w.target;
    in.stop = w.stop;
    in.expiry_bars = w.expiry_bars;
    in.expires_at = bar_ts + in.expiry_bars * tf_us;
    in.summary = std::move(w.summary);
    if (w.features.is_object() && !w.features.empty()) in.features = std::move(w.features);
  }
  for (auto& [sym, msg] : b.rejected)
    out->rejected.push_back({e.status.name, e.active.hash, std::move(sym), std::move(msg)});
  for (auto& [sym, msg] : b.errors)
    out->errors.push_back({e.status.name, e.active.hash, std::move(sym), std::move(msg)});
  for (const auto& l : b.logs) out->logs.push_back(e.status.name + ": " + l);
}

std::string StrategyRuntime::FailureReason(const WorkerProcess& w, const StatusOr<nlohmann::json>& r,
                                           const std::function<std::string()>& timeout) const {
  if (!r.ok()) {
    if (w.exit_description() ==
        "exited with status " + std::to_string(kExitMemoryCap))
      return "exceeded its memory cap of " + std::to_string(opt_.memory_mb) + " MiB; killed";
    if (r.status().code() == SF_ERR_TIMEOUT) return timeout();
    return r.status().message();
  }
  if (r->value("memory_exceeded", false))
    return "exceeded its memory cap of " + std::to_string(opt_.memory_mb) + " MiB; killed";
  if (r->contains("fatal"))
    return "the strategy runtime failed: " + (*r)["fatal"].get<std::string>();
  return "";
}

std::string StrategyRuntime::SymbolOfSlot(int32_t slot) const {
  if (slot < 0 || static_cast<size_t>(slot) >= arena_->index().size()) return "";
  std::string key = arena_->slot(slot).key;
  return key.substr(0, key.find('@'));
}

StatusOr<RangeResult> StrategyRuntime::EvaluateRange(const RangeRequest& req) {
  std::error_code ec;
  const std::string path = fs::absolute(req.file, ec).lexically_normal().string();
  std::lock_guard lock(mu_);
  BarResult swapped;
  SwapPending(&swapped);
  auto it = entries_.find(path);
  if (it == entries_.end())
    return NotFound("EvaluateRange: strategy file " + path + " is not loaded (LoadFile it first)");
  Entry& e = it->second;
  if (!e.active.worker || e.status.state != "running")
    return Unavailable("EvaluateRange: strategy " + path + " is " + e.status.state +
                       (e.status.last_error.empty() ? "" : ": " + e.status.last_error));
  const std::string tfname(market::TimeframeName(req.timeframe));
  const std::string decl_tf = e.active.declaration.value("timeframe", std::string());
  if (decl_tf != tfname)
    return InvalidArgument("EvaluateRange: " + path + " declares timeframe " + decl_tf +
                           ", the request is for " + tfname);
  if (req.from_ts > req.to_ts)
    return InvalidArgument("EvaluateRange: from_ts is after to_ts");
  for (const auto& s : req.symbols)
    if (arena_->Find(s, req.timeframe) < 0)
      return InvalidArgument("EvaluateRange: symbol " + s + " has no " + tfname +
                             " series (call UpdateSeries with its whole data first)");
  // The strategy's universe, in request order (as OnBarClose filters a batch).
  std::vector<std::string> syms = UniverseOf(e, req.symbols);
  std::vector<int> slots;
  // Bar times in the range with the number of symbol-bars at each.
  std::vector<std::span<const int64_t>> lists;
  for (const auto& s : syms) {
    const int slot = arena_->Find(s, req.timeframe);
    slots.push_back(slot);
    const ArenaSlot& a = arena_->slot(slot);
    // Bars before the stored ones would change indicator values and what
    // the first evaluated bars see: refuse rather than answer differently.
    if (a.origin != 0 || a.truncated != 0)
      return InvalidArgument("EvaluateRange: the series arena keeps only the newest " +
                             std::to_string(arena_->capacity()) + " bars of " + s +
                             "; set RuntimeOptions::series_capacity to at least its length");
    const int64_t* ts = arena_->Times(slot);
    const int64_t* lo = std::lower_bound(ts, ts + a.len, req.from_ts);
    const int64_t* hi = std::upper_bound(lo, ts + a.len, req.to_ts);
    lists.emplace_back(lo, hi);
  }
  const std::vector<market::TimeCount> times = market::UnionOfTimes(lists);
  RangeResult result;
  if (slots.empty() || times.empty()) return result;
  // Chunks of about range_chunk_bars symbol-bars, cut between bar times.
  struct Chunk {
    int64_t from, to, bars;
  };
  std::vector<Chunk> chunks;
  const int64_t per_chunk = std::max<int64_t>(1, opt_.range_chunk_bars);
  int64_t total = 0;
  for (size_t i = 0; i < times.size();) {
    Chunk c{times[i].ts, times[i].ts, 0};
    while (i < times.size() && c.bars < per_chunk) {
      c.to = times[i].ts;
      c.bars += times[i].count;
      ++i;
    }
    total += c.bars;
    chunks.push_back(c);
  }
  // Shards: one worker per contiguous block of symbols with about the same
  // number of symbol-bars. More than one only for a strategy that declares
  // `independent = true` (no state shared between symbols, no rank) and a
  // range large enough to pay for starting another worker. Shard 0 is the
  // strategy's own worker; the others live for this call.
  struct Shard {
    WorkerProcess* worker = nullptr;
    std::unique_ptr<WorkerProcess> owned;
    std::vector<int> slots;
  };
  retired_.clear();
  std::vector<Shard> shards(1);
  shards[0].worker = e.active.worker.get();
  const bool independent = e.active.declaration.value("independent", false);
  const int64_t want = std::min<int64_t>(opt_.range_workers, static_cast<int64_t>(slots.size()));
  if (independent && want > 1 && total >= opt_.range_shard_min_bars) {
    std::vector<int64_t> bars_of(slots.size());
    for (size_t k = 0; k < lists.size(); ++k) bars_of[k] = static_cast<int64_t>(lists[k].size());
    shards.resize(static_cast<size_t>(want));
    for (size_t k = 1; k < shards.size(); ++k) {
      auto w = SpawnWorker(e.file, e.active.source, nullptr);
      if (!w.ok()) {
        spdlog::warn("lua: {}: a range worker did not start ({}); evaluating with {}", e.file,
                     w.status().message(), k);
        shards.resize(k);
        break;
      }
      if (!features_.empty()) {
        std::vector<const FeatureSeries*> live;
        for (const auto& [key, f] : features_) live.push_back(&f);
        if (Status fs = SendFeatures(**w, "live", live); !fs.ok()) {
          shards.resize(k);
          break;
        }
      }
      shards[k].owned = std::move(*w);
      shards[k].worker = shards[k].owned.get();
    }
    int64_t acc = 0;
    for (size_t k = 0; k < slots.size(); ++k) {
      const size_t shard = std::min(shards.size() - 1,
                                    static_cast<size_t>(acc * static_cast<int64_t>(shards.size()) / total));
      shards[shard].slots.push_back(slots[k]);
      acc += bars_of[k];
    }
    std::erase_if(shards, [](const Shard& sh) { return sh.slots.empty() && sh.owned; });
  } else {
    shards[0].slots = slots;
  }
  if (!req.features.empty()) {
    std::vector<const FeatureSeries*> list;
    for (const auto& f : req.features) {
      if (f.ts.size() != f.values.size())
        return InvalidArgument("EvaluateRange: feature series " + f.set + "." + f.name +
                               ": ts and values differ in length");
      list.push_back(&f);
    }
    for (Shard& sh : shards)
      if (Status s = SendFeatures(*sh.worker, "range", list); !s.ok()) {
        Disable(e, "feature series could not be delivered: " + s.message());
        return Unavailable("EvaluateRange: " + e.status.last_error);
      }
  }
  nlohmann::json tfs = TimeframesJson(e, syms);
  int64_t done = 0;
  result.workers = static_cast<int>(shards.size());
  // Each worker has the next kAhead chunks queued, so it goes on while the
  // host decodes, merges and simulates (and while it reads another worker);
  // every early return below either drains what is in flight or kills the
  // workers (Disable; the shards' own workers die with `shards`).
  constexpr size_t kAhead = 2;
  using Clock = std::chrono::steady_clock;
  std::vector<std::chrono::milliseconds> budgets(chunks.size());
  std::vector<Clock::time_point> sent_at(chunks.size());
  std::vector<Clock::time_point> free_at(shards.size());  // when a worker gave its last reply
  size_t next_send = 0;
  Status send_error = Status::Ok();
  auto cancelled = [&] { return req.cancel != nullptr && req.cancel->load(); };
  auto send_ahead = [&](size_t first_unread) {
    while (send_error.ok() && next_send < chunks.size() && next_send < first_unread + kAhead &&
           !cancelled()) {
      const Chunk& c = chunks[next_send];
      budgets[next_send] = std::chrono::duration_cast<std::chrono::milliseconds>(
          opt_.eval_budget + opt_.range_budget_per_bar * c.bars);
      sent_at[next_send] = Clock::now();
      for (Shard& sh : shards) {
        nlohmann::json rq = {{"slots", sh.slots}, {"from_ts", c.from}, {"to_ts", c.to},
                             {"backstop_s", budgets[next_send].count() / 1000 * 2 + 5}};
        if (!tfs.is_null()) rq["timeframes"] = tfs;
        if (Status st = sh.worker->Send(MsgType::kRange, rq); !st.ok()) send_error = st;
      }
      ++next_send;
    }
  };
  if (cancelled())
    return Status(SF_ERR_CANCELLED, "EvaluateRange: cancelled after 0 of " + std::to_string(total) +
                                        " symbol-bars");
  for (size_t k = 0; k < shards.size(); ++k) free_at[k] = Clock::now();
  send_ahead(0);
  std::vector<std::string> wires(shards.size());
  std::vector<nlohmann::json> replies(shards.size());
  for (size_t ci = 0; ci < chunks.size(); ++ci) {
    const Chunk& c = chunks[ci];
    for (size_t k = 0; k < shards.size(); ++k) {
      WorkerProcess& w = *shards[k].worker;
      // A queued chunk's budget starts when the worker is done with the one before.
      const Deadline deadline = std::max(sent_at[ci], free_at[k]) + budgets[ci];
      auto r = send_error.ok() ? w.Receive(deadline, &wires[k]) : StatusOr<nlohmann::json>(send_error);
      free_at[k] = Clock::now();
      const std::string reason = FailureReason(w, r, [&] {
        const std::string sym = SymbolOfSlot(w.progress() - 1);
        return "exceeded its CPU budget of " + std::to_string(budgets[ci].count()) + " ms for " +
               std::to_string(c.bars) + " symbol-bars (eval_budget + " +
               std::to_string(opt_.range_budget_per_bar.count()) + " us per symbol-bar)" +
               (sym.empty() ? "" : " in evaluate(ctx, \"" + sym + "\")") + " at bar time " +
               std::to_string(w.progress_ts()) + "; killed";
      });
      if (!reason.empty()) {
        Disable(e, reason);
        return Unavailable("EvaluateRange: " + e.status.name + " " + reason);
      }
      replies[k] = std::move(*r);
    }
    send_ahead(ci + 1);
    // Each shard's bars, merged by bar time; at one time the shards' output
    // in shard order is the symbols' order, as one worker would give it.
    std::map<int64_t, BarResult> merged;
    for (size_t k = 0; k < shards.size(); ++k) {
      Status decoded = ReadRangeBars(wires[k], [&](int64_t t, BatchOutput& b) {
        AppendBatch(e, b, req.timeframe, t, &merged[t], req.intent_identity);
      });
      if (!decoded.ok()) {
        Disable(e, "the strategy runtime sent a malformed range reply: " + decoded.message());
        return Unavailable("EvaluateRange: " + e.status.last_error);
      }
      result.evaluated += replies[k].value("evaluated", int64_t{0});
      result.worker_seconds += replies[k].value("seconds", 0.0);
      result.worker_cpu_seconds += replies[k].value("cpu_seconds", 0.0);
    }
    // Distinct bar times: the shards' sets overlap; the union is the chunk's.
    int64_t times_in_chunk = 0;
    for (const auto& tc : times)
      if (tc.ts >= c.from && tc.ts <= c.to) ++times_in_chunk;
    result.bar_times += shards.size() == 1 ? replies[0].value("bar_times", int64_t{0}) : times_in_chunk;
    std::vector<std::pair<int64_t, BarResult>> chunk_bars;
    chunk_bars.reserve(merged.size());
    const size_t cap = static_cast<size_t>(opt_.max_intents_per_bar);
    for (auto& [t, br] : merged) {
      // Log lines: at most kMaxLogLinesPerBar per bar, each shard capped only
      // its own. Shards are contiguous symbol blocks merged in order, so the
      // first lines are the ones one worker would have kept.
      if (shards.size() > 1 && br.logs.size() > kMaxLogLinesPerBar) br.logs.resize(kMaxLogLinesPerBar);
      if (shards.size() > 1 && br.intents.size() > cap) {  // each shard capped only its own
        for (size_t i = cap; i < br.intents.size(); ++i)
          br.rejected.push_back({e.status.name, e.active.hash, br.intents[i].symbol,
                                 "over the cap of " + std::to_string(opt_.max_intents_per_bar) +
                                     " intents per strategy per bar"});
        br.intents.resize(cap);
      }
      chunk_bars.emplace_back(t, std::move(br));
    }
    bool go_on = true;
    if (req.on_chunk) {
      go_on = req.on_chunk(c.to, chunk_bars);
    } else {
      for (auto& b : chunk_bars) result.bars.push_back(std::move(b));
    }
    done += c.bars;
    if (req.progress) req.progress(static_cast<double>(done) / static_cast<double>(total));
    if (ci + 1 < chunks.size() && (!go_on || cancelled() || next_send <= ci + 1)) {
      // Chunks still in flight finish (their output is dropped) so the
      // strategy's worker is idle for the next request.
      for (size_t j = ci + 1; j < next_send && e.active.worker; ++j) {
        auto drained = e.active.worker->Receive(std::max(sent_at[j], free_at[0]) + budgets[j], &wires[0]);
        free_at[0] = Clock::now();
        const std::string why = FailureReason(*e.active.worker, drained, [] { return std::string("timed out"); });
        if (!why.empty()) Disable(e, why);
      }
      return Status(SF_ERR_CANCELLED, "EvaluateRange: cancelled after " + std::to_string(done) +
                                          " of " + std::to_string(total) + " symbol-bars");
    }
  }
  if (!req.features.empty()) {
    Status s = SendFeatures(*e.active.worker, "range", {});
    if (!s.ok()) spdlog::warn("lua: {}: clearing range feature series failed: {}", e.file, s.message());
  }
  for (Shard& sh : shards)
    if (sh.owned) retired_.push_back(std::move(sh.owned));
  return result;
}

std::vector<StrategyStatus> StrategyRuntime::Statuses() const {
  std::lock_guard lock(mu_);
  std::vector<StrategyStatus> out;
  for (const auto& [file, e] : entries_) out.push_back(e.status);
  return out;
}

std::optional<StrategyStatus> StrategyRuntime::FindStatus(const std::string& file) const {
  std::error_code ec;
  const std::string path = fs::absolute(file, ec).lexically_normal().string();
  std::lock_guard lock(mu_);
  auto it = entries_.find(path);
  if (it == entries_.end()) return std::nullopt;
  return it->second.status;
}

std::optional<std::string> StrategyRuntime::VersionSource(const std::string& hash) const {
  std::lock_guard lock(mu_);
  auto it = sources_.find(hash);
  if (it == sources_.end()) return std::nullopt;
  return it->second;
}

void StrategyRuntime::Refresh(const std::string& file, bool force) {
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(file);
    if (it != entries_.end()) it->second.remove_pending = true;
    return;
  }
  (void)LoadFileImpl(file, false, force);
}

Status StrategyRuntime::StartWatching() {
  if (watcher_.joinable()) return Status::Ok();
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) return IoError(std::string("inotify_init1: ") + strerror(errno));
  const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;
  if (inotify_add_watch(inotify_fd_, opt_.scripts_dir.c_str(), mask) < 0)
    return IoError("inotify: cannot watch " + opt_.scripts_dir + ": " + strerror(errno));
  (void)inotify_add_watch(inotify_fd_, opt_.lib_dir.c_str(), mask);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  stop_ = false;
  watcher_ = std::thread([this] { WatchLoop(); });
  return Status::Ok();
}

void StrategyRuntime::StopWatching() {
  if (!watcher_.joinable()) return;
  stop_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  watcher_.join();
  close(inotify_fd_);
  close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
}

void StrategyRuntime::WatchLoop() {
  alignas(inotify_event) char buf[16384];
  std::set<std::string> dirty;
  bool lib_dirty = false;
  while (!stop_) {
    pollfd p[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    // Short debounce once something changed: editors write in several steps.
    int timeout = (dirty.empty() && !lib_dirty) ? 1000 : 50;
    int r = poll(p, 2, timeout);
    if (stop_) break;
    if (r > 0 && (p[0].revents & POLLIN)) {
      for (;;) {
        ssize_t n = read(inotify_fd_, buf, sizeof(buf));
        if (n <= 0) break;
        for (char* q = buf; q < buf + n;) {
          auto* ev = reinterpret_cast<inotify_event*>(q);
          q += sizeof(inotify_event) + ev->len;
          if (ev->len == 0) continue;
          fs::path name(ev->name);
          if (!IsStrategyFile(name)) continue;
          // The watch descriptor of scripts_dir is 1 (added first).
          if (ev->wd == 1) dirty.insert((fs::path(opt_.scripts_dir) / name).string());
          else lib_dirty = true;
        }
      }
      continue;  // keep collecting until quiet for the debounce period
    }
    if (r == 0 && (!dirty.empty() || lib_dirty)) {
      if (lib_dirty) {
        // A helper changed: every strategy may require it; re-check them all.
        std::error_code ec;
        for (const auto& de : fs::directory_iterator(opt_.scripts_dir, ec))
          if (de.is_regular_file() && IsStrategyFile(de.path())) dirty.insert(de.path().string());
      }
      for (const auto& f : dirty) Refresh(f, lib_dirty);
      dirty.clear();
      lib_dirty = false;
    }
  }
}

}  // namespace sf::lua
