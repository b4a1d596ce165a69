#include "base/env_overrides.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

extern char** environ;

namespace sf::base {

using nlohmann::json;

namespace {

constexpr int kMaxDepth = 32;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Follows local $refs ("#/$defs/x") so properties reached through them count.
const json* Deref(const json& root, const json* s) {
  for (int i = 0; i < kMaxDepth && s && s->is_object(); ++i) {
    auto it = s->find("$ref");
    if (it == s->end() || !it->is_string()) return s;
    const auto& ref = it->get_ref<const std::string&>();
    if (ref.empty() || ref[0] != '#') return s;
    try {
      json::json_pointer ptr(ref.substr(1));
      if (!root.contains(ptr)) return s;
      s = &root.at(ptr);
    } catch (const json::exception&) {
      return s;
    }
  }
  return s;
}

std::vector<std::string> TypesOf(const json& s) {
  std::vector<std::string> out;
  auto it = s.find("type");
  if (it == s.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array())
    for (const auto& t : *it)
      if (t.is_string()) out.push_back(t.get<std::string>());
  return out;
}

Status Walk(const json& root, const json& schema, const std::string& pointer,
            const std::string& name, std::vector<EnvBinding>& out, int depth) {
  if (depth > kMaxDepth) return Status::Ok();
  const json* s = Deref(root, &schema);
  if (!s || !s->is_object()) return Status::Ok();
  auto props = s->find("properties");
  if (props == s->end() || !props->is_object()) return Status::Ok();
  for (const auto& [key, sub] : props->items()) {
    const json* eff = Deref(root, &sub);
    EnvBinding b;
    b.variable = name + "_" + Upper(key);
    b.pointer = pointer + "/" + key;
    if (eff && eff->is_object()) {
      b.types = TypesOf(*eff);
      if (b.types.empty() && sub.is_object()) b.types = TypesOf(sub);
    }
    out.push_back(b);
    // Aliases may sit on the property itself or on its $ref target.
    for (const json* holder : {&sub, eff == &sub ? nullptr : eff}) {
      if (!holder || !holder->is_object()) continue;
      auto alias = holder->find("x-env-alias");
      if (alias == holder->end()) continue;
      std::vector<std::string> names;
      if (alias->is_string()) names.push_back(alias->get<std::string>());
      if (alias->is_array())
        for (const auto& a : *alias)
          if (a.is_string()) names.push_back(a.get<std::string>());
      for (auto& n : names) {
        EnvBinding copy = b;
        copy.variable = n;
        out.push_back(std::move(copy));
      }
    }
    SF_RETURN_IF_ERROR(Walk(root, sub, b.pointer, b.variable, out, depth + 1));
  }
  return Status::Ok();
}

bool Has(const std::vector<std::string>& types, std::string_view t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

std::optional<json> AsInteger(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return json(v);
}

std::optional<json> AsNumber(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return json(v);
}

std::optional<json> AsBoolean(const std::string& text) {
  if (text == "true" || text == "1") return json(true);
  if (text == "false" || text == "0") return json(false);
  return std::nullopt;
}

std::optional<json> AsJson(const std::string& text, bool want_object, bool want_array) {
  json v = json::parse(text, nullptr, false);
  if (v.is_discarded()) return std::nullopt;
  if ((want_object && v.is_object()) || (want_array && v.is_array())) return v;
  return std::nullopt;
}

}  // namespace

StatusOr<std::vector<EnvBinding>> EnvBindings(const json& schema, std::string_view prefix) {
  std::vector<EnvBinding> out;
  SF_RETURN_IF_ERROR(Walk(schema, schema, "", std::string(prefix), out, 0));
  std::map<std::string, std::string> seen;
  std::vector<EnvBinding> unique;
  for (auto& b : out) {
    auto [it, inserted] = seen.emplace(b.variable, b.pointer);
    if (!inserted && it->second != b.pointer)
      return InvalidArgument("environment variable " + b.variable + " would override both " +
                             it->second + " and " + b.pointer + "; rename one of the keys");
    if (inserted) unique.push_back(std::move(b));
  }
  return unique;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

StatusOr<json> ParseEnvValue(const EnvBinding& b, const std::string& text) {
  const auto& t = b.types;
  if (t.empty()) {
    json v = json::parse(text, nullptr, false);
    return v.is_discarded() ? json(text) : v;
  }
  const bool obj = Has(t, "object"), arr = Has(t, "array");
  if (obj || arr) {
    if (auto v = AsJson(text, obj, arr)) return *v;
  }
  if (Has(t, "integer")) {
    if (auto v = AsInteger(text)) return *v;
  }
  if (Has(t, "number")) {
    if (auto v = AsInteger(text)) return *v;
    if (auto v = AsNumber(text)) return *v;
  }
  if (Has(t, "boolean")) {
    if (auto v = AsBoolean(text)) return *v;
  }
  if (Has(t, "null") && text == "null") return json(nullptr);
  if (Has(t, "string")) return json(text);

  std::string expected;
  for (const auto& name : t) {
    if (!expected.empty()) expected += " or ";
    expected += name == "object" || name == "array" ? name + " (as JSON)" : name;
    if (name == "boolean") expected += " (true/false/1/0)";
  }
  std::string shown = text.size() > 40 ? text.substr(0, 37) + "..." : text;
  return InvalidArgument("environment variable " + b.variable + "=\"" + shown +
                         "\" is not a valid " + expected + " for config key " + b.pointer);
}

Status ApplyEnvOverrides(const std::vector<EnvBinding>& bindings, const EnvLookup& lookup,
                         json& doc, std::vector<std::string>* applied) {
  if (!doc.is_object()) doc = json::object();
  for (const auto& b : bindings) {
    auto text = lookup(b.variable);
    if (!text) continue;
    auto value = ParseEnvValue(b, *text);
    if (!value.ok()) return value.status();
    try {
      doc[json::json_pointer(b.pointer)] = std::move(*value);
    } catch (const json::exception&) {
      return InvalidArgument("environment variable " + b.variable + " cannot set " + b.pointer +
                             ": a parent of that key in the config file is not an object");
    }
    if (applied) applied->push_back(b.variable);
  }
  return Status::Ok();
}

std::vector<std::string> UnknownEnvVariables(const std::vector<EnvBinding>& bindings,
                                             std::string_view prefix,
                                             const std::vector<std::string>& environment) {
  std::set<std::string, std::less<>> known;
  for (const auto& b : bindings) known.insert(b.variable);
  const std::string head = std::string(prefix) + "_";
  std::vector<std::string> out;
  for (const auto& entry : environment) {
    const std::string name = entry.substr(0, entry.find('='));
    if (name.rfind(head, 0) == 0 && !known.count(name)) out.push_back(name);
  }
  return out;
}

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) out.emplace_back(*e);
  return out;
}

}  // namespace sf::base
