/*
 * signalforge/abi.h - the core of the Signalforge plugin ABI (version 1).
 *
 * Everything a plugin library and the host exchange is declared in plain C
 * here and in the per-kind headers (provider.h, indicator.h, model.h,
 * notifier.h). Nothing in this SDK depends on C++, the STL, Poco or any other
 * library; it compiles as C99 and as C++.
 *
 * The contract, in short:
 *   - A plugin library exports exactly one symbol, sf_plugin_entry (see
 *     SF_PLUGIN_ENTRY_SYMBOL). The host calls it with its API table and gets
 *     back the plugin's manifest (a static, plugin-owned struct).
 *   - The host checks the manifest (magic, ABI major, minor range, id) and
 *     refuses the library with a reason naming every field that did not
 *     match. Only then does it call manifest->init, in which the plugin
 *     registers its components through the host API table.
 *   - Every struct that crosses the boundary starts with uint32_t struct_size.
 *     Fields are only ever appended within a major version. The reader copies
 *     min(its size, struct_size) bytes into a zeroed struct, so a field the
 *     writer did not know about reads as zero, which always means "unset".
 *   - Every function returns an sf_status. Detail goes through
 *     sf_host_api.set_error on the calling thread before returning.
 *   - Borrowed by default: a pointer passed into a call is valid until that
 *     call returns. Whoever allocates frees. Bulk data crosses as columnar
 *     arrays; configs and metadata cross as UTF-8 JSON strings.
 *   - Plugin libraries are never unloaded while the host runs.
 */
#ifndef SIGNALFORGE_ABI_H_
#define SIGNALFORGE_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- versions ---------------------------------------------------------- */

/* ABI major: a plugin is loaded only when its major equals the host's. */
#define SF_ABI_MAJOR 1
/* ABI minor: grows when fields or functions are appended. A host of minor N
 * loads plugins built with any minor, provided the plugin's min_host_minor is
 * <= N. */
#define SF_ABI_MINOR 0

/* "SFPL" - first field after struct_size in every manifest. */
#define SF_PLUGIN_MAGIC 0x5346504Cu

/* The name of the one symbol a plugin library exports. */
#define SF_PLUGIN_ENTRY_SYMBOL "sf_plugin_entry"

#if defined(_WIN32)
#define SF_PLUGIN_EXPORT __declspec(dllexport)
#else
#define SF_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ---- status codes ------------------------------------------------------ */

/* One code space shared by the SDK, the host and the HTTP API (the host maps
 * each code to an HTTP status in a single table). Zero and positive values are
 * successes; negative values are errors. */
typedef int32_t sf_status;

#define SF_OK 0
/* A caller buffer was too small; *needed holds the size required. */
#define SF_INCOMPLETE 1
/* The call did nothing because there was nothing to do (e.g. no new bars). */
#define SF_NO_DATA 2

#define SF_ERR_INVALID_ARGUMENT (-1) /* a parameter broke a rule */
#define SF_ERR_NOT_FOUND (-2)        /* unknown id, symbol, file */
#define SF_ERR_UNSUPPORTED (-3)      /* the component cannot do this */
#define SF_ERR_ABI_MISMATCH (-4)     /* versions or struct sizes disagree */
#define SF_ERR_IO (-5)               /* file or network failure */
#define SF_ERR_TIMEOUT (-6)          /* a deadline passed */
#define SF_ERR_UNAVAILABLE (-7)      /* remote side down; retry later */
#define SF_ERR_RATE_LIMITED (-8)     /* remote side asked to slow down */
#define SF_ERR_PERMISSION (-9)       /* not allowed (auth, tier, policy) */
#define SF_ERR_CONFLICT (-10)        /* duplicate id, state conflict */
#define SF_ERR_NO_MEMORY (-11)       /* allocation failed or cap reached */
#define SF_ERR_BAD_DATA (-12)        /* input data is malformed */
#define SF_ERR_INTERNAL (-13)        /* a bug, or an exception caught */
#define SF_ERR_CANCELLED (-14)       /* the host asked to stop */
#define SF_ERR_UNAUTHENTICATED (-15) /* credentials missing or wrong */
#define SF_ERR_TOO_LARGE (-16)       /* input or output over a size limit */

/* A stable, lowercase name for a status ("ok", "invalid_argument", ...).
 * Never NULL; unknown codes give "unknown". */
static inline const char* sf_status_name(sf_status s) {
  switch (s) {
    case SF_OK: return "ok";
    case SF_INCOMPLETE: return "incomplete";
    case SF_NO_DATA: return "no_data";
    case SF_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case SF_ERR_NOT_FOUND: return "not_found";
    case SF_ERR_UNSUPPORTED: return "unsupported";
    case SF_ERR_ABI_MISMATCH: return "abi_mismatch";
    case SF_ERR_IO: return "io";
    case SF_ERR_TIMEOUT: return "timeout";
    case SF_ERR_UNAVAILABLE: return "unavailable";
    case SF_ERR_RATE_LIMITED: return "rate_limited";
    case SF_ERR_PERMISSION: return "permission_denied";
    case SF_ERR_CONFLICT: return "conflict";
    case SF_ERR_NO_MEMORY: return "no_memory";
    case SF_ERR_BAD_DATA: return "bad_data";
    case SF_ERR_INTERNAL: return "internal";
    case SF_ERR_CANCELLED: return "cancelled";
    case SF_ERR_UNAUTHENTICATED: return "unauthenticated";
    case SF_ERR_TOO_LARGE: return "too_large";
    default: return "unknown";
  }
}

/* ---- common types ------------------------------------------------------ */

/* Component kinds. */
typedef enum sf_component_kind {
  SF_KIND_PROVIDER = 1,
  SF_KIND_INDICATOR = 2,
  SF_KIND_MODEL = 3,
  SF_KIND_NOTIFIER = 4
} sf_component_kind;

/* Component flags (sf_*_vtable.flags). */
/* One instance may be called from several threads at once. Without this flag
 * the host serialises every call on an instance. */
#define SF_FLAG_THREAD_SAFE 0x1u

/* Log levels for sf_host_api.log. */
#define SF_LOG_TRACE 0
#define SF_LOG_DEBUG 1
#define SF_LOG_INFO 2
#define SF_LOG_WARN 3
#define SF_LOG_ERROR 4

/* Timestamps everywhere in the ABI are int64 microseconds since the Unix
 * epoch, UTC (PostgreSQL's timestamp precision). */
typedef int64_t sf_time_us;

/* Opaque handle the host gives a plugin during init; used to register. */
typedef struct sf_plugin_handle sf_plugin_handle;

struct sf_provider_vtable;
struct sf_indicator_vtable;
struct sf_model_vtable;
struct sf_notifier_vtable;

/* ---- the host API table ------------------------------------------------ */

/* What the host offers a plugin. The host owns it; it lives as long as the
 * process. A plugin built against a newer minor must check struct_size (or
 * SF_HOST_HAS(host, field)) before calling a function appended after the
 * host's minor. The first three fields are frozen across every major. */
typedef struct sf_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  /* Host version string, e.g. "0.1.0". */
  const char* host_version;

  /* Write a log line attributed to the calling plugin.
   * Thread rule: any thread, any time. */
  void (*log)(int32_t level, const char* plugin_id, const char* message);

  /* Attach a message to the status the current call is about to return.
   * Call it on the thread executing the host's call, just before returning
   * a non-OK status; the last message set wins. Outside a host call it only
   * logs. Thread rule: any thread. */
  void (*set_error)(sf_status code, const char* message);

  /* Registration. Valid only inside manifest->init, on the thread running
   * it. The vtable must stay valid for the life of the process (use static
   * storage); the host copies what it knows of it. Returns SF_ERR_CONFLICT
   * for a duplicate id, SF_ERR_INVALID_ARGUMENT for a vtable missing a
   * required function (with the function's name in the error). */
  sf_status (*register_provider)(sf_plugin_handle* plugin,
                                 const struct sf_provider_vtable* vtable);
  sf_status (*register_indicator)(sf_plugin_handle* plugin,
                                  const struct sf_indicator_vtable* vtable);
  sf_status (*register_model)(sf_plugin_handle* plugin,
                              const struct sf_model_vtable* vtable);
  sf_status (*register_notifier)(sf_plugin_handle* plugin,
                                 const struct sf_notifier_vtable* vtable);

  /* The host's clock in microseconds since the epoch. In a backtest this is
   * the simulated clock. Thread rule: any thread. */
  sf_time_us (*now_us)(void);
} sf_host_api;

/* True when the host table is large enough to contain FIELD. */
#define SF_HOST_HAS(host, field)                                      \
  ((host)->struct_size >= offsetof(sf_host_api, field) + sizeof((host)->field) && \
   (host)->field != NULL)

/* ---- the plugin manifest ----------------------------------------------- */

/* What a plugin says about itself. Owned by the plugin, static storage. */
typedef struct sf_plugin_manifest {
  uint32_t struct_size;   /* sizeof(sf_plugin_manifest) as built */
  uint32_t magic;         /* SF_PLUGIN_MAGIC */
  uint16_t abi_major;     /* SF_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;     /* SF_ABI_MINOR the plugin was built with */
  uint16_t min_host_minor;/* oldest host minor the plugin runs on */
  uint16_t reserved0;     /* zero */
  /* Reverse-DNS id, e.g. "org.signalforge.indicators". Required. Letters,
   * digits, '.', '-', '_'; 3..128 bytes; at least one '.'. */
  const char* id;
  /* Plugin version (semver), e.g. "1.2.0". Required. */
  const char* version;
  /* Optional human-readable fields. */
  const char* name;
  const char* description;
  const char* author;
  const char* license;

  /* Register components and set up plugin-wide state. Required.
   * config_json is the plugin's section of the host config ("{}" when none).
   * Thread rule: called once, on one thread, before any component is used. */
  sf_status (*init)(const sf_host_api* host, sf_plugin_handle* plugin,
                    const char* config_json);
  /* Release plugin-wide state. Optional. Called once at host shutdown after
   * every instance was destroyed; the library is not unloaded afterwards. */
  void (*shutdown)(void);
} sf_plugin_manifest;

/* The entry point. Exactly one per library, exported with C linkage.
 * Returns the plugin's manifest, or NULL to refuse to load (after calling
 * host->set_error with the reason). It must not register anything; it may
 * look at host->abi_major/abi_minor. Thread rule: called once, on one thread. */
typedef const sf_plugin_manifest* (*sf_plugin_entry_fn)(const sf_host_api* host);

/* Declare the entry point in a plugin's source:
 *   SF_PLUGIN_ENTRY(host) { (void)host; return &kManifest; }            */
#ifdef __cplusplus
#define SF_PLUGIN_ENTRY(host_param)                                       \
  extern "C" SF_PLUGIN_EXPORT const sf_plugin_manifest* sf_plugin_entry(  \
      const sf_host_api* host_param)
#else
#define SF_PLUGIN_ENTRY(host_param)                                       \
  SF_PLUGIN_EXPORT const sf_plugin_manifest* sf_plugin_entry(             \
      const sf_host_api* host_param)
#endif

/* Initialiser for the first fields of a manifest built with this header. */
#define SF_MANIFEST_HEADER                                                \
  sizeof(sf_plugin_manifest), SF_PLUGIN_MAGIC, SF_ABI_MAJOR, SF_ABI_MINOR

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIGNALFORGE_ABI_H_ */
