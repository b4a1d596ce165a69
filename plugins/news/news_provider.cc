// Shared frame of the news providers (see news_provider.h).
#include "news_provider.h"

#include <algorithm>
#include <chrono>

#include "common/parse_util.h"

namespace sf::news {
namespace {

using sf::sdk::Error;
using sf::vendors::CleanText;
using sf::vendors::QuoteForMessage;

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

int64_t WallNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A URL as a de-duplication key: scheme and host lower-cased, fragment and
// trailing slash dropped.
std::string UrlKey(const std::string& url) {
  std::string u = url.substr(0, url.find('#'));
  const size_t scheme_end = u.find("://");
  if (scheme_end != std::string::npos) {
    const size_t host_end = u.find('/', scheme_end + 3);
    const size_t stop = host_end == std::string::npos ? u.size() : host_end;
    for (size_t i = 0; i < stop; ++i) {
      u[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(u[i])));
    }
  }
  while (!u.empty() && u.back() == '/') u.pop_back();
  return "url:" + u;
}

bool IsHttpUrl(const std::string& url) {
  if (url.size() > 2048) return false;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

constexpr int64_t kMinPublishedUs = 631152000LL * 1000000;  // 1990-01-01

}  // namespace

// ---- SeenSet ----------------------------------------------------------------

bool SeenSet::Contains(const std::string& key) const { return set_.count(Fnv1a(key)) != 0; }

void SeenSet::Insert(const std::string& key) {
  const uint64_t h = Fnv1a(key);
  if (!set_.insert(h).second) return;
  order_.push_back(h);
  while (order_.size() > capacity_) {
    set_.erase(order_.front());
    order_.pop_front();
  }
}

void ItemSink::Reject(const std::string& what, const std::string& reason) {
  if (sink_.reject == nullptr) return;
  const std::string full = who_ + " " + what;
  sink_.reject(sink_.host_data, full.c_str(), reason.c_str());
}

// ---- NewsProvider -----------------------------------------------------------

NewsProvider::NewsProvider(std::string kind, sf::vendors::ConfigReader& config,
                           int64_t default_poll_ms)
    : kind_(std::move(kind)),
      tickers_(
          [&] {
            std::set<std::string> instruments;
            for (const std::string& s : config.StringList("instruments")) {
              if (!sf::vendors::IsValidSymbol(s)) {
                config.Fail("instruments",
                            "holds " + QuoteForMessage(s) + ": " + sf::vendors::kSymbolRule);
              }
              instruments.insert(s);
            }
            return instruments;
          }(),
          config.StringList("stopwords")),
      seen_(static_cast<size_t>(config.Int("dedup_capacity", 50000, 16, 10000000))),
      poll_interval_us_(config.Int("poll_interval_ms", default_poll_ms, 0, 86400000) * 1000) {
  limits_.connect_timeout_ms = config.Int("connect_timeout_ms", 5000, 1, 120000);
  limits_.total_timeout_ms = config.Int("timeout_ms", 15000, 1, 600000);
  limits_.max_body_bytes = config.Int("max_body_bytes", 4 << 20, 1024, 256 << 20);
  limits_.max_redirects = static_cast<int>(config.Int("max_redirects", 0, 0, 10));
  limits_.user_agent = config.String("user_agent", "signalforge/0.1 (news provider)");
}

bool NewsProvider::StopsAllSources(sf_status code) const {
  return code == SF_ERR_RATE_LIMITED || code == SF_ERR_UNAUTHENTICATED ||
         code == SF_ERR_UNAVAILABLE || code == SF_ERR_TIMEOUT;
}

void NewsProvider::FailStatus(const std::string& who, const sf::vendors::HttpResponse& response,
                              const std::string& hint) const {
  const int status = response.status;
  std::string text = CleanText(response.body, 200);
  if (!text.empty()) text = " (vendor says: " + text + ")";
  const std::string head = who + ": HTTP " + std::to_string(status);
  if (status == 429) {
    int64_t retry = -1;
    std::string from = "Retry-After header";
    if (auto v = sf::vendors::ParseInt(response.Header("retry-after"))) retry = *v;
    if (retry < 0) {
      // Reddit: X-Ratelimit-Reset is seconds until the window resets.
      if (auto v = sf::vendors::ParseDouble(response.Header("x-ratelimit-reset"))) {
        retry = static_cast<int64_t>(std::ceil(*v));
        from = "X-Ratelimit-Reset header";
      }
    }
    if (retry < 0) {
      retry = 60;
      from = "no Retry-After header; default";
    }
    throw Error(SF_ERR_RATE_LIMITED, head + " rate limited" + text + "; retry after " +
                                         std::to_string(retry) + " s (" + from + ")");
  }
  if (status >= 500)
    throw Error(SF_ERR_UNAVAILABLE, head + " server error" + text + "; retry later");
  if (status == 401) throw Error(SF_ERR_UNAUTHENTICATED, head + " credentials refused" + text);
  if (status == 403) throw Error(SF_ERR_PERMISSION, head + " forbidden" + text + hint);
  if (status == 404) throw Error(SF_ERR_NOT_FOUND, head + " not found" + text + hint);
  throw Error(SF_ERR_INVALID_ARGUMENT, head + " request refused" + text);
}

bool NewsProvider::Validate(Item& item, const std::string& where, ItemSink& out) const {
  item.title = CleanText(item.title, 500);
  if (item.title.empty()) {
    out.Reject(where, "no title");
    return false;
  }
  item.summary = CleanText(item.summary, 2000);
  item.source = CleanText(item.source, 200);
  if (!item.url.empty() && !IsHttpUrl(item.url)) {
    out.Reject(where, "link " + QuoteForMessage(item.url) + " is not an absolute http(s) URL");
    return false;
  }
  item.id = CleanText(item.id, 512);
  if (item.id.empty()) item.id = item.url;
  if (item.id.empty()) {
    out.Reject(where, "no id, guid or link to de-duplicate by");
    return false;
  }
  if (item.published_us < kMinPublishedUs ||
      item.published_us > WallNowUs() + sf::vendors::kMicrosPerDay) {
    out.Reject(where, "published time " + sf::vendors::FormatUtc(item.published_us) +
                          " outside [1990-01-01, now + 1 day]");
    return false;
  }
  return true;
}

NewsProvider::Collected NewsProvider::Collect(const sf_data_sink& sink,
                                              const std::set<std::string>* extra) {
  Collected c;
  std::unordered_set<std::string> keys;
  for (const std::string& source : Sources()) {
    ++c.sources;
    ItemSink out(kind_ + " " + source, sink);
    std::vector<Item> items;
    try {
      FetchSource(source, out, &items);
    } catch (const Error& e) {
      ++c.failed;
      if (c.first_code == SF_OK) {
        c.first_code = e.code();
        c.first_message = e.what();
      }
      if (sink.reject != nullptr)
        sink.reject(sink.host_data, (kind_ + " " + source).c_str(), e.what());
      if (StopsAllSources(e.code())) break;
      continue;
    }
    for (Item& item : items) {
      const std::string id_key = "id:" + item.id;
      const std::string url_key = item.url.empty() ? std::string() : UrlKey(item.url);
      if (keys.count(id_key) != 0 || (!url_key.empty() && keys.count(url_key) != 0)) continue;
      keys.insert(id_key);
      if (!url_key.empty()) keys.insert(url_key);
      item.symbols = tickers_.Extract(item.title + "\n" + item.summary, extra);
      c.items.push_back(std::move(item));
    }
  }
  return c;
}

sf_status NewsProvider::Emit(std::vector<Item>& items, const sf_data_sink& sink) {
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.published_us < b.published_us; });
  constexpr size_t kChunk = 256;
  for (size_t start = 0; start < items.size(); start += kChunk) {
    const size_t n = std::min(kChunk, items.size() - start);
    std::vector<std::string> symbols(n);
    std::vector<sf_news_item> out(n);
    for (size_t i = 0; i < n; ++i) {
      const Item& it = items[start + i];
      for (const std::string& s : it.symbols) symbols[i] += (symbols[i].empty() ? "" : ",") + s;
      sf_news_item& o = out[i];
      o = sf::sdk::Make<sf_news_item>();
      o.id = it.id.c_str();
      o.url = it.url.empty() ? nullptr : it.url.c_str();
      o.title = it.title.c_str();
      o.summary = it.summary.empty() ? nullptr : it.summary.c_str();
      o.source = it.source.empty() ? nullptr : it.source.c_str();
      o.symbols = symbols[i].empty() ? nullptr : symbols[i].c_str();
      o.published_us = it.published_us;
      o.score = it.score;
      o.upvote_ratio = it.upvote_ratio;
      o.comments = it.comments;
      o.extra_json = it.extra_json.empty() ? nullptr : it.extra_json.c_str();
    }
    const sf_status s = sink.emit_news(sink.host_data, out.data(), static_cast<int64_t>(n));
    if (s == SF_ERR_CANCELLED) {
      throw Error(SF_ERR_CANCELLED, kind_ + ": cancelled by the host");
    }
    if (s < 0) {
      throw Error(s, kind_ + ": the host refused the news items (" + sf_status_name(s) + ")");
    }
  }
  return items.empty() ? SF_NO_DATA : SF_OK;
}

sf_status NewsProvider::Finish(const Collected& c, bool emitted) {
  if (c.failed > 0) {
    std::string summary = c.first_message;
    if (c.sources > 1) {
      summary = kind_ + ": " + std::to_string(c.failed) + " of " + std::to_string(c.sources) +
                " sources failed; first: " + c.first_message;
    }
    sf::sdk::SetError(c.first_code, summary);
    return c.first_code;
  }
  return emitted ? SF_OK : SF_NO_DATA;
}

sf_status NewsProvider::FetchNews(const sf_fetch_request* request_in, const sf_data_sink* sink_in) {
  if (request_in == nullptr || sink_in == nullptr) {
    throw Error(SF_ERR_INVALID_ARGUMENT, kind_ + ": fetch_news needs a request and a sink");
  }
  const sf_fetch_request request = sf::sdk::CopySized(request_in);
  const sf_data_sink sink = sf::sdk::CopySized(sink_in);
  if (sink.emit_news == nullptr)
    throw Error(SF_ERR_INVALID_ARGUMENT, kind_ + ": the sink has no emit_news");
  std::set<std::string> wanted;
  if (request.symbol_count > 0 && request.symbols == nullptr) {
    throw Error(SF_ERR_INVALID_ARGUMENT, kind_ + ": symbol_count > 0 but symbols is NULL");
  }
  for (int64_t i = 0; i < request.symbol_count; ++i) {
    const std::string s = request.symbols[i] == nullptr ? "" : request.symbols[i];
    if (!sf::vendors::IsValidSymbol(s)) {
      throw Error(SF_ERR_INVALID_ARGUMENT, kind_ + ": symbol " + QuoteForMessage(s) +
                                               " refused: " + sf::vendors::kSymbolRule);
    }
    wanted.insert(s);
  }
  std::set<std::string> extra = wanted;
  if (request.options_json != nullptr && *request.options_json != '\0') {
    const nlohmann::json options = nlohmann::json::parse(request.options_json, nullptr, false);
    if (options.is_discarded() || !options.is_object()) {
      throw Error(SF_ERR_INVALID_ARGUMENT, kind_ + ": options_json must be a JSON object");
    }
    if (options.contains("instruments")) {
      if (!options["instruments"].is_array()) {
        throw Error(SF_ERR_INVALID_ARGUMENT,
                    kind_ + ": option 'instruments' must be an array of symbols");
      }
      for (const auto& v : options["instruments"]) {
        if (!v.is_string() || !sf::vendors::IsValidSymbol(v.get<std::string>())) {
          throw Error(SF_ERR_INVALID_ARGUMENT,
                      kind_ + ": option 'instruments' holds " +
                          QuoteForMessage(v.is_string() ? v.get<std::string>() : v.dump()) + ": " +
                          sf::vendors::kSymbolRule);
        }
        extra.insert(v.get<std::string>());
      }
    }
  }
  Collected c = Collect(sink, &extra);
  std::vector<Item> selected;
  for (Item& item : c.items) {
    if (request.from_us != 0 && item.published_us < request.from_us) continue;
    if (request.to_us != 0 && item.published_us >= request.to_us) continue;
    if (!wanted.empty() &&
        std::none_of(item.symbols.begin(), item.symbols.end(),
                     [&](const std::string& s) { return wanted.count(s) != 0; })) {
      continue;
    }
    selected.push_back(std::move(item));
  }
  const bool emitted = Emit(selected, sink) == SF_OK;
  return Finish(c, emitted);
}

sf_status NewsProvider::Poll(sf_time_us now_us, const sf_data_sink* sink_in) {
  if (sink_in == nullptr) throw Error(SF_ERR_INVALID_ARGUMENT, kind_ + ": poll needs a sink");
  const sf_data_sink sink = sf::sdk::CopySized(sink_in);
  if (sink.emit_news == nullptr)
    throw Error(SF_ERR_INVALID_ARGUMENT, kind_ + ": the sink has no emit_news");
  if (last_poll_us_ != std::numeric_limits<int64_t>::min() &&
      now_us - last_poll_us_ < poll_interval_us_) {
    return SF_NO_DATA;  // polled recently; spare the vendor
  }
  last_poll_us_ = now_us;
  Collected c = Collect(sink, nullptr);
  std::vector<Item> fresh;
  for (Item& item : c.items) {
    const std::string id_key = "id:" + item.id;
    const std::string url_key = item.url.empty() ? std::string() : UrlKey(item.url);
    if (seen_.Contains(id_key) || (!url_key.empty() && seen_.Contains(url_key))) continue;
    seen_.Insert(id_key);
    if (!url_key.empty()) seen_.Insert(url_key);
    fresh.push_back(std::move(item));
  }
  const bool emitted = Emit(fresh, sink) == SF_OK;
  return Finish(c, emitted);
}

std::string NewsProvider::InstrumentsJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& s : tickers_.instruments()) out.push_back({{"symbol", s}});
  return out.dump();
}

}  // namespace sf::news
