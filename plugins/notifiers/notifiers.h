// org.signalforge.notifiers: what the plugin's units share. Each channel is
// one notifier component (sdk notifier.h) whose vtable lives in its own
// file; plugin.cc registers them all.
//
//   webhook  - Standard Webhooks signed JSON POST (webhook.cc)
//   slack    - Slack incoming-webhook payload (webhook.cc)
//   discord  - Discord incoming-webhook payload (webhook.cc)
//   telegram - Bot API sendMessage, MarkdownV2, rate limited (telegram.cc)
//   email    - SMTP, STARTTLS + AUTH, multipart text + HTML (email.cc)
//
// Thread-safety: every component is SF_FLAG_THREAD_SAFE; instances are
// immutable after create except for the locks they hold for rate limits.
#ifndef SF_NOTIFIERS_NOTIFIERS_H_
#define SF_NOTIFIERS_NOTIFIERS_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "signalforge/notifier.h"

namespace sf::notifiers {

inline constexpr char kPluginId[] = "org.signalforge.notifiers";

extern const sf_notifier_vtable kWebhook;
extern const sf_notifier_vtable kSlack;
extern const sf_notifier_vtable kDiscord;
extern const sf_notifier_vtable kTelegram;
extern const sf_notifier_vtable kEmail;

// A config JSON text parsed into an object; throws sf::sdk::Error naming
// the component when it is not a JSON object.
nlohmann::json ParseConfig(const char* config_json, const char* component);

// The delivery's payload as JSON (an object; {} when absent).
nlohmann::json PayloadOf(const sf_delivery* delivery);

// A one-line human summary of an event for chat channels:
// "BUY AAPL @ 187.2 | target 195 | stop 182 | confidence 72% | mean_reversion: oversold"
std::string ShortText(const std::string& event_type, const nlohmann::json& payload);

// Telegram MarkdownV2 escaping of plain text.
std::string EscapeMarkdownV2(const std::string& text);

// Replaces {{name}} in an e-mail template by values[name] (HTML-escaped
// when `html`); unknown names render empty.
std::string RenderTemplate(const std::string& tpl, const nlohmann::json& values, bool html);

// ISO-8601 UTC with milliseconds ("2026-11-21T02:00:00.000Z").
std::string IsoTime(int64_t micros);

// A JSON scalar as text (strings without quotes, numbers in shortest form).
std::string ScalarText(const nlohmann::json& v);

}  // namespace sf::notifiers

#endif  // SF_NOTIFIERS_NOTIFIERS_H_
