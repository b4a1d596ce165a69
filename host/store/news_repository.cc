// News in PostgreSQL (news_repository.h).
#include "store/news_repository.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>

#include "market/bar_sink.h"

namespace sf::store {

namespace {

constexpr int64_t kUsPerDay = 86'400'000'000;
constexpr int64_t kEarliestUs = 631'152'000'000'000;  // 1990-01-01T00:00:00Z

#define SF_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr const char* kInsert =
    "INSERT INTO news_events (instrument_id, headline, url, source, published_at, content_snippet,"
    " external_id, score, upvote_ratio, comments, extra, sentiment)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)"
    " ON CONFLICT DO NOTHING RETURNING id";

constexpr const char* kFindDuplicate =
    "SELECT id FROM news_events WHERE source = $1 AND (url = $2 OR external_id = $3)"
    " ORDER BY id LIMIT 1";

constexpr const char* kLink =
    "INSERT INTO news_event_instruments (news_event_id, instrument_id, published_at)"
    " SELECT $1, unnest($2::bigint[]), $3 ON CONFLICT DO NOTHING";

// Columns of a read, in FromRow's order; `e` is news_events.
constexpr const char* kColumns =
    "e.id, e.headline, e.url, e.source, e.external_id, " SF_US("e.published_at")
    ", e.content_snippet, e.score, e.upvote_ratio, e.comments, e.extra::text, e.sentiment,"
    " (SELECT string_agg(i.symbol, ',' ORDER BY i.symbol) FROM news_event_instruments l"
    "  JOIN instruments i ON i.id = l.instrument_id WHERE l.news_event_id = e.id)";

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : (c & (0x7F >> len));
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

size_t Utf8Length(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool ValidSymbol(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) continue;
    if (i == 0) return false;
    if (c != '.' && c != '^' && c != '=' && c != '/' && c != ':' && c != '_' && c != '-') return false;
  }
  return true;
}

std::string Printable(const std::string& s, size_t max = 80) {
  std::string out;
  for (char ch : s.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c == 0x7f) ? '?' : ch;
  }
  return out;
}

// Empty when the item is valid, else the rule it broke.
std::string Check(const NewsEvent& e, int64_t now_us) {
  if (e.headline.empty() || Utf8Length(e.headline) > 1000) return "headline must be 1..1000 characters";
  if (!ValidUtf8(e.headline)) return "headline is not valid UTF-8 (or holds a NUL)";
  if (!e.source || e.source->empty() || Utf8Length(*e.source) > 200) return "source must be 1..200 characters";
  if (!ValidUtf8(*e.source)) return "source is not valid UTF-8";
  if (e.url) {
    const std::string& u = *e.url;
    const bool http = u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0;
    if (!http || u.size() > 2048 || !ValidUtf8(u)) return "url must be an absolute http(s) URL of at most 2048 bytes";
    for (char ch : u) {
      if (static_cast<unsigned char>(ch) <= 0x20) return "url holds a space or control character";
    }
  }
  if (e.external_id && (e.external_id->empty() || e.external_id->size() > 512 || !ValidUtf8(*e.external_id))) {
    return "external_id must be 1..512 bytes of UTF-8";
  }
  if (!e.url && !e.external_id) return "an item needs a url or an external_id (de-duplication key)";
  if (e.published_us < kEarliestUs || e.published_us > now_us + kUsPerDay) {
    return "published time " + FormatTimestamp(e.published_us) +
           " is outside 1990-01-01 .. one day after now";
  }
  if (e.snippet && !ValidUtf8(*e.snippet)) return "snippet is not valid UTF-8";
  for (const auto& s : e.symbols) {
    if (!ValidSymbol(s)) return "symbol '" + Printable(s, 40) + "' is not 1-32 of A-Z a-z 0-9 . - _ ^ = / :";
  }
  if (e.score && !std::isfinite(*e.score)) return "score must be finite";
  if (e.upvote_ratio && !(*e.upvote_ratio >= 0 && *e.upvote_ratio <= 1)) return "upvote_ratio must be in 0..1";
  if (e.comments && *e.comments < 0) return "comments must be >= 0";
  if (e.sentiment && !(*e.sentiment >= -1 && *e.sentiment <= 1)) return "sentiment must be in -1..1";
  if (e.extra_json) {
    auto j = nlohmann::json::parse(*e.extra_json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return "extra_json must be a JSON object";
  }
  return "";
}

// '{"A","B"}' for a text[] parameter (symbols are validated: no quotes).
std::string TextArray(const std::vector<std::string>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ",\"" : "\"") + v[i] + "\"";
  return out + "}";
}

std::string IdArray(const std::vector<int64_t>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "}";
}

// "A, B,A" -> {"A", "B"}: the comma-separated tickers of a news item, in
// order, blanks trimmed, repeats dropped.
std::vector<std::string> SplitSymbols(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    std::string_view item = text.substr(pos, comma - pos);
    const size_t first = item.find_first_not_of(' ');
    item = first == std::string_view::npos ? std::string_view() : item.substr(first, item.find_last_not_of(' ') - first + 1);
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) out.emplace_back(item);
    pos = comma + 1;
  }
  return out;
}

NewsEvent FromRow(const Result& r, int row) {
  NewsEvent e;
  e.id = r.GetInt64(row, 0);
  e.headline = r.GetString(row, 1);
  e.url = r.GetOptionalString(row, 2);
  e.source = r.GetOptionalString(row, 3);
  e.external_id = r.GetOptionalString(row, 4);
  e.published_us = r.GetInt64(row, 5);
  e.snippet = r.GetOptionalString(row, 6);
  e.score = r.GetOptionalDouble(row, 7);
  e.upvote_ratio = r.GetOptionalDouble(row, 8);
  if (!r.IsNull(row, 9)) e.comments = r.GetInt64(row, 9);
  e.extra_json = r.GetOptionalString(row, 10);
  e.sentiment = r.GetOptionalDouble(row, 11);
  if (!r.IsNull(row, 12)) e.symbols = SplitSymbols(r.GetString(row, 12));
  return e;
}

Status CheckLimit(int limit) {
  if (limit < 1 || limit > 1000) {
    return InvalidArgument("news limit " + std::to_string(limit) + " must be 1..1000");
  }
  return Status::Ok();
}

}  // namespace

NewsEvent NewsEventFromItem(const market::NewsItem& item) {
  auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
  NewsEvent e;
  e.headline = item.title;
  e.url = opt(item.url);
  e.source = opt(item.source);
  e.external_id = opt(item.id);
  e.snippet = opt(item.summary);
  e.extra_json = opt(item.extra_json);
  e.published_us = item.published_us;
  e.symbols = SplitSymbols(item.symbols);
  if (!std::isnan(item.score)) e.score = item.score;
  if (!std::isnan(item.upvote_ratio)) e.upvote_ratio = item.upvote_ratio;
  if (item.comments >= 0) e.comments = item.comments;
  return e;
}

StatusOr<NewsInsertCounts> NewsRepository::Insert(const std::vector<NewsEvent>& events) {
  NewsInsertCounts counts;
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::vector<const NewsEvent*> valid;
  std::set<std::string> mentioned;
  for (const auto& e : events) {
    std::string why = Check(e, now_us);
    if (!why.empty()) {
      const std::string key = e.external_id ? *e.external_id : e.url ? *e.url : e.headline;
      counts.refused.push_back({"news item '" + Printable(key) + "'" +
                                    (e.source ? " of " + Printable(*e.source, 60) : std::string()),
                                why});
      continue;
    }
    valid.push_back(&e);
    mentioned.insert(e.symbols.begin(), e.symbols.end());
  }
  if (valid.empty()) return counts;
  NewsInsertCounts done;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    done = NewsInsertCounts{};
    std::map<std::string, int64_t> ids;
    if (!mentioned.empty()) {
      auto r = c.Exec("SELECT symbol, id FROM instruments WHERE symbol = ANY($1::text[])",
                      Params().Add(TextArray({mentioned.begin(), mentioned.end()})));
      if (!r.ok()) return r.status();
      for (int i = 0; i < r->rows(); ++i) ids[r->GetString(i, 0)] = r->GetInt64(i, 1);
    }
    std::set<std::string> unknown;
    for (const NewsEvent* e : valid) {
      std::vector<int64_t> links;
      for (const auto& sym : e->symbols) {
        auto it = ids.find(sym);
        if (it == ids.end()) {
          unknown.insert(sym);
        } else {
          links.push_back(it->second);
        }
      }
      Params p;
      if (links.empty()) {
        p.AddNull();
      } else {
        p.Add(links.front());
      }
      p.Add(e->headline).Add(e->url).Add(e->source).AddTimestamp(e->published_us).Add(e->snippet);
      p.Add(e->external_id).Add(e->score).Add(e->upvote_ratio).Add(e->comments).Add(e->extra_json);
      p.Add(e->sentiment);
      auto r = c.Exec(kInsert, p);
      if (!r.ok()) return r.status();
      int64_t id = 0;
      if (r->rows() == 1) {
        id = r->GetInt64(0, 0);
        done.inserted++;
      } else {
        auto d = c.Exec(kFindDuplicate, Params().Add(e->source).Add(e->url).Add(e->external_id));
        if (!d.ok()) return d.status();
        if (d->rows() == 0) {
          return Internal("news item '" + Printable(e->external_id.value_or(e->url.value_or(""))) +
                          "' conflicted with a row that cannot be found");
        }
        id = d->GetInt64(0, 0);
        done.duplicates++;
      }
      if (links.empty()) continue;
      auto l = c.Exec(kLink, Params().Add(id).Add(IdArray(links)).AddTimestamp(e->published_us));
      if (!l.ok()) return l.status();
      done.mentions += l->AffectedRows();
    }
    done.unknown_symbols.assign(unknown.begin(), unknown.end());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  done.refused = std::move(counts.refused);
  return done;
}

StatusOr<std::vector<NewsEvent>> NewsRepository::RecentForSymbol(const std::string& symbol, int64_t from_us,
                                                                 int64_t to_us, int limit) {
  SF_RETURN_IF_ERROR(CheckLimit(limit));
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto inst = (*conn)->Exec("SELECT id FROM instruments WHERE symbol = $1", Params().Add(symbol));
  if (!inst.ok()) return inst.status();
  if (inst->rows() == 0) return NotFound("unknown instrument '" + Printable(symbol, 40) + "'");
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns +
                             " FROM news_event_instruments m JOIN news_events e ON e.id = m.news_event_id"
                             " WHERE m.instrument_id = $1 AND m.published_at BETWEEN $2 AND $3"
                             " ORDER BY m.published_at DESC, e.id DESC LIMIT $4",
                         Params()
                             .Add(inst->GetInt64(0, 0))
                             .AddTimestamp(from_us)
                             .AddTimestamp(to_us)
                             .Add(static_cast<int64_t>(limit)));
  if (!r.ok()) return r.status();
  std::vector<NewsEvent> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(FromRow(*r, i));
  return out;
}

StatusOr<std::vector<NewsEvent>> NewsRepository::Recent(int64_t from_us, int64_t to_us, int limit) {
  SF_RETURN_IF_ERROR(CheckLimit(limit));
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns +
                             " FROM news_events e WHERE e.published_at BETWEEN $1 AND $2"
                             " ORDER BY e.published_at DESC, e.id DESC LIMIT $3",
                         Params().AddTimestamp(from_us).AddTimestamp(to_us).Add(static_cast<int64_t>(limit)));
  if (!r.ok()) return r.status();
  std::vector<NewsEvent> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(FromRow(*r, i));
  return out;
}

}  // namespace sf::store
