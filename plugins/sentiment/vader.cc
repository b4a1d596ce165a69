#include "vader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lexicon.h"

namespace sf::sentiment {

namespace {

constexpr double kBoost = 0.293;      // booster / dampener step
constexpr double kCapsBoost = 0.733;  // ALL-CAPS emphasis
constexpr double kNegate = -0.74;     // negation scalar
constexpr double kAlpha = 15.0;       // compound normalisation

bool IsPunct(char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Python's str.isupper(): at least one cased letter and no lowercase one.
bool IsUpper(const std::string& s) {
  bool cased = false;
  for (unsigned char c : s) {
    if (std::islower(c)) return false;
    if (std::isupper(c)) cased = true;
  }
  return cased;
}

// Whitespace tokens with surrounding punctuation stripped, except short
// tokens (emoticons such as ":)" or ":D") which stay as written. Tokens made
// of one punctuation character are dropped.
std::vector<std::string> Tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) {
      std::string_view tok = text.substr(i, j - i);
      size_t a = 0, b = tok.size();
      while (a < b && IsPunct(tok[a])) ++a;
      while (b > a && IsPunct(tok[b - 1])) --b;
      std::string_view stripped = tok.substr(a, b - a);
      if (stripped.size() > 2) {
        out.emplace_back(stripped);
      } else if (!(tok.size() == 1 && IsPunct(tok[0]))) {
        out.emplace_back(tok);
      }
    }
    i = j;
  }
  return out;
}

double Normalize(double score) {
  const double n = score / std::sqrt(score * score + kAlpha);
  return std::clamp(n, -1.0, 1.0);
}

double Round(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

}  // namespace

void Analyzer::Add(std::string_view token, double valence) {
  std::string key = Lower(token);
  if (key.find(' ') != std::string::npos) {
    phrases_[key] = valence;
  } else {
    words_[key] = valence;
  }
}

std::unique_ptr<Analyzer> Analyzer::Create(const AnalyzerOptions& options) {
  std::unique_ptr<Analyzer> a(new Analyzer());
  if (options.lexicon_path.empty()) {
    for (const Entry& e : BaseLexicon()) a->Add(e.token, e.valence);
    a->lexicon_name_ = "signalforge-general-v1";
  } else {
    std::ifstream in(options.lexicon_path);
    if (!in) {
      throw std::invalid_argument("sentiment: cannot open lexicon_path '" + options.lexicon_path +
                                  "'");
    }
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty() || line[0] == '#') continue;
      // VADER's format: token TAB mean-valence [TAB std TAB ratings].
      const size_t tab = line.find('\t');
      double v = 0;
      bool ok = tab != std::string::npos && tab > 0;
      if (ok) {
        std::istringstream num(line.substr(tab + 1));
        ok = static_cast<bool>(num >> v) && v >= -4.0 && v <= 4.0;
      }
      if (!ok) {
        throw std::invalid_argument("sentiment: " + options.lexicon_path + ":" +
                                    std::to_string(number) +
                                    ": expected 'token<TAB>valence' with valence in [-4, 4]");
      }
      a->Add(line.substr(0, tab), v);
    }
    a->lexicon_name_ = "file:" + options.lexicon_path;
  }
  if (options.finance) {
    for (const Entry& e : FinanceLexicon()) a->Add(e.token, e.valence);
    a->lexicon_name_ += "+signalforge-finance-v1";
  }
  for (const auto& [token, v] : options.extra) {
    if (!(v >= -4.0 && v <= 4.0) || token.empty()) {
      throw std::invalid_argument("sentiment: extra lexicon entry '" + token +
                                  "' needs a valence in [-4, 4]");
    }
    a->Add(token, v);
  }
  for (const Entry& e : Boosters()) a->boosters_[std::string(e.token)] = e.valence;
  for (const char* d : {"kind of", "sort of", "a bit", "a little", "just enough"}) {
    a->boosters_[d] = -kBoost;
  }
  for (std::string_view n : Negations()) a->negations_.insert(std::string(n));
  return a;
}

bool Analyzer::Negated(const std::string& lower) const {
  if (negations_.count(lower)) return true;
  return lower.find("n't") != std::string::npos || lower.find("n\xE2\x80\x99t") != std::string::npos;
}

double Analyzer::Scalar(const std::string& lower, const std::string& raw, double valence,
                        bool cap_diff) const {
  auto it = boosters_.find(lower);
  if (it == boosters_.end()) return 0.0;
  double s = valence < 0 ? -it->second : it->second;
  if (cap_diff && IsUpper(raw)) s += valence > 0 ? kCapsBoost : -kCapsBoost;
  return s;
}

// The valence of token i (0 when it has none), with every rule that looks
// backwards applied. *phrase_start is where a matched phrase began (i for a
// single word).
double Analyzer::Valence(const std::vector<std::string>& lower, const std::vector<std::string>& raw,
                         size_t i, bool cap_diff, size_t* phrase_start) const {
  double v = 0;
  size_t p = i;
  bool found = false;
  for (size_t n = 4; n >= 2 && !found; --n) {
    if (i + 1 < n) continue;
    std::string key = lower[i + 1 - n];
    for (size_t k = i + 2 - n; k <= i; ++k) key += " " + lower[k];
    if (auto it = phrases_.find(key); it != phrases_.end()) {
      v = it->second;
      p = i + 1 - n;
      found = true;
    }
  }
  if (!found) {
    auto it = words_.find(lower[i]);
    if (it == words_.end()) return 0.0;
    v = it->second;
  }
  *phrase_start = p;
  if (v == 0) return 0.0;
  bool all_caps = true;
  for (size_t k = p; k <= i; ++k) all_caps = all_caps && IsUpper(raw[k]);
  if (cap_diff && all_caps) v += v > 0 ? kCapsBoost : -kCapsBoost;

  auto in_lexicon = [&](size_t k) { return words_.count(lower[k]) > 0; };
  auto is = [&](size_t k, const char* w) { return lower[k] == w; };
  for (size_t d = 0; d < 3 && d < p; ++d) {
    const size_t j = p - 1 - d;
    if (in_lexicon(j)) continue;
    double s = Scalar(lower[j], raw[j], v, cap_diff);
    if (d == 1) s *= 0.95;
    if (d == 2) s *= 0.9;
    v += s;
    // Negation at this distance.
    if (d == 0) {
      if (Negated(lower[j])) v *= kNegate;
    } else if (d == 1) {
      if (is(j, "never") && (is(p - 1, "so") || is(p - 1, "this"))) {
        v *= 1.25;
      } else if (is(j, "without") && is(p - 1, "doubt")) {
      } else if (Negated(lower[j])) {
        v *= kNegate;
      }
    } else {
      if (is(j, "never") && (is(p - 2, "so") || is(p - 2, "this") || is(p - 1, "so") ||
                             is(p - 1, "this"))) {
        v *= 1.25;
      } else if (is(j, "without") && (is(p - 2, "doubt") || is(p - 1, "doubt"))) {
      } else if (Negated(lower[j])) {
        v *= kNegate;
      }
    }
  }
  // Two- and three-word dampeners/boosters right before ("kind of good").
  if (p >= 2) {
    std::string two = lower[p - 2] + " " + lower[p - 1];
    double s = 0;
    if (auto it = boosters_.find(two); it != boosters_.end()) s = it->second;
    if (p >= 3) {
      if (auto it = boosters_.find(lower[p - 3] + " " + two); it != boosters_.end()) s = it->second;
    }
    v += v < 0 ? -s : s;
  }
  // "least": "least good" flips, "at least good" / "very least" do not.
  if (p >= 1 && is(p - 1, "least") && !in_lexicon(p - 1)) {
    if (p == 1 || !(is(p - 2, "at") || is(p - 2, "very"))) v *= kNegate;
  }
  return v;
}

Scores Analyzer::Analyze(std::string_view text) const {
  Scores out;
  const std::vector<std::string> raw = Tokens(text);
  out.tokens = static_cast<int>(raw.size());
  if (raw.empty()) {
    out.neu = 0;
    return out;
  }
  std::vector<std::string> lower;
  lower.reserve(raw.size());
  size_t upper = 0;
  for (const auto& t : raw) {
    lower.push_back(Lower(t));
    upper += IsUpper(t) ? 1 : 0;
  }
  const bool cap_diff = upper > 0 && upper < raw.size();

  std::vector<double> s(raw.size(), 0.0);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (boosters_.count(lower[i])) continue;  // modifiers carry no valence
    if ((lower[i] == "kind" || lower[i] == "sort") && i + 1 < raw.size() && lower[i + 1] == "of") {
      continue;
    }
    size_t start = i;
    const double v = Valence(lower, raw, i, cap_diff, &start);
    if (v != 0 || start != i) {
      for (size_t k = start; k < i; ++k) s[k] = 0;  // a phrase scores once
      s[i] = v;
    }
  }
  // Contrastive "but".
  if (auto it = std::find(lower.begin(), lower.end(), "but"); it != lower.end()) {
    const size_t b = static_cast<size_t>(it - lower.begin());
    for (size_t i = 0; i < s.size(); ++i) {
      if (i < b) s[i] *= 0.5;
      if (i > b) s[i] *= 1.5;
    }
  }
  // Punctuation emphasis.
  const double bangs = std::min<double>(4, static_cast<double>(std::count(text.begin(), text.end(), '!')));
  const double qmarks = static_cast<double>(std::count(text.begin(), text.end(), '?'));
  double emphasis = bangs * 0.292;
  if (qmarks > 1) emphasis += qmarks <= 3 ? qmarks * 0.18 : 0.96;

  double sum = 0, pos = 0, neg = 0, neu = 0;
  for (double v : s) {
    sum += v;
    if (v > 0) pos += v + 1;
    if (v < 0) neg += v - 1;
    if (v == 0) neu += 1;
  }
  if (sum > 0) sum += emphasis;
  if (sum < 0) sum -= emphasis;
  if (pos > std::fabs(neg)) pos += emphasis;
  if (pos < std::fabs(neg)) neg -= emphasis;
  const double total = pos + std::fabs(neg) + neu;
  out.compound = sum == 0 ? 0.0 : Round(Normalize(sum), 4);
  if (total > 0) {
    out.pos = Round(std::fabs(pos / total), 3);
    out.neg = Round(std::fabs(neg / total), 3);
    out.neu = Round(std::fabs(neu / total), 3);
  }
  return out;
}

}  // namespace sf::sentiment
