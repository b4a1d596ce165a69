// Shared frame of the HTTP vendor providers (see bar_provider.h).
#include "bar_provider.h"

#include <algorithm>
#include <chrono>

namespace sf::vendors {
namespace {

using sf::sdk::Error;

int64_t WallNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Length of an SDK timeframe name; 0 when unknown.
int64_t TimeframeUs(const std::string& tf) {
  static const std::map<std::string, int64_t> kLen = {{"1m", 60}, {"5m", 300},    {"15m", 900},
                                                      {"1h", 3600}, {"4h", 14400}, {"1d", 86400}};
  auto it = kLen.find(tf);
  return it == kLen.end() ? 0 : it->second * kMicrosPerSecond;
}

bool SymbolLevel(sf_status code) {
  return code == SF_ERR_NOT_FOUND || code == SF_ERR_BAD_DATA || code == SF_ERR_TOO_LARGE ||
         code == SF_ERR_INVALID_ARGUMENT;
}

}  // namespace

CommonConfig ReadCommonConfig(ConfigReader& reader, const std::string& default_base_url) {
  CommonConfig c;
  c.base_url = reader.String("base_url", default_base_url);
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0) {
    reader.Fail("base_url",
                "must start with http:// or https:// (got " + QuoteForMessage(c.base_url) + ")");
  }
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  c.limits.connect_timeout_ms = reader.Int("connect_timeout_ms", 5000, 1, 120000);
  c.limits.total_timeout_ms = reader.Int("timeout_ms", 30000, 1, 600000);
  c.limits.max_body_bytes = reader.Int("max_body_bytes", 32 << 20, 1024, int64_t{1} << 30);
  c.limits.max_redirects = static_cast<int>(reader.Int("max_redirects", 0, 0, 10));
  c.limits.user_agent = reader.String("user_agent", c.limits.user_agent);
  c.max_pages = static_cast<int>(reader.Int("max_pages", 50, 1, 10000));
  const std::string min_date = reader.String("min_date", "1980-01-01");
  const auto min_ts = ParseDate(min_date);
  if (!min_ts) reader.Fail("min_date", "must be a date YYYY-MM-DD");
  c.min_ts_us = *min_ts;
  c.live_timeframe = reader.String("live_timeframe", "1m");
  c.poll_interval_us = reader.Int("poll_interval_ms", 60000, 0, 86'400'000) * 1000;
  c.live_lookback_us = reader.Int("live_lookback_minutes", 15, 1, 7 * 24 * 60) * 60'000'000;
  for (const std::string& s : reader.StringList("symbols")) {
    if (!IsValidSymbol(s))
      reader.Fail("symbols", "holds " + QuoteForMessage(s) + ": " + kSymbolRule);
    c.symbols.push_back(s);
  }
  return c;
}

int64_t RetryAfterSeconds(const HttpResponse& response) {
  std::string value = response.Header("retry-after");
  while (!value.empty() && value.back() == ' ') value.pop_back();
  if (value.empty()) return -1;
  if (auto secs = ParseInt(value)) return *secs < 0 ? -1 : *secs;
  if (auto when = ParseRfc822(value)) {
    return std::max<int64_t>(0, (*when - WallNowUs()) / kMicrosPerSecond);
  }
  return -1;
}

// ---- BarCollector -----------------------------------------------------------

BarCollector::BarCollector(std::string vendor, const SymbolRequest& request, int64_t min_ts_us,
                           const sf_data_sink& sink)
    : vendor_(std::move(vendor)), request_(request), min_ts_us_(min_ts_us), sink_(sink) {}

void BarCollector::RejectRow(const std::string& where, const std::string& reason) {
  ++refused_;
  if (first_reason_.empty()) first_reason_ = where + ": " + reason;
  if (sink_.reject != nullptr) {
    const std::string what =
        vendor_ + " " + request_.symbol + " " + request_.timeframe + " " + where;
    sink_.reject(sink_.host_data, what.c_str(), reason.c_str());
  }
}

bool BarCollector::Add(const RawBar& b) {
  auto refuse = [&](const std::string& reason) {
    RejectRow("bar " + FormatUtc(b.ts_start), reason);  // built only when refusing
    return false;
  };
  if (b.ts_start < min_ts_us_) {
    return refuse("timestamp before min_date " + FormatDate(min_ts_us_) +
                  " (a 1970 date means a zero or missing timestamp)");
  }
  if (b.ts_start > WallNowUs() + 2 * kMicrosPerDay) {
    return refuse("timestamp more than 2 days in the future");
  }
  if (b.ts_end != 0 && b.ts_end <= b.ts_start) return refuse("bar end is not after bar start");
  const struct {
    const char* name;
    double v;
  } prices[] = {{"open", b.open}, {"high", b.high}, {"low", b.low}, {"close", b.close}};
  for (const auto& p : prices) {
    if (!std::isfinite(p.v))
      return refuse(std::string(p.name) + " is " + Num(p.v) + " (prices must be finite)");
    if (p.v <= 0) return refuse(std::string(p.name) + " is " + Num(p.v) + " (prices must be > 0)");
  }
  if (b.high < b.low) return refuse("high " + Num(b.high) + " < low " + Num(b.low));
  if (b.open < b.low || b.open > b.high) {
    return refuse("open " + Num(b.open) + " outside low..high [" + Num(b.low) + ", " + Num(b.high) +
                  "]");
  }
  if (b.close < b.low || b.close > b.high) {
    return refuse("close " + Num(b.close) + " outside low..high [" + Num(b.low) + ", " +
                  Num(b.high) + "]");
  }
  if (!std::isfinite(b.volume) || b.volume < 0) {
    return refuse("volume is " + Num(b.volume) + " (must be finite and >= 0)");
  }
  if (!std::isnan(b.adj_factor) && (!std::isfinite(b.adj_factor) || b.adj_factor <= 0)) {
    return refuse("adjustment factor is " + Num(b.adj_factor) + " (must be finite and > 0)");
  }
  RawBar copy = b;
  if (!std::isnan(copy.vwap) && (!std::isfinite(copy.vwap) || copy.vwap <= 0)) {
    copy.vwap = std::numeric_limits<double>::quiet_NaN();
  }
  rows_.push_back(copy);
  return true;
}

sf_status BarCollector::Emit() {
  std::vector<RawBar> rows;
  rows.reserve(rows_.size());
  for (const RawBar& b : rows_) {
    if (request_.from_us != 0 && b.ts_start < request_.from_us) continue;
    if (request_.to_us != 0 && b.ts_start >= request_.to_us) continue;
    rows.push_back(b);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const RawBar& a, const RawBar& b) { return a.ts_start < b.ts_start; });
  std::vector<RawBar> unique;
  unique.reserve(rows.size());
  for (const RawBar& b : rows) {
    if (!unique.empty() && unique.back().ts_start == b.ts_start) {
      RejectRow("bar " + FormatUtc(b.ts_start), "duplicate timestamp (the first bar was kept)");
      continue;
    }
    unique.push_back(b);
  }
  if (unique.empty()) {
    if (rows_.empty() && refused_ > 0) return SF_ERR_BAD_DATA;
    return SF_NO_DATA;
  }
  const size_t n = unique.size();
  std::vector<int64_t> ts_start(n), ts_end(n);
  std::vector<double> open(n), high(n), low(n), close(n), volume(n), vwap(n), adj(n);
  bool all_vwap = true;
  bool all_end = true;
  bool all_adj = true;
  for (size_t i = 0; i < n; ++i) {
    const RawBar& b = unique[i];
    ts_start[i] = b.ts_start;
    ts_end[i] = b.ts_end;
    open[i] = b.open;
    high[i] = b.high;
    low[i] = b.low;
    close[i] = b.close;
    volume[i] = b.volume;
    vwap[i] = b.vwap;
    adj[i] = b.adj_factor;
    all_vwap = all_vwap && !std::isnan(b.vwap);
    all_end = all_end && b.ts_end != 0;
    all_adj = all_adj && !std::isnan(b.adj_factor);
  }
  sf_bar_batch batch = sf::sdk::Make<sf_bar_batch>();
  batch.symbol = request_.symbol.c_str();
  batch.timeframe = request_.timeframe.c_str();
  batch.count = static_cast<int64_t>(n);
  batch.ts_start = ts_start.data();
  batch.ts_end = all_end ? ts_end.data() : nullptr;
  batch.open = open.data();
  batch.high = high.data();
  batch.low = low.data();
  batch.close = close.data();
  batch.volume = volume.data();
  batch.vwap = all_vwap ? vwap.data() : nullptr;
  batch.adj_factor = all_adj ? adj.data() : nullptr;
  const sf_status s = sink_.emit_bars(sink_.host_data, &batch);
  if (s == SF_ERR_CANCELLED) return SF_ERR_CANCELLED;
  newest_emitted_ = ts_start[n - 1];
  if (s < 0) {
    sf::sdk::SetError(s, vendor_ + " " + request_.symbol + ": the host refused the batch (" +
                             sf_status_name(s) + ")");
    return s;
  }
  return SF_OK;
}

// ---- BarProvider ------------------------------------------------------------

HttpResponse BarProvider::Get(const SymbolRequest& r, const std::string& url,
                              const HttpHeaders& headers) {
  HttpResult result = HttpGet(url, headers, common_.limits);
  if (result.code != SF_OK) {
    throw Error(result.code, Who(r) + ": " + result.message + " (GET " + RedactUrl(url) + ")");
  }
  return std::move(result.response);
}

void BarProvider::FailStatus(const SymbolRequest& r, const HttpResponse& response,
                             const std::string& detail) {
  const int status = response.status;
  std::string vendor_text = detail.empty() ? CleanText(response.body, 200) : detail;
  if (!vendor_text.empty()) vendor_text = " (vendor says: " + CleanText(vendor_text, 300) + ")";
  const std::string head = Who(r) + ": HTTP " + std::to_string(status);
  if (status == 429 || status == 418) {
    int64_t retry = RetryAfterSeconds(response);
    const bool from_header = retry >= 0;
    if (!from_header) retry = 60;
    retry_after_s_ = retry;
    throw Error(SF_ERR_RATE_LIMITED,
                head +
                    (status == 418 ? " IP banned for exceeding the rate limit" : " rate limited") +
                    vendor_text + "; retry after " + std::to_string(retry) + " s" +
                    (from_header ? " (Retry-After header)" : " (no Retry-After header; default)"));
  }
  if (status >= 500) {
    throw Error(SF_ERR_UNAVAILABLE,
                head + " server error" + vendor_text + "; vendor unavailable, retry later");
  }
  if (status == 401 || status == 403) {
    throw Error(SF_ERR_UNAUTHENTICATED,
                head + " credentials refused" + vendor_text + "; check the API key config");
  }
  if (status == 404) {
    throw Error(SF_ERR_NOT_FOUND, head + " not found" + vendor_text + "; unknown symbol");
  }
  throw Error(SF_ERR_INVALID_ARGUMENT, head + " request refused" + vendor_text);
}

void BarProvider::CheckEchoedSymbol(const SymbolRequest& r, const std::string& echoed) {
  const std::string upper = UpperAscii(echoed);
  if (!IsValidSymbol(upper)) {
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": response names symbol " + QuoteForMessage(echoed) +
                                     " which breaks the symbol rule: " + kSymbolRule);
  }
  if (upper != r.symbol) {
    throw Error(SF_ERR_BAD_DATA, Who(r) + ": response is for symbol " + QuoteForMessage(echoed) +
                                     ", not the requested one");
  }
}

std::string BarProvider::InstrumentsJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& s : common_.symbols) out.push_back({{"symbol", s}});
  return out.dump();
}

sf_status BarProvider::FetchAndEmit(const SymbolRequest& r, const sf_data_sink& sink, SymbolFailures* failures,
                                    int64_t* newest_start) {
  BarCollector collector(vendor_, r, common_.min_ts_us, sink);
  sf_status code = SF_OK;
  std::string message;
  try {
    FetchSymbol(r, collector);
    code = collector.Emit();
    if (code == SF_ERR_BAD_DATA) {
      message = Who(r) + ": all " + std::to_string(collector.refused()) +
                " bars refused; first: " + collector.first_reason();
    }
  } catch (const Error& e) {
    if (!SymbolLevel(e.code())) throw;
    code = e.code();
    message = e.what();
  }
  if (code == SF_ERR_CANCELLED) {
    throw Error(SF_ERR_CANCELLED, vendor_ + ": cancelled by the host after " + r.symbol);
  }
  if (code == SF_OK && newest_start != nullptr) *newest_start = collector.newest_emitted();
  if (code < 0) {
    if (message.empty()) message = Who(r) + ": failed (" + sf_status_name(code) + ")";
    if (failures->count++ == 0) {
      failures->first_code = code;
      failures->first_message = message;
    }
    if (sink.reject != nullptr) sink.reject(sink.host_data, (vendor_ + " " + r.symbol).c_str(), message.c_str());
  }
  return code;
}

sf_status BarProvider::Fetch(const sf_fetch_request* request_in, const sf_data_sink* sink_in) {
  if (request_in == nullptr || sink_in == nullptr) {
    throw Error(SF_ERR_INVALID_ARGUMENT, vendor_ + ": fetch_bars needs a request and a sink");
  }
  const sf_fetch_request request = sf::sdk::CopySized(request_in);
  const sf_data_sink sink = sf::sdk::CopySized(sink_in);
  if (sink.emit_bars == nullptr) {
    throw Error(SF_ERR_INVALID_ARGUMENT, vendor_ + ": the sink has no emit_bars");
  }
  const std::string timeframe = request.timeframe != nullptr ? request.timeframe : "1d";
  const auto& frames = Timeframes();
  if (frames.count(timeframe) == 0) {
    std::string list;
    for (const auto& [name, vendor_name] : frames) list += (list.empty() ? "" : ",") + name;
    throw Error(SF_ERR_UNSUPPORTED, vendor_ + ": timeframe " + QuoteForMessage(timeframe) +
                                        " is not offered (supported: " + list +
                                        "); resample from a lower one");
  }
  if (request.to_us != 0 && request.to_us <= request.from_us) {
    throw Error(SF_ERR_INVALID_ARGUMENT, vendor_ + ": empty range: to " + FormatUtc(request.to_us) +
                                             " is not after from " + FormatUtc(request.from_us));
  }
  std::vector<std::string> symbols;
  if (request.symbol_count > 0) {
    if (request.symbols == nullptr) {
      throw Error(SF_ERR_INVALID_ARGUMENT, vendor_ + ": symbol_count > 0 but symbols is NULL");
    }
    for (int64_t i = 0; i < request.symbol_count; ++i) {
      const char* s = request.symbols[i];
      symbols.emplace_back(s == nullptr ? "" : s);
    }
  } else {
    symbols = common_.symbols;
  }
  if (symbols.empty()) {
    throw Error(SF_ERR_INVALID_ARGUMENT,
                vendor_ + ": no symbols requested and config key 'symbols' is empty");
  }
  // Every symbol is checked before any request is made.
  for (const std::string& s : symbols) {
    if (!IsValidSymbol(s)) {
      throw Error(SF_ERR_INVALID_ARGUMENT, vendor_ + ": symbol " + QuoteForMessage(s) +
                                               " refused before any request: " + kSymbolRule);
    }
    if (!VendorSymbolOk(s)) {
      throw Error(SF_ERR_INVALID_ARGUMENT,
                  vendor_ + ": symbol " + QuoteForMessage(s) +
                      " refused before any request: " + VendorSymbolRule());
    }
  }
  bool emitted = false;
  SymbolFailures failures;
  for (const std::string& s : symbols) {
    const SymbolRequest r{s, timeframe, request.from_us, request.to_us};
    if (FetchAndEmit(r, sink, &failures, nullptr) == SF_OK) emitted = true;
  }
  if (failures.count > 0) {
    std::string summary = failures.first_message;
    if (symbols.size() > 1) {
      summary = vendor_ + ": " + std::to_string(failures.count) + " of " + std::to_string(symbols.size()) +
                " symbols refused; first: " + failures.first_message;
    }
    sf::sdk::SetError(failures.first_code, summary);
    return failures.first_code;
  }
  return emitted ? SF_OK : SF_NO_DATA;
}

sf_status BarProvider::Poll(sf_time_us now_us, const sf_data_sink* sink_in) {
  if (sink_in == nullptr) throw Error(SF_ERR_INVALID_ARGUMENT, vendor_ + ": poll needs a sink");
  const sf_data_sink sink = sf::sdk::CopySized(sink_in);
  if (sink.emit_bars == nullptr) throw Error(SF_ERR_INVALID_ARGUMENT, vendor_ + ": the sink has no emit_bars");
  const std::string& tf = common_.live_timeframe;
  const int64_t len = TimeframeUs(tf);
  if (len == 0 || Timeframes().count(tf) == 0) {
    std::string list;
    for (const auto& [name, vendor_name] : Timeframes()) list += (list.empty() ? "" : ",") + name;
    throw Error(SF_ERR_UNSUPPORTED, vendor_ + ": config live_timeframe " + QuoteForMessage(tf) +
                                        " is not offered (supported: " + list + ")");
  }
  if (common_.symbols.empty()) {
    throw Error(SF_ERR_INVALID_ARGUMENT,
                vendor_ + ": poll follows the instruments of config key 'symbols', which is empty");
  }
  if (now_us < blocked_until_us_) {
    throw Error(SF_ERR_RATE_LIMITED, blocked_reason_ + " (no request before " + FormatUtc(blocked_until_us_) + ")");
  }
  if (last_poll_us_ != std::numeric_limits<int64_t>::min() && now_us - last_poll_us_ < common_.poll_interval_us &&
      now_us >= last_poll_us_) {
    return SF_NO_DATA;
  }
  last_poll_us_ = now_us;
  // Only complete bars: start + len <= now.
  const int64_t to_us = now_us - len + 1;
  bool emitted = false;
  SymbolFailures failures;
  for (const std::string& s : common_.symbols) {
    auto next = next_start_.find(s);
    int64_t from_us = next != next_start_.end() ? next->second : now_us - common_.live_lookback_us;
    from_us -= ((from_us % len) + len) % len;  // bar boundary
    if (to_us <= from_us) continue;
    int64_t newest = 0;
    try {
      if (FetchAndEmit({s, tf, from_us, to_us}, sink, &failures, &newest) != SF_OK) continue;
    } catch (const Error& e) {
      // Transport-level failures would hit every symbol alike: the poll fails
      // (the host's breaker counts it), and a rate limit stops requests until
      // its Retry-After has passed.
      if (e.code() == SF_ERR_RATE_LIMITED) {
        blocked_until_us_ = now_us + std::max<int64_t>(1, retry_after_s_) * kMicrosPerSecond;
        blocked_reason_ = e.what();
      }
      throw;
    }
    emitted = true;
    next_start_[s] = newest + len;
  }
  if (failures.count > 0 && !emitted) {
    sf::sdk::SetError(failures.first_code, vendor_ + ": poll: " + std::to_string(failures.count) + " of " +
                                               std::to_string(common_.symbols.size()) + " symbols failed; first: " +
                                               failures.first_message);
    return failures.first_code;
  }
  return emitted ? SF_OK : SF_NO_DATA;
}

}  // namespace sf::vendors
