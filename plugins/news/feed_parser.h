// RSS 2.0 and Atom feed parsing on Poco's SAX parser (expat).
//
// The body is refused before parsing when it declares a DOCTYPE or ENTITY
// (no entity expansion, no external entities: a feed never needs them), and
// when the root is neither <rss> nor Atom's <feed>. Text per field is capped
// (64 KiB) and entries per feed are capped by the caller's max_entries.
// Dates stay text here; the provider parses and judges them.
// Thread-safety: a pure function.
#ifndef SF_NEWS_FEED_PARSER_H_
#define SF_NEWS_FEED_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

namespace sf::news {

struct FeedEntry {
  std::string id;    // RSS guid / Atom id
  std::string link;  // RSS link / Atom link[rel=alternate]@href
  std::string title;
  std::string summary;     // description / summary / content (may hold HTML)
  std::string published;   // pubDate (RFC 822) / published|updated (RFC 3339)
  bool atom_date = false;  // true when `published` is RFC 3339
};

struct Feed {
  std::string kind;   // "rss" or "atom"
  std::string title;  // channel / feed title
  std::vector<FeedEntry> entries;
  size_t dropped = 0;  // entries beyond max_entries
};

// Parses `body`; on failure returns false with `error` saying why (line and
// column for XML errors).
bool ParseFeed(std::string_view body, size_t max_entries, Feed* feed, std::string* error);

// Text of an HTML fragment: tags removed, common entities decoded.
std::string StripHtml(std::string_view html);

}  // namespace sf::news

#endif  // SF_NEWS_FEED_PARSER_H_
