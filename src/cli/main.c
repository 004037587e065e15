/* cli/main.c — `dlld <command> ...`: finds the command in the table and runs it. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static void print_commands(FILE *fp)
{
	fprintf(fp, "usage: dlld <command> [options]   (dlld <command> --help for each)\n\n"
		    "DLLD finds liver metastases on portal-venous CT.\n\ncommands:\n");
	for (const struct dlld_command *c = dlld_commands; c->name; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	fprintf(fp, "\nexit codes: 0 ok, 1 usage, 2 input not found, 3 malformed input,\n"
		    "4 inconsistent input, 5 cannot write output, 6 out of memory\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_commands(stderr);
		return DLLD_STATUS_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_commands(stdout);
		return 0;
	}
	for (const struct dlld_command *c = dlld_commands; c->name; c++) {
		if (strcmp(c->name, argv[1]) == 0) {
			dlld_cli_setup(c->name, false);
			return c->run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "dlld: unknown command '%s'\n\n", argv[1]);
	print_commands(stderr);
	return DLLD_STATUS_USAGE;
}
