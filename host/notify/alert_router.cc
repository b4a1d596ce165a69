#include "notify/alert_router.h"

#include <cstdio>
#include <ctime>

#include "market/time_zone.h"
#include "store/instruments_repository.h"

namespace sf::notify {
namespace {

bool ListHas(const nlohmann::json& list, const std::string& v) {
  for (const auto& e : list)
    if (e.is_string() && e.get<std::string>() == v) return true;
  return false;
}

bool ListHasIgnoreCase(const nlohmann::json& list, const std::string& v) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::string lv = lower(v);
  for (const auto& e : list)
    if (e.is_string() && lower(e.get<std::string>()) == lv) return true;
  return false;
}

int MinutesOf(const std::string& hhmm) {
  int h = 0, m = 0;
  if (std::sscanf(hhmm.c_str(), "%d:%d", &h, &m) != 2) return -1;
  return h * 60 + m;
}

void PutOptional(nlohmann::json& j, const char* key, const std::optional<double>& v) {
  j[key] = v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace

std::string IsoUtc(int64_t micros);

namespace {

// The fields every signal event carries.
nlohmann::json CorePayload(const std::string& strategy, const std::string& symbol,
                           const std::string& side, const std::string& timeframe, double entry,
                           double current, double confidence, int64_t now_us) {
  return {{"strategy", strategy},       {"symbol", symbol},
          {"side", side},               {"timeframe", timeframe},
          {"entry_price", entry},       {"current_price", current},
          {"confidence", confidence},   {"occurred_at", IsoUtc(now_us)}};
}

}  // namespace

std::string IsoUtc(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1'000'000);
  int64_t frac = micros % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

bool AlertRouter::FiltersMatch(const nlohmann::json& f, const SignalFacts& facts) {
  if (!f.is_object()) return true;
  if (auto it = f.find("strategies"); it != f.end() && !ListHas(*it, facts.strategy)) return false;
  if (auto it = f.find("symbols"); it != f.end() && !ListHasIgnoreCase(*it, facts.symbol))
    return false;
  if (auto it = f.find("sectors"); it != f.end()) {
    if (!facts.sector || !ListHasIgnoreCase(*it, *facts.sector)) return false;
  }
  if (auto it = f.find("sides"); it != f.end() && !ListHas(*it, facts.side)) return false;
  if (auto it = f.find("min_confidence"); it != f.end() && it->is_number() &&
      facts.confidence < it->get<double>())
    return false;
  return true;
}

bool AlertRouter::InQuietHours(const std::optional<std::string>& start,
                               const std::optional<std::string>& end,
                               const std::string& timezone, int64_t now_us) {
  if (!start || !end) return false;
  int from = MinutesOf(*start), to = MinutesOf(*end);
  if (from < 0 || to < 0 || from == to) return false;
  int64_t secs = now_us / 1'000'000;
  int32_t offset = 0;
  auto tz = market::TimeZone::Find(timezone.empty() ? "UTC" : timezone);
  if (tz.ok()) offset = (*tz)->OffsetAt(secs);
  int64_t local = secs + offset;
  int minute = static_cast<int>(((local % 86400) + 86400) % 86400 / 60);
  if (from < to) return minute >= from && minute < to;
  return minute >= from || minute < to;  // wraps midnight
}

std::optional<int64_t> AlertRouter::QuietHoursEnd(const std::optional<std::string>& start,
                                                  const std::optional<std::string>& end,
                                                  const std::string& timezone, int64_t now_us) {
  if (!InQuietHours(start, end, timezone, now_us)) return std::nullopt;
  const int to = MinutesOf(*end);
  const int64_t secs = now_us / 1'000'000;
  auto tz = market::TimeZone::Find(timezone.empty() ? "UTC" : timezone);
  const int64_t local = secs + (tz.ok() ? (*tz)->OffsetAt(secs) : 0);
  int64_t day = local - (((local % 86400) + 86400) % 86400);
  // The end is today or tomorrow in local time; LocalToUtc handles a DST
  // change in between (a skipped local time maps past the gap).
  for (int i = 0; i < 3; ++i, day += 86400) {
    int64_t local_end = day + int64_t{to} * 60;
    int64_t utc_end = tz.ok() ? (*tz)->LocalToUtc(local_end) : local_end;
    if (utc_end > secs) return utc_end * 1'000'000;
  }
  return std::nullopt;
}

nlohmann::json AlertRouter::SignalPayload(const store::NewSignal& s, const std::string& strategy,
                                          int64_t now_us) {
  nlohmann::json p = CorePayload(strategy, s.symbol, s.side,
                                 std::string(market::TimeframeName(s.timeframe)), s.entry_price,
                                 s.current_price, s.confidence, now_us);
  p["bar_time"] = IsoUtc(s.bar_ts);
  p["summary"] = s.summary;
  PutOptional(p, "target_price", s.target_price);
  PutOptional(p, "stop_price", s.stop_price);
  PutOptional(p, "risk_reward", s.risk_reward);
  PutOptional(p, "position_size_pct", s.position_size_pct);
  p["expires_at"] = s.expires_at ? nlohmann::json(IsoUtc(*s.expires_at)) : nlohmann::json();
  return p;
}

nlohmann::json AlertRouter::TestPayload(const store::AlertSubscription& sub, int64_t now_us) {
  return {{"test", true},
          {"subscription_id", sub.id},
          {"kind", sub.kind},
          {"channel", sub.channel},
          {"summary", "This is a test alert from Signalforge; your destination works."},
          {"symbol", "TEST"},
          {"side", "buy"},
          {"entry_price", 100.0},
          {"target_price", 110.0},
          {"stop_price", 95.0},
          {"confidence", 0.75},
          {"occurred_at", IsoUtc(now_us)}};
}

StatusOr<std::vector<store::AlertMatch>> AlertRouter::Matching(const std::string& kind,
                                                               SignalFacts facts) const {
  store::AlertsRepository alerts(pool_);
  auto rules = alerts.ActiveForKind(kind);
  if (!rules.ok()) return rules.status();
  bool needs_sector = false;
  for (const auto& m : *rules) needs_sector |= m.subscription.filters.contains("sectors");
  if (needs_sector && !facts.sector) {
    store::InstrumentsRepository instruments(pool_);
    auto inst = instruments.FindBySymbol(facts.symbol);
    if (inst.ok()) facts.sector = inst->sector;
  }
  std::vector<store::AlertMatch> out;
  for (auto& m : *rules) {
    const auto& sub = m.subscription;
    if (!settings_.TierAllows(m.tier, sub.channel)) continue;
    if (channels_ != nullptr && !channels_->Has(sub.channel)) continue;
    if (!FiltersMatch(sub.filters, facts)) continue;
    out.push_back(std::move(m));
  }
  return out;
}

StatusOr<std::vector<store::OutboxItem>> AlertRouter::ForNewSignal(const store::NewSignal& signal,
                                                                   const std::string& strategy,
                                                                   int64_t now_us) const {
  SignalFacts facts{strategy, signal.symbol, std::nullopt, signal.side, signal.confidence};
  auto matches = Matching("new_signal", facts);
  if (!matches.ok()) return matches.status();
  nlohmann::json payload = SignalPayload(signal, strategy, now_us);
  std::vector<store::OutboxItem> out;
  out.reserve(matches->size());
  for (const auto& m : *matches) {
    store::OutboxItem item;
    item.event_type = "signal.created";
    item.subscription_id = m.subscription.id;
    item.channel = m.subscription.channel;
    item.destination = m.subscription.destination;
    item.payload = payload;
    out.push_back(std::move(item));
  }
  return out;
}

StatusOr<std::vector<store::NewDelivery>> AlertRouter::ForSignalUpdate(
    const store::StoredSignal& signal, const std::string& strategy, const std::string& event_type,
    int64_t now_us) const {
  if (event_type != "signal.closed" && event_type != "signal.updated")
    return InvalidArgument("event_type \"" + event_type +
                           "\" must be signal.closed or signal.updated");
  SignalFacts facts{strategy, signal.symbol, std::nullopt, signal.side, signal.confidence};
  auto matches = Matching("signal_update", facts);
  if (!matches.ok()) return matches.status();
  nlohmann::json payload =
      CorePayload(strategy, signal.symbol, signal.side, signal.timeframe, signal.entry_price,
                  signal.current_price, signal.confidence, now_us);
  payload["signal_id"] = signal.id;
  payload["status"] = signal.status;
  PutOptional(payload, "target_price", signal.target_price);
  PutOptional(payload, "stop_price", signal.stop_price);
  PutOptional(payload, "exit_price", signal.exit_price);
  PutOptional(payload, "realized_pnl_pct", signal.realized_pnl_pct);
  std::vector<store::NewDelivery> out;
  for (const auto& m : *matches) {
    store::NewDelivery d;
    d.idempotency_key =
        signal.id + ":" + event_type + ":" + std::to_string(m.subscription.id);
    d.event_type = event_type;
    d.signal_id = signal.id;
    d.subscription_id = m.subscription.id;
    d.channel = m.subscription.channel;
    d.destination = m.subscription.destination;
    d.payload = payload;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace sf::notify
