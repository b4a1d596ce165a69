// Evaluation claims (table evaluation_claims): how several `serve`
// instances on one PostgreSQL make sure no (strategy, symbol, bar) is
// evaluated twice.
//
// Row by row (Offer + ClaimPending): a bar's work is first offered, one row
// per (strategy, instrument, timeframe, bar) inserted if missing (committed
// at once, so every
// instance sees the same work list). Then an instance claims what is not
// done yet with SELECT ... FOR UPDATE SKIP LOCKED inside a transaction it
// keeps open while it evaluates: rows another live instance is evaluating
// are locked and skipped, rows a dead instance held are unlocked again the
// moment its session ends (its transaction rolls back), and Complete()
// stamps claimed_by/done_at and commits, after which nobody claims them
// again.
//
// ClaimBar() is the live engine's path, a few rows per bar instead of one
// per (strategy, symbol): inside the claim's open transaction it inserts one
// evaluation_claim_sets row per strategy naming every instrument it takes,
// born done (ON CONFLICT DO NOTHING RETURNING: the rows returned are this
// instance's). Others see a set only when Complete() commits it (then that
// work is done) or never, when the claim rolls back (then another instance
// claims it). A concurrent ClaimBar of the same strategy and bar waits for
// that outcome rather than skipping, so no key is evaluated twice and none
// is lost; sets are inserted in strategy order, so two instances cannot
// deadlock. An instance that finds a set committed claims only the symbols
// that set lacks, one evaluation_claims row each (also born done), plus any
// rows offered one by one (Offer) that nobody holds, FOR UPDATE SKIP
// LOCKED. The single-leader bar costs one small insert and one commit.
//
// Thread-safety: the repository is thread-safe; a Claim belongs to one
// thread (it holds one pooled connection until Complete() or destruction).
#ifndef SF_STORE_CLAIMS_REPOSITORY_H_
#define SF_STORE_CLAIMS_REPOSITORY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "market/bar_series.h"
#include "store/pool.h"

namespace sf::store {

struct ClaimKey {
  int64_t strategy_id = 0;
  std::string symbol;
  int64_t instrument_id = 0;
  bool operator==(const ClaimKey&) const = default;
};

struct ClaimInstrument {
  std::string symbol;
  int64_t instrument_id = 0;
};

// Work claimed by this instance, locked until Complete() or destruction
// (which rolls back: the work becomes claimable again).
class Claim {
 public:
  // `stamp` are the keys Complete() still has to mark done (all of `keys`
  // for ClaimPending; only the pre-existing rows for ClaimBar).
  Claim(PooledConnection conn, std::vector<ClaimKey> keys, std::vector<ClaimKey> stamp, market::Timeframe tf,
        int64_t bar_ts, std::string instance)
      : conn_(std::move(conn)), keys_(std::move(keys)), stamp_(std::move(stamp)), tf_(tf), bar_ts_(bar_ts),
        instance_(std::move(instance)) {}
  ~Claim();
  Claim(const Claim&) = delete;
  Claim& operator=(const Claim&) = delete;

  const std::vector<ClaimKey>& keys() const { return keys_; }
  // Marks every claimed row done by this instance and commits.
  Status Complete();

 private:
  PooledConnection conn_;
  std::vector<ClaimKey> keys_;
  std::vector<ClaimKey> stamp_;
  market::Timeframe tf_;
  int64_t bar_ts_;
  std::string instance_;
  bool open_ = true;
};

class ClaimsRepository {
 public:
  explicit ClaimsRepository(Pool* pool) : pool_(pool) {}

  // Inserts the missing work rows of one bar (every strategy id × every
  // known symbol). Symbols without an instrument row are skipped.
  Status Offer(const std::vector<int64_t>& strategy_ids, const std::vector<std::string>& symbols,
               market::Timeframe tf, int64_t bar_ts, const std::string& instance);
  // Offers and claims one bar's work in one statement (see the header
  // comment): every strategy id × every instrument that nobody did or
  // holds, plus older not-done rows of the bar nobody holds.
  // `instruments` are (symbol, instrument id) pairs the caller resolved
  // (InstrumentsRepository), so the hot statement touches no other table.
  StatusOr<std::unique_ptr<Claim>> ClaimBar(const std::vector<int64_t>& strategy_ids,
                                            const std::vector<ClaimInstrument>& instruments, market::Timeframe tf,
                                            int64_t bar_ts, const std::string& instance);
  // Claims every not-done row of the bar that no other session holds.
  StatusOr<std::unique_ptr<Claim>> ClaimPending(market::Timeframe tf, int64_t bar_ts,
                                                const std::string& instance);
  // Who completed (strategy, symbol, bar), or nullopt when nobody did.
  StatusOr<std::optional<std::string>> DoneBy(int64_t strategy_id, const std::string& symbol,
                                              market::Timeframe tf, int64_t bar_ts);
  // Deletes done rows and claim sets of bars older than `before_us`;
  // returns the count.
  // The engine prunes as it goes, so claiming stays a scan of recent rows.
  StatusOr<int64_t> Prune(int64_t before_us);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_CLAIMS_REPOSITORY_H_
