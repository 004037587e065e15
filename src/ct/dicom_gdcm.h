/*
 * ct/dicom_gdcm.h — the C face of the thin GDCM shim (dicom_gdcm.cpp).
 *
 * GDCM parses and decodes (every transfer syntax it knows: uncompressed,
 * deflate, RLE, JPEG, JPEG-LS, JPEG 2000); everything DLLD decides about
 * series, geometry and HU happens in C (dicom_series.c, dicom_load.c).
 * No function here throws, prints or exits; failures fill `reason`.
 */
#ifndef DLLD_CT_DICOM_GDCM_H
#define DLLD_CT_DICOM_GDCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The header fields DLLD uses, as read from one file. Strings are trimmed
 * and "" when absent; has_* say whether a numeric field was present and
 * parsed. DICOM order is kept: pixel_spacing = (row spacing, column spacing). */
struct dlld_dcm_info {
	char sop_uid[72];
	char series_uid[72];
	char study_uid[72];
	char modality[20];
	char image_type[128];
	char series_description[72];
	char patient_id[72];
	char transfer_syntax[72];
	char photometric[20];
	long series_number, instance_number, number_of_frames;
	bool has_series_number, has_instance_number;
	long rows, columns, bits_allocated, bits_stored, high_bit, pixel_representation;
	long samples_per_pixel;
	bool has_rows, has_columns, has_bits_allocated, has_pixel_data;
	double ipp[3], iop[6], pixel_spacing[2];
	bool has_ipp, has_iop, has_pixel_spacing;
	double slice_thickness, slope, intercept, window_center, window_width, gantry_tilt_deg;
	bool has_slice_thickness, has_window, has_gantry_tilt;
};

enum dlld_gdcm_result {
	DLLD_GDCM_RESULT_OK,
	DLLD_GDCM_RESULT_NOT_DICOM, /* not a DICOM file at all */
	DLLD_GDCM_RESULT_MALFORMED, /* DICOM, but unreadable/undecodable */
	DLLD_GDCM_RESULT_WRITE,     /* output could not be written */
};

/* Silences GDCM's own warning/error output (once per process). */
void dlld_gdcm_quiet(void);

/* Fills *info from the header of path (pixel data are not read). */
enum dlld_gdcm_result dlld_gdcm_read_info(const char *path, struct dlld_dcm_info *info,
					  char *reason, size_t reason_size);

/* HU = stored * slope + intercept (RescaleSlope/Intercept of one file). */
struct dlld_rescale {
	double slope, intercept;
};

/* Decodes the single frame of path into out[rows*columns] as HU: stored
 * values masked to BitsStored, sign-extended when PixelRepresentation is 1,
 * then rescaled (no MONOCHROME1 inversion: HU are defined by the modality
 * LUT; the photometric interpretation only governs display). rows/columns
 * are what the caller expects from the header; a decoded size that differs
 * is MALFORMED. */
enum dlld_gdcm_result dlld_gdcm_read_pixels(const char *path, long rows, long columns,
					    struct dlld_rescale rs, float *out, char *reason,
					    size_t reason_size);

/* One element to write: tag, two-letter VR, value as DICOM text
 * (multi-values separated by '\'). US values are written as binary. */
struct dlld_dcm_element {
	uint16_t group, element;
	char vr[3];
	const char *value;
};

/* Writes a Part-10 file (Explicit VR Little Endian) at path with the given
 * elements and an OW PixelData of rows*columns int16 values. The caller
 * includes SOPClassUID and SOPInstanceUID; the file meta information is
 * derived from them. */
enum dlld_gdcm_result dlld_gdcm_write_image(const char *path, const struct dlld_dcm_element *el,
					    size_t n_el, const int16_t *pixels, long rows,
					    long columns, char *reason, size_t reason_size);

#ifdef __cplusplus
}
#endif

#endif
