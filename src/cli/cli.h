/*
 * cli/cli.h — what every `dlld` command shares: the command table, option
 * value parsing that refuses bad numbers, error reporting with exit codes
 * (docs/exit-codes.md), the stderr log and progress sinks, and the rule that
 * an existing output is not overwritten without --force.
 */
#ifndef DLLD_CLI_H
#define DLLD_CLI_H

#include "dlld/core.h"

#include <getopt.h>

/* A command: run gets argv[0] = the command name; returns the exit code. */
struct dlld_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* The command table (commands.c), ended by a NULL name. */
extern const struct dlld_command dlld_commands[];

/* Command entry points, one file each (cmd_<name>.c); keep in table order. */
int dlld_cmd_info(int argc, char **argv);
int dlld_cmd_convert(int argc, char **argv);
int dlld_cmd_synth(int argc, char **argv);
int dlld_cmd_net(int argc, char **argv);
int dlld_cmd_train(int argc, char **argv);
int dlld_cmd_detect(int argc, char **argv);
int dlld_cmd_fit_fp(int argc, char **argv);
int dlld_cmd_eval(int argc, char **argv);
int dlld_cmd_demo(int argc, char **argv);
int dlld_cmd_match(int argc, char **argv);


/* Installs the stderr log sink and, unless quiet or stderr is not a
 * terminal, the progress line. `command` prefixes messages. */
void dlld_cli_setup(const char *command, bool quiet);

/* Prints "dlld CMD: error: <formatted err>" and returns err->status. */
int dlld_cli_fail(const struct dlld_error *err);
/* Prints a usage error ("dlld CMD: <message>; see dlld CMD --help") and
 * returns DLLD_STATUS_USAGE. */
int dlld_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse an option value; on a bad value print a usage error naming the
 * option and return false. Ranges are inclusive. */
bool dlld_cli_double(const char *option, const char *arg, double lo, double hi, double *out);
bool dlld_cli_long(const char *option, const char *arg, long lo, long hi, long *out);
bool dlld_cli_u64(const char *option, const char *arg, uint64_t *out);

/* DLLD_STATUS_OK when path may be written: it does not exist, or force.
 * Otherwise prints why and returns DLLD_STATUS_WRITE. */
int dlld_cli_check_output(const char *path, bool force);

/* Standard help: prints text to stdout and returns 0. */
int dlld_cli_help(const char *text);

#endif
