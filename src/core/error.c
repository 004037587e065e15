/* core/error.c — status names, error reports and the log sink. */
#include "dlld/core.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
	[DLLD_STATUS_OK] = "success",
	[DLLD_STATUS_USAGE] = "usage error",
	[DLLD_STATUS_NOT_FOUND] = "input not found or unreadable",
	[DLLD_STATUS_MALFORMED] = "malformed input",
	[DLLD_STATUS_INCONSISTENT] = "inconsistent input",
	[DLLD_STATUS_WRITE] = "output could not be written",
	[DLLD_STATUS_NO_MEMORY] = "out of memory or resource limit",
};
static_assert(sizeof status_names / sizeof status_names[0] == DLLD_STATUS_COUNT,
	      "status_names must name every enum dlld_status");

const char *dlld_status_name(enum dlld_status status)
{
	if ((unsigned)status >= DLLD_STATUS_COUNT)
		return "unknown status";
	return status_names[status];
}

void dlld_error_clear(struct dlld_error *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof *err);
	err->line = -1;
	err->offset = -1;
}

static enum dlld_status error_vset(struct dlld_error *err, enum dlld_status status,
				   const char *file, long line, const char *where,
				   long long offset, const char *fmt, va_list ap)
{
	if (!err || err->status != DLLD_STATUS_OK)
		return status;
	err->status = status;
	snprintf(err->file, sizeof err->file, "%s", file ? file : "");
	snprintf(err->where, sizeof err->where, "%s", where ? where : "");
	err->line = line;
	err->offset = offset;
	vsnprintf(err->reason, sizeof err->reason, fmt, ap);
	return status;
}

enum dlld_status dlld_error_set(struct dlld_error *err, enum dlld_status status,
				const char *file, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, status, file, -1, NULL, -1, fmt, ap);
	va_end(ap);
	return status;
}

enum dlld_status dlld_error_set_line(struct dlld_error *err, enum dlld_status status,
				     const char *file, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, status, file, line, NULL, -1, fmt, ap);
	va_end(ap);
	return status;
}

enum dlld_status dlld_error_set_where(struct dlld_error *err, enum dlld_status status,
				      const char *file, const char *where, long long offset,
				      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, status, file, -1, where, offset, fmt, ap);
	va_end(ap);
	return status;
}

char *dlld_error_format(const struct dlld_error *err, char *buf, size_t size)
{
	size_t n = 0;
	int w;

	if (!size)
		return buf;
	buf[0] = '\0';
#define APPEND(...)                                                        \
	do {                                                               \
		w = snprintf(buf + n, size - n, __VA_ARGS__);              \
		if (w < 0 || (size_t)w >= size - n)                        \
			return buf;                                        \
		n += (size_t)w;                                            \
	} while (0)
	if (err->file[0])
		APPEND("%s", err->file);
	if (err->file[0] && err->line >= 0)
		APPEND(":%ld", err->line);
	if (err->file[0])
		APPEND(": ");
	if (err->where[0])
		APPEND("%s: ", err->where);
	APPEND("%s", err->reason[0] ? err->reason : dlld_status_name(err->status));
	if (err->offset >= 0)
		APPEND(" (offset %lld)", err->offset);
#undef APPEND
	return buf;
}

/* ---- log sink ---- */

static const char *const level_names[] = {
	[DLLD_LOG_LEVEL_DEBUG] = "debug",
	[DLLD_LOG_LEVEL_INFO] = "info",
	[DLLD_LOG_LEVEL_WARNING] = "warning",
	[DLLD_LOG_LEVEL_ERROR] = "error",
};
static_assert(sizeof level_names / sizeof level_names[0] == DLLD_LOG_LEVEL_COUNT,
	      "level_names must name every enum dlld_log_level");

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static dlld_log_fn log_fn;
static void *log_ctx;

const char *dlld_log_level_name(enum dlld_log_level level)
{
	if ((unsigned)level >= DLLD_LOG_LEVEL_COUNT)
		return "log";
	return level_names[level];
}

void dlld_log_set_sink(dlld_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&sink_lock);
	log_fn = fn;
	log_ctx = ctx;
	pthread_mutex_unlock(&sink_lock);
}

void dlld_log(enum dlld_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	dlld_log_fn fn;
	void *ctx;

	pthread_mutex_lock(&sink_lock);
	fn = log_fn;
	ctx = log_ctx;
	pthread_mutex_unlock(&sink_lock);
	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fn(ctx, level, msg);
}
