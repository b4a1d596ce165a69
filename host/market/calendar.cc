// Trading calendars loaded from JSON (calendar.h).
#include "market/calendar.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace sf::market {

namespace {
constexpr int64_t kUsPerSec = 1'000'000;
constexpr int64_t kUsPerDay = 86'400 * kUsPerSec;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

bool ParseClock(const std::string& t, int32_t* secs) {
  if (t.size() != 5 || t[2] != ':' || !std::isdigit(static_cast<unsigned char>(t[0])) ||
      !std::isdigit(static_cast<unsigned char>(t[1])) ||
      !std::isdigit(static_cast<unsigned char>(t[3])) ||
      !std::isdigit(static_cast<unsigned char>(t[4]))) {
    return false;
  }
  int h = (t[0] - '0') * 10 + (t[1] - '0');
  int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return false;
  *secs = h * 3600 + m * 60;
  return true;
}

StatusOr<std::shared_ptr<const TradingCalendar>> TradingCalendar::FromJson(
    const nlohmann::json& doc, const std::string& source) {
  auto bad = [&](const std::string& what) {
    return InvalidArgument("calendar " + source + ": " + what);
  };
  if (!doc.is_object()) return bad("must be a JSON object");
  auto cal = std::make_shared<TradingCalendar>();
  auto str = [&](const char* key, std::string* out) -> bool {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  if (!str("name", &cal->name_) || cal->name_.empty()) return bad("'name' must be a non-empty string");
  std::string kind = "sessions";
  if (doc.contains("kind") && !str("kind", &kind)) return bad("'kind' must be a string");
  if (kind != "sessions" && kind != "continuous") {
    return bad("'kind' is '" + kind + "'; use \"sessions\" or \"continuous\"");
  }
  cal->continuous_ = kind == "continuous";
  if (auto it = doc.find("exchanges"); it != doc.end()) {
    if (!it->is_array()) return bad("'exchanges' must be an array of strings");
    for (const auto& e : *it) {
      if (!e.is_string()) return bad("'exchanges' must be an array of strings");
      cal->exchanges_.push_back(e.get<std::string>());
    }
  }
  std::string tz = "UTC";
  if (doc.contains("timezone") && !str("timezone", &tz)) return bad("'timezone' must be a string");
  auto zone = TimeZone::Find(tz);
  if (!zone.ok()) return bad("'timezone': " + zone.status().message());
  cal->zone_ = *zone;
  if (cal->continuous_) return std::shared_ptr<const TradingCalendar>(cal);

  std::string open, close;
  if (!str("open", &open) || !ParseClock(open, &cal->open_secs_)) {
    return bad("'open' must be a local time \"HH:MM\"");
  }
  if (!str("close", &close) || !ParseClock(close, &cal->close_secs_)) {
    return bad("'close' must be a local time \"HH:MM\"");
  }
  if (cal->close_secs_ <= cal->open_secs_) return bad("'close' must be after 'open'");
  static const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  if (auto it = doc.find("weekdays"); it != doc.end()) {
    if (!it->is_array() || it->empty()) return bad("'weekdays' must be a non-empty array like [\"mon\",\"fri\"]");
    cal->weekday_mask_ = 0;
    for (const auto& w : *it) {
      std::string name = w.is_string() ? Lower(w.get<std::string>()) : "";
      auto pos = std::find(std::begin(kDays), std::end(kDays), name);
      if (pos == std::end(kDays)) return bad("'weekdays' entry " + w.dump() + " is not one of sun..sat");
      cal->weekday_mask_ |= static_cast<uint8_t>(1u << (pos - std::begin(kDays)));
    }
  }
  std::string from = "1970-01-01", to = "9999-12-31";
  if (doc.contains("valid_from") && (!str("valid_from", &from) || !ParseDate(from, &cal->valid_from_))) {
    return bad("'valid_from' must be a date YYYY-MM-DD");
  } else if (!doc.contains("valid_from")) {
    ParseDate(from, &cal->valid_from_);
  }
  if (doc.contains("valid_to") && (!str("valid_to", &to) || !ParseDate(to, &cal->valid_to_))) {
    return bad("'valid_to' must be a date YYYY-MM-DD");
  } else if (!doc.contains("valid_to")) {
    ParseDate(to, &cal->valid_to_);
  }
  if (auto it = doc.find("holidays"); it != doc.end()) {
    if (!it->is_array()) return bad("'holidays' must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const auto& h = (*it)[i];
      int64_t day = 0;
      std::string where = "holidays[" + std::to_string(i) + "]";
      if (!h.is_object() || !h.contains("date") || !h["date"].is_string() ||
          !ParseDate(h["date"].get<std::string>(), &day)) {
        return bad(where + ".date must be a date YYYY-MM-DD");
      }
      cal->holidays_[day] = h.value("name", std::string("holiday"));
    }
  }
  if (auto it = doc.find("early_closes"); it != doc.end()) {
    if (!it->is_array()) return bad("'early_closes' must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const auto& h = (*it)[i];
      int64_t day = 0;
      int32_t secs = 0;
      std::string where = "early_closes[" + std::to_string(i) + "]";
      if (!h.is_object() || !h.contains("date") || !h["date"].is_string() ||
          !ParseDate(h["date"].get<std::string>(), &day)) {
        return bad(where + ".date must be a date YYYY-MM-DD");
      }
      if (!h.contains("close") || !h["close"].is_string() ||
          !ParseClock(h["close"].get<std::string>(), &secs) || secs <= cal->open_secs_) {
        return bad(where + ".close must be a local time \"HH:MM\" after the open");
      }
      cal->early_closes_[day] = secs;
    }
  }
  return std::shared_ptr<const TradingCalendar>(cal);
}

StatusOr<std::shared_ptr<const TradingCalendar>> TradingCalendar::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("calendar file " + path + " cannot be opened");
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("calendar " + path + ": not valid JSON");
  return FromJson(doc, path);
}

int64_t TradingCalendar::LocalDay(int64_t ts_us) const {
  int64_t secs = FloorDiv(ts_us, kUsPerSec);
  int64_t off = continuous_ ? 0 : zone_->OffsetAt(secs);
  return FloorDiv(secs + off, 86400);
}

std::optional<Session> TradingCalendar::SessionOn(int64_t day) const {
  if (continuous_) return Session{day, day * kUsPerDay, (day + 1) * kUsPerDay, false};
  if (!(weekday_mask_ & (1u << WeekdayFromDays(day)))) return std::nullopt;
  bool in_range = day >= valid_from_ && day <= valid_to_;
  if (in_range && holidays_.count(day)) return std::nullopt;
  int32_t close = close_secs_;
  bool early = false;
  if (in_range) {
    if (auto it = early_closes_.find(day); it != early_closes_.end()) {
      close = it->second;
      early = true;
    }
  }
  Session s;
  s.day = day;
  s.open_us = zone_->LocalToUtc(day * 86400 + open_secs_) * kUsPerSec;
  s.close_us = zone_->LocalToUtc(day * 86400 + close) * kUsPerSec;
  s.early_close = early;
  return s;
}

std::optional<Session> TradingCalendar::SessionAt(int64_t ts) const {
  auto s = SessionOn(LocalDay(ts));
  if (s && s->open_us <= ts && ts < s->close_us) return s;
  return std::nullopt;
}

Session TradingCalendar::NextSession(int64_t ts) const {
  int64_t day = LocalDay(ts);
  for (int i = 0; i < 400; ++i) {
    auto s = SessionOn(day + i);
    if (s && s->close_us > ts) return *s;
  }
  return Session{day, ts, ts, false};  // unreachable with a non-empty weekday mask
}

std::vector<Session> TradingCalendar::SessionsBetween(int64_t from, int64_t to) const {
  std::vector<Session> out;
  if (to <= from) return out;
  for (int64_t d = LocalDay(from); d <= LocalDay(to); ++d) {
    auto s = SessionOn(d);
    if (s && s->close_us > from && s->close_us <= to) out.push_back(*s);
  }
  return out;
}

std::string TradingCalendar::HolidayName(int64_t day) const {
  auto it = holidays_.find(day);
  return it == holidays_.end() ? std::string() : it->second;
}

std::optional<int64_t> TradingCalendar::BucketEnd(int64_t bar_end, Timeframe tf) const {
  const int64_t len = TimeframeMicros(tf);
  const int64_t t = bar_end - 1;
  if (continuous_) return FloorDiv(t, len) * len + len;
  auto s = SessionAt(t);
  if (!s) return std::nullopt;
  if (tf == Timeframe::k1d) return s->close_us;
  int64_t k = (t - s->open_us) / len;
  return std::min(s->open_us + (k + 1) * len, s->close_us);
}

std::vector<int64_t> TradingCalendar::ExpectedBarEnds(Timeframe tf, int64_t from, int64_t to) const {
  std::vector<int64_t> out;
  if (to <= from) return out;
  const int64_t len = TimeframeMicros(tf);
  if (continuous_) {
    for (int64_t e = FloorDiv(from, len) * len + len; e <= to; e += len) out.push_back(e);
    return out;
  }
  for (int64_t d = LocalDay(from); d <= LocalDay(to); ++d) {
    auto s = SessionOn(d);
    if (!s) continue;
    if (tf == Timeframe::k1d) {
      if (s->close_us > from && s->close_us <= to) out.push_back(s->close_us);
      continue;
    }
    for (int64_t e = s->open_us + len;; e += len) {
      int64_t end = std::min(e, s->close_us);
      if (end > from && end <= to) out.push_back(end);
      if (end >= s->close_us) break;
    }
  }
  return out;
}

StatusOr<CalendarSet> CalendarSet::LoadDirectory(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFound("calendar directory " + dir + " does not exist");
  }
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  CalendarSet set;
  for (const auto& f : files) {
    auto cal = TradingCalendar::LoadFile(f);
    if (!cal.ok()) return cal.status();
    set.Add(*cal);
  }
  return set;
}

void CalendarSet::Add(std::shared_ptr<const TradingCalendar> cal) {
  by_name_[Lower(cal->name())] = std::move(cal);
}

std::shared_ptr<const TradingCalendar> CalendarSet::Find(const std::string& name) const {
  auto it = by_name_.find(Lower(name));
  return it == by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<const TradingCalendar> CalendarSet::ForExchange(const std::string& exchange) const {
  std::string want = Lower(exchange);
  for (const auto& [name, cal] : by_name_) {
    for (const auto& e : cal->exchanges()) {
      if (Lower(e) == want) return cal;
    }
  }
  return Find(exchange);
}

std::vector<std::string> CalendarSet::names() const {
  std::vector<std::string> out;
  for (const auto& [n, c] : by_name_) out.push_back(n);
  return out;
}

}  // namespace sf::market
