#include "store/models_repository.h"

#include <algorithm>

namespace sf::store {

namespace {

constexpr const char* kColumns =
    "id, name, version::int, component, feature_set, coalesce(label, ''), params::text,"
    " metrics::text, file_path,"
    " (extract(epoch FROM data_from) * 1000000)::bigint,"
    " (extract(epoch FROM data_to) * 1000000)::bigint, symbols::text, active,"
    " (extract(epoch FROM created_at) * 1000000)::bigint";

ModelRecord FromRow(const Result& r, int row) {
  ModelRecord m;
  m.id = r.GetInt64(row, 0);
  m.name = r.GetString(row, 1);
  m.version = static_cast<int>(r.GetInt64(row, 2));
  m.component = r.GetString(row, 3);
  m.feature_set = r.GetString(row, 4);
  m.label = r.GetString(row, 5);
  m.params = nlohmann::json::parse(r.Get(row, 6), nullptr, false);
  m.metrics = nlohmann::json::parse(r.Get(row, 7), nullptr, false);
  m.file_path = r.GetString(row, 8);
  if (!r.IsNull(row, 9)) m.data_from_us = r.GetInt64(row, 9);
  if (!r.IsNull(row, 10)) m.data_to_us = r.GetInt64(row, 10);
  m.symbols = nlohmann::json::parse(r.Get(row, 11), nullptr, false);
  m.active = r.GetBool(row, 12);
  m.created_at_us = r.GetInt64(row, 13);
  return m;
}

Status ValidateName(const std::string& name) {
  if (!IsValidModelName(name)) {
    return InvalidArgument("model name '" + name + "' must be 1-64 of a-z 0-9 _ -");
  }
  return Status::Ok();
}

std::string VersionsOf(Connection& c, const std::string& name) {
  auto r = c.Exec("SELECT string_agg(version, ', ' ORDER BY version::int) FROM models WHERE name = $1",
                  Params().Add(name));
  if (!r.ok() || r->IsNull(0, 0)) return "none";
  return r->GetString(0, 0);
}

}  // namespace

bool IsValidModelName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
}

nlohmann::json ModelRecord::ToJson() const {
  nlohmann::json j = {{"id", id},         {"name", name},         {"version", version},
                      {"component", component}, {"feature_set", feature_set}, {"label", label},
                      {"params", params}, {"metrics", metrics},   {"file_path", file_path},
                      {"symbols", symbols}, {"active", active},   {"created_at_us", created_at_us}};
  j["data_from_us"] = data_from_us ? nlohmann::json(*data_from_us) : nlohmann::json();
  j["data_to_us"] = data_to_us ? nlohmann::json(*data_to_us) : nlohmann::json();
  return j;
}

StatusOr<int> ModelsRepository::NextVersion(const std::string& name) {
  SF_RETURN_IF_ERROR(ValidateName(name));
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("SELECT coalesce(max(version::int), 0) + 1 FROM models WHERE name = $1",
                         Params().Add(name));
  if (!r.ok()) return r.status();
  return static_cast<int>(r->GetInt64(0, 0));
}

StatusOr<ModelRecord> ModelsRepository::Register(const ModelRecord& model, bool activate) {
  SF_RETURN_IF_ERROR(ValidateName(model.name));
  if (model.feature_set.empty()) return InvalidArgument("model " + model.name + ": feature_set is empty");
  if (model.file_path.empty()) return InvalidArgument("model " + model.name + ": file_path is empty");
  if (model.version < 0) return InvalidArgument("model " + model.name + ": version must be >= 1");
  ModelRecord out;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    SF_RETURN_IF_ERROR(c.Run("SELECT pg_advisory_xact_lock(hashtext('models:' || $1))",
                             Params().Add(model.name)));
    auto cur = c.Exec(
        "SELECT coalesce(max(version::int), 0), count(*) FILTER (WHERE active) FROM models"
        " WHERE name = $1",
        Params().Add(model.name));
    if (!cur.ok()) return cur.status();
    const int max_version = static_cast<int>(cur->GetInt64(0, 0));
    const bool has_active = cur->GetInt64(0, 1) > 0;
    const int version = model.version > 0 ? model.version : max_version + 1;
    const bool make_active = activate || !has_active;
    if (make_active) {
      SF_RETURN_IF_ERROR(c.Run("UPDATE models SET active = false WHERE name = $1 AND active",
                               Params().Add(model.name)));
    }
    auto r = c.Exec(
        std::string("INSERT INTO models (name, version, component, feature_set, label, params,"
                    " metrics, file_path, data_from, data_to, symbols, active, activated_at)"
                    " VALUES ($1, $2, $3, $4, nullif($5, ''), $6::jsonb, $7::jsonb, $8, $9, $10,"
                    " $11::jsonb, $12, CASE WHEN $12 THEN now() END) RETURNING ") +
            kColumns,
        Params()
            .Add(model.name)
            .Add(std::to_string(version))
            .Add(model.component)
            .Add(model.feature_set)
            .Add(model.label)
            .Add(model.params.dump())
            .Add(model.metrics.dump())
            .Add(model.file_path)
            .AddOptionalTimestamp(model.data_from_us)
            .AddOptionalTimestamp(model.data_to_us)
            .Add(model.symbols.dump())
            .Add(make_active));
    if (!r.ok()) {
      if (r.status().code() == SF_ERR_CONFLICT) {
        return Conflict("model " + model.name + " version " + std::to_string(version) +
                        " is already registered (latest: " + std::to_string(max_version) + ")");
      }
      return r.status();
    }
    out = FromRow(*r, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

StatusOr<std::vector<ModelRecord>> ModelsRepository::List(const std::string& name) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns +
                             " FROM models WHERE $1 = '' OR name = $1 ORDER BY name, version::int DESC",
                         Params().Add(name));
  if (!r.ok()) return r.status();
  std::vector<ModelRecord> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(FromRow(*r, i));
  return out;
}

StatusOr<ModelRecord> ModelsRepository::Find(const std::string& name, int version) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns + " FROM models WHERE name = $1 AND version = $2",
                         Params().Add(name).Add(std::to_string(version)));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) {
    return NotFound("model " + name + " has no version " + std::to_string(version) +
                    " (versions: " + VersionsOf(**conn, name) + ")");
  }
  return FromRow(*r, 0);
}

StatusOr<ModelRecord> ModelsRepository::Active(const std::string& name) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns + " FROM models WHERE name = $1 AND active",
                         Params().Add(name));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) {
    return NotFound("model " + name + " has no active version (versions: " + VersionsOf(**conn, name) +
                    ")");
  }
  return FromRow(*r, 0);
}

Status ModelsRepository::SetActive(const std::string& name, int version) {
  SF_RETURN_IF_ERROR(ValidateName(name));
  return pool_->InTransaction([&](Connection& c) -> Status {
    SF_RETURN_IF_ERROR(c.Run("SELECT pg_advisory_xact_lock(hashtext('models:' || $1))", Params().Add(name)));
    auto exists = c.Exec("SELECT 1 FROM models WHERE name = $1 AND version = $2",
                         Params().Add(name).Add(std::to_string(version)));
    if (!exists.ok()) return exists.status();
    if (exists->rows() == 0) {
      return NotFound("model " + name + " has no version " + std::to_string(version) +
                      " (versions: " + VersionsOf(c, name) + ")");
    }
    SF_RETURN_IF_ERROR(c.Run("UPDATE models SET active = false WHERE name = $1 AND active", Params().Add(name)));
    return c.Run("UPDATE models SET active = true, activated_at = now() WHERE name = $1 AND version = $2",
                 Params().Add(name).Add(std::to_string(version)));
  });
}

StatusOr<ModelRecord> ModelsRepository::Resolve(const std::string& name, const nlohmann::json& models_config) {
  const nlohmann::json pins = models_config.is_object() ? models_config.value("active", nlohmann::json::object())
                                                        : nlohmann::json::object();
  if (pins.is_object() && pins.contains(name)) {
    const nlohmann::json& v = pins[name];
    if (!v.is_number_integer() || v.get<int64_t>() < 1) {
      return InvalidArgument("config models.active." + name + " must be a version number >= 1");
    }
    auto m = Find(name, static_cast<int>(v.get<int64_t>()));
    if (!m.ok()) return Status(m.status().code(), "config models.active." + name + ": " + m.status().message());
    return m;
  }
  return Active(name);
}

StatusOr<nlohmann::json> ModelsRepository::RuntimeModels(const nlohmann::json& models_config) {
  auto all = List();
  if (!all.ok()) return all.status();
  nlohmann::json out = nlohmann::json::object();
  for (const auto& m : *all) {
    if (out.contains(m.name)) continue;
    auto r = Resolve(m.name, models_config);
    if (r.status().code() == SF_ERR_NOT_FOUND && r.status().message().find("no active version") != std::string::npos) {
      continue;  // registered, never activated, not pinned
    }
    if (!r.ok()) return r.status();
    out[m.name] = {{"component", r->component}, {"config", {{"path", r->file_path}}}, {"version", r->version}};
  }
  return out;
}

}  // namespace sf::store
