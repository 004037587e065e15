/* core/alloc.c — overflow-checked sizes and allocation that reports failure. */
#include "dlld/core.h"

#include <stdlib.h>
#include <string.h>

bool dlld_size_mul(size_t a, size_t b, size_t *out)
{
	if (b && a > SIZE_MAX / b) {
		*out = 0;
		return false;
	}
	*out = a * b;
	return true;
}

bool dlld_size_add(size_t a, size_t b, size_t *out)
{
	if (a > SIZE_MAX - b) {
		*out = 0;
		return false;
	}
	*out = a + b;
	return true;
}

bool dlld_size_mul3(size_t a, size_t b, size_t c, size_t *out)
{
	size_t ab;
	return dlld_size_mul(a, b, &ab) && dlld_size_mul(ab, c, out);
}

void *dlld_calloc(size_t count, size_t size, const char *what, struct dlld_error *err)
{
	size_t bytes;
	void *p;

	if (!dlld_size_mul(count, size, &bytes)) {
		dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL,
			       "%s: size %zu x %zu overflows", what, count, size);
		return NULL;
	}
	p = calloc(bytes ? bytes : 1, 1);
	if (!p)
		dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL,
			       "%s: cannot allocate %zu bytes", what, bytes);
	return p;
}

void *dlld_alloc_aligned(size_t count, size_t size, const char *what, struct dlld_error *err)
{
	size_t bytes, rounded;
	void *p = NULL;

	if (!dlld_size_mul(count, size, &bytes) || !dlld_size_add(bytes, 63, &rounded)) {
		dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL,
			       "%s: size %zu x %zu overflows", what, count, size);
		return NULL;
	}
	rounded &= ~(size_t)63;
	if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) {
		dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL,
			       "%s: cannot allocate %zu bytes", what, bytes);
		return NULL;
	}
	return p;
}

void dlld_free_aligned(void *p)
{
	free(p);
}

char *dlld_strdup(const char *s, struct dlld_error *err)
{
	size_t n = strlen(s) + 1;
	char *p = dlld_calloc(n, 1, "string", err);
	if (p)
		memcpy(p, s, n);
	return p;
}
