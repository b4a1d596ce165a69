// NewsAnalyzer: classifies one headline through an OpenAI-compatible
// chat-completions endpoint (POST <base_url>/chat/completions; e.g. a local
// llama.cpp server or Ollama at http://127.0.0.1:11434/v1), asking for JSON
// output (response_format json_object) and validating it (schema.h).
//
// In front of the endpoint: a bounded LRU cache by headline hash, a token
// bucket, a circuit breaker and a per-request timeout. Anything that means
// "the model is not there right now" comes back fast as SF_ERR_UNAVAILABLE /
// SF_ERR_TIMEOUT / SF_ERR_RATE_LIMITED so callers fall back to sentiment only.
//
// Ownership: owns its configuration and guards; each call opens its own HTTP
// session. Thread-safety: Analyze may be called from many threads; the cache,
// bucket and breaker sit behind one mutex that is never held during I/O.
#ifndef SF_PLUGINS_LLM_ANALYZER_H_
#define SF_PLUGINS_LLM_ANALYZER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "guards.h"

namespace sf::llm {

struct AnalyzerConfig {
  std::string base_url;         // e.g. http://127.0.0.1:8080/v1 (required)
  std::string model;            // e.g. "llama3" (required)
  std::string api_key;          // sent as "Authorization: Bearer <key>" when set
  int64_t timeout_ms = 5000;    // connect + send + receive, per request
  size_t cache_size = 1024;     // answers kept (LRU); 0 disables the cache
  double rate_per_sec = 2.0;    // token bucket refill
  double burst = 4.0;           // token bucket size
  int breaker_failures = 3;     // consecutive failures that open the breaker
  int64_t breaker_cooldown_ms = 30000;
  int max_tokens = 300;
  bool json_mode = true;        // send response_format {"type":"json_object"}
};

class NewsAnalyzer {
 public:
  // Parses the load config JSON; throws sf::sdk::Error naming the bad field.
  static std::unique_ptr<NewsAnalyzer> Create(const std::string& config_json);

  // The validated analysis as JSON (plus "model" and "cached"). Throws
  // sf::sdk::Error: SF_ERR_UNAVAILABLE (down, 5xx, breaker open),
  // SF_ERR_TIMEOUT, SF_ERR_RATE_LIMITED (our bucket or the server's 429),
  // SF_ERR_UNAUTHENTICATED (401/403), SF_ERR_BAD_DATA (output broke the
  // schema; the message names the field), SF_ERR_INVALID_ARGUMENT.
  std::string Analyze(const std::string& headline);

  std::string Describe() const;

 private:
  explicit NewsAnalyzer(AnalyzerConfig c)
      : config_(std::move(c)),
        cache_(config_.cache_size),
        bucket_(config_.rate_per_sec, config_.burst),
        breaker_(config_.breaker_failures, config_.breaker_cooldown_ms) {}
  std::string Request(const std::string& headline);  // one HTTP round trip

  AnalyzerConfig config_;
  std::mutex mu_;
  LruCache cache_;
  TokenBucket bucket_;
  CircuitBreaker breaker_;
  int64_t server_backoff_until_ms_ = 0;  // from a 429's Retry-After
};

}  // namespace sf::llm

#endif  // SF_PLUGINS_LLM_ANALYZER_H_
