#include "address_policy.h"

#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <arpa/inet.h>

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <cctype>
#include <cstring>

#include "signalforge/signalforge.hpp"

namespace sf::notifiers {
namespace {

using sf::sdk::Error;

struct Range4 {
  uint32_t base;
  unsigned prefix;
  const char* what;
};

constexpr uint32_t Ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

constexpr std::array<Range4, 16> kInternal4 = {{
    {Ip4(0, 0, 0, 0), 8, "\"this network\" 0.0.0.0/8"},
    {Ip4(10, 0, 0, 0), 8, "private 10.0.0.0/8"},
    {Ip4(100, 64, 0, 0), 10, "carrier-grade NAT 100.64.0.0/10"},
    {Ip4(127, 0, 0, 0), 8, "loopback 127.0.0.0/8"},
    {Ip4(169, 254, 0, 0), 16, "link-local 169.254.0.0/16 (cloud metadata)"},
    {Ip4(172, 16, 0, 0), 12, "private 172.16.0.0/12"},
    {Ip4(192, 0, 0, 0), 24, "IETF protocol assignments 192.0.0.0/24"},
    {Ip4(192, 0, 2, 0), 24, "documentation 192.0.2.0/24"},
    {Ip4(192, 88, 99, 0), 24, "6to4 relay 192.88.99.0/24"},
    {Ip4(192, 168, 0, 0), 16, "private 192.168.0.0/16"},
    {Ip4(198, 18, 0, 0), 15, "benchmarking 198.18.0.0/15"},
    {Ip4(198, 51, 100, 0), 24, "documentation 198.51.100.0/24"},
    {Ip4(203, 0, 113, 0), 24, "documentation 203.0.113.0/24"},
    {Ip4(224, 0, 0, 0), 4, "multicast 224.0.0.0/4"},
    {Ip4(240, 0, 0, 0), 4, "reserved 240.0.0.0/4"},
    {Ip4(255, 255, 255, 255), 32, "broadcast"},
}};

bool InPrefix4(uint32_t ip, uint32_t base, unsigned prefix) {
  if (prefix == 0) return true;
  uint32_t mask = prefix >= 32 ? 0xFFFFFFFFu : ~((1u << (32 - prefix)) - 1);
  return (ip & mask) == (base & mask);
}

std::string Internal4(uint32_t ip) {
  for (const auto& r : kInternal4) {
    if (InPrefix4(ip, r.base, r.prefix)) return r.what;
  }
  return "";
}

uint32_t V4Of(const Poco::Net::IPAddress& a) {
  uint32_t v;
  std::memcpy(&v, a.addr(), 4);
  return ntohl(v);
}

std::array<uint8_t, 16> V6Of(const Poco::Net::IPAddress& a) {
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), a.addr(), 16);
  return b;
}

uint32_t Embedded4(const std::array<uint8_t, 16>& b, int at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         b[at + 3];
}

std::string Dotted(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

bool AllZero(const std::array<uint8_t, 16>& b, int from, int to) {
  for (int i = from; i < to; ++i)
    if (b[i] != 0) return false;
  return true;
}

std::string Internal6(const Poco::Net::IPAddress& a) {
  const auto b = V6Of(a);
  if (AllZero(b, 0, 16)) return "unspecified ::";
  if (AllZero(b, 0, 15) && b[15] == 1) return "loopback ::1";
  if (AllZero(b, 0, 10) && b[10] == 0xff && b[11] == 0xff) {
    std::string why = Internal4(Embedded4(b, 12));
    return why.empty() ? "" : "IPv4-mapped " + Dotted(Embedded4(b, 12)) + " is " + why;
  }
  if (AllZero(b, 0, 12)) {
    return "IPv4-compatible " + Dotted(Embedded4(b, 12)) + " (deprecated form)";
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && AllZero(b, 4, 12)) {
    std::string why = Internal4(Embedded4(b, 12));
    return why.empty() ? "" : "NAT64 " + Dotted(Embedded4(b, 12)) + " is " + why;
  }
  if (b[0] == 0x20 && b[1] == 0x02) {
    std::string why = Internal4(Embedded4(b, 2));
    return why.empty() ? "" : "6to4 " + Dotted(Embedded4(b, 2)) + " is " + why;
  }
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return "Teredo 2001::/32";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
    return "documentation 2001:db8::/32";
  if ((b[0] & 0xfe) == 0xfc) return "unique-local fc00::/7";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local fe80::/10";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "site-local fec0::/10";
  if (b[0] == 0xff) return "multicast ff00::/8";
  if (b[0] == 0x01 && AllZero(b, 1, 8)) return "discard-only 100::/64";
  return "";
}

bool PrefixMatch(const Poco::Net::IPAddress& a, const Poco::Net::IPAddress& base,
                 unsigned prefix) {
  if (a.family() != base.family()) return false;
  const auto* x = static_cast<const uint8_t*>(a.addr());
  const auto* y = static_cast<const uint8_t*>(base.addr());
  unsigned full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(x, y, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (x[full] & mask) == (y[full] & mask);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsHostLabelChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
}

// inet_pton's reading (Poco 1.11 refuses some valid forms such as "::").
bool ParseIp(const std::string& text, Poco::Net::IPAddress* out) {
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    *out = Poco::Net::IPAddress(&v4, sizeof v4);
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    *out = Poco::Net::IPAddress(&v6, sizeof v6);
    return true;
  }
  return false;
}

std::vector<Poco::Net::IPAddress> SystemResolve(const std::string& host) {
  Poco::Net::HostEntry entry = Poco::Net::DNS::resolve(host);
  return entry.addresses();
}

}  // namespace

std::string VettedUrl::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? h : h + ":" + std::to_string(port);
}

std::string InternalRange(const Poco::Net::IPAddress& address) {
  if (address.family() == Poco::Net::IPAddress::IPv4) return Internal4(V4Of(address));
  return Internal6(address);
}

bool ParseLooseIPv4(const std::string& host, uint32_t* out) {
  // inet_aton: 1-4 parts separated by dots, each decimal, 0-octal or 0x-hex;
  // the last part fills the remaining bytes.
  std::vector<uint64_t> parts;
  size_t i = 0;
  if (host.empty()) return false;
  while (i <= host.size()) {
    size_t end = host.find('.', i);
    if (end == std::string::npos) end = host.size();
    std::string p = host.substr(i, end - i);
    if (p.empty()) return false;
    int base = 10;
    size_t k = 0;
    if (p.size() > 1 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
      base = 16;
      k = 2;
      if (p.size() == 2) return false;
    } else if (p.size() > 1 && p[0] == '0') {
      base = 8;
      k = 1;
    }
    uint64_t v = 0;
    for (; k < p.size(); ++k) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(p[k])));
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else return false;
      if (d >= base) return false;
      v = v * base + d;
      if (v > 0xFFFFFFFFull) return false;
    }
    parts.push_back(v);
    if (parts.size() > 4) return false;
    i = end + 1;
    if (end == host.size()) break;
  }
  uint64_t ip = 0;
  size_t n = parts.size();
  for (size_t j = 0; j + 1 < n; ++j) {
    if (parts[j] > 255) return false;
    ip |= parts[j] << (8 * (3 - j));
  }
  uint64_t last_max = n == 1 ? 0xFFFFFFFFull : (1ull << (8 * (5 - n))) - 1;
  if (parts[n - 1] > last_max) return false;
  ip |= parts[n - 1];
  *out = static_cast<uint32_t>(ip);
  return true;
}

struct AddressPolicy::DnsCache {
  struct Entry {
    std::vector<Poco::Net::IPAddress> addresses;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex mu;
  std::map<std::string, Entry> entries;
};

std::vector<Poco::Net::IPAddress> AddressPolicy::Resolve(const std::string& host) const {
  if (dns_cache_ms_ <= 0) return resolver_(host);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(dns_cache_->mu);
    auto it = dns_cache_->entries.find(host);
    if (it != dns_cache_->entries.end() && it->second.expires > now) return it->second.addresses;
  }
  auto addresses = resolver_(host);
  if (!addresses.empty()) {
    std::lock_guard<std::mutex> lock(dns_cache_->mu);
    if (dns_cache_->entries.size() > 4096) dns_cache_->entries.clear();
    dns_cache_->entries[host] = {addresses, now + std::chrono::milliseconds(dns_cache_ms_)};
  }
  return addresses;
}

AddressPolicy::AddressPolicy(const nlohmann::json& config, Resolver resolver)
    : resolver_(resolver ? std::move(resolver) : Resolver(SystemResolve)),
      dns_cache_(std::make_shared<DnsCache>()) {
  if (!config.is_object()) return;
  if (auto it = config.find("dns_cache_ms"); it != config.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 60000)
      throw Error(SF_ERR_INVALID_ARGUMENT, "dns_cache_ms must be a whole number in 0..60000");
    dns_cache_ms_ = it->get<int64_t>();
  }
  if (auto it = config.find("require_https"); it != config.end()) {
    if (!it->is_boolean())
      throw Error(SF_ERR_INVALID_ARGUMENT, "require_https must be true or false");
    require_https_ = it->get<bool>();
  }
  if (auto it = config.find("allow_networks"); it != config.end()) {
    if (!it->is_array())
      throw Error(SF_ERR_INVALID_ARGUMENT, "allow_networks must be an array of CIDR strings");
    for (const auto& e : *it) {
      if (!e.is_string())
        throw Error(SF_ERR_INVALID_ARGUMENT, "allow_networks: every entry must be a string");
      std::string s = e.get<std::string>();
      size_t slash = s.find('/');
      Network n;
      if (!ParseIp(s.substr(0, slash), &n.base)) {
        throw Error(SF_ERR_INVALID_ARGUMENT,
                    "allow_networks: \"" + s + "\" is not an address or CIDR network");
      }
      unsigned max = n.base.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
      n.prefix = max;
      if (slash != std::string::npos) {
        std::string bits = s.substr(slash + 1);
        if (bits.empty() || bits.size() > 3 ||
            bits.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(bits) > max) {
          throw Error(SF_ERR_INVALID_ARGUMENT, "allow_networks: \"" + s +
                                                   "\" has a bad prefix length (0.." +
                                                   std::to_string(max) + ")");
        }
        n.prefix = static_cast<unsigned>(std::stoul(bits));
      }
      allow_.push_back(n);
    }
  }
}

bool AddressPolicy::Allowed(const Poco::Net::IPAddress& address) const {
  for (const auto& n : allow_) {
    if (PrefixMatch(address, n.base, n.prefix)) return true;
  }
  return false;
}

std::string AddressPolicy::Refusal(const Poco::Net::IPAddress& address) const {
  if (Allowed(address)) return "";
  return InternalRange(address);
}

VettedUrl AddressPolicy::Vet(const std::string& url) const {
  auto bad = [&](const std::string& why) {
    return Error(SF_ERR_INVALID_ARGUMENT, "destination URL \"" + url + "\": " + why);
  };
  auto refused = [&](const std::string& why) {
    return Error(SF_ERR_PERMISSION, "destination URL \"" + url + "\" refused: " + why +
                                        " (an operator may allow a network in the notifier's "
                                        "allow_networks)");
  };
  if (url.size() > 2048) throw bad("longer than 2048 bytes");
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) throw bad("contains whitespace or a control character");
  }
  size_t colon = url.find("://");
  if (colon == std::string::npos) throw bad("must look like https://host/path");
  VettedUrl out;
  out.scheme = Lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https")
    throw refused("scheme \"" + out.scheme + "\" is not allowed (only http and https)");
  if (require_https_ && out.scheme != "https")
    throw refused("plain http is not allowed here (require_https)");
  size_t auth_start = colon + 3;
  size_t auth_end = url.find_first_of("/?#", auth_start);
  if (auth_end == std::string::npos) auth_end = url.size();
  std::string authority = url.substr(auth_start, auth_end - auth_start);
  if (authority.find('@') != std::string::npos)
    throw refused("credentials (\"user@host\") in the URL are not allowed");
  if (authority.find('\\') != std::string::npos) throw bad("backslash in the host part");
  if (authority.find('%') != std::string::npos) throw bad("percent-escapes in the host part");
  if (authority.empty()) throw bad("no host");
  std::string host, port_text;
  if (authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) throw bad("unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') throw bad("junk after [IPv6] host");
      port_text = rest.substr(1);
    }
  } else {
    size_t c = authority.rfind(':');
    host = authority.substr(0, c);
    if (c != std::string::npos) port_text = authority.substr(c + 1);
    if (host.find(':') != std::string::npos) throw bad("IPv6 hosts must be in [brackets]");
  }
  host = Lower(host);
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty()) throw bad("no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port_text) == 0 || std::stoul(port_text) > 65535)
      throw bad("port \"" + port_text + "\" is not a number in 1..65535");
    out.port = static_cast<uint16_t>(std::stoul(port_text));
  }
  out.host = host;
  out.target = auth_end < url.size() ? url.substr(auth_end) : "/";
  if (size_t hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
  if (out.target.empty() || out.target[0] != '/') out.target = "/" + out.target;

  std::vector<Poco::Net::IPAddress> addresses;
  Poco::Net::IPAddress literal;
  bool is_v6_literal = authority[0] == '[';
  if (is_v6_literal) {
    if (!ParseIp(host, &literal) || literal.family() != Poco::Net::IPAddress::IPv6)
      throw bad("\"" + host + "\" is not an IPv6 address");
    if (host.find('%') != std::string::npos) throw bad("IPv6 zone ids are not allowed");
    addresses.push_back(literal);
  } else {
    uint32_t loose = 0;
    bool numeric_looking =
        std::isdigit(static_cast<unsigned char>(host[0])) &&
        host.find_first_not_of("0123456789abcdefx.") == std::string::npos;
    if (numeric_looking && ParseLooseIPv4(host, &loose)) {
      if (Dotted(loose) != host) {
        throw refused("\"" + host + "\" is an unusual spelling of the IPv4 address " +
                      Dotted(loose) + "; write addresses as a.b.c.d");
      }
      Poco::Net::IPAddress v4;
      ParseIp(host, &v4);
      addresses.push_back(v4);
    } else {
      size_t label = 0;
      for (char c : host) {
        if (c == '.') {
          if (label == 0) throw bad("empty label in host \"" + host + "\"");
          label = 0;
        } else if (!IsHostLabelChar(c) && c != '_') {
          throw bad("host \"" + host + "\" has a character not allowed in a host name");
        } else if (++label > 63) {
          throw bad("a label of host \"" + host + "\" is longer than 63 bytes");
        }
      }
      try {
        addresses = Resolve(host);
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {
        throw Error(SF_ERR_UNAVAILABLE,
                    "destination URL \"" + url + "\": host \"" + host + "\" does not resolve (" +
                        e.what() + ")");
      }
      if (addresses.empty())
        throw Error(SF_ERR_UNAVAILABLE,
                    "destination URL \"" + url + "\": host \"" + host + "\" has no address");
    }
  }
  // Every address must pass: a name that resolves to one public and one
  // internal address is refused, whichever one a retry would pick.
  for (const auto& a : addresses) {
    std::string why = Refusal(a);
    if (!why.empty()) {
      throw refused(host == a.toString() ? why
                                         : "\"" + host + "\" resolves to " + a.toString() +
                                               ", " + why);
    }
  }
  out.address = addresses.front();
  return out;
}

}  // namespace sf::notifiers
