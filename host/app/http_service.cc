#include "app/http_service.h"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>

#include <memory>

#include "app/app_context.h"
#include "app/service.h"
#include "app/version.h"
#include "base/logging.h"

namespace sf::app {

using nlohmann::json;
using Poco::Net::HTTPRequestHandler;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

std::vector<HttpMount>& HttpMounts() {
  static std::vector<HttpMount> mounts;
  return mounts;
}

void SendJson(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const json& body) {
  const std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  response.setStatusAndReason(status);
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(text.size()));
  response.send() << text;
}

namespace {

json ErrorBody(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

// A handler from a function; an exception escaping it becomes a JSON 500.
class FunctionHandler final : public HTTPRequestHandler {
 public:
  using Fn = std::function<void(HTTPServerRequest&, HTTPServerResponse&)>;
  explicit FunctionHandler(Fn fn) : fn_(std::move(fn)) {}
  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    try {
      fn_(req, resp);
    } catch (const std::exception& e) {
      base::Logger("http")->error("{} {} failed: {}", req.getMethod(), req.getURI(), e.what());
      if (!resp.sent())
        SendJson(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                 ErrorBody("internal", "the server failed to handle this request"));
    }
  }

 private:
  Fn fn_;
};

HTTPRequestHandler* Error(HTTPResponse::HTTPStatus status, std::string code, std::string message) {
  return new FunctionHandler([status, code = std::move(code), message = std::move(message)](
                                 HTTPServerRequest&, HTTPServerResponse& resp) {
    SendJson(resp, status, ErrorBody(code, message));
  });
}

class Router final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Router(AppContext& ctx, std::size_t max_body, json plugins)
      : ctx_(ctx), max_body_(max_body), plugins_(std::move(plugins)), mounts_(HttpMounts()) {
    std::stable_sort(mounts_.begin(), mounts_.end(), [](const HttpMount& a, const HttpMount& b) {
      return a.prefix.size() > b.prefix.size();
    });
  }

  HTTPRequestHandler* createRequestHandler(const HTTPServerRequest& req) override {
    std::string path;
    try {
      path = Poco::URI(req.getURI()).getPath();
    } catch (const Poco::Exception&) {
      return Error(HTTPResponse::HTTP_BAD_REQUEST, "invalid_argument",
                   "request target is not a valid URI");
    }
    if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(max_body_)) {
      return Error(HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large",
                   "request body is " + std::to_string(req.getContentLength64()) +
                       " bytes; the limit is " + std::to_string(max_body_) +
                       " (config /http/max_body_bytes)");
    }
    if (path == "/healthz" || path == "/readyz") {
      if (req.getMethod() != "GET" && req.getMethod() != "HEAD") {
        return Error(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "invalid_argument",
                     path + " answers GET only");
      }
      const bool ready_only = path == "/readyz";
      return new FunctionHandler([this, ready_only](HTTPServerRequest&, HTTPServerResponse& resp) {
        Probe(resp, ready_only);
      });
    }
    for (const auto& m : mounts_) {
      if (path.rfind(m.prefix, 0) != 0) continue;
      try {
        if (HTTPRequestHandler* h = m.make(ctx_, req)) return h;
      } catch (const std::exception& e) {
        base::Logger("http")->error("mount {} failed on {}: {}", m.name, path, e.what());
        return Error(HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal",
                     "the server failed to handle this request");
      }
    }
    return Error(HTTPResponse::HTTP_NOT_FOUND, "not_found", "no route for " + path);
  }

 private:
  void Probe(HTTPServerResponse& resp, bool ready_only) {
    json services = json::object();
    bool ready = true;
    for (const auto& [name, service] : ctx_.StartedServices()) {
      json h;
      try {
        h = service->Health();
      } catch (const std::exception& e) {
        h = {{"ready", false}, {"error", e.what()}};
      }
      if (!h.is_object()) h = {{"ready", false}, {"error", "Health() did not return an object"}};
      const bool r = h.value("ready", false);
      ready = ready && r;
      services[name] = std::move(h);
    }
    if (ready_only) {
      SendJson(resp, ready ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
               {{"ready", ready}, {"services", services}});
      return;
    }
    json body = {{"status", "ok"},      {"ready", ready},      {"version", Version()},
                 {"abi", AbiVersion()}, {"plugins", plugins_}, {"services", services}};
    if (*GitHash()) body["git"] = GitHash();
    SendJson(resp, HTTPResponse::HTTP_OK, body);
  }

  AppContext& ctx_;
  const std::size_t max_body_;
  const json plugins_;
  std::vector<HttpMount> mounts_;
};

class HttpService final : public Service {
 public:
  Status Start(Context& ctx) override {
    auto* app = dynamic_cast<AppContext*>(&ctx);
    if (!app) return Internal("the http service needs the application context");
    const auto& http = ctx.config().at("http");
    const std::string host = http.at("host").get<std::string>();
    const int port = http.at("port").get<int>();
    const int threads = http.at("threads").get<int>();
    const auto max_body = http.at("max_body_bytes").get<std::size_t>();

    json plugins = json::array();
    for (const auto& p : ctx.plugins().plugins())
      plugins.push_back({{"id", p.id}, {"version", p.version}, {"components", p.components}});

    try {
      Poco::Net::ServerSocket socket;
      // SO_REUSEADDR (restart while old connections linger) but not
      // SO_REUSEPORT: a second server on the same port must fail, not share.
      socket.bind(Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port)), true, false);
      socket.listen(128);
      // Accepted connections inherit TCP_NODELAY: an answer leaves at once
      // instead of waiting for the client's ACK of the previous segment.
      socket.setNoDelay(true);
      address_ = "http://" + socket.address().toString();
      auto* params = new Poco::Net::HTTPServerParams;
      params->setMaxThreads(threads);
      params->setMaxQueued(256);
      params->setKeepAlive(true);
      params->setSoftwareVersion(std::string("signalforge/") + Version());
      pool_ = std::make_unique<Poco::ThreadPool>(std::min(2, threads), threads);
      server_ = std::make_unique<Poco::Net::HTTPServer>(
          new Router(*app, max_body, std::move(plugins)), *pool_, socket, params);
      server_->start();
    } catch (const Poco::Exception& e) {
      server_.reset();
      pool_.reset();
      return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                         e.displayText() + " (config /http/host, /http/port)");
    }
    running_ = true;
    base::Logger("http")->info("listening on {}", address_);
    return Status::Ok();
  }

  void Stop() override {
    running_ = false;
    if (server_) server_->stopAll(true);
    if (pool_) pool_->joinAll();
    server_.reset();
    pool_.reset();
  }

  json Health() const override { return {{"ready", running_.load()}, {"address", address_}}; }

 private:
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::atomic<bool> running_{false};
  std::string address_;
};

const ServiceRegistrar kHttpService({kOrderHttp, "http", []() -> std::unique_ptr<Service> {
                                       return std::make_unique<HttpService>();
                                     }});

}  // namespace
}  // namespace sf::app
