// Helpers every resource route file (routes_*.cc) shares: turning a store
// Status into the API's problem response (one table, not per handler), time
// and JSON conversions, tier visibility of signals, and small builders for
// request schemas and OpenAPI fragments.
//
// Thread-safety: free functions without state; safe from any thread.
#ifndef SF_API_ROUTES_COMMON_H_
#define SF_API_ROUTES_COMMON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "base/status.h"
#include "store/signal_queries_repository.h"

namespace sf::api {

// The API error for a non-OK status: not_found -> 404, invalid_argument /
// bad_data -> 400 (422 for a body value breaking a rule), conflict -> 409,
// permission -> 403, unavailable / timeout -> 503, anything else -> 500
// (detail not leaked). `field` names the input when known.
ApiError ErrorFromStatus(const Status& status, const std::string& field = "");

// Returns the value or throws ErrorFromStatus.
template <typename T>
T ValueOrThrow(StatusOr<T> v, const std::string& field = "") {
  if (!v.ok()) throw ErrorFromStatus(v.status(), field);
  return std::move(v).value();
}
void OkOrThrow(const Status& s, const std::string& field = "");

// "2024-03-01T14:30:00Z" (microseconds shown only when non-zero).
std::string IsoTime(int64_t micros);
// Accepts "2024-03-01", "2024-03-01T14:30:00Z", "...+02:00", fractions;
// nullopt when the text is none of those.
std::optional<int64_t> ParseIsoTime(const std::string& text);
// The query parameter `name` as a time (400 naming it when malformed).
std::optional<int64_t> QueryTime(const ApiRequest& r, const std::string& name);
int64_t NowMicros();
// An optional as JSON (null when empty).
template <typename T>
nlohmann::json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
inline nlohmann::json TimeOrNull(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(IsoTime(*v)) : nlohmann::json(nullptr);
}

// How long a free account waits before it may see a closed signal.
inline constexpr int64_t kFreeDelayMicros = 24LL * 3600 * 1'000'000;

// Tier rule for signals: premium and above see every signal in real time;
// free sees only closed signals created more than 24 h ago.
bool SignalVisibleTo(const Principal& who, const std::string& status, int64_t created_at,
                     int64_t now_us);

nlohmann::json SignalJson(const store::SignalRow& s);

// Request-schema builders: an object with exactly `properties`
// (additionalProperties false) and the `required` names.
nlohmann::json ObjectSchema(nlohmann::json properties, std::vector<std::string> required = {});

// An OpenAPI operation: summary, tag, a 2xx response described by
// `description` (and `schema` when given), query parameters (name, schema,
// description).
struct QueryParamDoc {
  std::string name;
  nlohmann::json schema;
  std::string description;
};
nlohmann::json Operation(const std::string& summary, const std::string& tag, int success,
                         const std::string& description, std::vector<QueryParamDoc> query = {},
                         nlohmann::json schema = nullptr);

}  // namespace sf::api

#endif  // SF_API_ROUTES_COMMON_H_
