// Text shared by the notifiers: configs and payloads as JSON, the one-line
// summary chat channels show, MarkdownV2 escaping, e-mail templates, times.
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

// MarkdownV2: every one of _*[]()~`>#+-=|{}.! and \ outside an entity must
// be escaped with a backslash.
std::string EscapeMarkdownV2(const std::string& text) {
  static const std::string kSpecial = "_*[]()~`>#+-=|{}.!\\";
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (kSpecial.find(c) != std::string::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Replaces {{name}} from `values`; `html` escapes the values.
std::string RenderTemplate(const std::string& tpl, const nlohmann::json& values, bool html) {
  std::string out;
  out.reserve(tpl.size() + 64);
  size_t i = 0;
  while (i < tpl.size()) {
    size_t open = tpl.find("{{", i);
    if (open == std::string::npos) break;
    size_t close = tpl.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(tpl, i, open - i);
    std::string name = tpl.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    std::string v;
    if (auto it = values.find(name); it != values.end()) v = ScalarText(*it);
    if (html) {
      for (char c : v) {
        switch (c) {
          case '&': out += "&amp;"; break;
          case '<': out += "&lt;"; break;
          case '>': out += "&gt;"; break;
          case '"': out += "&quot;"; break;
          case '\'': out += "&#39;"; break;
          default: out.push_back(c);
        }
      }
    } else {
      out += v;
    }
    i = close + 2;
  }
  out.append(tpl, i, std::string::npos);
  return out;
}

}  // namespace sf::notifiers
