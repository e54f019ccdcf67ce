#!/usr/bin/env bash
# deps.sh - install the Debian 12 packages Missive needs, and only those
# missing.  The one place the package list lives: the README's two commands
# and CI (.ci/run) all start here.
#
# usage: tests/deps.sh [--fuzz] [--list]
#   (no option)  what building, the demo and every test need
#   --fuzz       also clang and libFuzzer's runtime (the fuzz targets, CI)
#   --list       print the package names and exit
#
# Runs apt-get as root, or through sudo.  Nothing is installed when nothing
# is missing (no apt-get update either).  ngircd and inspircd are installed
# for the tests, which start their own servers on free ports: their system
# services are neither started nor left enabled by this script, so they do
# not take port 6667 from the demo.  A server that was installed before is
# left as it was.
set -euo pipefail

# build: the compiler, CMake and the libraries (OpenSSL: the TLS module missive-tls.so; libedit2: the console's line
# editing, dlopen()ed, so only its runtime; WordNet: the importer's concepts; scdoc: the man pages)
BUILD=(build-essential cmake pkg-config scdoc
    libircclient-dev libpcre2-dev libsqlite3-dev libssl-dev libinih-dev
    libedit2 wordnet-dev wordnet-base)
# test: cmocka, the integration harness, the IRC servers and services
# (anope: SASL), openssl (the TLS tests' certificates), the zone files, the
# sqlite3 shell some tests inspect files with
TEST=(libcmocka-dev python3 ngircd inspircd anope openssl tzdata sqlite3)
# the package test (tests/system): building the .deb, lintian, and a real
# systemd booted in a container from a debootstrapped Debian 12
PACKAGE=(debhelper dpkg-dev fakeroot lintian systemd-container debootstrap)
FUZZ=(clang libclang-rt-dev)
SERVERS=(ngircd inspircd anope)

want=("${BUILD[@]}" "${TEST[@]}" "${PACKAGE[@]}")
list=0
for arg in "$@"; do
    case $arg in
        --fuzz) want+=("${FUZZ[@]}") ;;
        --list) list=1 ;;
        -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "deps.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done
[ $list = 1 ] && { printf '%s\n' "${want[@]}"; exit 0; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' installed$'; }

missing=()
for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps.sh: all ${#want[@]} packages are installed"
    exit 0
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "deps.sh: run as root (no sudo here) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=(sudo)
fi

new_servers=()
for s in "${SERVERS[@]}"; do
    for m in "${missing[@]}"; do [ "$m" = "$s" ] && new_servers+=("$s"); done
done

echo "deps.sh: installing ${missing[*]}"
# A policy-rc.d that says "no" keeps maintainer scripts from starting the
# IRC servers' and services' system units (only if the machine has none of its own).
policy=
if [ ${#new_servers[@]} -gt 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\n# tests/deps.sh: no daemon starts while it installs\nexit 101\n' |
        "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
fi
rc=0
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
[ $rc -eq 0 ] && { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?; }
[ -n "$policy" ] && "${SUDO[@]}" rm -f "$policy"
[ $rc -eq 0 ] || { echo "deps.sh: apt-get failed ($rc)" >&2; exit $rc; }

# The servers we just installed stay off, now and at the next boot (systemd
# links are removed even where systemd is not running, e.g. a container).
for s in "${new_servers[@]}"; do
    if command -v systemctl >/dev/null; then
        "${SUDO[@]}" systemctl disable "$s" >/dev/null 2>&1 || true
        [ -d /run/systemd/system ] && { "${SUDO[@]}" systemctl stop "$s" >/dev/null 2>&1 || true; }
    fi
    "${SUDO[@]}" update-rc.d "$s" disable >/dev/null 2>&1 || true
done
echo "deps.sh: done"
