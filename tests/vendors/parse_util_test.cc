// The strict parsers shared by the vendor and news plugins (sf_vendor_common).
#include "common/parse_util.h"

#include <gtest/gtest.h>

#include <cmath>

#include "plugin_harness.h"
#include "signalforge/signalforge.hpp"

namespace sf::vendors {
namespace {

using sf::testing::Utc;

TEST(ParseUtil, SymbolRule) {
  for (const char* ok : {"AAPL", "BRK.B", "BRK-B", "^GSPC", "EURUSD=X", "BTCUSDT", "A", "1234"}) {
    EXPECT_TRUE(IsValidSymbol(ok)) << ok;
  }
  for (const char* bad : {"", "aapl", "A B", "A;B", "A'B", "A\"B", "A--B", "A/B", "A%B", "-AB",
                          ".AB", "ABCDEFGHIJKLMNOPQRSTU", "A\nB", "A\x7f"}) {
    EXPECT_FALSE(IsValidSymbol(bad)) << bad;
  }
  EXPECT_EQ(QuoteForMessage("A\x01'B"), "'A\\x01\\x27B'");
}

TEST(ParseUtil, Numbers) {
  EXPECT_EQ(ParseDouble("187.15"), 187.15);
  EXPECT_EQ(ParseDouble("1e3"), 1000.0);
  EXPECT_FALSE(ParseDouble("12abc"));
  EXPECT_FALSE(ParseDouble(""));
  EXPECT_TRUE(std::isnan(*ParseDouble("NaN")));
  EXPECT_TRUE(std::isinf(*ParseDouble("1e999")));
  EXPECT_EQ(ParseInt("-42"), -42);
  EXPECT_FALSE(ParseInt("4.2"));
}

TEST(ParseUtil, Dates) {
  EXPECT_EQ(ParseDate("2024-02-29"), Utc(2024, 2, 29));
  EXPECT_FALSE(ParseDate("2023-02-29"));
  EXPECT_FALSE(ParseDate("2024-13-01"));
  EXPECT_FALSE(ParseDate("2024-1-01"));
  EXPECT_EQ(ParseDateTimeNaive("2024-01-05 09:30:00"), Utc(2024, 1, 5, 9, 30));
  EXPECT_EQ(ParseDateTimeNaive("2024-01-05 09:30"), Utc(2024, 1, 5, 9, 30));
  EXPECT_EQ(FormatUtc(Utc(1999, 12, 31, 23, 59, 58)), "1999-12-31T23:59:58Z");
  EXPECT_EQ(FormatUtc(Utc(1969, 7, 20, 20, 17)), "1969-07-20T20:17:00Z");
}

TEST(ParseUtil, Rfc3339) {
  EXPECT_EQ(ParseRfc3339("2024-01-03T05:00:00Z"), Utc(2024, 1, 3, 5));
  EXPECT_EQ(ParseRfc3339("2024-01-03T07:00:00+02:00"), Utc(2024, 1, 3, 5));
  EXPECT_EQ(ParseRfc3339("2024-01-03T00:30:00-05:00"), Utc(2024, 1, 3, 5, 30));
  EXPECT_EQ(ParseRfc3339("2024-01-03T05:00:00.123456789Z"), Utc(2024, 1, 3, 5) + 123456);
  EXPECT_FALSE(ParseRfc3339("2024-01-03T05:00:00"));  // a zone is required
  EXPECT_FALSE(ParseRfc3339("2024-01-03"));
  EXPECT_FALSE(ParseRfc3339("2024-01-03T25:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2024-01-03T05:00:00Zjunk"));
}

TEST(ParseUtil, Rfc822) {
  EXPECT_EQ(ParseRfc822("Mon, 02 Jan 2006 15:04:05 -0700"), Utc(2006, 1, 2, 22, 4, 5));
  EXPECT_EQ(ParseRfc822("Tue, 10 Jun 2003 04:00:00 GMT"), Utc(2003, 6, 10, 4));
  EXPECT_EQ(ParseRfc822("10 Jun 03 04:00 EDT"), Utc(2003, 6, 10, 8));
  EXPECT_EQ(ParseRfc822("Wed, 3 Jan 2024 09:15:00 +0530"), Utc(2024, 1, 3, 3, 45));
  EXPECT_EQ(ParseRfc822("Wed, 03 January 2024 09:15:00 Z"), Utc(2024, 1, 3, 9, 15));
  EXPECT_FALSE(ParseRfc822("Wed, 32 Jan 2024 09:15:00 GMT"));
  EXPECT_FALSE(ParseRfc822("yesterday"));
  EXPECT_FALSE(ParseRfc822("Wed, 03 Foo 2024 09:15:00 GMT"));
  EXPECT_FALSE(ParseRfc822("Wed, 03 Jan 2024 09:15:00 XYZ"));
}

TEST(ParseUtil, NewYorkTime) {
  // 2024: DST from Sun 10 Mar 07:00 UTC to Sun 3 Nov 06:00 UTC.
  EXPECT_EQ(NewYorkOffsetAtUtc(Utc(2024, 3, 10, 6, 59)), -5 * 3600);
  EXPECT_EQ(NewYorkOffsetAtUtc(Utc(2024, 3, 10, 7, 0)), -4 * 3600);
  EXPECT_EQ(NewYorkOffsetAtUtc(Utc(2024, 11, 3, 5, 59)), -4 * 3600);
  EXPECT_EQ(NewYorkOffsetAtUtc(Utc(2024, 11, 3, 6, 0)), -5 * 3600);
  // 2006 (old rules): DST from 2 Apr to 29 Oct.
  EXPECT_EQ(NewYorkOffsetAtUtc(Utc(2006, 3, 20, 12)), -5 * 3600);
  EXPECT_EQ(NewYorkOffsetAtUtc(Utc(2006, 4, 3, 12)), -4 * 3600);
  EXPECT_EQ(NewYorkWallToUtc(Utc(2024, 7, 1, 9, 30)), Utc(2024, 7, 1, 13, 30));
  EXPECT_EQ(NewYorkWallToUtc(Utc(2024, 12, 2, 16, 0)), Utc(2024, 12, 2, 21, 0));
}

TEST(ParseUtil, JsonIsBounded) {
  EXPECT_EQ(ParseJsonBounded("{\"a\":[1,2]}", "t")["a"][1], 2);
  try {
    (void)ParseJsonBounded(std::string(100, '[') + std::string(100, ']'), "who");
    FAIL() << "deep JSON accepted";
  } catch (const sf::sdk::Error& e) {
    EXPECT_EQ(e.code(), SF_ERR_BAD_DATA);
    EXPECT_NE(std::string(e.what()).find("who: malformed JSON: nesting deeper than 64"),
              std::string::npos);
  }
  // Brackets inside strings do not count.
  EXPECT_NO_THROW((void)ParseJsonBounded("[\"" + std::string(100, '[') + "\"]", "t"));
  try {
    (void)ParseJsonBounded("{\"a\": tru}", "who");
    FAIL();
  } catch (const sf::sdk::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON at byte"), std::string::npos) << e.what();
  }
}

TEST(ParseUtil, CleanText) {
  EXPECT_EQ(CleanText("  a\tb\n\nc \x01 d  ", 100), "a b c d");
  EXPECT_EQ(CleanText("caf\xC3\xA9", 100), "caf\xC3\xA9");
  EXPECT_EQ(CleanText("bad \xFF byte", 100), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(CleanText("overlong \xC0\xAF", 100), "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
  // Cut at a character boundary, never inside one.
  EXPECT_EQ(CleanText("ab\xC3\xA9", 3), "ab");
}

}  // namespace
}  // namespace sf::vendors
