#!/usr/bin/env bash
# test_package.sh - the Debian package under a real systemd.
#
# Builds the .deb from a copy of the source tree (dpkg-buildpackage -us -uc
# -b), checks it with lintian (no errors), then boots a minimal Debian 12 in
# a container with systemd as its PID 1 (systemd-nspawn -b, its own network
# namespace holding only a loopback, rootfs from debootstrap, cached, writes
# on a tmpfs overlay so every boot is clean) and, inside:
#
#   - installs the .deb: units verified, not enabled, not started;
#     systemd-analyze security exposure <= 1.5 for both units
#   - the operator sets the server (ngircd on the container's loopback) and
#     runs `systemctl enable --now missive`: start returns only once the bot
#     said READY=1 (Type=notify), after the first-start import of the shipped
#     corpus into the empty state directory
#   - the watchdog is fed (a drop-in shortens WatchdogSec to 2 s so that a
#     few periods pass in a short hold: WatchdogTimestamp moves, no restart)
#   - `systemctl reload` applies a changed config (a second channel joined)
#   - a bad config leaves a clear FILE:LINE journal line, on reload (the bot
#     keeps running) and at start (the unit fails)
#   - a killed process is restarted (Restart=on-failure)
#   - `systemctl stop` sends QUIT (ngircd logs the bot's quit message)
#   - missive@NAME.service runs from /etc/missive/NAME.conf with its own
#     state directory
#   - removing and purging the package leaves nothing behind
#
# usage: tests/system/test_package.sh SOURCE_DIR WORK_DIR
# Exit 0 pass, 1 fail, 77 skipped (not root, or no systemd-nspawn /
# debootstrap / dpkg-buildpackage: tests/deps.sh installs them).  The host
# is left alone: the container has no network, and is powered off at exit.
# MISSIVE_SDBOX_DIR (default /var/tmp/missive-sdbox) caches the rootfs.
# Learned from shared/reference/systemd-box.sh.
set -uo pipefail

SRC=$(cd "${1:?usage: $0 SOURCE_DIR WORK_DIR}" && pwd)
WORK=${2:?usage: $0 SOURCE_DIR WORK_DIR}
BOX_DIR=${MISSIVE_SDBOX_DIR:-/var/tmp/missive-sdbox}
ROOTFS=$BOX_DIR/rootfs
# Per run, so that two runs (two build trees) can share the cached rootfs.
MACHINE=missive-box-$$
CG_NAME=missive-sdbox-$$
INPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# systemd and what the container needs to be a machine, ngircd for the bot
# to talk to, and the libraries the .deb depends on (the container has no
# network: apt cannot fetch them later).
BOX_PKGS=systemd,systemd-sysv,dbus,libsystemd0,procps,ngircd,libircclient1,libinih1,libpcre2-8-0,libsqlite3-0

T0=$(date +%s)
log() { printf '[package %3ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
skip() { echo "SKIP: $*"; exit 77; }
die() { log "ERROR: $*"; exit 1; }
FAILS=()
fail() { log "FAIL: $*"; FAILS+=("$*"); }
check() { # check DESCRIPTION COMMAND...: a named assertion
    local what=$1; shift
    if "$@"; then log "ok: $what"; else fail "$what"; fi
}

[ "$(id -u)" = 0 ] || skip "needs root to boot a container (CI runs as root)"
for t in systemd-nspawn debootstrap nsenter dpkg-buildpackage lintian; do
    command -v "$t" >/dev/null || skip "$t is not installed (run tests/deps.sh)"
done
[ -d /sys/fs/cgroup ] || skip "no cgroup file system"
mkdir -p "$WORK" "$BOX_DIR"
WORK=$(cd "$WORK" && pwd)

# ------------------------------------------------------------- 1. the package
build_deb() {
    local tree=$WORK/src
    rm -rf "$tree" "$WORK"/*.deb "$WORK"/*.changes "$WORK"/*.buildinfo
    mkdir -p "$tree"
    # The tracked files when there is a git checkout, else everything but
    # build directories: the package is built from the sources, not a tree
    # that has been built in.
    if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
            xargs -0 cp --parents -t "$tree") || die "cannot copy the source tree"
    else
        tar -C "$SRC" --exclude='./build*' --exclude=./obj-* -cf - . | tar -C "$tree" -xf - ||
            die "cannot copy the source tree"
    fi
    log "dpkg-buildpackage -us -uc -b (log: $WORK/dpkg-buildpackage.log)"
    (cd "$tree" && dpkg-buildpackage -us -uc -b -j2) >"$WORK/dpkg-buildpackage.log" 2>&1 ||
        { tail -30 "$WORK/dpkg-buildpackage.log"; die "dpkg-buildpackage failed"; }
    DEB=$(ls "$WORK"/missive_*.deb 2>/dev/null | head -1)
    [ -f "$DEB" ] || die "no .deb was built"
    log "built $(basename "$DEB")"
    log "lintian"
    lintian --fail-on error --tag-display-limit 0 "$DEB" "${DEB%.deb}.buildinfo" \
        >"$WORK/lintian.log" 2>&1
    local rc=$?
    sed 's/^/    /' "$WORK/lintian.log" >&2
    [ $rc -eq 0 ] || fail "lintian reports errors"
    check "lintian: no error tags" sh -c "! grep -q '^E:' '$WORK/lintian.log'"
}

# ------------------------------------------------------------- 2. the container
cgroup_dirs() {
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        echo /sys/fs/cgroup/$CG_NAME
    else
        [ -d /sys/fs/cgroup/unified ] && echo /sys/fs/cgroup/unified/$CG_NAME
        [ -d /sys/fs/cgroup/systemd ] && echo /sys/fs/cgroup/systemd/$CG_NAME
    fi
}

build_rootfs() {
    [ -e "$ROOTFS/.ready" ] && return 0
    local m
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    m=${m:-http://deb.debian.org/debian}
    if [ ! -e "$ROOTFS.tmp/.debootstrapped" ]; then
        log "debootstrap bookworm into $ROOTFS (once; about two minutes)"
        rm -rf --one-file-system "$ROOTFS.tmp"
        debootstrap --variant=minbase --include=$BOX_PKGS bookworm "$ROOTFS.tmp" "$m" \
            >"$BOX_DIR/debootstrap.log" 2>&1 ||
            { tail -20 "$BOX_DIR/debootstrap.log"; die "debootstrap failed ($BOX_DIR/debootstrap.log)"; }
        touch "$ROOTFS.tmp/.debootstrapped"
    fi
    echo missive-box >"$ROOTFS.tmp/etc/hostname"
    : >"$ROOTFS.tmp/etc/machine-id"
    local u
    for u in console-getty.service getty@.service apt-daily.timer apt-daily-upgrade.timer \
        dpkg-db-backup.timer e2scrub_all.timer fstrim.timer systemd-tmpfiles-clean.timer; do
        ln -sf /dev/null "$ROOTFS.tmp/etc/systemd/system/$u"
    done
    ln -sf /lib/systemd/system/multi-user.target "$ROOTFS.tmp/etc/systemd/system/default.target"
    # ngircd at boot, on the container's loopback, logging to the journal
    ln -sf /lib/systemd/system/ngircd.service \
        "$ROOTFS.tmp/etc/systemd/system/multi-user.target.wants/ngircd.service"
    rm -rf "$ROOTFS.tmp/var/cache/apt/archives/"*.deb
    touch "$ROOTFS.tmp/.ready"
    mv "$ROOTFS.tmp" "$ROOTFS"
}

# The .deb's dependencies must be in the rootfs (the booted box has no
# network): install the missing ones through chroot, with the host's.
rootfs_deps() {
    local deps missing=() p
    deps=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (|].*//; /^$/d')
    # man-db: systemd-analyze verify checks Documentation=man:... with man
    deps="$deps man-db"
    for p in $deps; do
        chroot "$ROOTFS" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing into the rootfs: ${missing[*]}"
    cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
    chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
    mount --bind /proc "$ROOTFS/proc" && mount --bind /dev "$ROOTFS/dev" || die "bind mounts failed"
    local rc=0
    { chroot "$ROOTFS" apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        chroot "$ROOTFS" apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
        >"$BOX_DIR/apt-rootfs.log" 2>&1 || rc=$?
    chroot "$ROOTFS" apt-get clean >/dev/null 2>&1
    umount "$ROOTFS/dev"; umount "$ROOTFS/proc"
    rm -f "$ROOTFS/usr/sbin/policy-rc.d"
    [ $rc -eq 0 ] || { tail -20 "$BOX_DIR/apt-rootfs.log"; die "apt-get in the rootfs failed"; }
}

NSPAWN_PID=
leader_pid() {
    local p
    [ -n "$NSPAWN_PID" ] || return 1
    for p in $(pgrep -P "$NSPAWN_PID"); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ] && { echo "$p"; return 0; }
    done
    return 1
}
in_box() {
    local p
    p=$(leader_pid) || die "the container is not running"
    nsenter -t "$p" -a -r -w -- env -i PATH=$INPATH LANG=C.UTF-8 TERM=dumb \
        SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@"
}
put() { # put DEST MODE < content
    in_box sh -c 'mkdir -p "${1%/*}" && cat >"$1" && chmod "$2" "$1"' sh "$1" "$2" ||
        die "cannot write $1 in the container"
}

box_up() {
    local d state
    for d in $(cgroup_dirs); do mkdir -p "$d" || skip "cannot create cgroup $d"; done
    export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
    (
        for d in $(cgroup_dirs); do echo "$BASHPID" >"$d/cgroup.procs"; done
        exec setsid systemd-nspawn -D "$ROOTFS" -M "$MACHINE" --register=no --keep-unit \
            --console=read-only -b --private-network --volatile=overlay \
            </dev/null >"$WORK/boot.log" 2>&1
    ) &
    NSPAWN_PID=$!
    for _ in $(seq 300); do
        leader_pid >/dev/null && break
        kill -0 "$NSPAWN_PID" 2>/dev/null || { cat "$WORK/boot.log"; die "systemd-nspawn exited"; }
        sleep 0.1
    done
    for _ in $(seq 600); do
        state=$(nsenter -t "$(leader_pid)" -a -r -w -- systemctl is-system-running 2>/dev/null)
        case $state in running | degraded) break ;; esac
        sleep 0.1
    done
    log "container up: system $state"
    case $state in running | degraded) ;; *) tail -30 "$WORK/boot.log"; die "the container did not boot" ;; esac
}

box_down() {
    [ -n "$NSPAWN_PID" ] || return 0
    local p; p=$(leader_pid)
    kill -TERM "$NSPAWN_PID" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then
        log "container did not power off in 15 s: killing it"
        [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
        kill -KILL "$NSPAWN_PID" 2>/dev/null
        sleep 0.5
    fi
    wait "$NSPAWN_PID" 2>/dev/null
    NSPAWN_PID=
    local d
    for d in $(cgroup_dirs); do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
}
trap box_down EXIT

# ------------------------------------------------------------- 3. helpers inside
show() { in_box systemctl show -P "$2" "$1"; }
# wait_for SECONDS COMMAND...: poll every 0.2 s
wait_for() {
    local n=$(($1 * 5)); shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
    return 1
}
journal_has() { # journal_has UNIT REGEX: since the test's cursor
    in_box journalctl -q --no-pager -o cat -u "$1" --after-cursor="$CURSOR" | grep -Eq "$2"
}
exposure() { # the "Overall exposure level" of a unit
    in_box systemd-analyze security --no-pager "$1" 2>&1 |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p'
}
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }

CONF='[irc]
server = 127.0.0.1
port = 6667
nick = missive
channels = #missive

[bot]
log_level = info
'

# ------------------------------------------------------------- 4. the test
build_deb
# One run at a time builds or changes the cached rootfs.
exec 9>"$BOX_DIR/lock"
flock 9
build_rootfs
rootfs_deps
flock -u 9
box_up
CURSOR=$(in_box journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p')

log "install the package"
in_box sh -c 'cat >/tmp/missive.deb' <"$DEB"
in_box dpkg -i /tmp/missive.deb >"$WORK/dpkg-i.log" 2>&1 || { cat "$WORK/dpkg-i.log"; die "dpkg -i failed"; }
check "installed: the binary, man pages, data, config, units" in_box test -x /usr/bin/missive \
    -a -f /usr/share/man/man1/missive.1.gz -a -f /usr/share/man/man5/missive.conf.5.gz \
    -a -f /usr/share/missive/aliases.txt -a -f /usr/share/missive/stalin-churchill-1941.txt \
    -a -f /etc/missive/missive.conf -a -f /lib/systemd/system/missive.service \
    -a -f /lib/systemd/system/missive@.service
check "installed: the TLS module, and a binary that does not link OpenSSL" in_box bash -c \
    'test -f /usr/lib/x86_64-linux-gnu/missive/missive-tls.so && ! ldd /usr/bin/missive | grep -q libssl'
check "installed, not enabled" [ "$(in_box systemctl is-enabled missive 2>/dev/null)" = disabled ]
check "installed, not started" [ "$(show missive ActiveState)" = inactive ]
for u in missive.service missive@.service; do
    out=$(in_box systemd-analyze verify "/lib/systemd/system/$u" 2>&1)
    check "systemd-analyze verify $u: no complaint${out:+ ($out)}" [ -z "$out" ]
done
for u in missive.service missive@net.service; do
    score=$(exposure "$u")
    check "systemd-analyze security $u: exposure ${score:-?} <= 1.5" at_most "$score" 1.5
done
check "ngircd listens on the container's loopback" \
    wait_for 10 in_box bash -c 'exec 3<>/dev/tcp/127.0.0.1/6667'

log "the operator sets the server; a drop-in makes the watchdog period short"
printf '%s' "$CONF" | put /etc/missive/missive.conf 644
printf '[Service]\nWatchdogSec=2s\nRestartSec=1s\n' | put /etc/systemd/system/missive.service.d/test.conf 644
in_box systemctl daemon-reload
check "check-config accepts it" in_box missive check-config /etc/missive/missive.conf >/dev/null

log "systemctl enable --now missive"
in_box systemctl enable --now missive >/dev/null 2>&1 || fail "enable --now failed"
# Type=notify: start has returned, so READY=1 came; the unit is running and
# the bot had logged its start (after the first-start import) by then.
check "active (running) when start returns" [ "$(show missive ActiveState)/$(show missive SubState)" = active/running ]
check "the first start imported the shipped corpus" journal_has missive 'importing the shipped corpus'
# StatusText comes in the same sd_notify message as READY=1: set when start
# returned, it proves systemd waited for the bot's own word.
check "Type=notify: StatusText already set by the bot's READY=1 ($(show missive StatusText))" \
    [ "$(show missive Type)" = notify -a -n "$(show missive StatusText)" ]
check "Type=notify: active later than the process started (after the import)" \
    [ "$(show missive ActiveEnterTimestampMonotonic)" -gt "$(show missive ExecMainStartTimestampMonotonic)" ]
check "the database is in the state directory" in_box test -s /var/lib/private/missive/missive.db
check "registered and joined #missive" wait_for 15 journal_has missive 'joined #missive'
check "status says connected" [ "$(show missive StatusText)" = connected ]

MAINPID=$(show missive MainPID)
wd1=$(show missive WatchdogTimestampMonotonic)
sleep 5
wd2=$(show missive WatchdogTimestampMonotonic)
check "watchdog fed: WatchdogTimestamp moved ($wd1 -> $wd2)" [ "${wd2:-0}" -gt "${wd1:-0}" ]
check "watchdog fed: no restart over 5 s of a 2 s watchdog" \
    [ "$(show missive NRestarts)" = 0 -a "$(show missive MainPID)" = "$MAINPID" ]

log "systemctl reload applies a changed config"
printf '%s' "${CONF/channels = #missive/channels = #missive, #second}" | put /etc/missive/missive.conf 644
in_box systemctl reload missive || fail "reload failed"
check "reload: #second joined" wait_for 10 journal_has missive 'joined #second'
check "reload: same process, still running" \
    [ "$(show missive MainPID)" = "$MAINPID" -a "$(show missive ActiveState)" = active ]

log "a bad config leaves a clear journal line"
printf '%s' "${CONF/port = 6667/port = 99999}" | put /etc/missive/missive.conf 644
in_box systemctl reload missive || fail "reload with a bad config failed"
check "bad config on reload: FILE:LINE in the journal" \
    wait_for 10 journal_has missive '/etc/missive/missive.conf:3: .*port'
check "bad config on reload: the running config stays" \
    [ "$(show missive MainPID)" = "$MAINPID" -a "$(show missive ActiveState)" = active ]
in_box systemctl restart missive >/dev/null 2>&1 && fail "restart with a bad config succeeded"
check "bad config at start: the unit is not active" [ "$(show missive ActiveState)" != active ]
check "bad config at start: FILE:LINE in the journal again" bash -c "[ \$(nsenter -t $(leader_pid) -a -r -w -- \
    journalctl -q --no-pager -o cat -u missive --after-cursor='$CURSOR' | grep -c '/etc/missive/missive.conf:3: .*port') -ge 2 ]"
in_box systemctl stop missive >/dev/null 2>&1
printf '%s' "$CONF" | put /etc/missive/missive.conf 644
in_box systemctl reset-failed missive
in_box systemctl start missive || fail "start after fixing the config failed"
check "fixed config: running again" [ "$(show missive ActiveState)" = active ]
check "fixed config: an existing database is not imported again" \
    [ "$(in_box journalctl -q --no-pager -o cat -u missive --after-cursor="$CURSOR" | grep -c 'importing the shipped corpus')" = 1 ]

log "a killed process is restarted"
wait_for 15 journal_has missive 'joined #missive' >/dev/null
MAINPID=$(show missive MainPID)
restarts=$(show missive NRestarts)
in_box systemctl kill -s KILL --kill-who=main missive
check "killed: restarted with a new PID" wait_for 15 bash -c \
    "[ \"\$(nsenter -t $(leader_pid) -a -r -w -- systemctl show -P SubState missive)\" = running ] &&
     [ \"\$(nsenter -t $(leader_pid) -a -r -w -- systemctl show -P MainPID missive)\" != $MAINPID ] &&
     [ \"\$(nsenter -t $(leader_pid) -a -r -w -- systemctl show -P MainPID missive)\" != 0 ]"
check "killed: NRestarts went up from $restarts" [ "$(show missive NRestarts)" -gt "$restarts" ]

log "systemctl stop sends QUIT"
wait_for 15 bash -c "[ \"\$(nsenter -t $(leader_pid) -a -r -w -- systemctl show -P StatusText missive)\" = connected ]"
in_box systemctl stop missive || fail "stop failed"
check "stopped: Result=success, inactive" \
    [ "$(show missive Result)" = success -a "$(show missive ActiveState)" = inactive ]
# ngircd logs why a user left: "Got QUIT command" (a killed bot would be
# "Client closed connection").
check "stopped: ngircd saw the bot's QUIT" \
    wait_for 5 journal_has ngircd 'User "missive!.*unregistered .*Got QUIT command'

log "missive@net: one bot per network"
printf '%s' "${CONF/nick = missive/nick = missive2}" | put /etc/missive/net.conf 644
in_box systemctl start missive@net || fail "start missive@net failed"
check "missive@net: active" [ "$(show missive@net ActiveState)" = active ]
check "missive@net: its own state directory" wait_for 5 in_box test -s /var/lib/private/missive-net/missive.db
check "missive@net: joined" wait_for 15 journal_has missive@net 'joined #missive'
in_box systemctl stop missive@net
in_box rm -f /etc/missive/net.conf

log "missive@tls: tls = yes loads missive-tls.so inside the sandbox"
# ngircd's port is plain, so the handshake fails, but only after the module
# was loaded: a sandbox that stopped the dlopen() would log "cannot load".
printf '%s' "${CONF/port = 6667/port = 6667
tls = yes}" | put /etc/missive/tls.conf 644
in_box systemctl start missive@tls || fail "start missive@tls failed"
check "missive@tls: the TLS module loaded, the plain port refused" \
    wait_for 20 journal_has missive@tls 'speaks plain IRC, not TLS|TLS handshake'
check "missive@tls: no module error" bash -c "! nsenter -t $(leader_pid) -a -r -w -- \
    journalctl -q --no-pager -o cat -u missive@tls --after-cursor='$CURSOR' | grep -q 'cannot load the TLS module'"
in_box systemctl stop missive@tls
in_box rm -f /etc/missive/tls.conf

log "remove and purge"
in_box systemctl start missive >/dev/null 2>&1
in_box rm -rf /etc/systemd/system/missive.service.d
in_box dpkg -r missive >"$WORK/dpkg-r.log" 2>&1 || { cat "$WORK/dpkg-r.log"; fail "dpkg -r failed"; }
check "removed: the service was stopped" [ "$(show missive ActiveState)" = inactive ]
check "removed: binary and units gone" in_box test ! -e /usr/bin/missive -a ! -e /lib/systemd/system/missive.service
in_box dpkg -P missive >>"$WORK/dpkg-r.log" 2>&1 || { cat "$WORK/dpkg-r.log"; fail "dpkg -P failed"; }
check "purged: config and state gone" in_box test ! -e /etc/missive -a ! -e /var/lib/missive \
    -a ! -e /var/lib/private/missive -a ! -e /var/lib/private/missive-net -a ! -e /var/lib/missive-net
left=$(in_box find / -xdev \( -name 'missive*' -o -name '*missive.service*' \) -not -path '/tmp/*' \
    -not -path '/proc/*' -not -path '/var/cache/man/*' 2>/dev/null)
check "purged: no file named missive* left${left:+: $left}" [ -z "$left" ]

if [ ${#FAILS[@]} -gt 0 ]; then
    echo "===== journal (missive, ngircd)"
    in_box journalctl -q --no-pager -o short-monotonic --after-cursor="$CURSOR" \
        -u missive -u missive@net -u ngircd | tail -80
    printf 'FAIL: %s\n' "${FAILS[@]}"
    exit 1
fi
echo "PASS: the package installs, runs under systemd and is removed cleanly ($(($(date +%s) - T0)) s)"
