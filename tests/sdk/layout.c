/*
 * Pins the binary layout of every public struct of the Signalforge SDK for
 * LP64 targets (x86_64, aarch64 Linux): sizeof and offsetof of every field,
 * plus the values of the ABI constants. A change here is an ABI break unless
 * it only appends at the end of a struct (and then the sizeof line changes
 * and nothing else). Compiled by the tests both as C99 (-pedantic) and as
 * C++17, so it must stay valid in both.
 */
#include <stddef.h>

#include "signalforge/signalforge.h"

/* C99 has no _Static_assert; a negative array size fails the build. */
#define SF_PIN(cond, name) typedef char sf_pin_##name[(cond) ? 1 : -1]
#define SF_SIZE(type, n) SF_PIN(sizeof(type) == (n), size_##type)
#define SF_OFF(type, field, n) SF_PIN(offsetof(type, field) == (n), off_##type##_##field)

#ifdef SF_LAYOUT_SELF_TEST_BROKEN
/* Proves the macro fires: this build must fail. */
SF_SIZE(sf_bar, 1);
#endif

SF_PIN(sizeof(void*) == 8 && sizeof(size_t) == 8, lp64);

/* ---- constants ---------------------------------------------------------- */
SF_PIN(SF_ABI_MAJOR == 1, abi_major);
SF_PIN(SF_ABI_MINOR == 0, abi_minor);
SF_PIN(SF_PLUGIN_MAGIC == 0x5346504Cu, magic);
SF_PIN(SF_OK == 0 && SF_INCOMPLETE == 1 && SF_NO_DATA == 2, ok_codes);
SF_PIN(SF_ERR_INVALID_ARGUMENT == -1 && SF_ERR_NOT_FOUND == -2 && SF_ERR_UNSUPPORTED == -3 &&
           SF_ERR_ABI_MISMATCH == -4 && SF_ERR_IO == -5 && SF_ERR_TIMEOUT == -6 &&
           SF_ERR_UNAVAILABLE == -7 && SF_ERR_RATE_LIMITED == -8 && SF_ERR_PERMISSION == -9 &&
           SF_ERR_CONFLICT == -10 && SF_ERR_NO_MEMORY == -11 && SF_ERR_BAD_DATA == -12 &&
           SF_ERR_INTERNAL == -13 && SF_ERR_CANCELLED == -14 && SF_ERR_UNAUTHENTICATED == -15 &&
           SF_ERR_TOO_LARGE == -16,
       error_codes);
SF_PIN(sizeof(sf_status) == 4 && sizeof(sf_time_us) == 8, scalar_types);
SF_PIN(SF_KIND_PROVIDER == 1 && SF_KIND_INDICATOR == 2 && SF_KIND_MODEL == 3 &&
           SF_KIND_NOTIFIER == 4,
       kinds);
SF_PIN(SF_FLAG_THREAD_SAFE == 0x1u, flags);
SF_PIN(SF_LOG_TRACE == 0 && SF_LOG_DEBUG == 1 && SF_LOG_INFO == 2 && SF_LOG_WARN == 3 &&
           SF_LOG_ERROR == 4,
       log_levels);
SF_PIN(SF_INPUT_OPEN == 0x01u && SF_INPUT_HIGH == 0x02u && SF_INPUT_LOW == 0x04u &&
           SF_INPUT_CLOSE == 0x08u && SF_INPUT_VOLUME == 0x10u && SF_INPUT_TIME == 0x20u,
       input_bits);

/* ---- abi.h -------------------------------------------------------------- */
SF_SIZE(sf_host_api, 72);
SF_OFF(sf_host_api, struct_size, 0);
SF_OFF(sf_host_api, abi_major, 4);
SF_OFF(sf_host_api, abi_minor, 6);
SF_OFF(sf_host_api, host_version, 8);
SF_OFF(sf_host_api, log, 16);
SF_OFF(sf_host_api, set_error, 24);
SF_OFF(sf_host_api, register_provider, 32);
SF_OFF(sf_host_api, register_indicator, 40);
SF_OFF(sf_host_api, register_model, 48);
SF_OFF(sf_host_api, register_notifier, 56);
SF_OFF(sf_host_api, now_us, 64);

SF_SIZE(sf_plugin_manifest, 80);
SF_OFF(sf_plugin_manifest, struct_size, 0);
SF_OFF(sf_plugin_manifest, magic, 4);
SF_OFF(sf_plugin_manifest, abi_major, 8);
SF_OFF(sf_plugin_manifest, abi_minor, 10);
SF_OFF(sf_plugin_manifest, min_host_minor, 12);
SF_OFF(sf_plugin_manifest, reserved0, 14);
SF_OFF(sf_plugin_manifest, id, 16);
SF_OFF(sf_plugin_manifest, version, 24);
SF_OFF(sf_plugin_manifest, name, 32);
SF_OFF(sf_plugin_manifest, description, 40);
SF_OFF(sf_plugin_manifest, author, 48);
SF_OFF(sf_plugin_manifest, license, 56);
SF_OFF(sf_plugin_manifest, init, 64);
SF_OFF(sf_plugin_manifest, shutdown, 72);

/* ---- provider.h --------------------------------------------------------- */
SF_SIZE(sf_bar_batch, 104);
SF_OFF(sf_bar_batch, struct_size, 0);
SF_OFF(sf_bar_batch, reserved0, 4);
SF_OFF(sf_bar_batch, symbol, 8);
SF_OFF(sf_bar_batch, timeframe, 16);
SF_OFF(sf_bar_batch, count, 24);
SF_OFF(sf_bar_batch, ts_start, 32);
SF_OFF(sf_bar_batch, ts_end, 40);
SF_OFF(sf_bar_batch, open, 48);
SF_OFF(sf_bar_batch, high, 56);
SF_OFF(sf_bar_batch, low, 64);
SF_OFF(sf_bar_batch, close, 72);
SF_OFF(sf_bar_batch, volume, 80);
SF_OFF(sf_bar_batch, vwap, 88);
SF_OFF(sf_bar_batch, adj_factor, 96);

SF_SIZE(sf_news_item, 96);
SF_OFF(sf_news_item, struct_size, 0);
SF_OFF(sf_news_item, reserved0, 4);
SF_OFF(sf_news_item, id, 8);
SF_OFF(sf_news_item, url, 16);
SF_OFF(sf_news_item, title, 24);
SF_OFF(sf_news_item, summary, 32);
SF_OFF(sf_news_item, source, 40);
SF_OFF(sf_news_item, symbols, 48);
SF_OFF(sf_news_item, published_us, 56);
SF_OFF(sf_news_item, score, 64);
SF_OFF(sf_news_item, upvote_ratio, 72);
SF_OFF(sf_news_item, comments, 80);
SF_OFF(sf_news_item, extra_json, 88);

SF_SIZE(sf_data_sink, 40);
SF_OFF(sf_data_sink, struct_size, 0);
SF_OFF(sf_data_sink, reserved0, 4);
SF_OFF(sf_data_sink, host_data, 8);
SF_OFF(sf_data_sink, emit_bars, 16);
SF_OFF(sf_data_sink, emit_news, 24);
SF_OFF(sf_data_sink, reject, 32);

SF_SIZE(sf_fetch_request, 56);
SF_OFF(sf_fetch_request, struct_size, 0);
SF_OFF(sf_fetch_request, reserved0, 4);
SF_OFF(sf_fetch_request, symbols, 8);
SF_OFF(sf_fetch_request, symbol_count, 16);
SF_OFF(sf_fetch_request, timeframe, 24);
SF_OFF(sf_fetch_request, from_us, 32);
SF_OFF(sf_fetch_request, to_us, 40);
SF_OFF(sf_fetch_request, options_json, 48);

SF_SIZE(sf_provider_vtable, 72);
SF_OFF(sf_provider_vtable, struct_size, 0);
SF_OFF(sf_provider_vtable, flags, 4);
SF_OFF(sf_provider_vtable, id, 8);
SF_OFF(sf_provider_vtable, metadata_json, 16);
SF_OFF(sf_provider_vtable, create, 24);
SF_OFF(sf_provider_vtable, destroy, 32);
SF_OFF(sf_provider_vtable, list_instruments, 40);
SF_OFF(sf_provider_vtable, fetch_bars, 48);
SF_OFF(sf_provider_vtable, fetch_news, 56);
SF_OFF(sf_provider_vtable, poll, 64);

/* ---- indicator.h -------------------------------------------------------- */
SF_SIZE(sf_bar_series, 64);
SF_OFF(sf_bar_series, struct_size, 0);
SF_OFF(sf_bar_series, reserved0, 4);
SF_OFF(sf_bar_series, count, 8);
SF_OFF(sf_bar_series, ts, 16);
SF_OFF(sf_bar_series, open, 24);
SF_OFF(sf_bar_series, high, 32);
SF_OFF(sf_bar_series, low, 40);
SF_OFF(sf_bar_series, close, 48);
SF_OFF(sf_bar_series, volume, 56);

SF_SIZE(sf_bar, 56);
SF_OFF(sf_bar, struct_size, 0);
SF_OFF(sf_bar, reserved0, 4);
SF_OFF(sf_bar, ts, 8);
SF_OFF(sf_bar, open, 16);
SF_OFF(sf_bar, high, 24);
SF_OFF(sf_bar, low, 32);
SF_OFF(sf_bar, close, 40);
SF_OFF(sf_bar, volume, 48);

SF_SIZE(sf_indicator_vtable, 80);
SF_OFF(sf_indicator_vtable, struct_size, 0);
SF_OFF(sf_indicator_vtable, flags, 4);
SF_OFF(sf_indicator_vtable, id, 8);
SF_OFF(sf_indicator_vtable, metadata_json, 16);
SF_OFF(sf_indicator_vtable, param_count, 24);
SF_OFF(sf_indicator_vtable, output_count, 28);
SF_OFF(sf_indicator_vtable, input_mask, 32);
SF_OFF(sf_indicator_vtable, reserved0, 36);
SF_OFF(sf_indicator_vtable, lookback, 40);
SF_OFF(sf_indicator_vtable, compute, 48);
SF_OFF(sf_indicator_vtable, stream_create, 56);
SF_OFF(sf_indicator_vtable, stream_update, 64);
SF_OFF(sf_indicator_vtable, stream_destroy, 72);

/* ---- model.h ------------------------------------------------------------ */
SF_SIZE(sf_dataset, 72);
SF_OFF(sf_dataset, struct_size, 0);
SF_OFF(sf_dataset, reserved0, 4);
SF_OFF(sf_dataset, rows, 8);
SF_OFF(sf_dataset, cols, 16);
SF_OFF(sf_dataset, features, 24);
SF_OFF(sf_dataset, labels, 32);
SF_OFF(sf_dataset, weights, 40);
SF_OFF(sf_dataset, feature_names, 48);
SF_OFF(sf_dataset, row_time, 56);
SF_OFF(sf_dataset, label_end, 64);

SF_SIZE(sf_model_vtable, 72);
SF_OFF(sf_model_vtable, struct_size, 0);
SF_OFF(sf_model_vtable, flags, 4);
SF_OFF(sf_model_vtable, id, 8);
SF_OFF(sf_model_vtable, metadata_json, 16);
SF_OFF(sf_model_vtable, load, 24);
SF_OFF(sf_model_vtable, unload, 32);
SF_OFF(sf_model_vtable, describe, 40);
SF_OFF(sf_model_vtable, predict, 48);
SF_OFF(sf_model_vtable, train, 56);
SF_OFF(sf_model_vtable, analyze_text, 64);

/* ---- notifier.h --------------------------------------------------------- */
SF_SIZE(sf_delivery, 72);
SF_OFF(sf_delivery, struct_size, 0);
SF_OFF(sf_delivery, reserved0, 4);
SF_OFF(sf_delivery, delivery_id, 8);
SF_OFF(sf_delivery, event_type, 16);
SF_OFF(sf_delivery, destination, 24);
SF_OFF(sf_delivery, secret, 32);
SF_OFF(sf_delivery, payload_json, 40);
SF_OFF(sf_delivery, options_json, 48);
SF_OFF(sf_delivery, timestamp_us, 56);
SF_OFF(sf_delivery, attempt, 64);
SF_OFF(sf_delivery, reserved1, 68);

SF_SIZE(sf_delivery_result, 24);
SF_OFF(sf_delivery_result, struct_size, 0);
SF_OFF(sf_delivery_result, reserved0, 4);
SF_OFF(sf_delivery_result, remote_status, 8);
SF_OFF(sf_delivery_result, disable_destination, 12);
SF_OFF(sf_delivery_result, retry_after_ms, 16);

SF_SIZE(sf_notifier_vtable, 56);
SF_OFF(sf_notifier_vtable, struct_size, 0);
SF_OFF(sf_notifier_vtable, flags, 4);
SF_OFF(sf_notifier_vtable, id, 8);
SF_OFF(sf_notifier_vtable, metadata_json, 16);
SF_OFF(sf_notifier_vtable, create, 24);
SF_OFF(sf_notifier_vtable, destroy, 32);
SF_OFF(sf_notifier_vtable, validate_destination, 40);
SF_OFF(sf_notifier_vtable, send, 48);

/* A translation unit must declare something; also exercises the helpers. */
int sf_layout_check_status_names(void);
int sf_layout_check_status_names(void) {
  return sf_status_name(SF_ERR_CONFLICT)[0] == 'c' && sf_status_name(12345)[0] == 'u';
}
