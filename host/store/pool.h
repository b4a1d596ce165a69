// A bounded pool of libpq connections shared by every repository.
//
// Acquire() hands out one connection for exclusive use; the returned lease
// gives it back when destroyed. The pool survives a PostgreSQL restart:
// while the server is down, Acquire() and statements fail fast with
// SF_ERR_UNAVAILABLE ("database unavailable: ..."), broken connections are
// discarded when returned, and new ones are opened on demand once the
// server is back, with no action from the caller.
//
// Thread-safety: all methods are thread-safe. The Pool must outlive every
// lease it handed out.
#ifndef SF_STORE_POOL_H_
#define SF_STORE_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pg.h"

namespace sf::store {

struct PoolOptions {
  std::string conninfo;  // libpq connection string or postgresql:// URL
  int size = 8;          // max connections open at once
  // How long Acquire() waits for a free connection when all are busy.
  std::chrono::milliseconds checkout_timeout{5000};
  // libpq connect_timeout; also bounds how long an outage takes to report.
  int connect_timeout_s = 3;
  // A connection idle longer than this is pinged before it is handed out.
  std::chrono::milliseconds health_check_after{10000};
};

class Pool;

// Exclusive use of one connection; returns it to the pool on destruction
// (discarding it if it broke).
class PooledConnection {
 public:
  PooledConnection(Pool* pool, std::unique_ptr<Connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  PooledConnection(PooledConnection&& o) noexcept = default;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();
  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  // Opens one connection to check the server; SF_ERR_UNAVAILABLE if it
  // cannot be reached.
  static StatusOr<std::unique_ptr<Pool>> Create(PoolOptions options);
  ~Pool();

  // A healthy connection, or SF_ERR_UNAVAILABLE (server down) /
  // SF_ERR_TIMEOUT (all connections busy for checkout_timeout).
  StatusOr<PooledConnection> Acquire();

  // Runs `fn(conn)` inside BEGIN/COMMIT; ROLLBACK when fn returns an error.
  // A COMMIT that returns OK is durable (synchronous_commit stays on).
  template <typename Fn>
  Status InTransaction(Fn&& fn) {
    auto conn = Acquire();
    if (!conn.ok()) return conn.status();
    PooledConnection& c = *conn;
    SF_RETURN_IF_ERROR(c->Run("BEGIN"));
    Status s = fn(*c);
    if (!s.ok()) {
      (void)c->Run("ROLLBACK");
      return s;
    }
    return c->Run("COMMIT");
  }

  const PoolOptions& options() const { return options_; }
  // For health reporting: connections open / idle right now.
  int open_connections() const;
  int idle_connections() const;

 private:
  friend class PooledConnection;
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}
  void Return(std::unique_ptr<Connection> conn);

  struct Idle {
    std::unique_ptr<Connection> conn;
    std::chrono::steady_clock::time_point since;
  };
  const PoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Idle> idle_;
  int open_ = 0;  // idle + leased (+ being opened)
};

}  // namespace sf::store

#endif  // SF_STORE_POOL_H_
