// Tests of the VADER sentiment plugin (plugins/sentiment) loaded as the real
// .so. Our lexicon is our own (not VADER's vader_lexicon.txt, which no Debian
// package ships), so published compound values cannot match exactly. What is
// checked: (1) the exact arithmetic of every rule on a word whose valence the
// test sets itself; (2) the published VADER README examples keep their SIGNS
// and their ORDERING; (3) the finance extension; (4) config and input errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "model_support.h"

namespace sf::models::test {
namespace {

using nlohmann::json;

double Norm(double s) { return s / std::sqrt(s * s + 15.0); }

class SentimentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Answer a;
    inst_ = Load(FindModel("vader"), R"({"extra":{"zorblax":2.0,"blorf":-1.5}})", &a);
    ASSERT_TRUE(inst_) << a.error;
  }
  json Score(const std::string& text) {
    Answer a = AnalyzeText(FindModel("vader"), inst_, text);
    EXPECT_EQ(a.status, SF_OK) << a.error;
    return a.status == SF_OK ? json::parse(a.text) : json::object();
  }
  double Compound(const std::string& text) { return Score(text)["compound"].get<double>(); }
  Instance inst_;
};

TEST_F(SentimentTest, RuleArithmeticIsVaders) {
  // Plain valence, normalised with alpha = 15.
  EXPECT_NEAR(Compound("the zorblax"), Norm(2.0), 1e-4);
  // Negation scales by -0.74, at distance 1, 2 and 3.
  EXPECT_NEAR(Compound("not zorblax"), Norm(2.0 * -0.74), 1e-4);
  EXPECT_NEAR(Compound("isn't really zorblax"), Norm((2.0 + 0.293) * -0.74), 1e-4);
  // Boosters +0.293, dampeners -0.293, with the sign of the valence.
  EXPECT_NEAR(Compound("very zorblax"), Norm(2.293), 1e-4);
  EXPECT_NEAR(Compound("slightly zorblax"), Norm(1.707), 1e-4);
  EXPECT_NEAR(Compound("very blorf"), Norm(-1.793), 1e-4);
  EXPECT_NEAR(Compound("kind of zorblax"), Norm(1.707), 1e-4);
  // ALL CAPS adds 0.733 only when the text mixes cases.
  EXPECT_NEAR(Compound("a ZORBLAX day"), Norm(2.733), 1e-4);
  EXPECT_NEAR(Compound("ZORBLAX"), Norm(2.0), 1e-4);
  // "!" adds 0.292 each, at most four; several "?" add 0.18 each.
  EXPECT_NEAR(Compound("zorblax!!!"), Norm(2.0 + 3 * 0.292), 1e-4);
  EXPECT_NEAR(Compound("zorblax!!!!!!!"), Norm(2.0 + 4 * 0.292), 1e-4);
  EXPECT_NEAR(Compound("zorblax??"), Norm(2.0 + 2 * 0.18), 1e-4);
  EXPECT_NEAR(Compound("blorf!!"), Norm(-1.5 - 2 * 0.292), 1e-4);
  // "but": before x0.5, after x1.5.
  EXPECT_NEAR(Compound("zorblax but blorf"), Norm(2.0 * 0.5 - 1.5 * 1.5), 1e-4);
  // "least" flips unless "at least".
  EXPECT_NEAR(Compound("the least zorblax"), Norm(2.0 * -0.74), 1e-4);
  EXPECT_NEAR(Compound("at least zorblax"), Norm(2.0), 1e-4);
  // "never so" intensifies instead of flipping; "without doubt" does not flip.
  EXPECT_NEAR(Compound("never so zorblax"), Norm((2.0 + 0.293) * 1.25), 1e-4);
  // pos / neu / neg proportions.
  const json s = Score("the zorblax");
  EXPECT_NEAR(s["pos"].get<double>(), 3.0 / 4.0, 1e-3);
  EXPECT_NEAR(s["neu"].get<double>(), 1.0 / 4.0, 1e-3);
  EXPECT_NEAR(s["neg"].get<double>(), 0.0, 1e-3);
  EXPECT_EQ(s["tokens"], 2);
}

TEST_F(SentimentTest, PublishedExamplesKeepSignsAndOrdering) {
  // From the VADER README, published compound in the comment.
  const double a = Compound("VADER is smart, handsome, and funny.");            // 0.8316
  const double b = Compound("VADER is smart, handsome, and funny!");            // 0.8439
  const double c = Compound("VADER is very smart, handsome, and funny.");       // 0.8545
  const double d = Compound("VADER is VERY SMART, handsome, and FUNNY.");       // 0.9227
  const double e = Compound("VADER is VERY SMART, handsome, and FUNNY!!!");     // 0.9342
  const double f = Compound("VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!");  // 0.9469
  EXPECT_GT(a, 0.5);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  EXPECT_LT(d, e);
  EXPECT_LT(e, f);
  EXPECT_LE(f, 1.0);
  EXPECT_LT(Compound("VADER is not smart, handsome, nor funny."), -0.5);  // -0.7424
  const double good = Compound("The book was good.");                      // 0.4404
  const double kind_of = Compound("The book was only kind of good.");      // 0.3832
  EXPECT_GT(good, kind_of);
  EXPECT_GT(kind_of, 0);
  EXPECT_GT(Compound("At least it isn't a horrible book."), 0);  // 0.431
  EXPECT_LT(Compound("The plot was good, but the characters are uncompelling and the dialog is "
                     "not great."),
            0);                                                         // -0.7042
  EXPECT_LT(Compound("Today SUX!"), 0);                                  // -0.5461
  EXPECT_GT(Compound("Today only kinda sux! But I'll get by, lol"), 0);  // 0.5249
  EXPECT_GT(Compound("Make sure you :) or :D today!"), 0);               // 0.8633
  EXPECT_GT(Compound("Not bad at all"), 0);                              // 0.431
  EXPECT_EQ(Compound(""), 0.0);
  EXPECT_EQ(Compound("The company is based in Ohio"), 0.0);
}

TEST_F(SentimentTest, FinanceExtensionScoresMarketLanguage) {
  EXPECT_GT(Compound("Apple beats estimates on strong iPhone demand"), 0.5);
  EXPECT_LT(Compound("Retailer missed estimates and cut guidance"), -0.5);
  EXPECT_LT(Compound("Moody's downgrades the bank to junk"), 0);
  EXPECT_GT(Compound("Analyst upgrades Nvidia to buy"), 0);
  EXPECT_LT(Compound("Airline files for bankruptcy protection"), -0.5);
  EXPECT_GT(Compound("Short squeeze sends GME to the moon 🚀"), 0.5);
  EXPECT_LT(Compound("bagholders everywhere after the stock tanked"), -0.5);
  EXPECT_LT(Compound("Auditor raises going concern doubt"), -0.5);
  // The phrase scores once: "beats estimates" is stronger than "beats".
  EXPECT_GT(Compound("Company beats estimates"), Compound("Company beats"));
  // Negation works on finance words too.
  EXPECT_GT(Compound("The company did not miss"), 0);
  // Without the extension the same headline is neutral.
  Answer a;
  Instance plain = Load(FindModel("vader"), R"({"finance":false})", &a);
  ASSERT_TRUE(plain) << a.error;
  Answer s = AnalyzeText(FindModel("vader"), plain, "Moody's downgrades the bank");
  ASSERT_EQ(s.status, SF_OK);
  EXPECT_EQ(json::parse(s.text)["compound"], 0.0);
}

TEST_F(SentimentTest, IdiomsScoreAsOneUnit) {
  EXPECT_LT(Compound("yeah right"), 0);
  EXPECT_LT(Compound("The merger is dead in the water"), 0);
  EXPECT_LT(Compound("Funding for the plant is up in the air"), 0);
  EXPECT_GT(Compound("This chip is a game changer"), 0);
  // The idiom replaces its words: "kiss of death" is milder than "death".
  EXPECT_GT(Compound("a kiss of death"), Compound("a death"));
  EXPECT_LT(Compound("a kiss of death"), 0);
  // Negation applies to the idiom as a whole.
  EXPECT_GT(Compound("the plan is not dead in the water"), 0);
}

TEST_F(SentimentTest, ExternalLexiconFileAndErrors) {
  const std::string path = ScratchDir() + "/lexicon.txt";
  std::ofstream(path) << "# a VADER-format lexicon\nsplendid\t3.0\t0.5\t[3, 3, 3]\ngrim\t-2.2\n";
  Answer a;
  Instance inst = Load(FindModel("vader"), json{{"lexicon_path", path}, {"finance", false}}.dump(), &a);
  ASSERT_TRUE(inst) << a.error;
  Answer s = AnalyzeText(FindModel("vader"), inst, "a splendid day");
  EXPECT_NEAR(json::parse(s.text)["compound"].get<double>(), Norm(3.0), 1e-4);
  s = AnalyzeText(FindModel("vader"), inst, "a good day");  // not in that file
  EXPECT_EQ(json::parse(s.text)["compound"], 0.0);

  const std::string bad = ScratchDir() + "/bad_lexicon.txt";
  std::ofstream(bad) << "fine\t1.0\nbroken line\n";
  inst = Load(FindModel("vader"), json{{"lexicon_path", bad}}.dump(), &a);
  EXPECT_FALSE(inst);
  EXPECT_EQ(a.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(a.error.find("bad_lexicon.txt:2: expected 'token<TAB>valence'"), std::string::npos)
      << a.error;
  inst = Load(FindModel("vader"), R"({"extra":{"wow":9}})", &a);
  EXPECT_NE(a.error.find("'wow' needs a valence in [-4, 4]"), std::string::npos) << a.error;

  Answer big = AnalyzeText(FindModel("vader"), inst_, std::string(70000, 'a'));
  EXPECT_EQ(big.status, SF_ERR_TOO_LARGE);
  EXPECT_NE(big.error.find("65536-byte limit"), std::string::npos) << big.error;
}

TEST_F(SentimentTest, DescribeNamesTheLexicon) {
  Answer d = Describe(FindModel("vader"), inst_);
  ASSERT_EQ(d.status, SF_OK) << d.error;
  const json j = json::parse(d.text);
  EXPECT_EQ(j["algorithm"], "vader");
  EXPECT_EQ(j["lexicon"], "signalforge-general-v1+signalforge-finance-v1");
  EXPECT_GT(j["lexicon_entries"].get<int>(), 450);
}

}  // namespace
}  // namespace sf::models::test
