#include "api/openapi.h"

#include <cctype>

namespace sf::api {

using nlohmann::json;

std::string OperationId(const Route& route) {
  std::string id;
  for (char c : route.method) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool upper = true;
  std::string_view p = route.pattern;
  if (p.starts_with("/api/v1")) p.remove_prefix(7);
  for (char c : p) {
    if (c == '{') {
      id += "By";
      upper = true;
      continue;
    }
    if (c == '}') {
      upper = true;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    id += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return id;
}

namespace {

json ProblemRef(const std::string& description) {
  return {{"description", description},
          {"content",
           {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

json Components() {
  return {
      {"securitySchemes",
       {{"bearerAuth",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"bearerFormat", "JWT"},
          {"description",
           "An access token from POST /api/v1/auth/login, or an API key (sfk_...) as the bearer "
           "token."}}},
        {"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}}},
      {"schemas",
       {{"Problem",
         {{"type", "object"},
          {"description", "RFC 9457 problem details with a stable machine-readable code."},
          {"required", {"type", "title", "status", "code", "detail"}},
          {"properties",
           {{"type", {{"type", "string"}}},
            {"title", {{"type", "string"}}},
            {"status", {{"type", "integer"}}},
            {"code", {{"type", "string"}, {"examples", {"not_found", "invalid_argument"}}}},
            {"detail", {{"type", "string"}}},
            {"field", {{"type", "string"}}}}}}}}},
      {"headers",
       {{"RateLimit-Limit", {{"schema", {{"type", "integer"}}}, {"description", "Bucket size."}}},
        {"RateLimit-Remaining",
         {{"schema", {{"type", "integer"}}}, {"description", "Requests left in the bucket."}}},
        {"RateLimit-Reset",
         {{"schema", {{"type", "integer"}}},
          {"description", "Seconds until the bucket is full again."}}},
        {"Retry-After", {{"schema", {{"type", "integer"}}}, {"description", "Seconds to wait."}}}}},
      {"responses",
       {{"BadRequest", ProblemRef("The request broke a rule; `field` names the input.")},
        {"Unauthorized", ProblemRef("No valid access token or API key.")},
        {"Forbidden", ProblemRef("The caller's tier or key scope does not allow this.")},
        {"NotFound", ProblemRef("No such resource (or not yours).")},
        {"Conflict", ProblemRef("The change conflicts with the current state.")},
        {"TooLarge", ProblemRef("The body is larger than the limit.")},
        {"TooManyRequests",
         {{"description", "Rate limited; retry after Retry-After seconds."},
          {"headers", {{"Retry-After", {{"$ref", "#/components/headers/Retry-After"}}}}},
          {"content",
           {{"application/problem+json",
             {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}}},
        {"Internal", ProblemRef("The server failed.")}}}};
}

}  // namespace

json BuildOpenApi(const std::vector<Route>& routes, const std::string& version) {
  json doc = {{"openapi", "3.1.0"},
              {"info",
               {{"title", "Signalforge API"},
                {"version", version},
                {"description",
                 "Trading signals, performance, market data and accounts. Tiers: free, premium, "
                 "pro, admin; each operation states the lowest tier it needs in x-min-tier."}}},
              {"servers", json::array({{{"url", "/"}}})},
              {"paths", json::object()},
              {"components", Components()}};
  for (const auto& r : routes) {
    json op = r.openapi.is_object() ? r.openapi : json::object();
    if (!op.contains("summary")) op["summary"] = r.method + " " + r.pattern;
    if (!op.contains("operationId")) op["operationId"] = OperationId(r);
    op["x-min-tier"] = std::string(TierName(r.min_tier));
    if (!r.scope.empty()) op["x-api-key-scope"] = r.scope;
    if (r.upgrade) op["x-websocket"] = true;
    if (!r.auth) {
      op["security"] = json::array();
    } else if (!op.contains("security")) {
      op["security"] = json::array({{{"bearerAuth", json::array()}}, {{"apiKey", json::array()}}});
    }
    // Path parameters from the pattern, unless the fragment declares them.
    json params = op.value("parameters", json::array());
    size_t pos = 0;
    while ((pos = r.pattern.find('{', pos)) != std::string::npos) {
      const size_t end = r.pattern.find('}', pos);
      const std::string name = r.pattern.substr(pos + 1, end - pos - 1);
      pos = end;
      bool declared = false;
      for (const auto& p : params)
        declared = declared || (p.value("in", "") == "path" && p.value("name", "") == name);
      if (!declared)
        params.push_back({{"name", name},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (!r.request_schema.is_null() && !op.contains("requestBody"))
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", r.request_schema}}}}}};
    json& responses = op["responses"];
    if (!responses.is_object()) responses = json::object();
    if (responses.empty()) responses["200"] = {{"description", "OK"}};
    const auto add = [&](const char* code, const char* ref) {
      if (!responses.contains(code))
        responses[code] = {{"$ref", std::string("#/components/responses/") + ref}};
    };
    add("400", "BadRequest");
    if (r.auth) {
      add("401", "Unauthorized");
      add("403", "Forbidden");
    }
    if (r.pattern.find('{') != std::string::npos) add("404", "NotFound");
    if (!r.request_schema.is_null()) add("413", "TooLarge");
    add("429", "TooManyRequests");
    add("500", "Internal");
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    doc["paths"][r.pattern][method] = std::move(op);
  }
  return doc;
}

}  // namespace sf::api
