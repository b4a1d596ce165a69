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

// A buy signal on `symbol` at `price` (bar of 2020-09-13).
store::NewSignal NewBuy(int64_t strategy_version_id, const std::string& symbol, double price) {
  store::NewSignal s;
  s.strategy_version_id = strategy_version_id;
  s.symbol = symbol;
  s.side = "buy";
  s.bar_ts = 1'600'000'000'000'000LL;
  s.entry_price = s.current_price = price;
  return s;
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
  store::NewSignal s = NewBuy(env_->StrategyVersion("mean_reversion"), "AAPL", 150);
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


// A signal's close reaches the subscribers of "signals" and of that signal
// as "signal.closed" with its outcome: the engine closes it through the store
// and NOTIFYs sf_signals with its id (issued here the same way), the hub
// re-reads the row and sees it is no longer active. A subscriber of another
// signal gets nothing.
TEST_F(Stream, ClosingASignalSendsSignalClosed) {
  std::string token = env_->TokenFor(env_->CreateUser("premium"));
  store::NewSignal s = NewBuy(env_->StrategyVersion("mean_reversion"), "MSFT", 200);
  s.target_price = 210;
  s.stop_price = 190;
  s.confidence = 0.7;
  store::SignalsRepository repo(&env_->pool());
  auto ins = repo.InsertSignalWithOutbox(s, {});
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  const std::string other_id = env_->AddSignal("AAPL", "mean_reversion", "active", 1);

  WsClient all(env_->port()), one(env_->port()), unrelated(env_->port());
  ASSERT_TRUE(all.Auth(token));
  ASSERT_TRUE(one.Auth(token));
  ASSERT_TRUE(unrelated.Auth(token));
  all.Send({{"type", "subscribe"}, {"channel", "signals"}});
  one.Send({{"type", "subscribe"}, {"channel", "signal:" + ins->signal_id}});
  unrelated.Send({{"type", "subscribe"}, {"channel", "signal:" + other_id}});
  for (WsClient* c : {&all, &one, &unrelated}) ASSERT_EQ((*c->Receive())["type"], "subscribed");

  store::SignalClose close;
  close.status = "target_reached";
  close.exit_price = 210;
  close.exit_reason = "target price reached";
  close.exit_at = 1'600'086'400'000'000LL;
  close.realized_pnl_pct = 5.0;
  ASSERT_TRUE(repo.Close(ins->signal_id, close).ok());
  env_->Sql("SELECT pg_notify('sf_signals', '" + ins->signal_id + "')");

  for (auto [c, channel] : {std::pair{&all, std::string("signals")},
                            std::pair{&one, "signal:" + ins->signal_id}}) {
    auto m = ReceiveType(*c, "signal.closed");
    ASSERT_TRUE(m) << channel << ": no signal.closed";
    EXPECT_EQ((*m)["channel"], channel);
    EXPECT_EQ((*m)["signal_id"], ins->signal_id);
    EXPECT_EQ((*m)["status"], "target_reached");
    EXPECT_EQ((*m)["exit_price"], 210.0);
    EXPECT_EQ((*m)["exit_reason"], "target price reached");
    EXPECT_EQ((*m)["realized_pnl_pct"], 5.0);
    EXPECT_EQ((*m)["exit_at"], "2020-09-14T12:26:40Z");
    EXPECT_EQ((*m)["signal"]["status"], "target_reached");
  }
  // Messages on one connection arrive in order: the pong comes first only
  // if no signal.closed was queued for the unrelated subscriber.
  unrelated.Send({{"type", "ping"}});
  auto first = unrelated.Receive();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["type"], "pong");
}

}  // namespace
}  // namespace sf::api::test
