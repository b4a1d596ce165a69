// The dashboard's static files, served at / by the host's HTTP listener (a
// mount with the shortest prefix, so every other mount and /healthz win).
//
// Files come from /web/dir (default build/web, assembled by host/web's CMake
// target), else from the install's share/signalforge/web. Only GET and HEAD
// of regular files under that folder are answered; a path that leaves it
// (.., symlinks out, NUL) is refused. Every answer carries a strict
// Content-Security-Policy (scripts, styles and connections from this origin
// only), nosniff, no framing and no referrer. index.html and our modules are
// revalidated on every load (ETag, Cache-Control: no-cache); the vendored
// chart library is cacheable for a day.
//
// Thread-safety: the file cache is guarded by a mutex; files are read once
// and kept (the folder is small and immutable while the server runs).
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unistd.h>

#include "app/context.h"
#include "app/http_service.h"

namespace sf::app {
namespace {

namespace fs = std::filesystem;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

struct StaticFile {
  std::string body;
  std::string type;
  std::string etag;
  bool long_cache = false;
};

std::string ContentType(const fs::path& p) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  auto it = kTypes.find(p.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::string Fnv1aHex(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::ostringstream o;
  o << std::hex << h;
  return o.str();
}

class WebRoot {
 public:
  explicit WebRoot(Context& ctx) {
    std::string configured = "build/web";
    const auto& cfg = ctx.config();
    if (cfg.contains("web") && cfg["web"].is_object()) {
      enabled_ = cfg["web"].value("enabled", true);
      configured = cfg["web"].value("dir", configured);
    }
    std::error_code ec;
    std::vector<fs::path> candidates = {fs::path(ctx.ResolvePath(configured))};
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
      exe[n] = '\0';
      fs::path bin = fs::path(exe).parent_path();
      candidates.push_back(bin / "web");
      candidates.push_back(bin.parent_path() / "share/signalforge/web");
    }
    for (const auto& c : candidates) {
      if (fs::is_regular_file(c / "index.html", ec)) {
        root_ = fs::canonical(c, ec);
        break;
      }
    }
  }

  bool enabled() const { return enabled_; }
  bool found() const { return !root_.empty(); }

  // The file for a URL path, or null when there is none (or it is outside).
  std::shared_ptr<const StaticFile> Find(const std::string& url_path) {
    std::string rel = url_path == "/" ? "index.html" : url_path.substr(1);
    if (rel.find('\0') != std::string::npos || rel.find("..") != std::string::npos) return nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = cache_.find(rel);
      if (it != cache_.end()) return it->second;
    }
    std::error_code ec;
    fs::path p = fs::weakly_canonical(root_ / rel, ec);
    if (ec || !fs::is_regular_file(p, ec)) return nullptr;
    auto [root_end, p_it] = std::mismatch(root_.begin(), root_.end(), p.begin(), p.end());
    if (root_end != root_.end()) return nullptr;  // resolved outside the web root
    if (p.filename().string().front() == '.') return nullptr;
    std::ifstream in(p, std::ios::binary);
    if (!in) return nullptr;
    auto f = std::make_shared<StaticFile>();
    std::ostringstream buf;
    buf << in.rdbuf();
    f->body = buf.str();
    f->type = ContentType(p);
    f->etag = "\"" + Fnv1aHex(f->body) + "\"";
    f->long_cache = rel.rfind("vendor/", 0) == 0;
    std::lock_guard<std::mutex> lock(mu_);
    cache_[rel] = f;
    return f;
  }

 private:
  bool enabled_ = true;
  fs::path root_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const StaticFile>> cache_;
};

void SecurityHeaders(HTTPServerResponse& resp) {
  resp.set("Content-Security-Policy", kCsp);
  resp.set("X-Content-Type-Options", "nosniff");
  resp.set("X-Frame-Options", "DENY");
  resp.set("Referrer-Policy", "no-referrer");
  resp.set("Cross-Origin-Opener-Policy", "same-origin");
}

class StaticHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit StaticHandler(std::shared_ptr<const StaticFile> file) : file_(std::move(file)) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    SecurityHeaders(resp);
    resp.set("ETag", file_->etag);
    resp.set("Cache-Control", file_->long_cache ? "public, max-age=86400" : "no-cache");
    if (req.get("If-None-Match", "") == file_->etag) {
      resp.setStatus(HTTPResponse::HTTP_NOT_MODIFIED);
      resp.setContentLength(0);
      resp.send();
      return;
    }
    resp.setStatus(HTTPResponse::HTTP_OK);
    resp.setContentType(file_->type);
    resp.setContentLength64(static_cast<Poco::Int64>(file_->body.size()));
    auto& out = resp.send();
    if (req.getMethod() != "HEAD") out.write(file_->body.data(), file_->body.size());
  }

 private:
  std::shared_ptr<const StaticFile> file_;
};

// The web root is found once, on the first request (the config is final by
// then); HTTP threads share it.
WebRoot& Root(Context& ctx) {
  static std::once_flag once;
  static std::unique_ptr<WebRoot> root;
  std::call_once(once, [&] { root = std::make_unique<WebRoot>(ctx); });
  return *root;
}

Poco::Net::HTTPRequestHandler* MakeStaticHandler(Context& ctx, const HTTPServerRequest& req) {
  if (req.getMethod() != "GET" && req.getMethod() != "HEAD") return nullptr;
  WebRoot& root = Root(ctx);
  if (!root.enabled()) return nullptr;
  std::string path = Poco::URI(req.getURI()).getPath();
  if (!root.found()) {
    if (path != "/") return nullptr;
    return new StaticHandler(std::make_shared<StaticFile>(StaticFile{
        "<!doctype html><title>Signalforge</title><p>The dashboard's assets are not built. "
        "Build the <code>web_assets</code> target (make build) or set /web/dir.</p>",
        "text/html; charset=utf-8", "\"missing\"", false}));
  }
  auto file = root.Find(path);
  return file ? new StaticHandler(std::move(file)) : nullptr;
}

const HttpMountRegistrar kWebMount({"web", "/", MakeStaticHandler});

}  // namespace
}  // namespace sf::app
