// Account routes: register, login, refresh, logout (under /api/v1/auth).
// Login and register share the stricter per-IP "auth" rate limit; a login
// for an unknown email costs the same Argon2id work as one for a known
// email, and every failure answers the same 401, so the route does not tell
// which emails have accounts.
#include <nlohmann/json.hpp>

#include "api/platform.h"
#include "api/router.h"
#include "api/secrets.h"
#include "store/refresh_tokens_repository.h"
#include "store/users_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

const json kCredentials = {
    {"type", "object"},
    {"additionalProperties", false},
    {"required", {"email", "password"}},
    {"properties",
     {{"email",
       {{"type", "string"},
        {"minLength", 3},
        {"maxLength", 254},
        {"pattern", "^[^@\\s]+@[^@\\s]+$"},
        {"description", "The account's email address."}}},
      {"password", {{"type", "string"}, {"minLength", 1}, {"maxLength", 256}}}}}};

const json kRefreshBody = {{"type", "object"},
                           {"additionalProperties", false},
                           {"required", {"refresh_token"}},
                           {"properties",
                            {{"refresh_token",
                              {{"type", "string"}, {"minLength", 1}, {"maxLength", 256}}}}}};

const json kTokens = {{"type", "object"},
                      {"required", {"access_token", "refresh_token", "token_type", "expires_in"}},
                      {"properties",
                       {{"access_token", {{"type", "string"}}},
                        {"refresh_token", {{"type", "string"}}},
                        {"token_type", {{"const", "Bearer"}}},
                        {"expires_in", {{"type", "integer"}}}}}};

json TokensResponse(const char* what) {
  return {{"200",
           {{"description", what},
            {"content", {{"application/json", {{"schema", kTokens}}}}}}}};
}

ApiError BadCredentials() {
  ApiError e(401, "invalid_credentials", "the email or the password is wrong");
  return e;
}

ApiResponse Register(ApiRequest& r) {
  const ApiPlatform& p = *r.platform;
  if (!p.options().registration_open)
    throw Forbidden("self-service registration is closed on this server (api.registration_open)");
  const json& body = r.Json();
  const std::string email = body.at("email").get<std::string>();
  const std::string password = body.at("password").get<std::string>();
  Status rules = CheckPasswordRules(password);
  if (!rules.ok()) throw BadRequest(rules.message(), "/password");
  auto hash = HashPassword(password, p.options().password);
  if (!hash.ok()) throw StoreError(hash.status());
  store::UsersRepository users(r.pool);
  auto user = users.Create(email, *hash, "free");
  if (!user.ok()) {
    if (user.status().code() == SF_ERR_CONFLICT)
      throw ApiError(409, "email_taken", "an account with this email already exists", "/email");
    throw StoreError(user.status());
  }
  return ApiResponse::Created(
      {{"id", user->id}, {"email", user->email}, {"tier", user->tier}, {"created_at", user->created_at}});
}

ApiResponse Login(ApiRequest& r) {
  ApiPlatform& p = *r.platform;
  const json& body = r.Json();
  const std::string email = body.at("email").get<std::string>();
  const std::string password = body.at("password").get<std::string>();
  store::UsersRepository users(r.pool);
  auto user = users.FindByEmail(email);
  if (!user.ok()) throw StoreError(user.status());
  if (!*user || !(*user)->password_hash) {
    (void)VerifyPassword(password, DummyPasswordHash(p.options().password));
    throw BadCredentials();
  }
  if (!VerifyPassword(password, *(*user)->password_hash)) throw BadCredentials();
  if ((*user)->status != "active") throw BadCredentials();
  return {.body = p.IssueTokens((*user)->id)};
}

ApiResponse Refresh(ApiRequest& r) {
  ApiPlatform& p = *r.platform;
  const std::string old_token = r.Json().at("refresh_token").get<std::string>();
  const std::string next = RandomToken(32);
  store::RefreshTokensRepository tokens(r.pool);
  auto user_id = tokens.Rotate(Sha256Hex(old_token), Sha256Hex(next), p.options().refresh_ttl_s);
  if (!user_id.ok()) {
    if (user_id.status().code() == SF_ERR_PERMISSION)
      throw ApiError(401, "invalid_refresh_token", user_id.status().message());
    throw StoreError(user_id.status());
  }
  store::UsersRepository users(r.pool);
  auto user = users.FindById(*user_id);
  if (!user.ok()) throw StoreError(user.status());
  if (!*user || (*user)->status != "active") {
    (void)tokens.RevokeAllForUser(*user_id);
    throw ApiError(401, "invalid_refresh_token", "the account of this token is not active");
  }
  return {.body = {{"access_token", p.IssueAccessToken(*user_id)},
                   {"refresh_token", next},
                   {"token_type", "Bearer"},
                   {"expires_in", p.options().jwt.access_ttl_s}}};
}

ApiResponse Logout(ApiRequest& r) {
  const std::string token = r.Json().at("refresh_token").get<std::string>();
  store::RefreshTokensRepository tokens(r.pool);
  auto revoked = tokens.Revoke(r.User().user_id, Sha256Hex(token));
  if (!revoked.ok()) throw StoreError(revoked.status());
  if (!*revoked) throw NotFoundError("no live refresh token of this account matches");
  return ApiResponse::NoContent();
}

const RouteRegistrar kAuthRoutes({
    {.method = "POST",
     .pattern = "/api/v1/auth/register",
     .auth = false,
     .request_schema = kCredentials,
     .openapi = {{"summary", "Create an account (free tier)"},
                 {"tags", {"auth"}},
                 {"responses",
                  {{"201", {{"description", "The account was created."}}},
                   {"409", {{"$ref", "#/components/responses/Conflict"}}}}}},
     .handler = &Register,
     .rate_class = "auth"},
    {.method = "POST",
     .pattern = "/api/v1/auth/login",
     .auth = false,
     .request_schema = kCredentials,
     .openapi = {{"summary", "Exchange email and password for tokens"},
                 {"tags", {"auth"}},
                 {"responses", TokensResponse("An access token and a refresh token.")}},
     .handler = &Login,
     .rate_class = "auth"},
    {.method = "POST",
     .pattern = "/api/v1/auth/refresh",
     .auth = false,
     .request_schema = kRefreshBody,
     .openapi = {{"summary", "Rotate a refresh token into a new token pair"},
                 {"description",
                  "The presented refresh token is consumed; presenting it again revokes every "
                  "token rotated from the same login."},
                 {"tags", {"auth"}},
                 {"responses", TokensResponse("A new access token and refresh token.")}},
     .handler = &Refresh,
     .rate_class = "auth"},
    {.method = "POST",
     .pattern = "/api/v1/auth/logout",
     .request_schema = kRefreshBody,
     .openapi = {{"summary", "Revoke a refresh token (and its rotations)"},
                 {"tags", {"auth"}},
                 {"responses", {{"204", {{"description", "Revoked."}}}}}},
     .handler = &Logout},
});

}  // namespace
}  // namespace sf::api
