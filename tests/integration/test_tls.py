"""The transport against a real TLS server: ngircd (Debian's, built with
GnuTLS) with certificates from a test CA that this file makes with the
openssl command at test time (nothing secret is committed).

  - a valid chain connects and the bot answers over TLS, by IP address
    (checked as an IP) and by name (SNI, host name checked);
  - wrong host name, untrusted CA, expired certificate and a plain-text
    server on the TLS port are each refused with a clear log line and
    retried with backoff;
  - tls_verify = no connects and warns; tls_fingerprint accepts the right
    SHA-256 and refuses another;
  - IPv6 loopback (server = ::1), plain and TLS;
  - the bot's libircclient stream has no listener: no socket of the bot's
    is listening, so nothing on the machine can get into it;
  - OpenSSL lives in the module missive-tls.so: a plain bot never maps
    libssl or libcrypto, a TLS bot maps the module, and a binary that cannot
    find it says so, naming the file, and still runs plain.

Loopback only; every wait is bounded; each test runs under a SIGALRM
watchdog and ends every process it started by PID.
"""

import os
import re
import shutil
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ircharness as h  # noqa: E402

TEST_LIMIT_S = 60
BOT = "missive"
TIMINGS = []

def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


CORPUS = h.shared_corpus("tls-db-")  # the shipped corpus, imported once
setUpModule = CORPUS.setup
tearDownModule = CORPUS.cleanup


class TlsBase(h.DaemonTestCase):
    time_limit = TEST_LIMIT_S
    timings = TIMINGS
    tmp_prefix = "tls-"

    def setUp(self):
        super().setUp()
        self.ca = h.TestCA(self.dir, "ca")

    def server(self, cert_key=None, listen=h.HOST):
        srv = h.Ngircd(self.dir, tls=cert_key, listen=listen).start()
        self.servers.append(srv)
        return srv

    def bot(self, port, binary=None, **irc):
        settings = dict(reconnect_min=1, reconnect_max=2)
        settings.update(irc)
        conf = h.write_bot_config(os.path.join(self.dir, "bot.conf"), port, CORPUS.path,
                                  nick=BOT, channels=["#t"], **settings)
        b = h.Bot(conf, binary=binary).start()
        self.bots.append(b)
        return b

    def assert_answers(self, srv, bot, quote="1.4"):
        """The bot joins #t and answers a !quote there."""
        alice = h.Client(srv.port, "alice")
        self.clients.append(alice)
        alice.join("#t")
        # the bot is in #t: in the NAMES alice got, or joining after her
        alice.expect(r"^(:%s!\S+ JOIN :?#t|:\S+ 353 alice . #t :.*[@+ :]%s\b)"
                     % (BOT, BOT), timeout=15, since=0)
        alice.privmsg("#t", "!quote " + quote)
        alice.expect(r"PRIVMSG #t :.*\[%s\]$" % re.escape(quote), timeout=10)

    def assert_refused(self, bot, why):
        """Refused with `why` in the log, and tried again with backoff."""
        bot.wait_log(r"disconnected: .*%s" % why, timeout=15)
        bot.wait_log(r"reconnecting in [0-9.]+ s \(attempt 2\)", timeout=15)
        self.assertEqual(len(re.findall(r"registered as", bot.log_text())), 0)


class ValidChainTest(TlsBase):
    def test_ip_address_verified_and_answers(self):
        srv = self.server(self.ca.issue("srv", "DNS:localhost,IP:127.0.0.1,IP:::1"))
        bot = self.bot(srv.tls_port, tls="yes", tls_ca_file=self.ca.cert)
        bot.wait_log(r"connected to 127\.0\.0\.1 \(127\.0\.0\.1:%d\): TLSv1\.[23] \S+, "
                     r"certificate verified" % srv.tls_port, timeout=15)
        self.assert_answers(srv, bot)

    def test_host_name_verified_with_sni(self):
        srv = self.server(self.ca.issue("srv", "DNS:localhost"))
        bot = self.bot(srv.tls_port, server="localhost", tls="yes", tls_ca_file=self.ca.cert)
        bot.wait_log(r"connected to localhost .*certificate verified", timeout=15)
        self.assert_answers(srv, bot)


class RefusedTest(TlsBase):
    def test_wrong_host_name(self):
        srv = self.server(self.ca.issue("srv", "DNS:wrong.example"))
        bot = self.bot(srv.tls_port, server="localhost", tls="yes", tls_ca_file=self.ca.cert)
        self.assert_refused(bot, r"certificate is not accepted: hostname mismatch")

    def test_wrong_ip_address(self):
        srv = self.server(self.ca.issue("srv", "DNS:localhost,IP:127.0.0.2"))
        bot = self.bot(srv.tls_port, tls="yes", tls_ca_file=self.ca.cert)
        self.assert_refused(bot, r"certificate is not accepted: IP address mismatch")

    def test_untrusted_ca(self):
        other = h.TestCA(self.dir, "other-ca")
        srv = self.server(other.issue("srv", "IP:127.0.0.1"))
        bot = self.bot(srv.tls_port, tls="yes", tls_ca_file=self.ca.cert)
        self.assert_refused(bot, r"certificate is not accepted: unable to get local "
                                 r"issuer certificate")

    def test_expired_certificate(self):
        srv = self.server(self.ca.issue("srv", "IP:127.0.0.1", expired=True))
        bot = self.bot(srv.tls_port, tls="yes", tls_ca_file=self.ca.cert)
        self.assert_refused(bot, r"certificate is not accepted: certificate has expired")

    def test_plain_server_on_tls_port(self):
        # A server that greets at once (most networks do) is recognised by
        # its first byte, well before the 10 s handshake timeout.
        srv = h.Ngircd(self.dir, greet=True).start()
        self.servers.append(srv)
        started = time.monotonic()
        bot = self.bot(srv.port, tls="yes", tls_ca_file=self.ca.cert)
        self.assert_refused(
            bot, r"server at 127\.0\.0\.1:%d \(127\.0\.0\.1:%d\) speaks plain IRC, "
            r"not TLS: set tls = no or use its TLS port" % (srv.port, srv.port))
        self.assertLess(time.monotonic() - started, 8.0)

    def test_silent_plain_server_on_tls_port(self):
        # One that waits for us to speak first can only time out.
        srv = self.server()
        bot = self.bot(srv.port, tls="yes", tls_ca_file=self.ca.cert)
        self.assert_refused(bot, r"TLS handshake")

    def test_system_store_does_not_know_the_test_ca(self):
        srv = self.server(self.ca.issue("srv", "IP:127.0.0.1"))
        bot = self.bot(srv.tls_port, tls="yes")
        self.assert_refused(bot, r"certificate is not accepted")


class OptOutAndPinTest(TlsBase):
    def test_verify_off_connects_and_warns(self):
        other = h.TestCA(self.dir, "other-ca")
        srv = self.server(other.issue("srv", "DNS:wrong.example"))
        bot = self.bot(srv.tls_port, tls="yes", tls_verify="no")
        bot.wait_log(r"warn.*tls_verify = no: the server's certificate is NOT checked",
                     timeout=15)
        bot.wait_log(r"connected to 127\.0\.0\.1 .*certificate NOT VERIFIED", timeout=15)
        self.assert_answers(srv, bot)

    def test_pin_accepts_the_right_fingerprint(self):
        crt, key = self.ca.issue("srv", "IP:127.0.0.1")
        srv = self.server((crt, key))
        bot = self.bot(srv.tls_port, tls="yes", tls_ca_file=self.ca.cert,
                       tls_fingerprint=h.TestCA.fingerprint(crt))
        bot.wait_log(r"certificate pinned, SHA-256 [0-9a-f]{64}", timeout=15)
        self.assert_answers(srv, bot)

    def test_pin_refuses_another_certificate(self):
        crt, _ = self.ca.issue("other", "IP:127.0.0.1")
        srv = self.server(self.ca.issue("srv", "IP:127.0.0.1"))
        bot = self.bot(srv.tls_port, tls="yes", tls_ca_file=self.ca.cert,
                       tls_fingerprint=h.TestCA.fingerprint(crt))
        self.assert_refused(bot, r"does not match tls_fingerprint")


@unittest.skipUnless(ipv6_loopback(), "no IPv6 loopback here")
class Ipv6Test(TlsBase):
    def test_plain_over_ipv6(self):
        srv = self.server(listen="127.0.0.1,::1")
        bot = self.bot(srv.port, server="::1")
        bot.wait_log(r"connected to ::1 \(\[::1\]:%d\): plain text" % srv.port, timeout=15)
        self.assert_answers(srv, bot)

    def test_tls_over_ipv6_checks_the_ipv6_address(self):
        srv = self.server(self.ca.issue("srv", "IP:::1"), listen="127.0.0.1,::1")
        bot = self.bot(srv.tls_port, server="::1", tls="yes", tls_ca_file=self.ca.cert)
        bot.wait_log(r"connected to ::1 .*certificate verified", timeout=15)
        self.assert_answers(srv, bot)



def mapped_files(pid):
    """Base names of the files mapped into a process."""
    names = set()
    with open("/proc/%d/maps" % pid, encoding="ascii", errors="replace") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6 and parts[5].startswith("/"):
                names.add(os.path.basename(parts[5].strip()))
    return names


class ModuleTest(TlsBase):
    def test_plain_bot_maps_no_openssl(self):
        srv = self.server()
        bot = self.bot(srv.port)
        self.assert_answers(srv, bot)
        names = mapped_files(bot.pid)
        self.assertFalse([n for n in names if n.startswith(("libssl", "libcrypto"))], names)
        self.assertNotIn("missive-tls.so", names)

    def test_tls_bot_maps_the_module(self):
        srv = self.server(self.ca.issue("srv", "IP:127.0.0.1"))
        bot = self.bot(srv.tls_port, tls="yes", tls_ca_file=self.ca.cert)
        self.assert_answers(srv, bot)
        names = mapped_files(bot.pid)
        self.assertIn("missive-tls.so", names)
        self.assertTrue([n for n in names if n.startswith("libssl")], names)

    def test_missing_module_is_named(self):
        # A copy of the binary outside its build tree looks for the module
        # where `cmake --install` puts it (MISSIVE_MODULEDIR).
        binary = os.path.join(self.dir, "missive")
        shutil.copy2(h.missive_bin(), binary)
        srv = self.server(self.ca.issue("srv", "IP:127.0.0.1"))
        bot = self.bot(srv.tls_port, binary=binary, tls="yes", tls_ca_file=self.ca.cert)
        m = h.wait_until(lambda: re.search(
            r"cannot load the TLS module (\S+/missive-tls\.so) \(tls = yes needs it\)"
            r"|(registered as)", bot.log_text()), 15, 0.1)
        self.assertTrue(m, bot.log_text()[-2000:])
        if m.group(2):
            self.skipTest("an installed missive-tls.so was found")
        self.assertFalse(os.path.exists(m.group(1)))
        self.assert_refused(bot, r"cannot load the TLS module")
        # check-config says it before any connection.
        r = h.subprocess.run([binary, "check-config", bot.config_path], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: tls = yes needs the TLS module %s" % m.group(1), r.stderr)
        r = h.subprocess.run([h.missive_bin(), "check-config", bot.config_path],
                             capture_output=True, text=True, timeout=30)
        self.assertNotIn("TLS module", r.stderr)
        # The same binary without TLS needs no module.
        bot.stop()
        plain = self.server()
        bot = self.bot(plain.port, binary=binary)
        self.assert_answers(plain, bot)


class NoListenerTest(TlsBase):
    """libircclient's stream to the transport is a socket pair: the bot has
    no listening socket that anyone on the machine could connect to."""

    @staticmethod
    def listening_inodes():
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    next(f)
                    for line in f:
                        cols = line.split()
                        if cols[3] == "0A":          # TCP_LISTEN
                            inodes.add(cols[9])
            except OSError:
                pass
        return inodes

    @staticmethod
    def socket_inodes(pid):
        out = set()
        fd_dir = "/proc/%d/fd" % pid
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]$", target)
            if m:
                out.add(m.group(1))
        return out

    def test_bot_listens_nowhere(self):
        srv = self.server(self.ca.issue("srv", "IP:127.0.0.1"))
        bot = self.bot(srv.tls_port, tls="yes", tls_ca_file=self.ca.cert)
        self.assert_answers(srv, bot)
        mine = self.socket_inodes(bot.pid)
        self.assertGreaterEqual(len(mine), 3)   # server, and both ends of the pair
        self.assertEqual(mine & self.listening_inodes(), set())


def main():
    return h.run_tests(__name__, TIMINGS, time.monotonic())


if __name__ == "__main__":
    sys.exit(main())
