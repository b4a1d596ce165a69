// Standard Webhooks signatures (https://www.standardwebhooks.com/):
//   webhook-id:        the delivery's stable id (same on every retry)
//   webhook-timestamp: seconds since the epoch of this attempt
//   webhook-signature: "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))
// The key is the secret's bytes; a secret written "whsec_<base64>" (the
// format this project generates) is the base64-decoded remainder.
//
// Thread-safety: pure functions.
#ifndef SF_NOTIFIERS_SIGNING_H_
#define SF_NOTIFIERS_SIGNING_H_

#include <cstdint>
#include <string>

namespace sf::notifiers {

// Minimum key length the webhook notifier accepts.
inline constexpr size_t kMinSecretBytes = 24;

// The HMAC key of a secret; throws sf::sdk::Error(SF_ERR_INVALID_ARGUMENT)
// for a malformed whsec_ value or a key shorter than kMinSecretBytes.
std::string SigningKey(const std::string& secret);

// "v1,<base64 signature>".
std::string SignatureHeader(const std::string& key, const std::string& id, int64_t timestamp_s,
                            const std::string& body);

std::string Base64(const std::string& bytes);

}  // namespace sf::notifiers

#endif  // SF_NOTIFIERS_SIGNING_H_
