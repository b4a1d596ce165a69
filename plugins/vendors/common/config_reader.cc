// Strict config reading (see config_reader.h).
#include "common/config_reader.h"

#include <cstdlib>

#include "common/parse_util.h"
#include "signalforge/signalforge.hpp"

namespace sf::vendors {

using sf::sdk::Error;

ConfigReader::ConfigReader(const char* config_json, std::string who) : who_(std::move(who)) {
  const std::string_view text = config_json == nullptr ? std::string_view() : config_json;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    config_ = nlohmann::json::object();
    return;
  }
  config_ = nlohmann::json::parse(text, nullptr, false);
  if (config_.is_discarded() || !config_.is_object()) {
    throw Error(SF_ERR_INVALID_ARGUMENT, who_ + ": config must be a JSON object");
  }
}

void ConfigReader::Fail(const std::string& key, const std::string& rule) const {
  throw Error(SF_ERR_INVALID_ARGUMENT, who_ + ": config key '" + key + "' " + rule);
}

std::string ConfigReader::String(const std::string& key, const std::string& fallback) {
  read_.insert(key);
  if (!config_.contains(key) || config_[key].is_null()) return fallback;
  if (!config_[key].is_string()) Fail(key, "must be a string");
  return config_[key].get<std::string>();
}

int64_t ConfigReader::Int(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  read_.insert(key);
  if (!config_.contains(key) || config_[key].is_null()) return fallback;
  const auto& v = config_[key];
  if (!v.is_number_integer() && !v.is_number_unsigned()) Fail(key, "must be an integer");
  const int64_t n =
      v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX ? INT64_MAX : v.get<int64_t>();
  if (n < min || n > max) {
    Fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                  std::to_string(n) + ")");
  }
  return n;
}

bool ConfigReader::Bool(const std::string& key, bool fallback) {
  read_.insert(key);
  if (!config_.contains(key) || config_[key].is_null()) return fallback;
  if (!config_[key].is_boolean()) Fail(key, "must be true or false");
  return config_[key].get<bool>();
}

std::vector<std::string> ConfigReader::StringList(const std::string& key) {
  read_.insert(key);
  std::vector<std::string> out;
  if (!config_.contains(key) || config_[key].is_null()) return out;
  if (!config_[key].is_array()) Fail(key, "must be an array of strings");
  for (const auto& v : config_[key]) {
    if (!v.is_string()) Fail(key, "must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

void ConfigReader::Finish() {
  std::string unknown;
  for (const auto& [key, value] : config_.items()) {
    if (read_.count(key) == 0) unknown += (unknown.empty() ? "'" : ", '") + key + "'";
  }
  if (!unknown.empty()) {
    throw Error(SF_ERR_INVALID_ARGUMENT,
                who_ + ": unknown config key(s) " + unknown + " (see the plugin's README)");
  }
}

std::string ReadSecret(ConfigReader& config, const std::string& key) {
  std::string value = config.String(key, "");
  const std::string env = config.String(key + "_env", "");
  if (value.empty() && !env.empty()) {
    const char* from_env = std::getenv(env.c_str());
    if (from_env == nullptr || *from_env == '\0') {
      config.Fail(key + "_env", "names environment variable " + env + ", which is not set");
    }
    value = from_env;
  }
  return value;
}

}  // namespace sf::vendors
