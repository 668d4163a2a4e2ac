"""Export a PyTorch segmentation network as an ImageNet-S Bench model bundle (docs/model-submissions.md).

    python3 export_model.py --classes 50 --out bundle.zip [--checkpoint my.pth] [--resize-short-side N]
        [--predict-images DIR --predict-names LIST --predict-out DIR]

The network here is torchvision's LR-ASPP MobileNetV3-Large with C + 1 output channels; put your own
in `build()`. Without --checkpoint it keeps its random initial weights (what the project's tests use:
nothing is downloaded). The graph takes 1x3xHxW float32 images normalised with ImageNet's mean and std
and returns 1x(C+1)xhxw logits at the network's own stride (8 for LR-ASPP), which the server resizes;
height and width are dynamic, opset 17. --resize-short-side makes the server resize each image first
(torchvision's Resize on the PIL image), as a test-time resolution. --predict-* writes the same
network's masks made by PyTorch (its logits upsampled to the image by F.interpolate, then arg-max), for
comparison.
"""
import argparse
import io
import json
import os
import sys
import time
import zipfile

import numpy as np
from PIL import Image

import torch
import torchvision


class Logits(torch.nn.Module):
    """The network's logits before its last upsampling (LR-ASPP: stride 8). The server resizes them to
    the image bilinearly (half-pixel, as F.interpolate(align_corners=False)) and takes the arg-max as
    it goes: 920 full-size channels of an ImageNet image would be ~700 MB a picture."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return self.net.classifier(self.net.backbone(image))


def build(classes):
    return torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=classes + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--classes', type=int, required=True, help="the benchmark's class count (50, 300 or 919)")
    ap.add_argument('--out', required=True, help='the bundle to write (a .zip)')
    ap.add_argument('--checkpoint', help='a state_dict for build(); random weights without it')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--method', default='LR-ASPP MobileNetV3-Large')
    ap.add_argument('--resize-short-side', type=int, help="resize each image's short side to this before the network (model.json input.resize_short_side)")
    ap.add_argument('--predict-images', help="also predict these images with PyTorch (a split's folder of wnid/name.JPEG)")
    ap.add_argument('--predict-names', help='the names list of those images ("wnid/name.JPEG wnid/name.png" per line)')
    ap.add_argument('--predict-out', help="where PyTorch's own masks go (class id = R + 256·G)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    net = build(a.classes)
    if a.checkpoint:
        net.load_state_dict(torch.load(a.checkpoint, map_location='cpu'))
    model = Logits(net).eval()
    onnx = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(1, 3, 224, 288), onnx, opset_version=17,
                          input_names=['image'], output_names=['logits'],
                          dynamic_axes={'image': {2: 'height', 3: 'width'}, 'logits': {2: 'height', 3: 'width'}})
    spec = {
        'version': 1,
        'classes': a.classes,
        'input': {'resize_short_side': a.resize_short_side, 'max_long_side': None, 'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]},
        'output': 'logits',
        'method': a.method,
        'backbone': 'MobileNetV3-Large',
        'pretraining': 'none (random initial weights)' if not a.checkpoint else 'see the paper',
    }
    with zipfile.ZipFile(a.out, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('model.onnx', onnx.getvalue())
        z.writestr('model.json', json.dumps(spec, indent=2))
    print(f'wrote {a.out}: model.onnx ({len(onnx.getvalue())} bytes) and model.json')
    if a.predict_images:
        predict(model, spec, a.predict_images, a.predict_names, a.predict_out)


def predict(model, spec, images, names, out):
    """The network's own masks, made by PyTorch eager: PIL decode, torchvision's Resize when model.json
    asks for it, ToTensor, Normalize, logits upsampled to the image (bilinear, align_corners=False), arg-max."""
    import torch.nn.functional as F
    import torchvision.transforms.functional as TF
    # every core, as ONNX Runtime takes them (some builds start with one thread: OpenMP's default)
    torch.set_num_threads(os.cpu_count() or 1)
    mean = torch.tensor(spec['input']['mean']).view(3, 1, 1)
    std = torch.tensor(spec['input']['std']).view(3, 1, 1)
    short = spec['input']['resize_short_side']
    lines = [line.split() for line in open(names) if line.strip()]
    started, count = None, 0
    for i, (img, mask) in enumerate(lines):
        if i == 1:
            started = time.perf_counter()  # the first image warms up, as the runner's timing does
        pil = Image.open(os.path.join(images, img)).convert('RGB')
        W, H = pil.size
        if short is not None:
            pil = TF.resize(pil, short, interpolation=TF.InterpolationMode.BILINEAR)
        rgb = np.asarray(pil)
        x = ((torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255) - mean) / std
        with torch.no_grad():
            logits = F.interpolate(model(x[None]), size=(H, W), mode='bilinear', align_corners=False)
            ids = logits[0].argmax(0).numpy().astype(np.uint32)
        png = np.zeros(ids.shape + (3,), np.uint8)
        png[..., 0], png[..., 1] = ids % 256, ids // 256
        os.makedirs(os.path.dirname(os.path.join(out, mask)), exist_ok=True)
        Image.fromarray(png).save(os.path.join(out, mask))
        count += i >= 1
    seconds = time.perf_counter() - started if started else 0.0
    print(json.dumps({'images': count, 'seconds': seconds, 'threads': torch.get_num_threads()}), file=sys.stderr)


if __name__ == '__main__':
    main()
