// Provider bars: copying batches, adjustment and bar-end stamping.
#include "market/provider_bars.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "market/calendar.h"

namespace sf::market {

void ProviderBars::Reserve(size_t n) {
  ts_start.reserve(n); ts_end.reserve(n); open.reserve(n); high.reserve(n);
  low.reserve(n); close.reserve(n); volume.reserve(n);
}

namespace {

// Appends n values of an optional column: `src` when given, else `pad`. The
// column stays empty while no row has a value.
void AppendOptional(std::vector<double>* column, size_t before, const double* src, size_t n,
                    double pad) {
  if (src == nullptr && column->empty()) return;
  column->resize(before, pad);
  if (src != nullptr) {
    column->insert(column->end(), src, src + n);
  } else {
    column->resize(before + n, pad);
  }
}

constexpr double kNoVwap = std::numeric_limits<double>::quiet_NaN();

}  // namespace

void ProviderBars::AppendBatch(const sf_bar_batch& b) {
  const size_t n = b.count > 0 ? static_cast<size_t>(b.count) : 0;
  const size_t before = size();
  ts_start.insert(ts_start.end(), b.ts_start, b.ts_start + n);
  if (b.ts_end != nullptr) {
    ts_end.insert(ts_end.end(), b.ts_end, b.ts_end + n);
  } else {
    ts_end.resize(before + n, 0);
  }
  open.insert(open.end(), b.open, b.open + n);
  high.insert(high.end(), b.high, b.high + n);
  low.insert(low.end(), b.low, b.low + n);
  close.insert(close.end(), b.close, b.close + n);
  volume.insert(volume.end(), b.volume, b.volume + n);
  AppendOptional(&vwap, before, b.vwap, n, kNoVwap);
  AppendOptional(&adj_factor, before, b.adj_factor, n, 1.0);
}

void ProviderBars::Append(const ProviderBars& o) {
  const size_t n = o.size();
  const size_t before = size();
  auto add = [](auto* to, const auto& from) { to->insert(to->end(), from.begin(), from.end()); };
  add(&ts_start, o.ts_start);
  add(&ts_end, o.ts_end);
  add(&open, o.open);
  add(&high, o.high);
  add(&low, o.low);
  add(&close, o.close);
  add(&volume, o.volume);
  AppendOptional(&vwap, before, o.vwap.empty() ? nullptr : o.vwap.data(), n, kNoVwap);
  AppendOptional(&adj_factor, before, o.adj_factor.empty() ? nullptr : o.adj_factor.data(), n, 1.0);
}

namespace {
template <typename T>
void KeepRows(std::vector<T>* v, const std::vector<bool>& keep) {
  if (v->empty()) return;
  size_t w = 0;
  for (size_t i = 0; i < v->size(); ++i) {
    if (keep[i]) (*v)[w++] = (*v)[i];
  }
  v->resize(w);
}
template <typename T>
void Permute(std::vector<T>* v, const std::vector<size_t>& order) {
  if (v->empty()) return;
  std::vector<T> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = (*v)[order[i]];
  v->swap(out);
}
}  // namespace

void ProviderBars::Filter(const std::vector<bool>& keep) {
  KeepRows(&ts_start, keep); KeepRows(&ts_end, keep); KeepRows(&open, keep);
  KeepRows(&high, keep); KeepRows(&low, keep); KeepRows(&close, keep);
  KeepRows(&volume, keep); KeepRows(&vwap, keep); KeepRows(&adj_factor, keep);
}

void ProviderBars::SortByStart() {
  if (std::is_sorted(ts_start.begin(), ts_start.end())) return;
  std::vector<size_t> order(size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ts_start[a] < ts_start[b]; });
  Permute(&ts_start, order); Permute(&ts_end, order); Permute(&open, order);
  Permute(&high, order); Permute(&low, order); Permute(&close, order);
  Permute(&volume, order); Permute(&vwap, order); Permute(&adj_factor, order);
}

BarSeries ProviderBars::Adjusted() const {
  BarSeries s;
  s.symbol = symbol;
  s.timeframe = timeframe;
  s.Reserve(size());
  for (size_t i = 0; i < size(); ++i) {
    const double f = Factor(i);
    s.Append(ts_end[i], open[i] * f, high[i] * f, low[i] * f, close[i] * f, volume[i]);
  }
  return s;
}

BarSeries ProviderBars::Raw() const {
  BarSeries s;
  s.symbol = symbol;
  s.timeframe = timeframe;
  s.ts = ts_end;
  s.open = open; s.high = high; s.low = low; s.close = close; s.volume = volume;
  return s;
}

void AssignBarEnds(ProviderBars* bars, const TradingCalendar& cal) {
  constexpr int64_t kUsPerDay = 86'400'000'000;
  const int64_t len = TimeframeMicros(bars->timeframe);
  for (size_t i = 0; i < bars->size(); ++i) {
    if (bars->ts_end[i] != 0) continue;
    const int64_t start = bars->ts_start[i];
    if (bars->timeframe == Timeframe::k1d) {
      int64_t day = start >= 0 ? start / kUsPerDay : -((-start + kUsPerDay - 1) / kUsPerDay);
      if (auto s = cal.SessionOn(day)) {
        bars->ts_start[i] = s->open_us;
        bars->ts_end[i] = s->close_us;
      }
      continue;
    }
    int64_t end = start + len;
    if (auto s = cal.SessionAt(start)) end = std::min(end, s->close_us);
    bars->ts_end[i] = end;
  }
}

}  // namespace sf::market
