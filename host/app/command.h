// Subcommands of the `signalforge` binary (`serve`, `plugins`, `db migrate`…).
//
// Each command lives in its own host/app/*_command.cc and registers itself
// with a static CommandRegistrar; the app's CMakeLists compiles every .cc in
// host/app directly into the executable, so registration is never dropped by
// the linker. A command gets the loaded configuration through Context and
// returns the process exit code (0 success, 1 failure, 2 usage error).
#ifndef SF_APP_COMMAND_H_
#define SF_APP_COMMAND_H_

#include <string>
#include <vector>

namespace sf::app {

class Context;  // context.h: configuration, logging, plugin registry.

struct CommandSpec {
  std::string name;     // one or two words: "serve", "db migrate"
  std::string summary;  // one line for `signalforge --help`
  std::string usage;    // full text for `signalforge NAME --help`
  int (*run)(Context& ctx, const std::vector<std::string>& args) = nullptr;
};

// All registered commands, sorted by name on first use.
std::vector<CommandSpec>& Commands();

struct CommandRegistrar {
  explicit CommandRegistrar(CommandSpec spec) { Commands().push_back(std::move(spec)); }
};

}  // namespace sf::app

#endif  // SF_APP_COMMAND_H_
