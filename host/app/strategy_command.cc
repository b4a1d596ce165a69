// `signalforge strategy check FILE.lua [--symbols A,B] [--from DATE] [--to DATE]
//  [--data DIR] [--lib DIR] [--plugins DIR] [--json]`: compile a strategy in a sandboxed
// worker exactly as the server would, validate its declaration, replay it bar
// by bar over daily CSV data and print the signals it would emit, plus every
// error with file:line. Nothing is written anywhere.
//
// Data: a directory of SYMBOL.csv files in the AlphaVantage daily layout (the
// S&P 500 set in /work/shared/data/sp500/daily); a constituents.csv beside
// it (Symbol,Name,Sector) gives instruments their sector. Symbols default to
// the strategy's universe list, else every file in the directory.
// Exit codes: 0 loaded and ran clean, 1 refused or errors while running,
// 2 usage.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/command.h"
#include "app/context.h"
#include "lua/csv_bars.h"
#include "lua/strategy_runtime.h"
#include "market/time_zone.h"

namespace sf::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: signalforge strategy check FILE.lua [--symbols A,B,...] [--from YYYY-MM-DD]\n"
    "                                  [--to YYYY-MM-DD] [--data DIR] [--lib DIR]\n"
    "                                  [--plugins DIR] [--json]\n"
    "  Compiles FILE.lua in the strategy sandbox, validates its declaration, replays it\n"
    "  over daily CSV bars and prints the signals it would emit and any errors.\n"
    "  --data DIR   SYMBOL.csv files (AlphaVantage daily layout); default $SIGNALFORGE_DATA_DIR\n"
    "  --symbols    comma-separated; default: the strategy's universe list, else every file\n"
    "  --from/--to  dates of the bars to evaluate (default: the last 250 bars)\n"
    "  --lib DIR    the scripts/lib folder (default: FILE's folder/lib, else scripts/lib)\n"
    "  --plugins DIR  also load indicator/model plugins from DIR (repeatable)\n"
    "  --json       one JSON object per signal/error line\n";

std::string Date(int64_t ts_us) { return market::FormatDate(ts_us / 1000000 / 86400); }

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

int Check(Context& ctx, const std::vector<std::string>& args) {
  std::string file, data, lib, from_s, to_s;
  std::vector<std::string> symbols, plugin_dirs;
  bool json_out = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--json") json_out = true;
    else if (a == "--symbols" && value(&v)) symbols = Split(v);
    else if (a == "--from" && value(&from_s)) {}
    else if (a == "--to" && value(&to_s)) {}
    else if (a == "--data" && value(&data)) {}
    else if (a == "--lib" && value(&lib)) {}
    else if (a == "--plugins" && value(&v)) plugin_dirs.push_back(v);
    else if (!a.empty() && a[0] != '-' && file.empty()) file = a;
    else {
      std::cerr << "strategy check: unknown or incomplete option '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (file.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  std::error_code ec;
  file = fs::absolute(file, ec).lexically_normal().string();
  if (!fs::is_regular_file(file, ec)) {
    std::cerr << "strategy check: " << file << " does not exist\n";
    return 2;
  }
  if (data.empty() && getenv("SIGNALFORGE_DATA_DIR")) data = getenv("SIGNALFORGE_DATA_DIR");
  if (data.empty()) {
    std::cerr << "strategy check: give --data DIR (a folder of SYMBOL.csv daily bars)\n";
    return 2;
  }
  std::optional<int64_t> from, to;
  if (!from_s.empty() && !(from = lua::ParseDateToCloseMicros(from_s))) {
    std::cerr << "strategy check: --from '" << from_s << "' is not a date like 2020-01-31\n";
    return 2;
  }
  if (!to_s.empty() && !(to = lua::ParseDateToCloseMicros(to_s))) {
    std::cerr << "strategy check: --to '" << to_s << "' is not a date like 2020-12-31\n";
    return 2;
  }

  lua::RuntimeOptions o;
  o.scripts_dir = fs::path(file).parent_path().string();
  if (lib.empty()) {
    fs::path near = fs::path(o.scripts_dir) / "lib";
    lib = fs::exists(near / "sf" / "runtime.lua", ec) ? near.string() : ctx.ResolvePath("scripts/lib");
  }
  o.lib_dir = lib;
  const auto& psec = ctx.config().value("/plugins"_json_pointer, nlohmann::json::object());
  for (const auto& d : psec.value("directories", nlohmann::json::array()))
    o.plugin_dirs.push_back(ctx.ResolvePath(d.get<std::string>()));
  for (const auto& d : plugin_dirs) o.plugin_dirs.push_back(fs::absolute(d, ec).string());
  auto rt = lua::StrategyRuntime::Create(o);
  if (!rt.ok()) {
    std::cerr << "strategy check: " << rt.status().ToString() << "\n";
    return 1;
  }
  auto st = (*rt)->LoadFile(file, true);
  if (st.state != "running") {
    if (json_out) std::cout << nlohmann::json({{"error", st.last_error}}).dump() << "\n";
    else std::cerr << "refused: " << st.last_error << "\n";
    return 1;
  }
  if (st.worker.value("indicators", nlohmann::json::array()).empty()) {
    std::cerr << "warning: no indicator plugins were loaded (looked in:";
    for (const auto& d : o.plugin_dirs) std::cerr << " " << d;
    std::cerr << "); ctx.indicator will fail. Use --plugins DIR or plugins.directories in the config.\n";
  }
  const nlohmann::json& decl = st.declaration;
  if (!json_out) {
    std::cout << "strategy " << st.name << " (" << decl["timeframe"].get<std::string>()
              << ") version " << st.version << "\n  declaration ok; params:";
    for (const auto& [k, p] : decl["params"].items()) std::cout << " " << k << "=" << p["value"].dump();
    std::cout << "\n";
  }
  if (decl["timeframe"] != "1d") {
    std::cerr << "strategy check: the CSV replay has daily bars; this strategy's timeframe is "
              << decl["timeframe"].get<std::string>() << " (declaration checked, no replay)\n";
    return 0;
  }
  if (symbols.empty() && decl["universe"].contains("symbols"))
    symbols = decl["universe"]["symbols"].get<std::vector<std::string>>();
  if (symbols.empty()) {
    for (const auto& de : fs::directory_iterator(data, ec))
      if (de.path().extension() == ".csv") symbols.push_back(de.path().stem().string());
    std::sort(symbols.begin(), symbols.end());
  }
  // Instruments: every symbol an equity; sectors from constituents.csv when present.
  std::map<std::string, std::string> sectors;
  std::ifstream cons(fs::path(data).parent_path() / "constituents.csv");
  std::string line;
  while (std::getline(cons, line)) {
    auto f = Split(line);
    if (f.size() >= 3) sectors[f[0]] = f.back();
  }
  std::vector<market::BarSeries> series;
  int problems = 0;
  for (const auto& s : symbols) {
    auto bars = lua::LoadDailyCsv((fs::path(data) / (s + ".csv")).string(), s);
    if (!bars.ok()) {
      std::cerr << "skipped " << s << ": " << bars.status().message() << "\n";
      continue;
    }
    series.push_back(std::move(*bars));
    (*rt)->SetInstrument(s, {"equity", sectors[s], ""});
  }
  if (series.empty()) {
    std::cerr << "strategy check: no usable data for the symbols\n";
    return 1;
  }
  std::set<int64_t> all;
  for (const auto& s : series) all.insert(s.ts.begin(), s.ts.end());
  std::vector<int64_t> dates;
  for (int64_t t : all)
    if ((!from || t >= *from) && (!to || t <= *to)) dates.push_back(t);
  if (!from && dates.size() > 250) dates.erase(dates.begin(), dates.end() - 250);

  int signals = 0;
  for (int64_t t : dates) {
    std::vector<std::string> closed;
    for (const auto& s : series) {
      auto it = std::upper_bound(s.ts.begin(), s.ts.end(), t);
      if (it == s.ts.begin() || *(it - 1) != t) continue;  // no bar that day
      if (!(*rt)->UpdateSeries(s, it - s.ts.begin()).ok()) continue;
      closed.push_back(s.symbol);
    }
    if (closed.empty()) continue;
    lua::BarResult r = (*rt)->OnBarClose({market::Timeframe::k1d, t, closed, {}});
    for (const auto& i : r.intents) {
      ++signals;
      if (json_out) {
        std::cout << i.ToJson().dump() << "\n";
        continue;
      }
      char buf[256];
      snprintf(buf, sizeof(buf), "%s %-6s %-4s conf %.2f entry %.2f target %.2f stop %.2f expiry %d  ",
               Date(t).c_str(), i.symbol.c_str(), i.side.c_str(), i.confidence, i.entry, i.target,
               i.stop, i.expiry_bars);
      std::cout << buf << i.summary << "\n";
    }
    for (const auto& p : r.rejected) {
      ++problems;
      if (json_out) std::cout << nlohmann::json({{"date", Date(t)}, {"rejected", p.message}}).dump() << "\n";
      else std::cout << Date(t) << " rejected: " << p.message << "\n";
    }
    for (const auto& p : r.errors) {
      ++problems;
      if (json_out) std::cout << nlohmann::json({{"date", Date(t)}, {"symbol", p.symbol}, {"error", p.message}}).dump() << "\n";
      else std::cout << Date(t) << " error " << p.symbol << ": " << p.message << "\n";
    }
    for (const auto& l : r.logs)
      if (!json_out) std::cout << Date(t) << " log " << l << "\n";
    auto now = (*rt)->FindStatus(file);
    if (now && now->state != "running") {
      std::cerr << "stopped: " << now->last_error << "\n";
      return 1;
    }
  }
  if (!json_out)
    std::cout << signals << " signals over " << dates.size() << " bars and " << series.size()
              << " symbols; " << problems << " errors/rejections\n";
  return problems == 0 ? 0 : 1;
}

const CommandRegistrar kRegistrar({"strategy check",
                                   "Check a Lua strategy: compile, validate, dry-run over CSV data",
                                   kUsage, &Check});

}  // namespace
}  // namespace sf::app
