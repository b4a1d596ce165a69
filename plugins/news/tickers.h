// Ticker extraction from headlines and post text.
//
// Rules: a cashtag ($TSLA, $tsla, $BRK.B) always counts; a bare upper-case
// word (TSLA) counts only when it is in the instrument list and not in the
// stop-list of common words that happen to be tickers (A, IT, ALL, CEO, DD,
// YOLO ...). Words must stand alone: "TSLAQ" is not TSLA, "Tesla" is not T.
// Thread-safety: const methods are safe from any thread.
#ifndef SF_NEWS_TICKERS_H_
#define SF_NEWS_TICKERS_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sf::news {

class TickerExtractor {
 public:
  TickerExtractor(std::set<std::string> instruments,
                  const std::vector<std::string>& extra_stopwords);

  // Tickers found in `text`, upper case, each once, in order of first
  // appearance. `extra_instruments` (may be null) extends the list per call.
  std::vector<std::string> Extract(std::string_view text,
                                   const std::set<std::string>* extra_instruments) const;

  const std::set<std::string>& instruments() const { return instruments_; }
  static const std::set<std::string>& DefaultStopwords();

 private:
  std::set<std::string> instruments_;
  std::set<std::string> stopwords_;
};

}  // namespace sf::news

#endif  // SF_NEWS_TICKERS_H_
