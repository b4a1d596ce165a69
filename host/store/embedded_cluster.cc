#include "store/embedded_cluster.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/logging.h"

#include "store/pg.h"

namespace sf::store {

namespace fs = std::filesystem;

namespace {

// Runs argv (no shell), captures stdout+stderr. Returns the exit status
// (-1 when it could not be started).
int RunProcess(const std::vector<std::string>& argv, std::string* output) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0].c_str(), std::strerror(errno));
    _exit(127);
  }
  close(pipefd[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(pipefd[0], buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

bool IsSafeDbName(const std::string& n) {
  return !n.empty() && n.size() < 60 &&
         std::all_of(n.begin(), n.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

}  // namespace

StatusOr<std::string> EmbeddedCluster::FindBinDir() {
  std::string out;
  if (RunProcess({"pg_config", "--bindir"}, &out) == 0) {
    std::string dir = Trim(out);
    if (fs::exists(fs::path(dir) / "initdb") && fs::exists(fs::path(dir) / "pg_ctl")) return dir;
  }
  // Debian keeps the server programs in /usr/lib/postgresql/<major>/bin.
  int best = -1;
  std::string best_dir;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    fs::path bin = e.path() / "bin";
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "pg_ctl")) continue;
    int v = std::stoi(name);
    if (v > best) {
      best = v;
      best_dir = bin.string();
    }
  }
  if (best >= 0) return best_dir;
  return NotFound(
      "no PostgreSQL server programs found (looked at `pg_config --bindir` and "
      "/usr/lib/postgresql/*/bin): install the `postgresql` package, or set "
      "database.url to use an existing server");
}

EmbeddedCluster::EmbeddedCluster(EmbeddedClusterOptions options)
    : options_(std::move(options)) {
  as_root_ = geteuid() == 0;
  if (as_root_) {
    db_user_ = "postgres";
  } else {
    struct passwd* pw = getpwuid(geteuid());
    db_user_ = pw ? pw->pw_name : "unknown";
  }
}

EmbeddedCluster::~EmbeddedCluster() {
  if (options_.stop_on_destroy && running_) {
    Status s = Stop();
    if (!s.ok()) sf::base::Logger("store")->warn("embedded PostgreSQL: {}", s.ToString());
  }
}

Status EmbeddedCluster::RunTool(const std::string& tool, const std::vector<std::string>& args,
                                std::string* output) {
  std::vector<std::string> argv;
  if (as_root_) {
    argv = {"runuser", "-u", "postgres", "--"};
  }
  argv.push_back((fs::path(bin_dir_) / tool).string());
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  int rc = RunProcess(argv, &out);
  if (output) *output = out;
  if (rc != 0) {
    return Internal(tool + " failed (exit " + std::to_string(rc) + ") for data folder " +
                    options_.data_dir + ": " + Trim(out));
  }
  return Status::Ok();
}

bool EmbeddedCluster::IsRunning() {
  std::string out;
  return RunTool("pg_ctl", {"status", "-D", options_.data_dir}, &out).ok();
}

std::string EmbeddedCluster::ConnectionString(const std::string& dbname) const {
  return "host=" + options_.data_dir + " port=" + std::to_string(options_.port) +
         " user=postgres dbname=" + dbname;
}

Status EmbeddedCluster::Start() {
  if (running_) return Status::Ok();
  if (options_.data_dir.empty()) return InvalidArgument("database.data_dir is empty");
  std::error_code ec;
  fs::path dir = fs::absolute(options_.data_dir, ec).lexically_normal();
  std::string dir_s = dir.string();
  while (dir_s.size() > 1 && dir_s.back() == '/') dir_s.pop_back();
  options_.data_dir = dir_s;
  // The socket path is <dir>/.s.PGSQL.<port> and must fit in sun_path (108).
  if (dir_s.size() + 18 > 107) {
    return InvalidArgument("database.data_dir '" + dir_s + "' is too long (" +
                           std::to_string(dir_s.size()) +
                           " characters): the Unix socket inside it must fit in 107 "
                           "bytes; choose a folder path of at most 89 characters");
  }
  if (bin_dir_.empty()) {
    if (!options_.bin_dir.empty()) {
      bin_dir_ = options_.bin_dir;
    } else {
      auto found = FindBinDir();
      if (!found.ok()) return found.status();
      bin_dir_ = *found;
    }
  }
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create database.data_dir '" + dir_s + "': " + ec.message());
  if (as_root_) {
    struct passwd* pw = getpwnam("postgres");
    if (!pw) {
      return PermissionDenied(
          "running as root but there is no `postgres` user to run PostgreSQL as "
          "(PostgreSQL refuses root): install the postgresql package or run as a "
          "normal user");
    }
    if (chown(dir_s.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return IoError("cannot chown '" + dir_s + "' to postgres: " + std::strerror(errno));
    }
    std::string out;
    if (RunProcess({"runuser", "-u", "postgres", "--", "test", "-w", dir_s}, &out) != 0) {
      return PermissionDenied("the postgres user cannot write to '" + dir_s +
                              "' (a parent folder is not searchable by it); choose a "
                              "database.data_dir under a folder other users can enter, "
                              "e.g. /var/lib/signalforge or /tmp");
    }
  }
  chmod(dir_s.c_str(), 0700);

  if (!fs::exists(dir / "PG_VERSION")) {
    if (!fs::is_empty(dir, ec)) {
      return InvalidArgument("database.data_dir '" + dir_s +
                             "' is not empty and holds no PostgreSQL cluster; point it at "
                             "an empty or new folder");
    }
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> args = {"-D", dir_s, "-U", "postgres", "-E", "UTF8",
                                     "--locale=C", "-A", "trust", "--no-instructions"};
    if (options_.throwaway) args.push_back("--no-sync");
    SF_RETURN_IF_ERROR(RunTool("initdb", args, nullptr));
    // Only local (Unix socket) connections; there is no TCP listener anyway.
    std::ofstream hba(dir / "pg_hba.conf", std::ios::trunc);
    hba << "# Signalforge embedded cluster: Unix socket only, socket in the data folder.\n"
           "local all all trust\n";
    hba.close();
    std::ofstream conf(dir / "postgresql.conf", std::ios::app);
    conf << "\n# Signalforge: settings rewritten at every start.\n"
            "include_if_exists = 'signalforge.conf'\n";
    conf.close();
    created_ = true;
    sf::base::Logger("store")->info("embedded PostgreSQL: created cluster in {} ({} ms)", dir_s,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0)
                     .count());
  }
  {
    std::ofstream sf(dir / "signalforge.conf", std::ios::trunc);
    sf << "listen_addresses = ''\n"
       << "unix_socket_directories = '" << dir_s << "'\n"
       << "port = " << options_.port << "\n";
    if (options_.throwaway) {
      sf << "fsync = off\nfull_page_writes = off\n";
    } else {
      // Bulk bar ingest writes ~0.5 GB of WAL per 2.4 M bars: room for a
      // whole load between checkpoints (fewer full-page images, no
      // checkpoint storm mid-load), and buffers for the COPY working set.
      sf << "shared_buffers = 256MB\nmax_wal_size = 4GB\ncheckpoint_timeout = 15min\n"
            "wal_buffers = 16MB\n";
    }
    for (const auto& line : options_.extra_conf) sf << line << "\n";
  }
  if (as_root_) {
    struct passwd* pw = getpwnam("postgres");
    for (const char* f : {"pg_hba.conf", "postgresql.conf", "signalforge.conf"}) {
      std::string p = (dir / f).string();
      if (chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        return IoError("cannot chown '" + p + "' to postgres: " + std::strerror(errno));
      }
    }
  }

  // A postmaster.pid whose pid now belongs to another program (reused after a
  // machine crash) would make PostgreSQL refuse to start; a dead pid is
  // handled by PostgreSQL itself.
  fs::path pidfile = dir / "postmaster.pid";
  if (fs::exists(pidfile)) {
    std::ifstream in(pidfile);
    long pid = 0;
    in >> pid;
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0) {
      std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      comm >> name;
      if (name != "postgres" && name != "postmaster") {
        sf::base::Logger("store")->warn("embedded PostgreSQL: removing stale {} (pid {} is '{}')",
                     pidfile.string(), pid, name);
        fs::remove(pidfile, ec);
      }
    }
  }

  if (IsRunning()) {
    // Left running by a host that crashed: adopt it.
    sf::base::Logger("store")->info("embedded PostgreSQL: adopting the server already running in {}", dir_s);
    running_ = true;
    adopted_ = true;
    return Status::Ok();
  }

  std::string log = (dir / "server.log").string();
  Status s;
  // Right after a crash the old server's children may still hold the shared
  // memory for a moment; PostgreSQL then refuses to start, so retry briefly.
  for (int attempt = 0; attempt < 5; ++attempt) {
    s = RunTool("pg_ctl", {"start", "-w", "-t", "120", "-D", dir_s, "-l", log}, nullptr);
    if (s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500 * (attempt + 1)));
  }
  if (!s.ok()) {
    std::ifstream in(log);
    std::stringstream tail;
    tail << in.rdbuf();
    std::string t = tail.str();
    if (t.size() > 2000) t = t.substr(t.size() - 2000);
    return Unavailable("cannot start the embedded PostgreSQL in '" + dir_s + "': " +
                       s.message() + "\nserver.log (end):\n" + t);
  }
  running_ = true;
  return Status::Ok();
}

Status EmbeddedCluster::Stop() {
  if (!running_) return Status::Ok();
  Status s = RunTool("pg_ctl", {"stop", "-w", "-t", "60", "-D", options_.data_dir, "-m", "fast"},
                     nullptr);
  if (s.ok() || !IsRunning()) {
    running_ = false;
    return Status::Ok();
  }
  return s;
}

Status EmbeddedCluster::StopImmediate() {
  Status s = RunTool("pg_ctl",
                     {"stop", "-w", "-t", "60", "-D", options_.data_dir, "-m", "immediate"},
                     nullptr);
  running_ = false;
  return s;
}

Status EmbeddedCluster::CreateDatabase(const std::string& name) {
  if (!IsSafeDbName(name)) return InvalidArgument("database name '" + name + "' must match [a-z0-9_]+");
  auto conn = Connection::Open(ConnectionString("postgres"));
  if (!conn.ok()) return conn.status();
  auto exists = (*conn)->Exec("SELECT 1 FROM pg_database WHERE datname = $1", Params().Add(name));
  if (!exists.ok()) return exists.status();
  if (exists->rows() > 0) return Status::Ok();
  // Identifiers cannot be parameters; the name was validated above.
  return (*conn)->ExecScript("CREATE DATABASE " + name);
}

Status EmbeddedCluster::DropDatabase(const std::string& name) {
  if (!IsSafeDbName(name)) return InvalidArgument("database name '" + name + "' must match [a-z0-9_]+");
  auto conn = Connection::Open(ConnectionString("postgres"));
  if (!conn.ok()) return conn.status();
  return (*conn)->ExecScript("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

}  // namespace sf::store
