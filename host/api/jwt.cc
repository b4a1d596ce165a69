#include "api/jwt.h"

#include <nlohmann/json.hpp>

#include "api/secrets.h"

namespace sf::api {

using nlohmann::json;

StatusOr<JwtCodec> JwtCodec::Create(JwtOptions options) {
  if (options.secret.empty())
    return InvalidArgument(
        "no JWT secret is configured: set SIGNALFORGE_JWT_SECRET (config /auth/jwt_secret) to at "
        "least 32 random bytes, e.g. `openssl rand -base64 48`");
  if (options.secret.size() < kMinJwtSecretBytes)
    return InvalidArgument("the JWT secret (SIGNALFORGE_JWT_SECRET, config /auth/jwt_secret) is " +
                           std::to_string(options.secret.size()) +
                           " bytes; at least 32 random bytes are required");
  if (options.leeway_s < 0 || options.leeway_s > kMaxLeewaySeconds)
    return InvalidArgument("api.jwt.leeway_s must be between 0 and 60 seconds");
  if (options.access_ttl_s <= 0) return InvalidArgument("api.jwt.access_ttl_s must be positive");
  return JwtCodec(std::move(options));
}

std::string JwtCodec::SignRaw(std::string_view header_json, std::string_view payload_json) const {
  std::string signing_input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  const std::string mac = HmacSha256(options_.secret, signing_input);
  return signing_input + "." + Base64UrlEncode(mac);
}

std::string JwtCodec::Issue(int64_t user_id, int64_t now_s) const {
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  const json payload = {{"iss", options_.issuer},
                        {"aud", options_.audience},
                        {"sub", std::to_string(user_id)},
                        {"iat", now_s},
                        {"nbf", now_s},
                        {"exp", now_s + options_.access_ttl_s},
                        {"jti", RandomToken(12)}};
  return SignRaw(header.dump(), payload.dump());
}

namespace {

Status Reject(const std::string& why) { return PermissionDenied("invalid access token: " + why); }

// A NumericDate (RFC 7519 section 2): a JSON number; fractions truncate.
bool ReadTime(const json& payload, const char* name, int64_t* out) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number()) return false;
  const double v = it->get<double>();
  if (!(v > -1e15 && v < 1e15)) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

}  // namespace

StatusOr<JwtClaims> JwtCodec::Verify(std::string_view token, int64_t now_s) const {
  if (token.empty()) return Reject("empty");
  if (token.size() > kMaxTokenBytes)
    return Reject("longer than " + std::to_string(kMaxTokenBytes) + " bytes");
  const size_t d1 = token.find('.');
  const size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos ||
      token.find('.', d2 + 1) != std::string_view::npos)
    return Reject("a JWT has exactly three dot-separated segments");
  const std::string_view h64 = token.substr(0, d1), p64 = token.substr(d1 + 1, d2 - d1 - 1),
                         s64 = token.substr(d2 + 1);
  std::string header_text, payload_text, signature;
  if (h64.empty() || !Base64UrlDecode(h64, &header_text))
    return Reject("the header is not base64url");
  const json header = json::parse(header_text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return Reject("the header is not a JSON object");
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Reject("the header has no alg");
  if (*alg != "HS256")
    return Reject("alg '" + alg->get<std::string>().substr(0, 16) +
                  "' is not allowed (only HS256)");
  if (header.contains("crit")) return Reject("critical header extensions are not supported");
  if (auto typ = header.find("typ"); typ != header.end() && (!typ->is_string() || *typ != "JWT"))
    return Reject("typ must be JWT");
  if (s64.empty() || !Base64UrlDecode(s64, &signature)) return Reject("the signature is not base64url");
  const std::string expected = HmacSha256(options_.secret, token.substr(0, d2));
  if (!ConstantTimeEquals(signature, expected)) return Reject("bad signature");

  // Signature good: the payload is ours, but still check every claim.
  if (p64.empty() || !Base64UrlDecode(p64, &payload_text))
    return Reject("the payload is not base64url");
  const json payload = json::parse(payload_text, nullptr, false);
  if (payload.is_discarded() || !payload.is_object())
    return Reject("the payload is not a JSON object");
  JwtClaims claims;
  if (!ReadTime(payload, "exp", &claims.exp)) return Reject("exp is required");
  if (now_s > claims.exp + options_.leeway_s) return Reject("token expired");
  int64_t nbf = 0;
  if (payload.contains("nbf") && !ReadTime(payload, "nbf", &nbf)) return Reject("nbf is not a time");
  if (payload.contains("nbf") && now_s + options_.leeway_s < nbf)
    return Reject("token not valid yet (nbf)");
  if (payload.contains("iat")) {
    if (!ReadTime(payload, "iat", &claims.iat)) return Reject("iat is not a time");
    if (claims.iat > now_s + options_.leeway_s) return Reject("token issued in the future (iat)");
  }
  auto iss = payload.find("iss");
  if (iss == payload.end() || !iss->is_string() || *iss != options_.issuer)
    return Reject("wrong issuer");
  auto aud = payload.find("aud");
  bool aud_ok = false;
  if (aud != payload.end() && aud->is_string()) aud_ok = *aud == options_.audience;
  if (aud != payload.end() && aud->is_array())
    for (const auto& a : *aud) aud_ok = aud_ok || (a.is_string() && a == options_.audience);
  if (!aud_ok) return Reject("wrong audience");
  auto sub = payload.find("sub");
  if (sub == payload.end() || !sub->is_string()) return Reject("sub is required");
  const std::string& s = sub->get_ref<const std::string&>();
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos ||
      s[0] == '0')
    return Reject("sub is not a user id");
  claims.user_id = std::stoll(s);
  if (auto jti = payload.find("jti"); jti != payload.end() && jti->is_string())
    claims.jti = jti->get<std::string>();
  return claims;
}

}  // namespace sf::api
