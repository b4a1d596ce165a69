// `signalforge model list|show|activate`: the model registry (models table)
// from the command line: which versions of a model exist, what each was
// trained on with which validation metrics, and which one is active.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/command.h"
#include "app/context.h"
#include "market/time_zone.h"
#include "store/models_repository.h"
#include "store/store.h"

namespace sf::app {
namespace {

using json = nlohmann::json;

constexpr const char* kListUsage =
    "usage: signalforge model list [NAME] [--json]\n"
    "  Every registered version (of NAME), newest first; * marks the active one.\n";
constexpr const char* kShowUsage =
    "usage: signalforge model show NAME [VERSION]\n"
    "  One version as JSON (default: the active one): parameters, metrics, data range, file.\n";
constexpr const char* kActivateUsage =
    "usage: signalforge model activate NAME VERSION\n"
    "  Makes VERSION the active version of NAME (the one strategies load by name).\n"
    "  A pin in the config (models.active.NAME) still wins over the database.\n";

StatusOr<std::unique_ptr<store::Store>> OpenStore(Context& ctx) {
  auto options = store::StoreOptionsFromConfig(ctx.config().value("database", json::object()),
                                               [&ctx](const std::string& p) { return ctx.ResolvePath(p); });
  options.pool_size = 1;
  options.stop_adopted_cluster = false;
  return store::Store::Open(options);
}

int Fail(const std::string& command, const Status& s) {
  std::cerr << "signalforge: model " << command << ": " << s.message() << "\n";
  return 1;
}

bool ParseVersion(const std::string& text, int* out) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != 0 || v < 1 || v > 999999999) return false;
  *out = static_cast<int>(v);
  return true;
}

int RunList(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--json"});
  if (!parsed.ok()) return UsageError("model list", parsed.status().message());
  if (parsed->positional.size() > 1) return UsageError("model list", "give at most one NAME");
  auto st = OpenStore(ctx);
  if (!st.ok()) return Fail("list", st.status());
  store::ModelsRepository repo(&(*st)->pool());
  auto list = repo.List(parsed->positional.empty() ? "" : parsed->positional[0]);
  if (!list.ok()) return Fail("list", list.status());
  if (parsed->Has("--json")) {
    json out = json::array();
    for (const auto& m : *list) out.push_back(m.ToJson());
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("  %-24s %7s  %-28s %-28s %-8s %-10s\n", "name", "version", "feature set", "label", "AUC", "trained");
  for (const auto& m : *list) {
    const json oof = m.metrics.value("validation", json::object()).value("out_of_fold", json::object());
    char auc[16] = "-";
    if (oof.contains("auc") && oof["auc"].is_number()) std::snprintf(auc, sizeof auc, "%.4f", oof["auc"].get<double>());
    std::printf("%c %-24s %7d  %-28s %-28s %-8s %-10s\n", m.active ? '*' : ' ', m.name.c_str(), m.version,
                m.feature_set.c_str(), m.label.c_str(), auc,
                market::FormatTimestampUs(m.created_at_us).substr(0, 10).c_str());
  }
  return 0;
}

int RunShow(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {});
  if (!parsed.ok()) return UsageError("model show", parsed.status().message());
  const auto& p = parsed->positional;
  int version = 0;
  if (p.empty() || p.size() > 2) return UsageError("model show", "give NAME [VERSION]");
  if (p.size() == 2 && !ParseVersion(p[1], &version)) {
    return UsageError("model show", "VERSION '" + p[1] + "' must be a whole number >= 1");
  }
  auto st = OpenStore(ctx);
  if (!st.ok()) return Fail("show", st.status());
  store::ModelsRepository repo(&(*st)->pool());
  auto m = version > 0 ? repo.Find(p[0], version) : repo.Active(p[0]);
  if (!m.ok()) return Fail("show", m.status());
  std::cout << m->ToJson().dump(2) << "\n";
  return 0;
}

int RunActivate(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {});
  if (!parsed.ok()) return UsageError("model activate", parsed.status().message());
  const auto& p = parsed->positional;
  int version = 0;
  if (p.size() != 2) return UsageError("model activate", "give NAME VERSION");
  if (!ParseVersion(p[1], &version)) {
    return UsageError("model activate", "VERSION '" + p[1] + "' must be a whole number >= 1");
  }
  auto st = OpenStore(ctx);
  if (!st.ok()) return Fail("activate", st.status());
  store::ModelsRepository repo(&(*st)->pool());
  if (Status s = repo.SetActive(p[0], version); !s.ok()) return Fail("activate", s);
  std::printf("model %s: version %d is active\n", p[0].c_str(), version);
  return 0;
}

const CommandRegistrar kList({"model list", "List registered model versions", kListUsage, &RunList});
const CommandRegistrar kShow({"model show", "Show one model version (default: the active one)", kShowUsage,
                              &RunShow});
const CommandRegistrar kActivate({"model activate", "Make a model version the active one", kActivateUsage,
                                  &RunActivate});

}  // namespace
}  // namespace sf::app
