// A bounded HTTP(S) GET for provider plugins: every request has a connect
// timeout, a total deadline that covers headers and body (a server that
// drips bytes or never ends its body is cut off when it passes), a maximum
// body size enforced while streaming (a declared Content-Length over the cap
// is refused before reading), and an explicit redirect policy.
//
// Redirect policy: not followed by default (max_redirects = 0; a 3xx is an
// error naming the Location). With max_redirects = N > 0, at most N hops are
// followed, and only to the same scheme, host and port (so an API key in the
// query string never leaves the configured host); a URL seen twice is a loop.
//
// Failures are values (HttpResult::code + message), never exceptions. The
// message says what happened but not who asked; callers prefix vendor and
// symbol. Thread-safety: HttpGet is re-entrant; each call owns its session.
#ifndef SF_VENDORS_COMMON_HTTP_CLIENT_H_
#define SF_VENDORS_COMMON_HTTP_CLIENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signalforge/abi.h"

namespace sf::vendors {

struct HttpLimits {
  int64_t connect_timeout_ms = 5000;
  int64_t total_timeout_ms = 30000;
  int64_t max_body_bytes = 16 * 1024 * 1024;
  int max_redirects = 0;
  std::string user_agent = "signalforge/0.1 (+https://signalforge.invalid)";
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string reason;
  HttpHeaders headers;  // names lower-cased
  std::string body;
  std::string final_url;
  // Value of a header (case-insensitive name), "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpResult {
  sf_status code = SF_OK;  // transport outcome; any HTTP status is SF_OK here
  std::string message;     // why, when code != SF_OK
  HttpResponse response;
};

// GETs `url` (http:// or https://) with extra request headers.
//   SF_ERR_INVALID_ARGUMENT  URL unparsable or not http(s)
//   SF_ERR_UNAVAILABLE       connection refused / reset, host not found,
//                            closed before a response
//   SF_ERR_TIMEOUT           connect timeout or total deadline passed
//   SF_ERR_TOO_LARGE         body over max_body_bytes
//   SF_ERR_IO                redirect refused or looping, TLS failure,
//                            truncated body, malformed HTTP
[[nodiscard]] HttpResult HttpGet(const std::string& url, const HttpHeaders& headers,
                                 const HttpLimits& limits);

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string UrlEncode(std::string_view text);

// The URL with the values of sensitive query parameters (apikey, token...)
// replaced by "***", for messages and logs.
std::string RedactUrl(std::string_view url);

}  // namespace sf::vendors

#endif  // SF_VENDORS_COMMON_HTTP_CLIENT_H_
