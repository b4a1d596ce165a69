// Custom scans (a strategy over chosen symbols) in PostgreSQL: submitted by
// the API, claimed by background runners with FOR UPDATE SKIP LOCKED (so
// several hosts never run one scan twice), finished with results or an
// error.
//
// Reads by id take the owner's user id: another user's scan answers
// SF_ERR_NOT_FOUND, like an id that does not exist.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_SCANS_REPOSITORY_H_
#define SF_STORE_SCANS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct Scan {
  std::string id;  // UUID
  int64_t user_id = 0;
  std::string strategy;   // scripts/<strategy>.lua
  std::string timeframe;  // 1d...
  std::vector<std::string> symbols;
  nlohmann::json params = nlohmann::json::object();
  std::string status;  // queued | running | done | failed | cancelled
  nlohmann::json results;  // null until done
  std::optional<std::string> error;
  int64_t created_at = 0;
  std::optional<int64_t> started_at, finished_at;
};

class ScansRepository {
 public:
  explicit ScansRepository(Pool* pool) : pool_(pool) {}

  // Queues a scan; returns it (status queued).
  StatusOr<Scan> Submit(int64_t user_id, const std::string& strategy, const std::string& timeframe,
                        const std::vector<std::string>& symbols, const nlohmann::json& params);
  StatusOr<Scan> Get(int64_t user_id, const std::string& id);
  // Newest first.
  StatusOr<std::vector<Scan>> List(int64_t user_id, int limit);
  // The oldest queued scan, now marked running by `worker`; nullopt when
  // none is queued.
  StatusOr<std::optional<Scan>> ClaimNext(const std::string& worker);
  // Marks a running scan done (results) or failed (error).
  Status Finish(const std::string& id, const nlohmann::json& results);
  Status Fail(const std::string& id, const std::string& error);
  // Scans left running by `worker` (a previous life of this host) go back
  // to queued. Returns how many.
  StatusOr<int64_t> Requeue(const std::string& worker);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_SCANS_REPOSITORY_H_
