// GoogleTest main for the vendor and news plugin suites: a host ignores
// SIGPIPE (a vendor closing a socket mid-write must not kill the process),
// so the tests do too.
#include <gtest/gtest.h>

#include <csignal>

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
