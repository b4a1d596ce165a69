// Volatility and bands: ATR, NATR, True Range, Bollinger Bands, Keltner and
// Donchian channels, standard deviation, variance, Parabolic SAR, SuperTrend,
// rolling z-score.
#include <algorithm>

#include "framework.h"

namespace sf::indicators {
namespace {

constexpr uint32_t kClose = SF_INPUT_CLOSE;
constexpr uint32_t kHlc = SF_INPUT_HIGH | SF_INPUT_LOW | SF_INPUT_CLOSE;
constexpr uint32_t kHl = SF_INPUT_HIGH | SF_INPUT_LOW;

// Wilder's ATR with TA-Lib's seeding: SMA of the first n true ranges, then
// atr = atr * ((n-1)/n) + tr * (1/n). TA-Lib writes (atr*(n-1) + tr) / n,
// which puts a division on the bar-to-bar dependency chain; the constants
// give the same value to a few ulps (the smoothing damps rounding, the test
// against TA-Lib holds 1e-9) at a third of the latency.
class AtrCore {
 public:
  explicit AtrCore(int64_t n)
      : n_(n), nd_(static_cast<double>(n)), keep_(WilderKeep(n)), take_(WilderTake(n)) {}
  double Update(const Bar& b) {
    const int64_t t = count_++;
    if (t == 0) { pc_ = b.close; return kNaN; }
    const double tr = TrueRange(b.high, b.low, pc_);
    pc_ = b.close;
    if (t < n_) { sum_ += tr; return kNaN; }
    if (t == n_) {
      sum_ += tr;
      atr_ = sum_ / nd_;
      return atr_;
    }
    atr_ = (atr_ * keep_) + (tr * take_);
    return atr_;
  }
  // The same arithmetic over arrays; out[i] for every bar (NaN in warm-up).
  // Returns whether a NaN input may have been seen (FirstNaNIfSeen): the
  // sum of every bar's (high + low) + close rides along the ATR chain, off
  // its critical path, instead of a separate pass over the columns.
  bool Batch(const double* h, const double* l, const double* c, int64_t count,
             double* out) const {
    const int64_t warm = n_ < count ? n_ : count;
    double sum = 0;
    double z = 0;
    if (count > 0) {
      out[0] = kNaN;
      z = (h[0] + l[0]) + c[0];
    }
    for (int64_t i = 1; i < warm; ++i) {
      sum += TrueRange(h[i], l[i], c[i - 1]);
      z += (h[i] + l[i]) + c[i];
      out[i] = kNaN;
    }
    if (count <= n_) return !(z - z == 0.0);
    sum += TrueRange(h[n_], l[n_], c[n_ - 1]);
    z += (h[n_] + l[n_]) + c[n_];
    double atr = sum / nd_;
    out[n_] = atr;
    for (int64_t i = n_ + 1; i < count; ++i) {
      atr = (atr * keep_) + (TrueRange(h[i], l[i], c[i - 1]) * take_);
      z += (h[i] + l[i]) + c[i];
      out[i] = atr;
    }
    return !(z - z == 0.0);
  }

 private:
  int64_t n_;
  double nd_, keep_, take_;
  int64_t count_ = 0;
  double pc_ = 0, sum_ = 0, atr_ = 0;
};

template <bool kNormalized>
class Atr {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    if (kNormalized) {
      // Period 1 is refused: TA-Lib's NATR(1) returns the raw true range (it
      // forwards to TA_TRANGE), which is not a normalized value.
      return {"natr", "Normalized Average True Range", "volatility", kInputs,
              {PeriodParam("period", 14, 2, "Wilder smoothing period")},
              {{"value", "ATR / close * 100; 0 when close is 0"}},
              "TA-Lib TA_NATR"};
    }
    return {"atr", "Average True Range", "volatility", kInputs,
            {PeriodParam("period", 14, 1, "Wilder smoothing period")},
            {{"value", "Wilder-smoothed true range"}},
            "TA-Lib TA_ATR (J. Welles Wilder, 1978)"};
  }
  static void Check(const Params&) {}
  explicit Atr(const Params& p) : n_(p.i(0)), core_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    const double a = core_.Update(b);
    if (!kNormalized || std::isnan(a)) { out[0] = a; return; }
    out[0] = Normalize(a, b.close);
  }
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out,
             int64_t* first_nan) const {
    double* o = out[0];
    const bool seen = core_.Batch(s.high, s.low, s.close, count, o);
    if constexpr (kNormalized) {
      for (int64_t i = n_; i < count; ++i) o[i] = Normalize(o[i], s.close[i]);
    }
    *first_nan = FirstNaNIfSeen<kInputs>(seen, s, count);
    return true;
  }

 private:
  // TA-Lib: ATR / close * 100, 0 when close is (near) zero; branch-free.
  static double Normalize(double atr, double close) {
    const bool ok = !IsZero(close);
    const double q = (atr / (ok ? close : 1.0)) * 100.0;
    return ok ? q : 0.0;
  }

  int64_t n_;
  AtrCore core_;
};

class TRange {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"trange", "True Range", "volatility", kInputs, {},
            {{"value", "max(high - low, |high - prev close|, |low - prev close|)"}},
            "TA-Lib TA_TRANGE"};
  }
  static void Check(const Params&) {}
  explicit TRange(const Params&) {}
  int64_t lookback() const { return 1; }
  void Update(const Bar& b, double* out) {
    out[0] = started_ ? TrueRange(b.high, b.low, pc_) : kNaN;
    pc_ = b.close;
    started_ = true;
  }

 private:
  double pc_ = 0;
  bool started_ = false;
};

class BBands {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 5;
  static IndicatorSpec MakeSpec() {
    return {"bbands", "Bollinger Bands", "volatility", kInputs,
            {PeriodParam("period", 5, 2, "SMA / standard deviation window"),
             {"nbdevup", ParamType::kDouble, 2, 0, 100, "standard deviations above"},
             {"nbdevdn", ParamType::kDouble, 2, 0, 100, "standard deviations below"}},
            {{"upper", "middle + nbdevup * stddev"},
             {"middle", "SMA"},
             {"lower", "middle - nbdevdn * stddev"},
             {"percent_b", "(close - lower) / (upper - lower); 0.5 when the bands touch",
              true},
             {"bandwidth", "(upper - lower) / middle; 0 when middle is 0", true}},
            "TA-Lib TA_BBANDS (MA type SMA, population stddev); %B and bandwidth after "
            "John Bollinger, Bollinger on Bollinger Bands (2001)"};
  }
  static void Check(const Params&) {}
  explicit BBands(const Params& p) : n_(p.i(0)), up_(p.d(1)), dn_(p.d(2)), v_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    if (!v_.Update(b.close)) { FillNaN(out, kOutputs); return; }
    Bands(v_.mean(), v_.var(), b.close, up_, dn_, &out[0], &out[1], &out[2], &out[3], &out[4]);
  }
  // VarCore's running sums and Bands() over the arrays, in blocks of bars
  // that stay in L1. Two things bound it: the running sums, whose rounding
  // must be TA-Lib's (add the bar, take the sum, remove the leaving bar: a
  // chain of dependent additions), and the divider (mean, E[x^2], square
  // root and the %B/bandwidth reciprocal). So each block is done in three
  // passes: the chain alone (scalar), then the bands, then %B and
  // bandwidth (skipped when the caller passes NULL for both, as a caller
  // wanting TA-Lib's three bands does); the last two have no loop-carried
  // dependency, so the compiler packs them and the divider works on two
  // bars at once. The blocks are small and the bands of a block are taken
  // after the sums of the next one: those do not depend on each other, so
  // the CPU runs the divider while the chain waits on its additions (the
  // two fit in its reorder window together). Packed IEEE division and
  // square root round as scalar ones, so every value is Update()'s to the
  // bit. Every close goes into the running sum, which a NaN turns NaN for
  // good: a NaN sum at the end is the NaN watch (FirstNaNIfSeen).
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out,
             int64_t* first_nan) const {
    const double* x = s.close;
    const int64_t n = n_;
    const int64_t warm = n - 1 < count ? n - 1 : count;
    double a = 0, q = 0;
    for (int64_t i = 0; i < warm; ++i) {
      a += x[i];
      q += x[i] * x[i];
    }
    constexpr int64_t kBlock = 24;
    double sums[2][2][kBlock];  // two blocks in flight: running sums of x, x^2
    int cur = 0;
    int64_t prev_b = 0, prev_len = 0;
    for (int64_t b = n - 1; b < count; b += kBlock) {
      const int64_t len = kBlock < count - b ? kBlock : count - b;
      double* sum = sums[cur][0];
      double* sum2 = sums[cur][1];
      const double* xb = x + b;
      const double* leaving = x + b - n + 1;
      for (int64_t j = 0; j < len; ++j) {
        const double v = xb[j], old = leaving[j];
        a += v;
        sum[j] = a;
        a -= old;
        q += v * v;
        sum2[j] = q;
        q -= old * old;
      }
      if (prev_len > 0) BandsBlock(x, prev_b, prev_len, sums[cur ^ 1][0], sums[cur ^ 1][1], out);
      prev_b = b;
      prev_len = len;
      cur ^= 1;
    }
    if (prev_len > 0) BandsBlock(x, prev_b, prev_len, sums[cur ^ 1][0], sums[cur ^ 1][1], out);
    *first_nan = FirstNaNIfSeen<kInputs>(!(a - a == 0.0), s, count);
    for (int k = 0; k < kOutputs; ++k) {
      if (!Wanted(out, k)) continue;
      for (int64_t j = 0; j < warm; ++j) out[k][j] = kNaN;
    }
    return true;
  }

 private:
  // The bands (and the wanted ratios) of the bars [b, b + len) from their
  // running sums; the sums are spent afterwards.
  void BandsBlock(const double* x, int64_t b, int64_t len, double* sum, double* sum2,
                  double* const* out) const {
    const double nd = static_cast<double>(n_);
    const double nbdevup = up_, nbdevdn = dn_;
    double* upper = out[0] + b;
    double* middle = out[1] + b;
    double* lower = out[2] + b;
    for (int64_t j = 0; j < len; ++j) {
      const double mid = sum[j] / nd;
      const double var = (sum2[j] / nd) - (mid * mid);
      const double sd = std::sqrt(IsZeroOrNeg(var) ? 0.0 : var);
      upper[j] = mid + (sd * nbdevup);
      middle[j] = mid;
      lower[j] = mid - (sd * nbdevdn);
    }
    if (!Wanted(out, 3) && !Wanted(out, 4)) return;
    // A NULL (unwanted) ratio output is written to the spent sums.
    double* percent_b = Wanted(out, 3) ? out[3] + b : sum;
    double* bandwidth = Wanted(out, 4) ? out[4] + b : sum2;
    const double* xb = x + b;
    for (int64_t j = 0; j < len; ++j) {
      Ratios(xb[j], lower[j], upper[j] - lower[j], middle[j], &percent_b[j], &bandwidth[j]);
    }
  }

  // TA-Lib's bands from VarCore's mean and variance (stddev 0 below 1e-14),
  // then %B and bandwidth (Ratios()); every operand is computed, then chosen
  // (no data-dependent branch).
  static void Bands(double mid, double var, double close, double nbdevup, double nbdevdn,
                    double* upper, double* middle, double* lower, double* percent_b,
                    double* bandwidth) {
    const double sd = std::sqrt(IsZeroOrNeg(var) ? 0.0 : var);
    const double up = mid + (sd * nbdevup);
    const double lo = mid - (sd * nbdevdn);
    *upper = up;
    *middle = mid;
    *lower = lo;
    Ratios(close, lo, up - lo, mid, percent_b, bandwidth);
  }

  // %B = (close - lower) / width (0.5 when the bands touch) and bandwidth =
  // width / middle (0 when the bands touch or the middle is 0) with ONE
  // division: r = 1 / (width * middle), %B = (close - lower) * middle * r,
  // bandwidth = width * width * r. That is a few ulps from two divisions
  // (these outputs are not TA-Lib's; the bands are) and saves a fifth of
  // the divider, which bounds this indicator. A width or middle within
  // 2^-200 (~6e-61) of 0 counts as 0, so the product never underflows; it
  // overflows only where E[x^2] (TA-Lib's variance) already does.
  static constexpr double kTiny = 0x1p-200;
  static void Ratios(double close, double lo, double width, double mid, double* percent_b,
                     double* bandwidth) {
    const bool wide = std::fabs(width) >= kTiny, priced = std::fabs(mid) >= kTiny;
    const double w = wide ? width : 1.0, m = priced ? mid : 1.0;
    const double r = 1.0 / (w * m);
    const double pb = ((close - lo) * m) * r;
    const double bw = (w * w) * r;
    *percent_b = wide ? pb : 0.5;
    *bandwidth = wide && priced ? bw : 0.0;
  }

  int64_t n_;
  double up_, dn_;
  VarCore v_;
};

template <bool kStdDev>
class Dispersion {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    if (kStdDev) {
      return {"stddev", "Standard Deviation", "volatility", kInputs,
              {PeriodParam("period", 5, 2, "bars in the window"),
               {"nbdev", ParamType::kDouble, 1, 0, 100, "multiplier"}},
              {{"value", "population standard deviation * nbdev"}},
              "TA-Lib TA_STDDEV"};
    }
    return {"var", "Variance", "volatility", kInputs,
            {PeriodParam("period", 5, 1, "bars in the window")},
            {{"value", "population variance"}},
            "TA-Lib TA_VAR"};
  }
  static void Check(const Params&) {}
  explicit Dispersion(const Params& p) : n_(p.i(0)), mult_(kStdDev ? p.d(1) : 1.0), v_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    if (!v_.Update(b.close)) { out[0] = kNaN; return; }
    if (kStdDev) {
      out[0] = !IsZeroOrNeg(v_.var()) ? std::sqrt(v_.var()) * mult_ : 0.0;
    } else {
      out[0] = v_.var();
    }
  }

 private:
  int64_t n_;
  double mult_;
  VarCore v_;
};

class ZScore {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"zscore", "Rolling Z-Score", "volatility", kInputs,
            {PeriodParam("period", 20, 2, "bars in the window")},
            {{"value", "(close - mean) / population stddev over the window; 0 when flat"}},
            "standard score z = (x - mean) / sigma over a rolling window; mean and sigma as "
            "TA-Lib TA_SMA / TA_STDDEV"};
  }
  static void Check(const Params&) {}
  explicit ZScore(const Params& p) : n_(p.i(0)), v_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    if (!v_.Update(b.close)) { out[0] = kNaN; return; }
    const double sd = v_.stddev();
    out[0] = sd != 0.0 ? (b.close - v_.mean()) / sd : 0.0;
  }

 private:
  int64_t n_;
  VarCore v_;
};

class Keltner {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 3;
  static IndicatorSpec MakeSpec() {
    return {"keltner", "Keltner Channels", "volatility", kInputs,
            {PeriodParam("period", 20, 2, "EMA period of the middle line"),
             PeriodParam("atr_period", 10, 1, "ATR period"),
             {"multiplier", ParamType::kDouble, 2, 0, 100, "ATR multiples for the bands"}},
            {{"upper", "middle + multiplier * ATR"},
             {"middle", "EMA of close"},
             {"lower", "middle - multiplier * ATR"}},
            "Linda Raschke's Keltner Channels (EMA +- k * ATR), as StockCharts ChartSchool; "
            "EMA and ATR as TA-Lib TA_EMA / TA_ATR"};
  }
  static void Check(const Params&) {}
  explicit Keltner(const Params& p)
      : n_(p.i(0)), an_(p.i(1)), mult_(p.d(2)), ema_(n_), atr_(an_) {}
  int64_t lookback() const { return std::max(n_ - 1, an_); }
  void Update(const Bar& b, double* out) {
    const double mid = ema_.Update(b.close);
    const double atr = atr_.Update(b);
    if (count_++ < lookback()) { FillNaN(out, kOutputs); return; }
    out[0] = mid + mult_ * atr;
    out[1] = mid;
    out[2] = mid - mult_ * atr;
  }

 private:
  int64_t n_, an_;
  double mult_;
  EmaCore ema_;
  AtrCore atr_;
  int64_t count_ = 0;
};

class Donchian {
 public:
  static constexpr uint32_t kInputs = kHl;
  static constexpr int kOutputs = 3;
  static IndicatorSpec MakeSpec() {
    return {"donchian", "Donchian Channels", "volatility", kInputs,
            {PeriodParam("period", 20, 1, "bars in the window")},
            {{"upper", "highest high (TA-Lib TA_MAX on high)"},
             {"middle", "(upper + lower) / 2 (TA-Lib TA_MIDPRICE)"},
             {"lower", "lowest low (TA-Lib TA_MIN on low)"}},
            "Richard Donchian's channel; values as TA-Lib TA_MAX / TA_MIDPRICE / TA_MIN"};
  }
  static void Check(const Params&) {}
  explicit Donchian(const Params& p) : n_(p.i(0)), max_(n_), min_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    max_.Push(t, b.high);
    min_.Push(t, b.low);
    if (t < n_ - 1) { FillNaN(out, kOutputs); return; }
    out[0] = max_.value();
    out[1] = (max_.value() + min_.value()) / 2.0;
    out[2] = min_.value();
  }

 private:
  int64_t n_;
  ExtremeDeque<true> max_;
  ExtremeDeque<false> min_;
  int64_t count_ = 0;
};

class Sar {
 public:
  static constexpr uint32_t kInputs = kHl;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"sar", "Parabolic SAR", "volatility", kInputs,
            {{"acceleration", ParamType::kDouble, 0.02, 0, 1, "acceleration factor step"},
             {"maximum", ParamType::kDouble, 0.2, 0, 1, "acceleration factor cap"}},
            {{"value", "stop and reverse level"}},
            "TA-Lib TA_SAR (J. Welles Wilder, 1978); first direction from -DM of bar 1"};
  }
  static void Check(const Params&) {}
  explicit Sar(const Params& p) : accel_(p.d(0)), max_(p.d(1)) {
    if (accel_ > max_) accel_ = max_;
    af_ = accel_;
  }
  int64_t lookback() const { return 1; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    if (t == 0) {
      new_high_ = b.high;
      new_low_ = b.low;
      out[0] = kNaN;
      return;
    }
    if (t == 1) {
      const double diff_p = b.high - new_high_;
      const double diff_m = new_low_ - b.low;
      long_ = !((diff_m > 0) && (diff_p < diff_m));
      if (long_) {
        ep_ = b.high;
        sar_ = new_low_;
      } else {
        ep_ = b.low;
        sar_ = new_high_;
      }
      new_low_ = b.low;
      new_high_ = b.high;
    }
    const double prev_low = new_low_;
    const double prev_high = new_high_;
    new_low_ = b.low;
    new_high_ = b.high;
    if (long_) {
      if (new_low_ <= sar_) {
        long_ = false;
        sar_ = ep_;
        if (sar_ < prev_high) sar_ = prev_high;
        if (sar_ < new_high_) sar_ = new_high_;
        out[0] = sar_;
        af_ = accel_;
        ep_ = new_low_;
        sar_ = sar_ + af_ * (ep_ - sar_);
        if (sar_ < prev_high) sar_ = prev_high;
        if (sar_ < new_high_) sar_ = new_high_;
      } else {
        out[0] = sar_;
        if (new_high_ > ep_) {
          ep_ = new_high_;
          af_ += accel_;
          if (af_ > max_) af_ = max_;
        }
        sar_ = sar_ + af_ * (ep_ - sar_);
        if (sar_ > prev_low) sar_ = prev_low;
        if (sar_ > new_low_) sar_ = new_low_;
      }
    } else {
      if (new_high_ >= sar_) {
        long_ = true;
        sar_ = ep_;
        if (sar_ > prev_low) sar_ = prev_low;
        if (sar_ > new_low_) sar_ = new_low_;
        out[0] = sar_;
        af_ = accel_;
        ep_ = new_high_;
        sar_ = sar_ + af_ * (ep_ - sar_);
        if (sar_ > prev_low) sar_ = prev_low;
        if (sar_ > new_low_) sar_ = new_low_;
      } else {
        out[0] = sar_;
        if (new_low_ < ep_) {
          ep_ = new_low_;
          af_ += accel_;
          if (af_ > max_) af_ = max_;
        }
        sar_ = sar_ + af_ * (ep_ - sar_);
        if (sar_ < prev_high) sar_ = prev_high;
        if (sar_ < new_high_) sar_ = new_high_;
      }
    }
  }

 private:
  double accel_, max_, af_;
  int64_t count_ = 0;
  bool long_ = true;
  double ep_ = 0, sar_ = 0, new_high_ = 0, new_low_ = 0;
};

class SuperTrend {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 2;
  static IndicatorSpec MakeSpec() {
    return {"supertrend", "SuperTrend", "volatility", kInputs,
            {PeriodParam("period", 10, 1, "ATR period"),
             {"multiplier", ParamType::kDouble, 3, 0, 100, "ATR multiples"}},
            {{"value", "the trailing stop line (lower band in an uptrend, upper in a downtrend)"},
             {"direction", "+1 uptrend, -1 downtrend"}},
            "Olivier Seban's SuperTrend as TradingView Pine ta.supertrend (hl2 +- k * ATR, "
            "first bar starts down); ATR as TA-Lib TA_ATR"};
  }
  static void Check(const Params&) {}
  explicit SuperTrend(const Params& p) : n_(p.i(0)), mult_(p.d(1)), atr_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    const double atr = atr_.Update(b);
    if (std::isnan(atr)) {
      prev_close_ = b.close;
      out[0] = out[1] = kNaN;
      return;
    }
    const double hl2 = (b.high + b.low) / 2.0;
    double upper = hl2 + mult_ * atr;
    double lower = hl2 - mult_ * atr;
    if (started_) {
      if (!(upper < upper_ || prev_close_ > upper_)) upper = upper_;
      if (!(lower > lower_ || prev_close_ < lower_)) lower = lower_;
      if (dir_ < 0) {
        dir_ = b.close > upper ? 1 : -1;
      } else {
        dir_ = b.close < lower ? -1 : 1;
      }
    } else {
      dir_ = -1;
      started_ = true;
    }
    upper_ = upper;
    lower_ = lower;
    prev_close_ = b.close;
    out[0] = dir_ > 0 ? lower : upper;
    out[1] = static_cast<double>(dir_);
  }

 private:
  int64_t n_;
  double mult_;
  AtrCore atr_;
  bool started_ = false;
  int dir_ = -1;
  double upper_ = 0, lower_ = 0, prev_close_ = 0;
};

}  // namespace

void AppendVolatility(std::vector<VTableFn>& out) {
  out.push_back(&Adapter<Atr<false>>::VTable);
  out.push_back(&Adapter<Atr<true>>::VTable);
  out.push_back(&Adapter<TRange>::VTable);
  out.push_back(&Adapter<BBands>::VTable);
  out.push_back(&Adapter<Keltner>::VTable);
  out.push_back(&Adapter<Donchian>::VTable);
  out.push_back(&Adapter<Dispersion<true>>::VTable);
  out.push_back(&Adapter<Dispersion<false>>::VTable);
  out.push_back(&Adapter<Sar>::VTable);
  out.push_back(&Adapter<SuperTrend>::VTable);
  out.push_back(&Adapter<ZScore>::VTable);
}

}  // namespace sf::indicators
