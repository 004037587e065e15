/* core/file.c — paths, whole-file reads and atomic writes (temp + rename). */
#include "dlld/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool dlld_path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

bool dlld_path_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

enum dlld_status dlld_mkdir_p(const char *path, struct dlld_error *err)
{
	char buf[1024];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof buf)
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "path empty or too long");
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return dlld_error_set(err, DLLD_STATUS_WRITE, buf, "cannot create folder: %s",
					      strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0777) != 0 && errno != EEXIST)
		return dlld_error_set(err, DLLD_STATUS_WRITE, buf, "cannot create folder: %s",
				      strerror(errno));
	if (!dlld_path_is_dir(buf))
		return dlld_error_set(err, DLLD_STATUS_WRITE, buf, "exists and is not a folder");
	return DLLD_STATUS_OK;
}

char *dlld_path_join(const char *a, const char *b, struct dlld_error *err)
{
	size_t na = strlen(a), nb = strlen(b);
	bool slash = na && a[na - 1] != '/';
	char *p = dlld_calloc(na + nb + 2, 1, "path", err);

	if (!p)
		return NULL;
	memcpy(p, a, na);
	if (slash)
		p[na++] = '/';
	memcpy(p + na, b, nb + 1);
	return p;
}

enum dlld_status dlld_read_file(const char *path, char **data, size_t *size,
				struct dlld_error *err)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	*data = NULL;
	*size = 0;
	if (!fp)
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "cannot open: %s",
				      strerror(errno));
	for (;;) {
		size_t got;
		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nbuf = ncap > cap ? realloc(buf, ncap) : NULL;
			if (!nbuf) {
				free(buf);
				fclose(fp);
				return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, path,
						      "file too large to read");
			}
			buf = nbuf;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "read error");
	}
	fclose(fp);
	buf[n] = '\0';
	*data = buf;
	*size = n;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_atomic_temp_name(const char *path, char *tmp, size_t size,
				       struct dlld_error *err)
{
	static atomic_uint counter;
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	const char *base = slash ? slash + 1 : path;
	unsigned n = atomic_fetch_add(&counter, 1u);
	int w;

	if (!*base)
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "output path names a folder");
	w = snprintf(tmp, size, "%.*s.tmp-%ld-%u-%s", dir_len, path, (long)getpid(), n, base);
	if (w < 0 || (size_t)w >= size)
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "path too long");
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_atomic_rename(const char *tmp, const char *path, struct dlld_error *err)
{
	if (rename(tmp, path) != 0) {
		int e = errno;
		remove(tmp);
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "cannot rename into place: %s",
				      strerror(e));
	}
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_atomic_open(struct dlld_atomic_file *af, const char *path,
				  struct dlld_error *err)
{
	enum dlld_status st;
	int n;

	memset(af, 0, sizeof *af);
	n = snprintf(af->path, sizeof af->path, "%s", path);
	if (n < 0 || (size_t)n >= sizeof af->path)
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "path too long");
	st = dlld_atomic_temp_name(path, af->tmp_path, sizeof af->tmp_path, err);
	if (st)
		return st;
	af->fp = fopen(af->tmp_path, "wb");
	if (!af->fp)
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "cannot create: %s",
				      strerror(errno));
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_atomic_commit(struct dlld_atomic_file *af, struct dlld_error *err)
{
	bool ok;

	if (!af->fp)
		return dlld_error_set(err, DLLD_STATUS_WRITE, af->path, "file not open");
	ok = fflush(af->fp) == 0 && !ferror(af->fp) && fsync(fileno(af->fp)) == 0;
	ok = (fclose(af->fp) == 0) && ok;
	af->fp = NULL;
	if (!ok) {
		int e = errno;
		remove(af->tmp_path);
		return dlld_error_set(err, DLLD_STATUS_WRITE, af->path, "write failed: %s",
				      strerror(e));
	}
	return dlld_atomic_rename(af->tmp_path, af->path, err);
}

void dlld_atomic_abort(struct dlld_atomic_file *af)
{
	if (af->fp) {
		fclose(af->fp);
		af->fp = NULL;
		remove(af->tmp_path);
	}
}

enum dlld_status dlld_write_file_atomic(const char *path, const void *data, size_t size,
					struct dlld_error *err)
{
	struct dlld_atomic_file af;
	enum dlld_status st = dlld_atomic_open(&af, path, err);

	if (st)
		return st;
	if (size && fwrite(data, 1, size, af.fp) != size) {
		dlld_atomic_abort(&af);
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "write failed: %s",
				      strerror(errno));
	}
	return dlld_atomic_commit(&af, err);
}
