// `signalforge user ...`: API accounts from the command line (the operator's
// way to create the first admin, change a tier or disable an account
// without the API). Every change is written to audit_log with actor "cli".
#include <cstdlib>
#include <iostream>
#include <string>

#include "api/router.h"
#include "api/secrets.h"
#include "app/command.h"
#include "app/context.h"
#include "store/audit_repository.h"
#include "store/refresh_tokens_repository.h"
#include "store/store.h"
#include "store/users_repository.h"

namespace sf::app {
namespace {

using nlohmann::json;

constexpr const char* kCreateUsage =
    R"(Usage: signalforge user create --email EMAIL [--admin | --tier TIER] [--config FILE]

Creates an API account. The password is read from the first line of stdin,
or from SIGNALFORGE_USER_PASSWORD when set (never from the command line,
where other users could read it). At least 10 characters.
  --admin      the account gets the admin tier (same as --tier admin)
  --tier TIER  free (default), premium, pro or admin
Applies pending migrations first. Prints the new account's id.
Exit codes: 0 created, 1 failure (e.g. the email exists), 2 usage error.
)";

constexpr const char* kSetTierUsage =
    R"(Usage: signalforge user set-tier --email EMAIL --tier TIER [--config FILE]

Changes an account's tier (free, premium, pro, admin); audited.
)";

constexpr const char* kDisableUsage =
    R"(Usage: signalforge user disable --email EMAIL [--config FILE]

Suspends an account: its tokens and API keys stop working (at once on this
database; within api.auth_cache_ms on running servers) and its refresh
tokens are revoked. `user enable` reactivates it. Audited.
)";

constexpr const char* kEnableUsage =
    R"(Usage: signalforge user enable --email EMAIL [--config FILE]

Reactivates a suspended account. Audited.
)";

constexpr const char* kListUsage = R"(Usage: signalforge user list [--json] [--config FILE]

Lists accounts: id, email, tier, status.
)";

StatusOr<std::unique_ptr<store::Store>> Open(Context& ctx) {
  const json db = ctx.config().value("database", json::object());
  store::StoreOptions o =
      store::StoreOptionsFromConfig(db, [&ctx](const std::string& p) { return ctx.ResolvePath(p); });
  o.migrate = true;
  o.pool_size = 2;
  o.stop_adopted_cluster = false;  // a running cluster may belong to a live serve
  return store::Store::Open(o);
}

int Fail(const std::string& cmd, const std::string& message) {
  std::cerr << "signalforge: user " << cmd << ": " << message << "\n";
  return 1;
}

api::PasswordCost CostFromConfig(const json& config) {
  const json pw = config.value("api", json::object()).value("password", json::object());
  api::PasswordCost cost;
  cost.ops_limit = pw.value("ops_limit", cost.ops_limit);
  cost.mem_limit_kib = pw.value("mem_limit_kib", cost.mem_limit_kib);
  return cost;
}

int Create(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--admin"}, {"--email", "--tier"});
  if (!parsed.ok()) return UsageError("user create", parsed.status().message());
  const std::string email = parsed->Get("--email");
  if (email.empty()) return UsageError("user create", "--email is required");
  std::string tier = parsed->Has("--admin") ? "admin" : parsed->Get("--tier", "free");
  if (parsed->Has("--admin") && parsed->Has("--tier") && parsed->Get("--tier") != "admin")
    return UsageError("user create", "--admin and --tier " + parsed->Get("--tier") + " disagree");
  if (!api::ParseTier(tier))
    return UsageError("user create", "--tier must be free, premium, pro or admin, got '" + tier + "'");
  std::string password;
  if (const char* env = std::getenv("SIGNALFORGE_USER_PASSWORD")) {
    password = env;
  } else {
    std::getline(std::cin, password);
  }
  Status rules = api::CheckPasswordRules(password);
  if (!rules.ok()) return Fail("create", "the password: " + rules.message());
  auto st = Open(ctx);
  if (!st.ok()) return Fail("create", st.status().ToString());
  store::Pool* pool = &(*st)->pool();
  auto hash = api::HashPassword(password, CostFromConfig(ctx.config()));
  if (!hash.ok()) return Fail("create", hash.status().ToString());
  store::UsersRepository users(pool);
  auto user = users.Create(email, *hash, tier);
  if (!user.ok()) return Fail("create", user.status().message());
  store::AuditRepository audit(pool);
  auto logged = audit.Append("cli", "user.create", "user:" + std::to_string(user->id),
                             {{"email", email}, {"tier", tier}});
  if (!logged.ok()) return Fail("create", logged.status().ToString());
  std::cout << user->id << "\n";
  return 0;
}

// Applies `change` to the account with --email and audits what changed.
int Change(Context& ctx, const std::string& cmd, const std::string& email,
           const store::UserChange& change) {
  auto st = Open(ctx);
  if (!st.ok()) return Fail(cmd, st.status().ToString());
  store::Pool* pool = &(*st)->pool();
  store::UsersRepository users(pool);
  auto found = users.FindByEmail(email);
  if (!found.ok()) return Fail(cmd, found.status().ToString());
  if (!*found) return Fail(cmd, "no account has the email " + email);
  store::UserRow before;
  auto after = users.Update((*found)->id, change, &before);
  if (!after.ok()) return Fail(cmd, after.status().ToString());
  if (!*after) return Fail(cmd, "the account " + email + " disappeared");
  const std::string target = "user:" + std::to_string(before.id);
  store::AuditRepository audit(pool);
  if (before.tier != (*after)->tier) {
    auto a = audit.Append("cli", "user.tier_change", target,
                          {{"from", before.tier}, {"to", (*after)->tier}});
    if (!a.ok()) return Fail(cmd, a.status().ToString());
  }
  if (before.status != (*after)->status) {
    auto a = audit.Append("cli", "user.status_change", target,
                          {{"from", before.status}, {"to", (*after)->status}});
    if (!a.ok()) return Fail(cmd, a.status().ToString());
    if ((*after)->status != "active") {
      Status s = store::RefreshTokensRepository(pool).RevokeAllForUser(before.id);
      if (!s.ok()) return Fail(cmd, s.ToString());
    }
  }
  std::cout << email << ": tier " << (*after)->tier << ", status " << (*after)->status << "\n";
  return 0;
}

int SetTier(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {}, {"--email", "--tier"});
  if (!parsed.ok()) return UsageError("user set-tier", parsed.status().message());
  if (!parsed->Has("--email") || !parsed->Has("--tier"))
    return UsageError("user set-tier", "--email and --tier are required");
  const std::string tier = parsed->Get("--tier");
  if (!api::ParseTier(tier))
    return UsageError("user set-tier",
                      "--tier must be free, premium, pro or admin, got '" + tier + "'");
  store::UserChange change;
  change.tier = tier;
  return Change(ctx, "set-tier", parsed->Get("--email"), change);
}

int SetStatus(Context& ctx, const std::vector<std::string>& args, const std::string& cmd,
              const std::string& status) {
  auto parsed = ParseArgs(args, {}, {"--email"});
  if (!parsed.ok()) return UsageError("user " + cmd, parsed.status().message());
  if (!parsed->Has("--email")) return UsageError("user " + cmd, "--email is required");
  store::UserChange change;
  change.status = status;
  return Change(ctx, cmd, parsed->Get("--email"), change);
}

int Disable(Context& ctx, const std::vector<std::string>& args) {
  return SetStatus(ctx, args, "disable", "suspended");
}
int Enable(Context& ctx, const std::vector<std::string>& args) {
  return SetStatus(ctx, args, "enable", "active");
}

int List(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--json"});
  if (!parsed.ok()) return UsageError("user list", parsed.status().message());
  auto st = Open(ctx);
  if (!st.ok()) return Fail("list", st.status().ToString());
  store::UsersRepository users(&(*st)->pool());
  json all = json::array();
  int64_t after = 0;
  while (true) {
    auto page = users.List(after, 500, std::nullopt, std::nullopt);
    if (!page.ok()) return Fail("list", page.status().ToString());
    for (const auto& u : *page)
      all.push_back({{"id", u.id}, {"email", u.email}, {"tier", u.tier}, {"status", u.status}});
    if (page->size() < 500) break;
    after = page->back().id;
  }
  if (parsed->Has("--json")) {
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  for (const auto& u : all)
    std::cout << u["id"].get<int64_t>() << "\t" << u["email"].get<std::string>() << "\t"
              << u["tier"].get<std::string>() << "\t" << u["status"].get<std::string>() << "\n";
  return 0;
}

const CommandRegistrar kCreate({"user create", "Create an API account (--admin for an admin)",
                                kCreateUsage, &Create});
const CommandRegistrar kSetTier({"user set-tier", "Change an API account's tier", kSetTierUsage,
                                 &SetTier});
const CommandRegistrar kDisable({"user disable", "Suspend an API account", kDisableUsage,
                                 &Disable});
const CommandRegistrar kEnable({"user enable", "Reactivate a suspended API account", kEnableUsage,
                                &Enable});
const CommandRegistrar kList({"user list", "List API accounts", kListUsage, &List});

}  // namespace
}  // namespace sf::app
