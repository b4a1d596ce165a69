// `signalforge indicator --list` and
// `signalforge indicator NAME [--param KEY=VALUE ...] --input FILE.csv [--output FILE.csv]`:
// run any loaded indicator over a CSV of bars, for operators and the
// project's checks.
//
// Input: a header row, column names case-insensitive: `timestamp` or `date`
// (also `datetime`/`time`), `open`, `high`, `low`, `close`, `volume`; other
// columns (AlphaVantage's adjusted_close, Yahoo's "Adj Close") are ignored.
// Rows may be in any time order (AlphaVantage files can be newest-first):
// the indicator runs over the bars sorted by time, and the output keeps the
// input file's row order. Output: `timestamp,<output names>`, the timestamp
// text as in the input, empty fields during warm-up (and wherever the value
// is NaN), otherwise 17 significant digits.
//
// Exit codes: 0 ok, 1 bad input data or I/O, 2 usage (unknown indicator or
// parameter, bad option). Thread-safety: runs on the main thread only.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/command.h"
#include "app/context.h"
#include "plugins/registry.h"

namespace sf::app {
namespace {

constexpr const char* kName = "indicator";

constexpr const char* kUsage =
    R"(Usage: signalforge indicator --list [--json]
       signalforge indicator NAME [--param KEY=VALUE ...] --input FILE.csv [--output FILE.csv]

Runs an indicator of the loaded plugins over the bars of a CSV file.

  --list             every indicator with its parameters (defaults, ranges),
                     inputs and outputs; --json prints the metadata as JSON
  --param KEY=VALUE  set a parameter (repeatable); others keep their defaults
  --input FILE       CSV with a header row; columns (any case): timestamp or
                     date, open, high, low, close, volume; extra columns are
                     ignored. AlphaVantage (newest-first) and Yahoo
                     (Date,Open,High,Low,Close,Adj Close,Volume) both work.
                     Empty or "null" values count as missing (NaN).
  --output FILE      where to write the result (default: standard output)

The indicator sees the bars in time order; the output rows follow the input
file's row order: timestamp,<outputs>, empty fields during the warm-up,
values with 17 significant digits.
Example: signalforge indicator macd --param fast_period=8 --input AAPL.csv
)";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string t = s.substr(b, e - b);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return t;
}

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      cur += c;
    } else if (c == ',' && !quoted) {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(Trim(cur));
  return out;
}

// Days since 1970-01-01 (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.fff]]" (also with 'T', optional 'Z'),
// or integer epoch seconds / milliseconds / microseconds. UTC.
bool ParseTime(const std::string& text, int64_t* us) {
  if (text.empty()) return false;
  bool digits = true;
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    if (text.size() > 18) return false;
    const long long v = std::stoll(text);
    if (v < 100000000000LL) *us = v * 1000000LL;           // seconds
    else if (v < 100000000000000LL) *us = v * 1000LL;      // milliseconds
    else *us = v;                                          // microseconds
    return true;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, consumed = 0;
  double sec = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  std::string rest = text.substr(10);
  if (!rest.empty() && (rest[0] == 'T' || rest[0] == ' ')) {
    rest = rest.substr(1);
    if (!rest.empty() && rest.back() == 'Z') rest.pop_back();
    int n = 0;
    if (std::sscanf(rest.c_str(), "%2d:%2d%n", &h, &mi, &n) != 2) return false;
    if (n < static_cast<int>(rest.size())) {
      if (rest[n] != ':') return false;
      char* end = nullptr;
      sec = std::strtod(rest.c_str() + n + 1, &end);
      if (end == rest.c_str() + n + 1 || *end != '\0') return false;
    }
    if (h > 23 || mi > 59 || sec < 0 || sec >= 61) return false;
  } else if (!rest.empty()) {
    return false;
  }
  *us = (DaysFromCivil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL) * 1000000LL +
        static_cast<int64_t>(std::llround(sec * 1e6));
  return true;
}

struct CsvBars {
  std::vector<std::string> ts_text;  // as in the file
  std::vector<int64_t> ts;
  std::vector<double> open, high, low, close, volume;
  std::vector<int> line;  // file line of each row
};

// Reads the bars; `need` are the SF_INPUT_* columns the indicator reads.
// On failure returns false and sets *error to "FILE:LINE: reason".
bool ReadBars(const std::string& path, uint32_t need, CsvBars* bars, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open the input file";
    return false;
  }
  std::string line;
  int line_no = 0;
  // Header (skip leading blank lines).
  std::vector<std::string> header;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);
    if (Trim(line).empty()) continue;
    header = SplitCsv(line);
    break;
  }
  if (header.empty()) {
    *error = path + ": the file is empty (a header row is required)";
    return false;
  }
  int ts_col = -1, col[5] = {-1, -1, -1, -1, -1};
  const char* names[5] = {"open", "high", "low", "close", "volume"};
  const uint32_t bits[5] = {SF_INPUT_OPEN, SF_INPUT_HIGH, SF_INPUT_LOW, SF_INPUT_CLOSE,
                            SF_INPUT_VOLUME};
  for (size_t k = 0; k < header.size(); ++k) {
    const std::string h = Lower(header[k]);
    if ((h == "timestamp" || h == "date" || h == "datetime" || h == "time") && ts_col < 0) {
      ts_col = static_cast<int>(k);
    }
    for (int c = 0; c < 5; ++c) {
      if (h == names[c] && col[c] < 0) col[c] = static_cast<int>(k);
    }
  }
  if (ts_col < 0) {
    *error = path + ":" + std::to_string(line_no) +
             ": the header has no timestamp or date column (got: " + line + ")";
    return false;
  }
  for (int c = 0; c < 5; ++c) {
    if ((need & bits[c]) != 0 && col[c] < 0) {
      *error = path + ":" + std::to_string(line_no) + ": the header has no '" + names[c] +
               "' column, which this indicator needs";
      return false;
    }
  }
  std::vector<double>* dest[5] = {&bars->open, &bars->high, &bars->low, &bars->close,
                                  &bars->volume};
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (Trim(line).empty()) continue;
    const std::vector<std::string> f = SplitCsv(line);
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    if (f.size() < header.size()) {
      *error = where + "expected " + std::to_string(header.size()) + " fields, got " +
               std::to_string(f.size());
      return false;
    }
    int64_t ts = 0;
    if (!ParseTime(f[ts_col], &ts)) {
      *error = where + "'" + f[ts_col] +
               "' is not a timestamp (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or epoch seconds)";
      return false;
    }
    bars->ts_text.push_back(f[ts_col]);
    bars->ts.push_back(ts);
    bars->line.push_back(line_no);
    for (int c = 0; c < 5; ++c) {
      double v = std::nan("");
      if (col[c] >= 0) {
        const std::string& cell = f[col[c]];
        if (!cell.empty() && Lower(cell) != "null" && Lower(cell) != "nan") {
          errno = 0;
          char* end = nullptr;
          v = std::strtod(cell.c_str(), &end);
          if (end == cell.c_str() || *end != '\0' || errno == ERANGE) {
            *error = where + "column '" + header[col[c]] + "': '" + cell + "' is not a number";
            return false;
          }
        }
      }
      dest[c]->push_back(v);
    }
  }
  if (bars->ts.empty()) {
    *error = path + ": no data rows after the header";
    return false;
  }
  return true;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Suggest(const plugins::Registry& reg, const std::string& name) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto* ind : reg.indicators()) {
    size_t d = EditDistance(name, ind->id);
    if (ind->id.find(name) != std::string::npos || name.find(ind->id) != std::string::npos) {
      d = std::min<size_t>(d, 1);
    }
    if (d <= 2) scored.emplace_back(d, ind->id);
  }
  std::sort(scored.begin(), scored.end());
  std::string out;
  for (size_t k = 0; k < scored.size() && k < 5; ++k) out += (k ? ", " : "") + scored[k].second;
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string FormatDefault(const nlohmann::json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    const double d = v.get<double>();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.15g", d);
    return buf;
  }
  return v.dump();
}

int List(const plugins::Registry& reg, bool json, std::ostream& out) {
  auto all = reg.indicators();
  std::sort(all.begin(), all.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto* ind : all) {
      arr.push_back({{"id", ind->id}, {"plugin", ind->plugin_id}, {"metadata", ind->metadata}});
    }
    out << arr.dump(2) << "\n";
    return 0;
  }
  for (const auto* ind : all) {
    const auto& m = ind->metadata;
    out << ind->id << "  " << m.value("title", "") << "  [" << m.value("group", "") << "]\n";
    std::string inputs;
    for (const auto& i : m.value("inputs", nlohmann::json::array())) {
      inputs += (inputs.empty() ? "" : ", ") + i.get<std::string>();
    }
    out << "  inputs:  " << inputs << "\n";
    const auto params = m.value("params", nlohmann::json::array());
    if (params.empty()) out << "  params:  none\n";
    for (const auto& p : params) {
      out << "  param:   " << p.value("name", "") << "=" << FormatDefault(p["default"]) << "  ("
          << p.value("type", "") << ", " << FormatDefault(p["min"]) << ".."
          << FormatDefault(p["max"]) << ") " << p.value("description", "") << "\n";
    }
    std::string outputs;
    for (const auto& o : m.value("outputs", nlohmann::json::array())) {
      outputs += (outputs.empty() ? "" : ", ") + o.value("name", "");
    }
    out << "  outputs: " << outputs << "\n";
    out << "  ref:     " << m.value("reference", "") << "\n";
  }
  return 0;
}

int Fail(int code, const std::string& message) {
  std::cerr << "signalforge: indicator: " << message << "\n";
  return code;
}

int Run(Context& ctx, const std::vector<std::string>& args) {
  bool list = false, json = false;
  std::string name, input, output;
  std::vector<std::pair<std::string, std::string>> params;
  for (size_t k = 0; k < args.size(); ++k) {
    const std::string& a = args[k];
    auto value = [&](const std::string& opt, std::string* v) -> bool {
      const std::string eq = opt + "=";
      if (a.rfind(eq, 0) == 0) {
        *v = a.substr(eq.size());
        return true;
      }
      if (a == opt) {
        if (k + 1 >= args.size()) return false;
        *v = args[++k];
        return true;
      }
      return false;
    };
    std::string v;
    if (a == "--list") {
      list = true;
    } else if (a == "--json") {
      json = true;
    } else if (a.rfind("--param", 0) == 0) {
      if (!value("--param", &v)) return UsageError(kName, "--param needs KEY=VALUE");
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        return UsageError(kName, "--param takes KEY=VALUE, got '" + v + "'");
      }
      params.emplace_back(Trim(v.substr(0, eq)), Trim(v.substr(eq + 1)));
    } else if (a.rfind("--input", 0) == 0) {
      if (!value("--input", &input)) return UsageError(kName, "--input needs a file name");
    } else if (a.rfind("--output", 0) == 0) {
      if (!value("--output", &output)) return UsageError(kName, "--output needs a file name");
    } else if (!a.empty() && a[0] == '-') {
      return UsageError(kName, "unknown option " + a);
    } else if (name.empty()) {
      name = a;
    } else {
      return UsageError(kName, "one indicator at a time (got '" + name + "' and '" + a + "')");
    }
  }
  plugins::Registry& reg = ctx.plugins();
  if (reg.indicators().empty()) {
    return Fail(1, "no indicator is loaded; check /plugins/directories in the config "
                   "(the indicators plugin is build/plugins/indicators.so)");
  }
  if (list) return List(reg, json, std::cout);
  if (name.empty()) return UsageError(kName, "name an indicator (see --list)");
  const plugins::Indicator* ind = reg.FindIndicator(Lower(name));
  if (ind == nullptr) {
    const std::string close = Suggest(reg, Lower(name));
    return UsageError(kName, "unknown indicator '" + name + "'" +
                                 (close.empty() ? "" : "; did you mean: " + close + "?") +
                                 " (signalforge indicator --list shows them all)");
  }
  if (input.empty()) return UsageError(kName, "--input FILE.csv is required");

  // Parameters: defaults, then --param overrides by name.
  const auto meta_params = ind->metadata.value("params", nlohmann::json::array());
  std::vector<double> values;
  std::vector<std::string> names;
  for (const auto& p : meta_params) {
    values.push_back(p.value("default", 0.0));
    names.push_back(p.value("name", ""));
  }
  for (const auto& [key, text] : params) {
    auto it = std::find(names.begin(), names.end(), Lower(key));
    if (it == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      return UsageError(kName, ind->id + " has no parameter '" + key + "' (parameters: " +
                                   (known.empty() ? "none" : known) + ")");
    }
    char* end = nullptr;
    errno = 0;
    const double d = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || errno == ERANGE) {
      return UsageError(kName, ind->id + ": " + key + " must be a number, got '" + text + "'");
    }
    values[it - names.begin()] = d;
  }
  int64_t lookback = 0;
  plugins::ClearPluginError();
  sf_status st = ind->vt.lookback(values.data(), static_cast<uint32_t>(values.size()), &lookback);
  if (st < 0) return UsageError(kName, plugins::TakePluginError(ind->id + ": invalid parameters"));

  CsvBars bars;
  std::string error;
  if (!ReadBars(input, ind->vt.input_mask, &bars, &error)) return Fail(1, error);

  // Time order for the computation; the output keeps the file's order.
  const size_t n = bars.ts.size();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return bars.ts[a] < bars.ts[b]; });
  for (size_t i = 1; i < n; ++i) {
    if (bars.ts[order[i]] == bars.ts[order[i - 1]]) {
      return Fail(1, input + ":" + std::to_string(bars.line[order[i]]) + ": timestamp '" +
                         bars.ts_text[order[i]] + "' repeats line " +
                         std::to_string(bars.line[order[i - 1]]));
    }
  }
  auto sorted = [&](const std::vector<double>& col) {
    std::vector<double> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = col[order[i]];
    return out;
  };
  std::vector<int64_t> ts(n);
  for (size_t i = 0; i < n; ++i) ts[i] = bars.ts[order[i]];
  const std::vector<double> o = sorted(bars.open), h = sorted(bars.high), l = sorted(bars.low),
                            c = sorted(bars.close), v = sorted(bars.volume);
  sf_bar_series series{};
  series.struct_size = sizeof(sf_bar_series);
  series.count = static_cast<int64_t>(n);
  series.ts = ts.data();
  series.open = o.data();
  series.high = h.data();
  series.low = l.data();
  series.close = c.data();
  series.volume = v.data();
  const uint32_t k_out = ind->vt.output_count;
  std::vector<std::vector<double>> outs(k_out, std::vector<double>(n));
  std::vector<double*> ptrs;
  for (auto& col : outs) ptrs.push_back(col.data());
  plugins::ClearPluginError();
  st = ind->vt.compute(values.data(), static_cast<uint32_t>(values.size()), &series, ptrs.data(),
                       k_out);
  if (st < 0) return Fail(1, plugins::TakePluginError(ind->id + ": compute failed"));
  std::vector<size_t> rank(n);  // file row -> position in time order
  for (size_t i = 0; i < n; ++i) rank[order[i]] = i;

  std::ofstream file;
  if (!output.empty()) {
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(1, output + ": cannot open the output file for writing");
  }
  std::ostream& out = output.empty() ? std::cout : file;
  std::string text = "timestamp";
  for (const auto& m : ind->metadata.value("outputs", nlohmann::json::array())) {
    text += "," + m.value("name", "");
  }
  text += "\n";
  for (size_t r = 0; r < n; ++r) {
    text += bars.ts_text[r];
    for (uint32_t k = 0; k < k_out; ++k) {
      text += ',';
      text += FormatValue(outs[k][rank[r]]);
    }
    text += '\n';
  }
  out << text;
  out.flush();
  if (!out) return Fail(1, (output.empty() ? std::string("stdout") : output) + ": write failed");
  return 0;
}

const CommandRegistrar kIndicator({"indicator", "Run an indicator over a CSV of bars, or list them",
                                   kUsage, &Run});

}  // namespace
}  // namespace sf::app
