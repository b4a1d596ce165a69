#include "notify/alert_evaluator.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "base/logging.h"
#include "notify/alert_router.h"
#include "store/watchlists_repository.h"

namespace sf::notify {
namespace {

constexpr const char* kBarKinds[] = {"price_cross", "volume_spike", "indicator_threshold"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Fixed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The symbols a news item mentions ("AAPL,MSFT" or "AAPL MSFT"), upper-case.
std::set<std::string> MentionedSymbols(const std::string& list) {
  std::set<std::string> out;
  std::string cur;
  for (char c : list + ",") {
    if (c == ',' || c == ' ' || c == ';') {
      if (!cur.empty()) out.insert(Upper(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

std::optional<double> NumberOf(const nlohmann::json& f, const char* key) {
  auto it = f.find(key);
  if (it == f.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

AlertEvaluator::AlertEvaluator(store::Pool* pool, const ChannelSet* channels,
                               NotifySettings settings, const plugins::Registry* registry,
                               std::chrono::milliseconds rules_ttl)
    : pool_(pool),
      channels_(channels),
      settings_(std::move(settings)),
      registry_(registry),
      rules_ttl_(rules_ttl) {}

AlertEvaluator::~AlertEvaluator() = default;

void AlertEvaluator::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

bool AlertEvaluator::Allowed(const store::AlertMatch& m) const {
  return settings_.TierAllows(m.tier, m.subscription.channel) &&
         (channels_ == nullptr || channels_->Has(m.subscription.channel));
}

Status AlertEvaluator::RefreshRules() {
  auto now = std::chrono::steady_clock::now();
  if (rules_read_ != std::chrono::steady_clock::time_point{} && now - rules_read_ < rules_ttl_)
    return Status::Ok();
  store::AlertsRepository alerts(pool_);
  std::vector<store::AlertMatch> bar_rules;
  for (const char* kind : kBarKinds) {
    auto rules = alerts.ActiveForKind(kind);
    if (!rules.ok()) return rules.status();
    for (auto& m : *rules)
      if (Allowed(m)) bar_rules.push_back(std::move(m));
  }
  auto news = alerts.ActiveForKind("news");
  if (!news.ok()) return news.status();
  std::vector<store::AlertMatch> news_rules;
  std::map<int64_t, std::set<std::string>> watched;
  store::WatchlistsRepository watchlists(pool_);
  for (auto& m : *news) {
    if (!Allowed(m)) continue;
    if (!m.subscription.filters.contains("symbols") && !watched.count(m.subscription.user_id)) {
      auto lists = watchlists.List(m.subscription.user_id);
      if (!lists.ok()) return lists.status();
      auto& set = watched[m.subscription.user_id];
      for (const auto& l : *lists)
        for (const auto& s : l.symbols) set.insert(Upper(s));
    }
    news_rules.push_back(std::move(m));
  }
  // Drop the state of rules that are gone (deleted, disabled, edited away).
  std::set<int64_t> live;
  for (const auto& m : bar_rules) live.insert(m.subscription.id);
  for (auto it = series_.begin(); it != series_.end();)
    it = live.count(std::get<0>(it->first)) ? std::next(it) : series_.erase(it);
  bar_rules_ = std::move(bar_rules);
  news_rules_ = std::move(news_rules);
  watchlist_symbols_ = std::move(watched);
  rules_read_ = now;
  return Status::Ok();
}

std::optional<nlohmann::json> AlertEvaluator::Evaluate(const store::AlertMatch& m,
                                                       const market::CompletedBar& bar,
                                                       Series& s) {
  const auto& sub = m.subscription;
  const auto& f = sub.filters;
  nlohmann::json p = {{"kind", sub.kind},
                      {"rule_id", sub.id},
                      {"symbol", bar.symbol},
                      {"timeframe", std::string(market::TimeframeName(bar.timeframe))},
                      {"bar_time", IsoUtc(bar.ts_end)},
                      {"close", bar.close},
                      {"volume", bar.volume},
                      {"occurred_at", IsoUtc(bar.ts_end)}};
  if (sub.kind == "price_cross") {
    const double level = NumberOf(f, "level").value_or(0);
    const bool up = f.value("direction", std::string("above")) == "above";
    const double ref = s.prev_close.value_or(bar.open);
    s.prev_close = bar.close;
    bool crossed = up ? (ref < level && bar.close >= level) : (ref > level && bar.close <= level);
    if (!crossed) return std::nullopt;
    p["level"] = level;
    p["direction"] = up ? "above" : "below";
    p["previous_close"] = ref;
    p["summary"] = bar.symbol + " crossed " + (up ? "above " : "below ") + Fixed(level) +
                   " (close " + Fixed(bar.close) + ")";
    return p;
  }
  if (sub.kind == "volume_spike") {
    const double multiple = NumberOf(f, "multiple").value_or(3.0);
    const size_t lookback = static_cast<size_t>(NumberOf(f, "lookback").value_or(20));
    std::optional<double> average;
    if (s.volumes.size() == lookback) {
      average = std::accumulate(s.volumes.begin(), s.volumes.end(), 0.0) /
                static_cast<double>(lookback);
    }
    s.volumes.push_back(bar.volume);
    while (s.volumes.size() > lookback) s.volumes.pop_front();
    if (!average || *average <= 0 || bar.volume < multiple * *average) return std::nullopt;
    p["average_volume"] = *average;
    p["multiple"] = bar.volume / *average;
    p["lookback"] = lookback;
    p["summary"] = bar.symbol + " volume " + Fixed(bar.volume) + " is " +
                   Fixed(bar.volume / *average) + "x its " + std::to_string(lookback) +
                   "-bar average";
    return p;
  }
  if (sub.kind == "indicator_threshold") {
    if (s.stream_failed || registry_ == nullptr) return std::nullopt;
    const std::string id = f.value("indicator", std::string());
    std::vector<double> params;
    if (auto it = f.find("params"); it != f.end())
      for (const auto& v : *it) params.push_back(v.get<double>());
    if (!s.stream) {
      const plugins::Indicator* ind = registry_->FindIndicator(id);
      auto stream = ind == nullptr
                        ? StatusOr<std::unique_ptr<plugins::IndicatorStream>>(
                              NotFound("no indicator plugin provides \"" + id + "\""))
                        : plugins::IndicatorStream::Open(*ind, params);
      if (!stream.ok()) {
        s.stream_failed = true;
        base::Logger("notify")->warn("alert rule {}: indicator {} cannot run: {}", sub.id, id,
                                     stream.status().ToString());
        return std::nullopt;
      }
      s.stream = std::move(*stream);
    }
    sf_bar b{};
    b.struct_size = sizeof b;
    b.ts = bar.ts_end;
    b.open = bar.open;
    b.high = bar.high;
    b.low = bar.low;
    b.close = bar.close;
    b.volume = bar.volume;
    std::vector<double> out;
    if (!s.stream->Update(b, &out).ok() || out.empty() || !std::isfinite(out[0]))
      return std::nullopt;
    const double value = out[0];
    const double threshold = NumberOf(f, "value").value_or(0);
    const bool below = f.value("op", std::string("<")) == "<";
    const auto prev = s.prev_value;
    s.prev_value = value;
    if (!prev) return std::nullopt;
    bool crossed = below ? (*prev >= threshold && value < threshold)
                         : (*prev <= threshold && value > threshold);
    if (!crossed) return std::nullopt;
    std::string label = id + "(";
    for (size_t i = 0; i < params.size(); ++i) label += (i ? "," : "") + Fixed(params[i]);
    label += ")";
    p["indicator"] = label;
    p["value"] = value;
    p["previous_value"] = *prev;
    p["threshold"] = threshold;
    p["op"] = below ? "<" : ">";
    p["summary"] = bar.symbol + " " + label + " = " + Fixed(value) + (below ? " < " : " > ") +
                   Fixed(threshold);
    return p;
  }
  return std::nullopt;
}

StatusOr<int> AlertEvaluator::OnBar(const market::CompletedBar& bar) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return 0;
  SF_RETURN_IF_ERROR(RefreshRules());
  const std::string symbol = Upper(bar.symbol);
  auto shortest = shortest_.find(symbol);
  if (shortest == shortest_.end() || bar.timeframe < shortest->second)
    shortest_[symbol] = bar.timeframe;
  const market::Timeframe default_tf = shortest_[symbol];
  std::vector<store::NewDelivery> rows;
  for (const auto& m : bar_rules_) {
    const auto& f = m.subscription.filters;
    if (Upper(f.value("symbol", std::string())) != symbol) continue;
    std::optional<market::Timeframe> tf = default_tf;
    if (auto it = f.find("timeframe"); it != f.end() && it->is_string())
      tf = market::ParseTimeframe(it->get<std::string>());
    if (!tf || *tf != bar.timeframe) continue;
    Series& s = series_[{m.subscription.id, symbol, bar.timeframe}];
    auto payload = Evaluate(m, bar, s);
    if (!payload) continue;
    store::NewDelivery d;
    d.idempotency_key = m.subscription.kind + ":" + std::to_string(m.subscription.id) + ":" +
                        symbol + ":" + std::string(market::TimeframeName(bar.timeframe)) + ":" +
                        std::to_string(bar.ts_end);
    d.event_type = "alert." + m.subscription.kind;
    d.subscription_id = m.subscription.id;
    d.channel = m.subscription.channel;
    d.destination = m.subscription.destination;
    d.payload = std::move(*payload);
    rows.push_back(std::move(d));
  }
  if (rows.empty()) return 0;
  return store::OutboxRepository(pool_).Enqueue(rows);
}

StatusOr<int> AlertEvaluator::OnNews(const market::NewsItem& item) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return 0;
  SF_RETURN_IF_ERROR(RefreshRules());
  const std::set<std::string> mentioned = MentionedSymbols(item.symbols);
  if (mentioned.empty()) return 0;
  std::optional<double> sentiment;
  if (!item.extra_json.empty()) {
    auto extra = nlohmann::json::parse(item.extra_json, nullptr, false);
    if (extra.is_object()) sentiment = NumberOf(extra, "sentiment");
  }
  const std::string item_id = !item.id.empty() ? item.id : item.url;
  if (item_id.empty()) return 0;
  std::vector<store::NewDelivery> rows;
  for (const auto& m : news_rules_) {
    const auto& f = m.subscription.filters;
    std::set<std::string> watched;
    if (auto it = f.find("symbols"); it != f.end()) {
      for (const auto& s : *it)
        if (s.is_string()) watched.insert(Upper(s.get<std::string>()));
    } else if (auto w = watchlist_symbols_.find(m.subscription.user_id);
               w != watchlist_symbols_.end()) {
      watched = w->second;
    }
    std::vector<std::string> hits;
    for (const auto& s : mentioned)
      if (watched.count(s)) hits.push_back(s);
    if (hits.empty()) continue;
    if (auto min = NumberOf(f, "min_score"); min && item.score < *min) continue;
    if (auto it = f.find("sentiment"); it != f.end() && it->is_string()) {
      if (!sentiment) continue;
      if (*it == "positive" && *sentiment <= 0) continue;
      if (*it == "negative" && *sentiment >= 0) continue;
    }
    if (auto min = NumberOf(f, "min_abs_sentiment"); min && (!sentiment || std::fabs(*sentiment) < *min))
      continue;
    store::NewDelivery d;
    d.idempotency_key = "news:" + std::to_string(m.subscription.id) + ":" + item_id;
    d.event_type = "alert.news";
    d.subscription_id = m.subscription.id;
    d.channel = m.subscription.channel;
    d.destination = m.subscription.destination;
    d.payload = {{"kind", "news"},
                 {"rule_id", m.subscription.id},
                 {"symbols", hits},
                 {"title", item.title},
                 {"url", item.url},
                 {"source", item.source},
                 {"score", item.score},
                 {"sentiment", sentiment ? nlohmann::json(*sentiment) : nlohmann::json()},
                 {"summary", "News for " + hits.front() + ": " + item.title},
                 {"occurred_at", IsoUtc(item.published_us)}};
    rows.push_back(std::move(d));
  }
  if (rows.empty()) return 0;
  return store::OutboxRepository(pool_).Enqueue(rows);
}

}  // namespace sf::notify
