// The host API table as a plugin sees it: versions, error messages per
// thread, logging, the clock, and registration rules outside init. Also the
// pure validation rules (ids, metadata) that registration applies.
#include <memory>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "plugins/host_api.h"
#include "plugins/loader.h"
#include "plugins/validate.h"

namespace sf::plugins {
namespace {

using ::testing::HasSubstr;

// Routes spdlog's default logger into a string for the test's duration.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(HostApiTest, AdvertisesItsVersionAndSize) {
  const sf_host_api* host = HostApi();
  EXPECT_EQ(host->struct_size, sizeof(sf_host_api));
  EXPECT_EQ(host->abi_major, SF_ABI_MAJOR);
  EXPECT_EQ(host->abi_minor, SF_ABI_MINOR);
  EXPECT_STRNE(host->host_version, "");
  EXPECT_TRUE(SF_HOST_HAS(host, now_us));
  EXPECT_TRUE(SF_HOST_HAS(host, register_notifier));
}

TEST(HostApiTest, SetErrorIsPerThreadAndTakenOnce) {
  ClearPluginError();
  EXPECT_EQ(TakePluginError("fallback"), "fallback");
  HostApi()->set_error(SF_ERR_BAD_DATA, "row 3: close is negative");
  EXPECT_EQ(PendingPluginErrorCode(), SF_ERR_BAD_DATA);
  std::string other_thread;
  std::thread([&] { other_thread = TakePluginError("none here"); }).join();
  EXPECT_EQ(other_thread, "none here");
  HostApi()->set_error(SF_ERR_BAD_DATA, "second message wins");
  EXPECT_EQ(TakePluginError("fallback"), "second message wins");
  EXPECT_EQ(TakePluginError("fallback"), "fallback");
  HostApi()->set_error(SF_ERR_INTERNAL, nullptr);
  EXPECT_EQ(TakePluginError(""), "(no message)");
}

TEST(HostApiTest, LogGoesToSpdlogWithThePluginId) {
  CapturedLog log;
  HostApi()->log(SF_LOG_WARN, "org.example.x", "disk almost full");
  HostApi()->log(SF_LOG_ERROR, nullptr, nullptr);
  EXPECT_THAT(log.text(), HasSubstr("warning [org.example.x] disk almost full"));
  EXPECT_THAT(log.text(), HasSubstr("error [plugin] "));
}

TEST(HostApiTest, LoaderLogsLoadsAndRefusalsWithThePath) {
  CapturedLog log;
  Registry registry;
  LoaderOptions o;
  o.probe = false;
  Loader loader(registry, o);
  loader.LoadFile(std::string(SF_TEST_PLUGIN_DIR) + "/tp_abi_major2.so");
  loader.LoadFile(std::string(SF_TEST_PLUGIN_DIR) + "/tp_good.so");
  EXPECT_THAT(log.text(), HasSubstr("warning refused " + std::string(SF_TEST_PLUGIN_DIR) +
                                    "/tp_abi_major2.so: manifest: ABI major 2 != host 1"));
  EXPECT_THAT(log.text(), HasSubstr("info loaded " + std::string(SF_TEST_PLUGIN_DIR) +
                                    "/tp_good.so: org.test.good"));
  // The plugin's own log line from init, with its config.
  EXPECT_THAT(log.text(), HasSubstr("info [org.test.good] init config {}"));
  registry.Shutdown();
  EXPECT_THAT(log.text(), HasSubstr("[org.test.good] shutdown called"));
  std::string before = log.text();
  registry.Shutdown();  // once only
  EXPECT_EQ(log.text(), before);
}

TEST(HostApiTest, NowUsFollowsAScopedClockOnThisThreadOnly) {
  sf_time_us real = HostApi()->now_us();
  EXPECT_GT(real, 1'600'000'000'000'000LL);  // after 2020
  sf_time_us simulated = 42;
  {
    ScopedHostClock clock([](void* user) { return *static_cast<sf_time_us*>(user); },
                          &simulated);
    EXPECT_EQ(HostApi()->now_us(), 42);
    sf_time_us elsewhere = 0;
    std::thread([&] { elsewhere = HostApi()->now_us(); }).join();
    EXPECT_GT(elsewhere, real - 1);
  }
  EXPECT_GE(HostApi()->now_us(), real);
}

TEST(HostApiTest, RegistrationOutsideInitIsRefused) {
  sf_indicator_vtable vt{};
  EXPECT_EQ(HostApi()->register_indicator(nullptr, &vt), SF_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(TakePluginError(""), HasSubstr("register_indicator called outside init"));
  Staging staging;
  sf_plugin_handle* stale = nullptr;
  {
    ScopedRegistration scope(&staging);
    stale = scope.handle();
  }
  // A handle kept after init is no longer accepted (compared, never read).
  EXPECT_EQ(HostApi()->register_provider(stale, nullptr), SF_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(TakePluginError(""), HasSubstr("register_provider called outside init"));
}

TEST(HostApiTest, RegistrationCopiesIntoAZeroedHostSizeStruct) {
  static const sf_indicator_vtable kVt = {
      sizeof(sf_indicator_vtable), 0, "copy_me",
      R"({"title":"t","inputs":["high","low"],"params":[],"outputs":[{"name":"a"},{"name":"b"}]})",
      0, 2, SF_INPUT_HIGH | SF_INPUT_LOW, 0,
      [](const double*, uint32_t, int64_t* lb) -> sf_status { *lb = 0; return SF_OK; },
      [](const double*, uint32_t, const sf_bar_series*, double* const*, uint32_t) -> sf_status {
        return SF_OK;
      },
      nullptr, nullptr, nullptr};
  Registry registry;
  Staging staging;
  staging.plugin_id = "org.test.copy";
  staging.registry = &registry;
  {
    ScopedRegistration scope(&staging);
    EXPECT_EQ(HostApi()->register_indicator(scope.handle(), &kVt), SF_OK);
    // A null vtable and a NULL id are refused with their reason.
    EXPECT_EQ(HostApi()->register_indicator(scope.handle(), nullptr), SF_ERR_INVALID_ARGUMENT);
    EXPECT_THAT(TakePluginError(""), HasSubstr("indicator vtable is NULL"));
  }
  ASSERT_EQ(staging.indicators.size(), 1u);
  const Indicator& ind = *staging.indicators[0];
  EXPECT_EQ(ind.id, "copy_me");
  EXPECT_EQ(ind.plugin_id, "org.test.copy");
  EXPECT_EQ(ind.vt.output_count, 2u);
  EXPECT_EQ(ind.metadata["outputs"][1]["name"], "b");
  EXPECT_FALSE(ind.thread_safe);
  EXPECT_TRUE(ind.serial);
  EXPECT_EQ(staging.errors.size(), 1u);
}

TEST(HostApiTest, ANewerLargerVtableIsAcceptedAndReadOnlyAsFarAsTheHostKnows) {
  // A plugin built with a later minor: its vtable has fields this host lacks.
  struct NewerVtable {
    sf_notifier_vtable v1;
    void* appended[3];
  };
  static NewerVtable newer{};
  newer.v1.struct_size = sizeof(NewerVtable);
  newer.v1.id = "newer";
  newer.v1.metadata_json = R"({"description":"from the future"})";
  newer.v1.create = [](const char*, void**) -> sf_status { return SF_OK; };
  newer.v1.destroy = [](void*) {};
  newer.v1.send = [](void*, const sf_delivery*, sf_delivery_result*) -> sf_status {
    return SF_OK;
  };
  newer.appended[0] = &newer;
  Registry registry;
  Staging staging;
  staging.plugin_id = "org.test.newer";
  staging.registry = &registry;
  {
    ScopedRegistration scope(&staging);
    EXPECT_EQ(HostApi()->register_notifier(scope.handle(), &newer.v1), SF_OK)
        << TakePluginError("");
  }
  ASSERT_EQ(staging.notifiers.size(), 1u);
  EXPECT_EQ(staging.notifiers[0]->vt.struct_size, sizeof(sf_notifier_vtable));
  EXPECT_EQ(staging.notifiers[0]->id, "newer");

  // A size past any plausible growth is taken for garbage.
  newer.v1.struct_size = 1u << 20;
  {
    ScopedRegistration scope(&staging);
    EXPECT_EQ(HostApi()->register_notifier(scope.handle(), &newer.v1), SF_ERR_INVALID_ARGUMENT);
    EXPECT_THAT(TakePluginError(""), HasSubstr("notifier vtable struct_size 1048576 is not sane"));
  }
}

TEST(ValidateTest, PluginIdRules) {
  EXPECT_EQ(CheckPluginId("org.signalforge.indicators"), "");
  EXPECT_EQ(CheckPluginId("com.acme-corp.data_feed2"), "");
  EXPECT_THAT(CheckPluginId(nullptr), HasSubstr("id is missing (NULL)"));
  EXPECT_THAT(CheckPluginId("ab"), HasSubstr("shorter than 3 bytes"));
  EXPECT_THAT(CheckPluginId("nodots"), HasSubstr("has no '.'"));
  EXPECT_THAT(CheckPluginId("org..x"), HasSubstr("empty label"));
  EXPECT_THAT(CheckPluginId(".org.x"), HasSubstr("empty label"));
  EXPECT_THAT(CheckPluginId("org.x/y"), HasSubstr("forbidden character at byte 5"));
  EXPECT_THAT(CheckPluginId(std::string(129, 'a').append(".b").c_str()),
              HasSubstr("longer than 128 bytes"));
}

TEST(ValidateTest, ComponentIdRules) {
  EXPECT_EQ(CheckComponentId("sma"), "");
  EXPECT_EQ(CheckComponentId("bbands_2.0-x"), "");
  EXPECT_THAT(CheckComponentId(""), HasSubstr("id is empty"));
  EXPECT_THAT(CheckComponentId("SMA"), HasSubstr("forbidden character at byte 0"));
  EXPECT_THAT(CheckComponentId("_x"), HasSubstr("forbidden character at byte 0"));
  EXPECT_THAT(CheckComponentId(std::string(65, 'a').c_str()), HasSubstr("longer than 64"));
}

TEST(ValidateTest, MetadataRulesPerKind) {
  nlohmann::json j;
  EXPECT_TRUE(CheckMetadata(SF_KIND_PROVIDER, R"({"description":"d"})", &j).empty());
  EXPECT_THAT(CheckMetadata(SF_KIND_PROVIDER, "{}", &j)[0],
              HasSubstr("lacks required key \"description\""));
  EXPECT_THAT(CheckMetadata(SF_KIND_MODEL, R"({"description":"d"})", &j)[0],
              HasSubstr("lacks required key \"tasks\""));
  EXPECT_THAT(CheckMetadata(SF_KIND_NOTIFIER, "[1]", &j)[0], HasSubstr("must be a JSON object"));
  auto problems = CheckMetadata(
      SF_KIND_INDICATOR,
      R"({"title":"t","inputs":["close","bid"],"params":[{"name":"k","type":"float"}],"outputs":[{}]})",
      &j);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_THAT(problems[0], HasSubstr("\"inputs\" has \"bid\""));
  EXPECT_THAT(problems[1], HasSubstr("params[0] (k) \"type\" must be"));
  EXPECT_THAT(problems[2], HasSubstr("outputs[0] needs a string \"name\""));
}

}  // namespace
}  // namespace sf::plugins
