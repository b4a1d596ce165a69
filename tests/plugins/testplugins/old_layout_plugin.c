/* org.test.old: built against old_sdk/signalforge_old.h, an older and
 * smaller layout of the manifest and of the provider and indicator vtables.
 * Never includes the current SDK. */
#include <stdlib.h>

#include "signalforge_old.h"

/* The older sizes (LP64); the current SDK's are 80, 80 and 72. */
typedef char old_manifest_size_is_72[sizeof(sf_plugin_manifest) == 72 ? 1 : -1];
typedef char old_indicator_size_is_56[sizeof(sf_indicator_vtable) == 56 ? 1 : -1];
typedef char old_provider_size_is_56[sizeof(sf_provider_vtable) == 56 ? 1 : -1];

static sf_status Lookback(const double* p, uint32_t n, int64_t* lookback) {
  (void)p;
  (void)n;
  *lookback = 0;
  return SF_OK;
}
static sf_status Compute(const double* p, uint32_t n, const sf_bar_series* in,
                         double* const* out, uint32_t out_n) {
  int64_t i;
  (void)p;
  (void)n;
  (void)out_n;
  for (i = 0; i < in->count; ++i) out[0][i] = in->close[i] + 1;
  return SF_OK;
}
static const sf_indicator_vtable kIndicator = {
    sizeof(sf_indicator_vtable), 0, "old_plus_one",
    "{\"title\":\"close + 1\",\"inputs\":[\"close\"],\"params\":[],"
    "\"outputs\":[{\"name\":\"value\"}]}",
    0, 1, SF_INPUT_CLOSE, 0, Lookback, Compute};

static sf_status Create(const char* c, void** i) {
  (void)c;
  *i = malloc(1);
  return SF_OK;
}
static void Destroy(void* i) { free(i); }
static sf_status Fetch(void* i, const struct sf_fetch_request* r, const struct sf_data_sink* s) {
  (void)i;
  (void)r;
  (void)s;
  return 2; /* SF_NO_DATA */
}
static const sf_provider_vtable kProvider = {
    sizeof(sf_provider_vtable), 0, "old_provider", "{\"description\":\"old layout\"}",
    Create, Destroy, NULL, Fetch};

static sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char* config) {
  sf_status s;
  (void)config;
  if ((s = host->register_indicator(plugin, &kIndicator)) != SF_OK) return s;
  return host->register_provider(plugin, &kProvider);
}

static const sf_plugin_manifest kManifest = {
    sizeof(sf_plugin_manifest), SF_PLUGIN_MAGIC, SF_ABI_MAJOR, SF_ABI_MINOR, 0, 0,
    "org.test.old", "0.9.0", "old layout", NULL, NULL, NULL, Init};

__attribute__((visibility("default"))) const sf_plugin_manifest* sf_plugin_entry(
    const sf_host_api* host) {
  (void)host;
  return &kManifest;
}
