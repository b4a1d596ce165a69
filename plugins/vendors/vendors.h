// The four HTTP vendor providers of the org.signalforge.vendors plugin. Each
// maps its vendor's documented JSON to bars (see README.md for the mapping,
// config keys and error mapping). Not thread-safe per instance.
#ifndef SF_VENDORS_VENDORS_H_
#define SF_VENDORS_VENDORS_H_

#include "bar_provider.h"

namespace sf::vendors {

// AlphaVantage TIME_SERIES_DAILY_ADJUSTED (1d) and TIME_SERIES_INTRADAY.
class AlphaVantage : public BarProvider {
 public:
  static constexpr const char* kId = "alphavantage";
  explicit AlphaVantage(ConfigReader& config);

 protected:
  const std::map<std::string, std::string>& Timeframes() const override;
  void FetchSymbol(const SymbolRequest& request, BarCollector& out) override;

 private:
  std::string api_key_;
  std::string outputsize_;
  bool extended_hours_;
};

// Yahoo Finance chart v8 (/v8/finance/chart/{symbol}).
class Yahoo : public BarProvider {
 public:
  static constexpr const char* kId = "yahoo";
  explicit Yahoo(ConfigReader& config);

 protected:
  const std::map<std::string, std::string>& Timeframes() const override;
  void FetchSymbol(const SymbolRequest& request, BarCollector& out) override;
};

// Alpaca market data v2 (/v2/stocks/{symbol}/bars), paginated.
class Alpaca : public BarProvider {
 public:
  static constexpr const char* kId = "alpaca";
  explicit Alpaca(ConfigReader& config);

 protected:
  const std::map<std::string, std::string>& Timeframes() const override;
  void FetchSymbol(const SymbolRequest& request, BarCollector& out) override;

 private:
  std::string key_id_;
  std::string secret_key_;
  std::string feed_;
  std::string adjustment_;
};

// Binance spot klines (/api/v3/klines), crypto, 24/7, paginated.
class Binance : public BarProvider {
 public:
  static constexpr const char* kId = "binance";
  explicit Binance(ConfigReader& config);

 protected:
  const std::map<std::string, std::string>& Timeframes() const override;
  void FetchSymbol(const SymbolRequest& request, BarCollector& out) override;
  bool VendorSymbolOk(std::string_view symbol) const override;
  std::string VendorSymbolRule() const override;

 private:
  std::string api_key_;
  int limit_;
};

}  // namespace sf::vendors

#endif  // SF_VENDORS_VENDORS_H_
