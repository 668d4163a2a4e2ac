"""Tests: a seeded, random-initialised checkpoint in an official layout (no weights can be shipped).

    /usr/bin/python3 baselines/convert/make_checkpoint.py --arch pass-r18 --classes 50 --seed 3 --out ckpt.pth.tar [--width 16]

PASS layout: {'epoch', 'state_dict': {'module.<key>': tensor}} plus a training head the inference
code ignores, as the released files have. ImageNetSegModel layout: {'model': state_dict, 'epoch'}.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import ARCHS, build, random_init  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--arch', required=True, choices=sorted(ARCHS))
ap.add_argument('--classes', type=int, required=True)
ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--width', type=int, default=64)
ap.add_argument('--out', required=True)
a = ap.parse_args()
model = random_init(build(a.arch, a.classes, a.width), a.seed)
if ARCHS[a.arch]['family'] == 'pass':
    state = {f'module.{k}': v for k, v in model.state_dict().items()}
    state['module.projection_head.0.weight'] = torch.zeros(4, 4)  # a pretraining head: ignored
    torch.save({'epoch': 1, 'state_dict': state}, a.out)
else:
    torch.save({'model': model.state_dict(), 'epoch': 99}, a.out)
