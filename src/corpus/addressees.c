/* addressees.c - letters with more than one addressee (see addressees.h).
 *
 * The set is a sorted array of letter ids, searched by bisection: the
 * edition has a handful, the generated million none.  While it is unknown
 * (not read yet, or its read failed) every letter is asked about, as
 * before the set.
 */
#include "addressees.h"

#include <stdint.h>
#include <stdlib.h>

#include "array.h"

struct Addressees {
    sqlite3 *db;
    sqlite3_stmt *many;
    sqlite3_int64 *ids; /* ascending */
    size_t n, cap;
    bool known;
};

static bool addressees_has(const Addressees *a, sqlite3_int64 letter)
{
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->ids[mid] < letter)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < a->n && a->ids[lo] == letter;
}

bool addressees_many(const Addressees *a, sqlite3_int64 letter)
{
    return addressees_has(a, letter);
}

/* missive_addressees(set, letter_id): the set comes bound as a pointer, so
 * no SQL text can name one. */
static void addressees_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const Addressees *a = sqlite3_value_pointer(argv[0], ADDRESSEES_POINTER);
    sqlite3_result_int(ctx,
                       !a || addressees_has(a, sqlite3_value_int64(argv[1])));
}

Addressees *addressees_new(sqlite3 *db, Error *err)
{
    Addressees *a = calloc(1, sizeof *a);
    if (!a) {
        error_set(err, STATUS_ERROR, "addressees: out of memory");
        return NULL;
    }
    a->db = db;
    /* pos counts from 1: a letter with a second row has several. */
    if (sqlite3_prepare_v3(db,
                           "SELECT DISTINCT letter_id FROM letter_recipients"
                           " WHERE pos > 1 ORDER BY letter_id",
                           -1, SQLITE_PREPARE_PERSISTENT, &a->many,
                           NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(
            db, "missive_addressees", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
            addressees_sql, NULL, NULL, NULL) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "addressees: %s", sqlite3_errmsg(db));
        addressees_free(a);
        return NULL;
    }
    return a;
}

void addressees_free(Addressees *a)
{
    if (!a)
        return;
    sqlite3_finalize(a->many);
    free(a->ids);
    free(a);
}

Status addressees_read(Addressees *a, Error *err)
{
    int rc;
    a->known = false;
    a->n = 0;
    while ((rc = sqlite3_step(a->many)) == SQLITE_ROW) {
        if (array_grow(&a->ids, &a->cap, a->n + 1, sizeof *a->ids) !=
            STATUS_OK) {
            sqlite3_reset(a->many);
            return error_set(err, STATUS_ERROR, "addressees: out of memory");
        }
        a->ids[a->n++] = sqlite3_column_int64(a->many, 0);
    }
    sqlite3_reset(a->many);
    if (rc != SQLITE_DONE)
        return error_set(err, STATUS_ERROR, "addressees: %s",
                         sqlite3_errmsg(a->db));
    a->known = true;
    return STATUS_OK;
}

const Addressees *addressees_known(const Addressees *a)
{
    return a->known ? a : NULL;
}
