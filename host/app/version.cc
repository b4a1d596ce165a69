#include "app/version.h"

#include "signalforge/signalforge.h"

namespace sf::app {

extern const char* const kBuildVersion;  // version_data.cc (generated)
extern const char* const kBuildGitHash;

const char* Version() { return kBuildVersion; }
const char* GitHash() { return kBuildGitHash; }
std::string AbiVersion() {
  return std::to_string(SF_ABI_MAJOR) + "." + std::to_string(SF_ABI_MINOR);
}

}  // namespace sf::app
