#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# pseudowire_e2e.py: two l2tpgw dataplanes bridge their LANs over a static L2TPv3 Ethernet
# pseudowire (seed 001's `tunnel encapsulation l2tpv3-raw` + `bridge member bridge1 lan1
# tunnel1`, installed with l2tpgw-sessionctl add-pw through the TableWriter API the
# controlplane uses).
#
#   ns lanA (192.0.2.11/24) -- [dataplane A, --bridge-lan] 198.51.100.1 ==WAN veth==
#                              198.51.100.2 [dataplane B, --bridge-lan] -- ns lanB (192.0.2.12/24)
#
# Checks: the LAN hosts, on one subnet, ping each other (their ARP broadcasts cross the
# bridge, the replies are bridged by learned MAC); a 1500-byte ping crosses (the 1514-byte
# frame plus L2TPv3/UDP/IPv4 exceeds the 1500-byte WAN MTU: the outer packet is fragmented, as
# a router does for L2TPv3, and the peer reassembles it); frames with a wrong cookie are counted and dropped; the data
# counters of both dataplanes moved. Needs root and hugepages; exits 77 without them.

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab import Proc, Results, TestFailure, ensure_hugepages, wait_until  # noqa: E402

SKIP = 77
DATAPLANE = "dataplane/l2tpgw-dataplane"
SESSIONCTL = "controlplane/l2tpgw-sessionctl"
STATS = "controlplane/l2tpgw-stats"
WAN = {"a": "198.51.100.1", "b": "198.51.100.2"}
LAN_DP = {"a": "192.0.2.1", "b": "192.0.2.2"}     # the dataplanes' own bridge addresses
LAN_HOST = {"a": "192.0.2.11", "b": "192.0.2.12"}
COOKIE = {"a": "a1a2a3a4a5a6a7a8", "b": "b1b2b3b4"}  # the cookie each side expects to receive
SID = {"a": (0x1a << 16) | 1, "b": (0x2b << 16) | 1}  # tag << 16 | slot


def sh(cmd: list[str], check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise TestFailure(f"{' '.join(cmd)}: {p.returncode}: {p.stderr.strip()}")
    return p


class Side:
    def __init__(self, name: str, tag: str, builddir: Path, logdir: Path,
                 ns_prefix: str = "l2pw", if_prefix: str = "pw", lan_tap: bool = False):
        """Namespaces `{ns_prefix}-{name}-{tag}` (and -lan{name}-), veths `{if_prefix}w|l|h...`.
        With `lan_tap` the LAN port is a net_tap device (named lan_if) that a kernel bridge in
        the dataplane's namespace joins to the LAN veth (then named `{if_prefix}v...`): unlike
        net_af_packet, net_tap reports its link, which `ip link set lan_if down` takes away."""
        self.name, self.builddir, self.logdir = name, builddir, logdir
        self.lan_tap = lan_tap
        self.ns = f"{ns_prefix}-{name}-{tag}"
        self.lan_ns = f"{ns_prefix}-lan{name}-{tag}"
        self.prefix = f"{ns_prefix}-{name}-{tag}"
        self.wan_if = f"{if_prefix}w{name}{tag}"[:15]
        self.lan_if = f"{if_prefix}l{name}{tag}"[:15]
        self.host_if = f"{if_prefix}h{name}{tag}"[:15]
        self.veth_if = f"{if_prefix}v{name}{tag}"[:15] if lan_tap else self.lan_if
        self.bridge_if = f"{if_prefix}b{name}{tag}"[:15]
        self.dp: Proc | None = None

    def ns_cmd(self, cmd: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.ns] + cmd

    def start(self, config: Path | None = None) -> None:
        """With `config`, the addresses and the bridge come from that configuration file
        (`--config`: ip lan2 address, ip bridge1 address, bridge member bridge1 lan1 ...)."""
        cpus = os.cpu_count() or 1
        addressing = (["--config", str(config)] if config else
                      ["--wan-addr", f"{WAN[self.name]}/24", "--lan-addr",
                       f"{LAN_DP[self.name]}/24", "--bridge-lan"])
        self.dp = Proc(f"dataplane-{self.name}", self.ns_cmd([
            str(self.builddir / DATAPLANE), "--no-pci", "--file-prefix", self.prefix,
            "--lcores", f"0@0,1@{1 % cpus}",
            "--vdev", f"net_af_packet0,iface={self.wan_if},qpairs=2",
            "--vdev", (f"net_tap1,iface={self.lan_if}" if self.lan_tap
                       else f"net_af_packet1,iface={self.lan_if},qpairs=2"),
            "--", *addressing, "--max-sessions", "16", "--max-pseudowires", "4",
            "--idle-sleep-us", "100"]), self.logdir)
        self.dp.wait_for_output(r"^l2tpgw-dataplane: ready", 90)
        if self.lan_tap:  # the tap exists now: into the bridge with the LAN veth
            offloads_off(self.ns, self.lan_if)
            sh(["ip", "-n", self.ns, "link", "set", self.lan_if, "master", self.bridge_if])

    def sessionctl(self, *args: str) -> str:
        return sh(self.ns_cmd([str(self.builddir / SESSIONCTL), "--file-prefix", self.prefix,
                               *args])).stdout

    def stats(self) -> dict:
        out = sh(self.ns_cmd([str(self.builddir / STATS), "--file-prefix", self.prefix,
                              "--json", "--all"])).stdout
        return json.loads(out)

    def stop(self) -> None:
        if self.dp is not None:
            self.dp.stop()
        for f in Path("/dev/hugepages").glob(f"{self.prefix}map_*"):
            f.unlink(missing_ok=True)


def counter(stats: dict, name: str) -> int:
    for section in ("counters", "drops"):
        if name in stats.get(section, {}):
            return int(stats[section][name])
    raise TestFailure(f"no counter {name} in {sorted(stats)}")


def offloads_off(ns: str, dev: str) -> None:
    """Checksum and segmentation offloads off on a veth end (the dataplanes see real frames),
    then the link up."""
    for feature in ("tx", "rx", "sg", "tso", "gso", "gro"):
        sh(["ip", "netns", "exec", ns, "ethtool", "-K", dev, feature, "off"], check=False)
    sh(["ip", "-n", ns, "link", "set", dev, "up"])


def wire_lan(s: Side) -> None:
    """The side's LAN veth (dataplane namespace <-> LAN host namespace) and the host's address;
    both namespaces must exist."""
    sh(["ip", "link", "add", s.veth_if, "netns", s.ns, "type", "veth", "peer", "name",
        s.host_if, "netns", s.lan_ns])
    for ns, dev in ((s.ns, s.wan_if), (s.ns, s.veth_if), (s.lan_ns, s.host_if)):
        offloads_off(ns, dev)
    if s.lan_tap:
        sh(["ip", "-n", s.ns, "link", "add", s.bridge_if, "type", "bridge"])
        sh(["ip", "-n", s.ns, "link", "set", s.veth_if, "master", s.bridge_if])
        sh(["ip", "-n", s.ns, "link", "set", s.bridge_if, "up"])
    sh(["ip", "-n", s.lan_ns, "addr", "add", f"{LAN_HOST[s.name]}/24", "dev", s.host_if])
    sh(["ip", "-n", s.lan_ns, "link", "set", "lo", "up"])


def wire(a: Side, b: Side) -> None:
    for s in (a, b):
        for ns in (s.ns, s.lan_ns):
            sh(["ip", "netns", "add", ns])
    sh(["ip", "link", "add", a.wan_if, "netns", a.ns, "type", "veth", "peer", "name", b.wan_if,
        "netns", b.ns])
    for s in (a, b):
        wire_lan(s)


def unwire(a: Side, b: Side) -> None:
    for s in (a, b):
        for ns in (s.ns, s.lan_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def ping(src: Side, dst: Side, size: int = 56, count: int = 3) -> str:
    p = sh(["ip", "netns", "exec", src.lan_ns, "ping", "-c", str(count), "-i", "0.3", "-W", "3",
            "-s", str(size), "-M", "dont", LAN_HOST[dst.name]], check=False, timeout=60)
    if not re.search(rf"\b{count} packets transmitted, {count} received", p.stdout):
        raise TestFailure(f"ping {LAN_HOST[src.name]} -> {LAN_HOST[dst.name]} (-s {size}): "
                          f"not {count} of {count}:\n{p.stdout[-400:]}{p.stderr[-200:]}")
    return p.stdout


def two_sided_test(name: str) -> tuple[Path, str, Path] | None:
    """The build directory (--builddir), a tag for this run's names and its log directory;
    None when not root (the caller exits SKIP)."""
    if os.geteuid() != 0:
        print(f"{name}: needs root")
        return None
    builddir = Path(sys.argv[sys.argv.index("--builddir") + 1]).resolve()
    tag = str(os.getpid())
    logdir = Path(tempfile.mkdtemp(prefix=f"{name.removesuffix('_e2e')}-{tag}-",
                                   dir=builddir / "e2e-logs" if (builddir / "e2e-logs").is_dir()
                                   else None))
    return builddir, tag, logdir


def main() -> int:
    setup = two_sided_test("pseudowire_e2e")
    if setup is None:
        return SKIP
    builddir, tag, logdir = setup
    a, b = Side("a", tag, builddir, logdir), Side("b", tag, builddir, logdir)
    res = Results()
    t0 = time.monotonic()
    try:
        ensure_hugepages()
        wire(a, b)

        def start() -> None:
            a.start()
            b.start()
        if not res.case("both dataplanes start with --bridge-lan", start):
            return res.summary()

        def install() -> None:
            # Static L2TPv3: each side's Session ID is configured at both ends, as with
            # `ip l2tp add session session_id X peer_session_id Y`.
            for s, o in ((a, b), (b, a)):
                out = s.sessionctl("add-pw", "--pw-session", str(SID[s.name]), "--peer",
                                   WAN[o.name], "--pw-peer-session-id", str(SID[o.name]),
                                   "--local-cookie", COOKIE[s.name], "--peer-cookie",
                                   COOKIE[o.name])
                if f"session_id={SID[s.name]}" not in out:
                    raise TestFailure(f"add-pw on {s.name}: {out}")
        if not res.case("a static L2TPv3 pseudowire on each side (sessionctl add-pw, cookies 8/4)",
                        install):
            return res.summary()
        before = {s.name: s.stats() for s in (a, b)}

        def small() -> None:
            ping(a, b)
            ping(b, a)
        res.case("LAN host A <-> LAN host B on one subnet across the bridge (ARP flooded, "
                 "replies bridged by learned MAC)", small)

        def big() -> None:
            ping(a, b, size=1472)
            ping(b, a, size=1472)
        res.case("1500-byte IPv4 packets cross: the outer packet is fragmented to the WAN MTU "
                 "and reassembled by the peer", big)

        def counters() -> None:
            deltas = {}
            for s in (a, b):
                now, was = s.stats(), before[s.name]
                deltas[s.name] = {k: counter(now, k) - counter(was, k) for k in (
                    "L2tpv3DataRx", "L2tpv3DataTx", "BridgeLearned", "BridgeFlooded",
                    "Ipv4Fragmented", "Ipv4FragmentsCreated")}
                print(f"     {s.name}: {deltas[s.name]}", flush=True)
            for s in (a, b):
                d = deltas[s.name]
                if d["L2tpv3DataRx"] < 12 or d["L2tpv3DataTx"] < 12:
                    raise TestFailure(f"{s.name}: L2TPv3 data counters moved less than 12: {d}")
                # Six 1500-byte packets each way (3 requests, 3 replies), two fragments each.
                # (The peer's af_packet fanout reassembles them before its dataplane sees
                # them, PACKET_FANOUT_FLAG_DEFRAG: Ipv4Reassembled stays 0 on af_packet.)
                if d["Ipv4Fragmented"] < 6 or d["Ipv4FragmentsCreated"] < 12:
                    raise TestFailure(f"{s.name}: the 1500-byte frames were not sent in outer "
                                      f"fragments: {d}")
        res.case("the data, fragmentation and reassembly counters moved on both sides", counters)

        def bad_cookie() -> None:
            # B's pseudowire now sends a cookie A does not expect: A must drop every frame.
            b.sessionctl("del-pw", "--pw-session", str(SID["b"]))
            b.sessionctl("add-pw", "--pw-session", str(SID["b"] + (1 << 16)), "--peer", WAN["a"],
                         "--pw-peer-session-id", str(SID["a"]), "--local-cookie", COOKIE["b"],
                         "--peer-cookie", "0000000000000000")
            was = counter(a.stats(), "L2tpv3BadCookie")
            sh(["ip", "netns", "exec", b.lan_ns, "ping", "-c", "3", "-i", "0.2", "-W", "1",
                LAN_HOST["a"]], check=False, timeout=30)
            wait_until(lambda: counter(a.stats(), "L2tpv3BadCookie") - was >= 3, 10,
                       "A's L2tpv3BadCookie to count B's frames", interval=0.2)
        res.case("frames with a wrong cookie are dropped and counted (L2tpv3BadCookie)",
                 bad_cookie)
        res.case("both dataplanes are still running",
                 lambda: [s.dp.running() or (_ for _ in ()).throw(TestFailure(f"{s.name} died"))
                          for s in (a, b)])
    finally:
        for s in (a, b):
            s.stop()
        unwire(a, b)
    rc = res.summary()
    print(f"whole test {time.monotonic() - t0:.1f}s; logs {logdir}", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
