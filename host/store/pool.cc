#include "store/pool.h"

namespace sf::store {

PooledConnection::~PooledConnection() {
  if (pool_ && conn_) pool_->Return(std::move(conn_));
}

StatusOr<std::unique_ptr<Pool>> Pool::Create(PoolOptions options) {
  if (options.size < 1) return InvalidArgument("database pool size must be >= 1");
  std::unique_ptr<Pool> pool(new Pool(std::move(options)));
  auto first = Connection::Open(pool->options_.conninfo, pool->options_.connect_timeout_s);
  if (!first.ok()) return first.status();
  pool->idle_.push_back({std::move(*first), std::chrono::steady_clock::now()});
  pool->open_ = 1;
  return pool;
}

Pool::~Pool() = default;

StatusOr<PooledConnection> Pool::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.checkout_timeout;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      Idle item = std::move(idle_.back());
      idle_.pop_back();
      bool stale = std::chrono::steady_clock::now() - item.since > options_.health_check_after;
      if (item.conn->broken()) {
        --open_;
        continue;
      }
      if (stale) {
        // Ping outside the lock: it is a network round trip.
        lock.unlock();
        bool alive = item.conn->Ping();
        lock.lock();
        if (!alive) {
          --open_;
          cv_.notify_one();
          continue;
        }
      }
      return PooledConnection(this, std::move(item.conn));
    }
    if (open_ < options_.size) {
      ++open_;
      lock.unlock();
      auto conn = Connection::Open(options_.conninfo, options_.connect_timeout_s);
      lock.lock();
      if (!conn.ok()) {
        --open_;
        cv_.notify_one();
        // An outage: report it now rather than waiting out the timeout.
        return conn.status();
      }
      return PooledConnection(this, std::move(*conn));
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      return Status(SF_ERR_TIMEOUT, "database pool exhausted: all " +
                                        std::to_string(options_.size) +
                                        " connections busy for " +
                                        std::to_string(options_.checkout_timeout.count()) +
                                        " ms");
    }
  }
}

void Pool::Return(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn->broken()) {
    --open_;
    // The server dropped this one; the others from before the drop are most
    // likely dead too. Let them be re-checked on next use.
    for (auto& i : idle_) i.since = std::chrono::steady_clock::time_point{};
  } else {
    idle_.push_back({std::move(conn), std::chrono::steady_clock::now()});
  }
  cv_.notify_one();
}

int Pool::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

int Pool::idle_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(idle_.size());
}

}  // namespace sf::store
