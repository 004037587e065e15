#!/bin/sh
# tests/ct/test_cli.sh — `dlld info` and `dlld convert`: outputs, exit codes
# (DESIGN §9), refusal to overwrite. Real-data cases skip when $DLLD_DATA
# lacks them; the rest uses files built here.
. tests/lib.sh
T=$T_TMP
D=${DLLD_DATA:-}

# A tiny valid NIfTI, written by dlld itself from a small DICOM when the
# data are present, else none; and corrupt NIfTI headers built with printf/dd.
head -c 400 /dev/zero >"$T/zero.nii"
CT_SMALL="$D/dicom-testfiles/pydicom/CT_small.dcm"

expect_exit 0 "info --help" -- "$DLLD" info --help
expect_grep "info --help names --json" "--json" "$T_TMP/stdout"
expect_exit 1 "info without PATH is a usage error" -- "$DLLD" info
expect_exit 1 "info with an unknown option" -- "$DLLD" info --bogus x
expect_exit 2 "info on a missing file" -- "$DLLD" info "$T/missing.nii.gz"
expect_exit 3 "info on a zero-filled .nii" -- "$DLLD" info "$T/zero.nii"
expect_grep "message names sizeof_hdr" "sizeof_hdr" "$T_TMP/stderr"
printf 'not dicom\n' >"$T/notes.txt"
expect_exit 3 "info on a text file" -- "$DLLD" info "$T/notes.txt"
expect_grep "says not DICOM" "not a DICOM file" "$T_TMP/stderr"
mkdir -p "$T/empty"
expect_exit 2 "info on a folder without DICOM" -- "$DLLD" info "$T/empty"

expect_exit 1 "convert without outputs" -- "$DLLD" convert "$T/zero.nii"
expect_exit 1 "convert -o must be NIfTI" -- "$DLLD" convert "$T/zero.nii" -o "$T/x.txt"
expect_exit 1 "convert --window needs W/L" -- "$DLLD" convert "$T/zero.nii" --png "$T/p" --window 400
expect_exit 1 "convert --window width > 0" -- "$DLLD" convert "$T/zero.nii" --png "$T/p" --window 0/40
expect_exit 1 "convert two PATHs" -- "$DLLD" convert a b -o "$T/x.nii"
expect_exit 2 "convert a missing input" -- "$DLLD" convert "$T/missing" -o "$T/x.nii"
expect_exit 3 "convert a corrupt NIfTI" -- "$DLLD" convert "$T/zero.nii" -o "$T/x.nii"
expect_true "no output left behind after failure" test ! -e "$T/x.nii"

if [ -f "$CT_SMALL" ]; then
	expect_exit 0 "convert a DICOM file to .nii.gz" -- "$DLLD" convert --quiet "$CT_SMALL" -o "$T/ct.nii.gz"
	expect_exit 0 "info on the written NIfTI" -- "$DLLD" info "$T/ct.nii.gz"
	expect_grep "128 x 128 x 1 voxels" "128 x 128 x 1 voxels" "$T_TMP/stdout"
	expect_grep "HU range as pydicom reads it" "HU \[-896, 1167\]" "$T_TMP/stdout"
	expect_exit 5 "convert refuses to overwrite" -- "$DLLD" convert --quiet "$CT_SMALL" -o "$T/ct.nii.gz"
	expect_grep "says use --force" "force" "$T_TMP/stderr"
	expect_exit 0 "convert --force overwrites" -- "$DLLD" convert --quiet --force "$CT_SMALL" -o "$T/ct.nii.gz"
	expect_exit 0 "convert --png writes slices" -- "$DLLD" convert --quiet "$CT_SMALL" --png "$T/png" --window 1500/-600
	expect_true "one PNG per slice" test -s "$T/png/slice_0000.png"
	expect_exit 5 "PNG not overwritten" -- "$DLLD" convert --quiet "$CT_SMALL" --png "$T/png"
	expect_exit 0 "info --json" -- "$DLLD" info --json "$CT_SMALL" "$T/ct.nii.gz"
	expect_grep "json has the series UID" '"series_uid":[[:space:]]*"1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322"' "$T_TMP/stdout"
	expect_grep "json has the NIfTI input" '"format":[[:space:]]*"nifti"' "$T_TMP/stdout"
	# a header with a negative dim[1]: exit 3 naming the field
	gzip -dc "$T/ct.nii.gz" >"$T/bad.nii"
	printf '\373\377' | dd of="$T/bad.nii" bs=1 seek=42 conv=notrunc 2>/dev/null
	expect_exit 3 "negative dim[1] is malformed" -- "$DLLD" info "$T/bad.nii"
	expect_grep "message names dim[1]" "dim\[1\]" "$T_TMP/stderr"
	head -c 500 "$T/ct.nii.gz" >"$T/cut.nii.gz"
	expect_exit 3 "truncated .nii.gz is malformed" -- "$DLLD" convert "$T/cut.nii.gz" -o "$T/y.nii"
	expect_grep "says truncated" "truncated" "$T_TMP/stderr"
else
	skip "DICOM → NIfTI conversions" "no $CT_SMALL"
fi

GE="$D/dcm_qa_ct-ge/GE"
if [ -d "$GE" ]; then
	expect_exit 4 "tilted series refused" -- "$DLLD" convert "$GE" -o "$T/ge.nii.gz"
	expect_grep "tilt named" "gantry tilt" "$T_TMP/stderr"
	expect_exit 0 "info reports tilt and uneven spacing" -- "$DLLD" info "$GE"
	expect_grep "TILTED and UNEVEN" "18.50 deg.*TILTED, UNEVEN SPACING" "$T_TMP/stdout"
	expect_exit 0 "tilted series resampled when allowed" -- "$DLLD" convert --quiet --allow-tilt --allow-uneven "$GE" -o "$T/ge.nii.gz"
else
	skip "GE tilt via the CLI" "no $GE"
fi
finish
