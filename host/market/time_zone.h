// Time zones from the system tz database (/usr/share/zoneinfo, TZif files),
// because libstdc++ 12 has no std::chrono::locate_zone. Converts between UTC
// and a zone's local wall time, DST-correct, including after the last
// transition stored in the file (through the POSIX TZ rule in its footer).
//
// Thread-safety: a TimeZone is immutable after Load; share it freely.
// TimeZone::Find caches zones process-wide and is thread-safe.
#ifndef SF_MARKET_TIME_ZONE_H_
#define SF_MARKET_TIME_ZONE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sf::market {

class TimeZone {
 public:
  // Reads `name` ("America/New_York", "UTC") from `zoneinfo_dir`.
  static StatusOr<std::shared_ptr<const TimeZone>> Load(
      const std::string& name,
      const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
  // Cached Load from the default directory.
  static StatusOr<std::shared_ptr<const TimeZone>> Find(const std::string& name);

  const std::string& name() const { return name_; }
  // Seconds east of UTC in effect at `utc_seconds`.
  int32_t OffsetAt(int64_t utc_seconds) const;
  // UTC seconds of a local wall-clock time. A time skipped by a spring-forward
  // gap is mapped with the offset before the gap (so 02:30 on a spring-forward
  // day becomes 03:30 local); an ambiguous time (fall back) takes the earlier
  // instant.
  int64_t LocalToUtc(int64_t local_seconds) const;

 private:
  struct Rule;  // POSIX TZ footer rule
  std::string name_;
  std::vector<int64_t> transitions_;     // UTC seconds
  std::vector<int32_t> offsets_after_;   // offset from each transition on
  int32_t initial_offset_ = 0;
  // Footer rule for instants after the last transition.
  bool has_rule_ = false;
  int32_t std_offset_ = 0, dst_offset_ = 0;
  bool rule_has_dst_ = false;
  // Mm.w.d/time rules, start and end of DST (local time of the current offset).
  int start_month_ = 0, start_week_ = 0, start_wday_ = 0, start_secs_ = 0;
  int end_month_ = 0, end_week_ = 0, end_wday_ = 0, end_secs_ = 0;

  int32_t RuleOffsetAt(int64_t utc_seconds) const;
  bool ParseFooter(const std::string& footer);
};

// Days since 1970-01-01 of a civil date (proleptic Gregorian), and back.
int64_t DaysFromCivil(int y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int* y, unsigned* m, unsigned* d);
// 0 = Sunday ... 6 = Saturday.
int WeekdayFromDays(int64_t days);
// "YYYY-MM-DD" <-> days. Parse returns false on a malformed or impossible date.
bool ParseDate(std::string_view text, int64_t* days);
std::string FormatDate(int64_t days);
// "2020-03-09T13:30:00Z" for logs and messages.
std::string FormatTimestampUs(int64_t us);

}  // namespace sf::market

#endif  // SF_MARKET_TIME_ZONE_H_
