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
// How: IngestMany writes many series in one transaction (one commit, one
// COPY per path). Series whose window is empty in the table (checked after
// taking their locks, inside the transaction) are COPYed (binary) straight
// into `bars`; the others are COPYed into a temporary staging table and
// merged with one INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE the
// values differ, rows identical to the stored ones being filtered out first
// (so re-loading unchanged data neither locks nor rewrites them). The
// reference to instruments is checked once per statement (migration 0016).
// BarsBulkLoader feeds IngestMany from parallel connections.
//
// Thread-safety: the repository holds only a Pool pointer; all methods are
// thread-safe. The Pool must outlive the repository. BarsBulkLoader: Add and
// Finish from one producer thread; Snapshot from any thread.
#ifndef SF_STORE_BARS_REPOSITORY_H_
#define SF_STORE_BARS_REPOSITORY_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
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

// The rules above; OK or SF_ERR_BAD_DATA naming the batch, row and rule.
Status ValidateBarBatch(const BarBatch& batch);

struct IngestCounts {
  int64_t inserted = 0;   // new bars
  int64_t updated = 0;    // existing bars whose values changed
  int64_t unchanged = 0;  // existing bars, identical values
};

// What Ingest does when the symbol is not in `instruments` yet.
struct IngestOptions {
  bool create_missing_instrument = true;  // insert it as type 'equity'
  // NOTIFY kBarsChannel "SYMBOL|tf" in the batch's transaction when it
  // stored a new or changed bar (live bars; the API stream listens).
  bool notify = false;
};

// The channel live bar writes are announced on (payload "SYMBOL|tf").
inline constexpr const char* kBarsChannel = "sf_bars";

// Where IngestMany's time went (µs, wall clock, summed over calls):
// instruments + locks + window check, COPY (both paths), the merge
// statement, and COMMIT (the WAL flush).
struct IngestTimings {
  int64_t prepare_us = 0;
  int64_t copy_us = 0;
  int64_t merge_us = 0;
  int64_t commit_us = 0;
  IngestTimings& operator+=(const IngestTimings& o);
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

  // Stores several series windows in ONE transaction: all of them or none.
  // Each (symbol, timeframe) may appear at most once (SF_ERR_INVALID_ARGUMENT
  // otherwise); a rule violation in any batch refuses the whole call
  // (SF_ERR_BAD_DATA naming it). Counts come back in the order of
  // `batches`; `timings`, when given, is added to.
  StatusOr<std::vector<IngestCounts>> IngestMany(std::span<const BarBatch> batches,
                                                 const IngestOptions& options = {},
                                                 IngestTimings* timings = nullptr);

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

struct BulkLoadOptions {
  int loaders = 2;  // parallel connections (the pool must allow that many)
  // A transaction closes once it holds this many rows (whole series only).
  size_t rows_per_transaction = 100'000;
  IngestOptions ingest;
};

// What a BarsBulkLoader has committed so far.
struct BulkLoadResult {
  int64_t series = 0;  // series windows committed
  IngestCounts counts;
  IngestTimings timings;
  int64_t transactions = 0;
  // Series refused (symbol/timeframe, error); the other series still load.
  std::vector<std::pair<std::string, Status>> errors;
};

// Bulk ingest: batches go to `loaders` threads, each committing groups of
// whole series of about rows_per_transaction rows through IngestMany, while
// the producer keeps parsing. A group that fails for a reason other than
// the database being down is retried series by series, so one bad series
// is reported by name and the rest still load. Once the database is
// unavailable, Add returns that error and nothing more is attempted.
// A series counts as stored only once its transaction committed (Snapshot,
// Finish); a crash loses whole uncommitted groups, never part of a series.
class BarsBulkLoader {
 public:
  BarsBulkLoader(BarsRepository* repo, BulkLoadOptions options);
  ~BarsBulkLoader();  // Finish() if not called
  BarsBulkLoader(const BarsBulkLoader&) = delete;
  BarsBulkLoader& operator=(const BarsBulkLoader&) = delete;

  // Queues `batch`; blocks while every loader has two groups waiting. A
  // rule violation comes back at once (SF_ERR_BAD_DATA, nothing queued,
  // the loader goes on); SF_ERR_UNAVAILABLE once the database is gone.
  Status Add(BarBatch batch);
  // Commits what is queued, stops the loaders, returns the totals.
  BulkLoadResult Finish();
  // Totals committed so far (progress).
  BulkLoadResult Snapshot() const;

 private:
  using Group = std::vector<BarBatch>;
  void Run();
  void Commit(Group& group);
  void CloseGroupLocked();

  BarsRepository* repo_;
  const BulkLoadOptions options_;
  mutable std::mutex mu_;
  std::condition_variable ready_cv_, space_cv_;
  Group open_;  // being filled by Add
  std::set<std::string> open_keys_;  // its series
  size_t open_rows_ = 0;
  std::deque<Group> ready_;
  bool closing_ = false;
  Status unavailable_;  // first SF_ERR_UNAVAILABLE seen
  BulkLoadResult result_;
  std::vector<std::thread> threads_;
};

// "1m".."1d" without depending on the market room's implementation.
const char* TimeframeSqlName(market::Timeframe tf);
std::optional<market::Timeframe> TimeframeFromSqlName(std::string_view name);

}  // namespace sf::store

#endif  // SF_STORE_BARS_REPOSITORY_H_
