// sf_lua_worker: the process a strategy runs in. Spawned by the host
// (worker_process.cc) with a socketpair on fd 3, the read-only series arena
// on fd 4 and a shared progress word on fd 5. It loads the indicator and
// model plugins itself (plugins are native code the host trusts; the worker
// only keeps strategy code away from the host's memory and CPU), then serves
// load / eval / state requests until the host closes the socket or kills it.
//
// Limits set here, before any strategy code runs: the Lua allocator cap
// (memory), RLIMIT_AS as a backstop for memory the allocator does not see,
// no core dumps, PR_SET_PDEATHSIG so a worker never outlives its host, and
// an alarm() per request so a worker whose host stopped watching still dies.
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lua/indicator_source.h"
#include "lua/protocol.h"
#include "lua/series_arena.h"
#include "lua/strategy_vm.h"
#include "plugins/loader.h"
#include "plugins/registry.h"

namespace {

using sf::lua::MsgType;

// A reply; with `data`, a kReplyWithData message carrying it after the JSON.
int Reply(int fd, const nlohmann::json& j, const std::string* data = nullptr) {
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (data == nullptr || data->empty())
    return sf::lua::WriteMessage(fd, MsgType::kReply, text).ok() ? 0 : 1;
  // The payload is a length prefix, the JSON, then the data: written in
  // parts, so a range's output (megabytes) is not copied once more.
  const uint32_t n = static_cast<uint32_t>(text.size());
  const std::string_view parts[] = {
      std::string_view(reinterpret_cast<const char*>(&n), sizeof(n)), text, *data};
  return sf::lua::WriteMessage(fd, MsgType::kReplyWithData, parts).ok() ? 0 : 1;
}

struct Args {
  int sock = 3, arena = 4, progress = 5;
  std::string lib_dir;
  size_t memory_mb = 256;
  int max_per_symbol = 3, max_per_bar = 100, atr_period = 14;
  int backstop_s = 30;
  std::vector<std::string> plugin_dirs;
  std::string models_json = "{}";
};

// Wall and CPU time of one request, reported in the reply ("seconds",
// "cpu_seconds") so benchmarks can tell worker time from IPC and scheduling.
class Timer {
 public:
  Timer() : wall_(std::chrono::steady_clock::now()), cpu_(Cpu()) {}
  void Report(nlohmann::json* out) const {
    (*out)["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
    (*out)["cpu_seconds"] = Cpu() - cpu_;
  }

 private:
  static double Cpu() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--lib") a->lib_dir = v;
    else if (k == "--memory-mb") a->memory_mb = std::stoul(v);
    else if (k == "--max-per-symbol") a->max_per_symbol = std::stoi(v);
    else if (k == "--max-per-bar") a->max_per_bar = std::stoi(v);
    else if (k == "--atr-period") a->atr_period = std::stoi(v);
    else if (k == "--backstop-s") a->backstop_s = std::stoi(v);
    else if (k == "--plugins") a->plugin_dirs.push_back(v);
    else if (k == "--models") a->models_json = v;
    else return false;
  }
  return !a->lib_dir.empty();
}

}  // namespace

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  Args args;
  try {
    if (!Parse(argc, argv, &args)) {
      fprintf(stderr, "usage: sf_lua_worker --lib DIR [--memory-mb N] [--plugins DIR]...\n");
      return 2;
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "sf_lua_worker: bad argument: %s\n", e.what());
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  rlimit core{0, 0};
  setrlimit(RLIMIT_CORE, &core);

  sf::plugins::Registry registry;
  // No probe child: this process is already the isolation boundary (a
  // plugin that crashes here takes down one strategy's worker, reported).
  sf::plugins::LoaderOptions lo;
  lo.probe = false;
  lo.log = false;
  sf::plugins::Loader loader(registry, lo);
  if (!args.plugin_dirs.empty()) {
    for (const auto& r : loader.LoadDirectories(args.plugin_dirs))
      if (!r.loaded) fprintf(stderr, "sf_lua_worker: plugin %s refused: %s\n", r.path.c_str(), r.reason.c_str());
  }
  sf::lua::IndicatorSource indicators;
  sf::Status st = indicators.AddRegistry(registry);
  if (!st.ok()) fprintf(stderr, "sf_lua_worker: %s\n", st.ToString().c_str());

  std::map<std::string, sf::lua::ModelHandle> models;
  std::vector<std::string> model_errors;
  try {
    auto mj = nlohmann::json::parse(args.models_json);
    for (auto it = mj.begin(); it != mj.end(); ++it) {
      const std::string comp = it.value().value("component", "");
      const sf::plugins::Model* m = registry.FindModel(comp);
      if (m == nullptr) {
        model_errors.push_back("model '" + it.key() + "': component '" + comp + "' is not loaded");
        continue;
      }
      void* inst = nullptr;
      std::string cfg = it.value().value("config", nlohmann::json::object()).dump();
      sf::plugins::ClearPluginError();
      if (m->vt.load(cfg.c_str(), &inst) < 0) {
        model_errors.push_back("model '" + it.key() + "': " + sf::plugins::TakePluginError("load failed"));
        continue;
      }
      sf::lua::ModelHandle h{&m->vt, inst, {}};
      char buf[65536];
      size_t needed = 0;
      if (m->vt.describe(inst, buf, sizeof(buf), &needed) == SF_OK) {
        auto d = nlohmann::json::parse(std::string(buf, strnlen(buf, sizeof(buf))), nullptr, false);
        if (d.is_object())
          for (const auto& f : d.value("features", nlohmann::json::array()))
            if (f.is_string()) h.features.push_back(f.get<std::string>());
      }
      models.emplace(it.key(), std::move(h));
    }
  } catch (const std::exception& e) {
    model_errors.push_back(std::string("models config: ") + e.what());
  }

  // Backstop for memory the Lua allocator does not count (plugins, stacks).
  // Not under AddressSanitizer (make test-sanitize): its shadow memory is
  // terabytes of reserved address space, so any limit would refuse every
  // later mapping. The Lua heap cap holds either way.
#if !defined(__SANITIZE_ADDRESS__)
  const rlim_t as = static_cast<rlim_t>(args.memory_mb + 3072) << 20;
  rlimit asl{as, as};
  setrlimit(RLIMIT_AS, &asl);
#endif

  auto arena = sf::lua::ArenaReader::Map(args.arena);
  if (!arena.ok()) {
    fprintf(stderr, "sf_lua_worker: %s\n", arena.status().ToString().c_str());
    return 3;
  }
  void* pm = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, args.progress, 0);
  if (pm == MAP_FAILED) {
    fprintf(stderr, "sf_lua_worker: cannot map the progress page\n");
    return 3;
  }
  close(args.arena);
  close(args.progress);

  sf::lua::VmOptions vo;
  vo.lib_dir = args.lib_dir;
  vo.memory_limit = args.memory_mb << 20;
  vo.max_intents_per_symbol = args.max_per_symbol;
  vo.max_intents_per_bar = args.max_per_bar;
  vo.atr_period = args.atr_period;
  vo.indicators = &indicators;
  vo.arena = arena->get();
  vo.models = &models;
  vo.progress = static_cast<volatile int32_t*>(pm);
  // The int64 at byte 8 of the progress page: the bar time a range is at.
  auto* progress_ts = static_cast<volatile int64_t*>(pm);
  vo.exit_on_memory_cap = true;
  auto vm = sf::lua::StrategyVm::Create(vo);
  if (!vm.ok()) {
    Reply(args.sock, {{"ok", false}, {"error", vm.status().message()}});
    return 4;
  }
  std::vector<std::string> model_names;  // the models ctx.predict reaches
  for (const auto& [name, handle] : models) model_names.push_back(name);
  Reply(args.sock, {{"ok", true}, {"pid", getpid()}, {"indicators", indicators.Ids()},
                    {"models", model_names}, {"model_errors", model_errors}});

  // Binary data after a reply (a range's output); kept across requests, so
  // its buffer grows once rather than for every chunk.
  std::string data;
  for (;;) {
    auto msg = sf::lua::ReadMessage(args.sock);
    if (!msg.ok()) return 0;  // host closed: exit quietly
    nlohmann::json req = nlohmann::json::parse(msg->payload, nullptr, false);
    if (req.is_discarded()) {
      Reply(args.sock, {{"ok", false}, {"error", "worker: request is not JSON"}});
      continue;
    }
    alarm(static_cast<unsigned>(args.backstop_s));
    nlohmann::json out;
    data.clear();
    try {
      switch (msg->type) {
        case MsgType::kLoad: {
          auto d = (*vm)->Load(req.value("source", ""), req.value("chunkname", "=?"),
                               req.value("params", nlohmann::json::object()));
          if (d.ok()) out = {{"ok", true}, {"declaration", *d}};
          else out = {{"ok", false}, {"error", d.status().message()}};
          break;
        }
        case MsgType::kEval: {
          sf::lua::EvalRequest er;
          er.bar_ts = req.value("bar_ts", int64_t{0});
          er.slots = req.value("slots", std::vector<int>{});
          if (req.contains("extras")) er.extras = req["extras"];
          if (req.contains("timeframes")) (void)(*vm)->SetTimeframes(req["timeframes"]);
          const Timer timer;
          out = (*vm)->Eval(er);
          timer.Report(&out);
          out["ok"] = !out.contains("fatal");
          break;
        }
        case MsgType::kRange: {
          sf::lua::RangeEvalRequest rr;
          rr.slots = req.value("slots", std::vector<int>{});
          rr.from_ts = req.value("from_ts", INT64_MIN);
          rr.to_ts = req.value("to_ts", INT64_MAX);
          rr.progress_ts = progress_ts;
          // A chunk's budget is larger than one bar's: the host says it.
          alarm(static_cast<unsigned>(std::max(args.backstop_s, req.value("backstop_s", 0))));
          if (req.contains("timeframes")) (void)(*vm)->SetTimeframes(req["timeframes"]);
          const Timer timer;
          out = (*vm)->EvalRange(rr, &data);
          timer.Report(&out);
          out["ok"] = !out.contains("fatal");
          break;
        }
        case MsgType::kFeatures: {
          sf::Status s = (*vm)->SetFeatures(req.value("layer", std::string("live")),
                                            req.value("series", nlohmann::json::array()),
                                            req.value("clear", false));
          out = {{"ok", s.ok()}, {"error", s.message()}};
          break;
        }
        case MsgType::kSaveState: {
          auto s = (*vm)->SaveState();
          if (s.ok()) out = {{"ok", true}, {"state", *s}};
          else out = {{"ok", false}, {"error", s.status().message()}};
          break;
        }
        case MsgType::kRestoreState: {
          sf::Status s = (*vm)->RestoreState(req.value("state", nlohmann::json()));
          out = {{"ok", s.ok()}, {"error", s.message()}};
          break;
        }
        case MsgType::kInstruments: {
          sf::Status s = (*vm)->SetInstruments(req);
          out = {{"ok", s.ok()}, {"error", s.message()}};
          break;
        }
        case MsgType::kTimeframes: {
          sf::Status s = (*vm)->SetTimeframes(req);
          out = {{"ok", s.ok()}, {"error", s.message()}};
          break;
        }
        default:
          out = {{"ok", false}, {"error", "worker: unknown request type"}};
      }
    } catch (const std::exception& e) {
      out = {{"ok", false}, {"error", std::string("worker: ") + e.what()}};
    }
    alarm(0);
    if (Reply(args.sock, out, &data) != 0) return 0;
  }
}
