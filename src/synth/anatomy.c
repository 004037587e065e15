/* synth/anatomy.c — one random patient: body habitus, organ placement and
 * sizes, and portal-venous attenuation values (docs/synth.md § HU values).
 * Objects are appended in paint order: what is painted later covers what
 * was painted before (bowel, then solid organs, then the liver, its
 * vessels, the gallbladder and finally the lesions). */
#include "synth/synth_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float uni(struct dlld_rng *rng, double lo, double hi)
{
	return (float)dlld_rng_range(rng, lo, hi);
}

static float gauss(struct dlld_rng *rng, double mean, double sd, double lo, double hi)
{
	double v = mean + sd * dlld_rng_normal(rng);
	return (float)fmin(hi, fmax(lo, v));
}

struct synth_object *synth_anatomy_add(struct synth_anatomy *a, enum synth_kind kind,
				       enum synth_role role, struct dlld_error *err)
{
	struct synth_object *o;

	if (a->n_objects == a->cap_objects) {
		size_t cap = a->cap_objects ? 2 * a->cap_objects : 256;
		void *grown = NULL;
		size_t bytes;

		if (dlld_size_mul(cap, sizeof *a->objects, &bytes))
			grown = realloc(a->objects, bytes);
		if (!grown) {
			dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL,
				       "out of memory for %zu phantom objects", cap);
			return NULL;
		}
		a->objects = grown;
		a->cap_objects = cap;
	}
	o = &a->objects[a->n_objects++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->role = role;
	return o;
}

void synth_anatomy_free(struct synth_anatomy *a)
{
	free(a->objects);
	a->objects = NULL;
	a->n_objects = a->cap_objects = 0;
}

/* Appends an ellipsoid rotated by angle_deg about z; returns it or NULL. */
static struct synth_object *add_ellipsoid(struct synth_anatomy *a, enum synth_role role,
					  const float c[3], const float r[3], float angle_deg,
					  float hu, struct dlld_error *err)
{
	struct synth_object *o = synth_anatomy_add(a, SYNTH_KIND_ELLIPSOID, role, err);
	float t = angle_deg * (3.14159265f / 180.0f);

	if (!o)
		return NULL;
	memcpy(o->u.ell.c, c, sizeof o->u.ell.c);
	memcpy(o->u.ell.r, r, sizeof o->u.ell.r);
	o->u.ell.cos_a = cosf(t);
	o->u.ell.sin_a = sinf(t);
	o->hu = hu;
	o->texture_seed = a->texture_seed + a->n_objects;
	return o;
}

/* Appends a tapered tube from p to q; returns it or NULL. */
static struct synth_object *add_capsule(struct synth_anatomy *a, enum synth_role role,
					const float p[3], const float q[3], float rp, float rq,
					float hu, struct dlld_error *err)
{
	struct synth_object *o = synth_anatomy_add(a, SYNTH_KIND_CAPSULE, role, err);

	if (!o)
		return NULL;
	memcpy(o->u.cap.a, p, sizeof o->u.cap.a);
	memcpy(o->u.cap.b, q, sizeof o->u.cap.b);
	o->u.cap.ra = rp;
	o->u.cap.rb = rq;
	o->hu = hu;
	o->texture_seed = a->texture_seed + a->n_objects;
	return o;
}

static void build_body(struct synth_anatomy *a, struct dlld_rng *rng)
{
	struct synth_body *b = &a->body;
	float ax, ay;

	b->half_x = uni(rng, 135, 182);
	b->half_y = b->half_x * uni(rng, 0.66, 0.80);
	b->power = uni(rng, 2.2, 2.6);
	b->fat_mm = 6.0f + (b->half_x - 135.0f) * 0.45f + uni(rng, 0, 10);
	b->muscle_mm = uni(rng, 8, 14);
	b->contour_phase[0] = uni(rng, 0, 6.2831853);
	b->contour_phase[1] = uni(rng, 0, 6.2831853);
	ax = b->half_x - b->fat_mm - b->muscle_mm;
	ay = b->half_y - b->fat_mm - b->muscle_mm;
	b->spine_y = ay - uni(rng, 40, 48);
	b->dome_right[0] = -0.45f * ax;
	b->dome_right[1] = uni(rng, -5, 10);
	b->dome_right[2] = 0.0f;
	b->dome_left[0] = 0.45f * ax;
	b->dome_left[1] = uni(rng, -5, 10);
	b->dome_left[2] = -uni(rng, 8, 22);
	b->dome_curv = uni(rng, 0.0042, 0.0060);
	b->lung_hu = gauss(rng, -865, 20, -910, -820);
	b->fat_hu = gauss(rng, -100, 8, -118, -82);
	b->muscle_hu = gauss(rng, 56, 5, 45, 68);
	b->rib_top_z = uni(rng, 20, 40);
	b->rib_step_mm = uni(rng, 24, 29);
	b->n_ribs = 7;
	a->fov_mm = fminf(500.0f, fmaxf(300.0f, 2.0f * b->half_x + uni(rng, 25, 60)));
	a->z_top = uni(rng, 25, 45);
	a->z_bottom = -uni(rng, 235, 265);
}

static void build_attenuation(struct synth_anatomy *a, struct dlld_rng *rng)
{
	a->liver_hu = gauss(rng, 112, 8, 95, 135);
	a->blood_hu = a->liver_hu + uni(rng, 30, 60);
	a->heterogeneity_hu = uni(rng, 2.5, 6.0);
	a->noise_hu_5mm = uni(rng, 6.5, 11.0);
	a->psf_mm = uni(rng, 0.55, 0.80);
}

/* Cavity half-axes (inner surface of the abdominal wall muscles). */
static void cavity_axes(const struct synth_body *b, float *ax, float *ay)
{
	*ax = b->half_x - b->fat_mm - b->muscle_mm;
	*ay = b->half_y - b->fat_mm - b->muscle_mm;
}

/* Returns the z of an organ centre of half-height rz that sits just under
 * the diaphragm at (x, y), at most `below` mm lower. */
static float under_diaphragm(const struct synth_body *b, float x, float y, float rz, float below)
{
	return synth_diaphragm_z(b, x, y) - 7.0f - rz - below;
}

static enum dlld_status build_thorax(struct synth_anatomy *a, struct dlld_rng *rng,
				     struct dlld_error *err)
{
	const struct synth_body *b = &a->body;
	struct synth_object *o;
	float ax, ay, c[3], r[3], rf[3];

	cavity_axes(b, &ax, &ay);
	o = synth_anatomy_add(a, SYNTH_KIND_THORAX, SYNTH_ROLE_TISSUE, err);
	if (!o)
		return err->status;
	o->hu = b->muscle_hu;
	o->texture_seed = a->texture_seed + 11;
	/* heart on the central tendon, wrapped in pericardial fat */
	r[0] = uni(rng, 60, 72);
	r[1] = 0.78f * r[0];
	r[2] = uni(rng, 45, 55);
	c[0] = uni(rng, 10, 25);
	c[1] = -0.35f * ay;
	c[2] = synth_diaphragm_z(b, c[0], c[1]) + r[2] - 4.0f;
	rf[0] = r[0] + 8.0f;
	rf[1] = r[1] + 8.0f;
	rf[2] = r[2] + 6.0f;
	if (!add_ellipsoid(a, SYNTH_ROLE_TISSUE, c, rf, 15.0f, b->fat_hu + 20.0f, err))
		return err->status;
	o = add_ellipsoid(a, SYNTH_ROLE_TISSUE, c, r, 15.0f, a->blood_hu - 10.0f, err);
	if (!o)
		return err->status;
	o->u.ell.wall_mm = uni(rng, 8, 12);
	o->u.ell.wall_hu = a->liver_hu;
	return DLLD_STATUS_OK;
}

/* A chain of tubes through the points pts[n][3]. */
static enum dlld_status add_chain(struct synth_anatomy *a, float (*pts)[3], int n, float radius,
				  float wall_mm, float wall_hu, enum synth_content content,
				  float hu, float hu2, struct dlld_error *err)
{
	for (int k = 0; k + 1 < n; k++) {
		struct synth_object *o = add_capsule(a, SYNTH_ROLE_TISSUE, pts[k], pts[k + 1],
						     radius, radius, hu, err);
		if (!o)
			return err->status;
		o->hu2 = hu2;
		o->u.cap.wall_mm = wall_mm;
		o->u.cap.wall_hu = wall_hu;
		o->u.cap.content = content;
		o->texture_seed = a->texture_seed + 97;
	}
	return DLLD_STATUS_OK;
}

static enum dlld_status build_bowel(struct synth_anatomy *a, struct dlld_rng *rng,
				    struct dlld_error *err)
{
	float ax, ay, zb = a->z_bottom - 20.0f;
	enum dlld_status st;

	cavity_axes(&a->body, &ax, &ay);
	float colon[6][3] = {
		{-0.70f * ax, 0.05f * ay, zb},
		{-0.66f * ax, -0.05f * ay, -140.0f - uni(rng, 0, 25)},
		{-0.48f * ax, -0.45f * ay, -150.0f - uni(rng, 0, 25)},
		{0.05f * ax, -0.68f * ay, -170.0f - uni(rng, 0, 40)},
		{0.66f * ax, -0.20f * ay, -115.0f - uni(rng, 0, 20)},
		{0.70f * ax, 0.15f * ay, zb},
	};
	st = add_chain(a, colon, 6, uni(rng, 17, 24), 2.5f, 65.0f, SYNTH_CONTENT_MOTTLED,
		       uni(rng, -30, 40), -950.0f, err);
	for (int loop = 0; loop < 7 && st == DLLD_STATUS_OK; loop++) {
		float pts[5][3], hu = dlld_rng_uniform(rng) < 0.15 ? uni(rng, 180, 320)
								   : uni(rng, 5, 35);
		pts[0][0] = uni(rng, -0.45, 0.45) * ax;
		pts[0][1] = uni(rng, -0.75, 0.05) * ay;
		pts[0][2] = uni(rng, zb + 20.0f, -175.0f);
		for (int k = 1; k < 5; k++) {
			pts[k][0] = fminf(0.5f * ax, fmaxf(-0.5f * ax, pts[k - 1][0] + uni(rng, -35, 35)));
			pts[k][1] = fminf(0.1f * ay, fmaxf(-0.8f * ay, pts[k - 1][1] + uni(rng, -30, 30)));
			pts[k][2] = fminf(-165.0f, pts[k - 1][2] + uni(rng, -25, 25));
		}
		st = add_chain(a, pts, 5, uni(rng, 9, 13), 2.5f, a->liver_hu, SYNTH_CONTENT_SOLID, hu,
			       hu, err);
	}
	return st;
}

static enum dlld_status build_stomach_spleen(struct synth_anatomy *a, struct dlld_rng *rng,
					     struct dlld_error *err)
{
	const struct synth_body *b = &a->body;
	struct synth_object *o;
	float ax, ay, c[3], r[3];

	cavity_axes(b, &ax, &ay);
	r[0] = uni(rng, 38, 52);
	r[1] = uni(rng, 30, 40);
	r[2] = uni(rng, 45, 60);
	c[0] = 0.32f * ax;
	c[1] = -0.30f * ay;
	c[2] = under_diaphragm(b, c[0], c[1], r[2], uni(rng, 0, 15));
	o = add_ellipsoid(a, SYNTH_ROLE_TISSUE, c, r, -30.0f, uni(rng, 5, 30), err);
	if (!o)
		return err->status;
	o->u.ell.wall_mm = uni(rng, 3, 6);
	o->u.ell.wall_hu = a->liver_hu - uni(rng, 0, 25);
	o->u.ell.lobulation = 0.05f;
	o->hu2 = -960.0f;
	o->u.ell.content = dlld_rng_uniform(rng) < 0.3 ? SYNTH_CONTENT_MOTTLED : SYNTH_CONTENT_LEVEL;
	o->u.ell.level_y = c[1] - r[1] * uni(rng, 0.35, 0.9);
	/* spleen: posterolateral, concave medial surface */
	r[0] = uni(rng, 18, 26);
	r[1] = uni(rng, 45, 62);
	r[2] = uni(rng, 42, 58);
	c[0] = 0.60f * ax;
	c[1] = 0.38f * ay;
	c[2] = under_diaphragm(b, c[0], c[1], r[2], uni(rng, 0, 10));
	o = add_ellipsoid(a, SYNTH_ROLE_TISSUE, c, r, 35.0f, a->liver_hu + uni(rng, -2, 15), err);
	if (!o)
		return err->status;
	o->u.ell.lobulation = 0.04f;
	o->u.ell.bite_c[0] = c[0] - 40.0f;
	o->u.ell.bite_c[1] = c[1] - 20.0f;
	o->u.ell.bite_c[2] = c[2];
	o->u.ell.bite_r = 30.0f;
	return DLLD_STATUS_OK;
}

static enum dlld_status build_retroperitoneum(struct synth_anatomy *a, struct dlld_rng *rng,
					      struct dlld_error *err)
{
	const struct synth_body *b = &a->body;
	float sy = b->spine_y, kidney_hu = uni(rng, 150, 195), psoas_top = -uni(rng, 165, 185);

	for (int side = -1; side <= 1; side += 2) {
		float s = (float)side;
		float c[3] = {s * uni(rng, 66, 80), sy + uni(rng, 0, 12),
			      (side < 0 ? -165.0f : -150.0f) + uni(rng, -12, 12)};
		float r[3] = {uni(rng, 24, 30), uni(rng, 20, 26), uni(rng, 48, 58)};
		float sc[3] = {c[0] - s * 12.0f, c[1] - 6.0f, c[2]};
		float sr[3] = {9.0f, 8.0f, 0.5f * r[2]};
		float hilum[3] = {c[0] - s * 20.0f, c[1] - 10.0f, c[2]};
		float ivc[3] = {-24.0f, sy - 28.0f, c[2]};
		float pc[3] = {s * 38.0f, sy + 4.0f, psoas_top - 60.0f};
		float pr[3] = {uni(rng, 16, 22), uni(rng, 16, 21), 60.0f};

		if (!add_ellipsoid(a, SYNTH_ROLE_TISSUE, pc, pr, 0.0f, b->muscle_hu, err) ||
		    !add_ellipsoid(a, SYNTH_ROLE_TISSUE, c, r, s * 25.0f, kidney_hu, err) ||
		    !add_ellipsoid(a, SYNTH_ROLE_TISSUE, sc, sr, s * 25.0f, b->fat_hu + 30.0f, err) ||
		    !add_capsule(a, SYNTH_ROLE_TISSUE, hilum, ivc, 5.0f, 6.0f, a->blood_hu - 15.0f,
				 err))
			return err->status;
	}
	return DLLD_STATUS_OK;
}

static enum dlld_status build_great_vessels(struct synth_anatomy *a, struct dlld_rng *rng,
					    struct dlld_error *err)
{
	float sy = a->body.spine_y, ax, ay;
	float ao_lo[3] = {16.0f, sy - 28.0f, a->z_bottom - 20.0f};
	float ao_hi[3] = {uni(rng, 10, 22), sy - 30.0f, a->z_top + 20.0f};
	float ivc_lo[3] = {-24.0f, sy - 26.0f, a->z_bottom - 20.0f};
	float ivc_hi[3] = {-24.0f, sy - 30.0f, a->z_top + 20.0f};
	float aorta_r = uni(rng, 9.5, 13.0);
	float tail[3], conf[3], head[3], neck[3], body[3];

	cavity_axes(&a->body, &ax, &ay);
	if (!add_capsule(a, SYNTH_ROLE_TISSUE, ao_lo, ao_hi, aorta_r, aorta_r + 1.5f, a->blood_hu,
			 err) ||
	    !add_capsule(a, SYNTH_ROLE_TISSUE, ivc_lo, ivc_hi, 11.0f, 12.5f,
			 a->blood_hu - uni(rng, 5, 25), err))
		return err->status;
	/* pancreas along the splenic vein, portal confluence behind its neck */
	head[0] = -28.0f; head[1] = sy - 52.0f; head[2] = -140.0f + uni(rng, -10, 10);
	neck[0] = 0.0f; neck[1] = sy - 62.0f; neck[2] = head[2] + 8.0f;
	body[0] = 0.3f * ax; body[1] = sy - 50.0f; body[2] = head[2] + 20.0f;
	tail[0] = 0.52f * ax; tail[1] = sy - 10.0f; tail[2] = head[2] + 32.0f;
	float pancreas[4][3] = {{head[0], head[1], head[2]}, {neck[0], neck[1], neck[2]},
				{body[0], body[1], body[2]}, {tail[0], tail[1], tail[2]}};
	if (add_chain(a, pancreas, 4, uni(rng, 9, 13), 0.0f, 0.0f, SYNTH_CONTENT_SOLID,
		      a->liver_hu - uni(rng, 0, 20), 0.0f, err))
		return err->status;
	conf[0] = -6.0f; conf[1] = sy - 44.0f; conf[2] = head[2] + 4.0f;
	tail[1] += 8.0f;
	float smv_lo[3] = {-10.0f, sy - 55.0f, a->z_bottom - 20.0f};
	if (!add_capsule(a, SYNTH_ROLE_TISSUE, tail, conf, 4.0f, 5.0f, a->blood_hu, err) ||
	    !add_capsule(a, SYNTH_ROLE_TISSUE, smv_lo, conf, 5.0f, 6.0f, a->blood_hu, err))
		return err->status;
	return DLLD_STATUS_OK;
}

static enum dlld_status build_skeleton(struct synth_anatomy *a, struct dlld_error *err)
{
	const struct synth_body *b = &a->body;
	struct synth_object *o;

	for (int side = -1; side <= 1; side += 2) {
		float c[3] = {(float)side * 36.0f, b->spine_y + 44.0f, 0.0f};
		float r[3] = {30.0f, 24.0f, 1e4f};
		if (!add_ellipsoid(a, SYNTH_ROLE_TISSUE, c, r, 0.0f, b->muscle_hu, err))
			return err->status;
	}
	o = synth_anatomy_add(a, SYNTH_KIND_SPINE, SYNTH_ROLE_TISSUE, err);
	if (!o)
		return err->status;
	o->hu = 230.0f;
	o->hu2 = 700.0f;
	o = synth_anatomy_add(a, SYNTH_KIND_RIBS, SYNTH_ROLE_TISSUE, err);
	if (!o)
		return err->status;
	o->hu = 260.0f;
	o->hu2 = 750.0f;
	return DLLD_STATUS_OK;
}

static void random_warp(struct synth_warp *w, struct dlld_rng *rng, float amp_lo, float amp_hi)
{
	for (int k = 0; k < SYNTH_WARP_TERMS; k++) {
		float wavelength = uni(rng, 90, 200), norm = 0.0f;
		float dir[3] = {(float)dlld_rng_normal(rng), (float)dlld_rng_normal(rng),
				(float)dlld_rng_normal(rng)};
		for (int i = 0; i < 3; i++)
			norm += dir[i] * dir[i];
		norm = sqrtf(fmaxf(norm, 1e-6f));
		for (int i = 0; i < 3; i++)
			w->freq[k][i] = dir[i] / norm * (6.2831853f / wavelength);
		w->amp_mm[k] = uni(rng, amp_lo, amp_hi);
		w->phase[k] = uni(rng, 0, 6.2831853);
	}
}

/* The liver: a boxy right lobe, a flat left lobe reaching across the
 * midline in front of the stomach, a medial/caudate part, blended and
 * warped; the gallbladder fossa and the IVC are carved out. */
static enum dlld_status build_liver(struct synth_anatomy *a, struct dlld_rng *rng,
				    struct dlld_error *err)
{
	const struct synth_body *b = &a->body;
	struct synth_object *o;
	struct synth_liver *l;
	float ax, ay, s = uni(rng, 0.95, 1.20), left = uni(rng, 0.7, 1.25);
	bool gallbladder = dlld_rng_uniform(rng) < 0.85;

	cavity_axes(b, &ax, &ay);
	o = synth_anatomy_add(a, SYNTH_KIND_LIVER, SYNTH_ROLE_LIVER, err);
	if (!o)
		return err->status;
	a->liver_index = a->n_objects - 1;
	o->hu = a->liver_hu;
	l = &o->u.liver;
	float lobes[SYNTH_LIVER_LOBES][6] = {
		/* centre x, y, z; semi-axes x, y, z */
		{-0.50f * ax, 0.02f * ay, -72.0f, 0.46f * ax * s, 0.70f * ay * s, 72.0f * s},
		{0.02f * ax, -0.52f * ay, -48.0f, 0.40f * ax * left, 0.26f * ay * s, 36.0f * s},
		{-0.16f * ax, -0.10f * ay, -62.0f, 0.22f * ax * s, 0.34f * ay * s, 42.0f * s},
	};
	for (int k = 0; k < SYNTH_LIVER_LOBES; k++) {
		for (int i = 0; i < 3; i++) {
			l->c[k][i] = lobes[k][i] + uni(rng, -6, 6);
			l->r[k][i] = lobes[k][3 + i] * uni(rng, 0.92, 1.08);
		}
		l->power[k] = 2 + (int)dlld_rng_below(rng, k == 0 ? 3 : 2);
	}
	l->c[0][2] = fmaxf(l->c[0][2], -l->r[0][2] - 2.0f);
	l->blend_mm = uni(rng, 18, 30);
	random_warp(&l->warp, rng, 3.0f, 8.0f);
	l->ivc_c[0] = -24.0f;
	l->ivc_c[1] = b->spine_y - 29.0f;
	l->ivc_r = 11.0f; /* the liver wraps the IVC without a gap */
	if (gallbladder) {
		l->gb_r[0] = uni(rng, 11, 17);
		l->gb_r[1] = uni(rng, 13, 20);
		l->gb_r[2] = uni(rng, 25, 40);
		l->gb_c[0] = -0.22f * ax + uni(rng, -8, 8);
		l->gb_c[1] = -0.40f * ay + uni(rng, -8, 8);
		l->gb_c[2] = l->c[0][2] - l->r[0][2] * 0.45f;
	}
	return DLLD_STATUS_OK;
}

static enum dlld_status build_gallbladder(struct synth_anatomy *a, struct dlld_rng *rng,
					  struct dlld_error *err)
{
	const struct synth_liver *l = &a->objects[a->liver_index].u.liver;
	struct synth_object *o;

	if (l->gb_r[0] <= 0.0f)
		return DLLD_STATUS_OK;
	o = add_ellipsoid(a, SYNTH_ROLE_TISSUE, l->gb_c, l->gb_r, 0.0f, uni(rng, 0, 22), err);
	if (!o)
		return err->status;
	o->u.ell.wall_mm = uni(rng, 1.5, 2.5);
	o->u.ell.wall_hu = a->liver_hu - 30.0f;
	return DLLD_STATUS_OK;
}

enum dlld_status synth_anatomy_build(struct synth_anatomy *a, struct dlld_rng *rng,
				     struct dlld_error *err)
{
	enum dlld_status st;

	memset(a, 0, sizeof *a);
	a->texture_seed = dlld_rng_u64(rng);
	build_body(a, rng);
	build_attenuation(a, rng);
	st = build_thorax(a, rng, err);
	if (!st)
		st = build_bowel(a, rng, err);
	if (!st)
		st = build_stomach_spleen(a, rng, err);
	if (!st)
		st = build_retroperitoneum(a, rng, err);
	if (!st)
		st = build_great_vessels(a, rng, err);
	if (!st)
		st = build_skeleton(a, err);
	if (!st)
		st = build_liver(a, rng, err);
	if (!st)
		st = synth_vessels_build(a, rng, err);
	if (!st)
		st = build_gallbladder(a, rng, err);
	if (st) {
		synth_anatomy_free(a);
		return st;
	}
	for (size_t k = 0; k < a->n_objects; k++)
		synth_object_bound(&a->objects[k], &a->body, 1.0f);
	return DLLD_STATUS_OK;
}
