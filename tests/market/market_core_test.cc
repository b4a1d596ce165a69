// Resampling, bar completion/release, adjustment, quality rules and the
// circuit breaker / failover state machine.
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <span>

#include <gtest/gtest.h>

#include "market/bar_series.h"
#include "market/bar_sink.h"
#include "market/calendar.h"
#include "market/failover.h"
#include "market/provider_bars.h"
#include "market/quality.h"
#include "market/resample.h"

namespace sf::market {
namespace {

constexpr int64_t kUs = 1'000'000;
constexpr int64_t kMin = 60 * kUs;

int64_t Day(const char* date) {
  int64_t d = 0;
  EXPECT_TRUE(ParseDate(date, &d));
  return d;
}
int64_t Utc(const char* date, int h, int m) { return (Day(date) * 86400 + h * 3600 + m * 60) * kUs; }

std::shared_ptr<const TradingCalendar> Cal(const char* name) {
  auto cal = TradingCalendar::LoadFile(std::string(SF_CALENDAR_DIR) + "/" + name + ".json");
  EXPECT_TRUE(cal.ok()) << cal.status().ToString();
  return *cal;
}

// One session of 1m bars: bar j has open j+1, close j+2, high j+3, low j, volume 1.
BarSeries MinuteSession(const TradingCalendar& cal, const char* date) {
  BarSeries s;
  s.symbol = "T";
  s.timeframe = Timeframe::k1m;
  auto sess = cal.SessionOn(Day(date));
  int j = 0;
  for (int64_t end = sess->open_us + kMin; end <= sess->close_us; end += kMin, ++j) {
    s.Append(end, j + 1, j + 3, j, j + 2, 1);
  }
  return s;
}

TEST(ResampleTest, HourlyBarsFollowTheSession) {
  auto cal = Cal("nyse");
  BarSeries m = MinuteSession(*cal, "2021-01-05");
  ASSERT_EQ(m.size(), 390u);
  auto h = Resample(m, Timeframe::k1h, *cal);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 7u);
  EXPECT_EQ(h->ts[0], Utc("2021-01-05", 15, 30));  // 09:30-10:30 EST
  EXPECT_EQ(h->ts[6], Utc("2021-01-05", 21, 0));   // 15:30-16:00, cut at the close
  EXPECT_DOUBLE_EQ(h->open[0], 1);                  // first minute's open
  EXPECT_DOUBLE_EQ(h->close[0], 61);                // 60th minute's close (j=59)
  EXPECT_DOUBLE_EQ(h->high[0], 62);
  EXPECT_DOUBLE_EQ(h->low[0], 0);
  EXPECT_DOUBLE_EQ(h->volume[0], 60);
  EXPECT_DOUBLE_EQ(h->volume[6], 30);
  auto d = Resample(m, Timeframe::k1d, *cal);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ(d->ts[0], Utc("2021-01-05", 21, 0));
  EXPECT_DOUBLE_EQ(d->open[0], 1);
  EXPECT_DOUBLE_EQ(d->close[0], 391);
  EXPECT_DOUBLE_EQ(d->high[0], 392);
  EXPECT_DOUBLE_EQ(d->low[0], 0);
  EXPECT_DOUBLE_EQ(d->volume[0], 390);
  // 15m from 5m equals 15m from 1m.
  auto five = Resample(m, Timeframe::k5m, *cal);
  ASSERT_TRUE(five.ok());
  ASSERT_EQ(five->size(), 78u);
  auto a = Resample(*five, Timeframe::k15m, *cal);
  auto b = Resample(m, Timeframe::k15m, *cal);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->ts, b->ts);
  EXPECT_EQ(a->close, b->close);
  EXPECT_EQ(a->high, b->high);
  EXPECT_EQ(a->volume, b->volume);
}

TEST(ResampleTest, EarlyCloseAndSummerTime) {
  auto cal = Cal("nyse");
  BarSeries m = MinuteSession(*cal, "2020-11-27");  // closes 13:00 EST
  ASSERT_EQ(m.size(), 210u);
  auto h = Resample(m, Timeframe::k1h, *cal);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 4u);
  EXPECT_EQ(h->ts.back(), Utc("2020-11-27", 18, 0));
  BarSeries summer = MinuteSession(*cal, "2021-07-06");
  auto d = Resample(summer, Timeframe::k1d, *cal);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ts[0], Utc("2021-07-06", 20, 0));
}

TEST(ResampleTest, IncompleteBucketIsLeftOutAndBadInputsRefused) {
  auto cal = Cal("nyse");
  BarSeries m = MinuteSession(*cal, "2021-01-05");
  const int64_t as_of = Utc("2021-01-05", 16, 0);  // 11:00 EST: 1.5 hours in
  auto h = Resample(m, Timeframe::k1h, *cal, as_of);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size(), 1u);
  EXPECT_FALSE(Resample(m, Timeframe::k1m, *cal).ok());
  BarSeries hourly = *Resample(m, Timeframe::k1h, *cal);
  auto bad = Resample(hourly, Timeframe::k15m, *cal);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("higher timeframe"), std::string::npos);
  std::swap(m.ts[3], m.ts[4]);
  EXPECT_FALSE(Resample(m, Timeframe::k5m, *cal).ok());
}

TEST(ResampleTest, CryptoAlignsToUtc) {
  auto cal = Cal("crypto");
  BarSeries s;
  s.symbol = "BTCUSDT";
  s.timeframe = Timeframe::k1h;
  // Saturday, 48 hourly bars over two UTC days.
  for (int i = 1; i <= 48; ++i) s.Append(Utc("2021-01-09", 0, 0) + i * 60 * kMin, 10, 11, 9, 10, 1);
  auto d = Resample(s, Timeframe::k1d, *cal);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ(d->ts[0], Utc("2021-01-10", 0, 0));
  EXPECT_DOUBLE_EQ(d->volume[0], 24);
  auto four = Resample(s, Timeframe::k4h, *cal);
  ASSERT_EQ(four->size(), 12u);
  EXPECT_EQ(four->ts[0], Utc("2021-01-09", 4, 0));
}

TEST(BarAggregatorTest, ReleasesOnlyCompleteBars) {
  auto cal = Cal("nyse");
  BarAggregator agg(cal, Timeframe::k1m, {Timeframe::k5m, Timeframe::k1h});
  const int64_t open = Utc("2021-01-05", 14, 30);
  // Seven minutes arrive; the clock stands at 09:36:30.
  for (int j = 1; j <= 7; ++j) ASSERT_TRUE(agg.Add("AAA", open + j * kMin, 10, 11, 9, 10 + j, 100).ok());
  auto out = agg.Release(open + 6 * kMin + 30 * kUs);
  int minutes = 0, fives = 0, hours = 0;
  for (const auto& b : out) {
    EXPECT_LE(b.ts_end, open + 6 * kMin + 30 * kUs) << "released a bar before its end";
    if (b.timeframe == Timeframe::k1m) ++minutes;
    if (b.timeframe == Timeframe::k5m) {
      ++fives;
      EXPECT_EQ(b.ts_start, open);
      EXPECT_EQ(b.ts_end, open + 5 * kMin);
      EXPECT_DOUBLE_EQ(b.close, 15);
      EXPECT_DOUBLE_EQ(b.volume, 500);
    }
    if (b.timeframe == Timeframe::k1h) ++hours;
  }
  EXPECT_EQ(minutes, 6);  // the 7th minute ends at 09:37
  EXPECT_EQ(fives, 1);
  EXPECT_EQ(hours, 0);
  // Nothing is released twice.
  EXPECT_TRUE(agg.Release(open + 6 * kMin + 30 * kUs).empty());
  // At 10:30 the 7th minute and the hour (with its 7 minutes) are complete.
  auto later = agg.Release(open + 60 * kMin);
  int h = 0;
  for (const auto& b : later) {
    if (b.timeframe == Timeframe::k1h) {
      ++h;
      EXPECT_EQ(b.ts_end, open + 60 * kMin);
      EXPECT_DOUBLE_EQ(b.volume, 700);
    }
  }
  EXPECT_EQ(h, 1);
  // A bar older than the last one is refused.
  EXPECT_EQ(agg.Add("AAA", open + 3 * kMin, 1, 1, 1, 1, 1).code(), SF_ERR_CONFLICT);
}

ProviderBars Daily(const std::vector<const char*>& dates, const std::vector<double>& closes,
                   std::vector<double> factors = {}) {
  ProviderBars b;
  b.symbol = "TST";
  b.timeframe = Timeframe::k1d;
  for (size_t i = 0; i < dates.size(); ++i) {
    b.ts_start.push_back(Day(dates[i]) * 86400 * kUs);
    b.ts_end.push_back(0);
    b.open.push_back(closes[i]);
    b.high.push_back(closes[i] * 1.01);
    b.low.push_back(closes[i] * 0.99);
    b.close.push_back(closes[i]);
    b.volume.push_back(1000);
  }
  b.adj_factor = std::move(factors);
  return b;
}

TEST(AdjustTest, ScalesOhlcByFactorAndKeepsRaw) {
  auto cal = Cal("nyse");
  // A 4:1 split between the two days: raw 400 -> 100, factor 0.25 -> 1.
  ProviderBars b = Daily({"2020-08-28", "2020-08-31"}, {400, 101}, {0.25, 1.0});
  AssignBarEnds(&b, *cal);
  EXPECT_EQ(b.ts_end[0], Utc("2020-08-28", 20, 0));
  EXPECT_EQ(b.ts_start[0], Utc("2020-08-28", 13, 30));
  BarSeries adj = b.Adjusted();
  EXPECT_DOUBLE_EQ(adj.close[0], 100);
  EXPECT_DOUBLE_EQ(adj.high[0], 101);
  EXPECT_DOUBLE_EQ(adj.close[1], 101);
  EXPECT_DOUBLE_EQ(adj.volume[0], 1000);
  BarSeries raw = b.Raw();
  EXPECT_DOUBLE_EQ(raw.close[0], 400);
}

TEST(QualityTest, EachRowRuleRejectsWithItsName) {
  auto cal = Cal("nyse");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ProviderBars b = Daily({"2021-01-04", "2021-01-05", "2021-01-06", "2021-01-07", "2021-01-08",
                          "2021-01-11", "2021-01-12", "2021-01-13", "2021-01-14"},
                         {10, 10, 10, 10, 10, 10, 10, 10, 10});
  b.close[1] = nan;                 // not_finite
  b.low[2] = -1;                    // non_positive_price
  b.high[3] = 5;                    // high_below_low (low 9.9)
  b.open[4] = 20;                   // open_close_outside_range
  b.volume[5] = -5;                 // negative_volume
  AssignBarEnds(&b, *cal);
  b.ts_end[6] = 12 * 3600 * kUs;    // 1970-01-01: timestamp_out_of_range
  QualityOptions o;
  o.now_us = Utc("2021-01-20", 0, 0);
  o.check_gaps = false;
  QualityReport r = CheckBars(&b, *cal, o);
  EXPECT_EQ(r.count(QualityRule::kNotFinite), 1);
  EXPECT_EQ(r.count(QualityRule::kNonPositivePrice), 1);
  EXPECT_EQ(r.count(QualityRule::kHighBelowLow), 1);
  EXPECT_EQ(r.count(QualityRule::kOpenCloseOutsideRange), 1);
  EXPECT_EQ(r.count(QualityRule::kNegativeVolume), 1);
  EXPECT_EQ(r.count(QualityRule::kTimestampOutOfRange), 1);
  EXPECT_EQ(r.rejected, 6);
  EXPECT_EQ(b.size(), 3u);
  ASSERT_FALSE(r.issues.empty());
  EXPECT_NE(r.issues[0].detail.find("TST"), std::string::npos);
}

TEST(QualityTest, FutureTimestampsDuplicatesAndHolidaysAreRejected) {
  auto cal = Cal("nyse");
  ProviderBars b = Daily({"2021-01-04", "2021-01-05", "2021-01-05", "2021-01-18", "2100-01-04"},
                         {10, 10, 10.5, 10, 10});
  AssignBarEnds(&b, *cal);
  QualityOptions o;
  o.now_us = Utc("2021-01-20", 0, 0);
  o.check_gaps = false;
  QualityReport r = CheckBars(&b, *cal, o);
  EXPECT_EQ(r.count(QualityRule::kDuplicate), 1);
  EXPECT_EQ(r.count(QualityRule::kOffCalendar), 1);  // MLK day
  EXPECT_EQ(r.count(QualityRule::kTimestampOutOfRange), 1);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_DOUBLE_EQ(b.close[1], 10);  // the first copy wins
}

TEST(QualityTest, GapsAgainstTheCalendar) {
  auto cal = Cal("nyse");
  // 2021-01-14 .. 2021-01-22 without Jan 19 and 20 (Jan 18 is a holiday).
  ProviderBars b = Daily({"2021-01-14", "2021-01-15", "2021-01-21", "2021-01-22"}, {10, 10, 10, 10});
  AssignBarEnds(&b, *cal);
  QualityOptions o;
  o.now_us = Utc("2021-02-01", 0, 0);
  QualityReport r = CheckBars(&b, *cal, o);
  EXPECT_EQ(r.count(QualityRule::kGap), 1);
  EXPECT_EQ(r.missing_bars, 2);
  ASSERT_EQ(r.gaps.size(), 1u);
  EXPECT_EQ(r.gaps[0].from_us, Utc("2021-01-15", 21, 0));
  EXPECT_EQ(r.gaps[0].to_us, Utc("2021-01-20", 21, 0));
  EXPECT_EQ(b.size(), 4u);  // gaps are reported, nothing removed
}

TEST(QualityTest, OutliersSpikesRejectedJumpsFlagged) {
  auto cal = Cal("nyse");
  std::vector<const char*> dates;
  std::vector<std::string> storage;
  std::vector<double> closes;
  auto s = cal->SessionOn(Day("2021-01-04"));
  int64_t day = Day("2021-01-04");
  double px = 100;
  for (int i = 0; i < 80; ++i) {
    while (!cal->SessionOn(day)) ++day;
    storage.push_back(FormatDate(day));
    ++day;
    px *= std::exp(0.01 * std::sin(i * 1.7) + 0.004 * std::cos(i * 0.37));  // varied, calm moves
    closes.push_back(px);
  }
  (void)s;
  closes[40] = closes[39] * 3;   // a bad print: jumps and comes back
  for (int i = 60; i < 80; ++i) closes[i] *= 0.5;  // a real crash that persists
  for (auto& d : storage) dates.push_back(d.c_str());
  ProviderBars b = Daily(dates, closes);
  AssignBarEnds(&b, *cal);
  QualityOptions o;
  o.now_us = Utc("2022-01-01", 0, 0);
  o.outlier_z = 10;
  QualityReport r = CheckBars(&b, *cal, o);
  EXPECT_EQ(r.count(QualityRule::kOutlierSpike), 1);
  EXPECT_EQ(r.count(QualityRule::kOutlierJump), 1);
  EXPECT_EQ(b.size(), 79u);
  EXPECT_EQ(r.flagged, 1);
}

TEST(QualityTest, CountersAccumulate) {
  auto cal = Cal("nyse");
  const int64_t before = GlobalQualityCounters().Get(QualityRule::kNegativeVolume);
  ProviderBars b = Daily({"2021-01-04"}, {10});
  b.volume[0] = -1;
  AssignBarEnds(&b, *cal);
  CheckBars(&b, *cal, QualityOptions{});
  EXPECT_EQ(GlobalQualityCounters().Get(QualityRule::kNegativeVolume), before + 1);
}

TEST(BarSinkTest, RefusesMalformedBatches) {
  BarSink sink("test");
  const sf_data_sink* s = sink.sink();
  int64_t ts[1] = {Utc("2021-01-04", 0, 0)};
  double v[1] = {1};
  sf_bar_batch b{};
  b.struct_size = sizeof(b);
  b.symbol = "DROP TABLE bars;--";
  b.timeframe = "1d";
  b.count = 1;
  b.ts_start = ts;
  b.open = b.high = b.low = b.close = b.volume = v;
  EXPECT_EQ(s->emit_bars(s->host_data, &b), SF_ERR_INVALID_ARGUMENT);
  b.symbol = "OK";
  b.timeframe = "7m";
  EXPECT_EQ(s->emit_bars(s->host_data, &b), SF_ERR_INVALID_ARGUMENT);
  b.timeframe = "1d";
  b.close = nullptr;
  EXPECT_EQ(s->emit_bars(s->host_data, &b), SF_ERR_INVALID_ARGUMENT);
  b.close = v;
  EXPECT_EQ(s->emit_bars(s->host_data, &b), SF_OK);
  EXPECT_EQ(sink.rejections().size(), 3u);
  auto kept = sink.TakeBars();
  ASSERT_EQ(kept.count("OK"), 1u);
  EXPECT_EQ(kept["OK"].size(), 1u);
}

TEST(CircuitBreakerTest, StateMachine) {
  BreakerOptions o;
  o.failure_threshold = 3;
  o.open_us = 30 * kUs;
  CircuitBreaker br(o, Cal("crypto"));
  int64_t t = 1'000 * kUs;
  EXPECT_TRUE(br.Allow(t));
  br.RecordFailure(t, "timeout");
  br.RecordFailure(t, "timeout");
  EXPECT_EQ(br.state(t), CircuitBreaker::State::kClosed);
  br.RecordSuccess(t);  // a success resets the count
  br.RecordFailure(t, "a");
  br.RecordFailure(t, "b");
  EXPECT_EQ(br.state(t), CircuitBreaker::State::kClosed);
  br.RecordFailure(t, "c");
  EXPECT_EQ(br.state(t), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(br.Allow(t + 29 * kUs));
  // After open_us: half-open, one probe at a time.
  EXPECT_EQ(br.state(t + 30 * kUs), CircuitBreaker::State::kHalfOpen);
  EXPECT_TRUE(br.Allow(t + 30 * kUs));
  EXPECT_FALSE(br.Allow(t + 30 * kUs));
  br.RecordFailure(t + 31 * kUs, "still down");  // probe failed: open again
  EXPECT_EQ(br.state(t + 31 * kUs), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(br.Allow(t + 60 * kUs));
  EXPECT_TRUE(br.Allow(t + 61 * kUs));
  br.RecordSuccess(t + 61 * kUs);  // probe succeeded: closed
  EXPECT_EQ(br.state(t + 62 * kUs), CircuitBreaker::State::kClosed);
  EXPECT_EQ(br.last_error(), "still down");
}

TEST(CircuitBreakerTest, SilenceOutsideMarketHoursIsNotAFailure) {
  BreakerOptions o;
  o.failure_threshold = 1;
  o.silence_us = 5 * kMin;
  CircuitBreaker br(o, Cal("nyse"));
  // Last bar at Friday's close; polled all weekend and Monday before the open.
  const int64_t last = Utc("2021-01-15", 21, 0);
  br.RecordSilence(Utc("2021-01-16", 12, 0), last);
  br.RecordSilence(Utc("2021-01-18", 15, 0), last);  // Monday is a holiday (MLK)
  br.RecordSilence(Utc("2021-01-19", 14, 33), last);  // 3 minutes into Tuesday
  EXPECT_EQ(br.state(Utc("2021-01-19", 14, 33)), CircuitBreaker::State::kClosed);
  // 10 minutes into Tuesday's session without a bar: that is a failure.
  br.RecordSilence(Utc("2021-01-19", 14, 40), last);
  EXPECT_EQ(br.state(Utc("2021-01-19", 14, 40)), CircuitBreaker::State::kOpen);
  // The same silence on a 24/7 calendar fails at once.
  CircuitBreaker crypto(o, Cal("crypto"));
  crypto.RecordSilence(Utc("2021-01-16", 12, 0), last);
  EXPECT_EQ(crypto.state(Utc("2021-01-16", 12, 0)), CircuitBreaker::State::kOpen);
}

TEST(ProviderChainTest, FailsOverInOrderAndBackfillsTheHole) {
  BreakerOptions o;
  o.failure_threshold = 2;
  o.open_us = 60 * kUs;
  ProviderChain chain("equity", {"alpaca", "yahoo", "synthetic"}, o, Cal("nyse"), Timeframe::k1m);
  const int64_t t0 = Utc("2021-01-05", 15, 0);
  EXPECT_EQ(chain.Select(t0), "alpaca");
  chain.OnBars("AAA", t0, t0);
  chain.OnFailure("alpaca", t0 + kMin, "HTTP 503");
  EXPECT_EQ(chain.Select(t0 + kMin), "alpaca");
  chain.OnFailure("alpaca", t0 + 2 * kMin, "HTTP 503");
  EXPECT_EQ(chain.Select(t0 + 2 * kMin), "yahoo");
  chain.OnFailure("yahoo", t0 + 2 * kMin, "timeout");
  chain.OnFailure("yahoo", t0 + 2 * kMin, "timeout");
  EXPECT_EQ(chain.Select(t0 + 2 * kMin), "synthetic");
  // The fallback delivers bars from 15:05: 4 minutes (15:01..15:04) are a hole.
  auto backfill = chain.OnBars("AAA", t0 + 5 * kMin, t0 + 5 * kMin);
  ASSERT_TRUE(backfill);
  EXPECT_EQ(backfill->from_us, t0);
  EXPECT_EQ(backfill->to_us, t0 + 5 * kMin);
  EXPECT_EQ(backfill->missing, 4);
  // Contiguous delivery: nothing to backfill.
  EXPECT_FALSE(chain.OnBars("AAA", t0 + 6 * kMin, t0 + 6 * kMin));
  // After open_us the first provider is probed again and, if it answers, used.
  EXPECT_EQ(chain.Select(t0 + 2 * kMin + 60 * kUs), "alpaca");
  chain.OnSuccess("alpaca", t0 + 2 * kMin + 61 * kUs, t0 + 6 * kMin);
  EXPECT_EQ(chain.breaker("alpaca").state(t0 + 3 * kMin), CircuitBreaker::State::kClosed);
  // A hole across the night counts only session minutes (none overnight).
  chain.SetLastBarEnd("BBB", Utc("2021-01-05", 21, 0));
  EXPECT_FALSE(chain.OnBars("BBB", Utc("2021-01-06", 14, 31), Utc("2021-01-06", 14, 31)));
}

}  // namespace
}  // namespace sf::market

// UnionOfTimes against the obvious answer (sort everything, count runs) for
// one shared calendar, disjoint calendars, partly overlapping ones and lists
// long enough to cross from one-by-one merging into the tree.
TEST(UnionOfTimes, EqualsSortingEverything) {
  std::mt19937_64 rng(7);
  for (int shape = 0; shape < 4; ++shape) {
    std::vector<std::vector<int64_t>> owned(shape == 3 ? 300 : 40);
    for (size_t k = 0; k < owned.size(); ++k) {
      std::set<int64_t> ts;
      const size_t n = 50 + rng() % 200;
      while (ts.size() < n) {
        switch (shape) {
          case 0: ts.insert(static_cast<int64_t>(ts.size()) * 10); break;          // one calendar
          case 1: ts.insert(static_cast<int64_t>(k * 100000 + ts.size())); break;  // disjoint
          default: ts.insert(static_cast<int64_t>(rng() % 5000)); break;           // overlapping
        }
      }
      owned[k].assign(ts.begin(), ts.end());
    }
    if (shape == 0) owned.push_back({});  // an empty series
    std::vector<std::span<const int64_t>> lists(owned.begin(), owned.end());
    std::map<int64_t, int64_t> want;
    for (const auto& l : owned)
      for (int64_t t : l) ++want[t];
    const auto got = sf::market::UnionOfTimes(lists);
    ASSERT_EQ(got.size(), want.size()) << "shape " << shape;
    size_t i = 0;
    for (const auto& [t, count] : want) {
      EXPECT_EQ(got[i].ts, t) << "shape " << shape;
      EXPECT_EQ(got[i].count, count) << "shape " << shape << " at " << t;
      ++i;
    }
  }
  EXPECT_TRUE(sf::market::UnionOfTimes({}).empty());
}
