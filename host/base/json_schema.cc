#include "base/json_schema.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string_view>
#include <utility>

namespace sf::base {

using nlohmann::json;

namespace {

// Type bits; an empty mask means "any type".
constexpr unsigned kNull = 1, kBoolean = 2, kObject = 4, kArray = 8, kNumber = 16, kString = 32,
                   kInteger = 64;

constexpr int kMaxDepth = 256;  // guards self-referencing schemas like {"$ref": "#"}

std::optional<unsigned> TypeBit(std::string_view name) {
  if (name == "null") return kNull;
  if (name == "boolean") return kBoolean;
  if (name == "object") return kObject;
  if (name == "array") return kArray;
  if (name == "number") return kNumber;
  if (name == "string") return kString;
  if (name == "integer") return kInteger;
  return std::nullopt;
}

bool IsIntegral(const json& x) {
  if (x.is_number_integer()) return true;
  if (!x.is_number_float()) return false;
  double d = x.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

unsigned InstanceBits(const json& x) {
  switch (x.type()) {
    case json::value_t::null:
      return kNull;
    case json::value_t::boolean:
      return kBoolean;
    case json::value_t::object:
      return kObject;
    case json::value_t::array:
      return kArray;
    case json::value_t::string:
      return kString;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return kNumber | kInteger;
    case json::value_t::number_float:
      return IsIntegral(x) ? (kNumber | kInteger) : kNumber;
    default:
      return 0;
  }
}

const char* InstanceTypeName(const json& x) {
  switch (x.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    default:
      return "unknown";
  }
}

std::string TypeNames(unsigned mask) {
  static const std::pair<unsigned, const char*> kNames[] = {
      {kNull, "null"},     {kBoolean, "boolean"}, {kObject, "object"},  {kArray, "array"},
      {kNumber, "number"}, {kString, "string"},   {kInteger, "integer"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(mask & bit)) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

// A value quoted for a message, shortened so a huge value stays readable.
std::string Brief(const json& x) {
  std::string s = x.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::size_t CodePoints(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Keywords whose absence of support would make a schema silently accept
// more than its author meant.
const std::set<std::string, std::less<>>& UnsupportedKeywords() {
  static const std::set<std::string, std::less<>> k = {"patternProperties",
                                                       "prefixItems",
                                                       "dependentRequired",
                                                       "dependentSchemas",
                                                       "propertyNames",
                                                       "if",
                                                       "then",
                                                       "else",
                                                       "contains",
                                                       "minContains",
                                                       "maxContains",
                                                       "unevaluatedItems",
                                                       "unevaluatedProperties",
                                                       "$dynamicRef",
                                                       "$recursiveRef",
                                                       "dependencies",
                                                       "additionalItems"};
  return k;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string EscapePointerToken(const std::string& token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string SchemaError::ToString() const {
  return (pointer.empty() ? std::string("/") : pointer) + ": " + message;
}

struct JsonSchema::Node {
  std::string location;  // where in the schema document, for compile errors
  int boolean = -1;      // -1: an object schema; 0: false; 1: true
  unsigned types = 0;
  std::vector<std::pair<std::string, const Node*>> properties;
  std::vector<std::string> required;
  int additional_mode = 0;  // 0 allowed, 1 forbidden, 2 validated by `additional`
  const Node* additional = nullptr;
  const Node* items = nullptr;
  std::optional<std::size_t> min_items, max_items, min_length, max_length, min_properties,
      max_properties;
  bool unique_items = false;
  std::optional<json> const_value;
  std::optional<json> enum_values;
  std::optional<json> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
  std::optional<std::string> pattern_source;
  std::regex pattern;
  std::string ref_source;
  const Node* ref = nullptr;
  std::vector<const Node*> all_of, any_of, one_of;
  const Node* not_schema = nullptr;
  std::optional<json> default_value;

  const Node* Property(const std::string& name) const {
    for (const auto& [key, node] : properties)
      if (key == name) return node;
    return nullptr;
  }
};

struct JsonSchema::Impl {
  json document;
  std::deque<Node> nodes;  // stable addresses
  std::map<std::string, Node*> by_location;
  const Node* root = nullptr;
};

namespace {

using Node = JsonSchema::Node;

class Compiler {
 public:
  explicit Compiler(JsonSchema::Impl& impl) : impl_(impl) {}

  Status Run() {
    auto root = CompileAt(impl_.document, "");
    if (!root.ok()) return root.status();
    impl_.root = *root;
    while (!pending_refs_.empty()) {
      auto [node, target] = pending_refs_.back();
      pending_refs_.pop_back();
      auto resolved = Resolve(target, node->location);
      if (!resolved.ok()) return resolved.status();
      node->ref = *resolved;
    }
    return Status::Ok();
  }

 private:
  static Status Bad(const std::string& location, const std::string& what) {
    return InvalidArgument("schema error at #" + location + ": " + what);
  }

  StatusOr<const Node*> Resolve(const std::string& ref, const std::string& from) {
    if (ref.empty() || ref[0] != '#')
      return Bad(from,
                 "$ref \"" + ref + "\" is not local (only \"#/...\" references are supported)");
    std::string pointer = PercentDecode(ref.substr(1));
    if (!pointer.empty() && pointer[0] != '/')
      return Bad(from, "$ref \"" + ref + "\" names an anchor; only JSON pointers are supported");
    json::json_pointer ptr;
    try {
      ptr = json::json_pointer(pointer);
    } catch (const json::exception&) {
      return Bad(from, "$ref \"" + ref + "\" is not a valid JSON pointer");
    }
    if (!impl_.document.contains(ptr)) return Bad(from, "$ref \"" + ref + "\" points nowhere");
    return CompileAt(impl_.document.at(ptr), pointer);
  }

  static StatusOr<std::size_t> Count(const json& v, const std::string& at, const char* kw) {
    if (!IsIntegral(v) || v.get<double>() < 0)
      return Bad(at, std::string(kw) + " must be a non-negative integer");
    return static_cast<std::size_t>(v.get<double>());
  }

  StatusOr<std::vector<const Node*>> CompileList(const json& v, const std::string& at) {
    if (!v.is_array() || v.empty()) return Bad(at, "must be a non-empty array of schemas");
    std::vector<const Node*> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      auto n = CompileAt(v[i], at + "/" + std::to_string(i));
      if (!n.ok()) return n.status();
      out.push_back(*n);
    }
    return out;
  }

  StatusOr<const Node*> CompileAt(const json& s, const std::string& at) {
    if (auto it = impl_.by_location.find(at); it != impl_.by_location.end()) return it->second;
    Node& n = impl_.nodes.emplace_back();
    n.location = at;
    impl_.by_location[at] = &n;
    if (s.is_boolean()) {
      n.boolean = s.get<bool>() ? 1 : 0;
      return &n;
    }
    if (!s.is_object()) return Bad(at, "a schema must be an object or a boolean");

    for (const auto& [key, v] : s.items()) {
      const std::string kat = at + "/" + EscapePointerToken(key);
      if (UnsupportedKeywords().count(key))
        return Bad(kat, "keyword \"" + key + "\" is not supported by this validator");
      if (key == "type") {
        auto add = [&](const json& t) -> Status {
          auto bit = t.is_string() ? TypeBit(t.get<std::string>()) : std::nullopt;
          if (!bit) return Bad(kat, "unknown type " + Brief(t));
          n.types |= *bit;
          return Status::Ok();
        };
        if (v.is_array()) {
          for (const auto& t : v) SF_RETURN_IF_ERROR(add(t));
        } else {
          SF_RETURN_IF_ERROR(add(v));
        }
        // "number" admits integers; keep the mask explicit for matching.
        if (n.types & kNumber) n.types |= kInteger;
      } else if (key == "properties") {
        if (!v.is_object()) return Bad(kat, "properties must be an object");
        for (const auto& [name, sub] : v.items()) {
          auto c = CompileAt(sub, kat + "/" + EscapePointerToken(name));
          if (!c.ok()) return c.status();
          n.properties.emplace_back(name, *c);
        }
      } else if (key == "required") {
        if (!v.is_array()) return Bad(kat, "required must be an array of strings");
        for (const auto& r : v) {
          if (!r.is_string()) return Bad(kat, "required must be an array of strings");
          n.required.push_back(r.get<std::string>());
        }
      } else if (key == "additionalProperties") {
        if (v.is_boolean()) {
          n.additional_mode = v.get<bool>() ? 0 : 1;
        } else {
          auto c = CompileAt(v, kat);
          if (!c.ok()) return c.status();
          n.additional_mode = 2;
          n.additional = *c;
        }
      } else if (key == "items") {
        if (v.is_array())
          return Bad(kat, "items must be a single schema (tuple form is not supported)");
        auto c = CompileAt(v, kat);
        if (!c.ok()) return c.status();
        n.items = *c;
      } else if (key == "minItems" || key == "maxItems" || key == "minLength" ||
                 key == "maxLength" || key == "minProperties" || key == "maxProperties") {
        auto c = Count(v, kat, key.c_str());
        if (!c.ok()) return c.status();
        (key == "minItems"        ? n.min_items
         : key == "maxItems"      ? n.max_items
         : key == "minLength"     ? n.min_length
         : key == "maxLength"     ? n.max_length
         : key == "minProperties" ? n.min_properties
                                  : n.max_properties) = *c;
      } else if (key == "uniqueItems") {
        if (!v.is_boolean()) return Bad(kat, "uniqueItems must be a boolean");
        n.unique_items = v.get<bool>();
      } else if (key == "const") {
        n.const_value = v;
      } else if (key == "enum") {
        if (!v.is_array()) return Bad(kat, "enum must be an array");
        n.enum_values = v;
      } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
                 key == "exclusiveMaximum" || key == "multipleOf") {
        if (!v.is_number()) return Bad(kat, key + " must be a number");
        if (key == "multipleOf" && v.get<double>() <= 0)
          return Bad(kat, "multipleOf must be greater than 0");
        (key == "minimum"            ? n.minimum
         : key == "maximum"          ? n.maximum
         : key == "exclusiveMinimum" ? n.exclusive_minimum
         : key == "exclusiveMaximum" ? n.exclusive_maximum
                                     : n.multiple_of) = v;
      } else if (key == "pattern") {
        if (!v.is_string()) return Bad(kat, "pattern must be a string");
        try {
          n.pattern = std::regex(v.get<std::string>(), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return Bad(kat,
                     "pattern " + Brief(v) + " is not a valid regular expression: " + e.what());
        }
        n.pattern_source = v.get<std::string>();
      } else if (key == "$ref") {
        if (!v.is_string()) return Bad(kat, "$ref must be a string");
        n.ref_source = v.get<std::string>();
        pending_refs_.emplace_back(&n, n.ref_source);
      } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
        auto list = CompileList(v, kat);
        if (!list.ok()) return list.status();
        (key == "allOf" ? n.all_of : key == "anyOf" ? n.any_of : n.one_of) = std::move(*list);
      } else if (key == "not") {
        auto c = CompileAt(v, kat);
        if (!c.ok()) return c.status();
        n.not_schema = *c;
      } else if (key == "default") {
        n.default_value = v;
      } else if (key == "$defs" || key == "definitions") {
        // Compiled on demand when a $ref reaches them.
      }
      // Everything else (format, description, title, $schema, $id, $comment,
      // examples, x-*) is an annotation.
    }
    return &n;
  }

  JsonSchema::Impl& impl_;
  std::vector<std::pair<Node*, std::string>> pending_refs_;
};

// Collects errors when `errors` is set; otherwise stops at the first failure.
class Validator {
 public:
  Validator(std::vector<SchemaError>* errors, std::size_t max_errors)
      : errors_(errors), max_(max_errors) {}

  bool Validate(const Node* n, const json& x, std::string& ptr, int depth) {
    if (depth > kMaxDepth) {
      return Fail(ptr, "$ref",
                  "schema recursion deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (n->boolean == 1) return true;
    if (n->boolean == 0) return Fail(ptr, "false", "no value is allowed here");

    bool ok = true;
    auto fail = [&](const char* kw, std::string msg) {
      ok = false;
      Fail(ptr, kw, std::move(msg));
      return !Collecting() || Full();
    };

    if (n->types && !(InstanceBits(x) & n->types)) {
      // A type mismatch makes the other keywords noise.
      return Fail(ptr, "type",
                  "expected " + TypeNames(n->types & ~(n->types & kNumber ? kInteger : 0)) +
                      ", got " + InstanceTypeName(x) + " " + Brief(x));
    }
    if (n->const_value && !(x == *n->const_value)) {
      if (fail("const", Brief(x) + " is not the constant " + Brief(*n->const_value))) return false;
    }
    if (n->enum_values) {
      const auto& vs = *n->enum_values;
      if (std::none_of(vs.begin(), vs.end(), [&](const json& v) { return v == x; }))
        if (fail("enum", Brief(x) + " is not one of " + Brief(vs))) return false;
    }
    if (x.is_number() && !CheckNumber(n, x, fail)) return false;
    if (x.is_string() && !CheckString(n, x, fail)) return false;
    if (x.is_array() && !CheckArray(n, x, ptr, depth, ok, fail)) return false;
    if (x.is_object() && !CheckObject(n, x, ptr, depth, ok, fail)) return false;

    if (n->ref && !Validate(n->ref, x, ptr, depth + 1)) {
      ok = false;
      if (!Collecting() || Full()) return false;
    }
    for (const Node* sub : n->all_of) {
      if (!Validate(sub, x, ptr, depth + 1)) {
        ok = false;
        if (!Collecting() || Full()) return false;
      }
    }
    if (!n->any_of.empty()) {
      bool any = false;
      for (const Node* sub : n->any_of) {
        if (Probe(sub, x, ptr, depth)) {
          any = true;
          break;
        }
      }
      if (!any && !ExplainBranches(n->any_of, "anyOf", x, ptr, depth, ok, fail)) return false;
    }
    if (!n->one_of.empty()) {
      std::size_t matches = 0;
      for (const Node* sub : n->one_of) matches += Probe(sub, x, ptr, depth);
      if (matches == 0) {
        if (!ExplainBranches(n->one_of, "oneOf", x, ptr, depth, ok, fail)) return false;
      } else if (matches > 1) {
        if (fail("oneOf", "matches " + std::to_string(matches) +
                              " of the oneOf schemas, expected exactly one"))
          return false;
      }
    }
    if (n->not_schema && Probe(n->not_schema, x, ptr, depth)) {
      if (fail("not", Brief(x) + " must not match the \"not\" schema")) return false;
    }
    return ok;
  }

 private:
  bool Collecting() const { return errors_ != nullptr; }
  bool Full() const { return errors_ && errors_->size() >= max_; }

  bool Fail(const std::string& ptr, const char* kw, std::string msg) {
    if (errors_ && errors_->size() < max_) errors_->push_back({ptr, kw, std::move(msg)});
    return false;
  }

  bool Probe(const Node* sub, const json& x, std::string& ptr, int depth) {
    Validator quiet(nullptr, 0);
    return quiet.Validate(sub, x, ptr, depth + 1);
  }

  // No branch of anyOf/oneOf matched. When exactly one branch accepts the
  // instance's type, its own errors are the useful explanation.
  template <typename FailFn>
  bool ExplainBranches(const std::vector<const Node*>& branches, const char* kw, const json& x,
                       std::string& ptr, int depth, bool& ok, FailFn& fail) {
    if (Collecting()) {
      const Node* only = nullptr;
      std::size_t typed = 0;
      for (const Node* b : branches) {
        const Node* eff = b;
        while (eff->ref && eff->types == 0 && eff->boolean < 0) eff = eff->ref;
        if (eff->boolean == 0 || (eff->types && !(InstanceBits(x) & eff->types))) continue;
        ++typed;
        only = b;
      }
      if (typed == 1) {
        ok = false;
        Validate(only, x, ptr, depth + 1);
        return !Full();
      }
    }
    return !fail(kw, Brief(x) + " matches none of the " + std::string(kw) + " schemas");
  }

  template <typename FailFn>
  bool CheckNumber(const Node* n, const json& x, FailFn& fail) {
    const double d = x.get<double>();
    if (n->minimum && d < n->minimum->get<double>())
      if (fail("minimum", Brief(x) + " is less than minimum " + Brief(*n->minimum))) return false;
    if (n->maximum && d > n->maximum->get<double>())
      if (fail("maximum", Brief(x) + " is greater than maximum " + Brief(*n->maximum)))
        return false;
    if (n->exclusive_minimum && d <= n->exclusive_minimum->get<double>())
      if (fail("exclusiveMinimum",
               Brief(x) + " is not greater than exclusive minimum " + Brief(*n->exclusive_minimum)))
        return false;
    if (n->exclusive_maximum && d >= n->exclusive_maximum->get<double>())
      if (fail("exclusiveMaximum",
               Brief(x) + " is not less than exclusive maximum " + Brief(*n->exclusive_maximum)))
        return false;
    if (n->multiple_of) {
      bool multiple;
      if (x.is_number_integer() && n->multiple_of->is_number_integer()) {
        const auto m = n->multiple_of->get<int64_t>();
        multiple = x.is_number_unsigned() ? x.get<uint64_t>() % static_cast<uint64_t>(m) == 0
                                          : x.get<int64_t>() % m == 0;
      } else {
        const double q = d / n->multiple_of->get<double>();
        multiple =
            std::isfinite(q) && std::fabs(q - std::round(q)) < 1e-9 * std::max(1.0, std::fabs(q));
      }
      if (!multiple &&
          fail("multipleOf", Brief(x) + " is not a multiple of " + Brief(*n->multiple_of)))
        return false;
    }
    return true;
  }

  template <typename FailFn>
  bool CheckString(const Node* n, const json& x, FailFn& fail) {
    const auto& s = x.get_ref<const std::string&>();
    if (n->min_length || n->max_length) {
      const std::size_t len = CodePoints(s);
      if (n->min_length && len < *n->min_length)
        if (fail("minLength",
                 Brief(x) + " is shorter than minLength " + std::to_string(*n->min_length)))
          return false;
      if (n->max_length && len > *n->max_length)
        if (fail("maxLength",
                 Brief(x) + " is longer than maxLength " + std::to_string(*n->max_length)))
          return false;
    }
    if (n->pattern_source && !std::regex_search(s, n->pattern))
      if (fail("pattern", Brief(x) + " does not match pattern " + json(*n->pattern_source).dump()))
        return false;
    return true;
  }

  template <typename FailFn>
  bool CheckArray(const Node* n, const json& x, std::string& ptr, int depth, bool& ok,
                  FailFn& fail) {
    if (n->min_items && x.size() < *n->min_items)
      if (fail("minItems", "has " + std::to_string(x.size()) + " items, fewer than minItems " +
                               std::to_string(*n->min_items)))
        return false;
    if (n->max_items && x.size() > *n->max_items)
      if (fail("maxItems", "has " + std::to_string(x.size()) + " items, more than maxItems " +
                               std::to_string(*n->max_items)))
        return false;
    if (n->unique_items) {
      for (std::size_t i = 0; i < x.size(); ++i)
        for (std::size_t j = i + 1; j < x.size(); ++j)
          if (x[i] == x[j]) {
            if (fail("uniqueItems", "items " + std::to_string(i) + " and " + std::to_string(j) +
                                        " are equal, but uniqueItems is set"))
              return false;
            i = x.size();
            break;
          }
    }
    if (n->items) {
      for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t keep = ptr.size();
        ptr += "/" + std::to_string(i);
        bool good = Validate(n->items, x[i], ptr, depth + 1);
        ptr.resize(keep);
        if (!good) {
          ok = false;
          if (!Collecting() || Full()) return false;
        }
      }
    }
    return true;
  }

  template <typename FailFn>
  bool CheckObject(const Node* n, const json& x, std::string& ptr, int depth, bool& ok,
                   FailFn& fail) {
    if (n->min_properties && x.size() < *n->min_properties)
      if (fail("minProperties", "has " + std::to_string(x.size()) +
                                    " properties, fewer than minProperties " +
                                    std::to_string(*n->min_properties)))
        return false;
    if (n->max_properties && x.size() > *n->max_properties)
      if (fail("maxProperties", "has " + std::to_string(x.size()) +
                                    " properties, more than maxProperties " +
                                    std::to_string(*n->max_properties)))
        return false;
    for (const auto& name : n->required) {
      if (!x.contains(name))
        if (fail("required", "missing required property " + json(name).dump())) return false;
    }
    for (const auto& [name, value] : x.items()) {
      const Node* sub = n->Property(name);
      const std::size_t keep = ptr.size();
      ptr += "/" + EscapePointerToken(name);
      bool good = true;
      if (sub) {
        good = Validate(sub, value, ptr, depth + 1);
      } else if (n->additional_mode == 1) {
        std::string allowed;
        for (const auto& p : n->properties) allowed += (allowed.empty() ? "" : ", ") + p.first;
        good = Fail(ptr, "additionalProperties",
                    "unknown property " + json(name).dump() +
                        (allowed.empty() ? std::string(" (no properties are allowed here)")
                                         : " (allowed: " + allowed + ")"));
      } else if (n->additional_mode == 2) {
        good = Validate(n->additional, value, ptr, depth + 1);
      }
      ptr.resize(keep);
      if (!good) {
        ok = false;
        if (!Collecting() || Full()) return false;
      }
    }
    return true;
  }

  std::vector<SchemaError>* errors_;
  std::size_t max_;
};

const Node* Effective(const Node* n) {
  for (int i = 0; n && i < kMaxDepth; ++i) {
    if (n->default_value || !n->ref) return n;
    n = n->ref;
  }
  return n;
}

void FillDefaults(const Node* n, json& x, int depth) {
  if (!n || depth > 64) return;
  if (n->ref) FillDefaults(n->ref, x, depth + 1);
  for (const Node* sub : n->all_of) FillDefaults(sub, x, depth + 1);
  if (x.is_object()) {
    for (const auto& [name, sub] : n->properties) {
      auto it = x.find(name);
      if (it != x.end()) {
        FillDefaults(sub, *it, depth + 1);
        continue;
      }
      const Node* eff = Effective(sub);
      if (eff && eff->default_value) {
        x[name] = *eff->default_value;
        FillDefaults(sub, x[name], depth + 1);
      } else if (eff && eff->types == kObject) {
        json fresh = json::object();
        FillDefaults(sub, fresh, depth + 1);
        if (!fresh.empty()) x[name] = std::move(fresh);
      }
    }
    if (n->additional_mode == 2) {
      for (auto& [name, value] : x.items())
        if (!n->Property(name)) FillDefaults(n->additional, value, depth + 1);
    }
  } else if (x.is_array() && n->items) {
    for (auto& e : x) FillDefaults(n->items, e, depth + 1);
  }
}

}  // namespace

StatusOr<JsonSchema> JsonSchema::Compile(const json& schema) {
  auto impl = std::make_shared<Impl>();
  impl->document = schema;
  Compiler compiler(*impl);
  SF_RETURN_IF_ERROR(compiler.Run());
  return JsonSchema(std::move(impl));
}

std::vector<SchemaError> JsonSchema::Validate(const json& instance, std::size_t max_errors) const {
  std::vector<SchemaError> errors;
  if (max_errors == 0) max_errors = 1;
  Validator v(&errors, max_errors);
  std::string ptr;
  v.Validate(impl_->root, instance, ptr, 0);
  return errors;
}

bool JsonSchema::IsValid(const json& instance) const {
  Validator v(nullptr, 0);
  std::string ptr;
  return v.Validate(impl_->root, instance, ptr, 0);
}

Status JsonSchema::Check(const json& instance, const std::string& what) const {
  auto errors = Validate(instance, 16);
  if (errors.empty()) return Status::Ok();
  const auto& e = errors.front();
  std::string msg = what + " at " + (e.pointer.empty() ? "/" : e.pointer) + ": " + e.message;
  if (errors.size() > 1) {
    msg +=
        " (and " + std::to_string(errors.size() - 1) + (errors.size() >= 16 ? "+" : "") + " more: ";
    for (std::size_t i = 1; i < errors.size() && i < 4; ++i)
      msg += (i > 1 ? "; " : "") + errors[i].ToString();
    msg += errors.size() > 4 ? "; ...)" : ")";
  }
  return InvalidArgument(msg);
}

void JsonSchema::ApplyDefaults(json& instance) const { FillDefaults(impl_->root, instance, 0); }

const json& JsonSchema::document() const { return impl_->document; }

}  // namespace sf::base
