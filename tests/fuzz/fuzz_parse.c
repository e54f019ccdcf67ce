/* fuzz_parse.c - parse_text() on arbitrary bytes, with the shipped aliases.
 *
 * Whatever the file, the parser returns 0 with letters whose every string is
 * valid UTF-8 and whose paragraphs are non-empty, or -1 with a message; it
 * never crashes or leaks (LeakSanitizer checks every run).
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

static void check_text(const char *s)
{
    if (s != NULL && !utf8_valid(s, strlen(s), NULL))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    people = people_load(DATADIR "/aliases.txt", err, sizeof err);
    if (people == NULL) {
        fprintf(stderr, "fuzz_parse: %s\n", err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ParsedFile f;
    char err[1024];

    if (parse_text("fuzz", (const char *)data, size, people, &f, err,
                   sizeof err) != 0) {
        if (err[0] == '\0' || f.nletters != 0)
            abort();
        parsed_file_free(&f);
        return 0;
    }
    if (f.nletters == 0)
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
        }
    }
    for (size_t i = 0; i < f.nwarnings; i++)
        if (f.warnings[i] == NULL)
            abort();
    parsed_file_free(&f);
    return 0;
}
