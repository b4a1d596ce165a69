// Tests of the LLM news-analyzer plugin (plugins/llm) loaded as the real .so,
// against a real HTTP server on 127.0.0.1 (Poco HTTPServer) that speaks the
// OpenAI chat-completions format: good answers, malformed model output
// (not JSON, wrong enum, missing field, out of range, markdown-fenced), 429,
// 500, a slow server, a closed port, the cache, the rate limit and the
// circuit breaker.
#include <gtest/gtest.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "model_support.h"

namespace sf::models::test {
namespace {

using nlohmann::json;

// What the fake endpoint answers next.
enum class Mode {
  kGood, kNotJson, kWrongEnum, kMissingField, kOutOfRange, kFenced, k401, k429, k500, kSlow
};

const json kGoodAnalysis = {{"event_type", "supply_chain"}, {"severity", "moderate"},
                            {"time_horizon", "quarters"},   {"company_specific", true},
                            {"revenue_impact_pct", -3.5},   {"earnings_impact_pct", -5},
                            {"credibility", 0.75},          {"novelty", 0.6}};

struct ServerState {
  std::atomic<Mode> mode{Mode::kGood};
  std::atomic<int> requests{0};
  std::mutex mu;
  std::string last_path, last_body, last_auth;
  // Handlers still running: the slow one outlives its client's timeout, and
  // it must be done before the fixture (and, at exit, kGoodAnalysis) goes
  // away, or it reads freed memory (AddressSanitizer caught that).
  std::atomic<int> in_flight{0};
  std::mutex release_mu;
  std::condition_variable release_cv;
  bool released = false;  // guarded by release_mu; set by TearDown
};

std::string Completion(const std::string& content) {
  return json{{"id", "chatcmpl-test"},
              {"object", "chat.completion"},
              {"model", "test-model"},
              {"choices",
               {{{"index", 0},
                 {"message", {{"role", "assistant"}, {"content", content}}},
                 {"finish_reason", "stop"}}}},
              {"usage", {{"prompt_tokens", 50}, {"completion_tokens", 40}, {"total_tokens", 90}}}}
      .dump();
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(ServerState* s) : s_(s) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    ++s_->in_flight;
    struct Done {
      ServerState* s;
      ~Done() { --s->in_flight; }
    } done{s_};
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    ++s_->requests;
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      s_->last_path = req.getURI();
      s_->last_body = body;
      s_->last_auth = req.get("Authorization", "");
    }
    using Status = Poco::Net::HTTPResponse::HTTPStatus;
    resp.setContentType("application/json");
    json bad = kGoodAnalysis;
    std::string out;
    switch (s_->mode.load()) {
      case Mode::kGood: out = Completion(kGoodAnalysis.dump()); break;
      case Mode::kNotJson: out = Completion("The headline suggests moderate supply issues."); break;
      case Mode::kWrongEnum:
        bad["severity"] = "catastrophic";
        out = Completion(bad.dump());
        break;
      case Mode::kMissingField:
        bad.erase("novelty");
        out = Completion(bad.dump());
        break;
      case Mode::kOutOfRange:
        bad["credibility"] = 1.5;
        out = Completion(bad.dump());
        break;
      case Mode::kFenced: out = Completion("```json\n" + kGoodAnalysis.dump(2) + "\n```"); break;
      case Mode::k401:
        resp.setStatus(Status::HTTP_UNAUTHORIZED);
        out = R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})";
        break;
      case Mode::k429:
        resp.setStatus(Status::HTTP_TOO_MANY_REQUESTS);
        resp.set("Retry-After", "2");
        out = R"({"error":{"message":"Rate limit reached","type":"requests"}})";
        break;
      case Mode::k500:
        resp.setStatus(Status::HTTP_INTERNAL_SERVER_ERROR);
        out = R"({"error":{"message":"model crashed","type":"server_error"}})";
        break;
      case Mode::kSlow: {
        // 1500 ms, or less when the test is over.
        std::unique_lock<std::mutex> lock(s_->release_mu);
        s_->release_cv.wait_for(lock, std::chrono::milliseconds(1500), [&] { return s_->released; });
        out = Completion(kGoodAnalysis.dump());
        break;
      }
    }
    resp.setContentLength(static_cast<std::streamsize>(out.size()));
    resp.send() << out;
  }

 private:
  ServerState* s_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(ServerState* s) : s_(s) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(s_);
  }

 private:
  ServerState* s_;
};

class LlmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(&state_), socket, params);
    server_->start();
  }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(state_.release_mu);
      state_.released = true;
    }
    state_.release_cv.notify_all();
    server_->stopAll(true);
    // stopAll does not wait for handlers that are already running.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (state_.in_flight.load() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(state_.in_flight.load(), 0) << "a request handler is still running";
  }

  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  Instance Open(json extra = json::object()) {
    json c = {{"base_url", BaseUrl()}, {"model", "test-model"}, {"api_key", "sk-test"},
              {"timeout_ms", 2000}};
    for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = *it;
    Answer a;
    Instance inst = Load(FindModel("news_llm"), c.dump(), &a);
    EXPECT_TRUE(inst) << a.error;
    return inst;
  }
  Answer Ask(const Instance& inst, const std::string& headline) {
    return AnalyzeText(FindModel("news_llm"), inst, headline);
  }

  ServerState state_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

TEST_F(LlmTest, ClassifiesAHeadlineThroughTheChatCompletionsApi) {
  Instance inst = Open();
  Answer a = Ask(inst, "Apple faces component shortage ahead of iPhone launch");
  ASSERT_EQ(a.status, SF_OK) << a.error;
  const json j = json::parse(a.text);
  EXPECT_EQ(j["event_type"], "supply_chain");
  EXPECT_EQ(j["severity"], "moderate");
  EXPECT_EQ(j["time_horizon"], "quarters");
  EXPECT_EQ(j["company_specific"], true);
  EXPECT_DOUBLE_EQ(j["revenue_impact_pct"].get<double>(), -3.5);
  EXPECT_DOUBLE_EQ(j["credibility"].get<double>(), 0.75);
  EXPECT_EQ(j["cached"], false);
  std::lock_guard<std::mutex> lock(state_.mu);
  EXPECT_EQ(state_.last_path, "/v1/chat/completions");
  EXPECT_EQ(state_.last_auth, "Bearer sk-test");
  const json req = json::parse(state_.last_body);
  EXPECT_EQ(req["model"], "test-model");
  EXPECT_EQ(req["response_format"]["type"], "json_object");
  ASSERT_EQ(req["messages"].size(), 2u);
  EXPECT_EQ(req["messages"][0]["role"], "system");
  EXPECT_NE(req["messages"][0]["content"].get<std::string>().find("minor, moderate, severe"),
            std::string::npos);
  EXPECT_EQ(req["messages"][1]["content"], "Apple faces component shortage ahead of iPhone launch");
}

TEST_F(LlmTest, SecondIdenticalCallIsServedFromTheCache) {
  Instance inst = Open();
  ASSERT_EQ(Ask(inst, "Fed holds rates steady").status, SF_OK);
  EXPECT_EQ(state_.requests.load(), 1);
  state_.mode = Mode::k500;  // a cache hit never reaches the server
  Answer again = Ask(inst, "Fed holds rates steady");
  ASSERT_EQ(again.status, SF_OK) << again.error;
  EXPECT_EQ(json::parse(again.text)["cached"], true);
  Answer spaced = Ask(inst, "  Fed  holds rates\tsteady ");
  EXPECT_EQ(spaced.status, SF_OK) << spaced.error;
  EXPECT_EQ(state_.requests.load(), 1);
  state_.mode = Mode::kGood;
  ASSERT_EQ(Ask(inst, "Another headline").status, SF_OK);
  EXPECT_EQ(state_.requests.load(), 2);
}

TEST_F(LlmTest, CacheIsBoundedLeastRecentlyUsedFirst) {
  Instance inst = Open({{"cache_size", 2}, {"rate_per_sec", 1000}, {"burst", 100}});
  ASSERT_EQ(Ask(inst, "one").status, SF_OK);
  ASSERT_EQ(Ask(inst, "two").status, SF_OK);
  ASSERT_EQ(Ask(inst, "one").status, SF_OK);    // hit: "one" is now most recent
  ASSERT_EQ(Ask(inst, "three").status, SF_OK);  // evicts "two"
  EXPECT_EQ(state_.requests.load(), 3);
  ASSERT_EQ(Ask(inst, "one").status, SF_OK);
  EXPECT_EQ(state_.requests.load(), 3);
  ASSERT_EQ(Ask(inst, "two").status, SF_OK);
  EXPECT_EQ(state_.requests.load(), 4);
}

TEST_F(LlmTest, MalformedModelOutputIsRefusedNamingTheField) {
  Instance inst = Open({{"rate_per_sec", 1000}, {"burst", 100}});
  state_.mode = Mode::kNotJson;
  Answer a = Ask(inst, "h1");
  EXPECT_EQ(a.status, SF_ERR_BAD_DATA);
  EXPECT_NE(a.error.find("model output is not JSON"), std::string::npos) << a.error;

  state_.mode = Mode::kWrongEnum;
  a = Ask(inst, "h2");
  EXPECT_EQ(a.status, SF_ERR_BAD_DATA);
  EXPECT_NE(a.error.find("field 'severity' must be one of minor, moderate, severe (got \"catastrophic\")"),
            std::string::npos)
      << a.error;

  state_.mode = Mode::kMissingField;
  a = Ask(inst, "h3");
  EXPECT_EQ(a.status, SF_ERR_BAD_DATA);
  EXPECT_NE(a.error.find("field 'novelty' is missing"), std::string::npos) << a.error;

  state_.mode = Mode::kOutOfRange;
  a = Ask(inst, "h4");
  EXPECT_EQ(a.status, SF_ERR_BAD_DATA);
  EXPECT_NE(a.error.find("field 'credibility' must be a number in [0, 1] (got 1.5)"),
            std::string::npos)
      << a.error;

  // Rejected answers are not cached: the same headline asks again.
  state_.mode = Mode::kGood;
  const int before = state_.requests.load();
  EXPECT_EQ(Ask(inst, "h2").status, SF_OK);
  EXPECT_EQ(state_.requests.load(), before + 1);
}

TEST_F(LlmTest, MarkdownFencedJsonIsAccepted) {
  Instance inst = Open();
  state_.mode = Mode::kFenced;
  Answer a = Ask(inst, "Tesla recalls 2 million vehicles");
  ASSERT_EQ(a.status, SF_OK) << a.error;
  EXPECT_EQ(json::parse(a.text)["severity"], "moderate");
}

TEST_F(LlmTest, TooManyRequestsBacksOffWithoutCallingAgain) {
  Instance inst = Open({{"rate_per_sec", 1000}, {"burst", 100}});
  state_.mode = Mode::k429;
  Answer a = Ask(inst, "h1");
  EXPECT_EQ(a.status, SF_ERR_RATE_LIMITED);
  EXPECT_NE(a.error.find("429"), std::string::npos) << a.error;
  state_.mode = Mode::kGood;
  a = Ask(inst, "h2");  // inside Retry-After: refused here, not sent
  EXPECT_EQ(a.status, SF_ERR_RATE_LIMITED);
  EXPECT_NE(a.error.find("asked to wait"), std::string::npos) << a.error;
  EXPECT_EQ(state_.requests.load(), 1);
}

TEST_F(LlmTest, RefusedApiKeyIsUnauthenticated) {
  Instance inst = Open();
  state_.mode = Mode::k401;
  Answer a = Ask(inst, "h1");
  EXPECT_EQ(a.status, SF_ERR_UNAUTHENTICATED);
  EXPECT_NE(a.error.find("refused the API key (HTTP 401)"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("Incorrect API key"), std::string::npos) << a.error;
}

TEST_F(LlmTest, ServerErrorsOpenTheCircuitAndCallsFailFast) {
  Instance inst = Open({{"breaker_failures", 2}, {"breaker_cooldown_ms", 300},
                        {"rate_per_sec", 1000}, {"burst", 100}});
  state_.mode = Mode::k500;
  Answer a = Ask(inst, "h1");
  EXPECT_EQ(a.status, SF_ERR_UNAVAILABLE);
  EXPECT_NE(a.error.find("HTTP 500"), std::string::npos) << a.error;
  EXPECT_EQ(Ask(inst, "h2").status, SF_ERR_UNAVAILABLE);
  EXPECT_EQ(state_.requests.load(), 2);
  // Open: refused at once without a request.
  const auto t0 = std::chrono::steady_clock::now();
  a = Ask(inst, "h3");
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(a.status, SF_ERR_UNAVAILABLE);
  EXPECT_NE(a.error.find("circuit open after 2 consecutive failures"), std::string::npos) << a.error;
  EXPECT_EQ(state_.requests.load(), 2);
  EXPECT_LT(took, std::chrono::milliseconds(200));  // no network wait
  // After the cooldown one trial goes out; success closes the circuit.
  state_.mode = Mode::kGood;
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_EQ(Ask(inst, "h4").status, SF_OK);
  EXPECT_EQ(Ask(inst, "h5").status, SF_OK);
  EXPECT_EQ(state_.requests.load(), 4);
}

TEST_F(LlmTest, SlowServerTimesOut) {
  Instance inst = Open({{"timeout_ms", 300}});
  state_.mode = Mode::kSlow;
  const auto t0 = std::chrono::steady_clock::now();
  Answer a = Ask(inst, "slow headline");
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(a.status, SF_ERR_TIMEOUT);
  EXPECT_NE(a.error.find("within 300 ms"), std::string::npos) << a.error;
  EXPECT_LT(took, std::chrono::milliseconds(1400));  // the server sleeps 1500
}

TEST_F(LlmTest, ClosedPortIsUnavailableQuickly) {
  uint16_t closed = 0;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    closed = s.address().port();
  }
  Answer load;
  Instance inst = Load(FindModel("news_llm"),
                       json{{"base_url", "http://127.0.0.1:" + std::to_string(closed) + "/v1"},
                            {"model", "m"}}
                           .dump(),
                       &load);
  ASSERT_TRUE(inst) << load.error;
  const auto t0 = std::chrono::steady_clock::now();
  Answer a = Ask(inst, "anything");
  EXPECT_EQ(a.status, SF_ERR_UNAVAILABLE);
  EXPECT_NE(a.error.find("cannot reach"), std::string::npos) << a.error;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000));
}

TEST_F(LlmTest, TokenBucketLimitsTheRequestRate) {
  Instance inst = Open({{"rate_per_sec", 0.01}, {"burst", 2}});
  EXPECT_EQ(Ask(inst, "a").status, SF_OK);
  EXPECT_EQ(Ask(inst, "b").status, SF_OK);
  Answer a = Ask(inst, "c");
  EXPECT_EQ(a.status, SF_ERR_RATE_LIMITED);
  EXPECT_NE(a.error.find("requests/s"), std::string::npos) << a.error;
  EXPECT_EQ(state_.requests.load(), 2);
  EXPECT_EQ(Ask(inst, "a").status, SF_OK);  // cached answers are not rate limited
}

TEST_F(LlmTest, BadConfigIsRefusedNamingTheField) {
  Answer a;
  Instance inst = Load(FindModel("news_llm"), R"({"model":"m"})", &a);
  EXPECT_FALSE(inst);
  EXPECT_EQ(a.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(a.error.find("needs \"base_url\""), std::string::npos) << a.error;
  inst = Load(FindModel("news_llm"), R"({"model":"m","base_url":"ftp://x"})", &a);
  EXPECT_NE(a.error.find("must be an http(s) URL"), std::string::npos) << a.error;
  inst = Load(FindModel("news_llm"), R"({"model":"m","base_url":"http://x","timeout_ms":-1})", &a);
  EXPECT_NE(a.error.find("\"timeout_ms\" must be a number"), std::string::npos) << a.error;
  Instance ok = Open();
  Answer empty = Ask(ok, "   ");
  EXPECT_EQ(empty.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(state_.requests.load(), 0);
}

}  // namespace
}  // namespace sf::models::test
