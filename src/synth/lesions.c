/* synth/lesions.c — focal liver lesions: irregular (lobulated, stretched)
 * spheres placed wholly inside the liver, with portal-venous appearances:
 * metastases hypoattenuating with ill-defined margins, sometimes a
 * necrotic centre and an enhancing rim (target-like); cysts of water
 * density with sharp, round margins; hemangiomas with peripheral nodular
 * enhancement following the blood pool and partial centripetal fill-in. */
#include "synth/synth_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CONTAIN_DIRECTIONS = 128, PLACE_TRIES = 400, SHRINK_STEPS = 30 };

static float uni(struct dlld_rng *rng, double lo, double hi)
{
	return (float)dlld_rng_range(rng, lo, hi);
}

/* Returns the radial profile: the normalised radius rho (1 on the surface)
 * and fills u with the unit direction in the lesion's frame. */
static float lesion_rho(const struct synth_lesion *l, const float p[3], float u[3], float *r_out)
{
	float q[3], r2 = 0.0f, r, bump = 1.0f;

	for (int k = 0; k < 3; k++) {
		q[k] = (p[k] - l->c[k]) / l->axis[k];
		r2 += q[k] * q[k];
	}
	r = sqrtf(r2);
	for (int k = 0; k < 3; k++)
		u[k] = r > 1e-6f ? q[k] / r : (k == 0 ? 1.0f : 0.0f);
	for (int k = 0; k < 4; k++)
		bump += l->lobe_amp[k] * sinf(l->lobe_freq[k][0] * u[0] + l->lobe_freq[k][1] * u[1] +
					      l->lobe_freq[k][2] * u[2] + l->lobe_phase[k]);
	*r_out = l->radius_mm * bump;
	return r / *r_out;
}

float synth_lesion_distance(const struct synth_object *o, const float p[3])
{
	float u[3], surface, rho = lesion_rho(&o->u.lesion, p, u, &surface);

	return (rho - 1.0f) * surface;
}

static float smoothstep(float e0, float e1, float x)
{
	float t = (x - e0) / (e1 - e0);
	t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
	return t * t * (3.0f - 2.0f * t);
}

float synth_lesion_shade(const struct synth_object *o, const float p[3], float d)
{
	const struct synth_lesion *l = &o->u.lesion;
	float u[3], surface, rho = lesion_rho(l, p, u, &surface), hu = l->core_hu, t;

	(void)d;
	switch (l->cls) {
	case DLLD_LESION_CLASS_METASTASIS:
		if (l->necrosis > 0.0f)
			hu += (l->centre_hu - l->core_hu) *
			      (1.0f - smoothstep(l->necrosis * 0.7f, l->necrosis * 1.2f, rho));
		if (l->rim_width > 0.0f)
			hu += (l->rim_hu - hu) * smoothstep(1.0f - 1.6f * l->rim_width,
							    1.0f - 0.6f * l->rim_width, rho);
		return hu + 7.0f * synth_noise3(l->texture_seed, p[0] / 2.5f, p[1] / 2.5f,
						p[2] / 2.5f);
	case DLLD_LESION_CLASS_CYST:
		return hu;
	case DLLD_LESION_CLASS_HEMANGIOMA:
		/* discontinuous peripheral nodules: angular noise decides where
		 * and how far in the enhancement reaches (none where t < -0.1) */
		t = synth_noise3(l->texture_seed, u[0] * 3.0f + 5.0f, u[1] * 3.0f + 5.0f,
				 u[2] * 3.0f + 5.0f);
		if (l->fill >= 0.99f || (t > -0.1f && rho > 1.0f - l->fill * (0.35f + 1.2f * (t + 0.1f))))
			return l->rim_hu + 6.0f * t;
		return hu;
	case DLLD_LESION_CLASS_COUNT:
		break;
	}
	return hu;
}

/* Fills o's lesion parameters for class cls and planned diameter. */
static void lesion_design(struct synth_object *o, const struct synth_anatomy *a,
			  enum dlld_lesion_class cls, double diameter_mm, struct dlld_rng *rng)
{
	struct synth_lesion *l = &o->u.lesion;
	float lobe = cls == DLLD_LESION_CLASS_CYST ? 0.02f
		     : (cls == DLLD_LESION_CLASS_METASTASIS ? 0.10f : 0.06f);
	float stretch = cls == DLLD_LESION_CLASS_CYST ? 0.08f : 0.18f;

	l->cls = cls;
	for (int k = 0; k < 3; k++)
		l->axis[k] = 1.0f + uni(rng, -stretch, stretch);
	for (int k = 0; k < 4; k++) {
		float f = uni(rng, 1.5, k < 2 ? 3.0 : 5.0);
		float dir[3] = {(float)dlld_rng_normal(rng), (float)dlld_rng_normal(rng),
				(float)dlld_rng_normal(rng)};
		float n = sqrtf(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]) + 1e-6f;
		for (int i = 0; i < 3; i++)
			l->lobe_freq[k][i] = f * dir[i] / n;
		l->lobe_amp[k] = lobe * uni(rng, 0.4, 1.0);
		l->lobe_phase[k] = uni(rng, 0, 6.2831853);
	}
	/* the planned size is the maximal axial diameter: the longer in-plane
	 * axis (the lobulations add about as much as the sampling loses) */
	l->radius_mm = (float)(0.5 * diameter_mm) / fmaxf(l->axis[0], l->axis[1]);
	l->texture_seed = dlld_rng_u64(rng);
	o->label = 0;
	switch (cls) {
	case DLLD_LESION_CLASS_METASTASIS:
		o->edge_mm = uni(rng, 1.2, 3.5);
		l->core_hu = a->liver_hu - uni(rng, 25, 60);
		if (diameter_mm > 15.0 && dlld_rng_uniform(rng) < 0.5) {
			l->necrosis = uni(rng, 0.3, 0.6);
			l->centre_hu = l->core_hu - uni(rng, 15, 35);
		}
		if (dlld_rng_uniform(rng) < 0.35) {
			l->rim_width = uni(rng, 0.12, 0.25);
			l->rim_hu = a->liver_hu + uni(rng, -10, 15);
		}
		break;
	case DLLD_LESION_CLASS_CYST:
		o->edge_mm = 0.0f;
		l->core_hu = uni(rng, 0, 18);
		break;
	case DLLD_LESION_CLASS_HEMANGIOMA:
		o->edge_mm = uni(rng, 0.5, 1.0);
		l->core_hu = a->liver_hu - uni(rng, 45, 70);
		l->rim_hu = a->blood_hu - uni(rng, 0, 20);
		l->fill = diameter_mm < 12.0 && dlld_rng_uniform(rng) < 0.5 ? 1.0f : uni(rng, 0.3, 0.9);
		break;
	case DLLD_LESION_CLASS_COUNT:
		break;
	}
}

/* Returns the radius of a sphere around the centre that holds the lesion. */
static float lesion_bound_radius(const struct synth_lesion *l)
{
	float s = 1.0f;

	for (int k = 0; k < 4; k++)
		s += fabsf(l->lobe_amp[k]);
	return l->radius_mm * s * fmaxf(l->axis[0], fmaxf(l->axis[1], l->axis[2]));
}

/* True when lesion l, grown by margin mm, lies inside the liver: its
 * surface points (and the points halfway to the centre) along
 * CONTAIN_DIRECTIONS directions are tested. */
static bool lesion_in_liver(const struct synth_object *liver, const struct synth_body *body,
			    const struct synth_lesion *l, float margin)
{
	const float golden = 2.3999632f;

	if (!synth_liver_inside(liver, body, l->c))
		return false;
	for (int k = 0; k < CONTAIN_DIRECTIONS; k++) {
		float z = 1.0f - 2.0f * ((float)k + 0.5f) / CONTAIN_DIRECTIONS;
		float s = sqrtf(1.0f - z * z), t = golden * (float)k, bump = 1.0f, w[3], n = 0.0f;
		float u[3] = {s * cosf(t), s * sinf(t), z};

		for (int j = 0; j < 4; j++)
			bump += l->lobe_amp[j] * sinf(l->lobe_freq[j][0] * u[0] + l->lobe_freq[j][1] * u[1] +
						      l->lobe_freq[j][2] * u[2] + l->lobe_phase[j]);
		for (int a = 0; a < 3; a++) {
			w[a] = l->axis[a] * u[a];
			n += w[a] * w[a];
		}
		n = sqrtf(n);
		for (int shell = 1; shell <= 2; shell++) {
			float f = 0.5f * (float)shell, p[3];
			for (int a = 0; a < 3; a++)
				p[a] = l->c[a] + f * (w[a] * l->radius_mm * bump + w[a] / n * margin);
			if (!synth_liver_inside(liver, body, p))
				return false;
		}
	}
	return true;
}

/* Tries to place lesion o (bound radius rb) clear of the others; fills its
 * centre on success. */
static bool try_place(const struct synth_anatomy *a, struct synth_object *o, float rb,
		      const float (*centres)[4], size_t placed, float margin, struct dlld_rng *rng)
{
	const struct synth_object *liver = &a->objects[a->liver_index];

	for (int t = 0; t < PLACE_TRIES; t++) {
		float c[3];
		bool clear = true;

		for (int k = 0; k < 3; k++)
			c[k] = uni(rng, liver->lo[k], liver->hi[k]);
		for (size_t j = 0; j < placed && clear; j++) {
			float dx = c[0] - centres[j][0], dy = c[1] - centres[j][1];
			float dz = c[2] - centres[j][2];
			clear = sqrtf(dx * dx + dy * dy + dz * dz) > rb + centres[j][3] + 3.0f;
		}
		if (!clear)
			continue;
		memcpy(o->u.lesion.c, c, sizeof c);
		if (lesion_in_liver(liver, &a->body, &o->u.lesion, margin))
			return true;
	}
	return false;
}

static int by_size_desc(const void *pa, const void *pb)
{
	const struct dlld_synth_planned_lesion *const *a = pa, *const *b = pb;

	if ((*a)->diameter_mm != (*b)->diameter_mm)
		return (*a)->diameter_mm < (*b)->diameter_mm ? 1 : -1;
	return *a < *b ? -1 : (*a > *b);
}

enum dlld_status synth_lesions_place(struct synth_anatomy *a,
				     const struct dlld_synth_patient_plan *pp,
				     struct dlld_rng *rng, struct dlld_error *err)
{
	const struct dlld_synth_planned_lesion **order;
	float (*centres)[4];
	enum dlld_status st = DLLD_STATUS_OK;
	float margin = 2.0f;

	if (pp->n_lesions == 0)
		return DLLD_STATUS_OK;
	order = dlld_calloc(pp->n_lesions, sizeof *order, "lesion order", err);
	centres = dlld_calloc(pp->n_lesions, sizeof *centres, "lesion centres", err);
	if (!order || !centres) {
		st = DLLD_STATUS_NO_MEMORY;
		goto out;
	}
	for (size_t k = 0; k < pp->n_lesions; k++)
		order[k] = &pp->lesions[k];
	qsort(order, pp->n_lesions, sizeof *order, by_size_desc); /* big ones first */
	for (size_t k = 0; k < pp->n_lesions; k++) {
		struct synth_object *o = synth_anatomy_add(a, SYNTH_KIND_LESION, SYNTH_ROLE_LESION, err);
		double diameter = order[k]->diameter_mm;
		bool placed = false;

		if (!o) {
			st = err->status;
			goto out;
		}
		o->label = (uint16_t)(order[k] - pp->lesions + 1);
		for (int shrink = 0; shrink < SHRINK_STEPS && !placed; shrink++, diameter *= 0.9) {
			uint16_t label = o->label;
			lesion_design(o, a, order[k]->cls, diameter, rng);
			o->label = label;
			placed = try_place(a, o, lesion_bound_radius(&o->u.lesion),
					   (const float(*)[4])centres, k, margin, rng);
		}
		if (!placed) {
			st = dlld_error_set(err, DLLD_STATUS_INCONSISTENT, NULL,
					    "patient %s: no room in the liver for lesion L%u",
					    pp->patient_id, (unsigned)o->label);
			goto out;
		}
		memcpy(centres[k], o->u.lesion.c, sizeof o->u.lesion.c);
		centres[k][3] = lesion_bound_radius(&o->u.lesion);
		synth_object_bound(o, &a->body, 1.0f + o->edge_mm);
	}
out:
	free(order);
	free(centres);
	return st;
}
