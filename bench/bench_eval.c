/*
 * bench/bench_eval.c — the whole `dlld eval` computation on a paper-sized
 * study it generates: 85 patients (45 normal, 40 diseased with 1–4 lesions),
 * the algorithm and 6 readers in two groups of 3, 1000 bootstrap resamples.
 * Target: under 1 s on 2 cores (issue 5).
 *
 *   build-x/bench/bench_eval [runs] [threads] [B]    (defaults 7, 2, 1000)
 *
 * Prints the median and min of `runs` timings of load + dlld_eval_run (the
 * outputs are not written) and the ratio of the median to the 1 s target.
 */
#include "dlld/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes the synthetic study into dir; returns false on failure. */
static bool make_study(const char *dir)
{
	static const char *const readers[7] = {"AI", "J1", "J2", "J3", "S1", "S2", "S3"};
	char path[1100];
	struct dlld_rng rng;
	FILE *c, *l, *r, *m;

	dlld_rng_seed(&rng, 2021);
	snprintf(path, sizeof path, "%s/cases.csv", dir);
	c = fopen(path, "w");
	snprintf(path, sizeof path, "%s/lesions.csv", dir);
	l = fopen(path, "w");
	snprintf(path, sizeof path, "%s/readers.csv", dir);
	r = fopen(path, "w");
	snprintf(path, sizeof path, "%s/marks.csv", dir);
	m = fopen(path, "w");
	if (!c || !l || !r || !m)
		return false;
	fputs("patient_id,diseased\n", c);
	fputs("patient_id,lesion_id,diameter_mm\n", l);
	fputs("reader,group,threshold\nAI,algorithm,50\n", r);
	for (int i = 1; i < 7; i++)
		fprintf(r, "%s,%s,3\n", readers[i], i <= 3 ? "junior" : "senior");
	fputs("reader,patient_id,lesion_id,rating\n", m);
	for (int k = 0; k < 85; k++) {
		bool dis = k >= 45;
		int n_les = dis ? 1 + (int)dlld_rng_below(&rng, 4) : 0;
		fprintf(c, "P%02d,%d\n", k, dis);
		for (int j = 0; j < n_les; j++) {
			double d = dlld_rng_range(&rng, 3, 40);
			fprintf(l, "P%02d,L%d,%.1f\n", k, j, d);
			for (int i = 0; i < 7; i++)
				if (dlld_rng_uniform(&rng) < (d < 10 ? 0.55 : 0.9))
					fprintf(m, "%s,P%02d,L%d,%d\n", readers[i], k, j,
						i == 0 ? 30 + (int)dlld_rng_below(&rng, 70)
						       : 2 + (int)dlld_rng_below(&rng, 4));
		}
		for (int i = 0; i < 7; i++) {
			int n_nl = (int)dlld_rng_below(&rng, i == 0 ? 4 : 2);
			for (int j = 0; j < n_nl; j++)
				fprintf(m, "%s,P%02d,,%d\n", readers[i], k,
					i == 0 ? 10 + (int)dlld_rng_below(&rng, 80)
					       : 1 + (int)dlld_rng_below(&rng, 5));
		}
	}
	return !fclose(c) + !fclose(l) + !fclose(r) + !fclose(m) == 4;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7, threads = argc > 2 ? atoi(argv[2]) : 2;
	long B = argc > 3 ? atol(argv[3]) : 1000;
	char dir[] = "/tmp/dlld-bench-eval-XXXXXX", p[4][1100];
	double t[64];
	struct dlld_error err;

	if (runs < 1 || runs > 64 || !mkdtemp(dir) || !make_study(dir)) {
		fprintf(stderr, "bench_eval: bad arguments or cannot write %s\n", dir);
		return 1;
	}
	static const char *const names[4] = {"cases", "lesions", "readers", "marks"};
	for (int i = 0; i < 4; i++)
		snprintf(p[i], sizeof p[i], "%s/%s.csv", dir, names[i]);
	struct dlld_eval_inputs in = {p[0], p[1], p[2], p[3]};
	struct dlld_eval_options opt;
	dlld_eval_options_default(&opt);
	opt.bootstrap_replicates = B;
	opt.threads = threads;
	for (int i = 0; i < runs; i++) {
		struct dlld_eval_study *s = NULL;
		struct dlld_eval_result *res = NULL;
		double t0 = dlld_time_now();
		dlld_error_clear(&err);
		if (dlld_eval_study_load(&in, &s, &err) || dlld_eval_run(s, &opt, &res, &err)) {
			char buf[1024];
			fprintf(stderr, "bench_eval: %s\n", dlld_error_format(&err, buf, sizeof buf));
			return 1;
		}
		t[i] = dlld_time_now() - t0;
		dlld_eval_result_destroy(res);
		dlld_eval_study_destroy(s);
	}
	for (int i = 0; i < 4; i++)
		unlink(p[i]);
	rmdir(dir);
	qsort(t, (size_t)runs, sizeof t[0], dlld_compare_double);
	printf("bench_eval: 85 patients, 7 readers, B=%ld, %d threads: median %.4f s, min %.4f s "
	       "over %d runs; median / 1 s target = %.3f\n",
	       B, threads, t[runs / 2], t[0], runs, t[runs / 2]);
	return 0;
}
