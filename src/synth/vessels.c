/* synth/vessels.c — the portal and hepatic venous trees: tapered tube
 * segments grown by random dichotomous branching inside the liver (radii
 * shrink roughly by Murray's law), so their in-plane cross-sections look
 * like the round and oval enhancing dots a detector must not call lesions. */
#include "synth/synth_internal.h"

#include <math.h>
#include <string.h>

enum { MAX_DEPTH = 9, MAX_SEGMENTS = 700 };

struct grower {
	struct synth_anatomy *a;
	struct synth_object liver; /* a copy: a->objects moves as it grows */
	struct dlld_rng *rng;
	enum synth_role role;
	float hu;
	int segments;
};

static float uni(struct dlld_rng *rng, double lo, double hi)
{
	return (float)dlld_rng_range(rng, lo, hi);
}

static void normalize(float v[3])
{
	float n = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);

	if (n < 1e-6f) {
		v[0] = 1.0f;
		v[1] = v[2] = 0.0f;
		return;
	}
	for (int k = 0; k < 3; k++)
		v[k] /= n;
}

/* Fills out with dir turned by about `angle` radians in a random plane. */
static void deflect(const float dir[3], float angle, struct dlld_rng *rng, float out[3])
{
	float r[3] = {(float)dlld_rng_normal(rng), (float)dlld_rng_normal(rng),
		      (float)dlld_rng_normal(rng)};
	float dot = r[0] * dir[0] + r[1] * dir[1] + r[2] * dir[2];

	for (int k = 0; k < 3; k++)
		r[k] -= dot * dir[k];
	normalize(r);
	for (int k = 0; k < 3; k++)
		out[k] = cosf(angle) * dir[k] + sinf(angle) * r[k];
	normalize(out);
}

static bool inside_with_margin(const struct grower *g, const float p[3], float margin)
{
	return synth_distance(&g->liver, &g->a->body, p) < -margin;
}

/* Fills to with the end of a segment from `from` along about dir (turned
 * when the liver ends first); returns false when no direction fits. */
static bool find_end(struct grower *g, const float from[3], float dir[3], float radius,
		     float to[3])
{
	float len = uni(g->rng, 8, 14) * sqrtf(fmaxf(radius, 1.0f));

	for (int tries = 0; tries < 8; tries++) {
		float try_dir[3];
		if (tries == 0)
			memcpy(try_dir, dir, sizeof try_dir);
		else
			deflect(dir, 0.25f * (float)((tries + 1) / 2), g->rng, try_dir);
		float l = tries >= 4 ? 0.5f * len : len;
		for (int k = 0; k < 3; k++)
			to[k] = from[k] + l * try_dir[k];
		if (inside_with_margin(g, to, radius + 0.5f)) {
			memcpy(dir, try_dir, sizeof try_dir);
			return true;
		}
	}
	return false;
}

static enum dlld_status grow(struct grower *g, const float from[3], const float dir_in[3],
			     float radius, int depth, struct dlld_error *err)
{
	float to[3], dir[3], child[3], r_end = radius * 0.92f;
	struct synth_object *o;

	memcpy(dir, dir_in, sizeof dir);
	if (depth > MAX_DEPTH || radius < 0.8f || g->segments >= MAX_SEGMENTS ||
	    !find_end(g, from, dir, radius, to))
		return DLLD_STATUS_OK;
	o = synth_anatomy_add(g->a, SYNTH_KIND_CAPSULE, g->role, err);
	if (!o)
		return err->status;
	memcpy(o->u.cap.a, from, sizeof o->u.cap.a);
	memcpy(o->u.cap.b, to, sizeof o->u.cap.b);
	o->u.cap.ra = radius;
	o->u.cap.rb = r_end;
	o->hu = g->hu;
	g->segments++;
	float big = r_end * uni(g->rng, 0.76, 0.88), small = r_end * uni(g->rng, 0.55, 0.78);
	deflect(dir, uni(g->rng, 0.2, 0.5), g->rng, child);
	enum dlld_status st = grow(g, to, child, big, depth + 1, err);
	if (st)
		return st;
	deflect(dir, uni(g->rng, 0.6, 1.1), g->rng, child);
	return grow(g, to, child, small, depth + 1, err);
}

/* Returns a point of the liver near p (moving towards target), or p. */
static void find_inside(const struct grower *g, float p[3], const float target[3])
{
	for (int step = 0; step < 40 && !inside_with_margin(g, p, 8.0f); step++)
		for (int k = 0; k < 3; k++)
			p[k] += 0.08f * (target[k] - p[k]);
}

static enum dlld_status build_portal(struct grower *g, struct dlld_error *err)
{
	const struct synth_liver *l = &g->liver.u.liver;
	float sy = g->a->body.spine_y;
	float conf[3] = {-6.0f, sy - 44.0f, -130.0f};
	float hilum[3] = {l->c[2][0], l->c[2][1], l->c[2][2] - 0.35f * l->r[2][2]};
	float dir[3];
	struct synth_object *o;
	enum dlld_status st;

	find_inside(g, hilum, l->c[0]);
	o = synth_anatomy_add(g->a, SYNTH_KIND_CAPSULE, SYNTH_ROLE_TISSUE, err);
	if (!o)
		return err->status;
	memcpy(o->u.cap.a, conf, sizeof conf);
	memcpy(o->u.cap.b, hilum, sizeof hilum);
	o->u.cap.ra = o->u.cap.rb = uni(g->rng, 6, 8);
	o->hu = g->hu;
	for (int k = 0; k < 3; k++) /* right portal vein */
		dir[k] = l->c[0][k] - hilum[k];
	normalize(dir);
	st = grow(g, hilum, dir, uni(g->rng, 6.5, 8), 0, err);
	if (st)
		return st;
	for (int k = 0; k < 3; k++) /* left portal vein */
		dir[k] = l->c[1][k] - hilum[k];
	normalize(dir);
	return grow(g, hilum, dir, uni(g->rng, 5.5, 7), 0, err);
}

static enum dlld_status build_hepatic(struct grower *g, struct dlld_error *err)
{
	const struct synth_liver *l = &g->liver.u.liver;
	float top = synth_diaphragm_z(&g->a->body, l->ivc_c[0], l->ivc_c[1]) - 22.0f;
	/* right, middle, left hepatic veins: towards the lobes, downwards */
	const float aims[3][3] = {{-1.0f, -0.15f, -0.45f}, {0.05f, -1.0f, -0.5f},
				  {0.8f, -0.6f, -0.25f}};
	enum dlld_status st = DLLD_STATUS_OK;

	for (int v = 0; v < 3 && !st; v++) {
		float dir[3] = {aims[v][0], aims[v][1], aims[v][2]}, from[3];
		normalize(dir);
		deflect(dir, uni(g->rng, 0.0, 0.2), g->rng, dir);
		for (int k = 0; k < 2; k++)
			from[k] = l->ivc_c[k] + dir[k] * (l->ivc_r - 2.0f);
		from[2] = top;
		st = grow(g, from, dir, uni(g->rng, 5.5, 7.5), 0, err);
	}
	return st;
}

enum dlld_status synth_vessels_build(struct synth_anatomy *a, struct dlld_rng *rng,
				     struct dlld_error *err)
{
	struct grower g = {.a = a, .liver = a->objects[a->liver_index], .rng = rng};
	enum dlld_status st;

	g.role = SYNTH_ROLE_PORTAL;
	g.hu = a->blood_hu + uni(rng, -8, 12);
	st = build_portal(&g, err);
	if (st)
		return st;
	g.role = SYNTH_ROLE_HEPATIC;
	g.hu = a->blood_hu - uni(rng, -5, 15);
	g.segments = 0;
	return build_hepatic(&g, err);
}
