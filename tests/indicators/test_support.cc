#include "test_support.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include "plugins/loader.h"

namespace sf::indicators::test {

sf_bar_series Series::View() const {
  sf_bar_series v{};
  v.struct_size = sizeof(sf_bar_series);
  v.count = static_cast<int64_t>(size());
  v.ts = ts.data();
  v.open = open.data();
  v.high = high.data();
  v.low = low.data();
  v.close = close.data();
  v.volume = volume.data();
  return v;
}

sf_bar Series::BarAt(size_t i) const {
  sf_bar b{};
  b.struct_size = sizeof(sf_bar);
  b.ts = ts[i];
  b.open = open[i];
  b.high = high[i];
  b.low = low[i];
  b.close = close[i];
  b.volume = volume[i];
  return b;
}

Series Series::Head(size_t n) const {
  Series h;
  h.symbol = symbol;
  n = std::min(n, size());
  h.ts.assign(ts.begin(), ts.begin() + n);
  h.open.assign(open.begin(), open.begin() + n);
  h.high.assign(high.begin(), high.begin() + n);
  h.low.assign(low.begin(), low.begin() + n);
  h.close.assign(close.begin(), close.begin() + n);
  h.volume.assign(volume.begin(), volume.begin() + n);
  return h;
}

std::string Sp500Dir() { return SF_SP500_DIR; }

bool HaveSp500() { return std::filesystem::is_directory(Sp500Dir()); }

namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

bool LoadSp500(const std::string& symbol, Series* out) {
  std::ifstream in(Sp500Dir() + "/" + symbol + ".csv");
  if (!in) return false;
  std::string line;
  if (!std::getline(in, line) || line.rfind("timestamp,open,high,low,close", 0) != 0) return false;
  struct Row { int64_t ts; double o, h, l, c, v; };
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() < 7) return false;
    int y = 0, m = 0, d = 0;
    if (std::sscanf(f[0].c_str(), "%d-%d-%d", &y, &m, &d) != 3) return false;
    Row r;
    r.ts = DaysFromCivil(y, m, d) * 86400LL * 1000000LL;
    r.o = std::strtod(f[1].c_str(), nullptr);
    r.h = std::strtod(f[2].c_str(), nullptr);
    r.l = std::strtod(f[3].c_str(), nullptr);
    r.c = std::strtod(f[4].c_str(), nullptr);
    r.v = std::strtod(f[6].c_str(), nullptr);
    rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ts < b.ts; });
  Series s;
  s.symbol = symbol;
  for (const Row& r : rows) {
    s.ts.push_back(r.ts);
    s.open.push_back(r.o);
    s.high.push_back(r.h);
    s.low.push_back(r.l);
    s.close.push_back(r.c);
    s.volume.push_back(r.v);
  }
  *out = std::move(s);
  return !out->close.empty();
}

std::vector<std::string> Sp500Symbols() {
  std::vector<std::string> names;
  if (!HaveSp500()) return names;
  for (const auto& e : std::filesystem::directory_iterator(Sp500Dir())) {
    if (e.path().extension() != ".csv") continue;
    std::ifstream in(e.path());
    std::string header;
    std::getline(in, header);
    if (header.rfind("timestamp,open,high,low,close", 0) != 0) continue;
    names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Series Synthetic(size_t bars, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, 0.01);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Series s;
  s.symbol = "SYN" + std::to_string(seed);
  double price = 50.0 + 100.0 * unit(rng);
  for (size_t i = 0; i < bars; ++i) {
    const double open = price;
    const double close = std::max(0.5, open * std::exp(step(rng)));
    const double hi = std::max(open, close) * (1.0 + 0.01 * unit(rng));
    const double lo = std::min(open, close) * (1.0 - 0.01 * unit(rng));
    s.ts.push_back(static_cast<int64_t>(i) * 86400LL * 1000000LL);
    s.open.push_back(std::round(open * 100) / 100);
    s.high.push_back(std::round(hi * 100) / 100 + 0.01);
    s.low.push_back(std::round(lo * 100) / 100 - 0.01);
    s.close.push_back(std::round(close * 100) / 100);
    s.volume.push_back(std::round(1e5 + 1e6 * unit(rng)));
    price = close;
  }
  return s;
}

const sf::plugins::Registry& Plugins() {
  static std::unique_ptr<sf::plugins::Registry> registry = [] {
    auto reg = std::make_unique<sf::plugins::Registry>();
    sf::plugins::Loader loader(*reg);
    sf::plugins::LoadResult r = loader.LoadFile(SF_INDICATORS_PLUGIN);
    if (!r.loaded) {
      throw std::runtime_error("indicator plugin refused: " + r.reason);
    }
    return reg;
  }();
  return *registry;
}

const sf::plugins::Indicator& Find(const std::string& id) {
  const sf::plugins::Indicator* ind = Plugins().FindIndicator(id);
  if (ind == nullptr) throw std::runtime_error("no indicator " + id);
  return *ind;
}

std::vector<double> DefaultParams(const sf::plugins::Indicator& ind) {
  std::vector<double> p;
  for (const auto& param : ind.metadata.at("params")) p.push_back(param.at("default").get<double>());
  return p;
}

sf_status Compute(const sf::plugins::Indicator& ind, const std::vector<double>& params,
                  const Series& s, std::vector<std::vector<double>>* out, std::string* error) {
  out->assign(ind.vt.output_count, std::vector<double>(s.size(), -12345.0));
  std::vector<double*> ptrs;
  for (auto& o : *out) ptrs.push_back(o.data());
  const sf_bar_series view = s.View();
  sf::plugins::ClearPluginError();
  const sf_status st = ind.vt.compute(params.data(), static_cast<uint32_t>(params.size()), &view,
                                      ptrs.data(), ind.vt.output_count);
  if (error != nullptr) *error = st < 0 ? sf::plugins::TakePluginError("") : "";
  return st;
}

sf_status Lookback(const sf::plugins::Indicator& ind, const std::vector<double>& params,
                   int64_t* lookback, std::string* error) {
  sf::plugins::ClearPluginError();
  const sf_status st =
      ind.vt.lookback(params.data(), static_cast<uint32_t>(params.size()), lookback);
  if (error != nullptr) *error = st < 0 ? sf::plugins::TakePluginError("") : "";
  return st;
}

sf_status Stream(const sf::plugins::Indicator& ind, const std::vector<double>& params,
                 const Series& s, std::vector<std::vector<double>>* out, std::string* error) {
  const uint32_t k = ind.vt.output_count;
  out->assign(k, std::vector<double>(s.size(), -12345.0));
  void* state = nullptr;
  sf::plugins::ClearPluginError();
  sf_status st = ind.vt.stream_create(params.data(), static_cast<uint32_t>(params.size()), &state);
  if (st < 0) {
    if (error != nullptr) *error = sf::plugins::TakePluginError("");
    return st;
  }
  std::vector<double> row(k);
  for (size_t i = 0; i < s.size(); ++i) {
    const sf_bar bar = s.BarAt(i);
    st = ind.vt.stream_update(state, &bar, row.data(), k);
    if (st < 0) break;
    for (uint32_t j = 0; j < k; ++j) (*out)[j][i] = row[j];
  }
  ind.vt.stream_destroy(state);
  if (error != nullptr) *error = st < 0 ? sf::plugins::TakePluginError("") : "";
  return st;
}

bool Close(double a, double b, double rel, double abs_floor) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  const double diff = std::fabs(a - b);
  if (diff <= abs_floor) return true;
  return diff <= rel * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace sf::indicators::test
