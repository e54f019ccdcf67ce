/* main.c - the missive command line: one binary, one subcommand per job.
 *
 *   missive import [--db PATH] [--data DIR] [--from ALIAS]
 *                  [--paragraphs blank|lines] [--keep-going] [--check] FILE...
 *   missive console [--db PATH]
 *   missive query [--db PATH] 'TEXT'
 *   missive demo [--db PATH]
 *   missive run [-c FILE]
 *   missive check-config FILE
 *
 * main() only parses arguments and wires modules together; each job lives
 * in its module.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot.h"
#include "commands.h"
#include "config.h"
#include "console.h"
#include "corpus.h"
#include "db.h"
#include "import.h"
#include "log.h"
#include "paths.h"
#include "session.h"
#include "state.h"

#define MAIN_DEFAULT_DB "missive.db"
#define MAIN_DEFAULT_CONFIG "/etc/missive/missive.conf"
#define MAIN_SHIPPED_CORPUS "stalin-churchill-1941.txt"

typedef struct {
    const char *db;
    const char *datadir;
    ImportOptions import; /* import only */
    bool import_opts_ok;  /* the import options are accepted */
    bool timing;          /* console --timing */
} MainOptions;

static void main_usage(FILE *out)
{
    fputs("usage: missive COMMAND [OPTIONS]\n"
          "\n"
          "  import [--db PATH] [--data DIR] FILE...  import correspondence "
          "files\n"
          "    --from ALIAS             sender of headings that name none, "
          "for\n"
          "                             the files after it\n"
          "    --paragraphs blank|lines paragraphs end at blank lines "
          "(default)\n"
          "                             or at every line\n"
          "    --keep-going             import the letters that parse, "
          "report\n"
          "                             the others (exit 1 if any)\n"
          "    --check                  describe every letter, write "
          "nothing\n"
          "  console [--db PATH]                      answer commands typed on "
          "stdin\n"
          "  query [--db PATH] 'TEXT'                 answer one command\n"
          "  demo [--db PATH]                         import the shipped "
          "corpus, show\n"
          "                                           a few answers, open the "
          "console\n"
          "  run [-c FILE]                            run the IRC bot (default "
          "config\n"
          "                                           " MAIN_DEFAULT_CONFIG
          ")\n"
          "  check-config FILE                        check a config file and "
          "print the\n"
          "                                           effective settings, "
          "secrets masked\n"
          "  --version                                print the version\n"
          "\n"
          "PATH defaults to $MISSIVE_DB, else " MAIN_DEFAULT_DB
          "; DIR (aliases,\n",
          out);
    fprintf(out, "errata, curated dates) defaults to %s.\n", paths_data_dir());
}

/* The importer's sink: every line, error or warning, to stderr (ud). */
static void main_print_line(void *ud, Severity severity, const char *line)
{
    (void)severity;
    fprintf(ud, "%s\n", line);
}

/* Parses --db and --data (and the import options when import_opts);
 * returns the index of the first operand, or -1. */
static int main_options_for(int argc, char **argv, MainOptions *o,
                            bool import_opts)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"data", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {"from", required_argument, NULL, 'f'},
        {"paragraphs", required_argument, NULL, 'p'},
        {"keep-going", no_argument, NULL, 'k'},
        {"check", no_argument, NULL, 'c'},
        {"timing", no_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *env = getenv("MISSIVE_DB");
    int ch;

    memset(o, 0, sizeof *o);
    o->import_opts_ok = import_opts;
    o->db = env && *env ? env : MAIN_DEFAULT_DB;
    o->datadir = paths_data_dir();
    optind = 1;
    while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->db = optarg;
            break;
        case 'D':
            o->datadir = optarg;
            break;
        case 'f':
        case 'p':
        case 'k':
        case 'c':
            if (!o->import_opts_ok) {
                fputs("missive: --from, --paragraphs, --keep-going and "
                      "--check are options of import\n",
                      stderr);
                return -1;
            }
            if (ch == 'f')
                o->import.from = optarg;
            else if (ch == 'k')
                o->import.keep_going = true;
            else if (ch == 'c')
                o->import.check = true;
            else if (strcmp(optarg, "lines") == 0)
                o->import.line_paragraphs = true;
            else if (strcmp(optarg, "blank") == 0)
                o->import.line_paragraphs = false;
            else {
                fprintf(stderr,
                        "missive import: --paragraphs must be blank or "
                        "lines, not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case 't':
            o->timing = true;
            break;
        case 'h':
            main_usage(stdout);
            exit(0);
        default:
            main_usage(stderr);
            return -1;
        }
    }
    return optind;
}

static int main_options(int argc, char **argv, MainOptions *o)
{
    return main_options_for(argc, argv, o, false);
}

/* --check's describer: every line to stdout (ud). */
static void main_print_description(void *ud, const char *line)
{
    fprintf(ud, "%s\n", line);
}

static int main_import(int argc, char **argv)
{
    MainOptions o;
    ImportReport rep;
    sqlite3 *db = NULL;
    Error err = {0};
    Error lines = {.sink = main_print_line, .sink_ud = stderr};
    int first;

    first = main_options_for(argc, argv, &o, true);
    if (first < 0)
        return 2;
    if (first >= argc) {
        fputs("missive import: no file to import\n", stderr);
        return 2;
    }
    if (o.import.check) {
        /* --check writes nothing: an existing database is read to predict
         * letter numbers, a missing one is not created. */
        if (access(o.db, F_OK) == 0 &&
            db_open_readonly(o.db, &db, &err) != STATUS_OK) {
            fprintf(stderr, "missive import: %s\n", err.msg);
            return 1;
        }
        o.import.describe = main_print_description;
        o.import.describe_ud = stdout;
    } else if (db_open(o.db, &db, &err) != STATUS_OK) {
        fprintf(stderr, "missive import: %s\n", err.msg);
        return 1;
    }
    /* "--from ALIAS" among the files applies to the files after it:
     * missive import --from stalin a.txt --from churchill b.txt. */
    size_t nfiles = 0;
    const char **files = calloc((size_t)(argc - first) + 1, sizeof *files);
    const char **froms = calloc((size_t)(argc - first) + 1, sizeof *froms);
    const char *from = o.import.from;
    if (!files || !froms) {
        fputs("missive import: out of memory\n", stderr);
        free(files);
        free(froms);
        if (db)
            db_close(db);
        return 1;
    }
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
            from = argv[++i];
        } else if (strncmp(argv[i], "--from=", 7) == 0) {
            from = argv[i] + 7;
        } else {
            froms[nfiles] = from;
            files[nfiles++] = argv[i];
        }
    }
    o.import.froms = froms;
    Status rc = STATUS_INVALID;
    if (nfiles == 0)
        fputs("missive import: no file to import\n", stderr);
    else
        rc = import_files_opts(db, files, nfiles, o.datadir, &o.import, &rep,
                               &lines);
    free(files);
    free(froms);
    if (nfiles == 0) {
        if (db)
            db_close(db);
        return 2;
    }
    if (db)
        db_close(db);
    if (o.import.check) {
        printf("%d letter(s) would be imported, %d refused; nothing written\n",
               rep.checked, rep.refused);
        return rc == STATUS_OK && rep.refused == 0 ? 0 : 1;
    }
    if (rc != STATUS_OK) {
        if (rep.refused > 0)
            fprintf(stderr, "missive import: %d letter(s) refused\n",
                    rep.refused);
        fprintf(stderr, "missive import: nothing imported; %s is unchanged\n",
                o.db);
        return 1;
    }
    printf("%s: %d new, %d changed, %d unchanged file(s); "
           "%d letters, %d passages, %d errata applied\n",
           o.db, rep.files_new, rep.files_changed, rep.files_unchanged,
           rep.letters, rep.passages, rep.errata_applied);
    if (rep.refused > 0) {
        fprintf(stderr,
                "missive import: %d letter(s) refused (--keep-going: the "
                "rest is imported)\n",
                rep.refused);
        return 1;
    }
    return 0;
}

/* "missive: LINE" on stderr: how the command line shows what a lower layer
 * reports (a session's warnings). */
static void main_print_warning(void *ud, Severity severity, const char *line)
{
    (void)ud;
    (void)severity;
    fprintf(stderr, "missive: %s\n", line);
}

/* What console, query and demo answer with: an existing database. */
static Session *main_open_session(const MainOptions *o)
{
    SessionOptions so = {
        .database = o->db, .data_dir = o->datadir, .must_exist = true};
    Error err = {.sink = main_print_warning};
    Session *s = session_open(&so, &err);

    if (s == NULL)
        fprintf(stderr, "missive: %s\n", err.msg);
    return s;
}

static int main_console(int argc, char **argv)
{
    MainOptions o;
    Session *s;

    if (main_options(argc, argv, &o) < 0)
        return 2;
    if ((s = main_open_session(&o)) == NULL)
        return 1;
    /* As in the bot: !quote positions are kept in memory and written when
     * the session closes, so --timing measures what a channel gets. */
    state_set_lazy(session_state(s), true);
    ConsoleOptions co = {.interactive = isatty(STDIN_FILENO),
                         .timing = o.timing};
    Status rc = console_run(session_commands(s), stdin, stdout, &co);
    session_close(s);
    return rc == STATUS_OK ? 0 : 1;
}

static int main_query(int argc, char **argv)
{
    MainOptions o;
    Session *s;
    int first = main_options(argc, argv, &o);

    if (first < 0)
        return 2;
    if (first != argc - 1) {
        fputs("usage: missive query [--db PATH] 'TEXT'\n", stderr);
        return 2;
    }
    if ((s = main_open_session(&o)) == NULL)
        return 1;
    Status handled = console_answer(session_commands(s), argv[first], stdout);
    session_close(s);
    if (handled == STATUS_NOTFOUND)
        fputs("missive query: not a command (commands start with !)\n", stderr);
    return handled == STATUS_OK ? 0 : 1;
}

static int main_demo(int argc, char **argv)
{
    static const char *const examples[] = {
        "!help",
        "!quote 1.4",
        "!search finland",
        "!reply when will you open a second front?",
        "!quote churchill",
    };
    MainOptions o;
    ImportReport rep;
    Session *s;
    sqlite3 *db;
    char corpus_path[4096];
    Error err = {0};
    Error lines = {.sink = main_print_line, .sink_ud = stderr};

    if (main_options(argc, argv, &o) < 0)
        return 2;
    snprintf(corpus_path, sizeof corpus_path, "%s/%s", o.datadir,
             MAIN_SHIPPED_CORPUS);
    const char *paths[] = {corpus_path};
    if (db_open(o.db, &db, &err) != STATUS_OK) {
        fprintf(stderr, "missive demo: %s\n", err.msg);
        return 1;
    }
    Status rc = import_files(db, paths, 1, o.datadir, &rep, &lines);
    db_close(db);
    if (rc != STATUS_OK)
        return 1;
    printf("Imported %s into %s: %d letters, %d passages.\n\n", corpus_path,
           o.db, rep.letters, rep.passages);

    if ((s = main_open_session(&o)) == NULL)
        return 1;
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        printf("> %s\n", examples[i]);
        console_answer(session_commands(s), examples[i], stdout);
        putchar('\n');
    }
    if (isatty(STDIN_FILENO))
        rc = console_run(session_commands(s), stdin, stdout,
                         &(ConsoleOptions){.interactive = true});
    session_close(s);
    return rc == STATUS_OK ? 0 : 1;
}

static int main_run(int argc, char **argv)
{
    const char *path = MAIN_DEFAULT_CONFIG;
    int ch;

    optind = 1;
    while ((ch = getopt(argc, argv, "+c:h")) != -1) {
        switch (ch) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            main_usage(stdout);
            return 0;
        default:
            main_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fputs("usage: missive run [-c FILE]\n", stderr);
        return 2;
    }
    return bot_run(path);
}

/* check-config's sink: errors as they are, warnings marked, on stderr. */
static void main_print_config_line(void *ud, Severity severity,
                                   const char *line)
{
    fprintf(ud, "%s%s\n", severity == SEVERITY_WARNING ? "warning: " : "",
            line);
}

static int main_check_config(int argc, char **argv)
{
    Config cfg;

    if (argc != 2) {
        fputs("usage: missive check-config FILE\n", stderr);
        return 2;
    }
    config_defaults(&cfg);
    Error err = {.sink = main_print_config_line, .sink_ud = stderr};
    if (config_load(argv[1], &cfg, &err) != STATUS_OK) {
        fprintf(stderr, "missive check-config: %s has errors\n", argv[1]);
        return 1;
    }
    /* The file is right, but with tls = yes a missing module would fail
     * every connection: say so now rather than at the first connect. */
    if (cfg.tls && access(paths_tls_module(), R_OK) != 0)
        fprintf(stderr,
                "warning: tls = yes needs the TLS module %s, which cannot "
                "be read: %s\n",
                paths_tls_module(), strerror(errno));
    config_print(&cfg, stdout);
    config_free(&cfg);
    return 0;
}

#define MAIN_DB_HELP                                                         \
    "  --db PATH   the database (default $MISSIVE_DB, else " MAIN_DEFAULT_DB \
    ")\n"
#define MAIN_DATA_HELP                                               \
    "  --data DIR  aliases.txt, errata.tsv and dates.tsv (default: the\n" \
    "              shipped data, the directory `missive --help` names)\n"

/* Each subcommand's own usage, for `missive SUBCOMMAND --help`. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} main_subcommands[] = {
    {"import", main_import,
     "usage: missive import [--db PATH] [--data DIR] [--from ALIAS]\n"
     "                      [--paragraphs blank|lines] [--keep-going] "
     "[--check] FILE...\n\n"
     "Import correspondence files, all in one transaction: an error prints\n"
     "FILE:LINE and leaves the database as it was.\n\n" MAIN_DB_HELP
         MAIN_DATA_HELP
     "  --from ALIAS  sender of headings that name none, for the files "
     "after it\n"
     "  --paragraphs blank|lines\n"
     "              paragraphs end at blank lines (default) or at every "
     "line\n"
     "  --keep-going  import the letters that parse, report the others "
     "(exit 1\n"
     "              if any)\n"
     "  --check     describe every letter, write nothing\n"},
    {"console", main_console,
     "usage: missive console [--db PATH] [--data DIR] [--timing]\n\n"
     "Answer commands typed on stdin (one per line) exactly as the bot\n"
     "would; on a terminal with line editing and history.\n\n" MAIN_DB_HELP
         MAIN_DATA_HELP
     "  --timing    after each command, print its time on stderr\n"
     "              (\"timing: N us\"; what bench/scale.py reads)\n"},
    {"query", main_query,
     "usage: missive query [--db PATH] [--data DIR] 'TEXT'\n\n"
     "Answer one command, e.g. missive query '!search "
     "finland'.\n\n" MAIN_DB_HELP MAIN_DATA_HELP},
    {"demo", main_demo,
     "usage: missive demo [--db PATH] [--data DIR]\n\n"
     "Import the shipped corpus, show a few answers, then open the console\n"
     "when stdin is a terminal.\n\n" MAIN_DB_HELP MAIN_DATA_HELP},
    {"run", main_run,
     "usage: missive run [-c FILE]\n\n"
     "Run the IRC bot.  SIGHUP reloads the config, SIGTERM quits.\n\n"
     "  -c FILE     the config (default " MAIN_DEFAULT_CONFIG ")\n"},
    {"check-config", main_check_config,
     "usage: missive check-config FILE\n\n"
     "Check a config file: every error as FILE:LINE, then the effective\n"
     "settings with secrets masked.  Exits 1 when the file has errors.\n"},
};

/* Whether the subcommand's arguments ask for help: -h or --help before
 * any "--" (after it, everything is an operand). */
static bool main_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{

    log_init();
    if (argc < 2) {
        main_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0) {
        puts("missive " MISSIVE_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        main_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof main_subcommands / sizeof main_subcommands[0];
         i++) {
        if (strcmp(argv[1], main_subcommands[i].name) != 0)
            continue;
        if (main_wants_help(argc - 1, argv + 1)) {
            fputs(main_subcommands[i].usage, stdout);
            return 0;
        }
        return main_subcommands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "missive: unknown command '%s'\n", argv[1]);
    main_usage(stderr);
    return 2;
}
