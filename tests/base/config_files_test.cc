// The shipped schema and config files: the schema compiles with our
// validator, maps to environment variables without collisions, and every
// config file in config/ (default and examples) is valid.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/env_overrides.h"
#include "base/json_schema.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in) << p;
  return json::parse(in);
}

sf::base::JsonSchema Schema() {
  auto s = sf::base::JsonSchema::Compile(
      ReadJson(fs::path(SF_SOURCE_DIR) / "schemas/config.schema.json"));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) std::abort();
  return *s;
}

TEST(ConfigSchema, CompilesAndItsDefaultsAreValid) {
  auto schema = Schema();
  json empty = json::object();
  schema.ApplyDefaults(empty);
  EXPECT_TRUE(schema.Validate(empty).empty()) << schema.Validate(empty)[0].ToString();
  EXPECT_EQ(empty["http"]["host"], "127.0.0.1");
  EXPECT_EQ(empty["http"]["port"], 8080);
  EXPECT_EQ(empty["log"]["format"], "text");
  EXPECT_EQ(empty["plugins"]["directories"], json::array({"build/plugins"}));
  EXPECT_EQ(empty["database"]["data_dir"], "var/pg");
}

TEST(ConfigSchema, EveryKeyHasAnEnvironmentVariable) {
  auto doc = ReadJson(fs::path(SF_SOURCE_DIR) / "schemas/config.schema.json");
  auto bindings = sf::base::EnvBindings(doc, "SIGNALFORGE");
  ASSERT_TRUE(bindings.ok()) << bindings.status().ToString();
  std::set<std::string> names;
  for (const auto& b : *bindings) names.insert(b.variable);
  for (const char* expected :
       {"SIGNALFORGE_HTTP_PORT", "SIGNALFORGE_HTTP_HOST", "SIGNALFORGE_DATABASE_URL",
        "SIGNALFORGE_JWT_SECRET", "SIGNALFORGE_AUTH_JWT_SECRET", "SIGNALFORGE_LOG_FORMAT",
        "SIGNALFORGE_PLUGINS_DIRECTORIES"})
    EXPECT_TRUE(names.count(expected)) << expected;
}

TEST(ConfigFiles, DefaultAndExamplesAreValid) {
  auto schema = Schema();
  std::vector<fs::path> files = {fs::path(SF_SOURCE_DIR) / "config/signalforge.json"};
  for (const auto& e : fs::directory_iterator(fs::path(SF_SOURCE_DIR) / "config/examples"))
    if (e.path().extension() == ".json") files.push_back(e.path());
  ASSERT_GE(files.size(), 3u);
  for (const auto& f : files) {
    json doc = ReadJson(f);
    schema.ApplyDefaults(doc);
    auto errors = schema.Validate(doc);
    EXPECT_TRUE(errors.empty()) << f << ": " << (errors.empty() ? "" : errors[0].ToString());
  }
}

}  // namespace
