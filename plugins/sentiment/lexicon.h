// The word lists the VADER-style analyser (vader.h) scores with.
//
// The valence lexicon here is Signalforge's own, written for financial news
// and social posts: general English opinion words plus a finance extension,
// rated on VADER's scale (-4 extremely negative .. +4 extremely positive).
// It is NOT the original VADER lexicon (vader_lexicon.txt, which no Debian
// package ships); absolute scores therefore differ from published VADER
// numbers while the rules behave the same. An operator who has the original
// file can load it instead (config "lexicon_path", VADER's tab format).
// Entries may be phrases of up to four words ("short squeeze", idioms such
// as "dead in the water").
// Immutable static data: thread-safe.
#ifndef SF_PLUGINS_SENTIMENT_LEXICON_H_
#define SF_PLUGINS_SENTIMENT_LEXICON_H_

#include <string_view>
#include <utility>
#include <vector>

namespace sf::sentiment {

struct Entry {
  std::string_view token;  // lowercase; spaces separate phrase words
  double valence;
};

// General-purpose opinion words (our own ratings).
const std::vector<Entry>& BaseLexicon();
// Finance and trading vocabulary (beat, miss, downgrade, bankruptcy, short
// squeeze, moon, bagholder, ...). Entries here override base ones.
const std::vector<Entry>& FinanceLexicon();
// Intensity modifiers: positive = booster ("very"), negative = dampener
// ("slightly"); the magnitude is VADER's 0.293 scalar.
const std::vector<Entry>& Boosters();
// Negation words (plus any token ending in "n't").
const std::vector<std::string_view>& Negations();

}  // namespace sf::sentiment

#endif  // SF_PLUGINS_SENTIMENT_LEXICON_H_
