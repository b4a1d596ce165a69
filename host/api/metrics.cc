#include "api/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <stdexcept>

namespace sf::api {

void MetricSeries::Observe(double v, const std::vector<double>& bounds) {
  size_t i = std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin();
  if (i < buckets_.size()) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

MetricFamily::MetricFamily(std::string name, std::string help, MetricType type,
                           std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

MetricSeries& MetricFamily::With(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size())
    throw std::invalid_argument("metric " + name_ + " takes " +
                                std::to_string(label_names_.size()) + " label values");
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = series_[label_values];
  if (!slot) slot = std::make_unique<MetricSeries>(bounds_.size());
  return *slot;
}

namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string EscapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

}  // namespace

void MetricFamily::Render(std::string& out) const {
  static const char* kTypes[] = {"counter", "gauge", "histogram"};
  out += "# HELP " + name_ + " " + EscapeHelp(help_) + "\n";
  out += "# TYPE " + name_ + " " + kTypes[static_cast<int>(type_)] + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, s] : series_) {
    if (type_ != MetricType::kHistogram) {
      out += name_ + Labels(label_names_, values) + " " + FormatValue(s->value()) + "\n";
      continue;
    }
    // Read the count first: buckets and sum may run ahead of it, never
    // behind, so the +Inf bucket (== count) is never below a finite bucket.
    const uint64_t count = s->count();
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += s->bucket(i);
      out += name_ + "_bucket" +
             Labels(label_names_, values, "le=\"" + FormatValue(bounds_[i]) + "\"") + " " +
             std::to_string(std::min(cumulative, count)) + "\n";
    }
    out += name_ + "_bucket" + Labels(label_names_, values, "le=\"+Inf\"") + " " +
           std::to_string(count) + "\n";
    out += name_ + "_sum" + Labels(label_names_, values) + " " + FormatValue(s->sum()) + "\n";
    out += name_ + "_count" + Labels(label_names_, values) + " " + std::to_string(count) + "\n";
  }
}

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* registry = new MetricsRegistry();  // never destroyed: used at exit
  return *registry;
}

MetricFamily& MetricsRegistry::Get(const std::string& name, const std::string& help,
                                   MetricType type, std::vector<std::string> label_names,
                                   std::vector<double> bounds) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second->type() != type)
      throw std::invalid_argument("metric " + name + " is already registered with another type");
    return *it->second;
  }
  if (!std::regex_match(name, kName))
    throw std::invalid_argument("metric name '" + name + "' is not a Prometheus name");
  if (type == MetricType::kCounter && !name.ends_with("_total"))
    throw std::invalid_argument("counter '" + name + "' must end in _total");
  if (!std::is_sorted(bounds.begin(), bounds.end()))
    throw std::invalid_argument("histogram '" + name + "' bounds must be ascending");
  auto family = std::make_unique<MetricFamily>(name, help, type, std::move(label_names),
                                               std::move(bounds));
  return *families_.emplace(name, std::move(family)).first->second;
}

MetricFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names) {
  return Get(name, help, MetricType::kCounter, std::move(label_names), {});
}
MetricFamily& MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names) {
  return Get(name, help, MetricType::kGauge, std::move(label_names), {});
}
MetricFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names,
                                         std::vector<double> bounds) {
  return Get(name, help, MetricType::kHistogram, std::move(label_names), std::move(bounds));
}

void MetricsRegistry::AddCollector(std::function<void(MetricsRegistry&)> collector) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() {
  std::vector<std::function<void(MetricsRegistry&)>> collectors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c(*this);
  std::vector<MetricFamily*> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, f] : families_) families.push_back(f.get());
  }
  std::string out;
  for (auto* f : families) f->Render(out);
  return out;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                               0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                               5,      10};
  return kBuckets;
}

void ObserveSignalGeneration(const std::string& strategy, double seconds) {
  MetricsRegistry::Global()
      .Histogram("signalforge_signal_generation_seconds",
                 "Time from bar close to a committed signal, per strategy.", {"strategy"},
                 LatencyBuckets())
      .Observe({strategy}, seconds);
}

void ObserveStrategyEval(const std::string& strategy, double seconds, bool failed) {
  auto& reg = MetricsRegistry::Global();
  reg.Histogram("signalforge_strategy_eval_seconds", "Time of one strategy evaluation.",
                {"strategy"}, LatencyBuckets())
      .Observe({strategy}, seconds);
  auto& errors = reg.Counter("signalforge_strategy_eval_errors_total",
                             "Strategy evaluations that failed (error, timeout, memory).",
                             {"strategy"})
                     .With({strategy});
  if (failed) errors.Inc();
}

void CountPluginCallError(const std::string& plugin) {
  MetricsRegistry::Global()
      .Counter("signalforge_plugin_call_errors_total", "Plugin calls that returned an error.",
               {"plugin"})
      .With({plugin})
      .Inc();
}

void CountDelivery(const std::string& channel, const std::string& outcome) {
  MetricsRegistry::Global()
      .Counter("signalforge_deliveries_total", "Delivery attempts by channel and outcome.",
               {"channel", "outcome"})
      .With({channel, outcome})
      .Inc();
}

}  // namespace sf::api
