// Shared helpers of the indicator tests and benchmark: the indicator plugin
// loaded through the real loader (sf::plugins::Loader), real S&P 500 daily
// bars from ../shared/data/sp500/daily, and thin wrappers over the C ABI.
// Not thread-safe (tests are single-threaded).
#ifndef SF_TESTS_INDICATORS_TEST_SUPPORT_H_
#define SF_TESTS_INDICATORS_TEST_SUPPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "plugins/registry.h"
#include "signalforge/signalforge.h"

namespace sf::indicators::test {

// A columnar bar series in ascending time order.
struct Series {
  std::string symbol;
  std::vector<int64_t> ts;
  std::vector<double> open, high, low, close, volume;
  size_t size() const { return close.size(); }
  sf_bar_series View() const;
  sf_bar BarAt(size_t i) const;
  // First `n` bars (or all when shorter).
  Series Head(size_t n) const;
};

// Directory of the real daily CSV files (SF_SP500_DIR at build time).
std::string Sp500Dir();
// True when the data directory is present (tests skip otherwise).
bool HaveSp500();
// Every symbol with a readable price file, sorted (BF.B, an error message, is
// left out because it does not parse).
std::vector<std::string> Sp500Symbols();
// Loads SYMBOL.csv (AlphaVantage columns, any row order) ascending by date.
// Returns false when the file is not a price file.
bool LoadSp500(const std::string& symbol, Series* out);

// A seeded random walk with realistic OHLCV bars (for benchmarks and
// property tests).
Series Synthetic(size_t bars, uint64_t seed);

// The indicator plugin, loaded once per process through sf::plugins::Loader.
const sf::plugins::Registry& Plugins();
const sf::plugins::Indicator& Find(const std::string& id);
std::vector<double> DefaultParams(const sf::plugins::Indicator& ind);

// Batch compute through the vtable. On failure returns the status and puts
// the plugin's message in *error.
sf_status Compute(const sf::plugins::Indicator& ind, const std::vector<double>& params,
                  const Series& s, std::vector<std::vector<double>>* out,
                  std::string* error = nullptr);
sf_status Lookback(const sf::plugins::Indicator& ind, const std::vector<double>& params,
                   int64_t* lookback, std::string* error = nullptr);
// Streaming: feeds every bar and collects the outputs.
sf_status Stream(const sf::plugins::Indicator& ind, const std::vector<double>& params,
                 const Series& s, std::vector<std::vector<double>>* out,
                 std::string* error = nullptr);

// |a - b| <= tol * max(1, |a|, |b|)... relative with an absolute floor of
// `floor` for values near zero.
bool Close(double a, double b, double rel, double abs_floor);

}  // namespace sf::indicators::test

#endif  // SF_TESTS_INDICATORS_TEST_SUPPORT_H_
