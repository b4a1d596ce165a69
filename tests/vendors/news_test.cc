// News plugin (rss, reddit) against local servers serving RSS 2.0, Atom and
// Reddit listing JSON, loaded from the real news.so.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "fake_server.h"
#include "plugin_harness.h"

namespace sf::testing {
namespace {

using nlohmann::json;

const sf_provider_vtable* Rss() { return LoadProvider("news.so", "rss"); }
const sf_provider_vtable* Reddit() { return LoadProvider("news.so", "reddit"); }

std::string RssItem(const std::string& title, const std::string& link, const std::string& guid,
                    const std::string& date, const std::string& description = "") {
  std::string s = "<item>";
  if (!title.empty()) s += "<title>" + title + "</title>";
  if (!link.empty()) s += "<link>" + link + "</link>";
  if (!guid.empty()) s += "<guid isPermaLink=\"false\">" + guid + "</guid>";
  if (!date.empty()) s += "<pubDate>" + date + "</pubDate>";
  if (!description.empty()) s += "<description>" + description + "</description>";
  return s + "</item>";
}

std::string RssFeed(const std::string& items) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
         "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Market Wire</title>"
         "<link>http://news.example/</link><description>d</description>" +
         items + "</channel></rss>";
}

TEST(NewsRss, ItemsMapWithTickersUtcTimesAndReasonsForRefusals) {
  const std::string body = RssFeed(
      RssItem("Tesla ($TSLA) recalls 2M cars", "http://news.example/tsla-recall", "g-1",
              "Tue, 05 Mar 2024 14:30:00 -0500",
              "&lt;p&gt;Shares of TSLA fell &amp;amp; AAPL rose; Tesla's CEO spoke&lt;/p&gt;") +
      RssItem("IT spending: ALL sectors A-OK", "http://news.example/it", "g-2",
              "Mon, 04 Mar 2024 09:00:00 GMT") +
      RssItem("Tesla recall (updated)", "http://NEWS.example/tsla-recall#top", "g-3",
              "Tue, 05 Mar 2024 15:00:00 -0500") +
      RssItem("Bad date", "http://news.example/bad-date", "g-4", "sometime last week") +
      RssItem("Phish", "javascript:alert(1)", "g-5", "Mon, 04 Mar 2024 09:00:00 GMT") +
      RssItem("From the future", "http://news.example/future", "g-6",
              "Fri, 01 Jan 2100 00:00:00 GMT") +
      RssItem("", "http://news.example/untitled", "g-7", "Mon, 04 Mar 2024 09:00:00 GMT") +
      RssItem("Epoch", "http://news.example/epoch", "g-8", "Thu, 01 Jan 1970 00:00:00 GMT") +
      RssItem("No date", "http://news.example/nodate", "g-9", ""));
  FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
    Reply(response, 200, body, "application/rss+xml");
  });
  Instance rss(Rss(), json{{"feeds", {server.base_url() + "/feed.xml"}},
                           {"instruments", {"TSLA", "AAPL", "IT"}},
                           {"timeout_ms", 2000}});
  ASSERT_TRUE(rss.ok()) << rss.create_outcome().error;
  RecordingSink sink;
  const Outcome out = rss.FetchNews({}, sink);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  EXPECT_EQ(server.requests().at(0).path, "/feed.xml");
  ASSERT_EQ(sink.news.size(), 2u);
  // Oldest first.
  const NewsItem& it = sink.news[0];
  EXPECT_EQ(it.title, "IT spending: ALL sectors A-OK");
  EXPECT_FALSE(it.has_symbols);  // IT and ALL are stop-words, A-OK is no ticker
  EXPECT_EQ(it.published_us, Utc(2024, 3, 4, 9));
  const NewsItem& t = sink.news[1];
  EXPECT_EQ(t.id, "g-1");
  EXPECT_EQ(t.url, "http://news.example/tsla-recall");
  EXPECT_EQ(t.title, "Tesla ($TSLA) recalls 2M cars");
  EXPECT_EQ(t.summary, "Shares of TSLA fell & AAPL rose; Tesla's CEO spoke");
  EXPECT_EQ(t.source, "Market Wire");
  EXPECT_EQ(t.symbols, "TSLA,AAPL");
  EXPECT_EQ(t.published_us, Utc(2024, 3, 5, 19, 30));
  EXPECT_TRUE(std::isnan(t.score));
  EXPECT_EQ(t.comments, -1);
  // g-3 has the same URL as g-1 (host case and fragment aside): a duplicate,
  // dropped silently. The rest are refused, each with its rule.
  EXPECT_EQ(sink.rejects.size(), 6u);
  EXPECT_TRUE(sink.Rejected("'sometime last week' is not RFC 822"));
  EXPECT_TRUE(sink.Rejected("'javascript:alert(1)' is not an absolute http(s) URL"));
  EXPECT_TRUE(sink.Rejected("2100-01-01T00:00:00Z outside [1990-01-01, now + 1 day]"));
  EXPECT_TRUE(sink.Rejected("1970-01-01T00:00:00Z outside"));
  EXPECT_TRUE(sink.Rejected("no title"));
  EXPECT_TRUE(sink.Rejected("no <pubDate>"));
  for (const Reject& r : sink.rejects) {
    EXPECT_EQ(r.what.rfind("rss " + server.base_url() + "/feed.xml entry ", 0), 0u) << r.what;
  }
}

TEST(NewsRss, AtomEntries) {
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Filings</title>"
      "<link rel=\"self\" href=\"http://x/atom\"/>"
      "<entry><title type=\"html\">NVDA 8-K filed</title>"
      "<link rel=\"self\" href=\"http://x/self/1\"/>"
      "<link rel=\"alternate\" href=\"/filings/1\"/>"
      "<id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>"
      "<updated>2024-03-06T12:00:00Z</updated>"
      "<published>2024-03-05T10:15:30.5+01:00</published>"
      "<summary type=\"html\">&lt;b&gt;$nvda&lt;/b&gt; and $BRK.B mentioned</summary></entry>"
      "<entry><title>Updated only</title><link href=\"http://x/filings/2\"/>"
      "<id>tag:x,2024:2</id><updated>2024-03-07T00:00:00-05:00</updated></entry>"
      "</feed>";
  FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
    Reply(response, 200, body, "application/atom+xml");
  });
  Instance rss(Rss(), json{{"feeds", {server.base_url() + "/atom"}}, {"timeout_ms", 2000}});
  RecordingSink sink;
  const Outcome out = rss.FetchNews({}, sink);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  ASSERT_EQ(sink.news.size(), 2u) << (sink.rejects.empty() ? "" : sink.rejects[0].reason);
  const NewsItem& a = sink.news[0];
  EXPECT_EQ(a.id, "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a");
  EXPECT_EQ(a.url, server.base_url() + "/filings/1");  // resolved against the feed URL
  EXPECT_EQ(a.title, "NVDA 8-K filed");
  EXPECT_EQ(a.summary, "$nvda and $BRK.B mentioned");
  EXPECT_EQ(a.symbols, "NVDA,BRK.B");  // bare NVDA is not in any instrument list
  EXPECT_EQ(a.source, "Filings");
  EXPECT_EQ(a.published_us, Utc(2024, 3, 5, 9, 15, 30) + 500000);
  EXPECT_EQ(sink.news[1].published_us, Utc(2024, 3, 7, 5));
  EXPECT_FALSE(sink.news[1].has_symbols);
  EXPECT_FALSE(sink.news[1].has_summary);
}

TEST(NewsRss, HostileFeedsAreRefusedWithReasons) {
  struct Case {
    int status;
    std::string body;
    sf_status code;
    const char* text;
  } cases[] = {
      {200,
       "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
       "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><rss><channel><item><title>&lol2;"
       "</title></item></channel></rss>",
       SF_ERR_BAD_DATA, "declares a DOCTYPE or ENTITY"},
      {200,
       "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
       "<rss><channel><item><title>&xxe;</title></item></channel></rss>",
       SF_ERR_BAD_DATA, "declares a DOCTYPE or ENTITY"},
      {200, "<html><head><title>Just a moment...</title></head><body></body></html>",
       SF_ERR_BAD_DATA, "not an RSS 2.0 or Atom feed (root element <html>)"},
      {200, "<rss><channel><item><title>unclosed</channel></rss>", SF_ERR_BAD_DATA,
       "malformed XML at line 1"},
      {200, "{\"not\":\"xml\"}", SF_ERR_BAD_DATA, "malformed XML"},
      {404, "Not Found", SF_ERR_NOT_FOUND, "HTTP 404"},
      {503, "busy", SF_ERR_UNAVAILABLE, "HTTP 503"},
      {200, RssFeed(std::string(300000, ' ')), SF_ERR_TOO_LARGE, "max_body_bytes=65536"},
  };
  for (const Case& c : cases) {
    FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
      Reply(response, c.status, c.body, "application/xml");
    });
    Instance rss(Rss(), json{{"feeds", {server.base_url() + "/f"}},
                             {"timeout_ms", 2000},
                             {"max_body_bytes", 65536}});
    RecordingSink sink;
    const Outcome out = rss.FetchNews({}, sink);
    EXPECT_EQ(out.status, c.code) << c.body.substr(0, 60) << " -> " << out.error;
    EXPECT_NE(out.error.find(c.text), std::string::npos) << out.error;
    EXPECT_NE(out.error.find("rss " + server.base_url() + "/f"), std::string::npos) << out.error;
    EXPECT_TRUE(sink.news.empty());
  }
}

TEST(NewsRss, OneBadFeedDoesNotHideTheOthers) {
  FakeVendorServer server([](const RecordedRequest& req, auto&, auto& response, auto&) {
    if (req.path == "/bad") {
      Reply(response, 200, "garbage", "text/plain");
    } else {
      Reply(response, 200,
            RssFeed(RssItem("$AMD beats", "http://n/amd", "a", "Mon, 04 Mar 2024 09:00:00 GMT")));
    }
  });
  Instance rss(Rss(), json{{"feeds", {server.base_url() + "/bad", server.base_url() + "/good"}},
                           {"timeout_ms", 2000}});
  RecordingSink sink;
  const Outcome out = rss.FetchNews({}, sink);
  EXPECT_EQ(out.status, SF_ERR_BAD_DATA);
  EXPECT_NE(out.error.find("1 of 2 sources failed"), std::string::npos) << out.error;
  ASSERT_EQ(sink.news.size(), 1u);
  EXPECT_EQ(sink.news[0].symbols, "AMD");
}

TEST(NewsRss, PollDeduplicatesAcrossPollsWithBoundedMemory) {
  std::atomic<int> extra{0};
  auto feed = [&](int n) {
    std::string items;
    for (int i = 0; i < n; ++i) {
      items += RssItem("Story " + std::to_string(i), "http://n/s" + std::to_string(i),
                       "id" + std::to_string(i), "Mon, 04 Mar 2024 09:00:00 GMT");
    }
    return RssFeed(items);
  };
  FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
    Reply(response, 200, feed(20 + extra.load()));
  });
  Instance rss(
      Rss(),
      json{{"feeds", {server.base_url() + "/f"}}, {"poll_interval_ms", 0}, {"timeout_ms", 2000}});
  const int64_t now = Utc(2024, 3, 4, 10);
  RecordingSink first, second, third;
  EXPECT_EQ(rss.Poll(now, first).status, SF_OK);
  EXPECT_EQ(first.news.size(), 20u);
  EXPECT_EQ(rss.Poll(now + 1, second).status, SF_NO_DATA);
  EXPECT_TRUE(second.news.empty());
  extra = 1;
  EXPECT_EQ(rss.Poll(now + 2, third).status, SF_OK);
  ASSERT_EQ(third.news.size(), 1u);
  EXPECT_EQ(third.news[0].id, "id20");

  // With room for only 16 keys (8 items), the set forgets: memory stays
  // bounded and old items come back rather than the set growing.
  Instance small(Rss(), json{{"feeds", {server.base_url() + "/f"}},
                             {"poll_interval_ms", 0},
                             {"dedup_capacity", 16},
                             {"timeout_ms", 2000}});
  RecordingSink a, b;
  EXPECT_EQ(small.Poll(now, a).status, SF_OK);
  EXPECT_EQ(small.Poll(now + 1, b).status, SF_OK);
  EXPECT_EQ(a.news.size(), 21u);
  EXPECT_EQ(b.news.size(), 21u);

  // poll_interval_ms spares the vendor: a poll too soon makes no request.
  Instance slow(Rss(), json{{"feeds", {server.base_url() + "/f"}},
                            {"poll_interval_ms", 60000},
                            {"timeout_ms", 2000}});
  const size_t before = server.requests().size();
  RecordingSink s1, s2;
  EXPECT_EQ(slow.Poll(now, s1).status, SF_OK);
  EXPECT_EQ(slow.Poll(now + 1000000, s2).status, SF_NO_DATA);
  EXPECT_EQ(server.requests().size(), before + 1);
}

TEST(NewsRss, RequestSymbolsAndOptionInstrumentsSelectItems) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    Reply(
        response, 200,
        RssFeed(RssItem("NVDA and AMD rally", "http://n/1", "1", "Mon, 04 Mar 2024 09:00:00 GMT") +
                RssItem("AMD only", "http://n/2", "2", "Mon, 04 Mar 2024 10:00:00 GMT") +
                RssItem("Nothing here", "http://n/3", "3", "Mon, 04 Mar 2024 11:00:00 GMT")));
  });
  Instance rss(Rss(), json{{"feeds", {server.base_url() + "/f"}}, {"timeout_ms", 2000}});
  RecordingSink by_symbol;
  ASSERT_EQ(rss.FetchNews({"NVDA"}, by_symbol).status, SF_OK);
  ASSERT_EQ(by_symbol.news.size(), 1u);
  EXPECT_EQ(by_symbol.news[0].symbols, "NVDA");

  RecordingSink by_option;
  ASSERT_EQ(rss.FetchNews({}, by_option, 0, 0, R"({"instruments":["AMD"]})").status, SF_OK);
  ASSERT_EQ(by_option.news.size(), 3u);
  EXPECT_EQ(by_option.news[0].symbols, "AMD");
  EXPECT_EQ(by_option.news[1].symbols, "AMD");
  EXPECT_FALSE(by_option.news[2].has_symbols);

  RecordingSink ranged;
  ASSERT_EQ(rss.FetchNews({}, ranged, Utc(2024, 3, 4, 10), Utc(2024, 3, 4, 11)).status, SF_OK);
  ASSERT_EQ(ranged.news.size(), 1u);
  EXPECT_EQ(ranged.news[0].id, "2");

  RecordingSink bad;
  EXPECT_EQ(rss.FetchNews({"nvda;--"}, bad).status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rss.FetchNews({}, bad, 0, 0, R"({"instruments":["A'B"]})").status,
            SF_ERR_INVALID_ARGUMENT);
}

// ---- reddit ------------------------------------------------------------------

json Post(const std::string& id, const std::string& title, const std::string& sub, double created,
          const std::string& selftext = "") {
  return {{"kind", "t3"},
          {"data",
           {{"id", id},
            {"name", "t3_" + id},
            {"title", title},
            {"selftext", selftext},
            {"subreddit", sub},
            {"author", "trader42"},
            {"permalink", "/r/" + sub + "/comments/" + id + "/slug/"},
            {"url", "https://i.redd.it/" + id + ".png"},
            {"created_utc", created},
            {"score", 1234},
            {"num_comments", 321},
            {"upvote_ratio", 0.87},
            {"over_18", false}}}};
}

json Listing(const json& children) {
  return {{"kind", "Listing"},
          {"data", {{"after", "t3_zzz"}, {"dist", children.size()}, {"children", children}}}};
}

TEST(NewsReddit, ListingMapsPostsWithScoresAndTickers) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    json children = {Post("1abcde", "YOLO $GME calls, AMC too", "wallstreetbets", 1709650800.0,
                          "DD inside: GME short interest"),
                     {{"kind", "t1"}, {"data", {{"id", "c1"}, {"body", "a comment"}}}},
                     Post("../x", "sneaky", "wallstreetbets", 1709650800.0),
                     Post("2bcdef", "Is it time to buy?", "wallstreetbets", 1709654400.25)};
    children[3]["data"]["upvote_ratio"] = 1.5;
    Reply(response, 200, Listing(children).dump());
  });
  Instance reddit(Reddit(), json{{"base_url", server.base_url()},
                                 {"subreddits", {"wallstreetbets"}},
                                 {"instruments", {"AMC", "GME"}},
                                 {"timeout_ms", 2000}});
  ASSERT_TRUE(reddit.ok()) << reddit.create_outcome().error;
  RecordingSink sink;
  const Outcome out = reddit.FetchNews({}, sink);
  ASSERT_EQ(out.status, SF_OK) << out.error;
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.path, "/r/wallstreetbets/new.json");
  EXPECT_EQ(req.query.at("limit"), "100");
  EXPECT_EQ(req.query.at("raw_json"), "1");
  EXPECT_NE(req.headers.at("user-agent").find("signalforge"), std::string::npos);
  ASSERT_EQ(sink.news.size(), 1u);
  const NewsItem& p = sink.news[0];
  EXPECT_EQ(p.id, "reddit:t3_1abcde");
  EXPECT_EQ(p.url, "https://www.reddit.com/r/wallstreetbets/comments/1abcde/slug/");
  EXPECT_EQ(p.title, "YOLO $GME calls, AMC too");
  EXPECT_EQ(p.summary, "DD inside: GME short interest");
  EXPECT_EQ(p.source, "r/wallstreetbets");
  EXPECT_EQ(p.symbols, "GME,AMC");
  EXPECT_EQ(p.published_us, Utc(2024, 3, 5, 15));
  EXPECT_DOUBLE_EQ(p.score, 1234);
  EXPECT_DOUBLE_EQ(p.upvote_ratio, 0.87);
  EXPECT_EQ(p.comments, 321);
  const json extra = json::parse(p.extra_json);
  EXPECT_EQ(extra["author"], "trader42");
  EXPECT_EQ(extra["link_url"], "https://i.redd.it/1abcde.png");
  EXPECT_EQ(sink.rejects.size(), 3u);
  EXPECT_TRUE(sink.Rejected("not a post (kind t3 with data)"));
  EXPECT_TRUE(sink.Rejected("'../x' is not a reddit base-36 id"));
  EXPECT_TRUE(sink.Rejected("upvote_ratio 1.5 outside 0..1"));
}

TEST(NewsReddit, ErrorsMapToStatusCodes) {
  struct Case {
    int status;
    std::string body;
    std::map<std::string, std::string> headers;
    sf_status code;
    const char* text;
  } cases[] = {
      {429,
       R"({"message": "Too Many Requests", "error": 429})",
       {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "42"}},
       SF_ERR_RATE_LIMITED,
       "retry after 42 s (X-Ratelimit-Reset header)"},
      {403,
       R"({"reason": "private", "message": "Forbidden", "error": 403})",
       {},
       SF_ERR_PERMISSION,
       "private"},
      {404,
       R"({"reason": "banned", "message": "Not Found", "error": 404})",
       {},
       SF_ERR_NOT_FOUND,
       "HTTP 404"},
      {302,
       "",
       {{"Location", "https://www.reddit.com/subreddits/search.json?q=nosuchsub"}},
       SF_ERR_NOT_FOUND,
       "subreddit does not exist"},
      {503, "<html>all our servers are busy</html>", {}, SF_ERR_UNAVAILABLE, "HTTP 503"},
      {200, R"({"kind": "t3", "data": {}})", {}, SF_ERR_BAD_DATA, "malformed listing"},
      {200, R"({"kind": "Listing", "data": {"children": [)", {}, SF_ERR_BAD_DATA, "malformed JSON"},
  };
  for (const Case& c : cases) {
    FakeVendorServer server([&](const RecordedRequest&, auto&, auto& response, auto&) {
      for (const auto& [k, v] : c.headers) response.set(k, v);
      Reply(response, c.status, c.body);
    });
    Instance reddit(
        Reddit(),
        json{{"base_url", server.base_url()}, {"subreddits", {"nosuchsub"}}, {"timeout_ms", 2000}});
    RecordingSink sink;
    const Outcome out = reddit.FetchNews({}, sink);
    EXPECT_EQ(out.status, c.code) << c.status << " " << c.body << " -> " << out.error;
    EXPECT_NE(out.error.find(c.text), std::string::npos) << out.error;
    EXPECT_NE(out.error.find("reddit r/nosuchsub"), std::string::npos) << out.error;
    EXPECT_TRUE(sink.news.empty());
  }
}

TEST(NewsReddit, CrosspostsAreOneItemAndPollsOnlyEmitNewPosts) {
  std::atomic<int> round{0};
  FakeVendorServer server([&](const RecordedRequest& req, auto&, auto& response, auto&) {
    const std::string sub = req.path.substr(3, req.path.find('/', 3) - 3);
    json children = {Post("aaa111", "$TSLA to the moon", "stocks", 1709650800.0)};
    if (sub == "investing")
      children.push_back(Post("bbb222", "Index funds", "investing", 1709650900.0));
    if (round.load() > 0 && sub == "stocks") {
      children.push_back(Post("ccc333", "New post", "stocks", 1709651000.0));
    }
    Reply(response, 200, Listing(children).dump());
  });
  Instance reddit(Reddit(), json{{"base_url", server.base_url()},
                                 {"subreddits", {"stocks", "investing"}},
                                 {"poll_interval_ms", 0},
                                 {"timeout_ms", 2000}});
  const int64_t now = Utc(2024, 3, 5, 16);
  RecordingSink first;
  ASSERT_EQ(reddit.Poll(now, first).status, SF_OK);
  ASSERT_EQ(first.news.size(), 2u);  // aaa111 appeared in both listings
  EXPECT_EQ(first.news[0].id, "reddit:t3_aaa111");
  EXPECT_EQ(first.news[0].symbols, "TSLA");
  RecordingSink second;
  EXPECT_EQ(reddit.Poll(now + 1, second).status, SF_NO_DATA);
  round = 1;
  RecordingSink third;
  ASSERT_EQ(reddit.Poll(now + 2, third).status, SF_OK);
  ASSERT_EQ(third.news.size(), 1u);
  EXPECT_EQ(third.news[0].id, "reddit:t3_ccc333");
  EXPECT_EQ(server.requests().size(), 6u);
}

TEST(NewsReddit, ConfigMistakesAreNamed) {
  Instance spaces(Reddit(), json{{"subreddits", {"wall street"}}});
  EXPECT_EQ(spaces.create_outcome().status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(spaces.create_outcome().error.find("'subreddits'"), std::string::npos);
  Instance none(Reddit(), json::object());
  EXPECT_NE(none.create_outcome().error.find("'subreddits' is required"), std::string::npos);
  Instance bad_inst(Reddit(), json{{"subreddits", {"stocks"}}, {"instruments", {"TS LA"}}});
  EXPECT_NE(bad_inst.create_outcome().error.find("'instruments'"), std::string::npos);
  Instance feeds(Rss(), json{{"feeds", {"file:///etc/passwd"}}});
  EXPECT_NE(feeds.create_outcome().error.find("not an http(s) URL"), std::string::npos);

  Instance ok(Reddit(), json{{"subreddits", {"stocks"}}, {"base_url", "http://127.0.0.1:1"}});
  ASSERT_TRUE(ok.ok());
  RecordingSink sink;
  const Outcome bars = ok.FetchBars({"AAPL"}, "1d", sink);
  EXPECT_EQ(bars.status, SF_ERR_UNSUPPORTED);
  EXPECT_NE(bars.error.find("use fetch_news or poll"), std::string::npos);
}

TEST(NewsTickers, CashtagsAlwaysBareWordsOnlyFromTheListAndNotStopwords) {
  FakeVendorServer server([](const RecordedRequest&, auto&, auto& response, auto&) {
    const char* titles[] = {"$tsla up, $BRK.B flat, $100 gain, US$5 fee",  // TSLA, BRK.B
                            "TSLAQ is not TSLA's ticker but TSLA is",      // TSLA (bare, listed)
                            "A CEO said IT and ALL are DD YOLO words",     // nothing
                            "Tesla, Apple and MSFT: AAPL",           // AAPL only (MSFT unlisted)
                            "$ALL is Allstate",                      // ALL via cashtag
                            "GOOGL/AAPL pair and aapl lower case"};  // AAPL (GOOGL unlisted)
    std::string items;
    int i = 0;
    for (const char* t : titles) {
      items += RssItem(t, "http://n/" + std::to_string(i), std::to_string(i),
                       "Mon, 04 Mar 2024 0" + std::to_string(i) + ":00:00 GMT");
      ++i;
    }
    Reply(response, 200, RssFeed(items));
  });
  Instance rss(Rss(), json{{"feeds", {server.base_url() + "/f"}},
                           {"instruments", {"TSLA", "AAPL", "IT", "ALL", "A"}},
                           {"timeout_ms", 2000}});
  RecordingSink sink;
  ASSERT_EQ(rss.FetchNews({}, sink).status, SF_OK);
  ASSERT_EQ(sink.news.size(), 6u);
  EXPECT_EQ(sink.news[0].symbols, "TSLA,BRK.B");
  EXPECT_EQ(sink.news[1].symbols, "TSLA");
  EXPECT_FALSE(sink.news[2].has_symbols) << sink.news[2].symbols;
  EXPECT_EQ(sink.news[3].symbols, "AAPL");
  EXPECT_EQ(sink.news[4].symbols, "ALL");
  EXPECT_EQ(sink.news[5].symbols, "AAPL");
}

}  // namespace
}  // namespace sf::testing
