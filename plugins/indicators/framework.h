// The indicator plugin's internal framework: parameter specs and validation,
// rolling windows, monotonic min/max deques, TA-Lib style seeded averages, and
// the adapter that turns one C++ indicator class into an sf_indicator_vtable.
//
// Every indicator is written ONCE as a streaming state machine with
//   explicit Foo(const Params& p);         // p already range-checked
//   static void Check(const Params& p);    // cross-parameter rules (may throw)
//   int64_t lookback() const;
//   void Update(const Bar& bar, double* out);  // kOutputs values, NaN in warm-up
// Batch compute() is the same Update() inlined into a loop over the input
// arrays, so batch and streaming give bit-identical numbers by construction.
//
// Thread-safety: everything here is either immutable after registration
// (specs, metadata strings) or owned by one call / one stream state.
// Only the SDK headers are included (plugins never see host/).
#ifndef SF_PLUGINS_INDICATORS_FRAMEWORK_H_
#define SF_PLUGINS_INDICATORS_FRAMEWORK_H_

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "signalforge/signalforge.hpp"

namespace sf::indicators {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// TA-Lib's TA_EPSILON / TA_IS_ZERO: denominators inside +-1e-14 count as zero.
inline constexpr double kEpsilon = 0.00000000000001;
inline bool IsZero(double v) { return -kEpsilon < v && v < kEpsilon; }
inline bool IsZeroOrNeg(double v) { return v < kEpsilon; }

// One bar as an indicator sees it. Fields the indicator did not declare in
// its input mask are zero.
struct Bar {
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
  int64_t ts = 0;
};

enum class ParamType { kInt, kDouble };

struct ParamSpec {
  const char* name;
  ParamType type;
  double def;
  double min;
  double max;
  const char* description;
};

struct OutputSpec {
  const char* name;
  const char* description;
  // An optional output may be passed as a NULL buffer to compute(): the
  // plugin then skips its work (metadata says "optional":true). Outputs
  // a caller does not want cost nothing (BBANDS' %B and bandwidth cost a
  // division per bar).
  bool optional = false;
};

// Everything the metadata JSON says about an indicator.
struct IndicatorSpec {
  const char* id;
  const char* title;
  const char* group;
  uint32_t inputs;  // SF_INPUT_* bits
  std::vector<ParamSpec> params;
  std::vector<OutputSpec> outputs;
  const char* reference;
};

// Validated parameters: integer params are whole numbers, every value is
// inside [min, max].
class Params {
 public:
  Params(const IndicatorSpec& spec, const double* values) : spec_(spec), values_(values) {}
  double d(size_t i) const { return values_[i]; }
  int64_t i(size_t i) const { return static_cast<int64_t>(values_[i]); }
  const IndicatorSpec& spec() const { return spec_; }

 private:
  const IndicatorSpec& spec_;
  const double* values_;
};

// Formats a double the way error messages show it: integers without a
// fraction, others with up to 17 significant digits.
std::string FormatNumber(double v);

[[noreturn]] void ThrowInvalid(const std::string& message);

// Throws SF_ERR_INVALID_ARGUMENT for a wrong count, non-finite value,
// non-integer int, or a value outside [min, max].
void ValidateParams(const IndicatorSpec& spec, const double* values, uint32_t count);

// Builds the metadata JSON (see indicator.h) from a spec.
std::string BuildMetadataJson(const IndicatorSpec& spec);

inline uint64_t NextPow2(uint64_t n) {
  uint64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// The last `capacity` values pushed, addressed by age (0 = newest).
class Window {
 public:
  explicit Window(int64_t capacity)
      : mask_(NextPow2(static_cast<uint64_t>(capacity < 1 ? 1 : capacity) + 1) - 1),
        data_(new double[mask_ + 1]()) {}
  void Push(double v) { data_[++pos_ & mask_] = v; }
  double Ago(int64_t k) const { return data_[(pos_ - static_cast<uint64_t>(k)) & mask_]; }

 private:
  uint64_t mask_;
  std::unique_ptr<double[]> data_;
  uint64_t pos_ = 0;
};

// Sliding-window maximum (kMax) or minimum over the last `period` values.
// Tracks the extreme and its bar index and rescans the window only when the
// extreme leaves it (TA-Lib's MAX/MIN/STOCH/WILLR/AROON approach): O(1)
// amortised on market data, O(period) worst case on a steady trend against
// the extreme. On ties the most recent index wins (TA-Lib's AROON rule).
template <bool kMax>
class ExtremeDeque {
 public:
  explicit ExtremeDeque(int64_t period) : period_(period), w_(period) {}
  // Adds the value of bar `index` (indices increase by one per call).
  void Push(int64_t index, double v) {
    w_.Push(v);
    if (idx_ <= index - period_) {
      const int64_t avail = index + 1 < period_ ? index + 1 : period_;
      int64_t best_age = avail - 1;
      double best = w_.Ago(best_age);
      for (int64_t age = avail - 2; age >= 0; --age) {
        const double x = w_.Ago(age);
        if (kMax ? (x >= best) : (x <= best)) {
          best = x;
          best_age = age;
        }
      }
      val_ = best;
      idx_ = index - best_age;
    } else if (kMax ? (v >= val_) : (v <= val_)) {
      val_ = v;
      idx_ = index;
    }
  }
  double value() const { return val_; }
  int64_t index() const { return idx_; }

 private:
  int64_t period_;
  Window w_;
  double val_ = 0;
  int64_t idx_ = std::numeric_limits<int64_t>::min() / 2;
};

// TA-Lib TA_INT_SMA arithmetic: add the new value, take the mean, then
// subtract the value leaving the window. With `by_reciprocal` the mean is
// sum * (1/n), an ulp away from TA-Lib's sum / n but without a division;
// only for smoothing a value that is not then differenced (STOCH's %K/%D).
class SmaCore {
 public:
  explicit SmaCore(int64_t period, bool by_reciprocal = false)
      : n_(period), inv_(1.0 / static_cast<double>(period)), reciprocal_(by_reciprocal),
        w_(period) {}
  double Update(double x) {
    w_.Push(x);
    sum_ += x;
    if (++count_ < n_) return kNaN;
    double mean = reciprocal_ ? sum_ * inv_ : sum_ / static_cast<double>(n_);
    sum_ -= w_.Ago(n_ - 1);
    return mean;
  }
  int64_t period() const { return n_; }

 private:
  int64_t n_;
  double inv_;
  bool reciprocal_;
  Window w_;
  double sum_ = 0;
  int64_t count_ = 0;
};

// TA-Lib TA_INT_EMA (default compatibility): seeded by the SMA of the first
// `period` values, then prev = (x - prev) * k + prev.
class EmaCore {
 public:
  explicit EmaCore(int64_t period) : EmaCore(period, 2.0 / (static_cast<double>(period) + 1.0)) {}
  EmaCore(int64_t period, double k) : n_(period), k_(k) {}
  double Update(double x) {
    if (count_ < n_) {
      seed_ += x;
      if (++count_ < n_) return kNaN;
      prev_ = seed_ / static_cast<double>(n_);
      return prev_;
    }
    prev_ = ((x - prev_) * k_) + prev_;
    return prev_;
  }
  bool ready() const { return count_ >= n_; }

 private:
  int64_t n_;
  double k_;
  double seed_ = 0, prev_ = 0;
  int64_t count_ = 0;
};

// TA-Lib TA_WMA arithmetic (weights 1..n, newest heaviest).
class WmaCore {
 public:
  explicit WmaCore(int64_t period)
      : n_(period), divider_(static_cast<double>((period * (period + 1)) >> 1)), w_(period) {}
  double Update(double x) {
    if (n_ == 1) return x;
    w_.Push(x);
    ++count_;
    if (count_ < n_) {
      period_sub_ += x;
      period_sum_ += x * static_cast<double>(count_);
      return kNaN;
    }
    period_sub_ += x;
    period_sub_ -= trailing_;
    period_sum_ += x * static_cast<double>(n_);
    trailing_ = w_.Ago(n_ - 1);
    double out = period_sum_ / divider_;
    period_sum_ -= period_sub_;
    return out;
  }

 private:
  int64_t n_;
  double divider_;
  Window w_;
  double period_sub_ = 0, period_sum_ = 0, trailing_ = 0;
  int64_t count_ = 0;
};

// Rolling mean and population variance in TA-Lib's TA_INT_VAR arithmetic
// (E[x^2] - E[x]^2 with running sums).
class VarCore {
 public:
  explicit VarCore(int64_t n) : n_(n), nd_(static_cast<double>(n)), w_(n) {}
  // Returns false during the warm-up.
  bool Update(double x) {
    w_.Push(x);
    s1_ += x;
    s2_ += x * x;
    if (++count_ < n_) return false;
    mean_ = s1_ / nd_;
    const double mean2 = s2_ / nd_;
    const double old = w_.Ago(n_ - 1);
    s1_ -= old;
    s2_ -= old * old;
    var_ = mean2 - mean_ * mean_;
    return true;
  }
  double mean() const { return mean_; }
  double var() const { return var_; }
  // TA-Lib's STDDEV: sqrt, or 0 when the variance is below 1e-14.
  double stddev() const { return !IsZeroOrNeg(var_) ? std::sqrt(var_) : 0.0; }

 private:
  int64_t n_;
  double nd_;
  Window w_;
  double s1_ = 0, s2_ = 0, mean_ = 0, var_ = 0;
  int64_t count_ = 0;
};

// Wilder smoothing s = s * (n-1)/n + x / n as two constants: the factor kept
// and the factor taken from the new value.
inline double WilderKeep(int64_t n) {
  return static_cast<double>(n - 1) / static_cast<double>(n);
}
inline double WilderTake(int64_t n) { return 1.0 / static_cast<double>(n); }

// A smoothing s_t = s_(t-1) * keep + u_t (Wilder's, an EMA's) taken two bars
// per step after its first: s_t = s_(t-2) * keep^2 + (u_(t-1) * keep + u_t).
// The bar-to-bar chain is then one multiply and one add per TWO bars (the
// bracket is off the chain), half the latency of the one-bar form. The
// recurrence is contractive (keep < 1), so its rounding stays a few ulps
// from TA-Lib's (prev * (n-1) + x) / n whatever the length (tested over 2^20
// bars). Batch and streaming both use this form, so they agree to the bit.
// Streaming state: Seed() with the value of the seed bar, then Step(u_t).
class TwoStepSmoother {
 public:
  explicit TwoStepSmoother(double keep) : keep_(keep), keep2_(keep * keep) {}
  void Seed(double s) {
    s1_ = s;
    steps_ = 0;
  }
  double Step(double u) {
    const double s = steps_ == 0 ? (s1_ * keep_) + u : Next(s2_, u1_, u, keep_, keep2_);
    steps_ = 1;
    s2_ = s1_;
    s1_ = s;
    u1_ = u;
    return s;
  }
  double value() const { return s1_; }
  static double Next(double s2, double u1, double u, double keep, double keep2) {
    return (s2 * keep2) + ((u1 * keep) + u);
  }

 private:
  double keep_, keep2_;
  double s1_ = 0, s2_ = 0, u1_ = 0;
  int steps_ = 0;
};

// TA-Lib TRUE_RANGE macro.
inline double TrueRange(double high, double low, double prev_close) {
  double out = high - low;
  double t = std::fabs(high - prev_close);
  if (t > out) out = t;
  t = std::fabs(low - prev_close);
  if (t > out) out = t;
  return out;
}

inline void FillNaN(double* out, int n) {
  for (int k = 0; k < n; ++k) out[k] = kNaN;
}

// ---- the adapter -----------------------------------------------------------

template <uint32_t kMask>
inline bool AnyNaN(const Bar& b) {
  bool nan = false;
  if constexpr ((kMask & SF_INPUT_OPEN) != 0) nan |= std::isnan(b.open);
  if constexpr ((kMask & SF_INPUT_HIGH) != 0) nan |= std::isnan(b.high);
  if constexpr ((kMask & SF_INPUT_LOW) != 0) nan |= std::isnan(b.low);
  if constexpr ((kMask & SF_INPUT_CLOSE) != 0) nan |= std::isnan(b.close);
  if constexpr ((kMask & SF_INPUT_VOLUME) != 0) nan |= std::isnan(b.volume);
  return nan;
}

template <uint32_t kMask>
inline Bar LoadBar(const sf_bar_series& s, int64_t i) {
  Bar b;
  if constexpr ((kMask & SF_INPUT_OPEN) != 0) b.open = s.open[i];
  if constexpr ((kMask & SF_INPUT_HIGH) != 0) b.high = s.high[i];
  if constexpr ((kMask & SF_INPUT_LOW) != 0) b.low = s.low[i];
  if constexpr ((kMask & SF_INPUT_CLOSE) != 0) b.close = s.close[i];
  if constexpr ((kMask & SF_INPUT_VOLUME) != 0) b.volume = s.volume[i];
  if constexpr ((kMask & SF_INPUT_TIME) != 0) b.ts = s.ts[i];
  return b;
}

// False when no declared input of the bars [begin, end) is NaN; true when
// one may be (then search exactly). Branch-free: the sum of a bar's values
// is NaN when one of them is NaN, and eight lane sums of those stay finite
// unless one is NaN or infinite (an overflow or infinite input only costs
// the exact search). Eight independent lanes (the compiler packs them)
// keep the test at load speed instead of an add latency per two bars.
template <class Probe>
bool MayHoldNaNProbe(Probe&& probe, int64_t begin, int64_t end) {
  constexpr int kLanes = 8;
  double lane[kLanes] = {};
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) lane[k] += probe(i + k);
  }
  for (; i < end; ++i) lane[0] += probe(i);
  double z = 0;
  for (int k = 0; k < kLanes; ++k) z += lane[k];
  return !(z - z == 0.0);
}

template <uint32_t kMask>
bool MayHoldNaN(const sf_bar_series& s, int64_t begin, int64_t end) {
  const double* cols[5];
  int ncols = 0;
  if constexpr ((kMask & SF_INPUT_OPEN) != 0) cols[ncols++] = s.open;
  if constexpr ((kMask & SF_INPUT_HIGH) != 0) cols[ncols++] = s.high;
  if constexpr ((kMask & SF_INPUT_LOW) != 0) cols[ncols++] = s.low;
  if constexpr ((kMask & SF_INPUT_CLOSE) != 0) cols[ncols++] = s.close;
  if constexpr ((kMask & SF_INPUT_VOLUME) != 0) cols[ncols++] = s.volume;
  constexpr int kCols = std::popcount(kMask & (SF_INPUT_OPEN | SF_INPUT_HIGH | SF_INPUT_LOW |
                                               SF_INPUT_CLOSE | SF_INPUT_VOLUME));
  if constexpr (kCols == 0) return false;
  return MayHoldNaNProbe(
      [&](int64_t i) {
        double z = cols[0][i];
        for (int k = 1; k < kCols; ++k) z += cols[k][i];
        return z;
      },
      begin, end);
}

// The same test over one array (e.g. a kernel's typical prices, NaN when
// one of the bar's prices is).
inline bool MayHoldNaN(const double* x, int64_t count) {
  return MayHoldNaNProbe([x](int64_t i) { return x[i]; }, 0, count);
}

// First index in [begin, end) whose declared inputs hold a NaN (end when
// none), tested a chunk at a time. It runs before every kernel that neither
// carries a NaN by itself nor watches for one (below).
template <uint32_t kMask>
int64_t FirstNaN(const sf_bar_series& s, int64_t begin, int64_t end) {
  constexpr int64_t kChunk = 512;
  for (int64_t b = begin; b < end; b += kChunk) {
    const int64_t e = b + kChunk < end ? b + kChunk : end;
    if (!MayHoldNaN<kMask>(s, b, e)) continue;
    for (int64_t i = b; i < e; ++i) {
      if (AnyNaN<kMask>(LoadBar<kMask>(s, i))) return i;
    }
  }
  return end;
}

// Batch kernels may instead test each block of bars with MayHoldNaN() right
// after a pass over it, while it is still in L1: a separate scan reads
// every column once more from L2 or memory, which over a universe of
// symbols costs as much as some kernels. `seen` says whether a block may
// hold a NaN; the first NaN bar is then found exactly (rare). The kernel
// computes every bar; the ones from the first NaN on are overwritten.
template <uint32_t kMask>
inline int64_t FirstNaNIfSeen(bool seen, const sf_bar_series& s, int64_t count) {
  return seen ? FirstNaN<kMask>(s, 0, count) : count;
}

// Branch-free choice between two doubles, for scalar loops where the choice
// follows the market's random up/down moves (the compiler may otherwise
// emit a jump that mispredicts half the time). Vectorisable loops use plain
// value ternaries over safely computed operands instead: the vectoriser
// turns those into masks, it does not see through this bit-cast.
inline double Select(bool c, double a, double b) {
  const uint64_t m = 0 - static_cast<uint64_t>(c);
  return std::bit_cast<double>((std::bit_cast<uint64_t>(a) & m) |
                               (std::bit_cast<uint64_t>(b) & ~m));
}

// Longest window the block kernels below handle with stack scratch; longer
// periods take the indicator's generic per-bar path (same numbers).
inline constexpr int64_t kBlockMaxPeriod = 512;

// Highest high and lowest low of the last `w` bars (w <= kBlockMaxPeriod),
// handed to emit(i, highest, lowest) for every bar i in [w-1, count) in
// increasing order. van Herk / Gil-Werman: per block of w bars one forward
// (prefix) and one backward (suffix) running extreme; a window is the suffix
// of the previous block joined with the prefix of the current one. Three
// comparisons per bar whatever the data, no data-dependent branches. The
// values are exact (a max is a max), so they equal ExtremeDeque's. `third`
// is a third column the caller reads (the close): the return value says
// whether a high, low or third value may be NaN (FirstNaNIfSeen); a window
// holding a NaN gives garbage, the others are exact.
template <class Emit>
inline bool RollingHighLow(const double* hi, const double* lo, const double* third,
                           int64_t count, int64_t w, Emit&& emit) {
  constexpr int64_t kCap = kBlockMaxPeriod + 1;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double scratch[6 * kCap];
  double* prev_h = scratch;
  double* prev_l = prev_h + kCap;
  double* suf_h = prev_l + kCap;
  double* suf_l = suf_h + kCap;
  double* pre_h = suf_l + kCap;
  double* pre_l = pre_h + kCap;
  for (int64_t j = 0; j <= w; ++j) {
    prev_h[j] = -kInf;
    prev_l[j] = kInf;
  }
  double z = 0;
  for (int64_t b = 0; b < count; b += w) {
    const int64_t len = w < count - b ? w : count - b;
    const double* h = hi + b;
    const double* l = lo + b;
    const double* t = third + b;
    double ph = -kInf, pl = kInf, sh = -kInf, sl = kInf;
    suf_h[len] = -kInf;
    suf_l[len] = kInf;
    for (int64_t j = 0, k = len - 1; j < len; ++j, --k) {
      ph = h[j] > ph ? h[j] : ph;
      pl = l[j] < pl ? l[j] : pl;
      sh = h[k] > sh ? h[k] : sh;
      sl = l[k] < sl ? l[k] : sl;
      pre_h[j] = ph;
      pre_l[j] = pl;
      suf_h[k] = sh;
      suf_l[k] = sl;
      z += (h[j] + l[j]) + t[j];
    }
    for (int64_t j = b >= w - 1 ? 0 : w - 1 - b; j < len; ++j) {
      const double hh = prev_h[j + 1] > pre_h[j] ? prev_h[j + 1] : pre_h[j];
      const double ll = prev_l[j + 1] < pre_l[j] ? prev_l[j + 1] : pre_l[j];
      emit(b + j, hh, ll);
    }
    std::swap(prev_h, suf_h);
    std::swap(prev_l, suf_l);
  }
  return !(z - z == 0.0);
}

void CheckSeries(const IndicatorSpec& spec, const sf_bar_series* in, uint32_t output_count,
                 double* const* outputs);

// Buffers of optional outputs may be NULL; the rest never are (CheckSeries).
inline bool Wanted(double* const* outputs, int k) { return outputs[k] != nullptr; }

// True when no output buffer overlaps another or an input column the
// indicator reads. The batch kernels use their outputs as scratch and read
// inputs behind the bar they write, so they need separate buffers; a caller
// computing in place (TA-Lib allows out == in) gets the per-bar path, which
// reads each bar before writing it.
template <uint32_t kMask>
bool SeparateBuffers(const sf_bar_series& s, double* const* out, int outputs) {
  const auto bytes = static_cast<uintptr_t>(s.count) * sizeof(double);
  auto overlap = [&](const void* a, const void* b) {
    const auto x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
    return x < y + bytes && y < x + bytes;
  };
  const uint32_t bits[] = {SF_INPUT_OPEN, SF_INPUT_HIGH, SF_INPUT_LOW, SF_INPUT_CLOSE,
                           SF_INPUT_VOLUME};
  const double* cols[] = {s.open, s.high, s.low, s.close, s.volume};
  for (int k = 0; k < outputs; ++k) {
    if (out[k] == nullptr) continue;
    for (int j = 0; j < k; ++j) {
      if (out[j] != nullptr && overlap(out[k], out[j])) return false;
    }
    for (int c = 0; c < 5; ++c) {
      if ((kMask & bits[c]) != 0 && overlap(out[k], cols[c])) return false;
    }
  }
  return true;
}

// A streaming state: the indicator plus the NaN-poison flag.
template <class I>
struct Stream {
  explicit Stream(const Params& p) : ind(p) {}
  I ind;
  bool poisoned = false;
};

template <class I>
struct Adapter {
  static const IndicatorSpec& Spec() {
    static const IndicatorSpec spec = I::MakeSpec();
    return spec;
  }

  static sf_status Lookback(const double* params, uint32_t count, int64_t* lookback) {
    return sf::sdk::Guard([&] {
      const IndicatorSpec& spec = Spec();
      ValidateParams(spec, params, count);
      Params p(spec, params);
      I::Check(p);
      I ind(p);
      if (lookback != nullptr) *lookback = ind.lookback();
    });
  }

  static sf_status Compute(const double* params, uint32_t count, const sf_bar_series* input,
                           double* const* outputs, uint32_t output_count) {
    return sf::sdk::Guard([&] {
      const IndicatorSpec& spec = Spec();
      ValidateParams(spec, params, count);
      Params p(spec, params);
      I::Check(p);
      CheckSeries(spec, input, output_count, outputs);
      sf_bar_series s = sf::sdk::CopySized(input);
      constexpr uint32_t kMask = I::kInputs;
      constexpr int kOut = I::kOutputs;
      I ind(p);
      const int64_t n = s.count;
      int64_t clean = n;
      bool done = false;
      if constexpr (requires(I& x, const sf_bar_series& ss, int64_t c, double* const* o,
                             int64_t* f) { x.Batch(ss, c, o, f); }) {
        // A kernel that finds the first NaN bar itself: it computes every
        // bar (those from the first NaN on are then overwritten with NaN);
        // its outputs before that bar depend only on earlier bars.
        if (n > 0 && SeparateBuffers<kMask>(s, outputs, kOut)) {
          done = ind.Batch(s, n, outputs, &clean);
          if (!done) clean = n;
        }
      } else if constexpr (requires(I& x, const sf_bar_series& ss, int64_t c,
                                    double* const* o) { x.Batch(ss, c, o); }) {
        // A hand-written loop over the arrays for the hottest indicators; it
        // performs exactly Update()'s arithmetic (the streaming == batch test
        // compares bits). It may decline (false) for parameters its kernel
        // does not cover, e.g. windows longer than kBlockMaxPeriod.
        // Indicators whose arithmetic carries a NaN forward by itself (a
        // running sum or an EMA) need no scan: the result is the same.
        if (n > 0 && SeparateBuffers<kMask>(s, outputs, kOut)) {
          if constexpr (!I::kCarriesNaN) clean = FirstNaN<kMask>(s, 0, n);
          done = ind.Batch(s, clean, outputs);
          if (!done) clean = n;
        }
      }
      if (!done) {
        // Blocks small enough to stay in cache: the NaN scan of a block
        // brings it in, the update loop then reads it from cache.
        constexpr int64_t kBlock = 2048;
        double tmp[kOut];
        for (int64_t b = 0; b < n; b += kBlock) {
          const int64_t e = b + kBlock < n ? b + kBlock : n;
          const int64_t stop = FirstNaN<kMask>(s, b, e);
          for (int64_t i = b; i < stop; ++i) {
            ind.Update(LoadBar<kMask>(s, i), tmp);
            for (int k = 0; k < kOut; ++k) {
              if (Wanted(outputs, k)) outputs[k][i] = tmp[k];
            }
          }
          if (stop < e) {
            clean = stop;
            break;
          }
        }
      }
      for (int k = 0; k < kOut; ++k) {
        if (!Wanted(outputs, k)) continue;
        for (int64_t i = clean; i < n; ++i) outputs[k][i] = kNaN;
      }
    });
  }

  static sf_status StreamCreate(const double* params, uint32_t count, void** state) {
    return sf::sdk::Guard([&] {
      const IndicatorSpec& spec = Spec();
      if (state == nullptr) ThrowInvalid(std::string(spec.id) + ": state pointer is NULL");
      ValidateParams(spec, params, count);
      Params p(spec, params);
      I::Check(p);
      *state = new Stream<I>(p);
    });
  }

  static sf_status StreamUpdate(void* state, const sf_bar* bar, double* outputs,
                                uint32_t output_count) {
    if (state == nullptr || bar == nullptr || outputs == nullptr ||
        output_count != static_cast<uint32_t>(I::kOutputs)) {
      sf::sdk::SetError(SF_ERR_INVALID_ARGUMENT,
                        std::string(Spec().id) + ": stream_update needs a state, a bar and " +
                            std::to_string(I::kOutputs) + " output slots, got " +
                            std::to_string(output_count));
      return SF_ERR_INVALID_ARGUMENT;
    }
    auto* st = static_cast<Stream<I>*>(state);
    sf_bar in = sf::sdk::CopySized(bar);
    constexpr uint32_t kMask = I::kInputs;
    Bar b;
    if constexpr ((kMask & SF_INPUT_OPEN) != 0) b.open = in.open;
    if constexpr ((kMask & SF_INPUT_HIGH) != 0) b.high = in.high;
    if constexpr ((kMask & SF_INPUT_LOW) != 0) b.low = in.low;
    if constexpr ((kMask & SF_INPUT_CLOSE) != 0) b.close = in.close;
    if constexpr ((kMask & SF_INPUT_VOLUME) != 0) b.volume = in.volume;
    if constexpr ((kMask & SF_INPUT_TIME) != 0) b.ts = in.ts;
    if (st->poisoned || AnyNaN<kMask>(b)) {
      st->poisoned = true;
      FillNaN(outputs, I::kOutputs);
      return SF_OK;
    }
    st->ind.Update(b, outputs);
    return SF_OK;
  }

  static void StreamDestroy(void* state) { delete static_cast<Stream<I>*>(state); }

  static const sf_indicator_vtable* VTable() {
    static const std::string metadata = BuildMetadataJson(Spec());
    static const sf_indicator_vtable vt = [] {
      sf_indicator_vtable v = sf::sdk::Make<sf_indicator_vtable>();
      v.flags = SF_FLAG_THREAD_SAFE;
      v.id = Spec().id;
      v.metadata_json = metadata.c_str();
      v.param_count = static_cast<uint32_t>(Spec().params.size());
      v.output_count = static_cast<uint32_t>(I::kOutputs);
      v.input_mask = I::kInputs;
      v.lookback = &Lookback;
      v.compute = &Compute;
      v.stream_create = &StreamCreate;
      v.stream_update = &StreamUpdate;
      v.stream_destroy = &StreamDestroy;
      return v;
    }();
    return &vt;
  }
};

// Common parameter spec shorthands.
inline ParamSpec PeriodParam(const char* name, double def, double min, const char* description) {
  return ParamSpec{name, ParamType::kInt, def, min, 100000, description};
}

// The registration lists each source file provides.
using VTableFn = const sf_indicator_vtable* (*)();
void AppendMovingAverages(std::vector<VTableFn>& out);
void AppendMomentum(std::vector<VTableFn>& out);
void AppendVolatility(std::vector<VTableFn>& out);
void AppendVolume(std::vector<VTableFn>& out);
void AppendTrend(std::vector<VTableFn>& out);
void AppendFeatures(std::vector<VTableFn>& out);

}  // namespace sf::indicators

#endif  // SF_PLUGINS_INDICATORS_FRAMEWORK_H_
