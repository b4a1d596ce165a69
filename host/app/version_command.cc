// `signalforge version`: product version, SDK ABI version, git commit.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/command.h"
#include "app/version.h"

namespace sf::app {
namespace {

constexpr const char* kUsage = R"(Usage: signalforge version [--json]

Prints the signalforge version, the plugin ABI version this host speaks
(MAJOR.MINOR: plugins must match MAJOR and need MINOR or older) and the git
commit the build was configured from, when known.
  --json   one JSON object: {"version","abi","git"}
)";

int RunVersion(Context&, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--json"});
  if (!parsed.ok()) return UsageError("version", parsed.status().message());
  if (!parsed->positional.empty())
    return UsageError("version", "unexpected argument '" + parsed->positional[0] + "'");
  if (parsed->Has("--json")) {
    std::cout << nlohmann::json{{"version", Version()}, {"abi", AbiVersion()}, {"git", GitHash()}}
              << "\n";
    return 0;
  }
  std::cout << "signalforge " << Version() << "\n"
            << "abi " << AbiVersion() << "\n";
  if (*GitHash()) std::cout << "git " << GitHash() << "\n";
  return 0;
}

const CommandRegistrar kVersion({"version", "Print version, plugin ABI version and git commit",
                                 kUsage, &RunVersion, /*needs_config=*/false});

}  // namespace
}  // namespace sf::app
