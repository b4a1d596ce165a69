// The series arena: bar series shared between the host and its Lua worker
// processes without copying per element or per call.
//
// The host owns one arena (a memfd mapped read-write in the host); every Lua
// worker maps the same memfd read-only and builds FFI views over it. The
// arena holds one slot per (symbol, timeframe) with room for `capacity` bars
// in six columns: ts (int64 µs), open, high, low, close and volume (double).
// Lua's ctx.bars.time (seconds) is read from ts.
// A slot stores the newest bars of its series, up to `capacity` of them;
// when full it keeps the newest max(history_bars, capacity / 2) (one memmove
// per that many appends). Strategies see at most the newest history_bars
// bars (the worker's cursor, not the arena, applies that window), while
// indicators are computed from the first stored bar, so a backtest that
// sizes capacity to its longest series gets values defined from bar 0.
//
// Bars carry an absolute index: `origin` is the absolute index of the bar at
// column position `start` (0 = the first bar written since the slot's last
// rewrite); `generation` changes on every rewrite, so a worker knows when
// indicator values it cached for the slot no longer apply.
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
// Stored columns (ctx.bars.time, in seconds, is derived from kColTs in Lua:
// a column less to write, and 1/7 less shared memory).
inline constexpr int kArenaColumns = 6;
enum ArenaColumn { kColTs = 0, kColOpen, kColHigh, kColLow, kColClose, kColVolume };

struct ArenaHeader {
  uint32_t magic;
  uint32_t max_slots;
  int32_t capacity;       // bars per slot and column
  int32_t history_bars;   // newest bars a strategy sees
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
  int32_t origin;      // absolute index of the bar at `start`
  int64_t last_ts;     // ts of the newest bar, for append detection
  int32_t generation;  // bumped when the slot is rewritten (not appended)
  int32_t truncated;   // 1 when the last rewrite left out older bars (over capacity)
};
static_assert(sizeof(ArenaSlot) == 64, "ArenaSlot layout is shared with Lua");

// Host side. Owns the memfd and its read-write mapping.
class SeriesArena {
 public:
  // capacity: bars stored per slot (0: 2 * history_bars; at least history_bars).
  static StatusOr<std::unique_ptr<SeriesArena>> Create(uint32_t max_slots, int32_t history_bars,
                                                       int32_t capacity = 0);
  ~SeriesArena();
  SeriesArena(const SeriesArena&) = delete;
  SeriesArena& operator=(const SeriesArena&) = delete;

  // Makes the slot of (series.symbol, series.timeframe) end with bar
  // min(upto, size) - 1 of `series` (upto < 0: all), storing up to capacity
  // bars. Appends when the slot already holds a prefix of these bars,
  // rewrites otherwise. Returns the slot index.
  StatusOr<int> Sync(const market::BarSeries& series, int64_t upto = -1);
  // The slot of (series.symbol, series.timeframe), made (empty) when new.
  // Once every series has its slot, Sync of different series may run on
  // several threads at once (it then only reads the index).
  StatusOr<int> SlotOf(const market::BarSeries& series);

  // The slot of "SYMBOL@tf", or -1.
  int Find(std::string_view symbol, market::Timeframe tf) const;
  static std::string Key(std::string_view symbol, market::Timeframe tf);

  int fd() const { return fd_; }
  size_t size() const { return size_; }
  int32_t history_bars() const { return header_->history_bars; }
  int32_t capacity() const { return header_->capacity; }
  // The ts column of a slot's stored bars (slot(i).len of them).
  const int64_t* Times(int i) const {
    return reinterpret_cast<const int64_t*>(data_ + slots_[i].base + kColTs * header_->capacity +
                                            slots_[i].start);
  }
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
  // The SDK view of a slot's stored bars [first, first + count) (positions
  // relative to the slot's start; count < 0: to the end).
  sf_bar_series View(int slot, int64_t first = 0, int64_t count = -1) const;

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
