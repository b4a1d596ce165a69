// News in PostgreSQL: de-duplicated inserts of news items (news_events, one
// row per item) with the instruments each item mentions
// (news_event_instruments, one row per item and instrument), and the reads
// the engine and the API need ("recent news of a symbol up to time t").
//
// De-duplication: an item is new unless the table already holds one of the
// same `source` with the same `url` or the same `external_id` (the source's
// stable id: RSS guid, Atom id, "reddit:t3_..."). A duplicate is not
// rewritten; mentions it brings that were not stored yet are added.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe
// (concurrent inserts of the same item store it once). The Pool must outlive
// the repository.
#ifndef SF_STORE_NEWS_REPOSITORY_H_
#define SF_STORE_NEWS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::market { struct NewsItem; }

namespace sf::store {

// One news item. Rules checked by Insert (a broken rule refuses that item
// only, with a reason naming the item and the rule):
//  - headline: 1..1000 characters of valid UTF-8 without NUL
//  - source: 1..200 characters (the feed title, "r/stocks", a domain)
//  - url, when given: an absolute http(s) URL of at most 2048 characters
//  - external_id, when given: 1..512 characters; url or external_id needed
//  - published_us: from 1990-01-01 to one day after now
//  - symbols: each 1-32 of A-Z a-z 0-9 . - _ ^ = / : (as instruments.symbol)
//  - score finite; upvote_ratio in 0..1; comments >= 0; extra_json a JSON
//    object; sentiment in -1..1
struct NewsEvent {
  int64_t id = 0;  // assigned by the database
  std::string headline;
  std::optional<std::string> url, source, external_id, snippet, extra_json;
  int64_t published_us = 0;  // µs since the epoch, UTC
  // Tickers the item mentions. On insert, those not in `instruments` are
  // not linked (reported in NewsInsertCounts::unknown_symbols); on read,
  // the linked ones, sorted.
  std::vector<std::string> symbols;
  std::optional<double> score, upvote_ratio, sentiment;
  std::optional<int64_t> comments;
};

struct NewsRefusal {
  std::string what;    // "rss Reuters item 'guid-1'"
  std::string reason;  // the rule it broke
};

struct NewsInsertCounts {
  int64_t inserted = 0;    // new items
  int64_t duplicates = 0;  // already stored (same source and url or id)
  int64_t mentions = 0;    // (item, instrument) links added
  std::vector<std::string> unknown_symbols;  // mentioned, not instruments (sorted, unique)
  std::vector<NewsRefusal> refused;          // items that broke a rule
};

// A provider's news item (market::NewsItem) as a NewsEvent: empty strings
// become absent, NaN score/ratio and negative comments become absent,
// "A,B" symbols are split.
NewsEvent NewsEventFromItem(const market::NewsItem& item);

class NewsRepository {
 public:
  explicit NewsRepository(Pool* pool) : pool_(pool) {}

  // Stores the valid items of `events` in one transaction (all or none of
  // them: SF_ERR_UNAVAILABLE when the database is down). Invalid items are
  // refused one by one and counted, not fatal.
  StatusOr<NewsInsertCounts> Insert(const std::vector<NewsEvent>& events);

  // News mentioning `symbol` published in [from_us, to_us], newest first, at
  // most `limit` (1..1000) items. A backtest at time t passes to_us = t and
  // never sees later news. Unknown symbol -> SF_ERR_NOT_FOUND.
  StatusOr<std::vector<NewsEvent>> RecentForSymbol(const std::string& symbol, int64_t from_us,
                                                   int64_t to_us, int limit);
  // All news published in [from_us, to_us], newest first, at most `limit`.
  StatusOr<std::vector<NewsEvent>> Recent(int64_t from_us, int64_t to_us, int limit);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_NEWS_REPOSITORY_H_
