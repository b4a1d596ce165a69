// Binance spot klines: GET /api/v3/klines?symbol=&interval=&startTime=&
// endTime=&limit=. Documented JSON: an array of arrays [open time ms,
// "open", "high", "low", "close", "volume", close time ms, "quote asset
// volume", trades, "taker buy base", "taker buy quote", "ignore"]. Errors
// {"code": -1121, "msg": "Invalid symbol."}; 429 and 418 (IP ban) carry
// Retry-After. Crypto trades 24/7, so there is no session to normalise.
#include "vendors.h"

namespace sf::vendors {
namespace {

using sf::sdk::Error;

std::optional<double> Decimal(const nlohmann::json& v) {
  if (v.is_string()) return ParseDouble(v.get_ref<const std::string&>());
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

}  // namespace

Binance::Binance(ConfigReader& config)
    : BarProvider(kId, ReadCommonConfig(config, "https://api.binance.com")) {
  api_key_ = ReadSecret(config, "api_key");
  limit_ = static_cast<int>(config.Int("limit", 1000, 1, 1000));
}

const std::map<std::string, std::string>& Binance::Timeframes() const {
  static const std::map<std::string, std::string> kFrames = {
      {"1m", "1m"}, {"5m", "5m"}, {"15m", "15m"}, {"1h", "1h"}, {"4h", "4h"}, {"1d", "1d"}};
  return kFrames;
}

bool Binance::VendorSymbolOk(std::string_view symbol) const {
  if (symbol.size() < 2) return false;
  for (char c : symbol) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string Binance::VendorSymbolRule() const {
  return "Binance symbols are 2..20 upper-case letters and digits, e.g. BTCUSDT";
}

void Binance::FetchSymbol(const SymbolRequest& r, BarCollector& out) {
  HttpHeaders headers = {{"Accept", "application/json"}};
  if (!api_key_.empty()) headers.emplace_back("X-MBX-APIKEY", api_key_);
  int64_t start_ms = r.from_us != 0 ? r.from_us / 1000 : -1;
  const int64_t end_ms = r.to_us != 0 ? r.to_us / 1000 - 1 : -1;
  for (int page = 1;; ++page) {
    if (page > common_.max_pages) {
      out.RejectRow("page " + std::to_string(page),
                    "stopped after max_pages=" + std::to_string(common_.max_pages) +
                        " pages; narrow the date range or raise max_pages");
      return;
    }
    std::string url = common_.base_url + "/api/v3/klines?symbol=" + r.symbol +
                      "&interval=" + Timeframes().at(r.timeframe) +
                      "&limit=" + std::to_string(limit_);
    if (start_ms >= 0) url += "&startTime=" + std::to_string(start_ms);
    if (end_ms >= 0) url += "&endTime=" + std::to_string(end_ms);
    const HttpResponse response = Get(r, url, headers);

    const nlohmann::json err = response.status != 200
                                   ? nlohmann::json::parse(response.body, nullptr, false)
                                   : nlohmann::json();
    if (response.status != 200) {
      std::string detail;
      int64_t code = 0;
      if (err.is_object() && err.contains("code") && err["code"].is_number_integer()) {
        code = err["code"].get<int64_t>();
        detail =
            "code " + std::to_string(code) + ": " + CleanText(err.value("msg", std::string()), 300);
      }
      const std::string head = Who(r) + ": HTTP " + std::to_string(response.status);
      if (code == -1121) {
        throw Error(SF_ERR_NOT_FOUND, head + " unknown symbol (vendor says: " + detail + ")");
      }
      if (code == -2014 || code == -2015) {
        throw Error(SF_ERR_UNAUTHENTICATED, head + " API key refused (vendor says: " + detail +
                                                "); check config key api_key");
      }
      if (code == -1003 && response.status != 429 && response.status != 418) {
        throw Error(SF_ERR_RATE_LIMITED, head + " rate limited (vendor says: " + detail +
                                             "); retry after 60 s (default)");
      }
      FailStatus(r, response, detail);
    }
    const nlohmann::json j = ParseJsonBounded(response.body, Who(r));
    if (!j.is_array()) {
      throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: klines are not a JSON array");
    }
    int64_t last_open = -1;
    for (size_t i = 0; i < j.size(); ++i) {
      const auto& k = j[i];
      const std::string where = "page " + std::to_string(page) + " kline " + std::to_string(i);
      if (!k.is_array() || k.size() < 9 || !k[0].is_number_integer() || !k[6].is_number_integer()) {
        out.RejectRow(where,
                      "not an array [open time, open, high, low, close, volume, close time, "
                      "quote volume, trades, ...] with integer times");
        continue;
      }
      const int64_t open_ms = k[0].get<int64_t>();
      const int64_t close_ms = k[6].get<int64_t>();
      if (open_ms < -(int64_t{1} << 50) || open_ms > (int64_t{1} << 50) ||
          close_ms < -(int64_t{1} << 50) || close_ms > (int64_t{1} << 50)) {
        out.RejectRow(where, "time out of range");
        continue;
      }
      last_open = std::max(last_open, open_ms);
      double v[6];
      const int cells[] = {1, 2, 3, 4, 5, 7};
      const char* names[] = {"open", "high", "low", "close", "volume", "quote volume"};
      bool ok = true;
      for (int c = 0; c < 6 && ok; ++c) {
        const auto f = Decimal(k[cells[c]]);
        if (!f) {
          out.RejectRow(where, std::string(names[c]) + " is not a decimal string");
          ok = false;
        } else {
          v[c] = *f;
        }
      }
      if (!ok) continue;
      RawBar bar;
      bar.ts_start = open_ms * 1000;
      bar.ts_end = (close_ms + 1) * 1000;
      bar.open = v[0];
      bar.high = v[1];
      bar.low = v[2];
      bar.close = v[3];
      bar.volume = v[4];
      if (v[4] > 0 && std::isfinite(v[5])) bar.vwap = v[5] / v[4];
      out.Add(bar);
    }
    // Without a start time Binance returns the latest `limit` klines: one page.
    if (start_ms < 0 || static_cast<int>(j.size()) < limit_) return;
    if (last_open < start_ms) {
      throw Error(SF_ERR_BAD_DATA, Who(r) + ": pagination does not advance (last open time " +
                                       std::to_string(last_open) + " ms before startTime)");
    }
    start_ms = last_open + 1;
    if (end_ms >= 0 && start_ms > end_ms) return;
  }
}

}  // namespace sf::vendors
