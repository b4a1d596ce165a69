// Ticker extraction (see tickers.h).
#include "tickers.h"

#include <algorithm>
#include <cctype>

namespace sf::news {
namespace {

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Reads [A-Za-z]{1,5} (upper only when !any_case) plus an optional ".X"
// share-class suffix, starting at i; the word must end at a non-alphanumeric
// character. Returns the length, 0 when no word.
size_t ReadWord(std::string_view text, size_t i, bool any_case) {
  size_t j = i;
  while (j < text.size() && (any_case ? IsAlpha(text[j]) : IsUpper(text[j])) && j - i < 6) ++j;
  const size_t letters = j - i;
  if (letters == 0 || letters > 5) return 0;
  if (j + 1 < text.size() && text[j] == '.' &&
      (any_case ? IsAlpha(text[j + 1]) : IsUpper(text[j + 1])) &&
      (j + 2 >= text.size() || !IsAlnum(text[j + 2]))) {
    return letters + 2;
  }
  if (j < text.size() && (IsAlnum(text[j]) || text[j] == '_')) return 0;
  return letters;
}

}  // namespace

const std::set<std::string>& TickerExtractor::DefaultStopwords() {
  static const std::set<std::string> kStop = {
      "A",    "AI",   "ALL",  "AM",   "AN",   "AND",  "ANY",  "ARE",  "AS",   "AT",   "ATH",
      "ATM",  "BE",   "BEST", "BIG",  "BOOM", "BUT",  "BUY",  "BY",   "CALL", "CAN",  "CAR",
      "CASH", "CEO",  "CFO",  "CPI",  "DD",   "DO",   "DTE",  "EAT",  "EDIT", "EOD",  "EPS",
      "ETF",  "EU",   "EVER", "FAST", "FED",  "FOMC", "FOR",  "FREE", "FUN",  "FYI",  "GDP",
      "GO",   "GOOD", "HAS",  "HE",   "HIGH", "HOLD", "HOPE", "HUGE", "I",    "IMO",  "IPO",
      "IT",   "ITM",  "ITS",  "IV",   "JOB",  "JOBS", "KEY",  "LIFE", "LOL",  "LOVE", "LOW",
      "MAIN", "MAN",  "ME",   "MOON", "MY",   "NEW",  "NICE", "NOT",  "NOW",  "NYSE", "OF",
      "ON",   "ONE",  "OP",   "OPEN", "OR",   "OTC",  "OTM",  "OUT",  "PLAY", "PLUS", "PM",
      "PSA",  "PUT",  "REAL", "RUN",  "SAFE", "SEC",  "SEE",  "SELL", "SO",   "THE",  "TLDR",
      "TO",   "TOO",  "TRUE", "TV",   "TWO",  "UK",   "UP",   "US",   "USA",  "WAS",  "WELL",
      "WOW",  "WSB",  "YOLO", "YOU"};
  return kStop;
}

TickerExtractor::TickerExtractor(std::set<std::string> instruments,
                                 const std::vector<std::string>& extra_stopwords)
    : instruments_(std::move(instruments)), stopwords_(DefaultStopwords()) {
  for (const std::string& w : extra_stopwords) {
    std::string upper = w;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    stopwords_.insert(upper);
  }
}

std::vector<std::string> TickerExtractor::Extract(std::string_view text,
                                                  const std::set<std::string>* extra) const {
  std::vector<std::string> found;
  auto add = [&](std::string t) {
    if (std::find(found.begin(), found.end(), t) == found.end()) found.push_back(std::move(t));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const bool boundary = i == 0 || (!IsAlnum(text[i - 1]) && text[i - 1] != '_');
    if (!boundary) continue;
    if (text[i] == '$') {
      const size_t len = ReadWord(text, i + 1, /*any_case=*/true);
      if (len == 0) continue;
      std::string t(text.substr(i + 1, len));
      for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      add(std::move(t));
      i += len;
      continue;
    }
    if (!IsUpper(text[i]) || (i > 0 && text[i - 1] == '$')) continue;
    const size_t len = ReadWord(text, i, /*any_case=*/false);
    if (len == 0) {
      // Skip the rest of this word so its tail is not read as a new word.
      while (i + 1 < text.size() && IsAlnum(text[i + 1])) ++i;
      continue;
    }
    std::string t(text.substr(i, len));
    i += len - 1;
    if (stopwords_.count(t) != 0) continue;
    if (instruments_.count(t) != 0 || (extra != nullptr && extra->count(t) != 0)) add(std::move(t));
  }
  return found;
}

}  // namespace sf::news
