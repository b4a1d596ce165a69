#include "notify_support.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <sstream>
#include <thread>

#include "plugins/loader.h"
#include "store/instruments_repository.h"

#ifndef SF_PLUGIN_DIR
#error "SF_PLUGIN_DIR must name the folder the notifiers plugin is built into"
#endif

namespace sf::notify::test {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Receiver* r) : r_(r) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    r_->Handle(req, resp);
  }

 private:
  Receiver* r_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Receiver* r) : r_(r) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(r_);
  }

 private:
  Receiver* r_;
};

class CountingFilter : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit CountingFilter(std::shared_ptr<std::atomic<int>> n) : n_(std::move(n)) {}
  bool accept(const Poco::Net::StreamSocket&) override {
    ++*n_;
    return true;
  }

 private:
  std::shared_ptr<std::atomic<int>> n_;
};

std::string DecodeB64(const std::string& s) {
  std::istringstream in(s);
  Poco::Base64Decoder dec(in);
  return std::string(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
}

std::string EncodeB64(const unsigned char* p, size_t n) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n));
  enc.close();
  return out.str();
}

}  // namespace

Receiver::Receiver(Script script, uint16_t port, int threads)
    : script_(std::move(script)), connections_(std::make_shared<std::atomic<int>>(0)) {
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress("127.0.0.1", port), true);
  socket.listen(256);
  port_ = socket.address().port();
  auto params = new Poco::Net::HTTPServerParams();
  params->setMaxThreads(threads);
  params->setMaxQueued(4096);
  params->setKeepAlive(true);  // like real endpoints; the notifier reuses connections
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket, params);
  server_->setConnectionFilter(new CountingFilter(connections_));
  server_->start();
}

Receiver::~Receiver() { Stop(); }

void Receiver::Stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

std::string Receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<Received> Receiver::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

size_t Receiver::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_.size();
}

int Receiver::connections() const { return connections_->load(); }

int Receiver::max_concurrent(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = max_active_.find(path);
  return it == max_active_.end() ? 0 : it->second;
}

void Receiver::set_script(Script script) {
  std::lock_guard<std::mutex> lock(mu_);
  script_ = std::move(script);
}

bool Receiver::WaitFor(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
}

void Receiver::Handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  Received r;
  r.method = req.getMethod();
  r.path = req.getURI();
  for (const auto& [k, v] : req) {
    std::string name = k;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = v;
  }
  std::istream& in = req.stream();
  r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  r.at = std::chrono::steady_clock::now();
  r.wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  Script script;
  {
    std::lock_guard<std::mutex> lock(mu_);
    script = script_;
    int& a = ++active_[r.path];
    max_active_[r.path] = std::max(max_active_[r.path], a);
  }
  Reply reply = script ? script(r) : Reply{};
  if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
  {
    std::lock_guard<std::mutex> lock(mu_);
    --active_[r.path];
    received_.push_back(r);
  }
  cv_.notify_all();
  resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
  for (const auto& [k, v] : reply.headers) resp.set(k, v);
  resp.setContentType("application/json");
  resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
  resp.send() << reply.body;
}

bool VerifyStandardWebhook(const std::string& secret, const std::string& id,
                           const std::string& timestamp, const std::string& signature_header,
                           const std::string& body, int64_t now_s, std::string* why) {
  auto fail = [&](const std::string& w) {
    if (why) *why = w;
    return false;
  };
  if (id.empty() || timestamp.empty()) return fail("missing webhook-id or webhook-timestamp");
  int64_t ts = 0;
  try {
    ts = std::stoll(timestamp);
  } catch (const std::exception&) {
    return fail("timestamp not a number");
  }
  if (std::llabs(now_s - ts) > 300) return fail("timestamp outside the 5-minute tolerance");
  std::string key = secret.rfind("whsec_", 0) == 0 ? DecodeB64(secret.substr(6)) : secret;
  std::string signed_content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac,
       &mac_len);
  std::string expected = EncodeB64(mac, mac_len);
  std::istringstream parts(signature_header);
  std::string part;
  while (parts >> part) {
    if (part.rfind("v1,", 0) != 0) continue;
    std::string got = part.substr(3);
    if (got.size() == expected.size() &&
        CRYPTO_memcmp(got.data(), expected.data(), got.size()) == 0)
      return true;
  }
  return fail("no v1 signature matches");
}

plugins::Registry& PluginRegistry(const std::string& file) {
  static std::mutex mu;
  // Live until exit and never destroyed: a static map would be destroyed
  // before LeakSanitizer's exit check and leave the registries unreachable.
  static auto* registries = new std::map<std::string, plugins::Registry*>();
  std::lock_guard<std::mutex> lock(mu);
  auto& r = (*registries)[file];
  if (r == nullptr) {
    r = new plugins::Registry();
    plugins::LoaderOptions options;
    options.probe = false;
    options.log = false;
    plugins::Loader loader(*r, options);
    auto res = loader.LoadFile(std::string(SF_PLUGIN_DIR) + "/" + file);
    if (!res.loaded) ADD_FAILURE() << res.Message();
  }
  return *r;
}

plugins::Registry& NotifierRegistry() { return PluginRegistry("notifiers.so"); }

int64_t QueryInt(store::Pool& pool, const std::string& sql) {
  auto c = pool.Acquire();
  if (!c.ok()) {
    ADD_FAILURE() << c.status().ToString();
    return -1;
  }
  auto r = (*c)->Exec(sql);
  if (!r.ok()) {
    ADD_FAILURE() << sql << ": " << r.status().ToString();
    return -1;
  }
  return r->rows() > 0 && !r->IsNull(0, 0) ? r->GetInt64(0, 0) : -1;
}

int64_t MakeUser(store::Pool& pool, const std::string& email, const std::string& tier,
                 const std::string& timezone) {
  auto c = pool.Acquire();
  EXPECT_TRUE(c.ok());
  auto r = (*c)->Exec("INSERT INTO users (email, tier, timezone) VALUES ($1, $2, $3) RETURNING id",
                      store::Params().Add(email).Add(tier).Add(timezone));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->GetInt64(0, 0) : -1;
}

int64_t MakeStrategy(store::Pool& pool, const std::string& name,
                     const std::vector<std::string>& symbols) {
  store::InstrumentsRepository inst(&pool);
  for (const auto& s : symbols) {
    store::Instrument i;
    i.symbol = s;
    i.sector = s == "XOM" ? "Energy" : "Technology";
    EXPECT_TRUE(inst.Upsert(i).ok());
  }
  store::StrategiesRepository strategies(&pool);
  auto v = strategies.EnsureVersion(name, "hash-" + name, "return {}");
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? v->version_id : -1;
}

store::NewSignal MakeSignal(int64_t version_id, const std::string& symbol, int day,
                            const std::string& side, double confidence) {
  constexpr int64_t kDayUs = 86'400'000'000LL;
  constexpr int64_t k2024Us = 1'704'067'200'000'000LL;
  store::NewSignal s;
  s.strategy_version_id = version_id;
  s.symbol = symbol;
  s.side = side;
  s.bar_ts = k2024Us + day * kDayUs;
  s.expires_at = s.bar_ts + 5 * kDayUs;
  s.entry_price = 187.25;
  s.current_price = 187.25;
  s.target_price = side == "buy" ? 195.0 : 180.0;
  s.stop_price = side == "buy" ? 182.5 : 191.0;
  s.risk_reward = 1.6;
  s.confidence = confidence;
  s.summary = "RSI(14) oversold at 24.1, close below the lower band";
  return s;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint16_t FreePort() {
  Poco::Net::ServerSocket s;
  s.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true);
  return s.address().port();
}

Child::Child(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  pid_ = pid;
  out_fd_ = fds[0];
}

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
  if (out_fd_ >= 0) close(out_fd_);
}

std::string Child::ReadLine(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || out_fd_ < 0) return "";
    pollfd p{out_fd_, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return "";
    char buf[512];
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

void Child::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int Child::Wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

}  // namespace sf::notify::test
