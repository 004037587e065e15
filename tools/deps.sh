#!/bin/sh
# tools/deps.sh — installs the Debian 12 packages DLLD needs (as root, or with sudo).
#   sh tools/deps.sh              build, run and test (darknet for its cfgs, which
#                                 the engine's tests parse; dcm2niix, unzip for
#                                 the CT tests on real data; python3 for the
#                                 tests that read JSON and for tools/*.py)
#   sh tools/deps.sh --reference  also the reference tools that made the committed
#                                 fixtures and run the benchmarks (PyTorch, R geepack,
#                                 statsmodels, darknet, dcm2niix, hyperfine)
#   sh tools/deps.sh --fuzz       also clang for the libFuzzer harnesses
set -eu
build="build-essential pkg-config libgdcm-dev libnifti2-dev libopenblas-dev libpng-dev
	libcjson-dev zlib1g-dev unzip valgrind darknet dcm2niix python3"
reference="python3-torch python3-numpy python3-scipy python3-statsmodels python3-nibabel
	python3-pydicom r-base-core r-cran-geepack hyperfine"
fuzz="clang"
pkgs=$build
for arg in "$@"; do
	case "$arg" in
	--reference) pkgs="$pkgs $reference" ;;
	--fuzz) pkgs="$pkgs $fuzz" ;;
	*) echo "tools/deps.sh: unknown option $arg" >&2; exit 1 ;;
	esac
done
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "tools/deps.sh: installing$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
