/*
 * signalforge/signalforge.h - the whole Signalforge plugin SDK, C ABI v1.
 * Include this one header; see sdk/README.md for the plugin author's guide.
 */
#ifndef SIGNALFORGE_SIGNALFORGE_H_
#define SIGNALFORGE_SIGNALFORGE_H_

#include "signalforge/abi.h"
#include "signalforge/indicator.h"
#include "signalforge/model.h"
#include "signalforge/notifier.h"
#include "signalforge/provider.h"

#endif /* SIGNALFORGE_SIGNALFORGE_H_ */
