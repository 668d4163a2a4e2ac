"""A stride-1 PyTorch network (random weights, seeded) exported as a model bundle, and its own
predictions of a split's images made by PyTorch (PIL decode, ToTensor, Normalize, argmax) written as
the benchmark's PNG masks: what test/model-bundle.test.ts compares the server's run with.

    torch_stride1.py --images DIR --names LIST --classes C --bundle OUT.zip --pred OUTDIR
"""
import argparse
import io
import json
import os
import zipfile

import numpy as np
import torch
from PIL import Image

ap = argparse.ArgumentParser()
for a in ('--images', '--names', '--bundle', '--pred'):
    ap.add_argument(a, required=True)
ap.add_argument('--classes', type=int, required=True)
a = ap.parse_args()
torch.manual_seed(11)
net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, a.classes + 1, 1)).eval()
mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]

onnx = io.BytesIO()
with torch.no_grad():
    torch.onnx.export(net, torch.randn(1, 3, 64, 80), onnx, opset_version=17, input_names=['image'], output_names=['logits'],
                      dynamic_axes={'image': {2: 'height', 3: 'width'}, 'logits': {2: 'height', 3: 'width'}})
spec = {'version': 1, 'classes': a.classes, 'output': 'logits',
        'input': {'resize_short_side': None, 'max_long_side': None, 'mean': mean, 'std': std}}
with zipfile.ZipFile(a.bundle, 'w') as z:
    z.writestr('model.onnx', onnx.getvalue())
    z.writestr('model.json', json.dumps(spec))

m = torch.tensor(mean).view(3, 1, 1)
s = torch.tensor(std).view(3, 1, 1)
for line in open(a.names):
    img, mask = line.split()
    rgb = np.asarray(Image.open(os.path.join(a.images, img)).convert('RGB'))
    x = ((torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255) - m) / s
    with torch.no_grad():
        ids = net(x[None])[0].argmax(0).numpy().astype(np.uint32)
    out = np.zeros(ids.shape + (3,), np.uint8)
    out[..., 0], out[..., 1] = ids % 256, ids // 256
    os.makedirs(os.path.dirname(os.path.join(a.pred, mask)), exist_ok=True)
    Image.fromarray(out).save(os.path.join(a.pred, mask))
