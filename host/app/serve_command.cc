// `signalforge serve`: loads plugins, starts every registered service in
// order (service.h), waits for SIGINT/SIGTERM and stops them in reverse.
#include <csignal>
#include <iostream>
#include <set>

#include "app/app_context.h"
#include "app/command.h"
#include "app/service.h"
#include "app/version.h"
#include "base/logging.h"

namespace sf::app {
namespace {

constexpr const char* kUsage =
    R"(Usage: signalforge serve [--config FILE] [--log-format text|json] [--log-level LEVEL]

Runs the server until SIGINT or SIGTERM:
  1. reads the config (default config/signalforge.json, SIGNALFORGE_* overrides),
  2. loads the plugins of /plugins/directories (a refused library is logged
     and skipped, never fatal),
  3. starts the services in order (store, plugins, market, engine, scripts,
     notify, api, and last the HTTP listener on /http/host:/http/port),
  4. prints "signalforge listening on http://HOST:PORT" on stdout.
With /http/port 0 a free port is picked and printed.

HTTP endpoints of the host itself:
  GET /healthz   {"status":"ok","version","abi","plugins":[...],"services":{...}}
  GET /readyz    200 when every service reports ready, else 503

On SIGINT/SIGTERM the services stop in reverse order and the exit code is 0.
Exit code 1 when a service fails to start (its name and reason are logged).
)";

int Serve(Context& base_ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {});
  if (!parsed.ok()) return UsageError("serve", parsed.status().message());
  if (!parsed->positional.empty())
    return UsageError("serve", "unexpected argument '" + parsed->positional[0] + "'");
  auto& ctx = static_cast<AppContext&>(base_ctx);
  auto log = base::Logger("app");

  // Every thread started from here on inherits this mask, so the
  // termination signals reach only waitForTerminationRequest()'s sigwait.
  sigset_t termination;
  sigemptyset(&termination);
  sigaddset(&termination, SIGINT);
  sigaddset(&termination, SIGTERM);
  sigaddset(&termination, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &termination, nullptr);

  log->info("signalforge {} (abi {}) starting; config {}", Version(), AbiVersion(),
            ctx.config_path().empty() ? "<defaults>" : ctx.config_path());
  ctx.plugins();

  auto specs = Services();
  std::stable_sort(specs.begin(), specs.end(),
                   [](const ServiceSpec& a, const ServiceSpec& b) { return a.order < b.order; });
  std::set<std::string> names;
  for (const auto& spec : specs) {
    if (!names.insert(spec.name).second || !spec.make) {
      log->critical("service {} is registered twice or has no factory", spec.name);
      return 1;
    }
  }

  for (const auto& spec : specs) {
    log->info("starting service {}", spec.name);
    Status status;
    std::unique_ptr<Service> service;
    try {
      service = spec.make();
      status = service ? service->Start(ctx) : Internal("factory returned no service");
    } catch (const std::exception& e) {
      status = Internal(std::string("exception: ") + e.what());
    } catch (...) {
      status = Internal("unknown exception");
    }
    if (!status.ok()) {
      log->critical("service {} failed to start: {}", spec.name, status.ToString());
      std::cerr << "signalforge: service " << spec.name << " failed to start: " << status.ToString()
                << "\n";
      if (service) {
        try {
          service->Stop();  // Stop() is promised even after a partial start.
        } catch (...) {
        }
      }
      ctx.StopServices();
      return 1;
    }
    ctx.AddStartedService(spec.name, std::move(service));
  }

  // Announced only now that every service (the listener too) is registered,
  // so a client that waits for this line finds all of them in /healthz.
  if (Service* http = ctx.FindService("http")) {
    const nlohmann::json h = http->Health();
    if (h.contains("address") && h["address"].is_string()) {
      std::cout << "signalforge listening on " << h["address"].get<std::string>() << std::endl;
    }
  }
  log->info("signalforge ready");
  ctx.WaitForTerminationRequest();
  log->info("termination requested; stopping services");
  ctx.StopServices();
  log->info("signalforge stopped");
  return 0;
}

const CommandRegistrar kServe({"serve", "Run the server (HTTP API, plugins, services)", kUsage,
                               &Serve});

}  // namespace
}  // namespace sf::app
