#include "analyzer.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <chrono>
#include <cstdlib>
#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "schema.h"
#include "signalforge/signalforge.hpp"

namespace sf::llm {

namespace {

using nlohmann::json;

constexpr size_t kMaxHeadline = 4096;
constexpr size_t kMaxResponse = 1 << 20;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Fail(sf_status code, const std::string& message) {
  throw sf::sdk::Error(code, "llm: " + message);
}

// FNV-1a 64 over the model name and the headline with runs of whitespace
// collapsed, so cosmetic spacing differences share a cache entry.
uint64_t HeadlineKey(const std::string& model, const std::string& headline) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  };
  for (unsigned char c : model) mix(c);
  mix(0);
  bool space = false;
  for (unsigned char c : headline) {
    if (std::isspace(c)) {
      space = true;
      continue;
    }
    if (space) mix(' ');
    space = false;
    mix(c);
  }
  return h;
}

std::string Trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

struct HttpResult {
  int status = 0;             // HTTP status, 0 when the transport failed
  std::string body;
  int64_t retry_after_ms = 0;
  sf_status transport = SF_OK;
  std::string transport_message;
};

void EnsureSsl() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_RELAXED, 9,
        true);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, nullptr, ctx);
  });
}

}  // namespace

std::unique_ptr<NewsAnalyzer> NewsAnalyzer::Create(const std::string& config_json) {
  json c;
  try {
    c = json::parse(config_json.empty() ? "{}" : config_json);
  } catch (const json::exception& e) {
    Fail(SF_ERR_INVALID_ARGUMENT, std::string("load config is not valid JSON: ") + e.what());
  }
  if (!c.is_object()) Fail(SF_ERR_INVALID_ARGUMENT, "load config must be a JSON object");
  AnalyzerConfig a;
  auto str = [&](const char* key, std::string* out, bool required) {
    if (!c.contains(key)) {
      if (required) Fail(SF_ERR_INVALID_ARGUMENT, std::string("load config needs \"") + key + "\"");
      return;
    }
    if (!c[key].is_string() || (required && c[key].get<std::string>().empty())) {
      Fail(SF_ERR_INVALID_ARGUMENT, std::string("\"") + key + "\" must be a non-empty string");
    }
    *out = c[key].get<std::string>();
  };
  auto num = [&](const char* key, double lo, double hi) -> std::optional<double> {
    if (!c.contains(key)) return std::nullopt;
    if (!c[key].is_number() || c[key].get<double>() < lo || c[key].get<double>() > hi) {
      Fail(SF_ERR_INVALID_ARGUMENT, std::string("\"") + key + "\" must be a number in [" +
                                        std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return c[key].get<double>();
  };
  str("base_url", &a.base_url, true);
  str("model", &a.model, true);
  str("api_key", &a.api_key, false);
  if (c.contains("api_key_env")) {
    std::string var;
    str("api_key_env", &var, true);
    const char* v = std::getenv(var.c_str());
    if (v == nullptr || *v == '\0') {
      Fail(SF_ERR_UNAUTHENTICATED, "environment variable " + var + " (api_key_env) is not set");
    }
    a.api_key = v;
  }
  try {
    Poco::URI uri(a.base_url);
    if (uri.getScheme() != "http" && uri.getScheme() != "https") throw Poco::Exception("scheme");
    if (uri.getHost().empty()) throw Poco::Exception("host");
  } catch (const Poco::Exception&) {
    Fail(SF_ERR_INVALID_ARGUMENT,
         "\"base_url\" must be an http(s) URL like http://127.0.0.1:8080/v1, got '" +
             a.base_url + "'");
  }
  if (auto v = num("timeout_ms", 1, 600000)) a.timeout_ms = static_cast<int64_t>(*v);
  if (auto v = num("cache_size", 0, 1e7)) a.cache_size = static_cast<size_t>(*v);
  if (auto v = num("rate_per_sec", 0.001, 1e6)) a.rate_per_sec = *v;
  if (auto v = num("burst", 1, 1e6)) a.burst = *v;
  if (auto v = num("breaker_failures", 1, 1000)) a.breaker_failures = static_cast<int>(*v);
  if (auto v = num("breaker_cooldown_ms", 0, 3.6e6)) a.breaker_cooldown_ms = static_cast<int64_t>(*v);
  if (auto v = num("max_tokens", 16, 32768)) a.max_tokens = static_cast<int>(*v);
  if (c.contains("json_mode")) {
    if (!c["json_mode"].is_boolean()) Fail(SF_ERR_INVALID_ARGUMENT, "\"json_mode\" must be a bool");
    a.json_mode = c["json_mode"].get<bool>();
  }
  return std::unique_ptr<NewsAnalyzer>(new NewsAnalyzer(std::move(a)));
}

std::string NewsAnalyzer::Describe() const {
  return json{{"endpoint", config_.base_url + "/chat/completions"},
              {"model", config_.model},
              {"fields",
               {"event_type", "severity", "time_horizon", "company_specific",
                "revenue_impact_pct", "earnings_impact_pct", "credibility", "novelty"}},
              {"event_types", EventTypes()},
              {"timeout_ms", config_.timeout_ms},
              {"cache_size", config_.cache_size},
              {"rate_per_sec", config_.rate_per_sec},
              {"burst", config_.burst},
              {"breaker_failures", config_.breaker_failures},
              {"breaker_cooldown_ms", config_.breaker_cooldown_ms}}
      .dump();
}

std::string NewsAnalyzer::Request(const std::string& headline) {
  json body = {{"model", config_.model},
               {"messages",
                {{{"role", "system"}, {"content", SystemPrompt()}},
                 {{"role", "user"}, {"content", headline}}}},
               {"temperature", 0},
               {"max_tokens", config_.max_tokens}};
  if (config_.json_mode) body["response_format"] = {{"type", "json_object"}};
  const std::string payload = body.dump();

  HttpResult r;
  try {
    Poco::URI uri(config_.base_url);
    std::string path = uri.getPathEtc();
    if (path.empty() || path.back() != '/') path += '/';
    path += "chat/completions";
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      EnsureSsl();
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort());
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    const Poco::Timespan timeout(config_.timeout_ms * 1000);
    session->setTimeout(timeout);
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(payload.size()));
    if (!config_.api_key.empty()) req.set("Authorization", "Bearer " + config_.api_key);
    session->sendRequest(req) << payload;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    r.status = static_cast<int>(resp.getStatus());
    char buf[8192];
    while (in && r.body.size() < kMaxResponse) {
      in.read(buf, sizeof buf);
      r.body.append(buf, static_cast<size_t>(in.gcount()));
    }
    if (resp.has("Retry-After")) {
      r.retry_after_ms = static_cast<int64_t>(std::atof(resp.get("Retry-After").c_str()) * 1000);
    }
  } catch (const Poco::TimeoutException& e) {
    r.transport = SF_ERR_TIMEOUT;
    r.transport_message = "no answer from " + config_.base_url + " within " +
                          std::to_string(config_.timeout_ms) + " ms";
  } catch (const Poco::Exception& e) {
    r.transport = SF_ERR_UNAVAILABLE;
    r.transport_message = "cannot reach " + config_.base_url + ": " + e.displayText();
  }

  // Map the outcome; the caller updates the breaker from the status.
  if (r.transport != SF_OK) Fail(r.transport, r.transport_message);
  const std::string snippet = r.body.substr(0, 200);
  if (r.status == 429) {
    std::lock_guard<std::mutex> lock(mu_);
    server_backoff_until_ms_ = NowMs() + std::max<int64_t>(r.retry_after_ms, 1000);
    Fail(SF_ERR_RATE_LIMITED, "the server answered 429 Too Many Requests: " + snippet);
  }
  if (r.status == 401 || r.status == 403) {
    Fail(SF_ERR_UNAUTHENTICATED, "the server refused the API key (HTTP " +
                                     std::to_string(r.status) + "): " + snippet);
  }
  if (r.status >= 500) {
    Fail(SF_ERR_UNAVAILABLE, "the server failed (HTTP " + std::to_string(r.status) + "): " + snippet);
  }
  if (r.status != 200) {
    Fail(SF_ERR_INVALID_ARGUMENT,
         "the server refused the request (HTTP " + std::to_string(r.status) + "): " + snippet);
  }
  std::string content;
  try {
    const json answer = json::parse(r.body);
    content = answer.at("choices").at(0).at("message").at("content").get<std::string>();
  } catch (const json::exception&) {
    Fail(SF_ERR_BAD_DATA, "the server's answer has no choices[0].message.content: " + snippet);
  }
  json analysis;
  std::string error;
  if (!ValidateAnalysis(content, &analysis, &error)) Fail(SF_ERR_BAD_DATA, error);
  analysis["model"] = config_.model;
  return analysis.dump();
}

std::string NewsAnalyzer::Analyze(const std::string& text) {
  const std::string headline = Trimmed(text);
  if (headline.empty()) Fail(SF_ERR_INVALID_ARGUMENT, "the headline is empty");
  if (headline.size() > kMaxHeadline) {
    Fail(SF_ERR_TOO_LARGE, "a headline of " + std::to_string(headline.size()) +
                               " bytes is over the 4096-byte limit");
  }
  const uint64_t key = HeadlineKey(config_.model, headline);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto hit = cache_.Get(key)) {
      json j = json::parse(*hit);
      j["cached"] = true;
      return j.dump();
    }
    const int64_t now = NowMs();
    if (now < server_backoff_until_ms_) {
      Fail(SF_ERR_RATE_LIMITED, "the server asked to wait (429); retry in " +
                                    std::to_string(server_backoff_until_ms_ - now) + " ms");
    }
    if (!bucket_.TryTake(now)) {
      Fail(SF_ERR_RATE_LIMITED, "over the configured " + std::to_string(config_.rate_per_sec) +
                                    " requests/s; next slot in " +
                                    std::to_string(bucket_.WaitMs()) + " ms");
    }
    if (!breaker_.Allow(now)) {
      Fail(SF_ERR_UNAVAILABLE,
           "circuit open after " + std::to_string(breaker_.failures()) +
               " consecutive failures of " + config_.base_url + "; next attempt in " +
               std::to_string(std::max<int64_t>(0, breaker_.open_until_ms() - now)) + " ms");
    }
  }
  try {
    std::string answer = Request(headline);
    std::lock_guard<std::mutex> lock(mu_);
    breaker_.Success();
    cache_.Put(key, answer);
    json j = json::parse(answer);
    j["cached"] = false;
    return j.dump();
  } catch (const sf::sdk::Error& e) {
    std::lock_guard<std::mutex> lock(mu_);
    const sf_status c = e.code();
    if (c == SF_ERR_UNAVAILABLE || c == SF_ERR_TIMEOUT || c == SF_ERR_UNAUTHENTICATED) {
      breaker_.Failure(NowMs());
    } else {
      breaker_.Success();  // the endpoint answered; the fault is elsewhere
    }
    throw;
  }
}

}  // namespace sf::llm
