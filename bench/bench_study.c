/*
 * bench/bench_study.c — time per study by stage, the pipeline of `dlld
 * detect` (src/lesion/study.c) without writing outputs:
 *
 *   build-x/bench/bench_study MODEL STUDY [runs] [threads]
 *
 * STUDY: DICOM folder or NIfTI. Each run: read (file → HU volume), liver
 * (automatic liver mask), detect (the model over the liver's slices), post
 * (3D linking + false-positive filter with their defaults), total. Prints a
 * tab-separated row per run with wall seconds and process CPU seconds
 * (user + system of all threads: the steadier number on a loaded machine)
 * per stage, then the medians. The model is loaded once, before the runs.
 * Defaults: 5 runs, 2 threads.
 */
#include "dlld/lesion.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"

enum { STAGES = 5, MAX_RUNS = 64 };
static const char *const stage_names[STAGES] = {"read", "liver", "detect", "post", "total"};

static double median(const double *x, int n)
{
	double s[MAX_RUNS];
	for (int i = 0; i < n; i++)
		s[i] = x[i];
	qsort(s, (size_t)n, sizeof *s, dlld_compare_double);
	return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* One run of the pipeline on path; fills wall[] and cpu[] per stage and the
 * number of lesions kept. */
static enum dlld_status run(struct dlld_model *model, const char *path, int threads,
			    struct dlld_pool *pool, double wall[STAGES], double cpu[STAGES],
			    size_t *n_lesions, struct dlld_error *err)
{
	struct dlld_volume *v = NULL;
	struct dlld_labelmap *liver = NULL;
	struct dlld_voxel_box *boxes = NULL;
	struct dlld_lesion_set set = {0};
	struct dlld_liver_options lo;
	struct dlld_detect_options dopt;
	size_t n = 0;
	double t[STAGES], c[STAGES];
	enum dlld_status st;

	dlld_liver_options_default(&lo);
	lo.threads = threads;
	dlld_detect_options_default(&dopt);
	t[0] = dlld_time_now(), c[0] = cpu_now();
	if ((st = dlld_ct_load(path, NULL, &v, err)))
		return st;
	t[1] = dlld_time_now(), c[1] = cpu_now();
	if ((st = dlld_liver_mask(v, &lo, NULL, &liver, err)))
		goto done;
	t[2] = dlld_time_now(), c[2] = cpu_now();
	if ((st = dlld_detect_volume(model, v, liver, &dopt, pool, &boxes, &n, err)))
		goto done;
	t[3] = dlld_time_now(), c[3] = cpu_now();
	if ((st = dlld_lesion_link(&v->geom, boxes, n, NULL, &set, err)) ||
	    (st = dlld_fp_filter(NULL, v, liver, &set, NULL, err)))
		goto done;
	dlld_lesion_set_compact(&set);
	t[4] = dlld_time_now(), c[4] = cpu_now();
	for (int s = 0; s < STAGES - 1; s++)
		wall[s] = t[s + 1] - t[s], cpu[s] = c[s + 1] - c[s];
	wall[STAGES - 1] = t[4] - t[0], cpu[STAGES - 1] = c[4] - c[0];
	*n_lesions = set.n_lesions;
done:
	dlld_lesion_set_free(&set);
	free(boxes);
	dlld_labelmap_destroy(liver);
	dlld_volume_destroy(v);
	return st;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_study MODEL STUDY [runs] [threads]\n");
		return 1;
	}
	int runs = argc > 3 ? atoi(argv[3]) : 5, threads = argc > 4 ? atoi(argv[4]) : 2;
	if (runs < 1 || runs > MAX_RUNS || threads < 1) {
		fprintf(stderr, "bench_study: runs must be 1-%d and threads >= 1\n", MAX_RUNS);
		return 1;
	}
	struct dlld_error err;
	struct dlld_model *model = NULL;
	struct dlld_pool *pool = NULL;
	char buf[1600];
	double wall[MAX_RUNS][STAGES], cpu[MAX_RUNS][STAGES], col[MAX_RUNS];
	size_t lesions = 0;
	int rc = 0;

	dlld_error_clear(&err);
	if (dlld_model_load(argv[1], 0, &model, &err) || !(pool = dlld_pool_create(threads, &err))) {
		fprintf(stderr, "bench_study: %s\n", dlld_error_format(&err, buf, sizeof buf));
		dlld_model_destroy(model);
		return (int)err.status;
	}
	printf("run");
	for (int s = 0; s < STAGES; s++)
		printf("\t%s_s", stage_names[s]);
	for (int s = 0; s < STAGES; s++)
		printf("\t%s_cpu_s", stage_names[s]);
	printf("\tlesions\n");
	for (int r = 0; r < runs; r++) {
		if (run(model, argv[2], threads, pool, wall[r], cpu[r], &lesions, &err)) {
			fprintf(stderr, "bench_study: %s\n", dlld_error_format(&err, buf, sizeof buf));
			rc = (int)err.status;
			goto done;
		}
		printf("%d", r + 1);
		for (int s = 0; s < STAGES; s++)
			printf("\t%.2f", wall[r][s]);
		for (int s = 0; s < STAGES; s++)
			printf("\t%.2f", cpu[r][s]);
		printf("\t%zu\n", lesions);
		fflush(stdout);
	}
	printf("median");
	for (int s = 0; s < 2 * STAGES; s++) {
		for (int r = 0; r < runs; r++)
			col[r] = s < STAGES ? wall[r][s] : cpu[r][s - STAGES];
		printf("\t%.2f", median(col, runs));
	}
	printf("\t%zu\n", lesions);
done:
	dlld_pool_destroy(pool);
	dlld_model_destroy(model);
	return rc;
}
