/* paths.h - where the program finds its data and keeps its database when
 * nobody says.
 *
 * An installed binary reads the shipped data (aliases.txt, errata.tsv,
 * dates.tsv, the corpus) from the directory `cmake --install` put it in
 * (MISSIVE_DATADIR, e.g. /usr/share/missive); only a binary run from inside
 * its build tree reads the source tree's data/, so that building and testing
 * need no install.  The daemon's database defaults to the state directory
 * systemd hands the service ($STATE_DIRECTORY), else to MISSIVE_STATEDIR:
 * never next to the config in /etc.
 */
#ifndef MISSIVE_PATHS_H
#define MISSIVE_PATHS_H

#include <stddef.h>

/* The default data directory; a static string, valid for the process. */
const char *paths_data_dir(void);

/* Where missive-tls.so is: next to the binary in its build tree, else in
 * MISSIVE_MODULEDIR (e.g. /usr/lib/x86_64-linux-gnu/missive).  A static
 * string, valid for the process. */
const char *paths_tls_module(void);

/* Writes the default database path into buf: the first directory of
 * $STATE_DIRECTORY when set, else MISSIVE_STATEDIR, followed by
 * "/missive.db".  A path that does not fit is cut (buf stays a string). */
void paths_default_database(char *buf, size_t size);

#endif
