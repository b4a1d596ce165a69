// Instruments (tradable symbols) in PostgreSQL: upsert, list, find.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_INSTRUMENTS_REPOSITORY_H_
#define SF_STORE_INSTRUMENTS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct Instrument {
  int64_t id = 0;  // assigned by the database
  std::string symbol{};
  std::optional<std::string> name{};
  std::string type = "equity";  // equity | crypto | forex | commodity
  std::optional<std::string> exchange{};
  std::string currency = "USD";  // ISO 4217
  std::optional<std::string> sector{};
  std::optional<int64_t> market_cap{};
  bool active = true;
  std::optional<std::string> data_provider{};    // provider plugin id
  std::optional<std::string> provider_symbol{};  // the provider's spelling
};

class InstrumentsRepository {
 public:
  explicit InstrumentsRepository(Pool* pool) : pool_(pool) {}

  // Inserts or updates (by symbol) every field; returns the id.
  // SF_ERR_INVALID_ARGUMENT names the field that broke a rule.
  StatusOr<int64_t> Upsert(const Instrument& instrument);
  // Upserts many in one transaction (e.g. an index's constituents).
  Status UpsertAll(const std::vector<Instrument>& instruments);
  // Ordered by symbol.
  StatusOr<std::vector<Instrument>> List(bool active_only = false);
  // SF_ERR_NOT_FOUND when unknown.
  StatusOr<Instrument> FindBySymbol(const std::string& symbol);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_INSTRUMENTS_REPOSITORY_H_
