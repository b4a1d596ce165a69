// Moving averages: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, HMA, VWMA, T3.
// TA-Lib's arithmetic is followed step by step where TA-Lib has the function
// (see README.md for the conventions).
#include "framework.h"

namespace sf::indicators {
namespace {

constexpr uint32_t kClose = SF_INPUT_CLOSE;

class Sma {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static constexpr bool kCarriesNaN = true;
  static IndicatorSpec MakeSpec() {
    return {"sma", "Simple Moving Average", "overlap", kInputs,
            {PeriodParam("period", 30, 2, "bars in the window")},
            {{"value", "arithmetic mean of the last period closes"}},
            "TA-Lib TA_SMA"};
  }
  static void Check(const Params&) {}
  explicit Sma(const Params& p) : n_(p.i(0)), nd_(static_cast<double>(n_)), w_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    w_.Push(b.close);
    const int64_t t = count_++;
    out[0] = kNaN;
    if (t < n_) {
      sum_ += b.close;
      if (t == n_ - 1) out[0] = sum_ / nd_;
      return;
    }
    sum_ += b.close - w_.Ago(n_);
    out[0] = sum_ / nd_;
  }
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out) const {
    const double* x = s.close;
    double* o = out[0];
    const int64_t n = n_;
    const int64_t warm = count < n ? count : n;
    double sum = 0;
    for (int64_t i = 0; i < warm; ++i) {
      sum += x[i];
      o[i] = kNaN;
    }
    if (count < n) return true;
    o[n - 1] = sum / nd_;
    for (int64_t i = n; i < count; ++i) {
      sum += x[i] - x[i - n];
      o[i] = sum / nd_;
    }
    return true;
  }

 private:
  // The window sum moves by (new - leaving) in one addition: one add on
  // the bar-to-bar chain where TA-Lib (and SmaCore, which APO/PPO/STOCH
  // keep for their differences of near-equal means) has two; the mean is
  // within an ulp or two of TA-Lib's.
  int64_t n_;
  double nd_;
  Window w_;
  double sum_ = 0;
  int64_t count_ = 0;
};

class Ema {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static constexpr bool kCarriesNaN = true;
  static IndicatorSpec MakeSpec() {
    return {"ema", "Exponential Moving Average", "overlap", kInputs,
            {PeriodParam("period", 30, 2, "smoothing period, k = 2/(period+1)")},
            {{"value", "EMA seeded with the SMA of the first period closes"}},
            "TA-Lib TA_EMA"};
  }
  static void Check(const Params&) {}
  explicit Ema(const Params& p)
      : n_(p.i(0)), take_(2.0 / (static_cast<double>(n_) + 1.0)), keep_(1.0 - take_),
        ema_(keep_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    out[0] = kNaN;
    if (t < n_) {
      seed_ += b.close;
      if (t == n_ - 1) {
        ema_.Seed(seed_ / static_cast<double>(n_));
        out[0] = ema_.value();
      }
      return;
    }
    out[0] = ema_.Step(b.close * take_);
  }
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out) const {
    const double* x = s.close;
    double* o = out[0];
    const int64_t n = n_;
    const double keep = keep_, take = take_, keep2 = keep_ * keep_;
    const int64_t warm = count < n - 1 ? count : n - 1;
    double seed = 0;
    for (int64_t i = 0; i < warm; ++i) {
      seed += x[i];
      o[i] = kNaN;
    }
    if (count < n) return true;
    seed += x[n - 1];
    double prev = seed / static_cast<double>(n);
    o[n - 1] = prev;
    if (count == n) return true;
    // TwoStepSmoother's arithmetic: one one-bar step, then two-bar steps.
    double u1 = x[n] * take;
    double prev2 = prev;
    prev = (prev * keep) + u1;
    o[n] = prev;
    for (int64_t i = n + 1; i < count; ++i) {
      const double u = x[i] * take;
      const double e = TwoStepSmoother::Next(prev2, u1, u, keep, keep2);
      prev2 = prev;
      prev = e;
      u1 = u;
      o[i] = e;
    }
    return true;
  }

 private:
  // TA-Lib's seed, then prev * (1-k) + x * k taken two bars per step
  // (TwoStepSmoother): the products with x are off the bar-to-bar chain,
  // which is one multiply and one add per two bars instead of TA-Lib's
  // subtract, multiply and add per bar; within a few ulps of TA-Lib's EMA.
  // MACD, DEMA, TEMA and TRIX keep EmaCore's exact TA-Lib arithmetic (MACD
  // and TRIX are differences of near-equal values).
  int64_t n_;
  double take_, keep_;
  TwoStepSmoother ema_;
  double seed_ = 0;
  int64_t count_ = 0;
};

class Wma {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"wma", "Weighted Moving Average", "overlap", kInputs,
            {PeriodParam("period", 30, 2, "bars in the window, weights 1..period")},
            {{"value", "linearly weighted mean, newest bar heaviest"}},
            "TA-Lib TA_WMA"};
  }
  static void Check(const Params&) {}
  explicit Wma(const Params& p) : n_(p.i(0)), core_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) { out[0] = core_.Update(b.close); }

 private:
  int64_t n_;
  WmaCore core_;
};

class Dema {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"dema", "Double Exponential Moving Average", "overlap", kInputs,
            {PeriodParam("period", 30, 2, "EMA period")},
            {{"value", "2*EMA - EMA(EMA)"}},
            "TA-Lib TA_DEMA"};
  }
  static void Check(const Params&) {}
  explicit Dema(const Params& p) : n_(p.i(0)), e1_(n_), e2_(n_) {}
  int64_t lookback() const { return 2 * (n_ - 1); }
  void Update(const Bar& b, double* out) {
    double a = e1_.Update(b.close);
    if (!e1_.ready()) { out[0] = kNaN; return; }
    double c = e2_.Update(a);
    out[0] = e2_.ready() ? (2.0 * a) - c : kNaN;
  }

 private:
  int64_t n_;
  EmaCore e1_, e2_;
};

class Tema {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"tema", "Triple Exponential Moving Average", "overlap", kInputs,
            {PeriodParam("period", 30, 2, "EMA period")},
            {{"value", "3*EMA - 3*EMA(EMA) + EMA(EMA(EMA))"}},
            "TA-Lib TA_TEMA"};
  }
  static void Check(const Params&) {}
  explicit Tema(const Params& p) : n_(p.i(0)), e1_(n_), e2_(n_), e3_(n_) {}
  int64_t lookback() const { return 3 * (n_ - 1); }
  void Update(const Bar& b, double* out) {
    out[0] = kNaN;
    double a = e1_.Update(b.close);
    if (!e1_.ready()) return;
    double c = e2_.Update(a);
    if (!e2_.ready()) return;
    double d = e3_.Update(c);
    if (!e3_.ready()) return;
    out[0] = d + ((3.0 * a) - (3.0 * c));
  }

 private:
  int64_t n_;
  EmaCore e1_, e2_, e3_;
};

class Trima {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"trima", "Triangular Moving Average", "overlap", kInputs,
            {PeriodParam("period", 30, 2, "bars in the window")},
            {{"value", "SMA of an SMA (triangular weights)"}},
            "TA-Lib TA_TRIMA"};
  }
  static void Check(const Params&) {}
  explicit Trima(const Params& p)
      : n_(p.i(0)),
        first_(n_ % 2 == 1 ? (n_ + 1) / 2 : n_ / 2),
        second_(n_ % 2 == 1 ? (n_ + 1) / 2 : n_ / 2 + 1) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    double a = first_.Update(b.close);
    out[0] = std::isnan(a) ? kNaN : second_.Update(a);
  }

 private:
  int64_t n_;
  SmaCore first_, second_;
};

class Kama {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"kama", "Kaufman Adaptive Moving Average", "overlap", kInputs,
            {PeriodParam("period", 30, 2, "efficiency-ratio window (fast 2, slow 30 fixed)")},
            {{"value", "adaptive EMA whose speed follows the efficiency ratio"}},
            "TA-Lib TA_KAMA"};
  }
  static void Check(const Params&) {}
  explicit Kama(const Params& p) : n_(p.i(0)), w_(n_ + 1) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    const double x = b.close;
    const int64_t t = count_++;
    if (t > 0 && t <= n_) sum_roc_ += std::fabs(w_.Ago(0) - x);
    w_.Push(x);
    if (t < n_) { out[0] = kNaN; return; }
    double trailing_now = w_.Ago(n_);  // x[t-n]
    double period_roc = x - trailing_now;
    if (t == n_) {
      prev_ = w_.Ago(1);
    } else {
      sum_roc_ -= std::fabs(trailing_ - trailing_now);
      sum_roc_ += std::fabs(x - w_.Ago(1));
    }
    trailing_ = trailing_now;
    double er;
    if ((sum_roc_ <= period_roc) || IsZero(sum_roc_)) {
      er = 1.0;
    } else {
      er = std::fabs(period_roc / sum_roc_);
    }
    constexpr double kConstMax = 2.0 / (30.0 + 1.0);
    constexpr double kConstDiff = 2.0 / (2.0 + 1.0) - kConstMax;
    double sc = (er * kConstDiff) + kConstMax;
    sc *= sc;
    prev_ = ((x - prev_) * sc) + prev_;
    out[0] = prev_;
  }

 private:
  int64_t n_;
  Window w_;
  int64_t count_ = 0;
  double sum_roc_ = 0, prev_ = 0, trailing_ = 0;
};

// Hull: WMA(2*WMA(n/2) - WMA(n), floor(sqrt(n))).
class Hma {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"hma", "Hull Moving Average", "overlap", kInputs,
            {PeriodParam("period", 20, 2, "bars in the window")},
            {{"value", "WMA(2*WMA(close, period/2) - WMA(close, period), floor(sqrt(period)))"}},
            "Alan Hull (2005), Hull Moving Average; WMA arithmetic as TA-Lib TA_WMA"};
  }
  static void Check(const Params&) {}
  explicit Hma(const Params& p)
      : n_(p.i(0)),
        sq_(static_cast<int64_t>(std::floor(std::sqrt(static_cast<double>(n_))))),
        half_(n_ / 2),
        full_(n_),
        outer_(sq_) {}
  int64_t lookback() const { return (n_ - 1) + (sq_ - 1); }
  void Update(const Bar& b, double* out) {
    double h = half_.Update(b.close);
    double f = full_.Update(b.close);
    out[0] = std::isnan(f) ? kNaN : outer_.Update((2.0 * h) - f);
  }

 private:
  int64_t n_, sq_;
  WmaCore half_, full_, outer_;
};

// Volume-weighted moving average.
class Vwma {
 public:
  static constexpr uint32_t kInputs = kClose | SF_INPUT_VOLUME;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"vwma", "Volume Weighted Moving Average", "overlap", kInputs,
            {PeriodParam("period", 20, 1, "bars in the window")},
            {{"value", "sum(close*volume)/sum(volume) over the window; NaN when the window "
                       "has no volume"}},
            "sum(close*volume, n) / sum(volume, n) (e.g. TradingView ta.vwma)"};
  }
  static void Check(const Params&) {}
  explicit Vwma(const Params& p) : n_(p.i(0)), pv_(n_), v_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    double pv = b.close * b.volume;
    pv_.Push(pv);
    v_.Push(b.volume);
    spv_ += pv;
    sv_ += b.volume;
    if (++count_ < n_) { out[0] = kNaN; return; }
    out[0] = sv_ != 0.0 ? spv_ / sv_ : kNaN;
    spv_ -= pv_.Ago(n_ - 1);
    sv_ -= v_.Ago(n_ - 1);
  }

 private:
  int64_t n_;
  Window pv_, v_;
  double spv_ = 0, sv_ = 0;
  int64_t count_ = 0;
};

// One T3 stage: seeded by the mean of its first n inputs, then
// e = k*x + (1-k)*e (TA-Lib TA_T3 arithmetic).
class T3Stage {
 public:
  T3Stage(int64_t n, double k) : n_(n), k_(k), omk_(1.0 - k) {}
  bool Update(double x) {
    if (count_ < n_) {
      seed_ += x;
      if (++count_ < n_) return false;
      e_ = seed_ / static_cast<double>(n_);
      return true;
    }
    e_ = (k_ * x) + (omk_ * e_);
    return true;
  }
  double value() const { return e_; }

 private:
  int64_t n_;
  double k_, omk_;
  double seed_ = 0, e_ = 0;
  int64_t count_ = 0;
};

class T3 {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"t3", "Triple Exponential Moving Average (T3)", "overlap", kInputs,
            {PeriodParam("period", 5, 2, "EMA period of each of the six stages"),
             {"vfactor", ParamType::kDouble, 0.7, 0, 1, "volume factor (0..1)"}},
            {{"value", "Tillson T3"}},
            "TA-Lib TA_T3 (Tim Tillson, 1998)"};
  }
  static void Check(const Params&) {}
  explicit T3(const Params& p) : n_(p.i(0)) {
    const double k = 2.0 / (static_cast<double>(n_) + 1.0);
    for (int s = 0; s < 6; ++s) stages_.emplace_back(n_, k);
    const double v = p.d(1);
    const double t = v * v;
    c1_ = -(t * v);
    c2_ = 3.0 * (t - c1_);
    c3_ = -6.0 * t - 3.0 * (v - c1_);
    c4_ = 1.0 + 3.0 * v - c1_ + 3.0 * t;
  }
  int64_t lookback() const { return 6 * (n_ - 1); }
  void Update(const Bar& b, double* out) {
    out[0] = kNaN;
    double x = b.close;
    for (int s = 0; s < 6; ++s) {
      if (!stages_[s].Update(x)) return;
      x = stages_[s].value();
    }
    out[0] = c1_ * stages_[5].value() + c2_ * stages_[4].value() + c3_ * stages_[3].value() +
             c4_ * stages_[2].value();
  }

 private:
  int64_t n_;
  std::vector<T3Stage> stages_;
  double c1_, c2_, c3_, c4_;
};

}  // namespace

void AppendMovingAverages(std::vector<VTableFn>& out) {
  out.push_back(&Adapter<Sma>::VTable);
  out.push_back(&Adapter<Ema>::VTable);
  out.push_back(&Adapter<Wma>::VTable);
  out.push_back(&Adapter<Dema>::VTable);
  out.push_back(&Adapter<Tema>::VTable);
  out.push_back(&Adapter<Trima>::VTable);
  out.push_back(&Adapter<Kama>::VTable);
  out.push_back(&Adapter<Hma>::VTable);
  out.push_back(&Adapter<Vwma>::VTable);
  out.push_back(&Adapter<T3>::VTable);
}

}  // namespace sf::indicators
