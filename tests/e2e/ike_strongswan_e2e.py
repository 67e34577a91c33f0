#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# IKEv1 interop: strongSwan's charon (Debian's strongswan-starter) as an L2TP/IPsec client
# against our responder (controlplane/ike on plain UDP sockets: tests/interop/ike_udp_responder),
# in two network namespaces on a veth pair, documentation addresses only.
#
#   /usr/bin/python3 tests/e2e/ike_strongswan_e2e.py --builddir build
#
# Cases: a Windows-like suite (AES-256/SHA1/MODP1024, ESP AES-256/HMAC-SHA1, transport), a
# macOS-like suite with UDP encapsulation forced (AES-256/SHA256/MODP2048, ESP AES-256/
# HMAC-SHA256; ipsec.conf's forceencaps=yes makes charon fake its NAT-D, hence the float to
# 4500 and UDP-encapsulated transport), and a wrong pre-shared key. Main Mode must establish on both sides and charon
# must accept our Quick Mode answer (it verifies HASH(2) and selects our proposal). On a host
# whose kernel has no ESP (the development machines), charon then fails to install its SAs and
# never sends HASH(3): that is reported, not failed. With ESP in the kernel the responder must
# see the SA pair installed.
#
# The mirror cases: charon as the RESPONDER (`auto=add`) and our initiator (ike-udp-responder
# --initiate) starting Main Mode and Quick Mode, with the same suites, forced NAT-T (charon
# fakes its NAT-D, so we must float to 4500 and ask for UDP-encapsulated transport) and a wrong
# key. Main Mode must establish on both sides, and charon must accept our QM1: it selects our
# proposal and answers with QM2, whose HASH(2) we verify (our IPsec SA pair comes up and the
# times to the ISAKMP SA and to the pair are reported). charon installs its SAs when our QM3
# arrives; without ESP in the host kernel that fails, which is reported, not failed.
#
# Needs root. Exits 77 (skipped) without root or without strongSwan's starter.
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = 77
STARTER = "/usr/lib/ipsec/starter"
RESP_ADDR = "192.0.2.1"
INIT_ADDR = "192.0.2.10"
PSK = "interop-psk-7c1e"  # test-only key, in a 0600 file and the responder's environment


class TestFailure(Exception):
    pass


def run(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


class Namespaces:
    def __init__(self):
        tag = str(os.getpid())
        self.r, self.i = f"l2tpgw-iker-{tag}", f"l2tpgw-ikei-{tag}"
        self.vr, self.vi = f"ikr{tag}"[:15], f"iki{tag}"[:15]

    def __enter__(self):
        run("ip", "netns", "add", self.r)
        run("ip", "netns", "add", self.i)
        run("ip", "link", "add", self.vr, "type", "veth", "peer", "name", self.vi)
        run("ip", "link", "set", self.vr, "netns", self.r)
        run("ip", "link", "set", self.vi, "netns", self.i)
        run("ip", "-n", self.r, "addr", "add", f"{RESP_ADDR}/24", "dev", self.vr)
        run("ip", "-n", self.i, "addr", "add", f"{INIT_ADDR}/24", "dev", self.vi)
        for ns, dev in ((self.r, self.vr), (self.i, self.vi)):
            run("ip", "-n", ns, "link", "set", dev, "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")
        return self

    def __exit__(self, *exc):
        run("ip", "netns", "del", self.r, check=False)
        run("ip", "netns", "del", self.i, check=False)


def write_charon_config(d: Path, ike: str, esp: str, encap: bool, psk: str,
                        respond: bool = False) -> None:
    (d / "strongswan.conf").write_text(f"""
charon {{
  install_routes = no
  retransmit_tries = 2
  filelog {{
    log {{
      path = {d}/charon.log
      default = 1
      ike = 2
      cfg = 2
      knl = 1
      flush_line = yes
    }}
  }}
  plugins {{
    stroke {{
      secrets_file = {d}/ipsec.secrets
    }}
  }}
}}
""")
    (d / "ipsec.conf").write_text(f"""
config setup
conn l2tp
  keyexchange=ikev1
  authby=secret
  type=transport
  left={INIT_ADDR}
  leftprotoport=17/1701
  right={RESP_ADDR}
  rightprotoport=17/1701
  ike={ike}!
  esp={esp}!
  forceencaps={'yes' if encap else 'no'}
  auto={'add' if respond else 'start'}
""")
    secrets = d / "ipsec.secrets"
    secrets.write_text(f'{INIT_ADDR} {RESP_ADDR} : PSK "{psk}"\n')
    secrets.chmod(0o600)


def start_charon(ns: Namespaces, d: Path) -> subprocess.Popen:
    """strongSwan's starter (and charon) in the client namespace with the config in `d`."""
    for stale in ("/var/run/charon.pid", "/var/run/starter.charon.pid"):
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
    return subprocess.Popen(["ip", "netns", "exec", ns.i, "env",
                             f"STRONGSWAN_CONF={d}/strongswan.conf", STARTER, "--nofork",
                             "--conf", str(d / "ipsec.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_charon(starter: subprocess.Popen) -> None:
    starter.send_signal(signal.SIGTERM)
    try:
        starter.wait(timeout=10)
    except subprocess.TimeoutExpired:
        starter.kill()
        starter.wait()


def check_charon_accepted(name: str, log: str, expect_esp: str, what: str) -> None:
    """charon's log: Main Mode established, `expect_esp` selected (its acceptance of `what`),
    and none of the errors that would mean our messages were wrong."""
    if "IKE_SA l2tp[1] established" not in log:
        raise TestFailure(f"{name}: charon did not establish Main Mode\n{log[-4000:]}")
    if f"selected proposal: ESP:{expect_esp}" not in log:
        raise TestFailure(f"{name}: charon did not accept {what}\n{log[-4000:]}")
    for bad in ("invalid HASH", "NO_PROPOSAL_CHOSEN", "INVALID_ID_INFORMATION",
                "PAYLOAD_MALFORMED"):
        if bad in log:
            raise TestFailure(f"{name}: charon logged {bad!r}\n{log[-4000:]}")


def run_case(ns: Namespaces, responder: Path, name: str, ike: str, esp: str, encap: bool,
             client_psk: str, expect_esp: str, expect_established: bool) -> str:
    with tempfile.TemporaryDirectory(prefix="l2tpgw-ike-") as tmp:
        d = Path(tmp)
        write_charon_config(d, ike, esp, encap, client_psk)
        env = dict(os.environ, L2TPGW_IKE_PSK=PSK)
        resp = subprocess.Popen(["ip", "netns", "exec", ns.r, str(responder), "--addr", RESP_ADDR,
                                 "--timeout", "12", "--linger", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(0.3)
        starter = start_charon(ns, d)
        try:
            out, err = resp.communicate(timeout=30)
        finally:
            stop_charon(starter)
        log = (d / "charon.log").read_text() if (d / "charon.log").exists() else ""
        if PSK in err or PSK in out:
            raise TestFailure(f"{name}: the pre-shared key appears in the responder's output")
        if not expect_established:
            if "AuthFailed=1" not in out or "Phase1Established" in out:
                raise TestFailure(f"{name}: expected AuthFailed=1 and no ISAKMP SA: {out}")
            if "IKE_SA l2tp[1] established" in log:
                raise TestFailure(f"{name}: charon established with a wrong key")
            return f"{name}: refused (AuthFailed counted, nothing installed)"
        if "ISAKMP SA[1] established" not in err:
            raise TestFailure(f"{name}: no ISAKMP SA on the responder\n{err[-3000:]}\n{out}")
        check_charon_accepted(name, log, expect_esp, "our Quick Mode answer")
        if encap:
            if "udp-transport" not in err:
                raise TestFailure(f"{name}: Quick Mode was not UDP-encapsulated\n{err[-3000:]}")
            if "[4500]" not in log:
                raise TestFailure(f"{name}: charon did not float to port 4500")
        if resp.returncode == 0:
            return f"{name}: Main Mode + Quick Mode complete, IPsec SA pair installed"
        if "unable to install inbound and outbound IPsec SA (SAD) in kernel" in log:
            return (f"{name}: Main Mode complete, Quick Mode answer accepted by charon; the host "
                    f"kernel has no ESP, so charon sent no HASH(3)")
        raise TestFailure(f"{name}: no IPsec SA installed and no kernel explanation\n{out}\n{log[-4000:]}")


def run_mirror_case(ns: Namespaces, program: Path, name: str, ike: str, esp: str, encap: bool,
                    charon_psk: str, expect_esp: str, expect_established: bool) -> str:
    """charon responds (in ns.i at INIT_ADDR), our initiator starts from ns.r."""
    with tempfile.TemporaryDirectory(prefix="l2tpgw-ike-") as tmp:
        d = Path(tmp)
        write_charon_config(d, ike, esp, encap, charon_psk, respond=True)
        starter = start_charon(ns, d)
        try:
            # charon listens once its log says so (a starter that is still loading drops MM1,
            # which our retransmission would cover, but slowly).
            log_path = d / "charon.log"
            deadline = time.time() + 10
            while time.time() < deadline:
                if log_path.exists() and "listening on interfaces" in log_path.read_text():
                    break
                time.sleep(0.1)
            time.sleep(0.3)
            env = dict(os.environ, L2TPGW_IKE_PSK=PSK)
            t0 = time.monotonic()
            resp = subprocess.run(["ip", "netns", "exec", ns.r, str(program), "--addr", RESP_ADDR,
                                   "--initiate", INIT_ADDR, "--timeout",
                                   "15" if expect_established else "8", "--linger", "1"],
                                  capture_output=True, text=True, env=env, timeout=40)
            wall = time.monotonic() - t0
            time.sleep(0.5)  # charon's reaction to QM3 reaches its log
        finally:
            stop_charon(starter)
        out, err = resp.stdout, resp.stderr
        log = log_path.read_text() if log_path.exists() else ""
        if PSK in err or PSK in out:
            raise TestFailure(f"{name}: the pre-shared key appears in our output")
        if not expect_established:
            if "ISAKMP SA[1] established" in err or "IKE_SA l2tp[1] established" in log:
                raise TestFailure(f"{name}: established with a wrong key\n{err[-2000:]}")
            if "RetransmitLimit" not in out and "TimerRetransmits" not in out:
                raise TestFailure(f"{name}: expected MM5 retransmissions\n{out}")
            return f"{name}: refused (no ISAKMP SA on either side; our MM5 retransmitted, then given up)"
        if "ISAKMP SA[1] established" not in err:
            raise TestFailure(f"{name}: our initiator did not establish Main Mode\n{err[-3000:]}\n"
                              f"{out}\n{log[-3000:]}")
        check_charon_accepted(name, log, expect_esp, "our QM1")
        if resp.returncode != 0 or "QUICK_MODE complete" not in out:
            raise TestFailure(f"{name}: our initiator did not take charon's QM2\n{out}\n"
                              f"{err[-3000:]}")
        if encap:
            if "udp-transport" not in err or "moving to port 4500" not in err:
                raise TestFailure(f"{name}: no float to 4500 / UDP encapsulation\n{err[-3000:]}")
        times = " ".join(l for l in out.splitlines() if l.startswith(("MAIN_MODE", "QUICK_MODE")))
        if "unable to install" in log:
            kernel = "charon could not install its SAs after our QM3 (no ESP in the host kernel)"
        elif "CHILD_SA l2tp{1} established" in log:
            kernel = "charon installed its SAs after our QM3"
        else:
            kernel = "charon's reaction to QM3 not logged"
        return (f"{name}: Main Mode complete, charon accepted QM1 (QM2 verified, our SA pair up), "
                f"QM3 sent; {kernel}; {times}; wall {wall:.2f} s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: needs root")
        return SKIP
    if not Path(STARTER).exists():
        print("skipped: strongSwan's starter is not installed")
        return SKIP
    responder = Path(args.builddir) / "tests" / "ike-udp-responder"
    if not responder.exists():
        print(f"missing {responder}")
        return 1
    cases = [
        ("windows_aes256_sha1_modp1024", "aes256-sha1-modp1024", "aes256-sha1", False, PSK,
         "AES_CBC_256/HMAC_SHA1_96", True),
        ("macos_aes256_sha256_modp2048_natt", "aes256-sha256-modp2048", "aes256-sha256", True, PSK,
         "AES_CBC_256/HMAC_SHA2_256_128", True),
        ("wrong_psk", "aes128-sha1-modp2048", "aes128-sha1", False, "not-the-key", "", False),
    ]
    mirror = [
        ("initiator_aes128_sha1_modp1024", "aes128-sha1-modp1024", "aes128-sha1", False, PSK,
         "AES_CBC_128/HMAC_SHA1_96", True),
        ("initiator_aes256_sha256_modp2048_natt", "aes256-sha256-modp2048", "aes256-sha256",
         True, PSK, "AES_CBC_256/HMAC_SHA2_256_128", True),
        # (not 3DES: this charon's crypto plugins have no 3DES; the unit tests cover it)
        ("initiator_aes256_sha1_modp2048_gcm", "aes256-sha1-modp2048", "aes256gcm16", False, PSK,
         "AES_GCM_16_256", True),
        ("initiator_wrong_psk", "aes128-sha1-modp2048", "aes128-sha1", False, "not-the-key", "",
         False),
    ]
    failed = 0
    with Namespaces() as ns:
        for runner, c in [(run_case, c) for c in cases] + [(run_mirror_case, c) for c in mirror]:
            try:
                print("ok:", runner(ns, responder, *c), flush=True)
            except (TestFailure, subprocess.TimeoutExpired) as e:
                failed += 1
                print("FAIL:", e, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
