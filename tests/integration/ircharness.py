"""ircharness: real IRC servers, raw clients and the Missive daemon for tests.

Everything here binds or connects to 127.0.0.1 only, every wait is bounded,
and every process started is ended by PID: by its owner's stop()/close(), by
a `with` block, and, as a last resort, by an atexit hook (SIGTERM is turned
into SystemExit so that hook runs on `kill` too; Ctrl-C already raises).

    with Ngircd(tmpdir) as srv:                     # or Inspircd(tmpdir)
        a = Client(srv.port, "alice"); a.join("#t")
        b = Client(srv.port, "bob");   b.join("#t")
        a.privmsg("#t", "hi")
        m = b.expect(r"^:alice!\\S+ PRIVMSG #t :hi$", timeout=5)

Python 3 standard library only.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HOST = "127.0.0.1"
MAX_LINE = 512          # RFC 1459: a message, CR LF included, is at most 512 bytes
_RECV_CHUNK = 4096


class HarnessError(AssertionError):
    """A bounded wait ran out or a helper process misbehaved.  An
    AssertionError so that unittest reports it as a failure, not an error."""


# --- processes ---------------------------------------------------------------
#
# Every Popen we start is registered here until it has been reaped, so the
# atexit hook can end whatever a crashed or interrupted test left running.

_live = {}
_live_lock = threading.Lock()


def _register(proc):
    with _live_lock:
        _live[proc.pid] = proc


def _unregister(proc):
    with _live_lock:
        _live.pop(proc.pid, None)


def _end_process(proc, sig=signal.SIGTERM, grace=3.0):
    """Send sig to proc (by PID), SIGKILL it after `grace` seconds, reap it
    and return its exit status (negative signal number when killed)."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
    _unregister(proc)
    return proc.returncode


def _cleanup_all():
    with _live_lock:
        procs = list(_live.values())
    for proc in procs:
        try:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)   # a paused server can't die of SIGTERM
            _end_process(proc, grace=2.0)
        except Exception:                           # best effort at exit
            pass


atexit.register(_cleanup_all)


def _sigterm_to_exit(signum, _frame):
    raise SystemExit(128 + signum)


if (threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
    signal.signal(signal.SIGTERM, _sigterm_to_exit)


def pid_alive(pid):
    """True if a process with this PID exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except OSError:
        return False
    # state is the field after the parenthesised command name
    return stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3] not in (b"Z", b"X")


def rss_kb(pid):
    """Resident set size of a process in KiB (VmRSS), or None if gone."""
    try:
        with open("/proc/%d/status" % pid, "r", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# --- ports ---------------------------------------------------------------------

def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_accepts(port, host=HOST, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port(port, timeout=10.0, host=HOST, proc=None):
    """Wait until port accepts connections; False on timeout or if proc died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if port_accepts(port, host):
            return True
        time.sleep(0.05)
    return False


def wait_until(predicate, timeout, interval=0.05):
    """Poll predicate() until it returns something truthy (returned) or the
    timeout passes (returns the last falsy value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --- IRC servers ----------------------------------------------------------------

class _Server:
    """Common life cycle of a test IRC server: config file, log file, one
    process on a fixed port (kept across restart())."""

    binary = None
    name = "irc.test"

    def __init__(self, tmpdir, port=None):
        self.tmpdir = os.path.abspath(tmpdir)
        os.makedirs(self.tmpdir, exist_ok=True)
        self.port = port or free_port()
        self.proc = None
        self.paused = False
        self.log_path = os.path.join(self.tmpdir, self._stem + ".log")
        self.conf_path = os.path.join(self.tmpdir, self._stem + ".conf")
        self._logf = None

    # subclasses: _stem, _write_config(), _argv()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=10.0):
        if self.running:
            raise HarnessError("%s already running" % self._stem)
        self._write_config()
        self._logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     cwd=self.tmpdir)
        _register(self.proc)
        self.paused = False
        if not wait_port(self.port, timeout=min(timeout, 10.0), proc=self.proc):
            code = self.stop()
            raise HarnessError("%s did not listen on %s:%d (exit %r); log:\n%s"
                               % (self._stem, HOST, self.port, code, self.log_text()[-2000:]))
        return self

    def stop(self, grace=3.0):
        """SIGTERM, then SIGKILL after `grace` s.  Returns the exit status."""
        if self.proc is None:
            return None
        if self.paused:
            self.resume()
        code = _end_process(self.proc, signal.SIGTERM, grace)
        if self._logf:
            self._logf.close()
            self._logf = None
        return code

    def restart(self, down_for=0.0, timeout=10.0):
        """Stop and start again on the same port (clients see a disconnect)."""
        self.stop()
        if down_for > 0:
            time.sleep(down_for)
        # the old socket may linger in TIME_WAIT; both daemons set SO_REUSEADDR
        return self.start(timeout=timeout)

    def pause(self):
        """SIGSTOP: the server stops answering (sockets stay open), so a
        client's ping timeout can be tested."""
        if self.running and not self.paused:
            os.kill(self.proc.pid, signal.SIGSTOP)
            self.paused = True

    def resume(self):
        if self.proc is not None and self.paused:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.paused = False

    def log_text(self):
        try:
            with open(self.log_path, "r", encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class Ngircd(_Server):
    """ngIRCd 26 (Debian) on 127.0.0.1:port, run in the foreground.

    Run as root it drops to nobody (it refuses UID 0), which is fine: it reads
    its config before that.  ping_timeout/pong_timeout are ngircd's PingTimeout
    and PongTimeout; penalties=False sets MaxPenaltyTime = 0 so the server
    never throttles a fast client (for benchmarks).  tls=(cert, key) adds a
    TLS port (self.tls_port; ngircd is built with GnuTLS) with that PEM
    certificate chain and key; listen is ngircd's Listen (add ::1 for
    IPv6).  greet=True turns on ngircd's DNS lookup and
    NoticeBeforeRegistration, so it greets each connection at once with
    "NOTICE * :*** Looking up your hostname" the way most networks do."""

    binary = "/usr/sbin/ngircd"
    _stem = "ngircd"

    def __init__(self, tmpdir, port=None, ping_timeout=120, pong_timeout=20,
                 penalties=True, motd="Missive test server", max_nick=30,
                 password=None, tls=None, listen=HOST, greet=False):
        super().__init__(tmpdir, port)
        self.greet = greet
        self.tls = tls
        self.tls_port = free_port() if tls else None
        self.listen = listen
        self.ping_timeout = ping_timeout
        self.pong_timeout = pong_timeout
        self.penalties = penalties
        self.motd = motd
        self.max_nick = max_nick
        self.password = password

    @classmethod
    def available(cls):
        return os.access(cls.binary, os.X_OK) or shutil.which("ngircd") is not None

    def _argv(self):
        binary = self.binary if os.access(self.binary, os.X_OK) else shutil.which("ngircd")
        return [binary, "--nodaemon", "--config", self.conf_path]

    def _write_config(self):
        lines = [
            "# written by ircharness.py",
            "[Global]",
            "\tName = %s" % self.name,
            "\tInfo = Missive test server",
            "\tAdminInfo1 = Missive integration tests",
            "\tAdminInfo2 = 127.0.0.1 only",
            "\tAdminEMail = root@localhost",
            "\tListen = %s" % self.listen,
            "\tPorts = %d" % self.port,
            "\tMotdPhrase = %s" % self.motd,
            "\tPidFile =",
            "\tHelpFile =",
        ]
        if self.password:
            lines.append("\tPassword = %s" % self.password)
        if os.geteuid() == 0:
            lines += ["\tServerUID = 65534", "\tServerGID = 65534"]
        lines += [
            "[Limits]",
            "\tMaxConnections = 0",
            "\tMaxConnectionsIP = 0",
            "\tMaxJoins = 0",
            "\tMaxNickLength = %d" % self.max_nick,
            "\tPingTimeout = %d" % self.ping_timeout,
            "\tPongTimeout = %d" % self.pong_timeout,
            "\tIdleTimeout = 0",
        ]
        if not self.penalties:
            lines.append("\tMaxPenaltyTime = 0")
        lines += [
            "[Options]",
            "\tPAM = no",
            "\tIdent = no",
            "\tDNS = %s" % ("yes" if self.greet else "no"),
            "\tNoticeBeforeRegistration = %s" % ("yes" if self.greet else "no"),
            "\tChrootDir =",
            "\tRequireAuthPing = no",
            "",
        ]
        if self.tls:
            # Read before ngircd drops to nobody.
            lines += [
                "[SSL]",
                "\tCertFile = %s" % self.tls[0],
                "\tKeyFile = %s" % self.tls[1],
                "\tPorts = %d" % self.tls_port,
                "",
            ]
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))


class Inspircd(_Server):
    """InspIRCd 3 (Debian package `inspircd`) on 127.0.0.1:port.

    The connect class keeps InspIRCd's DEFAULT flood limits (threshold 10,
    commandrate 1000: about 10 commands at once, then 1 per second) and sets
    fakelag="no", so a client that goes over is disconnected with
    "Excess Flood" instead of being silently delayed: that is what catches a
    flooding bot.  Only the per-IP connection limits are raised, because every
    test client comes from 127.0.0.1.  Run as root it needs --runasroot."""

    binary = "/usr/sbin/inspircd"
    _stem = "inspircd"

    def __init__(self, tmpdir, port=None, pingfreq=120, fakelag=False,
                 motd="Missive test server", max_nick=30):
        super().__init__(tmpdir, port)
        self.pingfreq = pingfreq
        self.fakelag = fakelag
        self.motd = motd
        self.max_nick = max_nick

    @classmethod
    def available(cls):
        return os.access(cls.binary, os.X_OK)

    def _argv(self):
        argv = [self.binary, "--nofork", "--nopid", "--config", self.conf_path]
        if os.geteuid() == 0:
            argv.append("--runasroot")
        return argv

    def _write_config(self):
        motd_path = os.path.join(self.tmpdir, "inspircd.motd")
        with open(motd_path, "w", encoding="utf-8") as f:
            f.write(self.motd + "\n")
        conf = """# written by ircharness.py
<server name="{name}" description="Missive test server" network="MissiveTest">
<admin name="Missive integration tests" nick="admin" email="root@localhost">
<bind address="{host}" port="{port}" type="clients">
<power diepass="" restartpass="">
<connect name="main" allow="*"
         timeout="60" pingfreq="{pingfreq}"
         threshold="10" commandrate="1000" fakelag="{fakelag}"
         hardsendq="1048576" softsendq="8192" recvq="8192"
         localmax="1000" globalmax="1000" limit="5000"
         resolvehostnames="no" useident="no">
<files motd="{motd}">
<limits maxnick="{maxnick}">
<dns server="127.0.0.1" timeout="1">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{log}.server">
<options hostintopic="no" syntaxhints="no">
""".format(name=self.name, host=HOST, port=self.port, pingfreq=self.pingfreq,
           fakelag="yes" if self.fakelag else "no", motd=motd_path,
           maxnick=self.max_nick, log=self.log_path)
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write(conf)


class ServicesNet:
    """InspIRCd 3 linked to Anope 2.0 services (Debian packages inspircd and
    anope), for SASL: InspIRCd with cap, sasl, services_account, hidechans,
    ircv3 and ircv3_accounttag (account-tag, extended-join, account-notify;
    accounttag=False leaves ircv3_accounttag out: no account-tag),
    ssl_gnutls (a TLS port with `tls`=(cert, key), asking for client
    certificates) and sslinfo (SHA-256 CertFP); Anope with protocol
    inspircd3, NickServ (registration without e-mail), ns_cert and m_sasl.
    Clients: self.port (plain) and self.tls_port.  register(account,
    password) makes a NickServ account through a raw client."""

    name = "irc.test"
    services = "services.test"

    def __init__(self, tmpdir, tls=None, accounttag=True):
        self.tmpdir = os.path.abspath(tmpdir)
        self.accounttag = accounttag
        os.makedirs(self.tmpdir, exist_ok=True)
        self.port = free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else None
        self.link_port = free_port()
        self.ircd = None
        self.anope = None
        self.ircd_log = os.path.join(self.tmpdir, "inspircd.log")
        self.anope_log = os.path.join(self.tmpdir, "anope.out")
        self._logs = []

    @classmethod
    def available(cls):
        return os.access("/usr/sbin/inspircd", os.X_OK) and os.access("/usr/sbin/anope", os.X_OK)

    @property
    def pid(self):
        return self.ircd.pid if self.ircd else None

    def _write_inspircd(self):
        tls = ""
        if self.tls:
            tls = """<module name="ssl_gnutls">
<sslprofile name="tests" provider="gnutls" certfile="{cert}" keyfile="{key}"
            dhfile="" requestclientcert="yes" hash="sha256">
<bind address="{host}" port="{tls_port}" type="clients" sslprofile="tests">
""".format(cert=self.tls[0], key=self.tls[1], host=HOST, tls_port=self.tls_port)
        conf = """# written by ircharness.py
<server name="{name}" description="Missive test server" network="MissiveTest" id="001">
<admin name="Missive integration tests" nick="admin" email="root@localhost">
<bind address="{host}" port="{port}" type="clients">
<bind address="{host}" port="{link}" type="servers">
<power diepass="" restartpass="">
<connect name="main" allow="*" timeout="60" pingfreq="120" threshold="1000"
         commandrate="100000" fakelag="no" localmax="1000" globalmax="1000"
         limit="5000" resolvehostnames="no" useident="no">
<module name="spanningtree">
<module name="cap">
<module name="sasl">
<sasl target="{services}" requiressl="no">
<module name="services_account">
<module name="hidechans">
<module name="sslinfo">
<module name="ircv3">
{accounttag}{tls}<link name="{services}" ipaddr="{host}" port="{link}" allowmask="127.0.0.0/8"
      sendpass="linkpass" recvpass="linkpass">
<uline server="{services}" silent="yes">
<files motd="{motd}">
<dns server="127.0.0.1" timeout="1">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{log}.server">
<options hostintopic="no" syntaxhints="no">
""".format(name=self.name, host=HOST, port=self.port, link=self.link_port,
           services=self.services, tls=tls,
           accounttag='<module name="ircv3_accounttag">\n' if self.accounttag else "",
           motd=os.path.join(self.tmpdir, "motd"),
           log=self.ircd_log)
        with open(os.path.join(self.tmpdir, "motd"), "w") as f:
            f.write("Missive test server\n")
        with open(os.path.join(self.tmpdir, "inspircd.conf"), "w") as f:
            f.write(conf)

    def _write_anope(self):
        d = os.path.join(self.tmpdir, "anope")
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        with open("/etc/anope/nickserv.conf", encoding="utf-8") as f:
            ns = f.read()
        ns = re.sub(r"(?m)^(\s*)forceemail = yes", r"\1forceemail = no", ns)
        with open(os.path.join(d, "nickserv.conf"), "w") as f:
            f.write(ns)
        with open(os.path.join(d, "services.motd"), "w") as f:
            f.write("test services\n")
        blocks = [
            ("define", [("name", "services.host"), ("value", self.services)]),
            ("uplink", [("host", "127.0.0.1"), ("ipv6", False), ("ssl", False),
                        ("port", self.link_port), ("password", "linkpass")]),
            ("serverinfo", [("name", self.services), ("description", "Missive test services"),
                            ("id", "00A"), ("pid", d + "/anope.pid"),
                            ("motd", d + "/services.motd")]),
            ("module", [("name", "inspircd3")]),
            ("networkinfo", [("networkname", "MissiveTest"), ("nicklen", 30), ("userlen", 10),
                             ("hostlen", 64), ("chanlen", 32), ("modelistsize", 100),
                             ("vhost_chars", "abcdefghijklmnopqrstuvwxyz.-"),
                             ("allow_undotted_vhosts", False),
                             ("disallow_start_or_end", ".-")]),
            ("options", [("casemap", "rfc1459"), ("strictpasswords", False),
                         ("badpasslimit", 100), ("badpasstimeout", "1h"),
                         ("updatetimeout", "5m"), ("expiretimeout", "30m"),
                         ("readtimeout", "5s"), ("warningtimeout", "4h"),
                         ("timeoutcheck", "1s"), ("retrywait", "1s"),
                         ("hideprivilegedcommands", True), ("hideregisteredcommands", True)]),
            ("include", [("type", "file"), ("name", "nickserv.conf")]),
            ("mail", [("usemail", False)]),
            ("module", [("name", "db_flatfile"), ("database", "anope.db"), ("fork", False)]),
            ("module", [("name", "enc_sha256")]),
            ("module", [("name", "m_sasl")]),
        ]
        out = []
        for name, items in blocks:
            out.append(name + "\n{")
            for k, v in items:
                if isinstance(v, bool):
                    v = "yes" if v else "no"
                elif isinstance(v, int):
                    v = str(v)
                else:
                    v = '"%s"' % v
                out.append("\t%s = %s" % (k, v))
            out.append("}")
        conf = "\n".join(out) + "\n"
        with open(os.path.join(d, "services.conf"), "w") as f:
            f.write(conf)
        return d

    def start(self, timeout=20.0):
        self._write_inspircd()
        d = self._write_anope()
        logf = open(self.ircd_log, "ab")
        self._logs.append(logf)
        argv = ["/usr/sbin/inspircd", "--nofork", "--nopid", "--config",
                os.path.join(self.tmpdir, "inspircd.conf")]
        if os.geteuid() == 0:
            argv.append("--runasroot")
        self.ircd = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                     stderr=subprocess.STDOUT, cwd=self.tmpdir)
        _register(self.ircd)
        if not wait_port(self.port, timeout=10.0, proc=self.ircd):
            self.stop()
            raise HarnessError("inspircd did not listen; log:\n" + self.log_text())
        alog = open(self.anope_log, "ab")
        self._logs.append(alog)
        self.anope = subprocess.Popen(
            ["/usr/sbin/anope", "--nofork", "--confdir=" + d, "--dbdir=" + os.path.join(d, "data"),
             "--logdir=" + os.path.join(d, "logs"), "--modulesdir=/usr/lib/anope",
             "--localedir=/usr/share/locale", "--config=services.conf"],
            stdin=subprocess.DEVNULL, stdout=alog, stderr=subprocess.STDOUT, cwd=d)
        _register(self.anope)
        # linked once NickServ answers
        probe = Client(self.port, "probe")
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.anope.poll() is not None:
                    break
                probe.send("PRIVMSG NickServ :HELP")
                try:
                    probe.expect(r"^:NickServ!\S+ NOTICE probe :", timeout=1.0)
                    return self
                except HarnessError:
                    continue
        finally:
            probe.close()
        self.stop()
        raise HarnessError("anope did not link; its output:\n" + self.log_text())

    def register(self, account, password):
        c = Client(self.port, account)
        try:
            c.send("PRIVMSG NickServ :REGISTER %s" % password)
            c.expect(r"^:NickServ!\S+ NOTICE %s :Nickname \S*%s\S* registered"
                     % (re.escape(account), re.escape(account)), timeout=10, flags=re.I)
        finally:
            c.close()

    def add_cert(self, account, password, cert, key):
        """Adds the CertFP of (cert, key) to the account: Anope takes it from
        the connection, so this client connects over TLS with it."""
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE       # only our own test server
        ctx.load_cert_chain(cert, key)
        c = Client(self.tls_port, account, ssl_context=ctx)
        try:
            c.send("PRIVMSG NickServ :IDENTIFY %s" % password)
            c.expect(r"^:NickServ!\S+ NOTICE %s :Password accepted" % re.escape(account),
                     timeout=10, flags=re.I)
            c.send("PRIVMSG NickServ :CERT ADD")
            c.expect(r"^:NickServ!\S+ NOTICE %s :.*added" % re.escape(account),
                     timeout=10, flags=re.I)
        finally:
            c.close()

    def log_text(self):
        out = []
        for p in (self.ircd_log, self.ircd_log + ".server", self.anope_log):
            try:
                with open(p, encoding="utf-8", errors="replace") as f:
                    out.append(f.read()[-3000:])
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        for proc in (self.anope, self.ircd):
            if proc is not None:
                _end_process(proc)
        for f in self._logs:
            f.close()
        self._logs = []


# --- a test certificate authority -------------------------------------------------

CA_CNF = """[ca]
default_ca = test_ca
[test_ca]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/issued
serial = {dir}/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[anything]
commonName = supplied
"""


def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if r.returncode != 0:
        raise HarnessError("openssl %s failed:\n%s" % (" ".join(args), r.stdout.decode()))
    return r.stdout.decode()


class TestCA:
    """A throw-away certificate authority in its own directory.  Files are
    world-readable: ngircd reads them before dropping to nobody, and they
    live only in the test's temporary directory."""

    def __init__(self, parent, name):
        self.dir = os.path.join(parent, name)
        os.makedirs(os.path.join(self.dir, "issued"))
        os.chmod(parent, 0o755)
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "ca.cnf"), "w") as f:
            f.write(CA_CNF.format(dir=self.dir))
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        self.cert = os.path.join(self.dir, "ca.crt")
        self.key = os.path.join(self.dir, "ca.key")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "2",
                "-subj", "/CN=Missive %s" % name,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)

    def issue(self, stem, sans, expired=False):
        """(cert, key) for subjectAltName `sans` ("DNS:localhost,IP:127.0.0.1");
        expired=True: valid for one day in 2020 (openssl ca -startdate and
        -enddate, as OpenSSL 3.0's x509 command cannot backdate)."""
        crt = os.path.join(self.dir, stem + ".crt")
        key = os.path.join(self.dir, stem + ".key")
        csr = os.path.join(self.dir, stem + ".csr")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=%s" % stem,
                "-addext", "subjectAltName=" + sans, cwd=self.dir)
        dates = (["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"]
                 if expired else ["-days", "2"])
        openssl("ca", "-batch", "-notext", "-config", os.path.join(self.dir, "ca.cnf"),
                "-cert", self.cert, "-keyfile", self.key, "-in", csr, "-out", crt,
                *dates, cwd=self.dir)
        for p in (crt, key):
            os.chmod(p, 0o644)
        return crt, key

    @staticmethod
    def fingerprint(cert):
        out = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256",
                      cwd=os.path.dirname(cert))
        return out.strip().split("=", 1)[1]



# --- raw IRC client ---------------------------------------------------------------

class Message:
    """One parsed IRC line: prefix (without ':'), nick (from the prefix),
    command (upper case) and params (trailing one included, ':' removed)."""

    __slots__ = ("raw", "prefix", "nick", "command", "params", "time")

    def __init__(self, line, when=None):
        self.raw = line
        self.time = when
        self.prefix = None
        rest = line
        if rest.startswith("@"):                     # IRCv3 tags: not expected, skipped
            rest = rest.split(" ", 1)[1] if " " in rest else ""
        if rest.startswith(":"):
            self.prefix, _, rest = rest[1:].partition(" ")
        self.nick = self.prefix.split("!", 1)[0] if self.prefix else None
        trailing = None
        if " :" in rest:
            rest, trailing = rest.split(" :", 1)
        elif rest.startswith(":"):
            rest, trailing = "", rest[1:]
        words = rest.split()
        self.command = words[0].upper() if words else ""
        self.params = words[1:]
        if trailing is not None:
            self.params.append(trailing)

    @property
    def text(self):
        return self.params[-1] if self.params else ""

    @property
    def target(self):
        return self.params[0] if self.params else ""

    def __repr__(self):
        return "Message(%r)" % self.raw


def parse(line):
    return Message(line)


def _close_reader(conn):
    """End a socket read by a thread of its own (Client, FakeConn): stop the
    thread, shut the socket so its recv returns, wait for it, close."""
    conn._stop = True
    try:
        conn.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn._reader.join(timeout=2.0)
    try:
        conn.sock.close()
    except OSError:
        pass
    conn.closed = True


class Client:
    """A raw-socket IRC client with a reader thread.

    Every received line is kept, in order: `raw` (bytes exactly as received,
    CR LF included, so tests can check the 512-byte limit and UTF-8 validity),
    `lines` (decoded text without CR LF; invalid UTF-8 is replaced with U+FFFD)
    and `times` (time.monotonic() of arrival).  PING is answered by the reader
    thread.  expect() searches forward from a cursor it advances past each
    match, so consecutive expects read a conversation in order."""

    def __init__(self, port, nick, host=HOST, user=None, realname=None,
                 password=None, register=True, timeout=10.0, answer_ping=True,
                 ssl_context=None):
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("tests only talk to loopback addresses")
        self.nick = nick
        self.port = port
        self.answer_ping = answer_ping
        self.raw = []
        self.lines = []
        self.times = []
        self.sent = []
        self.cursor = 0
        self.closed = False            # set when the server closed / we closed
        self.error = None              # the ERROR line, if the server sent one
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._stop = False
        self.sock = socket.create_connection((host, port), timeout=min(timeout, 10.0))
        if ssl_context is not None:             # TLS, e.g. with a client certificate
            self.sock = ssl_context.wrap_socket(self.sock)
        self.sock.settimeout(0.2)       # the reader wakes up to notice close()
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name="irc-%s" % nick)
        self._reader.start()
        if register:
            try:
                self.register(user=user, realname=realname, password=password, timeout=timeout)
            except BaseException:
                self.close()
                raise

    # -- reading

    def _read_loop(self):
        buf = b""
        while not self._stop:
            try:
                data = self.sock.recv(_RECV_CHUNK)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            buf += data
            while True:
                nl = buf.find(b"\n")
                if nl < 0:
                    break
                raw, buf = buf[:nl + 1], buf[nl + 1:]
                self._got(raw)
            if len(buf) > 64 * 1024:     # a server never sends that without LF
                self._got(buf)
                buf = b""
        if buf:
            self._got(buf)
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _got(self, raw):
        text = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
        if self.answer_ping and text.startswith("PING"):
            try:
                self.send("PONG" + text[4:])
            except OSError:
                pass
        with self._cond:
            self.raw.append(raw)
            self.lines.append(text)
            self.times.append(time.monotonic())
            if text.startswith("ERROR"):
                self.error = text
            self._cond.notify_all()

    # -- writing

    def send(self, line):
        """Send one line (str or bytes); CR LF is appended.  Bytes are sent
        as they are, so tests can send hostile input."""
        data = line.encode("utf-8") if isinstance(line, str) else bytes(line)
        with self._send_lock:
            self.sent.append(data)
            self.sock.sendall(data + b"\r\n")

    def send_raw(self, data):
        """Send bytes with nothing appended (partial lines, bare LF, ...)."""
        with self._send_lock:
            self.sent.append(data)
            self.sock.sendall(data)

    def register(self, user=None, realname=None, password=None, timeout=10.0):
        if password:
            self.send("PASS " + password)
        self.send("NICK " + self.nick)
        self.send("USER %s 0 * :%s" % (user or self.nick[:10], realname or "harness client"))
        m = self.expect(r"^:\S+ (001|433|432|464|465) ", timeout=timeout)
        if m.group(1) != "001":
            raise HarnessError("registration of %s refused: %s" % (self.nick, m.string))
        # the welcome burst ends with the MOTD (376) or its absence (422)
        self.expect(r"^:\S+ (376|422) ", timeout=timeout)
        return self

    def join(self, channel, key=None, timeout=5.0):
        """JOIN and wait for our own JOIN echo and the end of NAMES."""
        self.send("JOIN %s%s" % (channel, " " + key if key else ""))
        esc = re.escape(channel)
        m = self.expect(r"^:%s!\S+ JOIN :?%s$|^:\S+ (403|405|471|473|474|475|476) \S+ %s "
                        % (re.escape(self.nick), esc, esc), timeout=timeout, flags=re.I)
        if m.group(1):
            raise HarnessError("%s could not join %s: %s" % (self.nick, channel, m.string))
        self.expect(r"^:\S+ 366 \S+ %s " % esc, timeout=timeout, flags=re.I)

    def part(self, channel, reason="bye"):
        self.send("PART %s :%s" % (channel, reason))

    def privmsg(self, target, text):
        self.send("PRIVMSG %s :%s" % (target, text))

    def notice(self, target, text):
        self.send("NOTICE %s :%s" % (target, text))

    def set_nick(self, nick):
        self.send("NICK " + nick)
        self.nick = nick

    # -- waiting

    def expect(self, regex, timeout=5.0, flags=0, since=None):
        """First line at or after the cursor (or index `since`) matching
        regex; moves the cursor past it and returns the re.Match (whose
        .string is the line).  Raises HarnessError after timeout seconds."""
        pat = re.compile(regex, flags)
        start = self.cursor if since is None else since
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(start, len(self.lines)):
                    m = pat.search(self.lines[i])
                    if m:
                        self.cursor = i + 1
                        return m
                start = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.closed and start == len(self.lines)):
                    break
                self._cond.wait(min(left, 0.5))
        tail = "\n  ".join(self.lines[-15:])
        raise HarnessError("%s: no line matching %r within %.1fs%s; last lines:\n  %s"
                           % (self.nick, regex, timeout,
                              " (connection closed)" if self.closed else "", tail))

    def expect_privmsg(self, frm, target=None, regex="", timeout=5.0, flags=0):
        """Next PRIVMSG from nick `frm` (to `target` if given) whose text
        matches regex.  Returns the Message."""
        tgt = re.escape(target) if target else r"\S+"
        m = self.expect(r"^:%s!\S+ PRIVMSG %s :" % (re.escape(frm), tgt),
                        timeout=timeout, flags=re.I)
        deadline = time.monotonic() + timeout
        while not re.search(regex, Message(m.string).text, flags):
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError("%s: no PRIVMSG from %s matching %r" % (self.nick, frm, regex))
            m = self.expect(r"^:%s!\S+ PRIVMSG %s :" % (re.escape(frm), tgt),
                            timeout=left, flags=re.I)
        return Message(m.string)

    def wait_for(self, predicate, timeout=5.0):
        """Call predicate() (under no lock; it may read self.lines) each time
        a line arrives, until it returns something truthy, which is returned.
        Raises HarnessError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError("%s: condition not met within %.1fs" % (self.nick, timeout))
            with self._cond:
                self._cond.wait(min(left, 0.2))     # woken early by a new line

    def wait_closed(self, timeout=5.0):
        """Wait until the server closes the connection; True if it did."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
        return True

    def messages(self, command=None, frm=None, target=None):
        """Parsed messages received so far, filtered."""
        with self._cond:
            lines = list(self.lines)
            times = list(self.times)
        out = []
        for line, when in zip(lines, times):
            msg = Message(line, when)
            if command and msg.command != command.upper():
                continue
            if frm and (msg.nick or "").lower() != frm.lower():
                continue
            if target and msg.target.lower() != target.lower():
                continue
            out.append(msg)
        return out

    def privmsgs(self, frm=None, target=None):
        return self.messages("PRIVMSG", frm, target)

    def mark(self):
        """Index of the next line to arrive (use as `since=`)."""
        with self._cond:
            return len(self.lines)

    def skip(self):
        """Move the cursor past everything received so far."""
        self.cursor = self.mark()

    # -- ending

    def quit(self, reason="bye", timeout=2.0):
        try:
            self.send("QUIT :" + reason)
        except OSError:
            pass
        self.wait_closed(timeout)
        self.close()

    def close(self):
        _close_reader(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# --- a scripted fake IRC server ---------------------------------------------------
#
# For what a real server never does on demand (a line longer than the
# library's input buffer, ...).  It speaks just enough IRC to register one
# client per connection: 001-004 and an empty MOTD (422) after NICK and USER,
# PONG to PING, and an echo of each JOIN with its 366.  Everything else the
# test scripts through FakeConn.send().  Threads poll with short timeouts and
# stop on close(); loopback only.

class FakeConn:
    """One client connection accepted by FakeIrcServer."""

    def __init__(self, sock, index):
        self.sock = sock
        self.index = index
        self.lines = []                 # received, CR LF stripped
        self.nick = None
        self.registered = False
        self.closed = False
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._stop = False
        self.sock.settimeout(0.2)
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name="fakeirc-%d" % index)
        self._reader.start()

    def send(self, line):
        """Send one line (str or bytes); CR LF is appended."""
        data = line.encode("utf-8") if isinstance(line, str) else bytes(line)
        with self._send_lock:
            self.sock.sendall(data + b"\r\n")

    def _read_loop(self):
        buf, user = b"", False
        while not self._stop:
            try:
                data = self.sock.recv(_RECV_CHUNK)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                text = raw.rstrip(b"\r").decode("utf-8", errors="replace")
                try:
                    user = self._answer(text, user)
                except OSError:
                    pass
                with self._cond:
                    self.lines.append(text)
                    self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _answer(self, text, user):
        word = text.split(" ", 1)[0].upper()
        arg = text.split(" ", 1)[1] if " " in text else ""
        if word == "PING":
            self.send(":%s PONG %s %s" % (FakeIrcServer.name, FakeIrcServer.name, arg))
        elif word == "NICK":
            self.nick = arg.lstrip(":").split(" ")[0]
        elif word == "USER":
            user = True
        elif word == "JOIN" and self.registered:
            chan = arg.split(" ")[0]
            self.send(":%s!user@127.0.0.1 JOIN %s" % (self.nick, chan))
            self.send(":%s 366 %s %s :End of NAMES list" % (FakeIrcServer.name, self.nick, chan))
        if self.nick and user and not self.registered:
            n, srv = self.nick, FakeIrcServer.name
            for line in (":%s 001 %s :Welcome to the fake network %s" % (srv, n, n),
                         ":%s 002 %s :Your host is %s" % (srv, n, srv),
                         ":%s 003 %s :This server was created today" % (srv, n),
                         ":%s 004 %s %s fake-1 o o" % (srv, n, srv),
                         ":%s 422 %s :MOTD File is missing" % (srv, n)):
                self.send(line)
            with self._cond:
                self.registered = True
                self._cond.notify_all()
        return user

    def wait_registered(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.registered:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise HarnessError("fake server: connection %d did not register"
                                       % self.index)
                self._cond.wait(min(left, 0.2))
        return self

    def expect(self, regex, timeout=5.0):
        """First received line matching regex (from the start)."""
        pat = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    m = pat.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise HarnessError("fake server: no line matching %r from connection "
                                       "%d; got:\n  %s" % (regex, self.index,
                                                           "\n  ".join(self.lines[-15:])))
                self._cond.wait(min(left, 0.2))

    def close(self):
        _close_reader(self)


class FakeIrcServer:
    """A listening socket on 127.0.0.1:port that registers each client
    (see FakeConn).  conns lists the connections in the order accepted;
    conn_class may be a FakeConn subclass with its own _answer()."""

    name = "fake.test"

    def __init__(self, port=None, conn_class=None):
        self.port = port or free_port()
        self.conn_class = conn_class or FakeConn
        self.conns = []
        self._cond = threading.Condition()
        self._stop = False
        self._sock = None
        self._thread = None

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, self.port))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name="fakeirc-accept")
        self._thread.start()
        return self

    def _accept_loop(self):
        while not self._stop:
            try:
                sock, _addr = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self._cond:
                self.conns.append(self.conn_class(sock, len(self.conns)))
                self._cond.notify_all()

    def wait_conn(self, index, timeout=10.0):
        """Connection number `index` (0 first), once accepted."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.conns) <= index:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise HarnessError("fake server: no connection #%d within %.1fs"
                                       % (index, timeout))
                self._cond.wait(min(left, 0.2))
            return self.conns[index]

    def stop(self):
        self._stop = True
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        with self._cond:
            conns = list(self.conns)
        for c in conns:
            c.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --- the Missive daemon ---------------------------------------------------------------

def missive_bin():
    path = os.environ.get("MISSIVE_BIN")
    if not path:
        raise HarnessError("MISSIVE_BIN is not set (ctest sets it to the built binary)")
    return path


def source_dir():
    return os.environ.get("MISSIVE_SOURCE_DIR") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))


def corpus_path():
    return os.path.join(source_dir(), "data", "stalin-churchill-1941.txt")


def missive_has_subcommand(name, binary=None, timeout=5.0):
    """Whether the binary's usage text (from --help, or from running it with
    no arguments) lists subcommand `name` as a word.  Never starts a daemon:
    `run` is not invoked."""
    binary = binary or missive_bin()
    text = ""
    for args in (["--help"], []):
        try:
            r = subprocess.run([binary] + args, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=timeout)
            text += r.stdout.decode("utf-8", errors="replace")
        except (OSError, subprocess.TimeoutExpired):
            pass
    return re.search(r"(?m)^\s*(missive\s+)?%s\b|\b%s\b\s+-c\b|[\s|{,]%s[\s|},]"
                     % ((re.escape(name),) * 3), text) is not None


def import_corpus(db_path, corpus=None, binary=None, timeout=120.0, extra_args=()):
    """`missive import --db DB CORPUS`; returns the CompletedProcess, raises
    HarnessError (with its output) when it fails."""
    binary = binary or missive_bin()
    argv = [binary, "import", "--db", db_path] + list(extra_args) + [corpus or corpus_path()]
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise HarnessError("%s timed out after %ss" % (" ".join(argv), timeout))
    if r.returncode != 0:
        raise HarnessError("%s exited %d:\n%s%s" % (" ".join(argv), r.returncode,
                           r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")))
    return r


BOT_DEFAULTS = {
    "irc": {
        "server": HOST,
        "port": None,                 # required
        "nick": "missive",
        "alt_nicks": None,            # default: nick_, nick__
        "username": "missive",
        "realname": "Missive test bot",
        "channels": (),
        "password_file": None,
        "ping_interval": 30,
        "ping_timeout": 60,
        "reconnect_min": 1,
        "reconnect_max": 4,
    },
    "bot": {
        "prefix": "!",
        "database": None,             # required
        "answer_addressed": "yes",
        "log_level": "debug",
        "more_expiry": None,
        "max_lines": None,
    },
    "flood": {"burst": None, "interval_ms": None, "queue_max": None},
    "limits": {"user_burst": None, "user_interval": None,
               "channel_burst": None, "channel_interval": None,
               "private_burst": None, "private_interval": None, "ignore": None},
    "admin": {"owners": None},
}


_INI_LINE_MAX = 150     # Missive's inih reads at most 198 characters a line


def _ini_lines(key, value):
    """`key = value` lines; a list is joined with ", " and wrapped onto
    repeated `key = ...` lines, which Missive loads as one list."""
    if isinstance(value, bool):
        return ["%s = %s" % (key, "yes" if value else "no")]
    if not isinstance(value, (list, tuple)):
        return ["%s = %s" % (key, value)]
    lines, cur = [], []
    for item in (str(v) for v in value):
        if cur and len("%s = %s, %s" % (key, ", ".join(cur), item)) > _INI_LINE_MAX:
            lines.append("%s = %s" % (key, ", ".join(cur)))
            cur = []
        cur.append(item)
    lines.append("%s = %s" % (key, ", ".join(cur)))
    return lines


def write_bot_config(path, port, database, nick="missive", channels=("#missive",),
                     sections=None, **irc):
    """Write a Missive INI config and return its path.

    `channels` is a list of "#chan" or "#chan key".  Extra keyword arguments
    go to [irc] (alt_nicks=..., ping_timeout=...); `sections` is a dict of
    dicts merged over the defaults, e.g. {"flood": {"burst": 5}}.  A value of
    None leaves the key out (the daemon's own default applies)."""
    conf = {name: dict(keys) for name, keys in BOT_DEFAULTS.items()}
    conf["irc"].update(port=port, nick=nick, channels=list(channels))
    conf["irc"]["alt_nicks"] = [nick + "_", nick + "__"]
    conf["irc"].update(irc)
    conf["bot"]["database"] = database
    for name, keys in (sections or {}).items():
        conf.setdefault(name, {}).update(keys)
    out = ["# written by ircharness.py"]
    for name, keys in conf.items():
        items = [(k, v) for k, v in keys.items() if v is not None]
        if not items:
            continue
        out.append("[%s]" % name)
        for k, v in items:
            out += _ini_lines(k, v)
        out.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    return path


# What starts every line the bot logs to a file or pipe (src/app/log.c).
LOG_STAMP = re.compile(r"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


class Bot:
    """`MISSIVE_BIN run -c CONFIG`, stdout+stderr captured to a file."""

    def __init__(self, config_path, binary=None, env=None, log_path=None, args=(),
                 wrap=()):
        # wrap: a command that ends by exec'ing its arguments (so the PID is
        # the bot's), e.g. mount_ns_wrap() below.
        self.wrap = list(wrap)
        self.binary = binary or missive_bin()
        self.config_path = config_path
        self.env = dict(os.environ if env is None else env)
        self.log_path = log_path or (os.path.splitext(config_path)[0] + ".log")
        self.args = list(args)
        self.proc = None
        self._logf = None
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        if self.running:
            raise HarnessError("bot already running")
        self._logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.wrap + [self.binary, "run", "-c", self.config_path]
                                     + self.args,
                                     stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=subprocess.STDOUT, env=self.env)
        _register(self.proc)
        self.returncode = None
        return self

    def send_signal(self, sig):
        if self.running:
            os.kill(self.proc.pid, sig)

    def wait(self, timeout=10.0):
        """Wait for the bot to exit by itself; its exit code, or None."""
        if self.proc is None:
            return None
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        _unregister(self.proc)
        self._close_log()
        self.returncode = self.proc.returncode
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Send sig; SIGKILL after timeout s.  Returns the exit code
        (negative signal number if it had to be killed)."""
        if self.proc is None:
            return None
        self.returncode = _end_process(self.proc, sig, timeout)
        self._close_log()
        return self.returncode

    def _close_log(self):
        if self._logf:
            self._logf.close()
            self._logf = None

    def rss_kb(self):
        return rss_kb(self.proc.pid) if self.running else None

    def log_raw(self):
        """The log file as the bot wrote it, timestamps and all."""
        try:
            with open(self.log_path, "r", encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_text(self):
        """The log without the timestamp that starts each line written to a
        file, so that tests match "^error: ..." and the like."""
        return LOG_STAMP.sub("", self.log_raw())

    def wait_log(self, regex, timeout=10.0, flags=0):
        """Wait until the log matches regex; returns the match."""
        pat = re.compile(regex, flags)
        m = wait_until(lambda: pat.search(self.log_text()), timeout, 0.1)
        if not m:
            raise HarnessError("bot log has no %r within %.1fs; tail:\n%s"
                               % (regex, timeout, self.log_text()[-2000:]))
        return m

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --- small assertion helpers --------------------------------------------------------

def check_line_sane(raw):
    """None if a raw received line is a valid IRC line (≤ 512 bytes with
    CR LF, valid UTF-8, no NUL/bare CR inside), else a reason string."""
    if len(raw) > MAX_LINE:
        return "line is %d bytes (> %d)" % (len(raw), MAX_LINE)
    body = raw.rstrip(b"\r\n")
    if b"\0" in body or b"\r" in body or b"\n" in body:
        return "line contains NUL/CR/LF"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        return "invalid UTF-8: %s" % e
    return None


# --- the test case every daemon test file builds on ----------------------------

SANITIZER_REPORT = r"AddressSanitizer|LeakSanitizer|runtime error:"


def mount_ns_wrap(binds):
    """A Bot wrap that runs the bot in a private mount namespace where each
    (file, target) of binds is bind-mounted over target (e.g. /etc/hosts),
    so the bot alone sees them.  Needs root and unshare(1); see
    mount_ns_available()."""
    script = "".join('mount --bind "$%d" "$%d" || exit 97; ' % (2 * i + 1, 2 * i + 2)
                     for i in range(len(binds)))
    args = [a for pair in binds for a in pair]
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            script + 'shift %d; exec "$@"' % (2 * len(binds)), "mount-ns"] + args


def mount_ns_available():
    """None when mount_ns_wrap works here, else why not."""
    if os.geteuid() != 0:
        return "needs root for a private mount namespace (unshare -m)"
    if shutil.which("unshare") is None:
        return "needs unshare(1) from util-linux"
    r = subprocess.run(["unshare", "--mount", "--", "true"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
    return None if r.returncode == 0 else "unshare -m is not permitted here"


class SharedCorpus:
    """The shipped corpus imported once for a whole test module, in a
    temporary directory: `CORPUS = h.shared_corpus("tls-db-")`, then
    `setUpModule = CORPUS.setup` and `tearDownModule = CORPUS.cleanup`;
    tests use CORPUS.path."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.tmp = None
        self.path = None

    def setup(self):
        self.tmp = tempfile.TemporaryDirectory(prefix=self.prefix)
        self.path = os.path.join(self.tmp.name, "missive.db")
        import_corpus(self.path)

    def cleanup(self):
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None


def shared_corpus(prefix):
    return SharedCorpus(prefix)


class DaemonTestCase(unittest.TestCase):
    """A test that starts servers, clients, bots and helper processes.

    What a test appends to self.servers, self.clients, self.bots and
    self.procs is ended in tearDown, by PID where it is a process: a bot must
    exit 0 on SIGTERM, be gone, and have logged no sanitizer report.  A
    SIGALRM watchdog fails a test that runs past time_limit seconds, and each
    test's duration goes to `timings` (the module's list for run_tests)."""

    time_limit = 60
    timings = None
    tmp_prefix = "missive-"

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix=self.tmp_prefix)
        self.dir = self.tmp.name
        self.servers, self.clients, self.bots, self.procs = [], [], [], []
        self.started = time.monotonic()
        self._old_alarm = signal.signal(signal.SIGALRM, self._on_alarm)
        signal.alarm(self.time_limit)

    def _on_alarm(self, _signum, _frame):
        raise HarnessError("test ran longer than %d s" % self.time_limit)

    def tearDown(self):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self._old_alarm)
        for p in self.procs:
            _end_process(p)
        for c in self.clients:
            c.close()
        for b in self.bots:
            if b.running:
                self.assertEqual(b.stop(), 0, "bot did not exit cleanly on SIGTERM")
            self.assertFalse(pid_alive(b.pid), "bot %d outlived its test" % b.pid)
            self.assertNotRegex(b.log_text(), SANITIZER_REPORT)
        for srv in self.servers:
            srv.stop()
            if getattr(srv, "pid", None) is not None:   # a real server, not a fake
                self.assertFalse(pid_alive(srv.pid))
        self.tmp.cleanup()
        if self.timings is not None:
            self.timings.append((self.id().rsplit(".", 1)[-1],
                                 time.monotonic() - self.started))


class NothingLeftRunning(unittest.TestCase):
    """Bind it in a test module as ZZCleanupTest so that it runs last:
    nothing the tests above started is still alive."""

    def test_nothing_left_running(self):
        with _live_lock:
            self.assertEqual([p for p, pr in _live.items() if pr.poll() is None], [])


# --- the runner every integration test file ends with ------------------------

def run_tests(module_name, timings=(), started=None):
    """Run a test module's unittest cases and print the closing line ctest
    readers look for: "N passed, M failed[, K skipped][, X expected
    failures]".  timings: (name, seconds) pairs printed first; started: a
    time.monotonic() value for a total.  Exit code 0 only when something ran
    and nothing failed (an unexpected success counts as a failure).  Test
    class names given on the command line run alone, for trying one by hand:
    `python3 test_tls.py TlsVerifyTest`."""
    module = sys.modules[module_name]
    loader = unittest.defaultTestLoader
    if sys.argv[1:]:
        suite = unittest.TestSuite(loader.loadTestsFromTestCase(getattr(module, name))
                                   for name in sys.argv[1:])
    else:
        suite = loader.loadTestsFromModule(module)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    xfail = len(result.expectedFailures)
    passed = result.testsRun - failed - skipped - xfail
    for name, secs in timings:
        print("%6.1f s  %s" % (secs, name))
    if started is not None:
        print("total %.1f s" % (time.monotonic() - started))
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    if xfail:
        line += ", %d expected failure%s" % (xfail, "" if xfail == 1 else "s")
    print(line)
    return 0 if failed == 0 and result.testsRun > 0 else 1
