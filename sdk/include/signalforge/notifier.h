/*
 * signalforge/notifier.h - the notifier component kind (alert delivery).
 *
 * A notifier sends one delivery to one destination per call. The host's
 * delivery worker owns retries, backoff, leases and the delivery log; a
 * notifier makes one attempt and reports what happened.
 */
#ifndef SIGNALFORGE_NOTIFIER_H_
#define SIGNALFORGE_NOTIFIER_H_

#include "signalforge/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One delivery attempt. Host-owned, borrowed for the duration of send. */
typedef struct sf_delivery {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Stable idempotency id: the same on every retry of this delivery. */
  const char* delivery_id;
  /* "signal.created", "signal.closed", "alert.test", ... */
  const char* event_type;
  /* URL, e-mail address, chat id. */
  const char* destination;
  /* Per-subscription secret for signatures; may be NULL. */
  const char* secret;
  /* The event body, UTF-8 JSON. */
  const char* payload_json;
  /* Per-subscription options, UTF-8 JSON; may be NULL. */
  const char* options_json;
  /* Event time, used in signatures. */
  sf_time_us timestamp_us;
  /* 1 for the first attempt. */
  int32_t attempt;
  int32_t reserved1;
} sf_delivery;

/* What happened. Host-owned and zeroed by the host, which sets struct_size;
 * the notifier writes only fields that fit in struct_size. */
typedef struct sf_delivery_result {
  uint32_t struct_size;
  uint32_t reserved0;
  int32_t remote_status;       /* HTTP status, SMTP reply code, 0 if none */
  int32_t disable_destination; /* nonzero: stop using it (e.g. HTTP 410) */
  int64_t retry_after_ms;      /* > 0: the remote asked to wait this long */
} sf_delivery_result;

typedef struct sf_notifier_vtable {
  uint32_t struct_size;
  uint32_t flags; /* SF_FLAG_THREAD_SAFE: send may run concurrently */
  /* Channel name: "webhook", "email", "telegram", "slack", "discord",
   * "log". Required. */
  const char* id;
  /* JSON: {"description":"...","config":{...JSON Schema...}}. Required. */
  const char* metadata_json;

  /* Create an instance from config (SMTP host, bot token, allow-lists).
   * Required. */
  sf_status (*create)(const char* config_json, void** instance);
  /* Required. No call on the instance may be running. */
  void (*destroy)(void* instance);
  /* Check a destination before it is stored (syntax, SSRF rules).
   * Optional; SF_ERR_INVALID_ARGUMENT or SF_ERR_PERMISSION with a reason. */
  sf_status (*validate_destination)(void* instance, const char* destination);
  /* Make one attempt. Required. Returns SF_OK when the remote accepted it;
   * SF_ERR_RATE_LIMITED / SF_ERR_UNAVAILABLE / SF_ERR_TIMEOUT / SF_ERR_IO
   * for retryable failures; SF_ERR_PERMISSION / SF_ERR_INVALID_ARGUMENT /
   * SF_ERR_NOT_FOUND for permanent ones. */
  sf_status (*send)(void* instance, const sf_delivery* delivery,
                    sf_delivery_result* result);
} sf_notifier_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIGNALFORGE_NOTIFIER_H_ */
