"""The reference pipeline, as the official inference.py of each family runs it, with our model definitions.

    /usr/bin/python3 baselines/convert/reference.py --arch pass-r18 --checkpoint ckpt --classes 50 \
        --images <dir of wnid/name.JPEG> --out <dir of wnid/name.png> [--max-res 1000]

PIL decode → RGB, Resize(256), ToTensor, Normalize, batch 1; logits resized bilinearly to (H, W)
and arg-maxed; over max_res² pixels, resized smaller first, arg-maxed, then nearest up to (H, W):
PASS to (max_res, int(max_res·W/H)) always; ImageNetSegModel to max_res on the long side
((max_res, int(max_res·W/H)) when H > W, else (int(max_res·H/W), max_res)). PNG with R = id % 256,
G = id // 256. Also writes each image's logits
(<name>.logits.f32) for the parity tests.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert import load_model  # noqa: E402
from models import ARCHS  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--arch', required=True)
ap.add_argument('--checkpoint', required=True)
ap.add_argument('--classes', type=int, required=True)
ap.add_argument('--images', required=True)
ap.add_argument('--out', required=True)
ap.add_argument('--max-res', type=int, default=1000)
ap.add_argument('--timing', action='store_true', help='print {"images", "seconds"} of the image loop on stderr, and write no logits (benchmarks)')
ap.add_argument('--device', default='cpu', help='cpu or cuda (the official inference.py runs on cuda)')
ap.add_argument('--fp32', action='store_true', help='cuda: no TF32 in convolutions and matrix products (PyTorch allows it in cuDNN convolutions by default)')
a = ap.parse_args()
model, _, _ = load_model(a.checkpoint, a.arch, a.classes, False)
if a.timing:
    # benchmarks: all cores (Debian's torch starts with one intra-op thread)
    torch.set_num_threads(os.cpu_count() or 1)
family = ARCHS[a.arch]['family']
model.eval().to(a.device)
if a.fp32:
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
import time  # noqa: E402
t = transforms.Compose([transforms.Resize(256), transforms.ToTensor(), transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
if a.timing:
    # one untimed image first, as the runner's benchmark warms up too (CUDA: context and kernels)
    first = sorted(os.listdir(a.images))[0]
    with torch.no_grad():
        model(t(Image.open(os.path.join(a.images, first, sorted(os.listdir(os.path.join(a.images, first)))[0])).convert('RGB')).unsqueeze(0).to(a.device)).argmax(1).cpu()
started, count = time.perf_counter(), 0
for wnid in sorted(os.listdir(a.images)):
    os.makedirs(os.path.join(a.out, wnid), exist_ok=True)
    for f in sorted(os.listdir(os.path.join(a.images, wnid))):
        img = Image.open(os.path.join(a.images, wnid, f)).convert('RGB')
        W, H = img.size
        with torch.no_grad():
            output = model(t(img).unsqueeze(0).to(a.device))
            if not a.timing:
                output.cpu().numpy().astype(np.float32).tofile(os.path.join(a.out, wnid, os.path.splitext(f)[0] + '.logits.f32'))
            if H * W > a.max_res * a.max_res and a.max_res > 0:
                size = (a.max_res, int(a.max_res * W / H)) if family == 'pass' or H > W else (int(a.max_res * H / W), a.max_res)
                output = F.interpolate(output, size, mode='bilinear', align_corners=False)
                output = torch.argmax(output, dim=1, keepdim=True)
                prediction = F.interpolate(output.float(), (H, W), mode='nearest').long()
            else:
                output = F.interpolate(output, (H, W), mode='bilinear', align_corners=False)
                prediction = torch.argmax(output, dim=1, keepdim=True)
        p = prediction.squeeze().cpu().numpy()
        res = np.zeros((p.shape[0], p.shape[1], 3), dtype=np.uint8)
        res[:, :, 0] = p % 256
        res[:, :, 1] = p // 256
        Image.fromarray(res).save(os.path.join(a.out, wnid, os.path.splitext(f)[0] + '.png'))
        count += 1
if a.timing:
    import json  # noqa: E402
    if a.device != 'cpu':
        torch.cuda.synchronize()
    with open('/proc/self/maps') as maps:  # which BLAS the dynamic linker gave torch (Debian: an alternative)
        blas = sorted({line.split()[-1] for line in maps if 'libblas' in line or 'openblas' in line})
    print(json.dumps({'images': count, 'seconds': time.perf_counter() - started, 'threads': torch.get_num_threads(), 'blas': blas}), file=sys.stderr)
