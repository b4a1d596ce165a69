// What this build of signalforge is: product version, SDK ABI version and
// the git commit it was configured from (when built from a git checkout).
#ifndef SF_APP_VERSION_H_
#define SF_APP_VERSION_H_

#include <string>

namespace sf::app {

const char* Version();     // "0.1.0"
const char* GitHash();     // "43574a8" or "" when unknown
std::string AbiVersion();  // "1.0" (SF_ABI_MAJOR.SF_ABI_MINOR)

}  // namespace sf::app

#endif  // SF_APP_VERSION_H_
