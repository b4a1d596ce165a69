// store_crash_child: a stand-in "host" process the crash tests SIGKILL at a
// random moment. It writes to the database in a loop and appends a line to
// an acknowledgement file right after each write is acknowledged (COMMIT
// returned OK), so the parent knows what must have survived.
//
//   store_crash_child ingest  <conninfo> <ackfile>
//   store_crash_child signals <conninfo> <ackfile> <strategy_version_id>
//   store_crash_child cluster <data_dir>     (starts the embedded cluster, prints "ready")
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "store/bars_repository.h"
#include "store/embedded_cluster.h"
#include "store/signals_repository.h"
#include "test_util.h"

using namespace sf::store;

namespace {

void Ack(int fd, const std::string& line) {
  std::string l = line + "\n";
  if (write(fd, l.data(), l.size()) != static_cast<ssize_t>(l.size())) std::_Exit(3);
}

int Fail(const sf::Status& s) {
  std::fprintf(stderr, "store_crash_child: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string mode = argv[1];
  if (mode == "cluster") {
    EmbeddedClusterOptions o;
    o.data_dir = argv[2];
    o.throwaway = true;
    EmbeddedCluster cluster(o);
    sf::Status s = cluster.Start();
    if (!s.ok()) return Fail(s);
    std::printf("ready\n");
    std::fflush(stdout);
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (argc < 4) return 2;
  auto pool = Pool::Create({.conninfo = argv[2], .size = 1});
  if (!pool.ok()) return Fail(pool.status());
  int fd = open(argv[3], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return 1;
  if (mode == "ingest") {
    BarsRepository bars(pool->get());
    // Batch i covers days [(i % 2) * 1000, +2000) of symbol K<i/2>: odd
    // batches overlap the previous one, so both the direct COPY and the
    // merge path get killed mid-way.
    for (int i = 0;; ++i) {
      BarBatch b = sf::store::test::DailyBars("K" + std::to_string(i / 2), (i % 2) * 1000, 2000,
                                              i % 2 ? 0.125 : 0);
      auto r = bars.Ingest(b);
      if (!r.ok()) return Fail(r.status());
      Ack(fd, std::to_string(i));
    }
  }
  if (mode == "signals" && argc >= 5) {
    SignalsRepository signals(pool->get());
    const int64_t version = std::strtoll(argv[4], nullptr, 10);
    for (int d = 0;; ++d) {
      NewSignal s;
      s.strategy_version_id = version;
      s.symbol = "CRASH";
      s.side = d % 2 ? "sell" : "buy";
      s.bar_ts = sf::store::test::kEpoch2020Us + d * sf::store::test::kDayUs;
      s.entry_price = s.current_price = 50;
      s.confidence = 0.75;
      std::vector<OutboxItem> items(3);
      for (int k = 0; k < 3; ++k) {
        items[k].channel = "log";
        items[k].destination = "d" + std::to_string(k);
      }
      auto r = signals.InsertSignalWithOutbox(s, items);
      if (!r.ok()) return Fail(r.status());
      Ack(fd, std::to_string(d) + " " + r->signal_id);
    }
  }
  return 2;
}
