/* core/parse.c — whole-string number parsers (a bad number is an error, never 0)
 * and the doubles comparator for qsort. */
#include "dlld/core.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

static const char *skip_blanks(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static bool only_blanks(const char *s)
{
	return *skip_blanks(s) == '\0';
}

bool dlld_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s)
		return false;
	s = skip_blanks(s);
	if (!*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || !only_blanks(end) || isnan(v))
		return false;
	if (errno == ERANGE && isinf(v))
		return false;
	*out = v;
	return true;
}

bool dlld_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s)
		return false;
	s = skip_blanks(s);
	if (!*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || !only_blanks(end) || errno == ERANGE)
		return false;
	*out = v;
	return true;
}

bool dlld_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s)
		return false;
	s = skip_blanks(s);
	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || !only_blanks(end) || errno == ERANGE)
		return false;
	*out = (uint64_t)v;
	return true;
}

int dlld_compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
