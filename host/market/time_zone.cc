// TZif reader and civil-date helpers (time_zone.h).
#include "market/time_zone.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

namespace sf::market {

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yy + (*m <= 2));
}

int WeekdayFromDays(int64_t z) {
  return static_cast<int>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

static int DaysInMonth(int y, unsigned m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

bool ParseDate(std::string_view s, int64_t* days) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int v[3] = {0, 0, 0};
  const int start[3] = {0, 5, 8}, len[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < len[k]; ++i) {
      char c = s[start[k] + i];
      if (c < '0' || c > '9') return false;
      v[k] = v[k] * 10 + (c - '0');
    }
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 ||
      v[2] > DaysInMonth(v[0], static_cast<unsigned>(v[1]))) {
    return false;
  }
  *days = DaysFromCivil(v[0], static_cast<unsigned>(v[1]), static_cast<unsigned>(v[2]));
  return true;
}

std::string FormatDate(int64_t days) {
  int y; unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", y, m, d);
  return buf;
}

std::string FormatTimestampUs(int64_t us) {
  int64_t secs = us >= 0 ? us / 1'000'000 : -((-us + 999'999) / 1'000'000);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%sT%02d:%02d:%02dZ", FormatDate(days).c_str(),
                static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                static_cast<int>(sod % 60));
  return buf;
}

namespace {

struct Reader {
  const std::string& d;
  size_t pos = 0;
  bool ok = true;
  bool Need(size_t n) {
    if (pos + n > d.size()) ok = false;
    return ok;
  }
  int64_t Be(int bytes) {
    if (!Need(static_cast<size_t>(bytes))) return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(d[pos++]);
    if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
    return static_cast<int64_t>(v);
  }
  void Skip(size_t n) {
    if (Need(n)) pos += n;
  }
};

// Parses "[+-]hh[:mm[:ss]]" at text[*i].
bool ParseHms(const std::string& t, size_t* i, int* secs) {
  int sign = 1;
  if (*i < t.size() && (t[*i] == '+' || t[*i] == '-')) {
    if (t[*i] == '-') sign = -1;
    ++*i;
  }
  int parts[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    if (*i >= t.size() || t[*i] < '0' || t[*i] > '9') {
      if (k == 0) return false;
      break;
    }
    while (*i < t.size() && t[*i] >= '0' && t[*i] <= '9') {
      parts[k] = parts[k] * 10 + (t[*i] - '0');
      ++*i;
    }
    if (k < 2 && *i < t.size() && t[*i] == ':') { ++*i; continue; }
    break;
  }
  *secs = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool SkipName(const std::string& t, size_t* i) {
  if (*i < t.size() && t[*i] == '<') {
    size_t e = t.find('>', *i);
    if (e == std::string::npos) return false;
    *i = e + 1;
    return true;
  }
  size_t s = *i;
  while (*i < t.size() && ((t[*i] >= 'A' && t[*i] <= 'Z') || (t[*i] >= 'a' && t[*i] <= 'z'))) ++*i;
  return *i - s >= 3;
}

bool ParseMRule(const std::string& t, size_t* i, int* month, int* week, int* wday, int* secs) {
  if (*i >= t.size() || t[*i] != 'M') return false;
  ++*i;
  int v[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    if (*i >= t.size() || t[*i] < '0' || t[*i] > '9') return false;
    while (*i < t.size() && t[*i] >= '0' && t[*i] <= '9') v[k] = v[k] * 10 + (t[(*i)++] - '0');
    if (k < 2) {
      if (*i >= t.size() || t[*i] != '.') return false;
      ++*i;
    }
  }
  *month = v[0]; *week = v[1]; *wday = v[2];
  *secs = 7200;
  if (*i < t.size() && t[*i] == '/') {
    ++*i;
    if (!ParseHms(t, i, secs)) return false;
  }
  return *month >= 1 && *month <= 12 && *week >= 1 && *week <= 5 && *wday >= 0 && *wday <= 6;
}

// Day number of weekday `wday` in week `week` (5 = last) of y-m.
int64_t MRuleDay(int y, int month, int week, int wday) {
  int64_t first = DaysFromCivil(y, static_cast<unsigned>(month), 1);
  int delta = (wday - WeekdayFromDays(first) + 7) % 7;
  int64_t day = first + delta + 7 * (week - 1);
  int64_t last = first + DaysInMonth(y, static_cast<unsigned>(month)) - 1;
  while (day > last) day -= 7;
  return day;
}

}  // namespace

bool TimeZone::ParseFooter(const std::string& t) {
  size_t i = 0;
  int std_west = 0;
  if (!SkipName(t, &i) || !ParseHms(t, &i, &std_west)) return false;
  std_offset_ = -std_west;
  if (i >= t.size()) {
    has_rule_ = true;
    rule_has_dst_ = false;
    return true;
  }
  if (!SkipName(t, &i)) return false;
  dst_offset_ = std_offset_ + 3600;
  if (i < t.size() && t[i] != ',') {
    int dst_west = 0;
    if (!ParseHms(t, &i, &dst_west)) return false;
    dst_offset_ = -dst_west;
  }
  if (i >= t.size() || t[i] != ',') return false;
  ++i;
  if (!ParseMRule(t, &i, &start_month_, &start_week_, &start_wday_, &start_secs_)) return false;
  if (i >= t.size() || t[i] != ',') return false;
  ++i;
  if (!ParseMRule(t, &i, &end_month_, &end_week_, &end_wday_, &end_secs_)) return false;
  has_rule_ = true;
  rule_has_dst_ = true;
  return true;
}

int32_t TimeZone::RuleOffsetAt(int64_t utc) const {
  if (!rule_has_dst_) return std_offset_;
  int64_t local_days = (utc + std_offset_) / 86400;
  int y; unsigned m, d;
  CivilFromDays(local_days, &y, &m, &d);
  int64_t start = MRuleDay(y, start_month_, start_week_, start_wday_) * 86400 +
                  start_secs_ - std_offset_;
  int64_t end = MRuleDay(y, end_month_, end_week_, end_wday_) * 86400 + end_secs_ -
                dst_offset_;
  bool dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
  return dst ? dst_offset_ : std_offset_;
}

StatusOr<std::shared_ptr<const TimeZone>> TimeZone::Load(const std::string& name,
                                                         const std::string& dir) {
  if (name.empty() || name.find("..") != std::string::npos || name[0] == '/') {
    return InvalidArgument("time zone name '" + name + "' is not a tz database name");
  }
  std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("time zone '" + name + "': cannot open " + path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const std::string& why) {
    return BadData("time zone file " + path + " is not a valid TZif file: " + why);
  };
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) return bad("no TZif magic");
  Reader r{data};
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = name;
  char version = data[4];
  r.pos = 20;
  int64_t cnt[6];
  for (auto& c : cnt) c = r.Be(4);
  // cnt: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  int time_bytes = 4;
  if (version >= '2') {
    size_t skip = static_cast<size_t>(cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 +
                                      cnt[1] + cnt[0]);
    r.Skip(skip);
    if (!r.Need(44) || data.compare(r.pos, 4, "TZif") != 0) return bad("no second header");
    r.pos += 20;
    for (auto& c : cnt) c = r.Be(4);
    time_bytes = 8;
  }
  if (!r.ok || cnt[4] < 1) return bad("truncated header");
  std::vector<int64_t> times(static_cast<size_t>(cnt[3]));
  for (auto& t : times) t = r.Be(time_bytes);
  std::vector<uint8_t> idx(static_cast<size_t>(cnt[3]));
  for (auto& x : idx) x = static_cast<uint8_t>(r.Be(1));
  std::vector<int32_t> type_off(static_cast<size_t>(cnt[4]));
  for (auto& o : type_off) {
    o = static_cast<int32_t>(r.Be(4));
    r.Skip(2);
  }
  r.Skip(static_cast<size_t>(cnt[5] + cnt[2] * (time_bytes + 4) + cnt[1] + cnt[0]));
  if (!r.ok) return bad("truncated data");
  for (uint8_t x : idx) {
    if (x >= type_off.size()) return bad("transition type out of range");
  }
  zone->initial_offset_ = type_off[0];
  zone->transitions_ = std::move(times);
  for (uint8_t x : idx) zone->offsets_after_.push_back(type_off[x]);
  if (version >= '2' && r.pos < data.size() && data[r.pos] == '\n') {
    size_t end = data.find('\n', r.pos + 1);
    if (end != std::string::npos) {
      std::string footer = data.substr(r.pos + 1, end - r.pos - 1);
      if (!footer.empty() && !zone->ParseFooter(footer)) zone->has_rule_ = false;
    }
  }
  return std::shared_ptr<const TimeZone>(std::move(zone));
}

StatusOr<std::shared_ptr<const TimeZone>> TimeZone::Find(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  auto z = Load(name);
  if (!z.ok()) return z.status();
  cache[name] = *z;
  return *z;
}

int32_t TimeZone::OffsetAt(int64_t utc) const {
  if (transitions_.empty() || utc < transitions_.front()) {
    if (transitions_.empty() && has_rule_) return RuleOffsetAt(utc);
    return initial_offset_;
  }
  if (utc >= transitions_.back() && has_rule_) {
    return RuleOffsetAt(utc);
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  return offsets_after_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

int64_t TimeZone::LocalToUtc(int64_t local) const {
  int32_t before = OffsetAt(local - 86400);
  int32_t after = OffsetAt(local + 86400);
  if (OffsetAt(local - before) == before) return local - before;
  if (OffsetAt(local - after) == after) return local - after;
  return local - before;
}

}  // namespace sf::market
