#include "app/command.h"

#include <algorithm>
#include <iostream>

namespace sf::app {

std::vector<CommandSpec>& Commands() {
  static std::vector<CommandSpec> commands;
  return commands;
}

StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                               const std::vector<std::string>& flags,
                               const std::vector<std::string>& valued) {
  auto known = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  ParsedArgs out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    const auto eq = a.find('=');
    const std::string name = a.substr(0, eq);
    if (known(flags, name)) {
      if (eq != std::string::npos) return InvalidArgument("option " + name + " takes no value");
      out.options[name] = "";
    } else if (known(valued, name)) {
      if (eq != std::string::npos) {
        out.options[name] = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        out.options[name] = args[++i];
      } else {
        return InvalidArgument("option " + name + " needs a value");
      }
    } else {
      return InvalidArgument("unknown option " + name);
    }
  }
  return out;
}

int UsageError(const std::string& command, const std::string& message) {
  std::cerr << "signalforge: " << command << ": " << message << "\n"
            << "Run 'signalforge " << command << " --help' for usage.\n";
  return 2;
}

}  // namespace sf::app
