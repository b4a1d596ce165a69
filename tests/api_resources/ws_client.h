// A minimal WebSocket client for the stream tests and the fan-out
// benchmark: Poco does the handshake and framing; messages are JSON.
#ifndef SF_TESTS_API_RESOURCES_WS_CLIENT_H_
#define SF_TESTS_API_RESOURCES_WS_CLIENT_H_

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sf::api::test {

class WsClient {
 public:
  // Connects to ws://127.0.0.1:port/api/v1/stream; `protocols` and
  // `authorization` become the handshake headers when non-empty. Throws
  // Poco::Net::WebSocketException when the server refuses the upgrade
  // (http_status() then holds the answer's status).
  WsClient(int port, const std::string& protocols = "", const std::string& authorization = "",
           int rcvbuf = 0)
      : session_("127.0.0.1", static_cast<Poco::UInt16>(port)),
        request_(Poco::Net::HTTPRequest::HTTP_GET, "/api/v1/stream", Poco::Net::HTTPMessage::HTTP_1_1) {
    if (!protocols.empty()) request_.set("Sec-WebSocket-Protocol", protocols);
    if (!authorization.empty()) request_.set("Authorization", authorization);
    try {
      ws_ = std::make_unique<Poco::Net::WebSocket>(session_, request_, response_);
    } catch (...) {
      status_ = response_.getStatus();
      throw;
    }
    status_ = response_.getStatus();
    if (rcvbuf > 0) ws_->setReceiveBufferSize(rcvbuf);
    ws_->setReceiveTimeout(Poco::Timespan(10, 0));
  }

  void Send(const nlohmann::json& message) {
    std::string t = message.dump();
    ws_->sendFrame(t.data(), static_cast<int>(t.size()), Poco::Net::WebSocket::FRAME_TEXT);
  }
  void SendRaw(const std::string& text) {
    ws_->sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
  }

  // The next text message as JSON; nullopt on close, EOF or timeout.
  // close_code() is set when the server closed.
  std::optional<nlohmann::json> Receive(int timeout_ms = 10000) {
    ws_->setReceiveTimeout(Poco::Timespan(0, timeout_ms * 1000));
    for (;;) {
      int flags = 0;
      int n = 0;
      try {
        n = ws_->receiveFrame(buf_.data(), static_cast<int>(buf_.size()), flags);
      } catch (const Poco::TimeoutException&) {
        return std::nullopt;
      } catch (const Poco::Exception&) {
        closed_ = true;
        return std::nullopt;
      }
      int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
      if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE || (n == 0 && flags == 0)) {
        closed_ = true;
        if (n >= 2) close_code_ = (static_cast<unsigned char>(buf_[0]) << 8) | static_cast<unsigned char>(buf_[1]);
        return std::nullopt;
      }
      if (op != Poco::Net::WebSocket::FRAME_OP_TEXT) continue;
      return nlohmann::json::parse(std::string(buf_.data(), static_cast<size_t>(n)), nullptr, false);
    }
  }

  // Authenticates with the first message and returns the server's answer.
  std::optional<nlohmann::json> Auth(const std::string& token) {
    Send({{"type", "auth"}, {"token", token}});
    return Receive();
  }

  Poco::Net::WebSocket& socket() { return *ws_; }
  int http_status() const { return status_; }
  bool closed() const { return closed_; }
  int close_code() const { return close_code_; }
  std::string protocol() const { return response_.get("Sec-WebSocket-Protocol", ""); }

 private:
  Poco::Net::HTTPClientSession session_;
  Poco::Net::HTTPRequest request_;
  Poco::Net::HTTPResponse response_;
  std::unique_ptr<Poco::Net::WebSocket> ws_;
  std::vector<char> buf_ = std::vector<char>(64 * 1024);
  int status_ = 0;
  bool closed_ = false;
  int close_code_ = 0;
};

}  // namespace sf::api::test

#endif  // SF_TESTS_API_RESOURCES_WS_CLIENT_H_
