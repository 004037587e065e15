/* cli/commands.c — the command table: one line per command, in pipeline order. */
#include "cli/cli.h"

const struct dlld_command dlld_commands[] = {
	{NULL, NULL, NULL},
};
