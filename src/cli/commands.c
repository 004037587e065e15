/* cli/commands.c — the command table: one line per command, in pipeline order. */
#include "cli/cli.h"

const struct dlld_command dlld_commands[] = {
	{"eval", "reader-study statistics: sensitivity, FPP, AFROC, bootstrap, GEE, kappa", dlld_cmd_eval},
	{NULL, NULL, NULL},
};
