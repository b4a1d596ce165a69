// The WebSocket stream over real sockets against a real database: auth by
// first message, subprotocol and header; tiers; subscribing; a signal
// committed by another connection arrives through LISTEN/NOTIFY; oversized
// frames close the connection; a slow consumer is cut off at its bounded
// queue while a fast one on the same hub still gets every message.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/stream.h"
#include "api_env.h"
#include "store/signals_repository.h"
#include "ws_client.h"

namespace sf::api::test {
namespace {

using nlohmann::json;

class Stream : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = std::make_unique<ApiEnv>();
    env_->AddInstrument("AAPL");
    env_->AddInstrument("MSFT");
  }
  std::unique_ptr<ApiEnv> env_;
};

// Reads until a message of `type` arrives (skipping others) or nothing comes.
std::optional<json> ReceiveType(WsClient& c, const std::string& type, int timeout_ms = 10000) {
  for (int i = 0; i < 1000; ++i) {
    auto m = c.Receive(timeout_ms);
    if (!m) return std::nullopt;
    if (m->value("type", "") == type) return m;
  }
  return std::nullopt;
}

TEST_F(Stream, ReceivesASignalCommittedByAnotherConnection) {
  std::string token = env_->TokenFor(env_->CreateUser("premium"));
  WsClient c(env_->port());
  auto welcome = c.Auth(token);
  ASSERT_TRUE(welcome) << "no welcome";
  EXPECT_EQ((*welcome)["type"], "welcome");
  EXPECT_EQ((*welcome)["tier"], "premium");
  c.Send({{"type", "subscribe"}, {"channel", "signals"}});
  auto sub = c.Receive();
  ASSERT_TRUE(sub);
  EXPECT_EQ((*sub)["type"], "subscribed");

  // A separate pool (another "instance") commits the signal; NOTIFY carries it.
  auto other = store::Pool::Create({.conninfo = env_->conninfo(), .size = 1});
  ASSERT_TRUE(other.ok());
  store::NewSignal s;
  s.strategy_version_id = env_->StrategyVersion("mean_reversion");
  s.symbol = "AAPL";
  s.side = "buy";
  s.bar_ts = 1'600'000'000'000'000LL;
  s.entry_price = s.current_price = 150;
  s.confidence = 0.9;
  auto ins = store::SignalsRepository(other->get()).InsertSignalWithOutbox(s, {});
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  auto m = ReceiveType(c, "signal");
  ASSERT_TRUE(m) << "the signal never arrived";
  EXPECT_EQ((*m)["signal"]["id"], ins->signal_id);
  EXPECT_EQ((*m)["signal"]["symbol"], "AAPL");
  EXPECT_EQ((*m)["event"], "created");
  EXPECT_EQ((*m)["channel"], "signals");

  // One-signal channel: updates of that signal only.
  WsClient one(env_->port(), "signalforge.v1, bearer." + token);
  EXPECT_EQ(one.protocol(), "signalforge.v1");
  auto w2 = one.Receive();
  ASSERT_TRUE(w2);
  EXPECT_EQ((*w2)["type"], "welcome");
  one.Send({{"type", "subscribe"}, {"channel", "signal:" + ins->signal_id}});
  ASSERT_EQ((*one.Receive())["type"], "subscribed");
  env_->Sql("UPDATE signals SET current_price = 151, updated_at = now() WHERE id = '" + ins->signal_id + "'");
  env_->Sql("NOTIFY sf_signals, '" + ins->signal_id + "'");
  auto upd = ReceiveType(one, "signal");
  ASSERT_TRUE(upd);
  EXPECT_EQ((*upd)["event"], "updated");
  EXPECT_EQ((*upd)["channel"], "signal:" + ins->signal_id);
  EXPECT_EQ((*upd)["signal"]["current_price"], 151.0);
}

TEST_F(Stream, CommandsAreCheckedAndBarsAreStreamed) {
  std::string token = env_->TokenFor(env_->CreateUser("pro"));
  WsClient c(env_->port());
  ASSERT_TRUE(c.Auth(token));
  c.Send({{"type", "subscribe"}, {"channel", "everything"}});
  auto e1 = c.Receive();
  ASSERT_TRUE(e1);
  EXPECT_EQ((*e1)["type"], "error");
  EXPECT_NE((*e1)["detail"].get<std::string>().find("everything"), std::string::npos);
  c.SendRaw("not json");
  EXPECT_EQ((*c.Receive())["type"], "error");
  c.Send({{"type", "dance"}});
  EXPECT_EQ((*c.Receive())["type"], "error");
  c.Send({{"type", "ping"}});
  EXPECT_EQ((*c.Receive())["type"], "pong");
  c.Send({{"type", "subscribe"}, {"channel", "bars:AAPL"}});
  EXPECT_EQ((*c.Receive())["type"], "subscribed");
  env_->AddDailyBars("AAPL", 3, 50);
  env_->Sql("NOTIFY sf_bars, 'AAPL|1d'");
  auto bar = ReceiveType(c, "bar");
  ASSERT_TRUE(bar);
  EXPECT_EQ((*bar)["symbol"], "AAPL");
  EXPECT_EQ((*bar)["bar"]["close"], 51.25);
  // A frame larger than the limit closes the connection with 1009.
  c.SendRaw(std::string(StreamHub::Instance().options().max_frame_bytes + 100, 'x'));
  EXPECT_FALSE(c.Receive(5000));
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(c.close_code(), 1009);
}

TEST_F(Stream, FreeAndBadCredentialsAreRefused) {
  std::string free = env_->TokenFor(env_->CreateUser("free"));
  {
    WsClient c(env_->port());
    auto m = c.Auth(free);
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["type"], "error");
    EXPECT_EQ((*m)["code"], "forbidden");
    EXPECT_FALSE(c.Receive(5000));
    EXPECT_EQ(c.close_code(), 4403);
  }
  {
    WsClient c(env_->port());
    auto m = c.Auth("not-a-token");
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["code"], "unauthenticated");
    EXPECT_FALSE(c.Receive(5000));
    EXPECT_EQ(c.close_code(), 4401);
  }
  {
    WsClient c(env_->port());
    c.Send({{"type", "subscribe"}, {"channel", "signals"}});  // before auth
    auto m = c.Receive();
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["code"], "unauthenticated");
  }
  // Credentials in the handshake are checked before upgrading.
  for (const std::string& proto : {std::string("signalforge.v1, bearer.garbage"), "signalforge.v1, bearer." + free}) {
    try {
      WsClient c(env_->port(), proto);
      ADD_FAILURE() << "upgrade accepted for " << proto;
    } catch (const Poco::Exception&) {
    }
  }
  try {
    WsClient c(env_->port(), "", "Bearer " + free);
    ADD_FAILURE() << "upgrade accepted for a free bearer token";
  } catch (const Poco::Exception&) {
  }
  // A plain GET is not a handshake.
  auto plain = env_->Call("GET", "/api/v1/stream", "");
  EXPECT_EQ(plain.status, 400) << plain.text;
  // Free never received a signal: nothing was delivered to a free account.
  EXPECT_EQ(StreamHub::Instance().Stats().connections, 0u);
}

TEST_F(Stream, SlowConsumerIsCutOffWithoutSlowingOthers) {
  StreamOptions opt;
  opt.max_queue_bytes = 256 * 1024;
  ASSERT_TRUE(StreamHub::Instance().EnsureStarted(&env_->pool(), opt).ok());
  std::string token = env_->TokenFor(env_->CreateUser("premium"));
  std::string id = env_->AddSignal("AAPL", "mean_reversion", "active", 1);
  env_->Sql("UPDATE signals SET summary = repeat('x', 8000) WHERE id = '" + id + "'");

  WsClient slow(env_->port(), "", "", /*rcvbuf=*/4096);
  ASSERT_TRUE(slow.Auth(token));
  slow.Send({{"type", "subscribe"}, {"channel", "signals"}});
  ASSERT_EQ((*slow.Receive())["type"], "subscribed");
  WsClient fast(env_->port());
  ASSERT_TRUE(fast.Auth(token));
  fast.Send({{"type", "subscribe"}, {"channel", "signal:" + id}});
  ASSERT_EQ((*fast.Receive())["type"], "subscribed");

  constexpr int kMessages = 1500;  // ~12 MB to the slow client, far over its bound
  std::atomic<int> got{0};
  std::thread reader([&] {
    while (got < kMessages) {
      auto m = fast.Receive(10000);
      if (!m) break;
      if ((*m)["type"] == "signal") ++got;
    }
  });
  for (int i = 0; i < kMessages; ++i) StreamHub::Instance().PublishSignal(id);
  reader.join();
  EXPECT_EQ(got.load(), kMessages);
  EXPECT_GE(StreamHub::Instance().Stats().slow_disconnects, 1u);
  // The slow client finds its connection closed after what was buffered.
  bool ended = false;
  for (int i = 0; i < kMessages + 10 && !ended; ++i) ended = !slow.Receive(5000).has_value();
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace sf::api::test
