// Resampling and live bar completion (resample.h).
#include "market/resample.h"

#include <algorithm>

#include "market/calendar.h"

namespace sf::market {

bool CanResample(Timeframe from, Timeframe to) {
  const int64_t f = TimeframeMicros(from), t = TimeframeMicros(to);
  if (t <= f) return false;
  return to == Timeframe::k1d || t % f == 0;
}

StatusOr<BarSeries> Resample(const BarSeries& in, Timeframe to, const TradingCalendar& cal,
                             int64_t as_of_us) {
  if (!CanResample(in.timeframe, to)) {
    return InvalidArgument("cannot resample " + in.symbol + " from " +
                           std::string(TimeframeName(in.timeframe)) + " to " +
                           std::string(TimeframeName(to)) +
                           ": the target must be a higher timeframe made of whole source bars");
  }
  BarSeries out;
  out.symbol = in.symbol;
  out.timeframe = to;
  int64_t cur = 0;
  bool open = false;
  double o = 0, h = 0, l = 0, c = 0, v = 0;
  auto flush = [&] {
    if (open && cur <= as_of_us) out.Append(cur, o, h, l, c, v);
    open = false;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    if (i > 0 && in.ts[i] <= in.ts[i - 1]) {
      return InvalidArgument("cannot resample " + in.symbol + ": bar " + std::to_string(i) +
                             " is not after the one before (series must be increasing)");
    }
    auto end = cal.BucketEnd(in.ts[i], to);
    if (!end) continue;
    if (!open || *end != cur) {
      flush();
      cur = *end;
      open = true;
      o = in.open[i]; h = in.high[i]; l = in.low[i]; c = in.close[i]; v = in.volume[i];
      continue;
    }
    h = std::max(h, in.high[i]);
    l = std::min(l, in.low[i]);
    c = in.close[i];
    v += in.volume[i];
  }
  flush();
  return out;
}

BarAggregator::BarAggregator(std::shared_ptr<const TradingCalendar> calendar, Timeframe base,
                             std::vector<Timeframe> targets)
    : calendar_(std::move(calendar)), base_(base) {
  for (Timeframe t : targets) {
    if (CanResample(base, t)) targets_.push_back(t);
  }
}

Status BarAggregator::Add(const std::string& symbol, int64_t ts_end, double open, double high,
                          double low, double close, double volume) {
  SymbolState& st = symbols_[symbol];
  if (ts_end <= st.last_end) {
    return Conflict("bar " + symbol + " ending " + std::to_string(ts_end) +
                    " is not after the last bar received for it");
  }
  st.last_end = ts_end;
  const int64_t len = TimeframeMicros(base_);
  st.base_pending.push_back({symbol, base_, ts_end - len, ts_end, open, high, low, close, volume});
  for (Timeframe tf : targets_) {
    auto end = calendar_->BucketEnd(ts_end, tf);
    if (!end) continue;
    Bucket& b = st.buckets[tf];
    if (!b.empty && b.ts_end != *end) {
      // A later bucket started: the previous one can never get more bars.
      st.ready.push_back({symbol, tf, 0, b.ts_end, b.open, b.high, b.low, b.close, b.volume});
      b = Bucket{};
    }
    if (b.empty) {
      b = Bucket{*end, open, high, low, close, volume, false};
    } else {
      b.high = std::max(b.high, high);
      b.low = std::min(b.low, low);
      b.close = close;
      b.volume += volume;
    }
  }
  return Status::Ok();
}

std::vector<CompletedBar> BarAggregator::Release(int64_t now) {
  std::vector<CompletedBar> out;
  for (auto& [symbol, st] : symbols_) {
    auto take = [&](std::vector<CompletedBar>* v) {
      auto it = std::stable_partition(v->begin(), v->end(),
                                      [&](const CompletedBar& b) { return b.ts_end <= now; });
      out.insert(out.end(), v->begin(), it);
      v->erase(v->begin(), it);
    };
    take(&st.base_pending);
    for (auto& [tf, b] : st.buckets) {
      if (!b.empty && b.ts_end <= now) {
        st.ready.push_back({symbol, tf, 0, b.ts_end, b.open, b.high, b.low, b.close, b.volume});
        b = Bucket{};
      }
    }
    take(&st.ready);
  }
  for (auto& b : out) {
    if (b.ts_start == 0) {
      const int64_t len = TimeframeMicros(b.timeframe);
      auto s = calendar_->SessionAt(b.ts_end - 1);
      int64_t start = b.ts_end - len;
      if (s && !calendar_->continuous()) {
        start = b.timeframe == Timeframe::k1d
                    ? s->open_us
                    : s->open_us + (b.ts_end - 1 - s->open_us) / len * len;
      }
      b.ts_start = start;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const CompletedBar& a, const CompletedBar& b) {
    return a.ts_end < b.ts_end;
  });
  return out;
}

size_t BarAggregator::pending() const {
  size_t n = 0;
  for (const auto& [s, st] : symbols_) {
    n += st.base_pending.size() + st.ready.size();
    for (const auto& [tf, b] : st.buckets) n += b.empty ? 0 : 1;
  }
  return n;
}

}  // namespace sf::market
