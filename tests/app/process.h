// Runs the real signalforge binary as a child process for end-to-end tests:
// to completion (capturing stdout and stderr), or as a server that is
// stopped with a signal.
#ifndef SF_TESTS_APP_PROCESS_H_
#define SF_TESTS_APP_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sf::test {

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

struct ProcessOptions {
  std::string cwd;                         // "" = inherit
  std::map<std::string, std::string> env;  // added to the environment
  std::chrono::seconds timeout{60};
};

// Runs `binary args...` to completion. Inherited SIGNALFORGE_* variables are
// removed so only `env` decides the overrides.
RunResult Run(const std::string& binary, const std::vector<std::string>& args,
              const ProcessOptions& options = {});

// A running `signalforge serve`: started, waited on until it prints its
// listening address, then signalled.
class Server {
 public:
  Server(const std::string& binary, const std::vector<std::string>& args,
         const ProcessOptions& options);
  ~Server();  // SIGKILLs a server still running

  // Waits for "listening on http://HOST:PORT" on stdout; false if the
  // process exited or the timeout passed (see err()).
  bool WaitListening(std::chrono::seconds timeout);
  int port() const { return port_; }

  // Sends `sig` and waits; the finished process's result.
  RunResult Stop(int sig, std::chrono::seconds timeout = std::chrono::seconds(60));
  std::string err() const;  // stderr so far

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string out_;
  std::string err_path_;
  int port_ = 0;
};

}  // namespace sf::test

#endif  // SF_TESTS_APP_PROCESS_H_
