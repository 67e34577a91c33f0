# SPDX-License-Identifier: Apache-2.0
# lab.py: network-namespace lab plumbing shared by the e2e tests (namespaces, processes,
# raw sockets, deadlines, a tiny result table).
#
# Everything here is bounded in time: every wait takes a deadline and polls a condition.
# Processes are started by this module and stopped by their PID only.

from __future__ import annotations

import ctypes
import os
import re
import secrets
import select
import signal
import socket
import subprocess
import struct
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parents[2]
LAB_SCRIPT = REPO / "scripts" / "netns-lab.sh"

WAN_PEER_ADDR = "203.0.113.10"
WAN_GW_ADDR = "203.0.113.1"
LAN_HOST_ADDR = "192.0.2.10"
LAN_GW_ADDR = "192.0.2.1"

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class TestFailure(AssertionError):
    pass


# ---------------------------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------------------------

def wait_until(cond: Callable[[], object], timeout: float, what: str,
               interval: float = 0.02) -> object:
    """Poll `cond` until it returns something truthy or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TestFailure(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Namespaces
# ---------------------------------------------------------------------------------------------

@contextmanager
def in_netns(name: str) -> Iterator[None]:
    """Run the body with this thread in network namespace `name`. Sockets created inside stay
    in that namespace after the body returns."""
    orig = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns({name}): {os.strerror(e)}")
        try:
            yield
        finally:
            if _libc.setns(orig, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the original namespace")
    finally:
        os.close(target)
        os.close(orig)


def run(cmd: list[str], timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise TestFailure(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def ns_cmd(ns: str, cmd: list[str]) -> list[str]:
    # nsenter --net switches only the network namespace, so DPDK processes started this way
    # share the mount namespace (hugepages, /var/run/dpdk) with the test and its tools.
    return ["nsenter", f"--net=/run/netns/{ns}", "--"] + cmd


@dataclass
class Lab:
    suffix: str = field(default_factory=lambda: secrets.token_hex(3))

    @property
    def dut(self) -> str:
        return f"l2gw-dut-{self.suffix}"

    @property
    def wan(self) -> str:
        return f"l2gw-wan-{self.suffix}"

    @property
    def lan(self) -> str:
        return f"l2gw-lan-{self.suffix}"

    def up(self) -> None:
        run([str(LAB_SCRIPT), "up", self.suffix])

    def down(self) -> None:
        run([str(LAB_SCRIPT), "down", self.suffix], check=False)


# ---------------------------------------------------------------------------------------------
# Hugepages
# ---------------------------------------------------------------------------------------------

def ensure_hugepages(pages: int = 1024, mount: str = "/dev/hugepages") -> None:
    nr = Path("/proc/sys/vm/nr_hugepages")
    if int(nr.read_text()) < pages:
        nr.write_text(f"{pages}\n")
    if int(nr.read_text()) == 0:
        raise TestFailure("no 2 MB hugepages could be reserved")
    mounts = Path("/proc/mounts").read_text().split("\n")
    if not any(line.split(" ")[1:3] == [mount, "hugetlbfs"] for line in mounts if line):
        Path(mount).mkdir(parents=True, exist_ok=True)
        run(["mount", "-t", "hugetlbfs", "nodev", mount])


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

class Proc:
    """A process this test started, with stdout+stderr in a log file. stdout is made line
    buffered (stdbuf) so readiness lines reach the log when printed, not at exit."""

    def __init__(self, name: str, cmd: list[str], log_dir: Path, stdin_pipe: bool = False):
        cmd = ["stdbuf", "-oL", "-eL"] + cmd
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")
        self._log.write("# " + " ".join(cmd) + "\n")
        self._log.flush()
        self.p = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                  start_new_session=True)

    @property
    def pid(self) -> int:
        return self.p.pid

    def running(self) -> bool:
        return self.p.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, pattern: str, timeout: float) -> None:
        rx = re.compile(pattern, re.M)

        def seen() -> bool:
            if rx.search(self.log()):
                return True
            if not self.running():
                raise TestFailure(f"{self.name} exited ({self.p.returncode}) before printing "
                                  f"{pattern!r}; log {self.log_path}:\n{self.tail()}")
            return False
        wait_until(seen, timeout, f"{self.name} to print {pattern!r} (log {self.log_path})",
                   interval=0.05)

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-n:])

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGINT to our PID, wait; SIGKILL if it is still there. Returns the exit status."""
        if self.running():
            if self.p.stdin:
                self.p.stdin.close()
            try:
                os.kill(self.p.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                try:
                    # A killed DPDK primary can take long to die on a loaded machine (it
                    # unmaps its hugepages); do not let that skip the caller's clean-up.
                    self.p.wait(timeout=max(grace, 60.0))
                except subprocess.TimeoutExpired:
                    print(f"{self.name} (pid {self.p.pid}) still exiting after SIGKILL",
                          flush=True)
        self._log.close()
        return self.p.returncode


# ---------------------------------------------------------------------------------------------
# Raw Ethernet access to a namespace's interface
# ---------------------------------------------------------------------------------------------

_ETH_P_ALL = 0x0003
_PACKET_OUTGOING = 4
_SOL_PACKET = 263
_PACKET_AUXDATA = 8
_TP_STATUS_VLAN_VALID = 0x10
_TP_STATUS_VLAN_TPID_VALID = 0x40
# struct tpacket_auxdata (linux/if_packet.h)
_AUXDATA = struct.Struct("=IIIHHHH")


class L2Port:
    """An AF_PACKET socket on `iface` inside `ns`: sends whole frames, receives incoming ones."""

    def __init__(self, ns: str, iface: str):
        with in_netns(ns):
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                      socket.htons(_ETH_P_ALL))
            self.sock.bind((iface, 0))
            self.mac = self.sock.getsockname()[4]
            # The kernel takes an 802.1Q tag off a received frame into metadata; the auxdata
            # gives it back, and recv_until() puts it back in the frame as it was on the wire.
            self.sock.setsockopt(_SOL_PACKET, _PACKET_AUXDATA, 1)
        self.mac_str = ":".join(f"{b:02x}" for b in self.mac)
        self.sock.setblocking(False)

    def send(self, frame: bytes) -> None:
        self.sock.send(frame)

    def drain(self) -> None:
        while True:
            try:
                self.sock.recv(65535)
            except BlockingIOError:
                return

    def recv_matching(self, match: Callable[[bytes], object], timeout: float) -> list[object]:
        """Collect match(frame) for every incoming frame until timeout; falsy results are
        discarded. Use recv_until() to stop early."""
        out: list[object] = []
        self.recv_until(lambda f: out.append(match(f)) and False, timeout)
        return [o for o in out if o]

    def recv_until(self, match: Callable[[bytes], object], timeout: float) -> object | None:
        """Return the first truthy match(frame) of an incoming frame, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            try:
                frame, anc, _, addr = self.sock.recvmsg(65535, socket.CMSG_SPACE(_AUXDATA.size))
            except BlockingIOError:
                continue
            if addr[2] == _PACKET_OUTGOING:
                continue
            for level, kind, data in anc:
                if level != _SOL_PACKET or kind != _PACKET_AUXDATA or len(data) < _AUXDATA.size:
                    continue
                status, _, _, _, _, tci, tpid = _AUXDATA.unpack_from(data)
                if status & _TP_STATUS_VLAN_VALID:
                    tag = struct.pack("!HH", tpid if status & _TP_STATUS_VLAN_TPID_VALID
                                      else 0x8100, tci)
                    frame = frame[:12] + tag + frame[12:]
            v = match(frame)
            if v:
                return v

    def close(self) -> None:
        self.sock.close()


def kernel_ping(ns: str, dst: str, count: int = 3, timeout: float = 10.0) -> int:
    """Echo requests from `ns`'s kernel stack (routing and ARP done by the kernel) through a raw
    ICMP socket, so no ping binary is needed. Returns how many replies came back."""
    from scapy.layers.inet import ICMP, IP  # local: lab.py itself does not need scapy
    with in_netns(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    got: set[int] = set()
    try:
        deadline = time.monotonic() + timeout
        for seq in range(1, count + 1):
            s.sendto(bytes(ICMP(type=8, id=ident, seq=seq) / b"l2gw-lab"), (dst, 0))
            # Wait for this reply (up to an even share of what is left) before the next one:
            # the first request also waits for ARP.
            until = min(deadline, time.monotonic() + max(0.2, (deadline - time.monotonic())
                                                         / (count - seq + 1)))
            while seq not in got and time.monotonic() < until:
                r, _, _ = select.select([s], [], [], until - time.monotonic())
                if r:
                    ip = IP(s.recv(65535))
                    if ip.src == dst and ICMP in ip and ip[ICMP].type == 0 and \
                            ip[ICMP].id == ident:
                        got.add(ip[ICMP].seq)
    finally:
        s.close()
    return len(got)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

@dataclass
class Results:
    passed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def case(self, name: str, fn: Callable[[], None]) -> bool:
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 -- every failure is reported, the run goes on
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            self.failed.append((name, detail))
            print(f"FAIL {name} ({time.monotonic() - t0:.2f}s): {detail}", flush=True)
            return False
        self.passed.append(name)
        print(f"ok   {name} ({time.monotonic() - t0:.2f}s)", flush=True)
        return True

    def summary(self) -> int:
        print(f"\n{len(self.passed)} passed, {len(self.failed)} failed")
        for name, _ in self.failed:
            print(f"  FAILED: {name}")
        return 1 if self.failed else 0
