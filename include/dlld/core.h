/*
 * dlld/core.h — what every DLLD module stands on: status and error reports,
 * the log and progress sinks, checked allocation and size arithmetic, the
 * explicit random-number state, atomic file writing, a thread pool and the
 * CSV reader used by every table DLLD reads.
 *
 * The library never prints and never exits: it returns a status, fills a
 * struct dlld_error, and reports through the sinks the caller installs.
 */
#ifndef DLLD_CORE_H
#define DLLD_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- status ------------------------------------------------------------
 * The values are the process exit codes of DESIGN §9 (docs/exit-codes.md). */
enum dlld_status {
	DLLD_STATUS_OK = 0,
	DLLD_STATUS_USAGE = 1,        /* bad option or value */
	DLLD_STATUS_NOT_FOUND = 2,    /* input not found or unreadable */
	DLLD_STATUS_MALFORMED = 3,    /* corrupt DICOM/NIfTI/CSV/cfg/weights */
	DLLD_STATUS_INCONSISTENT = 4, /* valid files that contradict each other */
	DLLD_STATUS_WRITE = 5,        /* output could not be written */
	DLLD_STATUS_NO_MEMORY = 6,    /* out of memory or resource limit */
	DLLD_STATUS_COUNT
};

/* Returns a static lower-case name ("malformed input", ...). */
const char *dlld_status_name(enum dlld_status status);

/* ---- errors ------------------------------------------------------------
 * Filled by the function that fails; the first failure wins (a later
 * dlld_error_set on an error that already holds a failure is ignored, so
 * cleanup paths cannot overwrite the cause). `line` and `offset` are -1
 * when unknown; `where` names a DICOM tag, NIfTI field, CSV column, ... */
struct dlld_error {
	enum dlld_status status;
	char file[512];
	char where[128];
	long line;
	long long offset;
	char reason[768];
};

/* Fills: err to "no error". */
void dlld_error_clear(struct dlld_error *err);

/* Fills err (may be NULL) and returns `status`, so callers can write
 * `return dlld_error_set(err, DLLD_STATUS_MALFORMED, path, "bad magic");`.
 * `file` may be NULL. */
enum dlld_status dlld_error_set(struct dlld_error *err, enum dlld_status status,
				const char *file, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* As dlld_error_set, with a line number (CSV, cfg). */
enum dlld_status dlld_error_set_line(struct dlld_error *err, enum dlld_status status,
				     const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* As dlld_error_set, naming a field/tag and a byte offset (-1 if none). */
enum dlld_status dlld_error_set_where(struct dlld_error *err, enum dlld_status status,
				      const char *file, const char *where, long long offset,
				      const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Fills buf with "file:line: where: reason (offset N)", leaving out what is
 * unknown; returns buf. */
char *dlld_error_format(const struct dlld_error *err, char *buf, size_t size);

/* ---- logging -----------------------------------------------------------
 * One process-wide sink, installed by the program (the CLI prints to
 * stderr). The sink may be called from several threads at once. With no
 * sink installed, messages are dropped. */
enum dlld_log_level {
	DLLD_LOG_LEVEL_DEBUG,
	DLLD_LOG_LEVEL_INFO,
	DLLD_LOG_LEVEL_WARNING,
	DLLD_LOG_LEVEL_ERROR,
	DLLD_LOG_LEVEL_COUNT
};
typedef void (*dlld_log_fn)(void *ctx, enum dlld_log_level level, const char *message);

void dlld_log_set_sink(dlld_log_fn fn, void *ctx);
void dlld_log(enum dlld_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *dlld_log_level_name(enum dlld_log_level level);

/* ---- time --------------------------------------------------------------- */
/* Returns monotonic seconds (arbitrary origin). */
double dlld_time_now(void);

/* ---- progress ------------------------------------------------------------
 * Long work reports progress through a process-wide sink (the CLI draws a
 * line on stderr when it is a terminal and --quiet is not given). The
 * library computes rate and ETA; reports are throttled to ~5 per second
 * plus the final one. A struct dlld_progress is a value owned by the caller. */
struct dlld_progress {
	char label[64];
	char unit[16];    /* "slices", "patients", "it", ... */
	uint64_t total;   /* 0 = unknown */
	uint64_t done;
	double t_start;
	double t_last_report;
	double rate;      /* units per second */
	double eta_s;     /* < 0 when unknown */
	bool finished;
};
typedef void (*dlld_progress_fn)(void *ctx, const struct dlld_progress *progress);

void dlld_progress_set_sink(dlld_progress_fn fn, void *ctx);
/* Fills p and reports it. */
void dlld_progress_begin(struct dlld_progress *p, const char *label, const char *unit,
			 uint64_t total);
/* Sets p->done, updates rate and ETA, reports when due. Thread-compatible,
 * not thread-safe: call it from one thread. */
void dlld_progress_update(struct dlld_progress *p, uint64_t done);
/* Marks p finished and reports it. */
void dlld_progress_end(struct dlld_progress *p);
/* Fills buf with "label 12/40 slices  3.1 slices/s  ETA 9s"; returns buf. */
char *dlld_progress_format(const struct dlld_progress *p, char *buf, size_t size);

/* ---- checked size arithmetic and allocation -------------------------------
 * Every count read from a file goes through these before it sizes a buffer. */
/* Fills *out with a*b (a+b); returns false on overflow (then *out is 0). */
bool dlld_size_mul(size_t a, size_t b, size_t *out);
bool dlld_size_add(size_t a, size_t b, size_t *out);
/* Fills *out with a*b*c; returns false on overflow. */
bool dlld_size_mul3(size_t a, size_t b, size_t c, size_t *out);

/* Returns new zeroed memory of count*size bytes (free with free()), or NULL
 * with err set to DLLD_STATUS_NO_MEMORY (overflow counts as out of memory).
 * `what` names the buffer in the message. */
void *dlld_calloc(size_t count, size_t size, const char *what, struct dlld_error *err);
/* Returns new 64-byte-aligned, uninitialised memory of count*size bytes (free
 * with dlld_free_aligned), or NULL with err set. */
void *dlld_alloc_aligned(size_t count, size_t size, const char *what, struct dlld_error *err);
void dlld_free_aligned(void *p);
/* Returns a new copy of s (free with free()), or NULL with err set. */
char *dlld_strdup(const char *s, struct dlld_error *err);

/* ---- random numbers ------------------------------------------------------
 * xoshiro256** seeded through splitmix64; the state is always passed
 * explicitly, so results are identical for the same seed. */
struct dlld_rng {
	uint64_t s[4];
	double spare_normal;
	bool has_spare;
};

/* Fills rng from seed. */
void dlld_rng_seed(struct dlld_rng *rng, uint64_t seed);
/* Fills child with an independent stream derived from seed and stream id
 * (e.g. one per patient or per worker), so parallel work stays reproducible. */
void dlld_rng_seed_stream(struct dlld_rng *child, uint64_t seed, uint64_t stream);
uint64_t dlld_rng_u64(struct dlld_rng *rng);
/* Returns a double uniform in [0, 1). */
double dlld_rng_uniform(struct dlld_rng *rng);
/* Returns a double uniform in [lo, hi). */
double dlld_rng_range(struct dlld_rng *rng, double lo, double hi);
/* Returns an integer uniform in [0, n) without modulo bias; n > 0. */
uint64_t dlld_rng_below(struct dlld_rng *rng, uint64_t n);
/* Returns a standard normal deviate. */
double dlld_rng_normal(struct dlld_rng *rng);

/* ---- parsing numbers ------------------------------------------------------
 * Whole-string parsers: leading/trailing blanks allowed, anything else
 * (empty, "12abc", overflow, NaN for the int parsers) returns false. */
bool dlld_parse_double(const char *s, double *out);
bool dlld_parse_long(const char *s, long *out);
bool dlld_parse_u64(const char *s, uint64_t *out);

/* qsort comparator for doubles, ascending (NaN compares equal to anything). */
int dlld_compare_double(const void *a, const void *b);

/* ---- files -------------------------------------------------------------- */
bool dlld_path_exists(const char *path);
bool dlld_path_is_dir(const char *path);
/* Creates dir and its parents (like mkdir -p). */
enum dlld_status dlld_mkdir_p(const char *path, struct dlld_error *err);
/* Returns new malloc'd "a/b", or NULL with err set. */
char *dlld_path_join(const char *a, const char *b, struct dlld_error *err);
/* Reads a whole file: fills *data (new, NUL-terminated, free()) and *size. */
enum dlld_status dlld_read_file(const char *path, char **data, size_t *size,
				struct dlld_error *err);

/* Atomic writing: the output appears under its final name only when it is
 * complete. An open atomic file is written through fp and ended with
 * exactly one of commit (flush, fsync, rename) or abort (remove temp). */
struct dlld_atomic_file {
	FILE *fp;
	char path[1024];
	char tmp_path[1100];
};
enum dlld_status dlld_atomic_open(struct dlld_atomic_file *af, const char *path,
				  struct dlld_error *err);
enum dlld_status dlld_atomic_commit(struct dlld_atomic_file *af, struct dlld_error *err);
void dlld_atomic_abort(struct dlld_atomic_file *af);
/* Writes data to path atomically. */
enum dlld_status dlld_write_file_atomic(const char *path, const void *data, size_t size,
					struct dlld_error *err);
/* For libraries that write by file name (nifticlib, libpng): fills tmp with
 * a temporary name in path's folder that keeps path's extension
 * ("dir/.tmp-<pid>-<n>-name.nii.gz"). Rename it into place with
 * dlld_atomic_rename, or remove() it on failure. */
enum dlld_status dlld_atomic_temp_name(const char *path, char *tmp, size_t size,
				       struct dlld_error *err);
enum dlld_status dlld_atomic_rename(const char *tmp, const char *path, struct dlld_error *err);

/* ---- threads ---------------------------------------------------------------
 * A persistent pool of workers; dlld_pool_run is a parallel for over
 * [0, n_tasks) that returns when every task is done. The calling thread
 * works too. A pool of 1 thread runs everything on the caller. */
struct dlld_pool;
typedef void (*dlld_pool_task_fn)(void *ctx, size_t task, int worker);

/* Returns the number of online CPUs (>= 1). */
int dlld_cpu_count(void);
/* Returns a new pool with n_threads workers in all (including the caller);
 * n_threads <= 0 means dlld_cpu_count(). NULL with err on failure. */
struct dlld_pool *dlld_pool_create(int n_threads, struct dlld_error *err);
void dlld_pool_destroy(struct dlld_pool *pool); /* accepts NULL */
int dlld_pool_threads(const struct dlld_pool *pool);
/* Runs fn(ctx, task, worker) for every task in [0, n_tasks); worker is in
 * [0, dlld_pool_threads). Not reentrant: one run at a time per pool. */
void dlld_pool_run(struct dlld_pool *pool, size_t n_tasks, dlld_pool_task_fn fn, void *ctx);

/* ---- CSV -------------------------------------------------------------------
 * RFC 4180 tables with a header row (quotes, "" escapes, CRLF, BOM). Cells
 * are looked up by column name; unknown extra columns are ignored. */
struct dlld_csv;

/* Reads path: returns new table in *out. Errors name the file and line. */
enum dlld_status dlld_csv_read(const char *path, struct dlld_csv **out, struct dlld_error *err);
/* As dlld_csv_read, from memory; `name` is used in messages. */
enum dlld_status dlld_csv_parse(const char *name, const char *text, size_t size,
				struct dlld_csv **out, struct dlld_error *err);
void dlld_csv_destroy(struct dlld_csv *csv); /* accepts NULL */
size_t dlld_csv_rows(const struct dlld_csv *csv);
size_t dlld_csv_columns(const struct dlld_csv *csv);
const char *dlld_csv_name(const struct dlld_csv *csv);
/* Returns the column index of `name`, or -1. */
int dlld_csv_column(const struct dlld_csv *csv, const char *name);
/* Fills *col with the index of `name`; if absent, an error naming the file
 * and column (DLLD_STATUS_MALFORMED). */
enum dlld_status dlld_csv_require(const struct dlld_csv *csv, const char *name, int *col,
				  struct dlld_error *err);
/* Borrows the cell text (never NULL; "" for empty or missing cells). */
const char *dlld_csv_cell(const struct dlld_csv *csv, size_t row, int col);
/* Returns the 1-based file line where data row `row` starts. */
long dlld_csv_line(const struct dlld_csv *csv, size_t row);
/* Typed cells: an empty or non-numeric cell is DLLD_STATUS_MALFORMED naming
 * file, line and column. */
enum dlld_status dlld_csv_double(const struct dlld_csv *csv, size_t row, int col, double *out,
				 struct dlld_error *err);
enum dlld_status dlld_csv_long(const struct dlld_csv *csv, size_t row, int col, long *out,
			       struct dlld_error *err);

/* CSV writing helper: writes s to fp quoted when it needs quoting. */
void dlld_csv_write_cell(FILE *fp, const char *s);

/* ---- lesion classes ---------------------------------------------------------
 * The three classes of the paper, in the order of the detector's class
 * channels; their names are the `class` column of lesions.csv. */
enum dlld_lesion_class {
	DLLD_LESION_CLASS_METASTASIS,
	DLLD_LESION_CLASS_CYST,
	DLLD_LESION_CLASS_HEMANGIOMA,
	DLLD_LESION_CLASS_COUNT
};

/* Returns the static name ("metastasis", "cyst", "hemangioma"). */
const char *dlld_lesion_class_name(enum dlld_lesion_class cls);
/* Fills *cls from a name; false when unknown. */
bool dlld_lesion_class_parse(const char *name, enum dlld_lesion_class *cls);

#endif
