#!/usr/bin/python3
"""bench/torch_darknet.py — the PyTorch peer of bench_nn_net: a darknet cfg
(yolov3 family) built as torch modules, timed the same way.

    torch_darknet.py --cfg CFG --size 416 --mode default|fused|train [--reps N]
                     [--threads 2] [--batch 8]
    torch_darknet.py --cfg CFG --size 512 --memory-model

Modes (fp32, torch.set_num_threads(threads)):
  default  eval(), no_grad, NCHW, convolution and batch norm as separate modules
  fused    batch norm folded into the convolutions, channels-last tensors
  train    batch `--batch`: forward, backward of sum(out·g) for fixed random g
           per yolo output, SGD step (momentum 0.9, decay 5e-4)
Prints one tab-separated line in bench_nn_net's columns: mode, cfg name,
size, batch, median ms per call, ms per image, maxrss MiB, BFLOPs per image,
achieved GFLOP/s (train: 3 × forward), (empty), CPU ms per call (all threads,
after the warm-up, as bench_nn_net counts it).
--memory-model prints the inference lower bound the benchmark compares peak
memory against: folded weights + the largest set of activations alive at once
(an output lives from its layer until its last consumer: next layer, route,
shortcut), in MiB.
"""
import argparse
import os
import resource
import statistics
import sys
import time


def parse_cfg(path):
    """Returns a list of (section, {key: value}) in file order."""
    sections = []
    with open(path) as f:
        for raw in f:
            line = raw.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('['):
                sections.append((line.strip('[]').strip(), {}))
            else:
                key, value = line.split('=', 1)
                sections[-1][1][key.strip()] = value.strip()
    return sections


def plan(sections, size):
    """Returns per layer: (kind, opts, in_c, out_c, out_hw, sources, bflops)."""
    net = sections[0][1]
    c, hw = int(net.get('channels', 3)), size
    layers = []
    for kind, o in sections[1:]:
        i = len(layers)
        prev = [i - 1] if i > 0 else [-1]
        shapes = lambda j: (layers[j][3], layers[j][4]) if j >= 0 else (c, hw)
        in_c, in_hw = shapes(i - 1)
        flops = 0.0
        if kind == 'convolutional':
            k, s = int(o.get('size', 1)), int(o.get('stride', 1))
            pad = k // 2 if int(o.get('pad', 0)) else int(o.get('padding', 0))
            out_c, out_hw = int(o['filters']), (in_hw + 2 * pad - k) // s + 1
            flops = 2.0 * out_c * in_c * k * k * out_hw * out_hw / 1e9
            src = prev
        elif kind == 'maxpool':
            k, s = int(o.get('size', 2)), int(o.get('stride', 2))
            out_c, out_hw, src = in_c, (in_hw + (k - 1) - k) // s + 1, prev
        elif kind == 'upsample':
            out_c, out_hw, src = in_c, in_hw * int(o.get('stride', 2)), prev
        elif kind == 'route':
            src = [int(x) if int(x) >= 0 else i + int(x) for x in o['layers'].split(',')]
            out_c, out_hw = sum(layers[j][3] for j in src), layers[src[0]][4]
        elif kind == 'shortcut':
            f = int(o['from'])
            src = [i - 1, f if f >= 0 else i + f]
            out_c, out_hw = in_c, in_hw
        elif kind == 'yolo':
            out_c, out_hw, src = in_c, in_hw, prev
        else:
            sys.exit(f'{kind}: not a yolov3 layer')
        layers.append((kind, o, in_c, out_c, out_hw, src, flops))
    return layers


def memory_model(layers, in_size):
    """Returns (weights MiB, largest live activations MiB) for batch 1."""
    weights = 0
    for kind, o, in_c, out_c, _, _, _ in layers:
        if kind == 'convolutional':
            k = int(o.get('size', 1))
            weights += out_c * in_c * k * k + out_c
    last_use = {}
    for i, l in enumerate(layers):
        for j in l[5]:
            last_use[j] = i
    size = lambda j: layers[j][3] * layers[j][4] ** 2
    live_peak = 0
    for i, l in enumerate(layers):
        # while layer i runs: its output, every earlier output still to be
        # read (or a yolo output, kept for the caller), and the input image
        live = [j for j in range(i) if last_use.get(j, -1) >= i or layers[j][0] == 'yolo']
        total = sum(size(j) for j in live) + size(i)
        if last_use.get(-1, -1) >= i:
            total += in_size
        live_peak = max(live_peak, total)
    return weights * 4 / 2**20, live_peak * 4 / 2**20


def build(torch, layers, in_channels):
    nn = torch.nn

    class MaxPoolDarknet(nn.Module):
        def __init__(self, k, s):
            super().__init__()
            self.k, self.s = k, s

        def forward(self, x):
            if self.s == 1:  # darknet pads size-1 at the bottom/right
                x = nn.functional.pad(x, (0, self.k - 1, 0, self.k - 1), value=float('-inf'))
            return nn.functional.max_pool2d(x, self.k, self.s)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.mods = nn.ModuleList()
            for kind, o, in_c, out_c, _, _, _ in layers:
                if kind == 'convolutional':
                    k, s = int(o.get('size', 1)), int(o.get('stride', 1))
                    pad = k // 2 if int(o.get('pad', 0)) else int(o.get('padding', 0))
                    bn = int(o.get('batch_normalize', 0))
                    seq = [nn.Conv2d(in_c, out_c, k, s, pad, bias=not bn)]
                    if bn:
                        seq.append(nn.BatchNorm2d(out_c, eps=1e-5))
                    if o.get('activation') == 'leaky':
                        seq.append(nn.LeakyReLU(0.1))
                    self.mods.append(nn.Sequential(*seq))
                elif kind == 'maxpool':
                    self.mods.append(MaxPoolDarknet(int(o.get('size', 2)), int(o.get('stride', 2))))
                elif kind == 'upsample':
                    self.mods.append(nn.Upsample(scale_factor=int(o.get('stride', 2)), mode='nearest'))
                else:
                    self.mods.append(nn.Identity())

        def forward(self, x):
            outs, yolo = [], []
            for (kind, o, _, _, _, src, _), m in zip(layers, self.mods):
                if kind == 'route':
                    x = torch.cat([outs[j] for j in src], 1) if len(src) > 1 else outs[src[0]]
                elif kind == 'shortcut':
                    x = outs[-1] + outs[src[1]]
                elif kind == 'yolo':
                    x = torch.sigmoid(x)  # darknet applies logistic to most channels
                    yolo.append(x)
                else:
                    x = m(x)
                outs.append(x)
            return yolo

    return Net()


def fuse(torch, net):
    for i, m in enumerate(net.mods):
        if isinstance(m, torch.nn.Sequential) and len(m) > 1 and isinstance(m[1], torch.nn.BatchNorm2d):
            conv = torch.nn.utils.fusion.fuse_conv_bn_eval(m[0], m[1])
            net.mods[i] = torch.nn.Sequential(conv, *list(m)[2:])
    return net


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cfg', required=True)
    ap.add_argument('--size', type=int, default=416)
    ap.add_argument('--mode', choices=['default', 'fused', 'train'], default='default')
    ap.add_argument('--reps', type=int, default=7)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--memory-model', action='store_true')
    a = ap.parse_args()
    sections = parse_cfg(a.cfg)
    layers = plan(sections, a.size)
    bflops = sum(l[6] for l in layers)
    name = os.path.basename(a.cfg).rsplit('.', 1)[0]
    if a.memory_model:
        in_c = int(sections[0][1].get('channels', 3))
        w, act = memory_model(layers, in_c * a.size * a.size)
        print(f'{name}\t{a.size}\tweights_mib\t{w:.1f}\tlive_act_mib\t{act:.1f}')
        return
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    in_c = int(sections[0][1].get('channels', 3))
    net = build(torch, layers, in_c)
    batch = a.batch if a.mode == 'train' else 1
    x = torch.rand(batch, in_c, a.size, a.size)
    times = []
    cpu0 = time.process_time()
    if a.mode == 'train':
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9, weight_decay=5e-4)
        grads = None
        for r in range(a.reps + 1):
            if r == 1:  # CPU time after the warm-up, as bench_nn_net counts it
                cpu0 = time.process_time()
            t0 = time.perf_counter()
            outs = net(x)
            if grads is None:
                grads = [torch.randn_like(o) * 1e-3 for o in outs]
            loss = sum((o * g).sum() for o, g in zip(outs, grads))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if r:
                times.append(time.perf_counter() - t0)
    else:
        net.eval()
        if a.mode == 'fused':
            net = fuse(torch, net).to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            for r in range(a.reps + 1):
                if r == 1:
                    cpu0 = time.process_time()
                t0 = time.perf_counter()
                net(x)
                if r:
                    times.append(time.perf_counter() - t0)
    cpu_ms = (time.process_time() - cpu0) / a.reps * 1e3
    ms = statistics.median(times) * 1e3
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gflops = (3 if a.mode == 'train' else 1) * bflops * batch / (ms / 1e3)
    print(f'torch-{a.mode}\t{name}\t{a.size}\t{batch}\t{ms:.1f}\t{ms / batch:.1f}\t{rss:.0f}'
          f'\t{bflops:.3f}\t{gflops:.1f}\t\t{cpu_ms:.1f}')


if __name__ == '__main__':
    main()
