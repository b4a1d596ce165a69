// sf::base::JsonSchema: the messages users read, compile-time refusals,
// defaults, $ref recursion and concurrent use.
#include "base/json_schema.h"

#include <gtest/gtest.h>

#include <thread>

namespace {

using nlohmann::json;
using sf::base::JsonSchema;

JsonSchema MustCompile(const json& schema) {
  auto s = JsonSchema::Compile(schema);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) std::abort();
  return *s;
}

const json kHttpSchema = json::parse(R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "http": {"$ref": "#/$defs/http"},
    "name": {"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[a-z]+$"}
  },
  "$defs": {
    "http": {
      "type": "object",
      "additionalProperties": false,
      "required": ["port"],
      "properties": {
        "host": {"type": "string", "default": "127.0.0.1"},
        "port": {"type": "integer", "minimum": 0, "maximum": 65535, "default": 8080},
        "mode": {"enum": ["a", "b"]}
      }
    }
  }
})");

TEST(JsonSchema, MaximumNamesPointerValueAndLimit) {
  auto s = MustCompile(kHttpSchema);
  auto errors = s.Validate(json::parse(R"({"http": {"port": 70000}})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/http/port");
  EXPECT_EQ(errors[0].keyword, "maximum");
  EXPECT_EQ(errors[0].ToString(), "/http/port: 70000 is greater than maximum 65535");
}

TEST(JsonSchema, ReportsEveryViolationInDocumentOrder) {
  auto s = MustCompile(kHttpSchema);
  auto errors =
      s.Validate(json::parse(R"({"http": {"host": 5, "mode": "c", "prot": 1}, "name": "AB"})"));
  std::vector<std::string> got;
  for (const auto& e : errors) got.push_back(e.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "/http: missing required property \"port\"",
                     "/http/host: expected string, got integer 5",
                     "/http/mode: \"c\" is not one of [\"a\",\"b\"]",
                     "/http/prot: unknown property \"prot\" (allowed: host, mode, port)",
                     "/name: \"AB\" does not match pattern \"^[a-z]+$\"",
                 }));
}

TEST(JsonSchema, MaxErrorsCapsTheList) {
  auto s = MustCompile(json::parse(R"({"items": {"type": "string"}})"));
  EXPECT_EQ(s.Validate(json::array({1, 2, 3, 4, 5}), 2).size(), 2u);
  EXPECT_EQ(s.Validate(json::array({1, 2, 3, 4, 5})).size(), 5u);
  EXPECT_EQ(s.Validate(json::array({1, 2}))[1].pointer, "/1");
}

TEST(JsonSchema, CheckFoldsErrorsIntoOneStatus) {
  auto s = MustCompile(kHttpSchema);
  EXPECT_TRUE(s.Check(json::parse(R"({"http": {"port": 1}})"), "config error").ok());
  auto st = s.Check(json::parse(R"({"http": {"port": -1}, "x": 1})"), "config error");
  EXPECT_EQ(st.code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(st.message(),
            "config error at /http/port: -1 is less than minimum 0 (and 1 more: /x: unknown "
            "property \"x\" (allowed: http, name))");
}

TEST(JsonSchema, StringLengthCountsCodePoints) {
  auto s = MustCompile(json::parse(R"({"maxLength": 2, "minLength": 2})"));
  EXPECT_TRUE(s.IsValid("\xc3\xa9\xc3\xa9"));  // two code points, four bytes
  EXPECT_FALSE(s.IsValid("abc"));
  EXPECT_EQ(s.Validate("a")[0].ToString(), "/: \"a\" is shorter than minLength 2");
}

TEST(JsonSchema, IntegerAcceptsIntegralFloatsOnly) {
  auto s = MustCompile(json::parse(R"({"type": "integer"})"));
  EXPECT_TRUE(s.IsValid(json(3)));
  EXPECT_TRUE(s.IsValid(json(3.0)));
  EXPECT_FALSE(s.IsValid(json(3.5)));
  EXPECT_FALSE(s.IsValid(json("3")));
  auto multi = MustCompile(json::parse(R"({"type": ["integer", "null"]})"));
  EXPECT_TRUE(multi.IsValid(json(nullptr)));
  EXPECT_EQ(multi.Validate(json(true))[0].message, "expected null or integer, got boolean true");
}

TEST(JsonSchema, NumericKeywords) {
  auto s = MustCompile(
      json::parse(R"({"exclusiveMinimum": 0, "exclusiveMaximum": 1, "multipleOf": 0.25})"));
  EXPECT_TRUE(s.IsValid(json(0.5)));
  EXPECT_FALSE(s.IsValid(json(0)));
  EXPECT_FALSE(s.IsValid(json(1)));
  EXPECT_FALSE(s.IsValid(json(0.3)));
  EXPECT_EQ(s.Validate(json(0))[0].message, "0 is not greater than exclusive minimum 0");
  EXPECT_TRUE(s.IsValid(json("not a number")));  // numeric keywords ignore other types
}

TEST(JsonSchema, RefRecursionValidatesTrees) {
  auto s = MustCompile(json::parse(R"({
    "$defs": {"node": {"type": "object", "required": ["v"],
      "properties": {"v": {"type": "integer"},
                     "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
    "$ref": "#/$defs/node"})"));
  EXPECT_TRUE(s.IsValid(json::parse(R"({"v": 1, "kids": [{"v": 2, "kids": [{"v": 3}]}]})")));
  auto errors = s.Validate(json::parse(R"({"v": 1, "kids": [{"v": 2, "kids": [{"v": "x"}]}]})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/kids/0/kids/0/v");
}

TEST(JsonSchema, SelfReferenceWithoutProgressIsAnErrorNotACrash) {
  auto s = MustCompile(json::parse(R"({"$ref": "#"})"));
  auto errors = s.Validate(json(1));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].message.find("recursion"), std::string::npos);
}

TEST(JsonSchema, OneOfExplainsTheBranchOfTheRightType) {
  auto s = MustCompile(json::parse(R"({"oneOf": [
      {"type": "string", "minLength": 3},
      {"type": "object", "required": ["url"]}]})"));
  EXPECT_TRUE(s.IsValid("abcd"));
  EXPECT_TRUE(s.IsValid(json::parse(R"({"url": "x"})")));
  EXPECT_EQ(s.Validate(json::object())[0].message, "missing required property \"url\"");
  EXPECT_EQ(s.Validate(json(5))[0].message, "5 matches none of the oneOf schemas");
  auto both = MustCompile(json::parse(R"({"oneOf": [{"minimum": 1}, {"maximum": 10}]})"));
  EXPECT_EQ(both.Validate(json(5))[0].message,
            "matches 2 of the oneOf schemas, expected exactly one");
}

TEST(JsonSchema, AnyOfAllOfNotConstUniqueItems) {
  auto s = MustCompile(json::parse(R"({
    "allOf": [{"type": "array"}, {"maxItems": 3}],
    "anyOf": [{"minItems": 2}, {"const": []}],
    "not": {"const": [1, 1]},
    "uniqueItems": true})"));
  EXPECT_TRUE(s.IsValid(json::array({1, 2})));
  EXPECT_TRUE(s.IsValid(json::array()));
  EXPECT_FALSE(s.IsValid(json::array({1})));           // anyOf
  EXPECT_FALSE(s.IsValid(json::array({1, 2, 3, 4})));  // allOf maxItems
  EXPECT_FALSE(s.IsValid(json::array({1, 1})));        // not + uniqueItems
  EXPECT_FALSE(s.IsValid(json::array({1, 1.0})));      // 1 == 1.0 in JSON Schema
}

TEST(JsonSchema, CompileRefusesWhatItCannotEnforce) {
  auto unsupported = JsonSchema::Compile(
      json::parse(R"({"properties": {"a": {"patternProperties": {"^x": {}}}}})"));
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.status().message(),
            "schema error at #/properties/a/patternProperties: keyword \"patternProperties\" is "
            "not supported by this validator");
  auto tuple = JsonSchema::Compile(json::parse(R"({"items": [{}, {}]})"));
  ASSERT_FALSE(tuple.ok());
  EXPECT_NE(tuple.status().message().find("tuple form"), std::string::npos);
  auto dangling = JsonSchema::Compile(json::parse(R"({"$ref": "#/$defs/nope"})"));
  ASSERT_FALSE(dangling.ok());
  EXPECT_NE(dangling.status().message().find("points nowhere"), std::string::npos);
  auto remote = JsonSchema::Compile(json::parse(R"({"$ref": "https://example.com/s.json"})"));
  ASSERT_FALSE(remote.ok());
  EXPECT_NE(remote.status().message().find("is not local"), std::string::npos);
  auto regex = JsonSchema::Compile(json::parse(R"({"pattern": "(unclosed"})"));
  ASSERT_FALSE(regex.ok());
  EXPECT_NE(regex.status().message().find("#/pattern"), std::string::npos);
  auto type = JsonSchema::Compile(json::parse(R"({"type": "int"})"));
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("unknown type \"int\""), std::string::npos);
  EXPECT_FALSE(JsonSchema::Compile(json(5)).ok());
  EXPECT_FALSE(JsonSchema::Compile(json::parse(R"({"minLength": -1})")).ok());
}

TEST(JsonSchema, AnnotationsAndUnknownKeywordsAreIgnored) {
  auto s = MustCompile(json::parse(R"({"type": "string", "format": "no-such-format",
      "description": "d", "title": "t", "x-env-alias": "X", "$comment": "c", "examples": [1]})"));
  EXPECT_TRUE(s.IsValid("anything"));
}

TEST(JsonSchema, ApplyDefaultsFillsNestedObjectsWithoutOverwriting) {
  auto s = MustCompile(kHttpSchema);
  json doc = json::object();
  s.ApplyDefaults(doc);
  EXPECT_EQ(doc, json::parse(R"({"http": {"host": "127.0.0.1", "port": 8080}})"));
  json mine = json::parse(R"({"http": {"port": 9}})");
  s.ApplyDefaults(mine);
  EXPECT_EQ(mine, json::parse(R"({"http": {"host": "127.0.0.1", "port": 9}})"));
  json wrong = json::parse(R"({"http": 5})");  // left for Validate to report
  s.ApplyDefaults(wrong);
  EXPECT_EQ(wrong, json::parse(R"({"http": 5})"));
}

TEST(JsonSchema, CopiesShareOneCompiledFormAcrossThreads) {
  auto s = MustCompile(kHttpSchema);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([copy = s, &wrong, t] {
      for (int i = 0; i < 2000; ++i) {
        const int port = (i + t) % 2 ? 80 : 70000;
        const bool valid = copy.IsValid(json{{"http", {{"port", port}}}});
        if (valid != (port == 80)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(JsonSchema, PointerTokensAreEscaped) {
  auto s = MustCompile(json::parse(R"({"additionalProperties": {"type": "integer"}})"));
  auto errors = s.Validate(json::parse(R"({"a/b~c": "x"})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/a~1b~0c");
}

}  // namespace
