// The HTTP-endpoint notifiers whose destination is a user-supplied URL:
// webhook (Standard Webhooks signed JSON), slack and discord (their
// incoming-webhook payloads). All three go through the SSRF guard
// (address_policy.h) at validate time and again at every send, and connect
// to the address the guard checked.
#include <memory>
#include <string>

#include "address_policy.h"
#include "http_post.h"
#include "notifiers.h"
#include "signalforge/signalforge.hpp"
#include "signing.h"

namespace sf::notifiers {
namespace {

using sf::sdk::Error;
using sf::sdk::Guard;

enum class Flavor { kWebhook, kSlack, kDiscord };

struct UrlNotifier {
  UrlNotifier(Flavor f, const nlohmann::json& config)
      : flavor(f), policy(config), http(HttpOptions::FromJson(config)) {}
  Flavor flavor;
  AddressPolicy policy;
  HttpOptions http;
};

const char* NameOf(Flavor f) {
  switch (f) {
    case Flavor::kWebhook: return "webhook";
    case Flavor::kSlack: return "slack";
    case Flavor::kDiscord: return "discord";
  }
  return "webhook";
}

sf_status Create(Flavor f, const char* config_json, void** instance) {
  return Guard([&] {
    if (instance == nullptr) throw Error(SF_ERR_INVALID_ARGUMENT, "create needs an out pointer");
    nlohmann::json config = ParseConfig(config_json, NameOf(f));
    try {
      *instance = new UrlNotifier(f, config);
    } catch (const Error& e) {
      throw Error(e.code(), std::string(NameOf(f)) + " config: " + e.what());
    }
  });
}

void Destroy(void* instance) { delete static_cast<UrlNotifier*>(instance); }

sf_status Validate(void* instance, const char* destination) {
  return Guard([&] {
    if (instance == nullptr || destination == nullptr)
      throw Error(SF_ERR_INVALID_ARGUMENT, "validate_destination needs an instance and a URL");
    static_cast<UrlNotifier*>(instance)->policy.Vet(destination);
  });
}

// {"type","timestamp","data"}: the Standard Webhooks envelope. The event
// time comes from the payload ("occurred_at") so every retry sends the same
// bytes; only the webhook-timestamp header moves with the attempt.
std::string WebhookBody(const sf_delivery* d, const nlohmann::json& payload) {
  std::string when;
  if (auto it = payload.find("occurred_at"); it != payload.end() && it->is_string())
    when = it->get<std::string>();
  else
    when = IsoTime(d->timestamp_us);
  nlohmann::json body = {{"type", d->event_type ? d->event_type : "event"},
                         {"timestamp", when},
                         {"data", payload}};
  return body.dump();
}

sf_status Send(void* instance, const sf_delivery* delivery_in, sf_delivery_result* result) {
  return Guard([&]() -> sf_status {
    auto* self = static_cast<UrlNotifier*>(instance);
    if (self == nullptr || delivery_in == nullptr)
      throw Error(SF_ERR_INVALID_ARGUMENT, "send needs an instance and a delivery");
    sf_delivery d = sf::sdk::CopySized(delivery_in);
    if (d.destination == nullptr || d.delivery_id == nullptr)
      throw Error(SF_ERR_INVALID_ARGUMENT, "delivery has no destination or id");
    // Checked again at send time: the URL was stored earlier and DNS may
    // have changed since; the connection goes to the address checked now.
    VettedUrl to = self->policy.Vet(d.destination);
    nlohmann::json payload = PayloadOf(&d);
    HeaderList headers;
    std::string body;
    switch (self->flavor) {
      case Flavor::kWebhook: {
        if (d.secret == nullptr || *d.secret == '\0')
          throw Error(SF_ERR_INVALID_ARGUMENT, "webhook subscription has no signing secret");
        std::string key = SigningKey(d.secret);
        body = WebhookBody(&d, payload);
        int64_t ts = d.timestamp_us / 1'000'000;
        headers = {{"webhook-id", d.delivery_id},
                   {"webhook-timestamp", std::to_string(ts)},
                   {"webhook-signature", SignatureHeader(key, d.delivery_id, ts, body)}};
        break;
      }
      case Flavor::kSlack:
        body = nlohmann::json{{"text", ShortText(d.event_type ? d.event_type : "", payload)}}.dump();
        break;
      case Flavor::kDiscord:
        body = nlohmann::json{{"content", ShortText(d.event_type ? d.event_type : "", payload)},
                              {"allowed_mentions", {{"parse", nlohmann::json::array()}}}}
                   .dump();
        break;
    }
    HttpReply reply = Post(to, headers, "application/json", body, self->http);
    int64_t now_us = d.timestamp_us;
    return Verdict(std::string(NameOf(self->flavor)) + " endpoint " + to.HostHeader(), reply,
                   now_us, result);
  });
}

sf_status CreateWebhook(const char* c, void** i) { return Create(Flavor::kWebhook, c, i); }
sf_status CreateSlack(const char* c, void** i) { return Create(Flavor::kSlack, c, i); }
sf_status CreateDiscord(const char* c, void** i) { return Create(Flavor::kDiscord, c, i); }

#define SF_URL_CONFIG_SCHEMA                                                            \
  R"("config":{"type":"object","properties":{)"                                         \
  R"("allow_networks":{"type":"array","items":{"type":"string"}},)"                    \
  R"("require_https":{"type":"boolean"},)"                                              \
  R"("dns_cache_ms":{"type":"integer","minimum":0,"maximum":60000},)"                  \
  R"("timeout_ms":{"type":"integer","minimum":1000,"maximum":30000},)"                 \
  R"("ca_file":{"type":"string"},"user_agent":{"type":"string"}}})"

}  // namespace

const sf_notifier_vtable kWebhook = {
    sizeof(sf_notifier_vtable), SF_FLAG_THREAD_SAFE, "webhook",
    R"({"description":"JSON POST signed the Standard Webhooks way (webhook-id, webhook-timestamp, )"
    R"(webhook-signature); SSRF-guarded; 410 disables, 429/Retry-After honoured",)" SF_URL_CONFIG_SCHEMA
    "}",
    CreateWebhook, Destroy, Validate, Send};

const sf_notifier_vtable kSlack = {
    sizeof(sf_notifier_vtable), SF_FLAG_THREAD_SAFE, "slack",
    R"({"description":"Slack incoming webhook ({\"text\":...}); SSRF-guarded",)" SF_URL_CONFIG_SCHEMA
    "}",
    CreateSlack, Destroy, Validate, Send};

const sf_notifier_vtable kDiscord = {
    sizeof(sf_notifier_vtable), SF_FLAG_THREAD_SAFE, "discord",
    R"({"description":"Discord incoming webhook ({\"content\":...}); SSRF-guarded",)" SF_URL_CONFIG_SCHEMA
    "}",
    CreateDiscord, Destroy, Validate, Send};

}  // namespace sf::notifiers
