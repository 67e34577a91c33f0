#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""CLI test: runs the real `l2tpgw-controlplane --check-config` on good, warning and bad files
and checks its exit code, stdout and stderr (FILE:LINE: message, secrets masked)."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def placeholder_lines(path):
    """The lines of a seed block that hold a "(...)" placeholder, outside comments."""
    out = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.lstrip().startswith("#"):
                continue
            if re.search(r"(^|\s)\([^\s]*\)(\s|$)", line):
                out.add(n)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--vectors", required=True)
    a = ap.parse_args()
    b, v = a.binary, a.vectors

    rc, out, err = run(b, "--help")
    check(rc == 0 and "--check-config" in out, "--help exits 0 and documents --check-config")
    rc, out, err = run(b, "--no-such-flag")
    check(rc == 2 and "no-such-flag" in err, "an unknown flag exits 2")

    # A file that loads cleanly: exit 0, the expanded configuration, secrets masked, no stderr.
    good = os.path.join(v, "000_transport_template_example_complete.txt")
    rc, out, err = run(b, "--check-config", good)
    check(rc == 0, f"good file exits 0 (got {rc}: {err})")
    check(err == "", f"good file writes nothing to stderr: {err!r}")
    check("tunnel select 12\n" in out and "template" not in out, "stdout is the expanded configuration")
    check("ipsec ike pre-shared-key 1 text ********\n" in out, "the pre-shared key is masked")
    check(" pp auth username l2tp_user1 ********\n" in out, "the pp password is masked")
    check("yamaha1" not in out and "l2tp_password1" not in out, "no secret on stdout")

    # A file with router functions l2tpgw lacks: exit 0, the configuration, warnings on stderr.
    warn = os.path.join(v, "000_multiple_clients_filled.txt")
    rc, out, err = run(b, "--check-config", warn)
    check(rc == 0, f"warning file exits 0 (got {rc})")
    check(out.startswith("ip lan1 address 192.168.100.1/24\n") and "pp select anonymous\n" in out,
          "warning file prints its configuration")
    lines = err.splitlines()
    check(len(lines) >= 10, "warning file reports its unsupported lines")
    for line in lines:
        check(re.match(re.escape(warn) + r":\d+: warning: not supported by l2tpgw: ", line),
              f"warning line format: {line}")
    check(any("NetVolante DNS" in l for l in lines) and any("NAT (nat descriptor)" in l for l in lines),
          "NetVolante DNS and NAT are named")
    check("isp-password" not in err and "yamaha1" not in err, "no secret in the warnings")

    # A seed block that still holds placeholders: exit 1, nothing on stdout, FILE:LINE errors.
    bad = os.path.join(v, "000_multiple_clients.txt")
    rc, out, err = run(b, "--check-config", bad)
    check(rc == 1, f"bad file exits 1 (got {rc})")
    check(out == "", "bad file prints no configuration")
    errors = {}
    for line in err.splitlines():
        m = re.match(re.escape(bad) + r":(\d+): (.*)$", line)
        check(m is not None, f"stderr line is FILE:LINE: message: {line}")
        if m and not m.group(2).startswith("warning: "):
            errors[int(m.group(1))] = m.group(2)
    check(set(errors) == placeholder_lines(bad), f"errors at the placeholder lines: {sorted(errors)}")
    check(errors.get(35, "").startswith("ipsec sa policy: placeholder '(暗号アルゴリズム)'"),
          "the ESP algorithm placeholder is named")
    check("yamaha1" not in err and "l2tp_password1" not in err, "no secret in the errors")

    # A broken pre-shared-key line: the error names file, line and problem, never the key.
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "broken.conf")
        with open(path, "w") as f:
            f.write("# a broken key\nipsec ike pre-shared-key 1 txt s3cr3t-value\n"
                    "pp select anonymous\n pp auth username alice p4ss-word 1.2.3\n")
        rc, out, err = run(b, "--check-config", path)
        check(rc == 1, "broken key exits 1")
        check(err == f"{path}:2: ipsec ike pre-shared-key: the key type must be text or hex\n"
                     f"{path}:4: pp auth username: argument 3 is not an IPv4 address (the user's fixed address)\n",
              f"broken key errors: {err!r}")
        check("s3cr3t" not in err + out and "p4ss" not in err + out, "no secret in the output")
        before = sorted(os.listdir(d))
    check(before == ["broken.conf"], "--check-config writes nothing next to the file")

    rc, out, err = run(b, "--check-config", "/nonexistent/l2tpgw.conf")
    check(rc == 1 and err == "/nonexistent/l2tpgw.conf: cannot open: No such file or directory\n",
          f"missing file: {rc} {err!r}")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
