#include "api/routes_common.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>

namespace sf::api {

ApiError ErrorFromStatus(const Status& status, const std::string& field) {
  switch (status.code()) {
    case SF_ERR_NOT_FOUND:
      return NotFoundError(status.message());
    case SF_ERR_INVALID_ARGUMENT:
    case SF_ERR_BAD_DATA:
      return field.empty() ? BadRequest(status.message()) : Unprocessable(status.message(), field);
    case SF_ERR_CONFLICT:
      return ConflictError(status.message(), field);
    case SF_ERR_PERMISSION:
      return Forbidden(status.message());
    case SF_ERR_UNAVAILABLE:
    case SF_ERR_TIMEOUT:
      return ServiceUnavailable(status.message());
    default:
      // Internal errors carry SQL and plugin detail: logged by the platform
      // from what(), never shown to the client.
      return ApiError(500, "internal", "internal error");
  }
}

void OkOrThrow(const Status& s, const std::string& field) {
  if (!s.ok()) throw ErrorFromStatus(s, field);
}

std::string IsoTime(int64_t micros) {
  int64_t secs = micros / 1'000'000;
  int64_t frac = micros % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (frac != 0) n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(frac));
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

std::optional<int64_t> ParseIsoTime(const std::string& text) {
  static const std::regex kRe(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, kRe)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  if (m[4].matched) {
    tm.tm_hour = std::stoi(m[4]);
    tm.tm_min = std::stoi(m[5]);
    if (m[6].matched) tm.tm_sec = std::stoi(m[6]);
  }
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  int64_t secs = timegm(&tm);
  int64_t micros = secs * 1'000'000;
  if (m[7].matched) {
    std::string f = m[7];
    f.resize(6, '0');
    micros += std::stoll(f);
  }
  if (m[8].matched && m[8] != "Z") {
    std::string z = m[8];
    int64_t off = (std::stoi(z.substr(1, 2)) * 60 + std::stoi(z.substr(4, 2))) * 60;
    micros -= (z[0] == '-' ? -off : off) * 1'000'000;
  }
  return micros;
}

std::optional<int64_t> QueryTime(const ApiRequest& r, const std::string& name) {
  auto v = r.Query(name);
  if (!v) return std::nullopt;
  auto t = ParseIsoTime(*v);
  if (!t) {
    throw BadRequest("query parameter '" + name +
                         "' must be a date (2024-03-01) or an RFC 3339 time (2024-03-01T14:30:00Z), got '" +
                         v->substr(0, 64) + "'",
                     name);
  }
  return t;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool SignalVisibleTo(const Principal& who, const std::string& status, int64_t created_at,
                     int64_t now_us) {
  if (TierAtLeast(who.tier, Tier::kPremium)) return true;
  return status != "active" && created_at <= now_us - kFreeDelayMicros;
}

nlohmann::json SignalJson(const store::SignalRow& s) {
  return {{"id", s.id},
          {"strategy", s.strategy},
          {"strategy_version", s.strategy_version},
          {"symbol", s.symbol},
          {"side", s.side},
          {"timeframe", s.timeframe},
          {"bar_ts", IsoTime(s.bar_ts)},
          {"created_at", IsoTime(s.created_at)},
          {"updated_at", IsoTime(s.updated_at)},
          {"expires_at", TimeOrNull(s.expires_at)},
          {"status", s.status},
          {"confidence", s.confidence},
          {"entry_price", s.entry_price},
          {"current_price", s.current_price},
          {"target_price", OrNull(s.target_price)},
          {"stop_price", OrNull(s.stop_price)},
          {"risk_reward", OrNull(s.risk_reward)},
          {"position_size_pct", OrNull(s.position_size_pct)},
          {"max_risk_pct", OrNull(s.max_risk_pct)},
          {"exit_price", OrNull(s.exit_price)},
          {"exit_at", TimeOrNull(s.exit_at)},
          {"exit_reason", OrNull(s.exit_reason)},
          {"realized_pnl_pct", OrNull(s.realized_pnl_pct)},
          {"summary", s.summary}};
}

nlohmann::json ObjectSchema(nlohmann::json properties, std::vector<std::string> required) {
  nlohmann::json s = {{"type", "object"},
                      {"additionalProperties", false},
                      {"properties", std::move(properties)}};
  if (!required.empty()) s["required"] = required;
  return s;
}

nlohmann::json Operation(const std::string& summary, const std::string& tag, int success,
                         const std::string& description, std::vector<QueryParamDoc> query,
                         nlohmann::json schema) {
  nlohmann::json response = {{"description", description}};
  if (!schema.is_null()) response["content"] = {{"application/json", {{"schema", schema}}}};
  nlohmann::json op = {{"summary", summary},
                       {"tags", {tag}},
                       {"responses", {{std::to_string(success), response}}}};
  if (!query.empty()) {
    nlohmann::json params = nlohmann::json::array();
    for (auto& q : query) {
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", false},
                        {"schema", q.schema},
                        {"description", q.description}});
    }
    op["parameters"] = params;
  }
  return op;
}

}  // namespace sf::api
