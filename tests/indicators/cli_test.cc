// `signalforge indicator`: the real binary, run on real S&P 500 files in the
// AlphaVantage layout (both row orders) and in Yahoo's layout, checked
// against TA-Lib; plus its error messages and exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "ta_libc.h"
}

#include "test_support.h"

namespace sf::indicators::test {
namespace {

namespace fs = std::filesystem;

struct CliResult {
  int code = -1;
  std::string out, err;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class IndicatorCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sf_indicator_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // A config that loads plugins from the build tree, without the probe
    // child process (faster; the loader still validates everything).
    const std::string plugin_dir = fs::path(SF_INDICATORS_PLUGIN).parent_path().string();
    std::ofstream(dir_ / "config.json")
        << R"({"plugins":{"directories":[")" << plugin_dir << R"("],"probe":false}})";
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliResult Cli(const std::vector<std::string>& args) {
    std::string cmd = Quote(SF_SIGNALFORGE_BIN) + " --config " + Quote((dir_ / "config.json").string()) +
                      " indicator";
    for (const auto& a : args) cmd += " " + Quote(a);
    cmd += " >" + Quote((dir_ / "stdout").string()) + " 2>" + Quote((dir_ / "stderr").string());
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(dir_ / "stdout");
    r.err = ReadFile(dir_ / "stderr");
    return r;
  }

  fs::path dir_;
};

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (!line.empty() && line.back() == ',') f.push_back("");
    rows.push_back(f);
  }
  return rows;
}

// TA-Lib MACD on the chronological series, aligned to it.
std::vector<std::vector<double>> TaMacd(const Series& s, int fast, int slow, int signal) {
  const size_t n = s.size();
  std::vector<std::vector<double>> raw(3, std::vector<double>(n)), out(3, std::vector<double>(n, NAN));
  int beg = 0, nb = 0;
  TA_MACD(0, static_cast<int>(n) - 1, s.close.data(), fast, slow, signal, &beg, &nb, raw[0].data(),
          raw[1].data(), raw[2].data());
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < nb; ++i) out[k][beg + i] = raw[k][i];
  }
  return out;
}

void ExpectCell(const std::string& cell, double want, const std::string& where) {
  if (std::isnan(want)) {
    EXPECT_EQ(cell, "") << where;
    return;
  }
  ASSERT_FALSE(cell.empty()) << where;
  const double got = std::strtod(cell.c_str(), nullptr);
  EXPECT_TRUE(Close(got, want, 1e-9, 0)) << where << " got " << cell << " want " << want;
}

TEST_F(IndicatorCli, ListShowsEveryIndicatorWithParamsAndOutputs) {
  const CliResult r = Cli({"--list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sma  Simple Moving Average"), std::string::npos);
  EXPECT_NE(r.out.find("param:   period=30  (int, 2..100000)"), std::string::npos);
  EXPECT_NE(r.out.find("outputs: macd, signal, hist"), std::string::npos);
  EXPECT_NE(r.out.find("outputs: upper, middle, lower, percent_b, bandwidth"), std::string::npos);
  const std::string listing = "\n" + r.out;
  for (const auto* ind : Plugins().indicators()) {
    EXPECT_NE(listing.find("\n" + ind->id + "  "), std::string::npos) << ind->id;
  }
  const CliResult j = Cli({"--list", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_NE(j.out.find("\"reference\": \"TA-Lib TA_MACD\""), std::string::npos);
}

TEST_F(IndicatorCli, MacdOnARealAlphaVantageFileMatchesTaLib) {
  if (!HaveSp500()) GTEST_SKIP() << "no S&P 500 data";
  Series s;
  ASSERT_TRUE(LoadSp500("AAPL", &s));
  const std::string input = Sp500Dir() + "/AAPL.csv";
  const CliResult r = Cli({"macd", "--param", "fast_period=8", "--param=signal_period=5",
                           "--input", input, "--output", (dir_ / "out.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = ParseCsv(ReadFile(dir_ / "out.csv"));
  ASSERT_EQ(rows.size(), s.size() + 1);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"timestamp", "macd", "signal", "hist"}));
  const auto want = TaMacd(s, 8, 26, 5);
  // The file is oldest-first, so file order and time order agree here.
  std::ifstream in(input);
  std::string header, line;
  std::getline(in, header);
  for (size_t i = 0; i < s.size(); ++i) {
    std::getline(in, line);
    ASSERT_EQ(rows[i + 1][0], line.substr(0, line.find(','))) << "row " << i;
    ASSERT_EQ(rows[i + 1].size(), 4u) << "row " << i;
    for (int k = 0; k < 3; ++k) ExpectCell(rows[i + 1][k + 1], want[k][i], "row " + std::to_string(i));
  }
  EXPECT_EQ(rows[1][1], "");  // warm-up is empty
}

TEST_F(IndicatorCli, NewestFirstFileKeepsItsRowOrderAndUsesTimeOrder) {
  if (!HaveSp500()) GTEST_SKIP() << "no S&P 500 data";
  Series s;
  ASSERT_TRUE(LoadSp500("XOM", &s));
  // Rewrite XOM newest-first, as AlphaVantage serves it.
  std::ifstream in(Sp500Dir() + "/XOM.csv");
  std::string header, line;
  std::getline(in, header);
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  std::reverse(lines.begin(), lines.end());
  {
    std::ofstream outf(dir_ / "xom_desc.csv");
    outf << header << "\n";
    for (const auto& l : lines) outf << l << "\n";
  }
  const CliResult r = Cli({"rsi", "--input", (dir_ / "xom_desc.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = ParseCsv(r.out);  // standard output
  ASSERT_EQ(rows.size(), s.size() + 1);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"timestamp", "value"}));
  std::vector<double> raw(s.size()), want(s.size(), NAN);
  int beg = 0, nb = 0;
  TA_RSI(0, static_cast<int>(s.size()) - 1, s.close.data(), 14, &beg, &nb, raw.data());
  for (int i = 0; i < nb; ++i) want[beg + i] = raw[i];
  for (size_t r_i = 0; r_i < lines.size(); ++r_i) {
    const size_t t = s.size() - 1 - r_i;  // row r_i of the file is bar t in time order
    ASSERT_EQ(rows[r_i + 1][0], lines[r_i].substr(0, lines[r_i].find(',')));
    ExpectCell(rows[r_i + 1][1], want[t], "row " + std::to_string(r_i));
  }
  EXPECT_EQ(rows.back()[1], "");  // the oldest bar, last in the file, is warm-up
}

TEST_F(IndicatorCli, YahooLayoutWorks) {
  if (!HaveSp500()) GTEST_SKIP() << "no S&P 500 data";
  Series s;
  ASSERT_TRUE(LoadSp500("MSFT", &s));
  {
    std::ofstream outf(dir_ / "msft_yahoo.csv");
    outf << "Date,Open,High,Low,Close,Adj Close,Volume\n";
    std::ifstream in(Sp500Dir() + "/MSFT.csv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream ls(line);
      std::string cell;
      while (std::getline(ls, cell, ',')) f.push_back(cell);
      outf << f[0] << "," << f[1] << "," << f[2] << "," << f[3] << "," << f[4] << "," << f[5]
           << "," << f[6] << "\r\n";
    }
  }
  const CliResult r = Cli({"bbands", "--param", "period=20", "--input",
                           (dir_ / "msft_yahoo.csv").string(), "--output",
                           (dir_ / "bb.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = ParseCsv(ReadFile(dir_ / "bb.csv"));
  ASSERT_EQ(rows.size(), s.size() + 1);
  EXPECT_EQ(rows[0][0], "timestamp");
  std::vector<std::vector<double>> raw(3, std::vector<double>(s.size()));
  int beg = 0, nb = 0;
  TA_BBANDS(0, static_cast<int>(s.size()) - 1, s.close.data(), 20, 2, 2, TA_MAType_SMA, &beg, &nb,
            raw[0].data(), raw[1].data(), raw[2].data());
  ASSERT_EQ(beg, 19);
  for (size_t i = 0; i < s.size(); ++i) {
    for (int k = 0; k < 3; ++k) {
      const double want = static_cast<int>(i) < beg ? NAN : raw[k][i - beg];
      ExpectCell(rows[i + 1][k + 1], want, "row " + std::to_string(i));
    }
  }
}

TEST_F(IndicatorCli, ErrorsNameTheProblemAndExitNonZero) {
  std::ofstream(dir_ / "ok.csv") << "date,close\n2020-01-02,10\n2020-01-03,11\n";
  CliResult r = Cli({"rsii", "--input", (dir_ / "ok.csv").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown indicator 'rsii'; did you mean: rsi"), std::string::npos) << r.err;

  r = Cli({"sma", "--param", "period=0", "--input", (dir_ / "ok.csv").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("sma: period must be an integer in [2, 100000], got 0"), std::string::npos)
      << r.err;

  r = Cli({"sma", "--param", "length=5", "--input", (dir_ / "ok.csv").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("sma has no parameter 'length' (parameters: period)"), std::string::npos)
      << r.err;

  r = Cli({"sma", "--param", "period=abc", "--input", (dir_ / "ok.csv").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("period must be a number, got 'abc'"), std::string::npos) << r.err;

  std::ofstream(dir_ / "bad.csv") << "date,close\n2020-01-02,10\n2020-01-03,1x1\n";
  r = Cli({"sma", "--param", "period=2", "--input", (dir_ / "bad.csv").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.csv:3: column 'close': '1x1' is not a number"), std::string::npos)
      << r.err;

  std::ofstream(dir_ / "baddate.csv") << "date,close\n2020-13-02,10\n";
  r = Cli({"sma", "--input", (dir_ / "baddate.csv").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("baddate.csv:2: '2020-13-02' is not a timestamp"), std::string::npos)
      << r.err;

  r = Cli({"atr", "--input", (dir_ / "ok.csv").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("ok.csv:1: the header has no 'high' column, which this indicator needs"),
            std::string::npos)
      << r.err;

  std::ofstream(dir_ / "dup.csv") << "date,close\n2020-01-02,10\n2020-01-02,11\n";
  r = Cli({"sma", "--param", "period=2", "--input", (dir_ / "dup.csv").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("dup.csv:3: timestamp '2020-01-02' repeats line 2"), std::string::npos)
      << r.err;

  r = Cli({"sma", "--input", (dir_ / "missing.csv").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing.csv: cannot open the input file"), std::string::npos) << r.err;

  r = Cli({"sma"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--input FILE.csv is required"), std::string::npos) << r.err;
}

TEST_F(IndicatorCli, ShortInputGivesEmptyWarmUpFields) {
  std::ofstream(dir_ / "short.csv") << "Timestamp,Close\n2020-01-02,10\n2020-01-03,11\n"
                                       "2020-01-06,13\n";
  const CliResult r = Cli({"sma", "--param", "period=3", "--input", (dir_ / "short.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "timestamp,value\n2020-01-02,\n2020-01-03,\n2020-01-06,11.333333333333334\n");
}

}  // namespace
}  // namespace sf::indicators::test
