#include "store/api_usage_repository.h"

namespace sf::store {

Status ApiUsageRepository::InsertBatch(const std::vector<UsageRecord>& records) {
  if (records.empty()) return Status::Ok();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : records) {
    rows.push_back({{"user_id", r.user_id ? nlohmann::json(*r.user_id) : nlohmann::json()},
                    {"api_key_id", r.api_key_id ? nlohmann::json(*r.api_key_id) : nlohmann::json()},
                    {"method", r.method},
                    {"endpoint", r.endpoint},
                    {"status", r.status},
                    {"latency_ms", r.latency_ms < 0 ? 0.0 : r.latency_ms},
                    {"ts", r.ts_us}});
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  // A deleted user's or key's rows reference nothing: keep the request, drop the link.
  return (*conn)->Run(
      "INSERT INTO api_usage (user_id, api_key_id, method, endpoint, status, latency_ms, ts) "
      "SELECT u.id, k.id, x.method, x.endpoint, x.status, x.latency_ms, "
      "to_timestamp(x.ts / 1e6) FROM json_to_recordset($1::json) AS "
      "x(user_id bigint, api_key_id bigint, method text, endpoint text, status int, "
      "latency_ms float8, ts bigint) "
      "LEFT JOIN users u ON u.id = x.user_id LEFT JOIN api_keys k ON k.id = x.api_key_id",
      Params().Add(rows.dump()));
}

StatusOr<nlohmann::json> ApiUsageRepository::Summary(int64_t user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT count(*) FILTER (WHERE ts > now() - interval '24 hours'), "
      "count(*) FILTER (WHERE ts > now() - interval '24 hours' AND status >= 400), "
      "count(*) FROM api_usage WHERE user_id = $1 AND ts > now() - interval '30 days'",
      Params().Add(user_id));
  if (!r.ok()) return r.status();
  nlohmann::json out = {{"requests_24h", r->GetInt64(0, 0)},
                        {"errors_24h", r->GetInt64(0, 1)},
                        {"requests_30d", r->GetInt64(0, 2)}};
  auto top = (*conn)->Exec(
      "SELECT method, endpoint, count(*) AS n FROM api_usage WHERE user_id = $1 "
      "AND ts > now() - interval '24 hours' GROUP BY 1, 2 ORDER BY n DESC, 2 LIMIT 5",
      Params().Add(user_id));
  if (!top.ok()) return top.status();
  out["top_endpoints_24h"] = nlohmann::json::array();
  for (int i = 0; i < top->rows(); ++i)
    out["top_endpoints_24h"].push_back({{"method", top->GetString(i, 0)},
                                        {"endpoint", top->GetString(i, 1)},
                                        {"requests", top->GetInt64(i, 2)}});
  return out;
}

StatusOr<int64_t> ApiUsageRepository::Count(std::optional<int64_t> user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT count(*) FROM api_usage WHERE $1::bigint IS NULL OR user_id = $1",
      Params().Add(user_id));
  if (!r.ok()) return r.status();
  return r->GetInt64(0, 0);
}

}  // namespace sf::store
