// A VADER sentiment analyser (Hutto & Gilbert, "VADER: A Parsimonious
// Rule-based Model for Sentiment Analysis of Social Media Text", ICWSM 2014),
// implemented from the paper's rules over our own lexicon (lexicon.h):
//   - lexicon valence per token, phrases (idioms) of up to four words;
//   - boosters/dampeners in the three preceding words (+-0.293, scaled 1,
//     0.95, 0.9 by distance) and two-word dampeners ("kind of", "sort of");
//   - ALL-CAPS emphasis (+-0.733) when the text mixes cases;
//   - negation in the three preceding words (x -0.74), "never so/this"
//     (x 1.25), "without doubt" (no flip), "least" (x -0.74 unless "at least");
//   - contrastive "but": valences before it x 0.5, after it x 1.5;
//   - "!" (up to 4, +0.292 each) and "?" (more than one: +0.18 each, at most
//     0.96) add emphasis in the direction of the sum;
//   - compound = s / sqrt(s^2 + 15), clamped to [-1, 1]; pos/neu/neg are the
//     proportions VADER reports.
// Ownership: an Analyzer owns its tables. Thread-safety: immutable after
// Create, so Analyze may run on many threads at once.
#ifndef SF_PLUGINS_SENTIMENT_VADER_H_
#define SF_PLUGINS_SENTIMENT_VADER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sf::sentiment {

struct Scores {
  double compound = 0;
  double pos = 0, neu = 0, neg = 0;
  int tokens = 0;
};

struct AnalyzerOptions {
  bool finance = true;               // add the finance extension
  std::string lexicon_path;          // VADER-format file replacing our base lexicon
  std::map<std::string, double> extra;  // operator additions, -4..4
};

class Analyzer {
 public:
  // Throws std::invalid_argument naming the file:line or entry that is bad.
  static std::unique_ptr<Analyzer> Create(const AnalyzerOptions& options);

  Scores Analyze(std::string_view text) const;

  size_t lexicon_size() const { return words_.size() + phrases_.size(); }
  const std::string& lexicon_name() const { return lexicon_name_; }

 private:
  Analyzer() = default;
  void Add(std::string_view token, double valence);
  double Valence(const std::vector<std::string>& lower, const std::vector<std::string>& raw,
                 size_t i, bool cap_diff, size_t* phrase_start) const;
  double Scalar(const std::string& lower, const std::string& raw, double valence,
                bool cap_diff) const;
  bool Negated(const std::string& lower) const;

  std::unordered_map<std::string, double> words_;
  std::unordered_map<std::string, double> phrases_;  // "a b" / "a b c"
  std::unordered_map<std::string, double> boosters_;
  std::unordered_set<std::string> negations_;
  std::string lexicon_name_;
};

}  // namespace sf::sentiment

#endif  // SF_PLUGINS_SENTIMENT_VADER_H_
