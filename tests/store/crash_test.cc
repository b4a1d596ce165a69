// kill -9 of a writing process (store_crash_child) during bar ingestion and
// during signal writes: every acknowledged write survives, nothing is
// duplicated, no batch is half there. Also: the embedded cluster survives
// its host being SIGKILLed, and a stale postmaster.pid after a server crash.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "store/instruments_repository.h"
#include "store/signals_repository.h"
#include "test_util.h"

namespace sf::store {
namespace {

namespace fs = std::filesystem;
using test::kDayUs;
using test::kEpoch2020Us;
using test::MakePool;
using test::QueryInt;

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

pid_t Spawn(const std::vector<std::string>& args, int* stdout_fd = nullptr) {
  int fds[2];
  if (stdout_fd && pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (stdout_fd) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (stdout_fd) {
    close(fds[1]);
    *stdout_fd = fds[0];
  }
  return pid;
}

// Lets the child write until it acknowledged at least `min_acks`, then a
// random extra moment, then SIGKILLs it.
void KillAfterAcks(pid_t pid, const std::string& ackfile, size_t min_acks, std::mt19937& rng) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (ReadLines(ackfile).size() < min_acks && std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ADD_FAILURE() << "child exited early with status " << status;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40000));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

// The server finishes a statement whose client was killed (a COMMIT already
// sent still commits) and only then notices the closed socket: wait until no
// other session of this database is busy, so what the test counts is final.
void WaitForOrphanedWork(Pool& pool) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (QueryInt(pool,
                  "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                  " AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'") > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "a killed client's statement is still running after 30 s";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class Crash : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sfack-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    // The embedded cluster runs as postgres under root: it must enter here.
    chmod(tmpl, 0755);
  }
  void TearDown() override { fs::remove_all(tmp_); }
  std::string tmp_;
};

TEST_F(Crash, KillDuringIngestionLosesNoAcknowledgedBatchAndLeavesNoPartialOne) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 3; ++round) {
    const std::string conninfo = testing::PgCluster::Shared().CreateMigratedDatabase("kin");
    const std::string ack = tmp_ + "/ingest" + std::to_string(round);
    pid_t pid = Spawn({SF_CRASH_CHILD, "ingest", conninfo, ack});
    ASSERT_GT(pid, 0);
    KillAfterAcks(pid, ack, 3 + round, rng);
    const auto acked = ReadLines(ack);
    ASSERT_GE(acked.size(), 3u + round);

    auto pool = MakePool(conninfo);
    ASSERT_TRUE(pool);
    WaitForOrphanedWork(*pool);
    // Batches are written in order, so what is stored must be exactly the
    // first k batches for some k >= acknowledged count (the batch in flight
    // may have committed just before its ack line was written).
    int stored_batches = 0;
    for (int i = 0;; ++i) {
      const std::string sym = "K" + std::to_string(i / 2);
      BarsRepository bars(pool.get());
      // Batch i alone (even) covers 2000 days; with its odd partner 3000,
      // and the partner's overlap has the bumped prices.
      int64_t n = QueryInt(*pool,
                           "SELECT count(*) FROM bars b JOIN instruments i ON i.id = b.instrument_id"
                           " WHERE i.symbol = $1",
                           Params().Add(sym));
      int64_t bumped = QueryInt(*pool,
                                "SELECT count(*) FROM bars b JOIN instruments i ON i.id = "
                                "b.instrument_id WHERE i.symbol = $1 AND b.open <> 100 + "
                                "(extract(epoch FROM b.ts_start - '2020-01-01+00') / 86400) * 0.25",
                                Params().Add(sym));
      if (i % 2 == 0) {
        if (n == 0) break;
        ASSERT_TRUE(n == 2000 || n == 3000) << sym << " has a partial batch: " << n << " rows";
        ++stored_batches;
        if (n == 2000) {
          ASSERT_EQ(bumped, 0) << sym;
          break;
        }
      } else {
        ASSERT_EQ(n, 3000) << sym;
        ASSERT_EQ(bumped, 2000) << sym << ": the overlapping batch is half applied";
        ++stored_batches;
      }
    }
    EXPECT_GE(stored_batches, static_cast<int>(acked.size())) << "an acknowledged batch was lost";
    EXPECT_LE(stored_batches, static_cast<int>(acked.size()) + 1);
    // No duplicates: the key is unique and every row is distinct.
    EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM bars"),
              QueryInt(*pool, "SELECT count(DISTINCT (instrument_id, timeframe, ts_start)) FROM bars"));
  }
}

TEST_F(Crash, KillDuringSignalWritesLosesNothingAndDuplicatesNothing) {
  std::mt19937 rng(777);
  for (int round = 0; round < 3; ++round) {
    const std::string conninfo = testing::PgCluster::Shared().CreateMigratedDatabase("ksig");
    auto pool = MakePool(conninfo);
    ASSERT_TRUE(pool);
    InstrumentsRepository inst(pool.get());
    Instrument i;
    i.symbol = "CRASH";
    ASSERT_TRUE(inst.Upsert(i).ok());
    StrategiesRepository strategies(pool.get());
    auto v = strategies.EnsureVersion("crashy", "0123456789abcdef", "src");
    ASSERT_TRUE(v.ok());
    const std::string ack = tmp_ + "/sig" + std::to_string(round);
    pid_t pid = Spawn({SF_CRASH_CHILD, "signals", conninfo, ack, std::to_string(v->version_id)});
    ASSERT_GT(pid, 0);
    KillAfterAcks(pid, ack, 20 + 10 * round, rng);
    const auto acked = ReadLines(ack);
    ASSERT_GE(acked.size(), 20u);
    WaitForOrphanedWork(*pool);

    std::map<int, std::string> acked_ids;
    for (const auto& l : acked) {
      std::istringstream in(l);
      int d;
      std::string id;
      in >> d >> id;
      acked_ids[d] = id;
    }
    const int64_t stored = QueryInt(*pool, "SELECT count(*) FROM signals");
    EXPECT_GE(stored, static_cast<int64_t>(acked_ids.size()));
    EXPECT_LE(stored, static_cast<int64_t>(acked_ids.size()) + 1);
    // Every signal has all of its outbox rows, never a part.
    EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM (SELECT s.id FROM signals s LEFT JOIN deliveries d"
                              " ON d.signal_id = s.id GROUP BY s.id HAVING count(d.id) <> 3) x"),
              0);
    EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM deliveries WHERE signal_id IS NULL"), 0);
    // Replaying the same bars (what a restarted host does) finds every
    // acknowledged signal under its id and creates no duplicate.
    SignalsRepository signals(pool.get());
    for (const auto& [d, id] : acked_ids) {
      NewSignal s;
      s.strategy_version_id = v->version_id;
      s.symbol = "CRASH";
      s.side = d % 2 ? "sell" : "buy";
      s.bar_ts = kEpoch2020Us + d * kDayUs;
      s.entry_price = s.current_price = 50;
      s.confidence = 0.75;
      auto r = signals.InsertSignalWithOutbox(s, {{.channel = "log", .destination = "d0"}});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_FALSE(r->created) << "acknowledged signal of day " << d << " was lost";
      EXPECT_EQ(r->signal_id, id);
    }
    EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM signals"), stored);
    EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM deliveries"), stored * 3);
  }
}

// Reads the postmaster pid from the data folder.
pid_t PostmasterPid(const std::string& dir) {
  std::ifstream in(dir + "/postmaster.pid");
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

uid_t ProcessUid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("Uid:", 0) == 0) return static_cast<uid_t>(std::stoul(l.substr(4)));
  }
  return static_cast<uid_t>(-1);
}

TEST_F(Crash, EmbeddedClusterIsCreatedReusedAndSurvivesItsHostAndAStalePid) {
  const std::string dir = tmp_ + "/pg";
  int out_fd = -1;
  pid_t host = Spawn({SF_CRASH_CHILD, "cluster", dir}, &out_fd);
  ASSERT_GT(host, 0);
  char buf[16] = {};
  ASSERT_GT(read(out_fd, buf, sizeof(buf) - 1), 0);
  close(out_fd);
  EXPECT_EQ(std::string(buf), "ready\n");
  ASSERT_TRUE(fs::exists(dir + "/PG_VERSION"));
  pid_t postmaster = PostmasterPid(dir);
  ASSERT_GT(postmaster, 0);
  if (geteuid() == 0) {
    struct passwd* pw = getpwnam("postgres");
    ASSERT_NE(pw, nullptr);
    EXPECT_EQ(ProcessUid(postmaster), pw->pw_uid) << "PostgreSQL must run as postgres under root";
  }
  // The host dies hard; its cluster keeps running and is adopted.
  kill(host, SIGKILL);
  waitpid(host, nullptr, 0);
  {
    EmbeddedClusterOptions o;
    o.data_dir = dir;
    o.throwaway = true;
    EmbeddedCluster again(o);
    ASSERT_TRUE(again.Start().ok());
    EXPECT_FALSE(again.created());
    EXPECT_EQ(PostmasterPid(dir), postmaster);
    auto conn = Connection::Open(again.ConnectionString());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Run("CREATE TABLE survivor (x int)").ok());
    ASSERT_TRUE((*conn)->Run("INSERT INTO survivor VALUES (42)").ok());
    conn->reset();

    // Now the server itself dies hard (as in a machine crash): the
    // postmaster.pid stays behind.
    kill(postmaster, SIGKILL);
    for (int i = 0; i < 200 && kill(postmaster, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(fs::exists(dir + "/postmaster.pid"));
    (void)again.StopImmediate();  // forget it; the pid file remains
  }
  {
    EmbeddedClusterOptions o;
    o.data_dir = dir;
    o.throwaway = true;
    EmbeddedCluster recovered(o);
    Status s = recovered.Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(recovered.created());
    EXPECT_NE(PostmasterPid(dir), postmaster);
    auto conn = Connection::Open(recovered.ConnectionString());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto r = (*conn)->Exec("SELECT x FROM survivor");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->GetInt64(0, 0), 42);
    conn->reset();
    ASSERT_TRUE(recovered.Stop().ok());
    EXPECT_FALSE(fs::exists(dir + "/postmaster.pid"));
  }
  {
    // A pid file whose pid now belongs to another program (reused after a
    // reboot): this test process itself.
    std::ofstream(dir + "/postmaster.pid") << getpid() << "\n" << dir << "\n";
    EmbeddedClusterOptions o;
    o.data_dir = dir;
    o.throwaway = true;
    EmbeddedCluster third(o);
    Status s = third.Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(third.Stop().ok());
  }
}

}  // namespace
}  // namespace sf::store
