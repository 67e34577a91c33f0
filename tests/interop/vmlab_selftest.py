# SPDX-License-Identifier: Apache-2.0
# vmlab_selftest.py: proves the interop lab can put real OS clients on the wire. Boots a VM
# (tests/interop/vmlab.py) on a tap in a fresh namespace and checks: Debian's kernel, the ESP/
# L2TP/PPP modules, a dummy ESP transport SA per algorithm (which also runs the kernel's crypto
# self-tests and proves module auto-loading through the initramfs), ping both ways, strongSwan
# sending IKEv1 Main Mode message 1 (captured by tcpdump in the namespace), xl2tpd sending an
# SCCRQ, and pppd bringing up a ppp unit. No responder exists: the captures are the point.
#
#   /usr/bin/python3 tests/interop/vmlab_selftest.py [--logdir D] [--keep]
#                                                   [--save-vectors tests/vectors]

from __future__ import annotations

import argparse
import os
import shutil
import struct
import tempfile
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "e2e"))

import vmlab  # noqa: E402
from lab import Proc, Results, TestFailure, wait_until  # noqa: E402

NS_ADDR = "203.0.113.1"
VM_ADDR = "203.0.113.2"
TAP = "vmtap0"
NS_PREFIX = "l2gw-vml-"

# What the test runs (host paths: the VM runs the host's binaries) and the packages that bring it.
PREREQUISITES = [
    ("/usr/bin/qemu-system-x86_64", "qemu-system-x86"),
    ("/bin/busybox", "busybox-static"),
    ("/usr/sbin/ipsec", "strongswan"),
    ("/usr/sbin/xl2tpd", "xl2tpd"),
    ("/usr/sbin/pppd", "ppp"),
    ("/usr/bin/tcpdump", "tcpdump"),
    ("/sbin/modprobe", "kmod"),
]

# (name, the algorithm part of `ip xfrm state add`); keys are dummies of the right length.
XFRM_ALGS = [
    ("aes-cbc+sha1", "enc 'cbc(aes)' 0x" + "11" * 16 + " auth-trunc 'hmac(sha1)' 0x"
     + "22" * 20 + " 96"),
    ("aes-cbc+sha256", "enc 'cbc(aes)' 0x" + "11" * 16 + " auth-trunc 'hmac(sha256)' 0x"
     + "22" * 32 + " 128"),
    ("3des-cbc+md5", "enc 'cbc(des3_ede)' 0x" + "33" * 24 + " auth-trunc 'hmac(md5)' 0x"
     + "44" * 16 + " 96"),
    ("aes-gcm-128", "aead 'rfc4106(gcm(aes))' 0x" + "55" * 20 + " 128"),
]

MODULES = ["esp4", "xfrm_user", "l2tp_ppp", "ppp_generic", "l2tp_eth"]

# strongSwan as a Linux L2TP/IPsec client configures it (NetworkManager-l2tp's legacy
# proposals): IKEv1 Main Mode, PSK, transport mode for UDP/1701.
IPSEC_CONF = f"""config setup
conn l2tp
    keyexchange=ikev1
    authby=secret
    type=transport
    left={VM_ADDR}
    leftprotoport=17/1701
    right={NS_ADDR}
    rightprotoport=17/1701
    ike=aes256-sha1-modp2048,aes128-sha1-modp2048,3des-sha1-modp1024!
    esp=aes256-sha1,aes128-sha1,3des-sha1!
    keyingtries=1
    auto=add
"""
IPSEC_SECRETS = f'{VM_ADDR} {NS_ADDR} : PSK "vmlab-selftest-psk"\n'

XL2TPD_CONF = f"""[lac vmlab]
lns = {NS_ADDR}
length bit = yes
require authentication = no
pppoptfile = /etc/ppp/options.vmlab
"""
PPP_OPTIONS = "noauth\nnodefaultroute\nmtu 1400\nmru 1400\n"


# ---------------------------------------------------------------------------------------------
# Captures
# ---------------------------------------------------------------------------------------------

def udp_payloads(pcap: Path, src: str, dport: int) -> list[bytes]:
    """UDP payloads from `src` to port `dport` in a classic pcap file of Ethernet frames."""
    data = pcap.read_bytes() if pcap.exists() else b""
    out: list[bytes] = []
    if len(data) < 24 or data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        return out
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    off = 24
    src_b = bytes(int(x) for x in src.split("."))
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 17 or ip[12:16] != src_b or len(ip) < total:
            continue
        udp = ip[ihl:total]
        if struct.unpack("!H", udp[2:4])[0] != dport:
            continue
        out.append(bytes(udp[8:]))
    return out


class Capture:
    """tcpdump on the tap in the namespace, writing a pcap (-U: every packet at once)."""

    def __init__(self, ns: vmlab.Netns, name: str, bpf: str, logdir: Path):
        self.pcap = logdir / f"{name}.pcap"
        self.proc = Proc(f"tcpdump-{name}", ns.cmd(["tcpdump", "-i", TAP, "-n", "-U", "-w",
                                                     str(self.pcap), bpf]), logdir)
        self.proc.wait_for_output(r"listening on", timeout=15)

    def wait(self, src: str, dport: int, timeout: float) -> bytes:
        got = wait_until(lambda: udp_payloads(self.pcap, src, dport), timeout,
                         f"a UDP packet from {src} to port {dport} in {self.pcap}")
        return got[0]  # type: ignore[index]

    def stop(self) -> None:
        self.proc.stop(grace=5)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------

def check_isakmp_mm1(msg: bytes) -> str:
    """RFC 2408 §3.1 header: initiator cookie, responder cookie 0, next payload SA (1),
    version 1.0, exchange type 2 (Identity Protection = Main Mode), message id 0."""
    if len(msg) < 28:
        raise TestFailure(f"ISAKMP message too short ({len(msg)} bytes)")
    icookie, rcookie, nxt, ver, xchg, flags, msgid, length = struct.unpack(
        "!8s8sBBBBII", msg[:28])
    problems = []
    if rcookie != bytes(8):
        problems.append("responder cookie not zero")
    if nxt != 1:
        problems.append(f"first payload {nxt}, not SA (1)")
    if ver != 0x10:
        problems.append(f"version {ver:#x}, not 1.0")
    if xchg != 2:
        problems.append(f"exchange type {xchg}, not Identity Protection (2)")
    if msgid != 0:
        problems.append(f"message id {msgid:#x}")
    if length != len(msg):
        problems.append(f"length field {length} != {len(msg)} bytes received")
    if problems:
        raise TestFailure("not a Main Mode message 1: " + "; ".join(problems))
    return f"ISAKMP MM1: {len(msg)} bytes, cookie {icookie.hex()}, flags {flags:#x}"


def check_sccrq(msg: bytes) -> str:
    """RFC 2661 §3.1 control header (T, L, S set, version 2, tunnel 0) whose first AVP is
    Message Type (attribute 0) = SCCRQ (1)."""
    if len(msg) < 20:
        raise TestFailure(f"L2TP message too short ({len(msg)} bytes)")
    flags, length, tunnel, _session, _ns, _nr = struct.unpack("!HHHHHH", msg[:12])
    if flags & 0xC80F != 0xC802 or length != len(msg) or tunnel != 0:
        raise TestFailure(f"not an L2TPv2 control message to tunnel 0: flags {flags:#06x}, "
                          f"length {length}/{len(msg)}, tunnel {tunnel}")
    avp_hdr, vendor, attr, mtype = struct.unpack("!HHHH", msg[12:20])
    if vendor != 0 or attr != 0 or mtype != 1:
        raise TestFailure(f"first AVP vendor {vendor} attribute {attr} value {mtype}, "
                          "not Message Type SCCRQ")
    return f"L2TP SCCRQ: {len(msg)} bytes"


def stale_namespaces() -> None:
    """Namespaces left by a run of this test that was SIGKILLed (its PID is gone)."""
    for p in Path("/run/netns").glob(NS_PREFIX + "*"):
        pid = p.name[len(NS_PREFIX):]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            print(f"removing stale namespace {p.name}", flush=True)
            vmlab.Netns(p.name).delete()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--logdir", type=Path, default=None,
                    help="where captures and logs go (default: a temp dir, kept on failure)")
    ap.add_argument("--cache", type=Path, default=vmlab.DEFAULT_CACHE)
    ap.add_argument("--keep", action="store_true", help="keep the VM dir and logs")
    ap.add_argument("--save-vectors", type=Path, default=None,
                    help="write the captured messages under DIR/ike and DIR/l2tp")
    args = ap.parse_args()
    # 77: meson reports the test as skipped. scripts/setup.sh installs what is missing.
    if os.geteuid() != 0:
        print("vmlab selftest: needs root (namespaces, taps)")
        return 77
    missing = [pkg for tool, pkg in PREREQUISITES if not Path(tool).exists()]
    if missing:
        print(f"vmlab selftest: missing packages {' '.join(missing)} (scripts/setup.sh)")
        return 77
    try:
        vmlab.debian_kernel()
    except vmlab.VmError as e:
        print(f"vmlab selftest: {e}")
        return 77

    t_start = time.monotonic()
    stale_namespaces()
    base = args.logdir or Path("/tmp")
    base.mkdir(parents=True, exist_ok=True)
    logdir = Path(tempfile.mkdtemp(prefix="vmlab-selftest-", dir=base))
    res = Results()
    captures: list[Capture] = []
    vectors: dict[str, bytes] = {}

    images = vmlab.Images(args.cache)
    with vmlab.Netns(f"{NS_PREFIX}{os.getpid()}") as ns:
        ns.tap(TAP, f"{NS_ADDR}/24")
        with vmlab.Vm(ns.name, TAP, f"{VM_ADDR}/24", gw=NS_ADDR, cache=args.cache,
                      workdir=logdir, keep=args.keep) as vm:

            def kernel() -> None:
                rel = vm.check("uname -r").strip()
                ver = vm.check("cat /proc/version")
                if rel != images.kver or "Debian" not in ver:
                    raise TestFailure(f"VM runs {rel!r} ({ver.strip()}), expected Debian's "
                                      f"{images.kver}")

            def modules() -> None:
                vm.check("modprobe -a " + " ".join(MODULES))
                loaded = {l.split()[0] for l in vm.check("cat /proc/modules").splitlines()}
                missing = [m for m in MODULES + ["l2tp_core", "pppox"] if m not in loaded]
                if missing:
                    raise TestFailure(f"not loaded: {missing}")

            def xfrm(alg: str) -> None:
                ids = f"src {VM_ADDR} dst {NS_ADDR} proto esp spi 0x1000"
                vm.check(f"ip xfrm state add {ids} mode transport {alg}\n"
                         f"ip xfrm state get {ids} >/dev/null\nip xfrm state del {ids}",
                         timeout=30)

            def autoload() -> None:
                # drbg is loaded only through the kernel's module auto-loader (crypto-stdrng,
                # for ESP's IV generator), i.e. through the initramfs's /sbin/modprobe.
                vm.check("grep -q '^drbg ' /proc/modules && grep -q '^echainiv ' /proc/modules")

            def ping_out() -> None:
                vm.check(f"ping -c 1 -W 3 {NS_ADDR}", timeout=10)

            def ping_in() -> None:
                p = ns.exec(["ping", "-c", "1", "-W", "3", VM_ADDR], check=False, timeout=10)
                if p.returncode != 0:
                    raise TestFailure(f"ping {VM_ADDR} from the namespace: {p.stdout}{p.stderr}")

            def first_message(vector: str, port: int, send: str,
                              check: Callable[[bytes], str]) -> None:
                """Capture UDP to `port` on the tap, run `send` in the VM, check the first
                message from the VM and keep it as the test vector `vector`."""
                cap = Capture(ns, Path(vector).stem, f"udp port {port}", logdir)
                captures.append(cap)
                vm.check(send)
                msg = cap.wait(VM_ADDR, port, timeout=20)
                print(f"     {check(msg)}", flush=True)
                vectors[vector] = msg
                cap.stop()

            def strongswan() -> None:
                vm.put_text("/etc/ipsec.conf", IPSEC_CONF)
                vm.put_text("/etc/ipsec.secrets", IPSEC_SECRETS, 0o600)
                t0 = time.monotonic()
                vm.check("ipsec start", timeout=20)
                vm.wait_for("test -S /run/charon.ctl", timeout=20)
                print(f"     charon ready in {time.monotonic() - t0:.2f}s", flush=True)
                # `ipsec up` waits for the whole exchange; there is no responder, so it runs
                # in the background until `ipsec stop`.
                first_message("ike/strongswan_mm1.bin", 500,
                              "ipsec up l2tp >/tmp/ipsec-up.log 2>&1 &", check_isakmp_mm1)
                vm.check("ipsec stop", timeout=20)

            def xl2tpd() -> None:
                vm.put_text("/etc/xl2tpd/xl2tpd.conf", XL2TPD_CONF)
                vm.put_text("/etc/ppp/options.vmlab", PPP_OPTIONS)
                vm.check("mkdir -p /run/xl2tpd\n"
                         "xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf -C /run/xl2tpd/l2tp-control "
                         ">/tmp/xl2tpd.log 2>&1 & echo $! >/tmp/xl2tpd.pid")
                vm.wait_for("test -p /run/xl2tpd/l2tp-control", timeout=15)
                first_message("l2tp/xl2tpd_sccrq.bin", 1701,
                              "echo 'c vmlab' >/run/xl2tpd/l2tp-control", check_sccrq)
                vm.check("kill $(cat /tmp/xl2tpd.pid)")

            def pppd() -> None:
                # pppd on a pty whose other end is idle: enough to see ppp_generic give it a
                # unit and LCP start.
                vm.check("pppd nodetach noauth nodefaultroute debug logfile /tmp/pppd.log "
                         "pty 'exec sleep 30' >/dev/null 2>&1 & echo $! >/tmp/pppd.pid")
                vm.wait_for("grep -q 'Using interface ppp' /tmp/pppd.log && "
                            "grep -q 'sent \\[LCP ConfReq' /tmp/pppd.log", timeout=15)
                vm.check("kill $(cat /tmp/pppd.pid)")

            res.case("VM runs Debian's kernel", kernel)
            res.case(f"modprobe {' '.join(MODULES)}", modules)
            for name, alg in XFRM_ALGS:
                res.case(f"ESP transport SA install+delete: {name}", lambda a=alg: xfrm(a))
            res.case("module auto-loading through the initramfs (drbg, echainiv)", autoload)
            res.case("ping VM -> namespace", ping_out)
            res.case("ping namespace -> VM", ping_in)
            res.case("strongSwan IKEv1 Main Mode message 1 on the wire", strongswan)
            res.case("xl2tpd SCCRQ on the wire", xl2tpd)
            res.case("pppd gets a ppp unit and sends LCP", pppd)
            for c in captures:
                c.stop()
            if res.failed:
                vm.keep = True
                print(vm.run("dmesg | tail -20; cat /tmp/*.log 2>/dev/null | tail -40",
                             quiet=True)[1])

    if args.save_vectors:
        for rel, data in vectors.items():
            p = args.save_vectors / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            print(f"saved {p} ({len(data)} bytes)")
    rc = res.summary()
    print(f"boot {vm.boot_s:.2f}s, whole test {time.monotonic() - t_start:.1f}s")
    if rc == 0 and not args.keep:
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        print(f"logs: {logdir}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
