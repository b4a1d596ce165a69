#include "engine/performance.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace sf::engine {
namespace {

constexpr int64_t kDayUs = 86'400'000'000LL;
constexpr double kAnnual = 252.0;

int64_t DayOf(int64_t ts) { return ts >= 0 ? ts / kDayUs : (ts - kDayUs + 1) / kDayUs; }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + n / 2, v.end());
  double hi = v[n / 2];
  if (n % 2) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + n / 2);
  return (lo + hi) / 2;
}

nlohmann::json Num(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

}  // namespace

std::string_view PeriodName(Period p) {
  switch (p) {
    case Period::k7d: return "7d";
    case Period::k30d: return "30d";
    case Period::k90d: return "90d";
    case Period::kAll: return "all";
  }
  return "all";
}

std::string UtcDate(int64_t ts_us) {
  // Civil-from-days (Howard Hinnant's algorithm).
  int64_t z = DayOf(ts_us) + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

nlohmann::json PerformanceStats::ToJson() const {
  return {{"count", count},
          {"wins", wins},
          {"losses", losses},
          {"win_rate", Num(win_rate)},
          {"avg_return_pct", Num(avg_return_pct)},
          {"median_return_pct", Num(median_return_pct)},
          {"best_return_pct", Num(best_return_pct)},
          {"worst_return_pct", Num(worst_return_pct)},
          {"profit_factor", Num(profit_factor)},
          {"avg_holding_days", Num(avg_holding_days)},
          {"total_return_pct", Num(total_return_pct)},
          {"sharpe", Num(sharpe)},
          {"sortino", Num(sortino)},
          {"max_drawdown_pct", Num(max_drawdown_pct)},
          {"alpha_pct", Num(alpha_pct)},
          {"beta", Num(beta)},
          {"days", days}};
}

std::vector<EquityPoint> DailyEquity(const std::vector<EquityPoint>& equity) {
  std::vector<EquityPoint> out;
  for (const auto& p : equity) {
    if (!out.empty() && DayOf(out.back().ts) == DayOf(p.ts))
      out.back() = p;
    else
      out.push_back(p);
  }
  return out;
}

std::map<int64_t, double> DailyReturns(const std::vector<EquityPoint>& daily) {
  std::map<int64_t, double> r;
  for (size_t i = 1; i < daily.size(); ++i)
    if (daily[i - 1].equity > 0) r[DayOf(daily[i].ts)] = daily[i].equity / daily[i - 1].equity - 1;
  return r;
}

PerformanceStats ComputeStats(const std::vector<ClosedTrade>& trades,
                              const std::vector<EquityPoint>& equity,
                              const std::vector<EquityPoint>& benchmark, int64_t from,
                              int64_t to) {
  PerformanceStats s;
  std::vector<double> rets;
  double win_sum = 0, loss_sum = 0, hold_days = 0;
  for (const auto& t : trades) {
    if (t.exit_at < from || t.exit_at > to) continue;
    rets.push_back(t.return_pct);
    if (t.return_pct > 0) { ++s.wins; win_sum += t.return_pct; }
    else if (t.return_pct < 0) { ++s.losses; loss_sum += t.return_pct; }
    hold_days += static_cast<double>(t.exit_at - t.entry_at) / kDayUs;
  }
  s.count = static_cast<int>(rets.size());
  if (s.count > 0) {
    s.win_rate = static_cast<double>(s.wins) / s.count;
    s.avg_return_pct = std::accumulate(rets.begin(), rets.end(), 0.0) / s.count;
    s.median_return_pct = Median(rets);
    s.best_return_pct = *std::max_element(rets.begin(), rets.end());
    s.worst_return_pct = *std::min_element(rets.begin(), rets.end());
    s.avg_holding_days = hold_days / s.count;
    s.profit_factor = loss_sum < 0 ? win_sum / -loss_sum
                      : win_sum > 0 ? std::numeric_limits<double>::infinity()
                                    : 0;
  }

  // The equity curve inside the window, anchored by the last point before it.
  std::vector<EquityPoint> window;
  for (const auto& p : equity) {
    if (p.ts > to) break;
    if (p.ts < from) {
      if (window.empty()) window.push_back(p); else window[0] = p;
      continue;
    }
    window.push_back(p);
  }
  std::vector<EquityPoint> daily = DailyEquity(window);
  s.days = static_cast<int>(daily.size());
  if (daily.size() >= 2) {
    s.total_return_pct = (daily.back().equity / daily.front().equity - 1) * 100;
    double peak = window.front().equity;
    for (const auto& p : window) {
      peak = std::max(peak, p.equity);
      if (peak > 0) s.max_drawdown_pct = std::max(s.max_drawdown_pct, (peak - p.equity) / peak * 100);
    }
    std::map<int64_t, double> dr = DailyReturns(daily);
    std::vector<double> r;
    for (const auto& [day, v] : dr) r.push_back(v);
    double n = static_cast<double>(r.size());
    double mean = std::accumulate(r.begin(), r.end(), 0.0) / n;
    double var = 0, down = 0;
    for (double x : r) {
      var += (x - mean) * (x - mean);
      down += std::min(x, 0.0) * std::min(x, 0.0);
    }
    double sd = r.size() > 1 ? std::sqrt(var / (n - 1)) : 0;
    double dd = std::sqrt(down / n);
    s.sharpe = sd > 0 ? mean / sd * std::sqrt(kAnnual) : 0;
    s.sortino = dd > 0 ? mean / dd * std::sqrt(kAnnual) : 0;

    if (!benchmark.empty()) {
      std::vector<EquityPoint> bwin;
      for (const auto& p : benchmark)
        if (p.ts <= to) bwin.push_back(p);
      std::map<int64_t, double> br = DailyReturns(DailyEquity(bwin));
      std::vector<double> xs, ys;
      for (const auto& [day, v] : dr) {
        auto it = br.find(day);
        if (it == br.end()) continue;
        xs.push_back(it->second);
        ys.push_back(v);
      }
      if (xs.size() >= 2) {
        double k = static_cast<double>(xs.size());
        double mx = std::accumulate(xs.begin(), xs.end(), 0.0) / k;
        double my = std::accumulate(ys.begin(), ys.end(), 0.0) / k;
        double cov = 0, vx = 0;
        for (size_t i = 0; i < xs.size(); ++i) {
          cov += (xs[i] - mx) * (ys[i] - my);
          vx += (xs[i] - mx) * (xs[i] - mx);
        }
        if (vx > 0) {
          s.beta = cov / vx;
          s.alpha_pct = (my - s.beta * mx) * kAnnual * 100;
        }
      }
    }
  }
  return s;
}

std::map<std::string, PerformanceStats> ComputePeriods(const std::vector<ClosedTrade>& trades,
                                                       const std::vector<EquityPoint>& equity,
                                                       const std::vector<EquityPoint>& benchmark,
                                                       int64_t now) {
  std::map<std::string, PerformanceStats> out;
  for (auto [p, days] : {std::pair{Period::k7d, 7}, {Period::k30d, 30}, {Period::k90d, 90}})
    out[std::string(PeriodName(p))] = ComputeStats(trades, equity, benchmark, now - days * kDayUs, now);
  out["all"] = ComputeStats(trades, equity, benchmark, INT64_MIN, now);
  return out;
}

std::vector<DailyPerformance> GroupDaily(const std::vector<ClosedTrade>& trades,
                                         const std::vector<EquityPoint>& equity) {
  std::map<int64_t, DailyPerformance> days;
  auto at = [&](int64_t day) -> DailyPerformance& {
    DailyPerformance& d = days[day];
    d.day = day;
    return d;
  };
  for (const auto& t : trades) {
    DailyPerformance& d = at(DayOf(t.exit_at));
    ++d.trades_closed;
    if (t.return_pct > 0) ++d.wins;
    d.trade_return_sum_pct += t.return_pct;
  }
  std::vector<EquityPoint> daily = DailyEquity(equity);
  for (size_t i = 0; i < daily.size(); ++i) {
    DailyPerformance& d = at(DayOf(daily[i].ts));
    d.equity = daily[i].equity;
    if (i > 0 && daily[i - 1].equity > 0)
      d.return_pct = (daily[i].equity / daily[i - 1].equity - 1) * 100;
  }
  std::vector<DailyPerformance> out;
  out.reserve(days.size());
  for (auto& [day, d] : days) {
    d.date = UtcDate(day * kDayUs);
    out.push_back(d);
  }
  return out;
}

std::vector<EquityPoint> EquityFromTrades(const std::vector<ClosedTrade>& trades, double start) {
  std::vector<const ClosedTrade*> order;
  for (const auto& t : trades) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(),
                   [](const ClosedTrade* a, const ClosedTrade* b) { return a->exit_at < b->exit_at; });
  std::vector<EquityPoint> out;
  double eq = start;
  if (!order.empty()) {
    int64_t first = order.front()->entry_at;
    for (const ClosedTrade* t : order) first = std::min(first, t->entry_at);
    out.push_back({first, eq});
  }
  for (const ClosedTrade* t : order) {
    eq *= 1.0 + t->size_pct / 100.0 * t->return_pct / 100.0;
    out.push_back({t->exit_at, eq});
  }
  return out;
}

std::vector<EquityPoint> EqualWeightIndex(const std::vector<const market::BarSeries*>& universe,
                                          const std::vector<int64_t>* given_times) {
  // Per distinct bar time (sorted vectors, not a map: a backtest passes
  // millions of bars): the sum of member returns and members contributing.
  // A time appears when a member starts there or has a valid return there.
  std::vector<int64_t> merged;
  if (given_times == nullptr) {
    std::vector<std::span<const int64_t>> lists;
    for (const market::BarSeries* s : universe)
      if (s) lists.emplace_back(s->ts);
    for (const market::TimeCount& t : market::UnionOfTimes(lists)) merged.push_back(t.ts);
  }
  const std::vector<int64_t>& times = given_times ? *given_times : merged;
  std::vector<double> sum(times.size(), 0.0);
  std::vector<int> count(times.size(), 0);
  std::vector<char> present(times.size(), 0);
  for (const market::BarSeries* s : universe) {
    if (!s || s->size() == 0) continue;
    size_t j = std::lower_bound(times.begin(), times.end(), s->ts[0]) - times.begin();
    present[j] = 1;
    for (size_t i = 1; i < s->size(); ++i) {
      while (times[j] < s->ts[i]) ++j;
      if (!(s->close[i - 1] > 0) || !std::isfinite(s->close[i])) continue;
      sum[j] += s->close[i] / s->close[i - 1] - 1;
      count[j] += 1;
      present[j] = 1;
    }
  }
  std::vector<EquityPoint> out;
  out.reserve(times.size());
  double level = 100.0;
  for (size_t t = 0; t < times.size(); ++t) {
    if (!present[t]) continue;
    if (count[t] > 0) level *= 1.0 + sum[t] / count[t];
    out.push_back({times[t], level});
  }
  return out;
}

}  // namespace sf::engine
