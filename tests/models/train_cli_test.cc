// `signalforge train` and `signalforge model` end to end: the real binary,
// bars straight from the csv provider plugin over real S&P 500 files, a
// throwaway PostgreSQL database for the model registry and computed_features,
// and the model registry's versioning and activation (ModelsRepository, the
// functions the API calls).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "lua/strategy_runtime.h"
#include "market/bar_series.h"
#include "store/features_repository.h"
#include "store/models_repository.h"
#include "store/pool.h"
#include "support/pg_cluster.h"

namespace sf {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct CmdResult {
  int code = -1;
  std::string out;
};

CmdResult Exec(const std::string& cmd) {
  CmdResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The last line that parses as a JSON object.
json LastJson(const std::string& out) {
  json last;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    auto j = json::parse(out.substr(pos, end - pos), nullptr, false);
    if (j.is_object() || j.is_array()) last = j;
    pos = end + 1;
  }
  return last;
}

// What a strategy in a real Lua worker gets from ctx.predict("mr", {}) when
// the runtime is given `models` (as serve and API backtests give it the
// registry's choice): the probability, or nullopt when predict gave nil.
// *problems: the worker's model errors and the strategy's errors.
std::optional<double> PredictInStrategy(const json& models, const std::string& dir, std::string* problems) {
  fs::create_directories(dir);
  std::ofstream(dir + "/predicts.lua") << R"(
return {
  name = "predicts", timeframe = "1d", universe = { type = "equity" },
  evaluate = function(ctx, symbol)
    local p = ctx.predict("mr", {})  -- every feature missing: the model's answer for NaN
    if p == nil then return nil end
    local c = ctx.bars.close[-1]
    return { side = "buy", confidence = 0.5, target = c * 1.1, stop = c * 0.9, expiry = 5,
             summary = "predicted", features = { p = p } }
  end,
}
)";
  lua::RuntimeOptions o;
  o.scripts_dir = dir;
  o.lib_dir = std::string(SF_SOURCE_DIR) + "/scripts/lib";
  o.worker_path = SF_LUA_WORKER;
  o.plugin_dirs = {SF_PLUGIN_DIR};
  o.models = models;
  o.history_bars = 50;
  o.max_series = 8;
  auto rt = lua::StrategyRuntime::Create(o);
  if (!rt.ok()) {
    *problems = rt.status().ToString();
    return std::nullopt;
  }
  (*rt)->SetInstrument("AAA", {"equity", "", ""});
  const lua::StrategyStatus st = (*rt)->LoadFile(dir + "/predicts.lua", true);
  *problems = st.state == "running" ? st.worker.value("model_errors", json::array()).dump() : st.last_error;
  if (st.state == "running") *problems += " models " + st.worker.value("models", json::array()).dump();
  market::BarSeries s;
  s.symbol = "AAA";
  for (int i = 0; i < 30; ++i)
    s.Append((int64_t{18000} + i) * 86'400'000'000LL, 100 + i, 101 + i, 99 + i, 100.5 + i, 1e6);
  if (!(*rt)->UpdateSeries(s).ok()) return std::nullopt;
  lua::BarResult r = (*rt)->OnBarClose({market::Timeframe::k1d, s.ts.back(), {"AAA"}, json::object()});
  for (const auto& e : r.errors) *problems += " error: " + e.message;
  if (r.intents.empty()) return std::nullopt;
  return r.intents[0].features.value("p", -1.0);
}

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing::PgCluster::Shared().CreateMigratedDatabase("train");
    char tmpl[] = "/tmp/sf-train-cli-XXXXXX";
    dir_ = mkdtemp(tmpl);
    config_ = dir_ + "/sf.json";
    std::ofstream(config_) << json{{"plugins", {{"directories", {SF_PLUGIN_DIR}}}},
                                   {"database", {{"url", conninfo_}, {"migrations_dir", SF_MIGRATIONS_DIR}}},
                                   {"market", {{"calendars_dir", SF_CALENDARS_DIR}}},
                                   {"models", {{"directory", dir_ + "/models"}}}}
                                   .dump();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Bin() const { return std::string(SF_SIGNALFORGE_BIN) + " --config " + config_ + " "; }
  std::string Train(const std::string& extra) const {
    return Bin() + "train --provider csv --path " + SF_SP500_DIR +
           " --symbols AAPL,MSFT,XOM,JPM,KO --from 2006-01-01 --to 2010-12-31"
           " --feature-set price_v1@1+regime_v1@1 --label 'triple_barrier(+3%,-3%,10)'"
           " --params num_round=15 max_depth=3 folds=3 nthread=1 --out mr " + extra;
  }
  std::string conninfo_, dir_, config_;
};

TEST_F(TrainCli, TrainsRegistersVersionsAndActivates) {
  CmdResult r = Exec(Train("--json --store-features"));
  ASSERT_EQ(r.code, 0) << r.out;
  json first = LastJson(r.out);
  ASSERT_TRUE(first.is_object()) << r.out;
  EXPECT_EQ(first["version"], 1);
  EXPECT_EQ(first["active"], true) << "the first version of a name is active";
  EXPECT_EQ(first["feature_set"], "price_v1@1+regime_v1@1");
  EXPECT_EQ(first["label"], "triple_barrier(+3%,-3%,10)");
  EXPECT_EQ(first["symbols"].size(), 5u);
  EXPECT_TRUE(fs::exists(first["file_path"].get<std::string>()));
  EXPECT_TRUE(fs::exists(first["file_path"].get<std::string>() + ".meta.json"));
  EXPECT_EQ(fs::path(first["file_path"].get<std::string>()).filename(), "mr@1.json");
  const json& val = first["metrics"]["validation"];
  EXPECT_EQ(val["embargo_bars"], 20);
  EXPECT_TRUE(val["out_of_fold"]["auc"].is_number());
  EXPECT_EQ(first["metrics"]["features"].size(), 20u);
  // Data range inside --from/--to; labels end by --to.
  EXPECT_GE(first["data_from_us"].get<int64_t>(), 1136073600000000LL);  // 2006-01-01
  EXPECT_LE(first["data_to_us"].get<int64_t>(), 1293839999999999LL);    // 2010-12-31T23:59:59
  EXPECT_GT(first["features_stored"].get<int64_t>(), 5 * 1200);

  auto pool = store::Pool::Create({.conninfo = conninfo_, .size = 2});
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  // computed_features holds price_v1 with its version, JSON null for warm-up.
  store::FeaturesRepository features(pool->get());
  auto rows = features.Load("AAPL", "price_v1", 1, 1136073600000000LL, 1293839999999999LL);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_GT(rows->ts.size(), 1200u);
  EXPECT_EQ(rows->names.size(), 15u);
  auto reg = features.Load("AAPL", "regime_v1", 1, 1136073600000000LL, 1293839999999999LL);
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(reg->ts.size(), rows->ts.size());

  // Second version: registered, not active until asked.
  r = Exec(Train("--json"));
  ASSERT_EQ(r.code, 0) << r.out;
  json second = LastJson(r.out);
  EXPECT_EQ(second["version"], 2);
  EXPECT_EQ(second["active"], false);

  store::ModelsRepository models(pool->get());
  auto active = models.Active("mr");
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->version, 1);
  r = Exec(Bin() + "model activate mr 2");
  ASSERT_EQ(r.code, 0) << r.out;
  active = models.Active("mr");
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->version, 2);
  r = Exec(Bin() + "model list mr --json");
  ASSERT_EQ(r.code, 0) << r.out;
  json list = LastJson(r.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["version"], 2);
  EXPECT_EQ(list[0]["active"], true);
  EXPECT_EQ(list[1]["active"], false);
  r = Exec(Bin() + "model activate mr 7");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("has no version 7 (versions: 1, 2)"), std::string::npos) << r.out;

  // A third training run with --activate takes over.
  r = Exec(Train("--json --activate"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(LastJson(r.out)["active"], true);
  EXPECT_EQ(models.Active("mr")->version, 3);

  // What serve and API backtests hand their strategies: the active version,
  // or the one the config pins; it loads in a real Lua worker and
  // ctx.predict answers with a probability. Without models it gives nil.
  auto served = models.RuntimeModels(json{{"directory", dir_ + "/models"}});
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  ASSERT_TRUE(served->contains("mr")) << served->dump();
  EXPECT_EQ((*served)["mr"]["version"], 3);
  EXPECT_EQ(fs::path((*served)["mr"]["config"]["path"].get<std::string>()).filename(), "mr@3.json");
  auto pinned = models.RuntimeModels(json{{"active", {{"mr", 1}}}});
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(fs::path((*pinned)["mr"]["config"]["path"].get<std::string>()).filename(), "mr@1.json");
  std::string problems;
  auto p = PredictInStrategy(*served, dir_ + "/strategy", &problems);
  ASSERT_TRUE(p.has_value()) << problems;
  EXPECT_EQ(problems, "[] models [\"mr\"]");
  EXPECT_GT(*p, 0.0);
  EXPECT_LT(*p, 1.0);
  auto none = PredictInStrategy(json::object(), dir_ + "/strategy-none", &problems);
  EXPECT_FALSE(none.has_value()) << "no model: ctx.predict gives nil, the strategy returns nothing";
}

TEST_F(TrainCli, BadInputIsRefusedNamingIt) {
  CmdResult r = Exec(Bin() + "train --feature-set price_v9 --label 'sign(5)' --symbols AAPL --out x");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("feature set 'price_v9' is unknown"), std::string::npos) << r.out;
  r = Exec(Bin() + "train --feature-set price_v1 --label 'triple_barrier(3%)' --symbols AAPL --out x");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("triple_barrier takes 3 arguments"), std::string::npos) << r.out;
  r = Exec(Bin() + "train --feature-set price_v1 --label 'sign(5)' --out x");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--universe NAME or --symbols"), std::string::npos) << r.out;
  r = Exec(Bin() + "train --feature-set price_v1 --label 'sign(5)' --symbols AAPL --out 'Bad Name'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("must be 1-64 of a-z 0-9 _ -"), std::string::npos) << r.out;
  r = Exec(Train("--params num_round=x3 --json"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("num_round"), std::string::npos) << r.out;
}

TEST(ModelsRepository, VersionsAndOneActivePerName) {
  const std::string conninfo = testing::PgCluster::Shared().CreateMigratedDatabase("models");
  auto pool = store::Pool::Create({.conninfo = conninfo, .size = 2});
  ASSERT_TRUE(pool.ok());
  store::ModelsRepository repo(pool->get());
  store::ModelRecord m;
  m.name = "alpha";
  m.feature_set = "price_v1@1";
  m.file_path = "/models/alpha@1.json";
  m.data_from_us = 1000000;
  m.data_to_us = 2000000;
  auto a = repo.Register(m, false);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->version, 1);
  EXPECT_TRUE(a->active);
  EXPECT_EQ(a->data_to_us, 2000000);
  auto b = repo.Register(m, false);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->version, 2);
  EXPECT_FALSE(b->active);
  m.version = 2;
  auto dup = repo.Register(m, false);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), SF_ERR_CONFLICT);
  m.name = "beta";
  m.version = 0;
  ASSERT_TRUE(repo.Register(m, false).ok());
  ASSERT_TRUE(repo.SetActive("alpha", 2).ok());
  EXPECT_EQ(repo.Active("alpha")->version, 2);
  EXPECT_EQ(repo.Active("beta")->version, 1);  // other names untouched
  EXPECT_EQ(repo.List("alpha")->size(), 2u);
  EXPECT_EQ(repo.List()->size(), 3u);
  EXPECT_EQ(repo.NextVersion("alpha").value(), 3);
  EXPECT_FALSE(repo.Active("gamma").ok());
  m.name = "Not Valid";
  EXPECT_EQ(repo.Register(m, false).status().code(), SF_ERR_INVALID_ARGUMENT);

  // A config pin wins over the database's active version.
  const json pins = {{"active", {{"alpha", 1}}}};
  EXPECT_EQ(repo.Resolve("alpha", pins)->version, 1);
  EXPECT_EQ(repo.Resolve("alpha", json::object())->version, 2);
  auto bad_pin = repo.Resolve("alpha", {{"active", {{"alpha", 9}}}});
  ASSERT_FALSE(bad_pin.ok());
  EXPECT_NE(bad_pin.status().message().find("models.active.alpha"), std::string::npos);
  auto runtime = repo.RuntimeModels(pins);
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  EXPECT_EQ((*runtime)["alpha"]["version"], 1);
  EXPECT_EQ((*runtime)["alpha"]["component"], "xgboost");
  EXPECT_EQ((*runtime)["beta"]["config"]["path"], "/models/alpha@1.json");
}

}  // namespace
}  // namespace sf
