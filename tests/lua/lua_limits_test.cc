// CPU and memory limits: a runaway strategy is killed within its budget plus
// 100 ms, reported and disabled until its file changes; the other strategies
// of the same bar keep emitting; no worker process is left behind.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "lua_test_util.h"

namespace sf::lua {
namespace {

using testing::ChildPids;
using testing::kUnderAsan;
using testing::Options;
using testing::TempDir;
using testing::Walk;

constexpr int kBudgetMs = 300;

const char* kGood = R"(
return { name = "good", timeframe = "1d", universe = { "AAA", "BBB" },
  evaluate = function(ctx, symbol)
    return { side = "buy", confidence = 0.5, target = 1e9, stop = 1e-9, expiry = 1, summary = "alive" }
  end }
)";

struct Bomb {
  const char* what;
  const char* body;     // evaluate body; runs for symbol BBB (AAA is evaluated first and fine)
  const char* expect;   // in the disable reason or the error
  bool disables;
};

const Bomb kCpuBombs[] = {
    {"JIT-compiled endless loop", "local i = 0 while true do i = i + 1 end", "exceeded its CPU budget of 300 ms per bar in evaluate(ctx, \"BBB\")", true},
    {"endless loop without a body", "while true do end", "exceeded its CPU budget", true},
    {"pathological string.find", "string.find(string.rep('a', 40), string.rep('a*', 40) .. 'b')", "exceeded its CPU budget", true},
    {"pathological gsub", "string.gsub(string.rep('a', 100000), '(.-)(.-)(.-)b', 'x')", "exceeded its CPU budget", true},
    {"deep Lua recursion", "local function f(n) return 1 + f(n + 1) end f(1)", "stack overflow", false},
    // LuaJIT does not bound recursion through C functions: the worker's C
    // stack overflows and the process dies; the host reports and disables it.
    {"deep C recursion", "local function f() return string.gsub('a', 'a', f) end f()", "killed by signal 11", true},
    {"endless coroutine chain", "local function f() return coroutine.wrap(f)() end f()",
     // Which limit it meets first depends on the machine: all stop it.
     "killed by signal 11|exceeded its CPU budget|exceeded its memory cap", true},
};

// Memory bombs get a CPU budget they cannot reach, so the cap is what stops them.
const Bomb kMemoryBombs[] = {
    {"memory bomb (strings)", "local t = {} local s = string.rep('x', 1024 * 1024) for i = 1, 1e9 do t[i] = s .. i end", "exceeded its memory cap of 32 MiB", true},
    {"memory bomb (one huge string)", "local s = string.rep('x', 2^30) return { n = #s }", "exceeded its memory cap of 32 MiB", true},
    {"memory bomb (tables)", "local t = {} for i = 1, 1e9 do local u = {} for j = 1, 2000 do u[j] = j end t[i] = u end", "exceeded its memory cap of 32 MiB", true},
    {"memory bomb caught with pcall", "while true do pcall(function() local t = {} for i = 1, 1e9 do t[i] = i end end) end", "exceeded its memory cap of 32 MiB", true},
};

// True when `text` contains one of the '|'-separated alternatives.
bool Matches(const std::string& text, const std::string& alternatives) {
  size_t a = 0;
  for (;;) {
    size_t b = alternatives.find('|', a);
    if (text.find(alternatives.substr(a, b == std::string::npos ? b : b - a)) != std::string::npos)
      return true;
    if (b == std::string::npos) return false;
    a = b + 1;
  }
}

// Under AddressSanitizer the worker is an ASan binary too, and ASan's SIGSEGV
// handler changes how a crashing worker dies: a signal sent to it becomes an
// ASan report and abort() ("killed by signal 6"), and a C stack overflow
// becomes a report slow enough that the CPU budget kills the worker first.
// The workers these tests crash on purpose inherit handle_segv=0, so they die
// of SIGSEGV as a production worker does and every check below stays exact in
// both builds; ASan still checks every memory access of the worker. The test
// binary itself read its ASAN_OPTIONS at start-up and keeps ASan's handler.
void LetWorkersDieOfSegv() {
  if (!kUnderAsan) return;
  const char* old = getenv("ASAN_OPTIONS");
  std::string options = old ? old : "";
  if (options.find("handle_segv=0") != std::string::npos) return;
  if (!options.empty()) options += ':';
  options += "handle_segv=0";
  setenv("ASAN_OPTIONS", options.c_str(), 1);
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(kBudgetMs, 64); }
  void Start(int budget_ms, size_t memory_mb) {
    budget_ms_ = budget_ms;
    LetWorkersDieOfSegv();
    rt_.reset();
    RuntimeOptions o = Options(dir_);
    o.eval_budget = std::chrono::milliseconds(budget_ms);
    o.load_budget = std::chrono::milliseconds(1500);
    o.memory_mb = memory_mb;
    auto rt = StrategyRuntime::Create(o);
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    rt_ = std::move(*rt);
    for (const char* s : {"AAA", "BBB"}) ASSERT_TRUE(rt_->UpdateSeries(Walk(s, 100)).ok());
    ASSERT_EQ(rt_->LoadFile(dir_.Write("good.lua", kGood), true).state, "running");
  }
  void RunBombs(const Bomb* bombs, size_t n);
  TempDir dir_;
  std::unique_ptr<StrategyRuntime> rt_;
  int budget_ms_ = 0;
};

TEST_F(LimitsTest, RunawayStrategiesAreStoppedReportedAndDisabled) {
  RunBombs(kCpuBombs, std::size(kCpuBombs));
}

TEST_F(LimitsTest, MemoryBombsHitTheCap) {
  Start(3000, 32);
  RunBombs(kMemoryBombs, std::size(kMemoryBombs));
}

void LimitsTest::RunBombs(const Bomb* bombs, size_t count) {
  for (size_t bi = 0; bi < count; ++bi) {
    const Bomb& b = bombs[bi];
    SCOPED_TRACE(b.what);
    const std::string src = std::string(
        "return { name = 'bomb', timeframe = '1d', universe = { 'AAA', 'BBB' },\n"
        "  evaluate = function(ctx, symbol)\n    if symbol == 'BBB' then\n") + b.body +
        "\n    end\n  end }\n";
    const std::string path = dir_.Write("bomb.lua", src);
    auto st = rt_->LoadFile(path, true);
    ASSERT_EQ(st.state, "running") << st.last_error;
    const auto before = ChildPids();
    ASSERT_EQ(before.size(), 2u);  // the good worker and the bomb's

    const auto t0 = std::chrono::steady_clock::now();
    BarResult r = rt_->OnBarClose({market::Timeframe::k1d, 0, {}, {}});
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - t0).count();
    EXPECT_LE(ms, budget_ms_ + 100);

    // The good strategy still emitted for both symbols in the same bar.
    int good = 0;
    for (const auto& i : r.intents) good += i.strategy == "good";
    EXPECT_EQ(good, 2);

    std::string reported;
    for (const auto& e : r.errors)
      if (e.strategy == "bomb") reported += e.message + "\n";
    EXPECT_TRUE(Matches(reported, b.expect)) << reported;

    auto now = rt_->FindStatus(path);
    ASSERT_TRUE(now.has_value());
    if (b.disables) {
      EXPECT_EQ(now->state, "disabled");
      EXPECT_TRUE(Matches(now->last_error, b.expect)) << now->last_error;
      // The killed worker is gone: not spinning, not a zombie.
      const auto after = ChildPids();
      EXPECT_EQ(after.size(), 1u);
      for (int pid : before) {
        bool kept = std::find(after.begin(), after.end(), pid) != after.end();
        if (!kept) {
          EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
        }
      }
      // Disabled until the file changes: the same bytes stay disabled ...
      EXPECT_EQ(rt_->LoadFile(path, true).state, "disabled");
      BarResult r2 = rt_->OnBarClose({market::Timeframe::k1d, 0, {}, {}});
      for (const auto& e : r2.errors) EXPECT_NE(e.strategy, "bomb");
      // ... a fixed file runs again.
      auto fixed = rt_->LoadFile(dir_.Write("bomb.lua",
          "return { name = 'bomb', timeframe = '1d', universe = { 'AAA' }, evaluate = function() end }"), true);
      EXPECT_EQ(fixed.state, "running") << fixed.last_error;
    } else {
      EXPECT_EQ(now->state, "running") << now->last_error;  // an error, not a kill
    }
  }
  EXPECT_EQ(ChildPids().size(), 2u);
}

TEST_F(LimitsTest, EndlessTopLevelCodeIsRefusedAtLoad) {
  const auto t0 = std::chrono::steady_clock::now();
  auto st = rt_->LoadFile(dir_.Write("slow.lua", "while true do end"), true);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(st.state, "failed");
  EXPECT_NE(st.last_error.find("longer than the load budget of 1500 ms"), std::string::npos) << st.last_error;
  EXPECT_LE(ms, 1500 + 500);  // includes spawning the worker
  EXPECT_EQ(ChildPids().size(), 1u);
}

TEST_F(LimitsTest, AWorkerThatDiesIsReportedAndTheHostCarriesOn) {
  Start(5000, 64);  // a budget the kill below always beats
  const auto before = ChildPids();
  auto st = rt_->LoadFile(dir_.Write("victim.lua", R"(
    return { name = "victim", timeframe = "1d", universe = { "AAA" },
      evaluate = function() local x = 0 for i = 1, 1e12 do x = x + i end end }
  )"), true);
  ASSERT_EQ(st.state, "running");
  int victim = -1;
  for (int pid : ChildPids())
    if (std::find(before.begin(), before.end(), pid) == before.end()) victim = pid;
  ASSERT_GT(victim, 0);
  // Something outside kills the worker mid-bar (OOM killer, operator).
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    kill(victim, SIGSEGV);
  });
  BarResult r = rt_->OnBarClose({market::Timeframe::k1d, 0, {}, {}});
  killer.join();
  auto now = rt_->FindStatus(dir_.scripts() + "/victim.lua");
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->state, "disabled");
  EXPECT_NE(now->last_error.find("signal 11"), std::string::npos) << now->last_error;
  int good = 0;
  for (const auto& i : r.intents) good += i.strategy == "good";
  EXPECT_EQ(good, 2);
}

}  // namespace
}  // namespace sf::lua
