// Timeframe names and lengths for the in-memory bar series (bar_series.h).
#include "market/bar_series.h"

namespace sf::market {

std::string_view TimeframeName(Timeframe tf) {
  switch (tf) {
    case Timeframe::k1m: return "1m";
    case Timeframe::k5m: return "5m";
    case Timeframe::k15m: return "15m";
    case Timeframe::k1h: return "1h";
    case Timeframe::k4h: return "4h";
    case Timeframe::k1d: return "1d";
  }
  return "1d";
}

std::optional<Timeframe> ParseTimeframe(std::string_view name) {
  if (name == "1m") return Timeframe::k1m;
  if (name == "5m") return Timeframe::k5m;
  if (name == "15m") return Timeframe::k15m;
  if (name == "1h") return Timeframe::k1h;
  if (name == "4h") return Timeframe::k4h;
  if (name == "1d") return Timeframe::k1d;
  return std::nullopt;
}

int64_t TimeframeMicros(Timeframe tf) {
  constexpr int64_t kMinute = 60'000'000;
  switch (tf) {
    case Timeframe::k1m: return kMinute;
    case Timeframe::k5m: return 5 * kMinute;
    case Timeframe::k15m: return 15 * kMinute;
    case Timeframe::k1h: return 60 * kMinute;
    case Timeframe::k4h: return 240 * kMinute;
    case Timeframe::k1d: return 1440 * kMinute;
  }
  return 1440 * kMinute;
}

}  // namespace sf::market
