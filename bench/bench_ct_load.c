/*
 * bench/bench_ct_load.c — how long DLLD takes to read a CT study: a DICOM
 * series (header scan alone, then the full load to HU) and the same volume
 * as NIfTI (.nii.gz and .nii). bench/ct_load.sh prepares the inputs (3D-IRCADb
 * patient 1, 512x512x129) and times dcm2niix on the same series next to it.
 *
 *   build-x/bench/bench_ct_load DICOM_DIR VOLUME.nii.gz VOLUME.nii [runs]
 *
 * Prints, per input, the median and min wall time of `runs` loads (default
 * 7), the median CPU time of the process (user + system: the honest number
 * on a shared, loaded machine), the input bytes per second (file sizes
 * summed, at the median wall time) and voxels per second.
 */
#include "dlld/ct.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_util.h"

/* Sums the sizes of the regular files in dir (one level) or of one file. */
static double input_bytes(const char *path)
{
	struct stat st;
	double total = 0;
	DIR *d;
	struct dirent *e;

	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (double)st.st_size;
	d = opendir(path);
	while (d && (e = readdir(d)) != NULL) {
		char p[2048];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			total += (double)st.st_size;
	}
	if (d)
		closedir(d);
	return total;
}

/* Times `runs` loads (scan_only: header scan alone); prints one row. */
static bool bench(const char *label, const char *path, int runs, bool scan_only)
{
	double *t = calloc((size_t)runs, sizeof *t), *c = calloc((size_t)runs, sizeof *c);
	double bytes = input_bytes(path);
	size_t voxels = 0;

	for (int r = 0; r < runs; r++) {
		struct dlld_error err;
		struct dlld_volume *v = NULL;
		struct dlld_dicom_scan *scan = NULL;
		double t0 = dlld_time_now(), c0 = cpu_now();
		enum dlld_status st;

		dlld_error_clear(&err);
		st = scan_only ? dlld_dicom_scan(path, &scan, &err) : dlld_ct_load(path, NULL, &v, &err);
		t[r] = dlld_time_now() - t0;
		c[r] = cpu_now() - c0;
		if (st) {
			char buf[1500];
			fprintf(stderr, "%s: %s\n", label, dlld_error_format(&err, buf, sizeof buf));
			free(t);
			free(c);
			return false;
		}
		if (v)
			dlld_geometry_voxels(&v->geom, &voxels);
		dlld_volume_destroy(v);
		dlld_dicom_scan_destroy(scan);
	}
	qsort(t, (size_t)runs, sizeof *t, dlld_compare_double);
	qsort(c, (size_t)runs, sizeof *c, dlld_compare_double);
	printf("%-34s %9.1f %9.1f %9.1f %10.1f %10.1f\n", label, 1e3 * t[runs / 2], 1e3 * t[0],
	       1e3 * c[runs / 2], bytes / 1e6 / t[runs / 2],
	       voxels ? (double)voxels / 1e6 / t[runs / 2] : 0.0);
	free(t);
	free(c);
	return true;
}

int main(int argc, char **argv)
{
	int runs = argc > 4 ? atoi(argv[4]) : 7;

	if (argc < 4 || runs < 1) {
		fprintf(stderr, "usage: %s DICOM_DIR VOLUME.nii.gz VOLUME.nii [runs]\n", argv[0]);
		return 1;
	}
	printf("%-34s %9s %9s %9s %10s %10s\n", "input", "median ms", "min ms", "CPU ms",
	       "MB/s in", "Mvox/s");
	bench("warm-up (DICOM load, not timed)", argv[1], 1, false);
	return bench("DICOM header scan", argv[1], runs, true) &&
		       bench("DICOM load to HU", argv[1], runs, false) &&
		       bench("NIfTI .nii.gz load", argv[2], runs, false) &&
		       bench("NIfTI .nii load", argv[3], runs, false)
		       ? 0
		       : 1;
}
