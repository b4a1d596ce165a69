#include "store/signal_queries_repository.h"

#include <cctype>

namespace sf::store {

namespace {

#define SF_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr const char* kRowColumns =
    "s.id, st.name, sv.content_hash, i.symbol, s.side, s.timeframe, " SF_US("s.bar_ts") ", " SF_US(
        "s.created_at") ", " SF_US("s.updated_at") ", " SF_US("s.expires_at") ", " SF_US("s.exit_at")
    ", s.entry_price, s.current_price, s.confidence, s.target_price, s.stop_price, s.risk_reward,"
    " s.position_size_pct, s.max_risk_pct, s.exit_price, s.realized_pnl_pct, s.exit_reason,"
    " s.status, s.summary";
constexpr int kRowColumnCount = 24;

constexpr const char* kRowFrom =
    " FROM signals s JOIN instruments i ON i.id = s.instrument_id"
    " JOIN strategies st ON st.id = s.strategy_id"
    " JOIN strategy_versions sv ON sv.id = s.strategy_version_id";

// Every filter is a parameter that may be NULL, so one prepared statement
// serves every combination; the generic plan walks signals_created_idx
// newest first and stops after LIMIT rows.
const std::string kListSql =
    std::string("SELECT ") + kRowColumns + kRowFrom +
    " WHERE ($1::text IS NULL OR s.status = $1)"
    " AND ($2::text IS NULL OR i.symbol = $2)"
    " AND ($3::text IS NULL OR st.name = $3)"
    " AND ($4::float8 IS NULL OR s.confidence >= $4)"
    " AND ($5::text IS NULL OR s.side = $5)"
    " AND ($6::timestamptz IS NULL OR s.created_at >= $6)"
    " AND ($7::timestamptz IS NULL OR s.created_at <= $7)"
    " AND (NOT $8::bool OR s.status <> 'active')"
    " AND ($9::timestamptz IS NULL OR s.created_at <= $9)"
    " AND ($10::timestamptz IS NULL OR (s.created_at, s.id) < ($10, $11::uuid))"
    " ORDER BY s.created_at DESC, s.id DESC LIMIT $12";

SignalRow RowFrom(const Result& r, int row) {
  SignalRow s;
  auto opt_us = [&](int col) -> std::optional<int64_t> {
    if (r.IsNull(row, col)) return std::nullopt;
    return r.GetInt64(row, col);
  };
  s.id = r.GetString(row, 0);
  s.strategy = r.GetString(row, 1);
  s.strategy_version = r.GetString(row, 2);
  s.symbol = r.GetString(row, 3);
  s.side = r.GetString(row, 4);
  s.timeframe = r.GetString(row, 5);
  s.bar_ts = r.GetInt64(row, 6);
  s.created_at = r.GetInt64(row, 7);
  s.updated_at = r.GetInt64(row, 8);
  s.expires_at = opt_us(9);
  s.exit_at = opt_us(10);
  s.entry_price = r.GetDouble(row, 11);
  s.current_price = r.GetDouble(row, 12);
  s.confidence = r.GetDouble(row, 13);
  s.target_price = r.GetOptionalDouble(row, 14);
  s.stop_price = r.GetOptionalDouble(row, 15);
  s.risk_reward = r.GetOptionalDouble(row, 16);
  s.position_size_pct = r.GetOptionalDouble(row, 17);
  s.max_risk_pct = r.GetOptionalDouble(row, 18);
  s.exit_price = r.GetOptionalDouble(row, 19);
  s.realized_pnl_pct = r.GetOptionalDouble(row, 20);
  s.exit_reason = r.GetOptionalString(row, 21);
  s.status = r.GetString(row, 22);
  s.summary = r.GetString(row, 23);
  return s;
}

template <typename T>
void AddOpt(Params& p, const std::optional<T>& v) {
  if (v) {
    p.Add(*v);
  } else {
    p.AddNull();
  }
}

nlohmann::json ParseJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

constexpr const char* kStatsColumns =
    "count(*), count(*) FILTER (WHERE s.realized_pnl_pct > 0),"
    " count(*) FILTER (WHERE s.realized_pnl_pct <= 0),"
    " coalesce(avg(s.realized_pnl_pct), 0),"
    " coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.realized_pnl_pct), 0),"
    " coalesce(sum(s.realized_pnl_pct), 0), coalesce(max(s.realized_pnl_pct), 0),"
    " coalesce(min(s.realized_pnl_pct), 0), coalesce(stddev_samp(s.realized_pnl_pct), 0),"
    " coalesce(avg(extract(epoch FROM s.exit_at - s.bar_ts) / 86400.0), 0)";

constexpr const char* kClosedWhere =
    " FROM signals s JOIN strategies st ON st.id = s.strategy_id"
    " WHERE s.status <> 'active' AND s.realized_pnl_pct IS NOT NULL"
    " AND ($1::timestamptz IS NULL OR s.exit_at >= $1)"
    " AND ($2::text IS NULL OR st.name = $2)";

PerformanceStats StatsFrom(const Result& r, int row, int first, std::string key) {
  PerformanceStats s;
  s.key = std::move(key);
  s.count = r.GetInt64(row, first);
  s.wins = r.GetInt64(row, first + 1);
  s.losses = r.GetInt64(row, first + 2);
  s.avg_return_pct = r.GetDouble(row, first + 3);
  s.median_return_pct = r.GetDouble(row, first + 4);
  s.total_return_pct = r.GetDouble(row, first + 5);
  s.best_pct = r.GetDouble(row, first + 6);
  s.worst_pct = r.GetDouble(row, first + 7);
  s.stddev_pct = r.GetDouble(row, first + 8);
  s.avg_days_held = r.GetDouble(row, first + 9);
  s.win_rate = s.count > 0 ? static_cast<double>(s.wins) / static_cast<double>(s.count) : 0;
  return s;
}

}  // namespace

bool IsUuidText(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

StatusOr<SignalPage> SignalQueriesRepository::List(const SignalFilter& f) {
  if (f.limit < 1 || f.limit > 1000) {
    return InvalidArgument("limit " + std::to_string(f.limit) + " must be within 1..1000");
  }
  if (f.after && !IsUuidText(f.after->id)) return InvalidArgument("cursor id is not a UUID");
  Params p;
  AddOpt(p, f.status);
  AddOpt(p, f.symbol);
  AddOpt(p, f.strategy);
  AddOpt(p, f.min_confidence);
  AddOpt(p, f.side);
  p.AddOptionalTimestamp(f.from);
  p.AddOptionalTimestamp(f.to);
  p.Add(f.closed_only);
  p.AddOptionalTimestamp(f.created_before);
  if (f.after) {
    p.AddTimestamp(f.after->created_at);
    p.Add(f.after->id);
  } else {
    p.AddNull();
    p.AddNull();
  }
  p.Add(static_cast<int64_t>(f.limit) + 1);  // one more says whether a next page exists
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->ExecPrepared("sf_signal_list", kListSql, p);
  if (!r.ok()) return r.status();
  SignalPage page;
  int n = r->rows();
  int keep = n > f.limit ? f.limit : n;
  page.rows.reserve(keep);
  for (int row = 0; row < keep; ++row) page.rows.push_back(RowFrom(*r, row));
  if (n > f.limit && keep > 0) {
    page.next = SignalCursor{page.rows.back().created_at, page.rows.back().id};
  }
  return page;
}

StatusOr<SignalRow> SignalQueriesRepository::Find(const std::string& id) {
  if (!IsUuidText(id)) return NotFound("signal " + id + " not found");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  static const std::string kSql = std::string("SELECT ") + kRowColumns + kRowFrom + " WHERE s.id = $1";
  auto r = (*conn)->ExecPrepared("sf_signal_find", kSql, Params().Add(id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("signal " + id + " not found");
  return RowFrom(*r, 0);
}

StatusOr<SignalDetail> SignalQueriesRepository::Detail(const std::string& id) {
  if (!IsUuidText(id)) return NotFound("signal " + id + " not found");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  // One round trip per part; a detail page is not a hot path.
  static const std::string kSql =
      std::string("SELECT ") + kRowColumns +
      ", s.features::text, s.model_attribution::text, s.max_favorable_excursion_pct,"
      " s.max_adverse_excursion_pct, s.triggering_news_id" +
      kRowFrom + " WHERE s.id = $1";
  auto r = (*conn)->Exec(kSql, Params().Add(id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("signal " + id + " not found");
  SignalDetail d;
  d.signal = RowFrom(*r, 0);
  d.features = ParseJson(r->Get(0, kRowColumnCount));
  d.model_attribution = ParseJson(r->Get(0, kRowColumnCount + 1));
  d.max_favorable_excursion_pct = r->GetOptionalDouble(0, kRowColumnCount + 2);
  d.max_adverse_excursion_pct = r->GetOptionalDouble(0, kRowColumnCount + 3);
  if (!r->IsNull(0, kRowColumnCount + 4)) {
    Params np;
    np.Add(r->GetInt64(0, kRowColumnCount + 4));
    auto news = (*conn)->Exec(
        "SELECT id, headline, url, source, " SF_US("published_at") ", sentiment, content_snippet"
        " FROM news_events WHERE id = $1",
        np);
    if (!news.ok()) return news.status();
    if (news->rows() == 1) {
      nlohmann::json n = {{"id", news->GetInt64(0, 0)},
                          {"headline", news->GetString(0, 1)},
                          {"url", news->GetOptionalString(0, 2)
                                      ? nlohmann::json(*news->GetOptionalString(0, 2))
                                      : nlohmann::json(nullptr)},
                          {"source", news->GetOptionalString(0, 3)
                                         ? nlohmann::json(*news->GetOptionalString(0, 3))
                                         : nlohmann::json(nullptr)},
                          {"published_at_us", news->GetInt64(0, 4)},
                          {"sentiment", news->GetOptionalDouble(0, 5)
                                            ? nlohmann::json(*news->GetOptionalDouble(0, 5))
                                            : nlohmann::json(nullptr)},
                          {"snippet", news->GetOptionalString(0, 6)
                                          ? nlohmann::json(*news->GetOptionalString(0, 6))
                                          : nlohmann::json(nullptr)}};
      d.triggering_news = std::move(n);
      auto an = (*conn)->Exec(
          "SELECT event_type, severity, time_horizon, company_specific, revenue_impact_pct,"
          " earnings_impact_pct, credibility, novelty, sentiment, analysis::text, model"
          " FROM news_analysis WHERE news_event_id = $1 ORDER BY id",
          np);
      if (!an.ok()) return an.status();
      for (int i = 0; i < an->rows(); ++i) {
        auto opt = [&](int col) {
          auto v = an->GetOptionalDouble(i, col);
          return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
        };
        d.news_analysis.push_back({{"event_type", an->GetString(i, 0)},
                                   {"severity", an->GetString(i, 1)},
                                   {"time_horizon", an->GetString(i, 2)},
                                   {"company_specific", an->GetBool(i, 3)},
                                   {"revenue_impact_pct", opt(4)},
                                   {"earnings_impact_pct", opt(5)},
                                   {"credibility", opt(6)},
                                   {"novelty", opt(7)},
                                   {"sentiment", opt(8)},
                                   {"analysis", ParseJson(an->Get(i, 9))},
                                   {"model", an->GetString(i, 10)}});
      }
    }
  }
  auto perf = (*conn)->Exec("SELECT " SF_US("bar_ts") ", price, unrealized_pnl_pct, days_held"
                            " FROM signal_performance WHERE signal_id = $1 ORDER BY bar_ts",
                            Params().Add(id));
  if (!perf.ok()) return perf.status();
  for (int i = 0; i < perf->rows(); ++i) {
    d.performance.push_back({perf->GetInt64(i, 0), perf->GetDouble(i, 1), perf->GetDouble(i, 2),
                             perf->GetDouble(i, 3)});
  }
  auto fb = (*conn)->Exec(
      "SELECT count(*), avg(rating), coalesce(jsonb_object_agg(action, n) FILTER"
      " (WHERE action IS NOT NULL), '{}')::text FROM (SELECT action, rating,"
      " count(*) OVER (PARTITION BY action) AS n FROM signal_feedback WHERE signal_id = $1) f",
      Params().Add(id));
  if (!fb.ok()) return fb.status();
  auto avg = fb->GetOptionalDouble(0, 1);
  d.feedback = {{"count", fb->GetInt64(0, 0)},
                {"rating_avg", avg ? nlohmann::json(*avg) : nlohmann::json(nullptr)},
                {"actions", ParseJson(fb->Get(0, 2))}};
  return d;
}

StatusOr<PerformanceReport> SignalQueriesRepository::Performance(const PerformanceQuery& q) {
  if (q.grouping != "daily" && q.grouping != "weekly") {
    return InvalidArgument("grouping '" + q.grouping + "' must be daily or weekly");
  }
  Params p;
  p.AddOptionalTimestamp(q.since);
  AddOpt(p, q.strategy);
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  PerformanceReport rep;
  auto all = (*conn)->Exec(std::string("SELECT ") + kStatsColumns + kClosedWhere, p);
  if (!all.ok()) return all.status();
  rep.overall = StatsFrom(*all, 0, 0, "all");
  auto by = (*conn)->Exec(std::string("SELECT st.name, ") + kStatsColumns + kClosedWhere +
                              " GROUP BY st.name ORDER BY st.name",
                          p);
  if (!by.ok()) return by.status();
  for (int i = 0; i < by->rows(); ++i) rep.by_strategy.push_back(StatsFrom(*by, i, 1, by->GetString(i, 0)));
  const char* unit = q.grouping == "weekly" ? "week" : "day";
  auto buckets = (*conn)->Exec(
      std::string("SELECT to_char(date_trunc('") + unit +
          "', s.exit_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS b, " + kStatsColumns +
          kClosedWhere + " GROUP BY b ORDER BY b",
      p);
  if (!buckets.ok()) return buckets.status();
  for (int i = 0; i < buckets->rows(); ++i) {
    rep.buckets.push_back(StatsFrom(*buckets, i, 1, buckets->GetString(i, 0)));
  }
  Params ap;
  AddOpt(ap, q.strategy);
  auto active = (*conn)->Exec(
      "SELECT count(*) FROM signals s JOIN strategies st ON st.id = s.strategy_id"
      " WHERE s.status = 'active' AND ($1::text IS NULL OR st.name = $1)",
      ap);
  if (!active.ok()) return active.status();
  rep.active = active->GetInt64(0, 0);
  return rep;
}

StatusOr<std::vector<StrategyRow>> SignalQueriesRepository::Strategies() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT st.id, st.name, st.status, " SF_US("st.updated_at") ","
      " (SELECT count(*) FROM strategy_versions WHERE strategy_id = st.id),"
      " v.content_hash, v.status, v.load_errors, " SF_US("v.created_at") ","
      " (SELECT count(*) FROM signals WHERE strategy_id = st.id),"
      " (SELECT count(*) FROM signals WHERE strategy_id = st.id AND status = 'active')"
      " FROM strategies st LEFT JOIN LATERAL (SELECT content_hash, status, load_errors, created_at"
      " FROM strategy_versions WHERE strategy_id = st.id ORDER BY id DESC LIMIT 1) v ON true"
      " ORDER BY st.name");
  if (!r.ok()) return r.status();
  std::vector<StrategyRow> out;
  for (int i = 0; i < r->rows(); ++i) {
    StrategyRow s;
    s.id = r->GetInt64(i, 0);
    s.name = r->GetString(i, 1);
    s.status = r->GetString(i, 2);
    s.updated_at = r->GetInt64(i, 3);
    s.versions = r->GetInt64(i, 4);
    s.version = r->GetOptionalString(i, 5);
    s.version_status = r->GetOptionalString(i, 6);
    s.load_errors = r->GetOptionalString(i, 7);
    if (!r->IsNull(i, 8)) s.version_created_at = r->GetInt64(i, 8);
    s.signals = r->GetInt64(i, 9);
    s.active_signals = r->GetInt64(i, 10);
    out.push_back(std::move(s));
  }
  return out;
}

Status SignalQueriesRepository::SetStrategyStatus(const std::string& name, const std::string& status) {
  if (status != "active" && status != "disabled") {
    return InvalidArgument("status '" + status + "' must be active or disabled");
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("UPDATE strategies SET status = $2, updated_at = now() WHERE name = $1",
                         Params().Add(name).Add(status));
  if (!r.ok()) return r.status();
  return r->AffectedRows() == 1 ? Status::Ok() : NotFound("strategy " + name + " not found");
}

}  // namespace sf::store
