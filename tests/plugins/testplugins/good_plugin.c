/* org.test.good: a complete, well-formed plugin in plain C with one component
 * of each kind. The loader tests load it, call into it, and use it as the
 * "already registered" side of the duplicate tests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "signalforge/signalforge.h"

static const sf_host_api* g_host;

/* ---- indicator good_sma: simple moving average of close ---------------- */

static sf_status SmaPeriod(const double* params, uint32_t count, int64_t* period) {
  if (count != 1 || params[0] < 1 || params[0] != floor(params[0])) {
    g_host->set_error(SF_ERR_INVALID_ARGUMENT, "good_sma: period must be a whole number >= 1");
    return SF_ERR_INVALID_ARGUMENT;
  }
  *period = (int64_t)params[0];
  return SF_OK;
}

static sf_status SmaLookback(const double* params, uint32_t count, int64_t* lookback) {
  int64_t period;
  sf_status s = SmaPeriod(params, count, &period);
  if (s != SF_OK) return s;
  *lookback = period - 1;
  return SF_OK;
}

static sf_status SmaCompute(const double* params, uint32_t count, const sf_bar_series* in,
                            double* const* outputs, uint32_t output_count) {
  int64_t period, i;
  double sum = 0;
  sf_status s = SmaPeriod(params, count, &period);
  if (s != SF_OK) return s;
  if (output_count != 1) return SF_ERR_INVALID_ARGUMENT;
  for (i = 0; i < in->count; ++i) {
    sum += in->close[i];
    if (i >= period) sum -= in->close[i - period];
    outputs[0][i] = i + 1 >= period ? sum / (double)period : NAN;
  }
  return SF_OK;
}

static const sf_indicator_vtable kSma = {
    sizeof(sf_indicator_vtable), SF_FLAG_THREAD_SAFE, "good_sma",
    "{\"title\":\"Simple Moving Average\",\"group\":\"overlap\",\"inputs\":[\"close\"],"
    "\"params\":[{\"name\":\"period\",\"type\":\"int\",\"default\":3,\"min\":1}],"
    "\"outputs\":[{\"name\":\"value\"}]}",
    1, 1, SF_INPUT_CLOSE, 0, SmaLookback, SmaCompute, NULL, NULL, NULL};

/* ---- provider good_bars: three fixed bars ------------------------------ */

static sf_status ProvCreate(const char* config_json, void** instance) {
  (void)config_json;
  *instance = malloc(1);
  return *instance ? SF_OK : SF_ERR_NO_MEMORY;
}
static void ProvDestroy(void* instance) { free(instance); }
static sf_status ProvFetch(void* instance, const sf_fetch_request* req, const sf_data_sink* sink) {
  static const sf_time_us ts[3] = {1000000, 2000000, 3000000};
  static const double o[3] = {1, 2, 3}, h[3] = {2, 3, 4}, l[3] = {0.5, 1.5, 2.5},
                      c[3] = {1.5, 2.5, 3.5}, v[3] = {10, 20, 30};
  sf_bar_batch b;
  (void)instance;
  (void)req;
  memset(&b, 0, sizeof b);
  b.struct_size = sizeof b;
  b.symbol = "GOOD";
  b.timeframe = "1d";
  b.count = 3;
  b.ts_start = ts;
  b.open = o;
  b.high = h;
  b.low = l;
  b.close = c;
  b.volume = v;
  return sink->emit_bars(sink->host_data, &b);
}
static const sf_provider_vtable kProvider = {
    sizeof(sf_provider_vtable), 0, "good_bars", "{\"description\":\"three fixed bars\"}",
    ProvCreate, ProvDestroy, NULL, ProvFetch, NULL, NULL};

/* ---- model good_model: predicts the row sum ---------------------------- */

static sf_status ModelLoad(const char* config_json, void** model) {
  (void)config_json;
  *model = malloc(1);
  return *model ? SF_OK : SF_ERR_NO_MEMORY;
}
static void ModelUnload(void* model) { free(model); }
static sf_status ModelDescribe(void* model, char* buf, size_t cap, size_t* needed) {
  static const char kText[] = "{\"features\":[],\"outputs\":1}";
  (void)model;
  *needed = sizeof kText;
  if (cap < sizeof kText) return SF_INCOMPLETE;
  memcpy(buf, kText, sizeof kText);
  return SF_OK;
}
static sf_status ModelPredict(void* model, const double* features, int64_t rows, int64_t cols,
                              double* out, int64_t out_capacity, int64_t* out_cols) {
  int64_t r, k;
  (void)model;
  *out_cols = 1;
  if (out_capacity < rows) return SF_INCOMPLETE;
  for (r = 0; r < rows; ++r) {
    out[r] = 0;
    for (k = 0; k < cols; ++k) out[r] += features[r * cols + k];
  }
  return SF_OK;
}
static const sf_model_vtable kModel = {
    sizeof(sf_model_vtable), SF_FLAG_THREAD_SAFE, "good_model",
    "{\"description\":\"row sum\",\"tasks\":[\"predict\"]}",
    ModelLoad, ModelUnload, ModelDescribe, ModelPredict, NULL, NULL};

/* ---- notifier good_log -------------------------------------------------- */

static sf_status NoteCreate(const char* config_json, void** instance) {
  (void)config_json;
  *instance = malloc(1);
  return *instance ? SF_OK : SF_ERR_NO_MEMORY;
}
static void NoteDestroy(void* instance) { free(instance); }
static sf_status NoteSend(void* instance, const sf_delivery* d, sf_delivery_result* r) {
  (void)instance;
  (void)d;
  r->remote_status = 200;
  return SF_OK;
}
static const sf_notifier_vtable kNotifier = {
    sizeof(sf_notifier_vtable), 0, "good_log", "{\"description\":\"accepts everything\"}",
    NoteCreate, NoteDestroy, NULL, NoteSend};

/* ---- plugin -------------------------------------------------------------- */

static sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char* config_json) {
  sf_status s;
  char line[256] = "init config ";
  strncat(line, config_json, sizeof line - strlen(line) - 1);
  host->log(SF_LOG_INFO, "org.test.good", line);
  if ((s = host->register_indicator(plugin, &kSma)) < 0) return s;
  if ((s = host->register_provider(plugin, &kProvider)) < 0) return s;
  if ((s = host->register_model(plugin, &kModel)) < 0) return s;
  if ((s = host->register_notifier(plugin, &kNotifier)) < 0) return s;
  return SF_OK;
}

static void Shutdown(void) { g_host->log(SF_LOG_INFO, "org.test.good", "shutdown called"); }

static const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER, 0, 0, "org.test.good", "2.3.4", "Good", "one of each kind",
    "tests", "MIT", Init, Shutdown};

SF_PLUGIN_ENTRY(host) {
  g_host = host;
  return &kManifest;
}
