// Momentum and oscillators: RSI, StochRSI, STOCH, STOCHF, MACD, PPO, APO,
// MOM, ROC, ROCP, TRIX, CMO, CCI, Williams %R, Ultimate Oscillator, TSI, BOP,
// Aroon, ADX, ADXR, DX, +DI, -DI, +DM, -DM, Vortex.
#include <algorithm>
#include <array>

#include "framework.h"

namespace sf::indicators {
namespace {

constexpr uint32_t kClose = SF_INPUT_CLOSE;
constexpr uint32_t kHlc = SF_INPUT_HIGH | SF_INPUT_LOW | SF_INPUT_CLOSE;
constexpr uint32_t kHl = SF_INPUT_HIGH | SF_INPUT_LOW;

void RequireLess(const Params& p, size_t a, size_t b) {
  if (p.d(a) >= p.d(b)) {
    ThrowInvalid(std::string(p.spec().id) + ": " + p.spec().params[a].name + " must be < " +
                 p.spec().params[b].name + ", got " + FormatNumber(p.d(a)) + " >= " +
                 FormatNumber(p.d(b)));
  }
}

// Wilder's RSI with TA-Lib's seeding (mean gain/loss of the first n changes).
class RsiCore {
 public:
  explicit RsiCore(int64_t n) : n_(n), nm1_(static_cast<double>(n - 1)), nd_(static_cast<double>(n)) {}
  double Update(double x) {
    const int64_t t = count_++;
    if (t == 0) { prev_ = x; return kNaN; }
    const double diff = x - prev_;
    prev_ = x;
    if (t < n_) {
      if (diff < 0) loss_ -= diff; else gain_ += diff;
      return kNaN;
    }
    if (t == n_) {
      if (diff < 0) loss_ -= diff; else gain_ += diff;
      loss_ /= nd_;
      gain_ /= nd_;
    } else {
      loss_ *= nm1_;
      gain_ *= nm1_;
      if (diff < 0) loss_ -= diff; else gain_ += diff;
      loss_ /= nd_;
      gain_ /= nd_;
    }
    return Value();
  }
  double gain() const { return gain_; }
  double loss() const { return loss_; }

 private:
  double Value() const {
    const double sum = gain_ + loss_;
    return !IsZero(sum) ? 100.0 * (gain_ / sum) : 0.0;
  }
  int64_t n_;
  double nm1_, nd_;
  int64_t count_ = 0;
  double prev_ = 0, gain_ = 0, loss_ = 0;
};

class Rsi {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"rsi", "Relative Strength Index", "momentum", kInputs,
            {PeriodParam("period", 14, 2, "Wilder smoothing period")},
            {{"value", "RSI in [0, 100]"}},
            "TA-Lib TA_RSI (J. Welles Wilder, 1978)"};
  }
  static void Check(const Params&) {}
  explicit Rsi(const Params& p)
      : n_(p.i(0)), nd_(static_cast<double>(n_)), keep_(WilderKeep(n_)), take_(WilderTake(n_)) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    out[0] = kNaN;
    if (t > 0) {
      const double diff = b.close - prev_;
      if (t < n_) {
        gain_ += Gain(diff);
        loss_ += Loss(diff);
      } else if (t == n_) {
        gain_ = (gain_ + Gain(diff)) / nd_;
        loss_ = (loss_ + Loss(diff)) / nd_;
        out[0] = Value(gain_, loss_);
      } else {
        gain_ = (gain_ * keep_) + (Gain(diff) * take_);
        loss_ = (loss_ * keep_) + (Loss(diff) * take_);
        out[0] = Value(gain_, loss_);
      }
    }
    prev_ = b.close;
  }
  // The sum of the moves rides along the chain as the NaN watch: a move
  // is NaN when either close is (FirstNaNIfSeen).
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out,
             int64_t* first_nan) const {
    const double* x = s.close;
    double* o = out[0];
    const int64_t warm = n_ < count ? n_ : count;
    double gain = 0, loss = 0;
    double z = x[0] - x[0];
    for (int64_t i = 0; i < warm; ++i) o[i] = kNaN;
    for (int64_t i = 1; i < warm; ++i) {
      const double diff = x[i] - x[i - 1];
      gain += Gain(diff);
      loss += Loss(diff);
      z += diff;
    }
    if (count > n_) {
      const double diff = x[n_] - x[n_ - 1];
      gain = (gain + Gain(diff)) / nd_;
      loss = (loss + Loss(diff)) / nd_;
      z += diff;
      o[n_] = Value(gain, loss);
    }
    for (int64_t i = n_ + 1; i < count; ++i) {
      const double d = x[i] - x[i - 1];
      gain = (gain * keep_) + (Gain(d) * take_);
      loss = (loss * keep_) + (Loss(d) * take_);
      z += d;
      o[i] = Value(gain, loss);
    }
    *first_nan = FirstNaNIfSeen<kInputs>(!(z - z == 0.0), s, count);
    return true;
  }

 private:
  // Wilder's RSI with TA-Lib's seeding, smoothed with constants instead of
  // TA-Lib's division (see AtrCore); within a few ulps of TA-Lib. CMO and
  // StochRSI keep RsiCore's exact TA-Lib arithmetic: they take differences
  // of near-equal numbers, where ulps would show.
  // The max patterns compile to maxsd (no branch on the sign of the move).
  static double Gain(double diff) { return diff > 0.0 ? diff : 0.0; }
  static double Loss(double diff) { return -diff > 0.0 ? -diff : 0.0; }
  static double Value(double gain, double loss) {
    const double sum = gain + loss;
    const bool ok = !IsZero(sum);
    const double q = 100.0 * (gain / (ok ? sum : 1.0));
    return ok ? q : 0.0;
  }

  int64_t n_;
  double nd_, keep_, take_;
  int64_t count_ = 0;
  double prev_ = 0, gain_ = 0, loss_ = 0;
};

class Cmo {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"cmo", "Chande Momentum Oscillator", "momentum", kInputs,
            {PeriodParam("period", 14, 2, "Wilder smoothing period")},
            {{"value", "CMO in [-100, 100]"}},
            "TA-Lib TA_CMO (Wilder-smoothed gains and losses, as TA-Lib)"};
  }
  static void Check(const Params&) {}
  explicit Cmo(const Params& p) : n_(p.i(0)), core_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    if (std::isnan(core_.Update(b.close))) { out[0] = kNaN; return; }
    const double sum = core_.gain() + core_.loss();
    out[0] = !IsZero(sum) ? 100.0 * ((core_.gain() - core_.loss()) / sum) : 0.0;
  }

 private:
  int64_t n_;
  RsiCore core_;
};

// TA-Lib's fast %K: (close - lowest) / ((highest - lowest) / 100), 0 when
// the range is flat. Kept to TA-Lib's bits: %D is a running-sum SMA of %K,
// and where %K sits at 0 for a whole window that sum is TA-Lib's rounding
// residue (~1e-14), which only the same %K values reproduce.
inline double FastKValue(double hi, double lo, double close) {
  const double diff = (hi - lo) / 100.0;
  const double q = (close - lo) / (diff != 0.0 ? diff : 1.0);
  return diff != 0.0 ? q : 0.0;
}

class FastK {
 public:
  explicit FastK(int64_t n) : max_(n), min_(n) {}
  double Update(double high, double low, double close, int64_t index) {
    max_.Push(index, high);
    min_.Push(index, low);
    return FastKValue(max_.value(), min_.value(), close);
  }

 private:
  ExtremeDeque<true> max_;
  ExtremeDeque<false> min_;
};

class Stoch {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 2;
  static IndicatorSpec MakeSpec() {
    return {"stoch", "Slow Stochastic", "momentum", kInputs,
            {PeriodParam("fastk_period", 5, 1, "bars for highest high / lowest low"),
             PeriodParam("slowk_period", 3, 1, "SMA period smoothing %K"),
             PeriodParam("slowd_period", 3, 1, "SMA period of %D")},
            {{"slowk", "SMA of fast %K"}, {"slowd", "SMA of slow %K"}},
            "TA-Lib TA_STOCH (MA type SMA)"};
  }
  static void Check(const Params&) {}
  explicit Stoch(const Params& p)
      : fk_(p.i(0)), sk_(p.i(1)), sd_(p.i(2)), k_(p.i(0)), ksma_(p.i(1), true),
        dsma_(p.i(2), true) {}
  int64_t lookback() const { return (fk_ - 1) + (sk_ - 1) + (sd_ - 1); }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    const double fast = k_.Update(b.high, b.low, b.close, t);
    out[0] = out[1] = kNaN;
    if (t < fk_ - 1) return;
    const double slowk = ksma_.Update(fast);
    if (std::isnan(slowk)) return;
    const double slowd = dsma_.Update(slowk);
    if (std::isnan(slowd)) return;
    out[0] = slowk;
    out[1] = slowd;
  }
  // Fast %K into out[1] (block highest/lowest), then both SMAs in one pass:
  // slow %K into out[0] and, sk_ bars behind it (once the fast %K it
  // overwrites is no longer read), slow %D into out[1]. SmaCore's arithmetic
  // (by reciprocal: %K and %D are averaged, never differenced).
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out,
             int64_t* first_nan) const {
    if (fk_ > kBlockMaxPeriod) return false;
    double* slowk = out[0];
    double* fastk = out[1];
    const double* c = s.close;
    const bool seen =
        RollingHighLow(s.high, s.low, c, count, fk_, [&](int64_t i, double hh, double ll) {
          fastk[i] = FastKValue(hh, ll, c[i]);
        });
    *first_nan = FirstNaNIfSeen<kInputs>(seen, s, count);
    const int64_t lb = lookback();
    const int64_t first_k = (fk_ - 1) + (sk_ - 1);  // first slow %K
    const double inv_k = 1.0 / static_cast<double>(sk_), inv_d = 1.0 / static_cast<double>(sd_);
    double sum_k = 0, sum_d = 0;
    for (int64_t i = fk_ - 1; i < first_k && i < count; ++i) sum_k += fastk[i];
    const int64_t lag = sk_;
    for (int64_t i = first_k; i < count + lag; ++i) {
      if (i < count) {
        sum_k += fastk[i];
        slowk[i] = sum_k * inv_k;
        sum_k -= fastk[i - sk_ + 1];
      }
      const int64_t j = i - lag;
      if (j < first_k) continue;
      sum_d += slowk[j];
      if (j < lb) continue;
      fastk[j] = sum_d * inv_d;
      sum_d -= slowk[j - sd_ + 1];
    }
    const int64_t warm = lb < count ? lb : count;
    for (int64_t i = 0; i < warm; ++i) slowk[i] = fastk[i] = kNaN;
    return true;
  }

 private:
  int64_t fk_, sk_, sd_;
  FastK k_;
  SmaCore ksma_, dsma_;
  int64_t count_ = 0;
};

class StochF {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 2;
  static IndicatorSpec MakeSpec() {
    return {"stochf", "Fast Stochastic", "momentum", kInputs,
            {PeriodParam("fastk_period", 5, 1, "bars for highest high / lowest low"),
             PeriodParam("fastd_period", 3, 1, "SMA period of %D")},
            {{"fastk", "fast %K"}, {"fastd", "SMA of fast %K"}},
            "TA-Lib TA_STOCHF (MA type SMA)"};
  }
  static void Check(const Params&) {}
  explicit StochF(const Params& p) : fk_(p.i(0)), fd_(p.i(1)), k_(fk_), dsma_(fd_) {}
  int64_t lookback() const { return (fk_ - 1) + (fd_ - 1); }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    const double fast = k_.Update(b.high, b.low, b.close, t);
    out[0] = out[1] = kNaN;
    if (t < fk_ - 1) return;
    const double d = dsma_.Update(fast);
    if (std::isnan(d)) return;
    out[0] = fast;
    out[1] = d;
  }

 private:
  int64_t fk_, fd_;
  FastK k_;
  SmaCore dsma_;
  int64_t count_ = 0;
};

class StochRsi {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 2;
  static IndicatorSpec MakeSpec() {
    return {"stochrsi", "Stochastic RSI", "momentum", kInputs,
            {PeriodParam("period", 14, 2, "RSI period"),
             PeriodParam("fastk_period", 5, 1, "bars for highest / lowest RSI"),
             PeriodParam("fastd_period", 3, 1, "SMA period of %D")},
            {{"fastk", "fast %K of the RSI"}, {"fastd", "SMA of fast %K"}},
            "TA-Lib TA_STOCHRSI (STOCHF on RSI, MA type SMA)"};
  }
  static void Check(const Params&) {}
  explicit StochRsi(const Params& p)
      : n_(p.i(0)), fk_(p.i(1)), fd_(p.i(2)), rsi_(n_), k_(fk_), dsma_(fd_) {}
  int64_t lookback() const { return n_ + (fk_ - 1) + (fd_ - 1); }
  void Update(const Bar& b, double* out) {
    out[0] = out[1] = kNaN;
    const double r = rsi_.Update(b.close);
    if (std::isnan(r)) return;
    const int64_t t = count_++;
    const double fast = k_.Update(r, r, r, t);
    if (t < fk_ - 1) return;
    const double d = dsma_.Update(fast);
    if (std::isnan(d)) return;
    out[0] = fast;
    out[1] = d;
  }

 private:
  int64_t n_, fk_, fd_;
  RsiCore rsi_;
  FastK k_;
  SmaCore dsma_;
  int64_t count_ = 0;
};

class Macd {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 3;
  static IndicatorSpec MakeSpec() {
    return {"macd", "Moving Average Convergence/Divergence", "momentum", kInputs,
            {PeriodParam("fast_period", 12, 2, "fast EMA period"),
             PeriodParam("slow_period", 26, 2, "slow EMA period (> fast_period)"),
             PeriodParam("signal_period", 9, 1, "EMA period of the signal line")},
            {{"macd", "fast EMA - slow EMA"},
             {"signal", "EMA of the MACD line"},
             {"hist", "MACD - signal"}},
            "TA-Lib TA_MACD"};
  }
  static void Check(const Params& p) { RequireLess(p, 0, 1); }
  explicit Macd(const Params& p)
      : fast_n_(p.i(0)), slow_n_(p.i(1)), sig_n_(p.i(2)), fast_(fast_n_), slow_(slow_n_),
        signal_(sig_n_) {}
  int64_t lookback() const { return (slow_n_ - 1) + (sig_n_ - 1); }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    out[0] = out[1] = out[2] = kNaN;
    const double s = slow_.Update(b.close);
    // TA-Lib starts the fast EMA so that its seed ends on the same bar as the
    // slow EMA's: the fast seed is the SMA of bars slow-fast .. slow-1.
    if (t < slow_n_ - fast_n_) return;
    const double f = fast_.Update(b.close);
    if (t < slow_n_ - 1) return;
    const double m = f - s;
    const double sig = signal_.Update(m);
    if (std::isnan(sig)) return;
    out[0] = m;
    out[1] = sig;
    out[2] = m - sig;
  }
  // Update()'s arithmetic (EmaCore's, TA-Lib's to the bit: MACD is a
  // difference of near-equal EMAs, where every ulp shows) without its
  // per-bar bookkeeping: the three EMA chains are independent from one bar
  // to the next, so the CPU runs them side by side. A NaN close makes every
  // later EMA NaN by itself, so no NaN scan is needed.
  static constexpr bool kCarriesNaN = true;
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out) const {
    const double* x = s.close;
    double* om = out[0];
    double* os = out[1];
    double* oh = out[2];
    const int64_t lb = lookback();
    for (int64_t i = 0; i < lb && i < count; ++i) om[i] = os[i] = oh[i] = kNaN;
    if (count <= lb) return true;
    const double kf = 2.0 / (static_cast<double>(fast_n_) + 1.0);
    const double ks = 2.0 / (static_cast<double>(slow_n_) + 1.0);
    const double kg = 2.0 / (static_cast<double>(sig_n_) + 1.0);
    double slow = 0, fast = 0, sig = 0;
    for (int64_t i = 0; i < slow_n_; ++i) slow += x[i];
    for (int64_t i = slow_n_ - fast_n_; i < slow_n_; ++i) fast += x[i];
    slow /= static_cast<double>(slow_n_);
    fast /= static_cast<double>(fast_n_);
    sig += fast - slow;
    for (int64_t i = slow_n_; i <= lb; ++i) {
      slow = ((x[i] - slow) * ks) + slow;
      fast = ((x[i] - fast) * kf) + fast;
      sig += fast - slow;
    }
    sig /= static_cast<double>(sig_n_);
    om[lb] = fast - slow;
    os[lb] = sig;
    oh[lb] = (fast - slow) - sig;
    for (int64_t i = lb + 1; i < count; ++i) {
      slow = ((x[i] - slow) * ks) + slow;
      fast = ((x[i] - fast) * kf) + fast;
      const double m = fast - slow;
      sig = ((m - sig) * kg) + sig;
      om[i] = m;
      os[i] = sig;
      oh[i] = m - sig;
    }
    return true;
  }

 private:
  int64_t fast_n_, slow_n_, sig_n_;
  EmaCore fast_, slow_, signal_;
  int64_t count_ = 0;
};

template <bool kPercent>
class PriceOsc {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    if (kPercent) {
      return {"ppo", "Percentage Price Oscillator", "momentum", kInputs,
              {PeriodParam("fast_period", 12, 2, "fast SMA period"),
               PeriodParam("slow_period", 26, 2, "slow SMA period (> fast_period)")},
              {{"value", "(fast SMA - slow SMA) / slow SMA * 100"}},
              "TA-Lib TA_PPO (MA type SMA, TA-Lib's default)"};
    }
    return {"apo", "Absolute Price Oscillator", "momentum", kInputs,
            {PeriodParam("fast_period", 12, 2, "fast SMA period"),
             PeriodParam("slow_period", 26, 2, "slow SMA period (> fast_period)")},
            {{"value", "fast SMA - slow SMA"}},
            "TA-Lib TA_APO (MA type SMA, TA-Lib's default)"};
  }
  static void Check(const Params& p) { RequireLess(p, 0, 1); }
  explicit PriceOsc(const Params& p) : slow_n_(p.i(1)), fast_(p.i(0)), slow_(p.i(1)) {}
  int64_t lookback() const { return slow_n_ - 1; }
  void Update(const Bar& b, double* out) {
    const double f = fast_.Update(b.close);
    const double s = slow_.Update(b.close);
    if (std::isnan(s)) { out[0] = kNaN; return; }
    if (kPercent) {
      out[0] = !IsZero(s) ? ((f - s) / s) * 100.0 : 0.0;
    } else {
      out[0] = f - s;
    }
  }

 private:
  int64_t slow_n_;
  SmaCore fast_, slow_;
};

enum class DiffKind { kMom, kRoc, kRocp };

template <DiffKind kKind>
class Diff {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    switch (kKind) {
      case DiffKind::kMom:
        return {"mom", "Momentum", "momentum", kInputs,
                {PeriodParam("period", 10, 1, "bars back")},
                {{"value", "close - close[period bars ago]"}},
                "TA-Lib TA_MOM"};
      case DiffKind::kRoc:
        return {"roc", "Rate of Change", "momentum", kInputs,
                {PeriodParam("period", 10, 1, "bars back")},
                {{"value", "(close / close[period ago] - 1) * 100; 0 when the old close is 0"}},
                "TA-Lib TA_ROC"};
      case DiffKind::kRocp:
        break;
    }
    return {"rocp", "Rate of Change Percentage", "momentum", kInputs,
            {PeriodParam("period", 10, 1, "bars back")},
            {{"value", "(close - close[period ago]) / close[period ago]; 0 when the old close is 0"}},
            "TA-Lib TA_ROCP"};
  }
  static void Check(const Params&) {}
  explicit Diff(const Params& p) : n_(p.i(0)), w_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    w_.Push(b.close);
    if (count_++ < n_) { out[0] = kNaN; return; }
    const double old = w_.Ago(n_);
    if (kKind == DiffKind::kMom) {
      out[0] = b.close - old;
    } else if (kKind == DiffKind::kRoc) {
      out[0] = old != 0.0 ? ((b.close / old) - 1.0) * 100.0 : 0.0;
    } else {
      out[0] = old != 0.0 ? (b.close - old) / old : 0.0;
    }
  }

 private:
  int64_t n_;
  Window w_;
  int64_t count_ = 0;
};

class Trix {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"trix", "TRIX", "momentum", kInputs,
            {PeriodParam("period", 30, 2, "period of each of the three EMAs")},
            {{"value", "1-bar rate of change (percent) of a triple EMA"}},
            "TA-Lib TA_TRIX"};
  }
  static void Check(const Params&) {}
  explicit Trix(const Params& p) : n_(p.i(0)), e1_(n_), e2_(n_), e3_(n_) {}
  int64_t lookback() const { return 3 * (n_ - 1) + 1; }
  void Update(const Bar& b, double* out) {
    out[0] = kNaN;
    const double a = e1_.Update(b.close);
    if (!e1_.ready()) return;
    const double c = e2_.Update(a);
    if (!e2_.ready()) return;
    const double d = e3_.Update(c);
    if (!e3_.ready()) return;
    if (have_prev_) out[0] = prev_ != 0.0 ? ((d / prev_) - 1.0) * 100.0 : 0.0;
    prev_ = d;
    have_prev_ = true;
  }

 private:
  int64_t n_;
  EmaCore e1_, e2_, e3_;
  double prev_ = 0;
  bool have_prev_ = false;
};

// CCI's mean deviations (see Cci::FromMean) of the bars [0, count - count %
// 4) four bars at a time: bar t's window is w + t, its mean mean[t]; each
// bar is summed in FromMean()'s four lanes and order, so its value is
// Update()'s to the bit. Compiled twice: for AVX2 (four bars per register)
// and for any x86-64 (the compiler splits each four-wide operation into two
// SSE2 pairs); the loader picks one for the CPU at start-up. IEEE lane
// arithmetic is the same in both, so are the bits.
using Quad = double __attribute__((vector_size(32)));
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void CciMeanDeviations(const double* w, int64_t n, const double* mean, double* out,
                       int64_t count) {
  using Bits = int64_t __attribute__((vector_size(32)));
  const Bits abs_mask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
  const Quad zero = {0.0, 0.0, 0.0, 0.0};
  const double nd = static_cast<double>(n);
  for (int64_t t = 0; t + 4 <= count; t += 4) {
    const double* wt = w + t;
    Quad m;
    std::memcpy(&m, mean + t, sizeof m);
    Quad a[4] = {zero, zero, zero, zero};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      for (int lane = 0; lane < 4; ++lane) {
        Quad x;
        std::memcpy(&x, wt + j + lane, sizeof x);
        a[lane] += reinterpret_cast<Quad>(reinterpret_cast<Bits>(x - m) & abs_mask);
      }
    }
    for (; j < n; ++j) {
      Quad x;
      std::memcpy(&x, wt + j, sizeof x);
      a[0] += reinterpret_cast<Quad>(reinterpret_cast<Bits>(x - m) & abs_mask);
    }
    const Quad md = (a[0] + a[1]) + (a[2] + a[3]);
    Quad last;
    std::memcpy(&last, wt + n - 1, sizeof last);
    const Quad dev = last - m;
    const Quad v = (dev * nd) / (0.015 * md);
    const Quad r = (dev != zero) & (md != zero) ? v : zero;
    std::memcpy(out + t, &r, sizeof r);
  }
}

class Cci {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"cci", "Commodity Channel Index", "momentum", kInputs,
            {PeriodParam("period", 14, 2, "bars in the window")},
            {{"value", "(TP - SMA(TP)) / (0.015 * mean deviation); 0 when either is 0"}},
            "TA-Lib TA_CCI (Donald Lambert, 1980)"};
  }
  static void Check(const Params&) {}
  explicit Cci(const Params& p)
      : n_(p.i(0)), buf_(new double[2 * static_cast<size_t>(n_)]()) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    const double tp = (b.high + b.low + b.close) / 3;
    // A mirrored ring: the window is always buf_[slot+1 .. slot+n] in time
    // order, the same contiguous view batch has of its typical prices.
    buf_[slot_] = tp;
    buf_[slot_ + n_] = tp;
    cycle_sum_ = slot_ == 0 ? 0.0 + tp : cycle_sum_ + tp;
    const int64_t m = slot_;
    slot_ = slot_ + 1 == n_ ? 0 : slot_ + 1;
    if (++count_ < n_) { out[0] = kNaN; return; }
    out[0] = Value(buf_.get() + slot_, n_, m, cycle_sum_);
  }
  // TA-Lib's ring holds bar i in slot i mod n, so bars come in cycles of n.
  // Bar m of a cycle sums 0 + the cycle's bars 0..m, then the previous
  // cycle's bars m+1..n-1 in order. One variable-length loop per bar would
  // mispredict its exit every bar; here a block of cycles is done slot by
  // slot: for a slot m the loop over the older bars has the same length in
  // every cycle of the block (predicted), and the cycles are independent
  // chains the CPU overlaps. Same additions in the same order, so each sum
  // is bit for bit Update()'s (and TA-Lib's).
  // The typical prices are the NaN watch (NaN when a price is; see
  // FirstNaNIfSeen).
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out,
             int64_t* first_nan) const {
    if (n_ > kBlockMaxPeriod) return false;
    bool seen = false;
    constexpr int64_t kScratch = 2048;
    const int64_t n = n_;
    const int64_t cycles_per_block = kScratch / n - 1;  // >= 3 for n <= 512
    const double nd = static_cast<double>(n);
    double tp[kScratch];   // the previous cycle, then the block's cycles
    double acc[kScratch];  // the block's running means
    double* o = out[0];
    // The warm-up bars read a window reaching before the series: zeros,
    // whose results are then overwritten by NaN.
    std::fill(tp, tp + n, 0.0);
    for (int64_t base = 0; base < count; base += cycles_per_block * n) {
      const int64_t bars = cycles_per_block * n < count - base ? cycles_per_block * n
                                                                : count - base;
      double* cur = tp + n;
      for (int64_t j = 0; j < bars; ++j) {
        const int64_t i = base + j;
        cur[j] = (s.high[i] + s.low[i] + s.close[i]) / 3;
      }
      seen |= MayHoldNaN(cur, bars);
      for (int64_t c = 0; c * n < bars; ++c) {
        double f = 0.0;
        const int64_t len = n < bars - c * n ? n : bars - c * n;
        for (int64_t m = 0; m < len; ++m) {
          f += cur[c * n + m];
          acc[c * n + m] = f;
        }
      }
      // The first cycle of the series has no older bars (and one output).
      const int64_t first_c = base == 0 ? 1 : 0;
      // Eight cycles at a time: eight independent chains keep both adders
      // busy where one chain would wait out each addition's latency.
      for (int64_t m = 0; m + 1 < n; ++m) {
        const int64_t c_end = (bars - m + n - 1) / n;  // cycles holding slot m
        int64_t c = first_c;
        for (; c + 8 <= c_end; c += 8) {
          double a[8];
          for (int k = 0; k < 8; ++k) a[k] = acc[(c + k) * n + m];
          for (int64_t j = m + 1; j < n; ++j) {
            for (int k = 0; k < 8; ++k) a[k] += tp[(c + k) * n + j];
          }
          for (int k = 0; k < 8; ++k) acc[(c + k) * n + m] = a[k];
        }
        for (; c * n + m < bars; ++c) {
          const double* older = tp + c * n;  // the cycle before cycle c
          double a = acc[c * n + m];
          for (int64_t j = m + 1; j < n; ++j) a += older[j];
          acc[c * n + m] = a;
        }
      }
      // The block's means, then the mean deviations four bars at a time
      // (packed; no per-bar loop, horizontal sum or scalar division), each
      // bar summed in FromMean()'s lanes and order, so the value is
      // Update()'s to the bit.
      for (int64_t j = 0; j < bars; ++j) acc[j] = acc[j] / nd;
      CciMeanDeviations(tp + 1, n, acc, o + base, bars);
      for (int64_t j = bars - bars % 4; j < bars; ++j) {
        o[base + j] = FromMean(tp + j + 1, n, acc[j]);
      }
      if (base == 0) {
        for (int64_t k = 0; k < n - 1 && k < bars; ++k) o[k] = kNaN;
      }
      if (bars >= n) {
        std::memcpy(tp, tp + bars, static_cast<size_t>(n) * sizeof(double));
      }
    }
    *first_nan = FirstNaNIfSeen<kInputs>(seen, s, count);
    return true;
  }

 private:
  // w: the window in time order (w[n-1] is the bar), m: the bar's slot in
  // TA-Lib's circular buffer, cycle_sum: 0 + the slots 0..m (this cycle's
  // bars). TA-Lib sums its buffer in slot order, so the mean continues with
  // the older bars w[0 .. n-2-m]: the same additions in the same order,
  // hence TA-Lib's mean to the bit (TP - mean is a difference of
  // near-equal numbers).
  static double Value(const double* w, int64_t n, int64_t m, double cycle_sum) {
    double avg = cycle_sum;
    for (int64_t j = 0; j < n - 1 - m; ++j) avg += w[j];
    return FromMean(w, n, avg / static_cast<double>(n));
  }
  // The mean deviation only scales the result, so it is summed in four
  // lanes (vectorised).
  static double FromMean(const double* w, int64_t n, double avg) {
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      a0 += std::fabs(w[j] - avg);
      a1 += std::fabs(w[j + 1] - avg);
      a2 += std::fabs(w[j + 2] - avg);
      a3 += std::fabs(w[j + 3] - avg);
    }
    for (; j < n; ++j) a0 += std::fabs(w[j] - avg);
    const double md = (a0 + a1) + (a2 + a3);
    const double dev = w[n - 1] - avg;
    // dev / (0.015 * md / n) with one division.
    return (dev != 0.0 && md != 0.0) ? (dev * static_cast<double>(n)) / (0.015 * md) : 0.0;
  }

  int64_t n_;
  std::unique_ptr<double[]> buf_;
  int64_t slot_ = 0;
  double cycle_sum_ = 0;
  int64_t count_ = 0;
};

class Willr {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"willr", "Williams %R", "momentum", kInputs,
            {PeriodParam("period", 14, 2, "bars for highest high / lowest low")},
            {{"value", "%R in [-100, 0]; 0 when the range is flat"}},
            "TA-Lib TA_WILLR"};
  }
  static void Check(const Params&) {}
  explicit Willr(const Params& p) : n_(p.i(0)), max_(n_), min_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    max_.Push(t, b.high);
    min_.Push(t, b.low);
    if (t < n_ - 1) { out[0] = kNaN; return; }
    out[0] = Value(max_.value(), min_.value(), b.close);
  }
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out,
             int64_t* first_nan) const {
    if (n_ > kBlockMaxPeriod) return false;
    double* o = out[0];
    const double* c = s.close;
    const bool seen = RollingHighLow(
        s.high, s.low, c, count, n_,
        [&](int64_t i, double hh, double ll) { o[i] = Value(hh, ll, c[i]); });
    *first_nan = FirstNaNIfSeen<kInputs>(seen, s, count);
    for (int64_t i = 0; i < n_ - 1 && i < count; ++i) o[i] = kNaN;
    return true;
  }

 private:
  // TA-Lib: (highest - close) / ((highest - lowest) / -100), 0 when the
  // range is flat; here with one division instead of two (a few ulps).
  // Branch-free (the division by a placeholder is discarded), so the batch
  // loop vectorises.
  static double Value(double hi, double lo, double close) {
    const double range = hi - lo;
    const double q = ((hi - close) * -100.0) / (range != 0.0 ? range : 1.0);
    return range != 0.0 ? q : 0.0;
  }

  int64_t n_;
  ExtremeDeque<true> max_;
  ExtremeDeque<false> min_;
  int64_t count_ = 0;
};

class UltOsc {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"ultosc", "Ultimate Oscillator", "momentum", kInputs,
            {PeriodParam("period1", 7, 1, "short window (weight 4)"),
             PeriodParam("period2", 14, 1, "middle window (weight 2)"),
             PeriodParam("period3", 28, 1, "long window (weight 1)")},
            {{"value", "UO in [0, 100]"}},
            "TA-Lib TA_ULTOSC (Larry Williams, 1985); periods are sorted as TA-Lib does"};
  }
  static void Check(const Params&) {}
  explicit UltOsc(const Params& p) {
    std::array<int64_t, 3> ps = {p.i(0), p.i(1), p.i(2)};
    std::sort(ps.begin(), ps.end());
    for (int k = 0; k < 3; ++k) {
      per_[k] = ps[k];
      a_win_.emplace_back(ps[k]);
      b_win_.emplace_back(ps[k]);
    }
    max_ = ps[2];
  }
  int64_t lookback() const { return max_; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    out[0] = kNaN;
    if (t == 0) { prev_close_ = b.close; return; }
    const double true_low = std::min(b.low, prev_close_);
    const double cmtl = b.close - true_low;
    double tr = b.high - b.low;
    double d = std::fabs(prev_close_ - b.high);
    if (d > tr) tr = d;
    d = std::fabs(prev_close_ - b.low);
    if (d > tr) tr = d;
    prev_close_ = b.close;
    for (int k = 0; k < 3; ++k) {
      a_win_[k].Push(cmtl);
      b_win_[k].Push(tr);
      if (t >= max_ - per_[k] + 1) {
        a_[k] += cmtl;
        b_[k] += tr;
      }
    }
    if (t < max_) return;
    double o = 0.0;
    if (!IsZero(b_[0])) o += 4.0 * (a_[0] / b_[0]);
    if (!IsZero(b_[1])) o += 2.0 * (a_[1] / b_[1]);
    if (!IsZero(b_[2])) o += a_[2] / b_[2];
    for (int k = 0; k < 3; ++k) {
      a_[k] -= a_win_[k].Ago(per_[k] - 1);
      b_[k] -= b_win_[k].Ago(per_[k] - 1);
    }
    out[0] = 100.0 * (o / 7.0);
  }

 private:
  int64_t per_[3] = {0, 0, 0};
  int64_t max_ = 0;
  std::vector<Window> a_win_, b_win_;
  double a_[3] = {0, 0, 0}, b_[3] = {0, 0, 0};
  double prev_close_ = 0;
  int64_t count_ = 0;
};

class Tsi {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"tsi", "True Strength Index", "momentum", kInputs,
            {PeriodParam("long_period", 25, 1, "first (long) EMA period"),
             PeriodParam("short_period", 13, 1, "second (short) EMA period")},
            {{"value", "100 * EMA(EMA(mom)) / EMA(EMA(|mom|)); 0 when prices are flat"}},
            "William Blau (1991), True Strength Index; EMAs seeded by SMA as TA-Lib TA_EMA"};
  }
  static void Check(const Params&) {}
  explicit Tsi(const Params& p)
      : l_(p.i(0)), s_(p.i(1)), n1_(l_), n2_(s_), d1_(l_), d2_(s_) {}
  int64_t lookback() const { return 1 + (l_ - 1) + (s_ - 1); }
  void Update(const Bar& b, double* out) {
    out[0] = kNaN;
    if (count_++ == 0) { prev_ = b.close; return; }
    const double m = b.close - prev_;
    prev_ = b.close;
    const double a = n1_.Update(m);
    const double c = d1_.Update(std::fabs(m));
    if (!n1_.ready()) return;
    const double num = n2_.Update(a);
    const double den = d2_.Update(c);
    if (!n2_.ready()) return;
    out[0] = den != 0.0 ? 100.0 * (num / den) : 0.0;
  }

 private:
  int64_t l_, s_;
  EmaCore n1_, n2_, d1_, d2_;
  double prev_ = 0;
  int64_t count_ = 0;
};

class Bop {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_OPEN | kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"bop", "Balance Of Power", "momentum", kInputs, {},
            {{"value", "(close - open) / (high - low); 0 when high <= low"}},
            "TA-Lib TA_BOP"};
  }
  static void Check(const Params&) {}
  explicit Bop(const Params&) {}
  int64_t lookback() const { return 0; }
  void Update(const Bar& b, double* out) {
    const double r = b.high - b.low;
    out[0] = IsZeroOrNeg(r) ? 0.0 : (b.close - b.open) / r;
  }
};

class Aroon {
 public:
  static constexpr uint32_t kInputs = kHl;
  static constexpr int kOutputs = 3;
  static IndicatorSpec MakeSpec() {
    return {"aroon", "Aroon", "momentum", kInputs,
            {PeriodParam("period", 14, 2, "bars back (window of period+1 bars)")},
            {{"down", "100 * (period - bars since lowest low) / period"},
             {"up", "100 * (period - bars since highest high) / period"},
             {"osc", "up - down (TA-Lib TA_AROONOSC)"}},
            "TA-Lib TA_AROON and TA_AROONOSC (Tushar Chande, 1995)"};
  }
  static void Check(const Params&) {}
  explicit Aroon(const Params& p)
      : n_(p.i(0)), factor_(100.0 / static_cast<double>(n_)), max_(n_ + 1), min_(n_ + 1) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    max_.Push(t, b.high);
    min_.Push(t, b.low);
    if (t < n_) { out[0] = out[1] = out[2] = kNaN; return; }
    const int64_t hi = max_.index(), lo = min_.index();
    out[0] = factor_ * static_cast<double>(n_ - (t - lo));
    out[1] = factor_ * static_cast<double>(n_ - (t - hi));
    out[2] = factor_ * static_cast<double>(hi - lo);
  }

 private:
  int64_t n_;
  double factor_;
  ExtremeDeque<true> max_;
  ExtremeDeque<false> min_;
  int64_t count_ = 0;
};

// Wilder's directional movement bookkeeping shared by +DM, -DM, +DI, -DI, DX,
// ADX and ADXR, in TA-Lib's arithmetic. Step() returns the bar index t; the
// smoothed sums are "raw sums of the first n-1 moves" for t < n and Wilder
// smoothed from t == n on.
class DirMove {
 public:
  explicit DirMove(int64_t n) : n_(n), nd_(static_cast<double>(n)) {}
  int64_t Step(const Bar& b) {
    const int64_t t = count_++;
    if (t == 0) {
      ph_ = b.high; pl_ = b.low; pc_ = b.close;
      return t;
    }
    const double diff_p = b.high - ph_;
    const double diff_m = pl_ - b.low;
    ph_ = b.high;
    pl_ = b.low;
    const double tr = TrueRange(b.high, b.low, pc_);
    pc_ = b.close;
    if (t < n_) {
      if ((diff_m > 0) && (diff_p < diff_m)) mdm_ += diff_m;
      else if ((diff_p > 0) && (diff_p > diff_m)) pdm_ += diff_p;
      tr_ += tr;
    } else {
      mdm_ -= mdm_ / nd_;
      pdm_ -= pdm_ / nd_;
      if ((diff_m > 0) && (diff_p < diff_m)) mdm_ += diff_m;
      else if ((diff_p > 0) && (diff_p > diff_m)) pdm_ += diff_p;
      tr_ = tr_ - (tr_ / nd_) + tr;
    }
    return t;
  }
  double pdm() const { return pdm_; }
  double mdm() const { return mdm_; }
  double tr() const { return tr_; }
  // Sets *dx and returns true when both TR and the DI sum are non-zero.
  bool Dx(double* dx) const {
    if (IsZero(tr_)) return false;
    const double minus_di = 100.0 * (mdm_ / tr_);
    const double plus_di = 100.0 * (pdm_ / tr_);
    const double sum = minus_di + plus_di;
    if (IsZero(sum)) return false;
    *dx = 100.0 * (std::fabs(minus_di - plus_di) / sum);
    return true;
  }

 private:
  int64_t n_;
  double nd_;
  int64_t count_ = 0;
  double ph_ = 0, pl_ = 0, pc_ = 0, pdm_ = 0, mdm_ = 0, tr_ = 0;
};

enum class DmKind { kPlusDm, kMinusDm, kPlusDi, kMinusDi, kDx };

template <DmKind kKind>
class DmIndicator {
 public:
  static constexpr uint32_t kInputs = (kKind == DmKind::kPlusDm || kKind == DmKind::kMinusDm) ? kHl : kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    auto period = PeriodParam("period", 14, 2, "Wilder smoothing period");
    switch (kKind) {
      case DmKind::kPlusDm:
        return {"plus_dm", "Plus Directional Movement", "momentum", kInputs, {period},
                {{"value", "Wilder-smoothed +DM"}}, "TA-Lib TA_PLUS_DM"};
      case DmKind::kMinusDm:
        return {"minus_dm", "Minus Directional Movement", "momentum", kInputs, {period},
                {{"value", "Wilder-smoothed -DM"}}, "TA-Lib TA_MINUS_DM"};
      case DmKind::kPlusDi:
        return {"plus_di", "Plus Directional Indicator", "momentum", kInputs, {period},
                {{"value", "+DI = 100 * +DM / TR (smoothed)"}}, "TA-Lib TA_PLUS_DI"};
      case DmKind::kMinusDi:
        return {"minus_di", "Minus Directional Indicator", "momentum", kInputs, {period},
                {{"value", "-DI = 100 * -DM / TR (smoothed)"}}, "TA-Lib TA_MINUS_DI"};
      case DmKind::kDx:
        break;
    }
    return {"dx", "Directional Movement Index", "momentum", kInputs, {period},
            {{"value", "100 * |+DI - -DI| / (+DI + -DI)"}}, "TA-Lib TA_DX"};
  }
  static void Check(const Params&) {}
  explicit DmIndicator(const Params& p) : n_(p.i(0)), dm_(n_) {}
  int64_t lookback() const {
    return (kKind == DmKind::kPlusDm || kKind == DmKind::kMinusDm) ? n_ - 1 : n_;
  }
  void Update(const Bar& b, double* out) {
    const int64_t t = dm_.Step(b);
    if (t < lookback()) { out[0] = kNaN; return; }
    switch (kKind) {
      case DmKind::kPlusDm: out[0] = dm_.pdm(); break;
      case DmKind::kMinusDm: out[0] = dm_.mdm(); break;
      case DmKind::kPlusDi: out[0] = !IsZero(dm_.tr()) ? 100.0 * (dm_.pdm() / dm_.tr()) : 0.0; break;
      case DmKind::kMinusDi: out[0] = !IsZero(dm_.tr()) ? 100.0 * (dm_.mdm() / dm_.tr()) : 0.0; break;
      case DmKind::kDx: {
        double dx;
        // TA-Lib: 0 on the first bar, then the previous DX when undefined.
        if (dm_.Dx(&dx)) prev_ = dx; else if (t == n_) prev_ = 0.0;
        out[0] = prev_;
        break;
      }
    }
  }

 private:
  int64_t n_;
  DirMove dm_;
  double prev_ = 0;
};

// ADX core: Wilder's +DM, -DM and TR (raw sums of the first n-1 moves, then
// s = s*(n-1)/n + x), DX from them, ADX = mean of the first n DX values, then
// Wilder smoothing; TA-Lib's seeding and zero rules. Unlike DirMove (kept in
// TA-Lib's exact arithmetic for DX and the DIs, whose |+DI - -DI| shows
// every ulp), the smoothing uses constants instead of TA-Lib's division, so
// no division sits on the bar-to-bar chain; ADX averages DX and stays within
// a few ulps of TA-Lib. The DM choice is branch-free.
class AdxCore {
 public:
  explicit AdxCore(int64_t n)
      : n_(n), nd_(static_cast<double>(n)), keep_(WilderKeep(n)), take_(WilderTake(n)) {}
  // Returns NaN during the warm-up (2n - 1 bars).
  double Update(const Bar& b) {
    const int64_t t = count_++;
    if (t == 0) {
      ph_ = b.high; pl_ = b.low; pc_ = b.close;
      return kNaN;
    }
    Step(b.high, b.low, b.close, t);
    return t < 2 * n_ - 1 ? kNaN : adx_;
  }
  // The same arithmetic over arrays (out[i] for every bar). Returns whether
  // a NaN input was seen; the bars from it on then hold garbage (see
  // FirstNaNIfSeen), the earlier ones do not depend on it.
  bool Batch(const sf_bar_series& s, int64_t count, double* out) {
    if (count == 0) return false;
    const double* h = s.high;
    const double* l = s.low;
    const double* c = s.close;
    ph_ = h[0]; pl_ = l[0]; pc_ = c[0];
    count_ = count;
    const int64_t lb = 2 * n_ - 1;
    out[0] = kNaN;
    int64_t i = 1;
    for (; i < count && i < lb; ++i) {
      Step(h[i], l[i], c[i], i);
      out[i] = kNaN;
    }
    // From here on every step is a steady Wilder step: no index tests.
    if (i < count) {
      Step(h[i], l[i], c[i], i);
      out[i] = adx_;
      ++i;
    }
    bool seen = MayHoldNaN<kHlc>(s, 0, i);
    // The steady state in blocks of four passes: the moves (no chain,
    // vectorised), the three Wilder sums (a chain), DX (no chain,
    // vectorised; NaN where TA-Lib has none), and the ADX chain. The ADX
    // chain of a block runs in the same loop as the sums of the next one:
    // the two chains do not depend on each other, so their latencies
    // overlap instead of adding up. The arithmetic of each bar is unchanged.
    constexpr int64_t kBlock = 32;  // small: the next block's vector passes overlap this chain
    double dm[kBlock], dp[kBlock], tr[kBlock], dx_a[kBlock], dx_b[kBlock];
    double* dx_cur = dx_a;   // DX of the block whose sums are being taken
    double* dx_prev = dx_b;  // DX of the block before it, for the ADX chain
    double* out_prev = nullptr;
    int64_t len_prev = 0;
    double pdm = pdm_, mdm = mdm_, trs = tr_, adx = adx_;
    const double keep = keep_, take = take_;
    auto sums_step = [&](int64_t j) {
      mdm = (mdm * keep) + dm[j];
      pdm = (pdm * keep) + dp[j];
      trs = (trs * keep) + tr[j];
      dm[j] = mdm;
      dp[j] = pdm;
      tr[j] = trs;
    };
    auto adx_step = [&](int64_t j) {
      const double dx = dx_prev[j];
      adx = dx == dx ? (adx * keep) + (dx * take) : adx;
      out_prev[j] = adx;
    };
    for (int64_t b = i; b < count; b += kBlock) {
      const int64_t len = kBlock < count - b ? kBlock : count - b;
      const double* hb = h + b;
      const double* lo_b = l + b;
      const double* cb = c + b;
      for (int64_t j = 0; j < len; ++j) {
        const double diff_p = hb[j] - hb[j - 1];
        const double diff_m = lo_b[j - 1] - lo_b[j];
        dm[j] = (diff_m > 0) & (diff_p < diff_m) ? diff_m : 0.0;
        dp[j] = (diff_p > 0) & (diff_p > diff_m) ? diff_p : 0.0;
        tr[j] = TrueRange(hb[j], lo_b[j], cb[j - 1]);
      }
      seen |= MayHoldNaN<kHlc>(s, b, b + len);
      const int64_t both = len < len_prev ? len : len_prev;
      int64_t j = 0;
      for (; j < both; ++j) {
        sums_step(j);
        adx_step(j);
      }
      for (; j < len; ++j) sums_step(j);
      for (; j < len_prev; ++j) adx_step(j);
      for (j = 0; j < len; ++j) {
        double dx;
        const bool ok = Dx(dp[j], dm[j], tr[j], &dx);
        dx_cur[j] = ok ? dx : kNaN;
      }
      std::swap(dx_cur, dx_prev);
      out_prev = out + b;
      len_prev = len;
    }
    for (int64_t j = 0; j < len_prev; ++j) adx_step(j);
    return seen;
  }

 private:
  // The bar's +DM and -DM (TA-Lib: -DM when the low falls more than the
  // high rises, +DM when the high rises more; else none) and true range,
  // folded into the smoothed sums.
  void Smooth(double hi, double lo, double pc, double ph, double pl, double* pdm, double* mdm,
              double* tr) const {
    const double diff_p = hi - ph;
    const double diff_m = pl - lo;
    const double dm = Select((diff_m > 0) & (diff_p < diff_m), diff_m, 0.0);
    const double dp = Select((diff_p > 0) & (diff_p > diff_m), diff_p, 0.0);
    *mdm = (*mdm * keep_) + dm;
    *pdm = (*pdm * keep_) + dp;
    *tr = (*tr * keep_) + TrueRange(hi, lo, pc);
  }
  // TA-Lib: no DX while TR or the DI sum 100*(+DM + -DM)/TR is (near) zero
  // (tested without dividing). TR cancels out of DX = |+DI - -DI| / (+DI +
  // -DI): one division per bar instead of TA-Lib's three; ADX averages DX,
  // so the ulps this moves do not add up.
  static bool Dx(double pdm, double mdm, double tr, double* dx) {
    const double dm_sum = mdm + pdm;
    const bool ok = !IsZero(tr) & (std::fabs(100.0 * dm_sum) >= kEpsilon * std::fabs(tr));
    *dx = 100.0 * (std::fabs(mdm - pdm) / (ok ? dm_sum : 1.0));
    return ok;
  }
  void Step(double hi, double lo, double cl, int64_t t) {
    if (t < n_) {
      const double diff_p = hi - ph_;
      const double diff_m = pl_ - lo;
      mdm_ += (diff_m > 0) && (diff_p < diff_m) ? diff_m : 0.0;
      pdm_ += (diff_p > 0) && (diff_p > diff_m) ? diff_p : 0.0;
      tr_ += TrueRange(hi, lo, pc_);
    } else {
      Smooth(hi, lo, pc_, ph_, pl_, &pdm_, &mdm_, &tr_);
      double dx;
      const bool ok = Dx(pdm_, mdm_, tr_, &dx);
      if (t < 2 * n_) {
        if (ok) sum_dx_ += dx;
        if (t == 2 * n_ - 1) adx_ = sum_dx_ / nd_;
      } else if (ok) {
        adx_ = (adx_ * keep_) + (dx * take_);
      }
    }
    ph_ = hi; pl_ = lo; pc_ = cl;
  }

  int64_t n_;
  double nd_, keep_, take_;
  int64_t count_ = 0;
  double ph_ = 0, pl_ = 0, pc_ = 0, pdm_ = 0, mdm_ = 0, tr_ = 0;
  double sum_dx_ = 0, adx_ = 0;
};

class Adx {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"adx", "Average Directional Movement Index", "momentum", kInputs,
            {PeriodParam("period", 14, 2, "Wilder smoothing period")},
            {{"value", "ADX in [0, 100]"}},
            "TA-Lib TA_ADX (J. Welles Wilder, 1978)"};
  }
  static void Check(const Params&) {}
  explicit Adx(const Params& p) : n_(p.i(0)), core_(n_) {}
  int64_t lookback() const { return 2 * n_ - 1; }
  void Update(const Bar& b, double* out) { out[0] = core_.Update(b); }
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out,
             int64_t* first_nan) const {
    AdxCore core(n_);
    const bool seen = core.Batch(s, count, out[0]);
    *first_nan = FirstNaNIfSeen<kInputs>(seen, s, count);
    return true;
  }

 private:
  int64_t n_;
  AdxCore core_;
};

class Adxr {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"adxr", "Average Directional Movement Index Rating", "momentum", kInputs,
            {PeriodParam("period", 14, 2, "Wilder smoothing period")},
            {{"value", "(ADX + ADX[period-1 bars ago]) / 2"}},
            "TA-Lib TA_ADXR"};
  }
  static void Check(const Params&) {}
  explicit Adxr(const Params& p) : n_(p.i(0)), core_(n_), w_(n_) {}
  int64_t lookback() const { return 3 * n_ - 2; }
  void Update(const Bar& b, double* out) {
    const double a = core_.Update(b);
    out[0] = kNaN;
    if (std::isnan(a)) return;
    w_.Push(a);
    if (++count_ < n_) return;
    out[0] = (a + w_.Ago(n_ - 1)) / 2.0;
  }

 private:
  int64_t n_;
  AdxCore core_;
  Window w_;
  int64_t count_ = 0;
};

class Vortex {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 2;
  static IndicatorSpec MakeSpec() {
    return {"vortex", "Vortex Indicator", "momentum", kInputs,
            {PeriodParam("period", 14, 1, "bars summed")},
            {{"plus", "VI+ = sum|high - prev low| / sum TR"},
             {"minus", "VI- = sum|low - prev high| / sum TR"}},
            "Botes & Siepman (2010), The Vortex Indicator, TASC; 0 when sum TR is 0"};
  }
  static void Check(const Params&) {}
  explicit Vortex(const Params& p) : n_(p.i(0)), vp_(n_), vm_(n_), tr_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    out[0] = out[1] = kNaN;
    if (t == 0) { ph_ = b.high; pl_ = b.low; pc_ = b.close; return; }
    const double vp = std::fabs(b.high - pl_);
    const double vm = std::fabs(b.low - ph_);
    const double tr = TrueRange(b.high, b.low, pc_);
    ph_ = b.high; pl_ = b.low; pc_ = b.close;
    vp_.Push(vp); vm_.Push(vm); tr_.Push(tr);
    svp_ += vp; svm_ += vm; str_ += tr;
    if (t < n_) return;
    out[0] = str_ != 0.0 ? svp_ / str_ : 0.0;
    out[1] = str_ != 0.0 ? svm_ / str_ : 0.0;
    svp_ -= vp_.Ago(n_ - 1);
    svm_ -= vm_.Ago(n_ - 1);
    str_ -= tr_.Ago(n_ - 1);
  }

 private:
  int64_t n_;
  Window vp_, vm_, tr_;
  double svp_ = 0, svm_ = 0, str_ = 0;
  double ph_ = 0, pl_ = 0, pc_ = 0;
  int64_t count_ = 0;
};

}  // namespace

void AppendMomentum(std::vector<VTableFn>& out) {
  out.push_back(&Adapter<Rsi>::VTable);
  out.push_back(&Adapter<StochRsi>::VTable);
  out.push_back(&Adapter<Stoch>::VTable);
  out.push_back(&Adapter<StochF>::VTable);
  out.push_back(&Adapter<Macd>::VTable);
  out.push_back(&Adapter<PriceOsc<true>>::VTable);
  out.push_back(&Adapter<PriceOsc<false>>::VTable);
  out.push_back(&Adapter<Diff<DiffKind::kMom>>::VTable);
  out.push_back(&Adapter<Diff<DiffKind::kRoc>>::VTable);
  out.push_back(&Adapter<Diff<DiffKind::kRocp>>::VTable);
  out.push_back(&Adapter<Trix>::VTable);
  out.push_back(&Adapter<Cmo>::VTable);
  out.push_back(&Adapter<Cci>::VTable);
  out.push_back(&Adapter<Willr>::VTable);
  out.push_back(&Adapter<UltOsc>::VTable);
  out.push_back(&Adapter<Tsi>::VTable);
  out.push_back(&Adapter<Bop>::VTable);
  out.push_back(&Adapter<Aroon>::VTable);
  out.push_back(&Adapter<Adx>::VTable);
  out.push_back(&Adapter<Adxr>::VTable);
  out.push_back(&Adapter<DmIndicator<DmKind::kDx>>::VTable);
  out.push_back(&Adapter<DmIndicator<DmKind::kPlusDi>>::VTable);
  out.push_back(&Adapter<DmIndicator<DmKind::kMinusDi>>::VTable);
  out.push_back(&Adapter<DmIndicator<DmKind::kPlusDm>>::VTable);
  out.push_back(&Adapter<DmIndicator<DmKind::kMinusDm>>::VTable);
  out.push_back(&Adapter<Vortex>::VTable);
}

}  // namespace sf::indicators
