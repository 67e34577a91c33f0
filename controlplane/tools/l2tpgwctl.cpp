// SPDX-License-Identifier: Apache-2.0
// l2tpgwctl: the operator CLI. Sends one command to l2tpgw-controlplane over its UNIX socket
// (controlplane/cli/protocol.hpp) and prints the answer.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "controlplane/cli/protocol.hpp"

namespace {

namespace po = boost::program_options;
using namespace l2tpgw::cp;

// Exit statuses (documented in --help).
constexpr int kExitOk = 0;
constexpr int kExitError = 1;         // the controlplane refused the command
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;   // no controlplane on the socket, or it hung up
constexpr int kExitNotAvailable = 4;  // understood, but not available (yet)

int fail(int code, const std::string& msg) {
  std::fprintf(stderr, "l2tpgwctl: %s\n", msg.c_str());
  return code;
}

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path = kDefaultSocket;
  unsigned timeout_s = 10;
  std::vector<std::string> words;
  po::options_description desc(
      "Usage: l2tpgwctl [options] COMMAND...\n"
      "Talks to l2tpgw-controlplane. Commands (`l2tpgwctl help` lists them):\n"
      "  show status tunnel [ID] | show status l2tp [tunnel ID] | show status pp anonymous|N\n"
      "  show ipsec sa | show counters | show config | load config [FILE]\n"
      "  disconnect session ID | disconnect tunnel ID\n"
      "Exit status: 0 done, 1 the controlplane refused the command (message on stderr),\n"
      "2 usage, 3 no controlplane reachable, 4 not available (yet).\nOptions");
  desc.add_options()
      ("help,h", "show this help")
      ("socket", po::value<std::string>(&socket_path)->default_value(kDefaultSocket),
       "the controlplane's CLI socket (its --socket)")
      ("timeout", po::value<unsigned>(&timeout_s)->default_value(10), "seconds to wait for the answer");
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::vector<std::string>>(&words));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("command", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return fail(kExitUsage, std::string(e.what()) + " (see --help)");
  }
  if (vm.count("help") || words.empty()) {
    std::cout << desc << "\n";
    return words.empty() && !vm.count("help") ? kExitUsage : kExitOk;
  }
  std::string line;
  for (const std::string& w : words) line += (line.empty() ? "" : " ") + w;
  if (line.size() > kMaxRequest) return fail(kExitUsage, "command too long");

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) return fail(kExitUsage, "--socket: path too long");
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(kExitUnreachable, std::string("socket: ") + std::strerror(errno));
  timeval tv{static_cast<time_t>(timeout_s), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return fail(kExitUnreachable, "cannot reach l2tpgw-controlplane at " + socket_path + ": " + std::strerror(errno) +
                                      (errno == EACCES ? " (the CLI is for root)" : ""));
  if (!write_all(fd, encode_request(line))) return fail(kExitUnreachable, "the controlplane hung up");
  FrameDecoder dec(kMaxReply);
  std::string payload;
  char buf[65536];
  for (;;) {
    const FrameDecoder::Status st = dec.next(&payload);
    if (st == FrameDecoder::Status::Frame) break;
    if (st == FrameDecoder::Status::TooLarge) return fail(kExitUnreachable, "reply too large");
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return fail(kExitUnreachable, "no answer within " + std::to_string(timeout_s) + " s");
    if (n <= 0) return fail(kExitUnreachable, "the controlplane hung up without answering");
    dec.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  close(fd);
  const auto reply = decode_reply(payload);
  if (!reply) return fail(kExitUnreachable, "malformed reply");
  switch (reply->status) {
    case ReplyStatus::Ok:
      std::fwrite(reply->text.data(), 1, reply->text.size(), stdout);
      return kExitOk;
    case ReplyStatus::Error:
      std::fprintf(stderr, "l2tpgwctl: %s", reply->text.c_str());
      return kExitError;
    case ReplyStatus::NotAvailable:
      std::fprintf(stderr, "l2tpgwctl: %s", reply->text.c_str());
      return kExitNotAvailable;
  }
  return kExitUnreachable;
}
