// org.signalforge.hello - the smallest complete first-party plugin.
//
// provider "hello": deterministic daily bars (close = 100 + day index) for
// the requested symbols, "HELLO" when none; used by tests and as a template.
// indicator "hello_sum": rolling sum of close over `period` bars, batch and
// streaming. Built only against sdk/ (never host/), with the optional C++
// helper header: exceptions are turned into status codes by sf::sdk::Guard.
#include <cmath>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "signalforge/signalforge.hpp"

namespace {

constexpr char kPluginId[] = "org.signalforge.hello";
constexpr sf_time_us kDayUs = 86'400'000'000LL;
constexpr sf_time_us kStartUs = 1'704'067'200'000'000LL;  // 2024-01-01T00:00:00Z
constexpr int kBarCount = 5;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- provider "hello" ------------------------------------------------------

struct HelloProvider {};

sf_status ProviderCreate(const char* config_json, void** instance) {
  return sf::sdk::Guard([&] {
    if (config_json == nullptr || instance == nullptr) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "hello: create needs a config and an out pointer");
    }
    *instance = new HelloProvider();
  });
}

void ProviderDestroy(void* instance) { delete static_cast<HelloProvider*>(instance); }

sf_status ProviderListInstruments(void*, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::WriteOut(
      R"([{"symbol":"HELLO","name":"Hello Corp","type":"equity","exchange":"TEST","currency":"USD","sector":"Demo"}])",
      buf, cap, needed);
}

sf_status EmitFor(const char* symbol, const sf_fetch_request* req, const sf_data_sink* sink) {
  std::vector<sf_time_us> ts;
  std::vector<double> open, high, low, close, volume;
  for (int i = 0; i < kBarCount; ++i) {
    sf_time_us t = kStartUs + i * kDayUs;
    if (req->from_us != 0 && t < req->from_us) continue;
    if (req->to_us != 0 && t >= req->to_us) continue;
    double c = 100.0 + i;
    ts.push_back(t);
    open.push_back(c - 0.5);
    high.push_back(c + 1.0);
    low.push_back(c - 1.0);
    close.push_back(c);
    volume.push_back(1000.0 * (i + 1));
  }
  if (ts.empty()) return SF_NO_DATA;
  sf_bar_batch batch = sf::sdk::Make<sf_bar_batch>();
  batch.symbol = symbol;
  batch.timeframe = "1d";
  batch.count = static_cast<int64_t>(ts.size());
  batch.ts_start = ts.data();
  batch.open = open.data();
  batch.high = high.data();
  batch.low = low.data();
  batch.close = close.data();
  batch.volume = volume.data();
  return sink->emit_bars(sink->host_data, &batch);
}

sf_status ProviderFetchBars(void*, const sf_fetch_request* req, const sf_data_sink* sink) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (req == nullptr || sink == nullptr) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "hello: fetch_bars needs a request and a sink");
    }
    if (req->timeframe != nullptr && std::string(req->timeframe) != "1d") {
      throw sf::sdk::Error(SF_ERR_UNSUPPORTED,
                           std::string("hello: timeframe \"") + req->timeframe +
                               "\" is not offered (only \"1d\")");
    }
    if (req->symbol_count == 0) return EmitFor("HELLO", req, sink);
    sf_status last = SF_NO_DATA;
    for (int64_t i = 0; i < req->symbol_count; ++i) {
      sf_status s = EmitFor(req->symbols[i], req, sink);
      if (s < 0) return s;
      if (s == SF_OK) last = SF_OK;
    }
    return last;
  });
}

const sf_provider_vtable kProvider = {
    sizeof(sf_provider_vtable),
    SF_FLAG_THREAD_SAFE,
    "hello",
    R"({"description":"Deterministic demo bars: close = 100 + day index from 2024-01-01",)"
    R"("asset_classes":["equity"],"timeframes":["1d"],"bars":true,"news":false,"live":false,)"
    R"("config":{"type":"object"}})",
    ProviderCreate,
    ProviderDestroy,
    ProviderListInstruments,
    ProviderFetchBars,
    nullptr,
    nullptr,
};

// ---- indicator "hello_sum" -------------------------------------------------

sf_status PeriodOf(const double* params, uint32_t count, int64_t* period) {
  if (count != 1 || params == nullptr) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "hello_sum takes 1 parameter (period)");
  }
  double p = params[0];
  if (!(p >= 1 && p <= 100000) || std::floor(p) != p) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                         "hello_sum: period must be a whole number in 1..100000, got " +
                             std::to_string(p));
  }
  *period = static_cast<int64_t>(p);
  return SF_OK;
}

sf_status SumLookback(const double* params, uint32_t count, int64_t* lookback) {
  return sf::sdk::Guard([&] {
    int64_t period = 0;
    PeriodOf(params, count, &period);
    *lookback = period - 1;
  });
}

sf_status SumCompute(const double* params, uint32_t count, const sf_bar_series* input,
                     double* const* outputs, uint32_t output_count) {
  return sf::sdk::Guard([&] {
    int64_t period = 0;
    PeriodOf(params, count, &period);
    if (output_count != 1 || input == nullptr || input->close == nullptr) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "hello_sum: needs close and one output");
    }
    double sum = 0;
    double* out = outputs[0];
    for (int64_t i = 0; i < input->count; ++i) {
      sum += input->close[i];
      if (i >= period) sum -= input->close[i - period];
      out[i] = i + 1 >= period ? sum : kNaN;
    }
  });
}

struct SumState {
  int64_t period;
  std::deque<double> window;
  double sum = 0;
};

sf_status SumStreamCreate(const double* params, uint32_t count, void** state) {
  return sf::sdk::Guard([&] {
    int64_t period = 0;
    PeriodOf(params, count, &period);
    *state = new SumState{period, {}, 0};
  });
}

sf_status SumStreamUpdate(void* state, const sf_bar* bar, double* outputs, uint32_t output_count) {
  return sf::sdk::Guard([&] {
    if (output_count != 1) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "hello_sum: one output");
    auto* s = static_cast<SumState*>(state);
    s->window.push_back(bar->close);
    s->sum += bar->close;
    if (static_cast<int64_t>(s->window.size()) > s->period) {
      s->sum -= s->window.front();
      s->window.pop_front();
    }
    outputs[0] = static_cast<int64_t>(s->window.size()) == s->period ? s->sum : kNaN;
  });
}

void SumStreamDestroy(void* state) { delete static_cast<SumState*>(state); }

const sf_indicator_vtable kSum = {
    sizeof(sf_indicator_vtable),
    SF_FLAG_THREAD_SAFE,
    "hello_sum",
    R"({"title":"Rolling sum of close","group":"demo","inputs":["close"],)"
    R"("params":[{"name":"period","type":"int","default":3,"min":1,"max":100000,)"
    R"("description":"bars in the window"}],)"
    R"("outputs":[{"name":"value","description":"sum of the last period closes"}],)"
    R"("reference":"none"})",
    1,
    1,
    SF_INPUT_CLOSE,
    0,
    SumLookback,
    SumCompute,
    SumStreamCreate,
    SumStreamUpdate,
    SumStreamDestroy,
};

// ---- the plugin ------------------------------------------------------------

sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char* /*config_json*/) {
  sf_status s = host->register_provider(plugin, &kProvider);
  if (s < 0) return s;
  s = host->register_indicator(plugin, &kSum);
  if (s < 0) return s;
  sf::sdk::Log(SF_LOG_DEBUG, kPluginId, "registered provider hello and indicator hello_sum");
  return SF_OK;
}

const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER,
    0,  // min_host_minor
    0,  // reserved0
    kPluginId,
    "1.0.0",
    "Hello",
    "Smallest complete plugin: demo bars and a rolling sum",
    "Signalforge",
    "MIT",
    Init,
    nullptr,
};

}  // namespace

SF_PLUGIN_ENTRY(host) {
  sf::sdk::Remember(host);
  return &kManifest;
}
