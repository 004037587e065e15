/* tests/harness.c — see harness.h. */
#include "harness.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int n_passed, n_failed, n_skipped;
static int current_failures;
static bool current_skipped;
static const char *current_name;
static char tmpdir[256];

void dlld_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "  FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	current_failures++;
}

void dlld_test_skip(const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "skipped %s: ", current_name);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	current_skipped = true;
}

void dlld_test_run(const char *name, void (*fn)(void))
{
	current_name = name;
	current_failures = 0;
	current_skipped = false;
	fn();
	if (current_failures) {
		n_failed++;
		printf("FAIL %s\n", name);
	} else if (current_skipped) {
		n_skipped++;
	} else {
		n_passed++;
		printf("ok   %s\n", name);
	}
	fflush(stdout);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tmpdir(void)
{
	if (tmpdir[0] && !getenv("DLLD_TEST_KEEP_TMP"))
		nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *dlld_test_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof tmpdir, "%s/dlld-test-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(remove_tmpdir);
	}
	return tmpdir;
}

const char *dlld_test_data_dir(void)
{
	static char path[1024];
	const char *env = getenv("DLLD_DATA");
	struct stat st;
	snprintf(path, sizeof path, "%s", env && *env ? env : "../shared/data");
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return path;
}

int dlld_test_finish(void)
{
	printf("%d passed, %d failed, %d skipped\n", n_passed, n_failed, n_skipped);
	return n_failed ? 1 : 0;
}
