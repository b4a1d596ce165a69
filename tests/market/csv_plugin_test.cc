// The csv provider plugin (real .so through the host loader): the whole real
// S&P 500 set, BF.B refused by name, AAPL's splits, Yahoo format, malformed
// files and rows, filters.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "market/calendar.h"
#include "market/quality.h"
#include "plugin_fixture.h"

namespace sf::market {
namespace {

using testing::MakeProvider;
using testing::Request;

constexpr int64_t kUsPerDay = 86'400'000'000;

int64_t DayUs(const char* date) {
  int64_t d = 0;
  EXPECT_TRUE(ParseDate(date, &d));
  return d * kUsPerDay;
}

std::string Config(const std::string& dir) { return nlohmann::json{{"path", dir}}.dump(); }

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sf_csv_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(CsvPluginTest, LoadsTheWholeSp500SetAndRefusesBfbByName) {
  auto csv = MakeProvider("csv", Config(SF_SP500_DIR "/daily"));
  ASSERT_NE(csv, nullptr);
  BarSink sink("csv");
  Status s = csv->FetchBars(Request({}, "1d"), *sink.sink());
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto bars = sink.TakeBars();
  EXPECT_EQ(bars.size(), 504u);  // 505 files, BF.B is not price data
  EXPECT_EQ(bars.count("BF.B"), 0u);
  int64_t total = 0;
  for (const auto& [sym, b] : bars) total += static_cast<int64_t>(b.size());
  EXPECT_GT(total, 2'300'000);
  EXPECT_LT(total, 2'500'000);
  std::vector<std::string> refused;
  for (const auto& r : sink.rejections()) {
    if (r.whole_input()) refused.push_back(r.what + ": " + r.reason);
  }
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].rfind("BF.B.csv: not price data", 0), 0u) << refused[0];
  // CARR begins 2020-03-19 (spin-off); rows are oldest first.
  ASSERT_TRUE(bars.count("CARR"));
  EXPECT_EQ(bars["CARR"].ts_start.front(), DayUs("2020-03-19"));
  EXPECT_TRUE(std::is_sorted(bars["AAPL"].ts_start.begin(), bars["AAPL"].ts_start.end()));
}

TEST(CsvPluginTest, AaplSplitsAreContinuousWhenAdjustedAndVisibleRaw) {
  auto csv = MakeProvider("csv", Config(SF_SP500_DIR "/daily"));
  ASSERT_NE(csv, nullptr);
  BarSink sink("csv");
  std::vector<const char*> syms = {"AAPL"};
  ASSERT_TRUE(csv->FetchBars(Request(syms, "1d"), *sink.sink()).ok());
  auto bars = sink.TakeBars();
  ASSERT_EQ(bars.size(), 1u);
  ProviderBars b = std::move(bars["AAPL"]);
  auto cal = TradingCalendar::LoadFile(SF_CALENDAR_DIR "/nyse.json");
  ASSERT_TRUE(cal.ok());
  AssignBarEnds(&b, **cal);
  QualityOptions qo;
  qo.now_us = DayUs("2021-06-01");
  QualityReport q = CheckBars(&b, **cal, qo);
  EXPECT_EQ(q.rejected, 0);
  EXPECT_EQ(q.missing_bars, 0);
  BarSeries raw = b.Raw(), adj = b.Adjusted();
  for (const char* split : {"2000-06-21", "2005-02-28", "2014-06-09", "2020-08-31"}) {
    const int64_t day = DayUs(split) / kUsPerDay;
    size_t i = 0;
    while (i < b.size() && b.ts_start[i] / kUsPerDay != day &&
           (*cal)->LocalDay(b.ts_start[i]) != day) {
      ++i;
    }
    ASSERT_LT(i, b.size()) << split;
    ASSERT_GT(i, 0u);
    const double raw_ret = raw.close[i] / raw.close[i - 1] - 1;
    const double adj_ret = adj.close[i] / adj.close[i - 1] - 1;
    EXPECT_LT(raw_ret, -0.40) << split << ": the raw series shows the split";
    EXPECT_GT(adj_ret, -0.10) << split << ": the adjusted series must not crash";
    EXPECT_LT(std::fabs(adj_ret), 0.10) << split;
  }
}

TEST(CsvPluginTest, YahooFormatFiltersAndInstruments) {
  TempDir dir;
  dir.Write("MSFT.csv",
            "Date,Open,High,Low,Close,Adj Close,Volume\n"
            "2021-01-04,222.529999,223.000000,214.809998,217.690002,214.141,37130100\n"
            "2021-01-05,217.259995,218.520004,215.699997,217.899994,214.348,23823000\n"
            "2021-01-06,212.169998,216.490005,211.940002,212.250000,208.790,35930700\n");
  dir.Write("IBM.csv",
            "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient\n"
            "2021-01-06,126.9,131.88,126.72,129.29,120.5,7956740,0.0,1.0\n"
            "2021-01-05,125.01,126.68,124.61,126.14,117.6,6114619,0.0,1.0\n"
            "2021-01-04,125.85,125.9174,123.04,123.94,115.5,5179161,0.0,1.0\n");
  dir.Write("constituents.csv", "Symbol,Name,Sector\nMSFT,\"Microsoft, Corp.\",Information Technology\n");
  auto csv = MakeProvider("csv", Config(dir.path()));
  ASSERT_NE(csv, nullptr);
  BarSink sink("csv");
  std::vector<const char*> syms = {"MSFT", "IBM"};
  ASSERT_TRUE(csv->FetchBars(Request(syms, "1d", DayUs("2021-01-05"), DayUs("2021-01-06")), *sink.sink()).ok());
  auto bars = sink.TakeBars();
  ASSERT_EQ(bars.size(), 2u);
  ASSERT_EQ(bars["MSFT"].size(), 1u);  // [from, to) keeps only Jan 5
  EXPECT_DOUBLE_EQ(bars["MSFT"].close[0], 217.899994);
  EXPECT_NEAR(bars["MSFT"].adj_factor[0], 214.348 / 217.899994, 1e-12);
  ASSERT_EQ(bars["IBM"].size(), 1u);
  EXPECT_EQ(bars["IBM"].ts_start[0], DayUs("2021-01-05"));
  auto list = csv->ListInstruments();
  ASSERT_TRUE(list.ok());
  auto j = nlohmann::json::parse(*list);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["symbol"], "MSFT");
  EXPECT_EQ(j[1]["name"], "Microsoft, Corp.");
  EXPECT_EQ(j[1]["sector"], "Information Technology");
  EXPECT_EQ(j[0]["name"], "IBM");  // not in constituents: the symbol
}

TEST(CsvPluginTest, MalformedRowsAndFilesAreNamed) {
  TempDir dir;
  dir.Write("GOOD.csv",
            "Date,Open,High,Low,Close,Adj Close,Volume\n"
            "2021-01-04,10,11,9,10,10,100\n"
            "2021-01-05,abc,11,9,10,10,100\n"
            "2021-13-05,10,11,9,10,10,100\n"
            "2021-01-07,10,11,9\n"
            "2021-01-08,null,null,null,null,null,null\n"
            "2021-01-11,10,11,9,10.5,10.5,200\n");
  dir.Write("JUNK.csv", "<html><body>rate limited</body></html>\n");
  dir.Write("EMPTY.csv", "");
  dir.Write("BAD;NAME.csv", "Date,Open,High,Low,Close,Adj Close,Volume\n2021-01-04,1,1,1,1,1,1\n");
  auto csv = MakeProvider("csv", Config(dir.path()));
  ASSERT_NE(csv, nullptr);
  BarSink sink("csv");
  ASSERT_TRUE(csv->FetchBars(Request({}, "1d"), *sink.sink()).ok());
  auto bars = sink.TakeBars();
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars["GOOD"].size(), 2u);
  std::map<std::string, std::string> rej;
  for (const auto& r : sink.rejections()) rej[r.what] = r.reason;
  EXPECT_NE(rej["GOOD.csv:3"].find("open 'abc' is not a number"), std::string::npos) << rej["GOOD.csv:3"];
  EXPECT_NE(rej["GOOD.csv:4"].find("not a YYYY-MM-DD date"), std::string::npos);
  EXPECT_NE(rej["GOOD.csv:5"].find("expected at least 7"), std::string::npos);
  EXPECT_NE(rej["GOOD.csv:6"].find("'null' is not a number"), std::string::npos);
  EXPECT_NE(rej["JUNK.csv"].find("not price data"), std::string::npos);
  EXPECT_NE(rej["EMPTY.csv"].find("not price data"), std::string::npos);
  EXPECT_NE(rej["BAD;NAME.csv"].find("not a symbol"), std::string::npos);
  // A symbol that does not exist is reported, and an unsupported timeframe fails.
  BarSink sink2("csv");
  std::vector<const char*> syms = {"NOPE"};
  ASSERT_TRUE(csv->FetchBars(Request(syms, "1d"), *sink2.sink()).ok());
  ASSERT_EQ(sink2.rejections().size(), 1u);
  EXPECT_EQ(sink2.rejections()[0].what, "NOPE.csv");
  BarSink sink3("csv");
  Status st = csv->FetchBars(Request({}, "1m"), *sink3.sink());
  EXPECT_EQ(st.code(), SF_ERR_UNSUPPORTED);
  EXPECT_NE(st.message().find("1m"), std::string::npos);
}

TEST(CsvPluginTest, BadConfigNamesTheKey) {
  const plugins::Provider* p = testing::LoadedRegistry().FindProvider("csv");
  ASSERT_NE(p, nullptr);
  auto none = plugins::ProviderInstance::Create(*p, "{}");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("'path'"), std::string::npos);
  auto missing = plugins::ProviderInstance::Create(*p, R"({"path":"/nonexistent/dir"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), SF_ERR_NOT_FOUND);
}

}  // namespace
}  // namespace sf::market
