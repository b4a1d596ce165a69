#include "base/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace sf::base {

namespace {

constexpr const char* kTextPattern = "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v";

std::mutex& Mutex() {
  static std::mutex m;
  return m;
}

std::shared_ptr<spdlog::sinks::sink> ConsoleSink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return sink;
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since = msg.time.time_since_epoch();
    const std::time_t secs = duration_cast<seconds>(since).count();
    const auto millis = duration_cast<milliseconds>(since).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[80];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
    // The names ConfigureLogging() accepts, so filters and config agree.
    static const char* const kNames[] = {"trace", "debug",    "info", "warn",
                                         "error", "critical", "off"};
    const char* level = kNames[static_cast<int>(msg.level) % 7];
    nlohmann::json line = {
        {"ts", ts},
        {"level", level},
        {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> MakeJsonFormatter() { return std::make_unique<JsonFormatter>(); }

StatusOr<spdlog::level::level_enum> ParseLogLevel(std::string_view level) {
  using spdlog::level::level_enum;
  static const std::pair<const char*, level_enum> kLevels[] = {
      {"trace", level_enum::trace}, {"debug", level_enum::debug},
      {"info", level_enum::info},   {"warn", level_enum::warn},
      {"error", level_enum::err},   {"critical", level_enum::critical},
      {"off", level_enum::off}};
  for (const auto& [name, value] : kLevels)
    if (level == name) return value;
  return InvalidArgument("unknown log level \"" + std::string(level) +
                         "\" (use trace, debug, info, warn, error, critical or off)");
}

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  std::lock_guard lock(Mutex());
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, ConsoleSink());
  spdlog::initialize_logger(logger);  // registers it with the current formatter and level
  return logger;
}

Status ConfigureLogging(std::string_view format, std::string_view level) {
  auto parsed = ParseLogLevel(level);
  if (!parsed.ok()) return parsed.status();
  std::unique_ptr<spdlog::formatter> formatter;
  if (format == "json") {
    formatter = MakeJsonFormatter();
  } else if (format == "text") {
    formatter = std::make_unique<spdlog::pattern_formatter>(kTextPattern);
  } else {
    return InvalidArgument("unknown log format \"" + std::string(format) + "\" (use text or json)");
  }
  std::lock_guard lock(Mutex());
  // The default logger writes through the same sink, so libraries logging
  // via spdlog::info() end up in the same stream and format.
  static const bool default_set = [] {
    auto fallback = std::make_shared<spdlog::logger>("signalforge", ConsoleSink());
    spdlog::set_default_logger(fallback);
    return true;
  }();
  (void)default_set;
  spdlog::set_formatter(std::move(formatter));
  spdlog::set_level(*parsed);
  return Status::Ok();
}

}  // namespace sf::base
