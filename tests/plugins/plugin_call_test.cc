// The first-party hello plugin through the host's call helpers: provider
// instance and sink, indicator batch vs streaming, and error mapping.
#include <cmath>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugins/loader.h"
#include "plugins/plugin_call.h"

namespace sf::plugins {
namespace {

using ::testing::HasSubstr;

struct Collected {
  std::vector<std::string> symbols;
  std::vector<double> close;
  std::vector<sf_time_us> ts;
};

sf_data_sink SinkFor(Collected* c) {
  sf_data_sink sink{};
  sink.struct_size = sizeof sink;
  sink.host_data = c;
  sink.emit_bars = [](void* data, const sf_bar_batch* b) -> sf_status {
    auto* c = static_cast<Collected*>(data);
    for (int64_t i = 0; i < b->count; ++i) {
      c->symbols.push_back(b->symbol);
      c->close.push_back(b->close[i]);
      c->ts.push_back(b->ts_start[i]);
    }
    return SF_OK;
  };
  return sink;
}

class HelloPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LoaderOptions o;
    o.log = false;
    LoadResult r = Loader(registry_, o).LoadFile(SF_HELLO_PLUGIN);
    ASSERT_TRUE(r.loaded) << r.reason;
    ASSERT_EQ(r.plugin_id, "org.signalforge.hello");
  }
  Registry registry_;
};

TEST_F(HelloPluginTest, ProviderEmitsDeterministicBars) {
  const Provider* p = registry_.FindProvider("hello");
  ASSERT_NE(p, nullptr);
  auto inst = ProviderInstance::Create(*p, "{}");
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  Collected got;
  sf_data_sink sink = SinkFor(&got);
  const char* symbols[] = {"AAA", "BBB"};
  sf_fetch_request req{};
  req.struct_size = sizeof req;
  req.symbols = symbols;
  req.symbol_count = 2;
  ASSERT_TRUE((*inst)->FetchBars(req, sink).ok());
  ASSERT_EQ(got.close.size(), 10u);
  EXPECT_EQ(got.symbols[0], "AAA");
  EXPECT_EQ(got.symbols[9], "BBB");
  EXPECT_DOUBLE_EQ(got.close[4], 104.0);
  EXPECT_EQ(got.ts[1] - got.ts[0], 86'400'000'000LL);

  // A range that leaves nothing is SF_NO_DATA, still OK as a Status.
  req.from_us = got.ts[4] + 1;
  EXPECT_TRUE((*inst)->FetchBars(req, sink).ok());
  EXPECT_EQ(got.close.size(), 10u);

  // An unsupported timeframe comes back with the plugin's message.
  req.timeframe = "1m";
  Status s = (*inst)->FetchBars(req, sink);
  EXPECT_EQ(s.code(), SF_ERR_UNSUPPORTED);
  EXPECT_THAT(s.message(), HasSubstr("provider hello: fetch_bars: hello: timeframe \"1m\" is not offered"));

  auto instruments = (*inst)->ListInstruments();
  ASSERT_TRUE(instruments.ok());
  EXPECT_EQ(nlohmann::json::parse(*instruments)[0]["symbol"], "HELLO");
  EXPECT_EQ((*inst)->Poll(0, sink).code(), SF_ERR_UNSUPPORTED);
}

TEST_F(HelloPluginTest, IndicatorBatchAndStreamingAgree) {
  const Indicator* ind = registry_.FindIndicator("hello_sum");
  ASSERT_NE(ind, nullptr);
  ASSERT_TRUE(ind->streaming());
  std::vector<double> close = {1, 2, 3, 4, 5, 6, 7};
  sf_bar_series in{};
  in.count = static_cast<int64_t>(close.size());
  in.close = close.data();
  IndicatorCall call(*ind, {3});
  auto lookback = call.Lookback();
  ASSERT_TRUE(lookback.ok());
  EXPECT_EQ(*lookback, 2);
  auto batch = call.Compute(in);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  auto stream = IndicatorStream::Open(*ind, {3});
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  for (size_t i = 0; i < close.size(); ++i) {
    sf_bar bar{};
    bar.close = close[i];
    std::vector<double> out;
    ASSERT_TRUE((*stream)->Update(bar, &out).ok());
    if (i < 2) {
      EXPECT_TRUE(std::isnan(out[0]));
      EXPECT_TRUE(std::isnan((*batch)[0][i]));
    } else {
      EXPECT_DOUBLE_EQ(out[0], (*batch)[0][i]);
      EXPECT_DOUBLE_EQ(out[0], close[i] + close[i - 1] + close[i - 2]);
    }
  }
}

TEST_F(HelloPluginTest, BadParametersComeBackAsStatusNamingTheRule) {
  const Indicator* ind = registry_.FindIndicator("hello_sum");
  ASSERT_NE(ind, nullptr);
  auto lb = IndicatorCall(*ind, {0}).Lookback();
  EXPECT_EQ(lb.status().code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(lb.status().message(),
              HasSubstr("indicator hello_sum: lookback: hello_sum: period must be a whole number"));
  auto wrong_count = IndicatorCall(*ind, {3, 4}).Lookback();
  EXPECT_THAT(wrong_count.status().message(), HasSubstr("takes 1 parameters, got 2"));
  EXPECT_EQ(TakePluginError("nothing pending"), "nothing pending");
}

TEST(PluginStatusTest, MapsCodesAndTakesTheMessage) {
  EXPECT_TRUE(PluginStatus(SF_OK, "x").ok());
  EXPECT_TRUE(PluginStatus(SF_NO_DATA, "x").ok());
  HostApi()->set_error(SF_ERR_TIMEOUT, "remote took 30 s");
  Status s = PluginStatus(SF_ERR_TIMEOUT, "provider y: fetch_bars");
  EXPECT_EQ(s.code(), SF_ERR_TIMEOUT);
  EXPECT_EQ(s.message(), "provider y: fetch_bars: remote took 30 s");
  EXPECT_EQ(PluginStatus(SF_ERR_IO, "z").message(), "z: (no message from the plugin)");
}

}  // namespace
}  // namespace sf::plugins
