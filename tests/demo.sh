#!/usr/bin/env bash
# demo.sh - Missive on a private IRC server, in one command.
#
# Imports the shipped corpus into BUILD/demo/missive.db, starts ngircd on
# 127.0.0.1 (port 6667, or the first free one above), starts the bot in
# #missive, has a scripted client ask it a few things, prints the answers and
# how to connect with irssi/weechat, then waits for Ctrl-C.  On any exit both
# daemons are ended by PID.
#
# usage: tests/demo.sh [BUILD_DIR] [--no-wait]      (BUILD_DIR defaults to ./build)
#   --no-wait   stop after the scripted conversation (for CI and scripts)

set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=./build
WAIT=1
for arg in "$@"; do
    case "$arg" in
        --no-wait) WAIT=0 ;;
        -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "demo.sh: unknown option $arg" >&2; exit 2 ;;
        *) BUILD=$arg ;;
    esac
done
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "demo.sh: no build directory '$BUILD' (build first: cmake -S . -B build && cmake --build build)" >&2; exit 2; }
MISSIVE=${MISSIVE_BIN:-$BUILD/missive}
DEMO=$BUILD/demo
NGIRCD=$(command -v ngircd || echo /usr/sbin/ngircd)
CHANNEL='#missive'
BOTNICK=missive

NGIRCD_PID=
BOT_PID=

# --- cleanup: end what we started, by PID ------------------------------------
end_pid() {   # end_pid PID NAME: SIGTERM, SIGKILL after 3 s
    local pid=$1 name=$2 i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "demo: $name ($pid) ignored SIGTERM, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    trap - INT TERM EXIT
    end_pid "$BOT_PID" missive
    end_pid "$NGIRCD_PID" ngircd
    BOT_PID= NGIRCD_PID=
}
trap cleanup EXIT
trap 'echo; echo "demo: stopping"; exit 130' INT
trap 'exit 143' TERM

die() { echo "demo: $*" >&2; exit 1; }

# --- checks ---------------------------------------------------------------------
[ -x "$MISSIVE" ] || die "no missive binary at $MISSIVE (build first)"
[ -x "$NGIRCD" ] || die "ngircd is not installed (apt-get install ngircd)"
command -v python3 >/dev/null || die "python3 is needed for the scripted client"
if ! "$MISSIVE" --help 2>&1 | grep -Eq '^[[:space:]]*(missive[[:space:]]+)?run\b'; then
    die "$MISSIVE has no 'run' subcommand (the IRC daemon) in this build"
fi
mkdir -p "$DEMO"

# --- 1. the corpus ----------------------------------------------------------------
echo "== importing the shipped corpus into $DEMO/missive.db"
rm -f "$DEMO/missive.db" "$DEMO/missive.db-wal" "$DEMO/missive.db-shm"
"$MISSIVE" import --db "$DEMO/missive.db" "$SRC/data/stalin-churchill-1941.txt" \
    > "$DEMO/import.log" 2>&1 || { cat "$DEMO/import.log" >&2; die "import failed"; }
tail -n 3 "$DEMO/import.log" | sed 's/^/   /'

# --- 2. a private IRC server --------------------------------------------------------
port_free() {   # 0 if nothing listens on 127.0.0.1:$1 and we may bind it
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}
port_open() {   # 0 if 127.0.0.1:$1 accepts a connection
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()' "$1" 2>/dev/null
}
PORT=
for p in $(seq 6667 6699); do
    if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || die "no free port in 6667-6699"

cat > "$DEMO/ngircd.conf" <<EOF
# written by tests/demo.sh
[Global]
	Name = irc.missive.test
	Info = Missive demo server
	AdminInfo1 = Missive demo
	AdminInfo2 = 127.0.0.1 only
	AdminEMail = root@localhost
	Listen = 127.0.0.1
	Ports = $PORT
	MotdPhrase = Missive demo server: /join $CHANNEL and type !help
	PidFile =
	HelpFile =
$( [ "$(id -u)" = 0 ] && printf '\tServerUID = 65534\n\tServerGID = 65534\n' || true )
[Limits]
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 30
[Options]
	PAM = no
	Ident = no
	DNS = no
	ChrootDir =
EOF
echo "== starting ngircd on 127.0.0.1:$PORT"
"$NGIRCD" --nodaemon --config "$DEMO/ngircd.conf" > "$DEMO/ngircd.log" 2>&1 &
NGIRCD_PID=$!
for i in $(seq 100); do
    port_open "$PORT" && break
    kill -0 "$NGIRCD_PID" 2>/dev/null || { cat "$DEMO/ngircd.log" >&2; die "ngircd exited"; }
    sleep 0.1
done
port_open "$PORT" || die "ngircd does not listen on $PORT after 10 s"

# --- 3. the bot ----------------------------------------------------------------------
cat > "$DEMO/missive.conf" <<EOF
# written by tests/demo.sh
[irc]
server = 127.0.0.1
port = $PORT
nick = $BOTNICK
alt_nicks = ${BOTNICK}_,${BOTNICK}__
username = missive
realname = Missive demo bot
channels = $CHANNEL

[bot]
prefix = !
database = $DEMO/missive.db
answer_addressed = yes
log_level = info

[limits]
# the scripted reader asks four questions in a row (the default burst is 3)
user_burst = 5
EOF
echo "== starting the bot ($MISSIVE run -c $DEMO/missive.conf)"
"$MISSIVE" run -c "$DEMO/missive.conf" > "$DEMO/missive.log" 2>&1 &
BOT_PID=$!

# --- 4. a scripted conversation ----------------------------------------------------------
echo "== a reader joins $CHANNEL and asks"
PYTHONPATH="$SRC/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
python3 -B - "$PORT" "$CHANNEL" "$BOTNICK" "$BOT_PID" <<'EOF' || { echo "--- bot log:" >&2; tail -n 20 "$DEMO/missive.log" >&2; die "scripted client failed"; }
import re, sys, time
import ircharness as h

port, chan, bot, bot_pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
questions = ["!help", "!quote 1.4", "!search finland", "!reply will you send Eden to Moscow?"]

c = h.Client(port, "reader")
try:
    c.join(chan)
    # the bot may have joined before us (it is in NAMES) or join after us
    named = re.compile(r"^:\S+ 353 \S+ [=*@] %s :(.*)$" % re.escape(chan), re.I)
    def bot_here():
        for line in c.lines:
            m = named.match(line)
            if m and bot.lower() in [n.lstrip("~&@%+").lower() for n in m.group(1).split()]:
                return True
            if re.match(r"^:%s!\S+ JOIN :?%s$" % (re.escape(bot), re.escape(chan)), line, re.I):
                return True
        if not h.pid_alive(bot_pid):
            raise SystemExit("the bot exited")
        return False
    c.wait_for(bot_here, timeout=20)
    time.sleep(0.5)
    ours = re.compile(r"^:%s!\S+ (PRIVMSG|NOTICE) (\S+) :(.*)$" % re.escape(bot), re.I)
    for q in questions:
        print("\n  <reader> %s" % q)
        since = c.mark()
        c.privmsg(chan, q)
        # collect the answer: lines until 1.5 s of quiet (8 s at most)
        start = last = time.monotonic()
        seen = since
        while time.monotonic() - start < 8:
            if c.mark() > seen:
                seen, last = c.mark(), time.monotonic()
            elif seen > since and time.monotonic() - last > 1.5:
                break
            time.sleep(0.1)
        answer = [ours.match(l) for l in c.lines[since:seen]]
        answer = [m for m in answer if m]
        if not answer:
            print("  (no answer from %s)" % bot)
        for m in answer:
            where = "" if m.group(2).lower() == chan.lower() else " (to you)"
            print("  <%s>%s %s" % (bot, where, m.group(3)))
    c.quit("demo done")
finally:
    c.close()
EOF

cat <<EOF

== Missive is running in $CHANNEL on 127.0.0.1:$PORT
   Connect with an IRC client and talk to it:
     irssi -c 127.0.0.1 -p $PORT -n yournick        then: /join $CHANNEL
     weechat: /server add missive 127.0.0.1/$PORT ; /connect missive ; /join $CHANNEL
   Try !help, !quote, !search <words>, !reply <question>.
   Logs: $DEMO/missive.log, $DEMO/ngircd.log
EOF

if [ "$WAIT" = 1 ]; then
    echo "   Press Ctrl-C to stop."
    while kill -0 "$BOT_PID" 2>/dev/null && kill -0 "$NGIRCD_PID" 2>/dev/null; do
        sleep 1
    done
    echo "demo: a daemon exited; see the logs above" >&2
    exit 1
fi
