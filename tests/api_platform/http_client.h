// A deliberately small HTTP/1.1 client for the API tests, over raw sockets:
// it can bind the client side to any 127.0.0.0/8 address (so per-IP rate
// limits can be exercised from distinct clients), and send what a normal
// client library refuses to (huge headers, lying Content-Length, chunked
// bodies). One request per connection (Connection: close).
#ifndef SF_TESTS_API_PLATFORM_HTTP_CLIENT_H_
#define SF_TESTS_API_PLATFORM_HTTP_CLIENT_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sf::test {

struct HttpResponse {
  int status = 0;  // 0: the connection failed or closed without an answer
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  bool chunked = false;       // send the body with Transfer-Encoding: chunked
  std::string source_ip{};    // "" = any
};

HttpResponse Send(int port, const HttpRequest& request);

}  // namespace sf::test

#endif  // SF_TESTS_API_PLATFORM_HTTP_CLIENT_H_
