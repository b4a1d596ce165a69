// Small RAII helpers for host code that calls into plugin components: they
// check status codes, turn the plugin's error message (TakePluginError) into
// an sf::Status naming the component, own instances and streaming states
// (destroyed with the object), and serialise calls on components that did
// not declare SF_FLAG_THREAD_SAFE.
//
// Ownership: a helper borrows the registry entry (which lives as long as the
// Registry) and owns the plugin-side object it created. Thread-safety: each
// helper object may be used from several threads when the component is
// thread-safe; otherwise calls are serialised by the helper.
#ifndef SF_PLUGINS_PLUGIN_CALL_H_
#define SF_PLUGINS_PLUGIN_CALL_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "plugins/registry.h"

namespace sf::plugins {

// OK when code >= 0; otherwise Status(code, "<what>: <plugin message>").
// Takes (clears) this thread's pending plugin error.
Status PluginStatus(sf_status code, std::string_view what);

// Batch calls of one indicator with one parameter vector.
class IndicatorCall {
 public:
  IndicatorCall(const Indicator& indicator, std::vector<double> params)
      : indicator_(indicator), params_(std::move(params)) {}

  // Warm-up bars for these params; InvalidArgument naming a bad parameter.
  StatusOr<int64_t> Lookback() const;
  // Every output over the whole input: result[k] has input.count values.
  StatusOr<std::vector<std::vector<double>>> Compute(const sf_bar_series& input) const;

 private:
  Status CheckParams() const;
  const Indicator& indicator_;
  std::vector<double> params_;
};

// One streaming state (stream_create ... stream_destroy).
class IndicatorStream {
 public:
  static StatusOr<std::unique_ptr<IndicatorStream>> Open(const Indicator& indicator,
                                                         std::vector<double> params);
  ~IndicatorStream();
  IndicatorStream(const IndicatorStream&) = delete;
  IndicatorStream& operator=(const IndicatorStream&) = delete;

  // Appends one bar; `outputs` receives output_count values (NaN in warm-up).
  Status Update(const sf_bar& bar, std::vector<double>* outputs);

 private:
  IndicatorStream(const Indicator& indicator, void* state)
      : indicator_(indicator), state_(state) {}
  const Indicator& indicator_;
  void* state_;
  std::mutex mu_;  // a state is externally synchronised
};

// One provider instance (create ... destroy).
class ProviderInstance {
 public:
  static StatusOr<std::unique_ptr<ProviderInstance>> Create(const Provider& provider,
                                                            const std::string& config_json);
  ~ProviderInstance();
  ProviderInstance(const ProviderInstance&) = delete;
  ProviderInstance& operator=(const ProviderInstance&) = delete;

  Status FetchBars(const sf_fetch_request& request, const sf_data_sink& sink);
  // Unsupported when the provider has no fetch_news / poll.
  Status FetchNews(const sf_fetch_request& request, const sf_data_sink& sink);
  Status Poll(sf_time_us now_us, const sf_data_sink& sink);
  // The JSON array of instruments; Unsupported without list_instruments.
  StatusOr<std::string> ListInstruments();

  const Provider& provider() const { return provider_; }

 private:
  ProviderInstance(const Provider& provider, void* instance)
      : provider_(provider), instance_(instance) {}
  std::unique_lock<std::mutex> Lock();
  const Provider& provider_;
  void* instance_;
  std::mutex mu_;  // held around calls unless the provider is thread-safe
};

}  // namespace sf::plugins

#endif  // SF_PLUGINS_PLUGIN_CALL_H_
