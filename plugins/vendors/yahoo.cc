// Yahoo Finance chart v8: GET /v8/finance/chart/{symbol}. Documented JSON:
// {"chart": {"result": [{"meta": {"symbol", "gmtoffset", ...}, "timestamp":
// [...], "indicators": {"quote": [{"open": [...], "high", "low", "close",
// "volume"}], "adjclose": [{"adjclose": [...]}]}}], "error": null}}; errors
// {"chart": {"result": null, "error": {"code": "Not Found", "description"}}}.
#include <chrono>

#include "vendors.h"

namespace sf::vendors {
namespace {

using sf::sdk::Error;

// The "error" object of a chart (or finance) envelope, as "code: description".
std::string ErrorText(const nlohmann::json& j, std::string* code) {
  for (const char* envelope : {"chart", "finance"}) {
    if (!j.is_object() || !j.contains(envelope) || !j[envelope].is_object()) continue;
    const auto& e = j[envelope].value("error", nlohmann::json());
    if (!e.is_object()) continue;
    *code = e.value("code", "");
    return CleanText(*code + ": " + e.value("description", ""), 300);
  }
  return "";
}

const nlohmann::json* Array(const nlohmann::json& obj, const char* key, size_t size) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_array() || it->size() != size) return nullptr;
  return &*it;
}

}  // namespace

Yahoo::Yahoo(ConfigReader& config)
    : BarProvider(kId, ReadCommonConfig(config, "https://query1.finance.yahoo.com")) {}

const std::map<std::string, std::string>& Yahoo::Timeframes() const {
  static const std::map<std::string, std::string> kFrames = {
      {"1m", "1m"}, {"5m", "5m"}, {"15m", "15m"}, {"1h", "60m"}, {"1d", "1d"}};
  return kFrames;
}

void Yahoo::FetchSymbol(const SymbolRequest& r, BarCollector& out) {
  const bool daily = r.timeframe == "1d";
  std::string url = common_.base_url + "/v8/finance/chart/" + UrlEncode(r.symbol) +
                    "?interval=" + Timeframes().at(r.timeframe);
  if (r.from_us != 0) {
    const int64_t to = r.to_us != 0 ? r.to_us
                                    : std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
    // period2 is whole seconds: round up so a bound inside a second keeps
    // the bars before it (the collector cuts at to_us exactly).
    url += "&period1=" + std::to_string(r.from_us / kMicrosPerSecond) +
           "&period2=" + std::to_string((to + kMicrosPerSecond - 1) / kMicrosPerSecond);
  } else {
    // Yahoo's own limits on how far back each interval goes.
    static const std::map<std::string, std::string> kRange = {
        {"1m", "7d"}, {"5m", "60d"}, {"15m", "60d"}, {"1h", "730d"}, {"1d", "max"}};
    url += "&range=" + kRange.at(r.timeframe);
  }
  url += "&events=div%2Csplits&includeAdjustedClose=true";
  const HttpResponse response = Get(r, url, {{"Accept", "application/json"}});

  if (response.status != 200) {
    std::string code;
    std::string detail;
    const nlohmann::json err = nlohmann::json::parse(response.body, nullptr, false);
    if (!err.is_discarded()) detail = ErrorText(err, &code);
    if (response.status == 400 || response.status == 422) {
      throw Error(SF_ERR_INVALID_ARGUMENT,
                  Who(r) + ": HTTP " + std::to_string(response.status) + " request refused" +
                      (detail.empty() ? "" : " (vendor says: " + detail + ")"));
    }
    FailStatus(r, response, detail);
  }
  const nlohmann::json j = ParseJsonBounded(response.body, Who(r));
  std::string code;
  const std::string error = ErrorText(j, &code);
  if (!error.empty()) {
    if (code == "Not Found")
      throw Error(SF_ERR_NOT_FOUND, Who(r) + ": unknown symbol (vendor says: " + error + ")");
    if (code == "Unauthorized")
      throw Error(SF_ERR_UNAUTHENTICATED, Who(r) + ": refused (vendor says: " + error + ")");
    if (code == "Too Many Requests") {
      throw Error(SF_ERR_RATE_LIMITED, Who(r) + ": rate limited (vendor says: " + error +
                                           "); retry after 60 s (default)");
    }
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": vendor error: " + error);
  }
  if (!j.is_object() || !j.contains("chart") || !j["chart"].is_object()) {
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: no \"chart\" object");
  }
  const auto& result = j["chart"].value("result", nlohmann::json());
  if (!result.is_array() || result.empty() || !result[0].is_object()) {
    throw Error(SF_ERR_BAD_DATA,
                Who(r) + ": malformed response: chart.result is not a non-empty array");
  }
  const nlohmann::json& r0 = result[0];
  const auto& meta = r0.value("meta", nlohmann::json());
  if (!meta.is_object() || !meta.contains("symbol") || !meta["symbol"].is_string()) {
    throw Error(SF_ERR_BAD_DATA,
                Who(r) + ": malformed response: chart.result[0].meta.symbol missing");
  }
  CheckEchoedSymbol(r, meta["symbol"].get<std::string>());
  int64_t gmtoffset = 0;
  if (meta.contains("gmtoffset")) {
    if (!meta["gmtoffset"].is_number_integer() ||
        std::abs(meta["gmtoffset"].get<int64_t>()) > 14 * 3600) {
      throw Error(SF_ERR_BAD_DATA,
                  Who(r) + ": malformed response: meta.gmtoffset is not an offset in seconds");
    }
    gmtoffset = meta["gmtoffset"].get<int64_t>();
  }
  if (!r0.contains("timestamp")) return;  // no bars in the range
  const auto& ts = r0["timestamp"];
  if (!ts.is_array()) {
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: \"timestamp\" is not an array");
  }
  const size_t n = ts.size();
  const auto& indicators = r0.value("indicators", nlohmann::json());
  const auto& quotes =
      indicators.is_object() ? indicators.value("quote", nlohmann::json()) : nlohmann::json();
  if (!quotes.is_array() || quotes.empty()) {
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: indicators.quote[0] missing");
  }
  const char* names[] = {"open", "high", "low", "close", "volume"};
  const nlohmann::json* cols[5];
  for (int k = 0; k < 5; ++k) {
    cols[k] = Array(quotes[0], names[k], n);
    if (cols[k] == nullptr) {
      throw Error(SF_ERR_BAD_DATA, Who(r) + ": malformed response: indicators.quote[0]." +
                                       names[k] + " is not an array of " + std::to_string(n) +
                                       " values (one per timestamp)");
    }
  }
  const nlohmann::json* adjclose = nullptr;
  if (indicators.contains("adjclose")) {
    const auto& a = indicators["adjclose"];
    adjclose = a.is_array() && !a.empty() ? Array(a[0], "adjclose", n) : nullptr;
    if (adjclose == nullptr) {
      throw Error(SF_ERR_BAD_DATA, Who(r) +
                                       ": malformed response: indicators.adjclose[0].adjclose"
                                       " is not an array of " +
                                       std::to_string(n) + " values");
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!ts[i].is_number_integer()) {
      out.RejectRow("row " + std::to_string(i), "timestamp is not an integer");
      continue;
    }
    const int64_t secs = ts[i].get<int64_t>();
    if (secs < -(int64_t{1} << 40) || secs > (int64_t{1} << 40)) {
      out.RejectRow("row " + std::to_string(i), "timestamp out of range");
      continue;
    }
    int64_t start = secs * kMicrosPerSecond;
    if (daily) {
      // Yahoo stamps a daily bar at the session open; the bar belongs to the
      // exchange-local date.
      const int64_t local = secs + gmtoffset;
      const int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
      start = day * kMicrosPerDay;
    }
    double v[5];
    bool ok = true;
    for (int k = 0; k < 5 && ok; ++k) {
      const auto& cell = (*cols[k])[i];
      if (!cell.is_number()) {
        out.RejectRow("bar " + FormatUtc(start),
                      std::string(names[k]) + " is " + (cell.is_null() ? "null" : "not a number") +
                          " (Yahoo sends null for intervals without trades)");
        ok = false;
      } else {
        v[k] = cell.get<double>();
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
    if (adjclose != nullptr) {
      const auto& cell = (*adjclose)[i];
      if (!cell.is_number() || !std::isfinite(cell.get<double>()) || cell.get<double>() <= 0) {
        out.RejectRow("bar " + FormatUtc(start), "adjclose is null, not finite or not > 0");
        continue;
      }
      bar.adj_factor = cell.get<double>() / bar.close;
    }
    out.Add(bar);
  }
}

}  // namespace sf::vendors
