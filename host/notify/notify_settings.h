// The "notify" section of the configuration (schemas/config.schema.json),
// read into values with the defaults the issue asks for:
//
//   "notify": {
//     "enabled": true,
//     "threads": 8,                 // concurrent sends per worker process
//     "batch": 64,                  // rows per claim
//     "lease_ms": 120000,           // > the slowest notifier's timeout
//     "poll_ms": 1000,              // fallback when no NOTIFY arrives
//     "max_per_destination": 4,     // concurrent sends to one endpoint
//     "retry_schedule_s": [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
//     "jitter": 0.2,                // +-20 % on every wait but the first
//     "tiers": {"free": [], "premium": ["log", "email", "telegram", "slack",
//               "discord"], "pro": ["*"], "admin": ["*"]},  // issue 8
//     "channels": {"webhook": {...}, "email": {...}, "telegram": {...}}
//   }
//
// retry_schedule_s[k] is the wait before attempt k+1 (so [0] is the first
// attempt, normally immediate); a delivery whose last scheduled attempt
// failed is dead.
//
// Thread-safety: a value type.
#ifndef SF_NOTIFY_NOTIFY_SETTINGS_H_
#define SF_NOTIFY_NOTIFY_SETTINGS_H_

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace sf::notify {

struct NotifySettings {
  bool enabled = true;
  int threads = 8;
  int batch = 64;
  std::chrono::milliseconds lease{120000};
  std::chrono::milliseconds poll{1000};
  int max_per_destination = 4;
  std::vector<std::chrono::milliseconds> schedule;  // see header comment
  double jitter = 0.2;
  // tier -> channels it may use; "*" means every channel.
  std::map<std::string, std::vector<std::string>> tiers;
  nlohmann::json channels = nlohmann::json::object();  // notifier id -> its config

  // Whether `tier` may use `channel`.
  bool TierAllows(const std::string& tier, const std::string& channel) const;
};

// The default retry schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h, 14 h, 20 h, 24 h.
std::vector<std::chrono::milliseconds> DefaultRetrySchedule();

// Reads the section (absent keys keep their defaults); the error names the
// key and the rule.
StatusOr<NotifySettings> ParseNotifySettings(const nlohmann::json& section);

}  // namespace sf::notify

#endif  // SF_NOTIFY_NOTIFY_SETTINGS_H_
