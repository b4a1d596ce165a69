// Host-side data sink (bar_sink.h).
#include "market/bar_sink.h"

#include <cstring>

#include "signalforge/signalforge.hpp"

namespace sf::market {

namespace {
constexpr int64_t kMaxBatchBars = 20'000'000;

std::string Printable(const char* s, size_t max = 64) {
  if (s == nullptr) return "(null)";
  std::string out;
  for (size_t i = 0; s[i] != '\0' && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  return out;
}
}  // namespace

std::map<std::string, ProviderBars> BarSink::TakeBars(std::optional<Timeframe> tf) {
  std::map<std::string, ProviderBars> out;
  auto it = tf ? kept_.find(*tf) : kept_.begin();
  if (it != kept_.end()) {
    out = std::move(it->second);
    kept_.erase(it);
  }
  return out;
}

bool Rejection::whole_input() const {
  // "FILE:LINE" names one row; anything else names a whole input.
  auto colon = what.rfind(':');
  if (colon == std::string::npos || colon + 1 >= what.size()) return true;
  for (size_t i = colon + 1; i < what.size(); ++i) {
    if (what[i] < '0' || what[i] > '9') return true;
  }
  return false;
}

bool IsValidSymbol(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '^' || c == '=' || c == '/' || c == ':';
    if (!ok) return false;
  }
  return true;
}

BarSink::BarSink(std::string source, BarsFn on_bars, NewsFn on_news)
    : source_(std::move(source)), on_bars_(std::move(on_bars)), on_news_(std::move(on_news)) {
  sink_.struct_size = sizeof(sink_);
  sink_.host_data = this;
  sink_.emit_bars = &BarSink::EmitBars;
  sink_.emit_news = &BarSink::EmitNews;
  sink_.reject = &BarSink::Reject;
}

sf_status BarSink::EmitBars(void* p, const sf_bar_batch* in) {
  auto* self = static_cast<BarSink*>(p);
  if (in == nullptr) {
    self->rejections_.push_back({self->source_, "emit_bars called with a NULL batch"});
    return SF_ERR_INVALID_ARGUMENT;
  }
  const sf_bar_batch b = sf::sdk::CopySized(in);
  const std::string sym = b.symbol ? b.symbol : "";
  auto refuse = [&](const std::string& why) {
    self->rejections_.push_back({sym.empty() ? self->source_ : Printable(b.symbol), why});
    return SF_ERR_INVALID_ARGUMENT;
  };
  if (!IsValidSymbol(sym)) {
    return refuse("batch refused: symbol '" + Printable(b.symbol) +
                  "' is not 1-32 characters of A-Z a-z 0-9 . - _ ^ = / :");
  }
  auto tf = b.timeframe ? ParseTimeframe(b.timeframe) : std::nullopt;
  if (!tf) return refuse("batch refused: timeframe '" + Printable(b.timeframe) + "' is not one of 1m 5m 15m 1h 4h 1d");
  if (self->has_expected_tf_ && *tf != self->expected_tf_) {
    return refuse("batch refused: timeframe " + std::string(TimeframeName(*tf)) + " was not requested (" +
                  std::string(TimeframeName(self->expected_tf_)) + ")");
  }
  if (b.count < 0 || b.count > kMaxBatchBars) {
    return refuse("batch refused: count " + std::to_string(b.count) + " outside 0.." +
                  std::to_string(kMaxBatchBars));
  }
  if (b.count > 0 && (!b.ts_start || !b.open || !b.high || !b.low || !b.close || !b.volume)) {
    return refuse("batch refused: a required column (ts_start, open, high, low, close, volume) is NULL");
  }
  self->bars_received_ += b.count;
  ProviderBars bars;
  bars.symbol = sym;
  bars.timeframe = *tf;
  bars.source = self->source_;
  bars.Reserve(static_cast<size_t>(b.count));
  bars.AppendBatch(b);
  if (self->on_bars_) {
    Status s = self->on_bars_(std::move(bars));
    if (!s.ok()) {
      if (self->callback_error_.ok()) self->callback_error_ = s;
      return SF_ERR_CANCELLED;
    }
    return SF_OK;
  }
  auto& kept = self->kept_[*tf];
  auto it = kept.find(sym);
  if (it == kept.end()) {
    kept.emplace(sym, std::move(bars));
  } else {
    sf_bar_batch again = b;  // merge a second batch of the same symbol
    it->second.AppendBatch(again);
  }
  return SF_OK;
}

sf_status BarSink::EmitNews(void* p, const sf_news_item* items, int64_t count) {
  auto* self = static_cast<BarSink*>(p);
  if (count < 0 || (count > 0 && items == nullptr)) return SF_ERR_INVALID_ARGUMENT;
  std::vector<NewsItem> out;
  for (int64_t i = 0; i < count; ++i) {
    // Items may come from an older SDK with a smaller struct; step by its size.
    const auto* raw = reinterpret_cast<const char*>(items) +
                      static_cast<size_t>(i) * (items->struct_size ? items->struct_size : sizeof(sf_news_item));
    const sf_news_item n = sf::sdk::CopySized(reinterpret_cast<const sf_news_item*>(raw));
    if (n.title == nullptr) {
      self->rejections_.push_back({n.id ? Printable(n.id) : self->source_, "news item without a title"});
      continue;
    }
    NewsItem item;
    item.id = n.id ? n.id : "";
    item.url = n.url ? n.url : "";
    item.title = n.title;
    item.summary = n.summary ? n.summary : "";
    item.source = n.source ? n.source : self->source_;
    item.symbols = n.symbols ? n.symbols : "";
    item.extra_json = n.extra_json ? n.extra_json : "";
    item.published_us = n.published_us;
    item.score = n.score;
    item.upvote_ratio = n.upvote_ratio;
    item.comments = n.comments;
    out.push_back(std::move(item));
  }
  if (self->on_news_) {
    self->on_news_(std::move(out));
  } else {
    for (auto& n : out) self->news_.push_back(std::move(n));
  }
  return SF_OK;
}

void BarSink::Reject(void* p, const char* what, const char* reason) {
  auto* self = static_cast<BarSink*>(p);
  self->rejections_.push_back({Printable(what, 200), Printable(reason, 500)});
}

}  // namespace sf::market
