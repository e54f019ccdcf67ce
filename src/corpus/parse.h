/* parse.h - plain-text correspondence to letters, with PCRE2.
 *
 * A file is a sequence of paragraphs separated by blank lines.  A letter
 * starts at a heading naming sender and recipient (any form in the heading
 * table in parse.c, optionally after a "No. 23" line and a "Sent on"/
 * "Received on" date line) and runs to its "Source:" line.  Inside it: body
 * paragraphs, at most one date line, an optional signature (a short paragraph
 * naming the sender).  The parser never alters the text of a paragraph; lines
 * of one paragraph are joined with one space.  It is pure: no database.
 *
 * The compiled patterns live in a Parser: make one with parser_new(), parse
 * any number of files with it, free it with parser_free().
 */
#ifndef MISSIVE_PARSE_H
#define MISSIVE_PARSE_H

#include <stddef.h>

#include "dates.h"
#include "error.h"
#include "people.h"

#define PARSE_MAX_LINE 65536 /* longer lines are an error, not a truncation */

typedef struct {
    int line;   /* first line of the paragraph, from 1 */
    char *text; /* exact text (lines joined by one space) */
} ParsedPara;

typedef struct {
    int line;           /* line of the heading */
    int number;         /* "No. 23" of the edition, or 0 */
    char *heading;      /* the heading exactly as written */
    const char *sender; /* canonical names, owned by the People table */
    const char *recipient;
    Date date; /* kind DATE_NONE when the text has none */
    int date_line;
    char *signature;   /* or NULL */
    char *source;      /* text after "Source:", or NULL when missing */
    ParsedPara *paras; /* body paragraphs, numbered from 1 in order */
    size_t npara;
} ParsedLetter;

typedef struct {
    ParsedLetter *letters;
    size_t nletters;
    char **warnings; /* "NAME:LINE: ..." lines; the import goes on
                               and reports them once the file parsed */
    size_t nwarnings;
} ParsedFile;

typedef struct Parser Parser;

/* Compiles the heading and paragraph patterns.  people resolves the names
 * of headings and signatures; it is borrowed and must outlive the parser.
 * NULL with the reason in err when compiling fails or memory runs out. */
Parser *parser_new(const People *people, Error *err);
/* Frees the parser and its compiled patterns; NULL is a no-op. */
void parser_free(Parser *p);

/* Parses buf[0..len).  STATUS_OK with *out filled, or STATUS_INVALID with
 * "NAME:LINE: what is wrong" in err (STATUS_ERROR: "NAME:LINE: out of
 * memory") and *out empty.  Accepts a UTF-8 BOM and CRLF line ends; rejects
 * NUL bytes, invalid UTF-8, lines longer than PARSE_MAX_LINE, files with no
 * letter, text before the first heading, letters without a body, unknown
 * people.  Warnings are not failures: they are left in out->warnings. */
Status parser_parse(Parser *p, const char *name, const char *buf, size_t len,
                    ParsedFile *out, Error *err);
void parsed_file_free(ParsedFile *f);

#endif
