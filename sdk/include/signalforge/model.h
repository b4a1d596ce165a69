/*
 * signalforge/model.h - the model component kind (predictions, text analysis).
 *
 * A model component loads model files into instances and answers batched
 * predictions over row-major feature matrices. Components that analyse text
 * (sentiment, news classification) use analyze_text. Training is optional.
 */
#ifndef SIGNALFORGE_MODEL_H_
#define SIGNALFORGE_MODEL_H_

#include "signalforge/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A training set. Host-owned, borrowed for the duration of train. */
typedef struct sf_dataset {
  uint32_t struct_size;
  uint32_t reserved0;
  int64_t rows;
  int64_t cols;
  const double* features;          /* rows * cols, row-major, NaN = missing */
  const double* labels;            /* rows */
  const double* weights;           /* rows, optional */
  const char* const* feature_names; /* cols names */
  const sf_time_us* row_time;      /* rows, optional: time of each row */
  const sf_time_us* label_end;     /* rows, optional: end of label window */
} sf_dataset;

typedef struct sf_model_vtable {
  uint32_t struct_size;
  uint32_t flags; /* SF_FLAG_THREAD_SAFE: predict may run concurrently */
  /* Short name, e.g. "xgboost", "vader". Required. */
  const char* id;
  /* JSON: {"description":"...","tasks":["predict","train","text"]}. Required. */
  const char* metadata_json;

  /* Load a model from config, e.g. {"path":"models/mr@3.json"}. Required. */
  sf_status (*load)(const char* config_json, void** model);
  /* Free a loaded model. Required. */
  void (*unload)(void* model);
  /* JSON about a loaded model: {"features":["ret_1d",...],
   * "feature_set":"price_v1@1","objective":"binary:logistic","outputs":1}
   * into a caller buffer (SF_INCOMPLETE + *needed when too small). Required. */
  sf_status (*describe)(void* model, char* buf, size_t cap, size_t* needed);
  /* Predict rows x cols features into out (rows * *out_cols values).
   * out_capacity is the number of doubles out can hold; when too small,
   * SF_INCOMPLETE and *out_cols set. Optional (text-only models omit it). */
  sf_status (*predict)(void* model, const double* features, int64_t rows,
                       int64_t cols, double* out, int64_t out_capacity,
                       int64_t* out_cols);
  /* Train a model and write it to out_path. params_json holds the
   * component's training parameters. A JSON report (metrics) goes to the
   * caller buffer. Optional. Thread rule: any thread, blocking. */
  sf_status (*train)(const char* params_json, const sf_dataset* data,
                     const char* out_path, char* report, size_t report_cap,
                     size_t* report_needed);
  /* Analyse a UTF-8 text; the answer is JSON in a caller buffer, e.g.
   * {"compound":-0.62,"pos":0.0,"neu":0.4,"neg":0.6}. Optional. */
  sf_status (*analyze_text)(void* model, const char* text, char* buf,
                            size_t cap, size_t* needed);
} sf_model_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIGNALFORGE_MODEL_H_ */
