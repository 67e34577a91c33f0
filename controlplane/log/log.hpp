// SPDX-License-Identifier: Apache-2.0
// Controlplane logging: stderr or syslog, one line per event.
//
// Protocol lines use the wording of Yamaha's SYSLOG tables with their prefix ("[L2TP] TUNNEL[1]
// connected from 203.0.113.1", seed 000 "SYSLOG"); the controlplane's own lines are prefixed
// "[CP]". On stderr a line reads like `show log` on an RTX: "2023/09/29 16:52:22: [L2TP] ...".
// Keys, pre-shared keys and passwords are never passed here (callers format only public
// values), so no line can carry a secret.
//
// Thread context: the controlplane loop (not thread-safe; DPDK's own threads log through
// rte_log, not here).
#pragma once

#include <cstdarg>
#include <string>
#include <string_view>
#include <vector>

namespace l2tpgw::cp {

enum class LogLevel : uint8_t { Debug, Info, Notice, Warning, Error };
enum class LogSink : uint8_t { Stderr, Syslog };

constexpr std::string_view to_string(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Notice: return "notice";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

// Configures the process-wide logger. `ident` names the program in syslog.
void log_init(LogSink sink, std::string ident, LogLevel min_level);
// Redirects lines to `lines` (tests); nullptr restores the configured sink.
void log_capture(std::vector<std::string>* lines);

void log_line(LogLevel level, std::string_view msg);
[[gnu::format(printf, 2, 3)]] void logf(LogLevel level, const char* fmt, ...);

// The text of a stderr line for `msg` at `unix_time` (local time), without the newline.
std::string format_stderr_line(LogLevel level, std::string_view msg, long unix_time);

}  // namespace l2tpgw::cp
