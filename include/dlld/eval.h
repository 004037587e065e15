/*
 * dlld/eval.h — the reader-study evaluation behind `dlld eval` (DESIGN §7,
 * docs/eval.md): loads cases/lesions/readers/marks tables, computes per-lesion
 * and per-patient detection statistics, FROC/AFROC figures of merit with
 * RJafroc's definitions, a stratified patient bootstrap, algorithm-vs-group
 * GEE comparisons and Fleiss' kappa, and writes them as JSON (docs/eval-json.md),
 * a markdown report laid out like the paper's Tables 2–5, and SVG/PNG plots.
 *
 * Undefined values (a logit CI at 0/n, a FOM without normal cases, ...) are
 * NaN in the structs and null in the JSON — never 0.
 */
#ifndef DLLD_EVAL_H
#define DLLD_EVAL_H

#include "dlld/core.h"

/* ---- the study ------------------------------------------------------------ */
struct dlld_eval_inputs {
	const char *cases;   /* patient_id,diseased */
	const char *lesions; /* patient_id,lesion_id,diameter_mm */
	const char *readers; /* reader,group,threshold (first row's group = the algorithm) */
	const char *marks;   /* reader,patient_id,lesion_id,rating[,positive] */
};

/* Opaque: the loaded and cross-checked study. */
struct dlld_eval_study;

/* Reads and checks the four tables: fills *out with a new study. Malformed
 * cells or missing columns → DLLD_STATUS_MALFORMED, tables that contradict
 * each other (unknown patient/lesion/reader, duplicates, a diseased flag that
 * disagrees with lesions.csv) → DLLD_STATUS_INCONSISTENT; both name file:line. */
enum dlld_status dlld_eval_study_load(const struct dlld_eval_inputs *in,
				      struct dlld_eval_study **out, struct dlld_error *err);
void dlld_eval_study_destroy(struct dlld_eval_study *study); /* accepts NULL */

/* ---- figures of merit --------------------------------------------------------
 * RJafroc's empirical FOMs (UtilFigureOfMerit); the table of names is the
 * JSON key set of "foms". */
enum dlld_eval_fom {
	DLLD_EVAL_FOM_AFROC,
	DLLD_EVAL_FOM_WAFROC,
	DLLD_EVAL_FOM_AFROC1,
	DLLD_EVAL_FOM_WAFROC1,
	DLLD_EVAL_FOM_HR_AUC,
	DLLD_EVAL_FOM_HR_SE,
	DLLD_EVAL_FOM_HR_SP,
	DLLD_EVAL_FOM_MAX_LLF,
	DLLD_EVAL_FOM_MAX_NLF,
	DLLD_EVAL_FOM_MAX_NLF_ALL_CASES,
	DLLD_EVAL_FOM_COUNT
};
/* Returns the static RJafroc name ("AFROC", "wAFROC", ..., "MaxNLFAllCases"). */
const char *dlld_eval_fom_name(enum dlld_eval_fom fom);

/* FROC CPM operating points: 1/8, 1/4, 1/2, 1, 2, 4, 8 false marks per patient. */
#define DLLD_EVAL_CPM_POINTS 7
extern const double dlld_eval_cpm_fpp[DLLD_EVAL_CPM_POINTS];

/* ---- results ---------------------------------------------------------------- */
struct dlld_eval_interval {
	double lo, hi; /* NaN when undefined */
};

/* x of n with its intervals; the GEE fields are NaN for patient-level rows. */
struct dlld_eval_proportion {
	long x, n;
	double p;
	double se_logit_gee;
	struct dlld_eval_interval gee_logit, wilson, clopper_pearson, logit_wald;
};

/* False positives (positive non-lesion marks) per patient or per patient read. */
struct dlld_eval_fpp {
	long fp, units; /* units: patients (per reader) or reader × patient reads (pooled) */
	double mean, se_log_gee, sum_fp_squared;
	struct dlld_eval_interval gee_poisson, poisson_exact;
};

/* A bootstrap summary of one statistic (observed value, B resamples). */
struct dlld_eval_boot {
	double observed;
	long replicates;
	struct dlld_eval_interval ci_percentile;
	double se, p_two_sided; /* p only for differences */
};

/* An empirical operating curve: n points (x[i], y[i]), from (0, 0) upward. */
struct dlld_eval_curve {
	size_t n;
	double *x, *y;
};

enum dlld_eval_size {
	DLLD_EVAL_SIZE_LT10, /* diameter < 10 mm */
	DLLD_EVAL_SIZE_GE10, /* diameter >= 10 mm (10.0 belongs here) */
	DLLD_EVAL_SIZE_COUNT
};

struct dlld_eval_reader_result {
	const char *name; /* borrowed from the study */
	size_t group;
	double threshold;
	struct dlld_eval_proportion lesion_sensitivity;
	struct dlld_eval_proportion lesion_sensitivity_by_size[DLLD_EVAL_SIZE_COUNT];
	struct dlld_eval_fpp fpp;
	struct dlld_eval_proportion patient_sensitivity, patient_sensitivity_anymark,
		patient_specificity;
	double fom[DLLD_EVAL_FOM_COUNT];
	double jackknife_se_afroc, jackknife_se_wafroc;
	double cpm_sensitivity[DLLD_EVAL_CPM_POINTS], cpm;
	struct dlld_eval_boot boot_afroc, boot_wafroc;
	struct dlld_eval_curve afroc, froc; /* AFROC: (FPF, LLF); FROC: (NLF, LLF) */
};

struct dlld_eval_kappa {
	double kappa, se0, z, p; /* NaN when undefined */
};

struct dlld_eval_group_result {
	const char *name; /* borrowed */
	size_t n_readers;
	const size_t *readers; /* borrowed reader indices */
	struct dlld_eval_proportion lesion_sensitivity;
	struct dlld_eval_proportion lesion_sensitivity_by_size[DLLD_EVAL_SIZE_COUNT];
	struct dlld_eval_fpp fpp;
	/* pooled (reader, patient) reads, GEE logit CI primary; in the report,
	 * not in the JSON schema */
	struct dlld_eval_proportion patient_sensitivity, patient_sensitivity_anymark,
		patient_specificity;
	double mean_afroc, mean_wafroc;
	bool has_kappa; /* groups of >= 2 readers */
	struct dlld_eval_kappa kappa_lesion, kappa_patient;
};

enum dlld_eval_corstr {
	DLLD_EVAL_CORSTR_INDEPENDENCE,
	DLLD_EVAL_CORSTR_EXCHANGEABLE,
	DLLD_EVAL_CORSTR_COUNT
};

/* One GEE fit with a 0/1 algorithm indicator: NaN fields when it failed. */
struct dlld_eval_gee_fit {
	double beta_ai, se_robust, p_wald, intercept, alpha;
};

struct dlld_eval_comparison {
	size_t group; /* the group compared with group 0 (the algorithm) */
	struct dlld_eval_gee_fit sensitivity[DLLD_EVAL_CORSTR_COUNT];
	struct dlld_eval_gee_fit fpp[DLLD_EVAL_CORSTR_COUNT];
	struct dlld_eval_boot afroc_difference, wafroc_difference; /* algorithm − mean(group) */
};

struct dlld_eval_result {
	size_t n_patients, n_normal, n_diseased, n_lesions;
	size_t n_readers, n_groups, n_comparisons;
	struct dlld_eval_reader_result *readers;
	struct dlld_eval_group_result *groups;
	struct dlld_eval_comparison *comparisons;
};

struct dlld_eval_options {
	long bootstrap_replicates;     /* B; 0 skips the bootstrap */
	uint64_t seed;
	const char *bootstrap_indices; /* CSV of resamples to replay, or NULL */
	int threads;                   /* <= 0: all CPUs */
};

/* Fills opt with the defaults (B = 1000, seed 1, all CPUs). */
void dlld_eval_options_default(struct dlld_eval_options *opt);

/* Computes everything: fills *out with a new result that borrows names from
 * study (keep the study alive while the result is used). */
enum dlld_status dlld_eval_run(const struct dlld_eval_study *study,
			       const struct dlld_eval_options *opt,
			       struct dlld_eval_result **out, struct dlld_error *err);
void dlld_eval_result_destroy(struct dlld_eval_result *result); /* accepts NULL */

/* ---- outputs (atomic writes) ------------------------------------------------ */
/* Writes the JSON document of docs/eval-json.md. */
enum dlld_status dlld_eval_write_json(const struct dlld_eval_result *r, const char *path,
				      struct dlld_error *err);
/* Writes the markdown report (Tables 2–5); `decimals` digits for percentages. */
enum dlld_status dlld_eval_write_report(const struct dlld_eval_result *r, const char *path,
					int decimals, struct dlld_error *err);
/* Writes AFROC and FROC plots (SVG and PNG) per reader and group into dir,
 * and the curve points as CSV; creates dir. */
enum dlld_status dlld_eval_write_plots(const struct dlld_eval_result *r, const char *dir,
				       struct dlld_error *err);

#endif
