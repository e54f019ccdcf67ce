/* test_base64.c - base64_encode against RFC 4648's test vectors and the
 * SASL PLAIN payload shape (NUL bytes inside). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const vec[][2] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
        {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        size_t n = base64_encode(vec[i][0], strlen(vec[i][0]), out, sizeof out);
        assert_string_equal(out, vec[i][1]);
        assert_int_equal(n, strlen(vec[i][1]));
    }
}

static void test_nul_bytes_and_high_bits(void **state)
{
    (void)state;
    /* "bot\0bot\0pa\xffss": SASL PLAIN's authzid NUL authcid NUL password. */
    static const unsigned char raw[] = "bot\0bot\0pa\xffss";
    char out[BASE64_SIZE(sizeof raw - 1)];
    size_t n = base64_encode(raw, sizeof raw - 1, out, sizeof out);
    assert_string_equal(out, "Ym90AGJvdABwYf9zcw==");
    assert_int_equal(n, 20);
}

static void test_too_small(void **state)
{
    (void)state;
    char out[16] = "xxxxxxx";
    assert_int_equal(base64_encode("foobar", 6, out, 8), 0);
    assert_string_equal(out, "");
    assert_int_equal(base64_encode("foobar", 6, out, 9), 8);
    assert_string_equal(out, "Zm9vYmFy");
    assert_int_equal(base64_encode("f", 1, out, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_nul_bytes_and_high_bits),
        cmocka_unit_test(test_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
