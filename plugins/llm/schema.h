// The news-analysis answer the LLM must give, and its validation.
//
//   {"event_type": one of kEventTypes,
//    "severity": "minor" | "moderate" | "severe",
//    "time_horizon": "days" | "quarters" | "permanent",
//    "company_specific": true | false,
//    "revenue_impact_pct": number in [-100, 100],
//    "earnings_impact_pct": number in [-100, 100],
//    "credibility": number in [0, 1],
//    "novelty": number in [0, 1]}
// Extra fields are dropped. Pure functions: thread-safe.
#ifndef SF_PLUGINS_LLM_SCHEMA_H_
#define SF_PLUGINS_LLM_SCHEMA_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sf::llm {

const std::vector<std::string>& EventTypes();

// The system prompt that tells the model the schema above.
std::string SystemPrompt();

// Removes a surrounding markdown code fence (```json ... ```), and leading /
// trailing whitespace; other text is returned unchanged.
std::string StripFences(std::string_view content);

// Parses and validates model output. On success returns true and sets *out
// to the normalised object (only schema fields). On failure *error names the
// field and the rule ("field 'severity' must be one of minor, moderate,
// severe (got \"huge\")") or says the output is not a JSON object.
bool ValidateAnalysis(std::string_view content, nlohmann::json* out, std::string* error);

}  // namespace sf::llm

#endif  // SF_PLUGINS_LLM_SCHEMA_H_
