// Process metrics in the Prometheus text exposition format (version 0.0.4),
// served at GET /metrics. A small registry of counter, gauge and histogram
// families with labels; hot paths keep a reference to their labelled series
// and update it with one atomic operation.
//
// Families any room may feed (helpers below keep names and labels in one
// place, so /metrics stays consistent and passes `promtool check metrics`):
//   signalforge_http_requests_total{method,route,status}       (the API)
//   signalforge_http_request_duration_seconds{method,route}     (the API)
//   signalforge_signal_generation_seconds{strategy}            (engine)
//   signalforge_strategy_eval_seconds{strategy}                (engine / lua)
//   signalforge_strategy_eval_errors_total{strategy}           (engine / lua)
//   signalforge_plugin_call_errors_total{plugin}               (plugins)
//   signalforge_deliveries_total{channel,outcome}              (notify)
//   signalforge_db_pool_connections{state}                     (store, sampled)
//
// Thread-safety: everything is thread-safe. Series references stay valid for
// the life of the process (series are never removed).
#ifndef SF_API_METRICS_H_
#define SF_API_METRICS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sf::api {

enum class MetricType { kCounter, kGauge, kHistogram };

// One labelled series.
class MetricSeries {
 public:
  explicit MetricSeries(size_t bucket_count) : buckets_(bucket_count) {}
  void Inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  // Histograms: counts the observation in the first bucket whose bound is
  // >= v (cumulated when rendered).
  void Observe(double v, const std::vector<double>& bounds);

  double value() const { return value_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
  std::vector<std::atomic<uint64_t>> buckets_;
};

class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names, std::vector<double> bounds);
  // The series for these label values (one per label name, in order).
  // Throws std::invalid_argument on a wrong number of values.
  MetricSeries& With(const std::vector<std::string>& label_values);
  void Observe(const std::vector<std::string>& label_values, double v) {
    With(label_values).Observe(v, bounds_);
  }
  const std::vector<double>& bounds() const { return bounds_; }
  void Render(std::string& out) const;

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }

 private:
  const std::string name_, help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<MetricSeries>> series_;
};

class MetricsRegistry {
 public:
  // The process-wide registry /metrics renders.
  static MetricsRegistry& Global();

  // Returns the family, creating it on first use. Names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]* and counters end in _total; asking again
  // with another type or other labels throws std::invalid_argument.
  MetricFamily& Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  MetricFamily& Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> label_names = {});
  MetricFamily& Histogram(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names, std::vector<double> bounds);

  // Called before each Render() (sampled gauges such as pool state).
  void AddCollector(std::function<void(MetricsRegistry&)> collector);
  // The text exposition of every family, sorted by name.
  std::string Render();

 private:
  MetricFamily& Get(const std::string& name, const std::string& help, MetricType type,
                    std::vector<std::string> label_names, std::vector<double> bounds);
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_;
  std::vector<std::function<void(MetricsRegistry&)>> collectors_;
};

// Latency buckets in seconds, 0.5 ms .. 10 s.
const std::vector<double>& LatencyBuckets();

// Helpers for the families other rooms feed (see the header comment).
void ObserveSignalGeneration(const std::string& strategy, double seconds);
void ObserveStrategyEval(const std::string& strategy, double seconds, bool failed);
void CountPluginCallError(const std::string& plugin);
void CountDelivery(const std::string& channel, const std::string& outcome);

}  // namespace sf::api

#endif  // SF_API_METRICS_H_
