// SPDX-License-Identifier: Apache-2.0
// CliServer: listen, check the peer's credentials, read frames, answer, flush.
#include "controlplane/cli/server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace l2tpgw::cp {
namespace {

bool make_addr(const std::string& path, sockaddr_un* addr, std::string* error) {
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) {
    *error = "socket path must be 1.." + std::to_string(sizeof(addr->sun_path) - 1) + " bytes";
    return false;
  }
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  std::memcpy(addr->sun_path, path.c_str(), path.size());
  return true;
}

// True when some process accepts connections on `path`.
bool someone_listens(const sockaddr_un& addr) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool yes = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return yes;
}

}  // namespace

bool CliServer::start(const std::string& path, std::string* error) {
  sockaddr_un addr;
  if (!make_addr(path, &addr, error)) return false;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      // Only root (or our uid) may even look for the socket in a directory we create.
      const mode_t old = umask(0077);
      std::filesystem::create_directories(dir, ec);
      umask(old);
      if (ec) {
        *error = "cannot create " + dir.string() + ": " + ec.message();
        return false;
      }
    }
  }
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = path + " exists and is not a socket";
      return false;
    }
    if (someone_listens(addr)) {
      *error = "another process (another l2tpgw-controlplane?) listens on " + path;
      return false;
    }
    unlink(path.c_str());  // stale: left by a controlplane that was killed
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  // 0600 from the start: there is no window in which the socket is more open.
  const mode_t old = umask(0177);
  const int rc = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  umask(old);
  if (rc != 0 || chmod(path.c_str(), 0600) != 0 || listen(fd, 16) != 0) {
    *error = "cannot listen on " + path + ": " + std::strerror(errno);
    close(fd);
    return false;
  }
  if (!loop_.add_fd(fd, EPOLLIN, [this](uint32_t) { on_accept(); })) {
    *error = "cannot watch the CLI socket";
    close(fd);
    unlink(path.c_str());
    return false;
  }
  listen_fd_ = fd;
  path_ = path;
  return true;
}

void CliServer::stop() {
  while (!conns_.empty()) close_conn(conns_.begin()->first);
  if (listen_fd_ >= 0) {
    loop_.remove_fd(listen_fd_);
    close(listen_fd_);
    listen_fd_ = -1;
    unlink(path_.c_str());
  }
}

void CliServer::reject(int fd, std::string_view why) {
  ++refused_;
  const std::string r = encode_reply(Reply{ReplyStatus::Error, std::string(why)});
  // Best effort on a fresh socket: the reply fits its send buffer.
  [[maybe_unused]] ssize_t n = send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  close(fd);
}

void CliServer::on_accept() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or an error that the next readiness will show again
    ucred cred{};
    socklen_t len = sizeof(cred);
    // The 0600 mode already keeps others out; the credential check also covers a socket
    // reached through a file descriptor passed on by a privileged process.
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        (cred.uid != 0 && cred.uid != geteuid())) {
      reject(fd, "permission denied: the l2tpgw CLI is for root");
      continue;
    }
    if (conns_.size() >= kMaxClients) {
      reject(fd, "too many CLI clients connected; try again");
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->id = next_id_++;
    const uint64_t id = c->id;
    if (!loop_.add_fd(fd, EPOLLIN | EPOLLRDHUP, [this, id](uint32_t ev) { on_conn(id, ev); })) {
      close(fd);
      continue;
    }
    c->idle.arm(loop_, kIdleTimeout, [this, id] { close_conn(id); });
    conns_.emplace(id, std::move(c));
  }
}

void CliServer::on_conn(uint64_t id, uint32_t events) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (events & EPOLLIN) {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(c.fd, buf, sizeof(buf));
      if (n > 0) {
        c.in.feed(std::string_view(buf, static_cast<size_t>(n)));
        continue;
      }
      if (n == 0) c.closing = true;
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close_conn(id);
        return;
      }
      break;
    }
    c.idle.arm(loop_, kIdleTimeout, [this, id] { close_conn(id); });
    serve(c);
    if (conns_.find(id) == conns_.end()) return;
  } else if (events & (EPOLLHUP | EPOLLERR)) {
    close_conn(id);
    return;
  }
  if (!flush(c)) {
    close_conn(id);
    return;
  }
  if (c.closing && c.out_pos == c.out.size()) close_conn(id);
}

void CliServer::serve(Conn& c) {
  std::string request;
  for (;;) {
    const FrameDecoder::Status s = c.in.next(&request);
    if (s == FrameDecoder::Status::NeedMore) return;
    if (s == FrameDecoder::Status::TooLarge) {
      // The stream cannot be resynchronised: answer once and hang up.
      c.out += encode_reply(Reply{ReplyStatus::Error, "request too large"});
      c.closing = true;
      return;
    }
    c.out += encode_reply(handler_(request));
  }
}

bool CliServer::flush(Conn& c) {
  while (c.out_pos < c.out.size()) {
    const ssize_t n = send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      loop_.modify_fd(c.fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
  c.out.clear();
  c.out_pos = 0;
  loop_.modify_fd(c.fd, EPOLLIN | EPOLLRDHUP);
  return true;
}

void CliServer::close_conn(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  c.idle.cancel(loop_);
  loop_.remove_fd(c.fd);
  close(c.fd);
  conns_.erase(it);
}

}  // namespace l2tpgw::cp
