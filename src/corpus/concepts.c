/* concepts.c - what !reply reads precomputed (see concepts.h).
 *
 * Per message, reply.c needs N and the mean passage length (bm25's idf and
 * length norm), of all passages or of one sender's.  Counting them per
 * message is a scan of every passage; the import that changes them is rare,
 * so they are counted once there.  The rows follow the shown text (with
 * errata), which is what the FTS index and reply.c see.
 */
#include "concepts.h"

Status concepts_refresh(sqlite3 *db, Error *err)
{
    static const char sql[] =
        "DELETE FROM passage_stats;"
        "INSERT INTO passage_stats(sender, n, total_len)"
        "  SELECT '', count(*), coalesce(sum(length(shown)), 0) FROM passages;"
        "INSERT INTO passage_stats(sender, n, total_len)"
        "  SELECT l.sender, count(*), sum(length(p.shown)) FROM passages p"
        "  JOIN letters l ON l.id = p.letter_id GROUP BY l.sender;";
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        error_set(err, STATUS_ERROR, "passage statistics: %s",
                  msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return STATUS_ERROR;
    }
    return STATUS_OK;
}
