/* main.c - the missive command line: one binary, one subcommand per job.
 *
 *   missive import [--db PATH] [--data DIR] FILE...
 *   missive console [--db PATH]
 *   missive query [--db PATH] 'TEXT'
 *   missive demo [--db PATH]
 *   missive run [-c FILE]
 *   missive check-config FILE
 *
 * main() only parses arguments and wires modules together; each job lives
 * in its module.
 */
#include <getopt.h>
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

#define MAIN_DEFAULT_DB "missive.db"
#define MAIN_DEFAULT_CONFIG "/etc/missive/missive.conf"
#define MAIN_SHIPPED_CORPUS "stalin-churchill-1941.txt"

typedef struct {
    const char *db;
    const char *datadir;
} MainOptions;

static void main_usage(FILE *out)
{
    fputs("usage: missive COMMAND [OPTIONS]\n"
          "\n"
          "  import [--db PATH] [--data DIR] FILE...  import correspondence "
          "files\n"
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

/* Parses --db and --data; returns the index of the first operand, or -1. */
static int main_options(int argc, char **argv, MainOptions *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"data", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *env = getenv("MISSIVE_DB");
    int ch;

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

static int main_import(int argc, char **argv)
{
    MainOptions o;
    ImportReport rep;
    sqlite3 *db;
    Error err = {0};
    Error lines = {.sink = main_print_line, .sink_ud = stderr};
    int first = main_options(argc, argv, &o);

    if (first < 0)
        return 2;
    if (first >= argc) {
        fputs("missive import: no file to import\n", stderr);
        return 2;
    }
    if (db_open(o.db, &db, &err) != STATUS_OK) {
        fprintf(stderr, "missive import: %s\n", err.msg);
        return 1;
    }
    Status rc = import_files(db, (const char *const *)argv + first,
                             (size_t)(argc - first), o.datadir, &rep, &lines);
    db_close(db);
    if (rc != STATUS_OK) {
        fprintf(stderr, "missive import: nothing imported; %s is unchanged\n",
                o.db);
        return 1;
    }
    printf("%s: %d new, %d changed, %d unchanged file(s); "
           "%d letters, %d passages, %d errata applied\n",
           o.db, rep.files_new, rep.files_changed, rep.files_unchanged,
           rep.letters, rep.passages, rep.errata_applied);
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
    Status rc =
        console_run(session_commands(s), stdin, stdout, isatty(STDIN_FILENO));
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
        rc = console_run(session_commands(s), stdin, stdout, true);
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
    config_print(&cfg, stdout);
    config_free(&cfg);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } subcommands[] = {
        {"import", main_import}, {"console", main_console},
        {"query", main_query},   {"demo", main_demo},
        {"run", main_run},       {"check-config", main_check_config},
    };

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
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "missive: unknown command '%s'\n", argv[1]);
    main_usage(stderr);
    return 2;
}
