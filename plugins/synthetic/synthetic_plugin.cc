// org.signalforge.synthetic - the "synthetic" provider: the embedded
// default's market (see synthetic_market.h for the model).
//
// Config: {"seed": 42, "symbols": 500, "epoch": "2023-01-02",
//          "news_rate": 0.003, "index": true, "speed": 1,
//          "skip_closed": (speed > 1), "max_bars_per_poll": 500000}
// fetch_bars serves history for 1m and 1d (bars whose start lies in
// [from, to)); poll(now) runs the market live: from the first poll on, the
// simulated clock advances `speed` times faster than the host clock (and,
// with skip_closed, jumps over nights and weekends, so at speed 390 a whole
// session of 1m bars passes in one minute) and each poll emits the 1m bars
// completed since the previous one, the daily bars of sessions that closed,
// and the news published meanwhile.
// One instance is not thread-safe (the host serialises calls).
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "signalforge/signalforge.hpp"
#include "synthetic_market.h"

namespace {

constexpr const char* kPluginId = "org.signalforge.synthetic";
constexpr int64_t kUsPerMin = 60'000'000;
constexpr int64_t kUsPerDay = 86'400'000'000;
const char* kSeverity[3] = {"minor", "moderate", "severe"};

struct Instance {
  std::unique_ptr<sf::synthetic::SyntheticMarket> market;
  double speed = 1;
  bool skip_closed = false;
  int64_t max_bars_per_poll = 500'000;
  // Live state.
  bool live = false;
  int64_t wall_anchor = 0;   // host clock at the first poll
  int64_t sim_anchor = 0;    // simulated time at the first poll
  int64_t emitted_until = 0; // every 1m bar starting before this was emitted
  int64_t daily_until_day = 0;  // daily bars of days < this were emitted
  int64_t news_until = 0;
};

bool ParseDate(const std::string& s, int64_t* days) {
  int y, m, d;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 ||
      d < 1 || d > 31) {
    return false;
  }
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mm = static_cast<unsigned>(m);
  const unsigned doy = (153 * (mm + (mm > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  *days = era * 146097 + static_cast<int64_t>(doe) - 719468;
  return true;
}

int64_t HostNow() {
  const sf_host_api* host = sf::sdk::HostSlot();
  if (host != nullptr && SF_HOST_HAS(host, now_us)) return host->now_us();
  return 0;
}

std::string NewsJson(const sf::synthetic::NewsEvent& ev) {
  nlohmann::json j = {{"severity", kSeverity[ev.severity]},
                      {"kind", ev.kind},
                      {"drop_pct", std::round((1 - std::exp(ev.drop)) * 10000) / 100}};
  return j.dump();
}

double NumberOr(const nlohmann::json& cfg, const char* key, double def, double lo, double hi) {
  if (!cfg.contains(key)) return def;
  if (!cfg[key].is_number() || cfg[key].get<double>() < lo || cfg[key].get<double>() > hi) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, std::string("synthetic: config key '") + key +
                                                      "' must be a number in [" + std::to_string(lo) +
                                                      ", " + std::to_string(hi) + "]");
  }
  return cfg[key].get<double>();
}

sf_status Create(const char* config_json, void** out) {
  return sf::sdk::Guard([&]() -> sf_status {
    auto cfg = nlohmann::json::parse(config_json ? config_json : "{}", nullptr, false);
    if (cfg.is_discarded() || !cfg.is_object()) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "synthetic: config is not a JSON object");
    }
    sf::synthetic::MarketConfig mc;
    mc.seed = static_cast<uint64_t>(NumberOr(cfg, "seed", 42, 0, 9.0e15));
    mc.symbols = static_cast<int>(NumberOr(cfg, "symbols", 500, 1, 5000));
    mc.news_rate = NumberOr(cfg, "news_rate", 0.003, 0, 0.5);
    ParseDate("2023-01-02", &mc.epoch_day);
    if (cfg.contains("epoch")) {
      if (!cfg["epoch"].is_string() || !ParseDate(cfg["epoch"].get<std::string>(), &mc.epoch_day)) {
        throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "synthetic: config key 'epoch' must be a date YYYY-MM-DD");
      }
    }
    if (cfg.contains("index")) {
      if (!cfg["index"].is_boolean()) {
        throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "synthetic: config key 'index' must be true or false");
      }
      mc.index = cfg["index"].get<bool>();
    }
    auto inst = std::make_unique<Instance>();
    inst->speed = NumberOr(cfg, "speed", 1, 1, 100000);
    inst->skip_closed = inst->speed > 1;
    if (cfg.contains("skip_closed")) {
      if (!cfg["skip_closed"].is_boolean()) {
        throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "synthetic: config key 'skip_closed' must be true or false");
      }
      inst->skip_closed = cfg["skip_closed"].get<bool>();
    }
    inst->max_bars_per_poll = static_cast<int64_t>(NumberOr(cfg, "max_bars_per_poll", 500000, 1000, 1e8));
    inst->market = std::make_unique<sf::synthetic::SyntheticMarket>(mc);
    *out = inst.release();
    return SF_OK;
  });
}

void Destroy(void* p) { delete static_cast<Instance*>(p); }

sf_status ListInstruments(void* p, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    auto* inst = static_cast<Instance*>(p);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& i : inst->market->instruments()) {
      out.push_back({{"symbol", i.symbol}, {"name", i.name}, {"type", i.type}, {"exchange", "SYNTH"},
                     {"currency", "USD"}, {"sector", i.sector}});
    }
    return sf::sdk::WriteOut(out.dump(), buf, cap, needed);
  });
}

// The symbols a request names (all when none), reporting unknown ones.
std::vector<int> Resolve(Instance* inst, const sf_fetch_request& req, const sf_data_sink& sink) {
  std::vector<int> out;
  if (req.symbol_count <= 0 || req.symbols == nullptr) {
    for (size_t i = 0; i < inst->market->instruments().size(); ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  for (int64_t i = 0; i < req.symbol_count; ++i) {
    const char* s = req.symbols[i];
    const int idx = s ? inst->market->FindSymbol(s) : -1;
    if (idx < 0) {
      if (sink.reject) sink.reject(sink.host_data, s ? s : "(null)", "not a symbol of the synthetic universe");
      continue;
    }
    out.push_back(idx);
  }
  return out;
}

sf_status Emit(Instance* inst, int sym, const char* tf, const sf::synthetic::Bars& bars,
               const sf_data_sink& sink) {
  if (bars.size() == 0) return SF_OK;
  sf_bar_batch b = sf::sdk::Make<sf_bar_batch>();
  b.symbol = inst->market->instruments()[static_cast<size_t>(sym)].symbol.c_str();
  b.timeframe = tf;
  b.count = static_cast<int64_t>(bars.size());
  b.ts_start = bars.ts_start.data();
  b.ts_end = bars.ts_end.data();
  b.open = bars.open.data();
  b.high = bars.high.data();
  b.low = bars.low.data();
  b.close = bars.close.data();
  b.volume = bars.volume.data();
  return sink.emit_bars(sink.host_data, &b);
}

sf_status EmitNews(Instance* inst, const std::vector<sf::synthetic::NewsEvent>& events,
                   const sf_data_sink& sink) {
  if (events.empty() || sink.emit_news == nullptr) return SF_OK;
  std::vector<std::string> ids, extras;
  std::vector<sf_news_item> items;
  ids.reserve(events.size());
  extras.reserve(events.size());
  for (const auto& ev : events) {
    const auto& info = inst->market->instruments()[static_cast<size_t>(ev.sym)];
    int64_t open_us, close_us;
    sf::synthetic::SyntheticMarket::SessionOf(ev.day, &open_us, &close_us);
    ids.push_back("synthetic:" + info.symbol + ":" + std::to_string(ev.day));
    extras.push_back(NewsJson(ev));
    sf_news_item n = sf::sdk::Make<sf_news_item>();
    n.id = ids.back().c_str();
    n.url = nullptr;
    n.title = ev.headline.c_str();
    n.source = "synthetic wire";
    n.symbols = info.symbol.c_str();
    n.published_us = open_us + ev.minute * kUsPerMin;
    n.score = std::numeric_limits<double>::quiet_NaN();
    n.upvote_ratio = std::numeric_limits<double>::quiet_NaN();
    n.comments = -1;
    n.extra_json = extras.back().c_str();
    items.push_back(n);
  }
  return sink.emit_news(sink.host_data, items.data(), static_cast<int64_t>(items.size()));
}

sf_status FetchBars(void* p, const sf_fetch_request* req_in, const sf_data_sink* sink_in) {
  return sf::sdk::Guard([&]() -> sf_status {
    auto* inst = static_cast<Instance*>(p);
    const sf_fetch_request req = sf::sdk::CopySized(req_in);
    const sf_data_sink sink = sf::sdk::CopySized(sink_in);
    const std::string tf = req.timeframe ? req.timeframe : "1d";
    if (tf != "1m" && tf != "1d") {
      throw sf::sdk::Error(SF_ERR_UNSUPPORTED, "synthetic: timeframe '" + tf +
                                                   "' is not generated; use 1m or 1d (the host resamples)");
    }
    const int64_t from = req.from_us > 0 ? req.from_us : inst->market->epoch_day() * kUsPerDay;
    int64_t to = req.to_us > 0 ? req.to_us : HostNow();
    if (to <= 0) to = from + 30 * kUsPerDay;
    sf::synthetic::Bars bars;
    for (int sym : Resolve(inst, req, sink)) {
      bars.Clear();
      inst->market->Generate(sym, tf == "1d", from, to, &bars);
      if (Emit(inst, sym, tf.c_str(), bars, sink) == SF_ERR_CANCELLED) {
        throw sf::sdk::Error(SF_ERR_CANCELLED, "synthetic: the host cancelled the fetch");
      }
    }
    return SF_OK;
  });
}

sf_status FetchNews(void* p, const sf_fetch_request* req_in, const sf_data_sink* sink_in) {
  return sf::sdk::Guard([&]() -> sf_status {
    auto* inst = static_cast<Instance*>(p);
    const sf_fetch_request req = sf::sdk::CopySized(req_in);
    const sf_data_sink sink = sf::sdk::CopySized(sink_in);
    const int64_t from = req.from_us > 0 ? req.from_us : inst->market->epoch_day() * kUsPerDay;
    const int64_t to = req.to_us > 0 ? req.to_us : HostNow();
    auto events = inst->market->News(from, to);
    if (req.symbol_count > 0 && req.symbols != nullptr) {
      std::set<std::string> want;
      for (int64_t i = 0; i < req.symbol_count; ++i) {
        if (req.symbols[i]) want.insert(req.symbols[i]);
      }
      std::vector<sf::synthetic::NewsEvent> kept;
      for (auto& e : events) {
        if (want.count(inst->market->instruments()[static_cast<size_t>(e.sym)].symbol)) kept.push_back(e);
      }
      events.swap(kept);
    }
    return EmitNews(inst, events, sink);
  });
}

// Simulated time `elapsed` µs of (market) time after `start`.
int64_t Advance(const Instance& inst, int64_t start, int64_t elapsed) {
  if (!inst.skip_closed) return start + elapsed;
  int64_t pos = start;
  for (int guard = 0; guard < 200000; ++guard) {
    const int64_t day = pos >= 0 ? pos / kUsPerDay : 0;
    int64_t open_us = 0, close_us = 0;
    bool found = false;
    for (int64_t d = day; d < day + 8 && !found; ++d) {
      if (sf::synthetic::SyntheticMarket::SessionOf(d, &open_us, &close_us) && close_us > pos) found = true;
    }
    if (!found) return pos + elapsed;
    if (pos < open_us) pos = open_us;
    if (elapsed < close_us - pos) return pos + elapsed;
    elapsed -= close_us - pos;
    pos = close_us;
    if (elapsed == 0) return pos;
  }
  return pos;
}

sf_status Poll(void* p, sf_time_us now, const sf_data_sink* sink_in) {
  return sf::sdk::Guard([&]() -> sf_status {
    auto* inst = static_cast<Instance*>(p);
    const sf_data_sink sink = sf::sdk::CopySized(sink_in);
    if (!inst->live) {
      inst->live = true;
      inst->wall_anchor = now;
      inst->sim_anchor = Advance(*inst, now, 0);
      inst->emitted_until = inst->sim_anchor;
      inst->daily_until_day = inst->sim_anchor / kUsPerDay;
      inst->news_until = inst->sim_anchor;
      return SF_NO_DATA;
    }
    const double elapsed = std::max(0.0, static_cast<double>(now - inst->wall_anchor) * inst->speed);
    int64_t sim_now = Advance(*inst, inst->sim_anchor, static_cast<int64_t>(std::min(elapsed, 9.0e17)));
    // Bound one poll's work; the rest follows on the next polls.
    const int64_t symbols = static_cast<int64_t>(inst->market->instruments().size());
    const int64_t max_minutes = std::max<int64_t>(1, inst->max_bars_per_poll / symbols);
    sim_now = std::min(sim_now, Advance(*inst, inst->emitted_until, max_minutes * kUsPerMin));
    // 1m bars completed by sim_now: start < sim_now - 1 minute + 1.
    const int64_t until = sim_now - kUsPerMin + 1;
    bool any = false;
    sf::synthetic::Bars bars;
    if (until > inst->emitted_until) {
      for (int sym = 0; sym < symbols; ++sym) {
        bars.Clear();
        inst->market->Generate(sym, false, inst->emitted_until, until, &bars);
        any = any || bars.size() > 0;
        if (Emit(inst, sym, "1m", bars, sink) == SF_ERR_CANCELLED) {
          throw sf::sdk::Error(SF_ERR_CANCELLED, "synthetic: the host cancelled the poll");
        }
      }
      inst->emitted_until = until;
    }
    // Daily bars of sessions that closed.
    for (int64_t day = inst->daily_until_day;; ++day) {
      int64_t open_us, close_us;
      const bool session = sf::synthetic::SyntheticMarket::SessionOf(day, &open_us, &close_us);
      if (session && close_us > sim_now) break;
      if (!session && day * kUsPerDay > sim_now) break;
      if (session) {
        for (int sym = 0; sym < symbols; ++sym) {
          bars.Clear();
          inst->market->Generate(sym, true, open_us, open_us + 1, &bars);
          any = any || bars.size() > 0;
          if (Emit(inst, sym, "1d", bars, sink) == SF_ERR_CANCELLED) {
            throw sf::sdk::Error(SF_ERR_CANCELLED, "synthetic: the host cancelled the poll");
          }
        }
      }
      inst->daily_until_day = day + 1;
    }
    if (sim_now > inst->news_until) {
      auto events = inst->market->News(inst->news_until, sim_now);
      inst->news_until = sim_now;
      any = any || !events.empty();
      EmitNews(inst, events, sink);
    }
    return any ? SF_OK : SF_NO_DATA;
  });
}

const sf_provider_vtable kProvider = {
    sizeof(sf_provider_vtable),
    0,
    "synthetic",
    R"j({"description":"Seeded synthetic equity market: GARCH volatility, fat tails, sector factors, news shocks",)j"
    R"j("asset_classes":["equity"],"timeframes":["1m","1d"],"bars":true,"news":true,"live":true,)j"
    R"j("config":{"type":"object","properties":{)j"
    R"j("seed":{"type":"integer","default":42},"symbols":{"type":"integer","minimum":1,"maximum":5000,"default":500},)j"
    R"j("epoch":{"type":"string","description":"first simulated day YYYY-MM-DD","default":"2023-01-02"},)j"
    R"j("news_rate":{"type":"number","default":0.003},"index":{"type":"boolean","default":true},)j"
    R"j("speed":{"type":"number","minimum":1,"default":1},"skip_closed":{"type":"boolean"},)j"
    R"j("max_bars_per_poll":{"type":"integer","default":500000}}}})j",
    Create,
    Destroy,
    ListInstruments,
    FetchBars,
    FetchNews,
    Poll,
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
    "Synthetic market",
    "A seeded, reproducible equity market with intraday and daily bars and news shocks",
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
