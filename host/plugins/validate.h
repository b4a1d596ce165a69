// The rules a plugin library's manifest and component vtables must follow,
// as pure functions that return every broken rule (PG_MODULE_MAGIC style:
// one refusal names all mismatching fields at once). Used by the loader and
// by register_*; no state, thread-safe.
#ifndef SF_PLUGINS_VALIDATE_H_
#define SF_PLUGINS_VALIDATE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "signalforge/signalforge.h"

namespace sf::plugins {

// End of a field: the smallest struct_size that still contains it.
#define SF_END_OF(type, field) (offsetof(type, field) + sizeof(((type*)nullptr)->field))

// Smallest struct_size the host accepts for each struct: everything up to
// the last required field. Optional trailing fields may be absent (an older,
// smaller struct); they then read as zero.
inline constexpr size_t kMinManifestSize = SF_END_OF(sf_plugin_manifest, init);
inline constexpr size_t kMinProviderSize = SF_END_OF(sf_provider_vtable, fetch_bars);
inline constexpr size_t kMinIndicatorSize = SF_END_OF(sf_indicator_vtable, compute);
inline constexpr size_t kMinModelSize = SF_END_OF(sf_model_vtable, describe);
inline constexpr size_t kMinNotifierSize = SF_END_OF(sf_notifier_vtable, send);
// A struct_size above this is taken for garbage (an unset or wrong pointer).
inline constexpr size_t kMaxStructSize = 64 * 1024;

// Empty when `id` is a valid plugin id: reverse-DNS, letters, digits, '.',
// '-', '_', 3..128 bytes, at least one '.', no empty label. Otherwise the
// broken rule.
std::string CheckPluginId(const char* id);
// Empty when `id` is a valid component id: 1..64 bytes of lowercase letters,
// digits, '_', '-', '.', starting with a letter or digit.
std::string CheckComponentId(const char* id);

// Copies the manifest (only the bytes its struct_size covers) into a zeroed
// host-size struct and lists every problem: struct_size, magic, ABI major,
// min_host_minor, id, version, init. `out` receives the copy.
std::vector<std::string> CheckManifest(const sf_plugin_manifest* in,
                                       sf_plugin_manifest* out);

// Parses metadata_json of a component of `kind` and checks its required
// keys. Returns the problems; `parsed` receives the JSON when it parsed.
std::vector<std::string> CheckMetadata(sf_component_kind kind, const char* json,
                                       nlohmann::json* parsed);

// Vtable checks: struct_size, id, metadata, required functions (by name),
// and kind-specific consistency. `copy` receives a zeroed host-size copy.
std::vector<std::string> CheckProvider(const sf_provider_vtable* in,
                                       sf_provider_vtable* copy, nlohmann::json* meta);
std::vector<std::string> CheckIndicator(const sf_indicator_vtable* in,
                                        sf_indicator_vtable* copy, nlohmann::json* meta);
std::vector<std::string> CheckModel(const sf_model_vtable* in, sf_model_vtable* copy,
                                    nlohmann::json* meta);
std::vector<std::string> CheckNotifier(const sf_notifier_vtable* in,
                                       sf_notifier_vtable* copy, nlohmann::json* meta);

const char* KindName(sf_component_kind kind);  // "provider", "indicator"...

// "a; b; c"
std::string JoinProblems(const std::vector<std::string>& problems);

}  // namespace sf::plugins

#endif  // SF_PLUGINS_VALIDATE_H_
