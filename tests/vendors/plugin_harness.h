// Test harness for provider plugins: loads the REAL built plugin .so with the
// host's own sf::plugins::Loader into a Registry (so plugins see the real
// sf_host_api: registration, thread-local set_error, logging), creates
// instances from JSON config and records everything a provider emits through
// an sf_data_sink (deep copies).
//
// Thread-safety: load plugins from the test thread; the recording sink is
// used on the thread running the provider call, as the SDK requires.
#ifndef SF_TESTS_VENDORS_PLUGIN_HARNESS_H_
#define SF_TESTS_VENDORS_PLUGIN_HARNESS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "signalforge/signalforge.h"

namespace sf::plugins {
struct Provider;
}  // namespace sf::plugins

namespace sf::testing {

// Loads `<plugin dir>/<file>` once per process through sf::plugins::Loader. Returns the registered
// provider vtable, or fails the test (returns nullptr) naming what went wrong.
const sf_provider_vtable* LoadProvider(const std::string& file, const std::string& id);
// The same provider as the host registry's entry, for host code under test
// (sf::plugins::ProviderInstance, sf::market::LiveFeed).
const sf::plugins::Provider* LoadProviderComponent(const std::string& file, const std::string& id);
// The manifest id of a loaded plugin file ("" when not loaded).
std::string PluginId(const std::string& file);

// The message the plugin attached to its last non-OK status on this thread.
std::string TakeError();

struct Batch {
  std::string symbol, timeframe;
  std::vector<int64_t> ts_start, ts_end;
  std::vector<double> open, high, low, close, volume, vwap, adj_factor;
  bool has_ts_end = false, has_vwap = false, has_adj = false;
};

struct NewsItem {
  std::string id, url, title, summary, source, symbols, extra_json;
  bool has_summary = false, has_symbols = false;
  int64_t published_us = 0;
  double score = 0, upvote_ratio = 0;
  int64_t comments = 0;
};

struct Reject {
  std::string what, reason;
};

// Records every emit and reject; can ask the provider to stop after N batches.
class RecordingSink {
 public:
  RecordingSink();
  const sf_data_sink* sink() const { return &sink_; }
  std::vector<Batch> batches;
  std::vector<NewsItem> news;
  std::vector<Reject> rejects;
  int cancel_after_batches = -1;
  // True when any reject's reason contains `text`.
  bool Rejected(const std::string& text) const;

 private:
  static sf_status EmitBars(void* self, const sf_bar_batch* batch);
  static sf_status EmitNews(void* self, const sf_news_item* items, int64_t count);
  static void OnReject(void* self, const char* what, const char* reason);
  sf_data_sink sink_;
};

struct Outcome {
  sf_status status = SF_OK;
  std::string error;  // the plugin's set_error message for a non-OK status
};

// An instance of a provider; destroyed with the object.
class Instance {
 public:
  Instance(const sf_provider_vtable* vt, const nlohmann::json& config);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  bool ok() const { return instance_ != nullptr; }
  const Outcome& create_outcome() const { return created_; }

  Outcome FetchBars(const std::vector<std::string>& symbols, const char* timeframe,
                    RecordingSink& sink, int64_t from_us = 0, int64_t to_us = 0,
                    const char* options_json = nullptr);
  Outcome FetchNews(const std::vector<std::string>& symbols, RecordingSink& sink,
                    int64_t from_us = 0, int64_t to_us = 0, const char* options_json = nullptr);
  Outcome Poll(int64_t now_us, RecordingSink& sink);
  Outcome ListInstruments(std::string* json);

 private:
  const sf_provider_vtable* vt_;
  void* instance_ = nullptr;
  Outcome created_;
};

// µs since the epoch for a UTC date/time.
int64_t Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0);

}  // namespace sf::testing

#endif  // SF_TESTS_VENDORS_PLUGIN_HARNESS_H_
