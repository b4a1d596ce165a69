// The binary form of a range evaluation's output (StrategyVm::EvalRange ->
// StrategyRuntime::EvaluateRange). A backtest's worker reply holds every
// intent of a chunk of bars; as JSON, encoding and parsing them cost more
// than evaluating the strategy. This is a flat little-endian record stream
// both ends of the socketpair share (one machine, one build):
//
//   bar:    i64 ts, u32 intents, u32 rejected, u32 errors, u32 logs, then
//   intent: str symbol, u8 side (0 buy, 1 sell), f64 confidence, entry,
//           target, stop, i32 expiry_bars, str summary, str features (the
//           JSON object text, empty when the intent has none)
//   rejected / error: str symbol, str message;   log: str line
//   str:    u32 byte length, then the bytes
//
// Strings are made valid UTF-8 by the writer (invalid sequences become
// U+FFFD, as the JSON replies do), so what a strategy returns reaches the
// host, the database and the API in the same form on both paths. The reader
// checks every length against the buffer: a reply that does not parse is
// refused whole, never read past its end.
//
// Thread-safety: none; values are used by one thread.
#ifndef SF_LUA_RANGE_WIRE_H_
#define SF_LUA_RANGE_WIRE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace sf::lua {

// A validated intent as the worker collected it.
struct WireIntent {
  std::string symbol;
  bool buy = true;
  double confidence = 0, entry = 0, target = 0, stop = 0;
  int expiry_bars = 0;
  std::string summary;
  nlohmann::json features;  // an object, or null when the intent gave none
};

// What one evaluation of a bar's batch produced.
struct BatchOutput {
  std::vector<WireIntent> intents;
  std::vector<std::pair<std::string, std::string>> rejected;  // symbol, reason
  std::vector<std::pair<std::string, std::string>> errors;    // symbol, message
  std::vector<std::string> logs;
  bool empty() const { return intents.empty() && rejected.empty() && errors.empty() && logs.empty(); }
  void clear();
};

// `s` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view s);

// Appends one bar's output to `out`.
void AppendRangeBar(int64_t ts, const BatchOutput& batch, std::string* out);

// Calls `bar` for each record of `wire`, in order. BadData (naming the
// offset) when the buffer is not a whole sequence of records.
Status ReadRangeBars(std::string_view wire,
                     const std::function<void(int64_t ts, BatchOutput& batch)>& bar);

}  // namespace sf::lua

#endif  // SF_LUA_RANGE_WIRE_H_
