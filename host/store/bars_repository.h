// Bars in PostgreSQL: idempotent bulk ingest (COPY) and range loads.
//
// Ingest writes one series window (one symbol, one timeframe) in a single
// transaction: either every row of the batch is stored or none is. Loading
// the same data twice, or overlapping windows, leaves exactly the rows of
// one clean load; a bar whose values changed (a revision) is updated in
// place, an identical bar is left untouched. Ingests of the same series are
// serialised by a transaction-level advisory lock; different series run in
// parallel.
//
// How: when the window is empty in the table, rows are COPYed (binary)
// straight into `bars`; otherwise they are COPYed into a temporary staging
// table and merged with INSERT ... ON CONFLICT DO UPDATE ... WHERE the
// values differ.
//
// Thread-safety: the repository holds only a Pool pointer; all methods are
// thread-safe. The Pool must outlive the repository.
#ifndef SF_STORE_BARS_REPOSITORY_H_
#define SF_STORE_BARS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "market/bar_series.h"
#include "market/provider_bars.h"
#include "store/pool.h"

namespace sf::store {

// Columnar input of one series window. Timestamps are µs since the epoch,
// UTC. All vectors have the same length, except vwap and adj_factor which
// may be empty (vwap unknown -> NULL; adj_factor -> 1.0).
//
// Rules (a violation refuses the whole batch; the message names the symbol,
// the row index, its ts_start and the rule):
//  - symbol non-empty; timeframe one of 1m 5m 15m 1h 4h 1d; source non-empty
//  - ts_start strictly increasing; ts_start < ts_end <= ts_start + 7 days
//  - open/high/low/close finite and > 0; low <= min(open, close);
//    high >= max(open, close)
//  - volume finite and >= 0; vwap (when given) finite and > 0;
//    adj_factor finite and > 0
struct BarBatch {
  std::string symbol;
  market::Timeframe timeframe = market::Timeframe::k1d;
  std::string source;  // "alphavantage", "synthetic", plugin id...
  std::vector<int64_t> ts_start, ts_end;
  std::vector<double> open, high, low, close, volume;
  std::vector<double> vwap;        // optional column
  std::vector<double> adj_factor;  // optional column

  size_t size() const { return ts_start.size(); }
};

// The batch of what a provider delivered: raw prices with their adj_factor
// and vwap (NaN rows of vwap become NULL), stamped `source`. The one
// conversion `ingest` and the live feed share; moves the columns out of
// `bars`, which must already be sorted without repeated ts_start.
BarBatch BarBatchFromProvider(market::ProviderBars&& bars, std::string source);

struct IngestCounts {
  int64_t inserted = 0;   // new bars
  int64_t updated = 0;    // existing bars whose values changed
  int64_t unchanged = 0;  // existing bars, identical values
};

// What Ingest does when the symbol is not in `instruments` yet.
struct IngestOptions {
  bool create_missing_instrument = true;  // insert it as type 'equity'
};

class BarsRepository {
 public:
  explicit BarsRepository(Pool* pool) : pool_(pool) {}

  // Validates then stores `batch` atomically. SF_ERR_BAD_DATA for a rule
  // violation, SF_ERR_NOT_FOUND for an unknown symbol when
  // create_missing_instrument is false, SF_ERR_UNAVAILABLE when the
  // database is down. When this returns OK, the batch is committed durably.
  StatusOr<IngestCounts> Ingest(const BarBatch& batch,
                                const IngestOptions& options = {});

  // Bars of `symbol`/`timeframe` with from <= bar END (ts_end) <= to, in
  // time order; ts of the series is the bar END time (µs, UTC), as
  // BarSeries defines. Unknown symbol -> SF_ERR_NOT_FOUND; no bars in range
  // -> an empty series.
  StatusOr<market::BarSeries> Load(const std::string& symbol,
                                   market::Timeframe timeframe, int64_t from_us,
                                   int64_t to_us);

  // The newest stored bar END time of a series (to resume an incremental
  // fetch), or nullopt when there is none.
  StatusOr<std::optional<int64_t>> LatestBarEnd(const std::string& symbol,
                                                market::Timeframe timeframe);

  // md5 over every bar's data columns in key order: equal checksums mean
  // equal tables (used by tests and `db status`).
  StatusOr<std::string> Checksum();
  StatusOr<int64_t> Count();

 private:
  Pool* pool_;
};

// "1m".."1d" without depending on the market room's implementation.
const char* TimeframeSqlName(market::Timeframe tf);
std::optional<market::Timeframe> TimeframeFromSqlName(std::string_view name);

}  // namespace sf::store

#endif  // SF_STORE_BARS_REPOSITORY_H_
