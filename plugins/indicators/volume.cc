// Volume indicators: OBV, MFI, Accumulation/Distribution, Chaikin A/D
// oscillator, Chaikin Money Flow, Force Index, Ease of Movement, rolling and
// per-session VWAP.
#include "framework.h"

namespace sf::indicators {
namespace {

constexpr uint32_t kHlcv =
    SF_INPUT_HIGH | SF_INPUT_LOW | SF_INPUT_CLOSE | SF_INPUT_VOLUME;

// TA-Lib's money flow multiplier times volume (0 when high <= low).
inline double AdStep(const Bar& b) {
  const double range = b.high - b.low;
  if (range > 0.0) return (((b.close - b.low) - (b.high - b.close)) / range) * b.volume;
  return 0.0;
}

class Obv {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_CLOSE | SF_INPUT_VOLUME;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"obv", "On Balance Volume", "volume", kInputs, {},
            {{"value", "running volume, added on up closes and subtracted on down closes; "
                       "starts at the first bar's volume"}},
            "TA-Lib TA_OBV (Joe Granville, 1963)"};
  }
  static void Check(const Params&) {}
  explicit Obv(const Params&) {}
  int64_t lookback() const { return 0; }
  void Update(const Bar& b, double* out) {
    if (!started_) {
      obv_ = b.volume;
      started_ = true;
    } else {
      obv_ += Step(b.close, prev_, b.volume);
    }
    prev_ = b.close;
    out[0] = obv_;
  }
  // The sum of close + volume rides along the running sum as the NaN
  // watch (FirstNaNIfSeen).
  bool Batch(const sf_bar_series& s, int64_t count, double* const* out,
             int64_t* first_nan) const {
    const double* c = s.close;
    const double* v = s.volume;
    double* o = out[0];
    double obv = v[0];
    double z = c[0] + v[0];
    o[0] = obv;
    for (int64_t i = 1; i < count; ++i) {
      obv += Step(c[i], c[i - 1], v[i]);
      z += c[i] + v[i];
      o[i] = obv;
    }
    *first_nan = FirstNaNIfSeen<kInputs>(!(z - z == 0.0), s, count);
    return true;
  }

 private:
  // The signed volume of a bar, chosen without a branch (closes go up and
  // down at random, a branch would mispredict half the time). Adding -v is
  // subtracting v, and adding 0 leaves the sum as TA-Lib's.
  static double Step(double close, double prev, double volume) {
    return Select(close > prev, volume, Select(close < prev, -volume, 0.0));
  }

  bool started_ = false;
  double obv_ = 0, prev_ = 0;
};

class Mfi {
 public:
  static constexpr uint32_t kInputs = kHlcv;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"mfi", "Money Flow Index", "volume", kInputs,
            {PeriodParam("period", 14, 2, "bars in the window")},
            {{"value", "MFI in [0, 100]; 0 when the window's money flow is below 1"}},
            "TA-Lib TA_MFI (Gene Quong and Avrum Soudack)"};
  }
  static void Check(const Params&) {}
  explicit Mfi(const Params& p) : n_(p.i(0)), pos_w_(n_), neg_w_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    const double tp = (b.high + b.low + b.close) / 3.0;
    if (t == 0) { prev_tp_ = tp; out[0] = kNaN; return; }
    if (t > n_) {
      pos_ -= pos_w_.Ago(n_ - 1);
      neg_ -= neg_w_.Ago(n_ - 1);
    }
    const double diff = tp - prev_tp_;
    prev_tp_ = tp;
    const double mf = tp * b.volume;
    if (diff < 0) {
      neg_w_.Push(mf); neg_ += mf; pos_w_.Push(0.0);
    } else if (diff > 0) {
      pos_w_.Push(mf); pos_ += mf; neg_w_.Push(0.0);
    } else {
      pos_w_.Push(0.0); neg_w_.Push(0.0);
    }
    if (t < n_) { out[0] = kNaN; return; }
    const double sum = pos_ + neg_;
    out[0] = sum < 1.0 ? 0.0 : 100.0 * (pos_ / sum);
  }

 private:
  int64_t n_;
  Window pos_w_, neg_w_;
  double pos_ = 0, neg_ = 0, prev_tp_ = 0;
  int64_t count_ = 0;
};

class Ad {
 public:
  static constexpr uint32_t kInputs = kHlcv;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"ad", "Chaikin Accumulation/Distribution Line", "volume", kInputs, {},
            {{"value", "running sum of ((close-low)-(high-close))/(high-low)*volume"}},
            "TA-Lib TA_AD (Marc Chaikin)"};
  }
  static void Check(const Params&) {}
  explicit Ad(const Params&) {}
  int64_t lookback() const { return 0; }
  void Update(const Bar& b, double* out) {
    ad_ += AdStep(b);
    out[0] = ad_;
  }

 private:
  double ad_ = 0;
};

class AdOsc {
 public:
  static constexpr uint32_t kInputs = kHlcv;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"adosc", "Chaikin A/D Oscillator", "volume", kInputs,
            {PeriodParam("fast_period", 3, 2, "fast EMA period"),
             PeriodParam("slow_period", 10, 2, "slow EMA period (> fast_period)")},
            {{"value", "EMA(AD, fast) - EMA(AD, slow); both EMAs start at the first AD value"}},
            "TA-Lib TA_ADOSC"};
  }
  static void Check(const Params& p) {
    if (p.d(0) >= p.d(1)) {
      ThrowInvalid("adosc: fast_period must be < slow_period, got " + FormatNumber(p.d(0)) +
                   " >= " + FormatNumber(p.d(1)));
    }
  }
  explicit AdOsc(const Params& p)
      : slow_n_(p.i(1)),
        fk_(2.0 / (static_cast<double>(p.i(0) + 1))),
        sk_(2.0 / (static_cast<double>(p.i(1) + 1))),
        ofk_(1.0 - fk_),
        osk_(1.0 - sk_) {}
  int64_t lookback() const { return slow_n_ - 1; }
  void Update(const Bar& b, double* out) {
    ad_ += AdStep(b);
    const int64_t t = count_++;
    if (t == 0) {
      fast_ = slow_ = ad_;
    } else {
      fast_ = (fk_ * ad_) + (ofk_ * fast_);
      slow_ = (sk_ * ad_) + (osk_ * slow_);
    }
    out[0] = t < slow_n_ - 1 ? kNaN : fast_ - slow_;
  }

 private:
  int64_t slow_n_;
  double fk_, sk_, ofk_, osk_;
  double ad_ = 0, fast_ = 0, slow_ = 0;
  int64_t count_ = 0;
};

class Cmf {
 public:
  static constexpr uint32_t kInputs = kHlcv;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"cmf", "Chaikin Money Flow", "volume", kInputs,
            {PeriodParam("period", 20, 1, "bars in the window")},
            {{"value", "sum(money flow volume) / sum(volume); 0 when the window has no volume"}},
            "Marc Chaikin's Money Flow, as StockCharts ChartSchool (money flow multiplier 0 "
            "when high == low)"};
  }
  static void Check(const Params&) {}
  explicit Cmf(const Params& p) : n_(p.i(0)), mfv_w_(n_), v_w_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    const double mfv = AdStep(b);
    mfv_w_.Push(mfv);
    v_w_.Push(b.volume);
    smfv_ += mfv;
    sv_ += b.volume;
    if (++count_ < n_) { out[0] = kNaN; return; }
    out[0] = sv_ != 0.0 ? smfv_ / sv_ : 0.0;
    smfv_ -= mfv_w_.Ago(n_ - 1);
    sv_ -= v_w_.Ago(n_ - 1);
  }

 private:
  int64_t n_;
  Window mfv_w_, v_w_;
  double smfv_ = 0, sv_ = 0;
  int64_t count_ = 0;
};

class ForceIndex {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_CLOSE | SF_INPUT_VOLUME;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"force_index", "Force Index", "volume", kInputs,
            {PeriodParam("period", 13, 1, "EMA period")},
            {{"value", "EMA((close - prev close) * volume)"}},
            "Alexander Elder, Trading for a Living (1993); EMA seeded by SMA as TA-Lib TA_EMA"};
  }
  static void Check(const Params&) {}
  explicit ForceIndex(const Params& p) : n_(p.i(0)), ema_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    if (count_++ == 0) { prev_ = b.close; out[0] = kNaN; return; }
    const double raw = (b.close - prev_) * b.volume;
    prev_ = b.close;
    out[0] = ema_.Update(raw);
  }

 private:
  int64_t n_;
  EmaCore ema_;
  double prev_ = 0;
  int64_t count_ = 0;
};

class Eom {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_HIGH | SF_INPUT_LOW | SF_INPUT_VOLUME;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"eom", "Ease of Movement", "volume", kInputs,
            {PeriodParam("period", 14, 1, "SMA period"),
             {"divisor", ParamType::kDouble, 100000000, 1, 1e15, "volume scale of the box ratio"}},
            {{"value", "SMA of (midpoint move) / ((volume / divisor) / (high - low)); a bar "
                       "with no range or no volume contributes 0"}},
            "Richard W. Arms Jr.'s Ease of Movement, as StockCharts ChartSchool"};
  }
  static void Check(const Params&) {}
  explicit Eom(const Params& p) : n_(p.i(0)), div_(p.d(1)), sma_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    const double mid = (b.high + b.low) / 2.0;
    if (count_++ == 0) { prev_mid_ = mid; out[0] = kNaN; return; }
    const double range = b.high - b.low;
    const double box = (b.volume / div_) / range;
    const double emv = (range != 0.0 && b.volume != 0.0) ? (mid - prev_mid_) / box : 0.0;
    prev_mid_ = mid;
    out[0] = sma_.Update(emv);
  }

 private:
  int64_t n_;
  double div_;
  SmaCore sma_;
  double prev_mid_ = 0;
  int64_t count_ = 0;
};

class Vwap {
 public:
  static constexpr uint32_t kInputs = kHlcv;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"vwap", "Rolling VWAP", "volume", kInputs,
            {PeriodParam("period", 20, 1, "bars in the window")},
            {{"value", "sum(typical price * volume) / sum(volume); NaN when the window has "
                       "no volume"}},
            "volume-weighted average of the typical price (H+L+C)/3 over a rolling window"};
  }
  static void Check(const Params&) {}
  explicit Vwap(const Params& p) : n_(p.i(0)), pv_w_(n_), v_w_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    const double pv = ((b.high + b.low + b.close) / 3.0) * b.volume;
    pv_w_.Push(pv);
    v_w_.Push(b.volume);
    spv_ += pv;
    sv_ += b.volume;
    if (++count_ < n_) { out[0] = kNaN; return; }
    out[0] = sv_ != 0.0 ? spv_ / sv_ : kNaN;
    spv_ -= pv_w_.Ago(n_ - 1);
    sv_ -= v_w_.Ago(n_ - 1);
  }

 private:
  int64_t n_;
  Window pv_w_, v_w_;
  double spv_ = 0, sv_ = 0;
  int64_t count_ = 0;
};

class SessionVwap {
 public:
  static constexpr uint32_t kInputs = kHlcv | SF_INPUT_TIME;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"vwap_session", "Session VWAP", "volume", kInputs,
            {{"utc_offset_minutes", ParamType::kInt, 0, -1440, 1440,
              "session day boundary offset from UTC midnight, in minutes"}},
            {{"value", "cumulative typical price * volume / volume since the session began; "
                       "NaN until the session has volume"}},
            "session-anchored VWAP: sums restart at each (UTC + offset) calendar day of the "
            "bar end time"};
  }
  static void Check(const Params&) {}
  explicit SessionVwap(const Params& p) : offset_us_(p.i(0) * 60 * 1000000LL) {}
  int64_t lookback() const { return 0; }
  void Update(const Bar& b, double* out) {
    constexpr int64_t kDayUs = 86400LL * 1000000LL;
    const int64_t shifted = b.ts + offset_us_;
    int64_t day = shifted / kDayUs;
    if (shifted % kDayUs < 0) --day;  // floor for times before 1970
    if (!started_ || day != day_) {
      spv_ = sv_ = 0;
      day_ = day;
      started_ = true;
    }
    spv_ += ((b.high + b.low + b.close) / 3.0) * b.volume;
    sv_ += b.volume;
    out[0] = sv_ != 0.0 ? spv_ / sv_ : kNaN;
  }

 private:
  int64_t offset_us_;
  bool started_ = false;
  int64_t day_ = 0;
  double spv_ = 0, sv_ = 0;
};

}  // namespace

void AppendVolume(std::vector<VTableFn>& out) {
  out.push_back(&Adapter<Obv>::VTable);
  out.push_back(&Adapter<Mfi>::VTable);
  out.push_back(&Adapter<Ad>::VTable);
  out.push_back(&Adapter<AdOsc>::VTable);
  out.push_back(&Adapter<Cmf>::VTable);
  out.push_back(&Adapter<ForceIndex>::VTable);
  out.push_back(&Adapter<Eom>::VTable);
  out.push_back(&Adapter<Vwap>::VTable);
  out.push_back(&Adapter<SessionVwap>::VTable);
}

}  // namespace sf::indicators
