// RSS 2.0 / Atom parsing (see feed_parser.h).
#include "feed_parser.h"

#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/XML/XMLString.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace sf::news {
namespace {

constexpr size_t kMaxFieldBytes = 64 * 1024;
const char kAtomNs[] = "http://www.w3.org/2005/Atom";
const char kDcNs[] = "http://purl.org/dc/elements/1.1/";
const char kContentNs[] = "http://purl.org/rss/1.0/modules/content/";

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::toupper(static_cast<unsigned char>(a)) ==
           std::toupper(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

class FeedHandler : public Poco::XML::ContentHandler {
 public:
  FeedHandler(Feed* feed, size_t max_entries) : feed_(feed), max_entries_(max_entries) {}

  std::string root;

  void setDocumentLocator(const Poco::XML::Locator*) override {}
  void startDocument() override {}
  void endDocument() override {}
  void startPrefixMapping(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
  void endPrefixMapping(const Poco::XML::XMLString&) override {}
  void ignorableWhitespace(const Poco::XML::XMLChar*, int, int) override {}
  void processingInstruction(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
  void skippedEntity(const Poco::XML::XMLString&) override {}

  void startElement(const Poco::XML::XMLString& uri, const Poco::XML::XMLString& local,
                    const Poco::XML::XMLString&, const Poco::XML::Attributes& attrs) override {
    ++depth_;
    if (depth_ == 1) {
      root = local;
      if (local == "rss") feed_->kind = "rss";
      if (local == "feed" && uri == kAtomNs) feed_->kind = "atom";
      // Not a feed: ignore the rest (no exception may cross expat's C frames).
      return;
    }
    if (feed_->kind.empty()) return;
    const bool atom = feed_->kind == "atom";
    const std::string_view entry_name = atom ? "entry" : "item";
    if (!in_entry_ && local == entry_name && (atom ? uri == kAtomNs : uri.empty())) {
      in_entry_ = true;
      entry_depth_ = depth_;
      entry_ = FeedEntry();
      entry_.atom_date = atom;
      return;
    }
    target_ = nullptr;
    if (!in_entry_) {
      // Feed title: <rss><channel><title> or <feed><title>.
      if (local == "title" && depth_ == (atom ? 2 : 3) && feed_->title.empty())
        target_ = &feed_->title;
      return;
    }
    if (depth_ != entry_depth_ + 1) return;  // only direct children of an entry
    if (atom) {
      if (uri != kAtomNs) return;
      if (local == "title") target_ = &entry_.title;
      if (local == "id") target_ = &entry_.id;
      if (local == "summary") target_ = &entry_.summary;
      if (local == "content" && entry_.summary.empty()) target_ = &entry_.summary;
      if (local == "published") {
        entry_.published.clear();
        target_ = &entry_.published;
        have_published_ = true;
      }
      if (local == "updated" && !have_published_) {
        entry_.published.clear();
        target_ = &entry_.published;
      }
      if (local == "link") {
        const std::string rel = attrs.getValue("", "rel");
        const std::string href = attrs.getValue("", "href");
        if ((rel.empty() || rel == "alternate") && entry_.link.empty())
          entry_.link = href.substr(0, kMaxFieldBytes);
      }
    } else if (uri.empty()) {
      if (local == "title") target_ = &entry_.title;
      if (local == "link") target_ = &entry_.link;
      if (local == "guid") target_ = &entry_.id;
      if (local == "description") target_ = &entry_.summary;
      if (local == "pubDate") {
        entry_.published.clear();
        entry_.atom_date = false;
        target_ = &entry_.published;
        have_published_ = true;
      }
    } else if (uri == kDcNs && local == "date" && !have_published_) {
      entry_.published.clear();
      entry_.atom_date = true;
      target_ = &entry_.published;
    } else if (uri == kContentNs && local == "encoded" && entry_.summary.empty()) {
      target_ = &entry_.summary;
    }
    if (target_ != nullptr) target_->clear();
  }

  void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                  const Poco::XML::XMLString&) override {
    if (in_entry_ && depth_ == entry_depth_) {
      in_entry_ = false;
      have_published_ = false;
      if (feed_->entries.size() < max_entries_) {
        feed_->entries.push_back(std::move(entry_));
      } else {
        ++feed_->dropped;
      }
    }
    target_ = nullptr;
    --depth_;
  }

  void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
    if (target_ == nullptr || length <= 0) return;
    const size_t room = kMaxFieldBytes > target_->size() ? kMaxFieldBytes - target_->size() : 0;
    target_->append(ch + start, std::min<size_t>(room, static_cast<size_t>(length)));
  }

 private:
  Feed* feed_;
  size_t max_entries_;
  int depth_ = 0;
  bool in_entry_ = false;
  bool have_published_ = false;
  int entry_depth_ = 0;
  FeedEntry entry_;
  std::string* target_ = nullptr;
};

void Trim(std::string* s) {
  const size_t a = s->find_first_not_of(" \t\r\n");
  if (a == std::string::npos) {
    s->clear();
    return;
  }
  const size_t b = s->find_last_not_of(" \t\r\n");
  *s = s->substr(a, b - a + 1);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

bool ParseFeed(std::string_view body, size_t max_entries, Feed* feed, std::string* error) {
  *feed = Feed();
  if (ContainsNoCase(body, "<!DOCTYPE") || ContainsNoCase(body, "<!ENTITY")) {
    *error =
        "the document declares a DOCTYPE or ENTITY; refused (feeds never need them, and they "
        "enable entity-expansion and external-entity attacks)";
    return false;
  }
  FeedHandler handler(feed, max_entries);
  Poco::XML::SAXParser parser;
  try {
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACE_PREFIXES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    parser.setContentHandler(&handler);
    parser.parseMemoryNP(body.data(), body.size());
  } catch (const Poco::XML::SAXParseException& e) {
    *error = "malformed XML at line " + std::to_string(e.getLineNumber()) + ", column " +
             std::to_string(e.getColumnNumber()) + ": " + e.message();
    return false;
  } catch (const Poco::Exception& e) {
    *error = "malformed XML: " + e.displayText();
    return false;
  }
  if (feed->kind.empty()) {
    *error = "not an RSS 2.0 or Atom feed (root element <" + handler.root + ">)";
    return false;
  }
  Trim(&feed->title);
  for (FeedEntry& e : feed->entries) {
    Trim(&e.id);
    Trim(&e.link);
    Trim(&e.title);
    Trim(&e.published);
  }
  return true;
}

std::string StripHtml(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      const size_t close = html.find('>', i);
      if (close == std::string_view::npos) {
        out.append(html.substr(i));
        break;
      }
      out.push_back(' ');
      i = close + 1;
      continue;
    }
    if (c == '&') {
      const size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        const std::string_view name = html.substr(i + 1, semi - i - 1);
        bool known = true;
        if (name == "amp")
          out.push_back('&');
        else if (name == "lt")
          out.push_back('<');
        else if (name == "gt")
          out.push_back('>');
        else if (name == "quot")
          out.push_back('"');
        else if (name == "apos")
          out.push_back('\'');
        else if (name == "nbsp")
          out.push_back(' ');
        else if (!name.empty() && name[0] == '#') {
          uint32_t cp = 0;
          const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
          const std::string_view digits = name.substr(hex ? 2 : 1);
          known = !digits.empty();
          for (char d : digits) {
            const int v = std::isdigit(static_cast<unsigned char>(d)) ? d - '0'
                          : hex && std::isxdigit(static_cast<unsigned char>(d))
                              ? std::tolower(static_cast<unsigned char>(d)) - 'a' + 10
                              : -1;
            if (v < 0 || cp > 0x10FFFF) {
              known = false;
              break;
            }
            cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
          }
          if (known) AppendUtf8(cp, &out);
        } else {
          known = false;
        }
        if (known) {
          i = semi + 1;
          continue;
        }
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace sf::news
