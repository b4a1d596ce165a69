// Bounded HTTP GET on Poco (see http_client.h for the policy).
#include "common/http_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace sf::vendors {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int64_t MillisLeft(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
}

// Enforces the total deadline on one connection: when it passes, the socket
// is shut down, which wakes any blocked recv/send (plain or TLS). Destroy it
// before the session so the fd is never touched after close.
class Watchdog {
 public:
  explicit Watchdog(Clock::time_point deadline) : thread_([this, deadline] { Run(deadline); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void Arm(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    fd_ = fd;
    if (fired_ && fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }
  bool fired() {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

 private:
  void Run(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_until(lock, deadline, [this] { return done_; })) return;
    fired_ = true;
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int fd_ = -1;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts after the fields above exist
};

// Keeps a vendor that resets the connection from killing the host with
// SIGPIPE, without touching the process-wide disposition (libpq's approach):
// SIGPIPE is blocked on this thread for the exchange, and one raised by it is
// consumed before the old mask comes back.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_mask_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      const timespec zero = {0, 0};
      while (sigtimedwait(&pipe, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

Poco::Net::Context::Ptr ClientTlsContext() {
  static Poco::Net::Context::Ptr context = [] {
    Poco::Net::initializeSSL();
    // Verify the server certificate chain against the system CAs, and the
    // host name (Poco's extended verification is on by default).
    return Poco::Net::Context::Ptr(new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_RELAXED, 9, true));
  }();
  return context;
}

struct Attempt {
  sf_status code = SF_OK;
  std::string message;
  HttpResponse response;
};

Attempt GetOnce(const Poco::URI& uri, const HttpHeaders& headers, const HttpLimits& limits,
                Clock::time_point deadline) {
  Attempt out;
  const int64_t left = MillisLeft(deadline);
  if (left <= 0) {
    out.code = SF_ERR_TIMEOUT;
    out.message = "total deadline of " + std::to_string(limits.total_timeout_ms) +
                  " ms passed before the request was sent";
    return out;
  }
  SigpipeGuard no_sigpipe;  // first in, last out: covers the TLS close too
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https") {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                              ClientTlsContext());
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  const int64_t connect_ms = std::min(limits.connect_timeout_ms, left);
  session->setTimeout(Poco::Timespan(connect_ms * 1000), Poco::Timespan(left * 1000),
                      Poco::Timespan(left * 1000));
  session->setKeepAlive(false);

  std::string target = uri.getPathEtc();
  if (target.empty()) target = "/";
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("User-Agent", limits.user_agent);
  request.set("Accept-Encoding", "identity");
  for (const auto& [name, value] : headers) request.set(name, value);

  uint64_t received = 0;
  bool connected = false;
  Watchdog watchdog(deadline);
  try {
    session->sendRequest(request);
    connected = true;
    watchdog.Arm(session->socket().impl()->sockfd());
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    out.response.status = static_cast<int>(response.getStatus());
    out.response.reason = response.getReason();
    for (const auto& [name, value] : response) {
      out.response.headers.emplace_back(Lower(name), value);
    }
    if (response.hasContentLength() &&
        response.getContentLength64() > static_cast<int64_t>(limits.max_body_bytes)) {
      out.code = SF_ERR_TOO_LARGE;
      out.message = "declared body of " + std::to_string(response.getContentLength64()) +
                    " bytes is over max_body_bytes=" + std::to_string(limits.max_body_bytes) +
                    "; not read";
      return out;
    }
    char buf[16384];
    while (in) {
      in.read(buf, sizeof buf);
      const std::streamsize n = in.gcount();
      if (n <= 0) break;
      received += static_cast<uint64_t>(n);
      if (received > static_cast<uint64_t>(limits.max_body_bytes)) {
        out.code = SF_ERR_TOO_LARGE;
        out.message = "body passed max_body_bytes=" + std::to_string(limits.max_body_bytes) +
                      " while streaming; reading stopped";
        out.response.body.clear();
        return out;
      }
      out.response.body.append(buf, static_cast<size_t>(n));
    }
    if (watchdog.fired()) {
      out.code = SF_ERR_TIMEOUT;
      out.message = "total deadline of " + std::to_string(limits.total_timeout_ms) +
                    " ms passed while reading the body (" + std::to_string(received) +
                    " bytes received)";
      return out;
    }
    if (response.hasContentLength() &&
        static_cast<int64_t>(received) != response.getContentLength64()) {
      out.code = SF_ERR_IO;
      out.message = "body truncated: " + std::to_string(received) + " of " +
                    std::to_string(response.getContentLength64()) + " declared bytes";
      return out;
    }
    return out;
  } catch (const Poco::Net::ConnectionRefusedException& e) {
    out.code = SF_ERR_UNAVAILABLE;
    out.message = "connection refused by " + uri.getHost() + ":" + std::to_string(uri.getPort());
  } catch (const Poco::Net::HostNotFoundException& e) {
    out.code = SF_ERR_UNAVAILABLE;
    out.message = "host not found: " + uri.getHost();
  } catch (const Poco::Net::NoAddressFoundException& e) {
    out.code = SF_ERR_UNAVAILABLE;
    out.message = "host has no address: " + uri.getHost();
  } catch (const Poco::TimeoutException& e) {
    out.code = SF_ERR_TIMEOUT;
    out.message = connected ? "no data within the total deadline of " +
                                  std::to_string(limits.total_timeout_ms) + " ms (" +
                                  std::to_string(received) + " body bytes received)"
                            : "connect timeout of " + std::to_string(connect_ms) + " ms to " +
                                  uri.getHost() + ":" + std::to_string(uri.getPort());
  } catch (const Poco::Net::SSLException& e) {
    out.code = SF_ERR_IO;
    out.message = "TLS failure: " + e.displayText();
  } catch (const Poco::Net::NoMessageException& e) {
    out.code = SF_ERR_UNAVAILABLE;
    out.message = "server closed the connection without a response";
  } catch (const Poco::Exception& e) {
    out.code = SF_ERR_IO;
    out.message = "network error: " + e.displayText();
  } catch (const std::exception& e) {
    out.code = SF_ERR_IO;
    out.message = std::string("network error: ") + e.what();
  }
  if (watchdog.fired()) {
    out.code = SF_ERR_TIMEOUT;
    out.message = "total deadline of " + std::to_string(limits.total_timeout_ms) + " ms passed (" +
                  std::to_string(received) + " body bytes received)";
  }
  out.response.body.clear();
  return out;
}

bool IsSensitiveParam(std::string_view name) {
  const std::string n = Lower(name);
  return n == "apikey" || n == "api_key" || n == "token" || n == "key" || n == "secret" ||
         n == "access_token" || n == "signature";
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  const std::string want = Lower(name);
  for (const auto& [k, v] : headers) {
    if (k == want) return v;
  }
  return "";
}

std::string UrlEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string RedactUrl(std::string_view url) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, q + 1));
  std::string_view query = url.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (!first) out.push_back('&');
    first = false;
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && IsSensitiveParam(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1)).append("***");
    } else {
      out.append(pair);
    }
  }
  return out;
}

HttpResult HttpGet(const std::string& url, const HttpHeaders& headers, const HttpLimits& limits) {
  HttpResult result;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(limits.total_timeout_ms);
  std::set<std::string> visited;
  std::string current = url;
  for (int hop = 0;; ++hop) {
    Poco::URI uri;
    try {
      uri = Poco::URI(current);
    } catch (const Poco::Exception& e) {
      result.code = SF_ERR_INVALID_ARGUMENT;
      result.message = "URL '" + RedactUrl(current) + "' is not valid: " + e.displayText();
      return result;
    }
    if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty()) {
      result.code = SF_ERR_INVALID_ARGUMENT;
      result.message = "URL '" + RedactUrl(current) + "' must be http:// or https:// with a host";
      return result;
    }
    visited.insert(uri.toString());
    Attempt attempt = GetOnce(uri, headers, limits, deadline);
    result.code = attempt.code;
    result.message = std::move(attempt.message);
    result.response = std::move(attempt.response);
    result.response.final_url = uri.toString();
    if (result.code != SF_OK) return result;
    const int status = result.response.status;
    const bool redirect =
        status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    if (!redirect) return result;
    const std::string location = result.response.Header("location");
    if (location.empty()) {
      result.code = SF_ERR_IO;
      result.message = "HTTP " + std::to_string(status) + " redirect without a Location header";
      return result;
    }
    if (limits.max_redirects <= 0) {
      result.code = SF_ERR_IO;
      result.message = "HTTP " + std::to_string(status) + " redirect to '" + RedactUrl(location) +
                       "' refused: redirects are not followed (max_redirects=0)";
      return result;
    }
    Poco::URI next;
    try {
      next = Poco::URI(uri, location);
    } catch (const Poco::Exception& e) {
      result.code = SF_ERR_IO;
      result.message = "redirect Location '" + RedactUrl(location) + "' is not a valid URL";
      return result;
    }
    if (next.getScheme() != uri.getScheme() || next.getHost() != uri.getHost() ||
        next.getPort() != uri.getPort()) {
      result.code = SF_ERR_IO;
      result.message = "redirect to '" + RedactUrl(next.toString()) +
                       "' refused: only redirects to the same scheme, host and port are followed";
      return result;
    }
    if (visited.count(next.toString()) != 0) {
      result.code = SF_ERR_IO;
      result.message = "redirect loop: '" + RedactUrl(next.toString()) + "' was already visited";
      return result;
    }
    if (hop + 1 > limits.max_redirects) {
      result.code = SF_ERR_IO;
      result.message =
          "more than max_redirects=" + std::to_string(limits.max_redirects) + " redirects";
      return result;
    }
    current = next.toString();
  }
}

}  // namespace sf::vendors
