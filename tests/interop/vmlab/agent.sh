#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# agent.sh: the command agent of a vmlab VM. Runs chrooted into the VM's root (the host's root
# filesystem under a tmpfs overlay) and serves the host over the virtio-serial port named
# "vmlab.agent". vmlab.py copies it into the VM's exchange directory (/vmlab, 9p) before boot.
#
# Protocol, one request at a time:
#   VM -> host   "READY <uname -r>\n"            (again after every host reconnection)
#   host -> VM   "<id> <timeout s> <length>\n" then <length> bytes of bash script (text)
#   VM -> host   "END <id> <exit status>\n"      (124: the timeout ran out)
# The script's stdout+stderr go to /vmlab/out/<id> (on the host: xfer/out/<id>); its stdin is
# /dev/null, so daemons it starts in the background never hold the port.
#
# Every exec costs 50-300 ms under TCG, so the agent forks but never execs: the script runs in
# a subshell, and the timeout is a builtin `read -t` on a FIFO nobody writes.
set -u
set -m   # every background job gets its own process group, which the timeout can end
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 LC_ALL=C

port=
for d in /sys/class/virtio-ports/*; do
    if [[ -r $d/name && $(<"$d/name") == vmlab.agent ]]; then
        port=/dev/${d##*/}
    fi
done
if [[ -z $port ]]; then
    echo "vmlab-agent: no virtio-serial port named vmlab.agent" >&2
    exit 1
fi

work=/run/vmlab-agent
mkdir -p "$work" /vmlab/out
[[ -p $work/never ]] || mkfifo "$work/never"
exec 9<>"$work/never"
: >"$work/expired"   # the id of the last script that ran out of time

# vmlab_sleep SECONDS: sleep without an exec (scripts may use it too).
vmlab_sleep() { read -r -t "$1" -u 9 _ || true; }

while :; do
    exec 3<>"$port"
    # Blocks until the host side of the port is connected: virtio-console holds writes while
    # the host is absent and reads see end-of-file, so the greeting doubles as the handshake.
    printf 'READY %s\n' "$(</proc/sys/kernel/osrelease)" >&3
    while IFS=' ' read -r id tmo len <&3; do
        if [[ ! $id =~ ^[0-9]+$ || ! $tmo =~ ^[0-9]+$ || ! $len =~ ^[0-9]+$ ]]; then
            printf 'BAD request\n' >&3
            continue
        fi
        script=
        if ((len > 0)); then
            read -r -N "$len" script <&3
        fi
        ( set +u +m; eval "$script" ) </dev/null >"/vmlab/out/$id" 2>&1 3>&- &
        pid=$!
        # Watchdog: TERM to the script's process group at the timeout, KILL 2 s later.
        (
            read -r -t "$tmo" -u 9 _
            printf '%s\n' "$id" >"$work/expired"
            kill -TERM -- "-$pid" 2>/dev/null
            read -r -t 2 -u 9 _
            kill -KILL -- "-$pid" 2>/dev/null
        ) 3>&- &
        dog=$!
        wait "$pid"
        rc=$?
        kill -KILL -- "-$dog" 2>/dev/null
        wait "$dog" 2>/dev/null
        expired=
        read -r expired <"$work/expired"
        [[ $expired == "$id" ]] && rc=124
        printf 'END %s %d\n' "$id" "$rc" >&3
    done
    exec 3>&-
done
