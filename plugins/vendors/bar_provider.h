// The shared frame of the HTTP vendor providers (alphavantage, yahoo,
// alpaca, binance): config reading, symbol and timeframe checks, the per-bar
// validation rules, and the C shims that turn a vendor class into an
// sf_provider_vtable.
//
// A vendor subclass only builds URLs and maps its documented JSON to rows;
// everything it throws is an sf::sdk::Error whose message names the vendor,
// the symbol and the rule. Instances are not thread-safe (the host serialises
// calls on one instance); separate instances share nothing.
#ifndef SF_VENDORS_BAR_PROVIDER_H_
#define SF_VENDORS_BAR_PROVIDER_H_

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/config_reader.h"
#include "common/http_client.h"
#include "common/parse_util.h"
#include "signalforge/signalforge.hpp"

namespace sf::vendors {

// Settings every vendor shares (config keys in plugins/vendors/README.md).
struct CommonConfig {
  std::string base_url;
  HttpLimits limits;
  std::vector<std::string> symbols;  // used when a request names none
  int64_t min_ts_us = 0;             // bars before this are refused
  int max_pages = 50;
  // Live polling (poll): the timeframe followed, the least time between two
  // requests, and how far back the first poll of a symbol reaches.
  std::string live_timeframe = "1m";
  int64_t poll_interval_us = 60'000'000;
  int64_t live_lookback_us = 15 * 60'000'000LL;
};

// One candidate bar as a vendor read it; NaN marks an absent optional.
struct RawBar {
  int64_t ts_start = 0;
  int64_t ts_end = 0;  // 0: unknown, the host derives it from its calendar
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
  double vwap = std::numeric_limits<double>::quiet_NaN();
  double adj_factor = std::numeric_limits<double>::quiet_NaN();
};

// What a vendor is asked for one symbol.
struct SymbolRequest {
  std::string symbol;
  std::string timeframe;  // one of the vendor's supported names
  int64_t from_us = 0;    // inclusive, 0 = vendor's earliest
  int64_t to_us = 0;      // exclusive, 0 = latest
};

// Validates rows, orders them, drops duplicates and emits one sf_bar_batch.
// Each refused row is reported through sink->reject with the rule it broke.
class BarCollector {
 public:
  BarCollector(std::string vendor, const SymbolRequest& request, int64_t min_ts_us,
               const sf_data_sink& sink);
  // Checks the row; returns false (after reporting) when it was refused.
  bool Add(const RawBar& bar);
  // Reports a row that could not even be read (missing/non-numeric field).
  void RejectRow(const std::string& where, const std::string& reason);
  // Emits what passed. Returns SF_OK, SF_NO_DATA (nothing in range) or an
  // error (all rows refused -> SF_ERR_BAD_DATA; sink cancelled).
  sf_status Emit();
  size_t accepted() const { return rows_.size(); }
  // ts_start of the newest bar Emit handed to the host (0: none).
  int64_t newest_emitted() const { return newest_emitted_; }
  size_t refused() const { return refused_; }
  const std::string& first_reason() const { return first_reason_; }

 private:
  std::string vendor_;
  SymbolRequest request_;
  int64_t min_ts_us_;
  const sf_data_sink& sink_;
  std::vector<RawBar> rows_;
  size_t refused_ = 0;
  std::string first_reason_;
  int64_t newest_emitted_ = 0;
};

class BarProvider {
 public:
  BarProvider(std::string vendor, CommonConfig common)
      : vendor_(std::move(vendor)), common_(std::move(common)) {}
  virtual ~BarProvider() = default;

  // The vtable's fetch_bars: checks every symbol first, then fetches each.
  sf_status Fetch(const sf_fetch_request* request, const sf_data_sink* sink);
  // The vtable's poll: for each configured symbol, the live_timeframe bars
  // completed (start + length <= now_us) since the last one emitted (the
  // first time: live_lookback back). At most one request round per
  // poll_interval (sooner: SF_NO_DATA, no request). A rate limit answer
  // blocks requests until its Retry-After has passed (calls meanwhile
  // return SF_ERR_RATE_LIMITED without a request); transport failures
  // (rate limit, unavailable, timeout, credentials) fail the whole poll, so
  // the host's circuit breaker sees them; a symbol-level failure is
  // reported through sink->reject and the other symbols still come.
  sf_status Poll(sf_time_us now_us, const sf_data_sink* sink);
  std::string InstrumentsJson() const;

 protected:
  // Vendor timeframe names for the SDK's ("1d" -> "1Day"); absent = unsupported.
  virtual const std::map<std::string, std::string>& Timeframes() const = 0;
  // Fetches one symbol into `out`; throws sf::sdk::Error on failure.
  virtual void FetchSymbol(const SymbolRequest& request, BarCollector& out) = 0;
  // Extra symbol rule of the vendor (e.g. Binance: letters and digits only).
  virtual bool VendorSymbolOk(std::string_view) const { return true; }
  virtual std::string VendorSymbolRule() const { return ""; }

  // "<vendor> <symbol>: " prefix for every message.
  std::string Who(const SymbolRequest& r) const { return vendor_ + " " + r.symbol; }
  // GET with the configured limits; transport failures become Errors.
  HttpResponse Get(const SymbolRequest& r, const std::string& url, const HttpHeaders& headers);
  // Throws the shared mapping for a non-2xx status (429/418 -> rate limited
  // with retry-after, 5xx -> unavailable, 401/403 -> unauthenticated, 404 ->
  // not found, other 4xx -> invalid argument). `detail` is the vendor's text.
  [[noreturn]] void FailStatus(const SymbolRequest& r, const HttpResponse& response,
                               const std::string& detail);
  // Checks that a symbol a response names is valid and the one asked for.
  void CheckEchoedSymbol(const SymbolRequest& r, const std::string& echoed);

  const std::string vendor_;
  const CommonConfig common_;

 private:
  struct SymbolFailures {
    size_t count = 0;
    sf_status first_code = SF_OK;
    std::string first_message;
  };
  // Fetches one symbol and emits its bars; returns SF_OK, SF_NO_DATA or the
  // symbol-level failure it reported (sink->reject) and counted. Transport
  // failures and a host cancel throw. `newest_start` (optional) gets the
  // start of the newest bar emitted.
  sf_status FetchAndEmit(const SymbolRequest& r, const sf_data_sink& sink, SymbolFailures* failures,
                         int64_t* newest_start);

  // Set by FailStatus for a rate-limit answer (seconds; -1 none).
  int64_t retry_after_s_ = -1;
  // Poll state.
  std::map<std::string, int64_t> next_start_;  // per symbol: first bar start not yet emitted
  int64_t last_poll_us_ = std::numeric_limits<int64_t>::min();
  int64_t blocked_until_us_ = 0;
  std::string blocked_reason_;
};

// Reads the shared config keys (base_url default given) into `common`.
CommonConfig ReadCommonConfig(ConfigReader& reader, const std::string& default_base_url);

// Seconds from a Retry-After header (delta-seconds or HTTP-date); -1 when
// absent or unreadable.
int64_t RetryAfterSeconds(const HttpResponse& response);

// Turns `T` (a BarProvider subclass constructible from ConfigReader&) into
// a provider vtable. The metadata string must be static.
template <typename T>
struct ProviderShim {
  static sf_status Create(const char* config_json, void** instance) {
    return sf::sdk::Guard([&] {
      if (instance == nullptr) {
        throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, std::string(T::kId) + ": instance is NULL");
      }
      ConfigReader reader(config_json, T::kId);
      auto* created = new T(reader);
      try {
        reader.Finish();
      } catch (...) {
        delete created;
        throw;
      }
      *instance = created;
    });
  }
  static void Destroy(void* instance) { delete static_cast<T*>(instance); }
  static sf_status ListInstruments(void* instance, char* buf, size_t cap, size_t* needed) {
    return sf::sdk::Guard([&] {
      return sf::sdk::WriteOut(static_cast<T*>(instance)->InstrumentsJson(), buf, cap, needed);
    });
  }
  static sf_status FetchBars(void* instance, const sf_fetch_request* request,
                             const sf_data_sink* sink) {
    return sf::sdk::Guard([&] { return static_cast<T*>(instance)->Fetch(request, sink); });
  }
  static sf_status Poll(void* instance, sf_time_us now_us, const sf_data_sink* sink) {
    return sf::sdk::Guard([&] { return static_cast<T*>(instance)->Poll(now_us, sink); });
  }
  static sf_provider_vtable Vtable(const char* metadata_json) {
    sf_provider_vtable vt = sf::sdk::Make<sf_provider_vtable>();
    vt.flags = 0;
    vt.id = T::kId;
    vt.metadata_json = metadata_json;
    vt.create = &Create;
    vt.destroy = &Destroy;
    vt.list_instruments = &ListInstruments;
    vt.fetch_bars = &FetchBars;
    vt.poll = &Poll;
    return vt;
  }
};

}  // namespace sf::vendors

#endif  // SF_VENDORS_BAR_PROVIDER_H_
