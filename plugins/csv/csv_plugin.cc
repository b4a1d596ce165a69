// org.signalforge.csv - the "csv" provider: daily bars from a directory of
// per-symbol CSV files (SYMBOL.csv), AlphaVantage daily-adjusted or Yahoo
// format, plus an optional constituents.csv (Symbol,Name,Sector) for
// instrument names and sectors.
//
// Config: {"path": "DIR", "constituents": "FILE", "max_file_mb": 256,
//          "exchange": "US", "currency": "USD"}
// Prices are emitted raw with adj_factor = adjusted_close / close. A file
// that is not price data is reported through sink->reject by file name and
// skipped; a malformed row is reported as "FILE:LINE". Instances are
// immutable after create, so every call is reentrant (SF_FLAG_THREAD_SAFE).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csv_parser.h"
#include "signalforge/signalforge.hpp"

namespace {

constexpr const char* kPluginId = "org.signalforge.csv";
constexpr size_t kMaxRowErrorsPerFile = 20;

struct Instrument {
  std::string name;
  std::string sector;
};

struct CsvInstance {
  std::string dir;
  std::string constituents_path;
  size_t max_file_bytes = 256u << 20;
  std::string exchange = "US";
  std::string currency = "USD";
};

// Symbols become SQL values, URLs and log lines: keep them boring.
bool ValidSymbol(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '^' || c == '=';
    if (!ok) return false;
  }
  return true;
}

bool ReadWholeFile(const std::string& path, size_t max_bytes, std::string* out, std::string* why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    *why = "not a regular file";
    return false;
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    *why = "file is " + std::to_string(st.st_size >> 20) + " MB, over the " +
           std::to_string(max_bytes >> 20) + " MB limit (config max_file_mb)";
    return false;
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out->size()) {
    ssize_t k = ::read(fd, out->data() + got, out->size() - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += static_cast<size_t>(k);
  }
  ::close(fd);
  out->resize(got);
  return true;
}

// *.csv files of the directory except constituents.csv, sorted.
std::vector<std::string> PriceFiles(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return files;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".csv") != 0) continue;
    if (name == "constituents.csv") continue;
    files.push_back(name);
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

// Splits one CSV line honouring double quotes ("Name, Inc.").
std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

std::map<std::string, Instrument> ReadConstituents(const std::string& path) {
  std::map<std::string, Instrument> out;
  std::string text, why;
  if (path.empty() || !ReadWholeFile(path, 16u << 20, &text, &why)) return out;
  size_t pos = text.find('\n');
  while (pos != std::string::npos && pos + 1 < text.size()) {
    size_t end = text.find('\n', pos + 1);
    auto f = SplitCsvLine(text.substr(pos + 1, end == std::string::npos ? std::string::npos
                                                                         : end - pos - 1));
    if (f.size() >= 1 && ValidSymbol(f[0])) {
      out[f[0]] = Instrument{f.size() > 1 ? f[1] : "", f.size() > 2 ? f[2] : ""};
    }
    pos = end;
  }
  return out;
}

bool FileExists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

sf_status Create(const char* config_json, void** instance) {
  return sf::sdk::Guard([&]() -> sf_status {
    auto cfg = nlohmann::json::parse(config_json ? config_json : "{}", nullptr, false);
    if (cfg.is_discarded() || !cfg.is_object()) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "csv: config is not a JSON object");
    }
    auto inst = std::make_unique<CsvInstance>();
    if (!cfg.contains("path") || !cfg["path"].is_string() || cfg["path"].get<std::string>().empty()) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           "csv: config key 'path' must name the directory of SYMBOL.csv files");
    }
    inst->dir = cfg["path"].get<std::string>();
    while (inst->dir.size() > 1 && inst->dir.back() == '/') inst->dir.pop_back();
    struct stat st {};
    if (::stat(inst->dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      throw sf::sdk::Error(SF_ERR_NOT_FOUND,
                           "csv: config key 'path': '" + inst->dir + "' is not a directory");
    }
    if (cfg.contains("constituents")) {
      if (!cfg["constituents"].is_string()) {
        throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "csv: config key 'constituents' must be a path");
      }
      inst->constituents_path = cfg["constituents"].get<std::string>();
      if (!FileExists(inst->constituents_path)) {
        throw sf::sdk::Error(SF_ERR_NOT_FOUND, "csv: config key 'constituents': '" +
                                                   inst->constituents_path + "' does not exist");
      }
    } else if (FileExists(inst->dir + "/constituents.csv")) {
      inst->constituents_path = inst->dir + "/constituents.csv";
    } else if (FileExists(inst->dir + "/../constituents.csv")) {
      inst->constituents_path = inst->dir + "/../constituents.csv";
    }
    if (cfg.contains("max_file_mb")) {
      if (!cfg["max_file_mb"].is_number() || cfg["max_file_mb"].get<double>() < 1) {
        throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "csv: config key 'max_file_mb' must be a number >= 1");
      }
      inst->max_file_bytes = static_cast<size_t>(cfg["max_file_mb"].get<double>() * 1048576.0);
    }
    if (cfg.contains("exchange") && cfg["exchange"].is_string()) inst->exchange = cfg["exchange"];
    if (cfg.contains("currency") && cfg["currency"].is_string()) inst->currency = cfg["currency"];
    *instance = inst.release();
    return SF_OK;
  });
}

void Destroy(void* instance) { delete static_cast<CsvInstance*>(instance); }

sf_status ListInstruments(void* instance, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    auto* inst = static_cast<CsvInstance*>(instance);
    auto names = ReadConstituents(inst->constituents_path);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& file : PriceFiles(inst->dir)) {
      std::string sym = file.substr(0, file.size() - 4);
      if (!ValidSymbol(sym)) continue;
      auto it = names.find(sym);
      out.push_back({{"symbol", sym},
                     {"name", it != names.end() ? it->second.name : sym},
                     {"type", "equity"},
                     {"exchange", inst->exchange},
                     {"currency", inst->currency},
                     {"sector", it != names.end() ? it->second.sector : ""}});
    }
    return sf::sdk::WriteOut(out.dump(), buf, cap, needed);
  });
}

sf_status FetchBars(void* instance, const sf_fetch_request* request_in, const sf_data_sink* sink_in) {
  return sf::sdk::Guard([&]() -> sf_status {
    auto* inst = static_cast<CsvInstance*>(instance);
    const sf_fetch_request req = sf::sdk::CopySized(request_in);
    const sf_data_sink sink = sf::sdk::CopySized(sink_in);
    if (req.timeframe != nullptr && std::strcmp(req.timeframe, "1d") != 0) {
      throw sf::sdk::Error(SF_ERR_UNSUPPORTED, std::string("csv: files hold daily bars; timeframe '") +
                                                   req.timeframe + "' is not available (use 1d)");
    }
    std::set<std::string> wanted;
    for (int64_t i = 0; i < req.symbol_count && req.symbols != nullptr; ++i) {
      if (req.symbols[i] != nullptr) wanted.insert(req.symbols[i]);
    }
    std::vector<std::string> files;
    if (wanted.empty()) {
      files = PriceFiles(inst->dir);
    } else {
      for (const auto& s : wanted) {
        if (!ValidSymbol(s)) {
          if (sink.reject) sink.reject(sink.host_data, s.c_str(), "symbol has characters outside A-Z 0-9 . - _ ^ =");
          continue;
        }
        if (FileExists(inst->dir + "/" + s + ".csv")) {
          files.push_back(s + ".csv");
        } else if (sink.reject) {
          sink.reject(sink.host_data, (s + ".csv").c_str(),
                      ("no such file in " + inst->dir).c_str());
        }
      }
    }
    std::string text, why;
    for (const auto& file : files) {
      const std::string symbol = file.substr(0, file.size() - 4);
      if (!ValidSymbol(symbol)) {
        if (sink.reject) {
          sink.reject(sink.host_data, file.c_str(),
                      "file name is not a symbol (allowed: A-Z a-z 0-9 . - _ ^ =, 1-32 chars)");
        }
        continue;
      }
      if (!ReadWholeFile(inst->dir + "/" + file, inst->max_file_bytes, &text, &why)) {
        if (sink.reject) sink.reject(sink.host_data, file.c_str(), why.c_str());
        continue;
      }
      sf::csv::ParseResult parsed =
          sf::csv::ParseDailyCsv(text, req.from_us, req.to_us, kMaxRowErrorsPerFile);
      if (!parsed.refused.empty()) {
        if (sink.reject) sink.reject(sink.host_data, file.c_str(), parsed.refused.c_str());
        continue;
      }
      if (sink.reject) {
        for (const auto& e : parsed.errors) {
          std::string what = file + ":" + std::to_string(e.line);
          sink.reject(sink.host_data, what.c_str(), e.reason.c_str());
        }
        if (parsed.malformed_rows > static_cast<int64_t>(parsed.errors.size())) {
          std::string more = std::to_string(parsed.malformed_rows - static_cast<int64_t>(parsed.errors.size())) +
                             " more malformed row(s) not listed";
          sink.reject(sink.host_data, file.c_str(), more.c_str());
        }
      }
      const auto& b = parsed.bars;
      if (b.size() == 0) continue;
      sf_bar_batch batch = sf::sdk::Make<sf_bar_batch>();
      batch.symbol = symbol.c_str();
      batch.timeframe = "1d";
      batch.count = static_cast<int64_t>(b.size());
      batch.ts_start = b.ts.data();
      batch.open = b.open.data();
      batch.high = b.high.data();
      batch.low = b.low.data();
      batch.close = b.close.data();
      batch.volume = b.volume.data();
      batch.adj_factor = b.adj_factor.empty() ? nullptr : b.adj_factor.data();
      sf_status s = sink.emit_bars(sink.host_data, &batch);
      if (s == SF_ERR_CANCELLED) {
        throw sf::sdk::Error(SF_ERR_CANCELLED, "csv: the host cancelled the fetch");
      }
    }
    return SF_OK;
  });
}

const sf_provider_vtable kProvider = {
    sizeof(sf_provider_vtable),
    SF_FLAG_THREAD_SAFE,
    "csv",
    R"j({"description":"Daily bars from a directory of SYMBOL.csv files (AlphaVantage daily-adjusted or Yahoo format)",)j"
    R"j("asset_classes":["equity"],"timeframes":["1d"],"bars":true,"news":false,"live":false,)j"
    R"j("config":{"type":"object","required":["path"],"properties":{)j"
    R"j("path":{"type":"string","description":"directory of SYMBOL.csv files"},)j"
    R"j("constituents":{"type":"string","description":"Symbol,Name,Sector CSV (default: PATH/constituents.csv or PATH/../constituents.csv)"},)j"
    R"j("max_file_mb":{"type":"number","minimum":1,"default":256},)j"
    R"j("exchange":{"type":"string","default":"US"},"currency":{"type":"string","default":"USD"}}}})j",
    Create,
    Destroy,
    ListInstruments,
    FetchBars,
    nullptr,
    nullptr,
};

sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char*) {
  sf::sdk::Remember(host);
  return host->register_provider(plugin, &kProvider);
}

const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER,
    0,
    0,
    kPluginId,
    "1.0.0",
    "CSV price files",
    "Daily bars from per-symbol CSV files: AlphaVantage daily-adjusted and Yahoo formats",
    "Signalforge",
    "Apache-2.0",
    Init,
    nullptr,
};

}  // namespace

SF_PLUGIN_ENTRY(host) {
  (void)host;
  return &kManifest;
}
