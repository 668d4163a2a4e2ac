"""Export a PyTorch segmentation network as an ImageNet-S Bench model bundle (docs/model-submissions.md).

    python3 export_model.py --classes 50 --out bundle.zip [--checkpoint my.pth]

The network here is torchvision's LR-ASPP MobileNetV3-Large with C + 1 output channels; put your own
in `build()`. Without --checkpoint it keeps its random initial weights (what the project's tests use:
nothing is downloaded). The graph takes 1x3xHxW float32 images normalised with ImageNet's mean and std
and returns 1x(C+1)xHxW logits at the input's size (stride 1 after the network's own upsampling);
height and width are dynamic, opset 17.
"""
import argparse
import io
import json
import zipfile

import torch
import torchvision


class Logits(torch.nn.Module):
    """torchvision's segmentation models return a dict; the bundle's graph returns the logits tensor."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return self.net(image)['out']


def build(classes):
    return torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=classes + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--classes', type=int, required=True, help="the benchmark's class count (50, 300 or 919)")
    ap.add_argument('--out', required=True, help='the bundle to write (a .zip)')
    ap.add_argument('--checkpoint', help='a state_dict for build(); random weights without it')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--method', default='LR-ASPP MobileNetV3-Large')
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
        'input': {'resize_short_side': None, 'max_long_side': None, 'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]},
        'output': 'logits',
        'method': a.method,
        'backbone': 'MobileNetV3-Large',
        'pretraining': 'none (random initial weights)' if not a.checkpoint else 'see the paper',
    }
    with zipfile.ZipFile(a.out, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('model.onnx', onnx.getvalue())
        z.writestr('model.json', json.dumps(spec, indent=2))
    print(f'wrote {a.out}: model.onnx ({len(onnx.getvalue())} bytes) and model.json')


if __name__ == '__main__':
    main()
