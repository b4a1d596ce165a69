/* A library that is a valid shared object but exports no sf_plugin_entry
 * (a typo in the entry point's name). */
#include "signalforge/signalforge.h"

SF_PLUGIN_EXPORT int sf_plugin_entri(void) { return 1; }
