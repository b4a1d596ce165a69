#include "http_post.h"

#include <Poco/DateTimeParser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <cctype>
#include <chrono>
#include <map>
#include <vector>
#include <memory>
#include <mutex>

#include "signalforge/signalforge.hpp"

namespace sf::notifiers {
namespace {

using sf::sdk::Error;

Poco::Net::Context::Ptr TlsContext(const std::string& ca_file) {
  static std::mutex mu;
  static std::map<std::string, Poco::Net::Context::Ptr> contexts;
  std::lock_guard<std::mutex> lock(mu);
  auto it = contexts.find(ca_file);
  if (it != contexts.end()) return it->second;
  static std::once_flag ssl_once;
  std::call_once(ssl_once, [] { Poco::Net::initializeSSL(); });
  // Chain and host name verified; system CAs plus the operator's ca_file.
  Poco::Net::Context::Ptr ctx(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                                                     ca_file, Poco::Net::Context::VERIFY_RELAXED,
                                                     9, true));
  ctx->setInvalidCertificateHandler(
      Poco::Net::Context::InvalidCertificateHandlerPtr(new Poco::Net::RejectCertificateHandler(false)));
  contexts.emplace(ca_file, ctx);
  return ctx;
}

std::string LowerCopy(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

SigpipeBlock::SigpipeBlock() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  sigset_t pending;
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
}

SigpipeBlock::~SigpipeBlock() {
  if (!was_pending_) {
    // Swallow a SIGPIPE raised by our own write before unblocking.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    timespec none{0, 0};
    while (sigtimedwait(&pipe, nullptr, &none) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

HttpOptions HttpOptions::FromJson(const nlohmann::json& config) {
  HttpOptions o;
  if (!config.is_object()) return o;
  if (auto it = config.find("timeout_ms"); it != config.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1000 || it->get<int64_t>() > 30000)
      throw Error(SF_ERR_INVALID_ARGUMENT, "timeout_ms must be a whole number in 1000..30000");
    o.timeout_ms = it->get<int>();
  }
  if (auto it = config.find("ca_file"); it != config.end()) {
    if (!it->is_string()) throw Error(SF_ERR_INVALID_ARGUMENT, "ca_file must be a path string");
    o.ca_file = it->get<std::string>();
  }
  if (auto it = config.find("user_agent"); it != config.end()) {
    if (!it->is_string() || it->get<std::string>().empty())
      throw Error(SF_ERR_INVALID_ARGUMENT, "user_agent must be a non-empty string");
    o.user_agent = it->get<std::string>();
  }
  return o;
}

namespace {

// Idle keep-alive connections by destination (scheme, vetted address, port,
// host name): a fan-out to many URLs of one endpoint reuses a few
// connections instead of opening one per delivery. A connection is only
// ever reused for the same address the SSRF guard approved for this send.
class ConnectionCache {
 public:
  using Session = std::unique_ptr<Poco::Net::HTTPClientSession>;
  static constexpr size_t kMaxIdlePerKey = 64;
  static constexpr auto kMaxIdle = std::chrono::seconds(4);  // below common server timeouts

  Session Take(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
      Idle e = std::move(it->second.back());
      it->second.pop_back();
      if (now - e.since < kMaxIdle) return std::move(e.session);
    }
    return nullptr;
  }
  void Put(const std::string& key, Session session) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& list = idle_[key];
    if (list.size() < kMaxIdlePerKey)
      list.push_back({std::move(session), std::chrono::steady_clock::now()});
  }

 private:
  struct Idle {
    Session session;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex mu_;
  std::map<std::string, std::vector<Idle>> idle_;
};

ConnectionCache& Connections() {
  static ConnectionCache* cache = new ConnectionCache();  // outlives every sender thread
  return *cache;
}

std::unique_ptr<Poco::Net::HTTPClientSession> Connect(const VettedUrl& to,
                                                      const HttpOptions& options,
                                                      const Poco::Timespan& timeout) {
  Poco::Net::StreamSocket socket;
  socket.connect(Poco::Net::SocketAddress(to.address, to.port), timeout);
  socket.setNoDelay(true);
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (to.scheme == "https") {
    Poco::Net::SecureStreamSocket tls =
        Poco::Net::SecureStreamSocket::attach(socket, to.host, TlsContext(options.ca_file));
    session = std::make_unique<Poco::Net::HTTPSClientSession>(tls);
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(socket);
  }
  session->setTimeout(timeout, timeout, timeout);
  session->setKeepAlive(true);
  return session;
}

}  // namespace

HttpReply Post(const VettedUrl& to, const HeaderList& headers, const std::string& content_type,
               const std::string& body, const HttpOptions& options) {
  SigpipeBlock no_sigpipe;
  const Poco::Timespan timeout(static_cast<int64_t>(options.timeout_ms) * 1000);
  const std::string where = to.scheme + "://" + to.HostHeader() + " (" + to.address.toString() +
                            ":" + std::to_string(to.port) + ")";
  const std::string key = to.scheme + "|" + to.address.toString() + "|" +
                          std::to_string(to.port) + "|" + to.host;
  // First on an idle kept-alive connection if there is one; when that one
  // turns out closed by the server, once more on a new connection.
  for (int round = 0;; ++round) {
    auto session = round == 0 ? Connections().Take(key) : nullptr;
    const bool reused = session != nullptr;
    HttpReply reply;
    try {
      if (!session) session = Connect(to, options, timeout);
      Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, to.target,
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.set("Host", to.HostHeader());
      request.set("User-Agent", options.user_agent);
      request.setContentType(content_type);
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.setKeepAlive(true);
      for (const auto& [name, value] : headers) request.set(name, value);
      session->sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::istream& in = session->receiveResponse(response);
      reply.status = static_cast<int>(response.getStatus());
      reply.reason = response.getReason();
      for (const auto& [name, value] : response) reply.headers[LowerCopy(name)] = value;
      char buf[8192];
      bool complete = false;
      while (reply.body.size() <= options.max_response) {
        in.read(buf, sizeof buf);
        if (in.gcount() > 0) reply.body.append(buf, static_cast<size_t>(in.gcount()));
        if (!in) {
          complete = in.eof();
          break;
        }
      }
      if (reply.body.size() > options.max_response) reply.body.resize(options.max_response);
      if (complete && response.getKeepAlive() && session->connected())
        Connections().Put(key, std::move(session));
      return reply;
    } catch (const Poco::TimeoutException& e) {
      throw Error(SF_ERR_TIMEOUT, "POST " + where + ": no answer within " +
                                      std::to_string(options.timeout_ms) + " ms");
    } catch (const Poco::Net::SSLException& e) {
      if (reused) continue;
      throw Error(SF_ERR_UNAVAILABLE, "POST " + where + ": TLS failed: " + e.displayText());
    } catch (const Poco::Exception& e) {
      if (reused) continue;
      throw Error(SF_ERR_UNAVAILABLE, "POST " + where + ": " + e.displayText());
    }
  }
}

int64_t RetryAfterMs(const std::string& value, int64_t now_us) {
  if (value.empty()) return 0;
  if (value.find_first_not_of("0123456789 ") == std::string::npos) {
    try {
      return std::min<int64_t>(std::stoll(value), 7 * 86400) * 1000;
    } catch (const std::exception&) {
      return 0;
    }
  }
  int tz = 0;
  Poco::DateTime when;
  if (!Poco::DateTimeParser::tryParse(value, when, tz)) return 0;
  int64_t at_us = when.timestamp().epochMicroseconds() - int64_t{tz} * 1'000'000;
  return at_us > now_us ? (at_us - now_us) / 1000 : 0;
}

sf_status Verdict(const std::string& what, const HttpReply& reply, int64_t now_us,
                  sf_delivery_result* result) {
  if (result != nullptr) result->remote_status = reply.status;
  if (reply.status >= 200 && reply.status < 300) return SF_OK;
  std::string detail = what + " answered " + std::to_string(reply.status) + " " + reply.reason;
  auto header = [&](const char* name) {
    auto it = reply.headers.find(name);
    return it == reply.headers.end() ? std::string() : it->second;
  };
  int64_t retry_after = RetryAfterMs(header("retry-after"), now_us);
  sf_status code = SF_ERR_UNAVAILABLE;
  if (reply.status == 410) {
    code = SF_ERR_NOT_FOUND;
    detail += " (gone: the destination is disabled)";
    if (result != nullptr) result->disable_destination = 1;
  } else if (reply.status == 429) {
    code = SF_ERR_RATE_LIMITED;
  } else if (reply.status >= 300 && reply.status < 400) {
    detail += " (redirect to \"" + header("location") + "\" not followed)";
  }
  if (retry_after > 0 && (reply.status == 429 || reply.status == 503)) {
    if (result != nullptr) result->retry_after_ms = retry_after;
    detail += " (Retry-After " + std::to_string(retry_after) + " ms)";
  }
  sf::sdk::SetError(code, detail);
  return code;
}

}  // namespace sf::notifiers
