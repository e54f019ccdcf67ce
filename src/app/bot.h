/* bot.h - the daemon: Missive in its channels.
 *
 * Ties the pieces together for `missive run`: the configuration, the corpus
 * and command dispatcher, and the IRC connection.  Decides who is answered
 * (ignore masks, rate limits, no bot-to-bot loops), keeps the channels
 * joined (rejoin after KICK, backoff on 471/473/474/475), answers CTCP, runs
 * the owners' private commands, and handles SIGTERM, SIGINT and SIGHUP.
 */
#ifndef MISSIVE_BOT_H
#define MISSIVE_BOT_H

/* Runs until SIGTERM or SIGINT; returns the process exit code. */
int bot_run(const char *config_path);

#endif
