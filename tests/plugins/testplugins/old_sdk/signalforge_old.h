/*
 * A stand-in for an OLDER Signalforge SDK header (ABI 1.0 as first shipped,
 * before fields were appended): the manifest ends at init (no shutdown), the
 * provider vtable ends at fetch_bars (no fetch_news, poll), the indicator
 * vtable ends at compute (no streaming functions). A plugin built with it
 * reports the smaller struct_size; the host must load it and read the
 * missing fields as zero. Layouts are prefixes of the current header's;
 * old_layout_plugin.c pins the smaller sizes (LP64).
 */
#ifndef SIGNALFORGE_OLD_H_
#define SIGNALFORGE_OLD_H_

#include <stddef.h>
#include <stdint.h>

typedef int32_t sf_status;
typedef int64_t sf_time_us;
typedef struct sf_plugin_handle sf_plugin_handle;
struct sf_provider_vtable;
struct sf_indicator_vtable;

#define SF_OK 0
#define SF_ABI_MAJOR 1
#define SF_ABI_MINOR 0
#define SF_PLUGIN_MAGIC 0x5346504Cu
#define SF_INPUT_CLOSE 0x08u

typedef struct sf_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  const char* host_version;
  void (*log)(int32_t level, const char* plugin_id, const char* message);
  void (*set_error)(sf_status code, const char* message);
  sf_status (*register_provider)(sf_plugin_handle*, const struct sf_provider_vtable*);
  sf_status (*register_indicator)(sf_plugin_handle*, const struct sf_indicator_vtable*);
} sf_host_api;

typedef struct sf_plugin_manifest {
  uint32_t struct_size;
  uint32_t magic;
  uint16_t abi_major;
  uint16_t abi_minor;
  uint16_t min_host_minor;
  uint16_t reserved0;
  const char* id;
  const char* version;
  const char* name;
  const char* description;
  const char* author;
  const char* license;
  sf_status (*init)(const sf_host_api* host, sf_plugin_handle* plugin, const char* config_json);
} sf_plugin_manifest;

typedef struct sf_bar_series {
  uint32_t struct_size;
  uint32_t reserved0;
  int64_t count;
  const sf_time_us* ts;
  const double* open;
  const double* high;
  const double* low;
  const double* close;
  const double* volume;
} sf_bar_series;

typedef struct sf_indicator_vtable {
  uint32_t struct_size;
  uint32_t flags;
  const char* id;
  const char* metadata_json;
  uint32_t param_count;
  uint32_t output_count;
  uint32_t input_mask;
  uint32_t reserved0;
  sf_status (*lookback)(const double* params, uint32_t param_count, int64_t* lookback);
  sf_status (*compute)(const double* params, uint32_t param_count, const sf_bar_series* input,
                       double* const* outputs, uint32_t output_count);
} sf_indicator_vtable;

struct sf_fetch_request;
struct sf_data_sink;

typedef struct sf_provider_vtable {
  uint32_t struct_size;
  uint32_t flags;
  const char* id;
  const char* metadata_json;
  sf_status (*create)(const char* config_json, void** instance);
  void (*destroy)(void* instance);
  sf_status (*list_instruments)(void* instance, char* buf, size_t cap, size_t* needed);
  sf_status (*fetch_bars)(void* instance, const struct sf_fetch_request* request,
                          const struct sf_data_sink* sink);
} sf_provider_vtable;

#endif /* SIGNALFORGE_OLD_H_ */
