// Timeframe names and lengths for the in-memory bar series (bar_series.h).
#include "market/bar_series.h"

#include <algorithm>

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

namespace {

std::vector<TimeCount> MergeCounts(const std::vector<TimeCount>& a, const std::vector<TimeCount>& b) {
  std::vector<TimeCount> out;
  out.reserve(std::max(a.size(), b.size()));
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].ts < b[j].ts) out.push_back(a[i++]);
    else if (b[j].ts < a[i].ts) out.push_back(b[j++]);
    else out.push_back({a[i].ts, a[i++].count + b[j++].count});
  }
  out.insert(out.end(), a.begin() + static_cast<std::ptrdiff_t>(i), a.end());
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(j), b.end());
  return out;
}

std::vector<TimeCount> UnionRange(const std::vector<std::span<const int64_t>>& lists, size_t lo,
                                  size_t hi) {
  if (hi - lo == 1) {
    std::vector<TimeCount> one;
    one.reserve(lists[lo].size());
    for (int64_t t : lists[lo]) one.push_back({t, 1});
    return one;
  }
  const size_t mid = lo + (hi - lo) / 2;
  return MergeCounts(UnionRange(lists, lo, mid), UnionRange(lists, mid, hi));
}

}  // namespace

std::vector<TimeCount> UnionOfTimes(const std::vector<std::span<const int64_t>>& lists) {
  if (lists.empty()) return {};
  // Series of one calendar share their times: merging them one by one into
  // the running union then costs O(total) (lists equal to the union only
  // add counts). When the union grows (calendars differ) that could turn
  // quadratic, so past a work budget the rest is merged as a balanced tree.
  size_t total = 0;
  for (const auto& l : lists) total += l.size();
  const size_t budget = 4 * total + 1024;
  std::vector<TimeCount> acc;
  size_t work = 0, k = 0;
  for (; k < lists.size() && work <= budget; ++k) {
    const auto& l = lists[k];
    work += acc.size() + l.size();
    if (acc.size() == l.size() &&
        std::equal(l.begin(), l.end(), acc.begin(), [](int64_t t, const TimeCount& a) { return t == a.ts; })) {
      for (auto& a : acc) ++a.count;
      continue;
    }
    std::vector<TimeCount> one;
    one.reserve(l.size());
    for (int64_t t : l) one.push_back({t, 1});
    acc = MergeCounts(acc, one);
  }
  if (k < lists.size()) acc = MergeCounts(acc, UnionRange(lists, k, lists.size()));
  return acc;
}

}  // namespace sf::market
