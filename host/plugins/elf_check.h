// Checks that a file is a complete ELF shared object for this machine before
// it is handed to dlopen, so that a refusal says what is wrong with the file
// ("not an ELF shared object (bad magic)", "truncated ELF file (N bytes)")
// instead of dlopen's terse text, and so that a truncated file is never
// mapped. Stateless, thread-safe.
#ifndef SF_PLUGINS_ELF_CHECK_H_
#define SF_PLUGINS_ELF_CHECK_H_

#include <string>

namespace sf::plugins {

// Empty when `path` looks loadable; otherwise the reason.
std::string CheckElfFile(const std::string& path);

}  // namespace sf::plugins

#endif  // SF_PLUGINS_ELF_CHECK_H_
