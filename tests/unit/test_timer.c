/* test_timer.c - the event loop's timers under an injected clock: order by
 * due time, one-shot and repeating, re-arming and cancelling (also from a
 * callback), and a callback that re-arms itself for "now" runs once per
 * timer_run, so it cannot hold the loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "timer.h"

typedef struct {
    Timers *t;
    char log[64];
    size_t n;
    TimerId cancel; /* cancelled by 'c' when it runs */
    bool rearm_now; /* 'r' re-arms itself for now */
} Log;

typedef struct {
    Log *log;
    char name;
} Tag;

static void on_timer(void *ud, TimerId id, uint64_t now)
{
    Tag *tag = ud;
    Log *l = tag->log;
    if (l->n + 1 < sizeof l->log)
        l->log[l->n++] = tag->name;
    if (tag->name == 'c' && l->cancel)
        timer_cancel(l->t, l->cancel);
    if (tag->name == 'r' && l->rearm_now)
        timer_rearm(l->t, id, now);
}

static void test_order_and_wait(void **state)
{
    (void)state;
    Log l = {.t = timer_new()};
    Tag a = {&l, 'a'}, b = {&l, 'b'}, c = {&l, 'c'};
    assert_non_null(l.t);
    assert_int_equal(timer_wait_ms(l.t, 0), -1);
    assert_true(timer_add(l.t, 300, 0, on_timer, &c));
    assert_true(timer_add(l.t, 100, 0, on_timer, &a));
    assert_true(timer_add(l.t, 200, 0, on_timer, &b));
    assert_int_equal(timer_wait_ms(l.t, 40), 60);
    assert_int_equal(timer_run(l.t, 99), 0);
    assert_int_equal(timer_run(l.t, 250), 2);
    assert_string_equal(l.log, "ab");
    assert_int_equal(timer_wait_ms(l.t, 250), 50);
    assert_int_equal(timer_wait_ms(l.t, 400), 0);
    assert_int_equal(timer_run(l.t, 400), 1);
    assert_string_equal(l.log, "abc");
    assert_int_equal(timer_count(l.t), 0);
    assert_int_equal(timer_wait_ms(l.t, 400), -1);
    timer_free(l.t);
}

static void test_repeating(void **state)
{
    (void)state;
    Log l = {.t = timer_new()};
    Tag a = {&l, 'a'}, b = {&l, 'b'};
    TimerId ra = timer_add(l.t, 1000, 1000, on_timer, &a);
    assert_true(timer_add(l.t, 1500, 0, on_timer, &b));
    for (uint64_t now = 0; now <= 3000; now += 250) timer_run(l.t, now);
    assert_string_equal(l.log, "abaa");
    /* A loop that stalled for 10 s runs it once, then a period later. */
    assert_int_equal(timer_run(l.t, 13000), 1);
    assert_int_equal(timer_wait_ms(l.t, 13000), 1000);
    assert_int_equal(timer_cancel(l.t, ra), STATUS_OK);
    assert_int_equal(timer_cancel(l.t, ra), STATUS_NOTFOUND);
    assert_int_equal(timer_count(l.t), 0);
    timer_free(l.t);
}

static void test_rearm_and_cancel(void **state)
{
    (void)state;
    Log l = {.t = timer_new()};
    Tag a = {&l, 'a'}, b = {&l, 'b'}, c = {&l, 'c'};
    TimerId ia = timer_add(l.t, 100, 0, on_timer, &a);
    TimerId ib = timer_add(l.t, 200, 0, on_timer, &b);
    assert_true(timer_add(l.t, 50, 0, on_timer, &c));
    assert_int_equal(timer_rearm(l.t, ia, 500), STATUS_OK);
    l.cancel = ib; /* c, due first, cancels b, also due */
    assert_int_equal(timer_run(l.t, 300), 1);
    assert_string_equal(l.log, "c");
    assert_int_equal(timer_run(l.t, 499), 0);
    assert_int_equal(timer_run(l.t, 500), 1);
    assert_string_equal(l.log, "ca");
    assert_int_equal(timer_rearm(l.t, ia, 900), STATUS_NOTFOUND);
    timer_free(l.t);
}

static void test_rearm_now_from_callback(void **state)
{
    (void)state;
    Log l = {.t = timer_new(), .rearm_now = true};
    Tag r = {&l, 'r'};
    assert_true(timer_add(l.t, 10, 1000, on_timer, &r));
    assert_int_equal(timer_run(l.t, 10), 1);
    assert_int_equal(timer_run(l.t, 10), 1);
    assert_string_equal(l.log, "rr");
    assert_int_equal(timer_wait_ms(l.t, 10), 0);
    timer_free(l.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_wait),
        cmocka_unit_test(test_repeating),
        cmocka_unit_test(test_rearm_and_cancel),
        cmocka_unit_test(test_rearm_now_from_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
