/* bench/bench_synth.c — time to render one synthetic patient (no file
 * output) on one core: median wall and CPU time (the CPU time is what a
 * shared, loaded machine cannot inflate) over several patients of the
 * validation plan.
 *
 *   build/bench/bench_synth [matrix=512] [runs=3] [slice_mm=5]
 */
#include "dlld/synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct dlld_synth_options o;
	struct dlld_synth_plan *plan = NULL;
	struct dlld_error err;
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	double t[64], cpu[64], voxels = 0.0;

	dlld_synth_options_default(&o);
	o.matrix = argc > 1 ? atoi(argv[1]) : 512;
	o.slice_thickness_mm = argc > 3 ? atof(argv[3]) : 5.0;
	runs = runs < 1 ? 1 : (runs > 64 ? 64 : runs);
	dlld_error_clear(&err);
	if (dlld_synth_plan_create(&o, &plan, &err)) {
		char buf[2048];
		fprintf(stderr, "bench_synth: %s\n", dlld_error_format(&err, buf, sizeof buf));
		return 1;
	}
	for (int r = 0; r < runs; r++) {
		struct dlld_synth_case *c = NULL;
		double t0 = dlld_time_now();
		clock_t c0 = clock();
		if (dlld_synth_render(plan, (size_t)r % plan->n_patients, &c, &err)) {
			char buf[2048];
			fprintf(stderr, "bench_synth: %s\n", dlld_error_format(&err, buf, sizeof buf));
			return 1;
		}
		t[r] = dlld_time_now() - t0;
		cpu[r] = (double)(clock() - c0) / CLOCKS_PER_SEC;
		voxels = (double)c->ct->geom.dims[0] * c->ct->geom.dims[1] * c->ct->geom.dims[2];
		printf("patient %s: %d x %d x %d, %zu lesions, %.2f s (CPU %.2f s)\n",
		       plan->patients[(size_t)r % plan->n_patients].patient_id, c->ct->geom.dims[0],
		       c->ct->geom.dims[1], c->ct->geom.dims[2], c->n_lesions, t[r], cpu[r]);
		dlld_synth_case_destroy(c);
	}
	qsort(t, (size_t)runs, sizeof t[0], dlld_compare_double);
	qsort(cpu, (size_t)runs, sizeof cpu[0], dlld_compare_double);
	printf("median %.2f s wall, %.2f s CPU per patient (%.1f Mvoxel/CPU-s), matrix %d, "
	       "%g mm slices\n", t[runs / 2], cpu[runs / 2], voxels / cpu[runs / 2] / 1e6,
	       (int)o.matrix, o.slice_thickness_mm);
	dlld_synth_plan_destroy(plan);
	return 0;
}
