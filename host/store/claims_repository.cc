#include "store/claims_repository.h"

#include <algorithm>
#include <map>

#include "store/bars_repository.h"

namespace sf::store {

namespace {

// A PostgreSQL array literal of `values`, each element quoted.
std::string ArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : values[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

std::string ArrayLiteral(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "}";
}

}  // namespace

Claim::~Claim() {
  if (open_) (void)conn_->Run("ROLLBACK");
}

Status Claim::Complete() {
  if (!open_) return Conflict("claim already completed");
  if (stamp_.empty()) {
    open_ = false;
    return conn_->Run("COMMIT");
  }
  std::vector<int64_t> strategies, instruments;
  for (const auto& k : stamp_) {
    strategies.push_back(k.strategy_id);
    instruments.push_back(k.instrument_id);
  }
  // Full primary keys, so every row is one index lookup.
  auto r = conn_->Run(
      "UPDATE evaluation_claims c SET claimed_by = $5, claimed_at = now(), done_at = now()"
      " FROM unnest($1::bigint[], $2::bigint[]) AS u(s, i)"
      " WHERE c.strategy_id = u.s AND c.instrument_id = u.i AND c.timeframe = $3 AND c.bar_ts = $4",
      Params().Add(ArrayLiteral(strategies)).Add(ArrayLiteral(instruments)).Add(TimeframeSqlName(tf_))
          .AddTimestamp(bar_ts_).Add(instance_));
  if (!r.ok()) return r;
  open_ = false;
  return conn_->Run("COMMIT");
}

Status ClaimsRepository::Offer(const std::vector<int64_t>& strategy_ids,
                               const std::vector<std::string>& symbols, market::Timeframe tf,
                               int64_t bar_ts, const std::string& instance) {
  if (strategy_ids.empty() || symbols.empty()) return Status::Ok();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)->Run(
      "INSERT INTO evaluation_claims (strategy_id, instrument_id, timeframe, bar_ts, claimed_by)"
      " SELECT s, i.id, $3, $4, $5 FROM unnest($1::bigint[]) s"
      " CROSS JOIN instruments i WHERE i.symbol = ANY($2::text[])"
      " ON CONFLICT DO NOTHING",
      Params().Add(ArrayLiteral(strategy_ids)).Add(ArrayLiteral(symbols))
          .Add(TimeframeSqlName(tf)).AddTimestamp(bar_ts).Add(instance));
}

StatusOr<std::unique_ptr<Claim>> ClaimsRepository::ClaimBar(const std::vector<int64_t>& strategy_ids,
                                                            const std::vector<ClaimInstrument>& instruments,
                                                            market::Timeframe tf, int64_t bar_ts,
                                                            const std::string& instance) {
  std::vector<ClaimInstrument> sorted = instruments;
  std::sort(sorted.begin(), sorted.end(),
            [](const ClaimInstrument& a, const ClaimInstrument& b) { return a.instrument_id < b.instrument_id; });
  std::vector<int64_t> ids;
  ids.reserve(sorted.size());
  std::map<int64_t, std::string> symbol_of;
  for (const auto& i : sorted) {
    ids.push_back(i.instrument_id);
    symbol_of[i.instrument_id] = i.symbol;
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  PooledConnection& c = *conn;
  SF_RETURN_IF_ERROR(c->Run("BEGIN"));
  auto fail = [&](const Status& s) -> StatusOr<std::unique_ptr<Claim>> {
    (void)c->Run("ROLLBACK");
    return s;
  };
  const std::string strategies = ArrayLiteral(strategy_ids), instrument_ids = ArrayLiteral(ids);
  const char* tf_name = TimeframeSqlName(tf);
  // 1. One set row per strategy: the ones inserted are this instance's (for
  //    every instrument given); a conflicting row still uncommitted makes
  //    this wait for its outcome.
  auto sets = c->ExecPrepared(
      "sf_claims_sets",
      "INSERT INTO evaluation_claim_sets (strategy_id, timeframe, bar_ts, claimed_by, instrument_ids)"
      " SELECT s, $3, $4, $5, $2::bigint[] FROM unnest($1::bigint[]) s ORDER BY 1"
      " ON CONFLICT DO NOTHING RETURNING strategy_id",
      Params().Add(strategies).Add(instrument_ids).Add(tf_name).AddTimestamp(bar_ts).Add(instance));
  if (!sets.ok()) return fail(sets.status());
  std::vector<ClaimKey> keys, stamp;
  std::vector<int64_t> taken;
  for (int r = 0; r < sets->rows(); ++r) taken.push_back(sets->GetInt64(r, 0));
  std::sort(taken.begin(), taken.end());
  keys.reserve(taken.size() * sorted.size());
  for (int64_t s : taken)
    for (const auto& i : sorted) keys.push_back({s, i.symbol, i.instrument_id});
  std::vector<int64_t> rest;
  for (int64_t id : strategy_ids)
    if (!std::binary_search(taken.begin(), taken.end(), id)) rest.push_back(id);
  if (!rest.empty()) {
    // 2. Strategies whose set another instance committed (a fresh snapshot
    //    sees it): only instruments outside that set, one row per key, plus
    //    rows offered one by one that nobody finished or holds.
    auto more = c->ExecPrepared(
        "sf_claims_rest",
        "WITH keys AS ("
        "  SELECT s AS strategy_id, i AS instrument_id FROM unnest($1::bigint[]) s"
        "  CROSS JOIN unnest($2::bigint[]) i"
        "  WHERE NOT EXISTS (SELECT 1 FROM evaluation_claim_sets cs WHERE cs.strategy_id = s"
        "   AND cs.timeframe = $3 AND cs.bar_ts = $4 AND i = ANY(cs.instrument_ids))),"
        " ins AS ("
        "  INSERT INTO evaluation_claims (strategy_id, instrument_id, timeframe, bar_ts, claimed_by, done_at)"
        "  SELECT strategy_id, instrument_id, $3, $4, $5, now() FROM keys ORDER BY 1, 2"
        "  ON CONFLICT DO NOTHING RETURNING strategy_id, instrument_id),"
        " old AS ("
        "  SELECT c.strategy_id, c.instrument_id FROM evaluation_claims c"
        "  WHERE c.timeframe = $3 AND c.bar_ts = $4 AND c.done_at IS NULL FOR UPDATE SKIP LOCKED)"
        " SELECT u.strategy_id, i.symbol, u.instrument_id, u.old FROM"
        "  (SELECT strategy_id, instrument_id, false AS old FROM ins"
        "   UNION ALL SELECT strategy_id, instrument_id, true FROM old) u"
        " JOIN instruments i ON i.id = u.instrument_id ORDER BY 1, 3",
        Params().Add(ArrayLiteral(rest)).Add(instrument_ids).Add(tf_name).AddTimestamp(bar_ts).Add(instance));
    if (!more.ok()) return fail(more.status());
    for (int r = 0; r < more->rows(); ++r) {
      keys.push_back({more->GetInt64(r, 0), more->GetString(r, 1), more->GetInt64(r, 2)});
      if (more->GetBool(r, 3)) stamp.push_back(keys.back());
    }
  }
  return std::make_unique<Claim>(std::move(*conn), std::move(keys), std::move(stamp), tf, bar_ts, instance);
}

StatusOr<std::unique_ptr<Claim>> ClaimsRepository::ClaimPending(market::Timeframe tf, int64_t bar_ts,
                                                                const std::string& instance) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  SF_RETURN_IF_ERROR((*conn)->Run("BEGIN"));
  auto r = (*conn)->Exec(
      "SELECT c.strategy_id, i.symbol, c.instrument_id FROM evaluation_claims c"
      " JOIN instruments i ON i.id = c.instrument_id"
      " WHERE c.timeframe = $1 AND c.bar_ts = $2 AND c.done_at IS NULL"
      " ORDER BY c.strategy_id, c.instrument_id FOR UPDATE OF c SKIP LOCKED",
      Params().Add(TimeframeSqlName(tf)).AddTimestamp(bar_ts));
  if (!r.ok()) {
    (void)(*conn)->Run("ROLLBACK");
    return r.status();
  }
  std::vector<ClaimKey> keys;
  keys.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) keys.push_back({r->GetInt64(i, 0), r->GetString(i, 1), r->GetInt64(i, 2)});
  std::vector<ClaimKey> stamp = keys;
  return std::make_unique<Claim>(std::move(*conn), std::move(keys), std::move(stamp), tf, bar_ts, instance);
}

StatusOr<std::optional<std::string>> ClaimsRepository::DoneBy(int64_t strategy_id, const std::string& symbol,
                                                              market::Timeframe tf, int64_t bar_ts) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT c.claimed_by FROM evaluation_claims c JOIN instruments i ON i.id = c.instrument_id"
      " WHERE c.strategy_id = $1 AND i.symbol = $2 AND c.timeframe = $3 AND c.bar_ts = $4"
      " AND c.done_at IS NOT NULL"
      " UNION ALL SELECT cs.claimed_by FROM evaluation_claim_sets cs JOIN instruments i"
      "  ON i.id = ANY(cs.instrument_ids)"
      " WHERE cs.strategy_id = $1 AND i.symbol = $2 AND cs.timeframe = $3 AND cs.bar_ts = $4",
      Params().Add(strategy_id).Add(symbol).Add(TimeframeSqlName(tf)).AddTimestamp(bar_ts));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r->GetString(0, 0));
}

StatusOr<int64_t> ClaimsRepository::Prune(int64_t before_us) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM evaluation_claims WHERE done_at IS NOT NULL AND bar_ts < $1",
                         Params().AddTimestamp(before_us));
  if (!r.ok()) return r.status();
  auto sets = (*conn)->Exec("DELETE FROM evaluation_claim_sets WHERE bar_ts < $1", Params().AddTimestamp(before_us));
  if (!sets.ok()) return sets.status();
  return r->AffectedRows() + sets->AffectedRows();
}

}  // namespace sf::store
