// Trading calendars as data: which local days an exchange trades, its
// regular hours in its own time zone, holidays and early closes, all read
// from config/calendars/*.json (see config/calendars/README.md). A calendar
// is either "sessions" (NYSE: 09:30-16:00 America/New_York on weekdays that
// are not holidays) or "continuous" (crypto: 24/7, sessions are UTC days).
//
// Times are µs since the epoch UTC; "days" are civil day numbers since
// 1970-01-01 in the calendar's local zone. Outside [valid_from, valid_to] a
// sessions calendar knows no holidays and trades every listed weekday.
//
// Thread-safety: immutable after loading; share freely (CalendarSet too).
#ifndef SF_MARKET_CALENDAR_H_
#define SF_MARKET_CALENDAR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "market/bar_series.h"
#include "market/time_zone.h"

namespace sf::market {

struct Session {
  int64_t day = 0;       // local civil day
  int64_t open_us = 0;   // UTC
  int64_t close_us = 0;  // UTC
  bool early_close = false;
};

class TradingCalendar {
 public:
  // `source` names the input in error messages (a file path).
  static StatusOr<std::shared_ptr<const TradingCalendar>> FromJson(
      const nlohmann::json& doc, const std::string& source);
  static StatusOr<std::shared_ptr<const TradingCalendar>> LoadFile(const std::string& path);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& exchanges() const { return exchanges_; }
  bool continuous() const { return continuous_; }
  const TimeZone& zone() const { return *zone_; }

  // The session on local day `day`, or nothing on a weekend or holiday.
  std::optional<Session> SessionOn(int64_t day) const;
  // The session whose [open, close) contains ts, if any.
  std::optional<Session> SessionAt(int64_t ts_us) const;
  bool IsOpen(int64_t ts_us) const { return SessionAt(ts_us).has_value(); }
  // First session with close > ts (the one in progress or the next).
  Session NextSession(int64_t ts_us) const;
  // Sessions with close in (from_us, to_us].
  std::vector<Session> SessionsBetween(int64_t from_us, int64_t to_us) const;
  // Local civil day of an instant.
  int64_t LocalDay(int64_t ts_us) const;
  // Name of the holiday on `day`, or empty.
  std::string HolidayName(int64_t day) const;

  // End of the `tf` bucket that the bar ending at bar_end_us belongs to:
  // intraday buckets are aligned to the session open and cut at its close
  // (so the last 1h bar of a NYSE day is 15:30-16:00); 1d buckets end at the
  // session close. Continuous calendars align to UTC multiples of tf.
  // Nothing when the bar lies outside every session.
  std::optional<int64_t> BucketEnd(int64_t bar_end_us, Timeframe tf) const;
  // Bar ends a complete series of `tf` has in (from_us, to_us].
  std::vector<int64_t> ExpectedBarEnds(Timeframe tf, int64_t from_us, int64_t to_us) const;

 private:
  std::string name_;
  std::vector<std::string> exchanges_;
  bool continuous_ = false;
  std::shared_ptr<const TimeZone> zone_;
  int32_t open_secs_ = 0, close_secs_ = 86400;  // local seconds of day
  uint8_t weekday_mask_ = 0x3e;                 // bit 0 = Sunday
  int64_t valid_from_ = 0, valid_to_ = 0;
  std::map<int64_t, std::string> holidays_;
  std::map<int64_t, int32_t> early_closes_;     // day -> local close seconds
};

// Every calendar of a directory, by name, plus which calendar serves an
// exchange code or an asset class.
class CalendarSet {
 public:
  // Loads every *.json of `dir`; a bad file fails the whole load, naming it.
  static StatusOr<CalendarSet> LoadDirectory(const std::string& dir);
  void Add(std::shared_ptr<const TradingCalendar> cal);

  std::shared_ptr<const TradingCalendar> Find(const std::string& name) const;
  // By exchange code ("NYSE", "NASDAQ", "BINANCE"), case-insensitive.
  std::shared_ptr<const TradingCalendar> ForExchange(const std::string& exchange) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::shared_ptr<const TradingCalendar>> by_name_;
};

// "HH:MM" -> seconds of day; false when malformed.
bool ParseClock(const std::string& text, int32_t* secs);

}  // namespace sf::market

#endif  // SF_MARKET_CALENDAR_H_
