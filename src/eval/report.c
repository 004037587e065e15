/*
 * eval/report.c — the markdown report of `dlld eval --report`, laid out like
 * Kim et al. 2021 Tables 2–5: per-lesion sensitivity and FPP, size subgroups,
 * per-patient sensitivity/specificity, AFROC/wAFROC with bootstrap CIs and the
 * algorithm − readers difference; then the GEE comparisons and Fleiss' kappa.
 * Every percentage has its n/N beside it; NA marks an undefined value.
 */
#include "eval/stages.h"
#include "eval/stats.h"

#include <math.h>
#include <stdio.h>

struct report {
	FILE *fp;
	int dec; /* decimals of percentages */
	const struct dlld_eval_result *r;
};

/* Writes "x" with `dec` decimals, or NA. */
static void value(FILE *fp, double x, int dec)
{
	if (isfinite(x))
		fprintf(fp, "%.*f", dec, x);
	else
		fputs("NA", fp);
}

static void interval(FILE *fp, struct dlld_eval_interval iv, double scale, int dec)
{
	fputs(" (", fp);
	value(fp, iv.lo * scale, dec);
	fputs(", ", fp);
	value(fp, iv.hi * scale, dec);
	fputs(")", fp);
}

/* "81.0% (17/21) (60.2–92.3)" with the given CI. */
static void percent(const struct report *rp, const struct dlld_eval_proportion *p,
		    struct dlld_eval_interval iv)
{
	value(rp->fp, 100 * p->p, rp->dec);
	fprintf(rp->fp, "%% (%ld/%ld)", p->x, p->n);
	interval(rp->fp, iv, 100, rp->dec);
}

static void fpp(const struct report *rp, const struct dlld_eval_fpp *f)
{
	value(rp->fp, f->mean, rp->dec + 2);
	fprintf(rp->fp, " (%ld/%ld)", f->fp, f->units);
	interval(rp->fp, f->gee_poisson, 1, rp->dec + 2);
}

static const char *reader_group(const struct report *rp, size_t r)
{
	return rp->r->groups[rp->r->readers[r].group].name;
}

/* One Table 2 row: lesion sensitivity with its GEE CI, FPP. */
static void lesion_row(const struct report *rp, const char *name, const char *group,
		       const struct dlld_eval_proportion *sens, const struct dlld_eval_fpp *f)
{
	fprintf(rp->fp, "| %s | %s | ", name, group);
	percent(rp, sens, sens->gee_logit);
	fputs(" | ", rp->fp);
	fpp(rp, f);
	fputs(" |\n", rp->fp);
}

static void table2(const struct report *rp)
{
	const struct dlld_eval_result *r = rp->r;
	fprintf(rp->fp, "## Table 2. Per-lesion sensitivity and false positives per patient\n\n"
			"| Reader | Group | Sensitivity, %% (n/N) (95%% CI) | FPP (FP/N) (95%% CI) |\n"
			"|---|---|---|---|\n");
	for (size_t i = 0; i < r->n_readers; i++)
		lesion_row(rp, r->readers[i].name, reader_group(rp, i),
			   &r->readers[i].lesion_sensitivity, &r->readers[i].fpp);
	for (size_t g = 0; g < r->n_groups; g++)
		if (r->groups[g].n_readers >= 2)
			lesion_row(rp, "**pooled**", r->groups[g].name,
				   &r->groups[g].lesion_sensitivity, &r->groups[g].fpp);
	fprintf(rp->fp, "\nSensitivity CIs: logit GEE, independence, patients as clusters, robust SE. "
			"FPP = positive non-lesion marks per patient (pooled: per reader × patient "
			"read); CIs: Poisson log-link GEE, robust SE.\n\n");
}

static void size_row(const struct report *rp, const char *name, const char *group,
		     const struct dlld_eval_proportion *p)
{
	fprintf(rp->fp, "| %s | %s | ", name, group);
	percent(rp, &p[DLLD_EVAL_SIZE_LT10], p[DLLD_EVAL_SIZE_LT10].gee_logit);
	fputs(" | ", rp->fp);
	percent(rp, &p[DLLD_EVAL_SIZE_GE10], p[DLLD_EVAL_SIZE_GE10].gee_logit);
	fputs(" |\n", rp->fp);
}

static void table3(const struct report *rp)
{
	const struct dlld_eval_result *r = rp->r;
	fprintf(rp->fp, "## Table 3. Per-lesion sensitivity by lesion size\n\n"
			"| Reader | Group | < 10 mm, %% (n/N) (95%% CI) | ≥ 10 mm, %% (n/N) (95%% CI) |\n"
			"|---|---|---|---|\n");
	for (size_t i = 0; i < r->n_readers; i++)
		size_row(rp, r->readers[i].name, reader_group(rp, i),
			 r->readers[i].lesion_sensitivity_by_size);
	for (size_t g = 0; g < r->n_groups; g++)
		if (r->groups[g].n_readers >= 2)
			size_row(rp, "**pooled**", r->groups[g].name,
				 r->groups[g].lesion_sensitivity_by_size);
	fprintf(rp->fp, "\nSize = maximal axial diameter; 10.0 mm belongs to ≥ 10 mm. CIs as in Table 2.\n\n");
}

/* One Table 4 row: patient sensitivity, sensitivity on any mark and
 * specificity, with logit Wald CIs (one reader) or GEE CIs (pooled). */
static void patient_row(const struct report *rp, const char *name, const char *group,
			const struct dlld_eval_proportion *const p[3], bool pooled)
{
	fprintf(rp->fp, "| %s | %s", name, group);
	for (int i = 0; i < 3; i++) {
		fputs(" | ", rp->fp);
		percent(rp, p[i], pooled ? p[i]->gee_logit : p[i]->logit_wald);
	}
	fputs(" |\n", rp->fp);
}

static void table4(const struct report *rp)
{
	const struct dlld_eval_result *r = rp->r;
	fprintf(rp->fp, "## Table 4. Per-patient sensitivity and specificity\n\n"
			"| Reader | Group | Sensitivity, %% (n/N) (95%% CI) | Sensitivity, any positive mark | Specificity, %% (n/N) (95%% CI) |\n"
			"|---|---|---|---|---|\n");
	for (size_t i = 0; i < r->n_readers; i++) {
		const struct dlld_eval_reader_result *x = &r->readers[i];
		const struct dlld_eval_proportion *const p[3] = {
			&x->patient_sensitivity, &x->patient_sensitivity_anymark,
			&x->patient_specificity};
		patient_row(rp, x->name, reader_group(rp, i), p, false);
	}
	for (size_t g = 0; g < r->n_groups; g++) {
		const struct dlld_eval_group_result *x = &r->groups[g];
		const struct dlld_eval_proportion *const p[3] = {
			&x->patient_sensitivity, &x->patient_sensitivity_anymark,
			&x->patient_specificity};
		if (x->n_readers >= 2)
			patient_row(rp, "**pooled**", x->name, p, true);
	}
	fprintf(rp->fp, "\nSensitivity: diseased patients with ≥ 1 positive mark on a target lesion "
			"(or any positive mark). Specificity: normal patients without a positive mark. "
			"CIs: logit Wald; pooled rows (every reader × patient read): logit GEE, "
			"patients as clusters, robust SE.\n\n");
}

static void fom_cell(const struct report *rp, double fom, const struct dlld_eval_boot *b)
{
	value(rp->fp, fom, rp->dec + 2);
	interval(rp->fp, b->ci_percentile, 1, rp->dec + 2);
}

static void table5(const struct report *rp)
{
	const struct dlld_eval_result *r = rp->r;
	int d = rp->dec + 2;
	fprintf(rp->fp, "## Table 5. AFROC and wAFROC figures of merit\n\n"
			"| Reader | Group | AFROC (95%% bootstrap CI) | wAFROC (95%% bootstrap CI) | jackknife SE AFROC / wAFROC | FROC CPM |\n"
			"|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < r->n_readers; i++) {
		const struct dlld_eval_reader_result *x = &r->readers[i];
		fprintf(rp->fp, "| %s | %s | ", x->name, reader_group(rp, i));
		fom_cell(rp, x->fom[DLLD_EVAL_FOM_AFROC], &x->boot_afroc);
		fputs(" | ", rp->fp);
		fom_cell(rp, x->fom[DLLD_EVAL_FOM_WAFROC], &x->boot_wafroc);
		fputs(" | ", rp->fp);
		value(rp->fp, x->jackknife_se_afroc, d);
		fputs(" / ", rp->fp);
		value(rp->fp, x->jackknife_se_wafroc, d);
		fputs(" | ", rp->fp);
		value(rp->fp, x->cpm, d);
		fputs(" |\n", rp->fp);
	}
	for (size_t g = 0; g < r->n_groups; g++) {
		fprintf(rp->fp, "| **mean** | %s | ", r->groups[g].name);
		value(rp->fp, r->groups[g].mean_afroc, d);
		fputs(" | ", rp->fp);
		value(rp->fp, r->groups[g].mean_wafroc, d);
		fputs(" | | |\n", rp->fp);
	}
	fprintf(rp->fp, "\n| Difference | AFROC (95%% CI), p | wAFROC (95%% CI), p | B |\n|---|---|---|---|\n");
	for (size_t c = 0; c < r->n_comparisons; c++) {
		const struct dlld_eval_comparison *x = &r->comparisons[c];
		fprintf(rp->fp, "| %s − mean(%s) | ", r->groups[0].name, r->groups[x->group].name);
		fom_cell(rp, x->afroc_difference.observed, &x->afroc_difference);
		fputs(", p = ", rp->fp);
		value(rp->fp, x->afroc_difference.p_two_sided, 3);
		fputs(" | ", rp->fp);
		fom_cell(rp, x->wafroc_difference.observed, &x->wafroc_difference);
		fputs(", p = ", rp->fp);
		value(rp->fp, x->wafroc_difference.p_two_sided, 3);
		fprintf(rp->fp, " | %ld |\n", x->afroc_difference.replicates);
	}
	fprintf(rp->fp, "\nCIs: percentiles (type 7) of patient resamples stratified by normal/diseased; "
			"p: two-sided bootstrap p of the difference.\n\n");
}

static void gee_cells(const struct report *rp, const struct dlld_eval_gee_fit *f)
{
	for (int c = 0; c < DLLD_GEE_CORSTR_COUNT; c++) {
		fputs(" | ", rp->fp);
		value(rp->fp, f[c].beta_ai, 3);
		fputs(", p = ", rp->fp);
		value(rp->fp, f[c].p_wald, 4);
	}
}

static void comparisons(const struct report *rp)
{
	const struct dlld_eval_result *r = rp->r;
	fprintf(rp->fp, "## Algorithm versus readers (GEE, patients as clusters, robust Wald)\n\n"
			"| Comparison | Outcome | β (independence), p | β (exchangeable), p |\n"
			"|---|---|---|---|\n");
	for (size_t c = 0; c < r->n_comparisons; c++) {
		const struct dlld_eval_comparison *x = &r->comparisons[c];
		const char *a = r->groups[0].name, *g = r->groups[x->group].name;
		fprintf(rp->fp, "| %s vs %s | lesion sensitivity (logit)", a, g);
		gee_cells(rp, x->sensitivity);
		fprintf(rp->fp, " |\n| %s vs %s | false positives (log)", a, g);
		gee_cells(rp, x->fpp);
		fputs(" |\n", rp->fp);
	}
	fprintf(rp->fp, "\n## Agreement within groups (Fleiss' κ)\n\n"
			"| Group | Readers | κ lesion detection (z, p) | κ patient positive (z, p) |\n"
			"|---|---|---|---|\n");
	for (size_t g = 0; g < r->n_groups; g++) {
		const struct dlld_eval_group_result *x = &r->groups[g];
		if (!x->has_kappa)
			continue;
		const struct dlld_eval_kappa *k[2] = {&x->kappa_lesion, &x->kappa_patient};
		fprintf(rp->fp, "| %s | %zu", x->name, x->n_readers);
		for (int i = 0; i < 2; i++) {
			fputs(" | ", rp->fp);
			value(rp->fp, k[i]->kappa, 3);
			fputs(" (", rp->fp);
			value(rp->fp, k[i]->z, 2);
			fputs(", ", rp->fp);
			value(rp->fp, k[i]->p, 4);
			fputs(")", rp->fp);
		}
		fputs(" |\n", rp->fp);
	}
	fputs("\n", rp->fp);
}

enum dlld_status dlld_eval_write_report(const struct dlld_eval_result *r, const char *path,
					int decimals, struct dlld_error *err)
{
	struct dlld_atomic_file af;
	struct report rp = {NULL, decimals, r};
	enum dlld_status st = dlld_atomic_open(&af, path, err);

	if (st)
		return st;
	rp.fp = af.fp;
	fprintf(af.fp, "# Reader study evaluation\n\n%zu patients (%zu normal, %zu diseased), "
		       "%zu target lesions; %zu readers in %zu groups (algorithm: %s).\n\n",
		r->n_patients, r->n_normal, r->n_diseased, r->n_lesions, r->n_readers, r->n_groups,
		r->groups[0].name);
	table2(&rp);
	table3(&rp);
	table4(&rp);
	table5(&rp);
	comparisons(&rp);
	return dlld_atomic_commit(&af, err);
}
