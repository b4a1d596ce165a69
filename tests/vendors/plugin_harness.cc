// Test host for provider plugins on the real loader (see plugin_harness.h).
#include "plugin_harness.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "plugins/loader.h"
#include "plugins/registry.h"

namespace sf::testing {
namespace {

// The host's real plugin machinery: one Registry per test process, filled by
// sf::plugins::Loader (ABI negotiation, crash-safe probe in a forked child).
sf::plugins::Registry& Reg() {
  static sf::plugins::Registry registry;
  return registry;
}

// Plugin file -> manifest id, for the files loaded so far.
std::map<std::string, std::string>& LoadedFiles() {
  static std::map<std::string, std::string> files;
  return files;
}

bool Load(const std::string& file) {
  if (LoadedFiles().count(file) != 0) return true;
  sf::plugins::LoaderOptions options;
  options.log = false;
  sf::plugins::Loader loader(Reg(), options);
  const sf::plugins::LoadResult result =
      loader.LoadFile(std::string(SF_TEST_PLUGIN_DIR) + "/" + file);
  if (!result.loaded) {
    ADD_FAILURE() << result.Message();
    return false;
  }
  LoadedFiles()[file] = result.plugin_id;
  return true;
}

std::string Str(const char* s) { return s == nullptr ? std::string() : std::string(s); }

template <typename T>
std::vector<T> Column(const T* data, int64_t n) {
  return data == nullptr ? std::vector<T>() : std::vector<T>(data, data + n);
}

}  // namespace

const sf_provider_vtable* LoadProvider(const std::string& file, const std::string& id) {
  if (!Load(file)) return nullptr;
  const sf::plugins::Provider* provider = Reg().FindProvider(id);
  if (provider == nullptr || provider->plugin_id != LoadedFiles()[file]) {
    ADD_FAILURE() << file << " registered no provider '" << id << "'";
    return nullptr;
  }
  return &provider->vt;
}

const sf::plugins::Provider* LoadProviderComponent(const std::string& file, const std::string& id) {
  if (LoadProvider(file, id) == nullptr) return nullptr;
  return Reg().FindProvider(id);
}

std::string PluginId(const std::string& file) {
  auto it = LoadedFiles().find(file);
  return it == LoadedFiles().end() ? std::string() : it->second;
}

std::string TakeError() { return sf::plugins::TakePluginError(""); }

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
