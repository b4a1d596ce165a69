#include "plugins/validate.h"

#include <cstdio>
#include <cstring>

namespace sf::plugins {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Bounded strlen: ids longer than `limit` are refused without reading on.
size_t BoundedLength(const char* s, size_t limit) {
  size_t n = 0;
  while (n <= limit && s[n] != '\0') ++n;
  return n;
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '-' || c == '_';
}

// Copies what the writer's struct_size covers into a zeroed host-size struct.
template <typename T>
void CopySized(const T* in, T* out) {
  std::memset(out, 0, sizeof(T));
  size_t n = in->struct_size < sizeof(T) ? in->struct_size : sizeof(T);
  std::memcpy(out, in, n);
}

std::string CheckStructSize(const std::string& what, uint32_t size, size_t min) {
  const std::string head = what.empty() ? "struct_size " : what + " struct_size ";
  if (size < min) {
    return head + std::to_string(size) +
           " is smaller than the minimum " + std::to_string(min) +
           " (the struct must reach its last required field)";
  }
  if (size > kMaxStructSize) {
    return head + std::to_string(size) +
           " is not sane (> " + std::to_string(kMaxStructSize) + ")";
  }
  return {};
}

void RequireString(const nlohmann::json& j, const char* key, std::vector<std::string>* out) {
  auto it = j.find(key);
  if (it == j.end()) {
    out->push_back(std::string("metadata_json lacks required key \"") + key + "\"");
  } else if (!it->is_string()) {
    out->push_back(std::string("metadata_json \"") + key + "\" must be a string");
  }
}

const nlohmann::json* RequireArray(const nlohmann::json& j, const char* key,
                                   std::vector<std::string>* out) {
  auto it = j.find(key);
  if (it == j.end()) {
    out->push_back(std::string("metadata_json lacks required key \"") + key + "\"");
    return nullptr;
  }
  if (!it->is_array()) {
    out->push_back(std::string("metadata_json \"") + key + "\" must be an array");
    return nullptr;
  }
  return &*it;
}

// Shared head of every vtable: struct_size, id, metadata_json.
template <typename Vt>
bool CheckHead(sf_component_kind kind, const Vt* in, size_t min_size, Vt* copy,
               nlohmann::json* meta, std::vector<std::string>* out) {
  const char* kind_name = KindName(kind);
  if (in == nullptr) {
    out->push_back(std::string(kind_name) + " vtable is NULL");
    return false;
  }
  std::string size_problem =
      CheckStructSize(std::string(kind_name) + " vtable", in->struct_size, min_size);
  if (!size_problem.empty()) {
    out->push_back(size_problem);
    // Fields beyond a too-small struct_size cannot be read safely.
    if (in->struct_size < min_size) return false;
  }
  CopySized(in, copy);
  copy->struct_size = static_cast<uint32_t>(sizeof(Vt));
  std::string id_problem = CheckComponentId(copy->id);
  if (!id_problem.empty()) out->push_back(std::string(kind_name) + " " + id_problem);
  for (auto& p : CheckMetadata(kind, copy->metadata_json, meta)) out->push_back(p);
  return true;
}

void RequireFn(const void* fn, const char* name, std::vector<std::string>* out) {
  if (fn == nullptr) out->push_back(std::string("required function ") + name + " is NULL");
}

// Prefixes every problem with the component's kind and id.
std::vector<std::string> Attribute(sf_component_kind kind, const char* id,
                                   std::vector<std::string> problems) {
  if (problems.empty() || id == nullptr || CheckComponentId(id).size() > 0) return problems;
  for (auto& p : problems) p = std::string(KindName(kind)) + " " + Quote(id) + ": " + p;
  return problems;
}

}  // namespace

#define SF_FN(ptr) reinterpret_cast<const void*>(ptr)

const char* KindName(sf_component_kind kind) {
  switch (kind) {
    case SF_KIND_PROVIDER: return "provider";
    case SF_KIND_INDICATOR: return "indicator";
    case SF_KIND_MODEL: return "model";
    case SF_KIND_NOTIFIER: return "notifier";
  }
  return "component";
}

std::string JoinProblems(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

std::string CheckPluginId(const char* id) {
  static const char kRule[] =
      " (rule: reverse-DNS like \"org.example.plugin\": letters, digits, '.', '-', '_'; "
      "3..128 bytes; at least one '.'; no empty label)";
  if (id == nullptr) return "id is missing (NULL)";
  size_t n = BoundedLength(id, 128);
  std::string shown(id, n);
  if (n > 128) return "id " + Quote(shown + "...") + " is longer than 128 bytes" + kRule;
  if (n < 3) return "id " + Quote(shown) + " is shorter than 3 bytes" + kRule;
  for (size_t i = 0; i < n; ++i) {
    if (!IsIdChar(id[i])) {
      return "id " + Quote(shown) + " has a forbidden character at byte " + std::to_string(i) +
             kRule;
    }
  }
  if (shown.find('.') == std::string::npos) return "id " + Quote(shown) + " has no '.'" + kRule;
  if (shown.front() == '.' || shown.back() == '.' || shown.find("..") != std::string::npos) {
    return "id " + Quote(shown) + " has an empty label" + kRule;
  }
  return {};
}

std::string CheckComponentId(const char* id) {
  static const char kRule[] =
      " (rule: 1..64 bytes of lowercase letters, digits, '_', '-', '.', starting with a "
      "letter or digit)";
  if (id == nullptr) return "id is missing (NULL)";
  size_t n = BoundedLength(id, 64);
  std::string shown(id, n);
  if (n == 0) return std::string("id is empty") + kRule;
  if (n > 64) return "id " + Quote(shown + "...") + " is longer than 64 bytes" + kRule;
  for (size_t i = 0; i < n; ++i) {
    char c = id[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '_' || c == '-' || c == '.'));
    if (!ok) {
      return "id " + Quote(shown) + " has a forbidden character at byte " + std::to_string(i) +
             kRule;
    }
  }
  return {};
}

std::vector<std::string> CheckManifest(const sf_plugin_manifest* in, sf_plugin_manifest* out) {
  std::vector<std::string> problems;
  std::memset(out, 0, sizeof(*out));
  const uint32_t size = in->struct_size;
  if (size < kMinManifestSize || size > kMaxStructSize) {
    problems.push_back(CheckStructSize("", size, kMinManifestSize));
  }
  if (size <= kMaxStructSize) CopySized(in, out);
  // Each field is judged only when struct_size covers it; a field outside
  // it is not readable and the struct_size problem above already says why.
  auto covers = [&](size_t end) { return size <= kMaxStructSize && size >= end; };
  if (covers(SF_END_OF(sf_plugin_manifest, magic)) && out->magic != SF_PLUGIN_MAGIC) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "magic 0x%08X != 0x%08X (\"SFPL\")",
                  static_cast<unsigned>(out->magic), static_cast<unsigned>(SF_PLUGIN_MAGIC));
    problems.push_back(buf);
  }
  if (covers(SF_END_OF(sf_plugin_manifest, abi_major)) && out->abi_major != SF_ABI_MAJOR) {
    problems.push_back("ABI major " + std::to_string(out->abi_major) + " != host " +
                       std::to_string(SF_ABI_MAJOR));
  }
  if (covers(SF_END_OF(sf_plugin_manifest, min_host_minor))) {
    if (out->min_host_minor > SF_ABI_MINOR) {
      problems.push_back("plugin needs host ABI minor >= " + std::to_string(out->min_host_minor) +
                         ", host is " + std::to_string(SF_ABI_MAJOR) + "." +
                         std::to_string(SF_ABI_MINOR) + " (upgrade the host)");
    }
    if (out->min_host_minor > out->abi_minor) {
      problems.push_back("min_host_minor " + std::to_string(out->min_host_minor) +
                         " > abi_minor " + std::to_string(out->abi_minor) +
                         " the plugin was built with");
    }
  }
  if (covers(SF_END_OF(sf_plugin_manifest, id))) {
    std::string p = CheckPluginId(out->id);
    if (!p.empty()) problems.push_back(p);
  }
  if (covers(SF_END_OF(sf_plugin_manifest, version)) &&
      (out->version == nullptr || out->version[0] == '\0')) {
    problems.push_back("version is missing");
  }
  if (covers(SF_END_OF(sf_plugin_manifest, init)) && out->init == nullptr) {
    problems.push_back("init is missing (NULL)");
  }
  out->struct_size = static_cast<uint32_t>(sizeof(sf_plugin_manifest));
  return problems;
}

std::vector<std::string> CheckMetadata(sf_component_kind kind, const char* json,
                                       nlohmann::json* parsed) {
  std::vector<std::string> out;
  if (json == nullptr) {
    out.push_back("metadata_json is missing (NULL)");
    return out;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    out.push_back(std::string("metadata_json is not valid JSON: ") + e.what());
    return out;
  }
  if (!j.is_object()) {
    out.push_back("metadata_json must be a JSON object");
    return out;
  }
  switch (kind) {
    case SF_KIND_INDICATOR: {
      RequireString(j, "title", &out);
      if (const auto* inputs = RequireArray(j, "inputs", &out)) {
        for (const auto& in : *inputs) {
          static const char* kNames[] = {"open", "high", "low", "close", "volume", "time"};
          bool known = false;
          for (const char* n : kNames) known = known || (in.is_string() && in == n);
          if (!known) {
            out.push_back("metadata_json \"inputs\" has " + in.dump() +
                          "; expected one of open, high, low, close, volume, time");
          }
        }
      }
      if (const auto* params = RequireArray(j, "params", &out)) {
        for (size_t i = 0; i < params->size(); ++i) {
          const auto& p = (*params)[i];
          std::string at = "metadata_json params[" + std::to_string(i) + "]";
          if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) {
            out.push_back(at + " needs a string \"name\"");
            continue;
          }
          std::string type = p.value("type", "");
          if (type != "int" && type != "double" && type != "enum") {
            out.push_back(at + " (" + p["name"].get<std::string>() +
                          ") \"type\" must be \"int\", \"double\" or \"enum\"");
          } else if (type == "enum" && !(p.contains("values") && p["values"].is_array())) {
            out.push_back(at + " (" + p["name"].get<std::string>() +
                          ") is an enum without a \"values\" array");
          }
        }
      }
      if (const auto* outputs = RequireArray(j, "outputs", &out)) {
        for (size_t i = 0; i < outputs->size(); ++i) {
          const auto& o = (*outputs)[i];
          if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) {
            out.push_back("metadata_json outputs[" + std::to_string(i) +
                          "] needs a string \"name\"");
          }
        }
      }
      break;
    }
    case SF_KIND_MODEL:
      RequireString(j, "description", &out);
      RequireArray(j, "tasks", &out);
      break;
    case SF_KIND_PROVIDER:
    case SF_KIND_NOTIFIER:
      RequireString(j, "description", &out);
      break;
  }
  if (parsed != nullptr) *parsed = std::move(j);
  return out;
}

std::vector<std::string> CheckProvider(const sf_provider_vtable* in, sf_provider_vtable* copy,
                                       nlohmann::json* meta) {
  std::vector<std::string> out;
  if (!CheckHead(SF_KIND_PROVIDER, in, kMinProviderSize, copy, meta, &out)) return out;
  RequireFn(SF_FN(copy->create), "create", &out);
  RequireFn(SF_FN(copy->destroy), "destroy", &out);
  RequireFn(SF_FN(copy->fetch_bars), "fetch_bars", &out);
  return Attribute(SF_KIND_PROVIDER, copy->id, std::move(out));
}

std::vector<std::string> CheckIndicator(const sf_indicator_vtable* in, sf_indicator_vtable* copy,
                                        nlohmann::json* meta) {
  std::vector<std::string> out;
  if (!CheckHead(SF_KIND_INDICATOR, in, kMinIndicatorSize, copy, meta, &out)) return out;
  RequireFn(SF_FN(copy->lookback), "lookback", &out);
  RequireFn(SF_FN(copy->compute), "compute", &out);
  int set = (copy->stream_create != nullptr) + (copy->stream_update != nullptr) +
            (copy->stream_destroy != nullptr);
  if (set != 0 && set != 3) {
    std::string which;
    auto note = [&](const char* name, const void* fn) {
      if (!which.empty()) which += ", ";
      which += std::string(name) + (fn ? " set" : " NULL");
    };
    note("stream_create", SF_FN(copy->stream_create));
    note("stream_update", SF_FN(copy->stream_update));
    note("stream_destroy", SF_FN(copy->stream_destroy));
    out.push_back("stream functions must be all set or all NULL (" + which + ")");
  }
  if (copy->output_count < 1) out.push_back("output_count must be >= 1");
  constexpr uint32_t kKnownInputs = SF_INPUT_OPEN | SF_INPUT_HIGH | SF_INPUT_LOW |
                                    SF_INPUT_CLOSE | SF_INPUT_VOLUME | SF_INPUT_TIME;
  if (copy->input_mask & ~kKnownInputs) {
    out.push_back("input_mask has unknown bits 0x" + [&] {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%X", static_cast<unsigned>(copy->input_mask & ~kKnownInputs));
      return std::string(buf);
    }());
  }
  if (meta->is_object()) {
    auto params = meta->find("params");
    if (params != meta->end() && params->is_array() && params->size() != copy->param_count) {
      out.push_back("param_count " + std::to_string(copy->param_count) +
                    " != metadata params length " + std::to_string(params->size()));
    }
    auto outputs = meta->find("outputs");
    if (outputs != meta->end() && outputs->is_array() && outputs->size() != copy->output_count) {
      out.push_back("output_count " + std::to_string(copy->output_count) +
                    " != metadata outputs length " + std::to_string(outputs->size()));
    }
    auto inputs = meta->find("inputs");
    if (inputs != meta->end() && inputs->is_array()) {
      uint32_t mask = 0;
      for (const auto& name : *inputs) {
        if (name == "open") mask |= SF_INPUT_OPEN;
        if (name == "high") mask |= SF_INPUT_HIGH;
        if (name == "low") mask |= SF_INPUT_LOW;
        if (name == "close") mask |= SF_INPUT_CLOSE;
        if (name == "volume") mask |= SF_INPUT_VOLUME;
        if (name == "time") mask |= SF_INPUT_TIME;
      }
      if (mask != (copy->input_mask & kKnownInputs)) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "input_mask 0x%X != 0x%X named by metadata \"inputs\"",
                      static_cast<unsigned>(copy->input_mask), static_cast<unsigned>(mask));
        out.push_back(buf);
      }
    }
  }
  return Attribute(SF_KIND_INDICATOR, copy->id, std::move(out));
}

std::vector<std::string> CheckModel(const sf_model_vtable* in, sf_model_vtable* copy,
                                    nlohmann::json* meta) {
  std::vector<std::string> out;
  if (!CheckHead(SF_KIND_MODEL, in, kMinModelSize, copy, meta, &out)) return out;
  RequireFn(SF_FN(copy->load), "load", &out);
  RequireFn(SF_FN(copy->unload), "unload", &out);
  RequireFn(SF_FN(copy->describe), "describe", &out);
  if (copy->predict == nullptr && copy->train == nullptr && copy->analyze_text == nullptr) {
    out.push_back("a model needs at least one of predict, train, analyze_text");
  }
  return Attribute(SF_KIND_MODEL, copy->id, std::move(out));
}

std::vector<std::string> CheckNotifier(const sf_notifier_vtable* in, sf_notifier_vtable* copy,
                                       nlohmann::json* meta) {
  std::vector<std::string> out;
  if (!CheckHead(SF_KIND_NOTIFIER, in, kMinNotifierSize, copy, meta, &out)) return out;
  RequireFn(SF_FN(copy->create), "create", &out);
  RequireFn(SF_FN(copy->destroy), "destroy", &out);
  RequireFn(SF_FN(copy->send), "send", &out);
  return Attribute(SF_KIND_NOTIFIER, copy->id, std::move(out));
}

}  // namespace sf::plugins
