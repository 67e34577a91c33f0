#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# l2tpv3_nat_e2e.py: seed 001's L2TPv3/IPsec LAN-to-LAN pseudowire with appliance B behind a
# 1:1 NAT (the EC2 case: a server with a private address, `ipsec ike nat-traversal 1 on`; the
# seed's routers sit behind `nat descriptor masquerade static ... udp 500 / esp / udp 4500`).
#
#   ns lanA (192.0.2.11/24) -- [appliance A] 198.51.100.1/24 ==public veth==
#       198.51.100.2/24 [router ns: nftables DNAT 198.51.100.2 -> 203.0.113.130, SNAT back]
#       203.0.113.129/25 ==private veth== 203.0.113.130/25 [appliance B] -- ns lanB (192.0.2.12/24)
#
# A knows B only by its public address (`ipsec ike remote address 1 198.51.100.2`, `tunnel
# endpoint address 198.51.100.1 198.51.100.2`); B has its private one as `ipsec ike local
# address` and tunnel endpoint, a default route to the router, and NAT-T on (A too: RFC 3947
# is used only when both ends offer it; a case below runs with A's off).
# Checks: the tunnel comes up by itself through the NAT (`show status l2tp` established, circuit
# UP both sides), both controlplanes log the NAT-D result (A: peer behind NAT, B: we are behind
# NAT) and IKE moved to UDP 4500 (RFC 3947 §4); LAN hosts ping each other at 56 and 1472 bytes
# while tshark on the public leg sees only IKE and ESP-in-UDP 4500 (RFC 3948): no raw ESP, no
# UDP 1701, not the ping's pattern; the NAT's nft counters moved both ways; B sends RFC 3948
# NAT-keepalives while idle (A's dataplane absorbs them, A sends none); B restarted (its
# processes killed by PID and started again) comes back by itself, and so does A; with NAT-T
# off on A (Yamaha's default) the tunnel still comes up in plain ESP, B's IDs naming its
# private address accepted from the named peer; then the same appliances with `tunnel
# encapsulation l2tpv3-raw` cross the same NAT in the clear (UDP 1701 forwarded).
# Needs root, hugepages, nft and tshark; exits 77 without root.

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import l2tpv3_e2e as v3  # noqa: E402
import l2tpv3_ipsec_e2e as v3s  # noqa: E402
import pseudowire_e2e as pw  # noqa: E402
from lab import Results, TestFailure, ensure_hugepages, wait_until  # noqa: E402
from scapy.layers.inet import IP, UDP  # noqa: E402

SKIP = 77
PSK = "ike-psk-nat-7b3d"
UP_TIMEOUT = 30.0
PUBLIC_B = pw.WAN["b"]        # B as A (and the world) sees it: the NAT's outside address
PRIVATE_B = "203.0.113.130"   # B's own WAN address, behind the NAT
NAT_INSIDE = "203.0.113.129"  # the router on B's side: B's default gateway
PRIVATE_PREFIX = 25
NFT_TABLE = "l2gw_v3n"
NATT_KEEPALIVE = 2            # B's `keepalive=`: seconds between its NAT-keepalives when idle


class NatRouter:
    """A namespace between A's WAN and B's WAN that maps PUBLIC_B to PRIVATE_B one to one
    (DNAT in, SNAT out; RFC 2663 §4.1.1 static NAT), with counters on every rule."""

    def __init__(self, tag: str):
        self.ns = f"l2gw-v3n-nat-{tag}"
        self.pub_if = f"v3nrp{tag}"[:15]
        self.priv_if = f"v3nri{tag}"[:15]

    def wire(self, a: v3.Appliance, b: v3.Appliance) -> None:
        for ns in (a.ns, a.lan_ns, b.ns, b.lan_ns, self.ns):
            pw.sh(["ip", "netns", "add", ns])
        pw.sh(["ip", "link", "add", a.wan_if, "netns", a.ns, "type", "veth", "peer", "name",
               self.pub_if, "netns", self.ns])
        pw.sh(["ip", "link", "add", b.wan_if, "netns", b.ns, "type", "veth", "peer", "name",
               self.priv_if, "netns", self.ns])
        for s in (a, b):
            pw.wire_lan(s)
        for dev, addr in ((self.pub_if, f"{PUBLIC_B}/24"),
                          (self.priv_if, f"{NAT_INSIDE}/{PRIVATE_PREFIX}")):
            pw.offloads_off(self.ns, dev)
            pw.sh(["ip", "-n", self.ns, "addr", "add", addr, "dev", dev])
        pw.sh(["ip", "-n", self.ns, "link", "set", "lo", "up"])
        pw.sh(["ip", "netns", "exec", self.ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        rules = f"""
table ip {NFT_TABLE} {{
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    iifname "{self.pub_if}" ip daddr {PUBLIC_B} counter dnat to {PRIVATE_B} comment "dnat"
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "{self.pub_if}" ip saddr {PRIVATE_B} counter snat to {PUBLIC_B} comment "snat"
  }}
  chain forward {{
    type filter hook forward priority filter; policy accept;
    iifname "{self.pub_if}" oifname "{self.priv_if}" ip daddr {PRIVATE_B} counter comment "in"
    iifname "{self.priv_if}" oifname "{self.pub_if}" ip saddr {PRIVATE_B} counter comment "out"
  }}
}}
"""
        p = subprocess.run(["ip", "netns", "exec", self.ns, "nft", "-f", "-"], input=rules,
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise TestFailure(f"nft: {p.stderr.strip()}")

    def counters(self) -> dict[str, int]:
        """Packets per rule comment (dnat and snat count new connections only, the NAT rules
        being conntrack's; in and out count every forwarded packet)."""
        out = pw.sh(["ip", "netns", "exec", self.ns, "nft", "-j", "list", "table", "ip",
                     NFT_TABLE]).stdout
        seen: dict[str, int] = {}
        for item in json.loads(out)["nftables"]:
            rule = item.get("rule")
            if not rule or "comment" not in rule:
                continue
            for e in rule["expr"]:
                if "counter" in e:
                    seen[rule["comment"]] = int(e["counter"]["packets"])
        return seen

    def flush_conntrack(self) -> None:
        pw.sh(["ip", "netns", "exec", self.ns, "conntrack", "-F"], check=False)

    def remove(self) -> None:
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


def appliances(tag: str, builddir: Path, logdir: Path, psk: str | None,
               a_natt: bool = True) -> tuple[v3.Appliance, v3.Appliance]:
    """A and B as this test configures them; `a_natt` False leaves A's NAT-T at Yamaha's
    default (off)."""
    a = v3.Appliance("a", "b", tag, builddir, logdir, psk=psk, names="v3n",
                     peer_addr=PUBLIC_B, nat_traversal=a_natt)
    b = v3.Appliance("b", "a", tag, builddir, logdir, psk=psk, names="v3n",
                     wan=f"{PRIVATE_B}/{PRIVATE_PREFIX}", gateway=NAT_INSIDE, nat_traversal=True,
                     natt_keepalive=NATT_KEEPALIVE)
    return a, b


def public_leg_sane(frames: list) -> None:
    """B's private address never shows on the public leg: the NAT rewrote every packet."""
    for f in frames:
        if IP in f and PRIVATE_B in (f[IP].src, f[IP].dst):
            raise TestFailure(f"B's private address on the public leg: {f.summary()}")


def main() -> int:
    setup = pw.two_sided_test("l2tpv3_nat_e2e")
    if setup is None:
        return SKIP
    for tool in ("tshark", "nft"):
        if shutil.which(tool) is None:
            print(f"l2tpv3_nat_e2e: {tool} is missing (scripts/setup.sh installs it)")
            return 1
    builddir, tag, logdir = setup
    a, b = appliances(tag, builddir, logdir, PSK)
    nat = NatRouter(tag)
    res = Results()
    t0 = time.monotonic()
    figures: dict[str, float] = {}
    try:
        ensure_hugepages()
        nat.wire(a, b)

        def start() -> None:
            figures["up"] = v3.start_both(a, b, UP_TIMEOUT)
            st = a.status()
            if f"Remote IP Address: {PUBLIC_B}" not in st:
                raise TestFailure(f"A's tunnel is not with B's public address:\n{st}")
            if f"Local IP Address: {PRIVATE_B}" not in b.status():
                raise TestFailure(f"B's tunnel is not on its private address:\n{b.status()}")
        if not res.case("both appliances start, B behind the 1:1 NAT; IKE, the L2TPv3 control "
                        "connection and the session come up by themselves, circuit UP both "
                        "sides", start):
            return 1  # finish() prints the summary

        def nat_detected() -> None:
            if not re.search(r"NAT detected \(peer behind NAT\)", a.cp.log()):
                raise TestFailure("A's log does not say its peer is behind a NAT")
            if not re.search(r"NAT detected \(we are behind NAT\)", b.cp.log()):
                raise TestFailure("B's log does not say it is behind a NAT")
            for s in (a, b):
                if not re.search(rf"IPsec SA\[\d+\] established with [\d.]+:{4500}\b.*"
                                 r"UDP-encapsulated", s.cp.log()):
                    raise TestFailure(f"{s.name}'s IPsec SAs are not UDP-encapsulated on port "
                                      f"4500:\n{s.ctl('show', 'ipsec', 'sa')}")
            if not re.search(r"moving to port 4500", a.cp.log() + b.cp.log()):
                raise TestFailure("no initiator logged the move to port 4500")
            # `show ipsec sa`: A's pairs are with B's public address, B's with A's.
            for s, peer in ((a, PUBLIC_B), (b, pw.WAN["a"])):
                out = s.ctl("show", "ipsec", "sa")
                rows = [ln for ln in out.splitlines() if re.search(r"tra\[\d+\]esp", ln)]
                for way in (" send ", " recv "):
                    if not any(way in r and peer in r for r in rows):
                        raise TestFailure(f"{s.name}'s `show ipsec sa` has no{way}SA with "
                                          f"{peer}:\n{out}")
        res.case("NAT-D: A logs its peer behind NAT, B logs itself behind NAT; IKE floated to "
                 "UDP 4500, the IPsec SAs are UDP-encapsulated and `show ipsec sa` names each "
                 "side's peer as it reaches it", nat_detected)

        def pings_through_nat() -> None:
            before = nat.counters()
            cap = v3s.Capture(a, 7, at=(nat.ns, nat.pub_if))
            v3s.ping_patterned(a, b, (56, 1472))
            frames = cap.frames()
            seen = v3s.check_nothing_in_clear(frames, want_esp=True)
            public_leg_sane(frames)
            senders = {f[IP].src for f in frames
                       if UDP in f and f[UDP].dport == 4500 and f[UDP].sport == 4500
                       and bytes(f[UDP].payload)[:4] not in (b"\0\0\0\0", b"\xff")}
            if senders != {pw.WAN["a"], PUBLIC_B}:
                raise TestFailure(f"ESP-in-UDP 4500<->4500 not seen both ways, only from "
                                  f"{sorted(senders)}")
            print(f"     public leg: {seen['esp_udp']} ESP-in-UDP, {seen['esp'] - seen['esp_udp']}"
                  f" raw ESP, {seen['ike']} IKE, {seen['keepalive']} NAT-keepalive frames",
                  flush=True)
            if seen["esp"] != seen["esp_udp"]:
                raise TestFailure("raw ESP (IP protocol 50) on the public leg after NAT-T")
            after = nat.counters()
            print(f"     nft counters: {after}", flush=True)
            for rule in ("in", "out"):
                if after.get(rule, 0) - before.get(rule, 0) < 12:
                    raise TestFailure(f"the NAT forwarded too few packets ({rule}): "
                                      f"{before} -> {after}")
            if after.get("dnat", 0) + after.get("snat", 0) < 1:
                raise TestFailure(f"no connection went through the NAT rules: {after}")
        res.case("LAN pings (56 and 1472 bytes) cross; the public leg carries only IKE and "
                 "ESP-in-UDP 4500 (no raw ESP, no UDP 1701, not the ping's payload); the NAT's "
                 "counters moved", pings_through_nat)

        def keepalives() -> None:
            # RFC 3948 §4: B, behind the NAT, keeps the mapping with NAT-keepalives while the
            # pseudowire is idle; A absorbs them in its dataplane (NatTKeepalive). A, in front
            # of the NAT, sends none.
            was = pw.counter(a.stats(), "NatTKeepalive")
            wait_until(lambda: pw.counter(a.stats(), "NatTKeepalive") - was >= 2,
                       8 * NATT_KEEPALIVE, "two of B's NAT-keepalives to reach A's dataplane",
                       interval=0.2)
            sent = b.lcce_counter("NatKeepaliveSent")
            if sent < 2 or a.lcce_counter("NatKeepaliveSent") != 0:
                raise TestFailure(f"NatKeepaliveSent: B {sent} (want >= 2), A "
                                  f"{a.lcce_counter('NatKeepaliveSent')} (want 0)")
            print(f"     B sent {sent} NAT-keepalives; A's dataplane absorbed "
                  f"{pw.counter(a.stats(), 'NatTKeepalive')}", flush=True)
        res.case(f"NAT-keepalives: B (behind the NAT, keepalive={NATT_KEEPALIVE}) sends them "
                 "while idle, A's dataplane absorbs them, A sends none", keepalives)

        def peer_restart() -> None:
            figures["back"] = v3.restart_and_ping(b, a, UP_TIMEOUT)
        res.case("peer restart: B's controlplane and dataplane (behind the NAT) killed by PID and "
                 "started again; IKE and the tunnel come back by themselves, pings cross",
                 peer_restart)

        def public_restart() -> None:
            # A (in front of the NAT) restarts: it reaches B through the DNAT only.
            figures["back_a"] = v3.restart_and_ping(a, b, UP_TIMEOUT)
        res.case("peer restart: A's controlplane and dataplane (the public side) killed by PID "
                 "and started again; it reaches B through the NAT again", public_restart)
        res.case("all four processes are still running", lambda: v3.all_running(a, b))

        def reconfigure(psk: str | None, a_natt: bool = True) -> None:
            """Both appliances killed by PID and started again with other configurations."""
            for s in (a, b):
                s.kill()
            nat.flush_conntrack()
            ra, rb = appliances(tag, builddir, logdir, psk, a_natt)
            for s, r in ((a, ra), (b, rb)):
                s.config.write_text(r.config.read_text())

        def natt_off_on_a() -> None:
            # Yamaha's default (`ipsec ike nat-traversal` off) on A: no NAT-T is negotiated and
            # NAT-D never runs, so B's Quick Mode IDs name its private address; A's gateway names
            # B, so it takes them (IdsNatHidden), and plain ESP crosses the 1:1 NAT, which
            # forwards it as `nat descriptor masquerade static ... esp` does.
            reconfigure(PSK, a_natt=False)
            figures["no_natt_up"] = v3.start_both(a, b, UP_TIMEOUT)
            cap = v3s.Capture(a, 3, at=(nat.ns, nat.pub_if))
            pw.ping(a, b)
            pw.ping(b, a, size=1472)
            frames = cap.frames()
            seen = v3s.check_nothing_in_clear(frames, want_esp=True)
            public_leg_sane(frames)
            if seen["esp_udp"] or seen["esp"] == 0:
                raise TestFailure(f"want plain ESP only without NAT-T: {seen}")
            hidden = a.lcce_counter("IdsNatHidden") + b.lcce_counter("IdsNatHidden")
            if hidden < 1 or a.lcce_counter("InvalidId") + b.lcce_counter("InvalidId"):
                raise TestFailure(f"IdsNatHidden {hidden}, InvalidId "
                                  f"{a.lcce_counter('InvalidId') + b.lcce_counter('InvalidId')}")
        res.case("A with NAT-T off (Yamaha's default): plain ESP through the 1:1 NAT, B's IDs "
                 "naming its private address taken from the named peer, pings cross",
                 natt_off_on_a)
        res.case("all four processes are still running", lambda: v3.all_running(a, b))

        def raw_through_nat() -> None:
            # Seed 001's first step through the same NAT: `l2tpv3-raw`, no IPsec; the 1:1
            # mapping forwards UDP 1701 as `nat descriptor masquerade static ... udp 1701` does.
            reconfigure(None)
            figures["raw_up"] = v3.start_both(a, b, UP_TIMEOUT)
            cap = v3s.Capture(a, 3, at=(nat.ns, nat.pub_if))
            pw.ping(a, b)
            pw.ping(b, a, size=1472)
            frames = cap.frames()
            public_leg_sane(frames)
            senders = {f[IP].src for f in frames
                       if UDP in f and f[UDP].sport == 1701 and f[UDP].dport == 1701}
            if senders != {pw.WAN["a"], PUBLIC_B}:
                raise TestFailure(f"L2TPv3 on UDP 1701 not seen both ways on the public leg, "
                                  f"only from {sorted(senders)}")
        res.case("l2tpv3-raw through the same NAT: the pseudowire comes up and pings cross, "
                 "L2TPv3 on UDP 1701 on the public leg", raw_through_nat)
        res.case("all four processes are still running", lambda: v3.all_running(a, b))
    finally:
        try:
            rc = v3.finish(res, (a, b), t0, figures, logdir)
        finally:
            nat.remove()
    return rc


if __name__ == "__main__":
    sys.exit(main())
