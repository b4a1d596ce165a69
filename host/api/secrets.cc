#include "api/secrets.h"

#include <sodium.h>

#include <mutex>
#include <semaphore>
#include <stdexcept>

namespace sf::api {
namespace {

void InitSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

std::counting_semaphore<kMaxConcurrentHashes>& HashSlots() {
  static std::counting_semaphore<kMaxConcurrentHashes> slots(kMaxConcurrentHashes);
  return slots;
}

struct SlotGuard {
  SlotGuard() { HashSlots().acquire(); }
  ~SlotGuard() { HashSlots().release(); }
};

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
  InitSodium();
  std::string out(
      sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  InitSodium();
  out->assign(text.size(), '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out->data()), out->size(), text.data(),
                        text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return false;
  out->resize(len);
  return true;
}

std::string RandomToken(std::size_t bytes) {
  InitSodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return Base64UrlEncode(raw);
}

std::string Sha256Hex(std::string_view data) {
  InitSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  InitSodium();
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status CheckPasswordRules(std::string_view password) {
  if (password.size() < 10)
    return InvalidArgument("password must be at least 10 characters long");
  if (password.size() > 256) return InvalidArgument("password must be at most 256 bytes long");
  if (password.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return InvalidArgument("password must not be only whitespace");
  return Status::Ok();
}

StatusOr<std::string> HashPassword(std::string_view password, const PasswordCost& cost) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  SlotGuard slot;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops_limit,
                            static_cast<size_t>(cost.mem_limit_kib) * 1024,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Internal("password hashing ran out of memory (api.password.mem_limit_kib)");
  return std::string(out);
}

bool VerifyPassword(std::string_view password, const std::string& encoded) {
  InitSodium();
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  SlotGuard slot;
  return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
}

const std::string& DummyPasswordHash(const PasswordCost& cost) {
  static std::once_flag once;
  static std::string hash;
  std::call_once(once, [&] {
    auto h = HashPassword(RandomToken(24), cost);
    hash = h.ok() ? *h : std::string();
  });
  return hash;
}

}  // namespace sf::api
