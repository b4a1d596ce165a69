// Trend and statistics: linear regression (value, slope, intercept, angle,
// forecast), Ichimoku, Heikin-Ashi, classic pivot points, DPO, Mass Index,
// Coppock curve, KST.
#include <algorithm>

#include "framework.h"

namespace sf::indicators {
namespace {

constexpr uint32_t kClose = SF_INPUT_CLOSE;
constexpr uint32_t kHlc = SF_INPUT_HIGH | SF_INPUT_LOW | SF_INPUT_CLOSE;
constexpr uint32_t kOhlc = SF_INPUT_OPEN | kHlc;

class LinReg {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 5;
  static IndicatorSpec MakeSpec() {
    return {"linreg", "Linear Regression", "statistic", kInputs,
            {PeriodParam("period", 14, 2, "bars in the least-squares fit")},
            {{"value", "fitted value at the last bar (TA-Lib TA_LINEARREG)"},
             {"slope", "slope per bar (TA-Lib TA_LINEARREG_SLOPE)"},
             {"intercept", "fitted value at the first bar of the window (TA-Lib TA_LINEARREG_INTERCEPT)"},
             {"angle", "atan(slope) in degrees (TA-Lib TA_LINEARREG_ANGLE)"},
             {"forecast", "fitted value one bar ahead (TA-Lib TA_TSF)"}},
            "TA-Lib TA_LINEARREG, _SLOPE, _INTERCEPT, _ANGLE and TA_TSF"};
  }
  static void Check(const Params&) {}
  explicit LinReg(const Params& p) : n_(p.i(0)), w_(n_) {
    const int n = static_cast<int>(n_);
    sum_x_ = n * (n - 1) * 0.5;
    sum_x_sqr_ = static_cast<double>(static_cast<int64_t>(n) * (n - 1) * (2 * n - 1) / 6);
    divisor_ = sum_x_ * sum_x_ - static_cast<double>(n_) * sum_x_sqr_;
  }
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    w_.Push(b.close);
    if (++count_ < n_) { FillNaN(out, kOutputs); return; }
    // TA-Lib refits the whole window each bar (x = bars ago); the same sums in
    // the same order keep the result bit-identical.
    double sum_xy = 0, sum_y = 0;
    for (int64_t i = n_ - 1; i >= 0; --i) {
      const double y = w_.Ago(i);
      sum_y += y;
      sum_xy += static_cast<double>(i) * y;
    }
    const double nd = static_cast<double>(n_);
    const double m = (nd * sum_xy - sum_x_ * sum_y) / divisor_;
    const double bb = (sum_y - m * sum_x_) / nd;
    constexpr double kPi = 3.14159265358979323846;
    out[0] = bb + m * static_cast<double>(n_ - 1);
    out[1] = m;
    out[2] = bb;
    out[3] = std::atan(m) * (180.0 / kPi);
    out[4] = bb + m * nd;
  }

 private:
  int64_t n_;
  Window w_;
  double sum_x_, sum_x_sqr_, divisor_;
  int64_t count_ = 0;
};

class Ichimoku {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 5;
  static IndicatorSpec MakeSpec() {
    return {"ichimoku", "Ichimoku Kinko Hyo", "trend", kInputs,
            {PeriodParam("tenkan_period", 9, 1, "conversion line window"),
             PeriodParam("kijun_period", 26, 1, "base line window"),
             PeriodParam("senkou_b_period", 52, 1, "leading span B window"),
             {"displacement", ParamType::kInt, 26, 0, 100000, "bars the spans lead (chikou lags)"}},
            {{"tenkan", "(highest high + lowest low) / 2 over tenkan_period"},
             {"kijun", "(highest high + lowest low) / 2 over kijun_period"},
             {"senkou_a", "cloud edge A at this bar: (tenkan + kijun) / 2 from displacement bars ago"},
             {"senkou_b", "cloud edge B at this bar: midpoint over senkou_b_period from displacement bars ago"},
             {"chikou", "close (charted displacement bars back; no look-ahead)"}},
            "Goichi Hosoda's Ichimoku Kinko Hyo; spans given at the bar they are plotted on"};
  }
  static void Check(const Params&) {}
  explicit Ichimoku(const Params& p)
      : tn_(p.i(0)), kn_(p.i(1)), bn_(p.i(2)), d_(p.i(3)),
        th_(tn_), tl_(tn_), kh_(kn_), kl_(kn_), bh_(bn_), bl_(bn_), a_w_(d_ + 1), b_w_(d_ + 1) {}
  int64_t lookback() const {
    return std::max({tn_ - 1, kn_ - 1 + d_, bn_ - 1 + d_});
  }
  void Update(const Bar& b, double* out) {
    const int64_t t = count_++;
    th_.Push(t, b.high); tl_.Push(t, b.low);
    kh_.Push(t, b.high); kl_.Push(t, b.low);
    bh_.Push(t, b.high); bl_.Push(t, b.low);
    const double tenkan = (th_.value() + tl_.value()) / 2.0;
    const double kijun = (kh_.value() + kl_.value()) / 2.0;
    a_w_.Push((tenkan + kijun) / 2.0);
    b_w_.Push((bh_.value() + bl_.value()) / 2.0);
    if (t < lookback()) { FillNaN(out, kOutputs); return; }
    out[0] = tenkan;
    out[1] = kijun;
    out[2] = a_w_.Ago(d_);
    out[3] = b_w_.Ago(d_);
    out[4] = b.close;
  }

 private:
  int64_t tn_, kn_, bn_, d_;
  ExtremeDeque<true> th_;
  ExtremeDeque<false> tl_;
  ExtremeDeque<true> kh_;
  ExtremeDeque<false> kl_;
  ExtremeDeque<true> bh_;
  ExtremeDeque<false> bl_;
  Window a_w_, b_w_;
  int64_t count_ = 0;
};

class HeikinAshi {
 public:
  static constexpr uint32_t kInputs = kOhlc;
  static constexpr int kOutputs = 4;
  static IndicatorSpec MakeSpec() {
    return {"heikin_ashi", "Heikin-Ashi Candles", "trend", kInputs, {},
            {{"open", "(previous HA open + previous HA close) / 2; (open + close) / 2 on the first bar"},
             {"high", "max(high, HA open, HA close)"},
             {"low", "min(low, HA open, HA close)"},
             {"close", "(open + high + low + close) / 4"}},
            "Heikin-Ashi (Dan Valcu, TASC 2004)"};
  }
  static void Check(const Params&) {}
  explicit HeikinAshi(const Params&) {}
  int64_t lookback() const { return 0; }
  void Update(const Bar& b, double* out) {
    const double c = (b.open + b.high + b.low + b.close) / 4.0;
    const double o = started_ ? (open_ + close_) / 2.0 : (b.open + b.close) / 2.0;
    started_ = true;
    open_ = o;
    close_ = c;
    out[0] = o;
    out[1] = std::max({b.high, o, c});
    out[2] = std::min({b.low, o, c});
    out[3] = c;
  }

 private:
  bool started_ = false;
  double open_ = 0, close_ = 0;
};

class Pivots {
 public:
  static constexpr uint32_t kInputs = kHlc;
  static constexpr int kOutputs = 7;
  static IndicatorSpec MakeSpec() {
    return {"pivots", "Classic Pivot Points", "trend", kInputs, {},
            {{"pp", "(H + L + C) / 3 of the previous bar"},
             {"r1", "2*PP - L"}, {"s1", "2*PP - H"},
             {"r2", "PP + (H - L)"}, {"s2", "PP - (H - L)"},
             {"r3", "H + 2*(PP - L)"}, {"s3", "L - 2*(H - PP)"}},
            "classic (floor trader) pivot points from the previous bar's high, low, close; "
            "resample to daily bars first for daily pivots"};
  }
  static void Check(const Params&) {}
  explicit Pivots(const Params&) {}
  int64_t lookback() const { return 1; }
  void Update(const Bar& b, double* out) {
    if (!started_) {
      FillNaN(out, kOutputs);
    } else {
      const double pp = (h_ + l_ + c_) / 3.0;
      out[0] = pp;
      out[1] = 2.0 * pp - l_;
      out[2] = 2.0 * pp - h_;
      out[3] = pp + (h_ - l_);
      out[4] = pp - (h_ - l_);
      out[5] = h_ + 2.0 * (pp - l_);
      out[6] = l_ - 2.0 * (h_ - pp);
    }
    started_ = true;
    h_ = b.high; l_ = b.low; c_ = b.close;
  }

 private:
  bool started_ = false;
  double h_ = 0, l_ = 0, c_ = 0;
};

class Dpo {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"dpo", "Detrended Price Oscillator", "trend", kInputs,
            {PeriodParam("period", 20, 2, "SMA period")},
            {{"value", "close[period/2 + 1 bars ago] - SMA(close, period)"}},
            "DPO as StockCharts ChartSchool (price period/2+1 bars ago less the SMA; no look-ahead)"};
  }
  static void Check(const Params&) {}
  explicit Dpo(const Params& p) : n_(p.i(0)), shift_(n_ / 2 + 1), sma_(n_), w_(shift_ + 1) {}
  int64_t lookback() const { return std::max(n_ - 1, shift_); }
  void Update(const Bar& b, double* out) {
    w_.Push(b.close);
    const double s = sma_.Update(b.close);
    out[0] = count_++ < lookback() ? kNaN : w_.Ago(shift_) - s;
  }

 private:
  int64_t n_, shift_;
  SmaCore sma_;
  Window w_;
  int64_t count_ = 0;
};

class MassIndex {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_HIGH | SF_INPUT_LOW;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"mass_index", "Mass Index", "trend", kInputs,
            {PeriodParam("ema_period", 9, 1, "EMA period of the high-low range"),
             PeriodParam("sum_period", 25, 1, "bars of EMA ratios summed")},
            {{"value", "sum of EMA(range) / EMA(EMA(range)); a ratio counts 1 when the double EMA is 0"}},
            "Donald Dorsey (1992), Mass Index; EMAs seeded by SMA as TA-Lib TA_EMA"};
  }
  static void Check(const Params&) {}
  explicit MassIndex(const Params& p)
      : en_(p.i(0)), sn_(p.i(1)), e1_(en_), e2_(en_), w_(sn_) {}
  int64_t lookback() const { return 2 * (en_ - 1) + sn_ - 1; }
  void Update(const Bar& b, double* out) {
    out[0] = kNaN;
    const double a = e1_.Update(b.high - b.low);
    if (!e1_.ready()) return;
    const double c = e2_.Update(a);
    if (!e2_.ready()) return;
    const double ratio = c != 0.0 ? a / c : 1.0;
    w_.Push(ratio);
    sum_ += ratio;
    if (++count_ < sn_) return;
    out[0] = sum_;
    sum_ -= w_.Ago(sn_ - 1);
  }

 private:
  int64_t en_, sn_;
  EmaCore e1_, e2_;
  Window w_;
  double sum_ = 0;
  int64_t count_ = 0;
};

// TA-Lib ROC arithmetic over a window of closes.
class RocCore {
 public:
  explicit RocCore(int64_t n) : n_(n), w_(n) {}
  double Update(double x) {
    w_.Push(x);
    if (count_++ < n_) return kNaN;
    const double old = w_.Ago(n_);
    return old != 0.0 ? ((x / old) - 1.0) * 100.0 : 0.0;
  }

 private:
  int64_t n_;
  Window w_;
  int64_t count_ = 0;
};

class Coppock {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"coppock", "Coppock Curve", "trend", kInputs,
            {PeriodParam("roc_long", 14, 1, "long rate-of-change period"),
             PeriodParam("roc_short", 11, 1, "short rate-of-change period"),
             PeriodParam("wma_period", 10, 1, "WMA period")},
            {{"value", "WMA(ROC(long) + ROC(short))"}},
            "Edwin Coppock (1962), Coppock curve; ROC and WMA as TA-Lib TA_ROC / TA_WMA"};
  }
  static void Check(const Params&) {}
  explicit Coppock(const Params& p)
      : l_(p.i(0)), s_(p.i(1)), wn_(p.i(2)), rl_(l_), rs_(s_), wma_(wn_) {}
  int64_t lookback() const { return std::max(l_, s_) + wn_ - 1; }
  void Update(const Bar& b, double* out) {
    const double a = rl_.Update(b.close);
    const double c = rs_.Update(b.close);
    out[0] = (std::isnan(a) || std::isnan(c)) ? kNaN : wma_.Update(a + c);
  }

 private:
  int64_t l_, s_, wn_;
  RocCore rl_, rs_;
  WmaCore wma_;
};

class Kst {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 2;
  static IndicatorSpec MakeSpec() {
    return {"kst", "Know Sure Thing", "trend", kInputs,
            {PeriodParam("roc1", 10, 1, "ROC period 1"), PeriodParam("roc2", 15, 1, "ROC period 2"),
             PeriodParam("roc3", 20, 1, "ROC period 3"), PeriodParam("roc4", 30, 1, "ROC period 4"),
             PeriodParam("sma1", 10, 1, "SMA of ROC 1"), PeriodParam("sma2", 10, 1, "SMA of ROC 2"),
             PeriodParam("sma3", 10, 1, "SMA of ROC 3"), PeriodParam("sma4", 15, 1, "SMA of ROC 4"),
             PeriodParam("signal", 9, 1, "SMA period of the signal line")},
            {{"kst", "SMA(ROC1)*1 + SMA(ROC2)*2 + SMA(ROC3)*3 + SMA(ROC4)*4"},
             {"signal", "SMA of KST"}},
            "Martin Pring's KST, as StockCharts ChartSchool; ROC and SMA as TA-Lib"};
  }
  static void Check(const Params&) {}
  explicit Kst(const Params& p) : sig_(p.i(8)) {
    lookback_ = 0;
    for (int k = 0; k < 4; ++k) {
      roc_.emplace_back(p.i(k));
      sma_.emplace_back(p.i(4 + k));
      lookback_ = std::max(lookback_, p.i(k) + p.i(4 + k) - 1);
    }
    lookback_ += p.i(8) - 1;
  }
  int64_t lookback() const { return lookback_; }
  void Update(const Bar& b, double* out) {
    out[0] = out[1] = kNaN;
    double v[4];
    bool all = true;
    for (int k = 0; k < 4; ++k) {
      const double r = roc_[k].Update(b.close);
      v[k] = std::isnan(r) ? kNaN : sma_[k].Update(r);
      all = all && !std::isnan(v[k]);
    }
    if (!all) return;
    const double kst = v[0] * 1.0 + v[1] * 2.0 + v[2] * 3.0 + v[3] * 4.0;
    const double s = sig_.Update(kst);
    if (std::isnan(s)) return;
    out[0] = kst;
    out[1] = s;
  }

 private:
  std::vector<RocCore> roc_;
  std::vector<SmaCore> sma_;
  SmaCore sig_;
  int64_t lookback_;
};

}  // namespace

void AppendTrend(std::vector<VTableFn>& out) {
  out.push_back(&Adapter<LinReg>::VTable);
  out.push_back(&Adapter<Ichimoku>::VTable);
  out.push_back(&Adapter<HeikinAshi>::VTable);
  out.push_back(&Adapter<Pivots>::VTable);
  out.push_back(&Adapter<Dpo>::VTable);
  out.push_back(&Adapter<MassIndex>::VTable);
  out.push_back(&Adapter<Coppock>::VTable);
  out.push_back(&Adapter<Kst>::VTable);
}

}  // namespace sf::indicators
