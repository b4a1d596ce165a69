// The model registry in PostgreSQL (table `models`, migration 0013): every
// trained version of a named model with its parameters, metrics, data range,
// feature set and file, and which version of each name is active.
//
// Versions are 1, 2, 3 ... per name. The first version registered under a
// name becomes active; later ones only when asked (Register(..., true) or
// SetActive), so retraining never silently swaps what strategies use.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// Registration and activation serialise per name (advisory transaction lock).
// The Pool must outlive the repository.
#ifndef SF_STORE_MODELS_REPOSITORY_H_
#define SF_STORE_MODELS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct ModelRecord {
  int64_t id = 0;                  // assigned by the database
  std::string name;                // 1-64 of a-z 0-9 _ -
  int version = 0;                 // assigned by Register
  std::string component = "xgboost";
  std::string feature_set;         // "price_v1@1+regime_v1@1"
  std::string label;               // "triple_barrier(+3%,-3%,10)"
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
  std::string file_path;
  std::optional<int64_t> data_from_us, data_to_us;
  nlohmann::json symbols = nlohmann::json::array();
  bool active = false;
  int64_t created_at_us = 0;
  nlohmann::json ToJson() const;
};

class ModelsRepository {
 public:
  explicit ModelsRepository(Pool* pool) : pool_(pool) {}

  // The version the next Register of `name` will get (max + 1, or 1).
  StatusOr<int> NextVersion(const std::string& name);
  // Stores `model` as version model.version (when > 0; SF_ERR_CONFLICT if
  // taken) or the next version (when 0); it becomes active when `activate`
  // or when it is the name's first version. Returns the stored record.
  StatusOr<ModelRecord> Register(const ModelRecord& model, bool activate);
  // Every version of `name` (all names when empty), newest first.
  StatusOr<std::vector<ModelRecord>> List(const std::string& name = "");
  // SF_ERR_NOT_FOUND naming the versions that exist.
  StatusOr<ModelRecord> Find(const std::string& name, int version);
  // The active version of `name`; SF_ERR_NOT_FOUND when none is.
  StatusOr<ModelRecord> Active(const std::string& name);
  // Makes `version` the active one of `name` (the previous one is not).
  Status SetActive(const std::string& name, int version);

  // The version strategies should load for `name`: the config's pin
  // (models.active.<name>, `models_config` is the config's "models"
  // section) when there is one, else the active version.
  StatusOr<ModelRecord> Resolve(const std::string& name, const nlohmann::json& models_config);
  // The Lua host's model table (lua::RuntimeOptions::models) for every
  // name with an active or pinned version:
  // {"<name>": {"component": "xgboost", "config": {"path": "..."}}, ...}.
  StatusOr<nlohmann::json> RuntimeModels(const nlohmann::json& models_config);

 private:
  Pool* pool_;
};

// True for a valid model name: 1-64 of a-z 0-9 _ - (also its file stem).
bool IsValidModelName(const std::string& name);

}  // namespace sf::store

#endif  // SF_STORE_MODELS_REPOSITORY_H_
