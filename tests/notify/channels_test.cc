// Telegram against a local server speaking the Bot API's format (including
// 429 with parameters.retry_after), and e-mail to a real SMTP server
// (aiosmtpd, STARTTLS + AUTH) started by the test.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "notifiers.h"
#include "notify/channel_set.h"
#include "notify_support.h"

#ifndef SF_TEMPLATES_DIR
#error "SF_TEMPLATES_DIR must name config/templates"
#endif
#ifndef SF_SMTP_SERVER
#error "SF_SMTP_SERVER must name tests/notify/smtp_server.py"
#endif

namespace sf::notify::test {
namespace {

namespace fs = std::filesystem;
constexpr char kToken[] = "123456:ABC-DEF_test";

Outgoing SignalDelivery(const std::string& destination, const std::string& id = "d-1") {
  Outgoing o;
  o.delivery_id = id;
  o.event_type = "signal.created";
  o.destination = destination;
  o.payload_json = nlohmann::json{{"signal_id", "4c1d2b7e-0000-4000-8000-00000000abcd"},
                                  {"symbol", "BRK.B"},
                                  {"side", "buy"},
                                  {"entry_price", 412.5},
                                  {"target_price", 430.0},
                                  {"stop_price", 401.25},
                                  {"confidence", 0.71},
                                  {"strategy", "mean_reversion"},
                                  {"summary", "RSI(14) < 30 & price near -2σ band!"}}
                       .dump();
  o.timestamp_us = NowSeconds() * 1'000'000;
  return o;
}

// A Bot API stand-in: /bot<token>/sendMessage answers like Telegram.
Receiver::Script BotApi(std::atomic<int>* throttle_first_n) {
  return [throttle_first_n](const Received& r) {
    Reply reply;
    if (r.path != std::string("/bot") + kToken + "/sendMessage") {
      reply.status = 404;
      reply.body = R"({"ok":false,"error_code":404,"description":"Not Found"})";
      return reply;
    }
    auto req = nlohmann::json::parse(r.body, nullptr, false);
    if (req.value("chat_id", "") == "999") {
      reply.status = 400;
      reply.body = R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})";
      return reply;
    }
    if (req.value("chat_id", "") == "403") {
      reply.status = 403;
      reply.body =
          R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})";
      return reply;
    }
    if (throttle_first_n->fetch_sub(1) > 0) {
      reply.status = 429;
      reply.body =
          R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}})";
      return reply;
    }
    reply.body = R"({"ok":true,"result":{"message_id":1,"chat":{"id":)" +
                 req.value("chat_id", "0") + R"(},"text":"x"}})";
    return reply;
  };
}

std::unique_ptr<ChannelSet> TelegramChannels(const std::string& base, int per_chat_ms,
                                             int max_wait_ms = 5000) {
  nlohmann::json cfg = {{"telegram",
                         {{"bot_token", kToken},
                          {"base_url", base},
                          {"per_chat_interval_ms", per_chat_ms},
                          {"max_wait_ms", max_wait_ms},
                          {"timeout_ms", 3000}}}};
  auto set = ChannelSet::Create(&NotifierRegistry(), cfg, nullptr);
  EXPECT_TRUE(set->Has("telegram")) << nlohmann::json(set->unavailable()).dump();
  return set;
}

TEST(Telegram, SendMessageWithMarkdownV2AndRetryAfterOn429) {
  std::atomic<int> throttle{1};
  Receiver api(BotApi(&throttle));
  auto channels = TelegramChannels("http://127.0.0.1:" + std::to_string(api.port()), 0);
  SendOutcome limited = channels->Send("telegram", SignalDelivery("123456789"));
  EXPECT_EQ(limited.status.code(), SF_ERR_RATE_LIMITED) << limited.status.ToString();
  EXPECT_EQ(limited.retry_after_ms, 3000);
  EXPECT_EQ(limited.remote_status, 429);
  SendOutcome ok = channels->Send("telegram", SignalDelivery("123456789"));
  ASSERT_TRUE(ok.status.ok()) << ok.status.ToString();
  auto got = api.received();
  ASSERT_EQ(got.size(), 2u);
  auto req = nlohmann::json::parse(got[1].body);
  EXPECT_EQ(req["chat_id"], "123456789");
  EXPECT_EQ(req["parse_mode"], "MarkdownV2");
  const std::string text = req["text"];
  // Every reserved character of the values is escaped; the bold markers are not.
  EXPECT_EQ(text.front(), '*');
  EXPECT_NE(text.find("BRK\\.B @ 412\\.5 \\| target 430"), std::string::npos) << text;
  EXPECT_NE(text.find("RSI\\(14\\) < 30 & price near \\-2σ band\\!"), std::string::npos) << text;
  EXPECT_NE(text.find("4c1d2b7e\\-0000"), std::string::npos) << text;
}

TEST(Telegram, PermanentAnswersAndBadChatIds) {
  std::atomic<int> throttle{0};
  Receiver api(BotApi(&throttle));
  auto channels = TelegramChannels("http://127.0.0.1:" + std::to_string(api.port()), 0);
  EXPECT_EQ(channels->Send("telegram", SignalDelivery("999")).status.code(),
            SF_ERR_INVALID_ARGUMENT);
  SendOutcome blocked = channels->Send("telegram", SignalDelivery("403"));
  EXPECT_EQ(blocked.status.code(), SF_ERR_PERMISSION);
  EXPECT_TRUE(blocked.disable);
  EXPECT_TRUE(channels->Validate("telegram", "-1001234567890").ok());
  EXPECT_TRUE(channels->Validate("telegram", "@signal_channel").ok());
  Status bad = channels->Validate("telegram", "12ab");
  EXPECT_EQ(bad.code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bad.message().find("chat id"), std::string::npos);
}

TEST(Telegram, KeepsOneMessagePerIntervalPerChat) {
  std::atomic<int> throttle{0};
  Receiver api(BotApi(&throttle));
  auto channels = TelegramChannels("http://127.0.0.1:" + std::to_string(api.port()), 300);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] { EXPECT_TRUE(channels->Send("telegram", SignalDelivery("42")).status.ok()); });
  }
  threads.emplace_back([&] { EXPECT_TRUE(channels->Send("telegram", SignalDelivery("43")).status.ok()); });
  for (auto& t : threads) t.join();
  std::vector<std::chrono::steady_clock::time_point> chat42;
  for (const auto& r : api.received()) {
    if (nlohmann::json::parse(r.body)["chat_id"] == "42") chat42.push_back(r.at);
  }
  ASSERT_EQ(chat42.size(), 3u);
  std::sort(chat42.begin(), chat42.end());
  for (size_t i = 1; i < chat42.size(); ++i) {
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(chat42[i] - chat42[i - 1]);
    EXPECT_GE(gap.count(), 250) << "messages to one chat closer than the interval";
  }
  // Over max_wait the notifier answers "rate limited" with the wait instead of blocking.
  auto impatient = TelegramChannels("http://127.0.0.1:" + std::to_string(api.port()), 10000, 100);
  ASSERT_TRUE(impatient->Send("telegram", SignalDelivery("77")).status.ok());
  SendOutcome later = impatient->Send("telegram", SignalDelivery("77"));
  EXPECT_EQ(later.status.code(), SF_ERR_RATE_LIMITED);
  EXPECT_GT(later.retry_after_ms, 9000);
}

TEST(Telegram, EscapesEveryReservedCharacter) {
  EXPECT_EQ(notifiers::EscapeMarkdownV2("_*[]()~`>#+-=|{}.!\\ a"),
            "\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\ a");
}

// ---- email -----------------------------------------------------------------

class Email : public ::testing::Test {
 protected:
  void SetUp() override {
    if (system("/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null") != 0)
      GTEST_FAIL() << "python3-aiosmtpd is missing (apt-get install python3-aiosmtpd)";
    char tmpl[] = "/tmp/sfsmtp-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/out");
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
                      " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                      dir_ + "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null";
    ASSERT_EQ(system(cmd.c_str()), 0) << "openssl could not make a test certificate";
    port_ = FreePort();
    server_ = std::make_unique<Child>(std::vector<std::string>{
        "/usr/bin/python3", SF_SMTP_SERVER, std::to_string(port_), dir_ + "/cert.pem",
        dir_ + "/key.pem", dir_ + "/out", "alerts", "s3cret-pass"});
    std::string line = server_->ReadLine(std::chrono::seconds(20));
    ASSERT_EQ(line, "ready " + std::to_string(port_));
  }
  void TearDown() override {
    if (server_) {
      server_->Signal(SIGTERM);
      server_->Wait();
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  nlohmann::json Config(const std::string& password = "s3cret-pass") const {
    return {{"host", "localhost"},
            {"port", port_},
            {"username", "alerts"},
            {"password", password},
            {"from", "Signalforge Alerts <alerts@signalforge.test>"},
            {"templates_dir", SF_TEMPLATES_DIR},
            {"ca_file", dir_ + "/cert.pem"},
            {"unsubscribe_url", "https://signalforge.test/alerts/unsubscribe?d={{delivery_id}}"},
            {"unsubscribe_mailto", "unsubscribe@signalforge.test"},
            {"message_id_domain", "signalforge.test"},
            {"timeout_ms", 5000}};
  }

  std::vector<nlohmann::json> Messages() const {
    std::vector<nlohmann::json> out;
    for (int i = 1;; ++i) {
      std::ifstream in(dir_ + "/out/" + std::to_string(i) + ".json");
      if (!in) break;
      out.push_back(nlohmann::json::parse(in));
    }
    return out;
  }

  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Child> server_;
};

TEST_F(Email, ArrivesOverStartTlsWithAuthHeadersAndBothBodies) {
  auto channels = ChannelSet::Create(&NotifierRegistry(), {{"email", Config()}}, nullptr);
  ASSERT_TRUE(channels->Has("email")) << nlohmann::json(channels->unavailable()).dump();
  EXPECT_TRUE(channels->Validate("email", "trader@example.com").ok());
  EXPECT_EQ(channels->Validate("email", "not an address").code(), SF_ERR_INVALID_ARGUMENT);
  SendOutcome out = channels->Send("email", SignalDelivery("trader@example.com", "sig-9:signal.created:12"));
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.remote_status, 250);
  auto msgs = Messages();
  ASSERT_EQ(msgs.size(), 1u);
  const auto& m = msgs[0];
  EXPECT_TRUE(m["tls"].get<bool>()) << "the message did not travel over STARTTLS";
  EXPECT_TRUE(m["authenticated"].get<bool>());
  EXPECT_EQ(m["mail_from"], "alerts@signalforge.test");
  EXPECT_EQ(m["rcpt_tos"], nlohmann::json::array({"trader@example.com"}));
  const auto& h = m["headers"];
  EXPECT_EQ(h["Message-ID"], "<sig-9.signal.created.12@signalforge.test>");
  EXPECT_FALSE(h.value("Date", "").empty());
  EXPECT_EQ(h["List-Unsubscribe"],
            "<mailto:unsubscribe@signalforge.test>, "
            "<https://signalforge.test/alerts/unsubscribe?d=sig-9:signal.created:12>");
  EXPECT_EQ(h["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
  EXPECT_EQ(h["To"], "trader@example.com");
  EXPECT_NE(h["Subject"].get<std::string>().find("BUY BRK.B @ 412.5"), std::string::npos)
      << h["Subject"];
  EXPECT_EQ(m["content_type"], "multipart/alternative");
  ASSERT_EQ(m["parts"].size(), 2u);
  EXPECT_EQ(m["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(m["parts"][1]["content_type"], "text/html");
  const std::string text = m["parts"][0]["body"], html = m["parts"][1]["body"];
  EXPECT_NE(text.find("Symbol: BRK.B  Side: buy"), std::string::npos) << text;
  EXPECT_NE(text.find("RSI(14) < 30 & price near -2σ band!"), std::string::npos) << text;
  EXPECT_NE(html.find("<b>BRK.B</b>"), std::string::npos) << html;
  EXPECT_NE(html.find("RSI(14) &lt; 30 &amp; price near -2σ band!"), std::string::npos) << html;
  EXPECT_NE(html.find("4c1d2b7e-0000-4000-8000-00000000abcd"), std::string::npos);
}

TEST_F(Email, WrongPasswordIsAPermanentFailure) {
  auto channels = ChannelSet::Create(&NotifierRegistry(), {{"email", Config("wrong")}}, nullptr);
  SendOutcome out = channels->Send("email", SignalDelivery("trader@example.com"));
  EXPECT_EQ(out.status.code(), SF_ERR_INVALID_ARGUMENT) << out.status.ToString();
  EXPECT_EQ(out.remote_status, 535);
  EXPECT_TRUE(Messages().empty());
}

TEST_F(Email, ServerDownIsRetryable) {
  auto cfg = Config();
  cfg["port"] = FreePort();
  auto channels = ChannelSet::Create(&NotifierRegistry(), {{"email", cfg}}, nullptr);
  SendOutcome out = channels->Send("email", SignalDelivery("trader@example.com"));
  EXPECT_EQ(out.status.code(), SF_ERR_UNAVAILABLE) << out.status.ToString();
}

TEST(EmailConfig, MissingHostOrTemplatesIsNamed) {
  auto channels = ChannelSet::Create(&NotifierRegistry(),
                                     {{"email", {{"from", "a@b.c"}, {"templates_dir", "/nope"}}}},
                                     nullptr);
  EXPECT_FALSE(channels->Has("email"));
  ASSERT_TRUE(channels->unavailable().count("email"));
  EXPECT_NE(channels->unavailable().at("email").find("host"), std::string::npos);
  Status s = channels->Validate("email", "a@b.c");
  EXPECT_EQ(s.code(), SF_ERR_UNAVAILABLE);
}

}  // namespace
}  // namespace sf::notify::test
