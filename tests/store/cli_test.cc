// `signalforge db migrate` / `db status` end to end: the real binary, its
// config handling, and the embedded cluster it starts and stops again.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int rc = -1;
  std::string out;
};

CommandResult Exec(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(DbCommand, MigrateCreatesTheEmbeddedClusterThenIsANoOpAndStatusAgrees) {
  char tmpl[] = "/tmp/sfcli-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  chmod(tmpl, 0755);  // PostgreSQL runs as postgres when we are root
  const std::string config = dir + "/sf.json";
  std::ofstream(config) << nlohmann::json{{"database",
                                           {{"data_dir", dir + "/pg"},
                                            {"migrations_dir", SF_MIGRATIONS_DIR}}}}
                               .dump();
  const std::string bin = std::string(SF_SIGNALFORGE) + " --config " + config + " ";

  CommandResult first = Exec(bin + "db migrate --json");
  ASSERT_EQ(first.rc, 0) << first.out;
  auto j = nlohmann::json::parse(first.out);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(SF_MIGRATIONS_DIR)) files += e.path().extension() == ".sql";
  EXPECT_EQ(j["applied"].size(), files);
  ASSERT_TRUE(fs::exists(dir + "/pg/PG_VERSION"));
  // The command stopped the cluster it started.
  EXPECT_FALSE(fs::exists(dir + "/pg/postmaster.pid"));

  CommandResult second = Exec(bin + "db migrate --json");
  ASSERT_EQ(second.rc, 0) << second.out;
  auto j2 = nlohmann::json::parse(second.out);
  EXPECT_TRUE(j2["applied"].empty());
  EXPECT_EQ(j2["version"], j["version"]);

  CommandResult status = Exec(bin + "db status --json");
  ASSERT_EQ(status.rc, 0) << status.out;
  auto s = nlohmann::json::parse(status.out);
  ASSERT_EQ(s["migrations"].size(), files);
  for (const auto& m : s["migrations"]) EXPECT_EQ(m["state"], "applied") << m.dump();
  EXPECT_EQ(s["rows"]["bars"], 0);

  // A broken URL is reported, not crashed on.
  CommandResult bad = Exec("SIGNALFORGE_DATABASE_URL='host=/nonexistent port=1 dbname=x' " + bin + "db status");
  EXPECT_EQ(bad.rc, 1);
  fs::remove_all(dir);
}

}  // namespace
