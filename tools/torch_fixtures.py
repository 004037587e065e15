#!/usr/bin/python3
"""tools/torch_fixtures.py — PyTorch references for the nn engine's tests.

For every tests/nn/fixtures/torch_<name>.cfg this builds the same network
from torch operations (a small darknet-cfg interpreter, independent of the
C code), draws random parameters and an input, runs forward in training mode
(batch norm on batch statistics), backpropagates L = sum over the yolo layers
and the last layer of G·output (G random), and writes
tests/nn/fixtures/torch_<name>.bin in DLLD's tensor-file format
(src/nn/tensorfile.h) with:

    input                 N×C×H×W
    <i>.<what>            every parameter before the step (darknet names:
                          biases, scales, rolling_mean, rolling_variance, weights)
    out.<i>               every layer's output
    grad.<i>              G for the output layers
    dinput                ∂L/∂input
    dgrad.<i>.<what>      ∂L/∂parameter (learnable ones)
    after.<i>.<what>      rolling statistics after the forward

Conventions it shares with darknet and DLLD (docs/nn.md): batch norm
x̂ = (z − μ)/(σ + 1e-6) with the biased batch σ, rolling statistics moved by
1 % towards the batch mean and the unbiased variance; leaky slope 0.1;
maxpool padding = size − 1 by default, window offset −padding/2, padding
never wins the max; yolo: logistic on x, y, objectness and classes.

Run with Debian's python3-torch:  /usr/bin/python3 tools/torch_fixtures.py
The tests (tests/nn/test_torch.c) need only the committed .bin files.
"""
import glob
import os
import struct
import sys

import torch
import torch.nn.functional as F

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "nn",
                        "fixtures")
VERSION = 1
EPS = 1e-6
ACT = {
    "linear": lambda x: x,
    "leaky": lambda x: F.leaky_relu(x, 0.1),
    "logistic": torch.sigmoid,
}
# batch size and seed per fixture
SETTINGS = {"conv": (2, 1), "pool": (2, 2), "route": (2, 3), "tiny": (2, 4)}


def parse_cfg(path):
    sections = []
    for raw in open(path):
        line = "".join(raw.split())
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            sections.append((line[1:-1], {}))
        else:
            key, value = line.split("=", 1)
            sections[-1][1][key] = value
    return sections


def ints(v):
    return [int(x) for x in v.split(",")]


class Net:
    def __init__(self, sections, batch, gen):
        net = sections[0][1]
        self.input_shape = (batch, int(net["channels"]), int(net["height"]), int(net["width"]))
        self.layers = []
        self.params = {}   # name -> tensor (requires_grad when learnable)
        shapes = []
        c, h, w = self.input_shape[1:]
        for i, (kind, kv) in enumerate(sections[1:]):
            layer = {"kind": kind, "kv": kv, "i": i}
            if kind == "convolutional":
                c, h, w = self.plan_conv(layer, i, c, h, w, gen)
            elif kind == "maxpool":
                size = int(kv.get("size", 1))
                stride = int(kv.get("stride", 1))
                pad = int(kv.get("padding", size - 1))
                layer.update(size=size, stride=stride, pad=pad)
                h = (h + pad - size) // stride + 1
                w = (w + pad - size) // stride + 1
            elif kind == "upsample":
                layer.update(stride=int(kv.get("stride", 2)), scale=float(kv.get("scale", 1)))
                h *= layer["stride"]
                w *= layer["stride"]
            elif kind == "route":
                refs = [r if r >= 0 else i + r for r in ints(kv["layers"])]
                groups = int(kv.get("groups", 1))
                layer.update(refs=refs, groups=groups, gid=int(kv.get("group_id", 0)))
                c = sum(shapes[r][0] // groups for r in refs)
                h, w = shapes[refs[0]][1:]
            elif kind == "shortcut":
                f = int(kv["from"])
                layer.update(frm=f if f >= 0 else i + f, act=kv.get("activation", "linear"),
                             alpha=float(kv.get("alpha", 1)), beta=float(kv.get("beta", 1)))
            elif kind == "yolo":
                layer.update(classes=int(kv["classes"]))
            else:
                raise ValueError(kind)
            shapes.append((c, h, w))
            self.layers.append(layer)

    def add_param(self, name, values, learnable):
        t = values.clone().float()
        t.requires_grad_(learnable)
        self.params[name] = t

    def plan_conv(self, layer, i, c, h, w, gen):
        kv = layer["kv"]
        n = int(kv.get("filters", 1))
        size = int(kv.get("size", 1))
        stride = int(kv.get("stride", 1))
        pad = size // 2 if int(kv.get("pad", 0)) else int(kv.get("padding", 0))
        groups = int(kv.get("groups", 1))
        bn = int(kv.get("batch_normalize", 0))
        layer.update(n=n, size=size, stride=stride, pad=pad, groups=groups, bn=bn,
                     act=kv.get("activation", "logistic"))

        def uniform(shape, lo, hi):
            return torch.rand(shape, generator=gen) * (hi - lo) + lo

        a = (6.0 / (c // groups * size * size)) ** 0.5
        self.add_param("%d.biases" % i, uniform((n,), -0.1, 0.1), True)
        if bn:
            self.add_param("%d.scales" % i, uniform((n,), 0.5, 1.5), True)
            self.add_param("%d.rolling_mean" % i, uniform((n,), -0.1, 0.1), False)
            self.add_param("%d.rolling_variance" % i, uniform((n,), 0.5, 1.5), False)
        self.add_param("%d.weights" % i, uniform((n, c // groups, size, size), -a, a), True)
        return n, (h + 2 * pad - size) // stride + 1, (w + 2 * pad - size) // stride + 1

    def conv(self, layer, x):
        i = layer["i"]
        p = lambda what: self.params["%d.%s" % (i, what)]
        z = F.conv2d(x, p("weights"), None, layer["stride"], layer["pad"], 1, layer["groups"])
        if layer["bn"]:
            mean = z.mean(dim=(0, 2, 3))
            var = z.var(dim=(0, 2, 3), unbiased=False)
            count = z.numel() // z.shape[1]
            with torch.no_grad():
                rm, rv = p("rolling_mean"), p("rolling_variance")
                self.after["%d.rolling_mean" % i] = 0.99 * rm + 0.01 * mean
                self.after["%d.rolling_variance" % i] = 0.99 * rv + 0.01 * var * count / (count - 1)
            xh = (z - mean[None, :, None, None]) / (var.sqrt()[None, :, None, None] + EPS)
            z = p("scales")[None, :, None, None] * xh + p("biases")[None, :, None, None]
        else:
            z = z + p("biases")[None, :, None, None]
        return ACT[layer["act"]](z)

    def forward(self, x):
        outs = []
        self.after = {}
        for layer in self.layers:
            kind = layer["kind"]
            if kind == "convolutional":
                y = self.conv(layer, x)
            elif kind == "maxpool":
                lo = layer["pad"] // 2
                hi = layer["pad"] - lo
                y = F.max_pool2d(F.pad(x, (lo, hi, lo, hi), value=float("-inf")),
                                 layer["size"], layer["stride"])
            elif kind == "upsample":
                s = layer["stride"]
                y = layer["scale"] * x.repeat_interleave(s, dim=2).repeat_interleave(s, dim=3)
            elif kind == "route":
                parts = []
                for r in layer["refs"]:
                    chunk = outs[r].shape[1] // layer["groups"]
                    parts.append(outs[r][:, layer["gid"] * chunk:(layer["gid"] + 1) * chunk])
                y = torch.cat(parts, dim=1)
            elif kind == "shortcut":
                y = ACT[layer["act"]](layer["alpha"] * x + layer["beta"] * outs[layer["frm"]])
            elif kind == "yolo":
                per = 5 + layer["classes"]
                e = torch.arange(x.shape[1]) % per
                logistic = (e != 2) & (e != 3)
                y = torch.where(logistic[None, :, None, None], torch.sigmoid(x), x)
            outs.append(y)
            x = y
        return outs


def write_tensors(path, tensors):
    with open(path + ".tmp", "wb") as f:
        f.write(b"DLLDTNSR" + struct.pack("<IIQ", VERSION, len(tensors), 0))
        for name, t in tensors:
            t = t.detach().contiguous().float()
            b = name.encode()
            f.write(struct.pack("<H", len(b)) + b + struct.pack("<I", t.dim()))
            f.write(struct.pack("<%dQ" % t.dim(), *t.shape))
            f.write(t.numpy().astype("<f4").tobytes())
    os.replace(path + ".tmp", path)


def make(cfg_path):
    name = os.path.basename(cfg_path)[len("torch_"):-len(".cfg")]
    batch, seed = SETTINGS[name]
    gen = torch.Generator().manual_seed(seed)
    net = Net(parse_cfg(cfg_path), batch, gen)
    x = (torch.rand(net.input_shape, generator=gen) * 2 - 1).requires_grad_(True)
    tensors = [("input", x)]
    tensors += [(k, v) for k, v in net.params.items()]
    outs = net.forward(x)
    loss = 0
    grads = []
    for i, (layer, y) in enumerate(zip(net.layers, outs)):
        if layer["kind"] == "yolo" or i == len(outs) - 1:
            g = torch.rand(y.shape, generator=gen) * 2 - 1
            grads.append(("grad.%d" % i, g))
            loss = loss + (g * y).sum()
    loss.backward()
    tensors += [("out.%d" % i, y) for i, y in enumerate(outs)]
    tensors += grads
    tensors.append(("dinput", x.grad))
    tensors += [("dgrad." + k, v.grad) for k, v in net.params.items() if v.requires_grad]
    tensors += [("after." + k, v) for k, v in net.after.items()]
    out = cfg_path[:-len(".cfg")] + ".bin"
    write_tensors(out, tensors)
    print("%s: %d tensors, %d bytes" % (out, len(tensors), os.path.getsize(out)))


def main():
    torch.set_num_threads(1)
    paths = sys.argv[1:] or sorted(glob.glob(os.path.join(FIXTURES, "torch_*.cfg")))
    for p in paths:
        make(p)


if __name__ == "__main__":
    main()
