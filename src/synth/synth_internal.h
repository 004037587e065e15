/*
 * synth/synth_internal.h — the phantom's inner contracts.
 *
 * A patient is a list of objects painted in order onto fine axial
 * sub-slices (later objects cover earlier ones). Every object has a signed
 * distance (mm, negative inside, approximate away from the surface) and a
 * shade (HU at a point inside). Coordinates are LPS mm with the body axis
 * at x = y = 0 and z = 0 at the top of the right diaphragm dome.
 */
#ifndef DLLD_SYNTH_INTERNAL_H
#define DLLD_SYNTH_INTERNAL_H

#include "dlld/synth.h"

#define SYNTH_MAX_PATIENTS 100000
#define SYNTH_MIN_MATRIX 32
#define SYNTH_MAX_MATRIX 2048

/* How painting an object changes the masks. */
enum synth_role {
	SYNTH_ROLE_TISSUE,       /* plain tissue; removes liver it covers */
	SYNTH_ROLE_LIVER,        /* sets the liver mask and parenchyma weight */
	SYNTH_ROLE_PORTAL,       /* intrahepatic portal vein (vessel mask 1) */
	SYNTH_ROLE_HEPATIC,      /* intrahepatic hepatic vein (vessel mask 2) */
	SYNTH_ROLE_LESION,       /* lesion `label` */
	SYNTH_ROLE_COUNT
};

enum synth_kind {
	SYNTH_KIND_ELLIPSOID, /* organs, hollow organs with wall and air level */
	SYNTH_KIND_CAPSULE,   /* tapered tube segment: vessels, bowel */
	SYNTH_KIND_LIVER,
	SYNTH_KIND_LESION,
	SYNTH_KIND_THORAX,    /* diaphragm and lung bases */
	SYNTH_KIND_SPINE,     /* vertebrae, discs, canal, posterior elements */
	SYNTH_KIND_RIBS,
	SYNTH_KIND_COUNT
};

/* Contents of hollow organs. */
enum synth_content {
	SYNTH_CONTENT_SOLID,   /* hu everywhere inside the wall */
	SYNTH_CONTENT_LEVEL,   /* air (hu2) anterior of y = level, fluid (hu) behind */
	SYNTH_CONTENT_MOTTLED, /* stool / food: hu mixed with air pockets (hu2) */
	SYNTH_CONTENT_COUNT
};

/* Low-frequency sinusoidal warp: p' = p + sum amp_k sin(freq_k . p + phase_k)
 * along axis k % 3. */
enum { SYNTH_WARP_TERMS = 6 };
struct synth_warp {
	float amp_mm[SYNTH_WARP_TERMS];
	float freq[SYNTH_WARP_TERMS][3]; /* radians per mm */
	float phase[SYNTH_WARP_TERMS];
};

struct synth_ellipsoid {
	float c[3], r[3];      /* centre, semi-axes (after rotation about z) */
	float cos_a, sin_a;    /* rotation about z */
	float bite_c[3], bite_r; /* subtracted sphere (concave surface); r 0 = none */
	float wall_mm, wall_hu;
	float level_y;         /* air-fluid level (SYNTH_CONTENT_LEVEL) */
	enum synth_content content;
	float lobulation;      /* relative amplitude of surface lobulation */
};

struct synth_capsule {
	float a[3], b[3], ra, rb; /* ends and radii */
	float wall_mm, wall_hu;
	enum synth_content content;
};

/* A liver: smooth union of superellipsoid lobes, warped, cut by the
 * diaphragm and the body wall, with the IVC and gallbladder carved out. */
enum { SYNTH_LIVER_LOBES = 3 };
struct synth_liver {
	float c[SYNTH_LIVER_LOBES][3], r[SYNTH_LIVER_LOBES][3];
	int power[SYNTH_LIVER_LOBES];   /* 2 = ellipsoid, 3, 4 = boxy */
	float blend_mm;
	struct synth_warp warp;
	float ivc_c[2], ivc_r;             /* IVC groove (vertical cylinder) */
	float gb_c[3], gb_r[3];            /* gallbladder fossa; gb_r[0] 0 = none */
};

struct synth_lesion {
	float c[3], radius_mm;
	float axis[3];                 /* per-axis stretch */
	float lobe_amp[4], lobe_freq[4][3], lobe_phase[4];
	enum dlld_lesion_class cls;
	float core_hu, rim_hu, centre_hu;
	float rim_width, necrosis;      /* relative to the radius */
	float fill;                     /* hemangioma: fraction filled in */
	uint64_t texture_seed;
};

/* Body wall and thoracic geometry shared by several kinds. */
struct synth_body {
	float half_x, half_y, power;   /* outer skin superellipse */
	float fat_mm, muscle_mm;       /* subcutaneous fat, abdominal wall */
	float contour_phase[2];        /* undulation of the outline */
	float spine_y;                 /* vertebral body centre */
	float dome_right[3], dome_left[3]; /* diaphragm dome tops */
	float dome_curv;               /* mm drop per mm^2 away from a dome */
	float lung_hu, fat_hu, muscle_hu;
	float rib_top_z, rib_step_mm;
	int n_ribs;
};

struct synth_object {
	enum synth_kind kind;
	enum synth_role role;
	float lo[3], hi[3];  /* bounding box, LPS mm */
	float edge_mm;       /* soft appearance edge (the pixel size at least) */
	float shade_depth_mm; /* the shade depends on the distance this deep */
	float hu, hu2;       /* fill; second value (air, bone cortex, ...) */
	uint16_t label;      /* lesion label for SYNTH_ROLE_LESION */
	uint64_t texture_seed;
	union {
		struct synth_ellipsoid ell;
		struct synth_capsule cap;
		struct synth_liver liver;
		struct synth_lesion lesion;
	} u;
};

/* A patient's anatomy: objects in paint order plus what rendering needs. */
struct synth_anatomy {
	struct synth_body body;
	struct synth_object *objects;
	size_t n_objects, cap_objects;
	size_t liver_index;
	float liver_hu;
	float blood_hu;             /* portal venous blood pool (aorta) */
	float heterogeneity_hu;     /* parenchymal texture amplitude */
	float noise_hu_5mm;         /* noise SD at 5 mm slices */
	float psf_mm;               /* in-plane Gaussian blur sigma */
	float fov_mm;
	float z_top, z_bottom;      /* scan range */
	uint64_t texture_seed;
};

/* ---- anatomy.c --------------------------------------------------------- */
/* Fills a with a random patient (objects owned by a; release with
 * synth_anatomy_free). */
enum dlld_status synth_anatomy_build(struct synth_anatomy *a, struct dlld_rng *rng,
				     struct dlld_error *err);
void synth_anatomy_free(struct synth_anatomy *a);
/* Appends a zeroed object of kind/role; returns it, or NULL with err. */
struct synth_object *synth_anatomy_add(struct synth_anatomy *a, enum synth_kind kind,
				       enum synth_role role, struct dlld_error *err);

/* ---- vessels.c ---------------------------------------------------------- */
/* Appends the portal and hepatic venous trees inside the liver. */
enum dlld_status synth_vessels_build(struct synth_anatomy *a, struct dlld_rng *rng,
				     struct dlld_error *err);

/* ---- lesions.c ---------------------------------------------------------- */
/* Appends the planned lesions of patient pp inside the liver (labels 1..n
 * in plan order). */
enum dlld_status synth_lesions_place(struct synth_anatomy *a,
				     const struct dlld_synth_patient_plan *pp,
				     struct dlld_rng *rng, struct dlld_error *err);
float synth_lesion_distance(const struct synth_object *o, const float p[3]);
float synth_lesion_shade(const struct synth_object *o, const float p[3], float d);

/* ---- shapes.c ----------------------------------------------------------- */
/* Returns the signed distance (mm) of p to object o. */
float synth_distance(const struct synth_object *o, const struct synth_body *body,
		     const float p[3]);
/* Returns the HU of object o at p, d = its distance there. */
float synth_shade(const struct synth_object *o, const struct synth_body *body,
		  const float p[3], float d);
/* True when p is inside the liver (lesions may go there). */
bool synth_liver_inside(const struct synth_object *liver, const struct synth_body *body,
			const float p[3]);
/* Returns the height of the diaphragm surface above (x, y). */
float synth_diaphragm_z(const struct synth_body *b, float x, float y);
/* Returns the signed distance (mm, approximate) to the abdominal cavity
 * wall (the inner surface of the muscle layer). */
float synth_cavity_distance(const struct synth_body *b, float x, float y);
/* Returns lattice value noise in [-1, 1] with unit feature size. */
float synth_noise3(uint64_t seed, float x, float y, float z);
/* Fills the bounding box of o from its parameters (plus margin mm) and
 * its shade depth. */
void synth_object_bound(struct synth_object *o, const struct synth_body *body, float margin);

/* ---- render.c ----------------------------------------------------------- */
/* Renders anatomy a into a new case (ct, liver, lesions, vessels) on the
 * grid chosen from a and opts; n_lesions labels. */
enum dlld_status synth_render_volume(const struct synth_anatomy *a,
				     const struct dlld_synth_options *opts, size_t n_lesions,
				     struct dlld_rng *rng, struct dlld_synth_case *out,
				     struct dlld_error *err);

#endif
