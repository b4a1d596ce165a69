// The "store" service of `signalforge serve` (start slot kOrderStore): brings
// up the database (the embedded cluster, or the server at database.url),
// applies pending migrations, and shares the connection pool with the
// services started after it:
//
//   auto* store = dynamic_cast<sf::app::StoreService*>(ctx.FindService("store"));
//   sf::store::SignalsRepository signals(&store->pool());
//
// On Stop the pool closes and an embedded cluster is stopped (pg_ctl stop
// -m fast). Thread-safety: pool() and conninfo() are safe from any thread
// between Start and Stop.
#ifndef SF_APP_STORE_SERVICE_H_
#define SF_APP_STORE_SERVICE_H_

#include <memory>
#include <string>

#include "app/service.h"
#include "store/store.h"

namespace sf::app {

class StoreService final : public Service {
 public:
  Status Start(Context& ctx) override;
  void Stop() override;
  // {"ready", "database": "embedded"|"external", "schema_version",
  //  "pool": {"open", "idle", "size"}, "error"?}
  nlohmann::json Health() const override;

  store::Pool& pool() { return store_->pool(); }
  // For LISTEN connections (store::Listener) and tools.
  const std::string& conninfo() const { return store_->conninfo(); }
  store::Store& store() { return *store_; }

 private:
  std::unique_ptr<store::Store> store_;
  int schema_version_ = 0;
};

}  // namespace sf::app

#endif  // SF_APP_STORE_SERVICE_H_
