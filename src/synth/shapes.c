/* synth/shapes.c — signed distances and shading of the phantom's objects,
 * one pair of functions per kind, dispatched through a table. Distances are
 * exact in sign and approximate in size (good to a fraction of a pixel near
 * surfaces, which is where anti-aliasing and soft edges use them). */
#include "synth/synth_internal.h"

#include <assert.h>
#include <math.h>

static float clampf(float x, float lo, float hi)
{
	return x < lo ? lo : (x > hi ? hi : x);
}

/* ---- value noise ---------------------------------------------------------- */
static float lattice(uint64_t seed, int32_t x, int32_t y, int32_t z)
{
	uint64_t h = seed ^ ((uint64_t)(uint32_t)x * 0x9e3779b97f4a7c15ULL) ^
		     ((uint64_t)(uint32_t)y * 0xc2b2ae3d27d4eb4fULL) ^
		     ((uint64_t)(uint32_t)z * 0x165667b19e3779f9ULL);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return (float)(h >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

static float smooth(float t)
{
	return t * t * (3.0f - 2.0f * t);
}

float synth_noise3(uint64_t seed, float x, float y, float z)
{
	float fx = floorf(x), fy = floorf(y), fz = floorf(z);
	int32_t ix = (int32_t)fx, iy = (int32_t)fy, iz = (int32_t)fz;
	float u = smooth(x - fx), v = smooth(y - fy), w = smooth(z - fz);
	float c[2][2][2];

	for (int dz = 0; dz < 2; dz++)
		for (int dy = 0; dy < 2; dy++)
			for (int dx = 0; dx < 2; dx++)
				c[dz][dy][dx] = lattice(seed, ix + dx, iy + dy, iz + dz);
	float y0 = (c[0][0][0] + u * (c[0][0][1] - c[0][0][0])) * (1 - v) +
		   (c[0][1][0] + u * (c[0][1][1] - c[0][1][0])) * v;
	float y1 = (c[1][0][0] + u * (c[1][0][1] - c[1][0][0])) * (1 - v) +
		   (c[1][1][0] + u * (c[1][1][1] - c[1][1][0])) * v;
	return y0 + w * (y1 - y0);
}

/* ---- body geometry ---------------------------------------------------------- */
float synth_diaphragm_z(const struct synth_body *b, float x, float y)
{
	float dxr = x - b->dome_right[0], dyr = y - b->dome_right[1];
	float dxl = x - b->dome_left[0], dyl = y - b->dome_left[1];
	/* shallow anteriorly, the deep recesses are posterior */
	float zr = b->dome_right[2] - b->dome_curv * (dxr * dxr + (dyr < 0 ? 0.7f : 1.8f) * dyr * dyr);
	float zl = b->dome_left[2] - b->dome_curv * (dxl * dxl + (dyl < 0 ? 0.7f : 1.8f) * dyl * dyl);
	return fmaxf(zr, zl);
}

float synth_cavity_distance(const struct synth_body *b, float x, float y)
{
	float ax = b->half_x - b->fat_mm - b->muscle_mm;
	float ay = b->half_y - b->fat_mm - b->muscle_mm;
	float u = fabsf(x) / ax, v = fabsf(y) / ay;
	float f = sqrtf(u * u + v * v);
	float g = sqrtf(u * u / (ax * ax) + v * v / (ay * ay));

	return g > 0.0f ? (f * f - 1.0f) / (2.0f * g) : -fminf(ax, ay);
}

/* ---- ellipsoids ------------------------------------------------------------- */
static float ellipsoid_distance(const struct synth_object *o, const struct synth_body *body,
				const float p[3])
{
	const struct synth_ellipsoid *e = &o->u.ell;
	float qx = p[0] - e->c[0], qy = p[1] - e->c[1], qz = p[2] - e->c[2];
	float x = e->cos_a * qx + e->sin_a * qy, y = -e->sin_a * qx + e->cos_a * qy;
	float u = x / e->r[0], v = y / e->r[1], w = qz / e->r[2];
	float f = sqrtf(u * u + v * v + w * w), s = 1.0f, d;
	float gx = u / e->r[0], gy = v / e->r[1], gz = w / e->r[2];
	float g = sqrtf(gx * gx + gy * gy + gz * gz);

	(void)body;
	if (e->lobulation > 0.0f)
		s += e->lobulation * synth_noise3(o->texture_seed, p[0] / 25.0f, p[1] / 25.0f,
						  p[2] / 25.0f);
	d = g > 1e-12f ? f * (f - s) / g : -fminf(e->r[0], fminf(e->r[1], e->r[2]));
	if (e->bite_r > 0.0f) {
		float bx = p[0] - e->bite_c[0], by = p[1] - e->bite_c[1], bz = p[2] - e->bite_c[2];
		d = fmaxf(d, e->bite_r - sqrtf(bx * bx + by * by + bz * bz));
	}
	return d;
}

static float content_shade(const struct synth_object *o, enum synth_content content,
			   const float p[3], float level_y)
{
	switch (content) {
	case SYNTH_CONTENT_LEVEL:
		return p[1] < level_y ? o->hu2 : o->hu;
	case SYNTH_CONTENT_MOTTLED: {
		float n = synth_noise3(o->texture_seed, p[0] / 3.5f, p[1] / 3.5f, p[2] / 3.5f);
		return n > 0.3f ? o->hu2 : o->hu + 40.0f * n;
	}
	case SYNTH_CONTENT_SOLID:
	case SYNTH_CONTENT_COUNT:
		break;
	}
	return o->hu;
}

static float ellipsoid_shade(const struct synth_object *o, const struct synth_body *body,
			     const float p[3], float d)
{
	const struct synth_ellipsoid *e = &o->u.ell;

	(void)body;
	if (e->wall_mm > 0.0f && d > -e->wall_mm)
		return e->wall_hu;
	return content_shade(o, e->content, p, e->level_y);
}

/* ---- capsules --------------------------------------------------------------- */
static float capsule_param(const struct synth_capsule *c, const float p[3], float *dist)
{
	float ab[3], ap[3], dd = 0.0f, t = 0.0f, q2 = 0.0f;

	for (int k = 0; k < 3; k++) {
		ab[k] = c->b[k] - c->a[k];
		ap[k] = p[k] - c->a[k];
		dd += ab[k] * ab[k];
		t += ab[k] * ap[k];
	}
	t = dd > 0.0f ? clampf(t / dd, 0.0f, 1.0f) : 0.0f;
	for (int k = 0; k < 3; k++) {
		float q = ap[k] - t * ab[k];
		q2 += q * q;
	}
	*dist = sqrtf(q2) - (c->ra + t * (c->rb - c->ra));
	return t;
}

static float capsule_distance(const struct synth_object *o, const struct synth_body *body,
			      const float p[3])
{
	float d;

	(void)body;
	capsule_param(&o->u.cap, p, &d);
	return d;
}

static float capsule_shade(const struct synth_object *o, const struct synth_body *body,
			   const float p[3], float d)
{
	const struct synth_capsule *c = &o->u.cap;
	float t, dist, axis_y, r;

	(void)body;
	if (c->wall_mm > 0.0f && d > -c->wall_mm)
		return c->wall_hu;
	t = capsule_param(c, p, &dist);
	axis_y = c->a[1] + t * (c->b[1] - c->a[1]);
	r = c->ra + t * (c->rb - c->ra);
	return content_shade(o, c->content, p, axis_y - 0.35f * r);
}

/* ---- liver ------------------------------------------------------------------ */
static float smin(float a, float b, float k)
{
	float h = fmaxf(k - fabsf(a - b), 0.0f) / k;
	return fminf(a, b) - h * h * k * 0.25f;
}

static void warp_apply(const struct synth_warp *w, const float p[3], float q[3])
{
	q[0] = p[0];
	q[1] = p[1];
	q[2] = p[2];
	for (int k = 0; k < SYNTH_WARP_TERMS; k++) {
		float arg = w->freq[k][0] * p[0] + w->freq[k][1] * p[1] + w->freq[k][2] * p[2];
		q[k % 3] += w->amp_mm[k] * sinf(arg + w->phase[k]);
	}
}

/* |u|^P and its root for the integer powers 2, 3 and 4 (powf is too slow
 * for the liver, the phantom's largest object). */
static float ipow(float u, int power)
{
	float u2 = u * u;
	return power == 2 ? u2 : (power == 3 ? u2 * u : u2 * u2);
}

static float iroot(float s, int power)
{
	return power == 2 ? sqrtf(s) : (power == 3 ? cbrtf(s) : sqrtf(sqrtf(s)));
}

/* Superellipsoid of power P: f = (sum |q_i/r_i|^P)^(1/P); distance from
 * the gradient, (f - 1) / |grad f|. */
static float lobe_distance(const float c[3], const float r[3], int power, const float q[3])
{
	float a[3], u[3], sum = 0.0f, g2 = 0.0f, f, scale;

	for (int k = 0; k < 3; k++) {
		u[k] = fabsf(q[k] - c[k]) / r[k];
		a[k] = ipow(u[k], power);
		sum += a[k];
	}
	if (sum < 1e-12f)
		return -fminf(r[0], fminf(r[1], r[2]));
	f = iroot(sum, power);
	scale = f / sum; /* f^(1-P) */
	for (int k = 0; k < 3; k++) {
		float gk = u[k] > 1e-6f ? scale * a[k] / u[k] / r[k] : 0.0f;
		g2 += gk * gk;
	}
	return (f - 1.0f) / sqrtf(fmaxf(g2, 1e-12f));
}

static float liver_distance(const struct synth_object *o, const struct synth_body *body,
			    const float p[3])
{
	const struct synth_liver *l = &o->u.liver;
	float q[3], d, dx, dy, ivc;

	warp_apply(&l->warp, p, q);
	d = lobe_distance(l->c[0], l->r[0], l->power[0], q);
	for (int k = 1; k < SYNTH_LIVER_LOBES; k++)
		d = smin(d, lobe_distance(l->c[k], l->r[k], l->power[k], q), l->blend_mm);
	d = fmaxf(d, p[2] - (synth_diaphragm_z(body, p[0], p[1]) - 6.0f));
	d = fmaxf(d, synth_cavity_distance(body, p[0], p[1]) + 1.5f);
	dx = p[0] - l->ivc_c[0];
	dy = p[1] - l->ivc_c[1];
	ivc = sqrtf(dx * dx + dy * dy) - l->ivc_r;
	d = fmaxf(d, -ivc);
	if (l->gb_r[0] > 0.0f) {
		d = fmaxf(d, -lobe_distance(l->gb_c, l->gb_r, 2, p));
	}
	return d;
}

static float liver_shade(const struct synth_object *o, const struct synth_body *body,
			 const float p[3], float d)
{
	(void)body;
	(void)p;
	(void)d;
	return o->hu;
}

bool synth_liver_inside(const struct synth_object *liver, const struct synth_body *body,
			const float p[3])
{
	return liver_distance(liver, body, p) < 0.0f;
}

/* ---- thorax: diaphragm muscle and lung bases ------------------------------- */
static float thorax_distance(const struct synth_object *o, const struct synth_body *body,
			     const float p[3])
{
	(void)o;
	return fmaxf(synth_cavity_distance(body, p[0], p[1]),
		     synth_diaphragm_z(body, p[0], p[1]) - 6.0f - p[2]);
}

static float thorax_shade(const struct synth_object *o, const struct synth_body *body,
			  const float p[3], float d)
{
	float zd = synth_diaphragm_z(body, p[0], p[1]), hu, n;

	(void)d;
	if (p[2] < zd)
		return body->muscle_hu;
	/* dependent (posterior) lung is denser; small vessels as bright dots */
	hu = body->lung_hu + 50.0f * (p[1] / body->half_y + 1.0f);
	n = synth_noise3(o->texture_seed, p[0] / 2.5f, p[1] / 2.5f, p[2] / 6.0f);
	if (n > 0.72f)
		hu = -60.0f;
	return hu + 25.0f * synth_noise3(o->texture_seed + 1, p[0] / 6.0f, p[1] / 6.0f,
					 p[2] / 6.0f);
}

/* ---- spine ------------------------------------------------------------------- */
enum spine_part { SPINE_BODY, SPINE_CANAL, SPINE_ARCH, SPINE_PROCESS, SPINE_PART_COUNT };

static float seg2(float px, float py, float ax, float ay, float bx, float by, float r)
{
	float abx = bx - ax, aby = by - ay, apx = px - ax, apy = py - ay;
	float t = clampf((abx * apx + aby * apy) / (abx * abx + aby * aby), 0.0f, 1.0f);
	float qx = apx - t * abx, qy = apy - t * aby;
	return sqrtf(qx * qx + qy * qy) - r;
}

/* Fills part[] with the 2-D distances of the spine's parts at p; phase is
 * the position within one vertebral level (0..1, disc at 0..0.25). */
static void spine_parts(const struct synth_body *b, const float p[3], float part[SPINE_PART_COUNT],
			float *phase)
{
	float x = p[0], y = p[1] - b->spine_y;
	float u = x / 21.0f, v = y / 16.0f, f = sqrtf(u * u + v * v);
	float ph = (p[2] + 1000.0f) / 33.0f;

	*phase = ph - floorf(ph);
	part[SPINE_BODY] = (f - 1.0f) * 16.0f;
	part[SPINE_CANAL] = sqrtf(x * x + (y - 25.0f) * (y - 25.0f)) - 9.0f;
	part[SPINE_ARCH] = fabsf(part[SPINE_CANAL] - 3.0f) - 3.0f;
	part[SPINE_PROCESS] = fminf(seg2(x, y, 0.0f, 33.0f, 0.0f, 58.0f, 4.0f),
				    seg2(fabsf(x), y, 10.0f, 24.0f, 42.0f, 28.0f, 4.5f));
	if (*phase < 0.3f) { /* foramen level: no arch, no processes */
		part[SPINE_ARCH] = fmaxf(part[SPINE_ARCH], y - 18.0f);
		part[SPINE_PROCESS] = 1e3f;
	}
}

static float spine_distance(const struct synth_object *o, const struct synth_body *body,
			    const float p[3])
{
	float part[SPINE_PART_COUNT], phase, d = 1e9f;

	(void)o;
	spine_parts(body, p, part, &phase);
	for (int k = 0; k < SPINE_PART_COUNT; k++)
		d = fminf(d, part[k]);
	return d;
}

static float spine_shade(const struct synth_object *o, const struct synth_body *body,
			 const float p[3], float d)
{
	float part[SPINE_PART_COUNT], phase;

	(void)d;
	spine_parts(body, p, part, &phase);
	if (part[SPINE_CANAL] < 0.0f)
		return 15.0f;
	if (part[SPINE_BODY] < 0.0f) {
		if (phase < 0.22f) /* intervertebral disc */
			return part[SPINE_BODY] > -3.0f ? 110.0f : 85.0f;
		return part[SPINE_BODY] > -1.5f ? o->hu2 : o->hu;
	}
	return (part[SPINE_ARCH] > -1.5f && part[SPINE_PROCESS] > -1.5f) ? o->hu2 : o->hu;
}

/* ---- ribs -------------------------------------------------------------------- */
static float rib_distance_at(const struct synth_body *b, const float p[3], float *cartilage)
{
	float rho, phi, best = 1e9f;
	float ax = b->half_x - b->fat_mm - b->muscle_mm, ay = b->half_y - b->fat_mm - b->muscle_mm;
	float u = p[0] / ax, v = p[1] / ay, radius;

	rho = sqrtf(u * u + v * v);
	*cartilage = 0.0f;
	if (rho < 0.82f || rho > 1.15f)
		return 1e3f;
	radius = sqrtf(p[0] * p[0] + p[1] * p[1]) / rho;  /* cavity radius on this ray */
	phi = atan2f(fabsf(p[0]), p[1]) / 3.14159265f;    /* 0 posterior, 1 anterior */
	for (int r = 0; r < b->n_ribs; r++) {
		float zc = b->rib_top_z - (float)r * b->rib_step_mm - 105.0f * phi;
		float end = 0.78f - 0.07f * (float)r, dr, dz, d;

		if (phi < 0.17f || phi > end + 0.18f) /* from beside the back muscles */
			continue;
		dr = (rho - 1.045f) * radius;
		dz = (p[2] - zc) * (4.0f / 6.0f);
		d = sqrtf(dr * dr + dz * dz) - 4.0f;
		if (d < best) {
			best = d;
			*cartilage = phi > end ? 1.0f : 0.0f;
		}
	}
	return best;
}

static float ribs_distance(const struct synth_object *o, const struct synth_body *body,
			   const float p[3])
{
	float cart;

	(void)o;
	return rib_distance_at(body, p, &cart);
}

static float ribs_shade(const struct synth_object *o, const struct synth_body *body,
			const float p[3], float d)
{
	float cart;

	rib_distance_at(body, p, &cart);
	if (cart > 0.0f)
		return 140.0f;
	return d > -1.5f ? o->hu2 : o->hu;
}

/* ---- lesions (lesions.c) ---------------------------------------------------- */
static float lesion_distance(const struct synth_object *o, const struct synth_body *body,
			     const float p[3])
{
	(void)body;
	return synth_lesion_distance(o, p);
}

static float lesion_shade(const struct synth_object *o, const struct synth_body *body,
			  const float p[3], float d)
{
	(void)body;
	return synth_lesion_shade(o, p, d);
}

/* ---- dispatch ------------------------------------------------------------------ */
struct kind_ops {
	/* Returns the signed distance of p to o (mm). */
	float (*distance)(const struct synth_object *o, const struct synth_body *body,
			  const float p[3]);
	/* Returns the HU of o at p (d: distance there, < 0 inside). */
	float (*shade)(const struct synth_object *o, const struct synth_body *body,
		       const float p[3], float d);
};

static const struct kind_ops kind_ops[] = {
	[SYNTH_KIND_ELLIPSOID] = {ellipsoid_distance, ellipsoid_shade},
	[SYNTH_KIND_CAPSULE] = {capsule_distance, capsule_shade},
	[SYNTH_KIND_LIVER] = {liver_distance, liver_shade},
	[SYNTH_KIND_LESION] = {lesion_distance, lesion_shade},
	[SYNTH_KIND_THORAX] = {thorax_distance, thorax_shade},
	[SYNTH_KIND_SPINE] = {spine_distance, spine_shade},
	[SYNTH_KIND_RIBS] = {ribs_distance, ribs_shade},
};
static_assert(sizeof kind_ops / sizeof kind_ops[0] == SYNTH_KIND_COUNT,
	      "kind_ops out of sync with enum synth_kind");

float synth_distance(const struct synth_object *o, const struct synth_body *body,
		     const float p[3])
{
	return kind_ops[o->kind].distance(o, body, p);
}

float synth_shade(const struct synth_object *o, const struct synth_body *body,
		  const float p[3], float d)
{
	return kind_ops[o->kind].shade(o, body, p, d);
}

static void box_set(struct synth_object *o, float x0, float x1, float y0, float y1, float z0,
		    float z1, float margin)
{
	o->lo[0] = x0 - margin;
	o->hi[0] = x1 + margin;
	o->lo[1] = y0 - margin;
	o->hi[1] = y1 + margin;
	o->lo[2] = z0 - margin;
	o->hi[2] = z1 + margin;
}

static void liver_bound(struct synth_object *o, float margin)
{
	const struct synth_liver *l = &o->u.liver;
	float lo[3] = {1e9f, 1e9f, 1e9f}, hi[3] = {-1e9f, -1e9f, -1e9f}, warp = 0.0f;

	for (int k = 0; k < SYNTH_WARP_TERMS; k++)
		warp += fabsf(l->warp.amp_mm[k]);
	for (int k = 0; k < SYNTH_LIVER_LOBES; k++)
		for (int a = 0; a < 3; a++) {
			lo[a] = fminf(lo[a], l->c[k][a] - l->r[k][a]);
			hi[a] = fmaxf(hi[a], l->c[k][a] + l->r[k][a]);
		}
	box_set(o, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], margin + warp + l->blend_mm);
}

void synth_object_bound(struct synth_object *o, const struct synth_body *body, float margin)
{
	float ax = body->half_x, ay = body->half_y;

	o->shade_depth_mm = o->kind == SYNTH_KIND_ELLIPSOID ? o->u.ell.wall_mm
			    : o->kind == SYNTH_KIND_CAPSULE ? o->u.cap.wall_mm
			    : (o->kind == SYNTH_KIND_SPINE || o->kind == SYNTH_KIND_RIBS) ? 2.0f
											    : 0.0f;

	switch (o->kind) {
	case SYNTH_KIND_ELLIPSOID: {
		const struct synth_ellipsoid *e = &o->u.ell;
		float s = 1.0f + e->lobulation, rxy = fmaxf(e->r[0], e->r[1]) * s;
		box_set(o, e->c[0] - rxy, e->c[0] + rxy, e->c[1] - rxy, e->c[1] + rxy,
			e->c[2] - e->r[2] * s, e->c[2] + e->r[2] * s, margin);
		break;
	}
	case SYNTH_KIND_CAPSULE: {
		const struct synth_capsule *c = &o->u.cap;
		float r = fmaxf(c->ra, c->rb);
		box_set(o, fminf(c->a[0], c->b[0]) - r, fmaxf(c->a[0], c->b[0]) + r,
			fminf(c->a[1], c->b[1]) - r, fmaxf(c->a[1], c->b[1]) + r,
			fminf(c->a[2], c->b[2]) - r, fmaxf(c->a[2], c->b[2]) + r, margin);
		break;
	}
	case SYNTH_KIND_LIVER:
		liver_bound(o, margin);
		break;
	case SYNTH_KIND_LESION: {
		const struct synth_lesion *l = &o->u.lesion;
		float s = 1.0f, r;
		for (int k = 0; k < 4; k++)
			s += fabsf(l->lobe_amp[k]);
		r = l->radius_mm * s * fmaxf(l->axis[0], fmaxf(l->axis[1], l->axis[2]));
		box_set(o, l->c[0] - r, l->c[0] + r, l->c[1] - r, l->c[1] + r, l->c[2] - r,
			l->c[2] + r, margin);
		break;
	}
	case SYNTH_KIND_THORAX: {
		float zmin = 1e9f, cx = ax - body->fat_mm - body->muscle_mm;
		float cy = ay - body->fat_mm - body->muscle_mm;
		for (int k = 0; k < 64; k++) { /* lowest diaphragm point on the wall */
			float t = (float)k * (6.2831853f / 64.0f);
			zmin = fminf(zmin, synth_diaphragm_z(body, cx * cosf(t), cy * sinf(t)));
		}
		box_set(o, -ax, ax, -ay, ay, zmin - 8.0f, 1e4f, margin);
		break;
	}
	case SYNTH_KIND_SPINE:
		box_set(o, -50.0f, 50.0f, body->spine_y - 20.0f, body->spine_y + 62.0f, -1e4f, 1e4f,
			margin);
		break;
	case SYNTH_KIND_RIBS:
		box_set(o, -ax, ax, -ay, ay,
			body->rib_top_z - (float)body->n_ribs * body->rib_step_mm - 120.0f,
			body->rib_top_z + 10.0f, margin);
		break;
	case SYNTH_KIND_COUNT:
		break;
	}
}
