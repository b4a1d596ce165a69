// `signalforge ingest`: loads bars through a provider plugin, adjusts them,
// runs the market room's quality checks and stores the good ones through the
// store's bulk loader (binary COPY from two connections, many series per
// transaction, idempotent) while the provider keeps reading, then prints
// what happened.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/command.h"
#include "app/context.h"
#include "base/logging.h"
#include "market/bar_sink.h"
#include "market/calendar.h"
#include "market/market_config.h"
#include "market/quality.h"
#include "plugins/plugin_call.h"
#include "store/bars_repository.h"
#include "store/instruments_repository.h"
#include "store/news_repository.h"
#include "store/store.h"

namespace sf::app {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    R"(Usage: signalforge ingest --provider NAME [--path DIR] [--symbols A,B | --universe NAME]
                         [--from DATE] [--to DATE] [--timeframe 1d] [--json] [--config FILE]

Loads bars through a provider plugin into the database (the embedded cluster,
or database.url): every batch is split/dividend-adjusted (raw prices and the
factor are stored), checked against the instrument's trading calendar and the
data quality rules, and written with COPY; loading the same data again stores
nothing twice.

  --provider NAME   a provider instance of market.providers, or a provider
                    component id ("csv", "synthetic", "alphavantage"...)
  --path DIR        for file providers: the folder of SYMBOL.csv files
  --symbols A,B     only these symbols
  --universe NAME   the symbols of market.universes.NAME ("all": every
                    instrument the provider lists; the default)
  --from DATE       first day, YYYY-MM-DD (inclusive)
  --to DATE         last day, YYYY-MM-DD (inclusive)
  --timeframe TF    1m 5m 15m 1h 4h 1d (default 1d)
  --json            print the summary as JSON

Progress goes to stderr: a bar redrawn on a terminal, otherwise one line
every few seconds (none with --json). The summary counts bars stored (new
and changed), skipped (already stored, identical), rejected (quality rules
and malformed rows) and the files refused, by name and reason, and the
store's rate.
Exit code 0 when the provider call and every store write succeeded (refused
files and rejected bars are reported, not fatal), 1 otherwise, 2 on usage.

News providers (rss, reddit: metadata "news" without "bars") load news
instead: items published in [--from, --to] (all the source serves without
them), mentioning --symbols when given, are stored in news_events,
de-duplicated by source and URL or id; bare tickers are matched against the
instruments in the database. The summary counts items stored, skipped
(already stored), rejected (by the provider or the store's rules, with
reasons) and the mentions linked to instruments.

Examples:
  signalforge ingest --provider csv --path ../shared/data/sp500/daily
  signalforge ingest --provider rss --from 2024-03-01
)";

struct NewsRefusal {
  std::string what, reason;
};

struct Summary {
  int64_t symbols = 0;
  int64_t received = 0;
  int64_t inserted = 0, updated = 0, unchanged = 0;
  int64_t rejected = 0, flagged = 0, missing = 0, malformed_rows = 0;
  std::map<std::string, int64_t> by_rule;
  std::vector<std::pair<std::string, std::string>> refused;  // file/symbol, reason
  std::vector<std::string> store_errors;
};

// Progress on stderr: on a TTY "[#########      ]  123/504  AAPL  1,234,567 bars
// stored  250,000/s" redrawn in place; elsewhere the same as a plain line
// every 5 s (logs, CI).
class ProgressLine {
 public:
  ProgressLine(bool enabled, int64_t total)
      : enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0), total_(total),
        start_(std::chrono::steady_clock::now()) {}
  void Update(int64_t done, const std::string& symbol, int64_t stored) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    const auto every = tty_ ? std::chrono::milliseconds(80) : std::chrono::milliseconds(5000);
    if (done < total_ && now - last_ < every) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const long long rate = secs > 0 ? static_cast<long long>(stored / secs) : 0;
    if (!tty_) {
      std::fprintf(stderr, "ingest: %lld/%lld symbols read, %lld bars stored (%lld bars/s)\n",
                   static_cast<long long>(done), static_cast<long long>(total_),
                   static_cast<long long>(stored), rate);
      return;
    }
    constexpr int kWidth = 30;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * std::min(done, total_) / total_) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r[%s] %5lld/%-5lld %-8.8s %10lld bars stored %9lld/s", bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), symbol.c_str(),
                 static_cast<long long>(stored), rate);
    std::fflush(stderr);
  }
  void Finish() {
    if (enabled_ && tty_) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_, tty_;
  int64_t total_;
  std::chrono::steady_clock::time_point start_, last_{};
};

std::vector<std::string> SplitSymbols(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Symbols of a universe: an array in the config, or a CSV file with a
// Symbol column.
StatusOr<std::vector<std::string>> UniverseSymbols(Context& ctx, const json& universes,
                                                   const std::string& name) {
  if (!universes.contains(name)) {
    std::string known;
    for (const auto& [k, v] : universes.items()) known += (known.empty() ? "" : ", ") + k;
    return NotFound("universe '" + name + "' is not in market.universes (known: " +
                    (known.empty() ? "none" : known) + "; \"all\" takes every instrument)");
  }
  const json& u = universes[name];
  std::vector<std::string> out;
  if (u.is_array()) {
    for (const auto& s : u) out.push_back(s.get<std::string>());
    return out;
  }
  const std::string path = ctx.ResolvePath(u["file"].get<std::string>());
  std::ifstream in(path);
  if (!in) return NotFound("universe '" + name + "': cannot read " + path);
  std::string header, line;
  std::getline(in, header);
  auto cols = SplitSymbols(header);
  size_t col = 0;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == "Symbol" || cols[i] == "symbol" || cols[i] == "Ticker" || cols[i] == "ticker") col = i;
  }
  while (std::getline(in, line)) {
    auto fields = SplitSymbols(line);
    if (col < fields.size()) out.push_back(fields[col]);
  }
  return out;
}

bool ParseDay(const std::string& text, int64_t* day) { return market::ParseDate(text, day); }

int Fail(const std::string& message) {
  std::cerr << "signalforge: ingest: " << message << "\n";
  return 1;
}

// A fetch request for `symbols` (none: everything) in [from_us, to_us);
// `symbol_ptrs` keeps the C strings the request points at.
sf_fetch_request FetchRequest(const std::vector<std::string>& symbols, int64_t from_us, int64_t to_us,
                              std::vector<const char*>* symbol_ptrs) {
  symbol_ptrs->clear();
  for (const auto& s : symbols) symbol_ptrs->push_back(s.c_str());
  sf_fetch_request req{};
  req.struct_size = sizeof(req);
  req.symbols = symbol_ptrs->empty() ? nullptr : symbol_ptrs->data();
  req.symbol_count = static_cast<int64_t>(symbol_ptrs->size());
  req.from_us = from_us;
  req.to_us = to_us;
  return req;
}

// The news half of `ingest`: fetch_news through the provider, store the items
// (news_repository.h), print what happened.
int IngestNews(plugins::ProviderInstance& instance, const std::string& name, store::Pool* pool,
               const std::vector<std::string>& symbols, int64_t from_us, int64_t to_us, bool as_json) {
  store::NewsRepository repo(pool);
  // Bare tickers count only when they are instruments: hand the plugin the
  // instruments the database knows.
  json options = {{"instruments", json::array()}};
  if (auto known = store::InstrumentsRepository(pool).List(/*active_only=*/true); known.ok()) {
    for (const auto& i : *known) options["instruments"].push_back(i.symbol);
  }
  const std::string options_json = options.dump();
  int64_t received = 0;
  store::NewsInsertCounts total;
  std::set<std::string> unknown;
  Status store_error;
  market::BarSink sink(name, nullptr, [&](std::vector<market::NewsItem>&& items) {
    received += static_cast<int64_t>(items.size());
    if (!store_error.ok()) return;
    std::vector<store::NewsEvent> events;
    events.reserve(items.size());
    for (const auto& n : items) events.push_back(store::NewsEventFromItem(n));
    auto r = repo.Insert(events);
    if (!r.ok()) {
      store_error = r.status();
      return;
    }
    total.inserted += r->inserted;
    total.duplicates += r->duplicates;
    total.mentions += r->mentions;
    unknown.insert(r->unknown_symbols.begin(), r->unknown_symbols.end());
    for (auto& refusal : r->refused) total.refused.push_back(std::move(refusal));
  });
  std::vector<const char*> sym_ptrs;
  sf_fetch_request req = FetchRequest(symbols, from_us, to_us, &sym_ptrs);
  req.options_json = options_json.c_str();
  Status fetched = instance.FetchNews(req, *sink.sink());
  std::vector<NewsRefusal> refused;
  for (const auto& r : sink.rejections()) refused.push_back({r.what, r.reason});
  const size_t by_provider = refused.size();
  for (auto& r : total.refused) refused.push_back({r.what, r.reason});
  if (as_json) {
    json out_refused = json::array();
    for (const auto& r : refused) out_refused.push_back({{"item", r.what}, {"reason", r.reason}});
    json out = {{"provider", name},
                {"news_received", received},
                {"news_stored", total.inserted},
                {"news_skipped", total.duplicates},
                {"news_rejected", refused.size()},
                {"mentions", total.mentions},
                {"unknown_symbols", unknown},
                {"rejected", out_refused},
                {"store_error", store_error.ok() ? json(nullptr) : json(store_error.ToString())},
                {"error", fetched.ok() ? json(nullptr) : json(fetched.ToString())}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "ingest " << name << " news: " << received << " item(s)\n"
              << "  news stored:   " << total.inserted << "\n"
              << "  news skipped:  " << total.duplicates << " (already stored)\n"
              << "  news rejected: " << refused.size() << " (provider " << by_provider << ", store rules "
              << refused.size() - by_provider << ")\n"
              << "  mentions:      " << total.mentions << " (item, instrument) links\n";
    if (!unknown.empty()) {
      std::cout << "  not instruments:";
      for (const auto& u : unknown) std::cout << " " << u;
      std::cout << "\n";
    }
    size_t shown = 0;
    for (const auto& r : refused) {
      if (shown++ == 20) {
        std::cout << "    ... " << refused.size() - 20 << " more\n";
        break;
      }
      std::cout << "    " << r.what << ": " << r.reason << "\n";
    }
  }
  if (!store_error.ok()) return Fail("storing news: " + store_error.ToString());
  if (!fetched.ok()) return Fail(fetched.ToString());
  return 0;
}

int RunIngest(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--json"},
                          {"--provider", "--path", "--symbols", "--universe", "--from", "--to",
                           "--timeframe"});
  if (!parsed.ok()) return UsageError("ingest", parsed.status().message());
  if (!parsed->positional.empty()) {
    return UsageError("ingest", "unexpected argument '" + parsed->positional[0] + "'");
  }
  const std::string provider_name = parsed->Get("--provider");
  if (provider_name.empty()) return UsageError("ingest", "--provider NAME is required");
  if (parsed->Has("--symbols") && parsed->Has("--universe")) {
    return UsageError("ingest", "give either --symbols or --universe, not both");
  }
  const std::string tf_text = parsed->Get("--timeframe", "1d");
  auto tf = market::ParseTimeframe(tf_text);
  if (!tf) return UsageError("ingest", "--timeframe '" + tf_text + "' is not one of 1m 5m 15m 1h 4h 1d");
  constexpr int64_t kUsPerDay = 86'400'000'000;
  int64_t from_us = 0, to_us = 0;
  if (parsed->Has("--from")) {
    int64_t d;
    if (!ParseDay(parsed->Get("--from"), &d)) {
      return UsageError("ingest", "--from '" + parsed->Get("--from") + "' is not a date YYYY-MM-DD");
    }
    from_us = d * kUsPerDay;
  }
  if (parsed->Has("--to")) {
    int64_t d;
    if (!ParseDay(parsed->Get("--to"), &d)) {
      return UsageError("ingest", "--to '" + parsed->Get("--to") + "' is not a date YYYY-MM-DD");
    }
    to_us = (d + 1) * kUsPerDay;  // inclusive day -> exclusive bound
  }
  if (from_us && to_us && to_us <= from_us) return UsageError("ingest", "--to is before --from");

  auto resolve = [&ctx](const std::string& p) { return ctx.ResolvePath(p); };
  const json& cfg = ctx.config();
  auto settings = market::MarketSettingsFromConfig(cfg.contains("market") ? cfg["market"] : json::object(),
                                                   resolve);
  if (!settings.ok()) return Fail(settings.status().message());
  auto calendars = market::CalendarSet::LoadDirectory(settings->calendars_dir);
  if (!calendars.ok()) return Fail(calendars.status().message());
  auto default_cal = calendars->Find(settings->default_calendar);
  if (!default_cal) {
    return Fail("market.default_calendar '" + settings->default_calendar + "' is not a calendar in " +
                settings->calendars_dir);
  }

  market::ProviderSpec spec = settings->Provider(provider_name);
  if (parsed->Has("--path")) spec.config["path"] = ctx.ResolvePath(parsed->Get("--path"));
  const plugins::Provider* provider = ctx.plugins().FindProvider(spec.component);
  if (provider == nullptr) {
    std::string known;
    for (const auto* p : ctx.plugins().providers()) known += (known.empty() ? "" : ", ") + p->id;
    return Fail("no provider '" + spec.component + "' is loaded (loaded: " + (known.empty() ? "none" : known) +
                "; check plugins.directories)");
  }
  auto instance = plugins::ProviderInstance::Create(*provider, spec.config.dump());
  if (!instance.ok()) return Fail(instance.status().ToString());

  // Symbols to load.
  std::vector<std::string> symbols;
  if (parsed->Has("--symbols")) {
    symbols = SplitSymbols(parsed->Get("--symbols"));
    if (symbols.empty()) return UsageError("ingest", "--symbols is empty");
  } else if (parsed->Has("--universe") && parsed->Get("--universe") != "all") {
    auto u = UniverseSymbols(ctx, settings->universes, parsed->Get("--universe"));
    if (!u.ok()) return Fail(u.status().message());
    symbols = std::move(*u);
  }
  for (const auto& s : symbols) {
    if (!market::IsValidSymbol(s)) {
      return UsageError("ingest", "symbol '" + s + "' has characters outside A-Z a-z 0-9 . - _ ^ = / :");
    }
  }

  // What the provider knows about its instruments (names, sectors, exchange).
  std::map<std::string, json> listed;
  if (auto list = (*instance)->ListInstruments(); list.ok()) {
    json arr = json::parse(*list, nullptr, false);
    if (arr.is_array()) {
      for (const auto& i : arr) {
        if (i.is_object() && i.contains("symbol") && i["symbol"].is_string()) listed[i["symbol"]] = i;
      }
    }
  }

  auto store_options = store::StoreOptionsFromConfig(
      cfg.contains("database") ? cfg["database"] : json::object(), resolve);
  store_options.pool_size = 2;
  store_options.stop_adopted_cluster = false;
  auto st = store::Store::Open(store_options);
  if (!st.ok()) return Fail("database: " + st.status().ToString());
  store::BarsRepository bars_repo(&(*st)->pool());
  store::InstrumentsRepository instruments_repo(&(*st)->pool());
  const json& meta = provider->metadata;
  if (meta.is_object() && meta.value("news", false) && !meta.value("bars", true)) {
    return IngestNews(**instance, spec.name, &(*st)->pool(), symbols, from_us, to_us, parsed->Has("--json"));
  }

  // Instruments first, so names, sectors and exchanges are known.
  {
    std::set<std::string> wanted(symbols.begin(), symbols.end());
    std::vector<store::Instrument> rows;
    for (const auto& [sym, i] : listed) {
      if (!wanted.empty() && !wanted.count(sym)) continue;
      if (!market::IsValidSymbol(sym)) continue;
      store::Instrument row;
      row.symbol = sym;
      auto str = [&](const char* k) -> std::optional<std::string> {
        if (i.contains(k) && i[k].is_string() && !i[k].get<std::string>().empty()) return i[k].get<std::string>();
        return std::nullopt;
      };
      row.name = str("name");
      const std::string type = str("type").value_or("equity");
      row.type = (type == "crypto" || type == "forex" || type == "commodity") ? type : "equity";
      row.exchange = str("exchange");
      row.currency = str("currency").value_or("USD");
      row.sector = str("sector");
      row.data_provider = spec.component;
      rows.push_back(std::move(row));
    }
    if (!rows.empty()) {
      Status s = instruments_repo.UpsertAll(rows);
      if (!s.ok()) return Fail("storing instruments: " + s.ToString());
    }
  }

  auto calendar_for = [&](const std::string& sym) {
    auto it = listed.find(sym);
    if (it != listed.end()) {
      if (it->second.contains("exchange") && it->second["exchange"].is_string()) {
        if (auto c = calendars->ForExchange(it->second["exchange"].get<std::string>())) return c;
      }
      if (it->second.value("type", std::string()) == "crypto") {
        if (auto c = calendars->Find("crypto")) return c;
      }
    }
    if (spec.asset_class == "crypto") {
      if (auto c = calendars->Find("crypto")) return c;
    }
    return default_cal;
  };

  auto log = base::Logger("market");
  Summary sum;
  const int64_t total = !symbols.empty() ? static_cast<int64_t>(symbols.size())
                                         : static_cast<int64_t>(listed.size());
  ProgressLine progress(!parsed->Has("--json"), total);
  // Bars are stored by two loader connections while the provider reads on.
  store::BulkLoadOptions load_options;
  load_options.loaders = 2;
  store::BarsBulkLoader loader(&bars_repo, load_options);
  const auto load_start = std::chrono::steady_clock::now();
  market::QualityOptions qopt = settings->quality;
  qopt.now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  int64_t issues_logged = 0;

  market::BarSink sink(spec.name, [&](market::ProviderBars&& bars) -> Status {
    sum.symbols++;
    sum.received += static_cast<int64_t>(bars.size());
    auto cal = calendar_for(bars.symbol);
    market::AssignBarEnds(&bars, *cal);
    market::QualityReport q = market::CheckBars(&bars, *cal, qopt);
    sum.rejected += q.rejected;
    sum.flagged += q.flagged;
    sum.missing += q.missing_bars;
    for (int r = 0; r < market::kQualityRuleCount; ++r) {
      if (q.counts[static_cast<size_t>(r)]) {
        sum.by_rule[market::QualityRuleName(static_cast<market::QualityRule>(r))] += q.counts[static_cast<size_t>(r)];
      }
    }
    for (const auto& issue : q.issues) {
      if (issue.rule == market::QualityRule::kGap) continue;
      if (issues_logged++ < 50) {
        log->warn("{} {}: {}", market::QualityRuleRejects(issue.rule) ? "rejected" : "flagged",
                  market::QualityRuleName(issue.rule), issue.detail);
      }
    }
    const std::string symbol = bars.symbol;
    if (bars.size() > 0) {
      Status added = loader.Add(store::BarBatchFromProvider(std::move(bars), spec.name));
      if (added.code() == SF_ERR_UNAVAILABLE) return added;  // stop: the database is gone
      if (!added.ok()) sum.store_errors.push_back(symbol + ": " + added.ToString());
    }
    const store::BulkLoadResult so_far = loader.Snapshot();
    progress.Update(sum.symbols, symbol,
                    so_far.counts.inserted + so_far.counts.updated + so_far.counts.unchanged);
    return Status::Ok();
  });
  sink.ExpectTimeframe(*tf);

  std::vector<const char*> sym_ptrs;
  sf_fetch_request req = FetchRequest(symbols, from_us, to_us, &sym_ptrs);
  const std::string tf_name(market::TimeframeName(*tf));
  req.timeframe = tf_name.c_str();
  Status fetched = (*instance)->FetchBars(req, *sink.sink());
  // Only what committed counts as stored.
  const store::BulkLoadResult loaded = loader.Finish();
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  progress.Update(sum.symbols, "",
                  loaded.counts.inserted + loaded.counts.updated + loaded.counts.unchanged);
  progress.Finish();
  if (!sink.callback_error().ok()) fetched = sink.callback_error();
  sum.inserted = loaded.counts.inserted;
  sum.updated = loaded.counts.updated;
  sum.unchanged = loaded.counts.unchanged;
  for (const auto& [series, error] : loaded.errors) {
    sum.store_errors.push_back(series + ": " + error.ToString());
  }
  const int64_t written = sum.inserted + sum.updated + sum.unchanged;
  const double rate = load_s > 0 ? written / load_s : 0;

  for (const auto& r : sink.rejections()) {
    if (r.whole_input()) {
      sum.refused.emplace_back(r.what, r.reason);
    } else {
      sum.malformed_rows++;
      if (issues_logged++ < 50) log->warn("rejected row {}: {}", r.what, r.reason);
    }
  }
  const int64_t stored = sum.inserted + sum.updated;
  if (parsed->Has("--json")) {
    json refused = json::array();
    for (const auto& [w, why] : sum.refused) refused.push_back({{"file", w}, {"reason", why}});
    json out = {{"provider", spec.name},
                {"timeframe", tf_name},
                {"symbols", sum.symbols},
                {"bars_received", sum.received},
                {"bars_stored", stored},
                {"bars_new", sum.inserted},
                {"bars_updated", sum.updated},
                {"bars_skipped", sum.unchanged},
                {"bars_rejected", sum.rejected},
                {"rows_malformed", sum.malformed_rows},
                {"bars_flagged", sum.flagged},
                {"bars_missing", sum.missing},
                {"rejected_by_rule", sum.by_rule},
                {"files_refused", refused},
                {"store_errors", sum.store_errors},
                {"store_seconds", load_s},
                {"store_bars_per_second", rate},
                {"store_transactions", loaded.transactions},
                {"error", fetched.ok() ? json(nullptr) : json(fetched.ToString())}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "ingest " << spec.name << " " << tf_name << ": " << sum.symbols << " symbol(s)\n"
              << "  bars stored:   " << stored << " (new " << sum.inserted << ", changed " << sum.updated << ")\n"
              << "  bars skipped:  " << sum.unchanged << " (already stored, identical)\n"
              << "  bars rejected: " << sum.rejected + sum.malformed_rows << " (quality rules "
              << sum.rejected << ", malformed rows " << sum.malformed_rows << ")\n";
    if (!sum.by_rule.empty()) {
      std::cout << "  findings:     ";
      for (const auto& [rule, n] : sum.by_rule) std::cout << " " << rule << "=" << n;
      std::cout << "\n";
    }
    std::cout << "  files refused: " << sum.refused.size() << "\n";
    for (const auto& [w, why] : sum.refused) std::cout << "    " << w << ": " << why << "\n";
    for (const auto& e : sum.store_errors) std::cout << "  store error: " << e << "\n";
    std::printf("  store:         %lld bars in %.2f s (%.0f bars/s, %lld transactions)\n",
                static_cast<long long>(written), load_s, rate,
                static_cast<long long>(loaded.transactions));
  }
  if (!fetched.ok()) return Fail(fetched.ToString());
  return sum.store_errors.empty() ? 0 : 1;
}

const CommandRegistrar kIngest({"ingest", "load bars through a provider into the database (quality-checked)",
                                kUsage, RunIngest});

}  // namespace
}  // namespace sf::app
