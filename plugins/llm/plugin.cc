// org.signalforge.llm - LLM news analysis: one model component "news_llm"
// whose analyze_text classifies a headline through an OpenAI-compatible
// chat-completions endpoint (see analyzer.h, README.md). Optional at run
// time: when the endpoint is down it answers SF_ERR_UNAVAILABLE quickly and
// callers use sentiment only. Built only against sdk/.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "analyzer.h"
#include "signalforge/signalforge.hpp"

namespace {

constexpr char kPluginId[] = "org.signalforge.llm";
using sf::llm::NewsAnalyzer;

struct Instance {
  std::unique_ptr<NewsAnalyzer> analyzer;
  std::string describe;
  uint64_t serial = NextSerial();  // unique for the process, unlike the address
  static uint64_t NextSerial() {
    static std::atomic<uint64_t> next{1};
    return next++;
  }
};

sf_status Load(const char* config_json, void** out) {
  return sf::sdk::Guard([&] {
    if (out == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "llm: load needs an out pointer");
    auto inst = std::make_unique<Instance>();
    inst->analyzer = NewsAnalyzer::Create(config_json ? config_json : "{}");
    inst->describe = inst->analyzer->Describe();
    *out = inst.release();
  });
}

void Unload(void* p) { delete static_cast<Instance*>(p); }

sf_status Describe(void* p, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (p == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "llm: no instance");
    return sf::sdk::WriteOut(static_cast<Instance*>(p)->describe, buf, cap, needed);
  });
}

// An answer that did not fit the caller's buffer, kept for this thread so
// the caller's retry with a larger buffer gets the very same text (no second
// request, and "cached" stays what it was).
struct PendingAnswer {
  uint64_t instance = 0;
  std::string headline;
  std::string answer;
};
thread_local PendingAnswer pending;

sf_status AnalyzeText(void* p, const char* text, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (p == nullptr || text == nullptr) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "llm: analyze_text needs an instance and a headline");
    }
    std::string answer;
    const uint64_t serial = static_cast<Instance*>(p)->serial;
    if (pending.instance == serial && pending.headline == text) {
      answer = std::move(pending.answer);
      pending = PendingAnswer();
    } else {
      answer = static_cast<Instance*>(p)->analyzer->Analyze(text);
    }
    const sf_status s = sf::sdk::WriteOut(answer, buf, cap, needed);
    if (s == SF_INCOMPLETE) pending = PendingAnswer{serial, text, std::move(answer)};
    return s;
  });
}

constexpr sf_model_vtable kNewsLlm = sf::sdk::TextModel(
    "news_llm",
    R"({"description":"Headline classification by an LLM behind an OpenAI-compatible chat-completions endpoint: event type, severity, time horizon, company-specific, revenue/earnings impact %, credibility, novelty","tasks":["text"]})",
    &Load, &Unload, &Describe, &AnalyzeText);

constexpr sf_plugin_manifest kManifest = sf::sdk::Manifest(
    kPluginId, "1.0.0", "LLM news analyzer",
    "Classifies news headlines with an OpenAI-compatible LLM endpoint, validated and cached",
    &sf::sdk::InitOneModel<&kNewsLlm>);

}  // namespace

SF_PLUGIN_ENTRY(host) {
  sf::sdk::Remember(host);
  return &kManifest;
}
