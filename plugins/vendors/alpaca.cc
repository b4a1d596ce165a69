// Alpaca market data v2: GET /v2/stocks/{symbol}/bars with APCA-API-KEY-ID /
// APCA-API-SECRET-KEY headers. Documented JSON: {"bars": [{"t": RFC 3339,
// "o", "h", "l", "c", "v", "n", "vw"}], "symbol": "AAPL",
// "next_page_token": "..." | null}; errors {"code": ..., "message": ...}.
#include <chrono>
#include <set>

#include "vendors.h"

namespace sf::vendors {
namespace {

using sf::sdk::Error;

int64_t WallNowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<double> Number(const nlohmann::json& bar, const char* key) {
  const auto it = bar.find(key);
  if (it == bar.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

Alpaca::Alpaca(ConfigReader& config)
    : BarProvider(kId, ReadCommonConfig(config, "https://data.alpaca.markets")) {
  key_id_ = ReadSecret(config, "key_id");
  secret_key_ = ReadSecret(config, "secret_key");
  if (key_id_.empty()) config.Fail("key_id", "is required (or key_id_env)");
  if (secret_key_.empty()) config.Fail("secret_key", "is required (or secret_key_env)");
  feed_ = config.String("feed", "iex");
  if (feed_ != "iex" && feed_ != "sip" && feed_ != "otc") {
    config.Fail("feed", "must be \"iex\", \"sip\" or \"otc\"");
  }
  adjustment_ = config.String("adjustment", "raw");
  if (adjustment_ != "raw" && adjustment_ != "split" && adjustment_ != "dividend" &&
      adjustment_ != "all") {
    config.Fail("adjustment", "must be \"raw\", \"split\", \"dividend\" or \"all\"");
  }
}

const std::map<std::string, std::string>& Alpaca::Timeframes() const {
  static const std::map<std::string, std::string> kFrames = {{"1m", "1Min"},   {"5m", "5Min"},
                                                             {"15m", "15Min"}, {"1h", "1Hour"},
                                                             {"4h", "4Hour"},  {"1d", "1Day"}};
  return kFrames;
}

void Alpaca::FetchSymbol(const SymbolRequest& r, BarCollector& out) {
  const bool daily = r.timeframe == "1d";
  const HttpHeaders headers = {{"APCA-API-KEY-ID", key_id_},
                               {"APCA-API-SECRET-KEY", secret_key_},
                               {"Accept", "application/json"}};
  std::string token;
  std::set<std::string> seen_tokens;
  for (int page = 1;; ++page) {
    if (page > common_.max_pages) {
      out.RejectRow("page " + std::to_string(page),
                    "stopped after max_pages=" + std::to_string(common_.max_pages) +
                        " pages; narrow the date range or raise max_pages");
      return;
    }
    std::string url = common_.base_url + "/v2/stocks/" + UrlEncode(r.symbol) +
                      "/bars?timeframe=" + Timeframes().at(r.timeframe) + "&start=" +
                      UrlEncode(FormatUtc(r.from_us != 0 ? r.from_us : common_.min_ts_us));
    if (r.to_us != 0) url += "&end=" + UrlEncode(FormatUtc(r.to_us));
    url += "&limit=10000&adjustment=" + adjustment_ + "&feed=" + feed_;
    if (!token.empty()) url += "&page_token=" + UrlEncode(token);
    HttpResponse response = Get(r, url, headers);

    if (response.status != 200) {
      std::string detail;
      const nlohmann::json err = nlohmann::json::parse(response.body, nullptr, false);
      if (err.is_object() && err.contains("message") && err["message"].is_string()) {
        detail = CleanText(err["message"].get<std::string>(), 300);
      }
      if (response.status == 422 || response.status == 400) {
        std::string lower = detail;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.find("symbol") != std::string::npos) {
          throw Error(SF_ERR_NOT_FOUND, Who(r) + ": HTTP " + std::to_string(response.status) +
                                            " unknown symbol (vendor says: " + detail + ")");
        }
      }
      if (response.status == 429 && response.Header("retry-after").empty()) {
        // Alpaca announces the end of the window in X-RateLimit-Reset (epoch s).
        if (auto reset = ParseInt(response.Header("x-ratelimit-reset"))) {
          response.headers.emplace_back(
              "retry-after", std::to_string(std::max<int64_t>(0, *reset - WallNowSeconds())));
        }
      }
      FailStatus(r, response, detail);
    }
    const nlohmann::json j = ParseJsonBounded(response.body, Who(r));
    if (!j.is_object()) {
      throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: top level is not a JSON object");
    }
    if (j.contains("symbol")) {
      if (!j["symbol"].is_string()) {
        throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: \"symbol\" is not a string");
      }
      CheckEchoedSymbol(r, j["symbol"].get<std::string>());
    }
    const auto& bars = j.value("bars", nlohmann::json());
    if (!bars.is_null() && !bars.is_array()) {
      throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: \"bars\" is not an array");
    }
    if (bars.is_array()) {
      for (size_t i = 0; i < bars.size(); ++i) {
        const auto& b = bars[i];
        const std::string where = "page " + std::to_string(page) + " bar " + std::to_string(i);
        if (!b.is_object() || !b.contains("t") || !b["t"].is_string()) {
          out.RejectRow(where, "not an object with a string \"t\"");
          continue;
        }
        auto t = ParseRfc3339(b["t"].get<std::string>());
        if (!t) {
          out.RejectRow(where, "\"t\" " + QuoteForMessage(b["t"].get<std::string>()) +
                                   " is not an RFC 3339 time");
          continue;
        }
        int64_t start = *t;
        if (daily) {
          // Alpaca stamps daily bars at midnight New York; keep the date.
          const int64_t local = start / kMicrosPerSecond + NewYorkOffsetAtUtc(start);
          start = (local >= 0 ? local / 86400 : -((-local + 86399) / 86400)) * kMicrosPerDay;
        }
        const char* keys[] = {"o", "h", "l", "c", "v"};
        double v[5];
        bool ok = true;
        for (int k = 0; k < 5 && ok; ++k) {
          const auto f = Number(b, keys[k]);
          if (!f) {
            out.RejectRow(where, std::string("\"") + keys[k] + "\" missing or not a number");
            ok = false;
          } else {
            v[k] = *f;
          }
        }
        if (!ok) continue;
        RawBar bar;
        bar.ts_start = start;
        bar.open = v[0];
        bar.high = v[1];
        bar.low = v[2];
        bar.close = v[3];
        bar.volume = v[4];
        if (auto vw = Number(b, "vw")) bar.vwap = *vw;
        out.Add(bar);
      }
    }
    const auto& next = j.value("next_page_token", nlohmann::json());
    if (next.is_null() || (next.is_string() && next.get<std::string>().empty())) return;
    if (!next.is_string()) {
      throw Error(SF_ERR_BAD_DATA,
                  Who(r) + ": malformed response: next_page_token is not a string");
    }
    token = next.get<std::string>();
    if (!seen_tokens.insert(token).second) {
      throw Error(SF_ERR_BAD_DATA, Who(r) + ": pagination loop: next_page_token " +
                                       QuoteForMessage(token, 32) + " was already used");
    }
  }
}

}  // namespace sf::vendors
