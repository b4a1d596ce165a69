// JSON Web Tokens (RFC 7519) for API access tokens: HS256 only, issued and
// verified with one shared secret.
//
// Verification is strict and fails closed: exactly three base64url segments
// within kMaxTokenBytes; a JSON object header whose "alg" is exactly
// "HS256" (the allow-list: "none" in any case, RS256/ES256 and friends are
// refused before any signature work, which rules out algorithm confusion);
// no "crit" header; the HMAC compared in constant time; a JSON object
// payload with a numeric "exp" (required), optional numeric "nbf"/"iat",
// "iss" equal to the configured issuer, "aud" (string or array) containing
// the configured audience and "sub" a positive user id. Times allow at most
// `leeway_s` (capped at 60 s) of clock skew.
//
// Thread-safety: immutable after construction; Issue/Verify are
// thread-safe.
#ifndef SF_API_JWT_H_
#define SF_API_JWT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sf::api {

inline constexpr std::size_t kMinJwtSecretBytes = 32;
inline constexpr std::size_t kMaxTokenBytes = 4096;
inline constexpr int64_t kMaxLeewaySeconds = 60;

struct JwtOptions {
  std::string secret;  // >= kMinJwtSecretBytes
  std::string issuer = "signalforge";
  std::string audience = "signalforge-api";
  int64_t access_ttl_s = 900;
  int64_t leeway_s = 30;
};

struct JwtClaims {
  int64_t user_id = 0;
  std::string jti;
  int64_t iat = 0;
  int64_t exp = 0;
};

class JwtCodec {
 public:
  // InvalidArgument when the secret is missing or shorter than 32 bytes, or
  // the leeway exceeds 60 s.
  static StatusOr<JwtCodec> Create(JwtOptions options);

  // A signed access token for `user_id`, valid from `now_s` for access_ttl_s.
  std::string Issue(int64_t user_id, int64_t now_s) const;
  // The claims of a valid token, or PermissionDenied naming the first rule
  // the token broke ("token expired", "alg 'none' is not allowed"...).
  StatusOr<JwtClaims> Verify(std::string_view token, int64_t now_s) const;
  // Signs arbitrary header/payload JSON text with this codec's secret (tests
  // build hostile tokens with it).
  std::string SignRaw(std::string_view header_json, std::string_view payload_json) const;

  const JwtOptions& options() const { return options_; }

 private:
  explicit JwtCodec(JwtOptions o) : options_(std::move(o)) {}
  JwtOptions options_;
};

}  // namespace sf::api

#endif  // SF_API_JWT_H_
