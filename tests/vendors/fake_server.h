// Local stand-ins for remote vendors, on 127.0.0.1 with an OS-chosen port:
//  - FakeVendorServer: a real Poco HTTPServer whose handler a test sets, and
//    which records every request (path, query, headers) for assertions.
//  - RawTcpServer: a TCP listener whose connection handler writes whatever it
//    wants (headers one byte at a time, garbage, nothing at all).
// Both stop their threads in the destructor; handlers must watch stopping().
// Thread-safety: requests() may be called from the test thread while the
// server runs.
#ifndef SF_TESTS_VENDORS_FAKE_SERVER_H_
#define SF_TESTS_VENDORS_FAKE_SERVER_H_

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sf::testing {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // lower-case names
};

class FakeVendorServer {
 public:
  using Handler =
      std::function<void(const RecordedRequest&, Poco::Net::HTTPServerRequest&,
                         Poco::Net::HTTPServerResponse&, const std::atomic<bool>& stopping)>;
  explicit FakeVendorServer(Handler handler);
  ~FakeVendorServer();
  FakeVendorServer(const FakeVendorServer&) = delete;
  FakeVendorServer& operator=(const FakeVendorServer&) = delete;

  std::string base_url() const;  // "http://127.0.0.1:<port>"
  uint16_t port() const { return port_; }
  std::vector<RecordedRequest> requests() const;

  // Called by the handler factory.
  void Handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

 private:
  Handler handler_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

// Sends a complete response with a body.
void Reply(Poco::Net::HTTPServerResponse& response, int status, const std::string& body,
           const std::string& content_type = "application/json");

class RawTcpServer {
 public:
  using Handler = std::function<void(Poco::Net::StreamSocket&, const std::atomic<bool>& stopping)>;
  explicit RawTcpServer(Handler handler);
  ~RawTcpServer();
  std::string base_url() const;
  int connections() const { return connections_.load(); }

 private:
  Handler handler_;
  Poco::Net::ServerSocket socket_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

// A loopback port nothing listens on (bound, then closed).
uint16_t ClosedPort();

}  // namespace sf::testing

#endif  // SF_TESTS_VENDORS_FAKE_SERVER_H_
