// Small cryptographic helpers of the API (libsodium underneath): random
// tokens, SHA-256 digests of credentials, base64url, constant-time compare,
// and Argon2id password hashing.
//
// Passwords are hashed with Argon2id (crypto_pwhash_str_alg); the encoded
// string carries its own salt and cost parameters, so raising the cost
// later keeps old hashes verifiable. Hashing is memory-hard on purpose: at
// most kMaxConcurrentHashes run at once, the rest wait, so a burst of
// logins cannot exhaust memory.
//
// Thread-safety: every function is thread-safe (sodium_init() runs once).
#ifndef SF_API_SECRETS_H_
#define SF_API_SECRETS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sf::api {

// `bytes` random bytes, base64url without padding.
std::string RandomToken(std::size_t bytes);
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// HMAC-SHA-256 of `data` under `key` (raw 32 bytes).
std::string HmacSha256(std::string_view key, std::string_view data);
std::string Base64UrlEncode(std::string_view data);
// False when `text` is not unpadded base64url.
bool Base64UrlDecode(std::string_view text, std::string* out);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

struct PasswordCost {
  uint64_t ops_limit = 2;           // Argon2id passes
  uint64_t mem_limit_kib = 65536;   // memory per hash
};

inline constexpr int kMaxConcurrentHashes = 4;

// Password rules: 10..256 bytes of UTF-8, not only whitespace. The error
// names the rule.
Status CheckPasswordRules(std::string_view password);
StatusOr<std::string> HashPassword(std::string_view password, const PasswordCost& cost);
// True when `password` matches `encoded` (an Argon2id string). Takes as long
// as hashing whatever the outcome.
bool VerifyPassword(std::string_view password, const std::string& encoded);
// A hash to verify against when the account does not exist, so a login for
// an unknown email costs the same time as one for a known email.
const std::string& DummyPasswordHash(const PasswordCost& cost);

}  // namespace sf::api

#endif  // SF_API_SECRETS_H_
