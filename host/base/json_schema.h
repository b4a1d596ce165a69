// A JSON Schema validator for the host's own schemas: the config file
// (schemas/config.schema.json) and, later, API request bodies.
//
// It implements the subset of JSON Schema draft 2020-12 the project uses:
//   type (a name or an array of names, "integer" included), properties,
//   required, additionalProperties (bool or schema), items (one schema),
//   minItems/maxItems, uniqueItems, enum, const, minimum/maximum,
//   exclusiveMinimum/exclusiveMaximum, multipleOf, minLength/maxLength
//   (counted in code points), pattern (std::regex ECMAScript, unanchored
//   search), minProperties/maxProperties, $ref to a local JSON pointer
//   ("#/$defs/x", "#"), allOf/anyOf/oneOf/not, boolean schemas.
//   format, default, description, title, $schema, $id, $comment and every
//   unknown keyword are annotations: accepted and ignored by validation.
// Keywords it does not implement are refused at Compile() time only when they
// would change the verdict silently: patternProperties, prefixItems,
// dependentRequired, dependentSchemas, propertyNames, if/then/else, contains,
// unevaluated*, $dynamicRef, and remote $refs. That way a schema never
// appears to validate something it does not.
//
// Usage: compile once, validate many.
//   auto schema = JsonSchema::Compile(doc);        // StatusOr<JsonSchema>
//   for (const auto& e : schema->Validate(value)) std::cerr << e.ToString();
//
// Thread-safety: a compiled JsonSchema is immutable; Validate() and
// ApplyDefaults() may run concurrently from any thread. Copies share the
// compiled form.
#ifndef SF_BASE_JSON_SCHEMA_H_
#define SF_BASE_JSON_SCHEMA_H_

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"

namespace sf::base {

// One rule an instance broke.
struct SchemaError {
  std::string pointer;  // JSON pointer into the instance ("" is the root)
  std::string keyword;  // the schema keyword that failed ("maximum")
  std::string message;  // "70000 is greater than maximum 65535"

  // "/http/port: 70000 is greater than maximum 65535" ("/" for the root).
  std::string ToString() const;
};

class JsonSchema {
 public:
  // Compiles `schema` (the whole document; local $refs resolve against it).
  // Fails with the schema location of an unsupported keyword, a malformed
  // keyword value, a bad regex or a dangling $ref.
  static StatusOr<JsonSchema> Compile(const nlohmann::json& schema);

  // Every violation found, in document order, at most `max_errors`.
  // Empty means valid.
  std::vector<SchemaError> Validate(const nlohmann::json& instance,
                                    std::size_t max_errors = 64) const;
  bool IsValid(const nlohmann::json& instance) const;

  // Validate() folded into a Status: OK, or InvalidArgument whose message is
  // `what` + " at " + the first error (and a count of the others).
  Status Check(const nlohmann::json& instance, const std::string& what) const;

  // Fills absent object members that declare a "default" (following $ref and
  // allOf). An absent member whose schema is an object with defaulted
  // properties is created when that adds something. Never overwrites.
  void ApplyDefaults(nlohmann::json& instance) const;

  // The schema document this was compiled from.
  const nlohmann::json& document() const;

  struct Node;  // compiled form (json_schema.cc)
  struct Impl;

 private:
  explicit JsonSchema(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Escapes one reference token for a JSON pointer ("a/b" -> "a~1b").
std::string EscapePointerToken(const std::string& token);

}  // namespace sf::base

#endif  // SF_BASE_JSON_SCHEMA_H_
