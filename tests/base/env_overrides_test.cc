// sf::base env overrides: names derived from the schema, typed parsing,
// refusals that name the variable, precedence and collisions.
#include "base/env_overrides.h"

#include <gtest/gtest.h>

#include <map>

namespace {

using nlohmann::json;
using namespace sf::base;
using sf::Status;

const json kSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "http": {"$ref": "#/$defs/http"},
    "database": {"type": "object", "properties": {
      "url": {"type": "string"},
      "data_dir": {"type": "string"}}},
    "auth": {"type": "object", "properties": {
      "jwt_secret": {"type": "string", "x-env-alias": "SIGNALFORGE_JWT_SECRET"}}},
    "plugins": {"type": "object", "properties": {
      "directories": {"type": "array", "items": {"type": "string"}},
      "probe": {"type": "boolean"},
      "config": {"type": "object"}}},
    "ratio": {"type": "number"},
    "maybe": {"type": ["integer", "null", "string"]}
  },
  "$defs": {"http": {"type": "object", "properties": {
      "port": {"type": "integer"}, "host": {"type": "string"}}}}
})");

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<EnvBinding> Bindings() {
  auto b = EnvBindings(kSchema, "SIGNALFORGE");
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? *b : std::vector<EnvBinding>{};
}

TEST(EnvOverrides, NamesFollowThePathThroughRefs) {
  std::map<std::string, std::string> names;
  for (const auto& b : Bindings()) names[b.variable] = b.pointer;
  EXPECT_EQ(names["SIGNALFORGE_HTTP_PORT"], "/http/port");
  EXPECT_EQ(names["SIGNALFORGE_HTTP"], "/http");
  EXPECT_EQ(names["SIGNALFORGE_DATABASE_URL"], "/database/url");
  EXPECT_EQ(names["SIGNALFORGE_DATABASE_DATA_DIR"], "/database/data_dir");
  EXPECT_EQ(names["SIGNALFORGE_AUTH_JWT_SECRET"], "/auth/jwt_secret");
  EXPECT_EQ(names["SIGNALFORGE_JWT_SECRET"], "/auth/jwt_secret");  // alias
}

TEST(EnvOverrides, ValuesAreParsedByType) {
  json doc = json::parse(R"({"http": {"host": "h"}})");
  std::vector<std::string> used;
  ASSERT_TRUE(ApplyEnvOverrides(Bindings(),
                                FakeEnv({{"SIGNALFORGE_HTTP_PORT", "9000"},
                                         {"SIGNALFORGE_PLUGINS_PROBE", "false"},
                                         {"SIGNALFORGE_PLUGINS_DIRECTORIES", R"(["a","b"])"},
                                         {"SIGNALFORGE_PLUGINS_CONFIG", R"({"org.x":{"k":1}})"},
                                         {"SIGNALFORGE_RATIO", "0.5"},
                                         {"SIGNALFORGE_DATABASE_URL", "postgresql://u@h/db"},
                                         {"SIGNALFORGE_JWT_SECRET", "s3cret"}}),
                                doc, &used)
                  .ok());
  EXPECT_EQ(doc["http"], json::parse(R"({"host": "h", "port": 9000})"));
  EXPECT_EQ(doc["plugins"]["probe"], false);
  EXPECT_EQ(doc["plugins"]["directories"], json::parse(R"(["a","b"])"));
  EXPECT_EQ(doc["plugins"]["config"]["org.x"]["k"], 1);
  EXPECT_EQ(doc["ratio"], 0.5);
  EXPECT_EQ(doc["database"]["url"], "postgresql://u@h/db");
  EXPECT_EQ(doc["auth"]["jwt_secret"], "s3cret");
  EXPECT_EQ(used.size(), 7u);
}

TEST(EnvOverrides, StringsAreTakenVerbatim) {
  json doc;
  ASSERT_TRUE(ApplyEnvOverrides(Bindings(), FakeEnv({{"SIGNALFORGE_HTTP_HOST", "123"}}), doc).ok());
  EXPECT_EQ(doc["http"]["host"], "123");
}

TEST(EnvOverrides, MultipleTypesPreferIntegerThenNullThenString) {
  auto b = Bindings();
  for (const auto& [text, expected] : std::vector<std::pair<std::string, json>>{
           {"42", json(42)}, {"null", json(nullptr)}, {"x", json("x")}}) {
    json doc;
    ASSERT_TRUE(ApplyEnvOverrides(b, FakeEnv({{"SIGNALFORGE_MAYBE", text}}), doc).ok());
    EXPECT_EQ(doc["maybe"], expected) << text;
  }
}

TEST(EnvOverrides, BadValuesAreRefusedNamingTheVariable) {
  struct Case {
    std::string var, value, expect;
  };
  for (const auto& c : std::vector<Case>{
           {"SIGNALFORGE_HTTP_PORT", "80a",
            "environment variable SIGNALFORGE_HTTP_PORT=\"80a\" is not a valid integer for "
            "config key /http/port"},
           {"SIGNALFORGE_HTTP_PORT", "", "SIGNALFORGE_HTTP_PORT=\"\""},
           {"SIGNALFORGE_HTTP_PORT", "1.5", "not a valid integer"},
           {"SIGNALFORGE_PLUGINS_PROBE", "yes", "not a valid boolean (true/false/1/0)"},
           {"SIGNALFORGE_PLUGINS_DIRECTORIES", "a,b", "not a valid array (as JSON)"},
           {"SIGNALFORGE_PLUGINS_DIRECTORIES", "{}", "not a valid array (as JSON)"},
           {"SIGNALFORGE_RATIO", "fast", "not a valid number"},
       }) {
    json doc;
    Status st = ApplyEnvOverrides(Bindings(), FakeEnv({{c.var, c.value}}), doc);
    ASSERT_FALSE(st.ok()) << c.var << "=" << c.value;
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(c.var), std::string::npos) << st.message();
  }
}

TEST(EnvOverrides, ChildVariablesWinOverTheirParentsJson) {
  json doc;
  ASSERT_TRUE(ApplyEnvOverrides(Bindings(),
                                FakeEnv({{"SIGNALFORGE_HTTP", R"({"port": 1, "host": "a"})"},
                                         {"SIGNALFORGE_HTTP_PORT", "2"}}),
                                doc)
                  .ok());
  EXPECT_EQ(doc["http"], json::parse(R"({"port": 2, "host": "a"})"));
}

TEST(EnvOverrides, NonObjectParentIsRefusedNotCrashed) {
  json doc = json::parse(R"({"http": 5})");
  Status st = ApplyEnvOverrides(Bindings(), FakeEnv({{"SIGNALFORGE_HTTP_PORT", "2"}}), doc);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("SIGNALFORGE_HTTP_PORT cannot set /http/port"), std::string::npos)
      << st.message();
}

TEST(EnvOverrides, CollidingNamesAreRefused) {
  auto b = EnvBindings(json::parse(R"({"properties": {
      "a_b": {"type": "string"},
      "a": {"properties": {"b": {"type": "string"}}}}})"),
                       "P");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("P_A_B"), std::string::npos) << b.status().message();
}

TEST(EnvOverrides, UnknownVariablesWithThePrefixAreReported) {
  auto unknown = UnknownEnvVariables(
      Bindings(), "SIGNALFORGE",
      {"SIGNALFORGE_HTTP_PORT=1", "SIGNALFORGE_HTTP_PROT=1", "PATH=/bin", "SIGNALFORGEX=1"});
  EXPECT_EQ(unknown, std::vector<std::string>{"SIGNALFORGE_HTTP_PROT"});
}

TEST(EnvOverrides, ProcessEnvReadsTheRealEnvironment) {
  ASSERT_EQ(setenv("SIGNALFORGE_TEST_ONLY_VAR", "v", 1), 0);
  EXPECT_EQ(ProcessEnv()("SIGNALFORGE_TEST_ONLY_VAR"), std::optional<std::string>("v"));
  bool listed = false;
  for (const auto& e : ProcessEnvironment()) listed |= e == "SIGNALFORGE_TEST_ONLY_VAR=v";
  EXPECT_TRUE(listed);
  unsetenv("SIGNALFORGE_TEST_ONLY_VAR");
  EXPECT_EQ(ProcessEnv()("SIGNALFORGE_TEST_ONLY_VAR"), std::nullopt);
}

}  // namespace
