// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/daemon/attach: probing a DPDK runtime directory without the EAL (a
// child process stands in for the primary and its fcntl lock), the single-writer lock, the
// EAL arguments.
#include "controlplane/daemon/attach.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace l2tpgw::cp {
namespace {

class AttachTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/l2tpgw-attach-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

// A child that write-locks part of `path` the way a DPDK primary does (a range inside the
// file) and holds it until its pipe closes. Returns its pid; `release` ends it.
pid_t fake_primary(const std::string& path, int* release) {
  int go[2], ready[2];
  EXPECT_EQ(pipe(go), 0);
  EXPECT_EQ(pipe(ready), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(go[1]);
    close(ready[0]);
    const int fd = open(path.c_str(), O_RDWR | O_CREAT, 0600);
    struct flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 128;
    fl.l_len = 4096;
    if (fd < 0 || ftruncate(fd, 8192) != 0 || fcntl(fd, F_SETLK, &fl) != 0) _exit(1);
    char c = 1;
    if (write(ready[1], &c, 1) != 1) _exit(1);
    [[maybe_unused]] ssize_t n = read(go[0], &c, 1);  // until the parent closes its end
    _exit(0);
  }
  close(go[0]);
  close(ready[1]);
  char c;
  EXPECT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  *release = go[1];
  return pid;
}

TEST_F(AttachTest, ProbeTellsRunningStaleAndAbsentApart) {
  const std::string config = dir_ + "/config";
  DataplaneProbe p = probe_config_file(config);
  EXPECT_EQ(p.state, DataplaneProbe::State::Absent);
  EXPECT_NE(p.detail.find(config), std::string::npos);
  int release = -1;
  const pid_t primary = fake_primary(config, &release);
  p = probe_config_file(config);
  EXPECT_EQ(p.state, DataplaneProbe::State::Running);
  EXPECT_EQ(p.pid, primary);
  close(release);
  int status;
  ASSERT_EQ(waitpid(primary, &status, 0), primary);
  // The file outlives its primary; the lock does not.
  p = probe_config_file(config);
  EXPECT_EQ(p.state, DataplaneProbe::State::Stale);
  EXPECT_EQ(p.pid, 0);
}

TEST_F(AttachTest, RuntimeDirFollowsDpdk) {
  if (geteuid() == 0) {
    EXPECT_EQ(dpdk_runtime_dir("l2gw-x"), "/var/run/dpdk/l2gw-x");
    EXPECT_EQ(dpdk_runtime_dir(""), "/var/run/dpdk/rte");
  }
  EXPECT_EQ(instance_lock_path("p").substr(instance_lock_path("p").rfind('/')), "/l2tpgw-controlplane.lock");
}

TEST_F(AttachTest, InstanceLockHasOneHolder) {
  const std::string path = dir_ + "/l2tpgw-controlplane.lock";
  EXPECT_EQ(instance_lock_holder(path), 0) << "no file: nobody";
  InstanceLock a;
  std::string err;
  ASSERT_TRUE(a.acquire(path, &err)) << err;
  EXPECT_EQ(instance_lock_holder(path), getpid());
  InstanceLock b;  // a second open file description conflicts even within one process
  EXPECT_FALSE(b.acquire(path, &err));
  EXPECT_NE(err.find("pid " + std::to_string(getpid())), std::string::npos) << err;
  EXPECT_NE(err.find("already have a writer"), std::string::npos) << err;
  a.release();
  EXPECT_EQ(instance_lock_holder(path), 0);
  EXPECT_TRUE(b.acquire(path, &err)) << err;
}

TEST_F(AttachTest, TheLockDiesWithItsHolder) {
  const std::string path = dir_ + "/l2tpgw-controlplane.lock";
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(go[1]);
    InstanceLock l;
    std::string e;
    if (!l.acquire(path, &e)) _exit(1);
    char c;
    [[maybe_unused]] ssize_t n = read(go[0], &c, 1);
    _exit(0);
  }
  close(go[0]);
  // Wait until the child holds it (a condition, not a sleep).
  for (int i = 0; i < 5000 && instance_lock_holder(path) != child; ++i) usleep(1000);
  EXPECT_EQ(instance_lock_holder(path), child);
  InstanceLock mine;
  std::string err;
  EXPECT_FALSE(mine.acquire(path, &err));
  kill(child, SIGKILL);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  close(go[1]);
  EXPECT_TRUE(mine.acquire(path, &err)) << "a SIGKILLed holder's lock is gone: " << err;
}

TEST_F(AttachTest, EalArgumentsUseOurOwnLcoreOnEveryAllowedCpu) {
  const auto args = eal_secondary_args("l2tpgw-controlplane", "l2gw-abc", 127);
  EXPECT_EQ(args[0], "l2tpgw-controlplane");
  EXPECT_NE(std::find(args.begin(), args.end(), "--proc-type=secondary"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "--file-prefix=l2gw-abc"), args.end());
  auto lc = std::find_if(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--lcores=", 0) == 0; });
  ASSERT_NE(lc, args.end());
  EXPECT_EQ(lc->rfind("--lcores=127@(", 0), 0u) << *lc;
  EXPECT_EQ(lc->back(), ')');
  const auto no_prefix = eal_secondary_args("x", "", 5);
  EXPECT_TRUE(std::none_of(no_prefix.begin(), no_prefix.end(),
                           [](const std::string& a) { return a.rfind("--file-prefix", 0) == 0; }));
}

TEST_F(AttachTest, AttemptComesFromTheEnvironment) {
  unsetenv(kAttemptEnv);
  EXPECT_EQ(current_attempt(), 0u);
  EXPECT_FALSE(reexecuted());
  setenv(kAttemptEnv, "0", 1);
  EXPECT_EQ(current_attempt(), 0u);
  EXPECT_TRUE(reexecuted());
  setenv(kAttemptEnv, "3", 1);
  EXPECT_EQ(current_attempt(), 3u);
  unsetenv(kAttemptEnv);
}

}  // namespace
}  // namespace l2tpgw::cp
