#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# l2tpv3_e2e.py: two l2tpgw appliances (dataplane + controlplane each) bridge their LANs over
# an L2TPv3 Ethernet pseudowire that their LCCEs negotiate by themselves from seed 001's
# configuration (`tunnel encapsulation l2tpv3-raw`, `l2tp always-on on`, `l2tp tunnel auth on
# PASSWORD`, keepalive, `bridge member bridge1 lan1 tunnel1`), on documentation addresses.
#
#   ns lanA (192.0.2.11/24) -- [appliance A] 198.51.100.1 ==WAN veth==
#                              198.51.100.2 [appliance B] -- ns lanB (192.0.2.12/24)
#
# The namespaces and dataplanes are pseudowire_e2e.py's (the static-pseudowire test), with
# this test's names; here nothing is installed by hand, and both processes of an appliance
# read the one configuration file: the dataplane its addresses and bridge (`ip lan2 address`,
# `ip bridge1 address`, `bridge member bridge1 lan1 tunnel1`), the controlplane the rest.
# Checks: the control connection and the session come up by themselves (`show status l2tp`:
# Version L2TPv3, established, Circuit Status local:UP peer:UP, both sides); LAN hosts ping
# each other across the bridge (ARP broadcasts cross); a 1472-byte-payload ping crosses;
# 802.1Q-tagged frames cross unchanged both ways; a
# peer restart (A's controlplane and dataplane killed by PID, then started again) is healed by
# always-on with no operator; a controlplane-only restart keeps the pseudowire forwarding
# until the new session replaces it; a wrong tunnel password refuses the connection (LCCE counters).
# Needs root and hugepages; exits 77 without them.

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pseudowire_e2e as pw  # noqa: E402
from lab import L2Port, Proc, Results, TestFailure, ensure_hugepages, run, wait_until  # noqa: E402

SKIP = 77
CONTROLPLANE = "controlplane/l2tpgw-controlplane"
CTL = "controlplane/l2tpgwctl"
PASSWORD = "test1234"
ROUTER_ID = {"a": "192.0.2.1", "b": "192.0.2.2"}
UP_TIMEOUT = 20.0
VLAN_HOST = {"a": "203.0.113.11", "b": "203.0.113.12"}  # on VLAN 100 of each LAN


def seed001(me: str, peer: str, password: str = PASSWORD, psk: str | None = None,
            wan: str | None = None, peer_addr: str | None = None, gateway: str | None = None,
            nat_traversal: bool = False, natt_keepalive: int | None = None) -> str:
    """Seed 001's YAMAHA01/02 blocks with this lab's addresses: the tunnel's endpoints are the
    WAN addresses (no NAT in front of us), the router ids the bridge addresses. With `psk`, the
    article's second step: `tunnel encapsulation l2tpv3` with its IPsec block (IKE to the peer's
    WAN address, ESP transport on UDP 1701, auto refresh).
    Behind a NAT (l2tpv3_nat_e2e.py): `wan` is our own address/prefix (a private one), `peer_addr`
    the address the peer is reached at (its public one), `gateway` our default route
    (`ip route default gateway`), `nat_traversal` adds `ipsec ike nat-traversal 1 on` (with
    `keepalive=natt_keepalive` when given)."""
    local = (wan or f"{pw.WAN[me]}/24").split("/")[0]
    remote = peer_addr or pw.WAN[peer]
    natt_options = "" if natt_keepalive is None else f" keepalive={natt_keepalive}"
    ipsec = [] if psk is None else [
        " ipsec tunnel 100",
        "  ipsec sa policy 100 1 esp aes-cbc sha-hmac",
        "  ipsec ike keepalive log 1 on",
        "  ipsec ike keepalive use 1 on",
        f"  ipsec ike local address 1 {local}",
        *([f"  ipsec ike nat-traversal 1 on{natt_options}"] if nat_traversal else []),
        f"  ipsec ike pre-shared-key 1 text {psk}",
        f"  ipsec ike remote address 1 {remote}",
    ]
    return "\n".join([
        f"ip lan2 address {wan or pw.WAN[me] + '/24'}",
        *([f"ip route default gateway {gateway}"] if gateway else []),
        f"ip bridge1 address {pw.LAN_DP[me]}/24",
        "ip bridge1 proxyarp on",
        "bridge member bridge1 lan1 tunnel1",
        "tunnel select 1",
        " tunnel encapsulation l2tpv3" if psk else " tunnel encapsulation l2tpv3-raw",
        f" tunnel endpoint address {local} {remote}",
        " l2tp always-on on",
        f" l2tp tunnel auth on {password}",
        " l2tp keepalive use on 10 3",
        " l2tp keepalive log on",
        " l2tp syslog on",
        f" l2tp local router-id {ROUTER_ID[me]}",
        f" l2tp remote router-id {ROUTER_ID[peer]}",
        " l2tp remote end-id TESTEND",
        *ipsec,
        " tunnel enable 1",
        "l2tp service on l2tpv3",
        *([] if psk is None else ["ipsec auto refresh on", "ipsec transport 1 100 udp 1701"]),
        ""])


class Appliance(pw.Side):
    """pseudowire_e2e's Side (namespaces, veths, dataplane) with this test's names, plus a
    controlplane started with the seed 001 configuration."""

    def __init__(self, name: str, peer: str, tag: str, builddir: Path, logdir: Path,
                 psk: str | None = None, names: str = "v3", lan_tap: bool = False, **seed: object):
        """`seed`: seed001's NAT keywords (wan, peer_addr, gateway, nat_traversal, ...);
        `lan_tap`: pseudowire_e2e.Side's (the LAN port a net_tap that reports its link)."""
        super().__init__(name, tag, builddir, logdir, ns_prefix=f"l2gw-{names}", if_prefix=names,
                         lan_tap=lan_tap)
        self.peer = peer
        self.config = logdir / f"{name}.conf"
        self.config.write_text(seed001(name, peer, psk=psk, **seed))
        self.socket = logdir / f"{name}.sock"
        self.cp: Proc | None = None
        self.starts = 0

    def start_controlplane(self) -> None:
        self.starts += 1
        self.cp = Proc(f"controlplane-{self.name}-{self.starts}", self.ns_cmd([
            str(self.builddir / CONTROLPLANE), "--file-prefix", self.prefix,
            "--socket", str(self.socket), "--config", str(self.config), "--log-level", "debug",
            "--attach-retry-max-ms", "500"]), self.logdir)

    def ctl(self, *words: str) -> str:
        p = run([str(self.builddir / CTL), "--socket", str(self.socket), "--timeout", "30",
                 *words], timeout=60, check=False)
        return p.stdout if p.returncode == 0 else ""

    def status(self) -> str:
        return self.ctl("show", "status", "l2tp")

    def up(self) -> bool:
        s = self.status()
        return ("Version: L2TPv3" in s and "Tunnel State: established" in s
                and "Session State: established" in s
                and "Circuit Status local:UP peer:UP" in s)

    def lcce_counter(self, name: str) -> int:
        m = re.search(rf"^\s*{re.escape(name)}\s+(\d+)\s*$", self.ctl("show", "counters"), re.M)
        return int(m.group(1)) if m else 0

    def kill_controlplane(self) -> None:
        """SIGKILL to the controlplane this test started, by PID; the dataplane stays."""
        assert self.cp is not None
        os.kill(self.cp.pid, signal.SIGKILL)
        self.cp.p.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL to the controlplane and the dataplane this test started, by PID."""
        for p in (self.cp, self.dp):
            if p is not None and p.running():
                os.kill(p.pid, signal.SIGKILL)
                p.p.wait(timeout=60)
        for f in Path("/dev/hugepages").glob(f"{self.prefix}map_*"):
            f.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.cp is not None:
            self.cp.stop()
        super().stop()


def start_both(a: Appliance, b: Appliance, timeout: float) -> float:
    """Both dataplanes, then both controlplanes; waits until both show the tunnel up. Returns
    the seconds from the controlplanes' start, and prints them with A's `show status l2tp`."""
    for s in (a, b):
        s.start(s.config)
    started = time.monotonic()
    for s in (a, b):
        s.start_controlplane()
    for s in (a, b):
        wait_until(s.up, timeout, f"{s.name}'s `show status l2tp` to show the L2TPv3 tunnel and "
                   "session established, circuit UP both ways", interval=0.2)
    took = time.monotonic() - started
    print(f"     up {took:.1f}s after the controlplanes started", flush=True)
    print("     " + "\n     ".join(a.status().splitlines()), flush=True)
    return took


def restart_peer(a: Appliance, b: Appliance, timeout: float) -> float:
    """A's controlplane and dataplane killed by PID and started again; waits until both show
    the tunnel up. Returns (and prints) the seconds from the kill."""
    a.kill()
    killed = time.monotonic()
    a.start(a.config)
    a.start_controlplane()
    for s in (a, b):
        wait_until(s.up, timeout, f"{s.name}'s tunnel to come back after A's restart", interval=0.2)
    took = time.monotonic() - killed
    print(f"     back {took:.1f}s after the kill (dataplane start included)", flush=True)
    return took


def restart_and_ping(a: Appliance, b: Appliance, timeout: float) -> float:
    """restart_peer(a, b), then pings across: a -> b (56 bytes), b -> a (1472 bytes). Returns
    the seconds the tunnel took to come back."""
    took = restart_peer(a, b, timeout)
    pw.ping(a, b)
    pw.ping(b, a, size=1472)
    return took


def all_running(*sides: Appliance) -> None:
    for s in sides:
        for p in (s.dp, s.cp):
            if p is None or not p.running():
                raise TestFailure(f"{s.name}: a process died")


def finish(res: Results, sides: tuple[Appliance, ...], t0: float, figures: dict[str, float],
           logdir: Path) -> int:
    """Stops what the test started, removes its namespaces, prints the summary and figures."""
    for s in sides:
        s.stop()
    pw.unwire(*sides)
    rc = res.summary()
    print(f"whole test {time.monotonic() - t0:.1f}s; " +
          " ".join(f"{k} {v:.1f}s" for k, v in figures.items()) + f"; logs {logdir}", flush=True)
    return rc


def main() -> int:
    setup = pw.two_sided_test("l2tpv3_e2e")
    if setup is None:
        return SKIP
    builddir, tag, logdir = setup
    a = Appliance("a", "b", tag, builddir, logdir)
    b = Appliance("b", "a", tag, builddir, logdir)
    res = Results()
    t0 = time.monotonic()
    figures: dict[str, float] = {}
    try:
        ensure_hugepages()
        pw.wire(a, b)

        def start() -> None:
            figures["up"] = start_both(a, b, UP_TIMEOUT)
        if not res.case("both appliances start; the L2TPv3 control connection and session come "
                        "up by themselves (always-on), Version L2TPv3, circuit UP both sides",
                        start):
            return 1  # finish() prints the summary

        def small() -> None:
            pw.ping(a, b)
            pw.ping(b, a)
        res.case("LAN host A <-> LAN host B across the negotiated pseudowire (ARP crosses)", small)

        def big() -> None:
            pw.ping(a, b, size=1472)
            pw.ping(b, a, size=1472)
        res.case("1472-byte-payload pings cross (outer fragments)", big)

        def tagged() -> None:
            # IEEE 802.1Q frames, raw (the host kernel has no VLAN devices): each LAN host sends
            # tagged frames (VLAN 100, priority 5, 64- and 1400-byte), broadcast and to the
            # other host's MAC; they must leave the other LAN whole, tag included (RFC 4719
            # §4.4: the pseudowire carries the frame as it is).
            from scapy.layers.inet import IP, UDP
            from scapy.layers.l2 import Dot1Q, Ether
            from scapy.packet import Raw
            ports = {s.name: L2Port(s.lan_ns, s.host_if) for s in (a, b)}
            try:
                for src, dst in ((a, b), (b, a)):
                    for size in (64, 1400):
                        for to in ("ff:ff:ff:ff:ff:ff", ports[dst.name].mac_str):
                            marker = f"vlan-{src.name}-{size}-{to}".encode()
                            f = (Ether(src=ports[src.name].mac_str, dst=to) /
                                 Dot1Q(vlan=100, prio=5) /
                                 IP(src=VLAN_HOST[src.name], dst=VLAN_HOST[dst.name]) /
                                 UDP(sport=4000, dport=4001) / Raw(marker))
                            frame = bytes(f) + bytes(max(0, size - len(f)))
                            ports[dst.name].drain()
                            ports[src.name].send(frame)
                            got = ports[dst.name].recv_until(
                                lambda r: r if marker in r else None, 5.0)
                            if got is None:
                                raise TestFailure(f"a tagged {size}-byte frame {src.name} -> "
                                                  f"{dst.name} ({to}) did not arrive")
                            if got[:len(frame)] != frame:
                                raise TestFailure(f"the tagged frame {src.name} -> {dst.name} "
                                                  f"arrived changed:\n{Ether(got).summary()}")
            finally:
                for port in ports.values():
                    port.close()
        res.case("802.1Q-tagged frames (VLAN 100, 64 and 1400 bytes, broadcast and unicast) "
                 "cross the bridge unchanged, both ways", tagged)

        def counters() -> None:
            for s in (a, b):
                st = s.stats()
                if pw.counter(st, "L2tpv3DataRx") < 6 or pw.counter(st, "L2tpv3DataTx") < 6:
                    raise TestFailure(f"{s.name}: L2TPv3 data counters did not move")
                if s.lcce_counter("pw_installed") < 1 or s.lcce_counter("sessions_established") < 1:
                    raise TestFailure(f"{s.name}: `show counters` lacks the LCCE's figures")
            if not re.search(r"Received: [1-9]\d* packets? \[", a.status()):
                raise TestFailure(f"A's `show status l2tp` shows no received frames:\n{a.status()}")
        res.case("the dataplane's L2TPv3 counters, the LCCE's `show counters` and the session's "
                 "packet counts moved", counters)

        def controlplane_restart() -> None:
            # Only B's controlplane dies: its pseudowire stays in the tables and forwards.
            b.kill_controlplane()
            pw.ping(a, b)
            killed = time.monotonic()
            b.start_controlplane()
            b.cp.wait_for_output(r"pseudowire session \d+ from the previous controlplane keeps "
                                 r"forwarding", UP_TIMEOUT)
            for s in (a, b):
                wait_until(s.up, UP_TIMEOUT, f"{s.name}'s tunnel after B's controlplane restart",
                           interval=0.2)
            b.cp.wait_for_output(r"bridged with lan1", UP_TIMEOUT)
            figures["cp_back"] = time.monotonic() - killed
            if b.lcce_counter("pw_replaced") != 1:
                raise TestFailure("B's new session did not replace the adopted pseudowire")
            pw.ping(b, a)
        res.case("controlplane restart: B's controlplane killed by PID; the pseudowire keeps "
                 "forwarding, the new controlplane adopts it and replaces it with its new "
                 "session", controlplane_restart)

        def restart() -> None:
            figures["back"] = restart_and_ping(a, b, UP_TIMEOUT)
            if b.lcce_counter("peer_restarts") + b.lcce_counter("collisions_lost") + \
                    b.lcce_counter("collisions_won") + b.lcce_counter("keepalive_timeouts") < 1:
                raise TestFailure("B did not notice A's restart in its LCCE counters")
        res.case("peer restart: A's controlplane and dataplane killed by PID and started again; "
                 "the tunnel comes back by itself (always-on) and pings cross again", restart)

        def wrong_password() -> None:
            was = a.lcce_counter("auth_failed") + a.lcce_counter("bad_digest") + \
                b.lcce_counter("auth_failed") + b.lcce_counter("bad_digest")
            b.config.write_text(seed001("b", "a", password="wrong999"))
            p = run([str(b.builddir / CTL), "--socket", str(b.socket), "load", "config",
                     str(b.config)], timeout=60, check=False)
            if p.returncode != 0:
                raise TestFailure(f"load config on B: {p.returncode}: {p.stdout}{p.stderr}")
            wait_until(lambda: a.lcce_counter("auth_failed") + a.lcce_counter("bad_digest") +
                       b.lcce_counter("auth_failed") + b.lcce_counter("bad_digest") > was,
                       UP_TIMEOUT, "an authentication failure in the LCCE counters", interval=0.2)
            for s in (a, b):
                if "Session State: established" in s.status():
                    raise TestFailure(f"{s.name} has a session with a wrong password:\n"
                                      f"{s.status()}")
            if not re.search(r"digest|auth", a.cp.log() + b.cp.log(), re.I):
                raise TestFailure("no log line tells of the refused authentication")
        res.case("a wrong tunnel password (B reloaded with another) refuses the connection: "
                 "counted, logged, no session", wrong_password)
        res.case("all four processes are still running", lambda: all_running(a, b))
    finally:
        rc = finish(res, (a, b), t0, figures, logdir)
    return rc


if __name__ == "__main__":
    sys.exit(main())
