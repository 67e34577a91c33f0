#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# vdev_rate.py: the end-to-end packet rate through the lab's virtual ports, and what bounds it.
#
#   tcpreplay (wan0)  ->  dpwan [ l2tpgw-dataplane | dpdk-testpmd io ] dplan  ->  lan0 (counted)
#   tcpreplay (lan0)  ->  dplan [ l2tpgw-dataplane | dpdk-testpmd io ] dpwan  ->  wan0 (counted)
#
# Upstream the generator replays ESP (AES-128-CBC + HMAC-SHA1-96) L2TP/PPP/IPv4/UDP packets of
# S static sessions, every one with its own sequence number (so none is a replay); downstream
# it loops plain IPv4/UDP packets from the LAN host to the sessions' addresses. The same
# pcaps then go through dpdk-testpmd forwarding between the same two ports with no processing
# at all: that is the rate the veths + net_af_packet + the generator allow on this machine,
# and the ratio l2tpgw/testpmd says how much of it the fastpath costs.
#
# A benchmark, not a test: it prints figures and exits 0 unless something could not run.
# Run by scripts/bench.sh --vdev (as root, after scripts/build.sh).
from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
import hmac  # noqa: E402
import hashlib  # noqa: E402

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import checksum  # noqa: E402

import fastpath_e2e as fe  # noqa: E402
import l2tp_esp_peer as lep  # noqa: E402
from lab import (LAN_HOST_ADDR, WAN_PEER_ADDR, L2Port, Lab, Proc, TestFailure,  # noqa: E402
                 ensure_hugepages, in_netns, ns_cmd, run, wait_until)

TESTPMD = "/usr/bin/dpdk-testpmd"
DISCARD_PORT = 9            # the LAN host's socket that swallows the upstream packets


# ---------------------------------------------------------------------------------------------
# Packets
# ---------------------------------------------------------------------------------------------

def pcap_write(path: Path, frames: list[bytes]) -> None:
    """libpcap format, Ethernet link type, zero timestamps (tcpreplay --topspeed ignores them)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        hdr = struct.Struct("<IIII")
        for fr in frames:
            f.write(hdr.pack(0, 0, len(fr), len(fr)))
            f.write(fr)


@dataclass
class FastEsp:
    """ESP transport (RFC 4303) with AES-128-CBC (RFC 3602) + HMAC-SHA1-96 (RFC 2404) for the
    load generator: scapy takes ~1 ms a packet, this ~20 µs. Checked against scapy's
    SecurityAssociation on the first packet of every session."""
    spi: int
    enc_key: bytes
    auth_key: bytes

    def seal(self, seq: int, iv: bytes, payload: bytes, next_header: int) -> bytes:
        pad_len = (-(len(payload) + 2)) % 16
        plain = payload + bytes(range(1, pad_len + 1)) + bytes((pad_len, next_header))
        enc = Cipher(algorithms.AES(self.enc_key), modes.CBC(iv)).encryptor()
        body = struct.pack("!II", self.spi, seq) + iv + enc.update(plain) + enc.finalize()
        return body + hmac.new(self.auth_key, body, hashlib.sha1).digest()[:12]


def outer_ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int) -> bytes:
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:] + payload


def upstream_frames(sessions: list[fe.Session], gw_mac: str, peer_mac: str, count: int,
                    inner_size: int, first_seq: int) -> list[bytes]:
    """`count` frames, round-robin over the sessions, with sequence numbers from `first_seq`
    on in each session: client -> LAN host UDP/9 with an `inner_size`-byte IPv4 packet."""
    eth = bytes(Ether(dst=gw_mac, src=peer_mac, type=0x0800))
    frames: list[bytes] = []
    plans = []
    for s in sessions:
        c = s.cfg
        inner = bytes(IP(src=c.client_ip, dst=LAN_HOST_ADDR, ttl=64) /
                      UDP(sport=40000, dport=DISCARD_PORT) / Raw(b"\xa5" * (inner_size - 28)))
        udp = bytes(IP(bytes(IP(src=c.peer_ip, dst=c.gw_ip) / s.peer.l2tp_udp(inner)))[UDP])
        esp = FastEsp(c.tx.spi, c.tx.enc_key, c.tx.auth_key)
        # Cross-check the generator against scapy's ESP on this session's first packet.
        iv = os.urandom(16)
        mine = esp.seal(1, iv, udp, 17)
        theirs = bytes(s.peer.tx_sa.encrypt(IP(src=c.peer_ip, dst=c.gw_ip, proto=17) /
                                            Raw(udp), seq_num=1, iv=iv))[20:]
        if mine != theirs:
            raise TestFailure("the fast ESP generator disagrees with scapy's ESP")
        if outer_ipv4(c.peer_ip, c.gw_ip, 50, mine, 7) != bytes(
                IP(src=c.peer_ip, dst=c.gw_ip, proto=50, id=7, ttl=64) / Raw(mine)):
            raise TestFailure("the fast IPv4 header disagrees with scapy's")
        plans.append((c, esp, udp))
    for k in range(count):
        c, esp, udp = plans[k % len(plans)]
        seq = k // len(plans) + first_seq
        frames.append(eth + outer_ipv4(c.peer_ip, c.gw_ip, 50,
                                       esp.seal(seq, os.urandom(16), udp, 17), k & 0xFFFF))
    return frames


def downstream_frames(sessions: list[fe.Session], gw_mac: str, host_mac: str,
                      inner_size: int) -> list[bytes]:
    return [bytes(Ether(dst=gw_mac, src=host_mac) /
                  IP(src=LAN_HOST_ADDR, dst=s.cfg.client_ip, ttl=64) /
                  UDP(sport=DISCARD_PORT, dport=40000) / Raw(b"\x5a" * (inner_size - 28)))
            for s in sessions]


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

def rx_packets(ns: str, iface: str) -> int:
    return int(run(["ip", "netns", "exec", ns, "cat",
                    f"/sys/class/net/{iface}/statistics/rx_packets"]).stdout)


TCPREPLAY_RATE = re.compile(r"Actual: (\d+) packets .* in ([0-9.]+) seconds")


@dataclass
class Replay:
    sent: int
    seconds: float
    delivered: int

    @property
    def offered_mpps(self) -> float:
        return self.sent / self.seconds / 1e6

    @property
    def delivered_mpps(self) -> float:
        return self.delivered / self.seconds / 1e6


def replay(src_ns: str, src_if: str, dst_ns: str, dst_if: str, pcap: Path, loops: int,
           cpu: int) -> Replay:
    before = rx_packets(dst_ns, dst_if)
    p = run(["ip", "netns", "exec", src_ns, "taskset", "-c", str(cpu), "tcpreplay",
             "-i", src_if, "--topspeed", "--preload-pcap", f"--loop={loops}", str(pcap)],
            timeout=300)
    m = TCPREPLAY_RATE.search(p.stdout)
    if not m:
        raise TestFailure(f"tcpreplay printed no rate: {p.stdout[-400:]} {p.stderr[-400:]}")
    sent, seconds = int(m[1]), float(m[2])
    # Wait until the receiving side stops growing (the rings drain within milliseconds).
    last = [rx_packets(dst_ns, dst_if), time.monotonic()]

    def settled() -> bool:
        now = rx_packets(dst_ns, dst_if)
        if now != last[0]:
            last[:] = [now, time.monotonic()]
            return False
        return time.monotonic() - last[1] > 0.3
    wait_until(settled, 30, f"{dst_if} rx to settle", interval=0.1)
    return Replay(sent, seconds, last[0] - before)


def burst_fill(before: dict, after: dict) -> float:
    """Packets received per worker poll that found any (rx burst size is 32): near 32 means
    the worker was the bottleneck, a few means it waited for the ports."""
    def totals(st: dict) -> tuple[int, int]:
        rx = busy = 0
        for lc in st.get("lcores", []):
            if lc["lcore"].startswith("worker"):
                busy += int(lc["busy_loops"])
                rx += int(lc["counters"].get("WanRxPackets", 0)) + \
                    int(lc["counters"].get("LanRxPackets", 0))
        return rx, busy
    (r0, b0), (r1, b1) = totals(before), totals(after)
    return (r1 - r0) / max(1, b1 - b0)


class Testpmd:
    """dpdk-testpmd forwarding dpwan <-> dplan as they are (io mode): the reference."""

    def __init__(self, lab: Lab, log_dir: Path, vdev_args: str):
        self.prefix = f"l2gw-{lab.suffix}-pmd"
        self.proc = Proc("testpmd", ns_cmd(lab.dut, [
            TESTPMD, "--no-pci", "--file-prefix", self.prefix, "-l", "0,1",
            "--vdev", f"net_af_packet0,iface=dpwan{vdev_args}",
            "--vdev", f"net_af_packet1,iface=dplan{vdev_args}",
            "--", "--forward-mode=io", "--nb-cores=1", "--auto-start",
            "--stats-period=0"]), log_dir, stdin_pipe=True)
        self.proc.wait_for_output(r"Press enter to exit", 60)

    def stop(self) -> None:
        if self.proc.running() and self.proc.p.stdin:
            self.proc.p.stdin.write(b"\n")
            self.proc.p.stdin.flush()
        self.proc.stop()
        for f in Path("/dev/hugepages").glob(f"{self.prefix}map_*"):
            f.unlink(missing_ok=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--builddir", default=str(HERE.parents[1] / "build"))
    ap.add_argument("--sessions", type=int, default=64)
    ap.add_argument("--packets", type=int, default=200_000,
                    help="upstream packets (each a new sequence number)")
    ap.add_argument("--sizes", default="64,1400", help="inner IPv4 packet sizes")
    ap.add_argument("--down-loops", type=int, default=4000,
                    help="downstream: times the S-frame pcap is replayed")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("vdev_rate: needs root (network namespaces, hugepages)", file=sys.stderr)
        return 2
    for tool in ("tcpreplay", TESTPMD):
        if not any(os.access(Path(d) / tool, os.X_OK) for d in ["/", *os.environ["PATH"].split(":")]):
            print(f"vdev_rate: {tool} is missing (scripts/setup.sh installs it)", file=sys.stderr)
            return 2
    ensure_hugepages()
    sizes = [int(s) for s in args.sizes.split(",")]
    lab = Lab(suffix="vrate")
    log_dir = Path(tempfile.mkdtemp(prefix="l2gw-vrate-"))
    vdev_args = ",qpairs=2,framecnt=4096"
    lab.down()
    lab.up()
    app = fe.Appliance(lab, Path(args.builddir), log_dir)
    keep: list[socket.socket] = []
    try:
        # Swallow what reaches the LAN host and the WAN peer without ICMP errors going back.
        with in_netns(lab.lan):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((LAN_HOST_ADDR, DISCARD_PORT))
            keep.append(s)
        app.start()
        a = lep.algo("aes-cbc", "sha-hmac")
        sessions = [fe.install_session(app, f"s{i}", a, f"198.51.100.{10 + i}", natt=False)
                    for i in range(args.sessions)]
        wan = fe.WanPeer(lab)
        gw_wan = wan.resolve_gw()
        lan = L2Port(lab.lan, "lan0")
        ctx = type("Ctx", (), {"lan": lan, "lan_gw_mac": None})()
        gw_lan = fe.lan_gw_mac(ctx)
        # Teach the dataplane the LAN host's MAC before the flood (its ARP hold queue is short).
        wan.send(sessions[0].peer.upstream(IP(src=sessions[0].cfg.client_ip, dst=LAN_HOST_ADDR) /
                                           UDP(sport=40000, dport=DISCARD_PORT) / Raw(b"warm")))
        keep[0].settimeout(10)
        if keep[0].recv(2048) != b"warm":
            raise TestFailure("the warm-up packet did not reach the LAN host")
        keep[0].setblocking(False)

        pcaps: dict[tuple[str, int], tuple[Path, int]] = {}
        next_seq = 2            # the warm-up used 1 on session 0
        for size in sizes:
            n = args.packets if size <= 512 else min(args.packets, 60_000)
            t0 = time.monotonic()
            up = upstream_frames(sessions, gw_wan, wan.port.mac.hex(":"), n, size, next_seq)
            next_seq += -(-n // len(sessions))
            print(f"# generated {n} upstream {size}-byte packets in "
                  f"{time.monotonic() - t0:.1f} s", flush=True)
            pu = log_dir / f"up{size}.pcap"
            pcap_write(pu, up)
            pd = log_dir / f"down{size}.pcap"
            pcap_write(pd, downstream_frames(sessions, gw_lan, lan.mac.hex(":"), size))
            pcaps[("up", size)] = (pu, 1)
            pcaps[("down", size)] = (pd, args.down_loops)
            del up

        results: dict[tuple[str, str, int], Replay] = {}
        load: dict[tuple[str, int], float] = {}    # packets per busy worker loop
        # l2tpgw first: its upstream pcaps are single-use (sequence numbers), so each size's
        # upstream pcap is replayed once, with the sessions' windows still below it.
        for size in sizes:
            for d, src, dst in (("up", (lab.wan, "wan0"), (lab.lan, "lan0")),
                                ("down", (lab.lan, "lan0"), (lab.wan, "wan0"))):
                before = app.stats()
                results[("l2tpgw", d, size)] = replay(*src, *dst, *pcaps[(d, size)], cpu=0)
                load[(d, size)] = burst_fill(before, app.stats())
        st = app.stats()
        app.stop()
        pmd = Testpmd(lab, log_dir, vdev_args)
        try:
            for size in sizes:
                results[("testpmd", "up", size)] = replay(lab.wan, "wan0", lab.lan, "lan0",
                                                          *pcaps[("up", size)], cpu=0)
                results[("testpmd", "down", size)] = replay(lab.lan, "lan0", lab.wan, "wan0",
                                                            *pcaps[("down", size)], cpu=0)
        finally:
            pmd.stop()

        print(f"# {args.sessions} sessions, AES-128-CBC+HMAC-SHA1, net_af_packet on veths, "
              f"generator tcpreplay --topspeed on CPU 0, forwarding lcore on CPU 1")
        print("direction,size,offered_mpps,l2tpgw_mpps,testpmd_mpps,ratio,l2tpgw_loss,"
              "testpmd_loss,l2tpgw_pkts_per_busy_poll")
        for d in ("up", "down"):
            for size in sizes:
                mine, ref = results[("l2tpgw", d, size)], results[("testpmd", d, size)]
                print(f"{d},{size},{mine.offered_mpps:.3f},{mine.delivered_mpps:.3f},"
                      f"{ref.delivered_mpps:.3f},{mine.delivered_mpps / ref.delivered_mpps:.2f},"
                      f"{1 - mine.delivered / mine.sent:.3f},{1 - ref.delivered / ref.sent:.3f},"
                      f"{load[(d, size)]:.1f}")
        drops = {k: v for k, v in st.get("drops", {}).items() if int(v)}
        print(f"# l2tpgw drop counters: {drops or 'none'}")
        return 0
    finally:
        for s in keep:
            s.close()
        app.stop()
        lab.down()


if __name__ == "__main__":
    sys.exit(main())
