// AlphaVantage: TIME_SERIES_DAILY_ADJUSTED (1d) and TIME_SERIES_INTRADAY
// (1m, 5m, 15m, 1h). Documented JSON: {"Meta Data": {"2. Symbol": ...,
// "5. Time Zone"/"6. Time Zone": "US/Eastern"}, "Time Series (Daily)":
// {"2024-01-05": {"1. open": "..", ..., "5. adjusted close", "6. volume",
// "7. dividend amount", "8. split coefficient"}}}. Errors arrive as HTTP 200
// with {"Error Message"}, {"Note"} (rate limit) or {"Information"}.
#include <chrono>

#include "vendors.h"

namespace sf::vendors {
namespace {

using sf::sdk::Error;

bool Contains(const std::string& haystack, std::string_view needle) {
  std::string h = haystack;
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h.find(needle) != std::string::npos;
}

// A price field: AlphaVantage sends numbers as strings; plain numbers are
// accepted too.
std::optional<double> Field(const nlohmann::json& row, const char* key) {
  auto it = row.find(key);
  if (it == row.end()) return std::nullopt;
  if (it->is_string()) return ParseDouble(it->get_ref<const std::string&>());
  if (it->is_number()) return it->get<double>();
  return std::nullopt;
}

int64_t SecondsToNextUtcMidnight() {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return 86400 - now % 86400;
}

}  // namespace

AlphaVantage::AlphaVantage(ConfigReader& config)
    : BarProvider(kId, ReadCommonConfig(config, "https://www.alphavantage.co")) {
  api_key_ = ReadSecret(config, "api_key");
  if (api_key_.empty()) {
    config.Fail("api_key", "is required (or api_key_env naming an environment variable)");
  }
  outputsize_ = config.String("outputsize", "full");
  if (outputsize_ != "full" && outputsize_ != "compact") {
    config.Fail("outputsize", "must be \"full\" or \"compact\"");
  }
  extended_hours_ = config.Bool("extended_hours", false);
}

const std::map<std::string, std::string>& AlphaVantage::Timeframes() const {
  static const std::map<std::string, std::string> kFrames = {
      {"1m", "1min"}, {"5m", "5min"}, {"15m", "15min"}, {"1h", "60min"}, {"1d", "daily"}};
  return kFrames;
}

void AlphaVantage::FetchSymbol(const SymbolRequest& r, BarCollector& out) {
  const bool daily = r.timeframe == "1d";
  const std::string interval = Timeframes().at(r.timeframe);
  std::string url =
      common_.base_url +
      "/query?function=" + (daily ? "TIME_SERIES_DAILY_ADJUSTED" : "TIME_SERIES_INTRADAY") +
      "&symbol=" + UrlEncode(r.symbol) + "&outputsize=" + outputsize_ + "&datatype=json";
  if (!daily) {
    url += "&interval=" + interval +
           "&adjusted=false&extended_hours=" + (extended_hours_ ? "true" : "false");
  }
  url += "&apikey=" + UrlEncode(api_key_);
  const HttpResponse response = Get(r, url, {{"Accept", "application/json"}});
  if (response.status != 200) FailStatus(r, response, "");

  const nlohmann::json j = ParseJsonBounded(response.body, Who(r));
  if (!j.is_object()) {
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: top level is not a JSON object");
  }
  auto text_of = [&](const char* key) {
    const auto& v = j.at(key);
    return CleanText(v.is_string() ? v.get<std::string>() : v.dump(), 300);
  };
  if (j.contains("Error Message")) {
    const std::string text = text_of("Error Message");
    if (Contains(text, "apikey") || Contains(text, "api key")) {
      throw Error(SF_ERR_UNAUTHENTICATED, Who(r) + ": API key refused (vendor says: " + text +
                                              "); check config key api_key");
    }
    throw Error(SF_ERR_NOT_FOUND, Who(r) +
                                      ": unknown symbol (AlphaVantage answers an unknown "
                                      "symbol with an error message: " +
                                      text + ")");
  }
  if (j.contains("Note")) {
    throw Error(SF_ERR_RATE_LIMITED, Who(r) + ": rate limited (vendor note: " + text_of("Note") +
                                         "); retry after 60 s (AlphaVantage sends no Retry-After; "
                                         "its limits are per minute)");
  }
  if (j.contains("Information")) {
    const std::string text = text_of("Information");
    if (Contains(text, "premium")) {
      throw Error(SF_ERR_PERMISSION,
                  Who(r) + ": endpoint needs a premium plan (vendor says: " + text + ")");
    }
    if ((Contains(text, "api key") || Contains(text, "apikey")) &&
        (Contains(text, "invalid") || Contains(text, "missing"))) {
      throw Error(SF_ERR_UNAUTHENTICATED, Who(r) + ": API key refused (vendor says: " + text +
                                              "); check config key api_key");
    }
    const bool per_day = Contains(text, "per day") || Contains(text, "daily");
    const int64_t retry = per_day ? SecondsToNextUtcMidnight() : 60;
    throw Error(SF_ERR_RATE_LIMITED, Who(r) + ": rate limited (vendor information: " + text +
                                         "); retry after " + std::to_string(retry) + " s" +
                                         (per_day ? " (daily quota)" : " (per-minute limit)"));
  }
  const auto meta = j.find("Meta Data");
  if (meta == j.end() || !meta->is_object()) {
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: no \"Meta Data\" object");
  }
  const auto sym = meta->find("2. Symbol");
  if (sym == meta->end() || !sym->is_string()) {
    throw Error(SF_ERR_BAD_DATA,
                Who(r) + ": malformed response: \"Meta Data\" has no \"2. Symbol\"");
  }
  CheckEchoedSymbol(r, sym->get<std::string>());
  bool new_york = true;
  for (const auto& [key, value] : meta->items()) {
    if (key.size() >= 9 && key.compare(key.size() - 9, 9, "Time Zone") == 0 && value.is_string()) {
      const std::string tz = value.get<std::string>();
      if (tz == "UTC") {
        new_york = false;
      } else if (tz != "US/Eastern" && tz != "America/New_York") {
        throw Error(SF_ERR_BAD_DATA, Who(r) + ": unsupported time zone " + QuoteForMessage(tz) +
                                         " in \"Meta Data\" (expected US/Eastern or UTC)");
      }
    }
  }
  const std::string series_key = daily ? "Time Series (Daily)" : "Time Series (" + interval + ")";
  const auto series = j.find(series_key);
  if (series == j.end() || !series->is_object()) {
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: no \"" + series_key + "\" object");
  }
  for (const auto& [key, row] : series->items()) {
    auto where = [&key] { return "row " + QuoteForMessage(key, 32); };
    std::optional<int64_t> ts = daily ? ParseDate(key) : ParseDateTimeNaive(key);
    if (!ts) {
      out.RejectRow(where(), daily ? "date is not YYYY-MM-DD" : "time is not YYYY-MM-DD HH:MM:SS");
      continue;
    }
    if (!daily && new_york) ts = NewYorkWallToUtc(*ts);
    if (!row.is_object()) {
      out.RejectRow(where(), "row is not an object");
      continue;
    }
    const char* volume_key = daily ? "6. volume" : "5. volume";
    const char* keys[] = {"1. open", "2. high", "3. low", "4. close", volume_key};
    double v[5];
    bool ok = true;
    for (int k = 0; k < 5 && ok; ++k) {
      const auto f = Field(row, keys[k]);
      if (!f) {
        out.RejectRow(where(), std::string("field \"") + keys[k] + "\" missing or not a number");
        ok = false;
      } else {
        v[k] = *f;
      }
    }
    if (!ok) continue;
    RawBar bar;
    bar.ts_start = *ts;
    bar.open = v[0];
    bar.high = v[1];
    bar.low = v[2];
    bar.close = v[3];
    bar.volume = v[4];
    if (daily) {
      const auto adj = Field(row, "5. adjusted close");
      if (!adj || !std::isfinite(*adj) || *adj <= 0) {
        out.RejectRow(where(), "field \"5. adjusted close\" missing, not finite or not > 0");
        continue;
      }
      bar.adj_factor = *adj / bar.close;
    }
    out.Add(bar);
  }
}

}  // namespace sf::vendors
