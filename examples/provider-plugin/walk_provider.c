/*
 * com.example.walk - an example third-party Signalforge plugin in plain C99.
 *
 * It registers one provider, "walk", that serves a deterministic random walk
 * of daily bars for any symbol (the same symbol always gives the same bars),
 * which is handy for demos and for testing strategies without a data vendor.
 *
 * Config (the plugin's section of the host config, also the instance config):
 *   {"start_price": 100, "days": 250}
 * Both keys are optional. Everything a plugin needs comes from
 * <signalforge/signalforge.h>; nothing else from Signalforge is linked.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signalforge/signalforge.h>

#define PLUGIN_ID "com.example.walk"
#define DAY_US 86400000000LL
#define START_US 1704153600000000LL /* 2024-01-02T00:00:00Z */

static const sf_host_api* g_host;

/* ---- a tiny config reader: the number after "key": in a flat JSON object.
 * Enough for this example; a real plugin would use a JSON parser. -------- */
static int ConfigNumber(const char* json, const char* key, double* out) {
  char pattern[64];
  const char* at;
  char* end;
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  at = json != NULL ? strstr(json, pattern) : NULL;
  if (at == NULL) return 0; /* absent: keep the default */
  at += strlen(pattern);
  while (*at == ' ' || *at == ':') ++at;
  *out = strtod(at, &end);
  return end != at ? 1 : -1;
}

/* ---- the provider instance ---------------------------------------------- */

typedef struct Walk {
  double start_price;
  long days;
} Walk;

static sf_status WalkCreate(const char* config_json, void** instance) {
  Walk* w;
  double start = 100.0, days = 250.0;
  if (ConfigNumber(config_json, "start_price", &start) < 0 || !(start > 0)) {
    g_host->set_error(SF_ERR_INVALID_ARGUMENT,
                      "walk: config key \"start_price\" must be a number > 0");
    return SF_ERR_INVALID_ARGUMENT;
  }
  if (ConfigNumber(config_json, "days", &days) < 0 || days < 1 || days > 100000) {
    g_host->set_error(SF_ERR_INVALID_ARGUMENT,
                      "walk: config key \"days\" must be a number in 1..100000");
    return SF_ERR_INVALID_ARGUMENT;
  }
  w = (Walk*)malloc(sizeof *w);
  if (w == NULL) return SF_ERR_NO_MEMORY;
  w->start_price = start;
  w->days = (long)days;
  *instance = w;
  return SF_OK;
}

static void WalkDestroy(void* instance) { free(instance); }

/* A small deterministic generator (xorshift64) seeded from the symbol. */
static uint64_t Seed(const char* symbol) {
  uint64_t h = 1469598103934665603ULL;
  while (*symbol) h = (h ^ (unsigned char)*symbol++) * 1099511628211ULL;
  return h ? h : 1;
}
static double NextUnit(uint64_t* s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (double)(*s >> 11) / 9007199254740992.0; /* [0, 1) */
}

static sf_status EmitSymbol(const Walk* w, const char* symbol, const sf_fetch_request* req,
                            const sf_data_sink* sink) {
  /* Caller-side buffers are ours: allocated here, freed here, borrowed by the
   * host only for the duration of emit_bars. */
  long n = 0, i;
  sf_status s;
  sf_bar_batch batch;
  uint64_t state = Seed(symbol);
  double price = w->start_price;
  sf_time_us* ts = (sf_time_us*)malloc(sizeof(sf_time_us) * (size_t)w->days);
  double* col = (double*)malloc(sizeof(double) * 5 * (size_t)w->days);
  if (ts == NULL || col == NULL) {
    free(ts);
    free(col);
    return SF_ERR_NO_MEMORY;
  }
  for (i = 0; i < w->days; ++i) {
    sf_time_us t = START_US + i * DAY_US;
    double open = price;
    double move = (NextUnit(&state) - 0.5) * 0.04; /* +-2% a day */
    double close = open * (1.0 + move);
    double wiggle = NextUnit(&state) * 0.01;
    price = close;
    if ((req->from_us != 0 && t < req->from_us) || (req->to_us != 0 && t >= req->to_us)) continue;
    ts[n] = t;
    col[0 * w->days + n] = open;
    col[1 * w->days + n] = fmax(open, close) * (1.0 + wiggle);
    col[2 * w->days + n] = fmin(open, close) * (1.0 - wiggle);
    col[3 * w->days + n] = close;
    col[4 * w->days + n] = floor(1e6 * (0.5 + NextUnit(&state)));
    ++n;
  }
  if (n == 0) {
    free(ts);
    free(col);
    return SF_NO_DATA;
  }
  memset(&batch, 0, sizeof batch);
  batch.struct_size = sizeof batch;
  batch.symbol = symbol;
  batch.timeframe = "1d";
  batch.count = n;
  batch.ts_start = ts;
  batch.open = col;
  batch.high = col + w->days;
  batch.low = col + 2 * w->days;
  batch.close = col + 3 * w->days;
  batch.volume = col + 4 * w->days;
  s = sink->emit_bars(sink->host_data, &batch);
  free(ts);
  free(col);
  return s;
}

static sf_status WalkFetchBars(void* instance, const sf_fetch_request* req,
                               const sf_data_sink* sink) {
  const Walk* w = (const Walk*)instance;
  int64_t i;
  sf_status result = SF_NO_DATA;
  if (req->timeframe != NULL && strcmp(req->timeframe, "1d") != 0) {
    g_host->set_error(SF_ERR_UNSUPPORTED, "walk: only the \"1d\" timeframe is offered");
    return SF_ERR_UNSUPPORTED;
  }
  if (req->symbol_count == 0) {
    g_host->set_error(SF_ERR_INVALID_ARGUMENT, "walk: name the symbols to generate");
    return SF_ERR_INVALID_ARGUMENT;
  }
  for (i = 0; i < req->symbol_count; ++i) {
    sf_status s = EmitSymbol(w, req->symbols[i], req, sink);
    if (s < 0) return s; /* includes SF_ERR_CANCELLED from the sink */
    if (s == SF_OK) result = SF_OK;
  }
  return result;
}

static const sf_provider_vtable kWalk = {
    sizeof(sf_provider_vtable),
    SF_FLAG_THREAD_SAFE, /* instances hold no mutable state */
    "walk",
    "{\"description\":\"Deterministic random-walk daily bars for any symbol\","
    "\"asset_classes\":[\"equity\"],\"timeframes\":[\"1d\"],\"bars\":true,"
    "\"news\":false,\"live\":false,"
    "\"config\":{\"type\":\"object\",\"properties\":{"
    "\"start_price\":{\"type\":\"number\",\"exclusiveMinimum\":0},"
    "\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100000}}}}",
    WalkCreate,
    WalkDestroy,
    NULL, /* list_instruments: any symbol works */
    WalkFetchBars,
    NULL, /* fetch_news */
    NULL, /* poll */
};

/* ---- the plugin ----------------------------------------------------------- */

static sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char* config_json) {
  (void)config_json;
  host->log(SF_LOG_INFO, PLUGIN_ID, "registering provider walk");
  return host->register_provider(plugin, &kWalk);
}

static const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER,
    0, /* min_host_minor: runs on any 1.x host */
    0, /* reserved0 */
    PLUGIN_ID,
    "0.1.0",
    "Random walk example",
    "Deterministic random-walk bars; an example third-party provider in C",
    "Example Corp",
    "MIT",
    Init,
    NULL, /* shutdown: nothing plugin-wide to release */
};

SF_PLUGIN_ENTRY(host) {
  g_host = host;
  return &kManifest;
}
