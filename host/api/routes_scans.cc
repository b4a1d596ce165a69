#include "api/routes_scans.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "api/router.h"
#include "api/routes_common.h"
#include "app/context.h"
#include "lua/strategy_runtime.h"
#include "store/bars_repository.h"
#include "store/instruments_repository.h"
#include "store/pool.h"

namespace sf::api {

namespace fs = std::filesystem;
using nlohmann::json;

ScanOptions ScanOptions::FromConfig(const json& config) {
  ScanOptions o;
  json s = config.value("scans", json::object());
  o.scripts_dir = s.value("scripts_dir", o.scripts_dir);
  o.lib_dir = s.value("lib_dir", o.lib_dir);
  o.worker_path = s.value("worker_path", o.worker_path);
  o.history_bars = s.value("history_bars", o.history_bars);
  o.max_symbols = s.value("max_symbols", o.max_symbols);
  o.poll_ms = s.value("poll_ms", o.poll_ms);
  if (config.contains("plugins")) {
    o.plugin_dirs = config["plugins"].value("directories", std::vector<std::string>{});
  }
  return o;
}

ScanRunner& ScanRunner::Instance() {
  static ScanRunner runner;
  return runner;
}

ScanRunner::~ScanRunner() { Stop(); }

Status ScanRunner::EnsureStarted(store::Pool* pool, const ScanOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!running_) {
    pool_ = pool;
    options_ = options;
    char host[128] = "host";
    gethostname(host, sizeof host - 1);
    worker_id_ = std::string(host) + ":" + std::to_string(getpid()) + ":scans";
    // Scans this process left running in an earlier life go back to the queue.
    auto requeued = store::ScansRepository(pool_).Requeue(worker_id_);
    if (!requeued.ok()) return requeued.status();
    running_ = true;
    thread_ = std::thread([this] { Loop(); });
  }
  wake_ = true;
  cv_.notify_all();
  return Status::Ok();
}

void ScanRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    running_ = false;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void ScanRunner::Loop() {
  store::ScansRepository scans(pool_);
  while (running_) {
    auto claimed = scans.ClaimNext(worker_id_);
    if (claimed.ok() && claimed->has_value()) {
      Status error;
      json results = Run(**claimed, &error);
      Status s = error.ok() ? scans.Finish((*claimed)->id, results) : scans.Fail((*claimed)->id, error.message());
      (void)s;  // a scan cancelled meanwhile is not ours to finish
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return wake_ || !running_; });
    wake_ = false;
  }
}

json ScanRunner::Run(const store::Scan& scan, Status* error) {
  *error = Status::Ok();
  fs::path source = fs::path(options_.scripts_dir) / (scan.strategy + ".lua");
  std::error_code ec;
  // The runtime loads every *.lua of its folder: give it a private folder
  // holding only this strategy.
  fs::path dir = fs::temp_directory_path() / ("sf-scan-" + scan.id);
  fs::create_directories(dir, ec);
  fs::copy_file(source, dir / source.filename(), fs::copy_options::overwrite_existing, ec);
  if (ec) {
    *error = NotFound("strategy file " + source.string() + " cannot be read: " + ec.message());
    fs::remove_all(dir, ec);
    return nullptr;
  }
  lua::RuntimeOptions ro;
  ro.scripts_dir = dir.string();
  ro.lib_dir = options_.lib_dir.empty() ? (fs::path(options_.scripts_dir) / "lib").string() : options_.lib_dir;
  ro.worker_path = options_.worker_path;
  ro.plugin_dirs = options_.plugin_dirs;
  ro.history_bars = options_.history_bars;
  ro.params = json::object({{source.stem().string(), scan.params}});
  ro.max_intents_per_bar = static_cast<int>(scan.symbols.size()) * 3 + 3;
  json results = {{"strategy", scan.strategy}, {"timeframe", scan.timeframe}};
  auto rt = lua::StrategyRuntime::Create(ro);
  if (!rt.ok()) {
    *error = rt.status();
    fs::remove_all(dir, ec);
    return nullptr;
  }
  auto status = (*rt)->LoadFile((dir / source.filename()).string(), /*activate=*/true);
  if (status.state != "running") {
    *error = InvalidArgument("strategy " + scan.strategy + " did not load: " + status.last_error);
    fs::remove_all(dir, ec);
    return nullptr;
  }
  results["version"] = status.version;
  auto tf = store::TimeframeFromSqlName(scan.timeframe).value_or(market::Timeframe::k1d);
  store::BarsRepository bars(pool_);
  json skipped = json::array();
  std::vector<std::string> ready;
  int64_t newest = 0;
  for (const auto& sym : scan.symbols) {
    auto latest = bars.LatestBarEnd(sym, tf);
    if (!latest.ok() || !*latest) {
      skipped.push_back({{"symbol", sym}, {"reason", latest.ok() ? "no bars stored" : latest.status().message()}});
      continue;
    }
    // Enough calendar time for history_bars bars (weekends, holidays).
    int64_t span = static_cast<int64_t>(options_.history_bars) * 86'400'000'000LL * 2;
    auto series = bars.Load(sym, tf, **latest - span, **latest);
    if (!series.ok() || series->size() == 0) {
      skipped.push_back({{"symbol", sym}, {"reason", "no bars stored"}});
      continue;
    }
    if (series->size() > static_cast<size_t>(options_.history_bars)) {
      size_t drop = series->size() - options_.history_bars;
      for (auto* v : {&series->open, &series->high, &series->low, &series->close, &series->volume}) {
        v->erase(v->begin(), v->begin() + static_cast<long>(drop));
      }
      series->ts.erase(series->ts.begin(), series->ts.begin() + static_cast<long>(drop));
    }
    if (auto inst = store::InstrumentsRepository(pool_).FindBySymbol(sym); inst.ok()) {
      (*rt)->SetInstrument(sym, {inst->type, inst->sector.value_or(""), inst->name.value_or("")});
    }
    Status up = (*rt)->UpdateSeries(*series);
    if (!up.ok()) {
      skipped.push_back({{"symbol", sym}, {"reason", up.message()}});
      continue;
    }
    newest = std::max(newest, series->ts.back());
    ready.push_back(sym);
  }
  json intents = json::array();
  json problems = json::array();
  if (!ready.empty()) {
    // Each symbol is evaluated at its own newest bar: symbols whose last bar
    // is the newest one go in one call, the others in calls of their own.
    std::map<int64_t, std::vector<std::string>> by_ts;
    for (const auto& sym : ready) {
      by_ts[*bars.LatestBarEnd(sym, tf).value()].push_back(sym);
    }
    for (auto& [ts, syms] : by_ts) {
      lua::BarClose bc;
      bc.timeframe = tf;
      bc.bar_ts = ts;
      bc.symbols = syms;
      lua::BarResult br = (*rt)->OnBarClose(bc);
      for (const auto& i : br.intents) intents.push_back(i.ToJson());
      for (const auto* list : {&br.rejected, &br.errors}) {
        for (const auto& p : *list) problems.push_back({{"symbol", p.symbol}, {"message", p.message}});
      }
    }
  }
  fs::remove_all(dir, ec);
  results["as_of"] = newest ? json(IsoTime(newest)) : json(nullptr);
  results["evaluated"] = ready;
  results["skipped"] = skipped;
  results["intents"] = intents;
  results["problems"] = problems;
  return results;
}

namespace {

const std::regex kStrategyName("^[A-Za-z0-9_.-]{1,100}$");

ScanOptions OptionsFor(ApiRequest& r) {
  ScanOptions o = r.ctx ? ScanOptions::FromConfig(r.ctx->config()) : ScanOptions();
  if (r.ctx) {
    o.scripts_dir = r.ctx->ResolvePath(o.scripts_dir);
    if (!o.lib_dir.empty()) o.lib_dir = r.ctx->ResolvePath(o.lib_dir);
    if (!o.worker_path.empty()) o.worker_path = r.ctx->ResolvePath(o.worker_path);
    for (auto& d : o.plugin_dirs) d = r.ctx->ResolvePath(d);
  }
  return o;
}

json ScanJson(const store::Scan& s) {
  return {{"id", s.id},
          {"strategy", s.strategy},
          {"timeframe", s.timeframe},
          {"symbols", s.symbols},
          {"params", s.params},
          {"status", s.status},
          {"results", s.results},
          {"error", OrNull(s.error)},
          {"created_at", IsoTime(s.created_at)},
          {"started_at", TimeOrNull(s.started_at)},
          {"finished_at", TimeOrNull(s.finished_at)}};
}

ApiResponse Submit(ApiRequest& r) {
  const json& b = r.Json();
  ScanOptions opt = OptionsFor(r);
  std::string strategy = b["strategy"].get<std::string>();
  if (!std::regex_match(strategy, kStrategyName) || strategy.find("..") != std::string::npos) {
    throw Unprocessable("strategy '" + strategy + "' must be a file name of [A-Za-z0-9_.-]", "strategy");
  }
  if (!fs::is_regular_file(fs::path(opt.scripts_dir) / (strategy + ".lua"))) {
    throw Unprocessable("no strategy named '" + strategy + "' (" + strategy + ".lua) in the scripts folder",
                        "strategy");
  }
  auto symbols = b["symbols"].get<std::vector<std::string>>();
  if (static_cast<int>(symbols.size()) > opt.max_symbols) {
    throw Unprocessable("a scan takes at most " + std::to_string(opt.max_symbols) + " symbols, got " +
                            std::to_string(symbols.size()),
                        "symbols");
  }
  auto scan = ValueOrThrow(store::ScansRepository(r.pool).Submit(
      r.User().user_id, strategy, b.value("timeframe", std::string("1d")), symbols,
      b.value("params", json::object())));
  OkOrThrow(ScanRunner::Instance().EnsureStarted(r.pool, opt));
  ApiResponse resp = ApiResponse::Created(ScanJson(scan));
  resp.status = 202;
  resp.headers["Location"] = "/api/v1/scans/" + scan.id;
  return resp;
}

ApiResponse Get(ApiRequest& r) {
  return {.body = ScanJson(ValueOrThrow(store::ScansRepository(r.pool).Get(r.User().user_id, r.Param("id"))))};
}

ApiResponse List(ApiRequest& r) {
  json items = json::array();
  for (const auto& s : ValueOrThrow(
           store::ScansRepository(r.pool).List(r.User().user_id, static_cast<int>(r.PageSize(20))))) {
    json j = ScanJson(s);
    j.erase("results");  // the list stays small; poll the scan for its results
    items.push_back(std::move(j));
  }
  return {.body = {{"items", std::move(items)}}};
}

const RouteRegistrar kScanRoutes({
    {.method = "POST", .pattern = "/api/v1/scans", .min_tier = Tier::kPro, .scope = "scans:write",
     .request_schema = ObjectSchema(
         {{"strategy", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}},
          {"symbols", {{"type", "array"},
                       {"minItems", 1},
                       {"maxItems", 1000},
                       {"uniqueItems", true},
                       {"items", {{"type", "string"}, {"pattern", "^[A-Za-z0-9][A-Za-z0-9.^=/:_-]{0,31}$"}}}}},
          {"timeframe", {{"type", "string"}, {"enum", {"1m", "5m", "15m", "1h", "4h", "1d"}}}},
          {"params", {{"type", "object"}}}},
         {"strategy", "symbols"}),
     .openapi = Operation("Submit a custom scan (a strategy over chosen symbols)", "scans", 202,
                          "Queued; poll GET /api/v1/scans/{id}"),
     .handler = Submit,
     .rate_class = "expensive"},
    {.method = "GET", .pattern = "/api/v1/scans", .min_tier = Tier::kPro, .scope = "scans:read",
     .openapi = Operation("Your scans, newest first", "scans", 200, "{items}"), .handler = List},
    {.method = "GET", .pattern = "/api/v1/scans/{id}", .min_tier = Tier::kPro, .scope = "scans:read",
     .openapi = Operation("Status and results of one of your scans", "scans", 200, "The scan"), .handler = Get},
});

}  // namespace
}  // namespace sf::api
