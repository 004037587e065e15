/* synth/render.c — image formation. Each output slice is the average of
 * n_sub thin sub-slices (finite slice thickness, partial volume along z);
 * on every sub-slice the objects are painted in order with anti-aliased
 * edges (partial volume in-plane) and soft edges where a tissue boundary is
 * ill-defined. The average then gets parenchymal texture, the in-plane
 * point-spread blur and correlated noise (white Gaussian noise filtered by
 * a Gaussian kernel, scaled to the patient's noise level), and is rounded
 * to integer HU. Masks come from the same coverages: liver where its
 * average coverage is >= 0.5, each lesion where its coverage is at least
 * half its own maximum (never more than 0.5), so even a 3 mm lesion on a
 * 5 mm slice keeps its voxels. */
#include "synth/synth_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_KERNEL_RADIUS = 24, VESSEL_KINDS = 2 };

struct grid {
	int32_t nx, ny, nz, n_sub;
	float px, x0, y0, z0, step; /* pixel (mm), centre of voxel 0, slice step */
};

/* One sub-slice being painted: HU and the coverages the masks need. */
struct layer {
	float *hu;
	float *liver;           /* geometric liver coverage */
	float *par;             /* share of the HU that is liver parenchyma */
	float *lesion;          /* geometric coverage of lesion lesion_id */
	uint16_t *lesion_id;
	float *vessel[VESSEL_KINDS];
};

struct render_ctx {
	const struct synth_anatomy *a;
	struct grid g;
	int32_t block;          /* pixels per side of a paint block */
	float *base;            /* z-invariant body wall, nx*ny */
	struct layer sub;       /* the sub-slice being painted */
	struct layer acc;       /* sums over the sub-slices of one slice */
	float *tmp, *noise;     /* blur scratch */
	uint8_t *lesion_frac;   /* per voxel: coverage of its lesion, 0..255 */
	float *storage;
};

static float clampf(float x, float lo, float hi)
{
	return x < lo ? lo : (x > hi ? hi : x);
}

/* ---- the z-invariant body wall -------------------------------------------- */
static float superellipse_distance(float x, float y, float hx, float hy, float p)
{
	float u = fabsf(x) / hx, v = fabsf(y) / hy, au = powf(u, p), av = powf(v, p);
	float sum = au + av, f, scale, gx, gy;

	if (sum < 1e-12f)
		return -fminf(hx, hy);
	f = powf(sum, 1.0f / p);
	scale = f / sum;
	gx = u > 1e-6f ? scale * au / u / hx : 0.0f;
	gy = v > 1e-6f ? scale * av / v / hy : 0.0f;
	return (f - 1.0f) / sqrtf(fmaxf(gx * gx + gy * gy, 1e-12f));
}

static float base_value(const struct synth_anatomy *a, float x, float y, float px)
{
	const struct synth_body *b = &a->body;
	float hu = -1000.0f, t;
	float table_top = b->half_y + 6.0f + 0.0004f * x * x;
	/* the outline undulates; the muscles are thick at the front (rectus)
	 * and back, thinner at the flanks */
	float t_ang = atan2f(y, x), sin2 = sinf(t_ang) * sinf(t_ang);
	float wobble = 1.0f + 0.025f * sinf(2.0f * t_ang + b->contour_phase[0]) +
		       0.015f * sinf(3.0f * t_ang + b->contour_phase[1]);
	float hx = b->half_x * wobble, hy = b->half_y * wobble;
	float fat = b->fat_mm * (0.8f + 0.4f * sin2), muscle = b->muscle_mm * (0.5f + 0.8f * sin2);
	float d_body = superellipse_distance(x, y, hx, hy, b->power);
	float d_wall = superellipse_distance(x, y, hx - fat, hy - fat, b->power);
	float d_cav = fmaxf(synth_cavity_distance(b, x, y),
			    superellipse_distance(x, y, hx - fat - muscle, hy - fat - muscle, b->power));

	if (fabsf(x) < 0.42f * a->fov_mm && y > table_top && y < table_top + 12.0f)
		hu = (y < table_top + 2.0f || y > table_top + 10.0f) ? 150.0f : -500.0f;
	t = clampf(0.5f - d_body / px, 0.0f, 1.0f);
	hu += t * ((d_body > -1.5f ? 20.0f : b->fat_hu) - hu);
	t = clampf(0.5f - d_wall / px, 0.0f, 1.0f);
	hu += t * (b->muscle_hu - hu);
	t = clampf(0.5f - d_cav / px, 0.0f, 1.0f);
	hu += t * (b->fat_hu + 12.0f - hu);
	return hu;
}

static void render_base(struct render_ctx *c)
{
	for (int32_t j = 0; j < c->g.ny; j++)
		for (int32_t i = 0; i < c->g.nx; i++)
			c->base[(size_t)j * (size_t)c->g.nx + (size_t)i] =
				base_value(c->a, c->g.x0 + (float)i * c->g.px,
					   c->g.y0 + (float)j * c->g.px, c->g.px);
}

/* ---- painting ------------------------------------------------------------------ */
static void paint_pixel(const struct synth_object *o, struct layer *l, size_t idx, float a_geo,
			float a_app, float value)
{
	l->hu[idx] += a_app * (value - l->hu[idx]);
	switch (o->role) {
	case SYNTH_ROLE_LIVER:
		l->liver[idx] = a_geo;
		l->par[idx] = a_app;
		break;
	case SYNTH_ROLE_PORTAL:
	case SYNTH_ROLE_HEPATIC: {
		float *v = l->vessel[o->role == SYNTH_ROLE_PORTAL ? 0 : 1];
		v[idx] = fmaxf(v[idx], a_geo);
		l->par[idx] *= 1.0f - a_app;
		break;
	}
	case SYNTH_ROLE_LESION:
		l->par[idx] *= 1.0f - a_app;
		if (a_geo > l->lesion[idx]) {
			l->lesion[idx] = a_geo;
			l->lesion_id[idx] = o->label;
		}
		break;
	case SYNTH_ROLE_TISSUE:
	case SYNTH_ROLE_COUNT:
		l->liver[idx] *= 1.0f - a_geo;
		l->par[idx] *= 1.0f - a_app;
		break;
	}
}

/* Paints o on pixels [i0, i1] x [j0, j1] one by one. */
static void paint_pixels(struct render_ctx *c, const struct synth_object *o, float z, int32_t i0,
			 int32_t i1, int32_t j0, int32_t j1)
{
	const struct grid *g = &c->g;
	float edge = fmaxf(g->px, o->edge_mm), reach = 0.5f * edge;

	for (int32_t j = j0; j <= j1; j++)
		for (int32_t i = i0; i <= i1; i++) {
			float p[3] = {g->x0 + (float)i * g->px, g->y0 + (float)j * g->px, z};
			float d = synth_distance(o, &c->a->body, p), a_geo, a_app;
			size_t idx = (size_t)j * (size_t)g->nx + (size_t)i;

			if (d >= reach)
				continue;
			a_geo = clampf(0.5f - d / g->px, 0.0f, 1.0f);
			a_app = clampf(0.5f - d / edge, 0.0f, 1.0f);
			a_app = a_app * a_app * (3.0f - 2.0f * a_app);
			paint_pixel(o, &c->sub, idx, a_geo, a_app, synth_shade(o, &c->a->body, p, d));
		}
}

/* Paints o in blocks of block x block pixels: one distance at the block
 * centre decides whether the block is wholly outside (skipped), wholly and
 * deeply inside (full coverage, shaded with the centre distance) or near
 * the surface (pixel by pixel). The distances are approximate, so the
 * block radius counts twice. */
static void paint_object(struct render_ctx *c, const struct synth_object *o, float z)
{
	const struct grid *g = &c->g;
	int32_t b = c->block;
	float edge = fmaxf(g->px, o->edge_mm);
	int32_t i0 = (int32_t)floorf((o->lo[0] - g->x0) / g->px);
	int32_t i1 = (int32_t)ceilf((o->hi[0] - g->x0) / g->px);
	int32_t j0 = (int32_t)floorf((o->lo[1] - g->y0) / g->px);
	int32_t j1 = (int32_t)ceilf((o->hi[1] - g->y0) / g->px);

	i0 = i0 < 0 ? 0 : i0;
	j0 = j0 < 0 ? 0 : j0;
	i1 = i1 >= g->nx ? g->nx - 1 : i1;
	j1 = j1 >= g->ny ? g->ny - 1 : j1;
	for (int32_t jb = j0; jb <= j1; jb += b)
		for (int32_t ib = i0; ib <= i1; ib += b) {
			int32_t ie = ib + b - 1 > i1 ? i1 : ib + b - 1;
			int32_t je = jb + b - 1 > j1 ? j1 : jb + b - 1;
			float ci = 0.5f * (float)(ib + ie), cj = 0.5f * (float)(jb + je);
			float p[3] = {g->x0 + ci * g->px, g->y0 + cj * g->px, z};
			float radius = 2.0f * 0.7072f * (float)b * g->px, d;

			if (b == 1) {
				paint_pixels(c, o, z, ib, ie, jb, je);
				continue;
			}
			d = synth_distance(o, &c->a->body, p);
			if (d > radius + edge)
				continue;
			if (d < -(radius + edge + o->shade_depth_mm)) {
				for (int32_t j = jb; j <= je; j++)
					for (int32_t i = ib; i <= ie; i++) {
						float q[3] = {g->x0 + (float)i * g->px,
							      g->y0 + (float)j * g->px, z};
						paint_pixel(o, &c->sub, (size_t)j * (size_t)g->nx + (size_t)i,
							    1.0f, 1.0f, synth_shade(o, &c->a->body, q, d));
					}
				continue;
			}
			paint_pixels(c, o, z, ib, ie, jb, je);
		}
}

static void paint_sub_slice(struct render_ctx *c, float z)
{
	size_t n = (size_t)c->g.nx * (size_t)c->g.ny;
	struct layer *l = &c->sub;

	memcpy(l->hu, c->base, n * sizeof *l->hu);
	memset(l->liver, 0, n * sizeof *l->liver);
	memset(l->par, 0, n * sizeof *l->par);
	memset(l->lesion, 0, n * sizeof *l->lesion);
	memset(l->lesion_id, 0, n * sizeof *l->lesion_id);
	for (int v = 0; v < VESSEL_KINDS; v++)
		memset(l->vessel[v], 0, n * sizeof *l->vessel[v]);
	for (size_t k = 0; k < c->a->n_objects; k++) {
		const struct synth_object *o = &c->a->objects[k];
		if (z >= o->lo[2] && z <= o->hi[2])
			paint_object(c, o, z);
	}
}

/* Adds the sub-slice to the slice sums; a voxel keeps the lesion with the
 * larger summed coverage. */
static void accumulate(struct render_ctx *c)
{
	size_t n = (size_t)c->g.nx * (size_t)c->g.ny;
	struct layer *s = &c->sub, *a = &c->acc;

	for (size_t i = 0; i < n; i++) {
		a->hu[i] += s->hu[i];
		a->liver[i] += s->liver[i];
		a->par[i] += s->par[i];
		for (int v = 0; v < VESSEL_KINDS; v++)
			a->vessel[v][i] += s->vessel[v][i];
		if (s->lesion_id[i] == 0)
			continue;
		if (a->lesion_id[i] == s->lesion_id[i] || a->lesion_id[i] == 0) {
			a->lesion_id[i] = s->lesion_id[i];
			a->lesion[i] += s->lesion[i];
		} else if (s->lesion[i] > a->lesion[i]) {
			a->lesion_id[i] = s->lesion_id[i];
			a->lesion[i] = s->lesion[i];
		}
	}
}

/* ---- blur and noise ------------------------------------------------------------- */
/* Fills w[0..radius] with a normalised Gaussian half-kernel; returns radius. */
static int gaussian_kernel(float sigma_px, float w[MAX_KERNEL_RADIUS + 1])
{
	int radius = (int)ceilf(3.0f * sigma_px);
	float sum = 0.0f;

	radius = radius < 1 ? 1 : (radius > MAX_KERNEL_RADIUS ? MAX_KERNEL_RADIUS : radius);
	for (int k = 0; k <= radius; k++) {
		w[k] = expf(-0.5f * (float)(k * k) / (sigma_px * sigma_px));
		sum += k == 0 ? w[k] : 2.0f * w[k];
	}
	for (int k = 0; k <= radius; k++)
		w[k] /= sum;
	return radius;
}

static int32_t clamp_index(int32_t i, int32_t n)
{
	return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/* Blurs img[ny][nx] in place with a separable Gaussian (edges repeated). */
static void blur(float *img, float *tmp, int32_t nx, int32_t ny, float sigma_px)
{
	float w[MAX_KERNEL_RADIUS + 1];
	int radius = gaussian_kernel(sigma_px, w);

	for (int32_t j = 0; j < ny; j++)
		for (int32_t i = 0; i < nx; i++) {
			const float *row = img + (size_t)j * (size_t)nx;
			float s = w[0] * row[i];
			for (int k = 1; k <= radius; k++)
				s += w[k] * (row[clamp_index(i - k, nx)] + row[clamp_index(i + k, nx)]);
			tmp[(size_t)j * (size_t)nx + (size_t)i] = s;
		}
	for (int32_t j = 0; j < ny; j++)
		for (int32_t i = 0; i < nx; i++) {
			float s = w[0] * tmp[(size_t)j * (size_t)nx + (size_t)i];
			for (int k = 1; k <= radius; k++)
				s += w[k] * (tmp[(size_t)clamp_index(j - k, ny) * (size_t)nx + (size_t)i] +
					     tmp[(size_t)clamp_index(j + k, ny) * (size_t)nx + (size_t)i]);
			img[(size_t)j * (size_t)nx + (size_t)i] = s;
		}
}

/* Returns the SD of unit white noise after blur with sigma_px. */
static float blurred_noise_sd(float sigma_px)
{
	float w[MAX_KERNEL_RADIUS + 1], s2 = 0.0f;
	int radius = gaussian_kernel(sigma_px, w);

	for (int k = -radius; k <= radius; k++)
		s2 += w[k < 0 ? -k : k] * w[k < 0 ? -k : k];
	return s2; /* separable: variance (sum w^2)^2, SD sum w^2 */
}

/* Adds correlated noise of SD sd_hu to img. */
static void add_noise(struct render_ctx *c, float *img, float sd_hu, struct dlld_rng *rng)
{
	size_t n = (size_t)c->g.nx * (size_t)c->g.ny;
	float sigma = fmaxf(0.5f, 0.7f / c->g.px), scale = sd_hu / blurred_noise_sd(sigma);

	for (size_t i = 0; i < n; i++)
		c->noise[i] = (float)dlld_rng_normal(rng);
	blur(c->noise, c->tmp, c->g.nx, c->g.ny, sigma);
	for (size_t i = 0; i < n; i++)
		img[i] += scale * c->noise[i];
}

/* ---- one output slice ------------------------------------------------------------ */
static void add_texture(struct render_ctx *c, float *hu, const float *par, float z)
{
	const struct synth_anatomy *a = c->a;

	for (int32_t j = 0; j < c->g.ny; j++)
		for (int32_t i = 0; i < c->g.nx; i++) {
			size_t idx = (size_t)j * (size_t)c->g.nx + (size_t)i;
			float x = c->g.x0 + (float)i * c->g.px, y = c->g.y0 + (float)j * c->g.px;
			if (par[idx] <= 0.0f)
				continue;
			hu[idx] += par[idx] * a->heterogeneity_hu *
				   (0.75f * synth_noise3(a->texture_seed, x / 14.0f, y / 14.0f, z / 14.0f) +
				    0.45f * synth_noise3(a->texture_seed + 1, x / 4.0f, y / 4.0f, z / 4.0f));
		}
}

static void render_slice(struct render_ctx *c, int32_t k, const struct dlld_synth_options *opts,
			 struct dlld_rng *rng, struct dlld_synth_case *out)
{
	const struct grid *g = &c->g;
	size_t n = (size_t)g->nx * (size_t)g->ny, off = (size_t)k * n;
	float zc = g->z0 + (float)k * g->step, inv = 1.0f / (float)g->n_sub;
	float sd = c->a->noise_hu_5mm * sqrtf(5.0f / (float)opts->slice_thickness_mm);
	float r2 = 0.25f * (float)g->nx * (float)g->nx;
	struct layer *a = &c->acc;

	memset(a->hu, 0, n * sizeof *a->hu);
	memset(a->liver, 0, n * sizeof *a->liver);
	memset(a->par, 0, n * sizeof *a->par);
	memset(a->lesion, 0, n * sizeof *a->lesion);
	memset(a->lesion_id, 0, n * sizeof *a->lesion_id);
	for (int v = 0; v < VESSEL_KINDS; v++)
		memset(a->vessel[v], 0, n * sizeof *a->vessel[v]);
	for (int s = 0; s < g->n_sub; s++) {
		paint_sub_slice(c, zc + g->step * (((float)s + 0.5f) * inv - 0.5f));
		accumulate(c);
	}
	for (size_t i = 0; i < n; i++) {
		a->hu[i] *= inv;
		a->par[i] *= inv;
	}
	add_texture(c, a->hu, a->par, zc);
	blur(a->hu, c->tmp, g->nx, g->ny, fmaxf(0.05f, c->a->psf_mm / g->px));
	add_noise(c, a->hu, sd, rng);
	for (size_t i = 0; i < n; i++) {
		float di = (float)(i % (size_t)g->nx) + 0.5f - 0.5f * (float)g->nx;
		float dj = (float)(i / (size_t)g->nx) + 0.5f - 0.5f * (float)g->ny;
		float hu = di * di + dj * dj > r2 ? -1024.0f : clampf(a->hu[i], -1024.0f, 3071.0f);
		float lesion = a->lesion[i] * inv;

		out->ct->hu[off + i] = roundf(hu);
		out->liver->label[off + i] = a->liver[i] * inv >= 0.5f;
		out->lesions->label[off + i] = lesion > 0.0f ? a->lesion_id[i] : 0;
		c->lesion_frac[off + i] = (uint8_t)lrintf(clampf(lesion, 0.0f, 1.0f) * 255.0f);
		out->vessels->label[off + i] =
			a->vessel[0][i] * inv >= 0.5f ? DLLD_SYNTH_VESSEL_PORTAL
			: (a->vessel[1][i] * inv >= 0.5f ? DLLD_SYNTH_VESSEL_HEPATIC
							  : DLLD_SYNTH_VESSEL_NONE);
	}
}

/* Gives every lesion left without voxels (a lesion far smaller than a
 * voxel, or one whose every voxel a neighbour covered more) the voxel that
 * holds its centre. */
static void keep_every_lesion(const struct render_ctx *c, struct dlld_synth_case *out,
			      const uint8_t *present)
{
	const struct grid *g = &c->g;

	for (size_t k = 0; k < c->a->n_objects; k++) {
		const struct synth_object *o = &c->a->objects[k];
		int32_t i, j, s;
		size_t idx;

		if (o->role != SYNTH_ROLE_LESION || present[o->label])
			continue;
		i = (int32_t)lrintf((o->u.lesion.c[0] - g->x0) / g->px);
		j = (int32_t)lrintf((o->u.lesion.c[1] - g->y0) / g->px);
		s = (int32_t)lrintf((o->u.lesion.c[2] - g->z0) / g->step);
		i = i < 0 ? 0 : (i >= g->nx ? g->nx - 1 : i);
		j = j < 0 ? 0 : (j >= g->ny ? g->ny - 1 : j);
		s = s < 0 ? 0 : (s >= g->nz ? g->nz - 1 : s);
		idx = ((size_t)s * (size_t)g->ny + (size_t)j) * (size_t)g->nx + (size_t)i;
		out->lesions->label[idx] = o->label;
		out->liver->label[idx] = 1;
	}
}

/* Keeps a lesion's voxels whose coverage is >= min(0.5, half its maximum);
 * the liver mask then includes every lesion voxel. */
static enum dlld_status finish_lesion_masks(struct render_ctx *c, struct dlld_synth_case *out,
					    size_t n_lesions, struct dlld_error *err)
{
	size_t n = (size_t)c->g.nx * (size_t)c->g.ny * (size_t)c->g.nz;
	uint8_t *max = dlld_calloc(2 * (n_lesions + 1), 1, "lesion coverage maxima", err);
	uint8_t *present = max + n_lesions + 1;

	if (!max)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t i = 0; i < n; i++) {
		uint16_t id = out->lesions->label[i];
		if (id && id <= n_lesions && c->lesion_frac[i] > max[id])
			max[id] = c->lesion_frac[i];
	}
	for (size_t i = 0; i < n; i++) {
		uint16_t id = out->lesions->label[i];
		unsigned keep;
		if (!id)
			continue;
		keep = max[id] / 2u < 128u ? (max[id] + 1u) / 2u : 128u;
		if (c->lesion_frac[i] < keep || c->lesion_frac[i] == 0) {
			out->lesions->label[i] = 0;
			continue;
		}
		out->liver->label[i] = 1;
		present[id] = 1;
	}
	keep_every_lesion(c, out, present);
	free(max);
	return DLLD_STATUS_OK;
}

/* ---- the volume --------------------------------------------------------------------- */
static void grid_plan(const struct synth_anatomy *a, const struct dlld_synth_options *opts,
		      struct grid *g)
{
	float t = (float)opts->slice_thickness_mm;
	long nz = lrintf((a->z_top - a->z_bottom) / t);

	g->nx = g->ny = opts->matrix;
	g->nz = (int32_t)(nz < 1 ? 1 : nz);
	g->px = a->fov_mm / (float)opts->matrix;
	g->x0 = -0.5f * a->fov_mm + 0.5f * g->px;
	g->y0 = g->x0;
	g->step = t;
	g->z0 = a->z_bottom + 0.5f * t;
	g->n_sub = (int32_t)ceilf(t / 1.25f);
	g->n_sub = g->n_sub < 2 ? 2 : g->n_sub;
}

static enum dlld_status create_outputs(const struct grid *g, struct dlld_synth_case *out,
				       struct dlld_error *err)
{
	struct dlld_geometry geom;
	int32_t dims[3] = {g->nx, g->ny, g->nz};
	double spacing[3] = {g->px, g->px, g->step};
	double origin[3] = {g->x0, g->y0, g->z0};

	dlld_geometry_init(&geom, dims, spacing, origin);
	out->ct = dlld_volume_create(&geom, err);
	out->liver = out->ct ? dlld_labelmap_create(&geom, err) : NULL;
	out->lesions = out->liver ? dlld_labelmap_create(&geom, err) : NULL;
	out->vessels = out->lesions ? dlld_labelmap_create(&geom, err) : NULL;
	if (!out->vessels)
		return err->status ? err->status : DLLD_STATUS_NO_MEMORY;
	snprintf(out->ct->prov.modality, sizeof out->ct->prov.modality, "CT");
	snprintf(out->ct->prov.series_description, sizeof out->ct->prov.series_description,
		 "DLLD synthetic portal venous phase");
	snprintf(out->ct->prov.original_datatype, sizeof out->ct->prov.original_datatype, "int16");
	out->ct->prov.slice_thickness_mm = g->step;
	out->ct->prov.window_center = 60.0;
	out->ct->prov.window_width = 400.0;
	return DLLD_STATUS_OK;
}

/* Plans one allocation for the slice buffers and points the layers at it. */
static enum dlld_status ctx_alloc(struct render_ctx *c, struct dlld_error *err)
{
	size_t n = (size_t)c->g.nx * (size_t)c->g.ny, vox, floats;
	float *p;
	uint16_t *ids;

	if (!dlld_size_mul(n, 2 * (4 + VESSEL_KINDS) + 3, &floats) ||
	    !dlld_size_mul3(n, (size_t)c->g.nz, 1, &vox))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "slice too large");
	c->storage = dlld_calloc(floats, sizeof(float), "slice buffers", err);
	c->lesion_frac = dlld_calloc(vox, 1, "lesion coverage", err);
	ids = c->storage ? dlld_calloc(2 * n, sizeof *ids, "lesion ids", err) : NULL;
	if (!c->storage || !c->lesion_frac || !ids) {
		free(ids);
		return DLLD_STATUS_NO_MEMORY;
	}
	p = c->storage;
	c->base = p; p += n;
	c->tmp = p; p += n;
	c->noise = p; p += n;
	struct layer *layers[2] = {&c->sub, &c->acc};
	for (int l = 0; l < 2; l++) {
		layers[l]->hu = p; p += n;
		layers[l]->liver = p; p += n;
		layers[l]->par = p; p += n;
		layers[l]->lesion = p; p += n;
		for (int v = 0; v < VESSEL_KINDS; v++) {
			layers[l]->vessel[v] = p;
			p += n;
		}
		layers[l]->lesion_id = ids + (size_t)l * n;
	}
	return DLLD_STATUS_OK;
}

enum dlld_status synth_render_volume(const struct synth_anatomy *a,
				     const struct dlld_synth_options *opts, size_t n_lesions,
				     struct dlld_rng *rng, struct dlld_synth_case *out,
				     struct dlld_error *err)
{
	struct render_ctx c = {.a = a};
	enum dlld_status st;

	grid_plan(a, opts, &c.g);
	c.block = (int32_t)lrintf(3.0f / c.g.px);
	c.block = c.block < 1 ? 1 : (c.block > 8 ? 8 : c.block);
	st = create_outputs(&c.g, out, err);
	if (!st)
		st = ctx_alloc(&c, err);
	if (!st) {
		render_base(&c);
		for (int32_t k = 0; k < c.g.nz; k++)
			render_slice(&c, k, opts, rng, out);
		st = finish_lesion_masks(&c, out, n_lesions, err);
	}
	free(c.storage);
	free(c.sub.lesion_id);
	free(c.lesion_frac);
	return st;
}
