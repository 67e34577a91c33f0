#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# l2tpv3_ipsec_e2e.py: seed 001's second step. Two l2tpgw appliances bridge their LANs over an
# L2TPv3 pseudowire inside IPsec (`tunnel encapsulation l2tpv3`, `ipsec ike remote address`,
# `ipsec transport 1 100 udp 1701`): each side's IKE initiates Main Mode and Quick Mode to the
# other, the LCCEs' control connection and the pseudowire run in ESP transport mode, and
# nothing of the bridge ever crosses the WAN in the clear.
#
#   ns lanA (192.0.2.11/24) -- [appliance A] 198.51.100.1 ==WAN veth==
#                              198.51.100.2 [appliance B] -- ns lanB (192.0.2.12/24)
#
# The appliances are l2tpv3_e2e.py's (namespaces `l2gw-v3s-*`), with the IPsec block added.
# Checks: the tunnel comes up by itself through IKE (`show status l2tp` established, circuit UP
# both sides; `show ipsec sa` lists the ESP pairs); LAN hosts ping each other (ARP crosses) and
# 1472-byte payloads cross, while tshark on the WAN link sees only IKE and ESP between the two
# appliances: no UDP 1701, no ICMP, and not the ping's payload pattern anywhere in a frame; a
# peer restart (A's processes killed by PID and started again: INITIAL-CONTACT, new SAs, new
# control connection) heals by itself; a controlplane-only restart of B comes back with its
# previous process's SAs removed; and, as in the seed's closing test, when IPsec cannot come up
# (A restarted with a pre-shared key B does not share) A's tunnel stays in wait_ctl_reply,
# `show ipsec sa` prints nothing, pings fail and still no L2TP leaves in the clear.
# Needs root, hugepages and tshark; exits 77 without root.

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import l2tpv3_e2e as v3  # noqa: E402
import pseudowire_e2e as pw  # noqa: E402
from lab import Proc, Results, TestFailure, ensure_hugepages, wait_until  # noqa: E402
# Imported before any capture is read: rdpcap dissects with the layers loaded at that time.
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import ARP  # noqa: E402
from scapy.utils import rdpcap  # noqa: E402

SKIP = 77
PSK = "ike-psk-l2l-5c1e"
UP_TIMEOUT = 30.0
PATTERN = "5a17c0de5a17c0de"  # ping -p: what a plaintext frame would show on the wire


class Capture:
    """tshark (dumpcap) on A's WAN veth for a bounded time; the frames read back with scapy.
    The dataplane's own transmissions bypass the qdisc (net_af_packet) and so the capture taps:
    on a dataplane's veth only what it receives is seen. `at` = (namespace, interface) captures
    elsewhere (a router between the appliances sees both directions)."""

    def __init__(self, side: v3.Appliance, seconds: int, at: tuple[str, str] | None = None):
        ns, iface = at or (side.ns, side.wan_if)
        self.file = side.logdir / f"wan-{time.monotonic_ns()}.pcap"
        self.proc = Proc(f"tshark-{self.file.stem}", [
            "ip", "netns", "exec", ns, "tshark", "-i", iface, "-n", "-q", "-a",
            f"duration:{seconds}", "-w", str(self.file)], side.logdir)
        self.proc.wait_for_output(r"Capturing on", 30)

    def frames(self) -> list:
        """Waits for the capture to end by itself (its duration); the frames it holds."""
        self.proc.p.wait(timeout=120)
        return list(rdpcap(str(self.file)))


def check_nothing_in_clear(frames: list, want_esp: bool) -> dict[str, int]:
    """Every IPv4 frame between the appliances is IKE (UDP 500, or 4500 with the non-ESP
    marker), ESP (raw or in UDP 4500) or a NAT-keepalive; no frame carries the ping's pattern.
    Returns what was seen: esp (all ESP), esp_udp (RFC 3948 ESP-in-UDP among them), ike,
    keepalive (RFC 3948 §2.3), arp."""
    seen = {"esp": 0, "esp_udp": 0, "ike": 0, "keepalive": 0, "arp": 0}
    wan = set(pw.WAN.values())
    pattern = bytes.fromhex(PATTERN)
    # A non-first fragment has no UDP header: it is what its first fragment was (RFC 791
    # §3.2: same source, destination, protocol and identification).
    first_of: dict[tuple, str] = {}
    for f in frames:
        if pattern in bytes(f):
            raise TestFailure(f"the ping's payload pattern is on the WAN in the clear: "
                              f"{f.summary()}")
        if ARP in f:
            seen["arp"] += 1
            continue
        if IP not in f or (f[IP].src not in wan and f[IP].dst not in wan):
            continue
        key = (f[IP].src, f[IP].dst, f[IP].proto, f[IP].id)
        if f[IP].frag > 0:
            kind = first_of.get(key)
            if kind is None:
                raise TestFailure(f"a fragment whose first fragment was not seen: {f.summary()}")
            seen[kind] += 1
            if kind == "esp_udp":
                seen["esp"] += 1
            continue
        udp = f[UDP] if UDP in f else None
        ports = {udp.sport, udp.dport} if udp is not None else set()
        if f[IP].proto == 50:
            kind = "esp"
        elif 4500 in ports and bytes(udp.payload) == b"\xff":
            kind = "keepalive"  # RFC 3948 §2.3 NAT-keepalive
        elif 4500 in ports and bytes(udp.payload)[:4] != b"\0\0\0\0":
            kind = "esp_udp"  # RFC 3948 UDP-encapsulated ESP
            seen["esp"] += 1
        elif ports & {500, 4500}:
            kind = "ike"
        else:
            raise TestFailure(f"a frame that is neither IKE nor ESP between the appliances: "
                              f"{f.summary()}")
        seen[kind] += 1
        if f[IP].flags.MF:
            first_of[key] = kind
    if want_esp and seen["esp"] == 0:
        raise TestFailure("no ESP at all on the WAN while the LANs pinged each other")
    return seen


def ping_patterned(a: v3.Appliance, b: v3.Appliance, sizes: tuple[int, ...]) -> None:
    """Three pings each way per size, their payload the PATTERN a capture looks for."""
    for size in sizes:
        for src, dst in ((a, b), (b, a)):
            p = pw.sh(["ip", "netns", "exec", src.lan_ns, "ping", "-c", "3", "-i", "0.3", "-W",
                       "3", "-s", str(size), "-M", "dont", "-p", PATTERN,
                       pw.LAN_HOST[dst.name]], check=False, timeout=60)
            if "3 received" not in p.stdout:
                raise TestFailure(f"ping -s {size} {src.name} -> {dst.name}:\n{p.stdout[-300:]}")


def main() -> int:
    setup = pw.two_sided_test("l2tpv3_ipsec_e2e")
    if setup is None:
        return SKIP
    if shutil.which("tshark") is None:
        print("l2tpv3_ipsec_e2e: tshark is missing (scripts/setup.sh installs it)")
        return 1
    builddir, tag, logdir = setup
    a = v3.Appliance("a", "b", tag, builddir, logdir, psk=PSK, names="v3s")
    b = v3.Appliance("b", "a", tag, builddir, logdir, psk=PSK, names="v3s")
    res = Results()
    t0 = time.monotonic()
    figures: dict[str, float] = {}

    def wait_up(what: str) -> None:
        for s in (a, b):
            wait_until(s.up, UP_TIMEOUT, f"{s.name}'s L2TPv3/IPsec tunnel {what}", interval=0.2)

    try:
        ensure_hugepages()
        pw.wire(a, b)

        def start() -> None:
            figures["up"] = v3.start_both(a, b, UP_TIMEOUT)
        if not res.case("both appliances start with seed 001's L2TPv3/IPsec configuration; IKE "
                        "and then the L2TPv3 control connection and session come up by "
                        "themselves, circuit UP both sides", start):
            return 1  # finish() prints the summary

        def sa_listing() -> None:
            for s in (a, b):
                out = s.ctl("show", "ipsec", "sa")
                rows = [ln for ln in out.splitlines() if re.search(r"tra\[\d+\]esp", ln)]
                peer = pw.WAN[s.peer]
                if not any(" send " in r and peer in r for r in rows) or \
                        not any(" recv " in r and peer in r for r in rows):
                    raise TestFailure(f"{s.name}'s `show ipsec sa` lacks a send/recv pair with "
                                      f"{peer}:\n{out}")
                if PSK in out or PSK in s.ctl("show", "config"):
                    raise TestFailure(f"{s.name} shows the pre-shared key")
                if s.lcce_counter("ipsec_up") < 1:
                    raise TestFailure(f"{s.name}: the bridge never took an SA pair")
            print("     " + "\n     ".join(a.ctl("show", "ipsec", "sa").splitlines()), flush=True)
        res.case("`show ipsec sa` lists the ESP pair with the peer on both sides; no key shown",
                 sa_listing)

        def pings_in_esp() -> None:
            # Each side's capture sees what it receives (its dataplane's own frames bypass
            # the taps): both together see both directions.
            caps = (Capture(a, 8), Capture(b, 8))
            ping_patterned(a, b, (56, 1472))
            seen = check_nothing_in_clear(caps[0].frames() + caps[1].frames(), want_esp=True)
            print(f"     WAN capture: {seen['esp']} ESP, {seen['ike']} IKE, {seen['arp']} ARP "
                  "frames; nothing else between the appliances", flush=True)
        res.case("LAN pings (56 and 1472 bytes, ARP first) cross the bridge; tshark on the WAN "
                 "sees only IKE and ESP, never UDP 1701, ICMP or the ping's payload", pings_in_esp)

        def peer_restart() -> None:
            figures["back"] = v3.restart_and_ping(a, b, UP_TIMEOUT)
        res.case("peer restart: A's controlplane and dataplane killed by PID and started again; "
                 "IKE and the tunnel come back by themselves and pings cross", peer_restart)

        def controlplane_restart() -> None:
            b.kill_controlplane()
            killed = time.monotonic()
            b.start_controlplane()
            b.cp.wait_for_output(r"pseudowire session \d+ from the previous controlplane keeps "
                                 r"forwarding", UP_TIMEOUT)
            b.cp.wait_for_output(r"bridged with lan1", UP_TIMEOUT)
            wait_up("after B's controlplane restart")
            figures["cp_back"] = time.monotonic() - killed
            if b.lcce_counter("pw_replaced") != 1 or b.lcce_counter("orphan_sas_removed") < 2:
                raise TestFailure("B's new session did not replace the adopted pseudowire and "
                                  "remove its previous process's SAs")
            pw.ping(b, a)
        res.case("controlplane restart: B's controlplane killed by PID; the new one adopts the "
                 "pseudowire, negotiates new SAs, replaces it and removes the old SAs",
                 controlplane_restart)

        def ipsec_fails() -> None:
            # The seed's closing test: the IPsec side broken, the L2TPv3 tunnel cannot come up.
            a.kill()
            a.config.write_text(v3.seed001("a", "b", psk="not-" + PSK))
            a.start(a.config)
            a.start_controlplane()
            a.cp.wait_for_output(r"waits for an IPsec SA", UP_TIMEOUT)
            caps = (Capture(a, 6), Capture(b, 6))
            p = pw.sh(["ip", "netns", "exec", a.lan_ns, "ping", "-c", "3", "-i", "0.3", "-W", "1",
                       "-p", PATTERN, pw.LAN_HOST["b"]], check=False, timeout=60)
            check_nothing_in_clear(caps[0].frames() + caps[1].frames(), want_esp=False)
            if " 0 received" not in p.stdout:
                raise TestFailure(f"a ping crossed without IPsec:\n{p.stdout[-300:]}")
            st = a.status()
            if "Tunnel State: wait_ctl_reply" not in st:
                raise TestFailure(f"A's tunnel is not in wait_ctl_reply:\n{st}")
            if a.ctl("show", "ipsec", "sa").strip():
                raise TestFailure("A's `show ipsec sa` is not empty")
            if a.lcce_counter("ipsec_unavailable") < 1:
                raise TestFailure("A's bridge never counted a message held back for IPsec")
        res.case("IPsec fails (A restarted with another pre-shared key): A's tunnel stays in "
                 "wait_ctl_reply, `show ipsec sa` prints nothing, pings fail, nothing L2TP in "
                 "the clear", ipsec_fails)
        res.case("all four processes are still running", lambda: v3.all_running(a, b))
    finally:
        rc = v3.finish(res, (a, b), t0, figures, logdir)
    return rc


if __name__ == "__main__":
    sys.exit(main())
