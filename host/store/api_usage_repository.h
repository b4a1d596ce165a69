// API usage records (table `api_usage`): one row per HTTP API request,
// written in batches, and the per-user summary the `me` route shows.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
#ifndef SF_STORE_API_USAGE_REPOSITORY_H_
#define SF_STORE_API_USAGE_REPOSITORY_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct UsageRecord {
  std::optional<int64_t> user_id;     // nullopt: anonymous
  std::optional<int64_t> api_key_id;  // nullopt: JWT or anonymous
  std::string method;
  std::string endpoint;  // the route template
  int status = 0;
  double latency_ms = 0;
  int64_t ts_us = 0;  // µs since the epoch
};

class ApiUsageRepository {
 public:
  explicit ApiUsageRepository(Pool* pool) : pool_(pool) {}

  // One INSERT for the whole batch (arrays unnested server-side).
  Status InsertBatch(const std::vector<UsageRecord>& records);
  // {"requests_24h", "errors_24h", "requests_30d",
  //  "top_endpoints_24h": [{"method","endpoint","requests"}...]}
  StatusOr<nlohmann::json> Summary(int64_t user_id);
  // Rows recorded for a user (tests and operators).
  StatusOr<int64_t> Count(std::optional<int64_t> user_id);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_API_USAGE_REPOSITORY_H_
