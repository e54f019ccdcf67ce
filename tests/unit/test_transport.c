/* test_transport.c - the transport over a real loopback TCP connection,
 * driven by a select() loop as irc.c drives it: server lines cut to 512
 * bytes, both directions relayed unchanged, CAP and SASL PLAIN exchanges
 * byte for byte (multi-line LS, "AUTHENTICATE :+", 400-byte chunks), SASL
 * failures with sasl_required yes and no, a refused connection.  The
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
