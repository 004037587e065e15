#!/usr/bin/python3
"""Reference for DLLD's YOLOv3 loss (src/detect/yolo_loss.c), in PyTorch.

Implements darknet's forward_yolo_layer (YOLOv3) as a differentiable loss:
targets are chosen exactly as darknet does (best network-wide anchor by shape
IoU, cell = floor(truth centre * grid), last truth wins a shared cell's box,
classes of all truths in a shared cell positive, background objectness
ignored above ignore_thresh), then
  xy: (2 - w h) * BCE-with-logits(tx, target)      (darknet: delta = t - sigmoid)
  wh: (2 - w h) * 0.5 * (tw - target)^2
  obj / noobj / cls: BCE-with-logits.
Gradients come from autograd, independently of the C code's analytic ones.

    /usr/bin/python3 tools/torch_yolo_loss.py > tests/detect/fixtures/yolo_loss.txt
"""
import math
import torch

torch.manual_seed(7)
W, H, C, NET_W, NET_H = 6, 5, 3, 192, 160
ANCHORS = [10, 14, 23, 27, 37, 58, 81, 82, 135, 169, 344, 319]
MASK = [3, 4, 5]
NA, NALL = len(MASK), len(ANCHORS) // 2
IGNORE = 0.7
truths = [
    [(0.40, 0.50, 0.50, 0.55, 1), (0.45, 0.52, 0.45, 0.50, 2), (0.10, 0.10, 0.05, 0.05, 0),
     (0.80, 0.30, 0.95, 0.90, 0)],
    [(0.62, 0.71, 0.40, 0.45, 0)],
]
N = len(truths)
z = (0.6 * torch.randn(N, NA * (5 + C), H, W, dtype=torch.float64)).float()


def iou(a, b):
    def ov(x1, w1, x2, w2):
        return min(x1 + w1 / 2, x2 + w2 / 2) - max(x1 - w1 / 2, x2 - w2 / 2)
    iw, ih = ov(a[0], a[2], b[0], b[2]), ov(a[1], a[3], b[1], b[3])
    inter = iw * ih if iw > 0 and ih > 0 else 0.0
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


zz = z.double().clone().requires_grad_(True)
v = zz.view(N, NA, 5 + C, H, W)
terms = dict(xy=0, wh=0, obj=0, noobj=0, cls=0)
bce = torch.nn.functional.binary_cross_entropy_with_logits
for b in range(N):
    assigned = {}
    for t in truths[b]:
        best = max(range(NALL), key=lambda n: (iou((0, 0, ANCHORS[2 * n] / NET_W, ANCHORS[2 * n + 1] / NET_H),
                                                     (0, 0, t[2], t[3])), -n))
        if best not in MASK:
            continue
        a = MASK.index(best)
        key = (a, int(t[1] * H), int(t[0] * W))
        entry = assigned.setdefault(key, {"truth": None, "cls": set()})
        entry["truth"] = t
        entry["cls"].add(t[4])
    for a in range(NA):
        an = MASK[a]
        for r in range(H):
            for c in range(W):
                zo = v[b, a, 4, r, c]
                if (a, r, c) in assigned:
                    e = assigned[(a, r, c)]
                    t = e["truth"]
                    s = 2 - t[2] * t[3]
                    tx, ty = t[0] * W - c, t[1] * H - r
                    tw = math.log(t[2] * NET_W / ANCHORS[2 * an])
                    th = math.log(t[3] * NET_H / ANCHORS[2 * an + 1])
                    terms["xy"] = terms["xy"] + s * (bce(v[b, a, 0, r, c], torch.tensor(tx, dtype=torch.float64)) +
                                                     bce(v[b, a, 1, r, c], torch.tensor(ty, dtype=torch.float64)))
                    terms["wh"] = terms["wh"] + s * 0.5 * ((v[b, a, 2, r, c] - tw) ** 2 + (v[b, a, 3, r, c] - th) ** 2)
                    terms["obj"] = terms["obj"] + bce(zo, torch.tensor(1.0, dtype=torch.float64))
                    for k in range(C):
                        tk = torch.tensor(1.0 if k in e["cls"] else 0.0, dtype=torch.float64)
                        terms["cls"] = terms["cls"] + bce(v[b, a, 5 + k, r, c], tk)
                    continue
                with torch.no_grad():
                    px = (c + torch.sigmoid(v[b, a, 0, r, c]).item()) / W
                    py = (r + torch.sigmoid(v[b, a, 1, r, c]).item()) / H
                    pw = math.exp(v[b, a, 2, r, c].item()) * ANCHORS[2 * an] / NET_W
                    ph = math.exp(v[b, a, 3, r, c].item()) * ANCHORS[2 * an + 1] / NET_H
                best_iou = max([iou((px, py, pw, ph), t[:4]) for t in truths[b]] + [0.0])
                if best_iou > IGNORE:
                    continue
                terms["noobj"] = terms["noobj"] + bce(zo, torch.tensor(0.0, dtype=torch.float64))
total = sum(terms.values())
total.backward()

print(W, H, C, NA, NALL, NET_W, NET_H, N)
print(" ".join(str(a) for a in ANCHORS))
print(" ".join(str(m) for m in MASK))
for b in range(N):
    print(len(truths[b]))
    for t in truths[b]:
        print(" ".join(repr(x) for x in t))
flat = z.flatten().tolist()
print(len(flat))
print(" ".join("%.9g" % x for x in flat))
print(" ".join("%.12g" % float(terms[k]) for k in ("xy", "wh", "obj", "noobj", "cls")))
print(" ".join("%.9g" % x for x in zz.grad.flatten().tolist()))
