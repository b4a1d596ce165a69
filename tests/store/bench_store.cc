// bench_store: the store's speed on real data, in one run on one machine.
//
//  1. Bulk ingest of the S&P 500 daily set (../shared/data/sp500/daily,
//     about 2.4 million bars) through BarsRepository::Ingest (binary COPY,
//     one transaction per symbol) into a fresh durable cluster (fsync on,
//     synchronous_commit on), rows/s.
//  2. The same rows, pre-written to one CSV file, loaded with plain
//     `psql -c "\copy bars ... CSV"` into an identical fresh database:
//     rows/s, and the ratio (1) / (2). Both tables are then compared by
//     checksum, so the two loads provably stored the same rows.
//  3. Re-ingesting everything (the idempotent merge path: every row
//     unchanged), rows/s.
//  4. InsertSignalWithOutbox latency (signal + 3 outbox rows + NOTIFY, one
//     durable commit each): p50/p99.
//
// The AlphaVantage CSVs are parsed by a minimal parser here (the real CSV
// provider is a plugin of the market room). Rows that break the bar rules
// (e.g. low above close in the vendor data) are dropped from both loads
// and counted.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/bars_repository.h"
#include "store/embedded_cluster.h"
#include "store/instruments_repository.h"
#include "store/migrator.h"
#include "store/signals_repository.h"
#include "support/pg_cluster.h"

namespace fs = std::filesystem;
using namespace sf::store;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kDayUs = 86'400'000'000LL;

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseDouble(std::string_view s, double* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient
bool ParseFile(const fs::path& path, BarBatch* b, size_t* dropped) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line.rfind("timestamp,open", 0) != 0) return false;
  b->symbol = path.stem().string();
  b->timeframe = sf::market::Timeframe::k1d;
  b->source = "alphavantage";
  struct Row {
    int64_t ts;
    double o, h, l, c, v, adj;
  };
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::string_view f[9];
    size_t start = 0, n = 0;
    for (size_t i = 0; i <= line.size() && n < 9; ++i) {
      if (i == line.size() || line[i] == ',') {
        f[n++] = std::string_view(line).substr(start, i - start);
        start = i + 1;
      }
    }
    Row r{};
    double adjc = 0;
    if (n < 7 || f[0].size() != 10 || !ParseDouble(f[1], &r.o) || !ParseDouble(f[2], &r.h) ||
        !ParseDouble(f[3], &r.l) || !ParseDouble(f[4], &r.c) || !ParseDouble(f[5], &adjc) ||
        !ParseDouble(f[6], &r.v)) {
      ++*dropped;
      continue;
    }
    int y = std::stoi(std::string(f[0].substr(0, 4)));
    unsigned m = std::stoul(std::string(f[0].substr(5, 2)));
    unsigned d = std::stoul(std::string(f[0].substr(8, 2)));
    r.ts = DaysFromCivil(y, m, d) * kDayUs;
    r.adj = r.c > 0 ? adjc / r.c : 0;
    bool valid = r.o > 0 && r.h > 0 && r.l > 0 && r.c > 0 && r.v >= 0 && r.adj > 0 &&
                 r.l <= std::min(r.o, r.c) && r.h >= std::max(r.o, r.c);
    if (!valid) {
      ++*dropped;
      continue;
    }
    rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ts < b.ts; });
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i > 0 && rows[i].ts == rows[i - 1].ts) {
      ++*dropped;
      continue;
    }
    const Row& r = rows[i];
    b->ts_start.push_back(r.ts);
    b->ts_end.push_back(r.ts + kDayUs);
    b->open.push_back(r.o);
    b->high.push_back(r.h);
    b->low.push_back(r.l);
    b->close.push_back(r.c);
    b->volume.push_back(r.v);
    b->adj_factor.push_back(r.adj);
  }
  return !b->ts_start.empty();
}

std::string Num(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

int Die(const std::string& what, const sf::Status& s) {
  std::fprintf(stderr, "bench_store: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const std::string data_dir = argc > 1 ? argv[1] : SF_SP500_DIR "/daily";
  std::vector<BarBatch> batches;
  size_t rows = 0, dropped = 0, bad_files = 0;
  auto t_parse = Clock::now();
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(data_dir)) {
    if (e.path().extension() == ".csv") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    BarBatch b;
    if (!ParseFile(p, &b, &dropped)) {
      ++bad_files;
      continue;
    }
    rows += b.size();
    batches.push_back(std::move(b));
  }
  std::printf("parsed %zu symbols, %zu bars in %.2f s (%zu rows dropped by the bar rules, %zu "
              "files without prices)\n",
              batches.size(), rows, Seconds(Clock::now() - t_parse), dropped, bad_files);

  // A durable cluster: fsync and synchronous_commit stay on.
  char tmpl[] = "/tmp/sfbench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const std::string dir = tmpl;
  int rc = 0;
  {
    EmbeddedClusterOptions co;
    co.data_dir = dir;
    co.extra_conf = {"max_wal_size = 4GB", "shared_buffers = 256MB", "checkpoint_timeout = 30min"};
    EmbeddedCluster cluster(co);
    sf::Status s = cluster.Start();
    if (!s.ok()) return Die("start cluster", s);
    for (const char* db : {"ours", "plain", "ours2"}) {
      if (!(s = cluster.CreateDatabase(db)).ok()) return Die("create db", s);
    }
    auto pool = Pool::Create({.conninfo = cluster.ConnectionString("ours"), .size = 2});
    auto plain = Pool::Create({.conninfo = cluster.ConnectionString("plain"), .size = 1});
    auto pool2 = Pool::Create({.conninfo = cluster.ConnectionString("ours2"), .size = 2});
    if (!pool.ok() || !plain.ok() || !pool2.ok()) return Die("pool", sf::Internal("cannot connect"));
    for (Pool* p : {pool->get(), plain->get(), pool2->get()}) {
      auto m = Migrator(p, sf::testing::PgCluster::MigrationsDir()).Migrate();
      if (!m.ok()) return Die("migrate", m.status());
    }
    // Same instruments (and ids) in both databases, created up front.
    std::vector<Instrument> instruments;
    for (const auto& b : batches) instruments.push_back({.symbol = b.symbol});
    for (Pool* p : {pool->get(), plain->get(), pool2->get()}) {
      if (!(s = InstrumentsRepository(p).UpsertAll(instruments)).ok()) return Die("instruments", s);
    }
    auto ids = InstrumentsRepository(pool->get()).List();
    if (!ids.ok()) return Die("list", ids.status());
    std::map<std::string, int64_t> id_of;
    for (const auto& i : *ids) id_of[i.symbol] = i.id;

    // (2) prepare the psql \copy input: the exact rows of the bars table.
    const std::string csv = dir + "/bars.csv";
    {
      std::ofstream out(csv);
      for (const auto& b : batches) {
        const std::string prefix = std::to_string(id_of[b.symbol]) + ",1d,";
        for (size_t i = 0; i < b.size(); ++i) {
          out << prefix << FormatTimestamp(b.ts_start[i]) << ',' << FormatTimestamp(b.ts_end[i])
              << ',' << Num(b.open[i]) << ',' << Num(b.high[i]) << ',' << Num(b.low[i]) << ','
              << Num(b.close[i]) << ',' << Num(b.volume[i]) << ",," << Num(b.adj_factor[i])
              << ",alphavantage\n";
        }
      }
    }
    // So the comparison is not skewed by which load runs first.
    sync();

    // (1) our ingest, one thread then the same with two.
    BarsRepository bars(pool->get());
    auto t0 = Clock::now();
    for (const auto& b : batches) {
      auto r = bars.Ingest(b);
      if (!r.ok()) return Die("ingest " + b.symbol, r.status());
      if (r->inserted != static_cast<int64_t>(b.size())) {
        std::fprintf(stderr, "bench_store: %s inserted %lld of %zu\n", b.symbol.c_str(),
                     static_cast<long long>(r->inserted), b.size());
        return 1;
      }
    }
    const double ours_s = Seconds(Clock::now() - t0);

    std::string cmd = "psql -X -q -v ON_ERROR_STOP=1 \"" + cluster.ConnectionString("plain") +
                      "\" -c \"\\copy bars (instrument_id, timeframe, ts_start, ts_end, open, high,"
                      " low, close, volume, vwap, adj_factor, source) FROM '" + csv + "' CSV\"";
    auto t1 = Clock::now();
    int prc = std::system(cmd.c_str());
    const double psql_s = Seconds(Clock::now() - t1);
    if (prc != 0) {
      std::fprintf(stderr, "bench_store: psql \\copy failed (%d)\n", prc);
      return 1;
    }

    // (1b) the same ingest from two threads (one per core) into a third database.
    BarsRepository bars2(pool2->get());
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    auto t3 = Clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < 2; ++w) {
      workers.emplace_back([&] {
        for (size_t i; (i = next++) < batches.size() && !failed;) {
          auto r = bars2.Ingest(batches[i]);
          if (!r.ok()) {
            std::fprintf(stderr, "bench_store: %s\n", r.status().ToString().c_str());
            failed = true;
          }
        }
      });
    }
    for (auto& t : workers) t.join();
    const double ours2_s = Seconds(Clock::now() - t3);
    if (failed) return 1;

    auto sum_ours = bars.Checksum();
    auto sum_plain = BarsRepository(plain->get()).Checksum();
    auto sum_ours2 = bars2.Checksum();
    const bool same = sum_ours.ok() && sum_plain.ok() && sum_ours2.ok() &&
                      *sum_ours == *sum_plain && *sum_ours2 == *sum_plain;

    // (3) idempotent re-ingest: all rows go through staging + merge.
    auto t2 = Clock::now();
    int64_t unchanged = 0;
    for (const auto& b : batches) {
      auto r = bars.Ingest(b);
      if (!r.ok()) return Die("re-ingest " + b.symbol, r.status());
      unchanged += r->unchanged;
    }
    const double again_s = Seconds(Clock::now() - t2);

    std::printf("\n== bulk ingest, %zu daily bars, durable cluster (fsync on, synchronous_commit on)\n",
                rows);
    std::printf("BarsRepository::Ingest (binary COPY, 1 txn/symbol): %7.2f s  %9.0f rows/s\n",
                ours_s, rows / ours_s);
    std::printf("psql \\copy of the same rows (CSV, 1 txn)           : %7.2f s  %9.0f rows/s\n",
                psql_s, rows / psql_s);
    std::printf("ratio ours / psql                                   : %7.2fx   (target >= 0.8x)\n",
                psql_s / ours_s);
    std::printf("BarsRepository::Ingest from 2 threads              : %7.2f s  %9.0f rows/s  (%.2fx psql)\n",
                ours2_s, rows / ours2_s, psql_s / ours2_s);
    std::printf("tables identical (checksum)                         : %s\n", same ? "yes" : "NO");
    std::printf("re-ingest, every row unchanged (staging + merge)    : %7.2f s  %9.0f rows/s  (%lld unchanged)\n",
                again_s, rows / again_s, static_cast<long long>(unchanged));
    if (!same) rc = 1;

    // (4) signal + outbox latency.
    auto v = StrategiesRepository(pool->get()).EnsureVersion("bench", "0123456789abcdef", "src");
    if (!v.ok()) return Die("strategy", v.status());
    SignalsRepository signals(pool->get());
    std::vector<double> lat;
    constexpr int kSignals = 2000;
    for (int i = 0; i < kSignals; ++i) {
      NewSignal sig;
      sig.strategy_version_id = v->version_id;
      sig.symbol = batches[i % batches.size()].symbol;
      sig.side = "buy";
      sig.bar_ts = batches[i % batches.size()].ts_end[i / batches.size()];
      sig.entry_price = sig.current_price = 100;
      sig.target_price = 110;
      sig.stop_price = 95;
      sig.confidence = 0.8;
      sig.features = {{"rsi", 22.0}, {"z", -2.1}};
      std::vector<OutboxItem> items(3);
      for (int k = 0; k < 3; ++k) {
        items[k].channel = "webhook";
        items[k].destination = "https://example.test/hook/" + std::to_string(k);
        items[k].subscription_id = std::nullopt;
      }
      auto ts = Clock::now();
      auto r = signals.InsertSignalWithOutbox(sig, items);
      lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - ts).count());
      if (!r.ok() || !r->created) return Die("signal", r.ok() ? sf::Internal("not created") : r.status());
    }
    std::sort(lat.begin(), lat.end());
    std::printf("\n== InsertSignalWithOutbox (signal + 3 outbox rows + NOTIFY, durable commit), %d writes\n",
                kSignals);
    std::printf("p50 %.3f ms   p99 %.3f ms   max %.3f ms\n", lat[lat.size() / 2],
                lat[lat.size() * 99 / 100], lat.back());
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return rc;
}
