// The series arena: bar series shared between the host and its Lua worker
// processes without copying per element or per call.
//
// The host owns one arena (a memfd mapped read-write in the host); every Lua
// worker maps the same memfd read-only and builds FFI views over it. The
// arena holds one slot per (symbol, timeframe) with room for `capacity` bars
// in seven columns: ts (int64 µs, for indicator plugins), open, high, low,
// close, volume (double) and time (double seconds since the epoch, for Lua).
// A slot shows the newest bars of its series, at most history_bars of them
// (capacity is twice that, so shifting the window costs one memmove every
// history_bars appends).
//
// The layout below is shared with scripts/lib/sf/runtime.lua (ffi.cdef): keep
// the two in step.
//
// Thread-safety: the host writes only between worker batches (one writer,
// externally synchronised by the caller); workers read during a batch.
#ifndef SF_LUA_SERIES_ARENA_H_
#define SF_LUA_SERIES_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "market/bar_series.h"

namespace sf::lua {

inline constexpr uint32_t kArenaMagic = 0x53464152;  // "SFAR"
inline constexpr int kArenaColumns = 7;
enum ArenaColumn { kColTs = 0, kColOpen, kColHigh, kColLow, kColClose, kColVolume, kColTime };

struct ArenaHeader {
  uint32_t magic;
  uint32_t max_slots;
  int32_t capacity;       // bars per slot and column
  int32_t history_bars;   // newest bars kept after a shift
  uint64_t slots_offset;  // bytes from the start of the mapping
  uint64_t data_offset;   // bytes from the start; data is an array of 8-byte cells
};

// One slot. `base` is the index (in 8-byte cells from data_offset) of the
// slot's first column; column c starts at base + c * capacity, and its bars
// sit at [start, start + len).
struct ArenaSlot {
  char key[32];  // "AAPL@1d", NUL-terminated; empty when unused
  int32_t base;
  int32_t start;
  int32_t len;
  int32_t reserved;
  int64_t last_ts;  // ts of the newest bar, for append detection
};
static_assert(sizeof(ArenaSlot) == 56, "ArenaSlot layout is shared with Lua");

// Host side. Owns the memfd and its read-write mapping.
class SeriesArena {
 public:
  static StatusOr<std::unique_ptr<SeriesArena>> Create(uint32_t max_slots, int32_t history_bars);
  ~SeriesArena();
  SeriesArena(const SeriesArena&) = delete;
  SeriesArena& operator=(const SeriesArena&) = delete;

  // Makes the slot of (series.symbol, series.timeframe) hold the newest
  // min(upto, size) bars of `series` (upto < 0: all). Appends when the slot
  // already holds a prefix of these bars, rewrites otherwise. Returns the
  // slot index.
  StatusOr<int> Sync(const market::BarSeries& series, int64_t upto = -1);

  // The slot of "SYMBOL@tf", or -1.
  int Find(std::string_view symbol, market::Timeframe tf) const;
  static std::string Key(std::string_view symbol, market::Timeframe tf);

  int fd() const { return fd_; }
  size_t size() const { return size_; }
  int32_t history_bars() const { return header_->history_bars; }
  const ArenaSlot& slot(int i) const { return slots_[i]; }
  // Slot keys in slot order.
  const std::map<std::string, int, std::less<>>& index() const { return index_; }

 private:
  SeriesArena() = default;
  void WriteBars(ArenaSlot& s, const market::BarSeries& series, int64_t from, int64_t to);

  int fd_ = -1;
  size_t size_ = 0;
  unsigned char* map_ = nullptr;
  ArenaHeader* header_ = nullptr;
  ArenaSlot* slots_ = nullptr;
  double* data_ = nullptr;
  std::map<std::string, int, std::less<>> index_;
};

// Worker side: a read-only view of an arena given its fd.
class ArenaReader {
 public:
  static StatusOr<std::unique_ptr<ArenaReader>> Map(int fd);
  ~ArenaReader();
  const ArenaHeader& header() const { return *header_; }
  const ArenaSlot* slots() const { return slots_; }
  const double* data() const { return data_; }
  // The SDK view of a slot's bars (pointers into the arena).
  sf_bar_series View(int slot) const;

 private:
  ArenaReader() = default;
  size_t size_ = 0;
  const unsigned char* map_ = nullptr;
  const ArenaHeader* header_ = nullptr;
  const ArenaSlot* slots_ = nullptr;
  const double* data_ = nullptr;
};

}  // namespace sf::lua

#endif  // SF_LUA_SERIES_ARENA_H_
