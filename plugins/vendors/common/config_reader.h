// Strict JSON config reading for provider plugins: typed getters with
// defaults and ranges, and a final check that refuses unknown (misspelt) keys
// by name. Errors are sf::sdk::Error(SF_ERR_INVALID_ARGUMENT) naming the
// plugin component, the key and the rule. Not thread-safe; use during create.
#ifndef SF_VENDORS_COMMON_CONFIG_READER_H_
#define SF_VENDORS_COMMON_CONFIG_READER_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace sf::vendors {

// Reads a JSON config object; remembers which keys were read so Finish()
// can refuse unknown (misspelt) keys by name.
class ConfigReader {
 public:
  ConfigReader(const char* config_json, std::string who);
  std::string String(const std::string& key, const std::string& fallback);
  int64_t Int(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  bool Bool(const std::string& key, bool fallback);
  std::vector<std::string> StringList(const std::string& key);
  // Throws SF_ERR_INVALID_ARGUMENT naming every key that was never read.
  void Finish();
  [[noreturn]] void Fail(const std::string& key, const std::string& rule) const;

 private:
  nlohmann::json config_;
  std::string who_;
  std::set<std::string> read_;
};

// Reads a secret from config key `key`, or from the environment variable
// named by `key` + "_env" when the key itself is absent.
std::string ReadSecret(ConfigReader& config, const std::string& key);

}  // namespace sf::vendors

#endif  // SF_VENDORS_COMMON_CONFIG_READER_H_
