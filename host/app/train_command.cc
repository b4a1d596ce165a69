// `signalforge train`: trains a model on versioned feature sets and a label
// over a universe of daily bars, validates it with purged walk-forward, writes
// it to the models directory and registers it in the models table.
//
//   bars      the database (default), or straight from a provider plugin
//             (--provider csv --path DIR), adjusted and quality-checked the
//             way `ingest` does, so a file never has to be ingested first
//   features  feature_sets.h (price_v1 through the indicator plugin,
//             regime_v1 from the universe, news_v1 from analysed news)
//   training  the model component's train() (xgboost: purged walk-forward,
//             embargo, AUC / log-loss / precision@decile / calibration /
//             importance), whose progress log lines drive the progress bar
//   output    <models.directory>/<NAME>@<VERSION>.json + .meta.json, a row
//             in `models` (version = previous + 1; the first version of a
//             name, or any with --activate, becomes the active one)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "app/command.h"
#include "app/context.h"
#include "app/feature_sets.h"
#include "lua/indicator_source.h"
#include "market/bar_sink.h"
#include "market/calendar.h"
#include "market/market_config.h"
#include "market/quality.h"
#include "market/time_zone.h"
#include "plugins/plugin_call.h"
#include "store/bars_repository.h"
#include "store/features_repository.h"
#include "store/instruments_repository.h"
#include "store/models_repository.h"
#include "store/store.h"

namespace sf::app {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kUsage =
    R"(Usage: signalforge train --feature-set SETS --label SPEC --out NAME
                         (--universe NAME | --symbols A,B,...) [--from DATE] [--to DATE]
                         [--params k=v ...] [--provider NAME --path DIR]
                         [--activate] [--no-register] [--store-features]
                         [--models-dir DIR] [--component ID] [--json] [--config FILE]

Trains a model on versioned feature sets, validates it with purged
walk-forward (embargo 20 bars by default) and registers it as the next
version of NAME.

  --feature-set SETS  price_v1@1, regime_v1@1, news_v1@1, joined with + or ,
                      (e.g. price_v1@1+regime_v1@1)
  --label SPEC        fwd_return(N)               forward return, regression
                      sign(N)                     1 when it is > 0
                      triple_barrier(+3%,-3%,N)   1 when +3% comes before -3%
                                                  within N bars
  --universe NAME     a list of market.universes, or "all" (every symbol the
                      provider lists / every stored instrument)
  --symbols A,B       instead of --universe
  --from/--to DATE    YYYY-MM-DD, rows whose bar and label lie in the range
  --params k=v ...    training parameters (XGBoost's and num_round, folds,
                      embargo_bars, min_train_rows, nthread); defaults:
                      num_round=200 max_depth=5 eta=0.05 subsample=0.8
                      colsample_bytree=0.8 max_bin=256 nthread=2
  --provider NAME     read bars through this provider plugin instead of the
  --path DIR          database (csv: DIR holds SYMBOL.csv files)
  --activate          make the new version the active one (the first version
                      of a name always is)
  --no-register       write the model file only; no database needed
  --store-features    also store the computed features in computed_features
  --models-dir DIR    default: models.directory of the config ("models")

Example:
  signalforge train --feature-set price_v1@1+regime_v1@1 \
      --label 'triple_barrier(+3%,-3%,10)' --universe all \
      --provider csv --path ../shared/data/sp500/daily \
      --from 2005-01-01 --to 2019-12-31 --out mean_reversion
)";

constexpr int64_t kUsPerDay = 86'400'000'000;

// Renders "progress D/T rounds (stage)" log lines of the model plugin as a
// progress bar (on a TTY) and forwards every other line to the logger that
// was the default before.
class ProgressSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ProgressSink(std::shared_ptr<spdlog::logger> forward, bool draw)
      : forward_(std::move(forward)), draw_(draw) {}
  int64_t done() const { return done_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const auto p = text.find("] progress ");
    if (p != std::string_view::npos) {
      long long d = 0, t = 0;
      char stage[64] = {0};
      const std::string rest(text.substr(p + 11));
      if (std::sscanf(rest.c_str(), "%lld/%lld rounds (%63[^)])", &d, &t, stage) >= 2) {
        done_ = d;
        if (draw_) Draw(d, t, stage);
        return;
      }
    }
    if (forward_ && msg.level >= forward_->level()) {
      if (draw_) std::fprintf(stderr, "\n");
      forward_->log(msg.time, msg.source, msg.level, text);
    }
  }
  void flush_() override {
    if (forward_) forward_->flush();
  }

 private:
  static void Draw(long long d, long long t, const char* stage) {
    constexpr int kWidth = 30;
    const int filled = t > 0 ? static_cast<int>(kWidth * std::min(d, t) / t) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\rtraining [%s] %6lld/%-6lld rounds  %-16.16s", bar.c_str(), d, t, stage);
    if (d >= t) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }
  std::shared_ptr<spdlog::logger> forward_;
  bool draw_;
  int64_t done_ = 0;
};

void DrawStage(bool draw, const char* what, size_t done, size_t total) {
  if (!draw) return;
  constexpr int kWidth = 30;
  const int filled = total > 0 ? static_cast<int>(kWidth * std::min(done, total) / total) : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, ' ');
  std::fprintf(stderr, "\r%-8s [%s] %5zu/%-5zu symbols", what, bar.c_str(), done, total);
  if (done >= total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

// A --params value: numbers stay numbers, true/false booleans, else text.
json ParamValue(const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  char* end = nullptr;
  const long long i = std::strtoll(v.c_str(), &end, 10);
  if (!v.empty() && *end == 0) return i;
  const double d = std::strtod(v.c_str(), &end);
  if (!v.empty() && *end == 0) return d;
  return v;
}

struct Options {
  std::string feature_sets, label, out, universe, provider, path, models_dir, component = "xgboost";
  std::vector<std::string> symbols;
  std::string from, to;
  json params = json::object();
  bool activate = false, no_register = false, store_features = false, json_out = false;
};

// Parses argv; "--params" takes every following k=v token.
StatusOr<Options> Parse(const std::vector<std::string>& args) {
  Options o;
  const std::map<std::string, std::string*> valued = {
      {"--feature-set", &o.feature_sets}, {"--label", &o.label},       {"--out", &o.out},
      {"--universe", &o.universe},        {"--provider", &o.provider}, {"--path", &o.path},
      {"--models-dir", &o.models_dir},    {"--component", &o.component}, {"--from", &o.from},
      {"--to", &o.to}};
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], inline_value;
    bool has_inline = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos && a != "--params") {
      inline_value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      has_inline = true;
    }
    if (a == "--activate") o.activate = true;
    else if (a == "--no-register") o.no_register = true;
    else if (a == "--store-features") o.store_features = true;
    else if (a == "--json") o.json_out = true;
    else if (a == "--params") {
      bool any = false;
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
        const std::string kv = args[++i];
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
          return InvalidArgument("--params: '" + kv + "' is not key=value");
        }
        o.params[kv.substr(0, eq)] = ParamValue(kv.substr(eq + 1));
        any = true;
      }
      if (!any) return InvalidArgument("--params needs at least one key=value");
    } else if (a == "--symbols") {
      if (!has_inline && i + 1 >= args.size()) return InvalidArgument("--symbols needs a value");
      o.symbols = SplitTrimmed(has_inline ? inline_value : args[++i], ',');
      if (o.symbols.empty()) return InvalidArgument("--symbols is empty");
    } else if (auto it = valued.find(a); it != valued.end()) {
      if (!has_inline && i + 1 >= args.size()) return InvalidArgument(a + " needs a value");
      *it->second = has_inline ? inline_value : args[++i];
    } else {
      return InvalidArgument("unknown argument '" + args[i] + "'");
    }
  }
  if (o.feature_sets.empty()) return InvalidArgument("--feature-set is required (e.g. price_v1@1)");
  if (o.label.empty()) return InvalidArgument("--label is required (e.g. 'triple_barrier(+3%,-3%,10)')");
  if (o.out.empty()) return InvalidArgument("--out NAME is required");
  if (!store::IsValidModelName(o.out)) return InvalidArgument("--out '" + o.out + "' must be 1-64 of a-z 0-9 _ -");
  if (o.symbols.empty() == o.universe.empty()) return InvalidArgument("give either --universe NAME or --symbols A,B");
  if (!o.path.empty() && o.provider.empty()) return InvalidArgument("--path needs --provider");
  return o;
}

StatusOr<std::vector<std::string>> UniverseList(Context& ctx, const json& universes, const std::string& name) {
  if (!universes.contains(name)) {
    std::string known;
    for (const auto& [k, v] : universes.items()) known += (known.empty() ? "" : ", ") + k;
    return NotFound("universe '" + name + "' is not in market.universes (known: " +
                    (known.empty() ? "none" : known) + "; \"all\" takes every symbol)");
  }
  const json& u = universes[name];
  std::vector<std::string> out;
  if (u.is_array()) return u.get<std::vector<std::string>>();
  std::ifstream in(ctx.ResolvePath(u.value("file", "")));
  if (!in) return NotFound("universe '" + name + "': cannot read " + u.value("file", ""));
  std::string line;
  std::getline(in, line);
  const auto header = SplitTrimmed(line, ',');
  const size_t col = static_cast<size_t>(
      std::find_if(header.begin(), header.end(), [](const std::string& h) { return h == "Symbol" || h == "symbol"; }) -
      header.begin());
  while (std::getline(in, line)) {
    const auto f = SplitTrimmed(line, ',');
    if (col < f.size()) out.push_back(f[col]);
  }
  return out;
}

struct Universe {
  std::vector<market::BarSeries> series;
  std::vector<std::string> sectors;
  std::vector<std::string> skipped;  // "SYMBOL: reason"
};

// Bars through a provider plugin: fetched, stamped with session ends,
// quality-checked (rejected bars removed) and adjusted.
StatusOr<Universe> LoadFromProvider(Context& ctx, const Options& o, const market::MarketSettings& settings,
                                    const std::vector<std::string>& symbols, int64_t from_us, int64_t to_us) {
  market::ProviderSpec spec = settings.Provider(o.provider);
  if (!o.path.empty()) spec.config["path"] = ctx.ResolvePath(o.path);
  const plugins::Provider* provider = ctx.plugins().FindProvider(spec.component);
  if (provider == nullptr) {
    return NotFound("no provider '" + spec.component + "' is loaded (check plugins.directories)");
  }
  auto instance = plugins::ProviderInstance::Create(*provider, spec.config.dump());
  if (!instance.ok()) return instance.status();
  auto calendars = market::CalendarSet::LoadDirectory(settings.calendars_dir);
  if (!calendars.ok()) return calendars.status();
  auto cal = calendars->Find(settings.default_calendar);
  if (!cal) return NotFound("market.default_calendar '" + settings.default_calendar + "' is not a calendar");
  std::map<std::string, std::string> sectors;
  if (auto list = (*instance)->ListInstruments(); list.ok()) {
    json arr = json::parse(*list, nullptr, false);
    if (arr.is_array())
      for (const auto& i : arr)
        if (i.is_object() && i.contains("symbol")) sectors[i.value("symbol", "")] = i.value("sector", "");
  }
  Universe u;
  market::QualityOptions qopt = settings.quality;
  std::vector<const char*> sym_ptrs;
  for (const auto& s : symbols) sym_ptrs.push_back(s.c_str());
  market::BarSink sink(spec.name, [&](market::ProviderBars&& bars) -> Status {
    market::AssignBarEnds(&bars, *cal);
    market::CheckBars(&bars, *cal, qopt);
    if (bars.size() == 0) {
      u.skipped.push_back(bars.symbol + ": no usable bars");
      return Status::Ok();
    }
    u.series.push_back(bars.Adjusted());
    u.sectors.push_back(sectors[bars.symbol]);
    return Status::Ok();
  });
  sink.ExpectTimeframe(market::Timeframe::k1d);
  sf_fetch_request req{};
  req.struct_size = sizeof(req);
  req.symbols = sym_ptrs.empty() ? nullptr : sym_ptrs.data();
  req.symbol_count = static_cast<int64_t>(sym_ptrs.size());
  req.timeframe = "1d";
  req.from_us = from_us;
  req.to_us = to_us;
  Status fetched = (*instance)->FetchBars(req, *sink.sink());
  if (!sink.callback_error().ok()) return sink.callback_error();
  if (!fetched.ok() && u.series.empty()) return fetched;
  for (const auto& r : sink.rejections())
    if (r.whole_input()) u.skipped.push_back(r.what + ": " + r.reason);
  return u;
}

StatusOr<Universe> LoadFromStore(store::Pool& pool, std::vector<std::string> symbols, int64_t from_us,
                                 int64_t to_us) {
  store::InstrumentsRepository instruments(&pool);
  store::BarsRepository bars(&pool);
  auto list = instruments.List(true);
  if (!list.ok()) return list.status();
  std::map<std::string, std::string> sectors;
  for (const auto& i : *list) sectors[i.symbol] = i.sector.value_or("");
  if (symbols.empty())
    for (const auto& i : *list) symbols.push_back(i.symbol);
  Universe u;
  for (const auto& s : symbols) {
    auto b = bars.Load(s, market::Timeframe::k1d, from_us, to_us);
    if (!b.ok()) {
      u.skipped.push_back(s + ": " + b.status().message());
      continue;
    }
    if (b->size() == 0) {
      u.skipped.push_back(s + ": no daily bars stored in the range (run signalforge ingest)");
      continue;
    }
    u.series.push_back(std::move(*b));
    u.sectors.push_back(sectors[s]);
  }
  return u;
}

NewsFact ToFact(const store::AnalysedNews& n) {
  NewsFact f;
  f.published_us = n.published_us;
  f.sentiment = n.sentiment.value_or(0.0);
  f.severity = n.severity == "severe" ? 1.0 : n.severity == "moderate" ? 2.0 / 3 : n.severity == "minor" ? 1.0 / 3 : 0.0;
  f.horizon_days = n.time_horizon == "permanent" ? 365 : n.time_horizon == "quarters" ? 90 : n.time_horizon == "days" ? 5 : 0;
  f.credibility = n.credibility.value_or(0.5);
  f.has_numbers = n.revenue_impact_pct.has_value() || n.earnings_impact_pct.has_value();
  return f;
}

int Fail(const std::string& message) {
  std::cerr << "signalforge: train: " << message << "\n";
  return 1;
}

std::string Fmt(const json& v, const char* format = "%.4f") {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v.get<double>());
  return buf;
}

void PrintReport(const json& report, const store::ModelRecord& m, size_t symbols, double feature_s, double train_s) {
  std::printf("model %s version %d%s -> %s\n", m.name.c_str(), m.version, m.active ? " (active)" : "",
              m.file_path.c_str());
  std::printf("  %s, label %s, %lld rows, %zu symbols, %s .. %s\n", m.feature_set.c_str(), m.label.c_str(),
              report.value("rows", 0LL), symbols,
              market::FormatTimestampUs(m.data_from_us.value_or(0)).substr(0, 10).c_str(),
              market::FormatTimestampUs(m.data_to_us.value_or(0)).substr(0, 10).c_str());
  std::printf("  features %.1f s, training %.1f s\n", feature_s, train_s);
  const json& v = report.value("validation", json::object());
  std::printf("  validation: %s, %d folds, embargo %d bars\n", v.value("scheme", "none").c_str(),
              v.value("folds", 0), v.value("embargo_bars", 0));
  for (const auto& f : v.value("fold_reports", json::array())) {
    if (f.contains("auc")) {
      std::printf("    fold %d: train %lld, validate %lld, purged %lld, embargoed %lld  AUC %s  log-loss %s  P@10%% %s\n",
                  f.value("fold", 0), f.value("train_rows", 0LL), f.value("validation_rows", 0LL),
                  f.value("purged", 0LL), f.value("embargoed", 0LL), Fmt(f["auc"]).c_str(),
                  Fmt(f["logloss"]).c_str(), Fmt(f["precision_top_decile"]).c_str());
    } else {
      std::printf("    fold %d: train %lld, validate %lld  RMSE %s  IC %s\n", f.value("fold", 0),
                  f.value("train_rows", 0LL), f.value("validation_rows", 0LL), Fmt(f["rmse"], "%.5f").c_str(),
                  Fmt(f["ic"]).c_str());
    }
  }
  if (v.contains("out_of_fold")) {
    const json& o = v["out_of_fold"];
    if (o.contains("auc")) {
      std::printf("  out of fold: AUC %s  log-loss %s  precision@top-decile %s  base rate %s\n",
                  Fmt(o["auc"]).c_str(), Fmt(o["logloss"]).c_str(), Fmt(o["precision_top_decile"]).c_str(),
                  Fmt(o["base_rate"]).c_str());
      std::printf("  calibration:   predicted      count  mean pred  observed\n");
      for (const auto& b : o.value("calibration", json::array())) {
        std::printf("               %.1f - %.1f  %10lld  %9s  %8s\n", b.value("lo", 0.0), b.value("hi", 0.0),
                    b.value("count", 0LL), Fmt(b["mean_predicted"]).c_str(), Fmt(b["observed_rate"]).c_str());
      }
    } else {
      std::printf("  out of fold: RMSE %s  MAE %s  IC %s\n", Fmt(o["rmse"], "%.5f").c_str(),
                  Fmt(o["mae"], "%.5f").c_str(), Fmt(o["ic"]).c_str());
    }
  }
  std::printf("  feature importance (gain):\n");
  int shown = 0;
  for (const auto& f : report.value("feature_importance", json::array())) {
    if (shown++ == 20) break;
    std::printf("    %-22s %10s  splits %s\n", f.value("feature", "").c_str(), Fmt(f["gain"], "%.3f").c_str(),
                Fmt(f["splits"], "%.0f").c_str());
  }
}

int RunTrain(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = Parse(args);
  if (!parsed.ok()) return UsageError("train", parsed.status().message());
  const Options& o = *parsed;
  auto sets = ParseFeatureSets(o.feature_sets);
  if (!sets.ok()) return UsageError("train", sets.status().message());
  auto label = ParseLabel(o.label);
  if (!label.ok()) return UsageError("train", label.status().message());
  int64_t from_us = 0, to_us = INT64_MAX / 2, day = 0;
  if (!o.from.empty()) {
    if (!market::ParseDate(o.from, &day)) return UsageError("train", "--from '" + o.from + "' is not a date YYYY-MM-DD");
    from_us = day * kUsPerDay;
  }
  if (!o.to.empty()) {
    if (!market::ParseDate(o.to, &day)) return UsageError("train", "--to '" + o.to + "' is not a date YYYY-MM-DD");
    to_us = (day + 1) * kUsPerDay - 1;
  }
  if (to_us <= from_us) return UsageError("train", "--to is before --from");
  const bool draw = isatty(STDERR_FILENO) != 0 && !o.json_out;

  const json& cfg = ctx.config();
  auto resolve = [&ctx](const std::string& p) { return ctx.ResolvePath(p); };
  auto settings = market::MarketSettingsFromConfig(cfg.value("market", json::object()), resolve);
  if (!settings.ok()) return Fail(settings.status().message());
  const json models_cfg = cfg.value("models", json::object());
  const std::string models_dir =
      o.models_dir.empty() ? ctx.ResolvePath(models_cfg.value("directory", std::string("models")))
                           : fs::absolute(o.models_dir).string();

  // Bars from before --from feed the warm-up of rolling features (the
  // regime percentile needs ~272 bars); rows still start at --from.
  const int64_t load_from = o.from.empty() ? 0 : from_us - 420 * kUsPerDay;
  std::vector<std::string> symbols = o.symbols;
  if (!o.universe.empty() && o.universe != "all") {
    auto u = UniverseList(ctx, settings->universes, o.universe);
    if (!u.ok()) return Fail(u.status().message());
    symbols = std::move(*u);
  }

  std::unique_ptr<store::Store> db;
  const bool need_db = o.provider.empty() || !o.no_register || o.store_features ||
                       std::any_of(sets->begin(), sets->end(), [](const FeatureSetRef& s) { return s.name == "news_v1"; });
  if (need_db) {
    auto store_options = store::StoreOptionsFromConfig(cfg.value("database", json::object()), resolve);
    store_options.pool_size = 2;
    store_options.stop_adopted_cluster = false;
    auto st = store::Store::Open(store_options);
    if (!st.ok()) {
      return Fail("database: " + st.status().ToString() +
                  (o.provider.empty() ? "" : " (--no-register trains without a database)"));
    }
    db = std::move(*st);
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto universe = o.provider.empty() ? LoadFromStore(db->pool(), symbols, load_from, to_us)
                                     : LoadFromProvider(ctx, o, *settings, symbols, load_from, to_us);
  if (!universe.ok()) return Fail("bars: " + universe.status().message());
  for (const auto& s : universe->skipped) std::cerr << "skipped " << s << "\n";
  if (universe->series.empty()) return Fail("no bars for any symbol of the universe");

  lua::IndicatorSource indicators;
  if (Status s = indicators.AddRegistry(ctx.plugins()); !s.ok()) return Fail(s.message());
  std::vector<SymbolInput> inputs(universe->series.size());
  store::FeaturesRepository features_repo(db ? &db->pool() : nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i].series = &universe->series[i];
    inputs[i].sector = universe->sectors[i];
  }
  if (std::any_of(sets->begin(), sets->end(), [](const FeatureSetRef& s) { return s.name == "news_v1"; })) {
    for (auto& in : inputs) {
      auto news = features_repo.LoadNews(in.series->symbol, load_from, to_us);
      if (!news.ok()) return Fail("news of " + in.series->symbol + ": " + news.status().message());
      for (const auto& n : *news) in.news.push_back(ToFact(n));
    }
  }
  BuildOptions bo;
  bo.sets = *sets;
  bo.label = *label;
  bo.from_us = from_us;
  bo.to_us = to_us;
  bo.on_progress = [&](size_t done, size_t total) { DrawStage(draw, "features", done, total); };
  std::vector<std::string> store_errors;
  int64_t stored_features = 0;
  if (o.store_features) {
    bo.on_columns = [&](size_t u, const FeatureSetRef& set, const std::vector<std::vector<double>>& cols) {
      store::FeatureRows rows;
      rows.symbol = inputs[u].series->symbol;
      rows.feature_set = set.name;
      rows.version = set.version;
      rows.names = FeatureNames(set);
      const auto& ts = inputs[u].series->ts;
      for (size_t t = 0; t < ts.size(); ++t) {
        if (ts[t] < from_us || ts[t] > to_us) continue;
        rows.ts.push_back(ts[t]);
      }
      const size_t first = static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), from_us) - ts.begin());
      for (const auto& c : cols) rows.columns.emplace_back(c.begin() + first, c.begin() + first + rows.ts.size());
      auto n = features_repo.Store(rows);
      if (n.ok()) stored_features += *n;
      else store_errors.push_back(rows.symbol + " " + set.ToString() + ": " + n.status().message());
    };
    // Stored rows need instruments: create any the database lacks.
    store::InstrumentsRepository instruments(&db->pool());
    std::vector<store::Instrument> rows;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (instruments.FindBySymbol(inputs[i].series->symbol).ok()) continue;
      store::Instrument in;
      in.symbol = inputs[i].series->symbol;
      if (!inputs[i].sector.empty()) in.sector = inputs[i].sector;
      rows.push_back(in);
    }
    if (Status s = instruments.UpsertAll(rows); !s.ok()) return Fail("instruments: " + s.message());
  }
  auto data = BuildTrainingRows(indicators, inputs, bo);
  if (!data.ok()) return Fail("features: " + data.status().message());
  for (const auto& e : store_errors) std::cerr << "features not stored: " << e << "\n";
  if (data->rows() == 0) return Fail("no training rows: every bar lacks a label or warm-up inside --from/--to");
  const double feature_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // The version and file name.
  store::ModelsRepository models(db ? &db->pool() : nullptr);
  int version = 1;
  if (!o.no_register) {
    auto v = models.NextVersion(o.out);
    if (!v.ok()) return Fail("models: " + v.status().message());
    version = *v;
  }
  std::error_code ec;
  fs::create_directories(models_dir, ec);
  if (o.no_register) {
    while (fs::exists(fs::path(models_dir) / (o.out + "@" + std::to_string(version) + ".json"), ec)) ++version;
  }
  const std::string out_path = (fs::path(models_dir) / (o.out + "@" + std::to_string(version) + ".json")).string();

  const plugins::Model* component = ctx.plugins().FindModel(o.component);
  if (component == nullptr || component->vt.train == nullptr) {
    return Fail("no model component '" + o.component + "' that can train is loaded (check plugins.directories)");
  }
  std::string feature_set_text;
  for (const auto& s : *sets) feature_set_text += (feature_set_text.empty() ? "" : "+") + s.ToString();
  json params = {{"objective", label->binary() ? "binary:logistic" : "reg:squarederror"},
                 {"num_round", 200}, {"max_depth", 5}, {"eta", 0.05}, {"subsample", 0.8},
                 {"colsample_bytree", 0.8}, {"max_bin", 256}, {"nthread", 2}};
  for (auto it = o.params.begin(); it != o.params.end(); ++it) params[it.key()] = it.value();
  params["feature_set"] = feature_set_text;
  params["label"] = label->text;

  std::vector<const char*> names;
  for (const auto& n : data->names) names.push_back(n.c_str());
  sf_dataset ds{};
  ds.struct_size = sizeof(ds);
  ds.rows = static_cast<int64_t>(data->rows());
  ds.cols = static_cast<int64_t>(names.size());
  ds.features = data->features.data();
  ds.labels = data->labels.data();
  ds.feature_names = names.data();
  ds.row_time = data->row_time.data();
  ds.label_end = data->label_end.data();

  auto previous = spdlog::default_logger();
  auto sink = std::make_shared<ProgressSink>(previous, draw);
  auto logger = std::make_shared<spdlog::logger>("train", sink);
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
  const auto t1 = std::chrono::steady_clock::now();
  std::string report_text(1 << 20, '\0');
  size_t needed = 0;
  plugins::ClearPluginError();
  sf_status s = component->vt.train(params.dump().c_str(), &ds, out_path.c_str(), report_text.data(),
                                    report_text.size(), &needed);
  std::string error = s < 0 ? plugins::TakePluginError(sf_status_name(s)) : "";
  spdlog::set_default_logger(previous);
  if (s < 0) return Fail(error);
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  json report;
  if (s == SF_INCOMPLETE) {
    std::ifstream meta(out_path + ".meta.json");
    report = json::parse(meta, nullptr, false).value("training_report", json::object());
  } else {
    report = json::parse(report_text.c_str(), nullptr, false);
  }
  if (!report.is_object()) return Fail("the model component returned a report that is not JSON");

  store::ModelRecord rec;
  rec.name = o.out;
  rec.version = version;
  rec.component = o.component;
  rec.feature_set = feature_set_text;
  rec.label = label->text;
  rec.params = report.value("params", params);
  rec.metrics = {{"validation", report.value("validation", json::object())},
                 {"feature_importance", report.value("feature_importance", json::array())},
                 {"rows", data->rows()},
                 {"features", data->names},
                 {"feature_seconds", feature_s},
                 {"train_seconds", train_s}};
  rec.file_path = out_path;
  rec.data_from_us = data->data_from;
  rec.data_to_us = data->data_to;
  for (const auto& ser : universe->series) rec.symbols.push_back(ser.symbol);
  if (!o.no_register) {
    auto stored = models.Register(rec, o.activate);
    if (!stored.ok()) return Fail("registering the model: " + stored.status().message());
    rec = *stored;
  }
  if (o.json_out) {
    json out = rec.ToJson();
    out["registered"] = !o.no_register;
    out["features_stored"] = stored_features;
    out["report"] = report;
    std::cout << out.dump() << "\n";
  } else {
    PrintReport(report, rec, universe->series.size(), feature_s, train_s);
    if (o.store_features) std::printf("  %lld feature rows stored in computed_features\n", static_cast<long long>(stored_features));
  }
  return store_errors.empty() ? 0 : 1;
}

const CommandRegistrar kRegistrar({"train", "Train a model on feature sets with purged walk-forward validation",
                                   kUsage, &RunTrain});

}  // namespace
}  // namespace sf::app
