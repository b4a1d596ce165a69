/* One source, many test plugins: each CMake target compiles it with other
 * manifest fields (TP_*) or another init behaviour (TP_MODE), giving one
 * real .so per loader rule the tests check. Plain C. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signalforge/signalforge.h"

#define TP_MODE_OK 0
#define TP_MODE_INIT_FAIL 1
#define TP_MODE_SEGV 2
#define TP_MODE_HANG 3
#define TP_MODE_ABORT 4
#define TP_MODE_MISSING_FN 5
#define TP_MODE_PARTIAL_STREAM 6
#define TP_MODE_BAD_METADATA 7
#define TP_MODE_COUNT_MISMATCH 8
#define TP_MODE_ROLLBACK 9
#define TP_MODE_ENTRY_NULL 10
#define TP_MODE_EXIT 11
#define TP_MODE_DUP_IN_SELF 12
#define TP_MODE_CONFIG 13

#ifndef TP_MODE
#define TP_MODE TP_MODE_OK
#endif
#ifndef TP_STRUCT_SIZE
#define TP_STRUCT_SIZE sizeof(sf_plugin_manifest)
#endif
#ifndef TP_MAGIC
#define TP_MAGIC SF_PLUGIN_MAGIC
#endif
#ifndef TP_ABI_MAJOR
#define TP_ABI_MAJOR SF_ABI_MAJOR
#endif
#ifndef TP_ABI_MINOR
#define TP_ABI_MINOR SF_ABI_MINOR
#endif
#ifndef TP_MIN_HOST_MINOR
#define TP_MIN_HOST_MINOR 0
#endif
#ifndef TP_ID
#define TP_ID "org.test.variant"
#endif
#ifndef TP_VERSION
#define TP_VERSION "1.0.0"
#endif
#ifndef TP_INIT
#define TP_INIT Init
#endif
#ifndef TP_IND_ID
#define TP_IND_ID "variant_ind"
#endif

static const sf_host_api* g_host;

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
  for (i = 0; i < in->count; ++i) out[0][i] = in->close[i] * 2;
  return SF_OK;
}
static sf_status StreamCreate(const double* p, uint32_t n, void** state) {
  (void)p;
  (void)n;
  *state = NULL;
  return SF_OK;
}
static void StreamDestroy(void* state) { (void)state; }

#define TP_META                                                                 \
  "{\"title\":\"double close\",\"inputs\":[\"close\"],"                         \
  "\"params\":[{\"name\":\"period\",\"type\":\"int\"}],\"outputs\":[{\"name\":\"value\"}]}"

static const sf_indicator_vtable kIndicator = {
    sizeof(sf_indicator_vtable), 0, TP_IND_ID, TP_META, 1, 1, SF_INPUT_CLOSE, 0,
    Lookback, Compute, NULL, NULL, NULL};

static const sf_indicator_vtable kRollbackOk = {
    sizeof(sf_indicator_vtable), 0, "rollback_ok", TP_META, 1, 1, SF_INPUT_CLOSE, 0,
    Lookback, Compute, NULL, NULL, NULL};

static const sf_indicator_vtable kPartialStream = {
    sizeof(sf_indicator_vtable), 0, "partial_stream", TP_META, 1, 1, SF_INPUT_CLOSE, 0,
    Lookback, Compute, StreamCreate, NULL, StreamDestroy};

static const sf_indicator_vtable kBadMetadata = {
    sizeof(sf_indicator_vtable), 0, "bad_metadata", "{\"title\": \"unterminated", 1, 1,
    SF_INPUT_CLOSE, 0, Lookback, Compute, NULL, NULL, NULL};

static const sf_indicator_vtable kCountMismatch = {
    sizeof(sf_indicator_vtable), 0, "count_mismatch", TP_META, 2, 1, SF_INPUT_CLOSE, 0,
    Lookback, Compute, NULL, NULL, NULL};

static sf_status ProvCreate(const char* c, void** i) {
  (void)c;
  *i = NULL;
  return SF_OK;
}
static void ProvDestroy(void* i) { (void)i; }

/* fetch_bars (required) left NULL. */
static const sf_provider_vtable kMissingFn = {
    sizeof(sf_provider_vtable), 0, "missing_fn", "{\"description\":\"no fetch_bars\"}",
    ProvCreate, ProvDestroy, NULL, NULL, NULL, NULL};

/* send (required) left NULL. */
static const sf_notifier_vtable kBadNotifier = {
    sizeof(sf_notifier_vtable), 0, "bad_notifier", "{\"description\":\"no send\"}",
    ProvCreate, ProvDestroy, NULL, NULL};

static sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char* config) {
  (void)config;
  switch (TP_MODE) {
    case TP_MODE_INIT_FAIL:
      host->set_error(SF_ERR_INVALID_ARGUMENT, "config key \"api_key\" is required");
      return SF_ERR_INVALID_ARGUMENT;
    case TP_MODE_SEGV: {
      /* A wild write, as a buggy plugin would do. */
      volatile uintptr_t addr = 16;
      *(volatile int*)addr = 1;
      return SF_OK;
    }
    case TP_MODE_HANG:
      for (;;) pause();
    case TP_MODE_ABORT:
      abort();
    case TP_MODE_MISSING_FN:
      /* The plugin ignores the refusal; the host refuses the library anyway. */
      host->register_provider(plugin, &kMissingFn);
      return SF_OK;
    case TP_MODE_PARTIAL_STREAM:
      return host->register_indicator(plugin, &kPartialStream);
    case TP_MODE_BAD_METADATA:
      return host->register_indicator(plugin, &kBadMetadata);
    case TP_MODE_COUNT_MISMATCH:
      return host->register_indicator(plugin, &kCountMismatch);
    case TP_MODE_ROLLBACK:
      if (host->register_indicator(plugin, &kRollbackOk) != SF_OK) return SF_ERR_INTERNAL;
      return host->register_notifier(plugin, &kBadNotifier);
    case TP_MODE_EXIT:
      exit(3);
    case TP_MODE_DUP_IN_SELF:
      host->register_indicator(plugin, &kIndicator);
      return host->register_indicator(plugin, &kIndicator);
    case TP_MODE_CONFIG:
      if (strstr(config, "\"answer\":42") == NULL) {
        host->set_error(SF_ERR_INVALID_ARGUMENT, config);
        return SF_ERR_INVALID_ARGUMENT;
      }
      return host->register_indicator(plugin, &kIndicator);
    default:
      return host->register_indicator(plugin, &kIndicator);
  }
}

static const sf_plugin_manifest kManifest = {
    (uint32_t)(TP_STRUCT_SIZE), TP_MAGIC, TP_ABI_MAJOR, TP_ABI_MINOR, TP_MIN_HOST_MINOR, 0,
    TP_ID, TP_VERSION, "variant", NULL, NULL, NULL, TP_INIT, NULL};

SF_PLUGIN_ENTRY(host) {
  g_host = host;
  (void)&Init; /* referenced even when TP_INIT is NULL */
  if (TP_MODE == TP_MODE_ENTRY_NULL) {
    host->set_error(SF_ERR_UNSUPPORTED, "this build needs a GPU the host does not have");
    return NULL;
  }
  return &kManifest;
}
