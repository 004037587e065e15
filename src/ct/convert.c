/* ct/convert.c — value conversions shared by the NIfTI and DICOM writers. */
#include "ct/ct_internal.h"

#include <math.h>
#include <stdio.h>

void dlld_ct_provenance_path(struct dlld_provenance *prov, const char *path)
{
	snprintf(prov->source_path, sizeof prov->source_path, "%s", path);
}

static double round_clamp(double x, double lo, double hi)
{
	if (!(x == x))
		return 0.0;
	x = nearbyint(x);
	return x < lo ? lo : (x > hi ? hi : x);
}

int16_t dlld_ct_round_i16(double x)
{
	return (int16_t)round_clamp(x, -32768.0, 32767.0);
}

void dlld_ct_convert_float(const float *hu, size_t n, enum dlld_nifti_type type, void *out)
{
	for (size_t i = 0; i < n; i++) {
		switch (type) {
		case DLLD_NIFTI_TYPE_INT16:
			((int16_t *)out)[i] = dlld_ct_round_i16(hu[i]);
			break;
		case DLLD_NIFTI_TYPE_UINT8:
			((uint8_t *)out)[i] = (uint8_t)round_clamp(hu[i], 0.0, 255.0);
			break;
		case DLLD_NIFTI_TYPE_UINT16:
			((uint16_t *)out)[i] = (uint16_t)round_clamp(hu[i], 0.0, 65535.0);
			break;
		default:
			((float *)out)[i] = hu[i];
			break;
		}
	}
}
