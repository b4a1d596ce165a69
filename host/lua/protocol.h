// The wire between the host and a Lua worker process: length-prefixed
// messages on a stream socketpair, each a type and a JSON payload. Bulk
// series never travel here (they are in the shared SeriesArena); a message
// carries slot numbers, symbols and the intents that come back.
//
// Thread-safety: one reader and one writer per fd, externally synchronised.
#ifndef SF_LUA_PROTOCOL_H_
#define SF_LUA_PROTOCOL_H_

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sf::lua {

enum class MsgType : uint32_t {
  kLoad = 1,         // host -> worker: {source, chunkname, params}
  kEval = 2,         // host -> worker: {bar_ts, slots, extras?, timeframes?}
  kSaveState = 3,    // host -> worker: {}
  kRestoreState = 4, // host -> worker: {state}
  kInstruments = 5,  // host -> worker: {SYMBOL: {sector, type, ...}}
  kTimeframes = 6,   // host -> worker: {SYMBOL: {tf: slot}}
  kRange = 7,        // host -> worker: {slots, from_ts, to_ts, timeframes?}
  kFeatures = 8,     // host -> worker: {layer, clear, series: [{set, name, scope, ts, values}]}
  kReply = 100,      // worker -> host: {ok, ...}
  // worker -> host: u32 length of a JSON reply, that reply, then binary
  // data (a range's output: lua/range_wire.h)
  kReplyWithData = 101,
};

inline constexpr uint32_t kMaxMessageBytes = 64u << 20;

struct Message {
  MsgType type{};
  std::string payload;
};

// Writes one whole message (blocking; EINTR-safe; MSG_NOSIGNAL).
Status WriteMessage(int fd, MsgType type, std::string_view payload);
// The same with the payload given in parts (written one after the other,
// not copied together first).
Status WriteMessage(int fd, MsgType type, std::span<const std::string_view> parts);

// Reads one whole message. With a deadline, gives SF_ERR_TIMEOUT when it
// passes first; SF_ERR_UNAVAILABLE when the peer closed.
using Deadline = std::chrono::steady_clock::time_point;
StatusOr<Message> ReadMessage(int fd, const Deadline* deadline = nullptr);

}  // namespace sf::lua

#endif  // SF_LUA_PROTOCOL_H_
