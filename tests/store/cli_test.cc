// `signalforge db migrate` / `db status` end to end: the real binary, its
// config handling, and the embedded cluster it starts and stops again; and
// `signalforge ingest` while `serve` owns the embedded cluster: the CLI
// uses that server and leaves it running.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <nlohmann/json.hpp>

#include "process.h"

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

// A scratch folder with sf.json: the embedded cluster in <dir>/pg, the
// source tree's migrations, `more` merged over that.
std::string ScratchConfig(std::string* dir, const nlohmann::json& more = nlohmann::json::object()) {
  char tmpl[] = "/tmp/sfcli-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return "";
  *dir = tmpl;
  chmod(tmpl, 0755);  // PostgreSQL runs as postgres when we are root
  nlohmann::json cfg = {
      {"database", {{"data_dir", *dir + "/pg"}, {"migrations_dir", SF_MIGRATIONS_DIR}}}};
  cfg.merge_patch(more);
  const std::string config = *dir + "/sf.json";
  std::ofstream(config) << cfg.dump();
  return config;
}

TEST(DbCommand, MigrateCreatesTheEmbeddedClusterThenIsANoOpAndStatusAgrees) {
  std::string dir;
  const std::string config = ScratchConfig(&dir);
  ASSERT_FALSE(config.empty());
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

// HTTP status of GET /healthz on the loopback port (0 when unreachable).
int Healthz(int port) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    session.receiveResponse(resp).ignore(1 << 20);
    return resp.getStatus();
  } catch (const std::exception&) {
    return 0;
  }
}

long PostmasterPid(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postmaster.pid");
  long pid = 0;
  in >> pid;
  return pid;
}

TEST(IngestCommand, RunWhileServeOwnsTheClusterUsesItAndNeverStopsIt) {
  std::string dir;
  const std::string config =
      ScratchConfig(&dir, {{"http", {{"host", "127.0.0.1"}, {"port", 0}, {"threads", 2}}},
                           {"plugins", {{"directories", {SF_PLUGIN_DIR}}}},
                           {"log", {{"level", "warn"}}}});
  ASSERT_FALSE(config.empty());
  sf::test::ProcessOptions o{SF_SOURCE_DIR, {}, std::chrono::seconds(120)};
  {
    sf::test::Server serve(SF_SIGNALFORGE, {"serve", "--config", config}, o);
    ASSERT_TRUE(serve.WaitListening(std::chrono::seconds(120))) << serve.err();
    ASSERT_EQ(Healthz(serve.port()), 200);
    const long postmaster = PostmasterPid(dir + "/pg");
    ASSERT_GT(postmaster, 1);

    const std::vector<std::string> ingest = {"ingest", "--config", config, "--provider", "csv",
                                             "--path", SF_SP500_DIR "/daily",
                                             "--symbols", "AAPL,MSFT,JPM", "--json"};
    sf::test::RunResult first = sf::test::Run(SF_SIGNALFORGE, ingest, o);
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    auto j = nlohmann::json::parse(first.out);
    EXPECT_EQ(j["symbols"], 3);
    const int64_t stored = j["bars_stored"].get<int64_t>();
    EXPECT_GT(stored, 3 * 1000);
    EXPECT_EQ(j["bars_new"], stored);
    EXPECT_TRUE(j["store_errors"].empty()) << j.dump();

    // The CLI borrowed serve's server: same postmaster, still running,
    // serve still answering.
    EXPECT_EQ(PostmasterPid(dir + "/pg"), postmaster);
    EXPECT_EQ(kill(static_cast<pid_t>(postmaster), 0), 0);
    EXPECT_EQ(Healthz(serve.port()), 200);

    // Another CLI sees the rows through the same server (serve's own market
    // service may be storing other bars meanwhile); a re-ingest stores
    // nothing twice.
    sf::test::RunResult count = sf::test::Run(
        SF_SIGNALFORGE,
        {"db", "psql", "--config", config, "--", "-At", "-c",
         "SELECT count(*) FROM bars b JOIN instruments i ON i.id = b.instrument_id"
         " WHERE i.symbol IN ('AAPL', 'MSFT', 'JPM')"},
        o);
    ASSERT_EQ(count.exit_code, 0) << count.out << count.err;
    EXPECT_EQ(count.out, std::to_string(stored) + "\n");
    sf::test::RunResult again = sf::test::Run(SF_SIGNALFORGE, ingest, o);
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    auto j2 = nlohmann::json::parse(again.out);
    EXPECT_EQ(j2["bars_stored"], 0);
    EXPECT_EQ(j2["bars_skipped"], stored);
    EXPECT_EQ(PostmasterPid(dir + "/pg"), postmaster);
    EXPECT_EQ(Healthz(serve.port()), 200);

    // serve, the owner, stops its cluster on a clean exit.
    sf::test::RunResult stopped = serve.Stop(SIGTERM);
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    EXPECT_FALSE(fs::exists(dir + "/pg/postmaster.pid"));
  }
  fs::remove_all(dir);
}

}  // namespace
