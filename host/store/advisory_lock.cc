#include "store/advisory_lock.h"

namespace sf::store {

StatusOr<std::unique_ptr<AdvisoryLockSession>> AdvisoryLockSession::Open(const std::string& conninfo,
                                                                          const std::string& name) {
  auto c = Connection::Open(conninfo, 3);
  if (!c.ok()) return c.status();
  std::unique_ptr<Connection> conn = std::move(*c);
  (void)conn->Exec("SELECT set_config('application_name', $1, false)", Params().Add(name));
  return std::unique_ptr<AdvisoryLockSession>(new AdvisoryLockSession(std::move(conn)));
}

StatusOr<bool> AdvisoryLockSession::TryLock(int64_t key) {
  auto r = conn_->Exec("SELECT pg_try_advisory_lock($1)", Params().Add(key));
  if (!r.ok()) return r.status();
  return r->GetBool(0, 0);
}

bool AdvisoryLockSession::Alive() { return !conn_->broken() && conn_->Ping(); }

}  // namespace sf::store
