// What the live engine's position monitor reads and writes besides the
// basic signal rows (signals_repository.h): open signals with the fields
// risk and paper trading need (strategy name, sector, size), the house
// portfolio's realized result, and closing a signal together with its last
// performance snapshot in one transaction. Every close also NOTIFYs
// kSignalsChannel with the signal's id in that transaction, so listeners
// (the API stream) hear of it exactly when it commits.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_SIGNAL_LIFECYCLE_REPOSITORY_H_
#define SF_STORE_SIGNAL_LIFECYCLE_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"
#include "store/signals_repository.h"

namespace sf::store {

struct ActiveSignal {
  StoredSignal signal;
  std::string strategy;  // name
  std::string sector;    // empty when unknown
  std::optional<double> position_size_pct;
  // The newest per-bar snapshot, when one was stored.
  std::optional<int64_t> last_snapshot_ts;
};

// A per-bar snapshot to write with a close (the closing bar's own).
struct PerformanceSnapshot {
  int64_t bar_ts = 0;
  double price = 0;
  double unrealized_pnl_pct = 0;
  double days_held = 0;
};

// One open signal's snapshot at a bar.
struct SnapshotWrite {
  std::string signal_id;
  PerformanceSnapshot snapshot;
};

// One signal's close with the closing bar's snapshot.
struct CloseWrite {
  std::string signal_id;
  SignalClose close;
  PerformanceSnapshot snapshot;
};

class SignalLifecycleRepository {
 public:
  explicit SignalLifecycleRepository(Pool* pool) : pool_(pool) {}

  // Open signals, oldest first; `timeframe` ("1d"...) filters when not empty.
  StatusOr<std::vector<ActiveSignal>> ListActive(const std::string& timeframe = "");
  // Writes the closing bar's snapshot and closes the signal in one
  // transaction; SF_ERR_CONFLICT when the signal is not active anymore.
  Status CloseWithSnapshot(const std::string& id, const SignalClose& close,
                           const PerformanceSnapshot& snapshot);
  // A whole bar's lifecycle writes in ONE statement (one round trip):
  // every snapshot upserted, every close applied to signals still active
  // (with its snapshot and a NOTIFY). Returns the ids closed now; a close
  // of a signal that was not active anymore is skipped, not an error.
  StatusOr<std::vector<std::string>> Advance(const std::vector<SnapshotWrite>& snapshots,
                                             const std::vector<CloseWrite>& closes);
  // Sum over closed signals of position_size_pct × realized_pnl_pct / 100:
  // the house portfolio's realized return in percent of its equity.
  StatusOr<double> RealizedContributionPct();
  // Number of signals of `strategy` (name) per status, for health/tests.
  StatusOr<int64_t> CountSignals(const std::string& strategy, const std::string& status = "");

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_SIGNAL_LIFECYCLE_REPOSITORY_H_
