// Price features of the mean-reversion model (seed spec 000, "Price-Based
// Features"): n-bar returns, realized volatility, Garman-Klass volatility,
// distance from SMA, Bollinger position, volume ratio, dollar volume, Amihud
// illiquidity, overnight gap, intraday range, close-to-low position.
#include "framework.h"

namespace sf::indicators {
namespace {

constexpr uint32_t kClose = SF_INPUT_CLOSE;

class Returns {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"returns", "Return over n bars", "feature", kInputs,
            {PeriodParam("period", 1, 1, "bars back")},
            {{"value", "(close - close[n ago]) / close[n ago]; 0 when the old close is 0"}},
            "simple return; same arithmetic as TA-Lib TA_ROCP"};
  }
  static void Check(const Params&) {}
  explicit Returns(const Params& p) : n_(p.i(0)), w_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    w_.Push(b.close);
    if (count_++ < n_) { out[0] = kNaN; return; }
    const double old = w_.Ago(n_);
    out[0] = old != 0.0 ? (b.close - old) / old : 0.0;
  }

 private:
  int64_t n_;
  Window w_;
  int64_t count_ = 0;
};

// Rolling sum over n values, TA-Lib order (add, read, subtract the oldest).
class RollingSum {
 public:
  explicit RollingSum(int64_t n) : n_(n), w_(n) {}
  double Update(double x) {
    w_.Push(x);
    sum_ += x;
    if (++count_ < n_) return kNaN;
    const double s = sum_;
    sum_ -= w_.Ago(n_ - 1);
    return s;
  }

 private:
  int64_t n_;
  Window w_;
  double sum_ = 0;
  int64_t count_ = 0;
};

class RealizedVol {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"realized_vol", "Realized Volatility", "feature", kInputs,
            {PeriodParam("period", 20, 2, "number of 1-bar log returns"),
             {"annualization", ParamType::kDouble, 1, 1, 100000,
              "bars per year to annualise (252 for daily); 1 = per bar"}},
            {{"value", "sample standard deviation of 1-bar log returns * sqrt(annualization)"}},
            "realized volatility: sample stddev (n-1) of ln(close/prev close); a return with a "
            "non-positive close counts as 0"};
  }
  static void Check(const Params&) {}
  explicit RealizedVol(const Params& p)
      : n_(p.i(0)), scale_(std::sqrt(p.d(1))), s1_(n_), s2_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    out[0] = kNaN;
    if (count_++ == 0) { prev_ = b.close; return; }
    const double r = (b.close > 0.0 && prev_ > 0.0) ? std::log(b.close / prev_) : 0.0;
    prev_ = b.close;
    const double a = s1_.Update(r);
    const double c = s2_.Update(r * r);
    if (std::isnan(a)) return;
    const double nd = static_cast<double>(n_);
    double var = (c - (a * a) / nd) / (nd - 1.0);
    if (var < 0.0) var = 0.0;
    out[0] = std::sqrt(var) * scale_;
  }

 private:
  int64_t n_;
  double scale_;
  RollingSum s1_, s2_;
  double prev_ = 0;
  int64_t count_ = 0;
};

class GarmanKlass {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_OPEN | SF_INPUT_HIGH | SF_INPUT_LOW | kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"garman_klass", "Garman-Klass Volatility", "feature", kInputs,
            {PeriodParam("period", 20, 1, "bars averaged"),
             {"annualization", ParamType::kDouble, 1, 1, 100000,
              "bars per year to annualise (252 for daily); 1 = per bar"}},
            {{"value", "sqrt(mean(0.5*ln(H/L)^2 - (2 ln 2 - 1)*ln(C/O)^2)) * sqrt(annualization)"}},
            "Garman & Klass (1980), On the Estimation of Security Price Volatilities from "
            "Historical Data, J. Business 53(1); a bar with a non-positive price counts as 0"};
  }
  static void Check(const Params&) {}
  explicit GarmanKlass(const Params& p)
      : n_(p.i(0)), scale_(std::sqrt(p.d(1))), sum_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    double term = 0.0;
    if (b.open > 0 && b.high > 0 && b.low > 0 && b.close > 0) {
      const double hl = std::log(b.high / b.low);
      const double co = std::log(b.close / b.open);
      term = 0.5 * hl * hl - (2.0 * std::log(2.0) - 1.0) * co * co;
    }
    const double s = sum_.Update(term);
    if (std::isnan(s)) { out[0] = kNaN; return; }
    const double mean = s / static_cast<double>(n_);
    out[0] = mean > 0.0 ? std::sqrt(mean) * scale_ : 0.0;
  }

 private:
  int64_t n_;
  double scale_;
  RollingSum sum_;
};

class DistSma {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"dist_sma", "Distance from SMA", "feature", kInputs,
            {PeriodParam("period", 20, 2, "SMA period")},
            {{"value", "(close - SMA) / SMA; 0 when the SMA is 0"}},
            "seed spec distance_from_sma20; SMA as TA-Lib TA_SMA"};
  }
  static void Check(const Params&) {}
  explicit DistSma(const Params& p) : n_(p.i(0)), sma_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    const double s = sma_.Update(b.close);
    if (std::isnan(s)) { out[0] = kNaN; return; }
    out[0] = s != 0.0 ? (b.close - s) / s : 0.0;
  }

 private:
  int64_t n_;
  SmaCore sma_;
};

class BbPosition {
 public:
  static constexpr uint32_t kInputs = kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"bb_position", "Bollinger Position", "feature", kInputs,
            {PeriodParam("period", 20, 2, "Bollinger window"),
             {"nbdev", ParamType::kDouble, 2, 0, 100, "band width in standard deviations"}},
            {{"value", "(close - lower) / (upper - lower); 0.5 when the bands touch"}},
            "seed spec bollinger_position; bands as TA-Lib TA_BBANDS (SMA, population stddev)"};
  }
  static void Check(const Params&) {}
  explicit BbPosition(const Params& p) : n_(p.i(0)), k_(p.d(1)), v_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    if (!v_.Update(b.close)) { out[0] = kNaN; return; }
    const double sd = v_.stddev();
    const double upper = v_.mean() + (sd * k_);
    const double lower = v_.mean() - (sd * k_);
    const double width = upper - lower;
    out[0] = width != 0.0 ? (b.close - lower) / width : 0.5;
  }

 private:
  int64_t n_;
  double k_;
  VarCore v_;
};

class VolumeRatio {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_VOLUME;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"volume_ratio", "Volume Ratio", "feature", kInputs,
            {PeriodParam("period", 20, 1, "bars averaged (including this one)")},
            {{"value", "volume / SMA(volume, period); 0 when the average is 0"}},
            "seed spec volume_ratio = volume / avg_volume_20d"};
  }
  static void Check(const Params&) {}
  explicit VolumeRatio(const Params& p) : n_(p.i(0)), sma_(n_) {}
  int64_t lookback() const { return n_ - 1; }
  void Update(const Bar& b, double* out) {
    const double s = sma_.Update(b.volume);
    if (std::isnan(s)) { out[0] = kNaN; return; }
    out[0] = s != 0.0 ? b.volume / s : 0.0;
  }

 private:
  int64_t n_;
  SmaCore sma_;
};

class DollarVolume {
 public:
  static constexpr uint32_t kInputs = kClose | SF_INPUT_VOLUME;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"dollar_volume", "Dollar Volume", "feature", kInputs, {},
            {{"value", "close * volume"}},
            "seed spec dollar_volume"};
  }
  static void Check(const Params&) {}
  explicit DollarVolume(const Params&) {}
  int64_t lookback() const { return 0; }
  void Update(const Bar& b, double* out) { out[0] = b.close * b.volume; }
};

class Amihud {
 public:
  static constexpr uint32_t kInputs = kClose | SF_INPUT_VOLUME;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"amihud", "Amihud Illiquidity", "feature", kInputs,
            {PeriodParam("period", 20, 1, "bars averaged"),
             {"scale", ParamType::kDouble, 1e6, 1e-12, 1e18, "multiplier (Amihud uses 10^6)"}},
            {{"value", "mean(|1-bar return| / (close * volume)) * scale; a bar with no dollar "
                       "volume contributes 0"}},
            "Amihud (2002), Illiquidity and stock returns, J. Financial Markets 5(1)"};
  }
  static void Check(const Params&) {}
  explicit Amihud(const Params& p) : n_(p.i(0)), scale_(p.d(1)), sum_(n_) {}
  int64_t lookback() const { return n_; }
  void Update(const Bar& b, double* out) {
    out[0] = kNaN;
    if (count_++ == 0) { prev_ = b.close; return; }
    const double r = prev_ != 0.0 ? (b.close - prev_) / prev_ : 0.0;
    prev_ = b.close;
    const double dv = b.close * b.volume;
    const double term = dv != 0.0 ? std::fabs(r) / dv : 0.0;
    const double s = sum_.Update(term);
    if (std::isnan(s)) return;
    out[0] = (s / static_cast<double>(n_)) * scale_;
  }

 private:
  int64_t n_;
  double scale_;
  RollingSum sum_;
  double prev_ = 0;
  int64_t count_ = 0;
};

class OvernightGap {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_OPEN | kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"overnight_gap", "Overnight Gap", "feature", kInputs, {},
            {{"value", "(open - prev close) / prev close; 0 when the previous close is 0"}},
            "seed spec overnight_gap"};
  }
  static void Check(const Params&) {}
  explicit OvernightGap(const Params&) {}
  int64_t lookback() const { return 1; }
  void Update(const Bar& b, double* out) {
    if (!started_) {
      out[0] = kNaN;
    } else {
      out[0] = prev_ != 0.0 ? (b.open - prev_) / prev_ : 0.0;
    }
    started_ = true;
    prev_ = b.close;
  }

 private:
  bool started_ = false;
  double prev_ = 0;
};

class IntradayRange {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_OPEN | SF_INPUT_HIGH | SF_INPUT_LOW;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"intraday_range", "Intraday Range", "feature", kInputs, {},
            {{"value", "(high - low) / open; 0 when open is 0"}},
            "seed spec intraday_range"};
  }
  static void Check(const Params&) {}
  explicit IntradayRange(const Params&) {}
  int64_t lookback() const { return 0; }
  void Update(const Bar& b, double* out) {
    out[0] = b.open != 0.0 ? (b.high - b.low) / b.open : 0.0;
  }
};

class CloseToLow {
 public:
  static constexpr uint32_t kInputs = SF_INPUT_HIGH | SF_INPUT_LOW | kClose;
  static constexpr int kOutputs = 1;
  static IndicatorSpec MakeSpec() {
    return {"close_to_low", "Close-to-Low Position", "feature", kInputs, {},
            {{"value", "(close - low) / (high - low); 0.5 when high == low"}},
            "seed spec close_to_low"};
  }
  static void Check(const Params&) {}
  explicit CloseToLow(const Params&) {}
  int64_t lookback() const { return 0; }
  void Update(const Bar& b, double* out) {
    const double r = b.high - b.low;
    out[0] = r != 0.0 ? (b.close - b.low) / r : 0.5;
  }
};

}  // namespace

void AppendFeatures(std::vector<VTableFn>& out) {
  out.push_back(&Adapter<Returns>::VTable);
  out.push_back(&Adapter<RealizedVol>::VTable);
  out.push_back(&Adapter<GarmanKlass>::VTable);
  out.push_back(&Adapter<DistSma>::VTable);
  out.push_back(&Adapter<BbPosition>::VTable);
  out.push_back(&Adapter<VolumeRatio>::VTable);
  out.push_back(&Adapter<DollarVolume>::VTable);
  out.push_back(&Adapter<Amihud>::VTable);
  out.push_back(&Adapter<OvernightGap>::VTable);
  out.push_back(&Adapter<IntradayRange>::VTable);
  out.push_back(&Adapter<CloseToLow>::VTable);
}

}  // namespace sf::indicators
