// Entry point of the `signalforge` executable: a Poco ServerApplication that
// reads the global options, picks the subcommand (command.h), loads the
// config, sets up logging and runs the command.
//
// Command line: signalforge [GLOBAL OPTIONS] COMMAND [ARGS] — global options
// may also follow the command (`signalforge serve --config x.json`). Exit
// codes: 0 success, 1 failure (including a refused config), 2 usage error.
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "app/app_context.h"
#include "app/command.h"
#include "app/config.h"
#include "app/version.h"
#include "base/logging.h"

namespace sf::app {
namespace {

struct GlobalOptions {
  std::string config_path = kDefaultConfigPath;
  bool config_given = false;
  std::optional<std::string> log_format;
  std::optional<std::string> log_level;
  bool help = false;
  bool version = false;
  std::vector<std::string> rest;  // command words and the command's own arguments
};

// Pulls the global options out of `args`, wherever they are; everything
// else keeps its order in `rest`. "--" stops the scan (it stays in rest for
// the command).
StatusOr<GlobalOptions> ParseGlobal(const std::vector<std::string>& args) {
  GlobalOptions g;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      g.rest.insert(g.rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    const auto eq = a.find('=');
    const std::string name = a.rfind("--", 0) == 0 ? a.substr(0, eq) : a;
    auto value = [&]() -> StatusOr<std::string> {
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= args.size()) return InvalidArgument("option " + name + " needs a value");
      return args[++i];
    };
    if (name == "--config") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (v->empty()) return InvalidArgument("option --config needs a file name");
      g.config_path = *v;
      g.config_given = true;
    } else if (name == "--log-format") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (*v != "text" && *v != "json")
        return InvalidArgument("--log-format \"" + *v + "\" is not text or json");
      g.log_format = *v;
    } else if (name == "--log-level") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto level = base::ParseLogLevel(*v);
      if (!level.ok()) return InvalidArgument("--log-level: " + level.status().message());
      g.log_level = *v;
    } else if (a == "--help" || a == "-h") {
      g.help = true;
    } else if (a == "--version" && g.rest.empty()) {
      g.version = true;
    } else {
      g.rest.push_back(a);
    }
  }
  return g;
}

std::vector<CommandSpec> SortedCommands() {
  auto& commands = Commands();
  std::sort(commands.begin(), commands.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  return commands;
}

std::string ProgramHelp() {
  std::ostringstream out;
  out << "signalforge " << Version() << " - a self-hosted trading-signal server\n\n"
      << "Usage: signalforge [--config FILE] [--log-format text|json] [--log-level LEVEL]\n"
      << "                   COMMAND [ARGS]\n\n"
      << "Commands:\n";
  std::size_t width = 4;
  for (const auto& c : SortedCommands()) width = std::max(width, c.name.size());
  auto line = [&](const std::string& name, const std::string& summary) {
    out << "  " << name << std::string(width - name.size() + 3, ' ') << summary << "\n";
  };
  for (const auto& c : SortedCommands()) line(c.name, c.summary);
  line("help", "Show this text, or `help COMMAND` for one command");
  out << "\nGlobal options (before or after the command):\n"
      << "  --config FILE        Config file (default: " << kDefaultConfigPath << ", relative to\n"
      << "                       the current directory). Relative paths inside the config\n"
      << "                       also resolve against the current directory.\n"
      << "  --log-format FORMAT  text (default) or json (one JSON object per line on stderr)\n"
      << "  --log-level LEVEL    trace, debug, info (default), warn, error, critical, off\n"
      << "  -h, --help           This text; `signalforge COMMAND --help` for a command\n"
      << "  --version            Same as `signalforge version`\n\n"
      << "Environment: every config key can be overridden by a variable named after its\n"
      << "path, e.g. SIGNALFORGE_HTTP_PORT=9000 for /http/port, SIGNALFORGE_DATABASE_URL,\n"
      << "SIGNALFORGE_JWT_SECRET. Objects and arrays are given as JSON.\n\n"
      << "Exit codes: 0 success, 1 failure (including a refused config), 2 usage error.\n";
  return out.str();
}

// The command named by the first one or two words of `rest`.
const CommandSpec* FindCommand(const std::vector<CommandSpec>& commands,
                               const std::vector<std::string>& rest, std::size_t& words) {
  if (rest.size() >= 2) {
    const std::string two = rest[0] + " " + rest[1];
    for (const auto& c : commands)
      if (c.name == two) {
        words = 2;
        return &c;
      }
  }
  for (const auto& c : commands)
    if (!rest.empty() && c.name == rest[0]) {
      words = 1;
      return &c;
    }
  return nullptr;
}

class SignalforgeApp final : public Poco::Util::ServerApplication {
 public:
  explicit SignalforgeApp(std::vector<std::string> args) : args_(std::move(args)) {
    setUnixOptions(true);
  }

 protected:
  // Options are parsed by Dispatch() so that each command owns its own.
  void defineOptions(Poco::Util::OptionSet&) override {}

  int main(const std::vector<std::string>&) override {
    try {
      return Dispatch();
    } catch (const std::exception& e) {
      std::cerr << "signalforge: internal error: " << e.what() << "\n";
    } catch (...) {
      std::cerr << "signalforge: internal error (unknown exception)\n";
    }
    return 1;
  }

 private:
  int Dispatch() {
    auto parsed = ParseGlobal(args_);
    if (!parsed.ok()) {
      std::cerr << "signalforge: " << parsed.status().message()
                << "\nRun 'signalforge --help' for usage.\n";
      return 2;
    }
    GlobalOptions g = std::move(*parsed);
    const auto commands = SortedCommands();

    if (g.version && g.rest.empty()) g.rest.push_back("version");
    if (!g.rest.empty() && g.rest[0] == "help") {
      g.rest.erase(g.rest.begin());
      if (g.rest.empty()) {
        std::cout << ProgramHelp();
        return 0;
      }
      g.help = true;
    }
    if (g.rest.empty()) {
      if (g.help) {
        std::cout << ProgramHelp();
        return 0;
      }
      std::cerr << "signalforge: no command given\n\n" << ProgramHelp();
      return 2;
    }

    std::size_t words = 0;
    const CommandSpec* cmd = FindCommand(commands, g.rest, words);
    if (!cmd) {
      const std::string& first = g.rest[0];
      if (first.size() > 1 && first[0] == '-') {
        std::cerr << "signalforge: unknown option " << first
                  << "\nRun 'signalforge --help' for usage.\n";
        return 2;
      }
      std::string group;
      for (const auto& c : commands)
        if (c.name.rfind(first + " ", 0) == 0) group += "\n  signalforge " + c.name;
      if (!group.empty()) {
        std::cerr << "signalforge: " << first << ": "
                  << (g.rest.size() > 1 ? "unknown subcommand '" + g.rest[1] + "'"
                                        : std::string("missing subcommand"))
                  << "; one of:" << group << "\n";
        return 2;
      }
      std::cerr << "signalforge: unknown command '" << first
                << "'\nRun 'signalforge --help' for the list of commands.\n";
      return 2;
    }
    if (g.help) {
      std::cout << cmd->usage;
      if (!cmd->usage.empty() && cmd->usage.back() != '\n') std::cout << "\n";
      return 0;
    }
    std::vector<std::string> args(g.rest.begin() + static_cast<std::ptrdiff_t>(words),
                                  g.rest.end());

    // Logging first with what the command line says, so config errors and
    // everything after use the requested format.
    (void)base::ConfigureLogging(g.log_format.value_or("text"), g.log_level.value_or("info"));
    auto log = base::Logger("app");

    const std::string path = (cmd->needs_config || g.config_given) ? g.config_path : "";
    auto loaded = LoadConfig(path, base::ProcessEnv());
    if (!loaded.ok() && path.empty()) {
      // A command that needs no config still runs on the defaults.
      log->warn("ignoring environment overrides: {}", loaded.status().message());
      loaded = LoadConfig("", [](const std::string&) { return std::nullopt; });
    }
    if (!loaded.ok()) {
      std::istringstream lines(loaded.status().message());
      for (std::string l; std::getline(lines, l);) std::cerr << "signalforge: " << l << "\n";
      return 1;
    }
    const auto& cfg = loaded->value;
    Status logging = base::ConfigureLogging(
        g.log_format.value_or(cfg.at("/log/format"_json_pointer).get<std::string>()),
        g.log_level.value_or(cfg.at("/log/level"_json_pointer).get<std::string>()));
    if (!logging.ok()) {
      std::cerr << "signalforge: " << logging.message() << "\n";
      return 1;
    }
    for (const auto& name : loaded->env_used) log->debug("config override from {}", name);
    for (const auto& name :
         base::UnknownEnvVariables(ConfigEnvBindings(), kEnvPrefix, base::ProcessEnvironment()))
      log->warn("environment variable {} matches no config key; ignored", name);

    std::error_code ec;
    std::string base_dir = std::filesystem::current_path(ec).string();
    AppContext ctx(cfg, path.empty() ? "" : std::filesystem::absolute(path, ec).string(), base_dir);
    ctx.set_wait_for_termination([this] { waitForTerminationRequest(); });
    return cmd->run(ctx, args);
  }

  std::vector<std::string> args_;
};

}  // namespace
}  // namespace sf::app

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  sf::app::SignalforgeApp app(std::move(args));
  // Poco sees only the program name: the options belong to Dispatch().
  return app.run(std::vector<std::string>{argc > 0 ? argv[0] : "signalforge"});
}
