// The synthetic market model (synthetic_market.h).
#include "synthetic_market.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace sf::synthetic {

namespace {

constexpr int64_t kUsPerSec = 1'000'000;
constexpr int64_t kUsPerMin = 60 * kUsPerSec;
constexpr int64_t kUsPerDay = 86'400 * kUsPerSec;

uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t Hash(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0) {
  return SplitMix(SplitMix(SplitMix(SplitMix(a) ^ b) ^ c) ^ d);
}

// xoshiro256** with Box-Muller normals and unit-variance Student-t(4).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) w = seed = SplitMix(seed);
  }
  uint64_t Next() {
    const uint64_t r = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return r;
  }
  double Uniform() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u = Uniform(), v = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u));
    spare_ = r * std::sin(2 * M_PI * v);
    has_spare_ = true;
    return r * std::cos(2 * M_PI * v);
  }
  // Student-t with 4 degrees of freedom, scaled to unit variance.
  double StudentT4() {
    const double z = Normal();
    double chi = 0;
    for (int i = 0; i < 4; ++i) {
      const double n = Normal();
      chi += n * n;
    }
    return z / std::sqrt(chi / 4.0) / std::sqrt(2.0);
  }
  int Int(int n) { return static_cast<int>(Uniform() * n); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (*m <= 2));
}

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int Weekday(int64_t day) { return static_cast<int>(day >= -4 ? (day + 4) % 7 : (day + 5) % 7 + 6); }

// n-th Sunday (n = -1: last) of a month.
int64_t NthSunday(int y, unsigned m, int n) {
  if (n > 0) {
    const int64_t first = DaysFromCivil(y, m, 1);
    return first + (7 - Weekday(first)) % 7 + 7 * (n - 1);
  }
  const int64_t last = DaysFromCivil(y + (m == 12), m % 12 + 1, 1) - 1;
  return last - Weekday(last);
}

// US daylight saving time in force on a civil day (federal rules since 1987).
bool UsDst(int64_t day) {
  int y; unsigned m, d;
  CivilFromDays(day, &y, &m, &d);
  int64_t start, end;
  if (y >= 2007) {
    start = NthSunday(y, 3, 2);
    end = NthSunday(y, 11, 1);
  } else {
    start = NthSunday(y, 4, 1);
    end = NthSunday(y, 10, -1);
  }
  return day >= start && day < end;
}

const char* kSectors[11] = {"Information Technology", "Health Care", "Financials",
                            "Consumer Discretionary", "Communication Services", "Industrials",
                            "Consumer Staples", "Energy", "Utilities", "Real Estate", "Materials"};
const char* kSectorSuffix[11] = {"Systems", "Therapeutics", "Bancorp", "Brands", "Media",
                                 "Industries", "Foods", "Energy", "Power", "Realty", "Materials"};
const char* kPrefixes[] = {"Apex", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor",
                           "Iron", "Juniper", "Keystone", "Lumen", "Maple", "Nova", "Orion", "Pioneer",
                           "Quartz", "River", "Summit", "Titan", "Union", "Vertex", "Willow", "Zenith"};

struct NewsKind {
  const char* kind;
  const char* text;
  double revert_prob;
};
const NewsKind kNewsKinds[3][3] = {
    {{"downgrade", "%s slips after an analyst downgrade", 0.8},
     {"sector_rotation", "%s dips as investors rotate out of the sector", 0.75},
     {"delay", "%s edges lower on a product launch delay", 0.6}},
    {{"earnings_miss", "%s falls as quarterly revenue misses estimates", 0.5},
     {"guidance_cut", "%s drops after cutting full-year guidance", 0.35},
     {"ceo_departure", "%s slides as its chief executive steps down", 0.5}},
    {{"fraud_probe", "%s plunges after regulators open a fraud probe", 0.1},
     {"recall", "%s tumbles on a nationwide product recall", 0.3},
     {"failed_trial", "%s collapses after its lead trial fails", 0.05}},
};

constexpr double kMarketAlpha = 0.10, kMarketBeta = 0.87, kMarketLongVol = 0.009;
constexpr double kIdioAlpha = 0.09, kIdioBeta = 0.89;
constexpr double kSectorVol = 0.008;
constexpr double kDrift = 0.0003;

}  // namespace

void Bars::Clear() {
  ts_start.clear(); ts_end.clear(); open.clear(); high.clear(); low.clear();
  close.clear(); volume.clear();
}

bool SyntheticMarket::SessionOf(int64_t day, int64_t* open_us, int64_t* close_us) {
  const int wd = Weekday(day);
  if (wd == 0 || wd == 6) return false;
  const int64_t offset = UsDst(day) ? 4 * 3600 : 5 * 3600;  // New York is behind UTC
  *open_us = (day * 86400 + 9 * 3600 + 1800 + offset) * kUsPerSec;
  *close_us = *open_us + kMinutesPerSession * kUsPerMin;
  return true;
}

SyntheticMarket::SyntheticMarket(const MarketConfig& config) : config_(config) {
  while (Weekday(config_.epoch_day) == 0 || Weekday(config_.epoch_day) == 6) ++config_.epoch_day;
  n_ = std::max(1, config_.symbols);
  total_ = n_ + (config_.index ? 1 : 0);
  Rng rng(Hash(config_.seed, 0xA11));
  std::set<std::string> used = {"SYNX"};
  last_close_.resize(static_cast<size_t>(total_));
  garch_var_.resize(static_cast<size_t>(n_));
  long_var_.resize(static_cast<size_t>(n_));
  revert_left_.assign(static_cast<size_t>(n_), 0.0);
  revert_days_.assign(static_cast<size_t>(n_), 0);
  for (int i = 0; i < n_; ++i) {
    InstrumentInfo info;
    do {
      const int len = 3 + rng.Int(2);
      info.symbol.clear();
      for (int k = 0; k < len; ++k) info.symbol += static_cast<char>('A' + rng.Int(26));
    } while (!used.insert(info.symbol).second);
    const int sector = i % 11;
    info.sector = kSectors[sector];
    info.name = std::string(kPrefixes[rng.Int(24)]) + " " + kSectorSuffix[sector] + " " +
                info.symbol.substr(0, 1) + info.symbol.substr(1);
    info.type = "equity";
    info.beta = 0.7 + 0.7 * rng.Uniform();
    info.gamma = 0.6 + 0.6 * rng.Uniform();
    const double vol = 0.012 + 0.016 * rng.Uniform();
    long_var_[static_cast<size_t>(i)] = vol * vol;
    garch_var_[static_cast<size_t>(i)] = vol * vol;
    last_close_[static_cast<size_t>(i)] = std::exp(std::log(15.0) + rng.Uniform() * std::log(400.0 / 15.0));
    instruments_.push_back(std::move(info));
  }
  if (config_.index) {
    instruments_.push_back({"SYNX", "Synthetic " + std::to_string(n_) + " Index", "", "index", 1, 0});
    last_close_[static_cast<size_t>(n_)] = 1000.0;
  }
  market_var_ = kMarketLongVol * kMarketLongVol;
}

int SyntheticMarket::FindSymbol(const std::string& symbol) const {
  for (size_t i = 0; i < instruments_.size(); ++i) {
    if (instruments_[i].symbol == symbol) return static_cast<int>(i);
  }
  return -1;
}

int64_t SyntheticMarket::DayIndex(int64_t day) const {
  const int wd = Weekday(day);
  if (day < config_.epoch_day || wd == 0 || wd == 6) return -1;
  const int64_t diff = day - config_.epoch_day;
  int64_t count = diff / 7 * 5;
  for (int64_t d = config_.epoch_day + diff / 7 * 7; d < day; ++d) {
    const int w = Weekday(d);
    if (w != 0 && w != 6) ++count;
  }
  return count;
}

int64_t SyntheticMarket::DayOfIndex(int64_t index) const {
  int64_t day = config_.epoch_day + index / 5 * 7;
  int64_t left = index % 5;
  while (true) {
    const int w = Weekday(day);
    if (w != 0 && w != 6) {
      if (left == 0) return day;
      --left;
    }
    ++day;
  }
}

void SyntheticMarket::ExtendTo(int64_t index) {
  const double m_omega = kMarketLongVol * kMarketLongVol * (1 - kMarketAlpha - kMarketBeta);
  while (static_cast<int64_t>(days_.size()) <= index) {
    const int64_t k = static_cast<int64_t>(days_.size());
    Rng rng(Hash(config_.seed, 0xDA7, static_cast<uint64_t>(k)));
    DayState st;
    st.prev_close.resize(static_cast<size_t>(total_));
    st.gap.resize(static_cast<size_t>(total_));
    st.ret.resize(static_cast<size_t>(total_));
    st.sigma.resize(static_cast<size_t>(total_));
    st.volume_base.resize(static_cast<size_t>(total_));
    const double mvar = market_var_;
    const double m = std::sqrt(mvar) * rng.StudentT4();
    market_var_ = m_omega + kMarketAlpha * m * m + kMarketBeta * mvar;
    double sector[11];
    const double regime = std::sqrt(mvar) / kMarketLongVol;
    for (double& s : sector) s = kSectorVol * regime * rng.StudentT4();
    double idx_ret = 0, idx_gap = 0, idx_vol = 0;
    const int64_t day = DayOfIndex(k);
    for (int i = 0; i < n_; ++i) {
      const size_t u = static_cast<size_t>(i);
      const InstrumentInfo& info = instruments_[u];
      const double var = garch_var_[u];
      const double e = std::sqrt(var) * rng.StudentT4();
      garch_var_[u] = long_var_[u] * (1 - kIdioAlpha - kIdioBeta) + kIdioAlpha * e * e + kIdioBeta * var;
      const double common = info.beta * m + info.gamma * sector[i % 11];
      double drop = 0;
      if (rng.Uniform() < config_.news_rate) {
        const double sv = rng.Uniform();
        const int severity = sv < 0.6 ? 0 : (sv < 0.9 ? 1 : 2);
        static const double kLo[3] = {0.02, 0.05, 0.12}, kHi[3] = {0.045, 0.11, 0.30};
        const double size = kLo[severity] + (kHi[severity] - kLo[severity]) * rng.Uniform();
        const NewsKind& nk = kNewsKinds[severity][rng.Int(3)];
        NewsEvent ev;
        ev.sym = i;
        ev.day = day;
        ev.minute = 5 + rng.Int(kMinutesPerSession - 10);
        ev.drop = std::log(1.0 - size);
        ev.severity = severity;
        ev.reverts = rng.Uniform() < nk.revert_prob;
        ev.kind = nk.kind;
        char buf[256];
        std::snprintf(buf, sizeof(buf), nk.text, info.name.c_str());
        ev.headline = buf;
        if (ev.reverts) {
          revert_left_[u] = -ev.drop * (0.6 + 0.3 * rng.Uniform());
          revert_days_[u] = 3 + rng.Int(6);
        }
        drop = ev.drop;
        news_.push_back(std::move(ev));
      }
      double rv = 0;
      if (revert_days_[u] > 0 && drop == 0) {
        rv = revert_left_[u] / revert_days_[u];
        revert_left_[u] -= rv;
        revert_days_[u]--;
      }
      const double r = std::clamp(kDrift + common + e + rv, -0.6, 0.6) + drop;
      const double sigma = std::sqrt(info.beta * info.beta * mvar +
                                     info.gamma * info.gamma * kSectorVol * kSectorVol * regime * regime + var);
      st.prev_close[u] = last_close_[u];
      st.gap[u] = 0.3 * (r - drop);
      st.ret[u] = r;
      st.sigma[u] = sigma;
      st.volume_base[u] = 1e6 * (1 + (i * 7919 % 37)) * (0.6 + 0.8 * std::min(5.0, std::fabs(r) / sigma)) *
                          std::exp(0.3 * rng.Normal());
      last_close_[u] *= std::exp(r);
      idx_ret += r;
      idx_gap += st.gap[u];
      idx_vol += st.volume_base[u];
    }
    if (config_.index) {
      const size_t u = static_cast<size_t>(n_);
      st.prev_close[u] = last_close_[u];
      st.ret[u] = idx_ret / n_;
      st.gap[u] = idx_gap / n_;
      st.sigma[u] = std::sqrt(mvar) * 1.1;
      st.volume_base[u] = idx_vol / 1000;
      last_close_[u] *= std::exp(st.ret[u]);
    }
    days_.push_back(std::move(st));
  }
}

template <typename Emit>
void SyntheticMarket::WalkMinutes(int sym, int64_t k, Emit&& emit) {
  const size_t u = static_cast<size_t>(sym);
  const DayState& st = days_[static_cast<size_t>(k)];
  const int64_t day = DayOfIndex(k);
  int64_t open_us = 0, close_us = 0;
  SessionOf(day, &open_us, &close_us);
  Rng rng(Hash(config_.seed, 0x1313, static_cast<uint64_t>(sym), static_cast<uint64_t>(k)));
  constexpr int kN = kMinutesPerSession;
  // U-shaped intraday activity: busier at the open and the close.
  static const struct Weights {
    double w[kN], sum = 0;
    Weights() {
      for (int j = 0; j < kN; ++j) {
        const double x = (j - kN / 2.0) / (kN / 2.0);
        w[j] = 1.0 + 0.8 * x * x;
        sum += w[j];
      }
    }
  } kWeights;
  const double* w = kWeights.w;
  const double sum_w = kWeights.sum;
  double e[kN];
  const double intraday_sd = st.sigma[u] * 0.8;
  double sum_e = 0;
  for (int j = 0; j < kN; ++j) {
    e[j] = intraday_sd * std::sqrt(w[j] / sum_w) * rng.Normal();
    sum_e += e[j];
  }
  // The news drop lands in its minute (news of this symbol and day).
  for (auto it = news_.rbegin(); it != news_.rend() && it->day >= day; ++it) {
    if (it->day == day && it->sym == sym) {
      e[it->minute] += it->drop;
      sum_e += it->drop;
    }
  }
  const double target = st.ret[u] - st.gap[u];
  const double fix = target - sum_e;
  const double open_price = st.prev_close[u] * std::exp(st.gap[u]);
  const double final_close = st.prev_close[u] * std::exp(st.ret[u]);
  double p = open_price;
  for (int j = 0; j < kN; ++j) {
    const double step = e[j] + fix * w[j] / sum_w;
    const double o = p;
    double c = p * std::exp(step);
    if (j == kN - 1) c = final_close;
    // Wicks and volume noise from one 64-bit draw (three 21-bit uniforms):
    // the minute path dominates the cost of every bar, daily ones included.
    const double sd = intraday_sd * std::sqrt(w[j] / sum_w);
    const uint64_t bits = rng.Next();
    const double u1 = static_cast<double>(bits & 0x1FFFFF) * 0x1.0p-21;
    const double u2 = static_cast<double>((bits >> 21) & 0x1FFFFF) * 0x1.0p-21;
    const double u3 = static_cast<double>((bits >> 42) & 0x1FFFFF) * 0x1.0p-21;
    const double h = std::max(o, c) * (1.0 + u1 * sd * 0.6);
    const double l = std::min(o, c) * (1.0 - u2 * sd * 0.6);
    const double v = std::floor(st.volume_base[u] * w[j] / sum_w * (0.7 + 0.6 * u3));
    p = c;
    emit(open_us + j * kUsPerMin, o, h, l, c, v);
  }
}

void SyntheticMarket::MinutePath(int sym, int64_t k, Bars* out, int64_t from, int64_t to) {
  WalkMinutes(sym, k, [&](int64_t start, double o, double h, double l, double c, double v) {
    if (start < from || start >= to) return;
    out->ts_start.push_back(start);
    out->ts_end.push_back(start + kUsPerMin);
    out->open.push_back(o);
    out->high.push_back(h);
    out->low.push_back(l);
    out->close.push_back(c);
    out->volume.push_back(v);
  });
}

void SyntheticMarket::DailyBar(int sym, int64_t k, double* o, double* h, double* l, double* c, double* v) {
  // The session's aggregate, without materialising its minutes.
  bool first = true;
  double vol = 0;
  WalkMinutes(sym, k, [&](int64_t, double mo, double mh, double ml, double mc, double mv) {
    if (first) {
      *o = mo;
      *h = mh;
      *l = ml;
      first = false;
    }
    *h = std::max(*h, mh);
    *l = std::min(*l, ml);
    *c = mc;
    vol += mv;
  });
  *v = vol;
}

void SyntheticMarket::Generate(int sym, bool daily, int64_t from, int64_t to, Bars* out) {
  if (sym < 0 || sym >= total_ || to <= from) return;
  int64_t first_day = std::max(config_.epoch_day, (from >= 0 ? from / kUsPerDay : -1) - 1);
  int64_t last_day = (to - 1) / kUsPerDay + 1;
  for (int64_t day = first_day; day <= last_day; ++day) {
    int64_t open_us, close_us;
    if (!SessionOf(day, &open_us, &close_us)) continue;
    if (close_us <= from || open_us >= to) continue;
    const int64_t k = DayIndex(day);
    if (k < 0) continue;
    ExtendTo(k);
    if (daily) {
      if (open_us < from) continue;
      double o, h, l, c, v;
      DailyBar(sym, k, &o, &h, &l, &c, &v);
      out->ts_start.push_back(open_us);
      out->ts_end.push_back(close_us);
      out->open.push_back(o); out->high.push_back(h); out->low.push_back(l);
      out->close.push_back(c); out->volume.push_back(v);
    } else {
      MinutePath(sym, k, out, from, to);
    }
  }
}

std::vector<NewsEvent> SyntheticMarket::News(int64_t from, int64_t to) {
  std::vector<NewsEvent> out;
  if (to <= from) return out;
  int64_t last_day = (to - 1) / kUsPerDay + 1;
  int64_t last_index = -1;
  for (int64_t day = last_day; day >= config_.epoch_day && last_index < 0; --day) last_index = DayIndex(day);
  if (last_index < 0) return out;
  ExtendTo(last_index);
  for (const auto& ev : news_) {
    int64_t open_us, close_us;
    if (!SessionOf(ev.day, &open_us, &close_us)) continue;
    const int64_t published = open_us + ev.minute * kUsPerMin;
    if (published >= from && published < to) out.push_back(ev);
  }
  return out;
}

}  // namespace sf::synthetic
