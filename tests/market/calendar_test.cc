// Trading calendars and time zones: holidays, early closes, DST transitions
// in both directions, crypto 24/7, and the NYSE calendar against every
// trading day of the real S&P 500 data set.
#include <dirent.h>

#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "market/calendar.h"
#include "market/time_zone.h"

namespace sf::market {
namespace {

constexpr int64_t kUs = 1'000'000;

int64_t Day(const char* date) {
  int64_t d = 0;
  EXPECT_TRUE(ParseDate(date, &d)) << date;
  return d;
}

// UTC µs of a civil date and time.
int64_t Utc(const char* date, int h, int m) { return (Day(date) * 86400 + h * 3600 + m * 60) * kUs; }

class CalendarTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto set = CalendarSet::LoadDirectory(SF_CALENDAR_DIR);
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    set_ = new CalendarSet(std::move(*set));
  }
  static void TearDownTestSuite() { delete set_; }
  static std::shared_ptr<const TradingCalendar> Nyse() { return set_->Find("nyse"); }
  static CalendarSet* set_;
};
CalendarSet* CalendarTest::set_ = nullptr;

TEST(TimeZoneTest, NewYorkOffsetsAcrossDst) {
  auto tz = TimeZone::Find("America/New_York");
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  // 2021-03-14 07:00Z is 02:00 EST -> clocks jump to 03:00 EDT.
  EXPECT_EQ((*tz)->OffsetAt(Utc("2021-03-14", 6, 59) / kUs), -5 * 3600);
  EXPECT_EQ((*tz)->OffsetAt(Utc("2021-03-14", 7, 0) / kUs), -4 * 3600);
  // 2021-11-07 06:00Z is 02:00 EDT -> back to 01:00 EST.
  EXPECT_EQ((*tz)->OffsetAt(Utc("2021-11-07", 5, 59) / kUs), -4 * 3600);
  EXPECT_EQ((*tz)->OffsetAt(Utc("2021-11-07", 6, 0) / kUs), -5 * 3600);
  // Pre-2007 rules: DST started on the first Sunday of April in 2005.
  EXPECT_EQ((*tz)->OffsetAt(Utc("2005-03-20", 12, 0) / kUs), -5 * 3600);
  EXPECT_EQ((*tz)->OffsetAt(Utc("2005-04-04", 12, 0) / kUs), -4 * 3600);
  // Far future (past the file's transitions: the POSIX rule applies).
  EXPECT_EQ((*tz)->OffsetAt(Utc("2045-07-01", 12, 0) / kUs), -4 * 3600);
  EXPECT_EQ((*tz)->OffsetAt(Utc("2045-12-01", 12, 0) / kUs), -5 * 3600);
}

TEST(TimeZoneTest, LocalToUtcGapAndOverlap) {
  auto tz = TimeZone::Find("America/New_York");
  ASSERT_TRUE(tz.ok());
  // 02:30 does not exist on 2021-03-14: mapped with the offset before the gap.
  EXPECT_EQ((*tz)->LocalToUtc(Day("2021-03-14") * 86400 + 2 * 3600 + 1800),
            Utc("2021-03-14", 7, 30) / kUs);
  // 01:30 happens twice on 2021-11-07: the earlier (EDT) instant.
  EXPECT_EQ((*tz)->LocalToUtc(Day("2021-11-07") * 86400 + 3600 + 1800),
            Utc("2021-11-07", 5, 30) / kUs);
}

TEST(TimeZoneTest, UnknownZoneIsNamed) {
  auto tz = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(tz.ok());
  EXPECT_NE(tz.status().message().find("Mars/Olympus_Mons"), std::string::npos);
  EXPECT_FALSE(TimeZone::Load("../etc/passwd").ok());
}

TEST_F(CalendarTest, RegularSessionIsDstCorrect) {
  auto cal = Nyse();
  ASSERT_NE(cal, nullptr);
  // Winter: 09:30 EST = 14:30Z. Summer: 09:30 EDT = 13:30Z.
  auto winter = cal->SessionOn(Day("2021-01-05"));
  ASSERT_TRUE(winter);
  EXPECT_EQ(winter->open_us, Utc("2021-01-05", 14, 30));
  EXPECT_EQ(winter->close_us, Utc("2021-01-05", 21, 0));
  auto summer = cal->SessionOn(Day("2021-07-06"));
  ASSERT_TRUE(summer);
  EXPECT_EQ(summer->open_us, Utc("2021-07-06", 13, 30));
  EXPECT_EQ(summer->close_us, Utc("2021-07-06", 20, 0));
  // The Monday after spring-forward and after fall-back.
  EXPECT_EQ(cal->SessionOn(Day("2021-03-15"))->open_us, Utc("2021-03-15", 13, 30));
  EXPECT_EQ(cal->SessionOn(Day("2021-03-12"))->open_us, Utc("2021-03-12", 14, 30));
  EXPECT_EQ(cal->SessionOn(Day("2021-11-08"))->open_us, Utc("2021-11-08", 14, 30));
  EXPECT_EQ(cal->SessionOn(Day("2021-11-05"))->open_us, Utc("2021-11-05", 13, 30));
}

TEST_F(CalendarTest, HolidaysAndEarlyCloses) {
  auto cal = Nyse();
  for (const char* d : {"2001-09-11", "2001-09-14", "2012-10-29", "2012-10-30", "2018-12-05",
                        "2020-04-10" /* Good Friday */, "2021-01-18" /* MLK */,
                        "2022-06-20" /* Juneteenth observed */, "2021-12-24" /* Christmas observed */,
                        "2030-12-25"}) {
    EXPECT_FALSE(cal->SessionOn(Day(d))) << d << " should be a holiday";
    EXPECT_FALSE(cal->HolidayName(Day(d)).empty()) << d;
  }
  // New Year's Day on a Saturday is not observed on Friday.
  EXPECT_TRUE(cal->SessionOn(Day("2021-12-31")));
  // Weekends.
  EXPECT_FALSE(cal->SessionOn(Day("2021-01-09")));
  EXPECT_FALSE(cal->SessionOn(Day("2021-01-10")));
  // Early closes at 13:00 New York time.
  for (const char* d : {"2020-11-27", "2019-12-24", "2019-07-03", "2029-11-23"}) {
    auto s = cal->SessionOn(Day(d));
    ASSERT_TRUE(s) << d;
    EXPECT_TRUE(s->early_close) << d;
    EXPECT_EQ(s->close_us - s->open_us, (3 * 3600 + 1800) * kUs) << d;
  }
  EXPECT_FALSE(cal->SessionOn(Day("2020-11-25"))->early_close);
}

TEST_F(CalendarTest, OpenAndNextSession) {
  auto cal = Nyse();
  EXPECT_TRUE(cal->IsOpen(Utc("2021-01-05", 14, 30)));
  EXPECT_FALSE(cal->IsOpen(Utc("2021-01-05", 14, 29)));
  EXPECT_FALSE(cal->IsOpen(Utc("2021-01-05", 21, 0)));  // close is exclusive
  // Friday evening -> Monday (Martin Luther King Day 2021-01-18 is skipped).
  Session next = cal->NextSession(Utc("2021-01-15", 22, 0));
  EXPECT_EQ(next.day, Day("2021-01-19"));
  auto between = cal->SessionsBetween(Utc("2021-01-15", 0, 0), Utc("2021-01-20", 0, 0));
  ASSERT_EQ(between.size(), 2u);  // Jan 15 and Jan 19
  EXPECT_EQ(between[0].day, Day("2021-01-15"));
  EXPECT_EQ(between[1].day, Day("2021-01-19"));
}

TEST_F(CalendarTest, CryptoTradesAroundTheClock) {
  auto cal = set_->ForExchange("BINANCE");
  ASSERT_NE(cal, nullptr);
  EXPECT_TRUE(cal->continuous());
  for (const char* d : {"2021-01-09", "2021-01-10", "2021-12-25", "2021-03-14", "2021-11-07"}) {
    auto s = cal->SessionOn(Day(d));
    ASSERT_TRUE(s) << d;
    EXPECT_EQ(s->close_us - s->open_us, 86400 * kUs) << d;  // no DST in UTC
    EXPECT_TRUE(cal->IsOpen(s->open_us + 3 * 3600 * kUs));
  }
  EXPECT_EQ(cal->ExpectedBarEnds(Timeframe::k1h, Utc("2021-01-09", 0, 0), Utc("2021-01-10", 0, 0)).size(),
            24u);
}

TEST_F(CalendarTest, ExchangeLookup) {
  EXPECT_EQ(set_->ForExchange("nasdaq")->name(), "nasdaq");
  EXPECT_EQ(set_->ForExchange("NYSE")->name(), "nyse");
  EXPECT_EQ(set_->ForExchange("SYNTH")->name(), "synthetic");
  EXPECT_EQ(set_->ForExchange("LSE"), nullptr);
}

TEST_F(CalendarTest, ExpectedBarsFollowSessions) {
  auto cal = Nyse();
  // A regular day has 390 1m bars, 7 1h bars (the last 15:30-16:00), 2 4h bars.
  const int64_t from = Utc("2021-01-05", 0, 0), to = Utc("2021-01-06", 0, 0);
  EXPECT_EQ(cal->ExpectedBarEnds(Timeframe::k1m, from, to).size(), 390u);
  auto hours = cal->ExpectedBarEnds(Timeframe::k1h, from, to);
  ASSERT_EQ(hours.size(), 7u);
  EXPECT_EQ(hours.front(), Utc("2021-01-05", 15, 30));
  EXPECT_EQ(hours.back(), Utc("2021-01-05", 21, 0));
  EXPECT_EQ(cal->ExpectedBarEnds(Timeframe::k4h, from, to).size(), 2u);
  // Early close: 210 minutes.
  EXPECT_EQ(cal->ExpectedBarEnds(Timeframe::k1m, Utc("2020-11-27", 0, 0), Utc("2020-11-28", 0, 0)).size(),
            210u);
}

TEST_F(CalendarTest, MatchesEveryTradingDayOfTheSp500DataSet) {
  // The union of dates across all files of the real data set must equal the
  // calendar's sessions over the same period: no missing holiday, no extra.
  std::set<int64_t> dates;
  DIR* d = opendir(SF_SP500_DIR "/daily");
  ASSERT_NE(d, nullptr) << "data set missing: " SF_SP500_DIR;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 5 || name.substr(name.size() - 4) != ".csv") continue;
    std::ifstream in(std::string(SF_SP500_DIR "/daily/") + name);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      int64_t day;
      if (line.size() >= 10 && ParseDate(line.substr(0, 10), &day)) dates.insert(day);
    }
  }
  closedir(d);
  ASSERT_GT(dates.size(), 5000u);
  auto cal = Nyse();
  std::set<int64_t> sessions;
  for (int64_t day = *dates.begin(); day <= *dates.rbegin(); ++day) {
    if (cal->SessionOn(day)) sessions.insert(day);
  }
  std::vector<std::string> extra, missing;
  for (int64_t x : dates) {
    if (!sessions.count(x)) extra.push_back(FormatDate(x));
  }
  for (int64_t x : sessions) {
    if (!dates.count(x)) missing.push_back(FormatDate(x));
  }
  EXPECT_TRUE(extra.empty()) << "traded on a calendar holiday: " << (extra.empty() ? "" : extra[0]);
  EXPECT_TRUE(missing.empty()) << "calendar session without trading: " << (missing.empty() ? "" : missing[0]);
}

TEST(CalendarJsonTest, BadCalendarNamesTheRule) {
  auto bad = TradingCalendar::FromJson(nlohmann::json::parse(R"({"name":"x","timezone":"America/New_York",
      "open":"09:30","close":"16:00","holidays":[{"date":"2021-02-30"}]})"),
                                       "x.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("x.json"), std::string::npos);
  EXPECT_NE(bad.status().message().find("holidays[0].date"), std::string::npos);
  auto bad_close = TradingCalendar::FromJson(
      nlohmann::json::parse(R"({"name":"x","open":"09:30","close":"08:00"})"), "y.json");
  ASSERT_FALSE(bad_close.ok());
  EXPECT_NE(bad_close.status().message().find("'close'"), std::string::npos);
}

}  // namespace
}  // namespace sf::market
