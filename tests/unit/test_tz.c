/* test_tz.c - TZif zones against glibc (thousands of instants 1970..2040 and
 * every hour of years with and past the table), DST in both directions in
 * both hemispheres, gaps and overlaps resolved by tz_utc, 30- and 45-minute
 * offsets, the footer rule far in the future, UTC without a database, and
 * refused names and files.  Only this test sets TZ, to ask glibc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "testutil.h"
#include "testtz.h"
#include "tz.h"

static void assert_local(const Tz *tz, int64_t t, int y, int mo, int d, int h,
                         int mi, int32_t off, bool dst, const char *abbr)
{
    TzLocal lt;
    assert_int_equal(tz_local(tz, t, &lt), STATUS_OK);
    assert_int_equal(lt.civil.year, y);
    assert_int_equal(lt.civil.month, mo);
    assert_int_equal(lt.civil.day, d);
    assert_int_equal(lt.civil.hour, h);
    assert_int_equal(lt.civil.minute, mi);
    assert_int_equal(lt.utoff, off);
    assert_int_equal(lt.is_dst, dst);
    assert_string_equal(lt.abbr, abbr);
}

static void assert_utc(const Tz *tz, int y, int mo, int d, int h, int mi,
                       int64_t want, TzMatch want_match)
{
    TzCivil c = {y, mo, d, h, mi, 0};
    int64_t t = 0;
    TzMatch m = TZ_EXACT;
    assert_int_equal(tz_utc(tz, &c, &t, &m), STATUS_OK);
    assert_int_equal(t, want);
    assert_int_equal(m, want_match);
}

/* ---- glibc agrees --------------------------------------------------------- */

static const char *const zones[] = {
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Pacific/Apia",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/St_Johns",
    "Africa/Casablanca",
    "Europe/Dublin",
    "Asia/Tehran",
    "America/Santiago",
    "Etc/GMT+5",
    "UTC",
};

static unsigned compared;

static void compare_glibc(const Tz *tz, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    TzLocal lt;
    assert_non_null(localtime_r(&tt, &tm));
    assert_int_equal(tz_local(tz, t, &lt), STATUS_OK);
    if (lt.civil.year != tm.tm_year + 1900 || lt.civil.month != tm.tm_mon + 1 ||
        lt.civil.day != tm.tm_mday || lt.civil.hour != tm.tm_hour ||
        lt.civil.minute != tm.tm_min || lt.civil.second != tm.tm_sec ||
        lt.wday != tm.tm_wday || lt.utoff != tm.tm_gmtoff ||
        lt.is_dst != (tm.tm_isdst > 0) || strcmp(lt.abbr, tm.tm_zone) != 0)
        fail_msg("%s at %lld: ours %04d-%02d-%02d %02d:%02d:%02d %+d %d %s, "
                 "glibc %04d-%02d-%02d %02d:%02d:%02d %+ld %d %s",
                 tz_name(tz), (long long)t, lt.civil.year, lt.civil.month,
                 lt.civil.day, lt.civil.hour, lt.civil.minute, lt.civil.second,
                 (int)lt.utoff, lt.is_dst, lt.abbr, tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 tm.tm_gmtoff, tm.tm_isdst, tm.tm_zone);
    compared++;
}

/* tz_utc of tz_local(t) gives t back, or for a civil time that occurs twice
 * the earlier instant that shows it. */
static void roundtrip(const Tz *tz, int64_t t)
{
    TzLocal lt, back;
    int64_t u;
    TzMatch m;
    assert_int_equal(tz_local(tz, t, &lt), STATUS_OK);
    assert_int_equal(tz_utc(tz, &lt.civil, &u, &m), STATUS_OK);
    assert_int_not_equal(m, TZ_GAP);
    if (m == TZ_EXACT)
        assert_int_equal(u, t);
    else
        assert_true(u <= t);
    assert_int_equal(tz_local(tz, u, &back), STATUS_OK);
    assert_memory_equal(&back.civil, &lt.civil, sizeof lt.civil);
}

static void test_glibc_agrees(void **state)
{
    (void)state;
    const int64_t lo = 0, hi = testtz_utc(2040, 12, 31, 23, 59, 59);
    uint64_t seed = 88172645463325252u;
    compared = 0;
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        Tz *tz = testtz_load(zones[z]);
        assert_int_equal(setenv("TZ", zones[z], 1), 0);
        tzset();
        /* 3000 spread instants, 1970..2040. */
        for (int i = 0; i < 3000; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            int64_t t = lo + (int64_t)(seed % (uint64_t)(hi - lo));
            compare_glibc(tz, t);
            roundtrip(tz, t);
        }
        /* Every half hour, and the second before it, of a year inside the
         * table and of one governed by the footer's rule. */
        static const int years[] = {2024, 2039};
        for (int k = 0; k < 2; k++) {
            int64_t a = testtz_utc(years[k], 1, 1, 0, 0, 0);
            for (int64_t t = a; t < a + 366 * 86400; t += 1800) {
                compare_glibc(tz, t);
                compare_glibc(tz, t - 1);
            }
        }
        tz_free(tz);
    }
    unsetenv("TZ");
    tzset();
    assert_true(compared > 17 * 3000);
}

/* ---- DST in both directions ----------------------------------------------- */

static void test_london(void **state)
{
    (void)state;
    Tz *tz = testtz_load("Europe/London");
    /* Spring forward 2026-03-29 01:00 GMT -> 02:00 BST. */
    assert_local(tz, testtz_utc(2026, 3, 29, 0, 59, 59), 2026, 3, 29, 0, 59, 0,
                 false, "GMT");
    assert_local(tz, testtz_utc(2026, 3, 29, 1, 0, 0), 2026, 3, 29, 2, 0, 3600,
                 true, "BST");
    assert_utc(tz, 2026, 3, 29, 1, 30, testtz_utc(2026, 3, 29, 1, 0, 0),
               TZ_GAP);
    assert_utc(tz, 2026, 3, 29, 2, 0, testtz_utc(2026, 3, 29, 1, 0, 0),
               TZ_EXACT);
    assert_utc(tz, 2026, 3, 29, 0, 59, testtz_utc(2026, 3, 29, 0, 59, 0),
               TZ_EXACT);
    /* Fall back 2026-10-25 02:00 BST -> 01:00 GMT: 01:30 twice. */
    assert_utc(tz, 2026, 10, 25, 1, 30, testtz_utc(2026, 10, 25, 0, 30, 0),
               TZ_OVERLAP);
    assert_local(tz, testtz_utc(2026, 10, 25, 1, 30, 0), 2026, 10, 25, 1, 30, 0,
                 false, "GMT");
    assert_utc(tz, 2026, 10, 25, 2, 0, testtz_utc(2026, 10, 25, 2, 0, 0),
               TZ_EXACT);
    /* Far past the table: the footer's rule (last Sunday of March 2100 is
     * the 28th). */
    assert_local(tz, testtz_utc(2100, 3, 28, 0, 59, 59), 2100, 3, 28, 0, 59, 0,
                 false, "GMT");
    assert_local(tz, testtz_utc(2100, 3, 28, 1, 0, 0), 2100, 3, 28, 2, 0, 3600,
                 true, "BST");
    assert_utc(tz, 2100, 3, 28, 1, 15, testtz_utc(2100, 3, 28, 1, 0, 0),
               TZ_GAP);
    assert_utc(tz, 2100, 10, 31, 1, 15, testtz_utc(2100, 10, 31, 0, 15, 0),
               TZ_OVERLAP);
    tz_free(tz);
}

static void test_new_york(void **state)
{
    (void)state;
    Tz *tz = testtz_load("America/New_York");
    /* 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 gives 03:00 EDT. */
    assert_utc(tz, 2026, 3, 8, 2, 30, testtz_utc(2026, 3, 8, 7, 0, 0), TZ_GAP);
    assert_local(tz, testtz_utc(2026, 3, 8, 7, 0, 0), 2026, 3, 8, 3, 0,
                 -4 * 3600, true, "EDT");
    assert_local(tz, testtz_utc(2026, 3, 8, 6, 59, 59), 2026, 3, 8, 1, 59,
                 -5 * 3600, false, "EST");
    /* 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 EDT first. */
    assert_utc(tz, 2026, 11, 1, 1, 30, testtz_utc(2026, 11, 1, 5, 30, 0),
               TZ_OVERLAP);
    assert_utc(tz, 2026, 11, 1, 0, 59, testtz_utc(2026, 11, 1, 4, 59, 0),
               TZ_EXACT);
    assert_utc(tz, 2026, 11, 1, 2, 0, testtz_utc(2026, 11, 1, 7, 0, 0),
               TZ_EXACT);
    assert_local(tz, testtz_utc(2026, 11, 1, 6, 30, 0), 2026, 11, 1, 1, 30,
                 -5 * 3600, false, "EST");
    tz_free(tz);
}

static void test_sydney(void **state)
{
    (void)state;
    Tz *tz = testtz_load("Australia/Sydney");
    /* Southern hemisphere: DST ends 2026-04-05 03:00 AEDT -> 02:00 AEST. */
    assert_utc(tz, 2026, 4, 5, 2, 30, testtz_utc(2026, 4, 4, 15, 30, 0),
               TZ_OVERLAP);
    assert_local(tz, testtz_utc(2026, 4, 4, 16, 30, 0), 2026, 4, 5, 2, 30,
                 10 * 3600, false, "AEST");
    /* and starts 2026-10-04 02:00 AEST -> 03:00 AEDT. */
    assert_utc(tz, 2026, 10, 4, 2, 30, testtz_utc(2026, 10, 3, 16, 0, 0),
               TZ_GAP);
    assert_local(tz, testtz_utc(2026, 10, 3, 16, 0, 0), 2026, 10, 4, 3, 0,
                 11 * 3600, true, "AEDT");
    /* January is summer, July winter. */
    assert_local(tz, testtz_utc(2030, 1, 15, 0, 0, 0), 2030, 1, 15, 11, 0,
                 11 * 3600, true, "AEDT");
    assert_local(tz, testtz_utc(2030, 7, 15, 0, 0, 0), 2030, 7, 15, 10, 0,
                 10 * 3600, false, "AEST");
    tz_free(tz);
}

static void test_odd_offsets(void **state)
{
    (void)state;
    Tz *kol = testtz_load("Asia/Kolkata"), *ktm = testtz_load("Asia/Kathmandu");
    assert_local(kol, testtz_utc(2026, 6, 30, 18, 29, 0), 2026, 6, 30, 23, 59,
                 19800, false, "IST");
    assert_local(kol, testtz_utc(2026, 6, 30, 18, 30, 0), 2026, 7, 1, 0, 0,
                 19800, false, "IST");
    assert_utc(kol, 2026, 7, 1, 0, 0, testtz_utc(2026, 6, 30, 18, 30, 0),
               TZ_EXACT);
    assert_local(ktm, testtz_utc(2026, 6, 30, 18, 15, 0), 2026, 7, 1, 0, 0,
                 20700, false, "+0545");
    assert_utc(ktm, 2026, 7, 1, 23, 59, testtz_utc(2026, 7, 1, 18, 14, 0),
               TZ_EXACT);
    /* Kathmandu went from +05:30 to +05:45 at 1986-01-01 00:00: a 15-minute
     * gap. */
    assert_utc(ktm, 1986, 1, 1, 0, 10, testtz_utc(1985, 12, 31, 18, 30, 0),
               TZ_GAP);
    tz_free(kol);
    tz_free(ktm);
}

static void test_whole_day_skipped(void **state)
{
    (void)state;
    /* Samoa skipped 2011-12-30 entirely, going from -10 to +14. */
    Tz *tz = testtz_load("Pacific/Apia");
    assert_utc(tz, 2011, 12, 30, 9, 0, testtz_utc(2011, 12, 30, 10, 0, 0),
               TZ_GAP);
    assert_local(tz, testtz_utc(2011, 12, 30, 10, 0, 0), 2011, 12, 31, 0, 0,
                 14 * 3600, true, "+14");
    tz_free(tz);
}

/* ---- UTC, names, files ---------------------------------------------------- */

static void test_utc_without_files(void **state)
{
    (void)state;
    Error err = {0};
    Tz *tz = tz_load_dir("/nonexistent-zoneinfo", "UTC", &err);
    assert_non_null(tz);
    assert_local(tz, testtz_utc(2026, 12, 4, 17, 8, 0), 2026, 12, 4, 17, 8, 0,
                 false, "UTC");
    assert_utc(tz, 2026, 3, 29, 1, 30, testtz_utc(2026, 3, 29, 1, 30, 0),
               TZ_EXACT);
    assert_local(tz, -1, 1969, 12, 31, 23, 59, 0, false, "UTC");
    tz_free(tz);
    tz = tz_utc_zone();
    assert_string_equal(tz_name(tz), "UTC");
    tz_free(tz);
    assert_null(tz_load_dir("/nonexistent-zoneinfo", "Europe/London", &err));
    assert_string_equal(err.msg, "unknown time zone \"Europe/London\"");
}

static void test_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "/etc/passwd",
        "../etc/passwd",
        "Europe/../../x",
        "Europe//London",
        "Europe/",
        "-x",
        "Europe/Lon don",
        "Europe/London\n",
        "Europe/Lon.don",
        "Europe/L\xc3\xb6ndon",
        "~root",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Error err = {0};
        assert_false(tz_name_valid(bad[i]));
        assert_null(tz_load(bad[i], &err));
        assert_non_null(strstr(err.msg, "invalid time zone name"));
    }
    char longname[TZ_NAME_MAX + 8];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_false(tz_name_valid(longname));
    assert_false(tz_name_valid(NULL));
    assert_true(tz_name_valid("America/Argentina/Buenos_Aires"));
    assert_true(tz_name_valid("Etc/GMT-14"));

    /* Unknown, a directory: clear, and no path in the message. */
    static const char *const unknown[] = {"Nowhere/Zone", "Europe", "Mars"};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        Error err = {0};
        assert_null(tz_load(unknown[i], &err));
        assert_non_null(strstr(err.msg, unknown[i]));
        assert_null(strstr(err.msg, "/usr/share"));
        assert_null(strstr(err.msg, "zoneinfo"));
    }
}

static void write_file(const char *dir, const char *name, const void *data,
                       size_t len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_bad_files(void **state)
{
    (void)state;
    char dir[TESTUTIL_DIR_MAX];
    assert_int_equal(testutil_tmpdir("tz", dir, sizeof dir), 0);

    /* A real file under another directory loads; cut short it does not. */
    FILE *f = fopen("/usr/share/zoneinfo/Europe/London", "rb");
    assert_non_null(f);
    static unsigned char buf[65536];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(len > 100);
    write_file(dir, "Good", buf, len);
    for (size_t cut = 0; cut < len; cut += 1 + cut / 3) {
        write_file(dir, "Cut", buf, cut);
        Error err = {0};
        assert_null(tz_load_dir(dir, "Cut", &err));
        assert_non_null(strstr(err.msg, "time zone \"Cut\""));
    }
    write_file(dir, "Text", "not a zone\n", 11);
    write_file(dir, "Empty", "", 0);

    Error err = {0};
    Tz *tz = tz_load_dir(dir, "Good", &err);
    assert_non_null(tz);
    assert_local(tz, testtz_utc(2026, 7, 1, 12, 0, 0), 2026, 7, 1, 13, 0, 3600,
                 true, "BST");
    tz_free(tz);
    assert_null(tz_load_dir(dir, "Text", &err));
    assert_string_equal(err.msg, "time zone \"Text\": not a TZif file");
    assert_null(tz_load_dir(dir, "Empty", &err));
    assert_string_equal(err.msg, "time zone \"Empty\": not a zone file");
    assert_int_equal(testutil_rmtree(dir), 0);
}

/* A TZif v2 file with no transitions, only a footer: the POSIX TZ string
 * alone decides, and glibc, given the same string as TZ, must agree. */
static size_t footer_only(const char *posix, unsigned char *out, size_t cap)
{
    static const unsigned char block[] = {0, 0, 0, 0, 0, 0, 'U', 'T', 'C', 0};
    size_t n = 0;
    for (int part = 0; part < 2; part++) {
        memset(out + n, 0, 44);
        memcpy(out + n, "TZif2", 5);
        out[n + 20 + 4 * 4 + 3] = 1; /* typecnt */
        out[n + 20 + 5 * 4 + 3] = 4; /* charcnt */
        n += 44;
        memcpy(out + n, block, sizeof block);
        n += sizeof block;
    }
    int k = snprintf((char *)out + n, cap - n, "\n%s\n", posix);
    assert_true(k > 0 && (size_t)k < cap - n);
    return n + (size_t)k;
}

static void test_posix_footers(void **state)
{
    (void)state;
    static const char *const rules[] = {
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",
        "NZST-12NZDT,M9.5.0,M4.1.0/3",
        "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
        "IST-1GMT0,M10.5.0,M3.5.0/1",
        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
        "<+0330>-3:30<+0430>,J79/24,J263/24",
        "XYZ3:30ABC,59/1:30,300/23:59:59",
        "<-0230>2:30",
        "NST3:30NDT,M3.2.0/0:01,M11.1.0/0:01",
    };
    char dir[TESTUTIL_DIR_MAX];
    static unsigned char buf[512];
    assert_int_equal(testutil_tmpdir("tzposix", dir, sizeof dir), 0);
    uint64_t seed = 0x2545F4914F6CDD1Du;
    for (size_t r = 0; r < sizeof rules / sizeof *rules; r++) {
        write_file(dir, "Rule", buf, footer_only(rules[r], buf, sizeof buf));
        Error err = {0};
        Tz *tz = tz_load_dir(dir, "Rule", &err);
        if (tz == NULL)
            fail_msg("%s: %s", rules[r], err.msg);
        assert_int_equal(setenv("TZ", rules[r], 1), 0);
        tzset();
        for (int i = 0; i < 2000; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            int64_t t =
                (int64_t)(seed % (uint64_t)testtz_utc(2040, 1, 1, 0, 0, 0));
            compare_glibc(tz, t);
            roundtrip(tz, t);
        }
        int64_t a = testtz_utc(2031, 1, 1, 0, 0, 0);
        for (int64_t t = a; t < a + 366 * 86400; t += 900) {
            compare_glibc(tz, t);
            compare_glibc(tz, t - 1);
        }
        tz_free(tz);
    }
    unsetenv("TZ");
    tzset();
    /* DST all year (RFC 8536 3.3.1), which glibc gets wrong around New Year
     * because it takes the year from UTC. */
    write_file(dir, "Rule", buf,
               footer_only("EST5EDT,0/0,J365/25", buf, sizeof buf));
    Tz *tz = tz_load_dir(dir, "Rule", NULL);
    assert_non_null(tz);
    for (int64_t t = testtz_utc(2030, 12, 31, 0, 0, 0);
         t < testtz_utc(2031, 1, 2, 0, 0, 0); t += 60) {
        TzLocal lt;
        assert_int_equal(tz_local(tz, t, &lt), STATUS_OK);
        assert_true(lt.is_dst);
        assert_int_equal(lt.utoff, -4 * 3600);
    }
    tz_free(tz);
    /* Footers that are refused. */
    static const char *const bad[] = {
        "CET",
        "CET-1CEST,M3.5.0",
        "CET-1CEST,M13.5.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0",
        "CET-25",
        "<CET-1",
        "CET-1CEST,J0,J365",
        "CET-1CEST,M3.5.0/168,M10.5.0",
        "CET-1x",
    };
    for (size_t r = 0; r < sizeof bad / sizeof *bad; r++) {
        write_file(dir, "Bad", buf, footer_only(bad[r], buf, sizeof buf));
        Error err = {0};
        assert_null(tz_load_dir(dir, "Bad", &err));
        assert_string_equal(
            err.msg, "time zone \"Bad\": unsupported TZ string in TZif footer");
    }
    assert_int_equal(testutil_rmtree(dir), 0);
}

static void test_ranges(void **state)
{
    (void)state;
    Tz *tz = testtz_load("Europe/London");
    TzLocal lt;
    int64_t t;
    assert_int_equal(tz_local(tz, INT64_MAX, &lt), STATUS_INVALID);
    assert_int_equal(tz_local(tz, INT64_MIN, &lt), STATUS_INVALID);
    static const TzCivil bad[] = {
        {2026, 13, 1, 0, 0, 0}, {2026, 0, 1, 0, 0, 0},  {2026, 2, 29, 0, 0, 0},
        {2026, 4, 31, 0, 0, 0}, {2026, 1, 1, 24, 0, 0}, {2026, 1, 1, 0, 60, 0},
        {2026, 1, 1, 0, 0, 60}, {2026, 1, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(tz_utc(tz, &bad[i], &t, NULL), STATUS_INVALID);
    TzCivil leap = {2028, 2, 29, 12, 0, 0};
    assert_int_equal(tz_utc(tz, &leap, &t, NULL), STATUS_OK);
    assert_int_equal(t, testtz_utc(2028, 2, 29, 12, 0, 0));
    /* Before the first transition: local mean time. */
    assert_int_equal(tz_local(tz, testtz_utc(1800, 1, 1, 0, 0, 0), &lt),
                     STATUS_OK);
    assert_int_equal(lt.utoff, -75);
    tz_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glibc_agrees),
        cmocka_unit_test(test_london),
        cmocka_unit_test(test_new_york),
        cmocka_unit_test(test_sydney),
        cmocka_unit_test(test_odd_offsets),
        cmocka_unit_test(test_whole_day_skipped),
        cmocka_unit_test(test_utc_without_files),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_posix_footers),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
