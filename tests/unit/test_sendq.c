/* test_sendq.c - the outgoing queue: rate, fairness, priorities, bounds, and
 * simulated server flood rules (InspIRCd 3, Solanum, RFC 1459) over ten
 * minutes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sendq.h"

#define DEF_BURST 4
#define DEF_INTERVAL 1100

/* --- server models ------------------------------------------------------ */

/* InspIRCd 3 default class: each command adds its penalty (JOIN 2, PONG 0,
 * others 1); the counter drops by one per second, not below zero; the
 * client is cut ("Excess Flood") when it reaches 10.  `ticks` applies the
 * decrease only on whole seconds (as a 1 s timer does), the stricter view. */
struct insp {
    double counter;
    uint64_t last_ms;
    bool ticks;
    bool tripped;
    double peak;
};

static unsigned insp_cost(const char *line)
{
    if (strncmp(line, "PONG", 4) == 0)
        return 0;
    if (strncmp(line, "JOIN", 4) == 0)
        return 2;
    return 1;
}

static void insp_receive(struct insp *s, uint64_t now_ms, const char *line)
{
    double elapsed = s->ticks ? (double)(now_ms / 1000 - s->last_ms / 1000)
                              : (double)(now_ms - s->last_ms) / 1000.0;

    s->counter -= elapsed;
    if (s->counter < 0)
        s->counter = 0;
    s->last_ms = now_ms;
    s->counter += insp_cost(line);
    if (s->counter > s->peak)
        s->peak = s->counter;
    if (s->counter >= 10)
        s->tripped = true;
}

/* Solanum: about 5 lines at once, then 2 per second; beyond that the server
 * holds lines back (fake lag).  "Held" is what we must never cause. */
struct solanum {
    double counter;
    uint64_t last_ms;
    bool held;
};

static void solanum_receive(struct solanum *s, uint64_t now_ms)
{
    s->counter -= 2.0 * (double)(now_ms - s->last_ms) / 1000.0;
    if (s->counter < 0)
        s->counter = 0;
    s->last_ms = now_ms;
    s->counter += 1;
    if (s->counter > 5)
        s->held = true;
}

/* RFC 1459 section 8.10: the client's message timer is brought up to the
 * current time if behind it; a message is parsed only while the timer is
 * less than 10 s ahead, and each one parsed moves the timer on by 2 s,
 * whatever the command.  A message that finds the timer 10 s ahead is held:
 * the server stops reading the client until it is not. */
struct rfc1459 {
    uint64_t timer;
    uint64_t peak_lead; /* ms ahead of real time, after a message */
    bool held;
};

static void rfc1459_receive(struct rfc1459 *s, uint64_t now_ms)
{
    if (s->timer < now_ms)
        s->timer = now_ms;
    if (s->timer - now_ms >= 10000)
        s->held = true;
    s->timer += 2000;
    if (s->timer - now_ms > s->peak_lead)
        s->peak_lead = s->timer - now_ms;
}

/* Ten minutes of saturated sending, as strict as it gets for this rule:
 * every line a normal one costing 2 s (no JOIN, whose 2 tokens would leave
 * slack), and the server's PING answered right after the first burst and
 * every 90 s by a PONG, which the queue sends at once, outside the bucket. */
static void run_rfc1459(unsigned burst, unsigned interval, struct rfc1459 *s,
                        unsigned *sent)
{
    Sendq *q = sendq_new(burst, interval, 200);
    char line[64];
    const char *out;
    unsigned n = 0;

    assert_non_null(q);
    memset(s, 0, sizeof *s);
    *sent = 0;
    for (uint64_t t = 0; t < 10 * 60 * 1000; t++) {
        SendqStats st;
        sendq_stats(q, &st);
        for (; st.depth < 50; st.depth++) {
            n++;
            char target[8];
            snprintf(target, sizeof target, "#c%u", n % 3);
            snprintf(line, sizeof line, "PRIVMSG %s :line %u", target, n);
            assert_int_equal(sendq_push(q, SENDQ_NORMAL, target, line),
                             STATUS_OK);
        }
        if (t == 1 || t % 90000 == 45000)
            assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :srv"),
                             STATUS_OK);
        while ((out = sendq_pop(q, t)) != NULL) {
            rfc1459_receive(s, t);
            (*sent)++;
        }
    }
    sendq_free(q);
}

/* The [flood] preset config/missive.conf gives for servers that enforce
 * RFC 1459's rule: burst 4 leaves room for a PONG on top of a full burst
 * (8 + 2 s), and 2200 ms a line gives back 0.2 s a line, so a PONG every
 * 90 s never adds up.  Ten minutes saturated: the timer is never more than
 * 10 s ahead, so nothing is ever held. */
static void test_flood_rfc1459_preset(void **state)
{
    (void)state;
    struct rfc1459 s;
    unsigned sent;

    run_rfc1459(4, 2200, &s, &sent);
    assert_false(s.held);
    assert_true(s.peak_lead <= 10000);
    assert_true(sent > 270); /* saturated: one line per 2.2 s for 600 s */
}

/* And the model bites: the defaults run far ahead, and so does burst 5 at
 * exactly 2 s a line, once the PONGs (outside the bucket) add up. */
static void test_flood_rfc1459_model_can_hold(void **state)
{
    (void)state;
    struct rfc1459 s;
    unsigned sent;

    run_rfc1459(DEF_BURST, DEF_INTERVAL, &s, &sent);
    assert_true(s.held);
    run_rfc1459(5, 2000, &s, &sent);
    assert_true(s.held);
    assert_true(s.peak_lead > 10000);
}

/* --- flood simulation --------------------------------------------------- */

struct sim {
    struct insp insp_cont, insp_tick;
    struct solanum sol;
    unsigned sent, joins, pongs;
};

static void sim_receive(struct sim *s, uint64_t now_ms, const char *line)
{
    insp_receive(&s->insp_cont, now_ms, line);
    insp_receive(&s->insp_tick, now_ms, line);
    solanum_receive(&s->sol, now_ms);
    s->sent++;
    if (strncmp(line, "JOIN", 4) == 0)
        s->joins++;
    if (strncmp(line, "PONG", 4) == 0)
        s->pongs++;
}

/* Ten minutes of a bot asked for far more than it may send: the queue is
 * refilled whenever it runs low, every 7th line is an urgent JOIN, the server
 * pings every 90 s, and lines leave as soon as sendq_pop allows (1 ms steps). */
static void run_flood(unsigned burst, unsigned interval, struct sim *s)
{
    Sendq *q = sendq_new(burst, interval, 200);
    static const char *const targets[] = {"#a", "#b", "nick", "#c"};
    unsigned n = 0;
    char line[64];

    assert_non_null(q);
    memset(s, 0, sizeof *s);
    s->insp_tick.ticks = true;
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "NICK Missive"),
                     STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "USER m 0 * :M"),
                     STATUS_OK);
    for (uint64_t t = 0; t < 10 * 60 * 1000; t++) {
        SendqStats st;
        const char *out;

        sendq_stats(q, &st);
        while (st.depth < 50) {
            n++;
            if (n % 7 == 0) {
                snprintf(line, sizeof line, "JOIN #chan%u", n);
                assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, line),
                                 STATUS_OK);
            } else {
                snprintf(line, sizeof line, "PRIVMSG %s :line %u",
                         targets[n % 4], n);
                assert_int_equal(
                    sendq_push(q, SENDQ_NORMAL, targets[n % 4], line),
                    STATUS_OK);
            }
            sendq_stats(q, &st);
        }
        if (t % 90000 == 45000)
            assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :srv"),
                             STATUS_OK);
        while ((out = sendq_pop(q, t)) != NULL) sim_receive(s, t, out);
    }
    sendq_free(q);
}

static void test_flood_default_rate_never_trips(void **state)
{
    (void)state;
    struct sim s;

    run_flood(DEF_BURST, DEF_INTERVAL, &s);
    assert_false(s.insp_cont.tripped);
    assert_false(s.insp_tick.tripped);
    assert_true(s.insp_tick.peak < 10);
    assert_false(s.sol.held);
    assert_true(s.joins > 20);
    assert_int_equal(s.pongs, 7);
    /* And the queue really was saturated: ~1 token per 1.1 s for 600 s. */
    assert_true(s.sent > 450);
}

/* The models are not vacuous: a queue twice as fast trips InspIRCd, and a
 * burst of 10 is too much for both servers. */
static void test_flood_models_can_trip(void **state)
{
    (void)state;
    struct sim s;

    run_flood(DEF_BURST, 500, &s);
    assert_true(s.insp_cont.tripped);
    run_flood(10, 5000, &s);
    assert_true(s.insp_tick.tripped);
    assert_true(s.sol.held);
}

/* --- rate --------------------------------------------------------------- */

static void push_n(Sendq *q, const char *target, int n)
{
    char line[64];

    for (int i = 0; i < n; i++) {
        snprintf(line, sizeof line, "PRIVMSG %s :%d", target, i);
        assert_int_equal(sendq_push(q, SENDQ_NORMAL, target, line), STATUS_OK);
    }
}

static void test_burst_then_steady(void **state)
{
    (void)state;
    Sendq *q = sendq_new(DEF_BURST, DEF_INTERVAL, 100);
    uint64_t t = 5000;

    push_n(q, "#c", 10);
    for (int i = 0; i < DEF_BURST; i++) assert_non_null(sendq_pop(q, t));
    assert_null(sendq_pop(q, t));
    assert_int_equal(sendq_wait_ms(q, t), DEF_INTERVAL);
    assert_null(sendq_pop(q, t + DEF_INTERVAL - 1));
    assert_int_equal(sendq_wait_ms(q, t + DEF_INTERVAL - 1), 1);
    t += DEF_INTERVAL;
    assert_string_equal(sendq_pop(q, t), "PRIVMSG #c :4");
    assert_null(sendq_pop(q, t));
    /* Tokens refill continuously: 550 ms is half a token, not nothing. */
    assert_int_equal(sendq_wait_ms(q, t + 550), 550);
    /* After a long pause, no more than the burst. */
    t += 100000;
    for (int i = 0; i < DEF_BURST; i++) assert_non_null(sendq_pop(q, t));
    assert_null(sendq_pop(q, t));
    sendq_free(q);
}

static void test_wait_ms(void **state)
{
    (void)state;
    Sendq *q = sendq_new(2, 1000, 100);

    assert_int_equal(sendq_wait_ms(q, 0), -1);
    push_n(q, "#c", 3);
    assert_int_equal(sendq_wait_ms(q, 0), 0);
    assert_non_null(sendq_pop(q, 0));
    assert_non_null(sendq_pop(q, 10));
    assert_int_equal(sendq_wait_ms(q, 10), 990);
    assert_int_equal(sendq_wait_ms(q, 400), 600);
    assert_null(sendq_pop(q, 999));
    assert_non_null(sendq_pop(q, 1010));
    assert_int_equal(sendq_wait_ms(q, 1010), -1);
    /* A JOIN costs two tokens. */
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "JOIN #x"), STATUS_OK);
    assert_int_equal(sendq_wait_ms(q, 1010), 1990);
    assert_null(sendq_pop(q, 2500));
    assert_int_equal(sendq_wait_ms(q, 2500), 500);
    /* A PONG waits for nothing. */
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :x"), STATUS_OK);
    assert_int_equal(sendq_wait_ms(q, 2500), 0);
    assert_string_equal(sendq_pop(q, 2500), "PONG :x");
    assert_int_equal(sendq_wait_ms(q, 2500), 500);
    assert_null(sendq_pop(q, 2999));
    assert_string_equal(sendq_pop(q, 3000), "JOIN #x");
    assert_int_equal(sendq_wait_ms(q, 3000), -1);
    sendq_free(q);
}

static void test_join_cost_per_channel(void **state)
{
    (void)state;
    Sendq *q = sendq_new(10, 1000, 100);

    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "JOIN #a,#b,#c k1"),
                     STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "join #d"), STATUS_OK);
    assert_non_null(sendq_pop(q, 0)); /* 6 tokens */
    assert_non_null(sendq_pop(q, 0)); /* 2 tokens */
    push_n(q, "#c", 3);
    assert_non_null(sendq_pop(q, 0));
    assert_non_null(sendq_pop(q, 0));
    assert_null(sendq_pop(q, 0)); /* 10 spent */
    sendq_free(q);
}

static void test_cost_above_burst_still_goes(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 1000, 100);

    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "JOIN #a"), STATUS_OK);
    assert_string_equal(sendq_pop(q, 0), "JOIN #a");
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "JOIN #b"), STATUS_OK);
    assert_int_equal(sendq_wait_ms(q, 0), 1000);
    assert_string_equal(sendq_pop(q, 1000), "JOIN #b");
    sendq_free(q);
}

static void test_unlimited_rate(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 0, 100);

    push_n(q, "#c", 20);
    for (int i = 0; i < 20; i++) assert_non_null(sendq_pop(q, 0));
    assert_null(sendq_pop(q, 0));
    assert_int_equal(sendq_wait_ms(q, 0), -1);
    sendq_free(q);
}

static void test_clock_going_back(void **state)
{
    (void)state;
    Sendq *q = sendq_new(2, 1000, 100);

    push_n(q, "#c", 5);
    assert_non_null(sendq_pop(q, 10000));
    assert_non_null(sendq_pop(q, 10000));
    assert_null(sendq_pop(q, 5000)); /* no tokens from the past */
    assert_null(sendq_pop(q, 10999));
    assert_non_null(sendq_pop(q, 11000));
    sendq_free(q);
}

/* --- fairness and priorities -------------------------------------------- */

static void test_round_robin(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 0, 400);
    const char *l;
    int b_seen = 0, b_last = -1;

    push_n(q, "#a", 50);
    push_n(q, "#b", 2);
    for (int i = 0; i < 52; i++) {
        l = sendq_pop(q, 0);
        assert_non_null(l);
        if (strncmp(l, "PRIVMSG #b", 10) == 0) {
            b_seen++;
            b_last = i;
        }
    }
    assert_int_equal(b_seen, 2);
    assert_true(b_last <= 3);
    assert_null(sendq_pop(q, 0));

    /* Three targets take turns, each in its own order. */
    push_n(q, "#x", 2);
    push_n(q, "#y", 2);
    push_n(q, "#z", 2);
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #x :0");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #y :0");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #z :0");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #x :1");
    /* A newcomer joins the end of the ring. */
    push_n(q, "#w", 1);
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #y :1");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #z :1");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #w :0");
    assert_null(sendq_pop(q, 0));
    sendq_free(q);
}

static void test_targets_case_insensitive(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 0, 32); /* 8 per target */
    SendqStats st;

    for (int i = 0; i < 4; i++) {
        assert_int_equal(sendq_push(q, SENDQ_NORMAL, "Nick[m]", "NOTICE x :a"),
                         STATUS_OK);
        assert_int_equal(sendq_push(q, SENDQ_NORMAL, "nick{M}", "NOTICE x :b"),
                         STATUS_OK);
    }
    sendq_stats(q, &st);
    assert_int_equal(st.targets, 1);
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "NICK[M]", "NOTICE x :c"),
                     STATUS_ERROR);
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "other", "NOTICE x :c"),
                     STATUS_OK);
    sendq_stats(q, &st);
    assert_int_equal(st.targets, 2);
    sendq_free(q);
}

static void test_urgent_first(void **state)
{
    (void)state;
    Sendq *q = sendq_new(2, 1000, 100);

    push_n(q, "#c", 3);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, "#c", "NICK Missive"),
                     STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "QUIT :bye"), STATUS_OK);
    assert_string_equal(sendq_pop(q, 0), "NICK Missive");
    assert_string_equal(sendq_pop(q, 0), "QUIT :bye");
    assert_null(sendq_pop(q, 0));
    /* Urgent lines are rate limited too, PONG excepted. */
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "NICK Other"),
                     STATUS_OK);
    assert_null(sendq_pop(q, 0));
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :irc.local"),
                     STATUS_OK);
    assert_string_equal(sendq_pop(q, 0), "PONG :irc.local");
    assert_null(sendq_pop(q, 0));
    /* The PONG spent nothing: one token after 1 s, for the urgent line. */
    assert_string_equal(sendq_pop(q, 1000), "NICK Other");
    assert_null(sendq_pop(q, 1000));
    assert_string_equal(sendq_pop(q, 2000), "PRIVMSG #c :0");
    sendq_free(q);
}

static void test_pong_bypasses_empty_bucket(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 60000, 100);
    SendqStats st;

    push_n(q, "#c", 1);
    assert_non_null(sendq_pop(q, 0));
    for (int i = 0; i < 100; i++) {
        assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :x"),
                         STATUS_OK);
        assert_string_equal(sendq_pop(q, (uint64_t)i), "PONG :x");
    }
    /* A PONG pushed as normal is an ordinary line. */
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "srv", "PONG :y"), STATUS_OK);
    assert_null(sendq_pop(q, 100));
    sendq_stats(q, &st);
    assert_int_equal(st.lines_sent, 101);
    sendq_free(q);
}

/* --- bounds ------------------------------------------------------------- */

static void test_drop_new_lines_when_full(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 0, 16); /* 8 per target */
    SendqStats st;
    char line[64];

    for (int i = 0; i < 10; i++) {
        snprintf(line, sizeof line, "PRIVMSG #a :%d", i);
        assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#a", line),
                         i < 8 ? STATUS_OK : STATUS_ERROR);
    }
    sendq_stats(q, &st);
    assert_int_equal(st.lines_dropped, 2);
    assert_int_equal(st.depth, 8);
    push_n(q, "#b", 8);
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#c", "PRIVMSG #c :x"),
                     STATUS_ERROR);
    /* Urgent lines are not subject to queue_max. */
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "QUIT :bye"), STATUS_OK);
    sendq_stats(q, &st);
    assert_int_equal(st.lines_dropped, 3);
    assert_int_equal(st.depth, 17);
    assert_int_equal(st.targets, 2);

    /* The beginning of #a's answer survived, in order. */
    assert_string_equal(sendq_pop(q, 0), "QUIT :bye");
    for (int i = 0; i < 8; i++) {
        snprintf(line, sizeof line, "PRIVMSG #a :%d", i);
        assert_string_equal(sendq_pop(q, 0), line);
        assert_non_null(sendq_pop(q, 0)); /* #b's turn */
    }
    assert_null(sendq_pop(q, 0));
    sendq_stats(q, &st);
    assert_int_equal(st.lines_sent, 17);
    assert_int_equal(st.depth, 0);
    assert_int_equal(st.targets, 0);
    sendq_free(q);
}

static void test_per_target_cap_scales(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 0, 200); /* 50 per target */
    char line[32];
    int ok = 0;

    for (int i = 0; i < 80; i++) {
        snprintf(line, sizeof line, "PRIVMSG #a :%d", i);
        if (sendq_push(q, SENDQ_NORMAL, "#a", line) == STATUS_OK)
            ok++;
    }
    assert_int_equal(ok, 50);
    sendq_free(q);
}

/* One user asking in private under many nicks (a new target per nick) must
 * not fill the queue: nicks together get half of it, channels keep the rest. */
static void test_private_targets_share_half(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 0, 200); /* 50 per target, 100 for all nicks */
    SendqStats st;
    char nick[16], line[64];
    int ok = 0;

    for (int n = 0; n < 20; n++) {
        snprintf(nick, sizeof nick, "mallory%d", n);
        for (int i = 0; i < 50; i++) {
            snprintf(line, sizeof line, "PRIVMSG %s :%d", nick, i);
            if (sendq_push(q, SENDQ_NORMAL, nick, line) == STATUS_OK)
                ok++;
        }
    }
    assert_int_equal(ok, 100);
    /* Channels still get their share, up to the whole queue. */
    push_n(q, "#a", 50);
    push_n(q, "#b", 50);
    sendq_stats(q, &st);
    assert_int_equal(st.depth, 200);
    assert_int_equal(st.lines_dropped, 20 * 50 - 100);

    /* Sending a private line frees room for one more private line. */
    for (int i = 0; i < 3; i++) {
        const char *l = sendq_pop(q, 0);
        assert_non_null(l);
        if (strncmp(l, "PRIVMSG mallory", 15) == 0)
            break;
    }
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "carol", "PRIVMSG carol :x"),
                     STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "dave", "PRIVMSG dave :x"),
                     STATUS_ERROR);
    /* And a line given back counts again. */
    sendq_clear(q);
    for (int i = 0; i < 100; i++) {
        snprintf(nick, sizeof nick, "n%d", i);
        assert_int_equal(sendq_push(q, SENDQ_NORMAL, nick, "PRIVMSG x :y"),
                         STATUS_OK);
    }
    assert_non_null(sendq_pop(q, 0));
    assert_int_equal(sendq_unpop(q), STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "late", "PRIVMSG late :y"),
                     STATUS_ERROR);
    sendq_free(q);
}

/* QUIT on shutdown with a full queue and an empty bucket: it goes at once,
 * ahead of everything, and nothing else is queued or sent after it. */
static void test_final_line_jumps_queue(void **state)
{
    (void)state;
    Sendq *q = sendq_new(DEF_BURST, DEF_INTERVAL, 16);
    SendqStats st;
    size_t dropped = 99;

    push_n(q, "#a", 8);
    push_n(q, "#b", 8);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "JOIN #c"), STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :x"), STATUS_OK);
    for (int i = 0; i < DEF_BURST; i++) assert_non_null(sendq_pop(q, 0));
    assert_null(sendq_pop(q, 0)); /* bucket empty */

    assert_int_equal(sendq_push_final(q, "QUIT :bye", &dropped), STATUS_OK);
    assert_int_equal(dropped, 18 - DEF_BURST);
    assert_int_equal(sendq_wait_ms(q, 0), 0);
    assert_string_equal(sendq_pop(q, 0), "QUIT :bye");
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#a", "PRIVMSG #a :late"),
                     STATUS_ERROR);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :y"),
                     STATUS_ERROR);
    assert_null(sendq_pop(q, 10 * DEF_INTERVAL));
    sendq_stats(q, &st);
    assert_int_equal(st.depth, 0);
    assert_int_equal(st.lines_dropped, 0); /* discarded on purpose */

    /* Given back (the library's buffer was full), it still goes first. */
    assert_int_equal(sendq_clear(q), 0);
    push_n(q, "#a", 3);
    assert_int_equal(sendq_push_final(q, "QUIT :again", NULL), STATUS_OK);
    assert_string_equal(sendq_pop(q, 0), "QUIT :again");
    assert_int_equal(sendq_unpop(q), STATUS_OK);
    assert_string_equal(sendq_pop(q, 0), "QUIT :again");
    assert_int_equal(sendq_push_final(q, "QUIT\r\n", NULL), STATUS_INVALID);
    /* A new connection takes lines again. */
    sendq_clear(q);
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#a", "PRIVMSG #a :x"),
                     STATUS_OK);
    sendq_free(q);
}

static void test_urgent_safety_cap(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 1000, 0);
    SendqStats st;

    for (int i = 0; i < SENDQ_URGENT_MAX; i++)
        assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "NICK a"),
                         STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "NICK a"), STATUS_ERROR);
    /* queue_max 0: no normal line at all. */
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#c", "PRIVMSG #c :x"),
                     STATUS_ERROR);
    sendq_stats(q, &st);
    assert_int_equal(st.lines_dropped, 2);
    assert_int_equal(st.depth, SENDQ_URGENT_MAX);
    sendq_free(q);
}

static void test_invalid_lines(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 0, 100);
    SendqStats st;
    char line[600];

    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#c", ""), STATUS_INVALID);
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#c", "PRIVMSG #c :a\r\nQUIT"),
                     STATUS_INVALID);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "QUIT\n"),
                     STATUS_INVALID);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "QUIT\r"),
                     STATUS_INVALID);
    memset(line, 'a', sizeof line);
    line[511] = '\0';
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#c", line), STATUS_INVALID);
    line[510] = '\0';
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#c", line), STATUS_OK);
    memset(line, 'a', sizeof line);
    line[511] = '\0';
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, line, "PRIVMSG x :y"),
                     STATUS_INVALID);
    sendq_stats(q, &st);
    assert_int_equal(st.lines_dropped, 0); /* bugs, not overflow */
    assert_int_equal(st.depth, 1);
    assert_int_equal(strlen(sendq_pop(q, 0)), 510);
    sendq_free(q);
}

/* --- lifecycle ---------------------------------------------------------- */

static void test_clear(void **state)
{
    (void)state;
    Sendq *q = sendq_new(2, 1000, 100);
    SendqStats st;

    push_n(q, "#a", 5);
    push_n(q, "#b", 5);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "NICK x"), STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :x"), STATUS_OK);
    assert_non_null(sendq_pop(q, 0));
    assert_non_null(sendq_pop(q, 0));
    assert_non_null(sendq_pop(q, 0));
    assert_null(sendq_pop(q, 0));
    assert_int_equal(sendq_clear(q), 9);
    sendq_stats(q, &st);
    assert_int_equal(st.depth, 0);
    assert_int_equal(st.targets, 0);
    assert_int_equal(st.lines_dropped, 0);
    assert_int_equal(sendq_wait_ms(q, 0), -1);
    assert_null(sendq_pop(q, 0));
    /* A new connection: the bucket is full again at once. */
    push_n(q, "#a", 3);
    assert_non_null(sendq_pop(q, 1));
    assert_non_null(sendq_pop(q, 1));
    assert_null(sendq_pop(q, 1));
    assert_int_equal(sendq_clear(q), 1);
    sendq_free(q);
}

static void test_borrowed_line_lives_until_next_pop(void **state)
{
    (void)state;
    Sendq *q = sendq_new(5, 0, 100);
    const char *a, *b;
    char copy[64];

    push_n(q, "#a", 2);
    a = sendq_pop(q, 0);
    snprintf(copy, sizeof copy, "%s", a); /* ASan: a still valid */
    assert_string_equal(copy, "PRIVMSG #a :0");
    assert_int_equal(sendq_push(q, SENDQ_NORMAL, "#a", "PRIVMSG #a :x"),
                     STATUS_OK);
    assert_string_equal(a, "PRIVMSG #a :0"); /* push keeps it */
    b = sendq_pop(q, 0);
    assert_string_equal(b, "PRIVMSG #a :1");
    sendq_free(q); /* frees the lent line */
}

static void test_unpop(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 1000, 100);
    SendqStats st;

    assert_int_equal(sendq_unpop(q), STATUS_NOTFOUND); /* nothing lent */
    push_n(q, "#a", 2);
    push_n(q, "#b", 1);
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #a :0");
    assert_null(sendq_pop(q, 0)); /* bucket empty */
    assert_string_equal(sendq_pop(q, 1000), "PRIVMSG #b :0");
    assert_int_equal(sendq_unpop(q), STATUS_OK);       /* #b was emptied */
    assert_int_equal(sendq_unpop(q), STATUS_NOTFOUND); /* only once */
    sendq_stats(q, &st);
    assert_int_equal(st.lines_sent, 1);
    assert_int_equal(st.depth, 2);
    assert_int_equal(st.targets, 2);
    /* Refunded: goes again at once, and first. */
    assert_string_equal(sendq_pop(q, 1000), "PRIVMSG #b :0");
    assert_null(sendq_pop(q, 1000));
    assert_string_equal(sendq_pop(q, 2000), "PRIVMSG #a :1");
    sendq_clear(q);

    /* Order in the ring is restored. */
    sendq_set_rate(q, 100, 0);
    push_n(q, "#a", 2);
    push_n(q, "#b", 2);
    push_n(q, "#c", 2);
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #a :0");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #b :0");
    assert_int_equal(sendq_unpop(q), STATUS_OK);
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #b :0");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #c :0");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #a :1");
    assert_int_equal(sendq_unpop(q), STATUS_OK); /* #a emptied */
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #a :1");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #b :1");
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #c :1");
    assert_int_equal(sendq_unpop(q), STATUS_OK); /* the only target */
    assert_string_equal(sendq_pop(q, 0), "PRIVMSG #c :1");
    assert_null(sendq_pop(q, 0));
    sendq_free(q);
}

static void test_unpop_urgent_and_pong(void **state)
{
    (void)state;
    Sendq *q = sendq_new(1, 1000, 100);

    push_n(q, "#a", 1);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "NICK a"), STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "NICK b"), STATUS_OK);
    assert_int_equal(sendq_push(q, SENDQ_URGENT, NULL, "PONG :1"), STATUS_OK);
    assert_string_equal(sendq_pop(q, 0), "PONG :1");
    assert_int_equal(sendq_unpop(q), STATUS_OK);
    assert_string_equal(sendq_pop(q, 0), "PONG :1");
    assert_string_equal(sendq_pop(q, 0), "NICK a");
    assert_null(sendq_pop(q, 0));
    assert_string_equal(sendq_pop(q, 1000), "NICK b");
    assert_int_equal(sendq_unpop(q), STATUS_OK);
    assert_string_equal(sendq_pop(q, 1000), "NICK b");
    assert_null(sendq_pop(q, 1000));
    assert_int_equal(sendq_wait_ms(q, 1000), 1000);
    sendq_free(q);
}

static void test_set_rate(void **state)
{
    (void)state;
    Sendq *q = sendq_new(4, 1000, 100);

    push_n(q, "#a", 20);
    assert_non_null(sendq_pop(q, 0));
    assert_non_null(sendq_pop(q, 0)); /* 2 tokens left */
    sendq_set_rate(q, 10, 100);
    assert_non_null(sendq_pop(q, 0));
    assert_non_null(sendq_pop(q, 0));
    assert_null(sendq_pop(q, 0)); /* tokens kept, not ms */
    assert_int_equal(sendq_wait_ms(q, 0), 100);
    assert_non_null(sendq_pop(q, 100));
    /* Shrinking caps what is held. */
    sendq_set_rate(q, 1, 100);
    assert_non_null(sendq_pop(q, 10000));
    assert_null(sendq_pop(q, 10000));
    /* From unlimited, start full. */
    sendq_set_rate(q, 1, 0);
    assert_non_null(sendq_pop(q, 10000));
    sendq_set_rate(q, 2, 1000);
    assert_non_null(sendq_pop(q, 10000));
    assert_non_null(sendq_pop(q, 10000));
    assert_null(sendq_pop(q, 10000));
    sendq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flood_default_rate_never_trips),
        cmocka_unit_test(test_flood_models_can_trip),
        cmocka_unit_test(test_flood_rfc1459_preset),
        cmocka_unit_test(test_flood_rfc1459_model_can_hold),
        cmocka_unit_test(test_burst_then_steady),
        cmocka_unit_test(test_wait_ms),
        cmocka_unit_test(test_join_cost_per_channel),
        cmocka_unit_test(test_cost_above_burst_still_goes),
        cmocka_unit_test(test_unlimited_rate),
        cmocka_unit_test(test_clock_going_back),
        cmocka_unit_test(test_round_robin),
        cmocka_unit_test(test_targets_case_insensitive),
        cmocka_unit_test(test_urgent_first),
        cmocka_unit_test(test_pong_bypasses_empty_bucket),
        cmocka_unit_test(test_drop_new_lines_when_full),
        cmocka_unit_test(test_per_target_cap_scales),
        cmocka_unit_test(test_private_targets_share_half),
        cmocka_unit_test(test_final_line_jumps_queue),
        cmocka_unit_test(test_urgent_safety_cap),
        cmocka_unit_test(test_invalid_lines),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_borrowed_line_lives_until_next_pop),
        cmocka_unit_test(test_unpop),
        cmocka_unit_test(test_unpop_urgent_and_pong),
        cmocka_unit_test(test_set_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
