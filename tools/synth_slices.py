#!/usr/bin/env python3
"""Render example slices of a synthetic DLLD patient to small PNGs.

usage: tools/synth_slices.py CT.nii.gz OUT.png [--slices K1,K2,...] [--width 256]
       [--window 400,60] [--lesions LESIONS.nii.gz]
       tools/synth_slices.py --gallery COHORT OUT.png [--per-class 3] [--tile 160]
       [--field-mm 70]

Slices are placed side by side, windowed (width,level), in radiological
orientation (patient's right on the image left, anterior up). With
--lesions, lesion outlines are drawn in yellow. --gallery crops a field of
view around lesions of each class of a cohort (rows: metastasis, cyst,
hemangioma; largest first, then smaller ones), each on its central slice.
Only for synthetic data: never render the real 3D-IRCADb series into the
repository.
"""
import argparse
import struct
import sys
import zlib

import nibabel as nib
import numpy as np


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def lps_slice(img, k):
    """Slice k as rows = LPS y (anterior first), columns = LPS x (right first)."""
    data = np.asanyarray(img.dataobj)[:, :, k].astype(np.float32)
    # NIfTI voxel axes follow the affine; DLLD writes i -> -R = +L, j -> +P.
    aff = img.affine
    if aff[0, 0] > 0:      # i runs towards +R = patient right: flip to L order
        data = data[::-1, :]
    if aff[1, 1] > 0:      # j runs towards +A: flip to P order
        data = data[:, ::-1]
    return data.T          # rows j (y), columns i (x)


def resize_nearest(a, width):
    h, w = a.shape[:2]
    height = int(round(h * width / w))
    ys = (np.arange(height) * h / height).astype(int)
    xs = (np.arange(width) * w / width).astype(int)
    return a[ys][:, xs]


def window(hu, ww, wl):
    g = np.clip((hu - (wl - ww / 2)) / ww, 0, 1) * 255
    return np.repeat(g[:, :, None], 3, axis=2).astype(np.uint8)


def gallery(a):
    import csv
    import os
    ww, wl = (float(v) for v in a.window.split(","))
    by_class = {"metastasis": [], "cyst": [], "hemangioma": []}
    with open(os.path.join(a.gallery, "lesions.csv"), newline="") as f:
        for row in csv.DictReader(f):
            by_class[row["class"]].append(row)
    rows = []
    for cls, lesions in by_class.items():
        lesions.sort(key=lambda r: -float(r["diameter_mm"]))
        pick = lesions[:: max(1, len(lesions) // a.per_class)][: a.per_class]
        tiles = []
        for r in pick:
            img = nib.load(os.path.join(a.gallery, r["patient_id"], "ct.nii.gz"))
            # LPS -> RAS -> voxel
            ras = np.array([-float(r["x_mm"]), -float(r["y_mm"]), float(r["z_mm"]), 1.0])
            i, j, k = (np.linalg.inv(img.affine) @ ras)[:3]
            hu = lps_slice(img, int(round(k)))
            ny, nx = hu.shape
            # lps_slice flips to L/P order: recompute the in-plane position
            ci = nx - 1 - i if img.affine[0, 0] > 0 else i
            cj = ny - 1 - j if img.affine[1, 1] > 0 else j
            half = int(round(a.field_mm / 2 / abs(img.affine[0, 0])))
            y0, x0 = int(round(cj)) - half, int(round(ci)) - half
            crop = np.full((2 * half, 2 * half), -1024.0, np.float32)
            ys, xs = max(0, y0), max(0, x0)
            ye, xe = min(ny, y0 + 2 * half), min(nx, x0 + 2 * half)
            crop[ys - y0:ye - y0, xs - x0:xe - x0] = hu[ys:ye, xs:xe]
            tiles.append(resize_nearest(window(crop, ww, wl), a.tile))
        while len(tiles) < a.per_class:
            tiles.append(np.zeros((a.tile, a.tile, 3), np.uint8))
        rows.append(np.concatenate(tiles, axis=1))
    write_png(a.out, np.concatenate(rows, axis=0))


def main():
    if "--gallery" in sys.argv:
        ap = argparse.ArgumentParser()
        ap.add_argument("--gallery", required=True)
        ap.add_argument("out")
        ap.add_argument("--per-class", type=int, default=3)
        ap.add_argument("--tile", type=int, default=160)
        ap.add_argument("--field-mm", type=float, default=70.0)
        ap.add_argument("--window", default="400,60")
        return gallery(ap.parse_args())
    ap = argparse.ArgumentParser()
    ap.add_argument("ct")
    ap.add_argument("out")
    ap.add_argument("--slices", default=None)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--window", default="400,60")
    ap.add_argument("--lesions", default=None)
    a = ap.parse_args()
    img = nib.load(a.ct)
    nz = img.shape[2]
    ks = [int(s) for s in a.slices.split(",")] if a.slices else [nz // 4, nz // 2, 3 * nz // 4]
    ww, wl = (float(v) for v in a.window.split(","))
    les = nib.load(a.lesions) if a.lesions else None
    tiles = []
    for k in ks:
        rgb = window(lps_slice(img, k), ww, wl)
        if les is not None:
            m = lps_slice(les, k) > 0
            edge = m & ~(np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1))
            rgb[edge] = (255, 220, 0)
        tiles.append(resize_nearest(rgb, a.width))
    write_png(a.out, np.concatenate(tiles, axis=1))


if __name__ == "__main__":
    main()
