/* cli/cli.c — shared command-line helpers (see cli.h). */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char command_name[64] = "dlld";
static bool progress_shown;

static void log_to_stderr(void *ctx, enum dlld_log_level level, const char *message)
{
	(void)ctx;
	if (level == DLLD_LOG_LEVEL_DEBUG)
		return;
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
	fprintf(stderr, "%s: %s: %s\n", command_name, dlld_log_level_name(level), message);
}

static void progress_to_stderr(void *ctx, const struct dlld_progress *p)
{
	char line[256];
	(void)ctx;
	dlld_progress_format(p, line, sizeof line);
	fprintf(stderr, "\r\033[K%s%s", line, p->finished ? "\n" : "");
	progress_shown = !p->finished;
	fflush(stderr);
}

void dlld_cli_setup(const char *command, bool quiet)
{
	snprintf(command_name, sizeof command_name, "dlld %s", command);
	dlld_log_set_sink(log_to_stderr, NULL);
	if (!quiet && isatty(STDERR_FILENO))
		dlld_progress_set_sink(progress_to_stderr, NULL);
	else
		dlld_progress_set_sink(NULL, NULL);
}

int dlld_cli_fail(const struct dlld_error *err)
{
	char buf[2048];

	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
	fprintf(stderr, "%s: error: %s\n", command_name, dlld_error_format(err, buf, sizeof buf));
	return err->status ? (int)err->status : 1;
}

int dlld_cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", command_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", command_name);
	return DLLD_STATUS_USAGE;
}

bool dlld_cli_double(const char *option, const char *arg, double lo, double hi, double *out)
{
	double v;

	if (!dlld_parse_double(arg, &v)) {
		dlld_cli_usage_error("%s: '%s' is not a number", option, arg);
		return false;
	}
	if (v < lo || v > hi) {
		dlld_cli_usage_error("%s: %s is outside [%g, %g]", option, arg, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

bool dlld_cli_long(const char *option, const char *arg, long lo, long hi, long *out)
{
	long v;

	if (!dlld_parse_long(arg, &v)) {
		dlld_cli_usage_error("%s: '%s' is not an integer", option, arg);
		return false;
	}
	if (v < lo || v > hi) {
		dlld_cli_usage_error("%s: %s is outside [%ld, %ld]", option, arg, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

bool dlld_cli_u64(const char *option, const char *arg, uint64_t *out)
{
	if (!dlld_parse_u64(arg, out)) {
		dlld_cli_usage_error("%s: '%s' is not a non-negative integer", option, arg);
		return false;
	}
	return true;
}

int dlld_cli_check_output(const char *path, bool force)
{
	if (force || !dlld_path_exists(path))
		return DLLD_STATUS_OK;
	fprintf(stderr, "%s: error: %s: exists; not overwriting it (use --force)\n", command_name,
		path);
	return DLLD_STATUS_WRITE;
}

int dlld_cli_help(const char *text)
{
	fputs(text, stdout);
	return 0;
}
