#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# controlplane_e2e.py: l2tpgw-controlplane and l2tpgwctl, the real binaries, in the netns lab
# of fastpath_e2e.py (scapy L2TP/IPsec peer on the WAN, a kernel host on the LAN):
#
#   1. the controlplane started before the dataplane says what it waits for, answers the CLI
#      ("not attached"), and attaches once the dataplane is up; the CLI socket is root-only and
#      unknown commands are errors;
#   2. sessions installed with l2tpgw-sessionctl are known to a controlplane started after them
#      (show status tunnel / l2tp / pp, show ipsec sa), and sessionctl refuses to write beside it;
#   3. punted IKE, L2TP control and PPP control packets are classified and counted;
#   4. SIGKILL and restart of the controlplane while the peer sends continuously: no packet is
#      lost and the restarted controlplane lists the installed sessions;
#   5. `l2tpgwctl disconnect` removes a session through the installer (seed SYSLOG wording);
#   6. SIGKILL of the dataplane under the controlplane: a clear message, and it attaches again
#      to the restarted dataplane.
#
#   /usr/bin/python3 tests/e2e/controlplane_e2e.py --builddir <builddir> [--keep] [-k PATTERN]

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import ICMP, IP, UDP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

import fastpath_e2e as fp  # noqa: E402
import l2tp_esp_peer as lep  # noqa: E402
from lab import (REPO, WAN_GW_ADDR, WAN_PEER_ADDR, L2Port, Lab, Proc, Results, TestFailure,  # noqa: E402
                 ensure_hugepages, ns_cmd, run, wait_until)

# ---------------------------------------------------------------------------------------------
# What this test assumes about the system under test. Adjust here when names change.
# ---------------------------------------------------------------------------------------------

CONTROLPLANE = "controlplane/l2tpgw-controlplane"
CTL = "controlplane/l2tpgwctl"
ATTACHED_LINE = r"\[CP\] attached to l2tpgw-dataplane pid (\d+)"
WAITING_LINE = r"\[CP\] waiting for the dataplane \("
EXITED_LINE = r"\[CP\] the dataplane \(pid (\d+)\) exited"
TAKEOVER_LINE = r"taking over from controlplane pid {pid}"
DISCONNECT_LINES = ["[L2TP] TUNNEL[{t}] disconnect session {s} complete",
                    "[L2TP] TUNNEL[{t}] disconnect tunnel {t} complete"]

CTL_OK, CTL_ERROR, CTL_UNREACHABLE, CTL_NOT_AVAILABLE = 0, 1, 3, 4

# An EAL secondary attaches in well under a second on an idle box; a loaded one answers the
# multi-process requests of the attach slowly, so deadlines are generous (conditions are
# polled, nothing sleeps for a fixed time).
TIMEOUT_ATTACH = 120.0
TIMEOUT_LOG = 30.0
TRAFFIC_PPS = 40            # echo requests per second, over all sessions
TRAFFIC_AFTER_RESTART = 2.0  # seconds of traffic once the restarted controlplane is attached
TIMEOUT_STRAGGLERS = 10.0


# ---------------------------------------------------------------------------------------------
# The appliance: the dataplane (from fastpath_e2e) plus the controlplane
# ---------------------------------------------------------------------------------------------

class Dataplane(fp.Appliance):
    """fastpath_e2e's appliance; a restart keeps the earlier run's log (dataplane-N.log)."""
    starts: int = 0

    def start(self) -> None:  # noqa: D102
        log = self.log_dir / "dataplane.log"
        if log.exists():
            kept = self.log_dir / f"dataplane-{self.starts}.log"
            log.rename(kept)
            if self.proc is not None:
                self.proc.log_path = kept
        self.starts += 1
        super().start()

    def kill(self) -> None:
        """SIGKILL, as a crash would; the hugepage files and runtime directory stay behind."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.p.wait(timeout=30)


@dataclass
class Controlplane:
    app: Dataplane
    builddir: Path
    log_dir: Path
    socket: Path
    proc: Proc | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        self.proc = Proc(f"controlplane-{self.starts}", ns_cmd(self.app.lab.dut, [
            str(self.builddir / CONTROLPLANE),
            "--file-prefix", f"l2gw-{self.app.lab.suffix}",
            "--socket", str(self.socket),
            "--attach-retry-max-ms", "1000"]), self.log_dir)

    def wait_log(self, pattern: str, timeout: float = TIMEOUT_LOG, count: int = 1) -> re.Match:
        rx = re.compile(pattern, re.M)

        def seen():
            assert self.proc is not None
            found = list(rx.finditer(self.proc.log()))
            if len(found) >= count:
                return found[count - 1]
            if not self.proc.running():
                raise TestFailure(f"the controlplane exited ({self.proc.p.returncode}) before "
                                  f"logging {pattern!r}:\n{self.proc.tail()}")
            return None
        return wait_until(seen, timeout, f"the controlplane to log {pattern!r} "
                          f"(log {self.proc.log_path if self.proc else '-'})", interval=0.05)

    def count_log(self, pattern: str) -> int:
        return len(re.findall(pattern, self.proc.log(), re.M)) if self.proc else 0

    def kill(self) -> int:
        assert self.proc is not None
        pid = self.proc.pid
        os.kill(pid, signal.SIGKILL)
        self.proc.p.wait(timeout=30)
        return pid

    def stop(self) -> int | None:
        return self.proc.stop() if self.proc else None

    def ctl(self, *words: str, as_nobody: bool = False) -> subprocess.CompletedProcess:
        cmd = [str(self.builddir / CTL), "--socket", str(self.socket), "--timeout", "60", *words]
        if as_nobody:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
        p = run(cmd, timeout=90, check=False)
        with open(self.log_dir / "l2tpgwctl.log", "a") as log:
            log.write(f"# {' '.join(words)}\n# rc={p.returncode}\n{p.stdout}{p.stderr}\n")
        return p

    def ctl_ok(self, *words: str) -> str:
        p = self.ctl(*words)
        if p.returncode != CTL_OK:
            raise TestFailure(f"l2tpgwctl {' '.join(words)} failed ({p.returncode}): "
                              f"{p.stderr.strip()}")
        return p.stdout


def sessions_listed(text: str) -> set[int]:
    """Session ids in `show status tunnel`."""
    return {int(m) for m in re.findall(r"^  session (\d+): client ", text, re.M)}


def expect_rc(p: subprocess.CompletedProcess, rc: int, what: str, text: str | None = None) -> None:
    if p.returncode != rc:
        raise TestFailure(f"{what}: exit status {p.returncode}, expected {rc}; stdout "
                          f"{p.stdout.strip()!r} stderr {p.stderr.strip()!r}")
    if text is not None and text not in p.stdout + p.stderr:
        raise TestFailure(f"{what}: {text!r} not in {p.stdout.strip()!r} / {p.stderr.strip()!r}")


# ---------------------------------------------------------------------------------------------
# Continuous traffic from the WAN peer
# ---------------------------------------------------------------------------------------------

@dataclass
class Traffic:
    """Echo requests at a steady rate, round robin over the sessions, from one thread; the
    replies are collected by another. Every request must be answered."""
    wan: fp.WanPeer
    sessions: list[fp.Session]
    sent: dict[str, set[int]] = field(default_factory=dict)
    got: dict[str, set[int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _stop_send: threading.Event = field(default_factory=threading.Event)
    _stop_recv: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for s in self.sessions:
            self.sent[s.label] = set()
            self.got[s.label] = set()
        self._threads = [threading.Thread(target=self._send, daemon=True),
                         threading.Thread(target=self._recv, daemon=True)]
        for t in self._threads:
            t.start()

    def _send(self) -> None:
        period = 1.0 / TRAFFIC_PPS
        next_at = time.monotonic()
        i = 0
        while not self._stop_send.is_set():
            s = self.sessions[i % len(self.sessions)]
            i += 1
            try:
                req = fp.echo_request(s)
                self.wan.send(s.peer.upstream(req))
                with self._lock:
                    self.sent[s.label].add(req[ICMP].seq)
            except Exception as e:  # noqa: BLE001 -- reported by the test, not lost
                self.errors.append(f"send: {e}")
                return
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop_send.wait(delay)
            else:
                next_at = time.monotonic()

    def _recv(self) -> None:
        by_label = {s.label: s for s in self.sessions}
        while not self._stop_recv.is_set():
            try:
                for s, r in self.wan.receive(self.sessions, 1 << 30, 0.2):
                    ip = r.inner
                    if ip is None or ICMP not in ip or ip[ICMP].type != 0 or \
                            ip[ICMP].id != by_label[s.label].icmp_id:
                        self.errors.append(f"[{s.label}] unexpected packet: "
                                           f"{ip.summary() if ip is not None else r.ppp_proto}")
                        continue
                    with self._lock:
                        self.got[s.label].add(ip[ICMP].seq)
            except Exception as e:  # noqa: BLE001
                self.errors.append(f"receive: {e}")
                return

    def total_sent(self) -> int:
        with self._lock:
            return sum(len(v) for v in self.sent.values())

    def missing(self) -> dict[str, list[int]]:
        with self._lock:
            return {k: sorted(self.sent[k] - self.got[k]) for k in self.sent
                    if self.sent[k] - self.got[k]}

    def stop_sending(self) -> None:
        self._stop_send.set()
        self._threads[0].join(timeout=10)

    def stop(self) -> None:
        self._stop_send.set()
        self._stop_recv.set()
        for t in self._threads:
            t.join(timeout=10)


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------

@dataclass
class Ctx:
    app: Dataplane
    cp: Controlplane
    wan: fp.WanPeer | None = None
    lan: L2Port | None = None
    sessions: dict[str, fp.Session] = field(default_factory=dict)


def case_waits_for_the_dataplane(ctx: Ctx) -> None:
    ctx.cp.start()
    m = ctx.cp.wait_log(WAITING_LINE)
    line = ctx.cp.proc.log()[m.start():].splitlines()[0]
    for must in (f"--file-prefix l2gw-{ctx.app.lab.suffix}", "/config"):
        if must not in line:
            raise TestFailure(f"the waiting message does not say {must!r}: {line!r}")
    wait_until(lambda: ctx.cp.socket.exists(), TIMEOUT_LOG, "the CLI socket")
    p = ctx.cp.ctl("show", "status", "tunnel")
    expect_rc(p, CTL_NOT_AVAILABLE, "show status tunnel before the dataplane",
              "not attached to the dataplane: waiting for the dataplane")


def case_cli_socket_is_root_only(ctx: Ctx) -> None:
    st = os.stat(ctx.cp.socket)
    if not stat.S_ISSOCK(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o600 or st.st_uid != 0:
        raise TestFailure(f"CLI socket mode {oct(stat.S_IMODE(st.st_mode))} uid {st.st_uid}, "
                          f"expected a root-owned socket with mode 0600")
    dmode = stat.S_IMODE(os.stat(ctx.cp.socket.parent).st_mode)
    if dmode != 0o700:
        raise TestFailure(f"the socket directory the controlplane created has mode {oct(dmode)}, "
                          f"expected 0700")
    p = ctx.cp.ctl("show", "ipsec", "sa", as_nobody=True)
    expect_rc(p, CTL_UNREACHABLE, "l2tpgwctl as nobody", "Permission denied")
    # With the directory opened, the socket's own mode still keeps nobody out.
    os.chmod(ctx.cp.socket.parent, 0o711)
    try:
        p = ctx.cp.ctl("show", "ipsec", "sa", as_nobody=True)
        expect_rc(p, CTL_UNREACHABLE, "l2tpgwctl as nobody through an open directory",
                  "Permission denied")
    finally:
        os.chmod(ctx.cp.socket.parent, 0o700)


def case_cli_errors(ctx: Ctx) -> None:
    expect_rc(ctx.cp.ctl("frobnicate"), CTL_ERROR, "unknown command",
              "unknown command 'frobnicate' (try 'help')")
    expect_rc(ctx.cp.ctl("show", "status", "pp"), CTL_ERROR, "missing argument", "usage:")
    expect_rc(ctx.cp.ctl("show", "config"), CTL_ERROR, "show config before any load",
              "no configuration loaded")
    expect_rc(ctx.cp.ctl("load", "config", "/nonexistent"), CTL_ERROR, "load config of a missing file",
              "running configuration is unchanged")
    # A seed configuration loads; `show config` prints it expanded with every secret masked.
    seed = REPO / "tests" / "vectors" / "config" / "000_multiple_clients_filled.txt"
    expect_rc(ctx.cp.ctl("load", "config", str(seed)), CTL_OK, "load config of a seed block",
              "not supported by l2tpgw")
    shown = ctx.cp.ctl_ok("show", "config")
    for want in ("pp bind tunnel1-tunnel3", "ipsec ike pre-shared-key 1 text ********",
                 "pp auth username l2tp_user1 ********"):
        if want not in shown:
            raise TestFailure(f"show config lacks {want!r}:\n{shown}")
    for secret in ("yamaha1", "l2tp_password1"):
        if secret in shown:
            raise TestFailure(f"show config prints the secret {secret!r}")
    expect_rc(ctx.cp.ctl("load", "config", str(seed)), CTL_OK, "load config again", "no change")
    expect_rc(ctx.cp.ctl("help"), CTL_OK, "help", "disconnect session ID")
    p = run([str(ctx.cp.builddir / CTL), "--socket", str(ctx.cp.log_dir / "nobody-here.sock"),
             "show", "counters"], check=False)
    expect_rc(p, CTL_UNREACHABLE, "l2tpgwctl without a controlplane", "cannot reach")
    p = run([str(ctx.cp.builddir / CONTROLPLANE), "--help"], check=False)
    for flag in ("--file-prefix", "--socket", "--log ", "--config", "--eal-lcore"):
        if flag not in p.stdout:
            raise TestFailure(f"l2tpgw-controlplane --help does not document {flag}")


def case_attaches_once_the_dataplane_is_up(ctx: Ctx) -> None:
    ctx.app.start()
    m = ctx.cp.wait_log(ATTACHED_LINE, TIMEOUT_ATTACH)
    if int(m[1]) != ctx.app.proc.pid:
        raise TestFailure(f"attached to pid {m[1]}, the dataplane is {ctx.app.proc.pid}")
    out = ctx.cp.ctl_ok("show", "status", "tunnel")
    if out != "No tunnel is established.\n":
        raise TestFailure(f"show status tunnel on an empty dataplane printed {out!r}")
    if ctx.cp.ctl_ok("show", "ipsec", "sa") != "":
        raise TestFailure("show ipsec sa without SAs must print nothing (seed 001)")
    counters = ctx.cp.ctl_ok("show", "counters")
    for must in ("WanRxPackets", "EspNoSa", "PuntNoControlplane", "Ports", "IkeNatT"):
        if must not in counters:
            raise TestFailure(f"show counters lacks {must!r}")
    # Attached, a reload is checked against the pool index the dataplane started with: the
    # seed's pool is not in it (the dataplane runs with --pool 198.51.100.0/24).
    seed = REPO / "tests" / "vectors" / "config" / "000_multiple_clients_filled.txt"
    expect_rc(ctx.cp.ctl("load", "config", str(seed)), CTL_OK, "load config while attached",
              f"{seed}:31: warning: 192.168.100.10-192.168.100.20 is outside the dataplane's client "
              "address ranges (198.51.100.0-198.51.100.255)")


def case_sessionctl_refuses_beside_the_controlplane(ctx: Ctx) -> None:
    cmd = ns_cmd(ctx.app.lab.dut, [str(ctx.app.binary(fp.SESSIONCTL)), "--file-prefix",
                                   ctx.app.prefix, "del", "--session", "1"])
    p = run(cmd, timeout=60, check=False)
    if p.returncode == 0 or "already have a writer" not in p.stderr:
        raise TestFailure(f"sessionctl wrote beside an attached controlplane: rc {p.returncode}, "
                          f"{p.stderr.strip()!r}")
    ctx.cp.stop()
    if "[CP] detached from the dataplane" not in ctx.cp.proc.log():
        raise TestFailure("the controlplane did not log its clean detach")


def case_install_then_start(ctx: Ctx) -> None:
    ctx.wan = fp.WanPeer(ctx.app.lab)
    ctx.lan = L2Port(ctx.app.lab.lan, "lan0")
    ctx.wan.resolve_gw()
    ctx.wan.absorb_udp(40200)
    ctx.sessions["plain"] = fp.install_session(ctx.app, "plain", lep.algo("aes-cbc", "sha-hmac"),
                                               "198.51.100.20", natt=False)
    ctx.sessions["natt"] = fp.install_session(ctx.app, "natt", lep.algo("aes-gcm"),
                                              "198.51.100.21", natt=True, peer_natt_port=40200)
    ctx.sessions["spare"] = fp.install_session(ctx.app, "spare", lep.algo("aes256-cbc", "sha256-hmac"),
                                               "198.51.100.22", natt=False)
    for s in ctx.sessions.values():
        fp.ping(fp.Ctx(ctx.app, ctx.wan, ctx.lan), s, count=1)
    ctx.cp.start()
    ctx.cp.wait_log(ATTACHED_LINE + r".*: 6 SAs, 3 tunnels, 3 sessions installed", TIMEOUT_ATTACH)
    want = {s.n for s in ctx.sessions.values()}
    listed = sessions_listed(ctx.cp.ctl_ok("show", "status", "tunnel"))
    if listed != want:
        raise TestFailure(f"show status tunnel lists sessions {sorted(listed)}, installed {sorted(want)}")
    l2tp = ctx.cp.ctl_ok("show", "status", "l2tp")
    if "Number of control table using Tunnel Control: 3, Session Control: 3" not in l2tp:
        raise TestFailure(f"show status l2tp header: {l2tp.splitlines()[:2]}")
    for s in ctx.sessions.values():
        if f"Remote Session ID: {s.cfg.peer_session_id}\n" not in l2tp:
            raise TestFailure(f"show status l2tp lacks session {s.label}'s remote session id")
        # Installed by sessionctl, not by a pp this process knows: `show status pp anonymous`
        # lists them, each as PP[ANONYMOUSnn] with its session id.
        anon = ctx.cp.ctl_ok("show", "status", "pp", "anonymous")
        pp = next((b for b in anon.split("PP[")[1:] if b.startswith(f"ANONYMOUS{s.n:02d}]")), "")
        if f"Remote: {s.cfg.client_ip}\n" not in pp or "受信: 1 パケット" not in pp:
            raise TestFailure(f"show status pp anonymous, session {s.n}: {anon!r}")
    sa = ctx.cp.ctl_ok("show", "ipsec", "sa")
    if not sa.startswith("Total: isakmp:0 send:3 recv:3\n") or sa.count(WAN_PEER_ADDR) != 6:
        raise TestFailure(f"show ipsec sa: {sa!r}")
    # No secret reaches any output.
    everything = "".join(ctx.cp.ctl_ok(*c.split()) for c in
                         ("show status tunnel", "show status l2tp", "show ipsec sa",
                          "show status pp anonymous", "show counters")) + ctx.cp.proc.log()
    for s in ctx.sessions.values():
        for keys in (s.cfg.tx, s.cfg.rx):
            for k in (keys.enc_key, keys.auth_key):
                if k and (k.hex() in everything.lower() or k.hex()[:16] in everything.lower()):
                    raise TestFailure(f"a key of session {s.label} appears in CLI output or logs")


def ike_packet() -> IP:
    isakmp = bytes(8 * [0x11]) + bytes(8) + bytes([1, 0x10, 2, 0]) + bytes(4) + (28).to_bytes(4, "big")
    return IP(src=WAN_PEER_ADDR, dst=WAN_GW_ADDR) / UDP(sport=500, dport=500) / Raw(isakmp)


def l2tp_control(s: fp.Session) -> IP:
    # RFC 2661 §3.1 control header (T, L, S) + a Message Type AVP (Hello, §6.5).
    avp = (0x8008).to_bytes(2, "big") + bytes(4) + (6).to_bytes(2, "big")
    hdr = (0xc802).to_bytes(2, "big") + (12 + len(avp)).to_bytes(2, "big") + \
        s.cfg.gw_tunnel_id.to_bytes(2, "big") + bytes(2) + bytes(4)
    return s.peer.encrypt(UDP(sport=s.cfg.peer_l2tp_port, dport=1701) / Raw(hdr + avp))


def lcp_echo(s: fp.Session) -> IP:
    # RFC 1661 §5.8 Echo-Request: code 9, id, length 8, magic number.
    return s.peer.upstream(bytes([9, 1, 0, 8, 0x12, 0x34, 0x56, 0x78]), ppp_proto=0xc021)


def punt_count(text: str, cls: str) -> int:
    m = re.search(rf"^  {cls}\s+(\d+) packets", text, re.M)
    if not m:
        raise TestFailure(f"show counters has no punt class {cls!r}")
    return int(m[1])


def case_punts_are_classified(ctx: Ctx) -> None:
    s = ctx.sessions["natt"]
    ctx.wan.send(ike_packet())
    ctx.wan.send(l2tp_control(s))
    ctx.wan.send(l2tp_control(s))
    ctx.wan.send(lcp_echo(s))
    want = {"Ike": 1, "L2tpControl": 2, "PppLcp": 1}

    def counted():
        out = ctx.cp.ctl_ok("show", "counters")
        return all(punt_count(out, c) >= n for c, n in want.items()) and out
    out = wait_until(counted, TIMEOUT_LOG, f"punt classes {want} in show counters", interval=0.2)
    got = {c: punt_count(out, c) for c in want}
    if got != want:
        raise TestFailure(f"punted per class {got}, expected {want}")
    if punt_count(out, "Malformed") != 0:
        raise TestFailure("a well-formed punt was counted Malformed")


def case_restart_under_traffic(ctx: Ctx) -> None:
    sessions = [ctx.sessions["plain"], ctx.sessions["natt"]]
    ctx.wan.port.drain()
    t = Traffic(ctx.wan, sessions)
    t.start()
    try:
        wait_until(lambda: t.total_sent() >= TRAFFIC_PPS, 30, "a second of traffic", interval=0.05)
        if t.missing() and t.total_sent() > 2 * TRAFFIC_PPS:
            raise TestFailure(f"losses before the restart: {t.missing()}")
        old_pid = ctx.cp.kill()
        sent_at_kill = t.total_sent()
        # A second of traffic with no controlplane at all: the dataplane forwards alone.
        wait_until(lambda: t.total_sent() >= sent_at_kill + TRAFFIC_PPS, 30,
                   "a second of traffic without a controlplane", interval=0.05)
        ctx.cp.start()
        ctx.cp.wait_log(TAKEOVER_LINE.format(pid=old_pid), TIMEOUT_ATTACH)
        want = {s.n for s in ctx.sessions.values()}
        def listed() -> bool:
            p = ctx.cp.ctl("show", "status", "tunnel")
            return p.returncode == CTL_OK and sessions_listed(p.stdout) == want
        wait_until(listed, TIMEOUT_ATTACH, f"the restarted controlplane to list sessions "
                   f"{sorted(want)}", interval=0.2)
        after = t.total_sent()
        wait_until(lambda: t.total_sent() >= after + TRAFFIC_AFTER_RESTART * TRAFFIC_PPS, 60,
                   "traffic after the restart", interval=0.05)
        t.stop_sending()
        wait_until(lambda: not t.missing() or t.errors, TIMEOUT_STRAGGLERS,
                   f"every echo request answered (missing: {t.missing()})", interval=0.1)
    finally:
        t.stop()
    if t.errors:
        raise TestFailure(f"traffic errors: {t.errors[:3]}")
    if t.missing():
        raise TestFailure(f"lost: {t.missing()}")
    total = t.total_sent()
    if sent_at_kill >= total or total < 3 * TRAFFIC_PPS:
        raise TestFailure(f"too little traffic around the restart ({sent_at_kill} before the kill, "
                          f"{total} in all)")
    print(f"     {total} echo requests ({sent_at_kill} before the SIGKILL), all answered", flush=True)


def case_disconnect(ctx: Ctx) -> None:
    s = ctx.sessions["spare"]
    tunnel = s.cfg.gw_tunnel_id
    out = ctx.cp.ctl_ok("disconnect", "session", str(s.n))
    if f"session {s.n} (tunnel {tunnel}) disconnected" not in out:
        raise TestFailure(f"disconnect printed {out!r}")
    for line in DISCONNECT_LINES:
        ctx.cp.wait_log(re.escape(line.format(t=tunnel, s=s.n)))
    left = sessions_listed(ctx.cp.ctl_ok("show", "status", "tunnel"))
    if s.n in left:
        raise TestFailure("the disconnected session is still listed")
    before = ctx.app.stats()
    ctx.wan.send(s.peer.upstream(fp.echo_request(s)))
    fp.expect_drop(fp.Ctx(ctx.app, ctx.wan, ctx.lan), fp.DROP["unknown_spi"], before, 1)
    fp.ping(fp.Ctx(ctx.app, ctx.wan, ctx.lan), ctx.sessions["plain"], count=1)
    p = ctx.cp.ctl("disconnect", "session", str(s.n))
    expect_rc(p, CTL_ERROR, "disconnecting it twice", f"no L2TP session {s.n} is installed")


def case_dataplane_dies_and_returns(ctx: Ctx) -> None:
    dp_pid = ctx.app.proc.pid
    waiting = ctx.cp.count_log(WAITING_LINE)
    attached = ctx.cp.count_log(ATTACHED_LINE)
    ctx.app.kill()
    m = ctx.cp.wait_log(EXITED_LINE)
    if int(m[1]) != dp_pid:
        raise TestFailure(f"the controlplane reported pid {m[1]} exiting, the dataplane was {dp_pid}")
    ctx.cp.wait_log(WAITING_LINE, count=waiting + 1)
    if not ctx.cp.proc.running():
        raise TestFailure("the controlplane exited when the dataplane died")
    wait_until(lambda: ctx.cp.ctl("show", "status", "tunnel").returncode == CTL_NOT_AVAILABLE,
               TIMEOUT_LOG, "the CLI to answer 'not attached'", interval=0.2)
    # The crashed primary's files stay; the restarted one must start anyway (the
    # controlplane let go of them).
    ctx.app.start()
    m = ctx.cp.wait_log(ATTACHED_LINE, TIMEOUT_ATTACH, count=attached + 1)
    if int(m[1]) != ctx.app.proc.pid:
        raise TestFailure(f"attached to pid {m[1]}, the new dataplane is {ctx.app.proc.pid}")
    out = ctx.cp.ctl_ok("show", "status", "tunnel")
    if out != "No tunnel is established.\n":
        raise TestFailure(f"a fresh dataplane's tables should be empty: {out!r}")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def run_cases(ctx: Ctx, res: Results, pattern: str | None) -> None:
    # Each case builds on the previous one's state: a failure ends the run.
    cases = [
        ("controlplane before the dataplane: waits, says why, answers the CLI",
         case_waits_for_the_dataplane),
        ("CLI socket is root-only (mode 0600, nobody refused)", case_cli_socket_is_root_only),
        ("CLI errors and config: unknown command, usage, load/show config, no controlplane", case_cli_errors),
        ("attaches once the dataplane is up", case_attaches_once_the_dataplane_is_up),
        ("sessionctl refuses to write beside the controlplane; clean stop",
         case_sessionctl_refuses_beside_the_controlplane),
        ("sessions installed before the controlplane are known to it", case_install_then_start),
        ("punted IKE, L2TP control and LCP are classified and counted", case_punts_are_classified),
        ("SIGKILL + restart of the controlplane under traffic: nothing lost",
         case_restart_under_traffic),
        ("disconnect removes a session through the installer", case_disconnect),
        ("the dataplane dies under the controlplane and comes back", case_dataplane_dies_and_returns),
    ]
    for name, fn in cases:
        if pattern and not re.search(pattern, name):
            continue
        if not res.case(name, lambda fn=fn: fn(ctx)):
            return


def main() -> int:
    ap = argparse.ArgumentParser(description="l2tpgw controlplane e2e test")
    ap.add_argument("--builddir", type=Path, required=True)
    ap.add_argument("--keep", action="store_true", help="keep logs even when everything passes")
    ap.add_argument("-k", dest="pattern", help="run only cases whose name matches this regex "
                    "(later cases need the earlier ones)")
    args = ap.parse_args()

    lab = Lab()
    base = args.builddir.resolve() / "e2e-logs"
    base.mkdir(parents=True, exist_ok=True)
    log_dir = Path(tempfile.mkdtemp(prefix=f"controlplane-{lab.suffix}-", dir=base))
    builddir = args.builddir.resolve()
    app = Dataplane(lab, builddir, log_dir)
    app.prefix = f"l2gw-{lab.suffix}"
    # The CLI socket lives under /tmp, which everybody may traverse: only the modes the
    # controlplane gives its directory (0700) and socket (0600) keep other users out.
    sock_dir = Path(tempfile.mkdtemp(prefix=f"l2gw-cp-{lab.suffix}-"))
    os.chmod(sock_dir, 0o711)
    cp = Controlplane(app, builddir, log_dir, sock_dir / "run" / "cp.sock")
    res = Results()

    missing = [str(builddir / b) for b in (fp.DATAPLANE, fp.SESSIONCTL, fp.STATS, CONTROLPLANE, CTL)
               if not os.access(builddir / b, os.X_OK)]
    if missing:
        print("FAIL binaries present: missing " + ", ".join(missing))
        shutil.rmtree(log_dir, ignore_errors=True)
        res.failed.append(("binaries present", "missing"))
        return res.summary()

    ctx = Ctx(app, cp)
    try:
        ensure_hugepages()
        lab.up()
        run_cases(ctx, res, args.pattern)
    finally:
        for port in (ctx.wan, ctx.lan):
            if port is not None:
                port.close()
        cp_running = cp.proc is not None and cp.proc.running()
        rc = cp.stop()
        if cp.proc is not None:
            print(f"controlplane stopped (exit status {rc}); log {cp.proc.log_path}")
            if not cp_running:
                res.failed.append(("controlplane exit", f"it had already exited with {rc}"))
            elif rc != 0:
                res.failed.append(("controlplane exit", f"exit status {rc} on SIGINT"))
        dp_rc = app.stop()
        if app.proc is not None:
            print(f"dataplane stopped (exit status {dp_rc}); log {app.proc.log_path}")
        lab.down()
        shutil.rmtree(sock_dir, ignore_errors=True)
    code = res.summary()
    if code == 0 and not args.keep:
        shutil.rmtree(log_dir, ignore_errors=True)
    else:
        print(f"logs kept in {log_dir}")
    return code


if __name__ == "__main__":
    sys.exit(main())
