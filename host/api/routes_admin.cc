// Admin routes (tier admin): plugins loaded, strategies (list with version,
// status and load errors; upload a new or changed strategy file; enable /
// disable), trained models, and system status. Changes are written to the
// audit log. Users and tiers are in admin_users_routes.cc.
//
// An uploaded strategy is written atomically (temporary file + rename) into
// the scripts folder the live runtime watches: the runtime compiles and
// checks it in a fresh worker and swaps it in at the next bar only if it is
// good; a refused version shows up here with its file:line error.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "api/router.h"
#include "api/routes_common.h"
#include "api/routes_scans.h"
#include "api/stream.h"
#include "app/context.h"
#include "app/service.h"
#include "store/models_repository.h"
#include "store/pool.h"
#include "store/signal_queries_repository.h"
#include "store/table_stats.h"

namespace sf::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ScriptsDir(ApiRequest& r) {
  if (r.ctx == nullptr) throw ServiceUnavailable("no application context: the scripts folder is unknown");
  const json& cfg = r.ctx->config();
  // The live engine's folder when it is configured, else the scans one.
  if (cfg.contains("engine") && cfg["engine"].contains("scripts_dir")) {
    return r.ctx->ResolvePath(cfg["engine"]["scripts_dir"].get<std::string>());
  }
  return r.ctx->ResolvePath(ScanOptions::FromConfig(cfg).scripts_dir);
}

ApiResponse Plugins(ApiRequest& r) {
  if (r.ctx == nullptr) return {.body = {{"items", json::array()}}};
  json d = r.ctx->plugins().Describe();
  json items = d.is_object() && d.contains("plugins") ? d["plugins"] : d;
  return {.body = {{"items", items.is_array() ? items : json::array({items})}}};
}

ApiResponse Strategies(ApiRequest& r) {
  json items = json::array();
  std::set<std::string> named;
  for (const auto& s : ValueOrThrow(store::SignalQueriesRepository(r.pool).Strategies())) {
    named.insert(s.name);
    items.push_back({{"name", s.name},
                     {"status", s.status},
                     {"version", OrNull(s.version)},
                     {"version_status", OrNull(s.version_status)},
                     {"load_errors", OrNull(s.load_errors)},
                     {"version_created_at", TimeOrNull(s.version_created_at)},
                     {"versions", s.versions},
                     {"signals", s.signals},
                     {"active_signals", s.active_signals},
                     {"updated_at", IsoTime(s.updated_at)}});
  }
  // Files in the scripts folder that have not run yet.
  std::error_code ec;
  std::string dir = r.ctx ? ScriptsDir(r) : "";
  json files = json::array();
  if (!dir.empty()) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() != ".lua") continue;
      files.push_back({{"file", e.path().filename().string()}, {"bytes", e.file_size(ec)}});
      std::string stem = e.path().stem().string();
      if (!named.contains(stem)) {
        items.push_back({{"name", stem}, {"file", e.path().filename().string()}, {"status", "not_loaded"}});
      }
    }
  }
  // What the running engine sees now: per file its state, active and pending
  // versions, and the last refused load with file:line (a broken reload keeps
  // the old version running and shows here).
  if (r.ctx != nullptr) {
    if (app::Service* engine = r.ctx->FindService("engine")) {
      json h = engine->Health();
      for (const auto& st : h.value("strategy_files", json::array())) {
        std::string file = fs::path(st.value("file", std::string())).filename().string();
        std::string name = st.value("name", std::string());
        std::string stem = fs::path(file).stem().string();
        json* target = nullptr;
        for (auto& item : items) {
          if (item.value("name", std::string()) == name || item.value("name", std::string()) == stem ||
              item.value("file", std::string()) == file) {
            target = &item;
            break;
          }
        }
        if (target == nullptr) {
          items.push_back({{"name", name.empty() ? stem : name}});
          target = &items.back();
        }
        (*target)["file"] = file;
        (*target)["state"] = st.value("state", std::string());
        (*target)["active_version"] = st.value("version", std::string());
        (*target)["pending_version"] = st.value("pending_version", std::string());
        (*target)["last_error"] = st.value("last_error", std::string());
        (*target)["reloads"] = st.value("reloads", 0);
        (*target)["refused"] = st.value("refused", 0);
        (*target)["kills"] = st.value("kills", 0);
        if (st.contains("loaded_at_us") && st["loaded_at_us"].is_number_integer() &&
            st["loaded_at_us"].get<int64_t>() > 0) {
          (*target)["loaded_at"] = IsoTime(st["loaded_at_us"].get<int64_t>());
        }
      }
    }
  }
  return {.body = {{"items", std::move(items)}, {"files", std::move(files)}}};
}

const std::regex kStrategyFile("^[A-Za-z0-9_-]{1,100}$");

ApiResponse Upload(ApiRequest& r) {
  const json& b = r.Json();
  std::string name = b["name"].get<std::string>();
  if (!std::regex_match(name, kStrategyFile)) {
    throw Unprocessable("name '" + name + "' must be 1-100 of [A-Za-z0-9_-] (it becomes <name>.lua)", "name");
  }
  const std::string& source = b["source"].get_ref<const std::string&>();
  fs::path dir = ScriptsDir(r);
  fs::path target = dir / (name + ".lua");
  fs::path tmp = dir / ("." + name + ".lua.upload-" + std::to_string(getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << source;
    out.close();
    if (!out) throw ServiceUnavailable("could not write " + tmp.string());
  }
  std::error_code ec;
  bool existed = fs::exists(target, ec);
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw ServiceUnavailable("could not replace " + target.string() + ": " + ec.message());
  }
  r.Audit("strategy.upload", name, {{"bytes", source.size()}, {"replaced", existed}});
  return {.status = 202,
          .body = {{"name", name},
                   {"file", target.filename().string()},
                   {"bytes", source.size()},
                   {"replaced", existed},
                   {"detail", "written; the runtime checks it and swaps it in at the next bar, or lists "
                              "its load error under /api/v1/admin/strategies"}}};
}

ApiResponse SetStatus(ApiRequest& r) {
  const std::string& name = r.Param("name");
  std::string status = r.Json()["status"].get<std::string>();
  OkOrThrow(store::SignalQueriesRepository(r.pool).SetStrategyStatus(name, status), "status");
  r.Audit(status == "active" ? "strategy.enable" : "strategy.disable", name);
  return {.body = {{"name", name}, {"status", status}}};
}

ApiResponse Models(ApiRequest& r) {
  json items = json::array();
  for (const auto& m : ValueOrThrow(store::ModelsRepository(r.pool).List())) items.push_back(m.ToJson());
  json components = json::array();
  if (r.ctx) {
    for (const auto* m : r.ctx->plugins().models()) components.push_back({{"id", m->id}, {"plugin", m->plugin_id}});
  }
  return {.body = {{"items", std::move(items)}, {"components", std::move(components)}}};
}

ApiResponse System(ApiRequest& r) {
  json tables = json::object();
  bool db_ok = true;
  {
    auto conn = r.pool->Acquire();
    if (conn.ok()) {
      auto counts = store::CountMainTables(**conn);
      if (counts.ok()) {
        for (const auto& [t, n] : *counts) tables[t] = n;
      } else {
        db_ok = false;
      }
    } else {
      db_ok = false;
    }
  }
  StreamStats st = StreamHub::Instance().Stats();
  json plugins = json::object();
  if (r.ctx) {
    auto& reg = r.ctx->plugins();
    plugins = {{"libraries", reg.plugins().size()},
               {"indicators", reg.indicators().size()},
               {"providers", reg.providers().size()},
               {"models", reg.models().size()},
               {"notifiers", reg.notifiers().size()}};
  }
  return {.body = {{"time", IsoTime(NowMicros())},
                   {"database", {{"reachable", db_ok},
                                 {"pool_open", r.pool->open_connections()},
                                 {"pool_idle", r.pool->idle_connections()},
                                 {"pool_size", r.pool->options().size}}},
                   {"tables", std::move(tables)},
                   {"stream", {{"connections", st.connections},
                               {"messages_sent", st.messages_sent},
                               {"slow_disconnects", st.slow_disconnects},
                               {"signals_fanned_out", st.signals_fanned_out}}},
                   {"plugins", std::move(plugins)}}};
}

const RouteRegistrar kAdminRoutes({
    {.method = "GET", .pattern = "/api/v1/admin/plugins", .min_tier = Tier::kAdmin, .scope = "admin",
     .openapi = Operation("Loaded plugins and their components", "admin", 200, "{items}"), .handler = Plugins},
    {.method = "GET", .pattern = "/api/v1/admin/strategies", .min_tier = Tier::kAdmin, .scope = "admin",
     .openapi = Operation("Strategies with version, status and load errors", "admin", 200, "{items, files}"),
     .handler = Strategies},
    {.method = "POST", .pattern = "/api/v1/admin/strategies", .min_tier = Tier::kAdmin, .scope = "admin",
     .request_schema = ObjectSchema({{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}},
                                     {"source", {{"type", "string"}, {"minLength", 1}, {"maxLength", 60000}}}},
                                    {"name", "source"}),
     .openapi = Operation("Upload a strategy file (hot-reloaded if it checks)", "admin", 202, "Written"),
     .handler = Upload},
    {.method = "PATCH", .pattern = "/api/v1/admin/strategies/{name}", .min_tier = Tier::kAdmin, .scope = "admin",
     .request_schema = ObjectSchema({{"status", {{"type", "string"}, {"enum", {"active", "disabled"}}}}}, {"status"}),
     .openapi = Operation("Enable or disable a strategy", "admin", 200, "The new status"),
     .handler = SetStatus},
    {.method = "GET", .pattern = "/api/v1/admin/models", .min_tier = Tier::kAdmin, .scope = "admin",
     .openapi = Operation("Trained models and loaded model components", "admin", 200, "{items, components}"),
     .handler = Models},
    {.method = "GET", .pattern = "/api/v1/admin/system", .min_tier = Tier::kAdmin, .scope = "admin",
     .openapi = Operation("System status: database, tables, stream, plugins", "admin", 200, "Status"),
     .handler = System},
});

}  // namespace
}  // namespace sf::api
