#include "api_env.h"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "api/routes_scans.h"
#include "api/stream.h"
#include "plugins/loader.h"
#include "store/instruments_repository.h"
#include "store/bars_repository.h"
#include "store/signals_repository.h"
#include "store/users_repository.h"
#include "support/pg_cluster.h"

namespace sf::api::test {

using nlohmann::json;

TestContext::TestContext(json config, std::string base_dir)
    : config_(std::move(config)), base_dir_(std::move(base_dir)) {
  plugins::LoaderOptions lo;
  lo.probe = false;
  lo.log = false;
  plugins::Loader loader(registry_, lo);
  auto r = loader.LoadFile(SF_INDICATORS_PLUGIN);
  EXPECT_TRUE(r.reason.empty()) << r.Message();
}

std::string TestContext::ResolvePath(const std::string& path) const {
  std::filesystem::path p(path);
  return p.is_absolute() ? path : (std::filesystem::path(base_dir_) / p).string();
}

namespace {

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(ApiPlatform* p) : platform_(p) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return platform_->NewHandler();
  }

 private:
  ApiPlatform* platform_;
};

}  // namespace

ApiEnv::ApiEnv(const std::string& scripts_dir) {
  conninfo_ = testing::PgCluster::Shared().CreateMigratedDatabase("api");
  store::PoolOptions po;
  po.conninfo = conninfo_;
  po.size = 8;
  auto pool = store::Pool::Create(po);
  EXPECT_TRUE(pool.ok()) << pool.status().ToString();
  pool_ = std::move(*pool);

  json config = {{"scans", {{"scripts_dir", scripts_dir.empty() ? "/nonexistent" : scripts_dir},
                            {"worker_path", SF_LUA_WORKER},
                            {"lib_dir", SF_SCRIPTS_LIB},
                            {"poll_ms", 200}}},
                 {"plugins", {{"directories", json::array({std::filesystem::path(SF_INDICATORS_PLUGIN)
                                                                .parent_path()
                                                                .string()})}}}};
  ctx_ = std::make_unique<TestContext>(config, "/");

  PlatformOptions opt;
  opt.jwt.secret = std::string(48, 'k') + "resources-test-secret";
  opt.password.ops_limit = 1;
  opt.password.mem_limit_kib = 8 * 1024;
  for (const char* tier : {"free", "premium", "pro", "admin", "anonymous", "auth"}) {
    opt.rate_limits[tier] = RateLimit{100000, 100000};
  }
  opt.auth_cache_ms = 0;
  auto platform = ApiPlatform::Create(opt, pool_.get(), ctx_.get(), RegisteredRoutes());
  EXPECT_TRUE(platform.ok()) << platform.status().ToString();
  platform_ = std::move(*platform);

  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(32);
  params->setMaxQueued(2000);
  params->setKeepAlive(true);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(platform_.get()), socket, params);
  server_->start();
}

ApiEnv::~ApiEnv() {
  // The hub and the scan runner are per process and bound to this env's
  // database; the next env starts them again on its own.
  StreamHub::Instance().Stop();
  ScanRunner::Instance().Stop();
  server_->stopAll(true);
  server_.reset();
  platform_.reset();
}

int64_t ApiEnv::CreateUser(const std::string& tier) {
  store::UsersRepository users(pool_.get());
  auto u = users.Create("user" + std::to_string(++next_user_) + "-" + tier + "@example.com", std::nullopt, tier);
  EXPECT_TRUE(u.ok()) << u.status().ToString();
  return u.ok() ? u->id : 0;
}

HttpResult ApiEnv::Raw(const std::string& method, const std::string& path, const std::string& token,
                       const std::string& body, const std::string& content_type) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!token.empty()) req.set("Authorization", "Bearer " + token);
  if (!body.empty()) {
    req.setContentType(content_type);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpResult out;
  out.status = resp.getStatus();
  Poco::StreamCopier::copyToString(in, out.text);
  for (const auto& [k, v] : resp) out.headers[k] = v;
  out.body = json::parse(out.text, nullptr, false);
  if (out.body.is_discarded()) out.body = nullptr;
  return out;
}

HttpResult ApiEnv::Call(const std::string& method, const std::string& path, const std::string& token,
                        const json& body) {
  return Raw(method, path, token, body.is_null() ? "" : body.dump());
}

void ApiEnv::AddInstrument(const std::string& symbol, const std::string& sector) {
  store::Instrument i;
  i.symbol = symbol;
  i.name = symbol + " Inc.";
  i.sector = sector;
  i.exchange = "NASDAQ";
  i.market_cap = 1'000'000'000;
  ASSERT_TRUE(store::InstrumentsRepository(pool_.get()).Upsert(i).ok());
}

void ApiEnv::AddDailyBars(const std::string& symbol, int n, double start_price) {
  constexpr int64_t kDay = 86'400'000'000LL;
  int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  int64_t today = now / kDay * kDay;
  store::BarBatch b;
  b.symbol = symbol;
  b.timeframe = market::Timeframe::k1d;
  b.source = "test";
  for (int d = n; d >= 1; --d) {
    int64_t start = today - d * kDay;
    double p = start_price + (n - d) * 0.5;
    b.ts_start.push_back(start);
    b.ts_end.push_back(start + kDay);
    b.open.push_back(p);
    b.high.push_back(p + 1);
    b.low.push_back(p - 1);
    b.close.push_back(p + 0.25);
    b.volume.push_back(1000 + d);
  }
  auto r = store::BarsRepository(pool_.get()).Ingest(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

int64_t ApiEnv::StrategyVersion(const std::string& name) {
  auto v = store::StrategiesRepository(pool_.get()).EnsureVersion(name, "hash-" + name + "-0001", "return {}");
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? v->version_id : 0;
}

std::string ApiEnv::AddSignal(const std::string& symbol, const std::string& strategy, const std::string& status,
                              double age_hours, double confidence, const std::string& side, double pnl_pct) {
  constexpr int64_t kDay = 86'400'000'000LL;
  store::NewSignal s;
  s.strategy_version_id = StrategyVersion(strategy);
  s.symbol = symbol;
  s.side = side;
  s.bar_ts = 1'577'836'800'000'000LL + (++next_bar_day_) * kDay;
  s.expires_at = s.bar_ts + 10 * kDay;
  s.entry_price = 100;
  s.current_price = 101;
  s.target_price = side == "buy" ? 110 : 90;
  s.stop_price = side == "buy" ? 95 : 105;
  s.risk_reward = 2;
  s.confidence = confidence;
  s.features = {{"rsi", 24.5}};
  s.summary = symbol + " oversold";
  auto r = store::SignalsRepository(pool_.get()).InsertSignalWithOutbox(s, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return "";
  std::ostringstream sql;
  sql << "UPDATE signals SET created_at = now() - interval '" << age_hours << " hours', updated_at = now() - interval '"
      << age_hours << " hours'";
  if (status != "active") {
    sql << ", status = '" << status << "', exit_price = 104, exit_reason = 'test', exit_at = now() - interval '"
        << age_hours / 2 << " hours', realized_pnl_pct = " << pnl_pct;
  }
  sql << " WHERE id = '" << r->signal_id << "'";
  Sql(sql.str());
  return r->signal_id;
}

void ApiEnv::Sql(const std::string& sql) {
  auto c = pool_->Acquire();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Status s = (*c)->Run(sql);
  ASSERT_TRUE(s.ok()) << s.ToString() << " in " << sql;
}

}  // namespace sf::api::test
