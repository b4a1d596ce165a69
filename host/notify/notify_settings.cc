#include "notify/notify_settings.h"

#include <algorithm>

namespace sf::notify {
namespace {

Status ReadInt(const nlohmann::json& s, const char* key, int lo, int hi, int* out) {
  auto it = s.find(key);
  if (it == s.end()) return Status::Ok();
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi)
    return InvalidArgument(std::string("notify.") + key + " must be a whole number in " +
                           std::to_string(lo) + ".." + std::to_string(hi));
  *out = it->get<int>();
  return Status::Ok();
}

}  // namespace

std::vector<std::chrono::milliseconds> DefaultRetrySchedule() {
  using std::chrono::milliseconds;
  std::vector<milliseconds> out;
  for (int64_t s : {0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400})
    out.push_back(milliseconds(s * 1000));
  return out;
}

bool NotifySettings::TierAllows(const std::string& tier, const std::string& channel) const {
  auto it = tiers.find(tier);
  if (it == tiers.end()) return false;
  for (const auto& c : it->second)
    if (c == "*" || c == channel) return true;
  return false;
}

StatusOr<NotifySettings> ParseNotifySettings(const nlohmann::json& section) {
  NotifySettings s;
  s.schedule = DefaultRetrySchedule();
  // Issue 8: alerts are premium and above; premium alerts go by e-mail,
  // Telegram and the chat incoming webhooks (Slack, Discord: messages to a
  // person, not machine-to-machine); raw webhooks are pro.
  s.tiers = {{"free", {}},
             {"premium", {"log", "email", "telegram", "slack", "discord"}},
             {"pro", {"*"}},
             {"admin", {"*"}}};
  if (section.is_null()) return s;
  if (!section.is_object()) return InvalidArgument("notify must be an object");
  if (auto it = section.find("enabled"); it != section.end()) {
    if (!it->is_boolean()) return InvalidArgument("notify.enabled must be true or false");
    s.enabled = it->get<bool>();
  }
  SF_RETURN_IF_ERROR(ReadInt(section, "threads", 1, 256, &s.threads));
  SF_RETURN_IF_ERROR(ReadInt(section, "batch", 1, 1000, &s.batch));
  SF_RETURN_IF_ERROR(ReadInt(section, "max_per_destination", 1, 256, &s.max_per_destination));
  int lease = static_cast<int>(s.lease.count()), poll = static_cast<int>(s.poll.count());
  SF_RETURN_IF_ERROR(ReadInt(section, "lease_ms", 100, 3600000, &lease));
  SF_RETURN_IF_ERROR(ReadInt(section, "poll_ms", 10, 600000, &poll));
  s.lease = std::chrono::milliseconds(lease);
  s.poll = std::chrono::milliseconds(poll);
  if (auto it = section.find("jitter"); it != section.end()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 0.9)
      return InvalidArgument("notify.jitter must be a number in 0..0.9");
    s.jitter = it->get<double>();
  }
  if (auto it = section.find("retry_schedule_s"); it != section.end()) {
    if (!it->is_array() || it->empty() || it->size() > 50)
      return InvalidArgument("notify.retry_schedule_s must be an array of 1..50 waits in seconds");
    s.schedule.clear();
    for (const auto& v : *it) {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 7 * 86400)
        return InvalidArgument(
            "notify.retry_schedule_s: every wait must be a number of seconds in 0..604800");
      s.schedule.push_back(std::chrono::milliseconds(static_cast<int64_t>(v.get<double>() * 1000)));
    }
  }
  if (auto it = section.find("tiers"); it != section.end()) {
    if (!it->is_object()) return InvalidArgument("notify.tiers must map tier -> [channels]");
    for (const auto& [tier, channels] : it->items()) {
      if (!channels.is_array())
        return InvalidArgument("notify.tiers." + tier + " must be an array of channel ids");
      std::vector<std::string> list;
      for (const auto& c : channels) {
        if (!c.is_string())
          return InvalidArgument("notify.tiers." + tier + " must hold channel ids (strings)");
        list.push_back(c.get<std::string>());
      }
      s.tiers[tier] = std::move(list);
    }
  }
  if (auto it = section.find("channels"); it != section.end()) {
    if (!it->is_object()) return InvalidArgument("notify.channels must map channel -> config");
    for (const auto& [name, cfg] : it->items()) {
      if (!cfg.is_object())
        return InvalidArgument("notify.channels." + name + " must be an object");
    }
    s.channels = *it;
  }
  return s;
}

}  // namespace sf::notify
