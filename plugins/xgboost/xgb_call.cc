#include "xgb_call.h"

#include <cinttypes>
#include <cstdio>

namespace sf::xgb {

std::string DenseInterface(const double* data, int64_t rows, int64_t cols) {
  char buf[160];
  const int n = std::snprintf(buf, sizeof buf,
                              "{\"data\":[%" PRIuPTR ",true],\"shape\":[%" PRId64 ",%" PRId64
                              "],\"typestr\":\"<f8\",\"version\":3}",
                              reinterpret_cast<uintptr_t>(data), rows, cols);
  return std::string(buf, static_cast<size_t>(n));
}

namespace {
void LogFromXgboost(const char* message) {
  sf::sdk::Log(SF_LOG_WARN, kPluginId, std::string("xgboost: ") + message);
}
}  // namespace

void InstallLogCallback() { XGBRegisterLogCallback(&LogFromXgboost); }

}  // namespace sf::xgb
