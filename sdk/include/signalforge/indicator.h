/*
 * signalforge/indicator.h - the indicator component kind.
 *
 * An indicator turns a bar series into one or more output series of the same
 * length. It is a pure function of its parameters and inputs: batch compute
 * over a whole series and streaming updates (one bar at a time) must give the
 * same numbers. Outputs are aligned with the input: output[i] belongs to bar
 * i, and the first `lookback` outputs (the warm-up) are NaN.
 */
#ifndef SIGNALFORGE_INDICATOR_H_
#define SIGNALFORGE_INDICATOR_H_

#include "signalforge/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Input series an indicator reads (sf_indicator_vtable.input_mask). */
#define SF_INPUT_OPEN 0x01u
#define SF_INPUT_HIGH 0x02u
#define SF_INPUT_LOW 0x04u
#define SF_INPUT_CLOSE 0x08u
#define SF_INPUT_VOLUME 0x10u
#define SF_INPUT_TIME 0x20u

/* A read-only columnar bar series. Host-owned, borrowed for one call.
 * Arrays the indicator does not declare in input_mask may be NULL. */
typedef struct sf_bar_series {
  uint32_t struct_size;
  uint32_t reserved0;
  int64_t count;
  const sf_time_us* ts; /* bar end time */
  const double* open;
  const double* high;
  const double* low;
  const double* close;
  const double* volume;
} sf_bar_series;

/* One bar, for streaming updates. */
typedef struct sf_bar {
  uint32_t struct_size;
  uint32_t reserved0;
  sf_time_us ts; /* bar end time */
  double open;
  double high;
  double low;
  double close;
  double volume;
} sf_bar;

/* Parameters cross as an array of doubles in the order the metadata lists
 * them; integer and enum parameters are passed as whole doubles. */

typedef struct sf_indicator_vtable {
  uint32_t struct_size;
  uint32_t flags; /* SF_FLAG_THREAD_SAFE: compute/lookback are reentrant */
  /* Short lowercase name strategies use, e.g. "sma", "bbands". Unique among
   * the host's indicators. Required. */
  const char* id;
  /* UTF-8 JSON describing the indicator. Required. Shape:
   * {"title":"Simple Moving Average","group":"overlap",
   *  "inputs":["close"],
   *  "params":[{"name":"period","type":"int","default":20,"min":1,
   *             "max":100000,"description":"bars in the window"}],
   *  "outputs":[{"name":"value","description":"..."}],
   *  "reference":"TA-Lib TA_SMA"}
   * Param types: "int", "double", "enum" (with "values":[...], passed as the
   * index). */
  const char* metadata_json;
  uint32_t param_count;  /* == length of metadata params */
  uint32_t output_count; /* == length of metadata outputs, >= 1 */
  uint32_t input_mask;   /* SF_INPUT_* bits */
  uint32_t reserved0;

  /* Validate params and give the number of warm-up bars (outputs that are
   * NaN at the start of any series long enough). Required.
   * Returns SF_ERR_INVALID_ARGUMENT naming the parameter when one breaks its
   * rule. Thread rule: reentrant. */
  sf_status (*lookback)(const double* params, uint32_t param_count,
                        int64_t* lookback);

  /* Batch: compute every output over the whole input. outputs[k] points to
   * a caller buffer of input->count doubles. Required.
   * A series shorter than the lookback gives all-NaN outputs and SF_OK.
   * Thread rule: reentrant when SF_FLAG_THREAD_SAFE is set. */
  sf_status (*compute)(const double* params, uint32_t param_count,
                       const sf_bar_series* input, double* const* outputs,
                       uint32_t output_count);

  /* Streaming: a state per (series, params). Optional as a group: either all
   * three are set or none. stream_update appends one bar and writes the
   * values of every output at that bar (NaN during warm-up) into
   * outputs[0..output_count). Thread rule: one state is used by one thread
   * at a time (externally synchronised); different states are independent. */
  sf_status (*stream_create)(const double* params, uint32_t param_count,
                             void** state);
  sf_status (*stream_update)(void* state, const sf_bar* bar, double* outputs,
                             uint32_t output_count);
  void (*stream_destroy)(void* state);
} sf_indicator_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIGNALFORGE_INDICATOR_H_ */
