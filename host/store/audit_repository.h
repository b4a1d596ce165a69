// The audit log (table `audit_log`): who changed what, for admin changes made
// through the API or the CLI. Append-only.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
#ifndef SF_STORE_AUDIT_REPOSITORY_H_
#define SF_STORE_AUDIT_REPOSITORY_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct AuditEntry {
  int64_t id = 0;
  std::string actor;   // "user:42", "cli", "system"
  std::string action;  // "user.tier_change"
  std::optional<std::string> target;
  nlohmann::json detail = nlohmann::json::object();
  std::string ts;  // ISO-8601 UTC
};

class AuditRepository {
 public:
  explicit AuditRepository(Pool* pool) : pool_(pool) {}

  StatusOr<int64_t> Append(const std::string& actor, const std::string& action,
                           const std::optional<std::string>& target, const nlohmann::json& detail);
  // Newest first: entries with id < before_id (0 = from the newest), at
  // most `limit`, optionally only one action.
  StatusOr<std::vector<AuditEntry>> List(int64_t before_id, int limit,
                                         const std::optional<std::string>& action);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_AUDIT_REPOSITORY_H_
