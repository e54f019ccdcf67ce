/* fuzz_parse.c - parser_parse_opts() on arbitrary bytes, with the shipped
 * aliases.
 *
 * Whatever the file, the parser returns 0 with letters whose every string is
 * valid UTF-8 and whose paragraphs are non-empty, or -1 with a message; it
 * never crashes or leaks (LeakSanitizer checks every run).  The first byte
 * picks the options (keep-going, one paragraph per line, a --from sender),
 * so every seed is read in every mode; the rest is the file.  The index text
 * of every passage is computed too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "people.h"
#include "utf8.h"

static People *people;
static Parser *parser; /* lives as long as the fuzzer */

static void check_text(const char *s)
{
    if (s != NULL && !utf8_valid(s, strlen(s), NULL))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    Error err = {0};
    people = people_load(DATADIR "/aliases.txt", &err);
    if (people == NULL || (parser = parser_new(people, &err)) == NULL) {
        fprintf(stderr, "fuzz_parse: %s\n", err.msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ParsedFile f;
    Error err = {0};
    ParseOptions opt = {0};

    if (size > 0) {
        opt.keep_going = (data[0] & 1) != 0;
        opt.paragraphs = (data[0] & 2) ? PARSE_PARA_LINES : PARSE_PARA_BLANK;
        if (data[0] & 4)
            opt.default_sender = people_resolve(people, "stalin");
        data++;
        size--;
    }
    if (parser_parse_opts(parser, "fuzz", (const char *)data, size, &opt, &f,
                          &err) != STATUS_OK) {
        if (err.msg[0] == '\0' || f.nletters != 0)
            abort();
        parsed_file_free(&f);
        return 0;
    }
    if (f.nletters == 0 && f.nrefused == 0)
        abort();
    if (!opt.keep_going && f.nrefused != 0)
        abort();
    for (size_t i = 0; i < f.nletters; i++) {
        const ParsedLetter *l = &f.letters[i];
        if (l->npara == 0 || l->sender == NULL || l->recipient == NULL)
            abort();
        check_text(l->heading);
        check_text(l->signature);
        check_text(l->source);
        for (size_t j = 0; j < l->npara; j++) {
            if (l->paras[j].text == NULL || l->paras[j].text[0] == '\0')
                abort();
            check_text(l->paras[j].text);
            char *ix = parse_index_text(l->paras[j].text);
            if (ix == NULL)
                abort();
            check_text(ix);
            free(ix);
        }
        if (l->nrecipients == 0 || l->recipients[0] != l->recipient ||
            strlen(l->fingerprint) != PARSE_FINGERPRINT_LEN)
            abort();
        for (size_t j = 0; j < l->nskipped; j++) check_text(l->skipped[j]);
    }
    for (size_t i = 0; i < f.nwarnings; i++)
        if (f.warnings[i] == NULL)
            abort();
    parsed_file_free(&f);
    return 0;
}
