// ct/dicom_gdcm.cpp — thin shim over GDCM: header fields, decoded pixels,
// and writing one image. Every GDCM call is inside a try block; nothing
// escapes to C as an exception.
#include "ct/dicom_gdcm.h"

#include <csetjmp>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmFileMetaInformation.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmStringFilter.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmWriter.h>

// Under LeakSanitizer: the objects of a GDCM call interrupted by one of its
// assertions are abandoned by design (see guarded()), and GDCM's codecs leak
// their OpenJPEG/CharLS decoders on some damaged streams; GDCM's frames are
// not unwindable, so these allocations are matched by library name.
extern "C" const char *__lsan_default_suppressions(void);
extern "C" const char *__lsan_default_suppressions(void)
{
	return "leak:libgdcmDSED.so\nleak:libgdcmMSFF.so\nleak:libgdcmCommon.so\n"
	       "leak:libgdcmjpeg8.so\nleak:libgdcmjpeg12.so\nleak:libgdcmjpeg16.so\n"
	       "leak:libopenjp2.so\nleak:libcharls.so\n";
}

namespace {

// GDCM reports some damage only as a warning ("Incomplete Pixel Data"):
// warnings go to this stream, which read_pixels inspects under the mutex.
std::ostringstream gdcm_messages;
std::mutex gdcm_mutex;

// Debian's GDCM is built with assertions on, and some damaged files (cut
// inside the file meta group or an element header) end in assert() →
// abort(). While a GDCM call runs, SIGABRT jumps back to guarded(), which
// reports the file as malformed instead of letting the process die (glibc
// allows leaving abort's handler this way; the objects of the interrupted
// call leak). Calls are serialised by gdcm_mutex.
thread_local sigjmp_buf *abort_jump = nullptr;

void on_abort(int sig)
{
	if (abort_jump)
		siglongjmp(*abort_jump, 1);
	std::signal(sig, SIG_DFL);
	std::raise(sig);
}

void set_reason(char *reason, size_t size, const char *fmt, const std::string &arg)
{
	if (reason && size)
		std::snprintf(reason, size, fmt, arg.c_str());
}

std::string trim(std::string s)
{
	while (!s.empty() && (s.back() == ' ' || s.back() == '\0'))
		s.pop_back();
	size_t b = 0;
	while (b < s.size() && s[b] == ' ')
		b++;
	return s.substr(b);
}

void copy_string(char *dst, size_t size, const std::string &s)
{
	std::snprintf(dst, size, "%s", s.c_str());
}

// Parses up to n backslash-separated numbers; true when exactly n parsed.
bool parse_numbers(const std::string &s, double *out, int n)
{
	const char *p = s.c_str();
	for (int i = 0; i < n; i++) {
		char *end;
		errno = 0;
		double v = std::strtod(p, &end);
		if (end == p || errno != 0 || !(v == v) || v > 1e300 || v < -1e300)
			return false;
		out[i] = v;
		while (*end == ' ')
			end++;
		if (i + 1 < n) {
			if (*end != '\\')
				return false;
			p = end + 1;
		} else if (*end != '\0' && *end != '\\') {
			return false;
		}
	}
	return true;
}

bool parse_long(const std::string &s, long *out)
{
	double v;
	if (!parse_numbers(s, &v, 1) || v != static_cast<double>(static_cast<long>(v)))
		return false;
	*out = static_cast<long>(v);
	return true;
}

bool starts_with_dicm(const char *path)
{
	std::ifstream f(path, std::ios::binary);
	char buf[132];
	if (!f.read(buf, sizeof buf))
		return false;
	return std::memcmp(buf + 128, "DICM", 4) == 0;
}

struct Fields {
	const gdcm::DataSet &ds;
	gdcm::StringFilter &sf;
	std::string get(uint16_t g, uint16_t e) const
	{
		gdcm::Tag t(g, e);
		if (!ds.FindDataElement(t) || ds.GetDataElement(t).IsEmpty())
			return std::string();
		return trim(sf.ToString(t));
	}
	bool num(uint16_t g, uint16_t e, double *out, int n = 1) const
	{
		std::string s = get(g, e);
		return !s.empty() && parse_numbers(s, out, n);
	}
	bool integer(uint16_t g, uint16_t e, long *out) const
	{
		std::string s = get(g, e);
		return !s.empty() && parse_long(s, out);
	}
};

void fill_info(const gdcm::File &file, struct dlld_dcm_info *info)
{
	gdcm::StringFilter sf;
	sf.SetFile(file);
	const gdcm::DataSet &ds = file.GetDataSet();
	Fields f{ds, sf};

	copy_string(info->sop_uid, sizeof info->sop_uid, f.get(0x0008, 0x0018));
	copy_string(info->series_uid, sizeof info->series_uid, f.get(0x0020, 0x000e));
	copy_string(info->study_uid, sizeof info->study_uid, f.get(0x0020, 0x000d));
	copy_string(info->modality, sizeof info->modality, f.get(0x0008, 0x0060));
	copy_string(info->image_type, sizeof info->image_type, f.get(0x0008, 0x0008));
	copy_string(info->series_description, sizeof info->series_description,
		    f.get(0x0008, 0x103e));
	copy_string(info->patient_id, sizeof info->patient_id, f.get(0x0010, 0x0020));
	copy_string(info->photometric, sizeof info->photometric, f.get(0x0028, 0x0004));
	const gdcm::TransferSyntax &ts = file.GetHeader().GetDataSetTransferSyntax();
	copy_string(info->transfer_syntax, sizeof info->transfer_syntax,
		    gdcm::TransferSyntax::GetTSString(ts) ? gdcm::TransferSyntax::GetTSString(ts) : "");
	info->has_series_number = f.integer(0x0020, 0x0011, &info->series_number);
	info->has_instance_number = f.integer(0x0020, 0x0013, &info->instance_number);
	if (!f.integer(0x0028, 0x0008, &info->number_of_frames))
		info->number_of_frames = 1;
	info->has_rows = f.integer(0x0028, 0x0010, &info->rows);
	info->has_columns = f.integer(0x0028, 0x0011, &info->columns);
	info->has_bits_allocated = f.integer(0x0028, 0x0100, &info->bits_allocated);
	if (!f.integer(0x0028, 0x0101, &info->bits_stored))
		info->bits_stored = info->bits_allocated;
	if (!f.integer(0x0028, 0x0102, &info->high_bit))
		info->high_bit = info->bits_stored - 1;
	if (!f.integer(0x0028, 0x0103, &info->pixel_representation))
		info->pixel_representation = 0;
	if (!f.integer(0x0028, 0x0002, &info->samples_per_pixel))
		info->samples_per_pixel = 1;
	info->has_pixel_data = ds.FindDataElement(gdcm::Tag(0x7fe0, 0x0010)) || info->has_rows;
	info->has_ipp = f.num(0x0020, 0x0032, info->ipp, 3);
	info->has_iop = f.num(0x0020, 0x0037, info->iop, 6);
	info->has_pixel_spacing = f.num(0x0028, 0x0030, info->pixel_spacing, 2);
	info->has_slice_thickness = f.num(0x0018, 0x0050, &info->slice_thickness);
	if (!f.num(0x0028, 0x1053, &info->slope))
		info->slope = 1.0;
	if (!f.num(0x0028, 0x1052, &info->intercept))
		info->intercept = 0.0;
	info->has_window = f.num(0x0028, 0x1050, &info->window_center) &&
			   f.num(0x0028, 0x1051, &info->window_width);
	info->has_gantry_tilt = f.num(0x0018, 0x1120, &info->gantry_tilt_deg);
}

// Converts a decoded frame to HU: stored values (masked to BitsStored,
// sign-extended when signed) times slope plus intercept.
bool unpack(const std::vector<char> &buf, const gdcm::PixelFormat &pf, size_t n,
	    const struct dlld_rescale &rs, float *out)
{
	unsigned alloc = pf.GetBitsAllocated(), stored = pf.GetBitsStored();
	unsigned high = pf.GetHighBit();
	bool is_signed = pf.GetPixelRepresentation() == 1;
	size_t bytes = alloc / 8;

	if ((alloc != 8 && alloc != 16 && alloc != 32) || stored == 0 || stored > alloc ||
	    high >= alloc || high + 1 < stored || buf.size() < n * bytes)
		return false;
	if (alloc == 16 && stored == 16) { // the common CT layout: no masking
		for (size_t i = 0; i < n; i++) {
			uint16_t v;
			std::memcpy(&v, &buf[2 * i], 2);
			double x = is_signed ? static_cast<double>(static_cast<int16_t>(v)) : v;
			out[i] = static_cast<float>(x * rs.slope + rs.intercept);
		}
		return true;
	}
	unsigned shift = high + 1 - stored;
	uint64_t mask = (stored == 32) ? 0xffffffffu : ((uint64_t(1) << stored) - 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t raw = 0;
		if (bytes == 1) {
			raw = static_cast<uint8_t>(buf[i]);
		} else if (bytes == 2) {
			uint16_t v;
			std::memcpy(&v, &buf[2 * i], 2);
			raw = v;
		} else {
			uint32_t v;
			std::memcpy(&v, &buf[4 * i], 4);
			raw = v;
		}
		raw = (raw >> shift) & mask;
		int64_t value = static_cast<int64_t>(raw);
		if (is_signed && (raw >> (stored - 1)) & 1)
			value -= int64_t(1) << stored;
		out[i] = static_cast<float>(static_cast<double>(value) * rs.slope + rs.intercept);
	}
	return true;
}

} // namespace

extern "C" void dlld_gdcm_quiet(void)
{
	static std::once_flag once;
	std::call_once(once, [] {
		gdcm::Trace::SetDebug(false);
		gdcm::Trace::SetWarning(true);
		gdcm::Trace::SetError(true);
		gdcm::Trace::SetStream(gdcm_messages);
		gdcm::Trace::SetWarningStream(gdcm_messages);
		gdcm::Trace::SetErrorStream(gdcm_messages);
		gdcm::Trace::SetDebugStream(gdcm_messages);
	});
}

static enum dlld_gdcm_result read_info_impl(const char *path, struct dlld_dcm_info *info,
						     char *reason, size_t reason_size)
{
	std::memset(info, 0, sizeof *info);
	try {
		gdcm::Reader reader;
		reader.SetFileName(path);
		bool dicm = starts_with_dicm(path);
		if (!reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010))) {
			if (!dicm) {
				set_reason(reason, reason_size, "%snot a DICOM file", "");
				return DLLD_GDCM_RESULT_NOT_DICOM;
			}
			set_reason(reason, reason_size, "%sDICOM header could not be parsed (truncated or corrupt)", "");
			return DLLD_GDCM_RESULT_MALFORMED;
		}
		const gdcm::DataSet &ds = reader.GetFile().GetDataSet();
		if (!dicm && !ds.FindDataElement(gdcm::Tag(0x0008, 0x0016)) &&
		    !ds.FindDataElement(gdcm::Tag(0x0028, 0x0010))) {
			set_reason(reason, reason_size, "%snot a DICOM file (no SOPClassUID, no Rows)", "");
			return DLLD_GDCM_RESULT_NOT_DICOM;
		}
		fill_info(reader.GetFile(), info);
		return DLLD_GDCM_RESULT_OK;
	} catch (const std::exception &e) {
		set_reason(reason, reason_size, "DICOM header could not be parsed: %s", e.what());
	} catch (...) {
		set_reason(reason, reason_size, "%sDICOM header could not be parsed", "");
	}
	return DLLD_GDCM_RESULT_MALFORMED;
}

static enum dlld_gdcm_result read_pixels_impl(const char *path, long rows, long columns,
					       struct dlld_rescale rs, float *out, char *reason,
					       size_t reason_size)
{
	try {
		gdcm::ImageReader reader;
		reader.SetFileName(path);
		if (!reader.Read()) {
			set_reason(reason, reason_size, "%sGDCM could not read the image (truncated or corrupt)", "");
			return DLLD_GDCM_RESULT_MALFORMED;
		}
		if (gdcm_messages.str().find("Incomplete Pixel Data") != std::string::npos) {
			set_reason(reason, reason_size, "%spixel data truncated (file shorter than its PixelData length)", "");
			return DLLD_GDCM_RESULT_MALFORMED;
		}
		const gdcm::Image &img = reader.GetImage();
		const gdcm::PixelFormat &pf = img.GetPixelFormat();
		if (pf.GetSamplesPerPixel() != 1) {
			set_reason(reason, reason_size, "%scolour images (SamplesPerPixel > 1) are not CT", "");
			return DLLD_GDCM_RESULT_MALFORMED;
		}
		if (img.GetNumberOfDimensions() == 3 && img.GetDimension(2) > 1) {
			set_reason(reason, reason_size, "multi-frame image (%s frames) is not supported",
				   std::to_string(img.GetDimension(2)));
			return DLLD_GDCM_RESULT_MALFORMED;
		}
		if (static_cast<long>(img.GetColumns()) != columns || static_cast<long>(img.GetRows()) != rows) {
			set_reason(reason, reason_size, "decoded size %s differs from Rows/Columns",
				   std::to_string(img.GetColumns()) + "x" + std::to_string(img.GetRows()));
			return DLLD_GDCM_RESULT_MALFORMED;
		}
		size_t n = static_cast<size_t>(rows) * static_cast<size_t>(columns);
		unsigned long len = img.GetBufferLength();
		std::vector<char> buf(len);
		if (len == 0 || !img.GetBuffer(buf.data())) {
			set_reason(reason, reason_size, "%spixel data could not be decoded (truncated or corrupt)", "");
			return DLLD_GDCM_RESULT_MALFORMED;
		}
		if (!unpack(buf, pf, n, rs, out)) {
			set_reason(reason, reason_size, "pixel data too short or unsupported bit layout (%s)",
				   std::to_string(pf.GetBitsAllocated()) + " bits allocated, " +
					   std::to_string(len) + " bytes decoded");
			return DLLD_GDCM_RESULT_MALFORMED;
		}
		return DLLD_GDCM_RESULT_OK;
	} catch (const std::exception &e) {
		set_reason(reason, reason_size, "pixel data could not be decoded: %s", e.what());
	} catch (...) {
		set_reason(reason, reason_size, "%spixel data could not be decoded", "");
	}
	return DLLD_GDCM_RESULT_MALFORMED;
}

namespace {

template <class Fn>
enum dlld_gdcm_result guarded(Fn fn, char *reason, size_t reason_size)
{
	struct sigaction sa, old;
	sigjmp_buf jump;
	volatile enum dlld_gdcm_result result = DLLD_GDCM_RESULT_MALFORMED;

	dlld_gdcm_quiet();
	gdcm_mutex.lock();
	gdcm_messages.str(std::string());
	std::memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_abort;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGABRT, &sa, &old);
	if (sigsetjmp(jump, 1) == 0) {
		abort_jump = &jump;
		result = fn();
	} else {
		set_reason(reason, reason_size, "%sGDCM aborted while parsing (corrupt or truncated DICOM)", "");
	}
	abort_jump = nullptr;
	sigaction(SIGABRT, &old, nullptr);
	gdcm_mutex.unlock();
	return result;
}

void insert_element(gdcm::DataSet &ds, const struct dlld_dcm_element &el)
{
	gdcm::DataElement de(gdcm::Tag(el.group, el.element));
	gdcm::VR vr = gdcm::VR::GetVRType(el.vr);
	de.SetVR(vr);
	if (vr == gdcm::VR::US) {
		uint16_t v = static_cast<uint16_t>(std::strtoul(el.value, nullptr, 10));
		unsigned char b[2] = {static_cast<unsigned char>(v & 0xff),
				      static_cast<unsigned char>(v >> 8)};
		de.SetByteValue(reinterpret_cast<const char *>(b), 2);
	} else {
		std::string s(el.value);
		if (s.size() % 2)
			s.push_back(vr == gdcm::VR::UI ? '\0' : ' ');
		de.SetByteValue(s.data(), static_cast<uint32_t>(s.size()));
	}
	ds.Replace(de);
}

} // namespace

static enum dlld_gdcm_result write_image_impl(const char *path,
						       const struct dlld_dcm_element *el,
						       size_t n_el, const int16_t *pixels, long rows,
						       long columns, char *reason,
						       size_t reason_size)
{
	try {
		gdcm::Writer writer;
		writer.SetFileName(path);
		gdcm::File &file = writer.GetFile();
		gdcm::DataSet &ds = file.GetDataSet();
		for (size_t i = 0; i < n_el; i++)
			insert_element(ds, el[i]);
		size_t n = static_cast<size_t>(rows) * static_cast<size_t>(columns);
		std::vector<char> bytes(2 * n);
		for (size_t i = 0; i < n; i++) {
			uint16_t v = static_cast<uint16_t>(pixels[i]);
			bytes[2 * i] = static_cast<char>(v & 0xff);
			bytes[2 * i + 1] = static_cast<char>(v >> 8);
		}
		gdcm::DataElement pd(gdcm::Tag(0x7fe0, 0x0010));
		pd.SetVR(gdcm::VR::OW);
		pd.SetByteValue(bytes.data(), static_cast<uint32_t>(bytes.size()));
		ds.Replace(pd);
		file.GetHeader().SetDataSetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
		if (!writer.Write()) {
			set_reason(reason, reason_size, "%sGDCM could not write the file", "");
			return DLLD_GDCM_RESULT_WRITE;
		}
		return DLLD_GDCM_RESULT_OK;
	} catch (const std::exception &e) {
		set_reason(reason, reason_size, "GDCM could not write the file: %s", e.what());
	} catch (...) {
		set_reason(reason, reason_size, "%sGDCM could not write the file", "");
	}
	return DLLD_GDCM_RESULT_WRITE;
}

extern "C" enum dlld_gdcm_result dlld_gdcm_read_info(const char *path, struct dlld_dcm_info *info,
						     char *reason, size_t reason_size)
{
	return guarded([&] { return read_info_impl(path, info, reason, reason_size); }, reason,
		       reason_size);
}

extern "C" enum dlld_gdcm_result dlld_gdcm_read_pixels(const char *path, long rows, long columns,
						       struct dlld_rescale rs, float *out,
						       char *reason, size_t reason_size)
{
	return guarded([&] {
		return read_pixels_impl(path, rows, columns, rs, out, reason, reason_size);
	}, reason, reason_size);
}

extern "C" enum dlld_gdcm_result dlld_gdcm_write_image(const char *path,
						       const struct dlld_dcm_element *el,
						       size_t n_el, const int16_t *pixels, long rows,
						       long columns, char *reason,
						       size_t reason_size)
{
	return guarded([&] {
		return write_image_impl(path, el, n_el, pixels, rows, columns, reason, reason_size);
	}, reason, reason_size);
}
