// bench_store: the store's speed on real data, in one run on one machine.
//
//  1. Bulk ingest of the S&P 500 daily set (../shared/data/sp500/daily,
//     about 2.4 million bars, parsed up front and timed separately) through
//     BarsBulkLoader (2 loaders, binary COPY, ~100k rows per transaction)
//     into a fresh durable cluster (fsync on, synchronous_commit on), rows/s
//     and where the time went (prepare / COPY / merge / commit).
//  2. The same rows, pre-written to one CSV file, loaded with plain
//     `psql -c "\copy bars ... CSV"` into an identical fresh database of
//     the same cluster: rows/s, and the ratio (1) / (2).
//  3. (1) with a single loader.
//     All three tables are then compared by checksum, so the loads provably
//     stored the same rows.
//  4. Re-ingesting everything (the idempotent merge path: every row
//     unchanged), rows/s, and the table's checksum is unchanged.
//  5. InsertSignalWithOutbox latency (signal + 3 outbox rows + NOTIFY, one
//     durable commit each): p50/p99.
// A CHECKPOINT precedes every timed load so none inherits another's WAL.
//
// The AlphaVantage CSVs are parsed by a minimal parser here (the real CSV
// provider is a plugin of the market room). Rows that break the bar rules
// (e.g. low above close in the vendor data) are dropped from both loads
// and counted.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

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

// Runs a CHECKPOINT so every timed load starts from the same WAL state.
sf::Status Checkpoint(Pool* p) {
  auto c = p->Acquire();
  if (!c.ok()) return c.status();
  return (*c)->Run("CHECKPOINT");
}

struct LoadRun {
  double seconds = 0;
  BulkLoadResult result;
};

// Loads every batch through BarsBulkLoader with `loaders` connections.
sf::StatusOr<LoadRun> Load(Pool* pool, const std::vector<BarBatch>& batches, int loaders) {
  BarsRepository repo(pool);
  LoadRun run;
  auto t0 = Clock::now();
  BulkLoadOptions options;
  options.loaders = loaders;
  BarsBulkLoader loader(&repo, options);
  for (const auto& b : batches) {
    sf::Status s = loader.Add(b);
    if (!s.ok()) return s;
  }
  run.result = loader.Finish();
  run.seconds = Seconds(Clock::now() - t0);
  if (!run.result.errors.empty()) {
    return sf::Internal(run.result.errors[0].first + ": " + run.result.errors[0].second.ToString());
  }
  return run;
}

void PrintSplit(const char* what, const LoadRun& r) {
  const IngestTimings& t = r.result.timings;
  std::printf("  split (%s, summed over loaders): prepare %.2f s, COPY %.2f s, merge %.2f s, "
              "commit %.2f s; %lld transactions\n",
              what, t.prepare_us / 1e6, t.copy_us / 1e6, t.merge_us / 1e6, t.commit_us / 1e6,
              static_cast<long long>(r.result.transactions));
}

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
  const double parse_s = Seconds(Clock::now() - t_parse);
  std::printf("parsed %zu symbols, %zu bars in %.2f s, %.0f rows/s (%zu rows dropped by the bar "
              "rules, %zu files without prices)\n",
              batches.size(), rows, parse_s, rows / parse_s, dropped, bad_files);

  // A durable cluster: fsync and synchronous_commit stay on.
  char tmpl[] = "/tmp/sfbench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const std::string dir = tmpl;
  int rc = 0;
  {
    EmbeddedClusterOptions co;
    co.data_dir = dir;
    // The settings `serve`'s embedded cluster runs with (no overrides).
    EmbeddedCluster cluster(co);
    sf::Status s = cluster.Start();
    if (!s.ok()) return Die("start cluster", s);
    for (const char* db : {"ours", "plain", "ours1"}) {
      if (!(s = cluster.CreateDatabase(db)).ok()) return Die("create db", s);
    }
    auto pool = Pool::Create({.conninfo = cluster.ConnectionString("ours"), .size = 2});
    auto plain = Pool::Create({.conninfo = cluster.ConnectionString("plain"), .size = 1});
    auto pool1 = Pool::Create({.conninfo = cluster.ConnectionString("ours1"), .size = 1});
    if (!pool.ok() || !plain.ok() || !pool1.ok()) return Die("pool", sf::Internal("cannot connect"));
    for (Pool* p : {pool->get(), plain->get(), pool1->get()}) {
      auto m = Migrator(p, sf::testing::PgCluster::MigrationsDir()).Migrate();
      if (!m.ok()) return Die("migrate", m.status());
    }
    // Same instruments (and ids) in every database, created up front.
    std::vector<Instrument> instruments;
    for (const auto& b : batches) instruments.push_back({.symbol = b.symbol});
    for (Pool* p : {pool->get(), plain->get(), pool1->get()}) {
      if (!(s = InstrumentsRepository(p).UpsertAll(instruments)).ok()) return Die("instruments", s);
    }
    auto ids = InstrumentsRepository(pool->get()).List();
    if (!ids.ok()) return Die("list", ids.status());
    std::map<std::string, int64_t> id_of;
    for (const auto& i : *ids) id_of[i.symbol] = i.id;

    // The psql \copy input: exactly the rows of the bars table.
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
    sync();

    // (1) ours, 2 loaders (the default of `signalforge ingest`).
    if (!(s = Checkpoint(pool->get())).ok()) return Die("checkpoint", s);
    auto ours = Load(pool->get(), batches, 2);
    if (!ours.ok()) return Die("ingest", ours.status());
    if (ours->result.counts.inserted != static_cast<int64_t>(rows)) {
      std::fprintf(stderr, "bench_store: inserted %lld of %zu\n",
                   static_cast<long long>(ours->result.counts.inserted), rows);
      return 1;
    }

    // (2) psql \copy into an identical empty table (same schema, same
    // triggers, same cluster).
    if (!(s = Checkpoint(plain->get())).ok()) return Die("checkpoint", s);
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

    // (3) ours with one loader.
    if (!(s = Checkpoint(pool1->get())).ok()) return Die("checkpoint", s);
    auto ours1 = Load(pool1->get(), batches, 1);
    if (!ours1.ok()) return Die("ingest (1 loader)", ours1.status());

    auto sum_ours = BarsRepository(pool->get()).Checksum();
    auto sum_plain = BarsRepository(plain->get()).Checksum();
    auto sum_ours1 = BarsRepository(pool1->get()).Checksum();
    const bool same = sum_ours.ok() && sum_plain.ok() && sum_ours1.ok() &&
                      *sum_ours == *sum_plain && *sum_ours1 == *sum_plain;

    // (4) idempotent re-ingest: every series goes through staging + merge.
    if (!(s = Checkpoint(pool->get())).ok()) return Die("checkpoint", s);
    auto again = Load(pool->get(), batches, 2);
    if (!again.ok()) return Die("re-ingest", again.status());
    auto sum_again = BarsRepository(pool->get()).Checksum();
    const bool still_same = sum_again.ok() && sum_ours.ok() && *sum_again == *sum_ours;

    const double ours_s = ours->seconds;
    std::printf("\n== bulk ingest, %zu daily bars, durable cluster (fsync on, synchronous_commit on)\n",
                rows);
    std::printf("BarsBulkLoader, 2 loaders (binary COPY)            : %7.2f s  %9.0f rows/s\n",
                ours_s, rows / ours_s);
    PrintSplit("2 loaders", *ours);
    std::printf("psql \\copy of the same rows (CSV, 1 txn)           : %7.2f s  %9.0f rows/s\n",
                psql_s, rows / psql_s);
    std::printf("ratio ours / psql                                   : %7.2fx   (target >= 0.8x)\n",
                psql_s / ours_s);
    std::printf("BarsBulkLoader, 1 loader                            : %7.2f s  %9.0f rows/s  (%.2fx psql)\n",
                ours1->seconds, rows / ours1->seconds, psql_s / ours1->seconds);
    PrintSplit("1 loader", *ours1);
    std::printf("parse + load (2 loaders), end to end               : %7.2f s  %9.0f rows/s\n",
                parse_s + ours_s, rows / (parse_s + ours_s));
    std::printf("tables identical (checksum)                         : %s\n", same ? "yes" : "NO");
    std::printf("re-ingest, every row unchanged (staging + merge)    : %7.2f s  %9.0f rows/s  (%lld unchanged, table %s)\n",
                again->seconds, rows / again->seconds,
                static_cast<long long>(again->result.counts.unchanged),
                still_same ? "unchanged" : "CHANGED");
    PrintSplit("re-ingest", *again);
    if (!same || !still_same || again->result.counts.unchanged != static_cast<int64_t>(rows)) rc = 1;

    // (5) signal + outbox latency.
    auto v = StrategiesRepository(pool->get()).EnsureVersion("bench", "0123456789abcdef", "src");
    if (!v.ok()) return Die("strategy", v.status());
    SignalsRepository signals(pool->get());
    std::vector<double> lat;
    constexpr int kSignals = 1000;
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
