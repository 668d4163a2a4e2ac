"""Tests: a seeded, random-initialised checkpoint in an official layout (no weights can be shipped).

    /usr/bin/python3 baselines/convert/make_checkpoint.py --arch pass-r18 --classes 50 --seed 3 --out ckpt.pth.tar \
        [--width 16] [--reduced] [--variant rfsingle|rfmultiple|rfmerge]

PASS layout: {'epoch', 'state_dict': {'module.<key>': tensor}} plus a training head the inference
code ignores, as the released files have. ImageNetSegModel layout: {'model': state_dict, 'epoch'}.
RF-ConvNeXt: the searched structure of a variant, seeded: rfsingle one rate per block (1 to 3),
rfmultiple the rates RF-Next expands a searched rate into ((1, 2), (1, 2, 3) or (2, 3, 4)),
rfmerge kernels merged to 7, 13 or 19 at rate 1.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import ARCHS, SearchedDepthwise, build, random_init  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--arch', required=True, choices=sorted(ARCHS))
ap.add_argument('--classes', type=int, required=True)
ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--width', type=int, default=64, help='ResNets: the stem width')
ap.add_argument('--reduced', action='store_true', help='ConvNeXt / ViT: a small size (`reduced` in models.ARCHS)')
ap.add_argument('--variant', choices=['rfsingle', 'rfmultiple', 'rfmerge'], default='rfsingle')
ap.add_argument('--out', required=True)
a = ap.parse_args()
size = {'width': a.width} if 'official' not in ARCHS[a.arch] else dict(ARCHS[a.arch]['reduced']) if a.reduced else {}
expanded = {1: [1, 2], 2: [1, 2, 3], 3: [2, 3, 4]}
if a.arch == 'rf-convnext-t':
    depths = size.get('depths', (3, 3, 9, 3))
    blocks = [f'stages.{i}.blocks.{j}' for i, d in enumerate(depths) for j in range(d)]
    searched = {b: 1 + (a.seed + n) % 3 for n, b in enumerate(blocks)}
    size['kernels'] = {b: 7 + (r - 1) * 6 for b, r in searched.items()} if a.variant == 'rfmerge' else {}
model = random_init(build(a.arch, a.classes, **size), a.seed)
if a.arch == 'rf-convnext-t':
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, SearchedDepthwise):
                block = name[:-len('.conv_dw')]
                rates = [searched[block]] if a.variant == 'rfsingle' else expanded[searched[block]] if a.variant == 'rfmultiple' else [1]
                m.rates.fill_(1)
                for i, r in enumerate(rates):
                    m.rates[i] = torch.tensor([r, r], dtype=torch.int32)
                m.num_rates[0] = len(rates)
if ARCHS[a.arch]['family'] == 'pass':
    state = {f'module.{k}': v for k, v in model.state_dict().items()}
    state['module.projection_head.0.weight'] = torch.zeros(4, 4)  # a pretraining head: ignored
    torch.save({'epoch': 1, 'state_dict': state}, a.out)
else:
    torch.save({'model': model.state_dict(), 'epoch': 99}, a.out)
