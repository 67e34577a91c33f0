// SPDX-License-Identifier: Apache-2.0
// Controlplane logging: sink selection, RTX-style stderr lines, syslog priorities.
#include "controlplane/log/log.hpp"

#include <syslog.h>

#include <cstdio>
#include <ctime>

namespace l2tpgw::cp {
namespace {

struct LogState {
  LogSink sink = LogSink::Stderr;
  LogLevel min_level = LogLevel::Info;
  std::string ident = "l2tpgw-controlplane";
  std::vector<std::string>* capture = nullptr;
};

LogState& state() {
  static LogState s;
  return s;
}

int syslog_priority(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return LOG_DEBUG;
    case LogLevel::Info: return LOG_INFO;
    case LogLevel::Notice: return LOG_NOTICE;
    case LogLevel::Warning: return LOG_WARNING;
    case LogLevel::Error: return LOG_ERR;
  }
  return LOG_INFO;
}

}  // namespace

void log_init(LogSink sink, std::string ident, LogLevel min_level) {
  LogState& s = state();
  if (s.sink == LogSink::Syslog) closelog();
  s.sink = sink;
  s.ident = std::move(ident);
  s.min_level = min_level;
  if (sink == LogSink::Syslog) openlog(s.ident.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_capture(std::vector<std::string>* lines) { state().capture = lines; }

std::string format_stderr_line(LogLevel level, std::string_view msg, long unix_time) {
  const time_t t = static_cast<time_t>(unix_time);
  tm tmv{};
  localtime_r(&t, &tmv);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y/%m/%d %H:%M:%S", &tmv);
  std::string line = stamp;
  line += ": ";
  if (level >= LogLevel::Warning) {
    line += to_string(level);
    line += ": ";
  }
  line += msg;
  return line;
}

void log_line(LogLevel level, std::string_view msg) {
  LogState& s = state();
  if (level < s.min_level) return;
  if (s.capture) {
    s.capture->emplace_back(msg);
    return;
  }
  if (s.sink == LogSink::Syslog) {
    syslog(syslog_priority(level), "%.*s", static_cast<int>(msg.size()), msg.data());
    return;
  }
  const std::string line = format_stderr_line(level, msg, static_cast<long>(std::time(nullptr)));
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

void logf(LogLevel level, const char* fmt, ...) {
  if (level < state().min_level) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  log_line(level, std::string_view(buf, static_cast<size_t>(n) < sizeof(buf) ? n : sizeof(buf) - 1));
}

}  // namespace l2tpgw::cp
