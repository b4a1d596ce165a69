#include "signing.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include <sstream>

#include "signalforge/signalforge.hpp"

namespace sf::notifiers {
namespace {

// Poco's HMACEngine wants the block size and digest length as statics.
class Sha256 : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

}  // namespace

std::string Base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return out.str();
}

std::string SigningKey(const std::string& secret) {
  std::string key = secret;
  if (secret.rfind("whsec_", 0) == 0) {
    key.clear();
    try {
      std::istringstream in(secret.substr(6));
      Poco::Base64Decoder dec(in);
      key.assign(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
      key.clear();
    }
    if (key.empty())
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           "webhook secret: \"whsec_\" must be followed by base64 bytes");
  }
  if (key.size() < kMinSecretBytes)
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                         "webhook secret: needs at least " + std::to_string(kMinSecretBytes) +
                             " bytes of key, got " + std::to_string(key.size()));
  return key;
}

std::string SignatureHeader(const std::string& key, const std::string& id, int64_t timestamp_s,
                            const std::string& body) {
  Poco::HMACEngine<Sha256> hmac(key);
  hmac.update(id);
  hmac.update('.');
  hmac.update(std::to_string(timestamp_s));
  hmac.update('.');
  hmac.update(body);
  const Poco::DigestEngine::Digest& d = hmac.digest();
  return "v1," + Base64(std::string(d.begin(), d.end()));
}

}  // namespace sf::notifiers
