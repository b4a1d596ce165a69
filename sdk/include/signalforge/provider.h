/*
 * signalforge/provider.h - the provider component kind (market data and news).
 *
 * A provider is a factory: the host creates instances from a JSON config
 * (base URL, key, directory...) and asks them for bars and news. Data flows
 * back through a host-owned sink, in columnar batches the provider owns and
 * the host copies before the sink call returns.
 *
 * Prices in a batch are raw, as traded. Corporate actions travel separately
 * as adj_factor (adjusted = raw * factor); the host applies it.
 */
#ifndef SIGNALFORGE_PROVIDER_H_
#define SIGNALFORGE_PROVIDER_H_

#include "signalforge/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A batch of bars of one symbol and timeframe, oldest first. Owned by the
 * provider; borrowed by the host for the duration of emit_bars. */
typedef struct sf_bar_batch {
  uint32_t struct_size;
  uint32_t reserved0;
  const char* symbol;    /* required */
  const char* timeframe; /* "1m","5m","15m","1h","4h","1d"; required */
  int64_t count;
  const sf_time_us* ts_start; /* bar start; required */
  const sf_time_us* ts_end;   /* bar end; optional (host derives it) */
  const double* open;         /* required */
  const double* high;         /* required */
  const double* low;          /* required */
  const double* close;        /* required */
  const double* volume;       /* required */
  const double* vwap;         /* optional */
  const double* adj_factor;   /* optional; NULL means 1 */
} sf_bar_batch;

/* One news item. Strings are UTF-8; optional ones may be NULL. */
typedef struct sf_news_item {
  uint32_t struct_size;
  uint32_t reserved0;
  const char* id;      /* stable id from the source (GUID, URL, post id) */
  const char* url;
  const char* title;   /* required */
  const char* summary;
  const char* source;  /* feed title, subreddit, domain */
  const char* symbols; /* comma-separated tickers found, or NULL */
  sf_time_us published_us;
  double score;        /* e.g. reddit score; NaN when none */
  double upvote_ratio; /* NaN when none */
  int64_t comments;    /* -1 when none */
  const char* extra_json; /* optional extra fields */
} sf_news_item;

/* The host's receiver. Host-owned; valid for the duration of the call it is
 * passed to. Call its functions only on the thread running that call. */
typedef struct sf_data_sink {
  uint32_t struct_size;
  uint32_t reserved0;
  void* host_data;
  /* Deliver bars. Returns SF_ERR_CANCELLED when the host wants the provider
   * to stop early; the provider then returns SF_ERR_CANCELLED. */
  sf_status (*emit_bars)(void* host_data, const sf_bar_batch* batch);
  /* Deliver news items. */
  sf_status (*emit_news)(void* host_data, const sf_news_item* items,
                         int64_t count);
  /* Report something skipped without failing the whole call, e.g. a file
   * that is not price data, or a malformed row: what = "BF.B.csv",
   * reason = "not price data: first line is ...". */
  void (*reject)(void* host_data, const char* what, const char* reason);
} sf_data_sink;

/* What to fetch. Host-owned, borrowed. */
typedef struct sf_fetch_request {
  uint32_t struct_size;
  uint32_t reserved0;
  const char* const* symbols; /* NULL with symbol_count 0: everything */
  int64_t symbol_count;
  const char* timeframe;      /* "1d" when NULL */
  sf_time_us from_us;         /* inclusive; 0 = earliest */
  sf_time_us to_us;           /* exclusive; 0 = latest */
  const char* options_json;   /* optional per-call options */
} sf_fetch_request;

typedef struct sf_provider_vtable {
  uint32_t struct_size;
  uint32_t flags; /* SF_FLAG_THREAD_SAFE */
  /* Short name, e.g. "csv", "synthetic", "alphavantage". Required. */
  const char* id;
  /* JSON: {"description":"...","asset_classes":["equity"],
   *        "timeframes":["1d"],"bars":true,"news":false,"live":false,
   *        "config":{...JSON Schema of create's config...}}. Required. */
  const char* metadata_json;

  /* Create an instance from its config. Required. On failure set_error
   * names the config key at fault. Thread rule: any thread. */
  sf_status (*create)(const char* config_json, void** instance);
  /* Destroy an instance. Required. No call on it may be running. */
  void (*destroy)(void* instance);

  /* Instruments the instance knows, as a JSON array of
   * {"symbol","name","type","exchange","currency","sector"} written to a
   * caller buffer. If cap is too small: SF_INCOMPLETE and *needed set
   * (including the terminating NUL). Optional. */
  sf_status (*list_instruments)(void* instance, char* buf, size_t cap,
                                size_t* needed);
  /* Historical bars. Required. */
  sf_status (*fetch_bars)(void* instance, const sf_fetch_request* request,
                          const sf_data_sink* sink);
  /* Historical news. Optional. */
  sf_status (*fetch_news)(void* instance, const sf_fetch_request* request,
                          const sf_data_sink* sink);
  /* Live: emit bars completed (and news published) since the previous poll,
   * as of now_us (host clock). SF_NO_DATA when nothing is new. Optional. */
  sf_status (*poll)(void* instance, sf_time_us now_us,
                    const sf_data_sink* sink);
} sf_provider_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIGNALFORGE_PROVIDER_H_ */
