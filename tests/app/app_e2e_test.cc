// End-to-end tests of the real `signalforge` executable (SF_BINARY): the CLI
// contract (exit codes, help for every command), config validation and
// environment overrides, `serve` answering over real HTTP on loopback, clean
// shutdown on signals, and the plugin commands against real .so files.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "process.h"

namespace {

using nlohmann::json;
using sf::test::ProcessOptions;
using sf::test::RunResult;
namespace fs = std::filesystem;

const std::string kBinary = SF_BINARY;

// A scratch folder the binary runs in (so the embedded database and any
// relative path land there), removed afterwards.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sf_app_e2e_XXXXXX";
    path_ = mkdtemp(tmpl);
    // The embedded PostgreSQL runs as the postgres user when tests run as
    // root: it must be able to enter this folder.
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    // A server killed by the harness after a failure leaves its embedded
    // PostgreSQL behind: stop it (immediate shutdown) before deleting.
    std::ifstream pid_file(path_ + "/pg/postmaster.pid");
    long pid = 0;
    if (pid_file >> pid && pid > 1) kill(static_cast<pid_t>(pid), SIGQUIT);
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }

 private:
  std::string path_;
};

class AppTest : public ::testing::Test {
 protected:
  // Runs the binary from the repository root, as the README does, so the
  // repo-relative defaults of every room (migrations, calendars...) resolve.
  RunResult Sf(const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env = {},
               const std::string& cwd = SF_SOURCE_DIR) {
    ProcessOptions o;
    o.cwd = cwd;
    o.env = env;
    return sf::test::Run(kBinary, args, o);
  }
  ProcessOptions Options(std::map<std::string, std::string> env = {}) {
    return ProcessOptions{SF_SOURCE_DIR, std::move(env), std::chrono::seconds(90)};
  }

  // A config for `serve`: a free port, the build's plugins, the embedded
  // database in the scratch folder. `patch` is merged over it.
  std::string ServeConfig(const json& patch = json::object()) {
    json cfg = {{"http", {{"host", "127.0.0.1"}, {"port", 0}, {"threads", 4}}},
                {"plugins", {{"directories", {SF_PLUGIN_DIR}}}},
                {"database", {{"data_dir", dir_.path() + "/pg"}}}};
    cfg.merge_patch(patch);
    return dir_.Write("serve.json", cfg.dump(2));
  }

  TempDir dir_;
};

std::string Describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.signal) +
         "\n--- stdout\n" + r.out + "\n--- stderr\n" + r.err;
}

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  json body;
};

HttpAnswer Get(int port, const std::string& path, const std::string& method = "GET") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  std::string text;
  Poco::StreamCopier::copyToString(in, text);
  HttpAnswer a;
  a.status = resp.getStatus();
  a.content_type = resp.getContentType();
  a.body = json::parse(text, nullptr, false);
  return a;
}

// ---- version and help --------------------------------------------------------

TEST_F(AppTest, VersionPrintsVersionAndAbi) {
  auto r = Sf({"version"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find(std::string("signalforge ") + SF_VERSION + "\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("abi 1.0\n"), std::string::npos) << r.out;

  auto j = Sf({"version", "--json"});
  ASSERT_EQ(j.exit_code, 0) << Describe(j);
  json v = json::parse(j.out);
  EXPECT_EQ(v["version"], SF_VERSION);
  EXPECT_EQ(v["abi"], "1.0");
  EXPECT_TRUE(v["git"].is_string());

  EXPECT_EQ(Sf({"--version"}).out, r.out);
}

TEST_F(AppTest, VersionNeedsNoConfigFile) {
  // The scratch folder has no config/; `version` must not care.
  auto r = Sf({"version"}, {}, dir_.path());
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

// Every command `--help` lists, including other rooms' commands.
std::vector<std::string> ListedCommands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream in(help.substr(help.find("Commands:")));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && !line.empty()) {
    // "  plugin check   Load one ..." : the name ends at the first double space.
    auto start = line.find_first_not_of(' ');
    auto end = line.find("  ", start);
    names.push_back(line.substr(start, end - start));
  }
  return names;
}

TEST_F(AppTest, HelpListsTheCommandsAndEachHasItsOwnHelp) {
  auto r = Sf({"--help"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("Usage: signalforge"), std::string::npos);
  EXPECT_NE(r.out.find("--config FILE"), std::string::npos);
  EXPECT_NE(r.out.find("SIGNALFORGE_HTTP_PORT"), std::string::npos);
  EXPECT_EQ(Sf({"help"}).out, r.out);
  EXPECT_EQ(Sf({"-h"}).out, r.out);

  auto names = ListedCommands(r.out);
  for (const char* required : {"serve", "plugins", "plugin check", "version", "help"})
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;

  for (const auto& name : names) {
    if (name == "help") continue;
    std::vector<std::string> args;
    std::istringstream words(name);
    for (std::string w; words >> w;) args.push_back(w);
    args.push_back("--help");
    auto h = Sf(args);
    EXPECT_EQ(h.exit_code, 0) << name << "\n" << Describe(h);
    EXPECT_FALSE(h.out.empty()) << name;
    EXPECT_NE(h.out.find(name), std::string::npos) << name << " help does not name it:\n" << h.out;
    std::vector<std::string> via_help = {"help"};
    via_help.insert(via_help.end(), args.begin(), args.end() - 1);
    EXPECT_EQ(Sf(via_help).out, h.out) << name;
  }
}

TEST_F(AppTest, OwnCommandsDocumentTheirOptions) {
  EXPECT_NE(Sf({"serve", "--help"}).out.find("GET /healthz"), std::string::npos);
  EXPECT_NE(Sf({"plugins", "--help"}).out.find("--json"), std::string::npos);
  EXPECT_NE(Sf({"plugin", "check", "--help"}).out.find("refused: <reason>"), std::string::npos);
  EXPECT_NE(Sf({"version", "--help"}).out.find("--json"), std::string::npos);
}

// ---- usage errors exit 2 ----------------------------------------------------

TEST_F(AppTest, UsageErrorsExitTwoWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {{"frobnicate"}, "unknown command 'frobnicate'"},
           {{}, "no command given"},
           {{"--bogus", "version"}, "unknown option --bogus"},
           {{"version", "--bogus"}, "version: unknown option --bogus"},
           {{"version", "extra"}, "unexpected argument 'extra'"},
           {{"serve", "--config", ServeConfig(), "--port", "80"}, "serve: unknown option --port"},
           {{"plugin"}, "plugin: missing subcommand; one of:\n  signalforge plugin check"},
           {{"plugin", "inspect"}, "unknown subcommand 'inspect'"},
           {{"plugin", "check"}, "missing FILE.so"},
           {{"plugin", "check", "a.so", "b.so"}, "expected one FILE.so, got 2"},
           {{"--log-format", "xml", "version"}, "--log-format \"xml\" is not text or json"},
           {{"--log-level", "loud", "version"}, "unknown log level \"loud\""},
           {{"version", "--config"}, "option --config needs a value"},
       }) {
    auto r = Sf(c.args);
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << Describe(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << joined << "\n" << Describe(r);
  }
}

// ---- config validation ------------------------------------------------------

TEST_F(AppTest, InvalidConfigIsRefusedWithKeyPathAndReason) {
  struct Case {
    std::string config;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"http": {"port": 70000}})",
            "config error at /http/port: 70000 is greater than maximum 65535"},
           {R"({"http": {"port": "80"}})",
            "config error at /http/port: expected integer, got string"},
           {R"({"http": {"prot": 80}})", "config error at /http/prot: unknown property \"prot\""},
           {R"({"databse": {}})", "config error at /databse: unknown property \"databse\""},
           {R"({"log": {"format": "xml"}})",
            "config error at /log/format: \"xml\" is not one of [\"text\",\"json\"]"},
           {R"({"plugins": {"directories": "build/plugins"}})",
            "config error at /plugins/directories: expected array, got string"},
           {R"({"plugins": {"config": {"org.x": 5}}})",
            "config error at /plugins/config/org.x: expected object, got integer 5"},
           {R"({"http": {"threads": 0}})",
            "config error at /http/threads: 0 is less than minimum 1"},
           {R"([1, 2])", "must hold a JSON object"},
           {R"({"http": {"port": 80,}})", "is not valid JSON"},
       }) {
    const std::string path = dir_.Write("bad.json", c.config);
    auto r = Sf({"serve", "--config", path});
    EXPECT_EQ(r.exit_code, 1) << c.config << "\n" << Describe(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.config << "\n" << Describe(r);
    EXPECT_EQ(r.out.find("listening"), std::string::npos) << "started despite a bad config";
  }
}

TEST_F(AppTest, EveryViolationIsListed) {
  const std::string path =
      dir_.Write("bad.json", R"({"http": {"port": -1, "host": ""}, "log": {"level": "loud"}})");
  auto r = Sf({"plugins", "--config", path});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  for (const char* m : {"config error at /http/host: \"\" is shorter than minLength 1",
                        "config error at /http/port: -1 is less than minimum 0",
                        "config error at /log/level: \"loud\" is not one of"})
    EXPECT_NE(r.err.find(m), std::string::npos) << m << "\n" << Describe(r);
}

TEST_F(AppTest, MissingConfigFileIsNamed) {
  auto r = Sf({"serve", "--config", "nowhere.json"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("cannot read config file nowhere.json"), std::string::npos) << r.err;
  // Without --config the default path is relative to the current directory.
  auto d = Sf({"plugins"}, {}, dir_.path());
  EXPECT_EQ(d.exit_code, 1) << Describe(d);
  EXPECT_NE(d.err.find("cannot read config file config/signalforge.json"), std::string::npos)
      << d.err;
}

TEST_F(AppTest, ShippedDefaultConfigIsAccepted) {
  auto r = Sf({"plugins", "--json"});  // config/signalforge.json from the repository root
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(json::accept(r.out)) << r.out;
}

// ---- environment overrides --------------------------------------------------

TEST_F(AppTest, BadEnvironmentValueIsRefusedNamingTheVariable) {
  auto r = Sf({"serve", "--config", ServeConfig()}, {{"SIGNALFORGE_HTTP_PORT", "eighty"}});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("SIGNALFORGE_HTTP_PORT=\"eighty\" is not a valid integer for config key "
                       "/http/port"),
            std::string::npos)
      << Describe(r);

  auto range = Sf({"serve", "--config", ServeConfig()}, {{"SIGNALFORGE_HTTP_PORT", "70000"}});
  EXPECT_EQ(range.exit_code, 1) << Describe(range);
  EXPECT_NE(range.err.find("config error at /http/port: 70000 is greater than maximum 65535 "
                           "(set by environment variable SIGNALFORGE_HTTP_PORT)"),
            std::string::npos)
      << Describe(range);

  auto fmt = Sf({"serve", "--config", ServeConfig()}, {{"SIGNALFORGE_LOG_FORMAT", "xml"}});
  EXPECT_EQ(fmt.exit_code, 1) << Describe(fmt);
  EXPECT_NE(fmt.err.find("SIGNALFORGE_LOG_FORMAT"), std::string::npos) << Describe(fmt);
}

TEST_F(AppTest, EnvironmentOverridesTheFileBeforeValidation) {
  // The file's port is invalid; the environment's replaces it before the
  // schema sees it, so the server starts on a free port.
  const std::string cfg = ServeConfig({{"http", {{"port", 70000}}}});
  sf::test::Server server(
      kBinary, {"serve", "--config", cfg},
      Options({{"SIGNALFORGE_HTTP_PORT", "0"}, {"SIGNALFORGE_LOG_FORMAT", "json"}}));
  ASSERT_TRUE(server.WaitListening(std::chrono::seconds(90))) << server.err();
  EXPECT_NE(server.port(), 70000);
  EXPECT_EQ(Get(server.port(), "/healthz").status, 200);
  auto r = server.Stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  // SIGNALFORGE_LOG_FORMAT=json took effect too: every log line is JSON.
  std::istringstream lines(r.err);
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON line: " << line;
    for (const char* k : {"ts", "level", "logger", "msg"}) EXPECT_TRUE(j.contains(k)) << line;
    ++count;
  }
  EXPECT_GT(count, 2);
}

TEST_F(AppTest, UnknownSignalforgeVariableIsWarnedAbout) {
  auto r = Sf({"plugins", "--config", ServeConfig()}, {{"SIGNALFORGE_HTTP_PROT", "1"}});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.err.find("SIGNALFORGE_HTTP_PROT matches no config key"), std::string::npos) << r.err;
}

// ---- serve ------------------------------------------------------------------

TEST_F(AppTest, ServeAnswersHealthAndReadinessAndStopsCleanlyOnSigterm) {
  sf::test::Server server(
      kBinary, {"serve", "--config", ServeConfig({{"http", {{"max_body_bytes", 2048}}}})},
      Options());
  ASSERT_TRUE(server.WaitListening(std::chrono::seconds(90))) << server.err();

  auto health = Get(server.port(), "/healthz");
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.content_type, "application/json");
  EXPECT_EQ(health.body["status"], "ok");
  EXPECT_EQ(health.body["version"], SF_VERSION);
  EXPECT_EQ(health.body["abi"], "1.0");
  ASSERT_TRUE(health.body["plugins"].is_array());
  ASSERT_TRUE(health.body["services"].is_object());
  EXPECT_EQ(health.body["services"]["http"]["ready"], true) << health.body;
  EXPECT_EQ(health.body["services"]["http"]["address"],
            "http://127.0.0.1:" + std::to_string(server.port()));
#ifdef SF_HELLO_PLUGIN
  bool hello = false;
  for (const auto& p : health.body["plugins"]) {
    if (p["id"] != "org.signalforge.hello") continue;
    hello = true;
    EXPECT_NE(std::find(p["components"].begin(), p["components"].end(), "provider:hello"),
              p["components"].end())
        << p;
  }
  EXPECT_TRUE(hello) << "org.signalforge.hello missing from /healthz: " << health.body;
#endif

  auto ready = Get(server.port(), "/readyz");
  EXPECT_EQ(ready.status, health.body["ready"] == true ? 200 : 503) << ready.body;
  EXPECT_EQ(ready.body["ready"], health.body["ready"]);
  EXPECT_EQ(ready.body["services"].size(), health.body["services"].size());

  auto missing = Get(server.port(), "/no/such/path");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"]["code"], "not_found") << missing.body;
  EXPECT_EQ(Get(server.port(), "/healthz", "POST").status, 405);

  // A body over http.max_body_bytes is refused before any handler runs.
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port()));
  Poco::Net::HTTPRequest big("POST", "/anything", Poco::Net::HTTPMessage::HTTP_1_1);
  const std::string body(4096, 'x');
  big.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(big) << body;
  Poco::Net::HTTPResponse big_resp;
  std::string text;
  Poco::StreamCopier::copyToString(session.receiveResponse(big_resp), text);
  EXPECT_EQ(big_resp.getStatus(), 413);
  EXPECT_EQ(json::parse(text)["error"]["code"], "too_large") << text;

  auto r = server.Stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.err.find("stopping service http"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("signalforge stopped"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.rfind("signalforge listening on http://127.0.0.1:", 0), 0u) << r.out;
}

TEST_F(AppTest, ServeStopsCleanlyOnSigint) {
  sf::test::Server server(kBinary, {"serve", "--config", ServeConfig()}, Options());
  ASSERT_TRUE(server.WaitListening(std::chrono::seconds(90))) << server.err();
  EXPECT_EQ(Get(server.port(), "/readyz").body.is_object(), true);
  auto r = server.Stop(SIGINT);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
}

TEST_F(AppTest, ServeFailsClearlyWhenThePortIsTaken) {
  Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = taken.address().port();
  auto r = Sf({"serve", "--config", ServeConfig({{"http", {{"port", port}}}})});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("service http failed to start"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << r.err;
}

// ---- plugins ----------------------------------------------------------------

#ifdef SF_HELLO_PLUGIN
TEST_F(AppTest, PluginsListsLoadedPluginsAndComponents) {
  auto r = Sf({"plugins", "--config", ServeConfig()});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("org.signalforge.hello"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("provider hello"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("indicator hello_sum"), std::string::npos) << r.out;

  auto j = Sf({"plugins", "--json", "--config", ServeConfig()});
  ASSERT_EQ(j.exit_code, 0) << Describe(j);
  json out = json::parse(j.out);
  const json* hello = nullptr;
  for (const auto& p : out["plugins"])
    if (p["id"] == "org.signalforge.hello") hello = &p;
  ASSERT_NE(hello, nullptr) << out;
  EXPECT_EQ((*hello)["path"], fs::path(SF_HELLO_PLUGIN).lexically_normal().string());
  EXPECT_EQ((*hello)["abi"], "1.0");
  std::set<std::string> components;
  for (const auto& c : (*hello)["components"])
    components.insert(c["kind"].get<std::string>() + ":" + c["id"].get<std::string>());
  EXPECT_TRUE(components.count("provider:hello")) << *hello;
  EXPECT_TRUE(components.count("indicator:hello_sum")) << *hello;
  EXPECT_TRUE(out["refused"].is_array());
}

TEST_F(AppTest, PluginCheckPrintsTheManifest) {
  auto r = Sf({"plugin", "check", SF_HELLO_PLUGIN});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out.rfind("org.signalforge.hello ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("abi: 1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("provider hello"), std::string::npos) << r.out;

  auto j = Sf({"plugin", "check", "--json", SF_HELLO_PLUGIN});
  ASSERT_EQ(j.exit_code, 0) << Describe(j);
  json m = json::parse(j.out);
  EXPECT_EQ(m["loaded"], true);
  EXPECT_EQ(m["id"], "org.signalforge.hello");
  EXPECT_FALSE(m["version"].get<std::string>().empty());
  EXPECT_GE(m["components"].size(), 2u);
}
#endif

TEST_F(AppTest, PluginCheckRefusesANonElfFile) {
  const std::string fake = dir_.Write("fake.so", "this is not a shared library\n");
  auto r = Sf({"plugin", "check", fake});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_EQ(r.err.rfind("refused: ", 0), 0u) << Describe(r);
  EXPECT_NE(r.err.find("ELF"), std::string::npos) << Describe(r);

  auto j = Sf({"plugin", "check", "--json", fake});
  EXPECT_EQ(j.exit_code, 1) << Describe(j);
  json m = json::parse(j.out);
  EXPECT_EQ(m["loaded"], false);
  EXPECT_EQ(m["path"], fake);
  EXPECT_FALSE(m["reason"].get<std::string>().empty());

  auto missing = Sf({"plugin", "check", dir_.path() + "/absent.so"});
  EXPECT_EQ(missing.exit_code, 1) << Describe(missing);
  EXPECT_EQ(missing.err.rfind("refused: ", 0), 0u) << Describe(missing);
}

TEST_F(AppTest, ABadLibraryInThePluginFolderDoesNotStopServe) {
  fs::create_directories(dir_.path() + "/plugins");
  dir_.Write("plugins/broken.so", "garbage");
#ifdef SF_HELLO_PLUGIN
  fs::copy_file(SF_HELLO_PLUGIN, dir_.path() + "/plugins/hello.so");
#endif
  const std::string cfg = ServeConfig({{"plugins", {{"directories", {dir_.path() + "/plugins"}}}}});
  sf::test::Server server(kBinary, {"serve", "--config", cfg}, Options());
  ASSERT_TRUE(server.WaitListening(std::chrono::seconds(90))) << server.err();
  auto health = Get(server.port(), "/healthz");
  EXPECT_EQ(health.status, 200);
#ifdef SF_HELLO_PLUGIN
  ASSERT_EQ(health.body["plugins"].size(), 1u) << health.body;
  EXPECT_EQ(health.body["plugins"][0]["id"], "org.signalforge.hello");
#else
  EXPECT_EQ(health.body["plugins"].size(), 0u) << health.body;
#endif
  auto r = server.Stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.err.find("broken.so"), std::string::npos) << "refusal not logged:\n" << r.err;
}

}  // namespace
