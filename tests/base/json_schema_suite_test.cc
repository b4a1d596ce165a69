// Runs the official JSON-Schema-Test-Suite (Debian package
// json-schema-test-suite) against sf::base::JsonSchema.
//
// Debian 12 ships suite version 2.0.0, whose newest draft is draft 7; the
// keywords we implement mean the same in draft 7 and 2020-12 except where
// listed in kSemanticDifferences. A group whose schema uses something we do
// not implement (tuple-form items, patternProperties, remote $ref...) must be
// refused by Compile() naming the construct -- never validated wrongly --
// and is counted as skipped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/json_schema.h"

namespace {

using nlohmann::json;
using sf::base::JsonSchema;

const std::string kDir = std::string(SF_JSON_SCHEMA_SUITE_DIR) + "/draft7/";

// The keyword files we run.
const char* const kSupportedFiles[] = {
    "additionalProperties.json",
    "allOf.json",
    "anyOf.json",
    "boolean_schema.json",
    "const.json",
    "default.json",
    "enum.json",
    "exclusiveMaximum.json",
    "exclusiveMinimum.json",
    "items.json",
    "maxItems.json",
    "maxLength.json",
    "maxProperties.json",
    "maximum.json",
    "minItems.json",
    "minLength.json",
    "minProperties.json",
    "minimum.json",
    "multipleOf.json",
    "not.json",
    "oneOf.json",
    "pattern.json",
    "properties.json",
    "ref.json",
    "required.json",
    "type.json",
    "uniqueItems.json",
};

// Keyword files skipped entirely, and why.
const std::pair<const char*, const char*> kSkippedFiles[] = {
    {"additionalItems.json", "tuple-form items/additionalItems are not supported"},
    {"contains.json", "contains is not supported"},
    {"definitions.json", "validates against the remote draft-07 meta-schema"},
    {"dependencies.json", "dependencies (draft 7) is not supported"},
    {"if-then-else.json", "if/then/else is not supported"},
    {"patternProperties.json", "patternProperties is not supported"},
    {"propertyNames.json", "propertyNames is not supported"},
    {"refRemote.json", "remote $ref is not supported"},
};

// Groups where draft 7 and 2020-12 disagree: in draft 7 a $ref hides its
// sibling keywords; in 2020-12 (what we implement) they apply.
const std::set<std::string> kSemanticDifferences = {
    "ref.json: ref overrides any sibling keywords",
};

bool IsUnsupportedRefusal(const std::string& message) {
  return message.find("not supported") != std::string::npos ||
         message.find("is not local") != std::string::npos ||
         message.find("names an anchor") != std::string::npos;
}

class SuiteFile : public ::testing::TestWithParam<const char*> {};

TEST_P(SuiteFile, AgreesWithTheSuite) {
  const std::string file = GetParam();
  std::ifstream in(kDir + file);
  ASSERT_TRUE(in) << "missing " << kDir << file
                  << ": install Debian's json-schema-test-suite (.ci/install-deps)";
  const json groups = json::parse(in);
  int ran = 0, skipped = 0;
  for (const auto& group : groups) {
    const std::string name = file + ": " + group["description"].get<std::string>();
    if (kSemanticDifferences.count(name)) {
      ++skipped;
      continue;
    }
    auto schema = JsonSchema::Compile(group["schema"]);
    if (!schema.ok()) {
      EXPECT_TRUE(IsUnsupportedRefusal(schema.status().message()))
          << name << ": refused for a reason other than an unsupported construct: "
          << schema.status().message();
      ++skipped;
      continue;
    }
    for (const auto& t : group["tests"]) {
      const bool expected = t["valid"].get<bool>();
      const auto errors = schema->Validate(t["data"]);
      EXPECT_EQ(schema->IsValid(t["data"]), expected)
          << name << " / " << t["description"].get<std::string>() << "\n data: " << t["data"];
      EXPECT_EQ(errors.empty(), expected)
          << name << " / " << t["description"].get<std::string>() << "\n data: " << t["data"]
          << (errors.empty() ? "" : "\n first error: " + errors[0].ToString());
      ++ran;
    }
  }
  std::cout << file << ": " << ran << " cases run, " << skipped << " groups skipped\n";
  EXPECT_GT(ran, 0) << file << " ran no case at all";
}

INSTANTIATE_TEST_SUITE_P(Draft7, SuiteFile, ::testing::ValuesIn(kSupportedFiles),
                         [](const auto& info) {
                           std::string n = info.param;
                           n = n.substr(0, n.find('.'));
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// A newer suite with new keyword files must not be ignored silently.
TEST(SuiteInventory, EveryKeywordFileIsRunOrListedAsSkipped) {
  std::set<std::string> known;
  for (const char* f : kSupportedFiles) known.insert(f);
  for (const auto& [f, why] : kSkippedFiles) known.insert(f);
  ASSERT_TRUE(std::filesystem::is_directory(kDir)) << kDir;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    if (!entry.is_regular_file()) continue;
    EXPECT_TRUE(known.count(entry.path().filename().string()))
        << entry.path() << " is neither run nor listed in kSkippedFiles";
  }
}

// The skipped files really use what we refuse: compiling their schemas
// fails (or, for definitions.json, needs a remote schema).
TEST(SuiteInventory, SkippedFilesAreRefusedNotMisread) {
  for (const auto& [file, why] : kSkippedFiles) {
    std::ifstream in(kDir + file);
    ASSERT_TRUE(in) << file;
    const json groups = json::parse(in);
    int refused = 0;
    for (const auto& group : groups) refused += !JsonSchema::Compile(group["schema"]).ok();
    EXPECT_GT(refused, 0) << file << " (" << why << ") has no schema we refuse";
  }
}

}  // namespace
