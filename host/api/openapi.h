// The OpenAPI 3.1 document of the API, assembled from the registered
// routes (each route's `openapi` operation fragment, its pattern, tier,
// scope and request schema) plus the shared components: the security
// schemes (bearer JWT, API key) and the Problem schema every error uses.
// There is no hand-kept monolith: a route is documented where it is
// declared.
//
// Thread-safety: a pure function.
#ifndef SF_API_OPENAPI_H_
#define SF_API_OPENAPI_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/router.h"

namespace sf::api {

nlohmann::json BuildOpenApi(const std::vector<Route>& routes, const std::string& version);

// "GET /api/v1/watchlists/{id}" -> "getWatchlistsById" style operation id
// (unique per route; used when a fragment gives none).
std::string OperationId(const Route& route);

}  // namespace sf::api

#endif  // SF_API_OPENAPI_H_
