// A PostgreSQL session-level advisory lock on a dedicated connection: the
// building block of leader election (engine/leader.h). The lock lives as long
// as the session, so a holder that dies (or closes this object) releases it
// at once for the next one.
//
// Thread-safety: none; one owner thread uses an instance.
#ifndef SF_STORE_ADVISORY_LOCK_H_
#define SF_STORE_ADVISORY_LOCK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "store/pg.h"

namespace sf::store {

class AdvisoryLockSession {
 public:
  // Opens the dedicated connection (tagged application_name `name`).
  static StatusOr<std::unique_ptr<AdvisoryLockSession>> Open(const std::string& conninfo,
                                                             const std::string& name);
  // pg_try_advisory_lock(key): true when this session holds it now.
  StatusOr<bool> TryLock(int64_t key);
  // False when the connection is broken or does not answer.
  bool Alive();

 private:
  explicit AdvisoryLockSession(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
  std::unique_ptr<Connection> conn_;
};

}  // namespace sf::store

#endif  // SF_STORE_ADVISORY_LOCK_H_
