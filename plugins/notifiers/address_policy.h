// SSRF guard for user-supplied destination URLs (webhook, slack, discord).
//
// Vet() parses a URL strictly, refuses what could smuggle a request to an
// internal service, resolves the host ONCE and checks every address it
// resolved to; the caller then connects to the returned address (never
// resolving again, so a DNS answer cannot change between check and use).
//
// Refused unless an operator allow-list network contains the address:
//   - schemes other than http/https (https only when require_https);
//   - userinfo ("user@host"), backslashes, control characters, whitespace
//     and percent-escapes in the authority;
//   - IPv4 in any form but canonical dotted-quad (decimal "2130706433",
//     octal "0177.0.0.1", hex "0x7f.0.0.1", shortened "127.1");
//   - loopback, "this network" 0/8, private (10/8, 172.16/12, 192.168/16),
//     CGNAT 100.64/10, link-local 169.254/16 (cloud metadata), IETF/TEST-NET
//     and benchmark ranges, multicast, reserved, broadcast;
//   - IPv6 loopback/unspecified, unique-local fc00::/7, link-local fe80::/10,
//     site-local, multicast, documentation, Teredo; IPv4-mapped (::ffff:a.b.c.d),
//     IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses
//     are judged by the IPv4 address they embed.
// A trailing dot on the host name ("example.com.") is removed before use.
// Resolutions are cached for dns_cache_ms (default 2000; 0 = off) so a
// fan-out to thousands of URLs on one host does not query DNS for each; the
// checks above run on the cached addresses at every Vet all the same.
//
// Thread-safety: immutable after construction; Vet() is safe from any thread.
#ifndef SF_NOTIFIERS_ADDRESS_POLICY_H_
#define SF_NOTIFIERS_ADDRESS_POLICY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Net/IPAddress.h>
#include <nlohmann/json.hpp>

namespace sf::notifiers {

// A URL that passed the policy: connect to `address`:`port`, send
// Host: `host` (plus the port when not the scheme's default).
struct VettedUrl {
  std::string scheme;  // http | https
  std::string host;    // lower-case, trailing dot removed, [v6] without brackets
  uint16_t port = 0;
  std::string target;  // path + query, "/" at least
  Poco::Net::IPAddress address;
  std::string HostHeader() const;
};

class AddressPolicy {
 public:
  // Resolves a host name to its addresses; throws on failure. Replaceable in
  // tests to play a DNS server answering with internal addresses.
  using Resolver = std::function<std::vector<Poco::Net::IPAddress>(const std::string&)>;

  // config: {"allow_networks": ["10.1.2.0/24", "127.0.0.1/32"],
  //          "require_https": false, "dns_cache_ms": 2000}
  // Throws sf::sdk::Error(SF_ERR_INVALID_ARGUMENT) naming a bad entry.
  explicit AddressPolicy(const nlohmann::json& config, Resolver resolver = nullptr);

  // Throws sf::sdk::Error: SF_ERR_INVALID_ARGUMENT for a malformed URL,
  // SF_ERR_PERMISSION for a refused destination, SF_ERR_UNAVAILABLE when
  // the name does not resolve. Messages name the URL part and the rule.
  VettedUrl Vet(const std::string& url) const;

  // Why `address` may not be contacted ("loopback 127.0.0.0/8"), or "" when
  // it may (allow-list applied).
  std::string Refusal(const Poco::Net::IPAddress& address) const;

 private:
  struct Network {
    Poco::Net::IPAddress base;
    unsigned prefix = 0;
  };
  struct DnsCache;
  bool Allowed(const Poco::Net::IPAddress& address) const;
  std::vector<Poco::Net::IPAddress> Resolve(const std::string& host) const;
  std::vector<Network> allow_;
  bool require_https_ = false;
  Resolver resolver_;
  int64_t dns_cache_ms_ = 2000;
  std::shared_ptr<DnsCache> dns_cache_;  // shared by copies; internally locked
};

// The reason an address is internal ("private 10.0.0.0/8"), or "" when it is
// a public unicast address. No allow-list involved.
std::string InternalRange(const Poco::Net::IPAddress& address);

// inet_aton's reading of a host that looks numeric ("0x7f.1" -> 127.0.0.1):
// true and *out set when `host` is an IPv4 address in some encoding.
bool ParseLooseIPv4(const std::string& host, uint32_t* out);

}  // namespace sf::notifiers

#endif  // SF_NOTIFIERS_ADDRESS_POLICY_H_
