// Throughput of the vendor and news plugins, end to end through the real
// .so files against a local server: HTTP + parse + validate + emit. The
// HttpGet baseline fetches the same AlphaVantage body without parsing, so
// the ratio of the two shows what parsing and validation cost on top of the
// transfer. Run with `cmake --build <dir> --target bench-vendors`.
#include <benchmark/benchmark.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http_client.h"
#include "fake_server.h"
#include "plugins/loader.h"
#include "plugins/registry.h"

namespace {

using nlohmann::json;
using sf::testing::FakeVendorServer;
using sf::testing::RecordedRequest;

sf::plugins::Registry& Reg() {
  static sf::plugins::Registry registry;
  return registry;
}

// Loads both plugins once through the host's loader; returns a provider.
const sf_provider_vtable* Provider(const char* id) {
  static bool loaded = false;
  if (!loaded) {
    sf::plugins::LoaderOptions options;
    options.log = false;
    sf::plugins::Loader loader(Reg(), options);
    for (const char* f : {"vendors.so", "news.so"}) {
      const auto r = loader.LoadFile(std::string(SF_TEST_PLUGIN_DIR) + "/" + f);
      if (!r.loaded) std::fprintf(stderr, "%s\n", r.Message().c_str());
    }
    loaded = true;
  }
  const sf::plugins::Provider* p = Reg().FindProvider(id);
  return p == nullptr ? nullptr : &p->vt;
}

struct CountingSink {
  int64_t bars = 0, news = 0, rejects = 0;
  sf_data_sink sink{};
  CountingSink() {
    sink.struct_size = sizeof sink;
    sink.host_data = this;
    sink.emit_bars = [](void* self, const sf_bar_batch* b) {
      static_cast<CountingSink*>(self)->bars += b->count;
      return SF_OK;
    };
    sink.emit_news = [](void* self, const sf_news_item*, int64_t n) {
      static_cast<CountingSink*>(self)->news += n;
      return SF_OK;
    };
    sink.reject = [](void* self, const char*, const char*) {
      ++static_cast<CountingSink*>(self)->rejects;
    };
  }
};

std::string AlphaVantageBody(int days) {
  json series = json::object();
  for (int i = 0; i < days; ++i) {
    const int64_t day = 10957 + i;  // from 2000-01-01
    const time_t t = static_cast<time_t>(day * 86400);
    char date[16];
    std::strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
    const double c = 100 + (i % 50);
    series[date] = {{"1. open", std::to_string(c - 0.5)},
                    {"2. high", std::to_string(c + 1)},
                    {"3. low", std::to_string(c - 1)},
                    {"4. close", std::to_string(c)},
                    {"5. adjusted close", std::to_string(c * 0.9)},
                    {"6. volume", "1000000"},
                    {"7. dividend amount", "0.0000"},
                    {"8. split coefficient", "1.0"}};
  }
  return json{{"Meta Data", {{"2. Symbol", "IBM"}, {"5. Time Zone", "US/Eastern"}}},
              {"Time Series (Daily)", series}}
      .dump();
}

void Serve(FakeVendorServer*& server, const std::string& body, const std::string& type) {
  server = new FakeVendorServer([body, type](const RecordedRequest&, auto&, auto& response, auto&) {
    sf::testing::Reply(response, 200, body, type);
  });
}

void BM_HttpGetOnly(benchmark::State& state) {
  const std::string body = AlphaVantageBody(static_cast<int>(state.range(0)));
  FakeVendorServer* server = nullptr;
  Serve(server, body, "application/json");
  sf::vendors::HttpLimits limits;
  for (auto _ : state) {
    auto r = sf::vendors::HttpGet(server->base_url() + "/query", {}, limits);
    benchmark::DoNotOptimize(r.response.body.size());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  delete server;
}
BENCHMARK(BM_HttpGetOnly)->Arg(5000)->Unit(benchmark::kMillisecond);

void BM_AlphaVantageDaily(benchmark::State& state) {
  const std::string body = AlphaVantageBody(static_cast<int>(state.range(0)));
  FakeVendorServer* server = nullptr;
  Serve(server, body, "application/json");
  const sf_provider_vtable* vt = Provider("alphavantage");
  void* inst = nullptr;
  const std::string config = json{{"base_url", server->base_url()}, {"api_key", "k"}}.dump();
  vt->create(config.c_str(), &inst);
  const char* symbols[] = {"IBM"};
  sf_fetch_request req{};
  req.struct_size = sizeof req;
  req.symbols = symbols;
  req.symbol_count = 1;
  req.timeframe = "1d";
  int64_t bars = 0;
  for (auto _ : state) {
    CountingSink sink;
    vt->fetch_bars(inst, &req, &sink.sink);
    bars += sink.bars;
  }
  if (bars != state.iterations() * state.range(0)) state.SkipWithError("wrong bar count");
  state.SetItemsProcessed(bars);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  vt->destroy(inst);
  delete server;
}
BENCHMARK(BM_AlphaVantageDaily)->Arg(5000)->Unit(benchmark::kMillisecond);

void BM_BinanceKlines(benchmark::State& state) {
  json body = json::array();
  const int64_t t0 = 1704067200000;
  for (int i = 0; i < 1000; ++i) {
    body.push_back({t0 + i * 60000, "42000.10", "42010.00", "41990.00", "42005.50", "12.5",
                    t0 + i * 60000 + 59999, "525000.0", 100, "6", "250000", "0"});
  }
  FakeVendorServer* server = nullptr;
  Serve(server, body.dump(), "application/json");
  const sf_provider_vtable* vt = Provider("binance");
  void* inst = nullptr;
  const std::string config = json{{"base_url", server->base_url()}}.dump();
  vt->create(config.c_str(), &inst);
  const char* symbols[] = {"BTCUSDT"};
  sf_fetch_request req{};
  req.struct_size = sizeof req;
  req.symbols = symbols;
  req.symbol_count = 1;
  req.timeframe = "1m";
  int64_t bars = 0;
  for (auto _ : state) {
    CountingSink sink;
    vt->fetch_bars(inst, &req, &sink.sink);
    bars += sink.bars;
  }
  if (bars != state.iterations() * 1000) state.SkipWithError("wrong bar count");
  state.SetItemsProcessed(bars);
  vt->destroy(inst);
  delete server;
}
BENCHMARK(BM_BinanceKlines)->Unit(benchmark::kMillisecond);

void BM_RssFeed(benchmark::State& state) {
  std::string items;
  for (int i = 0; i < state.range(0); ++i) {
    items +=
        "<item><title>$TSLA and AAPL story " + std::to_string(i) + "</title><link>http://n/" +
        std::to_string(i) + "</link><guid>g" + std::to_string(i) +
        "</guid><pubDate>Mon, 04 Mar 2024 09:00:00 GMT</pubDate><description>&lt;p&gt;Shares of "
        "MSFT and NVDA moved; the CEO said IT was fine.&lt;/p&gt;</description></item>";
  }
  const std::string body =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>" + items +
      "</channel></rss>";
  FakeVendorServer* server = nullptr;
  Serve(server, body, "application/rss+xml");
  const sf_provider_vtable* vt = Provider("rss");
  void* inst = nullptr;
  const std::string config =
      json{{"feeds", {server->base_url() + "/f"}}, {"instruments", {"AAPL", "MSFT", "NVDA", "IT"}}}
          .dump();
  vt->create(config.c_str(), &inst);
  sf_fetch_request req{};
  req.struct_size = sizeof req;
  int64_t news = 0;
  for (auto _ : state) {
    CountingSink sink;
    vt->fetch_news(inst, &req, &sink.sink);
    news += sink.news;
  }
  if (news != state.iterations() * state.range(0)) state.SkipWithError("wrong item count");
  state.SetItemsProcessed(news);
  vt->destroy(inst);
  delete server;
}
BENCHMARK(BM_RssFeed)->Arg(500)->Unit(benchmark::kMillisecond);

void BM_RedditListing(benchmark::State& state) {
  json children = json::array();
  for (int i = 0; i < 100; ++i) {
    const std::string id = "p" + std::to_string(i);
    children.push_back({{"kind", "t3"},
                        {"data",
                         {{"id", id},
                          {"title", "YOLO $GME and AMC calls " + id},
                          {"selftext", std::string(500, 'x') + " GME to the moon"},
                          {"subreddit", "wallstreetbets"},
                          {"permalink", "/r/wallstreetbets/comments/" + id + "/x/"},
                          {"created_utc", 1709650800.0 + i},
                          {"score", i},
                          {"num_comments", i},
                          {"upvote_ratio", 0.9},
                          {"author", "a"},
                          {"url", "https://i.redd.it/x.png"}}}});
  }
  const std::string body = json{{"kind", "Listing"}, {"data", {{"children", children}}}}.dump();
  FakeVendorServer* server = nullptr;
  Serve(server, body, "application/json");
  const sf_provider_vtable* vt = Provider("reddit");
  void* inst = nullptr;
  const std::string config = json{
      {"base_url", server->base_url()},
      {"subreddits", {"wallstreetbets"}},
      {"instruments",
       {"AMC", "GME"}}}.dump();
  vt->create(config.c_str(), &inst);
  sf_fetch_request req{};
  req.struct_size = sizeof req;
  int64_t news = 0;
  for (auto _ : state) {
    CountingSink sink;
    vt->fetch_news(inst, &req, &sink.sink);
    news += sink.news;
  }
  if (news != state.iterations() * 100) state.SkipWithError("wrong item count");
  state.SetItemsProcessed(news);
  vt->destroy(inst);
  delete server;
}
BENCHMARK(BM_RedditListing)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
