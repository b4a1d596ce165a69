#include "notify/channel_set.h"

#include <chrono>

#include "base/logging.h"
#include "plugins/plugin_call.h"

namespace sf::notify {
namespace {

// Config keys holding paths, resolved against the config's folder.
constexpr const char* kPathKeys[] = {"templates_dir", "ca_file"};

}  // namespace

std::unique_ptr<ChannelSet> ChannelSet::Create(
    const plugins::Registry* registry, const nlohmann::json& channel_configs,
    const std::function<std::string(const std::string&)>& resolve) {
  std::unique_ptr<ChannelSet> set(new ChannelSet());
  auto log = base::Logger("notify");
  set->channels_["log"] = Channel{};
  if (registry == nullptr) return set;
  for (const plugins::Notifier* n : registry->notifiers()) {
    nlohmann::json cfg = nlohmann::json::object();
    const bool configured = channel_configs.is_object() && channel_configs.contains(n->id) &&
                            channel_configs[n->id].is_object();
    if (configured) cfg = channel_configs[n->id];
    for (const char* key : kPathKeys) {
      if (cfg.contains(key) && cfg[key].is_string() && resolve)
        cfg[key] = resolve(cfg[key].get<std::string>());
    }
    void* instance = nullptr;
    plugins::ClearPluginError();
    Status s = plugins::PluginStatus(n->vt.create(cfg.dump().c_str(), &instance),
                                     "notifier " + n->id + ": create");
    if (!s.ok()) {
      set->unavailable_[n->id] = s.message();
      // A channel the operator did not configure (e.g. email without an
      // SMTP server) is simply off; a configured one that fails is an error.
      if (configured)
        log->warn("channel {} is unavailable: {}", n->id, s.message());
      else
        log->debug("channel {} is off (no notify.channels.{} config): {}", n->id, n->id,
                   s.message());
      continue;
    }
    Channel c;
    c.notifier = n;
    c.instance = instance;
    if (!n->thread_safe) c.serial = std::make_unique<std::mutex>();
    set->channels_[n->id] = std::move(c);
  }
  return set;
}

ChannelSet::~ChannelSet() {
  for (auto& [name, c] : channels_) {
    if (c.notifier != nullptr && c.instance != nullptr) c.notifier->vt.destroy(c.instance);
  }
}

bool ChannelSet::Has(const std::string& channel) const { return channels_.count(channel) > 0; }

std::vector<std::string> ChannelSet::Names() const {
  std::vector<std::string> out;
  for (const auto& [name, c] : channels_) out.push_back(name);
  return out;
}

Status ChannelSet::Validate(const std::string& channel, const std::string& destination) const {
  auto it = channels_.find(channel);
  if (it == channels_.end()) {
    auto why = unavailable_.find(channel);
    if (why != unavailable_.end())
      return Unavailable("channel \"" + channel + "\" is not configured: " + why->second);
    return NotFound("unknown channel \"" + channel + "\"");
  }
  const Channel& c = it->second;
  if (c.notifier == nullptr) return Status::Ok();  // log takes any destination
  if (c.notifier->vt.validate_destination == nullptr) return Status::Ok();
  std::unique_lock<std::mutex> lock;
  if (c.serial) lock = std::unique_lock<std::mutex>(*c.serial);
  plugins::ClearPluginError();
  return plugins::PluginStatus(c.notifier->vt.validate_destination(c.instance, destination.c_str()),
                               channel + " destination");
}

SendOutcome ChannelSet::Send(const std::string& channel, const Outgoing& d) const {
  SendOutcome out;
  auto it = channels_.find(channel);
  if (it == channels_.end()) {
    auto why = unavailable_.find(channel);
    out.status = why != unavailable_.end()
                     ? Unavailable("channel \"" + channel + "\" is not configured: " + why->second)
                     : NotFound("no notifier for channel \"" + channel + "\" is loaded");
    return out;
  }
  const Channel& c = it->second;
  auto start = std::chrono::steady_clock::now();
  if (c.notifier == nullptr) {
    base::Logger("notify")->info("delivery {} {} to {}: {}", d.delivery_id, d.event_type,
                                 d.destination, d.payload_json);
  } else {
    sf_delivery del{};
    del.struct_size = sizeof(sf_delivery);
    del.delivery_id = d.delivery_id.c_str();
    del.event_type = d.event_type.c_str();
    del.destination = d.destination.c_str();
    del.secret = d.secret ? d.secret->c_str() : nullptr;
    del.payload_json = d.payload_json.c_str();
    del.timestamp_us = d.timestamp_us;
    del.attempt = d.attempt;
    sf_delivery_result res{};
    res.struct_size = sizeof(sf_delivery_result);
    std::unique_lock<std::mutex> lock;
    if (c.serial) lock = std::unique_lock<std::mutex>(*c.serial);
    plugins::ClearPluginError();
    sf_status code = c.notifier->vt.send(c.instance, &del, &res);
    out.status = plugins::PluginStatus(code, channel);
    out.remote_status = res.remote_status;
    out.disable = res.disable_destination != 0;
    out.retry_after_ms = res.retry_after_ms;
  }
  out.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace sf::notify
