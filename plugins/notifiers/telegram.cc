// telegram: Bot API sendMessage with MarkdownV2 text. The destination is a
// chat id (or @channelusername); the bot token and the API base URL (default
// https://api.telegram.org, configurable for a local Bot API server) come
// from the operator's config, so they are not SSRF-checked.
//
// Telegram's limits are kept on our side: at most one message per
// `per_chat_interval_ms` to a chat and `global_per_second` overall. A send
// that would wait longer than `max_wait_ms` for its slot is answered with
// SF_ERR_RATE_LIMITED and the wait, without calling the API. A 429 from the
// API ("parameters":{"retry_after":N}) is reported with that wait too.
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "http_post.h"
#include "notifiers.h"
#include "signalforge/signalforge.hpp"

namespace sf::notifiers {

namespace {

using sf::sdk::Error;
using sf::sdk::Guard;
using Clock = std::chrono::steady_clock;

struct Telegram {
  std::string token;
  VettedUrl api;  // base URL, resolved at create
  HttpOptions http;
  std::chrono::milliseconds per_chat{1000};
  std::chrono::microseconds global_gap{33'334};
  std::chrono::milliseconds max_wait{5000};

  std::mutex mu;
  std::map<std::string, Clock::time_point> chat_next;
  Clock::time_point global_next{};

  // The time this message may go, reserved; or the wait when over max_wait
  // (nothing reserved then).
  bool Reserve(const std::string& chat, Clock::time_point* slot, std::chrono::milliseconds* wait) {
    std::lock_guard<std::mutex> lock(mu);
    Clock::time_point now = Clock::now();
    Clock::time_point at = std::max(now, global_next);
    auto it = chat_next.find(chat);
    if (it != chat_next.end()) at = std::max(at, it->second);
    if (at - now > max_wait) {
      *wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - now) +
              std::chrono::milliseconds(1);
      return false;
    }
    global_next = at + global_gap;
    chat_next[chat] = at + per_chat;
    if (chat_next.size() > 100000) {
      for (auto i = chat_next.begin(); i != chat_next.end();)
        i = i->second < now ? chat_next.erase(i) : std::next(i);
    }
    *slot = at;
    return true;
  }
};

int64_t IntIn(const nlohmann::json& c, const char* key, int64_t def, int64_t lo, int64_t hi) {
  auto it = c.find(key);
  if (it == c.end()) return def;
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi)
    throw Error(SF_ERR_INVALID_ARGUMENT, std::string("telegram config: ") + key +
                                             " must be a whole number in " + std::to_string(lo) +
                                             ".." + std::to_string(hi));
  return it->get<int64_t>();
}

sf_status Create(const char* config_json, void** instance) {
  return Guard([&] {
    if (instance == nullptr) throw Error(SF_ERR_INVALID_ARGUMENT, "create needs an out pointer");
    nlohmann::json c = ParseConfig(config_json, "telegram");
    auto t = std::make_unique<Telegram>();
    auto tok = c.find("bot_token");
    if (tok == c.end() || !tok->is_string() || tok->get<std::string>().empty())
      throw Error(SF_ERR_INVALID_ARGUMENT,
                  "telegram config: bot_token is required (the token @BotFather gave you)");
    t->token = tok->get<std::string>();
    if (t->token.find_first_of("/?#@ ") != std::string::npos)
      throw Error(SF_ERR_INVALID_ARGUMENT, "telegram config: bot_token has a character not allowed");
    std::string base = c.value("base_url", std::string("https://api.telegram.org"));
    while (!base.empty() && base.back() == '/') base.pop_back();
    // The operator's own endpoint: any address is allowed, the URL must
    // still be well formed.
    AddressPolicy trusted(nlohmann::json{{"allow_networks", {"0.0.0.0/0", "::/0"}}});
    try {
      t->api = trusted.Vet(base + "/bot" + t->token + "/sendMessage");
    } catch (const Error& e) {
      throw Error(SF_ERR_INVALID_ARGUMENT, std::string("telegram config: base_url: ") + e.what());
    }
    t->http = HttpOptions::FromJson(c);
    t->per_chat = std::chrono::milliseconds(IntIn(c, "per_chat_interval_ms", 1000, 0, 60000));
    int64_t per_second = IntIn(c, "global_per_second", 30, 1, 1000);
    t->global_gap = std::chrono::microseconds(1'000'000 / per_second);
    t->max_wait = std::chrono::milliseconds(IntIn(c, "max_wait_ms", 5000, 0, 60000));
    *instance = t.release();
  });
}

void Destroy(void* instance) { delete static_cast<Telegram*>(instance); }

bool ValidChat(const std::string& chat) {
  if (chat.empty() || chat.size() > 64) return false;
  if (chat[0] == '@') {
    if (chat.size() < 6) return false;
    for (size_t i = 1; i < chat.size(); ++i) {
      char c = chat[i];
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    }
    return true;
  }
  size_t i = chat[0] == '-' ? 1 : 0;
  if (i == chat.size()) return false;
  return chat.find_first_not_of("0123456789", i) == std::string::npos;
}

sf_status Validate(void*, const char* destination) {
  return Guard([&] {
    if (destination == nullptr || !ValidChat(destination))
      throw Error(SF_ERR_INVALID_ARGUMENT,
                  std::string("telegram destination \"") + (destination ? destination : "") +
                      "\" must be a numeric chat id (e.g. 123456789 or -1001234567890) or "
                      "@channelusername");
  });
}

std::string MessageText(const std::string& event_type, const nlohmann::json& p) {
  std::string head = event_type == "alert.test" ? "Signalforge test alert" : ShortText(event_type, p);
  std::string text = "*" + EscapeMarkdownV2(head) + "*";
  if (auto it = p.find("signal_id"); it != p.end() && it->is_string())
    text += "\n" + EscapeMarkdownV2("signal " + it->get<std::string>());
  return text;
}

sf_status Send(void* instance, const sf_delivery* delivery_in, sf_delivery_result* result) {
  return Guard([&]() -> sf_status {
    auto* self = static_cast<Telegram*>(instance);
    if (self == nullptr || delivery_in == nullptr)
      throw Error(SF_ERR_INVALID_ARGUMENT, "send needs an instance and a delivery");
    sf_delivery d = sf::sdk::CopySized(delivery_in);
    std::string chat = d.destination ? d.destination : "";
    if (!ValidChat(chat)) throw Error(SF_ERR_INVALID_ARGUMENT, "telegram: bad chat id \"" + chat + "\"");
    Clock::time_point slot;
    std::chrono::milliseconds wait{0};
    if (!self->Reserve(chat, &slot, &wait)) {
      if (result) result->retry_after_ms = wait.count();
      throw Error(SF_ERR_RATE_LIMITED, "telegram: chat " + chat + " is over its rate (next slot in " +
                                           std::to_string(wait.count()) + " ms)");
    }
    std::this_thread::sleep_until(slot);
    nlohmann::json body = {{"chat_id", chat},
                           {"text", MessageText(d.event_type ? d.event_type : "", PayloadOf(&d))},
                           {"parse_mode", "MarkdownV2"},
                           {"disable_web_page_preview", true}};
    HttpReply reply = Post(self->api, {}, "application/json", body.dump(), self->http);
    if (result) result->remote_status = reply.status;
    nlohmann::json answer = nlohmann::json::parse(reply.body, nullptr, false);
    if (reply.status == 200 && answer.is_object() && answer.value("ok", false)) return SF_OK;
    std::string description =
        answer.is_object() ? answer.value("description", std::string()) : std::string();
    std::string what = "telegram sendMessage to chat " + chat + " answered " +
                       std::to_string(reply.status) +
                       (description.empty() ? "" : " \"" + description + "\"");
    if (reply.status == 429) {
      int64_t retry_s = 1;
      if (answer.is_object() && answer.contains("parameters") &&
          answer["parameters"].is_object() && answer["parameters"].contains("retry_after") &&
          answer["parameters"]["retry_after"].is_number())
        retry_s = answer["parameters"]["retry_after"].get<int64_t>();
      if (result) result->retry_after_ms = std::max<int64_t>(1, retry_s) * 1000;
      throw Error(SF_ERR_RATE_LIMITED, what);
    }
    if (reply.status == 403) {  // the bot was blocked or removed from the chat
      if (result) result->disable_destination = 1;
      throw Error(SF_ERR_PERMISSION, what);
    }
    if (reply.status == 400 || reply.status == 404)
      throw Error(SF_ERR_INVALID_ARGUMENT, what);
    throw Error(SF_ERR_UNAVAILABLE, what);
  });
}

}  // namespace

const sf_notifier_vtable kTelegram = {
    sizeof(sf_notifier_vtable), SF_FLAG_THREAD_SAFE, "telegram",
    R"({"description":"Telegram Bot API sendMessage (MarkdownV2); ~1 msg/s per chat, ~30 msg/s overall; 429 retry_after honoured",)"
    R"("config":{"type":"object","required":["bot_token"],"properties":{)"
    R"("bot_token":{"type":"string"},"base_url":{"type":"string"},)"
    R"("per_chat_interval_ms":{"type":"integer"},"global_per_second":{"type":"integer"},)"
    R"("max_wait_ms":{"type":"integer"},"timeout_ms":{"type":"integer"},"ca_file":{"type":"string"}}}})",
    Create, Destroy, Validate, Send};

}  // namespace sf::notifiers
