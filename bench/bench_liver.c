/*
 * bench/bench_liver.c — how long the automatic liver mask takes on a real
 * study (e.g. 3D-IRCADb patient 1, 512x512x129, unzipped PATIENT_DICOM), with
 * 1 and 2 threads.
 *
 *   build-x/bench/bench_liver STUDY [runs]      STUDY: DICOM folder or NIfTI
 *
 * Prints, per thread count, the median and min wall time of `runs` masks
 * (default 5), the median process CPU time (user + system: the honest number
 * on a shared, loaded machine), the voxels per second, and the ratio of the
 * 1-thread to the 2-thread median.
 */
#include "dlld/lesion.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"

/* Times `runs` masks with `threads` threads; returns the median wall time. */
static double bench(const struct dlld_volume *ct, int threads, int runs)
{
	double wall[64], cpu[64];
	struct dlld_liver_options o;
	struct dlld_liver_report rep = {0};
	struct dlld_error err;
	char buf[1600];
	size_t voxels = 0;
	dlld_liver_options_default(&o);
	o.threads = threads;
	dlld_geometry_voxels(&ct->geom, &voxels);
	for (int r = 0; r < runs; r++) {
		struct dlld_labelmap *m = NULL;
		double t0 = dlld_time_now(), c0 = cpu_now();
		dlld_error_clear(&err);
		if (dlld_liver_mask(ct, &o, &rep, &m, &err)) {
			fprintf(stderr, "bench_liver: %s\n", dlld_error_format(&err, buf, sizeof buf));
			exit(1);
		}
		wall[r] = dlld_time_now() - t0;
		cpu[r] = cpu_now() - c0;
		dlld_labelmap_destroy(m);
	}
	qsort(wall, (size_t)runs, sizeof(double), dlld_compare_double);
	qsort(cpu, (size_t)runs, sizeof(double), dlld_compare_double);
	double med = wall[runs / 2];
	printf("threads %d: median %.3f s, min %.3f s, CPU %.3f s, %.1f Mvoxel/s, liver %.0f ml\n",
	       threads, med, wall[0], cpu[runs / 2], (double)voxels / med / 1e6, rep.volume_ml);
	return med;
}

int main(int argc, char **argv)
{
	struct dlld_volume *ct = NULL;
	struct dlld_error err;
	char buf[1600];
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	if (argc < 2 || runs < 1 || runs > 64) {
		fprintf(stderr, "usage: bench_liver STUDY [runs 1..64]\n");
		return 1;
	}
	dlld_error_clear(&err);
	if (dlld_ct_load(argv[1], NULL, &ct, &err)) {
		fprintf(stderr, "bench_liver: %s\n", dlld_error_format(&err, buf, sizeof buf));
		return 2;
	}
	printf("%s: %d x %d x %d, %.3f x %.3f x %.3f mm, %d runs\n", argv[1], ct->geom.dims[0],
	       ct->geom.dims[1], ct->geom.dims[2], ct->geom.spacing_mm[0], ct->geom.spacing_mm[1],
	       ct->geom.spacing_mm[2], runs);
	double one = bench(ct, 1, runs), two = bench(ct, 2, runs);
	printf("speed-up 2 threads vs 1: %.2fx\n", one / two);
	dlld_volume_destroy(ct);
	return 0;
}
