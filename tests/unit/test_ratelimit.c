/* test_ratelimit.c - per-key buckets: burst, refill, one notice then
 * silence, key independence and folding, bounded memory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

static void test_burst_then_deny(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(3, 2000, 0);

    assert_non_null(rl);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_check(rl, "alice", 1000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "alice", 1000), RATE_DENY_NOTIFY);
    for (int i = 0; i < 20; i++)
        assert_int_equal(ratelimit_check(rl, "alice", 1000 + (uint64_t)i),
                         RATE_DENY_SILENT);
    ratelimit_free(rl);
}

static void test_refill(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(2, 1000, 0);

    assert_int_equal(ratelimit_check(rl, "bob", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "bob", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "bob", 999), RATE_DENY_NOTIFY);
    /* Continuous refill: one token after interval_ms since the bucket
     * emptied (the denied attempts cost nothing). */
    assert_int_equal(ratelimit_check(rl, "bob", 1000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "bob", 1000), RATE_DENY_SILENT);
    assert_int_equal(ratelimit_check(rl, "bob", 1500), RATE_DENY_SILENT);
    assert_int_equal(ratelimit_check(rl, "bob", 2000), RATE_ALLOW);
    /* Steady at the allowed rate: never denied. */
    for (uint64_t t = 3000; t < 60000; t += 1000)
        assert_int_equal(ratelimit_check(rl, "bob", t), RATE_ALLOW);
    ratelimit_free(rl);
}

static void test_notify_again_only_after_full_refill(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(2, 1000, 0);

    assert_int_equal(ratelimit_check(rl, "c", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "c", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "c", 0), RATE_DENY_NOTIFY);
    /* One token back is not a full refill: still silent afterwards. */
    assert_int_equal(ratelimit_check(rl, "c", 1000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "c", 1000), RATE_DENY_SILENT);
    /* Quiet for burst * interval: the slate is clean. */
    assert_int_equal(ratelimit_check(rl, "c", 3000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "c", 3000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "c", 3000), RATE_DENY_NOTIFY);
    assert_int_equal(ratelimit_check(rl, "c", 3000), RATE_DENY_SILENT);
    ratelimit_free(rl);
}

static void test_keys_independent(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(1, 10000, 0);

    assert_int_equal(ratelimit_check(rl, "alice", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "alice", 0), RATE_DENY_NOTIFY);
    assert_int_equal(ratelimit_check(rl, "bob", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "#chan", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "#chan2", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "bob", 0), RATE_DENY_NOTIFY);
    assert_int_equal(ratelimit_check(rl, "alice", 0), RATE_DENY_SILENT);
    assert_int_equal(ratelimit_count(rl), 4);
    ratelimit_free(rl);
}

static void test_case_insensitive(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(2, 10000, 0);

    assert_int_equal(ratelimit_check(rl, "Nick[away]", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "nick{AWAY}", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "NICK[Away]", 0), RATE_DENY_NOTIFY);
    assert_int_equal(ratelimit_check(rl, "#Chan^", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "#chan~", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "#CHAN^", 0), RATE_DENY_NOTIFY);
    assert_int_equal(ratelimit_count(rl), 2);
    ratelimit_free(rl);
}

static void test_long_keys_share_prefix(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(1, 10000, 0);
    char a[200], b[200];

    memset(a, 'x', sizeof a);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[150] = 'y';
    assert_int_equal(ratelimit_check(rl, a, 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, b, 0), RATE_DENY_NOTIFY);
    b[RATELIMIT_KEY_MAX - 1] = 'y';
    assert_int_equal(ratelimit_check(rl, b, 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "", 0), RATE_ALLOW);
    ratelimit_free(rl);
}

static void test_cap_under_many_keys(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(3, 60000, 1024);
    char key[32];
    int denied = 0;

    /* An attacker cycles 100k nicks at one instant while alice keeps asking:
     * the table never grows past its cap, and alice stays limited. */
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "spam%d", i);
        assert_int_equal(ratelimit_check(rl, key, 5000), RATE_ALLOW);
        assert_true(ratelimit_count(rl) <= 1024);
        if (i % 10 == 0) {
            enum rate_verdict v = ratelimit_check(rl, "alice", 5000);
            if (i < 30)
                assert_int_equal(v, RATE_ALLOW);
            else if (i == 30)
                assert_int_equal(v, RATE_DENY_NOTIFY);
            else
                assert_int_equal(v, RATE_DENY_SILENT);
            if (v != RATE_ALLOW)
                denied++;
        }
    }
    assert_int_equal(ratelimit_count(rl), 1024);
    assert_int_equal(denied, 10000 - 3);
    /* The most recent spam keys are still tracked (LRU keeps them). */
    assert_int_equal(ratelimit_check(rl, "spam99999", 5000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "spam99999", 5000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "spam99999", 5000), RATE_DENY_NOTIFY);
    ratelimit_free(rl);
}

static void test_idle_full_buckets_recycled(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(2, 1000, 100);
    char key[32];

    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "u%d", i);
        assert_int_equal(ratelimit_check(rl, key, 0), RATE_ALLOW);
    }
    assert_int_equal(ratelimit_count(rl), 100);
    /* A limited user among them. */
    assert_int_equal(ratelimit_check(rl, "u50", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "u50", 0), RATE_DENY_NOTIFY);
    /* Much later every bucket has refilled: new keys recycle old ones one
     * by one instead of growing the table, and none is wrongly limited. */
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "v%d", i);
        assert_int_equal(ratelimit_check(rl, key, 100000 + (uint64_t)i * 600),
                         RATE_ALLOW);
        assert_true(ratelimit_count(rl) <= 100);
    }
    /* Refilled buckets left, a sparse stream keeps the table small. */
    assert_true(ratelimit_count(rl) < 10);
    ratelimit_free(rl);
}

static void test_eviction_prefers_refilled(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(2, 10000, 4);

    /* "lim" is the least recently used and still limited at t=15000; a, b
     * and c have refilled by then (1 token spent at 1000, 2000, 3000). */
    assert_int_equal(ratelimit_check(rl, "lim", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "lim", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "lim", 0), RATE_DENY_NOTIFY);
    assert_int_equal(ratelimit_check(rl, "a", 1000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "b", 2000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "c", 3000), RATE_ALLOW);
    assert_int_equal(ratelimit_count(rl), 4);
    assert_int_equal(ratelimit_check(rl, "d", 15000), RATE_ALLOW);
    assert_true(ratelimit_count(rl) <= 4);
    /* lim kept its state: 1.5 tokens, and its notice was already sent.  A
     * recreated bucket would have allowed twice. */
    assert_int_equal(ratelimit_check(rl, "lim", 15000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "lim", 15000), RATE_DENY_SILENT);
    ratelimit_free(rl);
}

static void test_lru_eviction_when_nothing_refilled(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(1, 10000, 2);

    assert_int_equal(ratelimit_check(rl, "a", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "b", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "a", 0), RATE_DENY_NOTIFY); /* a MRU */
    assert_int_equal(ratelimit_check(rl, "c", 0), RATE_ALLOW); /* evicts b */
    assert_int_equal(ratelimit_count(rl), 2);
    assert_int_equal(ratelimit_check(rl, "a", 0), RATE_DENY_SILENT);
    assert_int_equal(ratelimit_check(rl, "c", 0), RATE_DENY_NOTIFY);
    ratelimit_free(rl);
}

static void test_user_key(void **state)
{
    (void)state;
    assert_string_equal(ratelimit_user_key("alice!al@host.example"),
                        "al@host.example");
    assert_string_equal(ratelimit_user_key("alice!~al@2001:db8::1"),
                        "~al@2001:db8::1");
    /* No user@host to go by: the whole origin. */
    assert_string_equal(ratelimit_user_key("irc.example.net"),
                        "irc.example.net");
    assert_string_equal(ratelimit_user_key("odd!"), "odd!");
    assert_string_equal(ratelimit_user_key(""), "");
}

/* The fault: a user who changed nick got a fresh allowance.  Keyed by
 * user@host, every nick of one connection spends the same bucket, and
 * another user on the same host with another ident does not. */
static void test_nick_change_is_same_user(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(3, 10000, 0);
    char origin[64];

    for (int i = 0; i < 3; i++) {
        snprintf(origin, sizeof origin, "mallory%d!m@evil.example", i);
        assert_int_equal(ratelimit_check(rl, ratelimit_user_key(origin), 0),
                         RATE_ALLOW);
    }
    for (int i = 3; i < 20; i++) {
        snprintf(origin, sizeof origin, "mallory%d!m@evil.example", i);
        assert_int_not_equal(
            ratelimit_check(rl, ratelimit_user_key(origin), 100), RATE_ALLOW);
    }
    assert_int_equal(
        ratelimit_check(rl, ratelimit_user_key("alice!a@evil.example"), 100),
        RATE_ALLOW);
    assert_int_equal(
        ratelimit_check(rl, ratelimit_user_key("bob!b@good.example"), 100),
        RATE_ALLOW);
    /* A host as long as servers allow (63) after a 10-byte ident is told
     * apart by its last character. */
    char a[128], b[128];
    snprintf(
        a, sizeof a, "n!~abcdefghi@%.62sx",
        "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh");
    snprintf(
        b, sizeof b, "n!~abcdefghi@%.62sy",
        "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh");
    assert_int_equal(ratelimit_check(rl, ratelimit_user_key(a), 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, ratelimit_user_key(a), 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, ratelimit_user_key(a), 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, ratelimit_user_key(b), 0), RATE_ALLOW);
    ratelimit_free(rl);
}

static void test_set(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(4, 1000, 0);

    assert_int_equal(ratelimit_check(rl, "x", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "x", 0), RATE_ALLOW); /* 2 left */
    ratelimit_set(rl, 10, 60000);
    assert_int_equal(ratelimit_check(rl, "x", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "x", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "x", 0), RATE_DENY_NOTIFY);
    assert_int_equal(ratelimit_check(rl, "x", 59999), RATE_DENY_SILENT);
    assert_int_equal(ratelimit_check(rl, "x", 60000), RATE_ALLOW);
    /* New keys get the new burst. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(ratelimit_check(rl, "y", 0), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "y", 0), RATE_DENY_NOTIFY);
    /* interval 0: everything goes. */
    ratelimit_set(rl, 1, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(ratelimit_check(rl, "y", 0), RATE_ALLOW);
    ratelimit_free(rl);
}

static void test_clock_going_back(void **state)
{
    (void)state;
    RateLimit *rl = ratelimit_new(1, 1000, 0);

    assert_int_equal(ratelimit_check(rl, "z", 10000), RATE_ALLOW);
    assert_int_equal(ratelimit_check(rl, "z", 0), RATE_DENY_NOTIFY);
    assert_int_equal(ratelimit_check(rl, "z", 10999), RATE_DENY_SILENT);
    assert_int_equal(ratelimit_check(rl, "z", 11000), RATE_ALLOW);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_deny),
        cmocka_unit_test(test_refill),
        cmocka_unit_test(test_notify_again_only_after_full_refill),
        cmocka_unit_test(test_keys_independent),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_long_keys_share_prefix),
        cmocka_unit_test(test_cap_under_many_keys),
        cmocka_unit_test(test_idle_full_buckets_recycled),
        cmocka_unit_test(test_eviction_prefers_refilled),
        cmocka_unit_test(test_lru_eviction_when_nothing_refilled),
        cmocka_unit_test(test_user_key),
        cmocka_unit_test(test_nick_change_is_same_user),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_clock_going_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
