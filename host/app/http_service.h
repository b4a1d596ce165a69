// The host's HTTP listener: the service "http" of `signalforge serve`
// (order kOrderHttp, so it opens after every other service started and
// closes first). Built in: GET /healthz (version, ABI, plugins, each
// service's Health()) and GET /readyz (200 when every service is ready, else
// 503). Every other path goes to the mounts other rooms register (the API);
// unknown paths get a JSON 404.
//
// Mounting routes from another room (e.g. host/app/api_service.cc):
//   static sf::app::HttpMountRegistrar kApi({"api", "/v1/",
//       [](sf::app::Context& ctx, const Poco::Net::HTTPServerRequest& req)
//           -> Poco::Net::HTTPRequestHandler* { return MakeApiHandler(ctx, req); }});
// `make` runs on an HTTP thread per request whose path starts with `prefix`
// (longest prefix first) and returns a new handler (Poco takes ownership), or
// nullptr to fall through to 404. Handlers must catch their own exceptions;
// the listener turns an escaped one into a JSON 500.
//
// Thread-safety: mounts are registered during static initialisation only.
#ifndef SF_APP_HTTP_SERVICE_H_
#define SF_APP_HTTP_SERVICE_H_

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sf::app {

class Context;

struct HttpMount {
  std::string name;    // "api", "ws"... for logs
  std::string prefix;  // "/v1/"
  std::function<Poco::Net::HTTPRequestHandler*(Context&, const Poco::Net::HTTPServerRequest&)> make;
};

std::vector<HttpMount>& HttpMounts();

struct HttpMountRegistrar {
  explicit HttpMountRegistrar(HttpMount mount) { HttpMounts().push_back(std::move(mount)); }
};

// Writes `body` as application/json with `status`.
void SendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const nlohmann::json& body);

}  // namespace sf::app

#endif  // SF_APP_HTTP_SERVICE_H_
