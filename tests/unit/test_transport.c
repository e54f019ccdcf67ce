/* test_transport.c - the transport over a real loopback TCP connection,
 * driven by a select() loop as irc.c drives it: server lines cut to 512
 * bytes, both directions relayed unchanged, CAP and SASL PLAIN exchanges
 * byte for byte (multi-line LS, "AUTHENTICATE :+", 400-byte chunks), SASL
 * failures with sasl_required yes and no, a refused connection, and the
 * nick -> account map used without account-tag (extended-join,
 * account-notify).  The
 * "server" is a socket this test accepts on 127.0.0.1; every loop is
 * bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "transport.h"

#define BUF_MAX 16384

typedef struct {
    int listener, server; /* the test's side of the TCP connection */
    int port;
    int local; /* libircclient's end of the pair */
    Transport *t;
    char notes[4096];
    char from_server[BUF_MAX]; /* what the server received */
    size_t from_len;
    char to_irc[BUF_MAX]; /* what libircclient's end received */
    size_t to_len;
} Rig;

static void rig_note(void *ud, Severity sev, const char *line)
{
    Rig *r = ud;
    size_t n = strlen(r->notes);
    (void)sev;
    snprintf(r->notes + n, sizeof r->notes - n, "%s\n", line);
}

static int rig_listen(int *port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

static void rig_open(Rig *r, TransportSettings s)
{
    Error err = {0};
    memset(r, 0, sizeof *r);
    r->server = -1;
    r->listener = rig_listen(&r->port);
    s.host = "127.0.0.1";
    s.port = r->port;
    s.note = rig_note;
    s.ud = r;
    r->t = transport_open(&s, &r->local, &err);
    assert_non_null(r->t);
}

static void rig_close(Rig *r)
{
    transport_close(r->t);
    close(r->local);
    if (r->server >= 0)
        close(r->server);
    if (r->listener >= 0)
        close(r->listener);
}

/* One turn of the loop, plus the test's own reading on both ends. */
static void rig_turn(Rig *r)
{
    fd_set in, out;
    int maxfd = -1;
    FD_ZERO(&in);
    FD_ZERO(&out);
    long wait = transport_prepare(r->t, &in, &out, &maxfd);
    if (wait < 0 || wait > 20)
        wait = 20;
    struct timeval tv = {0, wait * 1000};
    if (select(maxfd + 1, &in, &out, NULL, &tv) < 0)
        return;
    transport_process(r->t, &in, &out);
    if (r->server < 0 && r->listener >= 0) {
        fd_set a;
        struct timeval zero = {0, 0};
        FD_ZERO(&a);
        FD_SET(r->listener, &a);
        if (select(r->listener + 1, &a, NULL, NULL, &zero) == 1) {
            r->server = accept(r->listener, NULL, NULL);
            fcntl(r->server, F_SETFL, O_NONBLOCK);
        }
    }
    ssize_t n;
    if (r->server >= 0)
        while ((n = recv(r->server, r->from_server + r->from_len,
                         sizeof r->from_server - 1 - r->from_len, 0)) > 0)
            r->from_len += (size_t)n;
    r->from_server[r->from_len] = '\0';
    while ((n = recv(r->local, r->to_irc + r->to_len,
                     sizeof r->to_irc - 1 - r->to_len, MSG_DONTWAIT)) > 0)
        r->to_len += (size_t)n;
    r->to_irc[r->to_len] = '\0';
}

static void rig_run(Rig *r, int turns)
{
    for (int i = 0; i < turns; i++) rig_turn(r);
}

/* Turns until the server has received `want` (at most 200). */
static void rig_until_server_has(Rig *r, const char *want)
{
    for (int i = 0; i < 200 && !strstr(r->from_server, want); i++) rig_turn(r);
    if (!strstr(r->from_server, want))
        fail_msg("server never got \"%s\"; got \"%s\"; notes: %s", want,
                 r->from_server, r->notes);
}

static void rig_server_send(Rig *r, const char *s)
{
    for (int i = 0; i < 100 && r->server < 0; i++) rig_turn(r);
    assert_true(r->server >= 0);
    assert_int_equal(send(r->server, s, strlen(s), 0), (ssize_t)strlen(s));
}

static void rig_irc_send(Rig *r, const char *s)
{
    assert_int_equal(send(r->local, s, strlen(s), 0), (ssize_t)strlen(s));
}

/* --- plain relay ------------------------------------------------------------- */

static void test_relays_both_ways_and_cuts_long_lines(void **state)
{
    Rig r;
    char line[3000], want[2000];
    (void)state;
    rig_open(&r, (TransportSettings){0});

    rig_irc_send(&r, "NICK missive\r\nUSER missive 0 * :M\r\n");
    rig_until_server_has(&r, "NICK missive\r\nUSER missive 0 * :M\r\n");
    assert_true(transport_ready(r.t));
    assert_null(transport_failure(r.t));

    memset(line, 'A', 600);
    memcpy(line + 600, "\r\nPING :x\r\n", 12);
    rig_server_send(&r, line);
    memset(line, 'B', 2000);
    memcpy(line + 2000, "\n:s 001 missive :hi\r\n", 22);
    rig_server_send(&r, line);
    rig_run(&r, 20);

    memset(want, 'A', 510);
    memcpy(want + 510, "\r\nPING :x\r\n", 12);
    size_t n = strlen(want);
    memset(want + n, 'B', 510);
    memcpy(want + n + 510, "\r\n:s 001 missive :hi\r\n", 23);
    assert_string_equal(r.to_irc, want);
    assert_int_equal(transport_lines_cut(r.t), 2);
    assert_non_null(strstr(r.notes, "server line longer than 512 bytes"));

    /* The server leaving is a failure with a reason, and libircclient's
     * end then reads the end of the stream. */
    close(r.server);
    r.server = -1;
    close(r.listener);
    r.listener = -1;
    rig_run(&r, 10);
    assert_string_equal(transport_failure(r.t),
                        "the server closed the connection");
    assert_int_equal(recv(r.local, line, sizeof line, MSG_DONTWAIT), 0);
    rig_close(&r);
}

static void test_refused_connection(void **state)
{
    Rig r;
    (void)state;
    rig_open(&r, (TransportSettings){0});
    /* Nobody listens there any more. */
    transport_close(r.t);
    close(r.local);
    close(r.listener);
    r.listener = -1;
    Error err = {0};
    TransportSettings s = {
        .host = "127.0.0.1", .port = r.port, .note = rig_note, .ud = &r};
    r.t = transport_open(&s, &r.local, &err);
    assert_non_null(r.t);
    rig_run(&r, 10);
    char want[128];
    snprintf(want, sizeof want,
             "cannot connect to 127.0.0.1 port %d: 127.0.0.1:%d: Connection "
             "refused",
             r.port, r.port);
    assert_non_null(transport_failure(r.t));
    assert_string_equal(transport_failure(r.t), want);
    rig_close(&r);
}

/* --- SASL ----------------------------------------------------------------------- */

static void test_sasl_plain_exchange(void **state)
{
    Rig r;
    (void)state;
    rig_open(&r, (TransportSettings){.sasl = TRANSPORT_SASL_PLAIN,
                                     .sasl_username = "u",
                                     .sasl_password = "p w",
                                     .sasl_required = true});
    rig_irc_send(&r, "NICK missive\r\n");
    /* CAP LS goes ahead of what libircclient had already written. */
    rig_until_server_has(&r, "NICK missive\r\n");
    assert_string_equal(r.from_server, "CAP LS 302\r\nNICK missive\r\n");

    rig_server_send(&r, ":s NOTICE * :*** Looking up your hostname\r\n"
                        ":s CAP * LS * :multi-prefix away-notify\r\n");
    rig_server_send(&r, ":s CAP * LS :account-tag sasl=EXTERNAL,PLAIN\r\n");
    rig_until_server_has(&r, "CAP REQ :account-tag\r\nCAP REQ :sasl\r\n");
    rig_server_send(&r, ":s CAP missive ACK :account-tag\r\n"
                        ":s CAP missive ACK :sasl\r\n");
    rig_until_server_has(&r, "AUTHENTICATE PLAIN\r\n");
    rig_server_send(&r, "AUTHENTICATE :+\r\n"); /* InspIRCd's form */
    /* base64("u\0u\0p w") */
    rig_until_server_has(&r, "AUTHENTICATE dQB1AHAgdw==\r\n");
    rig_server_send(&r, ":s 900 missive missive!u@h u :You are now logged in "
                        "as u\r\n:s 903 missive :SASL authentication "
                        "successful\r\n");
    rig_until_server_has(&r, "CAP END\r\n");
    rig_server_send(&r, ":s 001 missive :Welcome\r\n");
    rig_run(&r, 5);

    /* libircclient saw none of the negotiation, and everything else. */
    assert_string_equal(r.to_irc, ":s NOTICE * :*** Looking up your "
                                  "hostname\r\n:s 001 missive :Welcome\r\n");
    assert_non_null(strstr(r.notes, "SASL: logged in as u"));
    assert_null(strstr(r.notes, "p w"));
    assert_null(transport_failure(r.t));
    rig_close(&r);
}

/* Tags are stripped before libircclient; each PRIVMSG keeps the account
 * its own tag named, in order, and only that line gets it. */
static void test_account_tag_stays_with_its_line(void **state)
{
    Rig r;
    (void)state;
    rig_open(&r, (TransportSettings){0});
    rig_irc_send(&r, "NICK missive\r\n");
    rig_until_server_has(&r, "CAP LS 302\r\nNICK missive\r\n");
    rig_server_send(&r, ":s CAP * LS :account-tag multi-prefix\r\n");
    rig_until_server_has(&r, "CAP REQ :account-tag\r\n");
    rig_server_send(&r, ":s CAP * ACK :account-tag\r\n");
    rig_until_server_has(&r, "CAP END\r\n");
    rig_server_send(
        &r, ":s 001 missive :Welcome\r\n"
            "@time=2026-01-01T00:00:00Z;account=alice :a!u@h PRIVMSG missive "
            ":status\r\n"
            ":a!u@h PRIVMSG missive :status\r\n"
            "@account=al\\sice :a!u@h PRIVMSG missive :\x01VERSION\x01\r\n"
            "@account=bob :b!u@h PRIVMSG #t :hi there\r\n"
            "@account=carol;x=y :a!u@h PRIVMSG missive :status\r\n");
    rig_run(&r, 5);
    assert_string_equal(r.to_irc,
                        ":s 001 missive :Welcome\r\n"
                        ":a!u@h PRIVMSG missive :status\r\n"
                        ":a!u@h PRIVMSG missive :status\r\n"
                        ":a!u@h PRIVMSG missive :\x01VERSION\x01\r\n"
                        ":b!u@h PRIVMSG #t :hi there\r\n"
                        ":a!u@h PRIVMSG missive :status\r\n");
    /* As libircclient reports them (the CTCP line never is). */
    const char *acct = transport_account(r.t, "a!u@h", "missive", "status");
    assert_non_null(acct);
    assert_string_equal(acct, "alice");
    /* The same words again, untagged: no account, never alice's. */
    assert_null(transport_account(r.t, "a!u@h", "missive", "status"));
    acct = transport_account(r.t, "b!u@h", "#t", "hi there");
    assert_non_null(acct);
    assert_string_equal(acct, "bob");
    /* A line nobody sent has none. */
    assert_null(transport_account(r.t, "a!u@h", "missive", "other"));
    acct = transport_account(r.t, "a!u@h", "missive", "status");
    assert_non_null(acct);
    assert_string_equal(acct, "carol");
    assert_null(transport_account(r.t, "a!u@h", "missive", "status"));
    rig_close(&r);
}

/* Without account-tag granted, a tag is not believed. */
static void test_account_tag_needs_the_cap(void **state)
{
    Rig r;
    (void)state;
    rig_open(&r, (TransportSettings){0});
    rig_irc_send(&r, "NICK missive\r\n");
    rig_until_server_has(&r, "CAP LS 302\r\nNICK missive\r\n");
    rig_server_send(&r, ":s CAP * LS :multi-prefix\r\n");
    rig_until_server_has(&r, "CAP END\r\n");
    rig_server_send(&r, ":s 001 missive :Welcome\r\n"
                        "@account=alice :a!u@h PRIVMSG missive :status\r\n");
    rig_run(&r, 5);
    assert_non_null(strstr(r.to_irc, "\r\n:a!u@h PRIVMSG missive :status"));
    assert_null(transport_account(r.t, "a!u@h", "missive", "status"));
    rig_close(&r);
}

static void test_sasl_payload_of_exactly_400_bytes_ends_with_plus(void **state)
{
    Rig r;
    char pass[297], want[480];
    (void)state;
    /* "u\0u\0" + 296 bytes = 300 bytes = 400 base64 characters. */
    memset(pass, 'x', 296);
    pass[296] = '\0';
    rig_open(&r, (TransportSettings){.sasl = TRANSPORT_SASL_PLAIN,
                                     .sasl_username = "u",
                                     .sasl_password = pass,
                                     .sasl_required = true});
    rig_until_server_has(&r, "CAP LS 302\r\n");
    rig_server_send(&r, ":s CAP * LS :sasl\r\n");
    rig_until_server_has(&r, "CAP REQ :sasl\r\n");
    rig_server_send(&r, ":s CAP * ACK :sasl\r\nAUTHENTICATE +\r\n");
    rig_until_server_has(&r, "AUTHENTICATE +\r\n");
    const char *auth = strstr(r.from_server, "AUTHENTICATE dQB1AH");
    assert_non_null(auth);
    snprintf(want, sizeof want, "AUTHENTICATE %.400s\r\nAUTHENTICATE +\r\n",
             auth + 13);
    assert_string_equal(auth, want);
    assert_int_equal(strcspn(auth + 13, "\r"), 400);
    rig_close(&r);
}

static void test_sasl_failure_required_and_not(void **state)
{
    (void)state;
    for (int required = 0; required <= 1; required++) {
        Rig r;
        rig_open(&r, (TransportSettings){.sasl = TRANSPORT_SASL_PLAIN,
                                         .sasl_username = "u",
                                         .sasl_password = "wrong",
                                         .sasl_required = required});
        rig_until_server_has(&r, "CAP LS 302\r\n");
        rig_server_send(&r, ":s CAP * LS :sasl=EXTERNAL\r\n");
        rig_run(&r, 10);
        if (required) {
            assert_non_null(transport_failure(r.t));
            assert_string_equal(transport_failure(r.t),
                                "SASL: the server offers SASL EXTERNAL, not "
                                "PLAIN (sasl_required = yes)");
        } else {
            rig_until_server_has(&r, "CAP END\r\n");
            assert_null(transport_failure(r.t));
            assert_non_null(strstr(r.notes, "going on unauthenticated"));
        }
        rig_close(&r);
    }
}

static void
test_server_without_cap_never_registers_us_when_required(void **state)
{
    Rig r;
    (void)state;
    rig_open(&r, (TransportSettings){.sasl = TRANSPORT_SASL_EXTERNAL,
                                     .sasl_required = true});
    rig_until_server_has(&r, "CAP LS 302\r\n");
    rig_server_send(&r, ":s 421 * CAP :Unknown command\r\n:s 001 missive "
                        ":Welcome\r\n:s 002 missive :Your host\r\n");
    rig_run(&r, 10);
    assert_string_equal(transport_failure(r.t),
                        "SASL: the server does not support CAP "
                        "(sasl_required = yes)");
    assert_string_equal(r.to_irc, ""); /* no 001: no registration */
    rig_close(&r);
}

/* --- the nick -> account map (extended-join, account-notify) --------- */

/* Sends s whole, a part at a time, turning the loop while the socket is
 * full; what libircclient's end got is dropped as it comes. */
static void rig_feed(Rig *r, const char *s)
{
    size_t n = strlen(s), off = 0;
    for (int i = 0; i < 100000 && off < n; i++) {
        ssize_t w = send(r->server, s + off, n - off, 0);
        if (w > 0)
            off += (size_t)w;
        else
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        r->to_len = 0;
        rig_turn(r);
    }
    assert_int_equal(off, n);
}

/* The account transport_account gives a fresh PRIVMSG from nick ("" for
 * none); every line before it has passed through the transport. */
static const char *acct_of(Rig *r, const char *nick)
{
    static int seq;
    static char got[128];
    char line[256], text[32];
    snprintf(text, sizeof text, "probe %d", ++seq);
    snprintf(line, sizeof line, ":%s!u@h PRIVMSG missive :%s\r\n", nick,
             text);
    r->to_len = 0;
    rig_feed(r, line);
    for (int i = 0; i < 200 && !strstr(r->to_irc, line); i++) rig_turn(r);
    assert_non_null(strstr(r->to_irc, line));
    snprintf(line, sizeof line, "%s!u@h", nick);
    const char *a = transport_account(r->t, line, "missive", text);
    snprintf(got, sizeof got, "%s", a ? a : "");
    return got;
}

/* Registers with extended-join and account-notify, no account-tag. */
static void rig_open_fallback(Rig *r)
{
    rig_open(r, (TransportSettings){0});
    rig_irc_send(r, "NICK missive\r\n");
    rig_until_server_has(r, "CAP LS 302\r\nNICK missive\r\n");
    rig_server_send(r, ":s CAP * LS :extended-join multi-prefix "
                       "account-notify\r\n");
    rig_until_server_has(r, "CAP REQ :extended-join account-notify\r\n");
    rig_server_send(r, ":s CAP * ACK :extended-join account-notify \r\n");
    rig_until_server_has(r, "CAP END\r\n");
    rig_feed(r, ":s 001 missive :Welcome\r\n");
}

static void test_account_map_join_logout_nick_quit(void **state)
{
    Rig r;
    (void)state;
    rig_open_fallback(&r);
    assert_string_equal(acct_of(&r, "a"), "");
    rig_feed(&r, ":a{x}!u@h JOIN #c alice :Alice A\r\n");
    assert_string_equal(acct_of(&r, "a{x}"), "alice");
    assert_string_equal(acct_of(&r, "A[X]"), "alice"); /* RFC 1459 fold */
    /* Logout, login as another account. */
    rig_feed(&r, ":a{x}!u@h ACCOUNT *\r\n");
    assert_string_equal(acct_of(&r, "a{x}"), "");
    rig_feed(&r, ":a{x}!u@h ACCOUNT alice2\r\n");
    assert_string_equal(acct_of(&r, "a{x}"), "alice2");
    /* NICK moves it. */
    rig_feed(&r, ":a{x}!u@h NICK :b\r\n");
    assert_string_equal(acct_of(&r, "a{x}"), "");
    assert_string_equal(acct_of(&r, "b"), "alice2");
    /* A JOIN without account; a nick taking a logged-in one's old nick. */
    rig_feed(&r, ":c!u@h JOIN #c * :C\r\n:d!u@h JOIN #c dave :D\r\n"
                 ":d!u@h NICK d2\r\n:c!u@h NICK d\r\n");
    assert_string_equal(acct_of(&r, "c"), "");
    assert_string_equal(acct_of(&r, "d"), "");
    assert_string_equal(acct_of(&r, "d2"), "dave");
    /* QUIT removes it; a later nick of the same name has none. */
    rig_feed(&r, ":b!u@h QUIT :bye\r\n");
    assert_string_equal(acct_of(&r, "b"), "");
    /* An account only for the line after the JOIN, in order. */
    rig_feed(&r, ":e!u@h PRIVMSG missive :before\r\n"
                 ":e!u@h JOIN #c erin :E\r\n");
    assert_null(transport_account(r.t, "e!u@h", "missive", "before"));
    assert_string_equal(acct_of(&r, "e"), "erin");
    assert_null(transport_failure(r.t));
    rig_close(&r);
}

static void test_account_map_part_kick_and_our_own(void **state)
{
    Rig r;
    (void)state;
    rig_open_fallback(&r);
    rig_feed(&r, ":f!u@h JOIN #c frank :F\r\n:f!u@h JOIN #d frank :F\r\n"
                 ":g!u@h JOIN #c gina :G\r\n:h!u@h JOIN #c hank :H\r\n");
    assert_string_equal(acct_of(&r, "f"), "frank");
    /* PART of one channel: gone, though f is still in #d (fail closed). */
    rig_feed(&r, ":f!u@h PART #c :later\r\n");
    assert_string_equal(acct_of(&r, "f"), "");
    rig_feed(&r, ":op!u@h KICK #c G :out\r\n");
    assert_string_equal(acct_of(&r, "g"), "");
    assert_string_equal(acct_of(&r, "h"), "hank");
    /* Our own PART clears everything. */
    rig_feed(&r, ":Missive!u@h PART #c\r\n");
    assert_string_equal(acct_of(&r, "h"), "");
    /* ... and our own KICK, under the nick we changed to. */
    rig_feed(&r, ":h!u@h JOIN #c hank :H\r\n:missive!u@h NICK Bot[1]\r\n");
    assert_string_equal(acct_of(&r, "h"), "hank");
    rig_feed(&r, ":op!u@h KICK #c bot{1} :out\r\n");
    assert_string_equal(acct_of(&r, "h"), "");
    /* A cut KICK (its target may be cut) clears too. */
    char line[700];
    rig_feed(&r, ":h!u@h JOIN #c hank :H\r\n");
    assert_string_equal(acct_of(&r, "h"), "hank");
    snprintf(line, sizeof line, ":op!u@h KICK #%0600d x :y\r\n", 0);
    rig_feed(&r, line);
    assert_string_equal(acct_of(&r, "h"), "");
    /* CAP DEL of account-notify: the map is no longer used. */
    rig_feed(&r, ":h!u@h JOIN #c hank :H\r\n");
    assert_string_equal(acct_of(&r, "h"), "hank");
    rig_feed(&r, ":s CAP missive DEL :account-notify\r\n");
    assert_string_equal(acct_of(&r, "h"), "");
    rig_feed(&r, ":i!u@h JOIN #c ida :I\r\n");
    assert_string_equal(acct_of(&r, "i"), "");
    rig_close(&r);
}

static void test_account_map_is_bounded(void **state)
{
    Rig r;
    char *buf = malloc(200 * 64);
    (void)state;
    assert_non_null(buf);
    rig_open_fallback(&r);
    for (int i = 0; i < TRANSPORT_ACCOUNTS_MAX + 1; i += 100) {
        size_t n = 0;
        for (int j = i; j < i + 100 && j < TRANSPORT_ACCOUNTS_MAX + 1; j++)
            n += (size_t)snprintf(buf + n, 200 * 64 - n,
                                  ":n%d!u@h JOIN #c acct%d :N\r\n", j, j);
        rig_feed(&r, buf);
    }
    char nick[32];
    assert_string_equal(acct_of(&r, "n0"), "acct0");
    snprintf(nick, sizeof nick, "n%d", TRANSPORT_ACCOUNTS_MAX - 1);
    char want[32];
    snprintf(want, sizeof want, "acct%d", TRANSPORT_ACCOUNTS_MAX - 1);
    assert_string_equal(acct_of(&r, nick), want);
    snprintf(nick, sizeof nick, "n%d", TRANSPORT_ACCOUNTS_MAX);
    assert_string_equal(acct_of(&r, nick), ""); /* full: none */
    assert_non_null(strstr(r.notes, "further nicks are not recognised"));
    /* Room again once one leaves; updates of known nicks always work. */
    rig_feed(&r, ":n0!u@h QUIT :q\r\n:z!u@h JOIN #c zed :Z\r\n"
                 ":n1!u@h ACCOUNT other\r\n");
    assert_string_equal(acct_of(&r, "z"), "zed");
    assert_string_equal(acct_of(&r, "n1"), "other");
    assert_string_equal(acct_of(&r, "n2"), "acct2");
    /* Many removals (backward shifts): the rest are all still found. */
    for (int i = 2; i < TRANSPORT_ACCOUNTS_MAX; i += 200) {
        size_t n = 0;
        for (int j = i; j < i + 200 && j < TRANSPORT_ACCOUNTS_MAX; j += 2)
            n += (size_t)snprintf(buf + n, 200 * 64 - n,
                                  ":n%d!u@h QUIT :q\r\n", j);
        rig_feed(&r, buf);
    }
    for (int j = 3; j < TRANSPORT_ACCOUNTS_MAX; j += 98) { /* odd: kept */
        snprintf(nick, sizeof nick, "n%d", j);
        snprintf(want, sizeof want, "acct%d", j);
        assert_string_equal(acct_of(&r, nick), want);
        snprintf(nick, sizeof nick, "n%d", j + 1);
        assert_string_equal(acct_of(&r, nick), "");
    }
    free(buf);
    rig_close(&r);
}

/* account-tag, when offered, is all we ask for; refused, the fallback is
 * asked for; extended-join without account-notify is not used. */
static void test_account_map_only_as_fallback(void **state)
{
    Rig r;
    (void)state;
    rig_open(&r, (TransportSettings){0});
    rig_irc_send(&r, "NICK missive\r\n");
    rig_until_server_has(&r, "CAP LS 302\r\nNICK missive\r\n");
    rig_server_send(&r, ":s CAP * LS :extended-join account-tag "
                        "account-notify\r\n");
    rig_until_server_has(&r, "CAP REQ :account-tag\r\n");
    rig_run(&r, 3);
    assert_null(strstr(r.from_server, "extended-join"));
    rig_server_send(&r, ":s CAP * NAK :account-tag\r\n");
    rig_until_server_has(&r, "CAP REQ :extended-join account-notify\r\n");
    rig_server_send(&r, ":s CAP * NAK :extended-join account-notify\r\n");
    rig_until_server_has(&r, "CAP END\r\n");
    rig_feed(&r, ":s 001 missive :Welcome\r\n:a!u@h JOIN #c alice :A\r\n");
    assert_string_equal(acct_of(&r, "a"), "");
    rig_close(&r);

    rig_open(&r, (TransportSettings){0});
    rig_irc_send(&r, "NICK missive\r\n");
    rig_until_server_has(&r, "CAP LS 302\r\nNICK missive\r\n");
    rig_server_send(&r, ":s CAP * LS :extended-join\r\n");
    rig_until_server_has(&r, "CAP END\r\n");
    assert_null(strstr(r.from_server, "CAP REQ"));
    rig_feed(&r, ":s 001 missive :Welcome\r\n:a!u@h JOIN #c alice :A\r\n");
    assert_string_equal(acct_of(&r, "a"), "");
    rig_close(&r);

    /* Granted account-tag wins over a JOIN's account. */
    rig_open(&r, (TransportSettings){0});
    rig_irc_send(&r, "NICK missive\r\n");
    rig_until_server_has(&r, "CAP LS 302\r\nNICK missive\r\n");
    rig_server_send(&r, ":s CAP * LS :extended-join account-tag "
                        "account-notify\r\n");
    rig_until_server_has(&r, "CAP REQ :account-tag\r\n");
    rig_server_send(&r, ":s CAP * ACK :account-tag\r\n");
    rig_until_server_has(&r, "CAP END\r\n");
    rig_feed(&r, ":s 001 missive :Welcome\r\n:a!u@h JOIN #c alice :A\r\n");
    assert_string_equal(acct_of(&r, "a"), "");
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relays_both_ways_and_cuts_long_lines),
        cmocka_unit_test(test_refused_connection),
        cmocka_unit_test(test_sasl_plain_exchange),
        cmocka_unit_test(test_account_tag_stays_with_its_line),
        cmocka_unit_test(test_account_tag_needs_the_cap),
        cmocka_unit_test(test_sasl_payload_of_exactly_400_bytes_ends_with_plus),
        cmocka_unit_test(test_sasl_failure_required_and_not),
        cmocka_unit_test(
            test_server_without_cap_never_registers_us_when_required),
        cmocka_unit_test(test_account_map_join_logout_nick_quit),
        cmocka_unit_test(test_account_map_part_kick_and_our_own),
        cmocka_unit_test(test_account_map_is_bounded),
        cmocka_unit_test(test_account_map_only_as_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
