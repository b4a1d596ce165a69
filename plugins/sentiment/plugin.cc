// org.signalforge.sentiment - VADER sentiment for headlines and posts: one
// model component "vader" answering analyze_text with
// {"compound":c,"pos":p,"neu":u,"neg":n,"tokens":k}. Built only against sdk/.
// See README.md and vader.h.
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "signalforge/signalforge.hpp"
#include "vader.h"

namespace {

constexpr char kPluginId[] = "org.signalforge.sentiment";
constexpr size_t kMaxText = 64 * 1024;

using nlohmann::json;
using sf::sentiment::Analyzer;

struct Instance {
  std::unique_ptr<Analyzer> analyzer;
  std::string describe;
};

sf_status Load(const char* config_json, void** out) {
  return sf::sdk::Guard([&] {
    if (out == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "sentiment: load needs an out pointer");
    json c;
    try {
      c = json::parse(config_json && *config_json ? config_json : "{}");
    } catch (const json::exception& e) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           std::string("sentiment: load config is not valid JSON: ") + e.what());
    }
    if (!c.is_object()) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "sentiment: load config must be an object");
    sf::sentiment::AnalyzerOptions o;
    try {
      o.finance = c.value("finance", true);
      o.lexicon_path = c.value("lexicon_path", std::string());
      if (c.contains("extra")) {
        if (!c["extra"].is_object()) throw std::invalid_argument("sentiment: \"extra\" must map words to valences");
        for (auto it = c["extra"].begin(); it != c["extra"].end(); ++it) {
          if (!it->is_number()) {
            throw std::invalid_argument("sentiment: extra lexicon entry '" + it.key() +
                                        "' needs a valence in [-4, 4]");
          }
          o.extra[it.key()] = it->get<double>();
        }
      }
    } catch (const json::exception& e) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           std::string("sentiment: load config: \"finance\" must be a bool and "
                                       "\"lexicon_path\" a string (") + e.what() + ")");
    }
    auto inst = std::make_unique<Instance>();
    try {
      inst->analyzer = Analyzer::Create(o);
    } catch (const std::invalid_argument& e) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, e.what());
    }
    inst->describe = json{{"algorithm", "vader"},
                          {"lexicon", inst->analyzer->lexicon_name()},
                          {"lexicon_entries", inst->analyzer->lexicon_size()},
                          {"outputs", {"compound", "pos", "neu", "neg", "tokens"}},
                          {"compound_range", {-1, 1}}}
                         .dump();
    *out = inst.release();
  });
}

void Unload(void* p) { delete static_cast<Instance*>(p); }

sf_status Describe(void* p, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (p == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "sentiment: no instance");
    return sf::sdk::WriteOut(static_cast<Instance*>(p)->describe, buf, cap, needed);
  });
}

sf_status AnalyzeText(void* p, const char* text, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (p == nullptr || text == nullptr) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "sentiment: analyze_text needs an instance and a text");
    }
    const std::string_view t(text);
    if (t.size() > kMaxText) {
      throw sf::sdk::Error(SF_ERR_TOO_LARGE, "sentiment: text of " + std::to_string(t.size()) +
                                                 " bytes is over the 65536-byte limit");
    }
    const sf::sentiment::Scores s = static_cast<Instance*>(p)->analyzer->Analyze(t);
    char out[160];
    const int n = std::snprintf(out, sizeof out,
                                "{\"compound\":%.4f,\"pos\":%.3f,\"neu\":%.3f,\"neg\":%.3f,\"tokens\":%d}",
                                s.compound, s.pos, s.neu, s.neg, s.tokens);
    return sf::sdk::WriteOut(std::string_view(out, static_cast<size_t>(n)), buf, cap, needed);
  });
}

constexpr sf_model_vtable kVader = sf::sdk::TextModel(
    "vader",
    R"({"description":"VADER rule-based sentiment (Hutto & Gilbert 2014) with Signalforge's own general + finance lexicon; compound in [-1, 1]","tasks":["text"]})",
    &Load, &Unload, &Describe, &AnalyzeText);

constexpr sf_plugin_manifest kManifest = sf::sdk::Manifest(
    kPluginId, "1.0.0", "Sentiment (VADER)",
    "VADER sentiment scores for headlines and social posts, with a finance lexicon",
    &sf::sdk::InitOneModel<&kVader>);

}  // namespace

SF_PLUGIN_ENTRY(host) {
  sf::sdk::Remember(host);
  return &kManifest;
}
