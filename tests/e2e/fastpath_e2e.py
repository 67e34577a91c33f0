#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# fastpath_e2e.py: the DPDK dataplane against an independent scapy L2TP/IPsec client, in
# network namespaces (scripts/netns-lab.sh):
#
#   WAN peer (scapy, AF_PACKET on wan0)  <->  l2tpgw-dataplane (dpwan | dplan)  <->  LAN host
#   203.0.113.10, clients 198.51.100.x        203.0.113.1 | 192.0.2.1              192.0.2.10
#
# Sessions are installed statically with l2tpgw-sessionctl; counters come from l2tpgw-stats.
# For every algorithm, with and without NAT-T, echo requests from the client to the LAN host
# must come back as ESP-protected echo replies; then forged, replayed, truncated and foreign
# packets must be dropped under their named counter while another session keeps forwarding.
# With --workers 2 or more, handoff cases follow: clients owned by every worker, one client's
# LAN traffic spread over every worker's queue (one ESP sequence per SA, all of it authentic),
# upstream from every owner and from clients whose NAT mapping flaps (no replay drops), and
# HandoffOut/HandoffIn moving on every worker, with flows probed onto every worker first.
# Finally the appliance must behave as a router at MTU and TTL limits: ICMP Fragmentation
# Needed / Time Exceeded to the sender on either side, fragments that scapy reassembles to the
# original, no ICMP error about an ICMP error or a broadcast, and a rate limit on the errors.
#
#   /usr/bin/python3 tests/e2e/fastpath_e2e.py --builddir <builddir> [--workers N] [--keep]
#                    [-k PATTERN]

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import select
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import ICMP, IP, UDP, IPerror, defragment, fragment  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import checksum  # noqa: E402

import l2tp_esp_peer as lep  # noqa: E402
from lab import (LAN_GW_ADDR, LAN_HOST_ADDR, WAN_GW_ADDR, WAN_PEER_ADDR, L2Port, Lab, Proc,  # noqa: E402
                 Results, TestFailure, ensure_hugepages, in_netns, ns_cmd, run, wait_until)

# ---------------------------------------------------------------------------------------------
# What this test assumes about the system under test. Adjust here when names change.
# ---------------------------------------------------------------------------------------------

DATAPLANE = "dataplane/l2tpgw-dataplane"
SESSIONCTL = "controlplane/l2tpgw-sessionctl"
STATS = "controlplane/l2tpgw-stats"
READY_LINE = r"^l2tpgw-dataplane: ready"
POOL = "198.51.100.0/24"

# Named counters the negative cases assert on ("drops" first, then "counters" in the JSON).
DROP = {
    "bad_icv": "EspBadIcv",
    "replay": "EspReplay",
    "unknown_spi": "EspNoSa",
    "runt": "EspRunt",
    "bad_length": "EspBadLength",
    "unknown_session": "L2tpNoSession",
    "spoofed": "Ipv4Spoofed",
    "natt_keepalive": "NatTKeepalive",
    "too_big": "Ipv4TooBig",
    "ttl": "Ipv4TtlExceeded",
}

# Router behaviour: the LAN MTU and the sessions' MTU the appliance runs with, and its ICMP
# error rate limit (per worker), set low so that a short flood hits it.
LAN_MTU = 1500
SESSION_MTU = 1400          # l2tpgw-sessionctl's default --mtu
ICMP_ERROR_RATE = 100       # per second
ICMP_ERROR_BURST = 10

SESSIONCTL_LINE = re.compile(r"session=(\d+) tunnel_id=(\d+) session_id=(\d+) "
                             r"spi_in=0x([0-9a-fA-F]+) spi_out=0x([0-9a-fA-F]+)")
SESSIONCTL_OWNER = re.compile(r"\bowner=(\d+)")     # the worker that owns the session

TIMEOUT_READY = 60.0     # EAL init + port start
TIMEOUT_REPLY = 3.0      # one round trip through the lab
TIMEOUT_COUNTER = 5.0    # a counter to reach its expected value
TIMEOUT_SILENCE = 0.5    # how long "nothing came out" is watched for
TIMEOUT_BURST = 20.0     # a burst of a few hundred packets through a loaded 2-CPU lab

SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
PACKET_OUTGOING = 4


# ---------------------------------------------------------------------------------------------
# The appliance: processes and tools
# ---------------------------------------------------------------------------------------------

@dataclass
class Appliance:
    lab: Lab
    builddir: Path
    log_dir: Path
    prefix: str = ""
    proc: Proc | None = None
    workers: int = 1            # worker lcores; with more than one, clients are handed off
    idle_sleep_us: int = 0      # the dataplane's --idle-sleep-us (0: workers poll nonstop)

    def binary(self, rel: str) -> Path:
        return self.builddir / rel

    def missing_binaries(self) -> list[str]:
        return [str(self.binary(b)) for b in (DATAPLANE, SESSIONCTL, STATS)
                if not os.access(self.binary(b), os.X_OK)]

    def lcores(self) -> str:
        # The slowpath and each worker get an lcore; they may share CPUs with each other.
        cpus = os.cpu_count() or 1
        return ",".join(f"{i}@{i % cpus}" for i in range(self.workers + 1))

    def start(self) -> None:
        self.prefix = f"l2gw-{self.lab.suffix}"
        self.proc = Proc("dataplane", ns_cmd(self.lab.dut, [
            str(self.binary(DATAPLANE)),
            "--no-pci", "--file-prefix", self.prefix, "--lcores", self.lcores(),
            "--vdev", f"net_af_packet0,iface=dpwan,qpairs={self.workers + 1}",
            "--vdev", f"net_af_packet1,iface=dplan,qpairs={self.workers + 1}",
            "--",
            "--wan-addr", f"{WAN_GW_ADDR}/24", "--lan-addr", f"{LAN_GW_ADDR}/24",
            "--pool", POOL, "--max-sessions", "1024", "--lan-mtu", str(LAN_MTU),
            "--icmp-error-rate", str(ICMP_ERROR_RATE),
            "--icmp-error-burst", str(ICMP_ERROR_BURST),
            "--idle-sleep-us", str(self.idle_sleep_us)]), self.log_dir)
        self.proc.wait_for_output(READY_LINE, TIMEOUT_READY)

    def alive(self) -> None:
        if self.proc is None or not self.proc.running():
            rc = None if self.proc is None else self.proc.p.returncode
            raise TestFailure(f"the dataplane is not running (exit status {rc}); log "
                              f"{self.proc.log_path if self.proc else '-'}:\n"
                              f"{self.proc.tail() if self.proc else ''}")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        rc = self.proc.stop()
        # A killed primary leaves its hugepage files and runtime directory behind.
        for f in Path("/dev/hugepages").glob(f"{self.prefix}map_*"):
            f.unlink(missing_ok=True)
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)
        return rc

    def tool(self, rel: str, args: list[str]) -> str:
        # DPDK secondary processes: same mount namespace as the primary (nsenter --net only).
        cmd = ns_cmd(self.lab.dut, [str(self.binary(rel)), "--file-prefix", self.prefix] + args)
        p = run(cmd, timeout=30, check=False)
        with open(self.log_dir / "tools.log", "a") as log:
            log.write(f"# {' '.join(cmd)}\n# rc={p.returncode}\n{p.stdout}{p.stderr}\n")
        if p.returncode != 0:
            raise TestFailure(f"{Path(rel).name} {' '.join(args[:2])} failed ({p.returncode}): "
                              f"{p.stderr.strip() or p.stdout.strip()}")
        return p.stdout

    def stats(self) -> dict:
        out = self.tool(STATS, ["--json"])
        try:
            return json.loads(out)
        except json.JSONDecodeError as e:
            raise TestFailure(f"l2tpgw-stats --json printed invalid JSON ({e}): {out[:300]!r}")


def counter(stats: dict, name: str) -> int:
    for section in ("drops", "counters"):
        if name in stats.get(section, {}):
            return int(stats[section][name])
    raise TestFailure(f"counter {name!r} not in l2tpgw-stats output; drops: "
                      f"{sorted(stats.get('drops', {}))}, counters: "
                      f"{sorted(stats.get('counters', {}))}")


def session_stats(stats: dict, session: int) -> dict:
    for s in stats.get("sessions", []):
        if int(s.get("session", -1)) == session:
            return s
    raise TestFailure(f"session {session} not in l2tpgw-stats sessions: "
                      f"{[s.get('session') for s in stats.get('sessions', [])]}")


def all_counters(stats: dict) -> dict[str, int]:
    return {**{f"counters.{k}": int(v) for k, v in stats.get("counters", {}).items()},
            **{f"drops.{k}": int(v) for k, v in stats.get("drops", {}).items()}}


# ---------------------------------------------------------------------------------------------
# Sessions and the WAN peer
# ---------------------------------------------------------------------------------------------

@dataclass
class Session:
    label: str
    peer: lep.Peer
    n: int                      # the appliance's session handle (l2tpgw-sessionctl session=<n>)
    owner: int | None = None    # the worker that owns its SAs (sessionctl owner=<w>)
    last_rx_seq: int = 0        # ESP seq of the last packet the appliance sent us on this SA
    icmp_id: int = field(default_factory=lambda: secrets.randbelow(0xFFFF) + 1)
    icmp_seq: int = 0

    @property
    def cfg(self) -> lep.PeerConfig:
        return self.peer.cfg


def install_session(app: Appliance, label: str, a: lep.Algo, client_ip: str, natt: bool,
                    peer_natt_port: int = 4500, peer_l2tp_port: int = 1701,
                    replay_window: int | None = None) -> Session:
    # The appliance chooses its SPI (our tx SPI), tunnel id and session id; we choose ours.
    cfg = lep.PeerConfig(
        client_ip=client_ip, peer_ip=WAN_PEER_ADDR,
        tx=lep.random_keys(a, spi=0),
        rx=lep.random_keys(a, spi=0x1000_0000 + secrets.randbelow(0xE000_0000)),
        peer_tunnel_id=secrets.randbelow(0xFFFE) + 1,
        peer_session_id=secrets.randbelow(0xFFFE) + 1,
        natt=natt, peer_natt_port=peer_natt_port, peer_l2tp_port=peer_l2tp_port)
    args = ["add", "--client", client_ip, "--peer", WAN_PEER_ADDR]
    if natt:
        args += ["--natt", "--peer-port", str(peer_natt_port)]
    args += ["--cipher", a.cipher.cli, "--auth", a.auth.cli,
             "--enc-key-in", cfg.tx.enc_key.hex(), "--auth-key-in", cfg.tx.auth_key.hex(),
             "--enc-key-out", cfg.rx.enc_key.hex(), "--auth-key-out", cfg.rx.auth_key.hex(),
             "--spi-out", f"0x{cfg.rx.spi:08x}",
             "--peer-tunnel-id", str(cfg.peer_tunnel_id),
             "--peer-session-id", str(cfg.peer_session_id),
             "--peer-l2tp-port", str(peer_l2tp_port)]
    if replay_window is not None:
        args += ["--replay-window", str(replay_window)]
    out = app.tool(SESSIONCTL, args)
    m = SESSIONCTL_LINE.search(out)
    if not m:
        raise TestFailure(f"l2tpgw-sessionctl add printed {out.strip()!r}, expected "
                          f"'session=N tunnel_id=N session_id=N spi_in=0xH spi_out=0xH'")
    n, tid, sid, spi_in, spi_out = int(m[1]), int(m[2]), int(m[3]), int(m[4], 16), int(m[5], 16)
    if spi_out != cfg.rx.spi:
        raise TestFailure(f"sessionctl echoed spi_out=0x{spi_out:08x}, we gave 0x{cfg.rx.spi:08x}")
    cfg.tx = replace(cfg.tx, spi=spi_in)
    cfg.gw_tunnel_id, cfg.gw_session_id = tid, sid
    owner = SESSIONCTL_OWNER.search(out)
    return Session(label, lep.Peer(cfg), n, owner=int(owner[1]) if owner else None)


class WanPeer:
    """The client side on wan0: sends whole frames, receives and opens what the appliance
    sends back. Kernel sockets on ESP and the NAT-T ports keep the WAN namespace's kernel from
    answering the appliance's ESP with ICMP unreachables."""

    def __init__(self, lab: Lab):
        self.lab = lab
        self.port = L2Port(lab.wan, "wan0")
        # Room for a burst of the appliance's frames while the test is busy decrypting.
        self.port.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        self.gw_mac: str | None = None
        self._absorbers: list[socket.socket] = []
        with in_netns(lab.wan):
            self._absorbers.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, 50))
        self.absorb_udp(4500)

    def absorb_udp(self, port: int) -> None:
        with in_netns(self.lab.wan):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((WAN_PEER_ADDR, port))
        self._absorbers.append(s)

    def resolve_gw(self) -> str:
        req = Ether(dst="ff:ff:ff:ff:ff:ff", src=self.port.mac) / ARP(
            op=1, hwsrc=self.port.mac, psrc=WAN_PEER_ADDR, pdst=WAN_GW_ADDR)

        def is_reply(frame: bytes) -> str | None:
            e = Ether(frame)
            if ARP in e and e[ARP].op == 2 and e[ARP].psrc == WAN_GW_ADDR:
                return e[ARP].hwsrc
            return None
        for _ in range(3):
            self.port.send(bytes(req))
            mac = self.port.recv_until(is_reply, TIMEOUT_REPLY / 3)
            if mac:
                self.gw_mac = mac
                return mac
        raise TestFailure(f"no ARP reply for {WAN_GW_ADDR} from the dataplane's WAN port")

    def send(self, outer: IP) -> None:
        assert self.gw_mac, "resolve_gw() first"
        self.port.send(bytes(Ether(dst=self.gw_mac, src=self.port.mac) / outer))

    def receive(self, sessions: list[Session], want: int, timeout: float) -> list[tuple]:
        """Collect up to `want` ESP frames from the gateway for `sessions` (matched by SPI),
        each opened by that session's peer: [(session, Received)]. Frames that fail the
        checks become failures, not silence."""
        by_spi = {s.cfg.rx.spi: s for s in sessions}
        got: list[tuple] = []

        def match(frame: bytes):
            e = Ether(frame)
            if IP not in e or e[IP].src != WAN_GW_ADDR:
                return None
            ip = e[IP]
            raw_ip = bytes(ip)
            if ip.proto == 50:
                spi = int.from_bytes(raw_ip[ip.ihl * 4:ip.ihl * 4 + 4], "big")
            elif ip.proto == 17 and UDP in ip and ip[UDP].sport == 4500:
                spi = int.from_bytes(raw_ip[ip.ihl * 4 + 8:ip.ihl * 4 + 12], "big")
            else:
                return None
            s = by_spi.get(spi)
            if s is None:
                raise TestFailure(f"ESP from the gateway with unexpected SPI 0x{spi:08x}: "
                                  f"{ip.summary()}")
            try:
                r = s.peer.open_frame(frame)
            except lep.PeerError as err:
                raise TestFailure(f"[{s.label}] bad frame from the gateway: {err}") from err
            if r.seq <= s.last_rx_seq:
                raise TestFailure(f"[{s.label}] ESP seq {r.seq} after {s.last_rx_seq}: "
                                  f"sequence numbers must strictly increase")
            s.last_rx_seq = r.seq
            got.append((s, r))
            return len(got) >= want
        self.port.recv_until(match, timeout)
        return got

    def collect(self, sessions: list[Session], want: int, timeout: float) -> list[tuple]:
        """Raw frames from the gateway for `sessions` (by SPI), as fast as they come and
        without opening them: [(session, frame)] in arrival order, until `want` or timeout."""
        by_spi = {s.cfg.rx.spi: s for s in sessions}
        got: list[tuple] = []
        deadline = time.monotonic() + timeout
        while len(got) < want:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.port.sock], [], [], left)
            while r:
                try:
                    frame, addr = self.port.sock.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                s = by_spi.get(gateway_esp_spi(frame))
                if s is not None:
                    got.append((s, frame))
        return got

    def close(self) -> None:
        self.port.close()
        for s in self._absorbers:
            s.close()


def gateway_esp_spi(frame: bytes) -> int | None:
    """The SPI of an ESP or NAT-T ESP frame from the gateway, read without scapy."""
    if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[12:16] != socket.inet_aton(WAN_GW_ADDR):
        return None
    if ip[9] == 50:
        off = ihl
    elif ip[9] == 17 and int.from_bytes(ip[ihl:ihl + 2], "big") == lep.NATT_PORT:
        off = ihl + 8
    else:
        return None
    return int.from_bytes(ip[off:off + 4], "big") if len(ip) >= off + 4 else None


# ---------------------------------------------------------------------------------------------
# Test steps
# ---------------------------------------------------------------------------------------------

@dataclass
class Ctx:
    app: Appliance
    wan: WanPeer
    lan: L2Port
    sessions: dict[str, Session] = field(default_factory=dict)
    lan_gw_mac: str | None = None


def echo_request(s: Session, size: int = 56) -> IP:
    s.icmp_seq += 1
    body = bytes((s.icmp_seq + i) & 0xFF for i in range(size))
    return IP(src=s.cfg.client_ip, dst=LAN_HOST_ADDR, ttl=64) / \
        ICMP(type=8, id=s.icmp_id, seq=s.icmp_seq) / Raw(body)


def check_echo_reply(s: Session, r: lep.Received, req: IP) -> None:
    if r.ppp_proto != lep.PPP_PROTO_IPV4 or r.inner is None:
        raise TestFailure(f"[{s.label}] PPP protocol 0x{r.ppp_proto:04x}, expected 0x0021")
    ip = r.inner
    if (ip.src, ip.dst) != (LAN_HOST_ADDR, s.cfg.client_ip):
        raise TestFailure(f"[{s.label}] inner {ip.src} -> {ip.dst}, "
                          f"expected {LAN_HOST_ADDR} -> {s.cfg.client_ip}")
    if ICMP not in ip or ip[ICMP].type != 0:
        raise TestFailure(f"[{s.label}] inner packet is not an echo reply: {ip.summary()}")
    if (ip[ICMP].id, ip[ICMP].seq) != (req[ICMP].id, req[ICMP].seq):
        raise TestFailure(f"[{s.label}] echo reply id/seq {ip[ICMP].id}/{ip[ICMP].seq}, "
                          f"expected {req[ICMP].id}/{req[ICMP].seq}")
    if bytes(ip[ICMP].payload) != bytes(req[ICMP].payload):
        raise TestFailure(f"[{s.label}] echo reply payload differs from the request's")
    if ip.len != len(bytes(ip)):
        raise TestFailure(f"[{s.label}] inner IPv4 length {ip.len} != {len(bytes(ip))}")


def ping(ctx: Ctx, s: Session, count: int = 3, **variant) -> None:
    """Echo requests through the tunnel, one at a time; every reply must come back opened and
    matching."""
    for _ in range(count):
        req = echo_request(s)
        ctx.wan.send(s.peer.upstream(req, **variant))
        got = ctx.wan.receive([s], 1, TIMEOUT_REPLY)
        if not got:
            raise TestFailure(f"[{s.label}] no echo reply for icmp seq {req[ICMP].seq} "
                              f"({variant or 'default headers'})")
        check_echo_reply(s, got[0][1], req)


def arm(ctx: Ctx) -> dict:
    """Before a negative case: forget frames already queued on the lab's sockets (so silence
    is judged only on what follows) and snapshot the counters."""
    ctx.lan.drain()
    ctx.wan.port.drain()
    return ctx.app.stats()


def expect_silence(ctx: Ctx, s: Session | None, what: str) -> None:
    """Nothing for this client on the LAN and nothing from the gateway for its SA."""
    def lan_match(frame: bytes):
        e = Ether(frame)
        return IP in e and e[IP].src.startswith("198.51.100.") and e[IP].summary()
    leaked = ctx.lan.recv_until(lan_match, TIMEOUT_SILENCE)
    if leaked:
        raise TestFailure(f"{what}: forwarded to the LAN anyway: {leaked}")
    if s is not None:
        got = ctx.wan.receive([s], 1, 0.05)
        if got:
            raise TestFailure(f"{what}: the gateway answered on {s.label}")


def expect_drop(ctx: Ctx, name: str, before: dict, count: int) -> dict:
    """Wait for counter `name` to grow by exactly `count` since `before`."""
    start = counter(before, name)
    last: dict = {}

    def reached():
        nonlocal last
        last = ctx.app.stats()
        return counter(last, name) - start >= count
    try:
        wait_until(reached, TIMEOUT_COUNTER, f"{name} += {count}", interval=0.1)
    except TestFailure:
        pass
    delta = counter(last, name) - start
    if delta != count:
        moved = {k: v - all_counters(before).get(k, 0) for k, v in all_counters(last).items()
                 if v != all_counters(before).get(k, 0)}
        raise TestFailure(f"{name} grew by {delta}, expected {count}; counters that moved: "
                          f"{moved}")
    return last


def after_negative(ctx: Ctx, witness: str = "witness") -> None:
    ctx.app.alive()
    ping(ctx, ctx.sessions[witness], count=1)


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------

POSITIVE = [
    # (label, algorithm, NAT-T, peer NAT-T source port)
    ("aes-cbc+sha-hmac", lep.algo("aes-cbc", "sha-hmac"), False, 4500),
    ("aes-cbc+sha-hmac/natt", lep.algo("aes-cbc", "sha-hmac"), True, 4500),
    ("aes256-cbc+sha256-hmac", lep.algo("aes256-cbc", "sha256-hmac"), False, 4500),
    ("aes256-cbc+sha256-hmac/natt", lep.algo("aes256-cbc", "sha256-hmac"), True, 40001),
    ("3des-cbc+sha-hmac", lep.algo("3des-cbc", "sha-hmac"), False, 4500),
    ("3des-cbc+sha-hmac/natt", lep.algo("3des-cbc", "sha-hmac"), True, 40002),
    ("des-cbc+md5-hmac", lep.algo("des-cbc", "md5-hmac"), False, 4500),
    ("des-cbc+md5-hmac/natt", lep.algo("des-cbc", "md5-hmac"), True, 40003),
    ("aes-gcm", lep.algo("aes-gcm"), False, 4500),
    ("aes-gcm/natt", lep.algo("aes-gcm"), True, 40004),
    ("aes256-gcm", lep.algo("aes256-gcm"), False, 4500),
    ("aes256-gcm/natt", lep.algo("aes256-gcm"), True, 40005),
    ("aes-cbc+md5-hmac", lep.algo("aes-cbc", "md5-hmac"), False, 4500),
    ("aes-cbc+md5-hmac/natt", lep.algo("aes-cbc", "md5-hmac"), True, 40006),
    ("aes-cbc+sha256-hmac", lep.algo("aes-cbc", "sha256-hmac"), False, 4500),
    ("aes256-cbc+sha-hmac/natt", lep.algo("aes256-cbc", "sha-hmac"), True, 40007),
]


def case_arp(ctx: Ctx) -> None:
    ctx.wan.resolve_gw()
    # Proxy ARP on the LAN for a pool address.
    req = Ether(dst="ff:ff:ff:ff:ff:ff", src=ctx.lan.mac) / ARP(
        op=1, hwsrc=ctx.lan.mac, psrc=LAN_HOST_ADDR, pdst="198.51.100.10")
    ctx.lan.send(bytes(req))

    def is_reply(frame: bytes):
        e = Ether(frame)
        return ARP in e and e[ARP].op == 2 and e[ARP].psrc == "198.51.100.10"
    if not ctx.lan.recv_until(is_reply, TIMEOUT_REPLY):
        raise TestFailure("no proxy-ARP reply on the LAN for pool address 198.51.100.10")


def case_ping(ctx: Ctx, s: Session) -> None:
    before = session_stats(ctx.app.stats(), s.n)
    ping(ctx, s, count=3)
    after = session_stats(ctx.app.stats(), s.n)
    for k in ("rx_packets", "tx_packets"):
        if int(after[k]) - int(before[k]) != 3:
            raise TestFailure(f"[{s.label}] session {k} grew by "
                              f"{int(after[k]) - int(before[k])}, expected 3")


def case_header_variants(ctx: Ctx, s: Session) -> None:
    for lv in lep.L2TP_VARIANTS:
        for pv in lep.PPP_VARIANTS:
            ping(ctx, s, count=1, l2tp=lv, ppp=pv)


def case_sizes(ctx: Ctx, s: Session) -> None:
    # Every CBC padding length and a near-MTU packet (1500 - 20 - 8 - ESP/UDP/L2TP/PPP).
    for size in list(range(0, 18)) + [1000, 1350]:
        req = echo_request(s, size)
        ctx.wan.send(s.peer.upstream(req))
        got = ctx.wan.receive([s], 1, TIMEOUT_REPLY)
        if not got:
            raise TestFailure(f"[{s.label}] no echo reply for a {size}-byte payload")
        check_echo_reply(s, got[0][1], req)


def case_udp_both_ways(ctx: Ctx, s: Session) -> None:
    with in_netns(ctx.app.lab.lan):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((LAN_HOST_ADDR, 9999))
    try:
        sock.settimeout(TIMEOUT_REPLY)
        payload = secrets.token_bytes(100)
        inner = IP(src=s.cfg.client_ip, dst=LAN_HOST_ADDR) / UDP(sport=5555, dport=9999) / \
            Raw(payload)
        ctx.wan.send(s.peer.upstream(inner))
        try:
            data, addr = sock.recvfrom(2048)
        except socket.timeout:
            raise TestFailure(f"[{s.label}] UDP datagram never reached the LAN host")
        if (data, addr) != (payload, (s.cfg.client_ip, 5555)):
            raise TestFailure(f"[{s.label}] LAN host got {len(data)} bytes from {addr}")
        # And the LAN host's answer back to the client, through the tunnel.
        sock.sendto(payload[::-1], (s.cfg.client_ip, 5555))
        got = ctx.wan.receive([s], 1, TIMEOUT_REPLY)
        if not got:
            raise TestFailure(f"[{s.label}] UDP reply from the LAN host did not come back")
        ip = got[0][1].inner
        if UDP not in ip or (ip[UDP].sport, ip[UDP].dport) != (9999, 5555) or \
                bytes(ip[UDP].payload) != payload[::-1]:
            raise TestFailure(f"[{s.label}] wrong UDP reply: {ip.summary()}")
    finally:
        sock.close()


def case_bad_icv(ctx: Ctx, s: Session) -> None:
    before = arm(ctx)
    pkt = bytearray(bytes(s.peer.upstream(echo_request(s))))
    pkt[-1] ^= 0x01   # last byte of the ICV
    ctx.wan.send(IP(bytes(pkt)))
    expect_silence(ctx, s, "bad ICV")
    expect_drop(ctx, DROP["bad_icv"], before, 1)
    after_negative(ctx)
    ping(ctx, s, count=1)   # the SA itself is unharmed


def case_replay(ctx: Ctx, s: Session) -> None:
    req = echo_request(s)
    pkt = s.peer.upstream(req)
    ctx.wan.send(pkt)
    got = ctx.wan.receive([s], 1, TIMEOUT_REPLY)
    if not got:
        raise TestFailure(f"[{s.label}] the original packet was not answered")
    before = arm(ctx)
    ctx.wan.send(pkt)
    ctx.wan.send(pkt)
    expect_silence(ctx, s, "replayed ESP seq")
    expect_drop(ctx, DROP["replay"], before, 2)
    after_negative(ctx)
    ping(ctx, s, count=1)


def case_unknown_spi(ctx: Ctx, s: Session) -> None:
    known = {x.cfg.tx.spi for x in ctx.sessions.values()}
    spi = s.cfg.tx.spi
    while spi in known or spi < 256:   # SPIs 1-255 are reserved (RFC 4303 §2.1)
        spi = secrets.randbits(32)
    before = arm(ctx)
    ctx.wan.send(s.peer.upstream(echo_request(s), spi=spi))
    expect_silence(ctx, s, "unknown SPI")
    expect_drop(ctx, DROP["unknown_spi"], before, 1)
    after_negative(ctx)


def case_deleted_session(ctx: Ctx) -> None:
    s = install_session(ctx.app, "deleted", lep.algo("aes-cbc", "sha-hmac"),
                        "198.51.100.200", natt=False)
    ping(ctx, s, count=1)
    ctx.app.tool(SESSIONCTL, ["del", "--session", str(s.n)])
    before = arm(ctx)
    ctx.wan.send(s.peer.upstream(echo_request(s)))
    expect_silence(ctx, s, "SPI of a deleted session")
    expect_drop(ctx, DROP["unknown_spi"], before, 1)
    after_negative(ctx)


def case_unknown_l2tp_session(ctx: Ctx, s: Session) -> None:
    known = {x.cfg.gw_session_id for x in ctx.sessions.values()}
    sid = s.cfg.gw_session_id
    while sid in known or sid == 0:
        sid = secrets.randbelow(0xFFFF) + 1
    before = arm(ctx)
    ctx.wan.send(s.peer.upstream(echo_request(s), session_id=sid))
    expect_silence(ctx, s, "unknown L2TP session id")
    expect_drop(ctx, DROP["unknown_session"], before, 1)
    after_negative(ctx)


def case_spoofed_source(ctx: Ctx, s: Session) -> None:
    before = arm(ctx)
    req = echo_request(s)
    req.src = "198.51.100.99"   # in the pool, but not this session's address
    ctx.wan.send(s.peer.upstream(req))
    req = echo_request(s)
    req.src = "192.0.2.77"      # the LAN's own range
    ctx.wan.send(s.peer.upstream(req))
    expect_silence(ctx, s, "spoofed inner source")
    expect_drop(ctx, DROP["spoofed"], before, 2)
    after_negative(ctx)


def case_truncated(ctx: Ctx, s: Session) -> None:
    a = s.cfg.tx.algo
    iv = 8 if a.cipher.aead or a.cipher.cli in ("des-cbc", "3des-cbc") else 16
    icv = 16 if a.cipher.aead else {"sha256-hmac": 16}.get(a.auth.cli, 12)
    # ESP bytes kept after the outer IPv4 header: nothing, part of SPI, SPI, SPI+seq,
    # header+IV, one byte short of header+IV+ICV. All are shorter than any valid ESP packet.
    cuts = [0, 3, 4, 8, 8 + iv, 8 + iv + icv - 1]
    before = arm(ctx)
    for cut in cuts:
        full = s.peer.upstream(echo_request(s))
        raw_ip = bytes(full)
        esp = raw_ip[20:20 + cut]
        hdr = IP(src=full.src, dst=full.dst, proto=50, id=full.id)
        ctx.wan.send(IP(bytes(hdr / Raw(esp))))
    expect_silence(ctx, s, "truncated ESP")
    expect_drop(ctx, DROP["runt"], before, len(cuts))
    after_negative(ctx)
    ping(ctx, s, count=1)


def case_truncated_tail(ctx: Ctx, s: Session) -> None:
    # Long enough to look like ESP but cut short inside the ICV. Whether the appliance calls
    # that a runt, a ciphertext that is no longer whole blocks (CBC) or an ICV failure is its
    # choice; exactly one of them must count it.
    names = (DROP["bad_icv"], DROP["runt"], DROP["bad_length"])
    before = arm(ctx)
    # The outer IPv4 header is rebuilt around the cut ESP, so its length is right and only
    # the ESP packet is short.
    full = s.peer.upstream(echo_request(s))
    esp = bytes(full)[20:-4]
    ctx.wan.send(IP(bytes(IP(src=full.src, dst=full.dst, proto=50, id=full.id) / Raw(esp))))
    expect_silence(ctx, s, "ESP cut inside the ICV")

    def grown() -> int:
        st = ctx.app.stats()
        return sum(counter(st, n) - counter(before, n) for n in names)
    wait_until(lambda: grown() >= 1, TIMEOUT_COUNTER, f"{' or '.join(names)} += 1",
               interval=0.1)
    if grown() != 1:
        raise TestFailure(f"{' + '.join(names)} grew by {grown()}, expected 1")
    after_negative(ctx)


def case_natt_keepalive(ctx: Ctx, s: Session) -> None:
    before = arm(ctx)
    for _ in range(3):
        ctx.wan.send(lep.natt_keepalive(s.cfg.peer_ip, s.cfg.gw_ip, sport=s.cfg.peer_natt_port))
    expect_silence(ctx, s, "NAT-T keepalive")
    expect_drop(ctx, DROP["natt_keepalive"], before, 3)
    after_negative(ctx)
    ping(ctx, s, count=1)


# ---------------------------------------------------------------------------------------------
# Several workers: ownership and handoff (README "Several workers: handoff, not steering")
#
# With --workers N each af_packet port has N+1 sockets in one PACKET_FANOUT group: the kernel
# spreads frames over them by a flow hash (addresses and ports, the SPI for ESP) and worker w
# polls queues w, w+N, ... A client's SAs, tunnel and session are owned by one worker; what
# arrives on another worker's queue is handed to the owner through a ring. These cases make
# one client's traffic arrive on every worker and check that its state stayed single-writer:
# one ESP sequence per SA (no duplicates, in order), every packet authentic, no replay drops,
# and the handoff counters moved on every worker.
#
# Which queue a flow reaches cannot be computed here: the kernel hashes it with a key drawn
# at boot, the appliance draws the SPIs at random, and with 2 workers worker 0 polls two of
# the three queues. Upstream, each client is one flow (one SPI, or one NAT-T port), and a
# single flapping client used to be owned by worker 0: worker 0 then had something to hand
# off only if one of worker 1's four clients hashed onto queue 0 or 2, and now and then none
# did (up to (1/3)^3 of runs: the NAT-T client's flow is fixed for a boot, the SPIs are
# drawn anew). So the cases probe first: one packet per candidate flow, and the worker that
# handed it off (HandoffOut), or none (the owner took it), says where the flow goes. The
# traffic then holds, for a client of every owner, a flow onto every worker: each worker
# must hand off, and each must take in, or handoff is broken. (The PMD also sets
# PACKET_FANOUT_FLAG_ROLLOVER, which moves frames off a socket only while its ring of 512
# frames is about 3/4 full; no queue here gets near that.)
# ---------------------------------------------------------------------------------------------

HANDOFF_CLIENTS = 8        # clients for the handoff cases; owners alternate over the workers
HANDOFF_FLOWS = 32         # LAN source ports sending to one client (32 flows over 3 queues)
HANDOFF_DOWN = 192         # downstream packets per client, for two clients
HANDOFF_UP = 24            # upstream packets per client
HANDOFF_FLAP_PORTS = 8     # NAT-T source ports of each client whose NAT mapping keeps changing
HANDOFF_FLAP_UP = 64       # upstream packets of each of those clients
HANDOFF_PROBES = 48        # candidate flows probed per client before giving up on a worker
HANDOFF_CHUNK = 32         # packets sent back to back before a short pause (paces the burst)
HANDOFF_MIN_DELIVERED = 0.9  # a loaded lab may lose a few to full rings; duplicates: never


def workers_of(stats: dict) -> list[dict]:
    """Per-worker entries of l2tpgw-stats --json (the slowpath lcore left out)."""
    lc = [x for x in stats.get("lcores", []) if str(x.get("lcore", "")).startswith("worker")]
    if not lc:
        raise TestFailure("l2tpgw-stats --json has no per-lcore entries ('lcores')")
    return lc


def per_worker_delta(before: dict, after: dict, name: str) -> list[int]:
    b, a = workers_of(before), workers_of(after)
    return [int(a[i]["counters"].get(name, 0)) - int(b[i]["counters"].get(name, 0))
            for i in range(len(a))]


def handoff_clients(ctx: Ctx) -> list[Session]:
    return [ctx.sessions[f"handoff-{i}"] for i in range(HANDOFF_CLIENTS)]


def flap_clients(ctx: Ctx) -> list[Session]:
    """The clients whose NAT mapping flaps, the first one of each owner, by owner."""
    by_owner: dict[int, Session] = {}
    for label, s in ctx.sessions.items():
        if label.startswith("handoff-flap-"):
            by_owner.setdefault(s.owner, s)
    return [by_owner[w] for w in sorted(by_owner)]


def worker_taking(ctx: Ctx, owner: int, send_one) -> int:
    """The worker whose queue one flow reaches: `send_one()` sends a packet of the flow for a
    client owned by `owner` and returns once it has come out of the appliance. A worker other
    than the owner handed it off, so its HandoffOut moved; if none moved, the owner took it.
    Nothing else may be in flight meanwhile."""
    before = ctx.app.stats()
    send_one()
    out = per_worker_delta(before, ctx.app.stats(), "HandoffOut")
    if sum(out) == 0:
        return owner
    if sum(out) != 1 or out[owner] != 0:
        raise TestFailure(f"one probe packet for a client of worker {owner}, HandoffOut "
                          f"per worker {out}")
    return out.index(1)


def flows_onto_every_worker(ctx: Ctx, s: Session, probe) -> int:
    """Probes candidate flows 0, 1, ... of client `s` (`probe(i)` sends one packet of flow i
    and returns once it came out) until every worker has taken one of them. Returns how many
    were probed: flows 0 .. that number - 1 then reach every worker between them."""
    seen: dict[int, int] = {}
    for i in range(HANDOFF_PROBES):
        seen.setdefault(worker_taking(ctx, s.owner, lambda: probe(i)), i)
        if len(seen) == ctx.app.workers:
            print(f"     [{s.label}] (owner {s.owner}) probed {i + 1} flows; the first onto "
                  f"each worker: {dict(sorted(seen.items()))}", flush=True)
            return i + 1
    raise TestFailure(f"[{s.label}] {HANDOFF_PROBES} flows all reached workers {sorted(seen)}")


def case_handoff_install(ctx: Ctx) -> None:
    algos = [lep.algo("aes-gcm"), lep.algo("aes-cbc", "sha-hmac"),
             lep.algo("aes256-cbc", "sha256-hmac"), lep.algo("3des-cbc", "sha-hmac")]
    for i in range(HANDOFF_CLIENTS):
        natt = i % 3 == 2
        port = 40200 + i if natt else 4500
        if natt:
            ctx.wan.absorb_udp(port)
        ctx.sessions[f"handoff-{i}"] = install_session(
            ctx.app, f"handoff-{i}", algos[i % len(algos)], f"198.51.100.{150 + i}", natt,
            peer_natt_port=port)
    owners = {s.owner for s in handoff_clients(ctx)}
    if None in owners:
        raise TestFailure("l2tpgw-sessionctl add did not print owner=<worker>")
    if owners != set(range(ctx.app.workers)):
        raise TestFailure(f"owners of {HANDOFF_CLIENTS} clients: {sorted(owners)}, expected "
                          f"every worker 0..{ctx.app.workers - 1}")
    # Clients behind a NAT whose mapping changes with every few packets, one owned by each
    # worker (the appliance picks the owner: install until every worker has one), with a
    # replay window wide enough (2048, the maximum) that no reordering this test can cause
    # is a replay.
    for k in range(2 * ctx.app.workers):
        if len(flap_clients(ctx)) == ctx.app.workers:
            break
        ctx.wan.absorb_udp(40300 + k)
        ctx.sessions[f"handoff-flap-{k}"] = install_session(
            ctx.app, f"handoff-flap-{k}", lep.algo("aes-cbc", "sha-hmac"),
            f"198.51.100.{170 + k}", True, peer_natt_port=40300 + k, replay_window=2048)
    flap_owners = [s.owner for s in flap_clients(ctx)]
    if flap_owners != list(range(ctx.app.workers)):
        raise TestFailure(f"{2 * ctx.app.workers} more clients are owned by workers "
                          f"{flap_owners} only")
    for s in handoff_clients(ctx) + flap_clients(ctx):
        ping(ctx, s, count=1)


def open_collected(frames: list[tuple]) -> dict[str, list[lep.Received]]:
    """Opens every collected frame with its session's peer; any frame that does not verify,
    decrypt and parse is a failure. Per session, in arrival order."""
    out: dict[str, list[lep.Received]] = {}
    for s, frame in frames:
        try:
            r = s.peer.open_frame(frame)
        except lep.PeerError as err:
            raise TestFailure(f"[{s.label}] a frame from the gateway does not open: {err}")
        out.setdefault(s.label, []).append(r)
    return out


def check_one_sequence(s: Session, rx: list[lep.Received]) -> None:
    """One ESP sequence per SA: no number twice (RFC 4303 §3.3.3: a sender never reuses
    one), and increasing, since only the owner encrypts and it sends from one queue."""
    seqs = [r.seq for r in rx]
    dups = sorted({q for q in seqs if seqs.count(q) > 1})
    if dups:
        raise TestFailure(f"[{s.label}] ESP sequence numbers sent twice: {dups[:10]} "
                          f"({len(dups)} in all): two workers encrypted for one SA")
    prev = s.last_rx_seq
    for q in seqs:
        if q <= prev:
            raise TestFailure(f"[{s.label}] ESP seq {q} after {prev}: out of order")
        prev = q
    s.last_rx_seq = prev


def case_handoff_downstream(ctx: Ctx) -> None:
    """LAN -> a client of every owner, from many source ports: the fanout spreads each
    client's packets over every worker's queues, and the non-owners hand them off. The
    source ports (sockets) include, by probing, one whose flow reaches each worker."""
    by_owner: dict[int, Session] = {}
    for s in handoff_clients(ctx):
        by_owner.setdefault(s.owner, s)
    clients = [by_owner[w] for w in sorted(by_owner)]
    socks: list[socket.socket] = []

    def sock(i: int) -> socket.socket:
        while len(socks) <= i:
            with in_netns(ctx.app.lab.lan):
                so = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                so.bind((LAN_HOST_ADDR, 0))
            socks.append(so)
        return socks[i]

    def probe(c: Session, i: int) -> None:
        sock(i).sendto(f"probe/{c.label}/{i}/".encode(), (c.cfg.client_ip, 7777))
        if not ctx.wan.receive([c], 1, TIMEOUT_REPLY):
            raise TestFailure(f"[{c.label}] the probe from LAN socket {i} did not come out")
    try:
        ctx.wan.port.drain()
        sock(HANDOFF_FLOWS - 1)
        for c in clients:
            flows_onto_every_worker(ctx, c, lambda i, c=c: probe(c, i))
        # Every socket sends to every client below, the probed ones included.
        assert len(socks) <= HANDOFF_DOWN
        before = arm(ctx)
        sent: dict[str, set[bytes]] = {c.label: set() for c in clients}
        n = 0
        for k in range(HANDOFF_DOWN):
            for c in clients:
                payload = f"{c.label}/{k}/".encode() + bytes(40)
                socks[k % len(socks)].sendto(payload, (c.cfg.client_ip, 7777))
                sent[c.label].add(payload)
                n += 1
                if n % HANDOFF_CHUNK == 0:
                    time.sleep(0.002)
        frames = ctx.wan.collect(clients, n, TIMEOUT_BURST)
    finally:
        for so in socks:
            so.close()
    after = ctx.app.stats()
    opened = open_collected(frames)
    for c in clients:
        rx = opened.get(c.label, [])
        check_one_sequence(c, rx)
        got = [bytes(r.inner[UDP].payload) if r.inner is not None and UDP in r.inner else b""
               for r in rx]
        stray = [g for g in got if g not in sent[c.label]]
        if stray:
            raise TestFailure(f"[{c.label}] {len(stray)} packets that the LAN host did not send "
                              f"to this client, e.g. {stray[0][:30]!r}")
        if len(set(got)) != len(got):
            raise TestFailure(f"[{c.label}] a LAN packet came out twice")
        if len(got) < HANDOFF_MIN_DELIVERED * HANDOFF_DOWN:
            raise TestFailure(f"[{c.label}] {len(got)} of {HANDOFF_DOWN} packets came through; "
                              f"drops: {drops_moved(before, after)}")
    seen = ", ".join(f"{c.label} (owner {c.owner}) {len(opened.get(c.label, []))}"
                     for c in clients)
    print(f"     ESP packets per client: {seen}; sequence numbers unique and in order",
          flush=True)
    check_spread(before, after, "LanRxPackets")


def drops_moved(before: dict, after: dict) -> dict[str, int]:
    b = before.get("drops", {})
    return {k: int(v) - int(b.get(k, 0)) for k, v in after.get("drops", {}).items()
            if int(v) != int(b.get(k, 0))}


def check_spread(before: dict, after: dict, rx_counter: str) -> None:
    """Every worker polled some of the traffic, handed some off and took some in."""
    rx = per_worker_delta(before, after, rx_counter)
    out = per_worker_delta(before, after, "HandoffOut")
    inn = per_worker_delta(before, after, "HandoffIn")
    detail = f"per worker: {rx_counter} {rx}, HandoffOut {out}, HandoffIn {inn}"
    if min(rx) <= 0:
        raise TestFailure(f"the fanout did not spread the flows over every worker ({detail})")
    if min(out) <= 0 or min(inn) <= 0:
        raise TestFailure(f"not every worker handed off and took in packets ({detail})")
    if sum(out) != sum(inn):
        raise TestFailure(f"{sum(out)} packets handed off but {sum(inn)} taken in ({detail}); "
                          f"drops: {drops_moved(before, after)}")
    if counter(after, "HandoffFull") != counter(before, "HandoffFull"):
        raise TestFailure(f"HandoffFull moved ({detail})")
    print(f"     {detail}", flush=True)


def case_handoff_upstream(ctx: Ctx) -> None:
    """Clients of every owner at once, and for every owner a client whose packets come from
    many NAT-T source ports, one of them probed onto each worker (so they reach the owner both
    directly and through a handoff ring, reordered): every packet reaches the LAN host once
    and none is taken for a replay."""
    flaps = flap_clients(ctx)
    clients = handoff_clients(ctx)
    with in_netns(ctx.app.lab.lan):
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind((LAN_HOST_ADDR, 9998))
    sink.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    try:
        def frame(s: Session, k: int, sport: int | None = None,
                  tag: str = "") -> tuple[bytes, bytes]:
            payload = f"{tag}{s.label}/{k}/".encode() + bytes(24)
            inner = IP(src=s.cfg.client_ip, dst=LAN_HOST_ADDR) / UDP(sport=6000 + k % 64,
                                                                    dport=9998) / Raw(payload)
            raw = bytearray(bytes(s.peer.upstream(inner)))
            if sport is not None:   # NAT-T: the UDP source port the NAT gave this packet
                raw[20:22] = sport.to_bytes(2, "big")
            return payload, bytes(Ether(dst=ctx.wan.gw_mac, src=ctx.wan.port.mac, type=0x0800)) + \
                bytes(raw)

        def nat_port(j: int, i: int) -> int:    # flap client j's i-th NAT-T source port
            return 41000 + 100 * j + i

        def probe(s: Session, j: int, i: int) -> None:
            payload, f = frame(s, i, nat_port(j, i), tag="probe/")
            ctx.wan.port.send(f)
            sink.settimeout(TIMEOUT_REPLY)
            try:
                while sink.recv(2048) != payload:
                    pass
            except socket.timeout:
                raise TestFailure(f"[{s.label}] the probe from NAT-T port {nat_port(j, i)} "
                                  f"did not reach the LAN host") from None
        n_ports = [max(HANDOFF_FLAP_PORTS,
                       flows_onto_every_worker(ctx, s, lambda i, s=s, j=j: probe(s, j, i)))
                   for j, s in enumerate(flaps)]
        # Built first (encryption is slow in scapy), sent back to back, interleaved; each
        # flap client's ports, the probed ones included, take turns.
        assert HANDOFF_PROBES <= HANDOFF_FLAP_UP
        queues = [[frame(s, k) for k in range(HANDOFF_UP)] for s in clients]
        queues += [[frame(s, k, nat_port(j, k % n_ports[j])) for k in range(HANDOFF_FLAP_UP)]
                   for j, s in enumerate(flaps)]
        order = [q.pop(0) for _ in range(max(HANDOFF_UP, HANDOFF_FLAP_UP)) for q in queues if q]
        before = arm(ctx)
        for i, (_, f) in enumerate(order):
            ctx.wan.port.send(f)
            if (i + 1) % HANDOFF_CHUNK == 0:
                time.sleep(0.002)
        want = {p for p, _ in order}
        got: list[bytes] = []
        deadline = time.monotonic() + TIMEOUT_BURST
        sink.settimeout(0.2)
        while len(got) < len(want) and time.monotonic() < deadline:
            try:
                got.append(sink.recv(2048))
            except socket.timeout:
                continue
    finally:
        sink.close()
    after = ctx.app.stats()
    replays = counter(after, DROP["replay"]) - counter(before, DROP["replay"])
    if replays:
        raise TestFailure(f"{replays} upstream packets dropped as replays (EspReplay); drops: "
                          f"{drops_moved(before, after)}")
    if len(set(got)) != len(got):
        raise TestFailure("a client's packet reached the LAN host twice")
    stray = [g for g in got if g not in want]
    if stray:
        raise TestFailure(f"the LAN host got {len(stray)} packets nobody sent, "
                          f"e.g. {stray[0][:30]!r}")
    if len(got) < HANDOFF_MIN_DELIVERED * len(want):
        raise TestFailure(f"{len(got)} of {len(want)} upstream packets reached the LAN host; "
                          f"drops: {drops_moved(before, after)}")
    for flap in flaps:
        flap_got = sum(1 for g in got if g.startswith(f"{flap.label}/".encode()))
        if flap_got < HANDOFF_MIN_DELIVERED * HANDOFF_FLAP_UP:
            raise TestFailure(f"[{flap.label}] {flap_got} of {HANDOFF_FLAP_UP} packets arrived")
    check_spread(before, after, "WanRxPackets")
    # The mapping follows authenticated packets: one from the client's own port moves it
    # back, and the reply must come there.
    for flap in flaps:
        ping(ctx, flap, count=1)


# ---------------------------------------------------------------------------------------------
# Router behaviour at MTU and TTL limits (RFC 791, RFC 792, RFC 1191, RFC 1812 §4.3.2)
# ---------------------------------------------------------------------------------------------

def lan_gw_mac(ctx: Ctx) -> str:
    """The dataplane's LAN MAC, as the LAN host learns it (ARP for the LAN address)."""
    if ctx.lan_gw_mac:
        return ctx.lan_gw_mac
    req = Ether(dst="ff:ff:ff:ff:ff:ff", src=ctx.lan.mac) / ARP(
        op=1, hwsrc=ctx.lan.mac, psrc=LAN_HOST_ADDR, pdst=LAN_GW_ADDR)

    def is_reply(frame: bytes):
        e = Ether(frame)
        return ARP in e and e[ARP].op == 2 and e[ARP].psrc == LAN_GW_ADDR and e[ARP].hwsrc
    for _ in range(3):
        ctx.lan.send(bytes(req))
        mac = ctx.lan.recv_until(is_reply, TIMEOUT_REPLY / 3)
        if mac:
            ctx.lan_gw_mac = mac
            return mac
    raise TestFailure(f"no ARP reply for {LAN_GW_ADDR} from the dataplane's LAN port")


def lan_send(ctx: Ctx, ip: IP, dst_mac: str | None = None) -> None:
    ctx.lan.send(bytes(Ether(dst=dst_mac or lan_gw_mac(ctx), src=ctx.lan.mac) / ip))


def udp_probe(src: str, dst: str, total: int, df: bool, ttl: int = 64,
              ident: int | None = None) -> IP:
    """A UDP datagram of `total` bytes (IPv4 header included) with a recognisable payload."""
    ident = secrets.randbelow(0xFFFF) + 1 if ident is None else ident
    body = bytes((ident + i * 7) & 0xFF for i in range(total - 28))
    return IP(bytes(IP(src=src, dst=dst, id=ident, ttl=ttl, flags="DF" if df else 0) /
                    UDP(sport=40000 + ident % 1000, dport=33434) / Raw(body)))


def routed(ip: IP) -> IP:
    """`ip` one hop later: TTL - 1 and the header checksum recomputed."""
    r = IP(bytes(ip))
    r.ttl -= 1
    del r.chksum
    return IP(bytes(r))


def lan_icmp_from_gw(ctx: Ctx, icmp_type: int, about: IP, timeout: float = TIMEOUT_REPLY):
    """The ICMP error of `icmp_type` the LAN host receives from the appliance about `about`."""
    def match(frame: bytes):
        e = Ether(frame)
        if IP not in e or e[IP].src != LAN_GW_ADDR or ICMP not in e or \
                e[ICMP].type != icmp_type or IPerror not in e:
            return None
        q = e[IPerror]
        if (q.src, q.dst, q.id) != (about.src, about.dst, about.id):
            return None
        return e
    return ctx.lan.recv_until(match, timeout)


def check_icmp_error(where: str, ip: IP, icmp_type: int, code: int, dst: str, about: IP,
                     mtu: int | None = None) -> None:
    """RFC 792/1191/1812 fields of an ICMP error from the appliance's LAN address; `about` is
    the original as the appliance saw it when it gave up (TTL already decremented once it
    was routed)."""
    if ip.src != LAN_GW_ADDR or ip.dst != dst:
        raise TestFailure(f"{where}: ICMP error {ip.src} -> {ip.dst}, expected "
                          f"{LAN_GW_ADDR} -> {dst}")
    if ICMP not in ip or (ip[ICMP].type, ip[ICMP].code) != (icmp_type, code):
        raise TestFailure(f"{where}: expected ICMP {icmp_type}/{code}, got {ip.summary()}")
    raw = bytes(ip)
    if checksum(raw[ip.ihl * 4:]) != 0 or checksum(raw[:ip.ihl * 4]) != 0:
        raise TestFailure(f"{where}: bad IPv4 or ICMP checksum in the ICMP error")
    if mtu is not None and ip[ICMP].nexthopmtu != mtu:
        raise TestFailure(f"{where}: next-hop MTU {ip[ICMP].nexthopmtu}, expected {mtu} "
                          f"(RFC 1191 §4)")
    # RFC 792: the original's IPv4 header and the first 64 bits of its data.
    orig = bytes(about)
    quoted = raw[ip.ihl * 4 + 8:]
    hl = about.ihl * 4
    if quoted != orig[:hl + 8]:
        raise TestFailure(f"{where}: quoted original {quoted.hex()} does not match the "
                          f"packet sent ({orig[:hl + 8].hex()})")


def receive_inner(ctx: Ctx, s: Session, want: int, timeout: float) -> list[IP]:
    got = ctx.wan.receive([s], want, timeout)
    return [r.inner for _, r in got if r.inner is not None]


def receive_datagram(ctx: Ctx, s: Session, timeout: float) -> tuple[IP, list[IP]]:
    """Fragments of one datagram arriving through the tunnel, reassembled by scapy."""
    frags: list[IP] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frags += receive_inner(ctx, s, 1, max(0.05, deadline - time.monotonic()))
        if not frags:
            continue
        whole = [p for p in defragment([IP(bytes(f)) for f in frags])
                 if not p[IP].flags.MF and p[IP].frag == 0]
        if whole:
            return whole[0], frags
    raise TestFailure(f"[{s.label}] no complete datagram through the tunnel; got "
                      f"{[f.summary() for f in frags]}")


def check_reassembled(where: str, whole: IP, sent: IP) -> None:
    """The reassembled datagram is the one sent, one hop later (TTL - 1)."""
    want = routed(sent)
    if bytes(IP(bytes(whole))) != bytes(want):
        raise TestFailure(f"{where}: reassembled {whole.summary()} ({len(bytes(whole))} bytes) "
                          f"differs from the {len(bytes(want))}-byte datagram sent")


def check_fragments(where: str, frags: list[IP], mtu: int) -> None:
    for f in frags:
        if f.len > mtu or len(bytes(f)) != f.len:
            raise TestFailure(f"{where}: fragment of {f.len} bytes over MTU {mtu}")
        if checksum(bytes(f)[:f.ihl * 4]) != 0:
            raise TestFailure(f"{where}: bad header checksum in {f.summary()}")
        if f.flags.MF and (f.len - f.ihl * 4) % 8:
            raise TestFailure(f"{where}: a fragment with MF carries {f.len - f.ihl * 4} bytes, "
                              f"not a multiple of 8")


def case_frag_needed_downstream(ctx: Ctx, s: Session) -> None:
    before = arm(ctx)
    probe = udp_probe(LAN_HOST_ADDR, s.cfg.client_ip, SESSION_MTU + 100, df=True)
    lan_send(ctx, probe)
    e = lan_icmp_from_gw(ctx, 3, probe)
    if e is None:
        raise TestFailure(f"[{s.label}] no ICMP fragmentation-needed on the LAN for a DF "
                          f"packet over the session MTU")
    check_icmp_error(f"[{s.label}] frag-needed", e[IP], 3, 4, LAN_HOST_ADDR, routed(probe),
                     mtu=SESSION_MTU)
    if ctx.wan.receive([s], 1, 0.2):
        raise TestFailure(f"[{s.label}] the DF packet went down the tunnel anyway")
    expect_drop(ctx, DROP["too_big"], before, 1)
    expect_drop(ctx, "IcmpErrorSent", before, 1)


def case_fragment_downstream(ctx: Ctx, s: Session) -> None:
    before = arm(ctx)
    probe = udp_probe(LAN_HOST_ADDR, s.cfg.client_ip, LAN_MTU, df=False)
    lan_send(ctx, probe)
    whole, frags = receive_datagram(ctx, s, TIMEOUT_REPLY)
    check_fragments(f"[{s.label}]", frags, SESSION_MTU)
    if len(frags) != 2:
        raise TestFailure(f"[{s.label}] {len(frags)} fragments for {LAN_MTU} bytes at MTU "
                          f"{SESSION_MTU}, expected 2")
    check_reassembled(f"[{s.label}] downstream", whole, probe)
    expect_drop(ctx, "Ipv4Fragmented", before, 1)
    expect_drop(ctx, "Ipv4FragmentsCreated", before, 2)


def send_upstream_big(ctx: Ctx, s: Session, inner: IP) -> None:
    """A client packet too big for one WAN frame: its ESP packet is sent in outer fragments,
    which the appliance reassembles before decrypting."""
    outer = s.peer.upstream(inner)
    for f in fragment(outer, fragsize=1400):
        ctx.wan.send(IP(bytes(f)))


def case_frag_needed_upstream(ctx: Ctx, s: Session) -> None:
    before = arm(ctx)
    probe = udp_probe(s.cfg.client_ip, LAN_HOST_ADDR, LAN_MTU + 100, df=True)
    send_upstream_big(ctx, s, probe)
    got = receive_inner(ctx, s, 1, TIMEOUT_REPLY)
    if not got:
        raise TestFailure(f"[{s.label}] no ICMP fragmentation-needed through the tunnel for a "
                          f"DF packet over the LAN MTU")
    check_icmp_error(f"[{s.label}] frag-needed", got[0], 3, 4, s.cfg.client_ip, routed(probe),
                     mtu=LAN_MTU)
    expect_silence(ctx, None, "a DF packet over the LAN MTU")
    expect_drop(ctx, DROP["too_big"], before, 1)
    expect_drop(ctx, "IcmpErrorSent", before, 1)


def case_fragment_round_trip(ctx: Ctx, s: Session) -> None:
    """A 1600-byte echo request without DF: cut to the LAN MTU on its way to the LAN host,
    whose kernel reassembles it and answers with a 1600-byte reply that the appliance cuts to
    the session MTU. (The request's outer ESP packet travels in two WAN fragments and the
    reply in two LAN fragments; the af_packet PMD's fanout sockets reassemble both before the
    dataplane sees them, PACKET_FANOUT_FLAG_DEFRAG, so Ipv4Reassembled is not asserted.)"""
    before = arm(ctx)
    s.icmp_seq += 1
    body = bytes((s.icmp_seq * 3 + i) & 0xFF for i in range(LAN_MTU + 100 - 28))
    req = IP(bytes(IP(src=s.cfg.client_ip, dst=LAN_HOST_ADDR, id=s.icmp_seq, ttl=64) /
                   ICMP(type=8, id=s.icmp_id, seq=s.icmp_seq) / Raw(body)))
    send_upstream_big(ctx, s, req)

    lan_frags: list[IP] = []

    def lan_match(frame: bytes):
        e = Ether(frame)
        if IP in e and e[IP].src == s.cfg.client_ip and e[IP].id == req.id:
            lan_frags.append(IP(bytes(e[IP])))
            return len(lan_frags) >= 2
        return None
    ctx.lan.recv_until(lan_match, TIMEOUT_REPLY)
    check_fragments(f"[{s.label}] upstream", lan_frags, LAN_MTU)
    whole = [p for p in defragment(lan_frags) if not p[IP].flags.MF and p[IP].frag == 0]
    if len(lan_frags) != 2 or not whole:
        raise TestFailure(f"[{s.label}] LAN got {[f.summary() for f in lan_frags]}, expected "
                          f"two fragments of the echo request")
    check_reassembled(f"[{s.label}] upstream", whole[0], req)

    reply, frags = receive_datagram(ctx, s, TIMEOUT_REPLY * 2)
    check_fragments(f"[{s.label}] downstream", frags, SESSION_MTU)
    if ICMP not in reply or reply[ICMP].type != 0 or \
            (reply[ICMP].id, reply[ICMP].seq) != (s.icmp_id, s.icmp_seq) or \
            bytes(reply[ICMP].payload) != body:
        raise TestFailure(f"[{s.label}] reassembled reply is not our echo reply: "
                          f"{reply.summary()}")
    # One packet cut each way (should the LAN host's reply arrive in two fragments after
    # all, only the first of them is over the session MTU).
    last = expect_drop(ctx, "Ipv4Fragmented", before, 2)
    grown = counter(last, "Ipv4FragmentsCreated") - counter(before, "Ipv4FragmentsCreated")
    if grown != 2 + 2:
        raise TestFailure(f"Ipv4FragmentsCreated grew by {grown}, expected 4 (2 each way)")


def case_hairpin_over_mtu(ctx: Ctx, a: Session, b: Session) -> None:
    """Client a to client b over b's session MTU: with DF, frag-needed back into a's session
    (from b's owner worker to a's when they differ); without, fragments down b's session."""
    before = arm(ctx)
    probe = udp_probe(a.cfg.client_ip, b.cfg.client_ip, SESSION_MTU + 50, df=True)
    send_upstream_big(ctx, a, probe)
    got = receive_inner(ctx, a, 1, TIMEOUT_REPLY)
    if not got:
        raise TestFailure(f"[{a.label}] no ICMP fragmentation-needed for a DF packet over "
                          f"[{b.label}]'s session MTU")
    check_icmp_error(f"[{a.label}] hairpin frag-needed", got[0], 3, 4, a.cfg.client_ip,
                     routed(probe), mtu=SESSION_MTU)
    if ctx.wan.receive([b], 1, 0.2):
        raise TestFailure(f"[{b.label}] the DF packet went down the tunnel anyway")
    expect_drop(ctx, DROP["too_big"], before, 1)
    expect_drop(ctx, "IcmpErrorSent", before, 1)

    probe = udp_probe(a.cfg.client_ip, b.cfg.client_ip, SESSION_MTU + 50, df=False)
    send_upstream_big(ctx, a, probe)
    whole, frags = receive_datagram(ctx, b, TIMEOUT_REPLY)
    check_fragments(f"[{b.label}] hairpin", frags, SESSION_MTU)
    check_reassembled(f"[{b.label}] hairpin", whole, probe)
    expect_drop(ctx, "Hairpin", before, 2)


def case_ttl_upstream(ctx: Ctx, s: Session) -> None:
    before = arm(ctx)
    probe = udp_probe(s.cfg.client_ip, LAN_HOST_ADDR, 100, df=False, ttl=1)
    ctx.wan.send(s.peer.upstream(probe))
    got = receive_inner(ctx, s, 1, TIMEOUT_REPLY)
    if not got:
        raise TestFailure(f"[{s.label}] no ICMP time exceeded through the tunnel for TTL 1")
    check_icmp_error(f"[{s.label}] time exceeded", got[0], 11, 0, s.cfg.client_ip, probe)
    expect_silence(ctx, None, "a TTL-1 packet")
    expect_drop(ctx, DROP["ttl"], before, 1)
    expect_drop(ctx, "IcmpErrorSent", before, 1)


def case_ttl_downstream(ctx: Ctx, s: Session) -> None:
    before = arm(ctx)
    probe = udp_probe(LAN_HOST_ADDR, s.cfg.client_ip, 100, df=False, ttl=1)
    lan_send(ctx, probe)
    e = lan_icmp_from_gw(ctx, 11, probe)
    if e is None:
        raise TestFailure(f"[{s.label}] no ICMP time exceeded on the LAN for TTL 1")
    check_icmp_error(f"[{s.label}] time exceeded", e[IP], 11, 0, LAN_HOST_ADDR, probe)
    if ctx.wan.receive([s], 1, 0.2):
        raise TestFailure(f"[{s.label}] the TTL-1 packet went down the tunnel anyway")
    expect_drop(ctx, DROP["ttl"], before, 1)
    expect_drop(ctx, "IcmpErrorSent", before, 1)


def case_icmp_never_reply(ctx: Ctx, s: Session) -> None:
    """RFC 1812 §4.3.2.7: no error about an ICMP error, a link-layer broadcast or a source that
    is not one host; each original still counted under its drop reason. (Later fragments are
    left to the unit tests: the af_packet PMD's fanout sockets hand the dataplane only whole
    datagrams, PACKET_FANOUT_FLAG_DEFRAG.)"""
    before = arm(ctx)
    # An ICMP error (port unreachable) with DF, over the session MTU.
    err = IP(bytes(IP(src=LAN_HOST_ADDR, dst=s.cfg.client_ip, flags="DF", id=0x5a5a) /
                   ICMP(type=3, code=3) / Raw(bytes(SESSION_MTU + 100 - 28))))
    lan_send(ctx, err)
    # A TTL-1 packet from a loopback source.
    lan_send(ctx, udp_probe("127.0.0.1", s.cfg.client_ip, 100, df=False, ttl=1, ident=0x5a5b))
    # A TTL-1 packet in an Ethernet broadcast frame.
    lan_send(ctx, udp_probe(LAN_HOST_ADDR, s.cfg.client_ip, 100, df=False, ttl=1, ident=0x5a5c),
             dst_mac="ff:ff:ff:ff:ff:ff")

    def icmp_from_gw(frame: bytes):
        e = Ether(frame)
        return IP in e and e[IP].src == LAN_GW_ADDR and ICMP in e and e[ICMP].type in (3, 11) \
            and e.summary()
    leaked = ctx.lan.recv_until(icmp_from_gw, TIMEOUT_SILENCE)
    if leaked:
        raise TestFailure(f"an ICMP error was sent where RFC 1812 forbids it: {leaked}")
    expect_drop(ctx, DROP["too_big"], before, 1)
    expect_drop(ctx, DROP["ttl"], before, 2)
    expect_drop(ctx, "IcmpErrorSuppressed", before, 3)
    expect_drop(ctx, "IcmpErrorSent", before, 0)


def case_icmp_rate_limit(ctx: Ctx, s: Session) -> None:
    """A flood of TTL-1 packets: at most the burst plus the rate's worth of errors go out, the
    rest are counted as rate-limited, and every original as a TTL drop."""
    n = 200
    time.sleep(ICMP_ERROR_BURST / ICMP_ERROR_RATE + 0.1)   # a full bucket to start with
    before = arm(ctx)
    frame = bytes(Ether(dst=lan_gw_mac(ctx), src=ctx.lan.mac) /
                  udp_probe(LAN_HOST_ADDR, s.cfg.client_ip, 64, df=False, ttl=1))
    t0 = time.monotonic()
    for _ in range(n):
        ctx.lan.send(frame)
    elapsed = time.monotonic() - t0
    seen = len(ctx.lan.recv_matching(
        lambda f: IP in Ether(f) and Ether(f)[IP].src == LAN_GW_ADDR and ICMP in Ether(f) and
        Ether(f)[ICMP].type == 11, 1.0))
    last = expect_drop(ctx, DROP["ttl"], before, n)
    sent = counter(last, "IcmpErrorSent") - counter(before, "IcmpErrorSent")
    limited = counter(last, "IcmpErrorRateLimited") - counter(before, "IcmpErrorRateLimited")
    if sent + limited != n:
        raise TestFailure(f"IcmpErrorSent {sent} + IcmpErrorRateLimited {limited} != {n}")
    # Each worker has its own bucket; the flood's frames all hash to one queue.
    allowed = ctx.app.workers * ICMP_ERROR_BURST + int((elapsed + 1.0) * ICMP_ERROR_RATE) + 1
    if not ICMP_ERROR_BURST <= sent <= allowed or limited == 0:
        raise TestFailure(f"{sent} errors sent and {limited} rate-limited out of {n} sent in "
                          f"{elapsed:.3f}s (burst {ICMP_ERROR_BURST}, {ICMP_ERROR_RATE}/s)")
    print(f"     rate limit: {sent} sent, {limited} limited, flood of {n} in {elapsed:.3f}s",
          flush=True)
    if seen != sent:
        raise TestFailure(f"the LAN host received {seen} time-exceeded errors, the counter "
                          f"says {sent}")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def run_cases(ctx: Ctx, res: Results, pattern: str | None) -> None:
    def case(name: str, fn, *a) -> bool:
        if pattern and not re.search(pattern, name):
            return True
        return res.case(name, lambda: fn(ctx, *a))

    if not case("arp: WAN address and proxy ARP for the pool", case_arp):
        return  # without the gateway's MAC nothing else can be sent
    ctx.wan.gw_mac = ctx.wan.gw_mac or ctx.wan.resolve_gw()

    def install_all() -> None:
        for i, (label, a, natt, port) in enumerate(POSITIVE):
            if natt and port != 4500:
                ctx.wan.absorb_udp(port)
            ctx.sessions[label] = install_session(ctx.app, label, a, f"198.51.100.{10 + i}",
                                                  natt, peer_natt_port=port)
        extra = [("witness", lep.algo("aes-gcm"), False, 4500, 1701),
                 ("victim", lep.algo("aes-cbc", "sha-hmac"), False, 4500, 1701),
                 ("victim-natt", lep.algo("aes-cbc", "sha-hmac"), True, 40100, 1701),
                 ("l2tp-port", lep.algo("aes-cbc", "sha-hmac"), True, 40101, 50001),
                 ("mtu", lep.algo("aes-cbc", "sha-hmac"), False, 4500, 1701)]
        for i, (label, a, natt, port, l2tp_port) in enumerate(extra):
            if natt:
                ctx.wan.absorb_udp(port)
            ctx.sessions[label] = install_session(ctx.app, label, a, f"198.51.100.{100 + i}",
                                                  natt, peer_natt_port=port,
                                                  peer_l2tp_port=l2tp_port)
    if not res.case("install sessions", install_all):
        return

    S = ctx.sessions
    for label, *_ in POSITIVE:
        case(f"ping {label}", case_ping, S[label])
    case("ping with a non-1701 client L2TP port", case_ping, S["l2tp-port"])
    case("L2TP/PPP header variants", case_header_variants, S["victim"])
    case("L2TP/PPP header variants, NAT-T", case_header_variants, S["victim-natt"])
    case("payload sizes 0-17, 1000, 1350", case_sizes, S["victim"])
    case("UDP to and from the LAN host", case_udp_both_ways, S["victim"])

    case("drop: bad ICV", case_bad_icv, S["victim"])
    case("drop: bad ICV, NAT-T", case_bad_icv, S["victim-natt"])
    case("drop: replayed sequence number", case_replay, S["victim"])
    case("drop: replayed sequence number, NAT-T", case_replay, S["victim-natt"])
    case("drop: unknown SPI", case_unknown_spi, S["victim"])
    case("drop: SPI of a deleted session", case_deleted_session)
    case("drop: unknown L2TP session id", case_unknown_l2tp_session, S["victim"])
    case("drop: spoofed inner source address", case_spoofed_source, S["victim"])
    case("drop: truncated ESP (runts)", case_truncated, S["victim"])
    case("drop: truncated ESP (runts), GCM", case_truncated, S["witness"])
    case("drop: ESP cut inside the ICV", case_truncated_tail, S["victim"])
    case("absorb: NAT-T keepalive", case_natt_keepalive, S["victim-natt"])

    case("icmp: frag-needed to a LAN sender over the session MTU", case_frag_needed_downstream,
         S["victim"])
    case("icmp: frag-needed through the tunnel over the LAN MTU", case_frag_needed_upstream,
         S["victim"])
    case("icmp: frag-needed through the tunnel, NAT-T", case_frag_needed_upstream,
         S["victim-natt"])
    case("fragment: LAN to client over the session MTU", case_fragment_downstream, S["mtu"])
    case("fragment: LAN to client, NAT-T, GCM", case_fragment_downstream, S["aes-gcm/natt"])
    case("fragment: 1600-byte ping both ways", case_fragment_round_trip, S["mtu"])
    case("icmp/fragment: client to client over the other's session MTU",
         case_hairpin_over_mtu, S["victim"], S["mtu"])
    case("icmp: time exceeded through the tunnel", case_ttl_upstream, S["victim"])
    case("icmp: time exceeded to a LAN sender", case_ttl_downstream, S["victim"])
    case("icmp: never about an ICMP error, a broadcast, a loopback source",
         case_icmp_never_reply, S["victim"])
    case("icmp: errors are rate-limited", case_icmp_rate_limit, S["victim"])
    if ctx.app.workers > 1:
        if case("handoff: clients owned by every worker", case_handoff_install):
            case("handoff: LAN -> client over every worker, one ESP sequence per SA",
                 case_handoff_downstream)
            case("handoff: clients -> LAN over every worker, no replay drops",
                 case_handoff_upstream)
    case("the dataplane is still running", lambda c: c.app.alive())


def main() -> int:
    ap = argparse.ArgumentParser(description="l2tpgw fastpath e2e test")
    ap.add_argument("--builddir", type=Path, required=True)
    ap.add_argument("--keep", action="store_true", help="keep logs even when everything passes")
    ap.add_argument("-k", dest="pattern", help="run only cases whose name matches this regex")
    ap.add_argument("--workers", type=int, default=1,
                    help="worker lcores (more than the machine's cores is allowed: slow, but "
                         "every client owned by another worker is then handed off)")
    ap.add_argument("--idle-sleep-us", type=int, default=None,
                    help="the dataplane's idle back-off (default: 100 when its lcores outnumber "
                         "the CPUs, else 0 = pure polling)")
    args = ap.parse_args()
    if args.idle_sleep_us is None:
        args.idle_sleep_us = 100 if args.workers + 1 > (os.cpu_count() or 1) else 0

    lab = Lab()
    base = args.builddir.resolve() / "e2e-logs"
    base.mkdir(parents=True, exist_ok=True)
    log_dir = Path(tempfile.mkdtemp(prefix=f"fastpath-{lab.suffix}-", dir=base))
    app = Appliance(lab, args.builddir.resolve(), log_dir, workers=args.workers,
                    idle_sleep_us=args.idle_sleep_us)
    res = Results()

    missing = app.missing_binaries()
    if missing:
        res.failed.append(("binaries present", "missing: " + ", ".join(missing)))
        print("FAIL binaries present: missing " + ", ".join(missing) +
              " (build the dataplane and controlplane tools first)")
        shutil.rmtree(log_dir, ignore_errors=True)
        return res.summary()

    wan = lan = None
    try:
        ensure_hugepages()
        lab.up()
        wan = WanPeer(lab)
        lan = L2Port(lab.lan, "lan0")
        if res.case("dataplane starts and prints ready", app.start):
            run_cases(Ctx(app, wan, lan), res, args.pattern)
    finally:
        try:
            for port in (wan, lan):
                if port is not None:
                    port.close()
            was_running = app.proc is not None and app.proc.running()
            rc = app.stop()
            if app.proc is not None:
                if not was_running:
                    res.failed.append(("dataplane exit", f"it had already exited with {rc}"))
                print(f"dataplane stopped (exit status {rc}); log {app.proc.log_path}")
        finally:
            lab.down()
    code = res.summary()
    if code == 0 and not args.keep:
        shutil.rmtree(log_dir, ignore_errors=True)
    else:
        print(f"logs kept in {log_dir}")
    return code


if __name__ == "__main__":
    sys.exit(main())
