/* parse.h - plain-text correspondence to letters, with PCRE2.
 *
 * Letters as real copies lay them out (the README's "Importing letters" is
 * the full rule set; the tables in parse.c are its one source): optional
 * front matter ("No. 93", dates, classification lines, page markers), a
 * heading naming sender and recipients, body paragraphs, dates and a
 * signature block that are not passages, and a "Source:" line that ends the
 * letter.  The parser never alters the text of a paragraph; lines of one
 * paragraph are joined with one space (or, with PARSE_PARA_LINES, every line
 * is a paragraph).  It is pure: no database.
 *
 * The compiled patterns live in a Parser: make one with parser_new(), parse
 * any number of files with it, free it with parser_free().
 */
#ifndef MISSIVE_PARSE_H
#define MISSIVE_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "dates.h"
#include "error.h"
#include "people.h"

#define PARSE_MAX_LINE 65536 /* longer lines are an error, not a truncation */

typedef struct {
    int line;   /* first line of the paragraph, from 1 */
    char *text; /* exact text (lines joined by one space) */
} ParsedPara;

/* Where a letter's date came from. */
enum parse_date_from {
    PARSE_DATE_NONE = 0,
    PARSE_DATE_FRONT,   /* a date line before the heading */
    PARSE_DATE_HEADING, /* "Aug. 4, 1944 message from ..." */
    PARSE_DATE_BODY,    /* a date line under the heading or after the body */
};

#define PARSE_MAX_RECIPIENTS 8
#define PARSE_FINGERPRINT_LEN 16 /* hex digits */

typedef struct {
    int line;           /* line of the heading (or of its classification) */
    int end_line;       /* last line: the Source line, or the last one read */
    int number;         /* "No. 23" of the edition, or 0 */
    char *heading;      /* the heading exactly as written */
    const char *sender; /* canonical names, owned by the People table */
    const char *recipient; /* recipients[0] */
    const char *recipients[PARSE_MAX_RECIPIENTS];
    size_t nrecipients;
    Date date; /* kind DATE_NONE when the text has none */
    int date_line;
    enum parse_date_from date_from;
    char *signature;   /* or NULL */
    char *source;      /* text after "Source:", or NULL when missing */
    ParsedPara *paras; /* body paragraphs, numbered from 1 in order */
    size_t npara;
    char **skipped; /* "LINE: what" for every line that is not a passage:
                       front matter, page markers, dates, signature */
    size_t nskipped;
    /* Hash of the heading and the passages' text: what curated facts
     * (dates.tsv, errata.tsv) name the letter by, with its file. */
    char fingerprint[PARSE_FINGERPRINT_LEN + 1];
} ParsedLetter;

typedef struct {
    ParsedLetter *letters;
    size_t nletters;
    char **warnings; /* "NAME:LINE: ..." lines; the import goes on
                               and reports them once the file parsed */
    size_t nwarnings;
    char **refused; /* "NAME:LINE: reason", one per letter not taken
                       (only with keep_going; otherwise the parse fails) */
    size_t nrefused;
    size_t opened; /* letters opened, refused ones too, from letters_before */
    bool wrapped;  /* warnings hold the "lines joined" one */
} ParsedFile;

/* How paragraphs are separated in a file. */
enum parse_paragraphs {
    PARSE_PARA_BLANK = 0, /* blank lines; lines of a paragraph are joined */
    PARSE_PARA_LINES,     /* every line is a paragraph */
};

typedef struct {
    const char *default_sender; /* canonical name for headings that name no
                                   sender ("Message to W. Churchill"), or
                                   NULL: such a heading is an error */
    enum parse_paragraphs paragraphs;
    bool keep_going; /* a bad letter is refused, the others are kept */
    /* Parsing a file in parts (import.c streams it, cut after a Source
     * line's paragraph, where the parser's state is the same as at the start
     * of a file): the part's place in its file. */
    int first_line;        /* lines of the file before buf (0: its start) */
    size_t letters_before; /* letters opened in the earlier parts */
    bool later_part;       /* not the first part: no BOM, may hold no letter */
    bool wrapped_said;     /* the "lines joined" warning was given already */
} ParseOptions;

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
 * letter, text outside a letter, letters without a body, unknown people.
 * With opt->keep_going, a letter that is wrong is refused (listed in
 * out->refused) and the parse goes on; only what is wrong with the file as a
 * whole fails it.  Warnings are not failures: they are left in
 * out->warnings.  opt NULL: the defaults (all zero). */
Status parser_parse_opts(Parser *p, const char *name, const char *buf,
                         size_t len, const ParseOptions *opt, ParsedFile *out,
                         Error *err);
Status parser_parse(Parser *p, const char *name, const char *buf, size_t len,
                    ParsedFile *out, Error *err);
void parsed_file_free(ParsedFile *f);

/* The text as the search index sees it: footnote digits glued to a word
 * ("Hopkins82", "President.40") dropped, everything else as it is.  A new
 * string (caller frees), NULL when memory runs out. */
char *parse_index_text(const char *text);

#endif
