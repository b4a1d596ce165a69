// org.signalforge.notifiers - the first-party notifier plugin: webhook,
// slack, discord, telegram and email components (see notifiers.h). Built
// only against sdk/.
#include <string>

#include "notifiers.h"
#include "signalforge/signalforge.hpp"

namespace {

sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char*) {
  sf::sdk::Remember(host);
  for (const sf_notifier_vtable* vt :
       {&sf::notifiers::kWebhook, &sf::notifiers::kSlack, &sf::notifiers::kDiscord,
        &sf::notifiers::kTelegram, &sf::notifiers::kEmail}) {
    sf_status s = host->register_notifier(plugin, vt);
    if (s < 0) return s;
  }
  return SF_OK;
}

const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER,
    0,
    0,
    sf::notifiers::kPluginId,
    "1.0.0",
    "Signalforge notifiers",
    "Alert delivery: signed webhooks, Slack, Discord, Telegram and e-mail",
    "Signalforge",
    "Apache-2.0",
    Init,
    nullptr,
};

}  // namespace

SF_PLUGIN_ENTRY(host) {
  sf::sdk::Remember(host);
  return &kManifest;
}
