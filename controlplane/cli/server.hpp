// SPDX-License-Identifier: Apache-2.0
// CliServer: the controlplane's operator socket (UNIX stream, mode 0600, root or our own uid
// only), serving protocol.hpp frames on the event loop.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "controlplane/cli/protocol.hpp"
#include "controlplane/loop/event_loop.hpp"

namespace l2tpgw::cp {

class CliServer {
 public:
  using Handler = std::function<Reply(std::string_view command)>;

  static constexpr size_t kMaxClients = 16;
  static constexpr Duration kIdleTimeout = std::chrono::seconds(60);

  CliServer(EventLoop& loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {}
  ~CliServer() { stop(); }
  CliServer(const CliServer&) = delete;
  CliServer& operator=(const CliServer&) = delete;

  // Creates the socket's directory (mode 0700) when missing, replaces a stale socket file
  // (one nobody listens on) and listens with mode 0600. Fails, changing nothing, when another
  // process listens on `path`.
  bool start(const std::string& path, std::string* error);
  // Closes every connection and the listener, and removes the socket file.
  void stop();

  size_t clients() const { return conns_.size(); }
  uint64_t refused() const { return refused_; }  // wrong uid or too many clients

 private:
  struct Conn {
    int fd = -1;
    uint64_t id = 0;
    FrameDecoder in{kMaxRequest};
    std::string out;
    size_t out_pos = 0;
    bool closing = false;  // peer finished sending: close once `out` is flushed
    TimerSlot idle;
  };
  void on_accept();
  void on_conn(uint64_t id, uint32_t events);
  void serve(Conn& c);
  bool flush(Conn& c);  // false: the connection died
  void close_conn(uint64_t id);
  void reject(int fd, std::string_view why);

  EventLoop& loop_;
  Handler handler_;
  std::string path_;
  int listen_fd_ = -1;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Conn>> conns_;
  uint64_t refused_ = 0;
};

}  // namespace l2tpgw::cp
