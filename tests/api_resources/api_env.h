// Test environment for the resource routes: a real PostgreSQL database
// (tests/support throwaway cluster, every migration applied), the real API
// platform (auth, tiers, schemas) with every registered route, served by a
// Poco HTTP server on 127.0.0.1, the real indicator plugin, and users of
// each tier with access tokens. Requests go over real HTTP.
#ifndef SF_TESTS_API_RESOURCES_API_ENV_H_
#define SF_TESTS_API_RESOURCES_API_ENV_H_

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/ServerSocket.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "api/platform.h"
#include "app/context.h"
#include "plugins/registry.h"
#include "store/pool.h"

namespace sf::api::test {

struct HttpResult {
  int status = 0;
  nlohmann::json body;  // null when the body is empty or not JSON
  std::string text;
  std::map<std::string, std::string> headers;
};

// What the routes read through app::Context: a config and the plugins.
class TestContext : public app::Context {
 public:
  TestContext(nlohmann::json config, std::string base_dir);
  const nlohmann::json& config() const override { return config_; }
  const std::string& base_dir() const override { return base_dir_; }
  std::string ResolvePath(const std::string& path) const override;
  plugins::Registry& plugins() override { return registry_; }
  app::Service* FindService(const std::string&) override { return nullptr; }

 private:
  nlohmann::json config_;
  std::string base_dir_;
  plugins::Registry registry_;
};

class ApiEnv {
 public:
  // Starts everything; `scripts_dir` is where scans and strategy uploads go.
  explicit ApiEnv(const std::string& scripts_dir = "");
  ~ApiEnv();

  store::Pool& pool() { return *pool_; }
  ApiPlatform& platform() { return *platform_; }
  const std::string& conninfo() const { return conninfo_; }
  int port() const { return port_; }

  // A new active user of `tier`; returns its id.
  int64_t CreateUser(const std::string& tier);
  std::string TokenFor(int64_t user_id) { return platform_->IssueAccessToken(user_id); }

  HttpResult Call(const std::string& method, const std::string& path, const std::string& token,
                  const nlohmann::json& body = nullptr);
  HttpResult Raw(const std::string& method, const std::string& path, const std::string& token,
                 const std::string& body, const std::string& content_type = "application/json");

  // Test data: instruments, a strategy version, bars and signals.
  void AddInstrument(const std::string& symbol, const std::string& sector = "Technology");
  // Daily bars ending at "now" (the newest bar ends at today 00:00 UTC).
  void AddDailyBars(const std::string& symbol, int n, double start_price = 100);
  int64_t StrategyVersion(const std::string& name);
  // Inserts a signal created `age_hours` ago; `status` active or closed
  // (target_reached with a P/L). Returns its id.
  std::string AddSignal(const std::string& symbol, const std::string& strategy, const std::string& status,
                        double age_hours, double confidence = 0.8, const std::string& side = "buy",
                        double pnl_pct = 4.0);
  // Runs one SQL statement (test setup only).
  void Sql(const std::string& sql);

 private:
  std::string conninfo_;
  std::unique_ptr<store::Pool> pool_;
  std::unique_ptr<TestContext> ctx_;
  std::unique_ptr<ApiPlatform> platform_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
  int next_user_ = 0;
  int next_bar_day_ = 0;
};

}  // namespace sf::api::test

#endif  // SF_TESTS_API_RESOURCES_API_ENV_H_
