#include "store/rejections_repository.h"

namespace sf::store {

StatusOr<int> RejectionsRepository::Record(const std::vector<NewRejection>& rejections) {
  if (rejections.empty()) return 0;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : rejections) {
    if (r.rule.empty()) return InvalidArgument("rejection of " + r.symbol + ": rule is empty");
    if (!r.detail.is_object())
      return InvalidArgument("rejection of " + r.symbol + ": detail must be a JSON object");
    if (r.side && *r.side != "buy" && *r.side != "sell")
      return InvalidArgument("rejection of " + r.symbol + ": side '" + *r.side + "' must be buy or sell");
    rows.push_back({{"v", r.strategy_version_id ? nlohmann::json(*r.strategy_version_id) : nlohmann::json()},
                    {"symbol", r.symbol},
                    {"bar_ts", FormatTimestamp(r.bar_ts)},
                    {"side", r.side ? nlohmann::json(*r.side) : nlohmann::json()},
                    {"rule", r.rule},
                    {"detail", r.detail}});
  }
  // One statement: atomic without an explicit transaction, one round trip.
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto res = (*conn)->ExecPrepared(
      "sf_rejections_record",
      "INSERT INTO signal_rejections (strategy_version_id, instrument_id, bar_ts, side, rule, detail)"
      " SELECT (e->>'v')::bigint, i.id, (e->>'bar_ts')::timestamptz, e->>'side', e->>'rule',"
      "  (e->'detail') || jsonb_build_object('symbol', e->>'symbol')"
      " FROM jsonb_array_elements($1::jsonb) e"
      " LEFT JOIN instruments i ON i.symbol = e->>'symbol'"
      " WHERE NOT EXISTS (SELECT 1 FROM signal_rejections r"
      "  WHERE r.strategy_version_id IS NOT DISTINCT FROM (e->>'v')::bigint"
      "  AND r.instrument_id IS NOT DISTINCT FROM i.id AND r.bar_ts = (e->>'bar_ts')::timestamptz"
      "  AND r.side IS NOT DISTINCT FROM e->>'side' AND r.rule = e->>'rule')",
      Params().Add(rows.dump()));
  if (!res.ok()) return res.status();
  return static_cast<int>(res->AffectedRows());
}

StatusOr<std::vector<StoredRejection>> RejectionsRepository::ListRecent(int limit,
                                                                         const std::string& strategy) {
  if (limit < 1 || limit > 10000) return InvalidArgument("rejections: limit must be within 1..10000");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT r.id, r.strategy_version_id, coalesce(st.name, ''),"
      " coalesce(i.symbol, r.detail->>'symbol', ''),"
      " (extract(epoch FROM r.bar_ts) * 1000000)::bigint,"
      " (extract(epoch FROM r.created_at) * 1000000)::bigint, r.side, r.rule, r.detail::text"
      " FROM signal_rejections r"
      " LEFT JOIN instruments i ON i.id = r.instrument_id"
      " LEFT JOIN strategy_versions v ON v.id = r.strategy_version_id"
      " LEFT JOIN strategies st ON st.id = v.strategy_id"
      " WHERE ($2 = '' OR st.name = $2) ORDER BY r.created_at DESC, r.id DESC LIMIT $1",
      Params().Add(limit).Add(strategy));
  if (!r.ok()) return r.status();
  std::vector<StoredRejection> out;
  for (int i = 0; i < r->rows(); ++i) {
    StoredRejection s;
    s.id = r->GetInt64(i, 0);
    if (!r->IsNull(i, 1)) s.strategy_version_id = r->GetInt64(i, 1);
    s.strategy = r->GetString(i, 2);
    s.symbol = r->GetString(i, 3);
    s.bar_ts = r->GetInt64(i, 4);
    s.created_at = r->GetInt64(i, 5);
    s.side = r->GetOptionalString(i, 6);
    s.rule = r->GetString(i, 7);
    s.detail = nlohmann::json::parse(r->GetString(i, 8), nullptr, false);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sf::store
