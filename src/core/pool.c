/* core/pool.c — a persistent worker pool running parallel-for jobs.
 *
 * Workers sleep on a condition variable between jobs; within a job they take
 * task indices from an atomic counter, so an unevenly loaded machine still
 * finishes as soon as the free cores allow. The caller works too. */
#include "dlld/core.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct dlld_pool {
	int n_threads;
	pthread_t *threads;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t done;
	uint64_t generation; /* bumped per job, under lock */
	bool stop;
	/* the current job */
	dlld_pool_task_fn fn;
	void *ctx;
	size_t n_tasks;
	atomic_size_t next_task;
	int busy_workers; /* under lock */
};

struct worker_arg {
	struct dlld_pool *pool;
	int index;
};

int dlld_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (int)n;
}

static void drain(struct dlld_pool *pool, int worker)
{
	for (;;) {
		size_t t = atomic_fetch_add(&pool->next_task, 1);
		if (t >= pool->n_tasks)
			break;
		pool->fn(pool->ctx, t, worker);
	}
}

static void *worker_main(void *p)
{
	struct worker_arg *arg = p;
	struct dlld_pool *pool = arg->pool;
	int index = arg->index;
	uint64_t seen = 0;

	free(arg);
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->stop && pool->generation == seen)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->stop)
			break;
		seen = pool->generation;
		pthread_mutex_unlock(&pool->lock);
		drain(pool, index);
		pthread_mutex_lock(&pool->lock);
		if (--pool->busy_workers == 0)
			pthread_cond_signal(&pool->done);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct dlld_pool *dlld_pool_create(int n_threads, struct dlld_error *err)
{
	struct dlld_pool *pool = dlld_calloc(1, sizeof *pool, "thread pool", err);

	if (!pool)
		return NULL;
	pool->n_threads = n_threads > 0 ? n_threads : dlld_cpu_count();
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pthread_cond_init(&pool->done, NULL);
	pool->threads = dlld_calloc((size_t)pool->n_threads, sizeof *pool->threads,
				    "thread pool", err);
	if (!pool->threads)
		goto fail;
	for (int i = 1; i < pool->n_threads; i++) {
		struct worker_arg *arg = dlld_calloc(1, sizeof *arg, "thread pool", err);
		if (arg) {
			arg->pool = pool;
			arg->index = i;
		}
		if (!arg || pthread_create(&pool->threads[i], NULL, worker_main, arg) != 0) {
			free(arg);
			dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "cannot start thread %d", i);
			pool->n_threads = i; /* workers 1..i-1 are running: destroy joins them */
			goto fail;
		}
	}
	return pool;

fail:
	dlld_pool_destroy(pool);
	return NULL;
}

void dlld_pool_destroy(struct dlld_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 1; pool->threads && i < pool->n_threads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->done);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}

int dlld_pool_threads(const struct dlld_pool *pool)
{
	return pool ? pool->n_threads : 1;
}

void dlld_pool_run(struct dlld_pool *pool, size_t n_tasks, dlld_pool_task_fn fn, void *ctx)
{
	if (!pool || pool->n_threads == 1 || n_tasks <= 1) {
		for (size_t t = 0; t < n_tasks; t++)
			fn(ctx, t, 0);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	pool->fn = fn;
	pool->ctx = ctx;
	pool->n_tasks = n_tasks;
	atomic_store(&pool->next_task, 0);
	pool->busy_workers = pool->n_threads - 1;
	pool->generation++;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);

	drain(pool, 0);

	pthread_mutex_lock(&pool->lock);
	while (pool->busy_workers > 0)
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
}
