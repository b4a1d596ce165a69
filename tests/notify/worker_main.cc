// notify_worker: a delivery worker in its own process, for the outage test
// to kill with SIGKILL mid-flight. Loads the notifier plugin with the real
// loader, listens for the outbox NOTIFY, and runs until SIGTERM.
//
// usage: notify_worker CONNINFO PLUGIN_SO SETTINGS_JSON
// Prints "ready <worker id>" once it runs.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "notify/channel_set.h"
#include "notify/delivery_worker.h"
#include "plugins/loader.h"
#include "store/listener.h"
#include "store/signals_repository.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: notify_worker CONNINFO PLUGIN_SO SETTINGS_JSON\n");
    return 2;
  }
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, nullptr);  // threads inherit; sigwait below

  auto cfg = nlohmann::json::parse(argv[3]);
  auto settings = sf::notify::ParseNotifySettings(cfg);
  if (!settings.ok()) {
    std::fprintf(stderr, "%s\n", settings.status().ToString().c_str());
    return 2;
  }
  sf::plugins::Registry registry;
  sf::plugins::LoaderOptions lo;
  lo.probe = false;
  lo.log = false;
  sf::plugins::Loader loader(registry, lo);
  auto res = loader.LoadFile(argv[2]);
  if (!res.loaded) {
    std::fprintf(stderr, "%s\n", res.Message().c_str());
    return 2;
  }
  auto pool = sf::store::Pool::Create({.conninfo = argv[1], .size = settings->threads + 2});
  if (!pool.ok()) {
    std::fprintf(stderr, "%s\n", pool.status().ToString().c_str());
    return 2;
  }
  auto channels = sf::notify::ChannelSet::Create(&registry, settings->channels, nullptr);
  sf::notify::DeliveryWorker worker(pool->get(), channels.get(), *settings);
  worker.Start();
  sf::store::Listener listener(argv[1], {sf::store::kOutboxChannel},
                               [&worker](const sf::store::Notification&) { worker.Wake(); });
  (void)listener.Start();
  std::cout << "ready " << worker.worker_id() << std::endl;
  int sig = 0;
  sigwait(&term, &sig);
  listener.Stop();
  worker.Stop();
  return 0;
}
