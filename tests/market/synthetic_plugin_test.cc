// The synthetic provider plugin (real .so through the host loader):
// reproducibility, stylised facts, intraday/daily consistency, news shocks
// and the sped-up live feed.
#include <cmath>
#include <map>
#include <numeric>

#include <nlohmann/json.hpp>

#include "market/calendar.h"
#include "market/quality.h"
#include "market/resample.h"
#include "plugin_fixture.h"

namespace sf::market {
namespace {

using testing::MakeProvider;
using testing::Request;

constexpr int64_t kUs = 1'000'000;
constexpr int64_t kUsPerDay = 86'400 * kUs;

int64_t DayUs(const char* date) {
  int64_t d = 0;
  EXPECT_TRUE(ParseDate(date, &d));
  return d * kUsPerDay;
}

std::map<std::string, ProviderBars> Fetch(plugins::ProviderInstance& p, const char* tf, int64_t from,
                                          int64_t to, std::vector<const char*> syms = {}) {
  BarSink sink("synthetic");
  Status s = p.FetchBars(Request(syms, tf, from, to), *sink.sink());
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(sink.rejections().empty());
  return sink.TakeBars();
}

std::vector<double> LogReturns(const ProviderBars& b) {
  std::vector<double> r;
  for (size_t i = 1; i < b.size(); ++i) r.push_back(std::log(b.close[i] / b.close[i - 1]));
  return r;
}

double Mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

double Corr(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = Mean(a), mb = Mean(b);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

TEST(SyntheticPluginTest, SameSeedSameDataOtherSeedOtherData) {
  const std::string cfg = R"({"seed":7,"symbols":20,"epoch":"2022-01-03"})";
  auto a = MakeProvider("synthetic", cfg);
  auto b = MakeProvider("synthetic", cfg);
  auto c = MakeProvider("synthetic", R"({"seed":8,"symbols":20,"epoch":"2022-01-03"})");
  ASSERT_TRUE(a && b && c);
  auto la = a->ListInstruments(), lb = b->ListInstruments();
  ASSERT_TRUE(la.ok() && lb.ok());
  EXPECT_EQ(*la, *lb);
  auto instruments = nlohmann::json::parse(*la);
  EXPECT_EQ(instruments.size(), 21u);  // 20 + index
  EXPECT_EQ(instruments.back()["symbol"], "SYNX");
  const int64_t from = DayUs("2022-03-01"), to = DayUs("2022-03-08");
  auto da = Fetch(*a, "1m", from, to), db = Fetch(*b, "1m", from, to), dc = Fetch(*c, "1m", from, to);
  ASSERT_EQ(da.size(), 21u);
  for (const auto& [sym, bars] : da) {
    ASSERT_TRUE(db.count(sym));
    EXPECT_EQ(bars.ts_start, db[sym].ts_start) << sym;
    EXPECT_EQ(bars.close, db[sym].close) << sym;
    EXPECT_EQ(bars.volume, db[sym].volume) << sym;
    EXPECT_EQ(bars.size(), 5u * 390u) << sym;  // Mar 1..7 2022: 5 sessions
  }
  EXPECT_NE(da.begin()->first + std::to_string(da.begin()->second.close[100]),
            dc.begin()->first + std::to_string(dc.begin()->second.close[100]));
  // A sub-range generated on its own (different cache history) matches.
  auto d = MakeProvider("synthetic", cfg);
  std::vector<const char*> one = {da.begin()->first.c_str()};
  auto part = Fetch(*d, "1m", DayUs("2022-03-03"), DayUs("2022-03-04"), one);
  const auto& full = da.begin()->second;
  auto it = std::find(full.ts_start.begin(), full.ts_start.end(), part.begin()->second.ts_start[0]);
  ASSERT_NE(it, full.ts_start.end());
  const size_t off = static_cast<size_t>(it - full.ts_start.begin());
  for (size_t i = 0; i < part.begin()->second.size(); ++i) {
    ASSERT_EQ(part.begin()->second.close[i], full.close[off + i]);
  }
}

TEST(SyntheticPluginTest, DailyBarsAggregateTheirMinutesAndPassQualityChecks) {
  auto p = MakeProvider("synthetic", R"({"seed":3,"symbols":5,"epoch":"2022-01-03"})");
  ASSERT_NE(p, nullptr);
  auto cal = TradingCalendar::LoadFile(SF_CALENDAR_DIR "/synthetic.json");
  ASSERT_TRUE(cal.ok());
  const int64_t from = DayUs("2022-06-06"), to = DayUs("2022-06-11");
  auto minutes = Fetch(*p, "1m", from, to);
  auto days = Fetch(*p, "1d", from, to);
  for (auto& [sym, m] : minutes) {
    QualityOptions qo;
    qo.now_us = to;
    ProviderBars copy = m;
    QualityReport q = CheckBars(&copy, **cal, qo);
    EXPECT_EQ(q.rejected, 0) << sym << (q.issues.empty() ? "" : q.issues[0].detail);
    EXPECT_EQ(q.missing_bars, 0) << sym;
    auto resampled = Resample(m.Raw(), Timeframe::k1d, **cal);
    ASSERT_TRUE(resampled.ok());
    const ProviderBars& d = days[sym];
    ASSERT_EQ(resampled->size(), d.size()) << sym;
    for (size_t i = 0; i < d.size(); ++i) {
      EXPECT_EQ(resampled->ts[i], d.ts_end[i]);
      EXPECT_DOUBLE_EQ(resampled->open[i], d.open[i]);
      EXPECT_DOUBLE_EQ(resampled->high[i], d.high[i]);
      EXPECT_DOUBLE_EQ(resampled->low[i], d.low[i]);
      EXPECT_DOUBLE_EQ(resampled->close[i], d.close[i]);
      EXPECT_DOUBLE_EQ(resampled->volume[i], d.volume[i]);
    }
  }
}

TEST(SyntheticPluginTest, StylisedFacts) {
  // 66 stocks (6 per sector), three years of daily bars.
  auto p = MakeProvider("synthetic", R"({"seed":11,"symbols":66,"epoch":"2019-01-02","index":false})");
  ASSERT_NE(p, nullptr);
  auto list = nlohmann::json::parse(*p->ListInstruments());
  std::map<std::string, std::string> sector;
  for (const auto& i : list) sector[i["symbol"]] = i["sector"];
  auto bars = Fetch(*p, "1d", DayUs("2019-01-02"), DayUs("2022-01-01"));
  ASSERT_EQ(bars.size(), 66u);
  std::map<std::string, std::vector<double>> ret;
  double kurt_sum = 0, acf_sum = 0;
  for (auto& [sym, b] : bars) {
    auto r = LogReturns(b);
    ASSERT_GT(r.size(), 700u);
    ret[sym] = r;
    const double m = Mean(r);
    double m2 = 0, m4 = 0;
    for (double x : r) {
      m2 += (x - m) * (x - m);
      m4 += std::pow(x - m, 4);
    }
    m2 /= r.size();
    m4 /= r.size();
    kurt_sum += m4 / (m2 * m2);
    std::vector<double> sq(r.size());
    for (size_t i = 0; i < r.size(); ++i) sq[i] = r[i] * r[i];
    acf_sum += Corr(std::vector<double>(sq.begin(), sq.end() - 1), std::vector<double>(sq.begin() + 1, sq.end()));
  }
  const double kurtosis = kurt_sum / 66, acf = acf_sum / 66;
  EXPECT_GT(kurtosis, 3.0) << "fat tails";
  EXPECT_GT(acf, 0.02) << "volatility clustering: squared returns autocorrelate";
  double within = 0, across = 0;
  int nw = 0, na = 0;
  std::vector<std::string> syms;
  for (const auto& [s, r] : ret) syms.push_back(s);
  for (size_t i = 0; i < syms.size(); ++i) {
    for (size_t j = i + 1; j < syms.size(); ++j) {
      const auto& a = ret[syms[i]];
      const auto& b = ret[syms[j]];
      const size_t n = std::min(a.size(), b.size());
      const double c = Corr(std::vector<double>(a.end() - n, a.end()), std::vector<double>(b.end() - n, b.end()));
      if (sector[syms[i]] == sector[syms[j]]) {
        within += c;
        ++nw;
      } else {
        across += c;
        ++na;
      }
    }
  }
  within /= nw;
  across /= na;
  EXPECT_GT(across, 0.05) << "a market factor moves everything";
  EXPECT_GT(within, across + 0.05) << "sector correlation: within " << within << " across " << across;
}

TEST(SyntheticPluginTest, NewsShocksComeWithSuddenDrops) {
  auto p = MakeProvider("synthetic", R"({"seed":5,"symbols":50,"epoch":"2022-01-03","news_rate":0.02})");
  ASSERT_NE(p, nullptr);
  const int64_t from = DayUs("2022-02-01"), to = DayUs("2022-03-01");
  BarSink sink("synthetic");
  ASSERT_TRUE(p->FetchNews(Request({}, "1d", from, to), *sink.sink()).ok());
  auto news = sink.TakeNews();
  ASSERT_GT(news.size(), 5u);
  std::map<std::string, int> severities;
  int reverting_kinds = 0;
  for (const auto& n : news) {
    EXPECT_FALSE(n.title.empty());
    EXPECT_FALSE(n.symbols.empty());
    EXPECT_GE(n.published_us, from);
    EXPECT_LT(n.published_us, to);
    auto extra = nlohmann::json::parse(n.extra_json);
    severities[extra["severity"]]++;
    if (extra["kind"] == "downgrade") ++reverting_kinds;
    // The drop happens in the minute the headline is published.
    std::vector<const char*> sym = {n.symbols.c_str()};
    auto bars = Fetch(*p, "1m", n.published_us, n.published_us + 60 * kUs, sym);
    ASSERT_EQ(bars[n.symbols].size(), 1u);
    const auto& b = bars[n.symbols];
    const double move = std::log(b.close[0] / b.open[0]);
    EXPECT_LT(move, -0.01) << n.title << " drop " << extra["drop_pct"];
  }
  EXPECT_GE(severities.size(), 2u);
}

TEST(SyntheticPluginTest, LiveFeedRunsOnASpedUpClock) {
  auto p = MakeProvider("synthetic", R"({"seed":1,"symbols":3,"epoch":"2022-01-03","speed":390})");
  ASSERT_NE(p, nullptr);
  // Host clock: Tuesday 2022-03-01 15:00 UTC (10:00 New York).
  const int64_t t0 = DayUs("2022-03-01") + 15 * 3600 * kUs;
  BarSink first("synthetic");
  ASSERT_TRUE(p->Poll(t0, *first.sink()).ok());
  EXPECT_EQ(first.bars_received(), 0);
  // 10 wall seconds at 390x = 65 simulated minutes.
  BarSink second("synthetic");
  ASSERT_TRUE(p->Poll(t0 + 10 * kUs, *second.sink()).ok());
  auto bars = second.TakeBars();
  ASSERT_EQ(bars.size(), 4u);
  for (const auto& [sym, b] : bars) {
    EXPECT_EQ(b.size(), 65u) << sym;
    EXPECT_EQ(b.ts_start.front(), t0);
    EXPECT_LE(b.ts_end.back(), t0 + 65 * 60 * kUs);
  }
  // A whole trading day later (60 wall seconds): the day's daily bar arrives,
  // the night is skipped and the next session's minutes follow.
  BarSink third("synthetic");
  ASSERT_TRUE(p->Poll(t0 + 70 * kUs, *third.sink()).ok());
  auto daily = third.TakeBars(Timeframe::k1d);
  auto minutes = third.TakeBars(Timeframe::k1m);
  ASSERT_EQ(daily.size(), 4u);
  for (const auto& [sym, b] : daily) {
    ASSERT_EQ(b.size(), 1u) << sym;
    EXPECT_EQ(b.ts_end[0], DayUs("2022-03-01") + 21 * 3600 * kUs);  // 16:00 EST
  }
  // 60 s * 390 = 390 more minutes: the rest of Tuesday (16:05-21:00Z, 295)
  // and 95 of Wednesday.
  ASSERT_EQ(minutes.size(), 4u);
  for (const auto& [sym, b] : minutes) {
    EXPECT_EQ(b.size(), 390u) << sym;
    EXPECT_EQ(b.ts_end.back(), DayUs("2022-03-02") + (14 * 60 + 30 + 95) * 60 * kUs) << sym;
  }
  // Identical to history fetched for the same range.
  auto q = MakeProvider("synthetic", R"({"seed":1,"symbols":3,"epoch":"2022-01-03"})");
  auto hist = Fetch(*q, "1m", t0, t0 + 65 * 60 * kUs);
  for (const auto& [sym, b] : bars) EXPECT_EQ(b.close, hist[sym].close) << sym;
}

}  // namespace
}  // namespace sf::market
