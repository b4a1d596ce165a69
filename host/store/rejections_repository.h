// Intents the risk manager (or the engine) refused, with the rule and why,
// in table signal_rejections: the operator's answer to "why did my strategy
// not signal?".
//
// Recording is idempotent per (strategy version, instrument, bar, side, rule):
// re-running a bar adds no second row for the same refusal.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_REJECTIONS_REPOSITORY_H_
#define SF_STORE_REJECTIONS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct NewRejection {
  std::optional<int64_t> strategy_version_id;
  std::string symbol;  // an unknown symbol is stored without an instrument
  int64_t bar_ts = 0;  // µs, END of the bar the intent came from
  std::optional<std::string> side;  // buy | sell
  std::string rule;                 // min_confidence, drawdown_halt, ...
  nlohmann::json detail = nlohmann::json::object();
};

struct StoredRejection {
  int64_t id = 0;
  std::optional<int64_t> strategy_version_id;
  std::string strategy;  // name, empty when the version is gone
  std::string symbol;
  int64_t bar_ts = 0, created_at = 0;
  std::optional<std::string> side;
  std::string rule;
  nlohmann::json detail;
};

class RejectionsRepository {
 public:
  explicit RejectionsRepository(Pool* pool) : pool_(pool) {}

  // Records every refusal in one transaction; returns the rows written
  // (refusals recorded before are skipped). SF_ERR_INVALID_ARGUMENT for an
  // empty rule or a detail that is not a JSON object.
  StatusOr<int> Record(const std::vector<NewRejection>& rejections);
  // Newest first; `strategy` filters by strategy name when not empty.
  StatusOr<std::vector<StoredRejection>> ListRecent(int limit, const std::string& strategy = "");

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_REJECTIONS_REPOSITORY_H_
