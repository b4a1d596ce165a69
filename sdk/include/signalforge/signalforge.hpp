// signalforge/signalforge.hpp - optional header-only C++ helpers for plugin
// authors. Nothing here crosses the ABI: it wraps the C structs of
// signalforge.h so that a C++ plugin can throw inside and still return status
// codes at the boundary. Requires C++17.
//
//   static sf::sdk::Plugin plugin;               // remembers the host table
//   sf_status MyCompute(...) {
//     return sf::sdk::Guard([&] { ... throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
//                                                          "period must be >= 1"); });
//   }
#ifndef SIGNALFORGE_SIGNALFORGE_HPP_
#define SIGNALFORGE_SIGNALFORGE_HPP_

#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "signalforge/signalforge.h"

namespace sf::sdk {

// The host table given to the entry point; set once by Plugin::Remember.
// Thread-safe to read after init.
inline const sf_host_api*& HostSlot() {
  static const sf_host_api* host = nullptr;
  return host;
}

inline void Remember(const sf_host_api* host) { HostSlot() = host; }

// Reports `message` for the status the current host call is about to return.
inline void SetError(sf_status code, const std::string& message) {
  const sf_host_api* host = HostSlot();
  if (host != nullptr && SF_HOST_HAS(host, set_error)) {
    host->set_error(code, message.c_str());
  }
}

inline void Log(int32_t level, const char* plugin_id, const std::string& message) {
  const sf_host_api* host = HostSlot();
  if (host != nullptr && SF_HOST_HAS(host, log)) {
    host->log(level, plugin_id, message.c_str());
  }
}

// An error that Guard turns into a status code and an error message.
class Error : public std::exception {
 public:
  Error(sf_status code, std::string message)
      : code_(code), message_(std::move(message)) {}
  sf_status code() const noexcept { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  sf_status code_;
  std::string message_;
};

// Runs `body` and converts exceptions into status codes. `body` may return
// void (SF_OK on success) or an sf_status.
template <typename F>
sf_status Guard(F&& body) noexcept {
  try {
    if constexpr (std::is_same_v<decltype(body()), void>) {
      body();
      return SF_OK;
    } else {
      return static_cast<sf_status>(body());
    }
  } catch (const Error& e) {
    SetError(e.code(), e.what());
    return e.code();
  } catch (const std::bad_alloc&) {
    SetError(SF_ERR_NO_MEMORY, "out of memory");
    return SF_ERR_NO_MEMORY;
  } catch (const std::exception& e) {
    SetError(SF_ERR_INTERNAL, std::string("unexpected exception: ") + e.what());
    return SF_ERR_INTERNAL;
  } catch (...) {
    SetError(SF_ERR_INTERNAL, "unexpected non-standard exception");
    return SF_ERR_INTERNAL;
  }
}

// Writes `text` and a NUL into a caller buffer following the SDK's
// "needed size" rule: SF_INCOMPLETE when it does not fit.
inline sf_status WriteOut(std::string_view text, char* buf, size_t cap,
                          size_t* needed) {
  const size_t need = text.size() + 1;
  if (needed != nullptr) *needed = need;
  if (buf == nullptr || cap < need) return SF_INCOMPLETE;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return SF_OK;
}

// Calls a "caller buffer" function until the buffer is large enough and
// returns the text. Useful on the host side and in tests.
template <typename F>
sf_status ReadOut(F&& call, std::string* out) {
  size_t needed = 0;
  std::string buf(256, '\0');
  for (int tries = 0; tries < 4; ++tries) {
    sf_status s = call(buf.data(), buf.size(), &needed);
    if (s == SF_OK) {
      buf.resize(std::strlen(buf.c_str()));
      *out = std::move(buf);
      return SF_OK;
    }
    if (s != SF_INCOMPLETE) return s;
    buf.assign(needed, '\0');
  }
  return SF_ERR_INTERNAL;
}

// Copies a possibly smaller (older) struct into a zeroed struct of this
// build's size: fields the writer did not know about read as zero.
template <typename T>
T CopySized(const T* in) {
  T out;
  std::memset(&out, 0, sizeof(T));
  if (in == nullptr) return out;
  size_t n = in->struct_size < sizeof(T) ? in->struct_size : sizeof(T);
  std::memcpy(&out, in, n);
  out.struct_size = static_cast<uint32_t>(sizeof(T));
  return out;
}

// Zero-initialised struct with struct_size set.
template <typename T>
T Make() {
  T out;
  std::memset(&out, 0, sizeof(T));
  out.struct_size = static_cast<uint32_t>(sizeof(T));
  return out;
}

// The manifest of a plugin built with this SDK that runs on any host minor
// (min_host_minor 0):
//   constexpr sf_plugin_manifest kManifest = sf::sdk::Manifest(
//       "org.example.thing", "1.0.0", "Thing", "What it does", &Init);
constexpr sf_plugin_manifest Manifest(
    const char* id, const char* version, const char* name, const char* description,
    sf_status (*init)(const sf_host_api*, sf_plugin_handle*, const char*),
    const char* author = "Signalforge", const char* license = "Apache-2.0",
    void (*shutdown)(void) = nullptr) {
  return sf_plugin_manifest{SF_MANIFEST_HEADER, 0,      0,       id,   version, name,
                            description,        author, license, init, shutdown};
}

// A model component that only analyses text: no predict, no train.
constexpr sf_model_vtable TextModel(
    const char* id, const char* metadata_json, sf_status (*load)(const char*, void**),
    void (*unload)(void*), sf_status (*describe)(void*, char*, size_t, size_t*),
    sf_status (*analyze_text)(void*, const char*, char*, size_t, size_t*),
    uint32_t flags = SF_FLAG_THREAD_SAFE) {
  return sf_model_vtable{sizeof(sf_model_vtable), flags, id, metadata_json, load, unload,
                         describe, nullptr, nullptr, analyze_text};
}

// manifest->init of a plugin whose one component is the model `*Vtable`:
// remembers the host table and registers it.
template <const sf_model_vtable* Vtable>
sf_status InitOneModel(const sf_host_api* host, sf_plugin_handle* plugin, const char*) {
  Remember(host);
  return host->register_model(plugin, Vtable);
}

}  // namespace sf::sdk

#endif  // SIGNALFORGE_SIGNALFORGE_HPP_
