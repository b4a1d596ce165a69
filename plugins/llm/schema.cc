#include "schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sf::llm {

namespace {

using nlohmann::json;

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
  return s;
}

std::string Shown(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

const std::vector<std::string> kSeverity = {"minor", "moderate", "severe"};
const std::vector<std::string> kHorizon = {"days", "quarters", "permanent"};

}  // namespace

const std::vector<std::string>& EventTypes() {
  static const std::vector<std::string> kTypes = {
      "earnings",  "guidance",        "analyst_rating", "merger_acquisition", "product",
      "regulatory", "legal",          "management",     "macro",              "supply_chain",
      "dividend_buyback", "bankruptcy", "labor",        "other"};
  return kTypes;
}

std::string SystemPrompt() {
  return "You classify one financial news headline. Answer with a single JSON object and "
         "nothing else, with exactly these fields:\n"
         "\"event_type\": one of " + Join(EventTypes()) + ";\n"
         "\"severity\": one of minor, moderate, severe;\n"
         "\"time_horizon\": one of days, quarters, permanent (how long the effect lasts);\n"
         "\"company_specific\": true if it concerns one company, false if market- or "
         "sector-wide;\n"
         "\"revenue_impact_pct\": estimated effect on the company's revenue in percent, "
         "-100..100, 0 when unknown;\n"
         "\"earnings_impact_pct\": estimated effect on earnings in percent, -100..100, 0 when "
         "unknown;\n"
         "\"credibility\": 0..1, how credible the report is;\n"
         "\"novelty\": 0..1, how new the information is to the market.";
}

std::string StripFences(std::string_view content) {
  auto trim = [](std::string_view s) {
    const char* ws = " \t\r\n";
    const size_t a = s.find_first_not_of(ws);
    if (a == std::string_view::npos) return std::string_view();
    const size_t b = s.find_last_not_of(ws);
    return s.substr(a, b - a + 1);
  };
  std::string_view s = trim(content);
  if (s.substr(0, 3) == "```") {
    const size_t nl = s.find('\n');
    const size_t close = s.rfind("```");
    if (nl != std::string_view::npos && close != std::string_view::npos && close > nl) {
      s = trim(s.substr(nl + 1, close - nl - 1));
    }
  }
  return std::string(s);
}

bool ValidateAnalysis(std::string_view content, json* out, std::string* error) {
  json v;
  try {
    v = json::parse(StripFences(content));
  } catch (const json::exception&) {
    std::string shown(content.substr(0, 80));
    *error = "model output is not JSON: \"" + shown + (content.size() > 80 ? "...\"" : "\"");
    return false;
  }
  if (!v.is_object()) {
    *error = "model output must be a JSON object, got " + Shown(v);
    return false;
  }
  json r = json::object();
  auto need = [&](const char* field) -> const json* {
    if (!v.contains(field)) {
      *error = std::string("field '") + field + "' is missing from the model output";
      return nullptr;
    }
    return &v[field];
  };
  auto one_of = [&](const char* field, const std::vector<std::string>& allowed) {
    const json* f = need(field);
    if (f == nullptr) return false;
    if (!f->is_string() ||
        std::find(allowed.begin(), allowed.end(), f->get<std::string>()) == allowed.end()) {
      *error = std::string("field '") + field + "' must be one of " + Join(allowed) + " (got " +
               Shown(*f) + ")";
      return false;
    }
    r[field] = *f;
    return true;
  };
  auto number_in = [&](const char* field, double lo, double hi) {
    const json* f = need(field);
    if (f == nullptr) return false;
    if (!f->is_number() || !(f->get<double>() >= lo && f->get<double>() <= hi)) {
      char range[64];
      std::snprintf(range, sizeof range, "[%g, %g]", lo, hi);
      *error = std::string("field '") + field + "' must be a number in " + range + " (got " +
               Shown(*f) + ")";
      return false;
    }
    r[field] = f->get<double>();
    return true;
  };
  if (!one_of("event_type", EventTypes())) return false;
  if (!one_of("severity", kSeverity)) return false;
  if (!one_of("time_horizon", kHorizon)) return false;
  const json* cs = need("company_specific");
  if (cs == nullptr) return false;
  if (!cs->is_boolean()) {
    *error = "field 'company_specific' must be true or false (got " + Shown(*cs) + ")";
    return false;
  }
  r["company_specific"] = *cs;
  if (!number_in("revenue_impact_pct", -100, 100)) return false;
  if (!number_in("earnings_impact_pct", -100, 100)) return false;
  if (!number_in("credibility", 0, 1)) return false;
  if (!number_in("novelty", 0, 1)) return false;
  *out = std::move(r);
  return true;
}

}  // namespace sf::llm
