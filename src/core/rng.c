/* core/rng.c — xoshiro256** with splitmix64 seeding; explicit state only. */
#include "dlld/core.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void dlld_rng_seed(struct dlld_rng *rng, uint64_t seed)
{
	uint64_t x = seed;

	memset(rng, 0, sizeof *rng);
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

void dlld_rng_seed_stream(struct dlld_rng *child, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed;
	uint64_t mixed = splitmix64(&x) ^ (stream * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL);
	dlld_rng_seed(child, mixed);
}

uint64_t dlld_rng_u64(struct dlld_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double dlld_rng_uniform(struct dlld_rng *rng)
{
	return (double)(dlld_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double dlld_rng_range(struct dlld_rng *rng, double lo, double hi)
{
	return lo + (hi - lo) * dlld_rng_uniform(rng);
}

uint64_t dlld_rng_below(struct dlld_rng *rng, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do
		x = dlld_rng_u64(rng);
	while (x >= limit);
	return x % n;
}

double dlld_rng_normal(struct dlld_rng *rng)
{
	double u, v, s;

	if (rng->has_spare) {
		rng->has_spare = false;
		return rng->spare_normal;
	}
	do {
		u = 2.0 * dlld_rng_uniform(rng) - 1.0;
		v = 2.0 * dlld_rng_uniform(rng) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	s = sqrt(-2.0 * log(s) / s);
	rng->spare_normal = v * s;
	rng->has_spare = true;
	return u * s;
}
