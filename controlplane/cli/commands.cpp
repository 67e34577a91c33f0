// SPDX-License-Identifier: Apache-2.0
// Operator commands: word matching, argument checks, dispatch to the renderers and teardown.
#include "controlplane/cli/commands.hpp"

#include <charconv>
#include <functional>
#include <ctime>
#include <vector>

namespace l2tpgw::cp {
namespace {

Reply ok(std::string text) { return Reply{ReplyStatus::Ok, std::move(text)}; }
Reply error(std::string text) { return Reply{ReplyStatus::Error, std::move(text) + "\n"}; }

std::optional<uint16_t> parse_id(const std::string& s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 0xffff) return std::nullopt;
  return static_cast<uint16_t>(v);
}

Reply not_attached(const CliEnv& env) {
  return Reply{ReplyStatus::NotAvailable,
               "the controlplane is not attached to the dataplane: " + env.not_attached + "\n"};
}

ShowSnapshot snapshot(const CliEnv& env) {
  const long now = env.now ? env.now() : static_cast<long>(std::time(nullptr));
  ShowSnapshot s = take_snapshot(*env.installer, env.wan_addr, env.lan_addr, now);
  if (env.annotate) env.annotate(s);
  return s;
}

Reply teardown_reply(CliEnv& env, const TeardownResult& r) {
  if (!r.ok()) return error(r.error);
  if (env.on_teardown) env.on_teardown(r);
  std::string text;
  for (const auto& [tid, sid] : r.sessions)
    text += "session " + std::to_string(sid) + " (tunnel " + std::to_string(tid) + ") disconnected\n";
  for (uint16_t tid : r.tunnels) text += "tunnel " + std::to_string(tid) + " removed\n";
  if (!r.sas.empty()) text += std::to_string(r.sas.size()) + " IPsec SA(s) removed\n";
  return ok(text);
}

Reply run_show(CliEnv& env, const std::vector<std::string>& w) {
  // w[0] == "show". Arguments are checked first: a usage error is one whatever the state.
  if (w.size() >= 2 && w[1] == "config") {
    if (w.size() != 2) return error("usage: show config");
    if (!env.config.show)
      return Reply{ReplyStatus::NotAvailable,
                   "show config: not yet available (this build has no configuration parser)" +
                       (env.config.path.empty() ? std::string() : "; configuration file: " + env.config.path) + "\n"};
    return env.config.show();
  }
  std::function<Reply()> action;
  if (w.size() >= 2 && w[1] == "counters") {
    if (w.size() != 2) return error("usage: show counters");
    action = [&] {
      if (!env.counters) return Reply{ReplyStatus::NotAvailable, "show counters: no counter source\n"};
      CounterSnapshot c = env.counters();
      if (env.annotate_counters) env.annotate_counters(c);
      return ok(show_counters(c));
    };
  } else if (w.size() >= 3 && w[1] == "ipsec" && w[2] == "sa") {
    if (w.size() != 3) return error("usage: show ipsec sa");
    action = [&] { return ok(show_ipsec_sa(snapshot(env))); };
  } else if (w.size() >= 3 && w[1] == "status" && w[2] == "tunnel") {
    std::optional<uint16_t> id;
    if (w.size() > 4 || (w.size() == 4 && !(id = parse_id(w[3]))))
      return error("usage: show status tunnel [ID]   (ID: 1..65535)");
    action = [&env, id, w] {
      std::string text = show_status_tunnel(snapshot(env), id);
      if (text.empty()) return error("TUNNEL[" + w[3] + "]: no such tunnel is established");
      return ok(text);
    };
  } else if (w.size() >= 3 && w[1] == "status" && w[2] == "l2tp") {
    std::optional<uint16_t> id;
    if (w.size() != 3 && !(w.size() == 5 && w[3] == "tunnel" && (id = parse_id(w[4]))))
      return error("usage: show status l2tp [tunnel ID]");
    action = [&env, id] { return ok(show_status_l2tp(snapshot(env), id)); };
  } else if (w.size() >= 3 && w[1] == "status" && w[2] == "pp") {
    std::optional<uint16_t> id;
    const bool anonymous = w.size() == 4 && w[3] == "anonymous";
    if (w.size() != 4 || (!anonymous && !(id = parse_id(w[3]))))
      return error("usage: show status pp anonymous|N   (N: 1..65535)");
    action = [&env, anonymous, id] {
      return ok(show_status_pp(snapshot(env), anonymous, id.value_or(0)));
    };
  } else {
    std::string line;
    for (const std::string& x : w) line += (line.empty() ? "" : " ") + x;
    return error("unknown command '" + line + "' (try 'help')");
  }
  if (!env.installer) return not_attached(env);
  return action();
}

}  // namespace

std::string command_help() {
  return "show status tunnel [ID]        the installed tunnels, their SAs and sessions\n"
         "show status l2tp [tunnel ID]   L2TP tunnels and sessions (RTX layout)\n"
         "show status pp anonymous|N     PPP links (RTX layout)\n"
         "show ipsec sa                  the ISAKMP and ESP SAs (RTX layout)\n"
         "show counters                  dataplane counters, named drops, ports, punts\n"
         "show config                    the running configuration\n"
         "load config [FILE]             load a configuration (default: --config)\n"
         "disconnect session ID          remove an L2TP session (and what only it used)\n"
         "disconnect tunnel ID           remove an L2TP tunnel, its sessions and its SAs\n"
         "help                           this list\n";
}

Reply run_command(CliEnv& env, std::string_view line) {
  const std::vector<std::string> w = split_words(line);
  if (w.empty()) return error("empty command (try 'help')");
  if (w[0] == "help" || w[0] == "?") return ok(command_help());
  if (w[0] == "show") return run_show(env, w);
  if (w[0] == "load") {
    if (w.size() < 2 || w[1] != "config" || w.size() > 3) return error("usage: load config [FILE]");
    const std::string path = w.size() == 3 ? w[2] : env.config.path;
    if (!env.config.load)
      return Reply{ReplyStatus::NotAvailable,
                   "load config: not yet available (this build has no configuration parser)\n"};
    if (path.empty()) return error("load config: no file given and no --config file");
    return env.config.load(path);
  }
  if (w[0] == "disconnect") {
    if (w.size() != 3 || (w[1] != "session" && w[1] != "tunnel"))
      return error("usage: disconnect session ID | disconnect tunnel ID");
    auto id = parse_id(w[2]);
    if (!id) return error("disconnect: '" + w[2] + "' is not an id (1..65535)");
    if (!env.installer) return not_attached(env);
    return teardown_reply(env, w[1] == "session" ? disconnect_session(*env.installer, *id)
                                                 : disconnect_tunnel(*env.installer, *id));
  }
  return error("unknown command '" + w[0] + "' (try 'help')");
}

}  // namespace l2tpgw::cp
