/* test_dates.c - date lines of the edition: every accepted form, every
 * rejection, ISO validation and display. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dates.h"

typedef struct {
    const char *line;
    const char *iso;
    enum date_kind kind;
} Accept;

static const Accept accepted[] = {
    {"July 18, 1941", "1941-07-18", DATE_WRITTEN},
    {"July 18 1941", "1941-07-18", DATE_WRITTEN},
    {"July 18,1941", "1941-07-18", DATE_WRITTEN},
    {"January 11th, 1943", "1943-01-11", DATE_WRITTEN},
    {"August 1st, 1941", "1941-08-01", DATE_WRITTEN},
    {"August 2nd, 1941", "1941-08-02", DATE_WRITTEN},
    {"August 3rd 1941", "1941-08-03", DATE_WRITTEN},
    {"August 22ND, 1941", "1941-08-22", DATE_WRITTEN},
    {"18 July 1941", "1941-07-18", DATE_WRITTEN},
    {"18th July, 1941", "1941-07-18", DATE_WRITTEN},
    {"1st September 1941", "1941-09-01", DATE_WRITTEN},
    {"Received on November 25, 1941", "1941-11-25", DATE_RECEIVED},
    {"Sent on July 18, 1941", "1941-07-18", DATE_SENT},
    /* Issue 10: copies also write "Sent July 18, 1941" and "Received:". */
    {"Sent July 18, 1941", "1941-07-18", DATE_SENT},
    {"Received: November 25, 1941", "1941-11-25", DATE_RECEIVED},
    {"October 19, 1943.\xe2\x80\x9d", "1943-10-19", DATE_WRITTEN},
    {"\"10 November 1944\"", "1944-11-10", DATE_WRITTEN},
    {"SENT ON july 18, 1941", "1941-07-18", DATE_SENT},
    {"received on 25 november 1941", "1941-11-25", DATE_RECEIVED},
    {"Received  on   Nov. 25, 1941", "1941-11-25", DATE_RECEIVED},
    {"JULY 18, 1941", "1941-07-18", DATE_WRITTEN},
    {"july 18, 1941", "1941-07-18", DATE_WRITTEN},
    {"Nov. 25, 1941", "1941-11-25", DATE_WRITTEN},
    {"Nov 25, 1941", "1941-11-25", DATE_WRITTEN},
    {"Sept. 3, 1941", "1941-09-03", DATE_WRITTEN},
    {"Sep. 3, 1941", "1941-09-03", DATE_WRITTEN},
    {"3 Sept. 1941", "1941-09-03", DATE_WRITTEN},
    {"Jan. 1, 1942", "1942-01-01", DATE_WRITTEN},
    {"Feb 28, 1941", "1941-02-28", DATE_WRITTEN},
    {"Mar. 31, 1941", "1941-03-31", DATE_WRITTEN},
    {"Apr 30, 1941", "1941-04-30", DATE_WRITTEN},
    {"May 9, 1945", "1945-05-09", DATE_WRITTEN},
    {"May. 9, 1945", "1945-05-09", DATE_WRITTEN},
    {"Jun. 22, 1941", "1941-06-22", DATE_WRITTEN},
    {"Jul 12, 1941", "1941-07-12", DATE_WRITTEN},
    {"Aug. 30, 1941", "1941-08-30", DATE_WRITTEN},
    {"Oct. 13, 1941", "1941-10-13", DATE_WRITTEN},
    {"Dec. 31, 1941", "1941-12-31", DATE_WRITTEN},
    {"  July 18, 1941  ", "1941-07-18", DATE_WRITTEN},
    {"\tJuly 18, 1941\r\n", "1941-07-18", DATE_WRITTEN},
    {"July 18, 1941.", "1941-07-18", DATE_WRITTEN},
    {"  July 18, 1941.  ", "1941-07-18", DATE_WRITTEN},
    {"Received on November 25, 1941.", "1941-11-25", DATE_RECEIVED},
    {"February 29, 1944", "1944-02-29", DATE_WRITTEN},
    {"February 29, 2000", "2000-02-29", DATE_WRITTEN},
    {"January 1, 1000", "1000-01-01", DATE_WRITTEN},
    {"December 31, 2999", "2999-12-31", DATE_WRITTEN},
    {"July 08, 1941", "1941-07-08", DATE_WRITTEN},
};

static const char *const rejected[] = {
    "",
    "   ",
    ".",
    "July",
    "July 18",
    "July 1941",
    "18 July",
    "1941",
    "July 18, 1941 we attacked",
    "We attacked on July 18, 1941",
    "July 18, 1941..",
    "July 18, 1941,",
    "July 18, 1941 .x",
    "February 30, 1941",
    "February 29, 1941",
    "February 29, 1900",
    "April 31, 1941",
    "June 31, 1941",
    "September 31, 1941",
    "November 31, 1941",
    "July 0, 1941",
    "July 32, 1941",
    "July 00, 1941",
    "July 118, 1941",
    "July 18, 999",
    "July 18, 0999",
    "July 18, 3000",
    "July 18, 19410",
    "July 18, 41",
    "Juli 18, 1941",
    "Ju 18, 1941",
    "Jul.18, 1941",
    "Julyy 18, 1941",
    "Septem 3, 1941",
    "July18, 1941",
    "July 18th1941",
    "18July 1941",
    "July 18x, 1941",
    "July 18thx, 1941",
    "July -18, 1941",
    "July 18, -1941",
    "July 18,, 1941",
    "Sent on",
    "Sent on July 18, 1941 and more",
    "Received at November 25, 1941",
    "Sent on Received on July 18, 1941",
    "Written on July 18, 1941",
    "Sent onJuly 18, 1941",
    "Sentence July 18, 1941",
    "18 July, 1941 London",
    "Moscow, July 18, 1941",
    "July 18, 1941\x01",
    "July 18, 1941 \xe2\x80\x94",
    "13 Smarch 1941",
};

static void test_parse_accepts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
        Date d;
        memset(&d, 0x55, sizeof d);
        if (!dates_parse_line(accepted[i].line, &d))
            fail_msg("rejected: \"%s\"", accepted[i].line);
        assert_string_equal(d.iso, accepted[i].iso);
        assert_int_equal(d.kind, accepted[i].kind);
    }
}

static void test_parse_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rejected / sizeof *rejected; i++) {
        Date d = {"untouched", DATE_SENT};
        if (dates_parse_line(rejected[i], &d))
            fail_msg("accepted: \"%s\" as %s", rejected[i], d.iso);
    }
    assert_false(dates_parse_line(NULL, NULL));
}

static void test_parse_null_out(void **state)
{
    (void)state;
    assert_true(dates_parse_line("July 18, 1941", NULL));
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(dates_kind_name(DATE_WRITTEN), "written");
    assert_string_equal(dates_kind_name(DATE_SENT), "sent");
    assert_string_equal(dates_kind_name(DATE_RECEIVED), "received");
    assert_null(dates_kind_name(DATE_NONE));
    assert_null(dates_kind_name((enum date_kind)42));

    assert_int_equal(dates_kind_parse("written"), DATE_WRITTEN);
    assert_int_equal(dates_kind_parse("sent"), DATE_SENT);
    assert_int_equal(dates_kind_parse("received"), DATE_RECEIVED);
    assert_int_equal(dates_kind_parse("Sent"), DATE_NONE);
    assert_int_equal(dates_kind_parse(""), DATE_NONE);
    assert_int_equal(dates_kind_parse("none"), DATE_NONE);
    assert_int_equal(dates_kind_parse(NULL), DATE_NONE);
}

static void test_iso_valid(void **state)
{
    (void)state;
    assert_true(dates_iso_valid("1941-07-18"));
    assert_true(dates_iso_valid("1944-02-29"));
    assert_true(dates_iso_valid("2000-02-29"));
    assert_true(dates_iso_valid("1000-01-01"));
    assert_true(dates_iso_valid("2999-12-31"));

    assert_false(dates_iso_valid(NULL));
    assert_false(dates_iso_valid(""));
    assert_false(dates_iso_valid("1941-7-18"));
    assert_false(dates_iso_valid("1941-07-18 "));
    assert_false(dates_iso_valid("1941/07/18"));
    assert_false(dates_iso_valid("1941-07-1x"));
    assert_false(dates_iso_valid("1941-13-01"));
    assert_false(dates_iso_valid("1941-00-01"));
    assert_false(dates_iso_valid("1941-07-00"));
    assert_false(dates_iso_valid("1941-07-32"));
    assert_false(dates_iso_valid("1941-02-29"));
    assert_false(dates_iso_valid("1900-02-29"));
    assert_false(dates_iso_valid("1941-04-31"));
    assert_false(dates_iso_valid("0999-12-31"));
    assert_false(dates_iso_valid("3000-01-01"));
    assert_false(dates_iso_valid("+941-07-18"));
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(dates_format("1941-07-18", DATE_WRITTEN, buf, sizeof buf),
                     12);
    assert_string_equal(buf, "18 July 1941");
    dates_format("1941-07-18", DATE_NONE, buf, sizeof buf);
    assert_string_equal(buf, "18 July 1941");
    dates_format("1941-07-18", DATE_SENT, buf, sizeof buf);
    assert_string_equal(buf, "sent 18 July 1941");
    dates_format("1941-11-25", DATE_RECEIVED, buf, sizeof buf);
    assert_string_equal(buf, "received 25 November 1941");
    dates_format("1941-09-03", DATE_WRITTEN, buf, sizeof buf);
    assert_string_equal(buf, "3 September 1941");
    dates_format("1943-01-11", DATE_WRITTEN, buf, sizeof buf);
    assert_string_equal(buf, "11 January 1943");

    dates_format(NULL, DATE_WRITTEN, buf, sizeof buf);
    assert_string_equal(buf, "undated");
    dates_format("", DATE_RECEIVED, buf, sizeof buf);
    assert_string_equal(buf, "undated");
    dates_format("1941-02-30", DATE_WRITTEN, buf, sizeof buf);
    assert_string_equal(buf, "undated");
}

static void test_format_truncates(void **state)
{
    (void)state;
    char buf[8];
    int n = dates_format("1941-11-25", DATE_RECEIVED, buf, sizeof buf);
    assert_int_equal(n, (int)strlen("received 25 November 1941"));
    assert_string_equal(buf, "receive");
    assert_int_equal(dates_format("1941-11-25", DATE_WRITTEN, NULL, 0), 16);
}

/* Every date line the parser accepts displays as the same date. */
static void test_round_trip(void **state)
{
    (void)state;
    Date d;
    char buf[64];
    assert_true(dates_parse_line("Received on Sept. 3rd, 1941.", &d));
    dates_format(d.iso, d.kind, buf, sizeof buf);
    assert_string_equal(buf, "received 3 September 1941");
    assert_string_equal(dates_kind_name(d.kind), "received");
    assert_int_equal(dates_kind_parse(dates_kind_name(d.kind)), d.kind);
}

/* Issue 10: a date leading a heading ("Aug. 4, 1944 message from ..."). */
static void test_parse_prefix(void **state)
{
    (void)state;
    Date d;
    const char *a = "Aug. 4, 1944 message from Stalin";
    assert_int_equal(dates_parse_prefix(a, strlen(a), &d), 13);
    assert_string_equal(d.iso, "1944-08-04");
    const char *b = "Aug. 4, 1944, message";
    assert_int_equal(dates_parse_prefix(b, strlen(b), &d), 14);
    const char *c = "10 November 1944";
    assert_int_equal(dates_parse_prefix(c, strlen(c), &d), strlen(c));
    assert_string_equal(d.iso, "1944-11-10");
    const char *e = "Message from Stalin";
    assert_int_equal(dates_parse_prefix(e, strlen(e), &d), 0);
    const char *f = "Aug. 4, 19445 x";
    assert_int_equal(dates_parse_prefix(f, strlen(f), &d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_null_out),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_iso_valid),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_truncates),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_parse_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
