// The notifier channels a host can send through: one instance of every
// notifier component the plugins registered (created from
// notify.channels.<id>), plus the built-in "log" channel, which writes each
// delivery to the host log and needs no plugin.
//
// A notifier whose create() refuses its config (e.g. email without an SMTP
// host) is left out with a warning naming the reason; deliveries to it fail
// with that reason until the operator fixes the config.
//
// Ownership: owns the plugin instances (destroyed with the set); borrows the
// Registry, which must outlive it. Thread-safety: immutable after Create;
// Send/Validate may run on many threads (calls into a notifier that is not
// SF_FLAG_THREAD_SAFE are serialised).
#ifndef SF_NOTIFY_CHANNEL_SET_H_
#define SF_NOTIFY_CHANNEL_SET_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "plugins/registry.h"

namespace sf::notify {

// What one attempt produced.
struct SendOutcome {
  Status status;              // OK = the remote accepted it
  int remote_status = 0;      // HTTP status / SMTP code, 0 if none
  bool disable = false;       // the remote said "gone": switch the rule off
  int64_t retry_after_ms = 0; // the remote asked to wait this long
  double latency_ms = 0;
};

// A delivery to send, in host types (converted to sf_delivery by Send).
struct Outgoing {
  std::string delivery_id;  // stable idempotency id
  std::string event_type;
  std::string destination;
  std::optional<std::string> secret;
  std::string payload_json;
  int64_t timestamp_us = 0;  // this attempt's time
  int attempt = 1;
};

class ChannelSet {
 public:
  // `resolve` turns config paths (email "templates_dir", "ca_file") into
  // absolute ones. `registry` may be null (only "log" then).
  static std::unique_ptr<ChannelSet> Create(
      const plugins::Registry* registry, const nlohmann::json& channel_configs,
      const std::function<std::string(const std::string&)>& resolve);
  ~ChannelSet();
  ChannelSet(const ChannelSet&) = delete;
  ChannelSet& operator=(const ChannelSet&) = delete;

  bool Has(const std::string& channel) const;
  std::vector<std::string> Names() const;
  // Channels that failed to start, with the reason.
  const std::map<std::string, std::string>& unavailable() const { return unavailable_; }

  // SF_ERR_NOT_FOUND for an unknown channel; otherwise the notifier's
  // verdict on the destination.
  Status Validate(const std::string& channel, const std::string& destination) const;
  SendOutcome Send(const std::string& channel, const Outgoing& delivery) const;

 private:
  struct Channel {
    const plugins::Notifier* notifier = nullptr;  // null: built-in log
    void* instance = nullptr;
    std::unique_ptr<std::mutex> serial;  // set when not thread-safe
  };
  ChannelSet() = default;
  std::map<std::string, Channel> channels_;
  std::map<std::string, std::string> unavailable_;
};

}  // namespace sf::notify

#endif  // SF_NOTIFY_CHANNEL_SET_H_
