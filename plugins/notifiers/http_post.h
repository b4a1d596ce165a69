// One HTTP(S) POST to an address that was already checked (VettedUrl): the
// connection goes to that exact address, the Host header and TLS SNI /
// certificate check use the URL's host name. Connections are kept alive and
// reused for later posts to the same vetted address, port and host name
// (idle at most 4 s). Redirects are never followed
// (a 3xx is reported as it is). The response body is read up to a cap and
// only kept for error messages.
//
// Also: turning an HTTP answer into the notifier result (2xx sent, 410
// gone, 429 / Retry-After, everything else retryable).
//
// Thread-safety: free functions; safe from any thread. SIGPIPE is blocked
// on the calling thread for the duration of a call.
#ifndef SF_NOTIFIERS_HTTP_POST_H_
#define SF_NOTIFIERS_HTTP_POST_H_

#include <signal.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "address_policy.h"
#include "signalforge/notifier.h"

namespace sf::notifiers {

struct HttpOptions {
  int timeout_ms = 10000;       // connect, send and each read
  size_t max_response = 65536;  // bytes of response body kept
  std::string ca_file;          // extra trusted CA (PEM) besides the system's
  std::string user_agent = "Signalforge-Notify/1";

  // Reads "timeout_ms" (1000..30000), "ca_file", "user_agent" of a config.
  static HttpOptions FromJson(const nlohmann::json& config);
};

struct HttpReply {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // first max_response bytes
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Throws sf::sdk::Error: SF_ERR_TIMEOUT (deadline), SF_ERR_UNAVAILABLE
// (refused, reset, TLS failure) with what happened and where.
HttpReply Post(const VettedUrl& to, const HeaderList& headers, const std::string& content_type,
               const std::string& body, const HttpOptions& options);

// Milliseconds a Retry-After value asks for (delta-seconds or an HTTP
// date), 0 when absent or unreadable.
int64_t RetryAfterMs(const std::string& value, int64_t now_us);

// The generic verdict on an HTTP answer, written into `result`: SF_OK for
// 2xx; 410 -> SF_ERR_NOT_FOUND with disable_destination; 429 ->
// SF_ERR_RATE_LIMITED with retry_after_ms; any other status ->
// SF_ERR_UNAVAILABLE (retry later), with Retry-After honoured on 503.
// Sets the plugin error message for non-2xx.
sf_status Verdict(const std::string& what, const HttpReply& reply, int64_t now_us,
                  sf_delivery_result* result);

// Blocks SIGPIPE on this thread while alive (a peer closing mid-write must
// not kill the host).
class SigpipeBlock {
 public:
  SigpipeBlock();
  ~SigpipeBlock();
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace sf::notifiers

#endif  // SF_NOTIFIERS_HTTP_POST_H_
