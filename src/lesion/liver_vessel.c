/*
 * lesion/liver_vessel.c — the inferior vena cava cut out of the coarse
 * liver (docs/liver.md, step 10b). Below the liver the IVC is a round tube
 * of soft tissue outside the liver mask, continuous over many slices; where
 * it reaches the liver's posterior surface it has the liver's HU and often
 * no fat plane, and the mask takes it in. Every round tube outside the liver
 * is followed upward slice by slice as the centre of its largest inscribed
 * disc; a long one that the liver mask then covers keeps its last clear
 * cross-section, and that disc is removed from the mask slice by slice for
 * as long as it lies at the liver's surface.
 */
#include "lesion/liver_steps.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The IVC is 15–30 mm across, the inscribed radius of its oval section is
 * 5–15 mm: thinner tubes are other vessels, muscle slips, bowel wall;
 * thicker ones are organs (the kidney's section is ≈ 25 mm deep). */
static const double TUBE_MIN_R_MM = 5.0, TUBE_MAX_R_MM = 15.0;
/* A tube is followed into the liver only when it ran at least this far
 * below it: the infrahepatic IVC is centimetres long, an organ's tip is not. */
static const double TUBE_BELOW_MM = 20.0;
/* The IVC runs along the right side of the vertebral column: its centre
 * lies on the patient's right within this distance of the body's centre
 * line (vertebral body half width ≈ 25 mm plus the IVC's own radius and
 * positioning slack); lateral tubes are abdominal wall, colon or kidney. */
static const double IVC_MAX_LATERAL_MM = 50.0;
/* The liver takes the tube in when it covers this much of its section (a
 * mere touch is not). */
static const double TUBE_COVER = 0.25;

struct tube {
	int32_t x, y;         /* centre, coarse voxel indices */
	double run_mm;        /* length followed so far */
	int32_t fx, fy;       /* last section clear of the liver ... */
	double fr_mm;         /* ... and its radius (0: none yet) */
	bool cutting;         /* inside the liver: the section is being removed */
	bool alive;
};

struct vessel_ctx {
	struct liver_work *w;
	uint8_t *out;   /* [nxy] liver-like or blood HU outside the liver, this slice */
	float *d2;      /* [nxy] its in-plane squared distance to anything else, mm² */
	size_t *disc;   /* voxel indices of one disc */
	struct tube *t;
	size_t n, cap;
};

/* Fills c->disc with the voxels of the disc (x, y, r_mm); returns their number. */
static size_t disc_voxels(const struct vessel_ctx *c, int32_t x, int32_t y, double r_mm)
{
	const struct lesion_grid *g = &c->w->g;
	int32_t ri = (int32_t)(r_mm / g->sp[0]), rj = (int32_t)(r_mm / g->sp[1]);
	size_t n = 0;
	for (int32_t j = y - rj; j <= y + rj; j++)
		for (int32_t i = x - ri; i <= x + ri; i++) {
			double ex = (i - x) * g->sp[0], ey = (j - y) * g->sp[1];
			if (i >= 0 && j >= 0 && i < g->n[0] && j < g->n[1] && ex * ex + ey * ey <= r_mm * r_mm)
				c->disc[n++] = (size_t)j * (size_t)g->n[0] + (size_t)i;
		}
	return n;
}

/* Fraction of the disc covered by slice mask L. */
static double disc_cover(const struct vessel_ctx *c, int32_t x, int32_t y, double r_mm,
			 const uint8_t *L)
{
	size_t n = disc_voxels(c, x, y, r_mm), in = 0;
	for (size_t a = 0; a < n; a++)
		in += L[c->disc[a]];
	return n ? (double)in / (double)n : 0.0;
}

/* Removes the tube's section from liver slice L while it lies at the
 * liver's surface; returns false when the tube has left the surface. */
static bool cut_section(struct vessel_ctx *c, const struct tube *t, uint8_t *L)
{
	const struct lesion_grid *g = &c->w->g;
	size_t nx = (size_t)g->n[0], nxy = nx * (size_t)g->n[1];
	size_t n = disc_voxels(c, t->fx, t->fy, t->fr_mm);
	bool inside = false, surface = false;
	for (size_t a = 0; a < n; a++)
		c->out[c->disc[a]] |= 2; /* the section, marked */
	for (size_t a = 0; a < n; a++) {
		size_t v = c->disc[a], i = v % nx;
		if (!L[v])
			continue;
		inside = true;
		size_t nb[4] = {i > 0 ? v - 1 : v, i + 1 < nx ? v + 1 : v, v >= nx ? v - nx : v,
				v + nx < nxy ? v + nx : v};
		for (int b = 0; b < 4; b++)
			surface = surface || (!L[nb[b]] && !(c->out[nb[b]] & 2));
	}
	for (size_t a = 0; a < n; a++) {
		c->out[c->disc[a]] &= 1;
		if (inside && surface)
			L[c->disc[a]] = 0;
	}
	return inside && surface;
}

/* True when coarse voxel (i, j) of slice k lies where the IVC can run. */
static bool ivc_zone(const struct vessel_ctx *c, int32_t i, int32_t j, int32_t k)
{
	const struct lesion_grid *g = &c->w->g;
	size_t v = ((size_t)k * (size_t)g->n[1] + (size_t)j) * (size_t)g->n[0] + (size_t)i;
	double x = liver_coarse_lps_x(c->w, v);
	return x < c->w->body_x && x > c->w->body_x - IVC_MAX_LATERAL_MM;
}

/* Moves the tube to the deepest point of the outside tissue among its
 * 3×3 neighbours; returns its inscribed radius there (mm). */
static double follow(struct vessel_ctx *c, struct tube *t)
{
	const struct lesion_grid *g = &c->w->g;
	int32_t bx = t->x, by = t->y;
	float best = -1.0f;
	for (int32_t j = t->y - 1; j <= t->y + 1; j++)
		for (int32_t i = t->x - 1; i <= t->x + 1; i++) {
			if (i < 0 || j < 0 || i >= g->n[0] || j >= g->n[1])
				continue;
			float d = c->d2[(size_t)j * (size_t)g->n[0] + (size_t)i];
			if (d > best)
				best = d, bx = i, by = j;
		}
	t->x = bx, t->y = by;
	return sqrt(best);
}

static enum dlld_status add_tube(struct vessel_ctx *c, int32_t x, int32_t y, struct dlld_error *err)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct tube *t = realloc(c->t, cap * sizeof(*t));
		if (!t)
			return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "out of memory: tubes");
		c->t = t, c->cap = cap;
	}
	c->t[c->n++] = (struct tube){x, y, 0.0, 0, 0, 0.0, false, true};
	return DLLD_STATUS_OK;
}

/* One slice: cut the tubes inside the liver, follow the others, start new
 * ones at the local maxima of the inscribed radius. */
static enum dlld_status vessel_slice(struct vessel_ctx *c, int32_t k, struct dlld_error *err)
{
	struct liver_work *w = c->w;
	const struct lesion_grid *g = &w->g;
	struct lesion_grid g2 = {{g->n[0], g->n[1], 1}, {g->sp[0], g->sp[1], 1.0}};
	size_t nx = (size_t)g->n[0], nxy = nx * (size_t)g->n[1], off = (size_t)k * nxy;
	uint8_t *L = w->liver + off;
	for (size_t v = 0; v < nxy; v++) /* liver-like or enhanced blood */
		c->out[v] = w->body[off + v] && !w->lung[off + v] && !L[v] &&
			    w->smooth[off + v] > w->lo && w->smooth[off + v] < w->hi + w->bright_hu;
	enum dlld_status st = lesion_edt_sq(&g2, c->out, 0, c->d2, NULL, err);
	for (size_t a = 0; !st && a < c->n; a++) {
		struct tube *t = &c->t[a];
		if (!t->alive)
			continue;
		if (!t->cutting && t->fr_mm > 0 && t->run_mm >= TUBE_BELOW_MM &&
		    disc_cover(c, t->fx, t->fy, t->fr_mm, L) >= TUBE_COVER)
			t->cutting = true;
		if (t->cutting) {
			t->alive = cut_section(c, t, L);
			continue;
		}
		double r = follow(c, t);
		t->alive = r >= TUBE_MIN_R_MM && r <= TUBE_MAX_R_MM && ivc_zone(c, t->x, t->y, k);
		t->run_mm += g->sp[2];
		if (t->alive && disc_cover(c, t->x, t->y, r, L) == 0.0)
			t->fx = t->x, t->fy = t->y, t->fr_mm = r;
		for (size_t b = 0; t->alive && b < a; b++) /* two tubes met: keep the longer */
			if (c->t[b].alive && !c->t[b].cutting && c->t[b].x == t->x && c->t[b].y == t->y)
				t->alive = false, c->t[b].run_mm = fmax(c->t[b].run_mm, t->run_mm);
	}
	for (int32_t j = 1; !st && j + 1 < g->n[1]; j++)
		for (int32_t i = 1; !st && i + 1 < g->n[0]; i++) {
			size_t v = (size_t)j * nx + (size_t)i;
			float d = c->d2[v];
			if (!c->out[v] || d < TUBE_MIN_R_MM * TUBE_MIN_R_MM || d > TUBE_MAX_R_MM * TUBE_MAX_R_MM)
				continue;
			bool peak = true, taken = false;
			for (int32_t b = -1; b <= 1; b++)
				for (int32_t a = -1; a <= 1; a++)
					peak = peak && c->d2[v + (size_t)((int64_t)b * (int64_t)nx + a)] <= d;
			for (size_t a = 0; peak && a < c->n && !taken; a++) {
				const struct tube *t = &c->t[a];
				double ex = (i - t->x) * g->sp[0], ey = (j - t->y) * g->sp[1];
				taken = t->alive && !t->cutting && ex * ex + ey * ey <= d;
			}
			if (peak && !taken && ivc_zone(c, i, j, k))
				st = add_tube(c, i, j, err);
		}
	/* Forget the dead tubes. */
	size_t m = 0;
	for (size_t a = 0; a < c->n; a++)
		if (c->t[a].alive)
			c->t[m++] = c->t[a];
	c->n = m;
	return st;
}

enum dlld_status liver_cut_ivc(struct liver_work *w, struct dlld_error *err)
{
	const struct lesion_grid *g = &w->g;
	size_t nxy = (size_t)g->n[0] * (size_t)g->n[1];
	size_t span = (size_t)(2 * (TUBE_MAX_R_MM / g->sp[0]) + 3) *
		      (size_t)(2 * (TUBE_MAX_R_MM / g->sp[1]) + 3);
	struct vessel_ctx c = {w, NULL, NULL, NULL, NULL, 0, 0};
	c.out = dlld_calloc(nxy, 1, "tubes", err);
	c.d2 = dlld_calloc(nxy, sizeof(float), "tubes", err);
	c.disc = dlld_calloc(span, sizeof(size_t), "tubes", err);
	enum dlld_status st = c.out && c.d2 && c.disc ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
	for (int32_t k = 0; !st && k < g->n[2]; k++)
		st = vessel_slice(&c, k, err);
	free(c.out), free(c.d2), free(c.disc), free(c.t);
	return st;
}
