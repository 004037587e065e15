/*
 * ct/dicom_guard.c — a length guard run before GDCM sees a file.
 *
 * GDCM allocates (and zero-fills) every element's declared value length
 * before reading it, so a 4 KB file claiming a 4 GB element costs 4 GB of
 * memory and many seconds. This walk reads element headers only — tag,
 * VR, length; never values — and checks that every defined length fits in
 * what remains of its file, sequence or item. It decodes nothing: GDCM
 * still parses and decodes everything DLLD uses.
 *
 * GDCM does not give up on an explicit-VR dataset with a VR it does not
 * know: it reads on from that element as "VR16" (a 2-byte length), and if
 * that fails reads the whole dataset again as explicit/implicit — both in
 * little endian, even when the file declares big endian. Each of those
 * readings allocates its own lengths, so each is walked here too.
 */
#include "ct/dicom_internal.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define UNDEFINED_LENGTH 0xffffffffu
#define GUARD_MAX_DEPTH 64

/* SYNTAX_DEFLATED: explicit little endian, raw-deflated after the meta group. */
enum syntax { SYNTAX_EXPLICIT_LE, SYNTAX_IMPLICIT_LE, SYNTAX_EXPLICIT_BE, SYNTAX_DEFLATED };

/* A deflated dataset is inflated to a temporary file for the walk, up to
 * this size (a 4096 x 4096 x 32-bit frame is 64 MiB). */
#define GUARD_MAX_INFLATED ((long long)80 << 20)

/* How an element whose VR is not a DICOM VR is read, as GDCM's readers do:
 * implicit (4-byte length; the explicit/implicit reader), VR16 (2-byte
 * length; pixel data 4-byte after two skipped bytes), or not at all (the
 * big-endian reader throws before allocating). */
enum unknown_vr { UNKNOWN_VR_IMPLICIT, UNKNOWN_VR_16, UNKNOWN_VR_STOP };

struct walker {
	FILE *fp;
	long long size;
	char *reason;
	size_t reason_size;
	bool j2k; /* JPEG 2000 transfer syntax: fragments hold codestreams */
	enum unknown_vr unknown;
	long long first_unknown; /* offset of the first unknown-VR element, or -1 */
	/* The image the dataset declares (0 = not seen): a JPEG 2000 codestream
	 * must fit in it, because GDCM decodes into a buffer of this size. */
	uint32_t rows, columns, samples, bits_allocated;
};

struct element {
	uint16_t group, elem;
	char vr[3];
	uint32_t length;
	long long value_at;
};

static uint32_t get16(const unsigned char *b, bool be)
{
	return be ? (uint32_t)(b[0] << 8 | b[1]) : (uint32_t)(b[1] << 8 | b[0]);
}

static uint32_t get32(const unsigned char *b, bool be)
{
	return be ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
		  : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static bool long_length_vr(const char *vr)
{
	static const char *const vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
					  "SV", "UC", "UN", "UR", "UT", "UV"};
	for (size_t i = 0; i < sizeof vrs / sizeof vrs[0]; i++)
		if (!memcmp(vr, vrs[i], 2))
			return true;
	return false;
}

static bool known_vr(const char *vr)
{
	static const char vrs[] = "AEASATCSDADSDTFLFDISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
	for (size_t i = 0; i + 1 < sizeof vrs; i += 2)
		if (vr[0] == vrs[i] && vr[1] == vrs[i + 1])
			return true;
	return false;
}

/* Reads the element header at `at`; false at end of data or on a short read. */
static bool read_header(struct walker *w, long long at, enum syntax sx, struct element *e)
{
	unsigned char b[12];
	bool be = sx == SYNTAX_EXPLICIT_BE;
	size_t n;

	if (fseeko(w->fp, at, SEEK_SET) != 0)
		return false;
	n = fread(b, 1, sizeof b, w->fp);
	if (n < 8)
		return false;
	e->group = (uint16_t)get16(b, be);
	e->elem = (uint16_t)get16(b + 2, be);
	e->vr[0] = e->vr[2] = '\0';
	if (e->group == 0xfffe || sx == SYNTAX_IMPLICIT_LE) {
		e->length = get32(b + 4, be);
		e->value_at = at + 8;
		return true;
	}
	memcpy(e->vr, b + 4, 2);
	if (!known_vr(e->vr)) {
		if (w->first_unknown < 0)
			w->first_unknown = at;
		if (w->unknown == UNKNOWN_VR_STOP)
			return false;
		if (w->unknown == UNKNOWN_VR_16 && !(e->group == 0x7fe0 && e->elem == 0x0010)) {
			e->length = get16(b + 6, be);
			e->value_at = at + 8;
		} else if (w->unknown == UNKNOWN_VR_16) {
			if (n < 12)
				return false;
			e->length = get32(b + 8, be);
			e->value_at = at + 12;
		} else {
			e->length = get32(b + 4, be);
			e->value_at = at + 8;
		}
		return true;
	}
	if (long_length_vr(e->vr)) {
		if (n < 12)
			return false;
		e->length = get32(b + 8, be);
		e->value_at = at + 12;
	} else {
		e->length = get16(b + 6, be);
		e->value_at = at + 8;
	}
	return true;
}

static bool too_long(struct walker *w, const struct element *e, long long end)
{
	snprintf(w->reason, w->reason_size,
		 "element (%04X,%04X) at offset %lld declares %u bytes but only %lld remain "
		 "(truncated or corrupt)", e->group, e->elem, e->value_at, e->length,
		 end - e->value_at);
	return false;
}

static bool walk(struct walker *w, long long at, long long end, enum syntax sx, int depth,
		 bool fragments, long long *after);

/* True when the value at `at` starts with an item tag (FFFE,E000): an
 * implicit-VR sequence, which GDCM parses as one. */
static bool starts_with_item(struct walker *w, long long at, enum syntax sx)
{
	struct element e;
	return read_header(w, at, sx, &e) && e.group == 0xfffe && e.elem == 0xe000;
}

/* Reads the 2-byte JPEG 2000 value at `at` (big endian). */
static bool j2k_u16(struct walker *w, long long at, uint32_t *v)
{
	unsigned char b[2];
	if (fseeko(w->fp, at, SEEK_SET) != 0 || fread(b, 1, 2, w->fp) != 2)
		return false;
	*v = (uint32_t)b[0] << 8 | b[1];
	return true;
}

/* Walks marker segments from `at` until SOT (FF90), SOD (FF93) or EOC
 * (FFD9), each within `end`; fills *stop and *stop_at. */
static bool j2k_segments(struct walker *w, long long at, long long end, uint32_t *stop,
			 long long *stop_at)
{
	uint32_t marker, length;

	while (at + 2 <= end && j2k_u16(w, at, &marker)) {
		if (marker == 0xff90 || marker == 0xff93 || marker == 0xffd9) {
			*stop = marker;
			*stop_at = at;
			return true;
		}
		if ((marker >> 8) != 0xff || at + 4 > end || !j2k_u16(w, at + 2, &length) ||
		    length < 2 || (long long)length > end - at - 2)
			return false;
		at += 2 + length;
	}
	return false;
}

/* For a raw JPEG 2000 codestream at `at` (SOC then SIZ): checks the image
 * its SIZ segment declares against the dataset's Rows, Columns, Samples
 * per Pixel and Bits Allocated, where known. GDCM's JPEG2000Codec copies
 * the decoded image into a buffer sized from the dataset, so a larger
 * codestream image writes past it (found by fuzzing: a width of 131 328 in
 * a 256-wide frame). */
static bool j2k_size_fits(struct walker *w, long long at, long long end)
{
	unsigned char b[41];
	uint32_t x, y, x0, y0, comps;

	if (at + (long long)sizeof b > end || fseeko(w->fp, at, SEEK_SET) != 0 ||
	    fread(b, 1, sizeof b, w->fp) != sizeof b || b[0] != 0xff || b[1] != 0x51)
		return true; /* no SIZ right after SOC: the decoder refuses it */
	x = get32(b + 6, true), y = get32(b + 10, true);
	x0 = get32(b + 14, true), y0 = get32(b + 18, true);
	comps = get16(b + 38, true);
	uint32_t precision = (b[40] & 0x7fu) + 1u;
	const char *what = NULL;
	if (x <= x0 || y <= y0)
		what = "an empty image";
	else if (w->columns && x - x0 > w->columns)
		what = "an image wider than Columns";
	else if (w->rows && y - y0 > w->rows)
		what = "an image taller than Rows";
	else if (w->samples && comps > w->samples)
		what = "more components than Samples per Pixel";
	else if (w->bits_allocated && precision > w->bits_allocated)
		what = "deeper samples than Bits Allocated";
	if (!what)
		return true;
	snprintf(w->reason, w->reason_size,
		 "JPEG 2000 codestream at offset %lld declares %s (%u x %u, %u component(s) of %u "
		 "bits; the dataset: %u x %u, %u sample(s), %u bits allocated)", at - 2, what,
		 x - x0, y - y0, comps, precision, w->columns, w->rows, w->samples, w->bits_allocated);
	return false;
}

/* For a JPEG 2000 fragment holding a raw codestream (SOC FF4F): checks the
 * framing GDCM's own header parser (JPEG2000Codec::GetHeaderInfo) trusts —
 * every main- and tile-part-header marker segment, SOT's length (10) and
 * tile-part length Psot — against the fragment's end (a tile-part running
 * past it continues in the next fragment and is left to the decoder). */
static bool j2k_header_fits(struct walker *w, const struct element *e)
{
	unsigned char b[12];
	long long at = e->value_at + 2, end = e->value_at + e->length, stop_at;
	uint32_t stop = 0;

	if (e->length < 2 || fseeko(w->fp, e->value_at, SEEK_SET) != 0 ||
	    fread(b, 1, 2, w->fp) != 2 || b[0] != 0xff || b[1] != 0x4f)
		return true; /* not a raw codestream (offset table, JP2 boxes, ...) */
	if (!j2k_size_fits(w, at, end))
		return false;
	while (j2k_segments(w, at, end, &stop, &stop_at) && stop == 0xff90) {
		uint32_t psot;
		if (stop_at + 12 > end || fseeko(w->fp, stop_at, SEEK_SET) != 0 ||
		    fread(b, 1, 12, w->fp) != 12 || ((uint32_t)b[2] << 8 | b[3]) != 10)
			break;
		psot = (uint32_t)b[6] << 24 | (uint32_t)b[7] << 16 | (uint32_t)b[8] << 8 | b[9];
		if ((long long)psot > end - stop_at)
			return true; /* the frame continues in the next fragment */
		if ((psot != 0 && psot < 14) ||
		    !j2k_segments(w, stop_at + 12, psot ? stop_at + psot : end, &stop, &at) ||
		    stop != 0xff93)
			break;
		if (psot == 0)
			return true; /* the last tile-part runs to the end */
		at = stop_at + psot;
		stop = 0;
	}
	if (stop == 0xffd9 || (stop == 0 && at == end))
		return true;
	snprintf(w->reason, w->reason_size,
		 "JPEG 2000 codestream at offset %lld is truncated or corrupt (a marker segment "
		 "or tile-part runs beyond its fragment)", e->value_at);
	return false;
}

/* Checks one element's value, descending into sequences and items; the
 * items of encapsulated pixel data (fragments) are opaque bytes. */
static bool check_value(struct walker *w, const struct element *e, long long end, enum syntax sx,
			int depth, bool fragments, long long *next)
{
	bool pixels = e->group == 0x7fe0 && e->elem == 0x0010;
	bool seq = !fragments && !pixels &&
		   (!memcmp(e->vr, "SQ", 2) || (e->group == 0xfffe && e->elem == 0xe000) ||
		    (sx == SYNTAX_IMPLICIT_LE && e->length >= 8 && e->length != UNDEFINED_LENGTH &&
		     starts_with_item(w, e->value_at, sx)));

	if (fragments && w->j2k && e->length != UNDEFINED_LENGTH &&
	    (long long)e->length <= end - e->value_at && !j2k_header_fits(w, e))
		return false;
	if (e->length != UNDEFINED_LENGTH) {
		long long inner;
		if ((long long)e->length > end - e->value_at)
			return too_long(w, e, end);
		*next = e->value_at + e->length;
		return !seq || e->length == 0 ||
		       walk(w, e->value_at, *next, sx, depth + 1, false, &inner);
	}
	/* undefined length: sequence, item, encapsulated pixel data, UN */
	return walk(w, e->value_at, end, !memcmp(e->vr, "UN", 2) ? SYNTAX_IMPLICIT_LE : sx, depth + 1,
		    pixels, next);
}

/* Remembers Rows, Columns, Samples per Pixel and Bits Allocated (US) of
 * the top-level dataset. */
static void note_image_attribute(struct walker *w, const struct element *e, enum syntax sx)
{
	unsigned char b[2];
	uint32_t *field = e->elem == 0x0010 ? &w->rows : e->elem == 0x0011 ? &w->columns :
			  e->elem == 0x0002 ? &w->samples : e->elem == 0x0100 ? &w->bits_allocated : NULL;
	if (field && fseeko(w->fp, e->value_at, SEEK_SET) == 0 && fread(b, 1, 2, w->fp) == 2)
		*field = get16(b, sx == SYNTAX_EXPLICIT_BE);
}

/* Walks elements in [at, end) until an item or sequence delimiter (a
 * missing delimiter is GDCM's to report); fills *after with the offset
 * after the delimiter or the last element. */
static bool walk(struct walker *w, long long at, long long end, enum syntax sx, int depth,
		 bool fragments, long long *after)
{
	struct element e;

	if (depth > GUARD_MAX_DEPTH) {
		snprintf(w->reason, w->reason_size, "sequences nested deeper than %d", GUARD_MAX_DEPTH);
		return false;
	}
	while (at < end && read_header(w, at, sx, &e)) {
		long long next;
		if (e.group == 0xfffe && (e.elem == 0xe00d || e.elem == 0xe0dd)) {
			*after = e.value_at;
			return true;
		}
		if (depth == 0 && e.group == 0x0028 && e.length == 2)
			note_image_attribute(w, &e, sx);
		if (!check_value(w, &e, end, sx, depth, fragments, &next))
			return false;
		at = next;
	}
	if (at < end && end - at < 12 && end == w->size) {
		snprintf(w->reason, w->reason_size,
			 "file ends inside an element header at offset %lld (truncated)", at);
		return false;
	}
	*after = at;
	return true;
}

/* Reads the file meta group (explicit LE); fills *sx and *start; returns
 * whether the file has the DICM preamble. */
static bool read_meta(struct walker *w, enum syntax *sx, long long *start)
{
	unsigned char magic[4], first[6];
	struct element e;
	char ts[80] = "";
	long long at = 0;
	bool dicm = false;

	*sx = SYNTAX_EXPLICIT_LE;
	if (fseeko(w->fp, 128, SEEK_SET) == 0 && fread(magic, 1, 4, w->fp) == 4 &&
	    !memcmp(magic, "DICM", 4)) {
		dicm = true;
		at = 132;
		while (read_header(w, at, SYNTAX_EXPLICIT_LE, &e) && e.group == 0x0002) {
			if (e.length != UNDEFINED_LENGTH && (long long)e.length > w->size - e.value_at) {
				too_long(w, &e, w->size);
				*start = -3;
				return true;
			}
			if (e.elem == 0x0010 && e.length < sizeof ts && fseeko(w->fp, e.value_at, SEEK_SET) == 0 &&
			    fread(ts, 1, e.length, w->fp) == e.length) {
				size_t n = e.length;
				ts[n] = '\0';
				while (n && (ts[n - 1] == '\0' || ts[n - 1] == ' '))
					ts[--n] = '\0';
			}
			if (e.length == UNDEFINED_LENGTH)
				break;
			at = e.value_at + e.length;
		}
		if (at == 132 || (at < w->size && w->size - at < 8))
			at = -2; /* no meta group, or cut inside an element header */
		if (!strcmp(ts, "1.2.840.10008.1.2"))
			*sx = SYNTAX_IMPLICIT_LE;
		else if (!strcmp(ts, "1.2.840.10008.1.2.2"))
			*sx = SYNTAX_EXPLICIT_BE;
		else if (!strcmp(ts, "1.2.840.10008.1.2.1.99"))
			*sx = SYNTAX_DEFLATED;
		w->j2k = !strncmp(ts, "1.2.840.10008.1.2.4.9", 21) ||
			 !strncmp(ts, "1.2.840.10008.1.2.4.20", 22);
	} else if (fseeko(w->fp, 0, SEEK_SET) == 0 && fread(first, 1, 6, w->fp) == 6 &&
		   !(first[4] >= 'A' && first[4] <= 'Z' && first[5] >= 'A' && first[5] <= 'Z')) {
		*sx = SYNTAX_IMPLICIT_LE; /* no preamble and no VR: implicit */
	}
	*start = at;
	return dicm;
}

/* Inflates the raw-deflate dataset at `at` into a temporary file and walks
 * it as explicit little endian; false with reason filled when the stream is
 * corrupt, inflates beyond GUARD_MAX_INFLATED, or a length does not fit. */
static bool walk_deflated(struct walker *w, long long at)
{
	unsigned char in[16384], out[65536];
	struct walker inner = {tmpfile(), 0, w->reason, w->reason_size, false,
			       UNKNOWN_VR_IMPLICIT, -1, 0, 0, 0, 0};
	z_stream z;
	int zr = Z_OK;
	long long after;
	bool ok = false;

	memset(&z, 0, sizeof z);
	if (!inner.fp || fseeko(w->fp, at, SEEK_SET) != 0 || inflateInit2(&z, -15) != Z_OK) {
		if (inner.fp)
			fclose(inner.fp);
		return true; /* cannot check: GDCM will decide */
	}
	while (zr != Z_STREAM_END && inner.size <= GUARD_MAX_INFLATED) {
		z.next_in = in;
		z.avail_in = (uInt)fread(in, 1, sizeof in, w->fp);
		if (z.avail_in == 0)
			break;
		do {
			z.next_out = out;
			z.avail_out = sizeof out;
			zr = inflate(&z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
				break;
			inner.size += (long long)fwrite(out, 1, sizeof out - z.avail_out, inner.fp);
		} while (z.avail_out == 0 && inner.size <= GUARD_MAX_INFLATED);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			break;
	}
	inflateEnd(&z);
	if (inner.size > GUARD_MAX_INFLATED)
		snprintf(w->reason, w->reason_size, "deflated dataset inflates beyond %lld MiB",
			 GUARD_MAX_INFLATED >> 20);
	else if (zr != Z_STREAM_END)
		snprintf(w->reason, w->reason_size, "deflated dataset is corrupt or truncated");
	else
		ok = walk(&inner, 0, inner.size, SYNTAX_EXPLICIT_LE, 0, false, &after);
	fclose(inner.fp);
	return ok;
}

/* Walks the dataset at `start` as GDCM reads it (see the top): the declared
 * syntax, then — when an explicit-VR walk met a VR that is not one —
 * VR16 little endian from that element on, and explicit/implicit little
 * endian from the start (for a little-endian file that is the first walk). */
static bool walk_as_gdcm(struct walker *w, long long start, enum syntax sx)
{
	long long after, bad;

	w->unknown = sx == SYNTAX_EXPLICIT_BE ? UNKNOWN_VR_STOP : UNKNOWN_VR_IMPLICIT;
	w->first_unknown = -1;
	if (!walk(w, start, w->size, sx, 0, false, &after))
		return false;
	bad = w->first_unknown;
	if (sx == SYNTAX_IMPLICIT_LE || bad < 0)
		return true;
	w->unknown = UNKNOWN_VR_16;
	if (walk(w, bad, w->size, SYNTAX_EXPLICIT_LE, 0, false, &after)) {
		w->unknown = UNKNOWN_VR_IMPLICIT;
		if (sx == SYNTAX_EXPLICIT_LE || walk(w, start, w->size, SYNTAX_EXPLICIT_LE, 0, false, &after))
			return true;
	}
	size_t n = strlen(w->reason);
	snprintf(w->reason + n, w->reason_size - n,
		 " when read on as little endian after the invalid VR at offset %lld", bad);
	return false;
}

enum dlld_dicom_guard dlld_dicom_lengths_fit(const char *path, char *reason, size_t reason_size)
{
	struct walker w = {NULL, 0, reason, reason_size, false, UNKNOWN_VR_IMPLICIT, -1, 0, 0, 0, 0};
	enum syntax sx;
	long long start;
	bool ok = true, dicm;

	reason[0] = '\0';
	w.fp = fopen(path, "rb");
	if (!w.fp)
		return DLLD_DICOM_GUARD_OK; /* GDCM will report it */
	if (fseeko(w.fp, 0, SEEK_END) == 0)
		w.size = ftello(w.fp);
	dicm = read_meta(&w, &sx, &start);
	if (start == -2) {
		snprintf(reason, reason_size,
			 "file meta information missing or cut short after DICM (truncated)");
		ok = false;
	} else if (start == -3) {
		ok = false; /* a meta element too long for the file; reason filled */
	} else if (sx == SYNTAX_DEFLATED) {
		ok = walk_deflated(&w, start);
	} else if (w.size > 0) {
		ok = walk_as_gdcm(&w, start, sx);
	}
	fclose(w.fp);
	if (ok)
		return DLLD_DICOM_GUARD_OK;
	if (!dicm) {
		char why[200];
		snprintf(why, sizeof why, "%s", reason);
		snprintf(reason, reason_size, "not a DICOM file (no DICM preamble; %s)", why);
		return DLLD_DICOM_GUARD_NOT_DICOM;
	}
	return DLLD_DICOM_GUARD_BAD_LENGTH;
}
