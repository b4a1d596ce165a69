// Subcommands of the `signalforge` binary (`serve`, `plugins`, `db migrate`…).
//
// Each command lives in its own host/app/*_command.cc and registers itself
// with a static CommandRegistrar; the app's CMakeLists compiles every .cc in
// host/app directly into the executable, so registration is never dropped by
// the linker. A command gets the loaded configuration through Context and
// returns the process exit code (0 success, 1 failure, 2 usage error).
#ifndef SF_APP_COMMAND_H_
#define SF_APP_COMMAND_H_

#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace sf::app {

class Context;  // context.h: configuration, logging, plugin registry.

struct CommandSpec {
  std::string name;     // one or two words: "serve", "db migrate"
  std::string summary;  // one line for `signalforge --help`
  std::string usage;    // full text for `signalforge NAME --help`
  int (*run)(Context& ctx, const std::vector<std::string>& args) = nullptr;
  // false: the command runs without a config file unless --config is given
  // (`version`, `plugin check`); ctx.config() then holds the schema defaults
  // with SIGNALFORGE_* overrides.
  bool needs_config = true;
};

// All registered commands, sorted by name on first use.
std::vector<CommandSpec>& Commands();

struct CommandRegistrar {
  explicit CommandRegistrar(CommandSpec spec) { Commands().push_back(std::move(spec)); }
};

// A command's arguments split by ParseArgs().
struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--json" -> "", "--limit" -> "5"

  bool Has(const std::string& name) const { return options.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
};

// Splits `args`: `flags` take no value ("--json"); `valued` take one
// ("--limit 5" or "--limit=5"). Any other "-x"/"--x" is refused by name;
// "--" ends options.
StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                               const std::vector<std::string>& flags,
                               const std::vector<std::string>& valued = {});

// Prints "signalforge: COMMAND: MESSAGE" and a pointer to the command's
// --help on stderr; returns 2 (the usage-error exit code).
int UsageError(const std::string& command, const std::string& message);

}  // namespace sf::app

#endif  // SF_APP_COMMAND_H_
