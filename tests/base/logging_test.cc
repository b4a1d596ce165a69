// sf::base logging: the JSON line format, per-room loggers, configuration.
#include "base/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace {

using nlohmann::json;

TEST(Logging, JsonFormatterWritesOneParsableObjectPerLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(sf::base::MakeJsonFormatter());
  spdlog::logger logger("store", sink);
  logger.info("migrated to version {}", 3);
  logger.warn("quote \" backslash \\ newline \n tab \t done");
  std::istringstream lines(out.str());
  std::string line;
  std::vector<json> parsed;
  while (std::getline(lines, line)) parsed.push_back(json::parse(line));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0]["level"], "info");
  EXPECT_EQ(parsed[0]["logger"], "store");
  EXPECT_EQ(parsed[0]["msg"], "migrated to version 3");
  EXPECT_EQ(parsed[1]["level"], "warn");
  EXPECT_EQ(parsed[1]["msg"], "quote \" backslash \\ newline \n tab \t done");
  const std::string ts = parsed[0]["ts"];
  ASSERT_EQ(ts.size(), 24u) << ts;  // 2026-11-20T23:40:01.123Z
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
}

TEST(Logging, InvalidUtf8DoesNotBreakTheLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(sf::base::MakeJsonFormatter());
  spdlog::logger logger("x", sink);
  logger.error("bad \xff byte");
  EXPECT_EQ(json::parse(out.str())["msg"], "bad \xef\xbf\xbd byte");
}

TEST(Logging, OneLoggerPerNameSharingLevel) {
  auto a = sf::base::Logger("room_a");
  EXPECT_EQ(a, sf::base::Logger("room_a"));
  EXPECT_EQ(a->name(), "room_a");
  ASSERT_TRUE(sf::base::ConfigureLogging("json", "warn").ok());
  EXPECT_EQ(a->level(), spdlog::level::warn);
  EXPECT_EQ(sf::base::Logger("room_b")->level(), spdlog::level::warn);  // created later
  ASSERT_TRUE(sf::base::ConfigureLogging("text", "debug").ok());
  EXPECT_EQ(a->level(), spdlog::level::debug);
  ASSERT_TRUE(sf::base::ConfigureLogging("text", "info").ok());
}

TEST(Logging, UnknownFormatOrLevelIsRefused) {
  auto st = sf::base::ConfigureLogging("xml", "info");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "unknown log format \"xml\" (use text or json)");
  st = sf::base::ConfigureLogging("text", "loud");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unknown log level \"loud\""), std::string::npos);
  EXPECT_EQ(*sf::base::ParseLogLevel("error"), spdlog::level::err);
}

}  // namespace
