// Benchmark: WebSocket fan-out of one new signal to 1,000 subscribers.
//
// 1,000 premium clients connect to the real API platform over loopback,
// authenticate and subscribe to "signals". Each round commits one signal
// through SignalsRepository (the engine's path: signal + outbox in one
// transaction, NOTIFY on commit) and measures, for every subscriber, the
// time from just before the commit to the moment that client has read the
// message. Reported: p50 / p99 / max over all deliveries of all rounds
// (target p99 <= 50 ms), plus the time to the last subscriber per round.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "api_env.h"
#include "store/signals_repository.h"
#include "ws_client.h"

using sf::api::test::ApiEnv;
using sf::api::test::WsClient;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int clients = argc > 1 ? std::atoi(argv[1]) : 1000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  ApiEnv env;
  env.AddInstrument("AAPL");
  std::string token = env.TokenFor(env.CreateUser("premium"));
  std::vector<std::unique_ptr<WsClient>> ws;
  ws.reserve(clients);
  auto t_connect = Clock::now();
  for (int i = 0; i < clients; ++i) {
    ws.push_back(std::make_unique<WsClient>(env.port()));
    auto w = ws.back()->Auth(token);
    if (!w || (*w)["type"] != "welcome") {
      std::fprintf(stderr, "client %d: no welcome\n", i);
      return 1;
    }
    ws.back()->Send({{"type", "subscribe"}, {"channel", "signals"}});
    auto s = ws.back()->Receive();
    if (!s || (*s)["type"] != "subscribed") {
      std::fprintf(stderr, "client %d: not subscribed\n", i);
      return 1;
    }
  }
  double connect_s = std::chrono::duration<double>(Clock::now() - t_connect).count();
  std::printf("connected and subscribed %d clients in %.2f s\n", clients, connect_s);

  int64_t version = env.StrategyVersion("bench");
  sf::store::SignalsRepository repo(&env.pool());
  std::vector<double> lat_ms;
  std::vector<double> last_ms, first_ms;
  std::vector<char> buf(64 * 1024);
  std::vector<std::string> pending(clients);
  std::vector<pollfd> fds(clients);
  for (int i = 0; i < clients; ++i) fds[i] = {ws[i]->socket().impl()->sockfd(), POLLIN, 0};
  for (int r = 0; r < rounds; ++r) {
    sf::store::NewSignal s;
    s.strategy_version_id = version;
    s.symbol = "AAPL";
    s.side = "buy";
    s.bar_ts = 1'600'000'000'000'000LL + int64_t{r} * 86'400'000'000LL;
    s.entry_price = s.current_price = 100 + r;
    s.confidence = 0.8;
    s.summary = "fan-out benchmark";
    std::vector<bool> done(clients, false);
    int remaining = clients;
    double first = -1;
    auto t0 = Clock::now();
    auto ins = repo.InsertSignalWithOutbox(s, {});
    if (!ins.ok()) {
      std::fprintf(stderr, "insert: %s\n", ins.status().ToString().c_str());
      return 1;
    }
    while (remaining > 0) {
      for (auto& p : fds) p.revents = 0;
      int n = ::poll(fds.data(), fds.size(), 5000);
      if (n <= 0) {
        std::fprintf(stderr, "round %d: %d subscribers got nothing within 5 s\n", r, remaining);
        return 1;
      }
      // The client side stays cheap (one recv, a substring check) so the
      // figure is the server's fan-out, not this loop's JSON parsing.
      for (int i = 0; i < clients; ++i) {
        if (done[i] || !(fds[i].revents & POLLIN)) continue;
        ssize_t got = ::recv(fds[i].fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (got <= 0) continue;
        pending[i].append(buf.data(), static_cast<size_t>(got));
        if (pending[i].find(ins->signal_id) != std::string::npos) {
          done[i] = true;
          --remaining;
          pending[i].clear();
          lat_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          if (first < 0) first = lat_ms.back();
        }
      }
    }
    last_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    first_ms.push_back(first);
  }
  std::sort(lat_ms.begin(), lat_ms.end());
  std::sort(last_ms.begin(), last_ms.end());
  std::sort(first_ms.begin(), first_ms.end());
  auto pct = [](const std::vector<double>& v, double p) {
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
  };
  std::printf("fan-out of one signal to %d subscribers, %d rounds (%zu deliveries), commit -> client read:\n",
              clients, rounds, lat_ms.size());
  std::printf("  p50 %.2f ms   p99 %.2f ms   max %.2f ms   (target p99 <= 50 ms)\n", pct(lat_ms, 0.5),
              pct(lat_ms, 0.99), lat_ms.back());
  std::printf("  first subscriber per round (commit + NOTIFY + load): median %.2f ms\n", pct(first_ms, 0.5));
  std::printf("  last subscriber per round: median %.2f ms, worst %.2f ms\n", pct(last_ms, 0.5), last_ms.back());
  return 0;
}
