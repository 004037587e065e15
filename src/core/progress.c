/* core/progress.c — monotonic time and progress reports with rate and ETA. */
#include "dlld/core.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define REPORT_INTERVAL_S 0.2

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static dlld_progress_fn progress_fn;
static void *progress_ctx;

double dlld_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void dlld_progress_set_sink(dlld_progress_fn fn, void *ctx)
{
	pthread_mutex_lock(&sink_lock);
	progress_fn = fn;
	progress_ctx = ctx;
	pthread_mutex_unlock(&sink_lock);
}

static void report(struct dlld_progress *p)
{
	dlld_progress_fn fn;
	void *ctx;

	pthread_mutex_lock(&sink_lock);
	fn = progress_fn;
	ctx = progress_ctx;
	pthread_mutex_unlock(&sink_lock);
	p->t_last_report = dlld_time_now();
	if (fn)
		fn(ctx, p);
}

void dlld_progress_begin(struct dlld_progress *p, const char *label, const char *unit,
			 uint64_t total)
{
	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s", label ? label : "");
	snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "");
	p->total = total;
	p->t_start = dlld_time_now();
	p->eta_s = -1.0;
	report(p);
}

static void update_rate(struct dlld_progress *p, double now)
{
	double elapsed = now - p->t_start;

	p->rate = elapsed > 0.0 ? (double)p->done / elapsed : 0.0;
	if (p->total && p->rate > 0.0 && p->done <= p->total)
		p->eta_s = (double)(p->total - p->done) / p->rate;
	else
		p->eta_s = -1.0;
}

void dlld_progress_update(struct dlld_progress *p, uint64_t done)
{
	double now = dlld_time_now();

	p->done = done;
	if (now - p->t_last_report < REPORT_INTERVAL_S)
		return;
	update_rate(p, now);
	report(p);
}

void dlld_progress_end(struct dlld_progress *p)
{
	if (p->total && p->done < p->total)
		p->done = p->total;
	update_rate(p, dlld_time_now());
	p->eta_s = 0.0;
	p->finished = true;
	report(p);
}

static void format_seconds(double s, char *buf, size_t size)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, size, "%ldh%02ldm", t / 3600, (t / 60) % 60);
	else if (t >= 60)
		snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, size, "%lds", t);
}

char *dlld_progress_format(const struct dlld_progress *p, char *buf, size_t size)
{
	char eta[32] = "?", elapsed[32];
	double now = dlld_time_now();

	format_seconds(now - p->t_start, elapsed, sizeof elapsed);
	if (p->eta_s >= 0.0)
		format_seconds(p->eta_s, eta, sizeof eta);
	if (p->finished)
		snprintf(buf, size, "%s %llu %s in %s (%.3g %s/s)", p->label,
			 (unsigned long long)p->done, p->unit, elapsed, p->rate, p->unit);
	else if (p->total)
		snprintf(buf, size, "%s %llu/%llu %s  %.3g %s/s  ETA %s", p->label,
			 (unsigned long long)p->done, (unsigned long long)p->total, p->unit,
			 p->rate, p->unit, eta);
	else
		snprintf(buf, size, "%s %llu %s  %.3g %s/s", p->label,
			 (unsigned long long)p->done, p->unit, p->rate, p->unit);
	return buf;
}
