// A minimal host for provider plugins in tests (see plugin_harness.h).
#include "plugin_harness.h"

#include <dlfcn.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>

namespace sf::testing {
namespace {

thread_local std::string g_error;

struct LoadedPlugin {
  std::string id;
  std::map<std::string, sf_provider_vtable> providers;
};

std::map<std::string, std::unique_ptr<LoadedPlugin>>& Plugins() {
  static std::map<std::string, std::unique_ptr<LoadedPlugin>> plugins;
  return plugins;
}

LoadedPlugin* g_registering = nullptr;

void HostLog(int32_t level, const char* plugin_id, const char* message) {
  if (level >= SF_LOG_WARN) {
    std::fprintf(stderr, "[plugin %s] %s\n", plugin_id ? plugin_id : "?", message ? message : "");
  }
}

void HostSetError(sf_status code, const char* message) {
  g_error = std::string(sf_status_name(code)) + ": " + (message ? message : "");
}

sf_status HostRegisterProvider(sf_plugin_handle*, const sf_provider_vtable* vt) {
  if (g_registering == nullptr || vt == nullptr || vt->id == nullptr) return SF_ERR_INVALID_ARGUMENT;
  if (vt->create == nullptr || vt->destroy == nullptr || vt->fetch_bars == nullptr ||
      vt->metadata_json == nullptr) {
    HostSetError(SF_ERR_INVALID_ARGUMENT, "provider vtable misses a required function");
    return SF_ERR_INVALID_ARGUMENT;
  }
  if (g_registering->providers.count(vt->id) != 0) return SF_ERR_CONFLICT;
  sf_provider_vtable copy;
  std::memset(&copy, 0, sizeof copy);
  std::memcpy(&copy, vt, std::min<size_t>(vt->struct_size, sizeof copy));
  g_registering->providers[vt->id] = copy;
  return SF_OK;
}

sf_status HostRegisterOther(sf_plugin_handle*, const void*) { return SF_ERR_UNSUPPORTED; }

sf_time_us HostNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const sf_host_api* HostApi() {
  static sf_host_api api = [] {
    sf_host_api a;
    std::memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.abi_major = SF_ABI_MAJOR;
    a.abi_minor = SF_ABI_MINOR;
    a.host_version = "test-harness";
    a.log = &HostLog;
    a.set_error = &HostSetError;
    a.register_provider = &HostRegisterProvider;
    a.register_indicator = reinterpret_cast<sf_status (*)(sf_plugin_handle*, const sf_indicator_vtable*)>(&HostRegisterOther);
    a.register_model = reinterpret_cast<sf_status (*)(sf_plugin_handle*, const sf_model_vtable*)>(&HostRegisterOther);
    a.register_notifier = reinterpret_cast<sf_status (*)(sf_plugin_handle*, const sf_notifier_vtable*)>(&HostRegisterOther);
    a.now_us = &HostNow;
    return a;
  }();
  return &api;
}

LoadedPlugin* Load(const std::string& file) {
  auto& plugins = Plugins();
  auto it = plugins.find(file);
  if (it != plugins.end()) return it->second.get();
  const std::string path = std::string(SF_TEST_PLUGIN_DIR) + "/" + file;
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
    return nullptr;
  }
  auto entry = reinterpret_cast<sf_plugin_entry_fn>(dlsym(lib, SF_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr) {
    ADD_FAILURE() << path << " has no " << SF_PLUGIN_ENTRY_SYMBOL;
    return nullptr;
  }
  const sf_plugin_manifest* m = entry(HostApi());
  if (m == nullptr || m->magic != SF_PLUGIN_MAGIC || m->abi_major != SF_ABI_MAJOR ||
      m->min_host_minor > SF_ABI_MINOR || m->id == nullptr || m->init == nullptr) {
    ADD_FAILURE() << path << ": manifest refused";
    return nullptr;
  }
  auto plugin = std::make_unique<LoadedPlugin>();
  plugin->id = m->id;
  g_registering = plugin.get();
  const sf_status s = m->init(HostApi(), reinterpret_cast<sf_plugin_handle*>(plugin.get()), "{}");
  g_registering = nullptr;
  if (s != SF_OK) {
    ADD_FAILURE() << path << ": init returned " << sf_status_name(s) << " " << g_error;
    return nullptr;
  }
  LoadedPlugin* raw = plugin.get();
  plugins[file] = std::move(plugin);
  return raw;
}

std::string Str(const char* s) { return s == nullptr ? std::string() : std::string(s); }

template <typename T>
std::vector<T> Column(const T* data, int64_t n) {
  return data == nullptr ? std::vector<T>() : std::vector<T>(data, data + n);
}

}  // namespace

const sf_provider_vtable* LoadProvider(const std::string& file, const std::string& id) {
  LoadedPlugin* plugin = Load(file);
  if (plugin == nullptr) return nullptr;
  auto it = plugin->providers.find(id);
  if (it == plugin->providers.end()) {
    ADD_FAILURE() << file << " registered no provider '" << id << "'";
    return nullptr;
  }
  return &it->second;
}

std::string PluginId(const std::string& file) {
  auto it = Plugins().find(file);
  return it == Plugins().end() ? std::string() : it->second->id;
}

std::string TakeError() {
  std::string e = std::move(g_error);
  g_error.clear();
  return e;
}

RecordingSink::RecordingSink() {
  std::memset(&sink_, 0, sizeof sink_);
  sink_.struct_size = sizeof sink_;
  sink_.host_data = this;
  sink_.emit_bars = &EmitBars;
  sink_.emit_news = &EmitNews;
  sink_.reject = &OnReject;
}

bool RecordingSink::Rejected(const std::string& text) const {
  for (const Reject& r : rejects) {
    if (r.reason.find(text) != std::string::npos) return true;
  }
  return false;
}

sf_status RecordingSink::EmitBars(void* self, const sf_bar_batch* b) {
  auto* sink = static_cast<RecordingSink*>(self);
  EXPECT_NE(b, nullptr);
  if (b == nullptr) return SF_ERR_INVALID_ARGUMENT;
  EXPECT_GE(b->struct_size, sizeof(sf_bar_batch));
  Batch out;
  out.symbol = Str(b->symbol);
  out.timeframe = Str(b->timeframe);
  const int64_t n = b->count;
  out.ts_start = Column(b->ts_start, n);
  out.ts_end = Column(b->ts_end, n);
  out.open = Column(b->open, n);
  out.high = Column(b->high, n);
  out.low = Column(b->low, n);
  out.close = Column(b->close, n);
  out.volume = Column(b->volume, n);
  out.vwap = Column(b->vwap, n);
  out.adj_factor = Column(b->adj_factor, n);
  out.has_ts_end = b->ts_end != nullptr;
  out.has_vwap = b->vwap != nullptr;
  out.has_adj = b->adj_factor != nullptr;
  sink->batches.push_back(std::move(out));
  if (sink->cancel_after_batches >= 0 &&
      static_cast<int>(sink->batches.size()) >= sink->cancel_after_batches) {
    return SF_ERR_CANCELLED;
  }
  return SF_OK;
}

sf_status RecordingSink::EmitNews(void* self, const sf_news_item* items, int64_t count) {
  auto* sink = static_cast<RecordingSink*>(self);
  for (int64_t i = 0; i < count; ++i) {
    const sf_news_item& it = items[i];
    EXPECT_GE(it.struct_size, sizeof(sf_news_item));
    NewsItem n;
    n.id = Str(it.id);
    n.url = Str(it.url);
    n.title = Str(it.title);
    n.summary = Str(it.summary);
    n.has_summary = it.summary != nullptr;
    n.source = Str(it.source);
    n.symbols = Str(it.symbols);
    n.has_symbols = it.symbols != nullptr;
    n.extra_json = Str(it.extra_json);
    n.published_us = it.published_us;
    n.score = it.score;
    n.upvote_ratio = it.upvote_ratio;
    n.comments = it.comments;
    sink->news.push_back(std::move(n));
  }
  return SF_OK;
}

void RecordingSink::OnReject(void* self, const char* what, const char* reason) {
  static_cast<RecordingSink*>(self)->rejects.push_back({Str(what), Str(reason)});
}

Instance::Instance(const sf_provider_vtable* vt, const nlohmann::json& config) : vt_(vt) {
  if (vt_ == nullptr) {
    created_ = {SF_ERR_NOT_FOUND, "provider not loaded"};
    return;
  }
  TakeError();
  const std::string text = config.dump();
  created_.status = vt_->create(text.c_str(), &instance_);
  if (created_.status != SF_OK) {
    created_.error = TakeError();
    instance_ = nullptr;
  }
}

Instance::~Instance() {
  if (instance_ != nullptr) vt_->destroy(instance_);
}

Outcome Instance::FetchBars(const std::vector<std::string>& symbols, const char* timeframe,
                            RecordingSink& sink, int64_t from_us, int64_t to_us,
                            const char* options_json) {
  std::vector<const char*> ptrs;
  for (const auto& s : symbols) ptrs.push_back(s.c_str());
  sf_fetch_request req;
  std::memset(&req, 0, sizeof req);
  req.struct_size = sizeof req;
  req.symbols = ptrs.empty() ? nullptr : ptrs.data();
  req.symbol_count = static_cast<int64_t>(ptrs.size());
  req.timeframe = timeframe;
  req.from_us = from_us;
  req.to_us = to_us;
  req.options_json = options_json;
  TakeError();
  Outcome out;
  out.status = vt_->fetch_bars(instance_, &req, sink.sink());
  if (out.status < 0) out.error = TakeError();
  return out;
}

Outcome Instance::FetchNews(const std::vector<std::string>& symbols, RecordingSink& sink,
                            int64_t from_us, int64_t to_us, const char* options_json) {
  std::vector<const char*> ptrs;
  for (const auto& s : symbols) ptrs.push_back(s.c_str());
  sf_fetch_request req;
  std::memset(&req, 0, sizeof req);
  req.struct_size = sizeof req;
  req.symbols = ptrs.empty() ? nullptr : ptrs.data();
  req.symbol_count = static_cast<int64_t>(ptrs.size());
  req.from_us = from_us;
  req.to_us = to_us;
  req.options_json = options_json;
  TakeError();
  Outcome out;
  if (vt_->fetch_news == nullptr) return {SF_ERR_UNSUPPORTED, "no fetch_news"};
  out.status = vt_->fetch_news(instance_, &req, sink.sink());
  if (out.status < 0) out.error = TakeError();
  return out;
}

Outcome Instance::Poll(int64_t now_us, RecordingSink& sink) {
  TakeError();
  Outcome out;
  if (vt_->poll == nullptr) return {SF_ERR_UNSUPPORTED, "no poll"};
  out.status = vt_->poll(instance_, now_us, sink.sink());
  if (out.status < 0) out.error = TakeError();
  return out;
}

Outcome Instance::ListInstruments(std::string* json) {
  Outcome out;
  if (vt_->list_instruments == nullptr) return {SF_ERR_UNSUPPORTED, "no list_instruments"};
  size_t needed = 0;
  out.status = vt_->list_instruments(instance_, nullptr, 0, &needed);
  if (out.status != SF_INCOMPLETE) return out;
  std::string buf(needed, '\0');
  out.status = vt_->list_instruments(instance_, buf.data(), buf.size(), &needed);
  if (out.status == SF_OK) *json = buf.c_str();
  return out;
}

int64_t Utc(int y, int m, int d, int hh, int mm, int ss) {
  // days from civil (Howard Hinnant), independent of the plugin's copy.
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = int64_t{era} * 146097 + static_cast<int64_t>(doe) - 719468;
  return ((days * 86400) + hh * 3600 + mm * 60 + ss) * int64_t{1000000};
}

}  // namespace sf::testing
