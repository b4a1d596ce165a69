// Local fake vendor servers (see fake_server.h).
#include "fake_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include <cctype>

namespace sf::testing {
namespace {

class DispatchHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit DispatchHandler(FakeVendorServer* server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      server_->Handle(request, response);
    } catch (const std::exception&) {
      // The client went away mid-response (the point of hostile tests).
    }
  }

 private:
  FakeVendorServer* server_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(FakeVendorServer* server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new DispatchHandler(server_);
  }

 private:
  FakeVendorServer* server_;
};

}  // namespace

FakeVendorServer::FakeVendorServer(Handler handler) : handler_(std::move(handler)), pool_(2, 8) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(false);
  params->setMaxThreads(8);
  params->setTimeout(Poco::Timespan(5, 0));
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), pool_, socket, params);
  server_->start();
}

FakeVendorServer::~FakeVendorServer() {
  stopping_ = true;
  server_->stopAll(true);
  pool_.joinAll();
}

std::string FakeVendorServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<RecordedRequest> FakeVendorServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeVendorServer::Handle(Poco::Net::HTTPServerRequest& request,
                              Poco::Net::HTTPServerResponse& response) {
  RecordedRequest rec;
  rec.method = request.getMethod();
  Poco::URI uri(request.getURI());
  rec.path = uri.getPath();
  for (const auto& [k, v] : uri.getQueryParameters()) rec.query[k] = v;
  for (const auto& [k, v] : request) {
    std::string name = k;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rec.headers[name] = v;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(rec);
  }
  handler_(rec, request, response, stopping_);
}

void Reply(Poco::Net::HTTPServerResponse& response, int status, const std::string& body,
           const std::string& content_type) {
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentType(content_type);
  response.setContentLength64(static_cast<Poco::Int64>(body.size()));
  response.send() << body;
}

RawTcpServer::RawTcpServer(Handler handler)
    : handler_(std::move(handler)), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
  accept_thread_ = std::thread([this] {
    while (!stopping_) {
      Poco::Net::Socket::SocketList read{socket_}, write, except;
      if (Poco::Net::Socket::select(read, write, except, Poco::Timespan(0, 20000)) == 0) continue;
      if (stopping_) break;
      Poco::Net::StreamSocket conn;
      try {
        conn = socket_.acceptConnection();
      } catch (const std::exception&) {
        continue;
      }
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, conn]() mutable {
        try {
          handler_(conn, stopping_);
        } catch (const std::exception&) {
        }
        try {
          conn.close();
        } catch (const std::exception&) {
        }
      });
    }
  });
}

RawTcpServer::~RawTcpServer() {
  stopping_ = true;
  accept_thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& t : workers_) t.join();
  socket_.close();
}

std::string RawTcpServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(socket_.address().port());
}

uint16_t ClosedPort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  const uint16_t port = s.address().port();
  s.close();
  return port;
}

}  // namespace sf::testing
