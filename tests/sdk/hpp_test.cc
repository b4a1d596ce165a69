// signalforge.hpp, the optional C++ helper for plugin authors, against the
// host's real API table: Guard turns exceptions into status codes with the
// message delivered through set_error; WriteOut/ReadOut follow the "needed
// size" protocol; CopySized zero-extends an older, smaller struct.
#include <new>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugins/registry.h"
#include "signalforge/signalforge.hpp"

namespace {

using sf::plugins::HostApi;
using sf::plugins::TakePluginError;
using ::testing::HasSubstr;

class HppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sf::sdk::Remember(HostApi());
    sf::plugins::ClearPluginError();
  }
  void TearDown() override { sf::sdk::Remember(nullptr); }
};

TEST_F(HppTest, GuardPassesThroughSuccessAndReturnedCodes) {
  EXPECT_EQ(sf::sdk::Guard([] {}), SF_OK);
  EXPECT_EQ(sf::sdk::Guard([] { return SF_NO_DATA; }), SF_NO_DATA);
  EXPECT_EQ(sf::sdk::Guard([]() -> sf_status { return SF_ERR_NOT_FOUND; }), SF_ERR_NOT_FOUND);
  EXPECT_EQ(TakePluginError("none"), "none");
}

TEST_F(HppTest, GuardTurnsAnErrorIntoItsCodeAndMessage) {
  sf_status s = sf::sdk::Guard(
      [] { throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "period must be >= 1, got 0"); });
  EXPECT_EQ(s, SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(TakePluginError(""), "period must be >= 1, got 0");
}

TEST_F(HppTest, GuardTurnsOtherExceptionsIntoInternalOrNoMemory) {
  EXPECT_EQ(sf::sdk::Guard([] { throw std::runtime_error("disk on fire"); }), SF_ERR_INTERNAL);
  EXPECT_EQ(TakePluginError(""), "unexpected exception: disk on fire");
  EXPECT_EQ(sf::sdk::Guard([] { throw std::bad_alloc(); }), SF_ERR_NO_MEMORY);
  EXPECT_EQ(TakePluginError(""), "out of memory");
  EXPECT_EQ(sf::sdk::Guard([] { throw 42; }), SF_ERR_INTERNAL);
  EXPECT_EQ(TakePluginError(""), "unexpected non-standard exception");
}

TEST_F(HppTest, GuardWithoutAHostStillReturnsTheCode) {
  sf::sdk::Remember(nullptr);
  EXPECT_EQ(sf::sdk::Guard([] { throw sf::sdk::Error(SF_ERR_IO, "x"); }), SF_ERR_IO);
  EXPECT_EQ(TakePluginError("nothing reached the host"), "nothing reached the host");
}

TEST_F(HppTest, WriteOutFollowsTheNeededSizeRule) {
  char buf[8];
  std::memset(buf, 'x', sizeof buf);
  size_t needed = 0;
  EXPECT_EQ(sf::sdk::WriteOut("hello world", buf, sizeof buf, &needed), SF_INCOMPLETE);
  EXPECT_EQ(needed, 12u);  // includes the NUL
  EXPECT_EQ(buf[0], 'x');  // untouched when it does not fit
  EXPECT_EQ(sf::sdk::WriteOut("hello world", nullptr, 0, &needed), SF_INCOMPLETE);
  EXPECT_EQ(sf::sdk::WriteOut("1234567", buf, sizeof buf, &needed), SF_OK);  // exact fit
  EXPECT_STREQ(buf, "1234567");
  EXPECT_EQ(needed, 8u);
}

TEST_F(HppTest, ReadOutGrowsTheBufferUntilItFits) {
  const std::string big(1000, 'a');
  int calls = 0;
  std::string out;
  sf_status s = sf::sdk::ReadOut(
      [&](char* buf, size_t cap, size_t* needed) {
        ++calls;
        return sf::sdk::WriteOut(big, buf, cap, needed);
      },
      &out);
  EXPECT_EQ(s, SF_OK);
  EXPECT_EQ(out, big);
  EXPECT_EQ(calls, 2);  // 256 bytes first, then the needed 1001

  EXPECT_EQ(sf::sdk::ReadOut([](char*, size_t, size_t*) { return SF_ERR_NOT_FOUND; }, &out),
            SF_ERR_NOT_FOUND);
  // A callee that keeps asking for more is cut off, not looped forever.
  size_t ask = 300;
  EXPECT_EQ(sf::sdk::ReadOut(
                [&](char*, size_t, size_t* needed) {
                  *needed = ask *= 2;
                  return SF_INCOMPLETE;
                },
                &out),
            SF_ERR_INTERNAL);
}

TEST_F(HppTest, CopySizedZeroExtendsAnOlderSmallerStruct) {
  sf_indicator_vtable newer;
  std::memset(&newer, 0xAB, sizeof newer);  // garbage beyond what "old" covers
  newer.struct_size = offsetof(sf_indicator_vtable, stream_create);  // an older layout
  newer.param_count = 3;
  sf_indicator_vtable copy = sf::sdk::CopySized(&newer);
  EXPECT_EQ(copy.struct_size, sizeof(sf_indicator_vtable));
  EXPECT_EQ(copy.param_count, 3u);
  EXPECT_EQ(copy.stream_create, nullptr);
  EXPECT_EQ(copy.stream_update, nullptr);
  EXPECT_EQ(copy.stream_destroy, nullptr);

  // A larger (newer) struct_size copies only what this build knows.
  sf_bar bar = sf::sdk::Make<sf_bar>();
  bar.close = 7.5;
  bar.struct_size = 4096;
  sf_bar c2 = sf::sdk::CopySized(&bar);
  EXPECT_EQ(c2.struct_size, sizeof(sf_bar));
  EXPECT_EQ(c2.close, 7.5);

  sf_bar none = sf::sdk::CopySized<sf_bar>(nullptr);
  EXPECT_EQ(none.struct_size, 0u);
  EXPECT_EQ(none.close, 0.0);
}

TEST_F(HppTest, MakeZeroesAndSetsTheSize) {
  auto req = sf::sdk::Make<sf_fetch_request>();
  EXPECT_EQ(req.struct_size, sizeof(sf_fetch_request));
  EXPECT_EQ(req.symbols, nullptr);
  EXPECT_EQ(req.from_us, 0);
}

TEST_F(HppTest, SetErrorReachesTheHost) {
  sf::sdk::SetError(SF_ERR_BAD_DATA, "line 4: high < low");
  EXPECT_EQ(TakePluginError(""), "line 4: high < low");
}

TEST(StatusNameTest, EveryCodeHasAStableName) {
  EXPECT_STREQ(sf_status_name(SF_OK), "ok");
  EXPECT_STREQ(sf_status_name(SF_ERR_PERMISSION), "permission_denied");
  EXPECT_STREQ(sf_status_name(SF_ERR_TOO_LARGE), "too_large");
  EXPECT_STREQ(sf_status_name(-999), "unknown");
}

}  // namespace
