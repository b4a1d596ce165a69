// Logging for the whole host, through spdlog: one console sink (stderr, so
// stdout stays clean for command output such as `plugins --json`) shared by
// a logger per room. Two formats:
//   text: "2026-11-20 23:40:01.123 info  [store] migrated to version 3"
//   json: one object per line {"ts","level","logger","msg"} for collectors.
//
//   auto log = sf::base::Logger("store");
//   log->info("migrated to version {}", v);
//
// Thread-safety: Logger() and ConfigureLogging() may be called from any
// thread; loggers are thread-safe (the sink is the _mt variant).
#ifndef SF_BASE_LOGGING_H_
#define SF_BASE_LOGGING_H_

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sf::base {

// The named logger ("app", "plugins", "store"...), created on first use with
// the current format and level.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

// format: "text" | "json"; level: trace|debug|info|warn|error|critical|off.
// Applies to every logger, existing and future. Unknown names are refused.
Status ConfigureLogging(std::string_view format, std::string_view level);

// Parses a level name (as in ConfigureLogging).
StatusOr<spdlog::level::level_enum> ParseLogLevel(std::string_view level);

// The formatter used for "json": exposed for tests.
std::unique_ptr<spdlog::formatter> MakeJsonFormatter();

}  // namespace sf::base

#endif  // SF_BASE_LOGGING_H_
