#include "api/stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <cerrno>
#include <deque>
#include <map>
#include <regex>
#include <set>
#include <unordered_map>

#include "api/platform.h"
#include "api/routes_common.h"
#include "store/bars_repository.h"
#include "store/listener.h"
#include "store/pool.h"
#include "store/signal_queries_repository.h"
#include "store/signals_repository.h"

namespace sf::api {

using nlohmann::json;

namespace {

constexpr uint8_t kOpText = 0x1, kOpClose = 0x8, kOpPing = 0x9, kOpPong = 0xA;

// A server-to-client frame (never masked), FIN set.
std::string Frame(uint8_t opcode, std::string_view payload) {
  std::string f;
  f.reserve(payload.size() + 10);
  f.push_back(static_cast<char>(0x80 | opcode));
  uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  f.append(payload);
  return f;
}

std::string CloseFrame(uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason.substr(0, 120));
  return Frame(kOpClose, p);
}

std::string TextFrame(const json& message) { return Frame(kOpText, message.dump()); }

json ErrorMessage(const std::string& code, const std::string& detail) {
  return {{"type", "error"}, {"code", code}, {"detail", detail}};
}

const std::regex kSymbolRe("^[A-Za-z0-9][A-Za-z0-9.^=/:_-]{0,31}$");

}  // namespace

namespace stream_internal {

struct Conn {
  Poco::Net::WebSocket ws;
  int fd = -1;
  Principal who;
  std::set<std::string> channels;
  std::string in;
  // Frames not yet fully sent; a fan-out frame is one buffer shared by
  // every subscriber (never copied per connection). out_off is the part of
  // out.front() already sent; out_bytes the unsent total.
  std::deque<std::shared_ptr<const std::string>> out;
  size_t out_off = 0;
  size_t out_bytes = 0;
  bool closing = false;  // close frame queued: drop once flushed
  bool dead = false;
  bool slow = false;  // cut off at the queue bound: reset, do not drain

  Conn(Poco::Net::WebSocket s, Principal p) : ws(std::move(s)), who(std::move(p)) {
    fd = ws.impl()->sockfd();
  }
  size_t pending() const { return out_bytes; }
};

struct Event {
  enum Kind { kSignal, kBars } kind;
  std::string payload;
};

}  // namespace stream_internal

using stream_internal::Conn;
using stream_internal::Event;

struct StreamHub::Impl {
  store::Pool* pool = nullptr;
  int wake[2] = {-1, -1};
  std::mutex mu;  // guards adopted, events
  std::vector<std::unique_ptr<Conn>> adopted;
  std::vector<Event> events;
  // Loop thread only.
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::atomic<size_t> connections{0};
  std::atomic<uint64_t> messages_sent{0}, slow_disconnects{0}, signals_fanned_out{0};

  void Wake() {
    char c = 1;
    (void)!::write(wake[1], &c, 1);
  }
};

StreamHub& StreamHub::Instance() {
  static StreamHub hub;
  return hub;
}

StreamHub::StreamHub() : impl_(std::make_unique<Impl>()) {
  if (::pipe2(impl_->wake, O_NONBLOCK | O_CLOEXEC) != 0) impl_->wake[0] = impl_->wake[1] = -1;
}

StreamHub::~StreamHub() {
  Stop();
  for (int fd : impl_->wake) {
    if (fd >= 0) ::close(fd);
  }
}

Status StreamHub::EnsureStarted(store::Pool* pool, const StreamOptions& options) {
  std::lock_guard<std::mutex> lock(start_mu_);
  if (running_) return Status::Ok();
  if (pool == nullptr) return Unavailable("the stream needs a database");
  if (impl_->wake[0] < 0) return Internal("stream: could not create the wake-up pipe");
  options_ = options;
  impl_->pool = pool;
  Impl* impl = impl_.get();
  listener_ = std::make_unique<store::Listener>(
      pool->options().conninfo, std::vector<std::string>{store::kSignalsChannel, kBarsChannel},
      [impl](const store::Notification& n) {
        if (n.reconnected || n.payload.empty()) return;
        {
          std::lock_guard<std::mutex> l(impl->mu);
          impl->events.push_back({n.channel == store::kSignalsChannel ? Event::kSignal : Event::kBars,
                                  n.payload});
        }
        impl->Wake();
      });
  Status s = listener_->Start();
  if (!s.ok()) {
    listener_.reset();
    return s;
  }
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void StreamHub::Stop() {
  std::lock_guard<std::mutex> lock(start_mu_);
  if (!running_) return;
  if (listener_) listener_->Stop();
  running_ = false;
  impl_->Wake();
  if (thread_.joinable()) thread_.join();
  listener_.reset();
  for (auto& [fd, c] : impl_->conns) {
    try {
      c->ws.close();
    } catch (...) {
    }
  }
  impl_->conns.clear();
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->adopted.clear();
  impl_->events.clear();
  impl_->connections = 0;
}

void StreamHub::Adopt(Poco::Net::WebSocket socket, const Principal& principal) {
  auto c = std::make_unique<Conn>(std::move(socket), principal);
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    impl_->adopted.push_back(std::move(c));
  }
  impl_->Wake();
}

void StreamHub::PublishSignal(const std::string& id) {
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    impl_->events.push_back({Event::kSignal, id});
  }
  impl_->Wake();
}

StreamStats StreamHub::Stats() const {
  return {impl_->connections.load(), impl_->messages_sent.load(), impl_->slow_disconnects.load(),
          impl_->signals_fanned_out.load()};
}

namespace {

// Writes what the socket takes now; marks the connection dead on error.
void Flush(Conn& c) {
  constexpr size_t kMaxIov = 64;
  while (c.out_bytes > 0) {
    iovec iov[kMaxIov];
    size_t n_iov = 0;
    for (auto it = c.out.begin(); it != c.out.end() && n_iov < kMaxIov; ++it, ++n_iov) {
      const size_t skip = n_iov == 0 ? c.out_off : 0;
      iov[n_iov].iov_base = const_cast<char*>((*it)->data() + skip);
      iov[n_iov].iov_len = (*it)->size() - skip;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n_iov;
    ssize_t n = ::sendmsg(c.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      c.dead = true;
      return;
    }
    size_t sent = static_cast<size_t>(n);
    c.out_bytes -= sent;
    while (sent > 0) {
      const size_t left = c.out.front()->size() - c.out_off;
      if (sent < left) {
        c.out_off += sent;
        break;
      }
      sent -= left;
      c.out.pop_front();
      c.out_off = 0;
    }
  }
  if (c.out_bytes == 0 && c.closing) c.dead = true;
}

}  // namespace

void StreamHub::Loop() {
  Impl& im = *impl_;
  const StreamOptions opt = options_;

  // Queues a frame; a client already holding max_queue_bytes unsent is cut off.
  auto enqueue_shared = [&](Conn& c, const std::shared_ptr<const std::string>& frame) {
    if (c.dead || c.closing) return;
    if (c.pending() + frame->size() > opt.max_queue_bytes) {
      c.dead = true;
      c.slow = true;
      ++im.slow_disconnects;
      return;
    }
    c.out.push_back(frame);
    c.out_bytes += frame->size();
    ++im.messages_sent;
    Flush(c);
  };
  auto enqueue = [&](Conn& c, std::string frame) {
    enqueue_shared(c, std::make_shared<const std::string>(std::move(frame)));
  };
  auto close_with = [&](Conn& c, uint16_t code, const std::string& reason) {
    if (c.closing || c.dead) return;
    auto frame = std::make_shared<const std::string>(CloseFrame(code, reason));
    c.out.push_back(frame);
    c.out_bytes += frame->size();
    c.closing = true;
    Flush(c);
  };

  auto handle_command = [&](Conn& c, std::string_view text) {
    json msg = json::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object() || !msg.contains("type") || !msg["type"].is_string()) {
      enqueue(c, TextFrame(ErrorMessage("invalid_argument",
                                        "a message must be a JSON object with a string 'type'")));
      return;
    }
    const std::string type = msg["type"];
    if (type == "ping") {
      enqueue(c, TextFrame({{"type", "pong"}}));
      return;
    }
    if (type == "auth") {  // already authenticated; harmless
      enqueue(c, TextFrame({{"type", "authenticated"}, {"user_id", c.who.user_id}}));
      return;
    }
    if (type != "subscribe" && type != "unsubscribe") {
      enqueue(c, TextFrame(ErrorMessage("invalid_argument", "unknown message type '" + type.substr(0, 40) +
                                                                "'; use subscribe, unsubscribe or ping")));
      return;
    }
    if (!msg.contains("channel") || !msg["channel"].is_string()) {
      enqueue(c, TextFrame(ErrorMessage("invalid_argument", "'channel' must be a string")));
      return;
    }
    const std::string channel = msg["channel"];
    if (type == "unsubscribe") {
      c.channels.erase(channel);
      enqueue(c, TextFrame({{"type", "unsubscribed"}, {"channel", channel}}));
      return;
    }
    bool valid = channel == "signals" ||
                 (channel.starts_with("signal:") && store::IsUuidText(channel.substr(7))) ||
                 (channel.starts_with("bars:") && std::regex_match(channel.substr(5), kSymbolRe));
    if (!valid) {
      enqueue(c, TextFrame(ErrorMessage(
                     "invalid_argument", "channel '" + channel.substr(0, 80) +
                                             "' must be signals, signal:<uuid> or bars:<SYMBOL>")));
      return;
    }
    if (static_cast<int>(c.channels.size()) >= opt.max_subscriptions && !c.channels.contains(channel)) {
      enqueue(c, TextFrame(ErrorMessage("limit_exceeded", "at most " + std::to_string(opt.max_subscriptions) +
                                                              " channels per connection")));
      return;
    }
    c.channels.insert(channel);
    enqueue(c, TextFrame({{"type", "subscribed"}, {"channel", channel}}));
  };

  // Parses complete client frames from c.in.
  auto read_frames = [&](Conn& c) {
    size_t pos = 0;
    while (!c.dead && !c.closing) {
      size_t avail = c.in.size() - pos;
      if (avail < 2) break;
      auto b = [&](size_t i) { return static_cast<uint8_t>(c.in[pos + i]); };
      bool fin = b(0) & 0x80;
      uint8_t op = b(0) & 0x0F;
      bool masked = b(1) & 0x80;
      uint64_t len = b(1) & 0x7F;
      size_t hdr = 2;
      if (len == 126) {
        if (avail < 4) break;
        len = (uint64_t{b(2)} << 8) | b(3);
        hdr = 4;
      } else if (len == 127) {
        if (avail < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | b(2 + i);
        hdr = 10;
      }
      if (!masked) {
        close_with(c, 1002, "client frames must be masked");
        break;
      }
      if (len > opt.max_frame_bytes) {
        close_with(c, 1009, "frame larger than " + std::to_string(opt.max_frame_bytes) + " bytes");
        break;
      }
      if (avail < hdr + 4 + len) break;
      const char* mask = c.in.data() + pos + hdr;
      std::string payload(c.in.data() + pos + hdr + 4, len);
      for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= mask[i % 4];
      pos += hdr + 4 + len;
      if (op == kOpClose) {
        close_with(c, 1000, "bye");
      } else if (op == kOpPing) {
        enqueue(c, Frame(kOpPong, payload));
      } else if (op == kOpPong) {
        // keep-alive answer; nothing to do
      } else if (op == kOpText && fin) {
        handle_command(c, payload);
      } else {
        close_with(c, 1003, "only unfragmented JSON text messages are accepted");
      }
    }
    c.in.erase(0, pos);
  };

  auto fan_out_signal = [&](const std::string& id) {
    auto row = store::SignalQueriesRepository(im.pool).Find(id);
    if (!row.ok()) return;
    ++im.signals_fanned_out;
    const int64_t now = NowMicros();
    json body = SignalJson(*row);
    // A signal that is no longer active was closed (the engine NOTIFYs its
    // close on the same channel): subscribers get "signal.closed" with the
    // outcome; otherwise "signal" created/updated.
    const bool closed = row->status != "active";
    const char* event = row->created_at == row->updated_at ? "created" : "updated";
    auto message = [&](const std::string& channel) {
      if (!closed) return TextFrame({{"type", "signal"}, {"channel", channel}, {"event", event}, {"signal", body}});
      return TextFrame({{"type", "signal.closed"},
                        {"channel", channel},
                        {"signal_id", row->id},
                        {"status", row->status},
                        {"exit_price", OrNull(row->exit_price)},
                        {"exit_reason", OrNull(row->exit_reason)},
                        {"exit_at", TimeOrNull(row->exit_at)},
                        {"realized_pnl_pct", OrNull(row->realized_pnl_pct)},
                        {"signal", body}});
    };
    // Encoded once per channel and shared by every subscriber of it.
    std::shared_ptr<const std::string> all_frame, one_frame;
    const std::string one_channel = "signal:" + id;
    for (auto& [fd, c] : im.conns) {
      if (!SignalVisibleTo(c->who, row->status, row->created_at, now)) continue;
      if (c->channels.contains("signals")) {
        if (!all_frame) all_frame = std::make_shared<const std::string>(message("signals"));
        enqueue_shared(*c, all_frame);
      } else if (c->channels.contains(one_channel)) {
        if (!one_frame) one_frame = std::make_shared<const std::string>(message(one_channel));
        enqueue_shared(*c, one_frame);
      }
    }
  };

  auto fan_out_bars = [&](const std::string& payload) {
    std::string symbol = payload.substr(0, payload.find('|'));
    std::string tf_name = payload.find('|') == std::string::npos ? "1d" : payload.substr(payload.find('|') + 1);
    auto tf = store::TimeframeFromSqlName(tf_name);
    if (!tf || !std::regex_match(symbol, kSymbolRe)) return;
    const std::string channel = "bars:" + symbol;
    bool wanted = false;
    for (auto& [fd, c] : im.conns) wanted = wanted || c->channels.contains(channel);
    if (!wanted) return;
    store::BarsRepository bars(im.pool);
    auto latest = bars.LatestBarEnd(symbol, *tf);
    if (!latest.ok() || !*latest) return;
    auto s = bars.Load(symbol, *tf, **latest, **latest);
    if (!s.ok() || s->size() != 1) return;
    auto frame = std::make_shared<const std::string>(TextFrame({{"type", "bar"},
                                   {"channel", channel},
                                   {"symbol", symbol},
                                   {"timeframe", tf_name},
                                   {"bar", {{"ts", IsoTime(s->ts[0])}, {"open", s->open[0]},
                                            {"high", s->high[0]}, {"low", s->low[0]},
                                            {"close", s->close[0]}, {"volume", s->volume[0]}}}}));
    for (auto& [fd, c] : im.conns) {
      if (c->channels.contains(channel)) enqueue_shared(*c, frame);
    }
  };

  std::vector<pollfd> fds;
  std::vector<Conn*> order;
  char buf[16384];
  while (running_) {
    fds.clear();
    order.clear();
    fds.push_back({im.wake[0], POLLIN, 0});
    for (auto& [fd, c] : im.conns) {
      fds.push_back({fd, static_cast<short>(POLLIN | (c->pending() ? POLLOUT : 0)), 0});
      order.push_back(c.get());
    }
    int n = ::poll(fds.data(), fds.size(), 1000);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      while (::read(im.wake[0], buf, sizeof buf) > 0) {
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      Conn& c = *order[i - 1];
      short re = fds[i].revents;
      if (re & (POLLERR | POLLNVAL)) {
        c.dead = true;
        continue;
      }
      if (re & (POLLIN | POLLHUP)) {
        ssize_t got = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          c.dead = true;
          continue;
        }
        if (got > 0) {
          c.in.append(buf, static_cast<size_t>(got));
          read_frames(c);
        }
      }
      if ((re & POLLOUT) && !c.dead) Flush(c);
    }
    std::vector<std::unique_ptr<Conn>> adopted;
    std::vector<Event> events;
    {
      std::lock_guard<std::mutex> l(im.mu);
      adopted.swap(im.adopted);
      events.swap(im.events);
    }
    for (auto& c : adopted) {
      int fd = c->fd;
      im.conns[fd] = std::move(c);
    }
    for (const auto& e : events) {
      if (e.kind == Event::kSignal) {
        fan_out_signal(e.payload);
      } else {
        fan_out_bars(e.payload);
      }
    }
    for (auto it = im.conns.begin(); it != im.conns.end();) {
      if (it->second->dead) {
        try {
          // A slow consumer's backlog is stale: reset the connection rather
          // than let the kernel keep trickling it out.
          if (it->second->slow) it->second->ws.setLinger(true, 0);
          it->second->ws.close();
        } catch (...) {
        }
        it = im.conns.erase(it);
      } else {
        ++it;
      }
    }
    im.connections = im.conns.size();
  }
}

namespace {

std::string Trim(std::string s) {
  size_t a = s.find_first_not_of(" \t");
  size_t b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

void SendAndClose(Poco::Net::WebSocket& ws, const json& message, uint16_t code, const std::string& reason) {
  try {
    std::string text = message.dump();
    ws.sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
    ws.shutdown(code, reason);
  } catch (...) {
  }
}

void CheckStreamAccess(ApiRequest& r) {
  if (r.principal && !r.principal->HasScope("stream:read")) {
    throw ApiError(403, "insufficient_scope", "this API key lacks the scope 'stream:read'");
  }
}

// Everything before the handshake: the stream running, a credential from
// the subprotocols / Authorization / X-API-Key (the first message otherwise),
// the tier and the API-key scope. Throws ApiError.
void AuthorizeStream(ApiRequest& r, Poco::Net::HTTPServerResponse& http_response) {
  Status started = StreamHub::Instance().EnsureStarted(r.pool);
  if (!started.ok()) throw ServiceUnavailable("stream unavailable: " + started.message());
  // A token may come as the subprotocol "bearer.<token>" (browsers cannot set
  // headers on a WebSocket); the server then answers with "signalforge.v1".
  std::optional<std::string> token;
  bool offered_v1 = false;
  if (auto protocols = r.Header("sec-websocket-protocol")) {
    std::string list = *protocols;
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      std::string p = Trim(list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
      if (p.starts_with("bearer.")) token = p.substr(7);
      if (p == "signalforge.v1") offered_v1 = true;
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  if (!r.principal) {
    if (auto auth = r.Header("authorization"); auth && auth->starts_with("Bearer ")) token = auth->substr(7);
    if (auto key = r.Header("x-api-key")) token = *key;
  }
  if (token && !r.principal) r.Authenticate(*token);  // 401 before the handshake
  CheckStreamAccess(r);
  if (r.principal && !TierAtLeast(r.principal->tier, Tier::kPremium)) {
    throw Forbidden("the stream is for the premium tier and above; your tier is " +
                    std::string(TierName(r.principal->tier)));
  }
  if (offered_v1) http_response.set("Sec-WebSocket-Protocol", "signalforge.v1");

}

}  // namespace

void HandleStreamUpgrade(ApiRequest& r, Poco::Net::HTTPServerRequest& http_request,
                         Poco::Net::HTTPServerResponse& http_response) {
  // The platform hands over the raw response: errors before the handshake
  // are answered here as problem+json.
  auto answer = [&](const ApiError& e) {
    if (http_response.sent()) return;
    ApiResponse p = ProblemResponse(e);
    http_response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(p.status));
    http_response.setContentType("application/problem+json");
    for (const auto& [k, v] : p.headers) http_response.set(k, v);
    std::string body = p.body.dump();
    http_response.setContentLength(static_cast<std::streamsize>(body.size()));
    http_response.send() << body;
  };
  try {
    AuthorizeStream(r, http_response);
  } catch (const ApiError& e) {
    answer(e);
    return;
  }
  StreamHub& hub = StreamHub::Instance();

  std::unique_ptr<Poco::Net::WebSocket> ws;
  try {
    ws = std::make_unique<Poco::Net::WebSocket>(http_request, http_response);
  } catch (const Poco::Exception& e) {
    answer(BadRequest("GET /api/v1/stream is a WebSocket endpoint: " + e.message()));
    return;
  }
  const StreamOptions& opt = hub.options();
  if (!r.principal) {
    std::string buf(opt.max_frame_bytes, '\0');
    int flags = 0;
    int n = 0;
    try {
      ws->setReceiveTimeout(Poco::Timespan(0, opt.auth_timeout_ms * 1000));
      n = ws->receiveFrame(buf.data(), static_cast<int>(buf.size()), flags);
    } catch (const Poco::TimeoutException&) {
      SendAndClose(*ws, ErrorMessage("unauthenticated", "no auth message within the time limit"), 4401,
                   "authentication timeout");
      return;
    } catch (const Poco::Exception& e) {
      SendAndClose(*ws, ErrorMessage("invalid_argument", "first message unreadable: " + e.message()), 1009,
                   "bad first message");
      return;
    }
    json msg = json::parse(buf.substr(0, n > 0 ? static_cast<size_t>(n) : 0), nullptr, false);
    if (msg.is_discarded() || !msg.is_object() || msg.value("type", "") != "auth" || !msg.contains("token") ||
        !msg["token"].is_string()) {
      SendAndClose(*ws,
                   ErrorMessage("unauthenticated", "the first message must be {\"type\":\"auth\",\"token\":\"...\"}"),
                   4401, "authentication required");
      return;
    }
    try {
      r.Authenticate(msg["token"].get<std::string>());
    } catch (const ApiError& e) {
      SendAndClose(*ws, ErrorMessage("unauthenticated", e.detail), 4401, "authentication failed");
      return;
    }
    try {
      CheckStreamAccess(r);
    } catch (const ApiError& e) {
      SendAndClose(*ws, ErrorMessage(e.code, e.detail), 4403, "scope");
      return;
    }
    if (!TierAtLeast(r.principal->tier, Tier::kPremium)) {
      SendAndClose(*ws,
                   ErrorMessage("forbidden", "the stream is for the premium tier and above; your tier is " +
                                                 std::string(TierName(r.principal->tier))),
                   4403, "tier");
      return;
    }
  }
  json welcome = {{"type", "welcome"},
                  {"user_id", r.principal->user_id},
                  {"tier", TierName(r.principal->tier)},
                  {"channels", {"signals", "signal:<id>", "bars:<SYMBOL>"}},
                  {"max_frame_bytes", opt.max_frame_bytes}};
  std::string text = welcome.dump();
  ws->sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
  hub.Adopt(std::move(*ws), *r.principal);
}

namespace {

const RouteRegistrar kStreamRoutes({
    {.method = "GET",
     .pattern = "/api/v1/stream",
     .min_tier = Tier::kFree,
     .auth = false,  // the token may arrive in the first message
     .scope = "stream:read",
     .openapi = Operation(
         "WebSocket stream of new signals, signal updates and bars (premium)", "stream", 101,
         "Switching protocols. Authenticate with the first message {\"type\":\"auth\",\"token\"} or the "
         "subprotocols \"signalforge.v1, bearer.<token>\"; then {\"type\":\"subscribe\",\"channel\": "
         "\"signals\" | \"signal:<id>\" | \"bars:<SYMBOL>\"}. Server messages: {\"type\":\"signal\",\"channel\","
         "\"event\":\"created\"|\"updated\",\"signal\"} for an active signal; {\"type\":\"signal.closed\",\"channel\","
         "\"signal_id\",\"status\",\"exit_price\",\"exit_reason\",\"exit_at\",\"realized_pnl_pct\",\"signal\"} when a "
         "signal closes (target_reached, stopped_out, expired, manually_closed), to the subscribers of \"signals\" "
         "and of that signal allowed to see it; {\"type\":\"bar\",\"channel\",\"symbol\",\"timeframe\",\"bar\"}."),
     .upgrade = HandleStreamUpgrade},
});

}  // namespace

}  // namespace sf::api
