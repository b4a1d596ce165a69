// The hostile-script suite: every escape attempt must be refused, leave no
// trace outside the sandbox, and leave the host able to run strategies.
#include <gtest/gtest.h>

#include <filesystem>

#include "lua_test_util.h"

namespace sf::lua {
namespace {

using testing::Options;
using testing::TempDir;
using testing::Walk;

struct Attempt {
  const char* what;
  const char* code;    // top-level code; if it runs to the end the script loads = escape
  const char* expect;  // part of the refusal
};

// MARKER is replaced by a path that must never be created.
const Attempt kAttempts[] = {
    {"io library", "local f = io.open('MARKER', 'w'); f:write('x')", "attempt to index global 'io'"},
    {"os.execute", "os.execute('touch MARKER')", "attempt to call field 'execute'"},
    {"os.getenv", "local h = os.getenv('HOME'); assert(h)", "attempt to call field 'getenv'"},
    {"os.remove", "os.remove('MARKER')", "attempt to call field 'remove'"},
    {"ffi via require", "local ffi = require('ffi'); ffi.C.system('touch MARKER')", "module 'ffi' not found in scripts/lib/"},
    {"ffi global", "ffi.cdef('int system(const char*);')", "attempt to index global 'ffi'"},
    {"debug library", "debug.getregistry()", "attempt to index global 'debug'"},
    {"jit library", "jit.off()", "attempt to index global 'jit'"},
    {"package.loadlib", "package.loadlib('libc.so.6', 'system')", "attempt to index global 'package'"},
    {"dofile", "dofile('/etc/passwd')", "attempt to call global 'dofile'"},
    {"loadfile", "loadfile('/etc/passwd')", "attempt to call global 'loadfile'"},
    {"string.dump", "local s = string.dump(function() end)", "attempt to call field 'dump'"},
    {"string.dump via method", "local s = (''):dump()", "attempt to call method 'dump'"},
    {"bytecode through load", "assert(load('\\27LJ\\2\\0\\0'))", "attempt to load chunk with wrong mode"},
    {"load mode b", "load('return 1', 'x', 'b')", "only text chunks"},
    {"load with a reader function", "load(function() return nil end)", "only source text"},
    {"loaded chunk sees the sandbox", "assert(load('return io')())", "assertion failed"},
    {"loadstring sees the sandbox", "assert(loadstring('return os.execute')())", "assertion failed"},
    {"string metatable read", "getmetatable('').__index = {}", "attempt to index a boolean value"},
    {"string metatable set", "setmetatable('', {})", "bad argument #1 to 'setmetatable'"},
    {"getfenv", "local g = getfenv(0); g.io.open('MARKER', 'w')", "attempt to call global 'getfenv'"},
    {"setfenv", "setfenv(1, {})", "attempt to call global 'setfenv'"},
    {"newproxy", "newproxy(true)", "attempt to call global 'newproxy'"},
    {"global write", "x = 1", "globals are read-only"},
    {"_G write", "_G.io = {}", "globals are read-only"},
    {"rawset on _G", "rawset(_G, 'x', 1)", "rawset: table '_G' is read-only"},
    {"rawset on string", "rawset(string, 'upper', print)", "rawset: table 'string' is read-only"},
    {"library write", "string.upper = nil", "read-only table 'string'"},
    {"math write", "math.floor = function() return 0 end", "read-only table 'math'"},
    {"os write", "os.clock = nil", "read-only table 'os'"},
    {"table.insert on a library", "table.insert(string, print)", "table.insert: table 'string' is read-only"},
    {"table.sort on _G", "table.sort(_G)", "table.sort: table '_G' is read-only"},
    {"setmetatable on _G", "setmetatable(_G, nil)", "setmetatable: table '_G' is read-only"},
    {"getmetatable of _G", "getmetatable(_G).__index = nil", "attempt to index a boolean value"},
    {"require outside lib", "require('../../etc/passwd')", "is not valid"},
    {"require an absolute path", "require('/etc/passwd')", "is not valid"},
    {"require the private runtime", "require('sf.runtime')", "private to the host"},
    {"lib modules are frozen", "require('util').clamp = nil", "read-only table 'util'"},
    {"coroutine environment", "local co = coroutine.create(function() return io end); local ok, v = coroutine.resume(co); assert(v)", "assertion failed"},
    {"coroutine.wrap write", "coroutine.wrap(function() x = 1 end)()", "globals are read-only"},
    {"collectgarbage stop", "collectgarbage('stop')", "option 'stop' is not allowed"},
    {"print is not stdout", "assert(io)", "assertion failed"},
    {"module()", "module('x')", "attempt to call global 'module'"},
    {"gcinfo/unpack ok, but not require of table.new", "require('table.new')", "module 'table.new' not found"},
};

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = StrategyRuntime::Create(Options(dir_));
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    rt_ = std::move(*rt);
    ASSERT_TRUE(rt_->UpdateSeries(Walk("AAA", 100)).ok());
    rt_->SetInstrument("AAA", {});
    marker_ = dir_.path() + "/MARKER";
  }
  TempDir dir_;
  std::unique_ptr<StrategyRuntime> rt_;
  std::string marker_;
};

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

TEST_F(SandboxTest, EveryEscapeAttemptAtLoadIsRefused) {
  int escapes = 0;
  for (const Attempt& a : kAttempts) {
    const std::string code = Replace(a.code, "MARKER", marker_);
    const std::string src = code + "\nreturn { name = 'h', timeframe = '1d', universe = {'AAA'},"
                                   " evaluate = function() end }\n";
    auto st = rt_->LoadFile(dir_.Write("h.lua", src), true);
    if (st.state == "running") ++escapes;
    EXPECT_EQ(st.state, "failed") << a.what << ": the script loaded";
    EXPECT_NE(st.last_error.find(a.expect), std::string::npos)
        << a.what << ": " << st.last_error << " (expected: " << a.expect << ")";
    EXPECT_NE(st.last_error.find("h.lua:1:"), std::string::npos) << a.what << ": " << st.last_error;
    EXPECT_FALSE(std::filesystem::exists(marker_)) << a.what;
    std::filesystem::remove(dir_.scripts() + "/h.lua");
  }
  EXPECT_EQ(escapes, 0);
}

TEST_F(SandboxTest, EscapeAttemptsInsideEvaluateFailToo) {
  // Each line runs in pcall inside evaluate; the feature is 1 when it failed.
  std::string body;
  int n = 0;
  for (const Attempt& a : kAttempts) {
    body += "  r[" + std::to_string(++n) + "] = pcall(function() " + Replace(a.code, "MARKER", marker_) +
            " end) and 0 or 1\n";
  }
  // Views and frozen context objects.
  const char* more[] = {
      "ctx.bars.close.slot = 0", "ctx.bars.close[1] = 5", "ctx.bars.close = nil",
      "assert(ctx.bars.close[-100000] ~= nil)", "assert(ctx.bars.close[100000] ~= nil)",
      "assert(ctx.bars.close[0/0] ~= nil)", "ctx.params.x = 1",
      "ctx.instrument.sector = 'x'", "assert(type(getmetatable(ctx.bars.close)) == 'table')",
  };
  for (const char* m : more)
    body += "  r[" + std::to_string(++n) + "] = pcall(function() " + m + " end) and 0 or 1\n";
  const std::string src =
      "return { name = 'h', timeframe = '1d', universe = {'AAA'}, evaluate = function(ctx, s)\n"
      "  local r = {}\n" + body +
      "  local f = {}\n  for i = 1, #r do f['a' .. i] = r[i] end\n"
      "  return { side = 'buy', confidence = 0.5, target = 1e9, stop = 1e-9, expiry = 1,"
      " summary = 'probe', features = f }\nend }\n";
  auto st = rt_->LoadFile(dir_.Write("h.lua", src), true);
  ASSERT_EQ(st.state, "running") << st.last_error;
  BarResult r = rt_->OnBarClose({market::Timeframe::k1d, 0, {}, {}});
  ASSERT_EQ(r.intents.size(), 1u) << (r.errors.empty() ? "" : r.errors[0].message);
  for (int i = 1; i <= n; ++i)
    EXPECT_EQ(r.intents[0].features["a" + std::to_string(i)].get<int>(), 1) << "attempt " << i << " succeeded";
  EXPECT_FALSE(std::filesystem::exists(marker_));
}

TEST_F(SandboxTest, AllowedLibrariesWork) {
  auto st = rt_->LoadFile(dir_.Write("ok.lua", R"(
    local util = require("util")
    local s = ("abc"):upper() .. string.format("%d", 42) .. table.concat({ "x", "y" }, ",")
    assert(s == "ABC42x,y", s)
    assert(math.floor(2.5) == 2 and bit.band(6, 3) == 2 and util.clamp(5, 0, 1) == 1)
    assert(type(os.time()) == "number" and type(os.clock()) == "number" and os.date("!%Y", 0) == "1970")
    local co = coroutine.wrap(function() coroutine.yield(1) end)
    assert(co() == 1)
    local f = assert(load("return 1 + 1"))
    assert(f() == 2)
    local t = setmetatable({}, { __index = function() return 7 end })
    assert(t.x == 7 and rawget(t, "x") == nil)
    assert(select("#", pcall(error, "e")) == 2)
    return { name = "ok", timeframe = "1d", universe = { "AAA" }, evaluate = function() end }
  )"), true);
  EXPECT_EQ(st.state, "running") << st.last_error;
}

TEST_F(SandboxTest, BadOutputsNeverCrashTheHost) {
  const char* outputs[] = {
      "return 5", "return 'buy'", "return function() end", "return {}", "return { {}, 5, 'x' }",
      "return setmetatable({}, { __index = function() error('trap') end })",
      "return { side = setmetatable({}, { __tostring = function() error('trap') end }) }",
      "error(setmetatable({}, { __tostring = function() error('trap') end }))",
      "error(nil)", "error({})", "local t = {} for i = 1, 2000 do t[i] = { side = 'buy' } end return t",
      "return { side = 'buy', confidence = 0.5, target = 2e9, stop = 1e-9, expiry = 1, summary = ('x'):rep(5000) }",
  };
  for (const char* o : outputs) {
    const std::string src = std::string("return { name = 'b', timeframe = '1d', universe = {'AAA'}, "
                                        "evaluate = function(ctx, s) ") + o + " end }";
    auto st = rt_->LoadFile(dir_.Write("b.lua", src), true);
    ASSERT_EQ(st.state, "running") << o << ": " << st.last_error;
    BarResult r = rt_->OnBarClose({market::Timeframe::k1d, 0, {}, {}});
    EXPECT_TRUE(r.intents.empty()) << o;
    EXPECT_FALSE(r.rejected.empty() && r.errors.empty()) << o << ": nothing reported";
    auto now = rt_->FindStatus(dir_.scripts() + "/b.lua");
    ASSERT_TRUE(now.has_value());
    EXPECT_EQ(now->state, "running") << o << ": " << now->last_error;
  }
}

}  // namespace
}  // namespace sf::lua
