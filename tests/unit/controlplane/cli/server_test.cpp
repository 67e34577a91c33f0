// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/cli/server: socket and directory modes, stale sockets, a second
// listener refused, request/reply over a real socket, oversize requests.
#include "controlplane/cli/server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace l2tpgw::cp {
namespace {

using namespace std::chrono_literals;

class CliServerTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/l2tpgw-cli-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/sub/cp.sock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int connect_client() {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0) << std::strerror(errno);
    return fd;
  }
  // Sends `bytes`, then runs the loop until one whole reply frame arrived (or EOF/deadline).
  std::optional<Reply> exchange(EventLoop& loop, int fd, const std::string& bytes, bool* eof = nullptr) {
    if (!bytes.empty()) {
      EXPECT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
    }
    FrameDecoder d(kMaxReply);
    std::string payload;
    const TimePoint end = EventLoop::now() + 5s;
    while (EventLoop::now() < end) {
      loop.run_once(10ms);
      char buf[65536];
      const ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) d.feed(std::string_view(buf, static_cast<size_t>(n)));
      if (d.next(&payload) == FrameDecoder::Status::Frame) return decode_reply(payload);
      if (n == 0) {
        if (eof) *eof = true;
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::string dir_, path_;
};

TEST_F(CliServerTest, SocketIsRootOnlyAndAnswers) {
  EventLoop loop;
  std::vector<std::string> seen;
  CliServer srv(loop, [&](std::string_view cmd) {
    seen.emplace_back(cmd);
    return Reply{ReplyStatus::Ok, "you said " + std::string(cmd)};
  });
  std::string err;
  ASSERT_TRUE(srv.start(path_, &err)) << err;
  struct stat st{};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir_ + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "a directory the server creates is private too";

  const int fd = connect_client();
  auto r = exchange(loop, fd, encode_request("show status tunnel"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, ReplyStatus::Ok);
  EXPECT_EQ(r->text, "you said show status tunnel");
  // A second request on the same connection, split across two writes.
  const std::string req = encode_request("help");
  EXPECT_EQ(send(fd, req.data(), 3, MSG_NOSIGNAL), 3);
  loop.run_once(10ms);
  r = exchange(loop, fd, req.substr(3));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "you said help");
  EXPECT_EQ(srv.clients(), 1u);
  close(fd);
  const TimePoint end = EventLoop::now() + 5s;
  while (srv.clients() && EventLoop::now() < end) loop.run_once(10ms);
  EXPECT_EQ(srv.clients(), 0u);
  srv.stop();
  EXPECT_FALSE(std::filesystem::exists(path_)) << "stop() removes the socket file";
}

TEST_F(CliServerTest, OversizeRequestIsAnsweredOnceAndClosed) {
  EventLoop loop;
  int calls = 0;
  CliServer srv(loop, [&](std::string_view) {
    ++calls;
    return Reply{};
  });
  std::string err;
  ASSERT_TRUE(srv.start(path_, &err)) << err;
  const int fd = connect_client();
  auto r = exchange(loop, fd, std::string("\x00\x01\x00\x00", 4));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, ReplyStatus::Error);
  EXPECT_EQ(r->text, "request too large");
  bool eof = false;
  EXPECT_FALSE(exchange(loop, fd, "", &eof));
  EXPECT_TRUE(eof);
  EXPECT_EQ(calls, 0);
  close(fd);
}

TEST_F(CliServerTest, StaleSocketIsReplacedButALiveOneIsNot) {
  EventLoop loop;
  auto h = [](std::string_view) { return Reply{}; };
  {
    CliServer first(loop, h);
    std::string err;
    ASSERT_TRUE(first.start(path_, &err)) << err;
    CliServer second(loop, h);
    EXPECT_FALSE(second.start(path_, &err));
    EXPECT_NE(err.find("another process"), std::string::npos) << err;
    EXPECT_TRUE(std::filesystem::exists(path_)) << "the refused one leaves the live socket alone";
  }
  // Leave a socket file nobody listens on, as a killed controlplane does.
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  close(fd);
  CliServer third(loop, h);
  std::string err;
  EXPECT_TRUE(third.start(path_, &err)) << err;
  // A regular file in the way is not touched.
  third.stop();
  { std::FILE* f = std::fopen(path_.c_str(), "w"); std::fclose(f); }
  CliServer fourth(loop, h);
  EXPECT_FALSE(fourth.start(path_, &err));
  EXPECT_NE(err.find("not a socket"), std::string::npos) << err;
}

// The 0600 mode keeps other users out; SO_PEERCRED keeps them out even when the mode is
// loosened (or the socket reached through a passed descriptor).
TEST_F(CliServerTest, OtherUsersAreRefusedEvenThroughAnOpenedUpSocket) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  EventLoop loop;
  int calls = 0;
  CliServer srv(loop, [&](std::string_view) {
    ++calls;
    return Reply{ReplyStatus::Ok, "secret"};
  });
  std::string err;
  ASSERT_TRUE(srv.start(path_, &err)) << err;
  // Through the mode: nobody cannot even connect.
  auto as_nobody = [&](bool expect_connect) {
    const pid_t child = fork();
    if (child == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
      const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
      if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) _exit(errno == EACCES ? 20 : 21);
      const std::string req = encode_request("show ipsec sa");
      // The server may already have refused and hung up: the refusal is still there to read.
      [[maybe_unused]] ssize_t sent = send(fd, req.data(), req.size(), MSG_NOSIGNAL);
      FrameDecoder d(kMaxReply);
      std::string payload;
      char buf[4096];
      for (;;) {
        const ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) _exit(31);
        d.feed(std::string_view(buf, static_cast<size_t>(n)));
        if (d.next(&payload) == FrameDecoder::Status::Frame) break;
      }
      auto r = decode_reply(payload);
      _exit(r && r->status == ReplyStatus::Error && r->text.find("permission denied") != std::string::npos ? 40 : 41);
    }
    int status = 0;
    const TimePoint end = EventLoop::now() + 10s;
    while (waitpid(child, &status, WNOHANG) == 0 && EventLoop::now() < end) loop.run_once(10ms);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), expect_connect ? 40 : 20);
  };
  // The directory is 0700 and the socket 0600.
  chmod(dir_.c_str(), 0755);
  chmod((dir_ + "/sub").c_str(), 0755);
  as_nobody(false);
  chmod(path_.c_str(), 0666);
  as_nobody(true);
  EXPECT_EQ(calls, 0) << "the handler never saw the other user's command";
  EXPECT_EQ(srv.refused(), 1u);
}

TEST_F(CliServerTest, PathTooLongIsAnError) {
  EventLoop loop;
  CliServer srv(loop, [](std::string_view) { return Reply{}; });
  std::string err;
  EXPECT_FALSE(srv.start("/tmp/" + std::string(200, 'x'), &err));
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace l2tpgw::cp
