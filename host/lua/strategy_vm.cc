#include "lua/strategy_vm.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>

#include <sys/mman.h>
#include <unistd.h>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include "market/bar_series.h"
#include "plugins/registry.h"

namespace sf::lua {
namespace {

constexpr int kMaxJsonDepth = 32;

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  if (!*ok) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// lua_getfield without metamethods: strategy tables may carry traps
// (__index that errors), and the host reads them outside any pcall.
void RawField(lua_State* L, int idx, const char* name) {
  if (idx < 0 && idx > LUA_REGISTRYINDEX) idx = lua_gettop(L) + idx + 1;
  lua_pushstring(L, name);
  lua_rawget(L, idx);
}

std::string LuaTypeName(lua_State* L, int idx) { return lua_typename(L, lua_type(L, idx)); }

// Pushes a JSON value as a Lua value.
void PushJson(lua_State* L, const nlohmann::json& j, int depth = 0) {
  if (depth > kMaxJsonDepth || j.is_null()) {
    lua_pushnil(L);
  } else if (j.is_boolean()) {
    lua_pushboolean(L, j.get<bool>());
  } else if (j.is_number()) {
    lua_pushnumber(L, j.get<double>());
  } else if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    lua_pushlstring(L, s.data(), s.size());
  } else if (j.is_array()) {
    lua_createtable(L, static_cast<int>(j.size()), 0);
    int i = 1;
    for (const auto& v : j) {
      PushJson(L, v, depth + 1);
      lua_rawseti(L, -2, i++);
    }
  } else {
    lua_createtable(L, 0, static_cast<int>(j.size()));
    for (const auto& [k, v] : j.items()) {
      lua_pushlstring(L, k.data(), k.size());
      PushJson(L, v, depth + 1);
      lua_rawset(L, -3);
    }
  }
}

// Converts the Lua value at idx into JSON for saved state. Only numbers,
// strings, booleans and tables of them; `path` names the field in errors.
Status ToJson(lua_State* L, int idx, const std::string& path, int depth, nlohmann::json* out) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: *out = nullptr; return Status::Ok();
    case LUA_TBOOLEAN: *out = static_cast<bool>(lua_toboolean(L, idx)); return Status::Ok();
    case LUA_TNUMBER: {
      double d = lua_tonumber(L, idx);
      if (std::isfinite(d)) *out = d; else *out = nullptr;
      return Status::Ok();
    }
    case LUA_TSTRING: {
      size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      *out = std::string(s, n);
      return Status::Ok();
    }
    case LUA_TTABLE: break;
    default:
      return InvalidArgument("state field '" + path + "' holds a " + LuaTypeName(L, idx) +
                             "; only numbers, strings, booleans and tables can be saved");
  }
  if (depth > kMaxJsonDepth)
    return InvalidArgument("state field '" + path + "' is nested deeper than 32 levels");
  size_t alen = lua_objlen(L, idx);
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    ++count;
    lua_pop(L, 1);
  }
  if (alen > 0 && alen == count) {
    *out = nlohmann::json::array();
    for (size_t i = 1; i <= alen; ++i) {
      lua_rawgeti(L, idx, static_cast<int>(i));
      nlohmann::json v;
      Status s = ToJson(L, -1, path + "[" + std::to_string(i) + "]", depth + 1, &v);
      lua_pop(L, 1);
      SF_RETURN_IF_ERROR(s);
      out->push_back(std::move(v));
    }
    return Status::Ok();
  }
  *out = nlohmann::json::object();
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    std::string key;
    if (lua_type(L, -2) == LUA_TSTRING) {
      key = lua_tostring(L, -2);
    } else if (lua_type(L, -2) == LUA_TNUMBER) {
      char buf[64];
      snprintf(buf, sizeof(buf), "%.17g", lua_tonumber(L, -2));
      key = buf;
    } else {
      lua_pop(L, 2);
      return InvalidArgument("state field '" + path + "' has a key that is not a string or number");
    }
    nlohmann::json v;
    Status s = ToJson(L, -1, path.empty() ? key : path + "." + key, depth + 1, &v);
    lua_pop(L, 1);
    if (!s.ok()) {
      lua_pop(L, 1);
      return s;
    }
    (*out)[key] = std::move(v);
  }
  return Status::Ok();
}

std::string NumText(double d) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.10g", d);
  return buf;
}

}  // namespace

void* SmallBlockPool::Get(size_t size) {
  const size_t c = (size - 1) / kGranule;
  void* p = free_[c];
  if (p != nullptr) {
    free_[c] = *static_cast<void**>(p);
    return p;
  }
  const size_t bytes = (c + 1) * kGranule;
  if (chunk_left_ < bytes) {
    // The tail of the old chunk is given to the free lists it fits.
    while (chunk_left_ >= kGranule) {
      const size_t t = std::min(chunk_left_ / kGranule, kClasses) - 1;
      *reinterpret_cast<void**>(chunk_next_) = free_[t];
      free_[t] = chunk_next_;
      chunk_next_ += (t + 1) * kGranule;
      chunk_left_ -= (t + 1) * kGranule;
    }
    chunks_.emplace_back(new (std::nothrow) unsigned char[kChunkBytes]);
    if (!chunks_.back()) {
      chunks_.pop_back();
      return nullptr;
    }
    chunk_next_ = chunks_.back().get();
    chunk_left_ = kChunkBytes;
  }
  p = chunk_next_;
  chunk_next_ += bytes;
  chunk_left_ -= bytes;
  return p;
}

void SmallBlockPool::Put(void* p, size_t size) {
  const size_t c = (size - 1) / kGranule;
  *static_cast<void**>(p) = free_[c];
  free_[c] = p;
}

void* StrategyVm::Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* vm = static_cast<StrategyVm*>(ud);
  // Lua always passes the block's size as osize, so small blocks (tables,
  // strings, closures: most of a strategy's garbage) go to and from the
  // pool without malloc; the cap counts requested bytes either way.
  const size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    if (ptr != nullptr) {
      vm->mem_used_ -= osize;
      if (osize <= SmallBlockPool::kMaxSmall) vm->pool_.Put(ptr, osize);
      else free(ptr);
    }
    return nullptr;
  }
  if (nsize > old && vm->mem_used_ + (nsize - old) > vm->opt_.memory_limit) {
    if (vm->opt_.exit_on_memory_cap) {
      static const char kMsg[] = "sf_lua_worker: memory cap exceeded\n";
      (void)!write(2, kMsg, sizeof(kMsg) - 1);
      _exit(kExitMemoryCap);
    }
    vm->mem_refused_ = true;
    return nullptr;
  }
  void* p;
  const bool old_small = ptr != nullptr && osize <= SmallBlockPool::kMaxSmall;
  if (nsize <= SmallBlockPool::kMaxSmall) {
    if (old_small && SmallBlockPool::SameClass(osize, nsize)) {
      p = ptr;
    } else {
      p = vm->pool_.Get(nsize);
      if (p == nullptr) return nullptr;
      if (ptr != nullptr) {
        std::memcpy(p, ptr, std::min(osize, nsize));
        if (old_small) vm->pool_.Put(ptr, osize);
        else free(ptr);
      }
    }
  } else if (old_small) {
    p = malloc(nsize);
    if (p == nullptr) return nullptr;
    std::memcpy(p, ptr, osize);
    vm->pool_.Put(ptr, osize);
  } else {
    p = realloc(ptr, nsize);
    if (p == nullptr) return nullptr;
  }
  vm->mem_used_ = vm->mem_used_ - old + nsize;
  return p;
}

StatusOr<std::unique_ptr<StrategyVm>> StrategyVm::Create(const VmOptions& options) {
  if (options.arena == nullptr) return InvalidArgument("StrategyVm: an arena is required");
  std::unique_ptr<StrategyVm> vm(new StrategyVm(options));
  if (vm->opt_.progress == nullptr) vm->opt_.progress = vm->local_progress_;
  SF_RETURN_IF_ERROR(vm->Bootstrap());
  return vm;
}

template <class T>
T* StrategyVm::ColumnAllocator<T>::allocate(size_t n) {
  if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
  const size_t bytes = n * sizeof(T);
  if (bytes < kPopulateBytes) return static_cast<T*>(::operator new(bytes));
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<T*>(p);
}

template <class T>
void StrategyVm::ColumnAllocator<T>::deallocate(T* p, size_t n) noexcept {
  const size_t bytes = n * sizeof(T);
  if (bytes < kPopulateBytes) ::operator delete(p);
  else munmap(p, bytes);
}

template struct StrategyVm::ColumnAllocator<double>;

StrategyVm::~StrategyVm() {
  if (L_ != nullptr) lua_close(L_);
}

Status StrategyVm::Bootstrap() {
  L_ = lua_newstate(&StrategyVm::Alloc, this);
  if (L_ == nullptr) return Internal("lua_newstate failed (allocator refused the state)");
  luaL_openlibs(L_);

  const std::string path = opt_.lib_dir + "/sf/runtime.lua";
  bool ok;
  std::string src = ReadFile(path, &ok);
  if (!ok) return NotFound("lua runtime: cannot read " + path);
  if (luaL_loadbufferx(L_, src.data(), src.size(), "@sf/runtime.lua", "t") != 0) {
    std::string err = lua_tostring(L_, -1);
    return Internal("lua runtime: " + err);
  }
  const ArenaHeader& h = opt_.arena->header();
  cursors_.reset(new SlotCursor[h.max_slots]());
  batch_.reset(new int32_t[h.max_slots]());
  slot_entries_.resize(h.max_slots);
  lua_createtable(L_, 0, 16);
  lua_pushlightuserdata(L_, const_cast<ArenaSlot*>(opt_.arena->slots()));
  lua_setfield(L_, -2, "slots_addr");
  lua_pushlightuserdata(L_, const_cast<double*>(opt_.arena->data()));
  lua_setfield(L_, -2, "data_addr");
  lua_pushlightuserdata(L_, &columns_base_);
  lua_setfield(L_, -2, "columns_addr");
  lua_pushlightuserdata(L_, cursors_.get());
  lua_setfield(L_, -2, "cursors_addr");
  lua_pushlightuserdata(L_, batch_.get());
  lua_setfield(L_, -2, "batch_addr");
  lua_pushinteger(L_, h.history_bars);
  lua_setfield(L_, -2, "history_bars");
  lua_pushlightuserdata(L_, const_cast<int32_t*>(opt_.progress));
  lua_setfield(L_, -2, "progress_addr");
  lua_pushinteger(L_, h.capacity);
  lua_setfield(L_, -2, "capacity");
  lua_pushlightuserdata(L_, this);
  lua_pushcclosure(L_, &StrategyVm::ComputeL, 1);
  lua_setfield(L_, -2, "compute");
  lua_pushlightuserdata(L_, this);
  lua_pushcclosure(L_, &StrategyVm::PredictL, 1);
  lua_setfield(L_, -2, "predict");
  lua_pushlightuserdata(L_, this);
  lua_pushcclosure(L_, &StrategyVm::ReadLibL, 1);
  lua_setfield(L_, -2, "read_lib");
  if (lua_pcall(L_, 1, 1, 0) != 0) {
    std::string err = lua_tostring(L_, -1);
    return Internal("lua runtime: " + err);
  }
  runtime_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
  // The intent field names, interned once and anchored in the registry:
  // CollectIntents compares a table's keys with them by pointer.
  for (int f = 0; f < kFieldCount; ++f) {
    lua_pushstring(L_, kIntentFields[f]);
    field_names_[f] = lua_tostring(L_, -1);
    field_refs_[f] = luaL_ref(L_, LUA_REGISTRYINDEX);
  }

  // Seal: nothing dangerous stays reachable from the real globals or the
  // module cache, even if a strategy found a way to them.
  static const char* kRemove[] = {"io", "os", "debug", "ffi", "jit", "package", "dofile",
                                  "loadfile", "load", "loadstring", "require", "module",
                                  "getfenv", "setfenv", "newproxy", "collectgarbage",
                                  "rawset", "setmetatable", "string", "table", "coroutine",
                                  "math", "bit", "print", "gcinfo"};
  RawField(L_, LUA_REGISTRYINDEX, "_LOADED");
  for (const char* name : kRemove) {
    lua_pushnil(L_);
    lua_setfield(L_, LUA_GLOBALSINDEX, name);
    if (lua_istable(L_, -1)) {
      lua_pushnil(L_);
      lua_setfield(L_, -2, name);
    }
  }
  static const char* kLoadedRemove[] = {"table.new", "table.clear", "jit.util", "jit.profile",
                                        "thread.exdata", "_G"};
  if (lua_istable(L_, -1)) {
    for (const char* name : kLoadedRemove) {
      lua_pushnil(L_);
      lua_setfield(L_, -2, name);
    }
  }
  lua_pop(L_, 1);
  lua_gc(L_, LUA_GCCOLLECT, 0);
  return Status::Ok();
}

Status StrategyVm::CallRuntime(const char* fn, int nargs, int nresults) {
  // Stack: args...; insert R[fn] below them.
  lua_rawgeti(L_, LUA_REGISTRYINDEX, runtime_ref_);
  RawField(L_, -1, fn);
  lua_remove(L_, -2);
  lua_insert(L_, -(nargs + 1));
  if (lua_pcall(L_, nargs, nresults, 0) != 0) {
    std::string err = lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "(error object is not a string)";
    lua_pop(L_, 1);
    return Internal(err);
  }
  return Status::Ok();
}

int StrategyVm::ReadLibL(lua_State* L) {
  auto* vm = static_cast<StrategyVm*>(lua_touserdata(L, lua_upvalueindex(1)));
  const char* name = luaL_checkstring(L, 1);
  // The sandbox already checked the name (letters, digits, '_', single dots).
  std::string rel(name);
  for (char& c : rel)
    if (c == '.') c = '/';
  rel += ".lua";
  const std::string path = vm->opt_.lib_dir + "/" + rel;
  bool ok;
  std::string src = ReadFile(path, &ok);
  if (!ok) {
    lua_pushnil(L);
    lua_pushfstring(L, "no file scripts/lib/%s", rel.c_str());
    return 2;
  }
  lua_pushlstring(L, src.data(), src.size());
  std::string chunk = "@lib/" + rel;
  lua_pushlstring(L, chunk.data(), chunk.size());
  return 2;
}

int StrategyVm::ComputeL(lua_State* L) {
  auto* vm = static_cast<StrategyVm*>(lua_touserdata(L, lua_upvalueindex(1)));
  char err[512];
  err[0] = 0;
  int r = vm->Compute(L, err, sizeof(err));
  if (r < 0) {
    // No position here: the runtime re-raises it at the strategy's call site.
    lua_pushstring(L, err);
    return lua_error(L);
  }
  return r;
}

// (slot, name, params) -> first column, output names, parameter names. No C++ object with a
// destructor is alive when the caller raises the error.
int StrategyVm::Compute(lua_State* L, char* err, size_t errcap) {
  const int slot = static_cast<int>(lua_tointeger(L, 1));
  const char* name = lua_tostring(L, 2);
  if (name == nullptr) {
    snprintf(err, errcap, "indicator: name must be a string");
    return -1;
  }
  if (opt_.indicators == nullptr) {
    snprintf(err, errcap, "indicator '%s': no indicator plugins are loaded", name);
    return -1;
  }
  const IndicatorInfo* info = opt_.indicators->Find(name);
  if (info == nullptr) {
    std::string known;
    for (const auto& id : opt_.indicators->Ids()) known += (known.empty() ? "" : ", ") + id;
    snprintf(err, errcap, "indicator '%s' is not provided by any loaded plugin (known: %s)", name,
             known.c_str());
    return -1;
  }
  if (slot < 0 || static_cast<uint32_t>(slot) >= opt_.arena->header().max_slots) {
    snprintf(err, errcap, "indicator '%s': called outside evaluate (no current series)", name);
    return -1;
  }
  try {
    std::vector<double> params(info->params.size());
    for (size_t i = 0; i < params.size(); ++i) params[i] = info->params[i].default_value;
    if (lua_istable(L, 3)) {
      lua_pushnil(L);
      while (lua_next(L, 3) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
          lua_pop(L, 2);
          snprintf(err, errcap, "indicator '%s': parameter names must be strings", name);
          return -1;
        }
        const char* pname = lua_tostring(L, -2);
        size_t k = 0;
        while (k < info->params.size() && info->params[k].name != pname) ++k;
        if (k == info->params.size()) {
          std::string names;
          for (const auto& p : info->params) names += (names.empty() ? "" : ", ") + p.name;
          lua_pop(L, 2);
          snprintf(err, errcap, "indicator '%s': unknown parameter '%s' (parameters: %s)", name,
                   pname, names.c_str());
          return -1;
        }
        const IndicatorParam& p = info->params[k];
        double v;
        if (lua_type(L, -1) == LUA_TNUMBER) {
          v = lua_tonumber(L, -1);
        } else if (p.type == "enum" && lua_type(L, -1) == LUA_TSTRING) {
          std::string s = lua_tostring(L, -1);
          size_t e = 0;
          while (e < p.values.size() && p.values[e] != s) ++e;
          if (e == p.values.size()) {
            lua_pop(L, 2);
            snprintf(err, errcap, "indicator '%s': parameter '%s' has no value '%s'", name,
                     p.name.c_str(), s.c_str());
            return -1;
          }
          v = static_cast<double>(e);
        } else {
          const char* tn = lua_typename(L, lua_type(L, -1));
          lua_pop(L, 2);
          snprintf(err, errcap, "indicator '%s': parameter '%s' must be a number, got %s", name,
                   p.name.c_str(), tn);
          return -1;
        }
        lua_pop(L, 1);
        if (!std::isfinite(v) || v < p.min || v > p.max ||
            (p.type == "int" && v != std::floor(v))) {
          lua_pop(L, 1);
          snprintf(err, errcap,
                   "indicator '%s': parameter '%s' = %s breaks its rule (%s in [%s, %s])", name,
                   p.name.c_str(), NumText(v).c_str(), p.type.c_str(), NumText(p.min).c_str(),
                   NumText(p.max).c_str());
          return -1;
        }
        params[k] = v;
      }
    }
    std::string key = std::to_string(slot) + "|" + info->id;
    for (double p : params) key += "|" + NumText(p);
    size_t idx;
    auto it = entry_index_.find(key);
    if (it != entry_index_.end()) {
      idx = it->second;
    } else {
      auto e = std::make_unique<IndEntry>();
      e->info = info;
      e->params = params;
      e->slot = slot;
      e->out.resize(info->outputs.size());
      e->first_column = static_cast<int>(columns_.size());
      columns_.resize(columns_.size() + info->outputs.size(), IndColumn{nullptr, 0, 0});
      columns_base_ = columns_.data();
      idx = entries_.size();
      entries_.push_back(std::move(e));
      entry_index_.emplace(key, idx);
      slot_entries_[static_cast<size_t>(slot)].push_back(idx);
    }
    IndEntry& e = *entries_[idx];
    if (Extend(e, range_mode_, err, errcap) < 0) return -1;
    lua_pushinteger(L, e.first_column);
    lua_createtable(L, static_cast<int>(info->outputs.size()), 0);
    for (size_t k = 0; k < info->outputs.size(); ++k) {
      lua_pushstring(L, info->outputs[k].c_str());
      lua_rawseti(L, -2, static_cast<int>(k + 1));
    }
    lua_createtable(L, static_cast<int>(info->params.size()), 0);
    for (size_t k = 0; k < info->params.size(); ++k) {
      lua_pushstring(L, info->params[k].name.c_str());
      lua_rawseti(L, -2, static_cast<int>(k + 1));
    }
    return 3;
  } catch (const std::exception& e) {
    snprintf(err, errcap, "indicator '%s': %s", name, e.what());
    return -1;
  }
}

void StrategyVm::PublishColumns(const IndEntry& e) {
  for (size_t k = 0; k < e.out.size(); ++k)
    columns_[static_cast<size_t>(e.first_column) + k] = {e.out[k].data(),
                                                         static_cast<int32_t>(e.origin), 0};
}

int StrategyVm::Extend(IndEntry& e, bool whole, char* err, size_t errcap) {
  const ArenaSlot& s = opt_.arena->slots()[e.slot];
  const IndicatorInfo& info = *e.info;
  const size_t outs = info.outputs.size();
  const int64_t target = static_cast<int64_t>(s.origin) + s.len;
  const bool streaming = info.vt->stream_create && info.vt->stream_update &&
                         info.vt->stream_destroy && outs <= 16;
  auto fail = [&](sf_status st) {
    std::string msg = plugins::TakePluginError(sf_status_name(st));
    snprintf(err, errcap, "indicator '%s': %s", info.id.c_str(), msg.c_str());
    // Start over next time rather than keep half-extended columns.
    e.generation = -1;
    return -1;
  };
  auto reset = [&] {
    if (e.state != nullptr) info.vt->stream_destroy(e.state);
    e.state = nullptr;
    for (auto& v : e.out) {
      cached_cells_ -= v.size();
      Column().swap(v);
    }
    e.origin = e.upto = s.origin;
    e.generation = s.generation;
  };
  // A rewritten slot, bars dropped before they were computed, or (without
  // streaming, or a state that was not fed) anything new: start from the
  // first stored bar.
  if (e.generation != s.generation || e.upto < s.origin) reset();
  if (e.upto == target) return 0;
  if (e.upto != e.origin && (!streaming || e.state == nullptr)) reset();
  const int64_t from = e.upto;
  const int64_t count = target - from;
  if (cached_cells_ + static_cast<size_t>(count) * outs > opt_.indicator_buffer_cells) {
    snprintf(err, errcap,
             "indicator '%s': over the indicator cache budget of %zu values (too many distinct "
             "indicator calls over these series)",
             info.id.c_str(), opt_.indicator_buffer_cells);
    return -1;
  }
  plugins::ClearPluginError();
  if (from == e.origin && (whole || !streaming)) {
    // One batch call over every stored bar (bit-identical to streaming by
    // the SDK contract). No stream state: a later new bar starts over.
    const sf_bar_series in = opt_.arena->View(e.slot, from - s.origin, count);
    std::vector<double*> outputs(outs);
    for (size_t k = 0; k < outs; ++k) {
      e.out[k].resize(static_cast<size_t>(count));
      outputs[k] = e.out[k].data();
    }
    cached_cells_ += static_cast<size_t>(count) * outs;
    Status st = opt_.indicators->Compute(info, e.params, in, outputs.data());
    if (!st.ok()) {
      snprintf(err, errcap, "%s", st.message().c_str());
      e.generation = -1;
      return -1;
    }
    e.upto = target;
    PublishColumns(e);
    return 0;
  }
  if (e.state == nullptr) {
    sf_status st = info.vt->stream_create(e.params.data(), static_cast<uint32_t>(e.params.size()),
                                          &e.state);
    if (st < 0) {
      e.state = nullptr;
      return fail(st);
    }
  }
  const sf_bar_series in = opt_.arena->View(e.slot, from - s.origin, count);
  double tmp[16];
  sf_bar b{};
  b.struct_size = sizeof(b);
  for (int64_t i = 0; i < count; ++i) {
    b.ts = in.ts[i];
    b.open = in.open[i];
    b.high = in.high[i];
    b.low = in.low[i];
    b.close = in.close[i];
    b.volume = in.volume[i];
    sf_status st = info.vt->stream_update(e.state, &b, tmp, static_cast<uint32_t>(outs));
    if (st < 0) return fail(st);
    for (size_t k = 0; k < outs; ++k) e.out[k].push_back(tmp[k]);
  }
  cached_cells_ += static_cast<size_t>(count) * outs;
  e.upto = target;
  // Live series slide: drop values of bars the arena no longer stores, in
  // steps, so the columns stay about the size of the arena's slot.
  const int64_t stale = static_cast<int64_t>(s.origin) - e.origin;
  if (stale > 0 && stale >= std::max<int64_t>(64, s.len / 2)) {
    for (auto& v : e.out) v.erase(v.begin(), v.begin() + stale);
    cached_cells_ -= static_cast<size_t>(stale) * outs;
    e.origin = s.origin;
  }
  PublishColumns(e);
  return 0;
}

int StrategyVm::PredictL(lua_State* L) {
  auto* vm = static_cast<StrategyVm*>(lua_touserdata(L, lua_upvalueindex(1)));
  char err[512];
  err[0] = 0;
  int r = vm->Predict(L, err, sizeof(err));
  if (r < 0) {
    lua_pushstring(L, err);
    return lua_error(L);
  }
  return r;
}

// (model, features) -> probability (first output) or a list of outputs; nil
// when no model of that name is loaded (strategies treat it as neutral).
int StrategyVm::Predict(lua_State* L, char* err, size_t errcap) {
  const char* name = lua_tostring(L, 1);
  if (name == nullptr) {
    snprintf(err, errcap, "predict: model name must be a string");
    return -1;
  }
  if (opt_.models == nullptr) {
    lua_pushnil(L);
    return 1;
  }
  auto it = opt_.models->find(name);
  if (it == opt_.models->end() || it->second.vt == nullptr || it->second.vt->predict == nullptr) {
    lua_pushnil(L);
    return 1;
  }
  const ModelHandle& m = it->second;
  if (!lua_istable(L, 2)) {
    snprintf(err, errcap, "predict('%s'): features must be a table", name);
    return -1;
  }
  try {
    std::vector<double> row;
    size_t alen = lua_objlen(L, 2);
    if (alen > 0) {
      for (size_t i = 1; i <= alen; ++i) {
        lua_rawgeti(L, 2, static_cast<int>(i));
        row.push_back(lua_isnumber(L, -1) ? lua_tonumber(L, -1) : NAN);
        lua_pop(L, 1);
      }
    } else {
      for (const auto& f : m.features) {
        lua_getfield(L, 2, f.c_str());
        row.push_back(lua_isnumber(L, -1) ? lua_tonumber(L, -1) : NAN);
        lua_pop(L, 1);
      }
    }
    double out[16];
    int64_t cols = 0;
    plugins::ClearPluginError();
    sf_status s = m.vt->predict(m.instance, row.data(), 1, static_cast<int64_t>(row.size()), out,
                                16, &cols);
    if (s < 0) {
      std::string msg = plugins::TakePluginError(sf_status_name(s));
      snprintf(err, errcap, "predict('%s'): %s", name, msg.c_str());
      return -1;
    }
    if (cols <= 1) {
      lua_pushnumber(L, out[0]);
      return 1;
    }
    lua_createtable(L, static_cast<int>(cols), 0);
    for (int64_t k = 0; k < cols && k < 16; ++k) {
      lua_pushnumber(L, out[k]);
      lua_rawseti(L, -2, static_cast<int>(k + 1));
    }
    return 1;
  } catch (const std::exception& e) {
    snprintf(err, errcap, "predict('%s'): %s", name, e.what());
    return -1;
  }
}

StatusOr<nlohmann::json> StrategyVm::Load(const std::string& source, const std::string& chunkname,
                                          const nlohmann::json& param_overrides) {
  file_ = chunkname.size() > 1 && chunkname[0] == '@' ? chunkname.substr(1) : chunkname;
  if (!source.empty() && source[0] == '\x1b')
    return InvalidArgument(file_ + ": precompiled (bytecode) strategies are not accepted; give the source");
  if (luaL_loadbufferx(L_, source.data(), source.size(), chunkname.c_str(), "t") != 0) {
    std::string err = lua_tostring(L_, -1);
    lua_pop(L_, 1);
    return InvalidArgument(err);
  }
  Status s = CallRuntime("run_chunk", 1, 1);
  if (!s.ok()) return InvalidArgument(s.message());
  nlohmann::json decl;
  s = ValidateDeclaration(file_, param_overrides, &decl);
  if (!s.ok()) {
    lua_settop(L_, 0);
    return s;
  }
  return decl;
}

// The declaration table is on the top of the stack; on success it is bound.
Status StrategyVm::ValidateDeclaration(const std::string& file, const nlohmann::json& overrides,
                                       nlohmann::json* decl) {
  const int d = lua_gettop(L_);
  auto fail = [&](const std::string& m) { return InvalidArgument(file + ": " + m); };
  if (!lua_istable(L_, d))
    return fail("the file must return a declaration table (return { name = ..., timeframe = ..., "
                "universe = ..., evaluate = function(ctx, symbol) ... end }), got " +
                LuaTypeName(L_, d));
  static const char* kKnown[] = {"name", "description", "timeframe", "timeframes", "universe",
                                 "params", "evaluate", "rank", "save", "restore", "history",
                                 "max_intents", "cadence", "independent"};
  lua_pushnil(L_);
  while (lua_next(L_, d) != 0) {
    lua_pop(L_, 1);
    if (lua_type(L_, -1) != LUA_TSTRING) {
      lua_pop(L_, 1);
      return fail("declaration keys must be names (found a " + LuaTypeName(L_, -1) + " key)");
    }
    std::string k = lua_tostring(L_, -1);
    bool known = false;
    for (const char* n : kKnown) known = known || k == n;
    if (!known) {
      lua_pop(L_, 1);
      std::string list;
      for (const char* n : kKnown) list += (list.empty() ? "" : ", ") + std::string(n);
      return fail("unknown declaration field '" + k + "' (known: " + list + ")");
    }
  }
  nlohmann::json out = nlohmann::json::object();
  auto get_string = [&](const char* f, bool required, std::string* v) -> Status {
    RawField(L_, d, f);
    int t = lua_type(L_, -1);
    if (t == LUA_TSTRING) *v = lua_tostring(L_, -1);
    lua_pop(L_, 1);
    if (t == LUA_TNIL && !required) return Status::Ok();
    if (t != LUA_TSTRING)
      return fail(std::string("declaration field '") + f + "' must be a string" +
                  (t == LUA_TNIL ? " (it is missing)" : ""));
    return Status::Ok();
  };
  std::string name, tf, description;
  SF_RETURN_IF_ERROR(get_string("name", true, &name));
  bool name_ok = !name.empty() && name.size() <= 64;
  for (char c : name) name_ok = name_ok && (islower(static_cast<unsigned char>(c)) || isdigit(static_cast<unsigned char>(c)) || c == '_');
  if (!name_ok) return fail("declaration field 'name' must be 1-64 characters of a-z, 0-9 and _ (got '" + name + "')");
  SF_RETURN_IF_ERROR(get_string("timeframe", true, &tf));
  if (!market::ParseTimeframe(tf))
    return fail("declaration field 'timeframe' must be one of 1m, 5m, 15m, 1h, 4h, 1d (got '" + tf + "')");
  SF_RETURN_IF_ERROR(get_string("description", false, &description));
  out["name"] = name;
  out["timeframe"] = tf;
  out["description"] = description;

  // timeframes: extra timeframes read through ctx.bars_of(tf).
  out["timeframes"] = nlohmann::json::array();
  RawField(L_, d, "timeframes");
  if (lua_istable(L_, -1)) {
    for (size_t i = 1; i <= lua_objlen(L_, -1); ++i) {
      lua_rawgeti(L_, -1, static_cast<int>(i));
      const char* s = lua_tostring(L_, -1);
      bool ok = lua_type(L_, -1) == LUA_TSTRING && market::ParseTimeframe(s ? s : "");
      std::string v = s ? s : "";
      lua_pop(L_, 1);
      if (!ok) {
        lua_pop(L_, 1);
        return fail("declaration field 'timeframes[" + std::to_string(i) + "]' must be a timeframe like \"1h\"");
      }
      out["timeframes"].push_back(v);
    }
  } else if (!lua_isnil(L_, -1)) {
    lua_pop(L_, 1);
    return fail("declaration field 'timeframes' must be a list like {\"1h\"}");
  }
  lua_pop(L_, 1);

  // universe: {"AAPL", ...} | "watchlist name" | {type = "equity"}
  RawField(L_, d, "universe");
  if (lua_type(L_, -1) == LUA_TSTRING) {
    out["universe"] = {{"watchlist", lua_tostring(L_, -1)}};
  } else if (lua_istable(L_, -1)) {
    RawField(L_, -1, "type");
    if (lua_type(L_, -1) == LUA_TSTRING) {
      out["universe"] = {{"type", lua_tostring(L_, -1)}};
      lua_pop(L_, 1);
    } else {
      lua_pop(L_, 1);
      nlohmann::json syms = nlohmann::json::array();
      size_t n = lua_objlen(L_, -1);
      for (size_t i = 1; i <= n; ++i) {
        lua_rawgeti(L_, -1, static_cast<int>(i));
        bool ok = lua_type(L_, -1) == LUA_TSTRING && lua_objlen(L_, -1) > 0 && lua_objlen(L_, -1) < 24;
        std::string v = ok ? lua_tostring(L_, -1) : "";
        lua_pop(L_, 1);
        if (!ok) {
          lua_pop(L_, 1);
          return fail("declaration field 'universe[" + std::to_string(i) + "]' must be a symbol string of 1-23 characters");
        }
        syms.push_back(v);
      }
      if (syms.empty()) {
        lua_pop(L_, 1);
        return fail("declaration field 'universe' must list symbols, name a watchlist, or be {type = \"equity\"}; it is empty");
      }
      out["universe"] = {{"symbols", syms}};
    }
  } else {
    lua_pop(L_, 1);
    return fail("declaration field 'universe' must be a list of symbols, a watchlist name, or {type = \"equity\"}");
  }
  lua_pop(L_, 1);

  auto check_fn = [&](const char* f, bool required) -> Status {
    RawField(L_, d, f);
    int t = lua_type(L_, -1);
    lua_pop(L_, 1);
    if (t == LUA_TFUNCTION || (t == LUA_TNIL && !required)) return Status::Ok();
    return fail(std::string("declaration field '") + f + "' must be a function" +
                (t == LUA_TNIL ? " (it is missing)" : ""));
  };
  SF_RETURN_IF_ERROR(check_fn("evaluate", true));
  SF_RETURN_IF_ERROR(check_fn("rank", false));
  SF_RETURN_IF_ERROR(check_fn("save", false));
  SF_RETURN_IF_ERROR(check_fn("restore", false));
  RawField(L_, d, "rank");
  out["has_rank"] = lua_isfunction(L_, -1) != 0;
  lua_pop(L_, 1);
  // independent = true: evaluate(ctx, symbol) keeps no state shared between
  // symbols, so a backtest may split the universe across workers.
  RawField(L_, d, "independent");
  if (!lua_isnil(L_, -1) && !lua_isboolean(L_, -1)) {
    const std::string t = LuaTypeName(L_, -1);
    lua_pop(L_, 1);
    return fail("declaration field 'independent' must be true or false (got " + t + ")");
  }
  out["independent"] = lua_toboolean(L_, -1) != 0;
  lua_pop(L_, 1);
  if (out["independent"].get<bool>() && out["has_rank"].get<bool>())
    return fail("declaration field 'independent' cannot be true for a strategy with rank: "
                "rank compares the symbols of a bar, so they cannot be split");

  int max_intents = opt_.max_intents_per_symbol;
  RawField(L_, d, "max_intents");
  if (!lua_isnil(L_, -1)) {
    double v = lua_isnumber(L_, -1) ? lua_tonumber(L_, -1) : -1;
    lua_pop(L_, 1);
    if (!(v >= 1 && v <= opt_.max_intents_per_symbol && v == std::floor(v)))
      return fail("declaration field 'max_intents' must be a whole number in [1, " +
                  std::to_string(opt_.max_intents_per_symbol) + "]");
    max_intents = static_cast<int>(v);
  } else {
    lua_pop(L_, 1);
  }
  out["max_intents"] = max_intents;
  RawField(L_, d, "history");
  if (!lua_isnil(L_, -1)) {
    double v = lua_isnumber(L_, -1) ? lua_tonumber(L_, -1) : -1;
    lua_pop(L_, 1);
    const int hist = opt_.arena->header().history_bars;
    if (!(v >= 1 && v <= hist && v == std::floor(v)))
      return fail("declaration field 'history' must be a whole number of bars in [1, " +
                  std::to_string(hist) + "] (the host keeps " + std::to_string(hist) + " bars)");
    out["history"] = static_cast<int>(v);
  } else {
    lua_pop(L_, 1);
    out["history"] = nullptr;
  }

  // cadence: also run on a clock, "every 15 min during market hours" or
  // { every = "15m", market_hours = true }. The shape is checked here; the
  // engine parses the interval (engine/scheduler.h ParseCadence) and reports
  // a bad one with the file's name.
  RawField(L_, d, "cadence");
  if (lua_type(L_, -1) == LUA_TSTRING) {
    out["cadence"] = lua_tostring(L_, -1);
    lua_pop(L_, 1);
  } else if (lua_istable(L_, -1)) {
    const int c = lua_gettop(L_);
    nlohmann::json cad = nlohmann::json::object();
    lua_pushnil(L_);
    while (lua_next(L_, c) != 0) {
      const bool key_ok = lua_type(L_, -2) == LUA_TSTRING;
      const std::string k = key_ok ? lua_tostring(L_, -2) : "";
      if (k == "every" && lua_type(L_, -1) == LUA_TSTRING) {
        cad["every"] = lua_tostring(L_, -1);
      } else if (k == "market_hours" && lua_isboolean(L_, -1)) {
        cad["market_hours"] = lua_toboolean(L_, -1) != 0;
      } else {
        lua_pop(L_, 3);
        return fail("declaration field 'cadence' takes every = \"15m\" (a string) and "
                    "market_hours = true|false only (found '" + (key_ok ? k : "a non-name key") +
                    "' or a value of the wrong type)");
      }
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
    if (!cad.contains("every"))
      return fail("declaration field 'cadence' needs every = \"15m\" (an interval)");
    out["cadence"] = std::move(cad);
  } else if (lua_isnil(L_, -1)) {
    lua_pop(L_, 1);
  } else {
    const std::string t = LuaTypeName(L_, -1);
    lua_pop(L_, 1);
    return fail("declaration field 'cadence' must be a string such as \"every 15 min during "
                "market hours\" or a table { every = \"15m\", market_hours = true } (got " + t + ")");
  }

  // params: name = default | { default =, min =, max =, description = }
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json values = nlohmann::json::object();
  RawField(L_, d, "params");
  if (lua_istable(L_, -1)) {
    const int p = lua_gettop(L_);
    lua_pushnil(L_);
    while (lua_next(L_, p) != 0) {
      if (lua_type(L_, -2) != LUA_TSTRING) {
        lua_settop(L_, d);
        return fail("declaration field 'params' must map names to defaults");
      }
      std::string pname = lua_tostring(L_, -2);
      nlohmann::json spec = nlohmann::json::object();
      auto scalar = [&](int idx, nlohmann::json* v) {
        switch (lua_type(L_, idx)) {
          case LUA_TNUMBER: {
            double x = lua_tonumber(L_, idx);
            if (!std::isfinite(x)) return false;
            *v = x;
            return true;
          }
          case LUA_TBOOLEAN: *v = static_cast<bool>(lua_toboolean(L_, idx)); return true;
          case LUA_TSTRING: *v = std::string(lua_tostring(L_, idx)); return true;
          default: return false;
        }
      };
      nlohmann::json def;
      if (lua_istable(L_, -1)) {
        RawField(L_, -1, "default");
        bool ok = scalar(-1, &def);
        lua_pop(L_, 1);
        if (!ok) {
          lua_settop(L_, d);
          return fail("param '" + pname + "' needs a finite number, boolean or string 'default'");
        }
        for (const char* bound : {"min", "max"}) {
          RawField(L_, -1, bound);
          if (lua_type(L_, -1) == LUA_TNUMBER) spec[bound] = lua_tonumber(L_, -1);
          else if (!lua_isnil(L_, -1)) {
            lua_settop(L_, d);
            return fail("param '" + pname + "': '" + bound + "' must be a number");
          }
          lua_pop(L_, 1);
        }
        RawField(L_, -1, "description");
        if (lua_type(L_, -1) == LUA_TSTRING) spec["description"] = lua_tostring(L_, -1);
        lua_pop(L_, 1);
      } else if (!scalar(-1, &def)) {
        lua_settop(L_, d);
        return fail("param '" + pname + "' must be a default value or {default = ..., min = ..., max = ...}");
      }
      spec["default"] = def;
      nlohmann::json value = def;
      if (overrides.contains(pname)) value = overrides[pname];
      if (value.type() != def.type() && !(value.is_number() && def.is_number())) {
        lua_settop(L_, d);
        return fail("param '" + pname + "': the configured value " + value.dump() +
                    " does not have the type of its default " + def.dump());
      }
      if (value.is_number()) {
        double x = value.get<double>();
        if ((spec.contains("min") && x < spec["min"].get<double>()) ||
            (spec.contains("max") && x > spec["max"].get<double>())) {
          lua_settop(L_, d);
          return fail("param '" + pname + "' = " + NumText(x) + " is outside [" +
                      (spec.contains("min") ? NumText(spec["min"]) : "-inf") + ", " +
                      (spec.contains("max") ? NumText(spec["max"]) : "inf") + "]");
        }
      }
      spec["value"] = value;
      values[pname] = value;
      params[pname] = spec;
      lua_pop(L_, 1);
    }
  } else if (!lua_isnil(L_, -1)) {
    lua_settop(L_, d);
    return fail("declaration field 'params' must be a table");
  }
  lua_pop(L_, 1);
  for (auto it = overrides.begin(); it != overrides.end(); ++it)
    if (!params.contains(it.key()))
      return fail("configured param '" + it.key() + "' is not declared by the strategy");
  out["params"] = params;

  // Bind: R.bind(decl, params, limits)
  PushJson(L_, values);
  lua_createtable(L_, 0, 2);
  lua_pushinteger(L_, max_intents);
  lua_setfield(L_, -2, "max_per_symbol");
  lua_pushinteger(L_, opt_.atr_period);
  lua_setfield(L_, -2, "atr_period");
  // Stack: decl, values, limits
  Status s = CallRuntime("bind", 3, 0);
  lua_settop(L_, 0);
  if (!s.ok()) return fail(s.message());
  opt_.max_intents_per_symbol = max_intents;
  *decl = std::move(out);
  return Status::Ok();
}

// The value on top of the stack is what evaluate returned for `symbol`.
void StrategyVm::CollectIntents(const std::string& symbol, int slot, BatchOutput* out) {
  const int top = lua_gettop(L_);
  auto reject = [&](const std::string& reason) { out->rejected.emplace_back(symbol, reason); };
  if (!lua_istable(L_, top)) {
    reject("evaluate returned a " + LuaTypeName(L_, top) +
           "; return nil, one intent table, or a list of intent tables");
    return;
  }
  std::vector<int> items;  // absolute stack indexes of intent tables
  lua_rawgeti(L_, LUA_REGISTRYINDEX, field_refs_[kFieldSide]);
  lua_rawget(L_, top);
  const bool single = !lua_isnil(L_, -1);
  lua_pop(L_, 1);
  if (single) {
    items.push_back(top);
  } else {
    size_t n = lua_objlen(L_, top);
    if (n == 0) {
      reject("evaluate returned a table that is neither an intent (no 'side' field) nor a list of intents");
      return;
    }
    for (size_t i = 1; i <= n && i <= 1000; ++i) {
      lua_rawgeti(L_, top, static_cast<int>(i));
      items.push_back(lua_gettop(L_));
    }
  }
  const double close = [&] {
    const SlotCursor& c = cursors_[slot];
    if (c.len <= 0) return static_cast<double>(NAN);
    return opt_.arena->data()[c.off + kColClose * opt_.arena->header().capacity + c.len - 1];
  }();
  int accepted = 0;
  for (size_t idx = 0; idx < items.size(); ++idx) {
    const int t = items[idx];
    // Only messages need it: built when an intent is refused.
    auto where = [&] { return "intent " + std::to_string(idx + 1) + " for " + symbol; };
    if (!lua_istable(L_, t)) {
      reject(where() + ": must be a table, got " + LuaTypeName(L_, t));
      continue;
    }
    if (accepted >= opt_.max_intents_per_symbol) {
      reject(where() + ": over the cap of " + std::to_string(opt_.max_intents_per_symbol) +
             " intents per symbol per bar (declaration 'max_intents')");
      continue;
    }
    // One pass over the table: every key must be a field name (compared as
    // interned strings, so by pointer), and each field's value is read as
    // it goes by.
    struct FieldValue {
      int type = LUA_TNIL;
      double num = 0;
      const char* str = nullptr;  // interned by Lua; the table still holds it
      size_t len = 0;
    } fv[kFieldCount];
    std::string bad;
    lua_pushnil(L_);
    while (lua_next(L_, t) != 0) {
      if (lua_type(L_, -2) != LUA_TSTRING) {
        lua_pop(L_, 2);
        bad = where() + ": field names must be strings";
        break;
      }
      size_t klen = 0;
      const char* k = lua_tolstring(L_, -2, &klen);
      int f = 0;
      while (f < kFieldCount && k != field_names_[f]) ++f;
      if (f == kFieldCount) {
        bad = where() + ": unknown field '" + std::string(k, klen) +
              "' (fields: side, confidence, entry, target, stop, target_atr, stop_atr, expiry, summary, features)";
        lua_pop(L_, 2);
        break;
      }
      FieldValue& v = fv[f];
      v.type = lua_type(L_, -1);
      if (v.type == LUA_TNUMBER) v.num = lua_tonumber(L_, -1);
      else if (v.type == LUA_TSTRING) v.str = lua_tolstring(L_, -1, &v.len);
      lua_pop(L_, 1);
    }
    auto number = [&](int field, bool required, double lo, double hi, double* v) {
      if (!bad.empty()) return;
      const char* f = kIntentFields[field];
      const int ty = fv[field].type;
      const double x = fv[field].num;
      if (ty == LUA_TNIL) {
        if (required) bad = where() + ": field '" + f + "' is missing";
        return;
      }
      if (ty != LUA_TNUMBER) {
        bad = where() + ": field '" + f + "' must be a number, got " + lua_typename(L_, ty);
        return;
      }
      if (!std::isfinite(x)) {
        bad = where() + ": field '" + f + "' must be finite, got " + NumText(x);
        return;
      }
      if (x < lo || x > hi) {
        bad = where() + ": field '" + f + "' = " + NumText(x) + " is outside [" + NumText(lo) +
              ", " + NumText(hi) + "]";
        return;
      }
      *v = x;
    };
    std::string_view side;
    if (bad.empty()) {
      const FieldValue& v = fv[kFieldSide];
      if (v.type != LUA_TSTRING) {
        bad = where() + ": field 'side' must be \"buy\" or \"sell\"" +
              (v.type == LUA_TNIL ? std::string(" (it is missing)")
                                  : ", got a " + std::string(lua_typename(L_, v.type)));
      } else {
        side = std::string_view(v.str, v.len);
        if (side != "buy" && side != "sell") bad = where() + ": field 'side' must be \"buy\" or \"sell\", got \"" + std::string(side) + "\"";
      }
    }
    double confidence = 0, entry = close, target = 0, stop = 0, expiry = 0;
    number(kFieldConfidence, true, 0, 1, &confidence);
    number(kFieldEntry, false, 1e-12, 1e12, &entry);
    number(kFieldTarget, true, 1e-12, 1e12, &target);
    number(kFieldStop, true, 1e-12, 1e12, &stop);
    number(kFieldExpiry, true, 1, 10000, &expiry);
    if (bad.empty() && expiry != std::floor(expiry))
      bad = where() + ": field 'expiry' must be a whole number of bars, got " + NumText(expiry);
    if (bad.empty() && !std::isfinite(entry))
      bad = where() + ": field 'entry' is missing and the series has no close to default to";
    if (bad.empty()) {
      if (side == "buy" && !(stop < entry && entry < target))
        bad = where() + ": a buy needs stop < entry < target (stop " + NumText(stop) + ", entry " +
              NumText(entry) + ", target " + NumText(target) + ")";
      if (side == "sell" && !(target < entry && entry < stop))
        bad = where() + ": a sell needs target < entry < stop (target " + NumText(target) +
              ", entry " + NumText(entry) + ", stop " + NumText(stop) + ")";
    }
    std::string summary;
    if (bad.empty()) {
      const FieldValue& v = fv[kFieldSummary];
      if (v.type != LUA_TSTRING || v.len == 0 || v.len > 1000)
        bad = where() + ": field 'summary' must be a non-empty string of at most 1000 bytes" +
              (v.type == LUA_TNIL ? std::string(" (it is missing)") : "");
      else
        summary.assign(v.str, v.len);
    }
    nlohmann::json features;  // null: none given
    if (bad.empty() && fv[kFieldFeatures].type != LUA_TNIL) {
      const int before = lua_gettop(L_);
      RawField(L_, t, "features");
      if (lua_istable(L_, -1)) {
        const int ft = lua_gettop(L_);
        lua_pushnil(L_);
        while (lua_next(L_, ft) != 0) {
          if (lua_type(L_, -2) != LUA_TSTRING) {
            bad = where() + ": field 'features' must map names to numbers";
          } else if (lua_type(L_, -1) == LUA_TBOOLEAN) {
            if (features.is_null()) features = nlohmann::json::object();
            features[lua_tostring(L_, -2)] = lua_toboolean(L_, -1) ? 1.0 : 0.0;
          } else if (lua_type(L_, -1) != LUA_TNUMBER || !std::isfinite(lua_tonumber(L_, -1))) {
            bad = where() + ": features." + lua_tostring(L_, -2) + " must be a finite number";
          } else {
            if (features.is_null()) features = nlohmann::json::object();
            features[lua_tostring(L_, -2)] = lua_tonumber(L_, -1);
          }
          lua_pop(L_, 1);
          if (bad.empty() && features.size() > 64)
            bad = where() + ": field 'features' has more than 64 entries";
          if (!bad.empty()) break;
        }
      } else if (!lua_isnil(L_, -1)) {
        bad = where() + ": field 'features' must be a table of name = number";
      }
      lua_settop(L_, before);
    }
    if (!bad.empty()) {
      reject(bad);
      continue;
    }
    WireIntent& in = out->intents.emplace_back();
    in.symbol = symbol;
    in.buy = side == "buy";
    in.confidence = confidence;
    in.entry = entry;
    in.target = target;
    in.stop = stop;
    in.expiry_bars = static_cast<int>(expiry);
    in.summary = std::move(summary);
    in.features = std::move(features);
    ++accepted;
  }
  lua_settop(L_, top);
}

void StrategyVm::PointCursorAtNewest(int slot) {
  const ArenaSlot& s = opt_.arena->slots()[slot];
  const int32_t vis = std::min(s.len, opt_.arena->header().history_bars);
  cursors_[slot] = {s.base + s.start + s.len - vis, vis, s.origin + s.len, 0};
}

bool StrategyVm::RunBatch(int n, int64_t bar_ts, const nlohmann::json* extras, BatchOutput* out,
                          std::string* fatal) {
  lua_settop(L_, 0);
  lua_pushinteger(L_, n);
  lua_pushnumber(L_, static_cast<double>(bar_ts));
  if (extras != nullptr && extras->is_object() && !extras->empty()) PushJson(L_, *extras);
  else lua_pushnil(L_);
  Status s = CallRuntime("run_batch", 3, 5);
  if (!s.ok()) {
    lua_settop(L_, 0);
    *fatal = s.message();
    return false;
  }
  // results: slot, symbol, value triplets; errors: symbol, message pairs.
  const int results = 1, nres = static_cast<int>(lua_tointeger(L_, 2)), errs = 3,
            nerr = static_cast<int>(lua_tointeger(L_, 4)), logt = 5;
  const size_t before = out->intents.size();
  for (int i = 0; i < nres; ++i) {
    lua_rawgeti(L_, results, 3 * i + 1);
    const int slot = lua_isnumber(L_, -1) ? static_cast<int>(lua_tointeger(L_, -1)) : -1;
    lua_rawgeti(L_, results, 3 * i + 2);
    std::string sym = lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "";
    lua_pop(L_, 2);
    if (slot < 0) {
      out->rejected.emplace_back(sym, "rank returned a symbol that is not in this bar's batch");
      continue;
    }
    lua_rawgeti(L_, results, 3 * i + 3);
    CollectIntents(sym, slot, out);
    lua_pop(L_, 1);
  }
  for (int i = 0; i < nerr; ++i) {
    lua_rawgeti(L_, errs, 2 * i + 1);
    lua_rawgeti(L_, errs, 2 * i + 2);
    out->errors.emplace_back(lua_isstring(L_, -2) ? lua_tostring(L_, -2) : "?",
                             lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "?");
    lua_pop(L_, 2);
  }
  for (size_t i = 1; i <= lua_objlen(L_, logt); ++i) {
    lua_rawgeti(L_, logt, static_cast<int>(i));
    if (lua_isstring(L_, -1)) out->logs.push_back(lua_tostring(L_, -1));
    lua_pop(L_, 1);
  }
  lua_settop(L_, 0);
  const size_t cap = before + static_cast<size_t>(opt_.max_intents_per_bar);
  if (out->intents.size() > cap) {
    for (size_t i = cap; i < out->intents.size(); ++i)
      out->rejected.emplace_back(out->intents[i].symbol,
                                 "over the cap of " + std::to_string(opt_.max_intents_per_bar) +
                                     " intents per strategy per bar");
    out->intents.resize(cap);
  }
  if (mem_used_ > opt_.memory_limit / 10 * 8) lua_gc(L_, LUA_GCCOLLECT, 0);
  return true;
}

nlohmann::json StrategyVm::Eval(const EvalRequest& req) {
  nlohmann::json reply;
  mem_refused_ = false;
  range_mode_ = false;
  const uint32_t max_slots = opt_.arena->header().max_slots;
  int n = 0;
  char err[512];
  BatchOutput out;
  for (int slot : req.slots) {
    if (slot < 0 || static_cast<uint32_t>(slot) >= max_slots || opt_.arena->slots()[slot].key[0] == 0)
      return {{"fatal", "eval: slot " + std::to_string(slot) + " is not a series of the arena"}};
    PointCursorAtNewest(slot);
    // Indicators the strategy used on this series take the new bars now
    // (one streaming update each), so Lua reads them without a C call.
    for (size_t idx : slot_entries_[static_cast<size_t>(slot)]) {
      err[0] = 0;
      if (Extend(*entries_[idx], false, err, sizeof(err)) < 0) {
        const std::string key = opt_.arena->slots()[slot].key;
        out.errors.emplace_back(key.substr(0, key.find('@')), err);
      }
    }
    batch_[n++] = slot;
  }
  for (int slot : tf_slots_) PointCursorAtNewest(slot);
  std::string fatal;
  if (!RunBatch(n, req.bar_ts, &req.extras, &out, &fatal)) {
    reply["fatal"] = fatal;
    reply["memory_exceeded"] = mem_refused_;
    reply["memory_bytes"] = mem_used_;
    return reply;
  }
  nlohmann::json intents = nlohmann::json::array(), rejected = nlohmann::json::array(),
                 errors = nlohmann::json::array(), logs = nlohmann::json::array();
  for (WireIntent& in : out.intents)
    intents.push_back({{"symbol", std::move(in.symbol)}, {"side", in.buy ? "buy" : "sell"},
                       {"confidence", in.confidence}, {"entry", in.entry}, {"target", in.target},
                       {"stop", in.stop}, {"expiry_bars", in.expiry_bars},
                       {"summary", std::move(in.summary)},
                       {"features", in.features.is_null() ? nlohmann::json::object() : std::move(in.features)}});
  for (auto& [sym, msg] : out.rejected) rejected.push_back({{"symbol", sym}, {"reason", msg}});
  for (auto& [sym, msg] : out.errors) errors.push_back({{"symbol", sym}, {"message", msg}});
  for (auto& l : out.logs) logs.push_back(std::move(l));
  reply["intents"] = std::move(intents);
  reply["rejected"] = std::move(rejected);
  reply["errors"] = std::move(errors);
  reply["logs"] = std::move(logs);
  reply["memory_bytes"] = mem_used_;
  reply["memory_exceeded"] = mem_refused_;
  return reply;
}

nlohmann::json StrategyVm::EvalRange(const RangeEvalRequest& req, std::string* wire) {
  mem_refused_ = false;
  range_mode_ = true;
  const ArenaHeader& h = opt_.arena->header();
  const double* data = opt_.arena->data();
  struct Sym {
    int slot;
    const int64_t* ts;  // stored bars' times
    int64_t len, next;  // next: index of the next bar to evaluate
    int64_t next_ts;    // its time (INT64_MAX past the end)
  };
  std::vector<Sym> syms;
  for (int slot : req.slots) {
    if (slot < 0 || static_cast<uint32_t>(slot) >= h.max_slots || opt_.arena->slots()[slot].key[0] == 0)
      return {{"fatal", "range: slot " + std::to_string(slot) + " is not a series of the arena"}};
    const ArenaSlot& s = opt_.arena->slots()[slot];
    const auto* ts = reinterpret_cast<const int64_t*>(data + s.base + kColTs * h.capacity + s.start);
    const int64_t first = std::lower_bound(ts, ts + s.len, req.from_ts) - ts;
    syms.push_back({slot, ts, s.len, first, first < s.len ? ts[first] : INT64_MAX});
    cursors_[slot] = {s.base + s.start, 0, s.origin, 0};
  }
  // Other timeframes (ctx.bars_of) show the bars complete at each bar time.
  struct Extra {
    int slot;
    const int64_t* ts;
    int64_t len;
  };
  std::vector<Extra> extra;
  for (int slot : tf_slots_) {
    const ArenaSlot& s = opt_.arena->slots()[slot];
    extra.push_back({slot, reinterpret_cast<const int64_t*>(data + s.base + kColTs * h.capacity + s.start), s.len});
  }
  wire->clear();
  BatchOutput out;
  int64_t evaluated = 0, bar_times = 0, bars_with_output = 0;
  // Prefetching (below) pays while the lines it requests for the next 8
  // bars of every symbol stay in cache until they are read: ~400 lines (50
  // symbols, 2 indicators) made the SMA crossover 5 % faster; ~4,500 (250
  // symbols, a dozen indicator columns) made mean_reversion 5 % slower, and
  // two lines ahead instead of one 15 % slower.
  const bool prefetch = syms.size() * kArenaColumns + columns_.size() <= 2048;
  const int32_t hist = h.history_bars;
  for (;;) {
    // The next bar time: the smallest pending ts among the symbols.
    int64_t t = INT64_MAX;
    for (const Sym& s : syms) t = std::min(t, s.next_ts);
    if (t == INT64_MAX || t > req.to_ts) break;
    int n = 0;
    for (Sym& s : syms) {
      if (s.next_ts == t) {
        const ArenaSlot& a = opt_.arena->slots()[s.slot];
        const int64_t i = s.next++;  // position among stored bars
        s.next_ts = s.next < s.len ? s.ts[s.next] : INT64_MAX;
        const int32_t vis = static_cast<int32_t>(std::min<int64_t>(i + 1, hist));
        cursors_[s.slot] = {static_cast<int32_t>(a.base + a.start + i + 1 - vis), vis,
                            static_cast<int32_t>(a.origin + i + 1), 0};
        batch_[n++] = s.slot;
        // One bar of every symbol per step is too many streams for the
        // hardware prefetcher: when a symbol enters a cache line of its
        // columns (every 8 bars), the next line of each column and of its
        // indicator values is requested, so evaluate finds them in cache.
        if (prefetch && (i & 7) == 0 && i + 8 < s.len) {
          const double* ahead = data + a.base + a.start + i + 8;
          for (int col = 0; col < kArenaColumns; ++col) __builtin_prefetch(ahead + col * h.capacity);
          for (size_t idx : slot_entries_[static_cast<size_t>(s.slot)]) {
            const IndEntry& e = *entries_[idx];
            const int64_t at = a.origin + i + 8 - e.origin;
            for (const Column& c : e.out)
              if (at >= 0 && at < static_cast<int64_t>(c.size())) __builtin_prefetch(c.data() + at);
          }
        }
      }
    }
    for (const Extra& x : extra) {
      const ArenaSlot& a = opt_.arena->slots()[x.slot];
      const int64_t k = std::upper_bound(x.ts, x.ts + x.len, t) - x.ts;  // bars complete at t
      const int32_t vis = static_cast<int32_t>(std::min<int64_t>(k, hist));
      cursors_[x.slot] = {static_cast<int32_t>(a.base + a.start + k - vis), vis,
                          static_cast<int32_t>(a.origin + k), 0};
    }
    if (req.progress_ts != nullptr) req.progress_ts[1] = t;
    out.clear();
    std::string fatal;
    if (!RunBatch(n, t, nullptr, &out, &fatal)) {
      range_mode_ = false;
      wire->clear();
      return {{"fatal", fatal}, {"memory_exceeded", mem_refused_}, {"memory_bytes", mem_used_}};
    }
    evaluated += n;
    ++bar_times;
    if (!out.empty()) {
      AppendRangeBar(t, out, wire);
      ++bars_with_output;
    }
  }
  range_mode_ = false;
  return {{"bars_with_output", bars_with_output}, {"evaluated", evaluated}, {"bar_times", bar_times},
          {"memory_bytes", mem_used_}, {"memory_exceeded", mem_refused_}};
}

Status StrategyVm::SetFeatures(const std::string& layer, const nlohmann::json& series, bool clear) {
  if (layer != "live" && layer != "range")
    return InvalidArgument("features: layer must be 'live' or 'range', got '" + layer + "'");
  lua_settop(L_, 0);
  lua_pushlstring(L_, layer.data(), layer.size());
  lua_pushboolean(L_, clear);
  lua_createtable(L_, static_cast<int>(series.size()), 0);
  int i = 0;
  for (const auto& f : series) {
    lua_createtable(L_, 0, 5);
    for (const char* k : {"set", "name", "scope"}) {
      const std::string v = f.value(k, std::string());
      lua_pushlstring(L_, v.data(), v.size());
      lua_setfield(L_, -2, k);
    }
    const auto& ts = f.value("ts", nlohmann::json::array());
    const auto& vs = f.value("values", nlohmann::json::array());
    const size_t m = std::min(ts.size(), vs.size());
    lua_createtable(L_, static_cast<int>(m), 0);
    for (size_t k = 0; k < m; ++k) {
      lua_pushnumber(L_, ts[k].get<double>());
      lua_rawseti(L_, -2, static_cast<int>(k + 1));
    }
    lua_setfield(L_, -2, "ts");
    lua_createtable(L_, static_cast<int>(m), 0);
    for (size_t k = 0; k < m; ++k) {
      lua_pushnumber(L_, vs[k].is_number() ? vs[k].get<double>() : NAN);
      lua_rawseti(L_, -2, static_cast<int>(k + 1));
    }
    lua_setfield(L_, -2, "values");
    lua_rawseti(L_, -2, ++i);
  }
  return CallRuntime("set_features", 3, 0);
}

StatusOr<nlohmann::json> StrategyVm::SaveState() {
  lua_settop(L_, 0);
  SF_RETURN_IF_ERROR(CallRuntime("save_state", 0, 1));
  nlohmann::json j;
  Status s = ToJson(L_, -1, "", 0, &j);
  lua_settop(L_, 0);
  SF_RETURN_IF_ERROR(s);
  return j;
}

Status StrategyVm::RestoreState(const nlohmann::json& state) {
  lua_settop(L_, 0);
  PushJson(L_, state);
  return CallRuntime("restore_state", 1, 0);
}

Status StrategyVm::SetInstruments(const nlohmann::json& instruments) {
  lua_settop(L_, 0);
  PushJson(L_, instruments.is_object() ? instruments : nlohmann::json::object());
  return CallRuntime("set_instruments", 1, 0);
}

Status StrategyVm::SetTimeframes(const nlohmann::json& timeframes) {
  tf_slots_.clear();
  if (timeframes.is_object())
    for (const auto& [sym, m] : timeframes.items())
      if (m.is_object())
        for (const auto& [tf, slot] : m.items())
          if (slot.is_number_integer() && slot.get<int>() >= 0 &&
              static_cast<uint32_t>(slot.get<int>()) < opt_.arena->header().max_slots)
            tf_slots_.push_back(slot.get<int>());
  lua_settop(L_, 0);
  PushJson(L_, timeframes.is_object() ? timeframes : nlohmann::json::object());
  return CallRuntime("set_timeframe_slots", 1, 0);
}

}  // namespace sf::lua
