// The two news sources: RSS 2.0 / Atom feeds and Reddit /new listings.
#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <cctype>

#include "common/parse_util.h"
#include "feed_parser.h"
#include "news_provider.h"

namespace sf::news {
namespace {

using sf::sdk::Error;
using sf::vendors::CleanText;
using sf::vendors::QuoteForMessage;

bool IsSubredditName(const std::string& s) {
  if (s.size() < 2 || s.size() > 21) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// True when `url` starts with "scheme:" (RFC 3986), i.e. is not relative.
bool HasScheme(const std::string& url) {
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return false;
  for (char c : url) {
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  return false;
}

std::string Host(const std::string& url) {
  try {
    return Poco::URI(url).getHost();
  } catch (const Poco::Exception&) {
    return url;
  }
}

}  // namespace

// ---- rss --------------------------------------------------------------------

RssProvider::RssProvider(sf::vendors::ConfigReader& config)
    : NewsProvider(kId, config, /*default_poll_ms=*/300000) {
  for (const std::string& url : config.StringList("feeds")) {
    bool ok = (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) && url.size() <= 2048;
    for (unsigned char c : url) ok = ok && c > 0x20 && c != 0x7f;
    if (!ok)
      config.Fail("feeds", "holds " + QuoteForMessage(url) + ", which is not an http(s) URL");
    feeds_.push_back(url);
  }
  if (feeds_.empty()) config.Fail("feeds", "is required: a list of RSS 2.0 or Atom feed URLs");
  max_items_ = static_cast<size_t>(config.Int("max_items_per_feed", 500, 1, 100000));
}

void RssProvider::FetchSource(const std::string& feed_url, ItemSink& out,
                              std::vector<Item>* items) {
  const std::string who = out.who();
  const sf::vendors::HttpResult result = sf::vendors::HttpGet(
      feed_url,
      {{"Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}},
      limits_);
  if (result.code != SF_OK) throw Error(result.code, who + ": " + result.message);
  if (result.response.status != 200) FailStatus(who, result.response, "");
  Feed feed;
  std::string error;
  if (!ParseFeed(result.response.body, max_items_, &feed, &error)) {
    throw Error(SF_ERR_BAD_DATA, who + ": malformed feed: " + error);
  }
  if (feed.dropped > 0) {
    out.Reject("feed", std::to_string(feed.dropped) + " entries beyond max_items_per_feed=" +
                           std::to_string(max_items_) + " ignored");
  }
  const std::string source = feed.title.empty() ? Host(feed_url) : feed.title;
  for (size_t i = 0; i < feed.entries.size(); ++i) {
    FeedEntry& e = feed.entries[i];
    const std::string where =
        "entry " + std::to_string(i) + (e.id.empty() ? "" : " " + QuoteForMessage(e.id, 80));
    if (e.published.empty()) {
      out.Reject(where, feed.kind == "atom" ? "no <published> or <updated> date" : "no <pubDate>");
      continue;
    }
    std::optional<int64_t> when = e.atom_date ? sf::vendors::ParseRfc3339(e.published)
                                              : sf::vendors::ParseRfc822(e.published);
    if (!when) {
      out.Reject(where, "date " + QuoteForMessage(e.published) + " is not " +
                            (e.atom_date ? "RFC 3339" : "RFC 822"));
      continue;
    }
    Item item;
    item.id = e.id;
    item.url = e.link;
    if (item.url.empty() && (e.id.rfind("http://", 0) == 0 || e.id.rfind("https://", 0) == 0)) {
      item.url = e.id;  // an RSS guid is a permalink by default
    }
    if (!item.url.empty() && !HasScheme(item.url)) {
      try {
        item.url = Poco::URI(Poco::URI(feed_url), item.url).toString();
      } catch (const Poco::Exception&) {
        // Left as is; Validate refuses it with the reason.
      }
    }
    item.title = e.title;  // plain text by RSS convention; "<" may be meant literally
    item.summary = StripHtml(e.summary);
    item.source = source;
    item.published_us = *when;
    if (Validate(item, where, out)) items->push_back(std::move(item));
  }
}

// ---- reddit -----------------------------------------------------------------

RedditProvider::RedditProvider(sf::vendors::ConfigReader& config)
    : NewsProvider(kId, config, /*default_poll_ms=*/60000) {
  base_url_ = config.String("base_url", "https://www.reddit.com");
  if (base_url_.rfind("http://", 0) != 0 && base_url_.rfind("https://", 0) != 0) {
    config.Fail("base_url", "must start with http:// or https://");
  }
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  access_token_ = sf::vendors::ReadSecret(config, "access_token");
  for (const std::string& s : config.StringList("subreddits")) {
    if (!IsSubredditName(s)) {
      config.Fail("subreddits", "holds " + QuoteForMessage(s) +
                                    ": subreddit names are 2..21 letters, digits or '_'");
    }
    subreddits_.push_back(s);
  }
  if (subreddits_.empty())
    config.Fail("subreddits", "is required, e.g. [\"stocks\", \"wallstreetbets\"]");
  limit_ = static_cast<int>(config.Int("limit", 100, 1, 100));
}

void RedditProvider::FetchSource(const std::string& sub, ItemSink& out, std::vector<Item>* items) {
  const std::string who = "reddit r/" + sub;
  sf::vendors::HttpHeaders headers = {{"Accept", "application/json"}};
  if (!access_token_.empty()) headers.emplace_back("Authorization", "bearer " + access_token_);
  const std::string url =
      base_url_ + "/r/" + sub + "/new.json?limit=" + std::to_string(limit_) + "&raw_json=1";
  const sf::vendors::HttpResult result = sf::vendors::HttpGet(url, headers, limits_);
  const int status = result.response.status;
  if (status >= 300 && status < 400 &&
      result.response.Header("location").find("/subreddits/search") != std::string::npos) {
    throw Error(SF_ERR_NOT_FOUND, who + ": subreddit does not exist (reddit redirects to search)");
  }
  if (result.code != SF_OK) throw Error(result.code, who + ": " + result.message);
  if (status != 200)
    FailStatus(who, result.response, "; the subreddit may be private, banned or quarantined");
  const nlohmann::json j = sf::vendors::ParseJsonBounded(result.response.body, who);
  if (!j.is_object() || j.value("kind", "") != "Listing" || !j.contains("data") ||
      !j["data"].is_object() || !j["data"].contains("children") ||
      !j["data"]["children"].is_array()) {
    throw Error(
        SF_ERR_BAD_DATA,
        who + ": malformed listing: expected {\"kind\":\"Listing\",\"data\":{\"children\":[...]}}");
  }
  const auto& children = j["data"]["children"];
  for (size_t i = 0; i < children.size(); ++i) {
    const auto& child = children[i];
    std::string where = "post " + std::to_string(i);
    if (!child.is_object() || child.value("kind", "") != "t3" || !child.contains("data") ||
        !child["data"].is_object()) {
      out.Reject(where, "not a post (kind t3 with data)");
      continue;
    }
    const auto& d = child["data"];
    const std::string id =
        d.contains("id") && d["id"].is_string() ? d["id"].get<std::string>() : "";
    bool id_ok = !id.empty() && id.size() <= 16;
    for (char c : id)
      id_ok = id_ok && (std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'z'));
    if (!id_ok) {
      out.Reject(where, "id " + QuoteForMessage(id) + " is not a reddit base-36 id");
      continue;
    }
    where = "post t3_" + id;
    if (!d.contains("title") || !d["title"].is_string()) {
      out.Reject(where, "no title");
      continue;
    }
    if (!d.contains("created_utc") || !d["created_utc"].is_number()) {
      out.Reject(where, "created_utc missing or not a number");
      continue;
    }
    const double created = d["created_utc"].get<double>();
    if (!std::isfinite(created) || std::fabs(created) > 1e11) {
      out.Reject(where, "created_utc is not a plausible Unix time");
      continue;
    }
    const std::string permalink = d.value("permalink", "");
    bool permalink_ok = permalink.rfind("/r/", 0) == 0 && permalink.size() < 1024;
    for (unsigned char c : permalink) permalink_ok = permalink_ok && c > 0x20 && c != 0x7f;
    if (!permalink_ok) {
      out.Reject(where, "permalink " + QuoteForMessage(permalink) + " is not a /r/... path");
      continue;
    }
    Item item;
    item.id = "reddit:t3_" + id;
    item.url = "https://www.reddit.com" + permalink;
    item.title = d["title"].get<std::string>();
    if (d.contains("selftext") && d["selftext"].is_string())
      item.summary = d["selftext"].get<std::string>();
    item.source = "r/" + (d.contains("subreddit") && d["subreddit"].is_string() &&
                                  IsSubredditName(d["subreddit"].get<std::string>())
                              ? d["subreddit"].get<std::string>()
                              : sub);
    item.published_us = static_cast<int64_t>(std::llround(created * 1e6));
    if (d.contains("score") && d["score"].is_number()) item.score = d["score"].get<double>();
    if (d.contains("num_comments") && d["num_comments"].is_number_integer() &&
        d["num_comments"].get<int64_t>() >= 0) {
      item.comments = d["num_comments"].get<int64_t>();
    }
    if (d.contains("upvote_ratio") && d["upvote_ratio"].is_number()) {
      const double r = d["upvote_ratio"].get<double>();
      if (!(r >= 0 && r <= 1)) {
        out.Reject(where, "upvote_ratio " + d["upvote_ratio"].dump() + " outside 0..1");
        continue;
      }
      item.upvote_ratio = r;
    }
    nlohmann::json extra = nlohmann::json::object();
    if (d.contains("author") && d["author"].is_string())
      extra["author"] = CleanText(d["author"].get<std::string>(), 64);
    if (d.contains("url") && d["url"].is_string()) {
      const std::string link = d["url"].get<std::string>();
      if ((link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0) &&
          link.size() <= 2048) {
        extra["link_url"] = CleanText(link, 2048);
      }
    }
    if (d.contains("link_flair_text") && d["link_flair_text"].is_string()) {
      extra["flair"] = CleanText(d["link_flair_text"].get<std::string>(), 64);
    }
    if (d.contains("over_18") && d["over_18"].is_boolean())
      extra["over_18"] = d["over_18"].get<bool>();
    if (!extra.empty()) item.extra_json = extra.dump();
    if (Validate(item, where, out)) items->push_back(std::move(item));
  }
}

}  // namespace sf::news
