#include "lua/series_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sf::lua {
namespace {

size_t PageRound(size_t n) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

}  // namespace

std::string SeriesArena::Key(std::string_view symbol, market::Timeframe tf) {
  std::string k(symbol);
  k += '@';
  k += market::TimeframeName(tf);
  return k;
}

StatusOr<std::unique_ptr<SeriesArena>> SeriesArena::Create(uint32_t max_slots,
                                                           int32_t history_bars,
                                                           int32_t capacity_in) {
  if (max_slots == 0 || max_slots > 100000)
    return InvalidArgument("series arena: max_slots must be in 1..100000");
  if (history_bars < 2 || history_bars > 100000)
    return InvalidArgument("series arena: history_bars must be in 2..100000");
  if (capacity_in < 0)
    return InvalidArgument("series arena: series_capacity must be >= 0 (0: 2 * history_bars)");
  const int64_t capacity = capacity_in == 0 ? static_cast<int64_t>(history_bars) * 2
                                            : std::max<int64_t>(capacity_in, history_bars);
  const int64_t cells = capacity * kArenaColumns * max_slots;
  if (cells > INT32_MAX)
    return InvalidArgument("series arena: max_series * series_capacity = " +
                           std::to_string(max_slots) + " * " + std::to_string(capacity) +
                           " bars is too large (at most " +
                           std::to_string(INT32_MAX / kArenaColumns) + " bars in all)");
  std::unique_ptr<SeriesArena> a(new SeriesArena());
  const size_t slots_off = PageRound(sizeof(ArenaHeader));
  const size_t data_off = PageRound(slots_off + sizeof(ArenaSlot) * max_slots);
  a->size_ = PageRound(data_off + static_cast<size_t>(cells) * 8);
  a->fd_ = memfd_create("sf-series-arena", MFD_CLOEXEC);
  if (a->fd_ < 0) return IoError(std::string("memfd_create: ") + strerror(errno));
  if (ftruncate(a->fd_, static_cast<off_t>(a->size_)) != 0)
    return IoError(std::string("series arena ftruncate: ") + strerror(errno));
  void* m = mmap(nullptr, a->size_, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd_, 0);
  if (m == MAP_FAILED) return IoError(std::string("series arena mmap: ") + strerror(errno));
  a->map_ = static_cast<unsigned char*>(m);
  a->header_ = reinterpret_cast<ArenaHeader*>(a->map_);
  a->header_->magic = kArenaMagic;
  a->header_->max_slots = max_slots;
  a->header_->capacity = static_cast<int32_t>(capacity);
  a->header_->history_bars = history_bars;
  a->header_->slots_offset = slots_off;
  a->header_->data_offset = data_off;
  a->slots_ = reinterpret_cast<ArenaSlot*>(a->map_ + slots_off);
  a->data_ = reinterpret_cast<double*>(a->map_ + data_off);
  return a;
}

SeriesArena::~SeriesArena() {
  if (map_) munmap(map_, size_);
  if (fd_ >= 0) close(fd_);
}

int SeriesArena::Find(std::string_view symbol, market::Timeframe tf) const {
  auto it = index_.find(Key(symbol, tf));
  return it == index_.end() ? -1 : it->second;
}

void SeriesArena::WriteBars(ArenaSlot& s, const market::BarSeries& series, int64_t from,
                            int64_t to) {
  const int64_t cap = header_->capacity;
  const int64_t keep = std::max<int64_t>(header_->history_bars, cap / 2);
  double* col[kArenaColumns];
  for (int c = 0; c < kArenaColumns; ++c) col[c] = data_ + s.base + c * cap;
  const int64_t at0 = s.start + s.len;
  if (to - from > 64 && to - from <= cap - at0) {
    // Many bars that fit (a backtest's whole series): column copies, with
    // the columns' fresh pages faulted in by one call each, not one trap
    // per 4 KiB page.
    const size_t n = static_cast<size_t>(to - from);
    for (int c = 0; c < kArenaColumns; ++c) {
      const uintptr_t page = 4096;
      auto lo = reinterpret_cast<uintptr_t>(col[c] + at0) & ~(page - 1);
      auto hi = (reinterpret_cast<uintptr_t>(col[c] + at0 + n) + page - 1) & ~(page - 1);
      (void)madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE);  // a hint only
    }
    std::memcpy(&col[kColTs][at0], series.ts.data() + from, n * 8);
    std::memcpy(&col[kColOpen][at0], series.open.data() + from, n * 8);
    std::memcpy(&col[kColHigh][at0], series.high.data() + from, n * 8);
    std::memcpy(&col[kColLow][at0], series.low.data() + from, n * 8);
    std::memcpy(&col[kColClose][at0], series.close.data() + from, n * 8);
    std::memcpy(&col[kColVolume][at0], series.volume.data() + from, n * 8);
    s.len = static_cast<int32_t>(s.len + n);
    s.last_ts = series.ts[to - 1];
    return;
  }
  for (int64_t i = from; i < to; ++i) {
    if (s.start + s.len == cap) {
      // Full: move the newest `keep` bars to the front (amortised).
      const int64_t drop = s.len - std::min<int64_t>(keep, s.len);
      for (int c = 0; c < kArenaColumns; ++c)
        std::memmove(col[c], col[c] + s.start + drop, static_cast<size_t>(s.len - drop) * 8);
      s.start = 0;
      s.len = static_cast<int32_t>(s.len - drop);
      s.origin = static_cast<int32_t>(s.origin + drop);
    }
    const int64_t at = s.start + s.len;
    int64_t ts = series.ts[i];
    std::memcpy(&col[kColTs][at], &ts, 8);
    col[kColOpen][at] = series.open[i];
    col[kColHigh][at] = series.high[i];
    col[kColLow][at] = series.low[i];
    col[kColClose][at] = series.close[i];
    col[kColVolume][at] = series.volume[i];
    ++s.len;
  }
  if (to > from) s.last_ts = series.ts[to - 1];
}

StatusOr<int> SeriesArena::SlotOf(const market::BarSeries& series) {
  const std::string key = Key(series.symbol, series.timeframe);
  if (key.size() >= sizeof(ArenaSlot{}.key))
    return InvalidArgument("series arena: symbol '" + series.symbol + "' is longer than 24 bytes");
  int idx;
  auto it = index_.find(key);
  if (it == index_.end()) {
    if (index_.size() >= header_->max_slots)
      return Status(SF_ERR_TOO_LARGE, "series arena: all " + std::to_string(header_->max_slots) +
                                          " slots are used (raise lua.max_series)");
    idx = static_cast<int>(index_.size());
    index_.emplace(key, idx);
    ArenaSlot& s = slots_[idx];
    std::memset(&s, 0, sizeof(s));
    std::memcpy(s.key, key.data(), key.size());
    s.base = idx * header_->capacity * kArenaColumns;
    s.last_ts = INT64_MIN;
  } else {
    idx = it->second;
  }
  return idx;
}

StatusOr<int> SeriesArena::Sync(const market::BarSeries& series, int64_t upto) {
  const int64_t n = upto < 0 ? static_cast<int64_t>(series.size())
                             : std::min<int64_t>(upto, static_cast<int64_t>(series.size()));
  const std::string key = Key(series.symbol, series.timeframe);
  int idx;
  if (auto it = index_.find(key); it != index_.end()) {
    idx = it->second;
  } else {
    auto made = SlotOf(series);
    if (!made.ok()) return made.status();
    idx = *made;
  }
  ArenaSlot& s = slots_[idx];
  const int64_t cap = header_->capacity;
  // Append when the slot's newest bar is a bar of this series and the bars
  // after it are new; otherwise rewrite the newest `cap` bars.
  int64_t from = -1;
  if (s.len > 0 && n > 0) {
    if (series.ts[n - 1] == s.last_ts) return idx;  // nothing new
    for (int64_t i = n - 1; i >= 0 && i >= n - cap; --i) {
      if (series.ts[i] == s.last_ts) { from = i + 1; break; }
      if (series.ts[i] < s.last_ts) break;
    }
  }
  if (from < 0) {
    s.start = 0;
    s.len = 0;
    s.origin = 0;
    ++s.generation;
    s.last_ts = INT64_MIN;
    from = std::max<int64_t>(0, n - cap);
    s.truncated = from > 0 ? 1 : 0;
  }
  WriteBars(s, series, from, n);
  return idx;
}

StatusOr<std::unique_ptr<ArenaReader>> ArenaReader::Map(int fd) {
  off_t end = lseek(fd, 0, SEEK_END);
  if (end <= 0) return IoError("series arena: fd " + std::to_string(fd) + " is not an arena");
  std::unique_ptr<ArenaReader> r(new ArenaReader());
  r->size_ = static_cast<size_t>(end);
  void* m = mmap(nullptr, r->size_, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return IoError(std::string("series arena mmap: ") + strerror(errno));
  r->map_ = static_cast<const unsigned char*>(m);
  r->header_ = reinterpret_cast<const ArenaHeader*>(r->map_);
  if (r->header_->magic != kArenaMagic) return BadData("series arena: bad magic");
  r->slots_ = reinterpret_cast<const ArenaSlot*>(r->map_ + r->header_->slots_offset);
  r->data_ = reinterpret_cast<const double*>(r->map_ + r->header_->data_offset);
  return r;
}

ArenaReader::~ArenaReader() {
  if (map_) munmap(const_cast<unsigned char*>(map_), size_);
}

sf_bar_series ArenaReader::View(int slot, int64_t first, int64_t count) const {
  const ArenaSlot& s = slots_[slot];
  const int64_t cap = header_->capacity;
  const double* b = data_ + s.base + s.start + first;
  sf_bar_series v{};
  v.struct_size = sizeof(v);
  v.count = count < 0 ? s.len - first : count;
  v.ts = reinterpret_cast<const sf_time_us*>(b + kColTs * cap);
  v.open = b + kColOpen * cap;
  v.high = b + kColHigh * cap;
  v.low = b + kColLow * cap;
  v.close = b + kColClose * cap;
  v.volume = b + kColVolume * cap;
  return v;
}

}  // namespace sf::lua
