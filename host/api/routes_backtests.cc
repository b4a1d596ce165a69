// Routes: backtests over the API (pro tier). POST queues a run of the same
// backtester the CLI uses (engine/backtest_request.h, same request JSON,
// bars from the database); a single background thread runs queued runs one
// at a time, so a burst of submissions cannot take every core. GET answers
// the run's status and progress, and when done its statistics, equity curve
// and trades; /report.html answers the offline HTML report the CLI writes.
//
// Runs belong to their user: another user's id answers 404 like an unknown
// one. Rows live in backtest_runs/backtest_trades (store/backtests_repository);
// the HTML report is kept under var/backtests/<id>.html, relative to the
// directory serve runs in. Queued runs still waiting when the server stops
// are marked cancelled.
//
// Thread-safety: BacktestRunner's queue and progress map are guarded by one
// mutex; handlers run on HTTP threads.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "api/routes_backtests.h"
#include "api/router.h"
#include "api/routes_common.h"
#include "app/context.h"
#include "base/logging.h"
#include "engine/backtest_request.h"
#include "store/backtests_repository.h"
#include "store/instruments_repository.h"
#include "store/models_repository.h"
#include "store/signal_queries_repository.h"

namespace sf::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kMaxQueued = 8;

struct Job {
  std::string id;
  json request;
  engine::BacktestEnvironment env;
  std::string report_path;
};

class BacktestRunner {
 public:
  static BacktestRunner& Instance() {
    static BacktestRunner runner;
    return runner;
  }
  ~BacktestRunner() { Stop(); }

  // Queues a run; false when the queue is full.
  bool Submit(store::Pool* pool, Job job) {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueued) return false;
    pool_ = pool;
    progress_[job.id] = 0.0;
    queue_.push_back(std::move(job));
    if (!thread_.joinable()) {
      stop_ = false;
      cancel_ = false;
      thread_ = std::thread([this] { Loop(); });
    }
    cv_.notify_all();
    return true;
  }

  std::optional<double> Progress(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = progress_.find(id);
    if (it == progress_.end()) return std::nullopt;
    return it->second;
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      cancel_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    auto log = base::Logger("api");
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) {
          for (const auto& j : queue_) {
            (void)store::BacktestsRepository(pool_).Fail(j.id, "server stopped before the run began", true);
          }
          queue_.clear();
          return;
        }
        job = std::move(queue_.front());
        queue_.pop_front();
        cancel_ = false;
      }
      store::BacktestsRepository repo(pool_);
      job.env.cancel = &cancel_;
      job.env.progress = [this, id = job.id](double share) {
        std::lock_guard<std::mutex> lock(mu_);
        progress_[id] = share;
      };
      auto report = engine::RunBacktestRequest(job.request, job.env);
      if (!report.ok()) {
        log->warn("backtest {} failed: {}", job.id, report.status().ToString());
        (void)repo.Fail(job.id, report.status().message(), cancel_.load());
      } else {
        std::error_code ec;
        fs::create_directories(fs::path(job.report_path).parent_path(), ec);
        std::ofstream(job.report_path) << report->Html();
        Status s = repo.Finish(job.id, report->ToJson(true), report->TradeRows());
        if (!s.ok()) log->error("backtest {}: storing the result failed: {}", job.id, s.ToString());
      }
      std::lock_guard<std::mutex> lock(mu_);
      progress_[job.id] = 1.0;
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::map<std::string, double> progress_;
  store::Pool* pool_ = nullptr;
  std::thread thread_;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};
};

std::string ReportPath(const ApiRequest& r, const std::string& id) {
  std::string dir = r.ctx ? r.ctx->ResolvePath("var/backtests") : "var/backtests";
  return dir + "/" + id + ".html";
}

engine::BacktestEnvironment Environment(ApiRequest& r) {
  engine::BacktestEnvironment env;
  const json cfg = r.ctx ? r.ctx->config() : json::object();
  std::string scripts = "scripts";
  if (cfg.contains("engine") && cfg["engine"].is_object()) {
    scripts = cfg["engine"].value("scripts_dir", scripts);
  }
  env.scripts_dir = r.ctx ? r.ctx->ResolvePath(scripts) : scripts;
  env.lib_dir = env.scripts_dir + "/lib";
  env.allow_paths = false;
  env.parallel = 1;
  if (cfg.contains("plugins") && cfg["plugins"].is_object()) {
    for (const auto& d : cfg["plugins"].value("directories", std::vector<std::string>{})) {
      env.plugin_dirs.push_back(r.ctx ? r.ctx->ResolvePath(d) : d);
    }
  }
  store::Pool* pool = r.pool;
  auto listed = store::InstrumentsRepository(pool).List(true);
  std::vector<std::string> all;
  if (listed.ok()) {
    for (const auto& i : *listed) {
      all.push_back(i.symbol);
      if (i.sector) env.sectors[i.symbol] = *i.sector;
    }
  }
  env.load_bars = engine::StoreBarLoader(pool, all);
  // The models live strategies use: the registry's active versions, or the
  // config's pins (models.active.NAME).
  auto models = store::ModelsRepository(pool).RuntimeModels(cfg.value("models", json::object()));
  if (models.ok()) env.models = *models;
  else base::Logger("api")->warn("backtests run without models: {}", models.status().message());
  return env;
}

json RunJson(const store::BacktestRunRow& run, std::optional<double> progress, bool with_result) {
  json j = {{"id", run.id},
            {"strategy", run.strategy_name},
            {"params", run.params},
            {"symbols", run.universe},
            {"timeframe", run.timeframe},
            {"from", IsoTime(run.period_start)},
            {"to", IsoTime(run.period_end)},
            {"status", run.status},
            {"progress", run.status == "done" ? 1.0 : progress.value_or(0.0)},
            {"error", run.error.empty() ? json(nullptr) : json(run.error)}};
  if (with_result && run.status == "done") {
    j["result"] = run.metrics;
    j["report_url"] = "/api/v1/backtests/" + run.id + "/report.html";
  }
  return j;
}

// The caller's run, or 404 (also for another user's run).
store::BacktestRunRow OwnRun(ApiRequest& r) {
  const std::string id = r.Param("id");
  if (!store::IsUuidText(id)) throw NotFoundError("no backtest " + id);
  auto run = store::BacktestsRepository(r.pool).Get(id);
  if (!run.ok() || !run->user_id || *run->user_id != r.User().user_id) {
    throw NotFoundError("no backtest " + id);
  }
  return *run;
}

ApiResponse Submit(ApiRequest& r) {
  json req = r.Json();
  engine::BacktestEnvironment env = Environment(r);
  Status valid = engine::ValidateBacktestRequest(req, env);
  if (!valid.ok()) throw BadRequest(valid.message(), "");
  auto from = engine::ParseDayMicros(req.value("from", ""));
  auto to = engine::ParseDayMicros(req.value("to", ""));
  store::BacktestRunRow row;
  row.user_id = r.User().user_id;
  row.strategy_name = req.value("strategy", "");
  row.params = req.value("params", json::object());
  row.universe = req.value("symbols", json::array());
  row.period_start = from.value_or(0);
  row.period_end = to.value_or(NowMicros());
  auto id = store::BacktestsRepository(r.pool).Start(row);
  if (!id.ok()) OkOrThrow(id.status());
  Job job{*id, req, std::move(env), ReportPath(r, *id)};
  if (!BacktestRunner::Instance().Submit(r.pool, std::move(job))) {
    (void)store::BacktestsRepository(r.pool).Fail(*id, "the backtest queue is full", true);
    throw ServiceUnavailable("the backtest queue is full (" + std::to_string(kMaxQueued) +
                             " runs waiting); try again later");
  }
  row.id = *id;
  row.status = "running";
  ApiResponse resp{.status = 202, .body = RunJson(row, 0.0, false)};
  resp.headers["Location"] = "/api/v1/backtests/" + *id;
  return resp;
}

ApiResponse List(ApiRequest& r) {
  const int64_t limit = r.PageSize(50);
  auto runs = ValueOrThrow(store::BacktestsRepository(r.pool).List(1000));
  json items = json::array();
  for (const auto& run : runs) {
    if (!run.user_id || *run.user_id != r.User().user_id) continue;
    items.push_back(RunJson(run, BacktestRunner::Instance().Progress(run.id), false));
    if (static_cast<int64_t>(items.size()) >= limit) break;
  }
  return {.body = {{"items", std::move(items)}}};
}

ApiResponse Get(ApiRequest& r) {
  auto run = OwnRun(r);
  return {.body = RunJson(run, BacktestRunner::Instance().Progress(run.id), true)};
}

ApiResponse Report(ApiRequest& r) {
  auto run = OwnRun(r);
  if (run.status != "done") throw ConflictError("backtest " + run.id + " is " + run.status);
  std::ifstream in(ReportPath(r, run.id));
  if (!in) throw NotFoundError("the HTML report of backtest " + run.id + " is no longer on this server");
  std::ostringstream html;
  html << in.rdbuf();
  ApiResponse resp{.status = 200, .text = html.str(), .content_type = "text/html; charset=utf-8"};
  resp.headers["Content-Disposition"] = "attachment; filename=\"backtest-" + run.id + ".html\"";
  return resp;
}

const RouteRegistrar kBacktestRoutes({
    {.method = "POST", .pattern = "/api/v1/backtests", .min_tier = Tier::kPro, .scope = "backtests:write",
     .request_schema = ObjectSchema(
         {{"strategy", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}, {"pattern", "^[A-Za-z0-9_]+$"}}},
          {"symbols", {{"type", "array"}, {"minItems", 1}, {"maxItems", 600}, {"uniqueItems", true},
                       {"items", {{"type", "string"}, {"pattern", "^[A-Za-z0-9][A-Za-z0-9.^=/:_-]{0,31}$"}}}}},
          {"from", {{"type", "string"}, {"pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}}},
          {"to", {{"type", "string"}, {"pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}}},
          {"params", {{"type", "object"}}},
          {"risk", {{"type", "object"}}},
          {"costs", {{"type", "object"}}},
          {"initial_equity", {{"type", "number"}, {"exclusiveMinimum", 0}}},
          {"monte_carlo", {{"type", "integer"}, {"minimum", 0}, {"maximum", 10000}}},
          {"seed", {{"type", "integer"}}}},
         {"strategy", "symbols", "from", "to"}),
     .openapi = Operation("Submit a backtest (the CLI's backtester over stored bars)", "backtests", 202,
                          "Queued; poll GET /api/v1/backtests/{id}"),
     .handler = Submit,
     .rate_class = "expensive"},
    {.method = "GET", .pattern = "/api/v1/backtests", .min_tier = Tier::kPro, .scope = "backtests:read",
     .openapi = Operation("Your backtests, newest first", "backtests", 200, "{items}"), .handler = List},
    {.method = "GET", .pattern = "/api/v1/backtests/{id}", .min_tier = Tier::kPro, .scope = "backtests:read",
     .openapi = Operation("Status, progress and (when done) the result of one of your backtests", "backtests",
                          200, "The run"),
     .handler = Get},
    {.method = "GET", .pattern = "/api/v1/backtests/{id}/report.html", .min_tier = Tier::kPro,
     .scope = "backtests:read",
     .openapi = Operation("The offline HTML report of a finished backtest", "backtests", 200, "text/html"),
     .handler = Report},
});

}  // namespace

void StopBacktestRunner() { BacktestRunner::Instance().Stop(); }

}  // namespace sf::api
