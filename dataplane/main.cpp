// SPDX-License-Identifier: Apache-2.0
// l2tpgw-dataplane: the DPDK primary process (ports, workers, slowpath, shared tables).
#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/ipv4_text.hpp"
#include "common/tables/shared_tables.hpp"
#include "controlplane/config/dataplane_settings.hpp"
#include "controlplane/config/diagnostic.hpp"
#include "controlplane/config/loader.hpp"
#include "dataplane/dp_config.hpp"
#include "dataplane/mbuf_meta.hpp"
#include "dataplane/neighbor.hpp"
#include "dataplane/ports.hpp"
#include "dataplane/slowpath.hpp"
#include "dataplane/worker/worker.hpp"

namespace {

using namespace l2tpgw;
using namespace l2tpgw::dp;
namespace po = boost::program_options;

bool parse_prefix(const std::string& s, Ipv4Prefix* out, bool need_len) {
  auto slash = s.find('/');
  std::string a = s.substr(0, slash);
  in_addr ia{};
  if (inet_pton(AF_INET, a.c_str(), &ia) != 1) return false;
  out->addr = ntohl(ia.s_addr);
  out->len = 32;
  if (slash != std::string::npos) {
    try {
      int len = std::stoi(s.substr(slash + 1));
      if (len < 0 || len > 32) return false;
      out->len = static_cast<uint8_t>(len);
    } catch (...) {
      return false;
    }
  } else if (need_len) {
    return false;
  }
  return true;
}

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "l2tpgw-dataplane: %s\n", msg.c_str());
  rte_eal_cleanup();
  std::exit(1);
}

void on_signal(int) { g_quit.store(true); }

std::string format_prefix(const Ipv4Prefix& p) { return format_ipv4(p.addr) + "/" + std::to_string(p.len); }

// `--config FILE`: the addresses, pools and bridge the controlplane's configuration gives
// (controlplane/config/dataplane_settings.hpp). A flag the file also sets must agree with it.
void apply_config_file(const std::string& path, bool wan_flag, bool lan_flag, bool wan_gw_flag,
                       bool lan_gw_flag, bool pool_flag, const po::variables_map& vm,
                       DataplaneConfig& cfg) {
  namespace config = cp::config;
  const config::LoadResult r = config::load_config_file(path);
  for (const config::Diagnostic& d : r.diagnostics)
    if (d.severity == config::Severity::Error) std::fprintf(stderr, "%s\n", config::format_diagnostic(d, path).c_str());
  if (!r.ok()) die("--config " + path + ": the configuration does not load (errors above)");
  std::optional<config::Ipv4Prefix> wan_hint;
  if (wan_flag) wan_hint = config::Ipv4Prefix{config::Ipv4{cfg.wan.addr}, cfg.wan.len};
  const config::DataplaneSettings s = config::dataplane_settings(*r.config, wan_hint);
  for (const std::string& e : s.errors) die(path + ":" + e);
  auto at = [&](uint32_t line) { return path + ":" + std::to_string(line); };
  auto prefix = [&](const auto& from, bool flag, Ipv4Prefix& target, const char* flag_name, const char* what) {
    if (!from) return;
    const Ipv4Prefix p{from->value.address.value, from->value.length};
    if (flag && (p.addr != target.addr || p.len != target.len))
      die(std::string(flag_name) + " " + format_prefix(target) + " contradicts " + at(from->line) + ": " + what +
          " " + format_prefix(p));
    target = p;
  };
  prefix(s.lan, lan_flag, cfg.lan, "--lan-addr", "the LAN address is");
  prefix(s.wan, wan_flag, cfg.wan, "--wan-addr", "the WAN (lan2) address is");
  auto gateway = [&](const auto& from, bool flag, uint32_t& target, const char* flag_name) {
    if (!from) return;
    if (flag && target != from->value.value)
      die(std::string(flag_name) + " " + format_ipv4(target) + " contradicts " + at(from->line) +
          ": the gateway is " + format_ipv4(from->value.value));
    target = from->value.value;
  };
  gateway(s.wan_gateway, wan_gw_flag, cfg.wan_gateway, "--wan-gateway");
  gateway(s.lan_gateway, lan_gw_flag, cfg.lan_gateway, "--lan-gateway");
  if (s.lan_proxy_arp) {
    if (vm.count("no-proxy-arp") && s.lan_proxy_arp->value)
      die("--no-proxy-arp contradicts " + at(s.lan_proxy_arp->line) + ": proxyarp on");
    cfg.lan_proxy_arp = s.lan_proxy_arp->value;
  } else if (!vm.count("no-proxy-arp")) {
    cfg.lan_proxy_arp = false;  // Yamaha's default: `ip lan1 proxyarp off`
  }
  if (s.bridge_lan) cfg.bridge_lan = true;
  if (!s.pools.empty()) {
    if (pool_flag) die("--pool and " + path + "'s `ip pp remote address pool` both give the pools: keep one");
    static_assert(config::kDataplanePoolRanges == tables::kMaxPools);
    if (s.pools.size() > tables::kMaxPools)
      die(path + ": more than " + std::to_string(tables::kMaxPools) + " disjoint address pools");
    for (const config::Ipv4Range& p : s.pools)
      cfg.sizes.pools[cfg.sizes.n_pools++] = tables::PoolRange{p.first.value, p.last.value - p.first.value + 1};
  }
}

}  // namespace

int main(int argc, char** argv) {
  // EAL arguments come first and are consumed by rte_eal_init; ours follow "--".
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      // Fall through to the option parser without starting the EAL.
      argv[i - 1 + 1] = argv[i];
      argc = argc - i + 1;
      argv = argv + i - 1;
      goto parse;
    }
    if (a == "--") break;
  }
  {
    const int eal = rte_eal_init(argc, argv);
    if (eal < 0) {
      std::fprintf(stderr, "l2tpgw-dataplane: EAL init failed: %s\n", rte_strerror(rte_errno));
      return 1;
    }
    argc -= eal;
    argv += eal;
  }
parse:
  po::options_description desc(
      "Usage: l2tpgw-dataplane [EAL options] -- [options]\n"
      "EAL options (e.g. -l 0-2 --vdev net_af_packet0,iface=wan0,qpairs=3 --file-prefix X)\n"
      "select lcores and ports; the first lcore runs the slowpath, the others are workers.\n"
      "Options");
  std::string wan_s, lan_s, wan_gw_s, lan_gw_s, config_path;
  std::vector<std::string> pools_s;
  DataplaneConfig cfg;
  uint32_t max_sessions = 4096;
  uint32_t max_pseudowires = 64;
  desc.add_options()
      ("help,h", "show this help")
      ("wan-port", po::value<uint16_t>(&cfg.wan_port)->default_value(0), "DPDK port id of the WAN (client side)")
      ("lan-port", po::value<uint16_t>(&cfg.lan_port)->default_value(1), "DPDK port id of the LAN")
      ("config", po::value<std::string>(&config_path),
       "the configuration file the controlplane loads (Yamaha RTX syntax): the LAN address "
       "(`ip lan1 address`, or `ip bridge1 address` with `bridge member bridge1 lan1 ...`), "
       "proxy ARP, the WAN address (`ip lan2 address`), gateways (`ip route ... gateway`) and "
       "the pools (`ip pp remote address pool`) come from it; flags that say the same must agree")
      ("wan-addr", po::value<std::string>(&wan_s), "our WAN address and prefix, e.g. 203.0.113.1/24 (or `ip lan2 address` in --config)")
      ("lan-addr", po::value<std::string>(&lan_s), "our LAN address and prefix, e.g. 192.0.2.1/24 (or `ip lan1 address` in --config)")
      ("wan-gateway", po::value<std::string>(&wan_gw_s), "next hop for clients outside the WAN subnet")
      ("lan-gateway", po::value<std::string>(&lan_gw_s), "next hop for LAN destinations outside the LAN subnet")
      ("pool", po::value<std::vector<std::string>>(&pools_s)->composing(),
       "client address pool as PREFIX or FIRST-LAST (`ip pp remote address pool`); repeatable")
      ("max-sessions", po::value<uint32_t>(&max_sessions)->default_value(4096), "concurrent L2TP sessions the tables hold (1..65535)")
      ("mbufs", po::value<uint32_t>(&cfg.mbufs)->default_value(32767), "packet buffers in the pool")
      ("lan-mtu", po::value<uint16_t>(&cfg.lan_mtu)->default_value(1500), "LAN IPv4 MTU (68..65535)")
      ("wan-mtu", po::value<uint16_t>(&cfg.wan_mtu)->default_value(1500),
       "WAN IPv4 MTU (576..65535): outer packets over it (full-size L2TPv3 frames) are fragmented")
      ("max-pseudowires", po::value<uint32_t>(&max_pseudowires)->default_value(64),
       "concurrent L2TPv3 Ethernet pseudowires the tables hold (0..4096)")
      ("bridge-lan", "the LAN port is a member of bridge1 (`bridge member bridge1 lan1 tunnelN`): "
       "frames not for our MAC are bridged to the L2TPv3 pseudowires and back")
      ("mac-table-buckets", po::value<uint32_t>(&cfg.mac_table_buckets)->default_value(1024),
       "bridge MAC table size in buckets of 8 addresses (1..1048576)")
      ("icmp-error-rate", po::value<uint32_t>(&cfg.icmp_error_rate)->default_value(1000),
       "ICMP errors (time exceeded, fragmentation needed) each worker may send per second; 0: none")
      ("icmp-error-burst", po::value<uint32_t>(&cfg.icmp_error_burst)->default_value(50),
       "ICMP errors a worker may send at once after a quiet period (1..1000000)")
      ("no-proxy-arp", "do not answer ARP on the LAN for session addresses")
      ("idle-sleep-us", po::value<uint32_t>(&cfg.idle_sleep_us)->default_value(0),
       "idle back-off: a worker that found nothing to do for --idle-polls loops in a row sleeps "
       "this long per further empty loop (RCU-offline while asleep). 0 = pure polling, each "
       "worker spins its CPU: right for a dedicated appliance with a core per lcore. Set it "
       "(e.g. 100) where lcores share CPUs (VMs with few vCPUs, CI, labs); the slowpath lcore "
       "always sleeps 200 us when idle")
      ("idle-polls", po::value<uint32_t>(&cfg.idle_polls)->default_value(64),
       "empty poll loops in a row before a worker starts sleeping (with --idle-sleep-us)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    die(std::string(e.what()) + " (see --help)");
  }
  if (!wan_s.empty() && !parse_prefix(wan_s, &cfg.wan, true))
    die("--wan-addr: expected A.B.C.D/LEN, got '" + wan_s + "'");
  if (!lan_s.empty() && !parse_prefix(lan_s, &cfg.lan, true))
    die("--lan-addr: expected A.B.C.D/LEN, got '" + lan_s + "'");
  Ipv4Prefix gw;
  if (!wan_gw_s.empty()) {
    if (!parse_prefix(wan_gw_s, &gw, false)) die("--wan-gateway: not an address: '" + wan_gw_s + "'");
    cfg.wan_gateway = gw.addr;
  }
  if (!lan_gw_s.empty()) {
    if (!parse_prefix(lan_gw_s, &gw, false)) die("--lan-gateway: not an address: '" + lan_gw_s + "'");
    cfg.lan_gateway = gw.addr;
  }
  cfg.lan_proxy_arp = !vm.count("no-proxy-arp");
  cfg.bridge_lan = vm.count("bridge-lan") != 0;
  if (!config_path.empty())
    apply_config_file(config_path, !wan_s.empty(), !lan_s.empty(), !wan_gw_s.empty(), !lan_gw_s.empty(),
                      !pools_s.empty(), vm, cfg);
  if (cfg.wan.len == 0) die("no WAN address: give --wan-addr, or `ip lan2 address` in --config");
  if (cfg.lan.len == 0) die("no LAN address: give --lan-addr, or `ip lan1 address` in --config");
  if (cfg.wan.len < NeighborTable::kMinPrefix || cfg.wan.len > 32)
    die("the WAN prefix " + format_prefix(cfg.wan) + ": the length must be 16..32");
  if (cfg.lan.len < NeighborTable::kMinPrefix || cfg.lan.len > 32)
    die("the LAN prefix " + format_prefix(cfg.lan) + ": the length must be 16..32");
  if (cfg.wan_gateway != 0 && !cfg.wan.contains(cfg.wan_gateway))
    die("the WAN gateway " + format_ipv4(cfg.wan_gateway) + " is not on the WAN subnet " + format_prefix(cfg.wan));
  if (cfg.lan_gateway != 0 && !cfg.lan.contains(cfg.lan_gateway))
    die("the LAN gateway " + format_ipv4(cfg.lan_gateway) + " is not on the LAN subnet " + format_prefix(cfg.lan));
  if (cfg.wan_mtu < 576) die("--wan-mtu: at least 576 (RFC 791), got " + std::to_string(cfg.wan_mtu));
  if (max_pseudowires > tables::kMaxPseudowires)
    die("--max-pseudowires: at most " + std::to_string(tables::kMaxPseudowires));
  if (cfg.mac_table_buckets == 0 || cfg.mac_table_buckets > (1u << 20))
    die("--mac-table-buckets: expected 1..1048576, got " + std::to_string(cfg.mac_table_buckets));
  if (cfg.idle_sleep_us > 1000000) die("--idle-sleep-us: at most 1000000 (1 s)");
  if (cfg.lan_mtu < 68) die("--lan-mtu: at least 68 (RFC 791), got " + std::to_string(cfg.lan_mtu));
  if (cfg.icmp_error_burst < 1 || cfg.icmp_error_burst > 1000000)
    die("--icmp-error-burst: expected 1..1000000, got " + std::to_string(cfg.icmp_error_burst));
  for (const std::string& p : pools_s) {
    if (cfg.sizes.n_pools == tables::kMaxPools) die("--pool: at most " + std::to_string(tables::kMaxPools) + " pools");
    tables::PoolRange r{};
    Ipv4Prefix a, b;
    if (auto dash = p.find('-'); dash != std::string::npos) {
      if (!parse_prefix(p.substr(0, dash), &a, false) || !parse_prefix(p.substr(dash + 1), &b, false) || b.addr < a.addr)
        die("--pool: expected FIRST-LAST, got '" + p + "'");
      r.base = a.addr;
      r.size = b.addr - a.addr + 1;
    } else {
      if (!parse_prefix(p, &a, true) || a.len < 16) die("--pool: expected PREFIX/LEN (LEN >= 16), got '" + p + "'");
      r.base = a.addr & a.mask();
      r.size = 1u << (32 - a.len);
    }
    cfg.sizes.pools[cfg.sizes.n_pools++] = r;
  }
  cfg.sizes.max_sessions = max_sessions;
  cfg.sizes.max_pseudowires = max_pseudowires;

  const unsigned lcores = rte_lcore_count();
  if (lcores < 2) die("need at least 2 lcores (-l): one slowpath and one or more workers");
  const uint16_t n_workers = static_cast<uint16_t>(lcores - 1);
  if (n_workers > tables::kMaxWorkers - 1) die("too many workers");
  cfg.sizes.n_workers = n_workers;

  rte_mempool* pool = rte_pktmbuf_pool_create(tables::kMbufPoolName, cfg.mbufs, 256, kPrivSize,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (!pool) die(std::string("cannot create the mbuf pool: ") + rte_strerror(rte_errno));

  DataplaneShared shared;
  shared.cfg = &cfg;
  std::string err;
  if (!tables::SharedTables::create(cfg.sizes, shared.tables, &err)) die(err);
  shared.n_workers = n_workers;
  shared.sa_runtime = sa_runtimes(shared.tables);
  const uint64_t table_bytes = tables::SharedTables::total_bytes(cfg.sizes);
  const uint64_t per_session = tables::SharedTables::bytes_per_session(cfg.sizes);
  std::printf("l2tpgw-dataplane: tables for %u sessions: %.1f MiB shared; %llu bytes per session\n",
              max_sessions, table_bytes / 1048576.0, static_cast<unsigned long long>(per_session));

  auto make_ring = [&](const std::string& name, unsigned size, unsigned flags, unsigned esize) {
    rte_ring* r = rte_ring_create_elem(name.c_str(), esize, size, rte_socket_id(), flags);
    if (!r) die("cannot create ring " + name + ": " + rte_strerror(rte_errno));
    return r;
  };
  shared.punt = make_ring(tables::kPuntRingName, 4096, RING_F_SC_DEQ, sizeof(void*));
  shared.events = make_ring(tables::kEventRingName, 4096, RING_F_SC_DEQ, 8);
  shared.slowpath = make_ring("l2tpgw_slowpath", 1024, RING_F_SC_DEQ, sizeof(void*));
  shared.arp_hold = make_ring("l2tpgw_arp_hold", 1024, RING_F_SC_DEQ, sizeof(void*));
  for (uint16_t w = 0; w < n_workers; ++w) {
    shared.inject[w] = make_ring(tables::kInjectRingPrefix + std::to_string(w), 1024, RING_F_SC_DEQ, sizeof(void*));
    for (uint16_t t = 0; t < n_workers; ++t)
      if (t != w)
        shared.handoff[w][t] = make_ring("l2tpgw_ho_" + std::to_string(w) + "_" + std::to_string(t), 2048,
                                         RING_F_SP_ENQ | RING_F_SC_DEQ, sizeof(void*));
  }

  auto wan_neigh = std::make_unique<NeighborTable>(cfg.wan);
  auto lan_neigh = std::make_unique<NeighborTable>(cfg.lan);
  std::unique_ptr<MacTable> macs;
  if (cfg.bridge_lan || max_pseudowires > 0) {
    macs = std::make_unique<MacTable>(cfg.mac_table_buckets);
    shared.macs = macs.get();
  }
  shared.wan_neigh = wan_neigh.get();
  shared.lan_neigh = lan_neigh.get();

  PortSetup wan_setup, lan_setup;
  if (!port_init(cfg.wan_port, n_workers, cfg.rx_desc, cfg.tx_desc, pool, &wan_setup, &err)) die("WAN " + err);
  if (!port_init(cfg.lan_port, n_workers, cfg.rx_desc, cfg.tx_desc, pool, &lan_setup, &err)) die("LAN " + err);
  rte_eth_macaddr_get(cfg.wan_port, &shared.wan_mac);
  rte_eth_macaddr_get(cfg.lan_port, &shared.lan_mac);
  auto describe = [](const PortSetup& s) {
    return (s.rss ? "RSS over " : "no RSS, ") + std::to_string(s.rx_queues) + " RX queue(s)";
  };
  std::printf("l2tpgw-dataplane: %u workers; WAN port %u: %s; LAN port %u: %s; other workers' clients handed off\n",
              n_workers, cfg.wan_port, describe(wan_setup).c_str(), cfg.lan_port, describe(lan_setup).c_str());
  if (cfg.idle_sleep_us)
    std::printf("l2tpgw-dataplane: idle back-off: workers sleep %u us after %u empty polls\n",
                cfg.idle_sleep_us, cfg.idle_polls);
  else
    std::printf("l2tpgw-dataplane: workers poll without sleeping (--idle-sleep-us 0)\n");

  std::vector<std::unique_ptr<WorkerCtx>> workers;
  std::vector<WorkerLaunch> launches(n_workers);
  for (uint16_t w = 0; w < n_workers; ++w) {
    auto ctx = std::make_unique<WorkerCtx>();
    ctx->id = static_cast<uint8_t>(w);
    ctx->dp = &shared;
    ctx->stats = &shared.tables.worker_stats(w);
    ctx->wan_txq = ctx->lan_txq = w;
    if (!ctx->crypto.init(&err)) die("crypto engine: " + err);
    ctx->icmp_limit.configure(cfg.icmp_error_rate, cfg.icmp_error_burst, rte_get_tsc_hz());
    const uint64_t frag_ttl = rte_get_tsc_hz() * 2;  // RFC 791: reassembly timeout, here 2 s
    ctx->frag_tbl = rte_ip_frag_table_create(1024, 4, 1024 * 4, frag_ttl, rte_socket_id());
    if (!ctx->frag_tbl) die("cannot create the reassembly table");
    // Queue q is polled by worker q mod n: every queue has exactly one poller.
    launches[w].ctx = ctx.get();
    for (uint16_t q = w; q < wan_setup.rx_queues && launches[w].n_wan_rxq < WorkerLaunch::kMaxQueues; q += n_workers)
      launches[w].wan_rxq[launches[w].n_wan_rxq++] = q;
    for (uint16_t q = w; q < lan_setup.rx_queues && launches[w].n_lan_rxq < WorkerLaunch::kMaxQueues; q += n_workers)
      launches[w].lan_rxq[launches[w].n_lan_rxq++] = q;
    workers.push_back(std::move(ctx));
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  uint16_t w = 0;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    rte_eal_remote_launch(worker_main, &launches[w], lcore);
    ++w;
  }
  shared.tables.header().wan_addr = cfg.wan.addr;
  shared.tables.header().lan_addr = cfg.lan.addr;
  shared.tables.header().dataplane_epoch.store(rte_get_tsc_cycles());
  shared.tables.header().dataplane_ready.store(1);
  std::string pools;
  for (uint32_t i = 0; i < cfg.sizes.n_pools; ++i)
    pools += " " + format_ipv4(cfg.sizes.pools[i].base) + "-" +
             format_ipv4(cfg.sizes.pools[i].base + cfg.sizes.pools[i].size - 1);
  std::printf("l2tpgw-dataplane: WAN %s, LAN %s%s%s, pools:%s\n", format_prefix(cfg.wan).c_str(),
              format_prefix(cfg.lan).c_str(), cfg.lan_proxy_arp ? " proxyarp" : "",
              cfg.bridge_lan ? " bridged (bridge1)" : "", pools.empty() ? " none" : pools.c_str());
  std::printf("l2tpgw-dataplane: ready\n");
  std::fflush(stdout);

  SlowpathCtx sp;
  sp.dp = &shared;
  sp.wan_neigh = wan_neigh.get();
  sp.lan_neigh = lan_neigh.get();
  sp.pool = pool;
  sp.txq = n_workers;
  sp.stats = &shared.tables.worker_stats(n_workers);
  slowpath_main(sp);

  rte_eal_mp_wait_lcore();
  shared.tables.header().dataplane_ready.store(0);
  std::printf("l2tpgw-dataplane: stopped\n");
  rte_eth_dev_stop(cfg.wan_port);
  rte_eth_dev_stop(cfg.lan_port);
  rte_eal_cleanup();
  return 0;
}
