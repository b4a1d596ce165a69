#include "store/features_repository.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace sf::store {

namespace {

constexpr size_t kRowsPerStatement = 500;

}  // namespace

StatusOr<int64_t> FeaturesRepository::Store(const FeatureRows& rows) {
  if (rows.columns.size() != rows.names.size()) {
    return InvalidArgument("features of " + rows.symbol + ": " + std::to_string(rows.names.size()) +
                           " names but " + std::to_string(rows.columns.size()) + " columns");
  }
  for (size_t k = 0; k < rows.columns.size(); ++k) {
    if (rows.columns[k].size() != rows.ts.size()) {
      return InvalidArgument("features of " + rows.symbol + ": column '" + rows.names[k] + "' has " +
                             std::to_string(rows.columns[k].size()) + " values for " +
                             std::to_string(rows.ts.size()) + " bar times");
    }
  }
  if (rows.feature_set.empty() || rows.version < 1) {
    return InvalidArgument("features of " + rows.symbol + ": feature set name and version >= 1 are required");
  }
  int64_t written = 0;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto id = c.Exec("SELECT id FROM instruments WHERE symbol = $1", Params().Add(rows.symbol));
    if (!id.ok()) return id.status();
    if (id->rows() == 0) return NotFound("features: unknown instrument '" + rows.symbol + "'");
    const int64_t instrument = id->GetInt64(0, 0);
    // Rows travel as one JSON array per statement: [[ts_us, {values}], ...].
    for (size_t start = 0; start < rows.ts.size(); start += kRowsPerStatement) {
      const size_t end = std::min(rows.ts.size(), start + kRowsPerStatement);
      nlohmann::json batch = nlohmann::json::array();
      for (size_t i = start; i < end; ++i) {
        nlohmann::json v = nlohmann::json::object();
        for (size_t k = 0; k < rows.names.size(); ++k) {
          const double x = rows.columns[k][i];
          v[rows.names[k]] = std::isfinite(x) ? nlohmann::json(x) : nlohmann::json();
        }
        batch.push_back({rows.ts[i], std::move(v)});
      }
      auto r = c.Exec(
          "INSERT INTO computed_features (instrument_id, ts, feature_set, feature_set_version, \"values\")"
          " SELECT $1, timestamptz 'epoch' + (e->>0)::bigint * interval '1 microsecond', $2, $3, e->1"
          " FROM jsonb_array_elements($4::jsonb) AS e"
          " ON CONFLICT (instrument_id, feature_set, feature_set_version, ts)"
          " DO UPDATE SET \"values\" = EXCLUDED.\"values\", created_at = now()",
          Params().Add(instrument).Add(rows.feature_set).Add(rows.version).Add(batch.dump()));
      if (!r.ok()) return r.status();
      written += r->AffectedRows();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return written;
}

StatusOr<FeatureRows> FeaturesRepository::Load(const std::string& symbol, const std::string& feature_set,
                                               int version, int64_t from_us, int64_t to_us) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT (extract(epoch FROM f.ts) * 1000000)::bigint, f.\"values\"::text"
      " FROM computed_features f JOIN instruments i ON i.id = f.instrument_id"
      " WHERE i.symbol = $1 AND f.feature_set = $2 AND f.feature_set_version = $3"
      " AND f.ts BETWEEN $4 AND $5 ORDER BY f.ts",
      Params().Add(symbol).Add(feature_set).Add(version).AddTimestamp(from_us).AddTimestamp(to_us));
  if (!r.ok()) return r.status();
  FeatureRows out;
  out.symbol = symbol;
  out.feature_set = feature_set;
  out.version = version;
  for (int i = 0; i < r->rows(); ++i) {
    auto v = nlohmann::ordered_json::parse(r->Get(i, 1), nullptr, false);
    if (!v.is_object()) return BadData("computed_features of " + symbol + ": values are not an object");
    if (out.names.empty()) {
      for (auto it = v.begin(); it != v.end(); ++it) out.names.push_back(it.key());
      out.columns.assign(out.names.size(), {});
    }
    out.ts.push_back(r->GetInt64(i, 0));
    for (size_t k = 0; k < out.names.size(); ++k) {
      auto it = v.find(out.names[k]);
      out.columns[k].push_back(it != v.end() && it->is_number() ? it->get<double>()
                                                                : std::numeric_limits<double>::quiet_NaN());
    }
  }
  return out;
}

StatusOr<std::vector<AnalysedNews>> FeaturesRepository::LoadNews(const std::string& symbol, int64_t from_us,
                                                                 int64_t to_us) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT (extract(epoch FROM e.published_at) * 1000000)::bigint, e.headline,"
      " coalesce(a.sentiment, e.sentiment), coalesce(a.severity, ''), coalesce(a.time_horizon, ''),"
      " a.credibility, a.revenue_impact_pct, a.earnings_impact_pct"
      " FROM news_events e JOIN instruments i ON i.id = e.instrument_id"
      " LEFT JOIN LATERAL (SELECT * FROM news_analysis x WHERE x.news_event_id = e.id"
      "                    ORDER BY x.created_at DESC, x.id DESC LIMIT 1) a ON true"
      " WHERE i.symbol = $1 AND e.published_at BETWEEN $2 AND $3 ORDER BY e.published_at, e.id",
      Params().Add(symbol).AddTimestamp(from_us).AddTimestamp(to_us));
  if (!r.ok()) return r.status();
  std::vector<AnalysedNews> out;
  for (int i = 0; i < r->rows(); ++i) {
    AnalysedNews n;
    n.published_us = r->GetInt64(i, 0);
    n.headline = r->GetString(i, 1);
    n.sentiment = r->GetOptionalDouble(i, 2);
    n.severity = r->GetString(i, 3);
    n.time_horizon = r->GetString(i, 4);
    n.credibility = r->GetOptionalDouble(i, 5);
    n.revenue_impact_pct = r->GetOptionalDouble(i, 6);
    n.earnings_impact_pct = r->GetOptionalDouble(i, 7);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace sf::store
