// Computed feature sets in PostgreSQL (table computed_features): one row per
// (instrument, feature set, version, bar time) with the values as a JSON
// object, plus the analysed news the news_v1 feature set reads.
//
// Store is idempotent: writing the same rows again replaces them (a feature
// set version is a fixed definition, so equal inputs give equal values).
// Missing values (NaN) are stored as JSON null and load back as NaN.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_FEATURES_REPOSITORY_H_
#define SF_STORE_FEATURES_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

// Feature rows of one symbol and one feature set version, columnar.
struct FeatureRows {
  std::string symbol;
  std::string feature_set;  // "price_v1"
  int version = 1;
  std::vector<std::string> names;            // column names
  std::vector<int64_t> ts;                   // bar END times, µs UTC
  std::vector<std::vector<double>> columns;  // names.size() x ts.size()
};

// One news event with its analysis (the latest analysis when several).
struct AnalysedNews {
  int64_t published_us = 0;
  std::string headline;
  std::optional<double> sentiment;   // analysis, else the event's own
  std::string severity;              // minor | moderate | severe | "" (none)
  std::string time_horizon;          // days | quarters | permanent | ""
  std::optional<double> credibility;
  std::optional<double> revenue_impact_pct, earnings_impact_pct;
};

class FeaturesRepository {
 public:
  explicit FeaturesRepository(Pool* pool) : pool_(pool) {}

  // Upserts every row in one transaction; returns rows written.
  // SF_ERR_NOT_FOUND for an unknown symbol; SF_ERR_INVALID_ARGUMENT when
  // the shape is inconsistent (names vs columns vs ts).
  StatusOr<int64_t> Store(const FeatureRows& rows);
  // Rows with from <= ts <= to, in time order; names in the stored order.
  StatusOr<FeatureRows> Load(const std::string& symbol, const std::string& feature_set, int version,
                             int64_t from_us, int64_t to_us);
  // News of `symbol` published in [from, to], oldest first.
  StatusOr<std::vector<AnalysedNews>> LoadNews(const std::string& symbol, int64_t from_us,
                                               int64_t to_us);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_FEATURES_REPOSITORY_H_
