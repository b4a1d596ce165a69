// org.signalforge.notifiers - the first-party notifier plugin: webhook,
// slack, discord, telegram and email components (see notifiers.h). Built
// only against sdk/.
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

#include "notifiers.h"
#include "signalforge/signalforge.hpp"

namespace sf::notifiers {

nlohmann::json ParseConfig(const char* config_json, const char* component) {
  nlohmann::json c = nlohmann::json::parse(config_json ? config_json : "{}", nullptr, false);
  if (c.is_discarded() || !c.is_object())
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                         std::string(component) + " config must be a JSON object");
  return c;
}

nlohmann::json PayloadOf(const sf_delivery* d) {
  if (d->payload_json == nullptr || *d->payload_json == '\0') return nlohmann::json::object();
  nlohmann::json p = nlohmann::json::parse(d->payload_json, nullptr, false);
  if (p.is_discarded() || !p.is_object())
    throw sf::sdk::Error(SF_ERR_BAD_DATA, "delivery payload is not a JSON object");
  return p;
}

std::string ScalarText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_float()) {
    double d = v.get<double>();
    char buf[32];
    // Prices and ratios: enough digits, no float noise.
    std::snprintf(buf, sizeof buf, "%.6g", d);
    return buf;
  }
  return v.dump();
}

std::string IsoTime(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1'000'000);
  if (micros < 0 && micros % 1'000'000 != 0) --secs;
  int millis = static_cast<int>(((micros % 1'000'000) + 1'000'000) % 1'000'000 / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string ShortText(const std::string& event_type, const nlohmann::json& p) {
  auto field = [&](const char* k) {
    auto it = p.find(k);
    return it == p.end() ? std::string() : ScalarText(*it);
  };
  if (event_type == "alert.test") return "Signalforge test alert: this destination works";
  std::string side = field("side");
  for (char& c : side) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string text;
  if (event_type != "signal.created" && !event_type.empty()) text = event_type + ": ";
  text += side.empty() ? field("symbol") : side + " " + field("symbol");
  if (!field("entry_price").empty()) text += " @ " + field("entry_price");
  if (!field("target_price").empty()) text += " | target " + field("target_price");
  if (!field("stop_price").empty()) text += " | stop " + field("stop_price");
  if (auto it = p.find("confidence"); it != p.end() && it->is_number()) {
    text += " | confidence " + std::to_string(static_cast<int>(std::lround(it->get<double>() * 100))) + "%";
  }
  if (!field("status").empty() && event_type != "signal.created") text += " | " + field("status");
  std::string strategy = field("strategy"), summary = field("summary");
  if (!strategy.empty()) text += " | " + strategy;
  if (!summary.empty()) text += (strategy.empty() ? " | " : ": ") + summary;
  return text;
}

}  // namespace sf::notifiers

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
