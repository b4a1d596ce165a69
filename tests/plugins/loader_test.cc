// Loader tests: every refusal rule is shown with a real .so built by this
// suite (see CMakeLists.txt), and after each refusal the host process is
// still here and can load a good library.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugins/loader.h"
#include "plugins/plugin_call.h"
#include "plugins/validate.h"

namespace sf::plugins {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Plugin(const std::string& name) {
  return std::string(SF_TEST_PLUGIN_DIR) + "/" + name + ".so";
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sf_loader_test_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class LoaderTest : public ::testing::TestWithParam<bool> {
 protected:
  LoaderOptions Options() const {
    LoaderOptions o;
    o.probe = GetParam();
    o.probe_timeout = std::chrono::milliseconds(3000);
    o.log = false;
    return o;
  }
  LoadResult Load(const std::string& path, const nlohmann::json& configs = nlohmann::json::object()) {
    Loader loader(registry_, Options());
    return loader.LoadFile(path, configs);
  }
  // The library was refused for a reason containing `rule`, and it left no
  // trace in the registry.
  void ExpectRefused(const std::string& name, const std::string& rule) {
    size_t plugins_before = registry_.plugins().size();
    LoadResult r = Load(Plugin(name));
    EXPECT_FALSE(r.loaded) << name;
    EXPECT_THAT(r.reason, HasSubstr(rule)) << name;
    EXPECT_THAT(r.Message(), HasSubstr("refused " + Plugin(name) + ": "));
    EXPECT_EQ(registry_.plugins().size(), plugins_before) << name;
  }
  // The host is still fine: a good library loads next to whatever happened.
  void ExpectHostStillLoads() {
    LoadResult r = Load(Plugin("tp_variant_ok"));
    EXPECT_TRUE(r.loaded) << r.reason;
    EXPECT_NE(registry_.FindIndicator("variant_ind"), nullptr);
  }
  Registry registry_;
};

TEST_P(LoaderTest, LoadsACompletePluginWithEveryKind) {
  LoadResult r = Load(Plugin("tp_good"));
  ASSERT_TRUE(r.loaded) << r.reason;
  EXPECT_EQ(r.plugin_id, "org.test.good");
  EXPECT_EQ(r.Message(), "loaded " + Plugin("tp_good") + ": org.test.good");
  ASSERT_EQ(registry_.plugins().size(), 1u);
  const PluginInfo& p = registry_.plugins()[0];
  EXPECT_EQ(p.version, "2.3.4");
  EXPECT_EQ(p.name, "Good");
  EXPECT_EQ(p.path, Plugin("tp_good"));
  EXPECT_EQ(p.abi_major, SF_ABI_MAJOR);
  EXPECT_THAT(p.components, ::testing::ElementsAre("provider:good_bars", "indicator:good_sma",
                                                   "model:good_model", "notifier:good_log"));
  const Indicator* sma = registry_.FindIndicator("good_sma");
  ASSERT_NE(sma, nullptr);
  EXPECT_EQ(sma->plugin_id, "org.test.good");
  EXPECT_TRUE(sma->thread_safe);
  EXPECT_FALSE(sma->streaming());
  EXPECT_EQ(sma->metadata["title"], "Simple Moving Average");
  EXPECT_EQ(sma->vt.struct_size, sizeof(sf_indicator_vtable));
  const Provider* prov = registry_.FindProvider("good_bars");
  ASSERT_NE(prov, nullptr);
  EXPECT_FALSE(prov->thread_safe);
  EXPECT_TRUE(prov->serial);
  EXPECT_NE(registry_.FindModel("good_model"), nullptr);
  EXPECT_NE(registry_.FindNotifier("good_log"), nullptr);
  EXPECT_EQ(registry_.FindIndicator("nope"), nullptr);
  EXPECT_EQ(registry_.indicators().size(), 1u);
  EXPECT_EQ(registry_.providers().size(), 1u);
  EXPECT_EQ(registry_.models().size(), 1u);
  EXPECT_EQ(registry_.notifiers().size(), 1u);

  nlohmann::json d = registry_.Describe();
  ASSERT_EQ(d["plugins"].size(), 1u);
  EXPECT_EQ(d["plugins"][0]["id"], "org.test.good");
  EXPECT_EQ(d["plugins"][0]["version"], "2.3.4");
  EXPECT_EQ(d["plugins"][0]["path"], Plugin("tp_good"));
  EXPECT_EQ(d["plugins"][0]["abi"], "1.0");
  EXPECT_EQ(d["plugins"][0]["components"][1],
            (nlohmann::json{{"kind", "indicator"}, {"id", "good_sma"}}));

  // The copied vtable really calls into the library.
  const double close[5] = {1, 2, 3, 4, 5};
  sf_bar_series in{};
  in.struct_size = sizeof in;
  in.count = 5;
  in.close = close;
  auto out = IndicatorCall(*sma, {3}).Compute(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(std::isnan((*out)[0][1]));
  EXPECT_DOUBLE_EQ((*out)[0][2], 2.0);
  EXPECT_DOUBLE_EQ((*out)[0][4], 4.0);
}

TEST_P(LoaderTest, PassesEachPluginItsOwnConfigByPluginId) {
  LoadResult bad = Load(Plugin("tp_config"), {{"org.test.other", {{"answer", 42}}}});
  EXPECT_FALSE(bad.loaded);
  EXPECT_THAT(bad.reason, HasSubstr("init failed (invalid_argument): {}"));
  LoadResult good = Load(Plugin("tp_config"), {{"org.test.config", {{"answer", 42}}}});
  EXPECT_TRUE(good.loaded) << good.reason;
}

TEST_P(LoaderTest, RefusesAFileThatIsNotAnElfObject) {
  TempDir dir;
  WriteFile(dir.File("notes.so"), "this is a text file, not a library\n");
  LoadResult r = Load(dir.File("notes.so"));
  EXPECT_FALSE(r.loaded);
  EXPECT_THAT(r.reason, HasSubstr("not an ELF shared object (bad magic)"));
  WriteFile(dir.File("empty.so"), "");
  EXPECT_THAT(Load(dir.File("empty.so")).reason, HasSubstr("bad magic; the file is empty"));
  EXPECT_THAT(Load(dir.File("absent.so")).reason, HasSubstr("cannot open: No such file"));
  ExpectHostStillLoads();
}

TEST_P(LoaderTest, RefusesATruncatedCopyOfARealLibrary) {
  TempDir dir;
  std::string bytes = ReadFile(Plugin("tp_good"));
  ASSERT_GT(bytes.size(), 4096u);
  WriteFile(dir.File("half.so"), bytes.substr(0, bytes.size() / 2));
  LoadResult r = Load(dir.File("half.so"));
  EXPECT_FALSE(r.loaded);
  EXPECT_THAT(r.reason, HasSubstr("truncated ELF file (" + std::to_string(bytes.size() / 2) +
                                  " bytes"));
  WriteFile(dir.File("tiny.so"), bytes.substr(0, 20));
  EXPECT_THAT(Load(dir.File("tiny.so")).reason, HasSubstr("truncated ELF file (20 bytes"));
  ExpectHostStillLoads();
}

TEST_P(LoaderTest, RefusesALibraryWithoutTheEntrySymbol) {
  ExpectRefused("tp_no_entry", "missing entry symbol sf_plugin_entry");
  EXPECT_THAT(Load(Plugin("tp_no_entry")).reason, HasSubstr("undefined symbol"));
}

TEST_P(LoaderTest, RefusesALibraryDlopenCannotOpenWithDlerrorText) {
  ExpectRefused("tp_unresolved", "dlopen failed: ");
  EXPECT_THAT(Load(Plugin("tp_unresolved")).reason,
              HasSubstr("sf_test_symbol_nobody_defines"));
}

TEST_P(LoaderTest, RefusesAnAbiMajorMismatch) {
  ExpectRefused("tp_abi_major2", "ABI major 2 != host 1");
  EXPECT_EQ(Load(Plugin("tp_abi_major2")).plugin_id, "org.test.abi2");
}

TEST_P(LoaderTest, RefusesAPluginNeedingANewerHostMinor) {
  ExpectRefused("tp_newer_minor", "plugin needs host ABI minor >= 5, host is 1.0");
}

TEST_P(LoaderTest, LoadsAPluginBuiltWithANewerMinorThatRunsOnThisHost) {
  // Built with minor 3, but says it runs on any 1.x host (min_host_minor 0).
  LoadResult r = Load(Plugin("tp_newer_ok"));
  ASSERT_TRUE(r.loaded) << r.reason;
  EXPECT_EQ(registry_.plugins()[0].abi_minor, 3);
  EXPECT_EQ(registry_.Describe()["plugins"][0]["abi"], "1.3");
}

TEST_P(LoaderTest, RefusesMalformedManifests) {
  ExpectRefused("tp_bad_magic", "manifest: magic 0xDEADBEEF != 0x5346504C (\"SFPL\")");
  ExpectRefused("tp_null_id", "id is missing (NULL)");
  ExpectRefused("tp_bad_id", "id \"Not A Dns Name\" has a forbidden character at byte 3");
  ExpectRefused("tp_null_init", "init is missing (NULL)");
  ExpectRefused("tp_size0", "manifest: struct_size 0 is smaller than the minimum " +
                                std::to_string(kMinManifestSize));
  ExpectRefused("tp_size_small", "manifest: struct_size 16 is smaller than the minimum");
  ExpectRefused("tp_entry_null",
                "entry point returned no manifest: this build needs a GPU the host does not have");
  ExpectHostStillLoads();
}

TEST_P(LoaderTest, NamesEveryMismatchingManifestFieldAtOnce) {
  LoadResult r = Load(Plugin("tp_many_wrong"));
  EXPECT_FALSE(r.loaded);
  EXPECT_THAT(r.reason, AllOf(HasSubstr("magic 0x00000001 != 0x5346504C"),
                              HasSubstr("ABI major 3 != host 1"),
                              HasSubstr("version is missing")));
  EXPECT_THAT(r.reason, Not(HasSubstr("init is missing")));
}

TEST_P(LoaderTest, RefusesAPluginWhoseInitFailsWithItsMessage) {
  ExpectRefused("tp_init_fail",
                "init failed (invalid_argument): config key \"api_key\" is required");
}

TEST_P(LoaderTest, RefusesADuplicateComponentIdAcrossPlugins) {
  ASSERT_TRUE(Load(Plugin("tp_good")).loaded);
  ExpectRefused("tp_dup_component",
                "register_indicator: duplicate indicator id \"good_sma\": already registered "
                "by plugin org.test.good (" + Plugin("tp_good") + ")");
  // The first registration is untouched.
  EXPECT_EQ(registry_.FindIndicator("good_sma")->plugin_id, "org.test.good");
}

TEST_P(LoaderTest, RefusesADuplicateComponentIdWithinOnePlugin) {
  ExpectRefused("tp_dup_in_self", "duplicate indicator id \"variant_ind\": already registered "
                                  "by this plugin (org.test.dupself)");
  EXPECT_EQ(registry_.FindIndicator("variant_ind"), nullptr);
}

TEST_P(LoaderTest, RefusesADuplicatePluginId) {
  ASSERT_TRUE(Load(Plugin("tp_good")).loaded);
  ExpectRefused("tp_dup_plugin", "duplicate plugin id \"org.test.good\": already loaded from " +
                                     Plugin("tp_good"));
  EXPECT_EQ(registry_.FindIndicator("other_ind"), nullptr);
}

TEST_P(LoaderTest, RefusesAVtableMissingARequiredFunctionNamingIt) {
  ExpectRefused("tp_missing_fn",
                "register_provider: provider \"missing_fn\": required function fetch_bars is NULL");
}

TEST_P(LoaderTest, RefusesPartialStreamingFunctions) {
  ExpectRefused("tp_partial_stream",
                "stream functions must be all set or all NULL (stream_create set, stream_update "
                "NULL, stream_destroy set)");
}

TEST_P(LoaderTest, RefusesBadMetadata) {
  ExpectRefused("tp_bad_metadata", "indicator \"bad_metadata\": metadata_json is not valid JSON");
  ExpectRefused("tp_count_mismatch", "param_count 2 != metadata params length 1");
}

TEST_P(LoaderTest, ARefusedLibraryRegistersNothing) {
  ExpectRefused("tp_rollback", "notifier \"bad_notifier\": required function send is NULL");
  // It had registered a valid indicator before the bad notifier.
  EXPECT_EQ(registry_.FindIndicator("rollback_ok"), nullptr);
  EXPECT_TRUE(registry_.indicators().empty());
  EXPECT_TRUE(registry_.Describe()["plugins"].empty());
}

TEST_P(LoaderTest, LoadsAPluginBuiltAgainstAnOlderSmallerLayout) {
  LoadResult r = Load(Plugin("tp_old_layout"));
  ASSERT_TRUE(r.loaded) << r.reason;
  ASSERT_EQ(registry_.plugins().size(), 1u);
  EXPECT_EQ(registry_.plugins()[0].shutdown, nullptr);  // not in the old manifest
  const Indicator* ind = registry_.FindIndicator("old_plus_one");
  ASSERT_NE(ind, nullptr);
  EXPECT_EQ(ind->vt.struct_size, sizeof(sf_indicator_vtable));  // host-size copy
  EXPECT_EQ(ind->vt.stream_create, nullptr);
  EXPECT_EQ(ind->vt.stream_update, nullptr);
  EXPECT_EQ(ind->vt.stream_destroy, nullptr);
  EXPECT_FALSE(ind->streaming());
  const Provider* prov = registry_.FindProvider("old_provider");
  ASSERT_NE(prov, nullptr);
  EXPECT_EQ(prov->vt.fetch_news, nullptr);
  EXPECT_EQ(prov->vt.poll, nullptr);
  EXPECT_NE(prov->vt.fetch_bars, nullptr);
  // And it works.
  const double close[2] = {1.5, 2.5};
  sf_bar_series in{};
  in.count = 2;
  in.close = close;
  auto out = IndicatorCall(*ind, {}).Compute(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_DOUBLE_EQ((*out)[0][1], 3.5);
  auto stream = IndicatorStream::Open(*ind, {});
  EXPECT_EQ(stream.status().code(), SF_ERR_UNSUPPORTED);
}

TEST_P(LoaderTest, DirectoryLoadKeepsTheGoodAndReportsEachBadOne) {
  TempDir dir;
  fs::copy_file(Plugin("tp_good"), dir.File("a_good.so"));
  fs::copy_file(Plugin("tp_abi_major2"), dir.File("b_abi2.so"));
  WriteFile(dir.File("c_text.so"), "plain text\n");
  std::string bytes = ReadFile(Plugin("tp_variant_ok"));
  WriteFile(dir.File("d_truncated.so"), bytes.substr(0, bytes.size() / 3));
  fs::copy_file(Plugin("tp_missing_fn"), dir.File("e_missing.so"));
  fs::copy_file(Plugin("tp_variant_ok"), dir.File("f_variant.so"));
  WriteFile(dir.File("README.txt"), "not a plugin, ignored\n");
  fs::create_directory(dir.File("sub.so"));  // not a regular file: ignored

  Loader loader(registry_, Options());
  auto results = loader.LoadDirectories({dir.path(), dir.File("no_such_dir")});
  ASSERT_EQ(results.size(), 7u);
  EXPECT_TRUE(results[0].loaded) << results[0].reason;
  EXPECT_THAT(results[1].reason, HasSubstr("ABI major 2 != host 1"));
  EXPECT_THAT(results[2].reason, HasSubstr("not an ELF shared object (bad magic)"));
  EXPECT_THAT(results[3].reason, HasSubstr("truncated ELF file"));
  EXPECT_THAT(results[4].reason, HasSubstr("required function fetch_bars is NULL"));
  EXPECT_TRUE(results[5].loaded) << results[5].reason;
  EXPECT_EQ(results[6].path, dir.File("no_such_dir"));
  EXPECT_THAT(results[6].reason, HasSubstr("does not exist"));
  EXPECT_EQ(registry_.plugins().size(), 2u);
  EXPECT_NE(registry_.FindIndicator("good_sma"), nullptr);
  EXPECT_NE(registry_.FindIndicator("variant_ind"), nullptr);
  EXPECT_EQ(registry_.FindProvider("missing_fn"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(ProbeOnAndOff, LoaderTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Probe" : "InProcess"; });

// Crashing and hanging plugins need the probe: without it they would take
// the test process down, which is exactly what the probe prevents.
class ProbeTest : public ::testing::Test {
 protected:
  LoadResult Load(const std::string& name, int timeout_ms = 3000) {
    LoaderOptions o;
    o.probe = true;
    o.probe_timeout = std::chrono::milliseconds(timeout_ms);
    o.log = false;
    return Loader(registry_, o).LoadFile(Plugin(name));
  }
  Registry registry_;
};

TEST_F(ProbeTest, RefusesAPluginThatSegfaultsInInitAndTheHostSurvives) {
  LoadResult r = Load("tp_segv");
  EXPECT_FALSE(r.loaded);
  EXPECT_THAT(r.reason, HasSubstr("crashed with SIGSEGV (Segmentation fault) during init"));
  EXPECT_EQ(r.plugin_id, "org.test.segv");
  EXPECT_TRUE(registry_.plugins().empty());
  EXPECT_TRUE(Load("tp_good").loaded);
}

TEST_F(ProbeTest, RefusesAPluginThatAbortsInInit) {
  LoadResult r = Load("tp_abort");
  EXPECT_FALSE(r.loaded);
  EXPECT_THAT(r.reason, HasSubstr("crashed with SIGABRT"));
  EXPECT_THAT(r.reason, HasSubstr("during init"));
}

TEST_F(ProbeTest, RefusesAPluginThatHangsInInit) {
  auto start = std::chrono::steady_clock::now();
  LoadResult r = Load("tp_hang", 500);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.loaded);
  EXPECT_THAT(r.reason, HasSubstr("timed out after 500 ms during init"));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_TRUE(Load("tp_good").loaded);
}

TEST_F(ProbeTest, RefusesAPluginThatExitsInInit) {
  LoadResult r = Load("tp_exit");
  EXPECT_FALSE(r.loaded);
  EXPECT_THAT(r.reason, HasSubstr("exited with status 3 during init"));
}

TEST_F(ProbeTest, TheChildSeesTheRegistrySoDuplicatesAreRefusedThere) {
  ASSERT_TRUE(Load("tp_good").loaded);
  LoadResult r = Load("tp_dup_component");
  EXPECT_THAT(r.reason, HasSubstr("duplicate indicator id \"good_sma\""));
}

}  // namespace
}  // namespace sf::plugins
