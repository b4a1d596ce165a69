/* A library with an undefined symbol: dlopen(RTLD_NOW) fails, and the
 * refusal carries dlerror()'s text. */
#include "signalforge/signalforge.h"

extern int sf_test_symbol_nobody_defines(void);

static const sf_plugin_manifest* Entry(const sf_host_api* host) {
  (void)host;
  return sf_test_symbol_nobody_defines() ? (const sf_plugin_manifest*)0 : NULL;
}

SF_PLUGIN_ENTRY(host) { return Entry(host); }
