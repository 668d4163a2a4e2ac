"""Converts an official checkpoint into an ONNX model and a manifest (npm run baseline -- convert).

    /usr/bin/python3 baselines/convert/convert.py --arch pass-r18 --checkpoint ckpt.pth.tar \
        --classes 50 --out models/pass-r18-s50 [--allow-pickle]

The ONNX graph (opset 17, dynamic sizes) takes `image` (1, 3, h, w: the normalised input) and
`target` (1, 1, H, W: only its shape is read) and returns `logits` (1, C + 1, h/32, w/32) and
`labels` (1, H, W): the logits resized bilinearly (align_corners=False) to the target's size and
arg-maxed over the classes, as the reference `inference.py` does, inside the graph.
Writes model.onnx, manifest.json and parity/ (inputs and PyTorch logits the Node side checks ONNX
Runtime against, adding its figures to the manifest).
"""
import argparse
import hashlib
import inspect
import json
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import ARCHS, SearchedDepthwise, build, rf_structure, rf_variant  # noqa: E402

MAX_RES = 1000


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def fail(msg):
    print(f'error: {msg}', file=sys.stderr)
    sys.exit(2)


def read_checkpoint(path, allow_pickle):
    try:
        return torch.load(path, map_location='cpu', weights_only=not allow_pickle)
    except Exception as e:  # noqa: BLE001 - the message is the point
        fail(f'cannot load {path} as weights only ({e}); if you trust the file, pass --allow-pickle')


def what_it_is(state):
    """A guess at the architecture a state dict belongs to, for refusals."""
    if any(k.endswith('.conv_dw.rates') for k in state):
        return 'rf-convnext-t'
    if 'stem.0.weight' in state:
        return 'convnext-t'
    if 'patch_embed.proj.weight' in state:
        return 'vit-b16' if state['patch_embed.proj.weight'].shape[0] == 768 else 'vit-s16'
    if 'conv1.weight' in state:
        return 'a ResNet'
    return None


def check_size(arch, size):
    """The official size of the architecture; ISB_ANY_SIZE (tests: reduced random models) relaxes
    all but what tells one architecture from another (a ViT's width)."""
    official = ARCHS[arch].get('official', {})
    if os.environ.get('ISB_ANY_SIZE'):
        official = {k: v for k, v in official.items() if k in ARCHS[arch].get('fixed', ())}
    differs = [k for k, v in official.items() if size[k] != v]  # the size functions give tuples, as `official` has
    if differs:
        show = lambda d: ', '.join(f'{k} {list(d[k]) if isinstance(d[k], tuple) else d[k]}' for k in differs)  # noqa: E731
        fail(f'the checkpoint has {show(size)}; {arch} has {show(official)}: is --arch right?')


def check_rf(model):
    """RF-Next's searched rates: within the branches saved, each at least 1."""
    for name, m in model.named_modules():
        if isinstance(m, SearchedDepthwise):
            n = int(m.num_rates[0])
            if not 1 <= n <= m.rates.shape[0] or int(m.rates[:n].min()) < 1 or m.weight.shape[-1] % 2 == 0:
                fail(f'{name}: searched rates {m.rates[:max(n, 1)].tolist()} (num_rates {n}, kernel {m.weight.shape[-1]}) are not a fixed RF-Next structure')


def load_state(state, arch, classes, path):
    """A state dict into our definition of `arch`, strictly; every refusal says what to change."""
    info = ARCHS[arch]
    if info['probe'] not in state:
        guess = what_it_is(state)
        fail(f'{path} is not a {arch} checkpoint' + (f' (it looks like {guess})' if guess else '') + ': is --arch right?')
    head, per = info['head']
    out = state.get(head)
    if out is not None and (out.shape[0] % per or out.shape[0] // per != classes + 1):
        n = out.shape[0] // per
        fail(f'the checkpoint predicts {n} channels ({n - 1} classes + other), not {classes + 1}: is --classes {n - 1} meant?')
    size = info['size'](state)
    check_size(arch, size)
    model = build(arch, classes, **size)
    want = model.state_dict()
    for k, v in want.items():
        if k in state and state[k].shape != v.shape:
            fail(f'{k}: the checkpoint has shape {tuple(state[k].shape)}, {arch} expects {tuple(v.shape)}: is --arch right?')
    missing = [k for k in want if k not in state]
    return model, size, missing


def load_pass(path, arch, classes, allow_pickle):
    """PASS: `['state_dict']`, `module.` stripped, training heads ignored, missing keys an error."""
    ckpt = read_checkpoint(path, allow_pickle)
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt:
        fail(f'{path} is not a PASS checkpoint: no "state_dict" (keys: {list(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__})')
    state = {k[len('module.'):]: v for k, v in ckpt['state_dict'].items() if k.startswith('module.')}
    if 'conv1.weight' not in state:
        fail(f'{path}: no module.conv1.weight; not a PASS ResNet checkpoint')
    model, size, missing = load_state(state, arch, classes, path)
    if missing:
        fail(f'{len(missing)} weights of {arch} are missing from the checkpoint (e.g. {", ".join(missing[:5])}): is --arch right?')
    want = model.state_dict()
    model.load_state_dict({k: state[k] for k in want}, strict=True)
    return model, size, sorted(k for k in state if k not in want)


def load_isegm(path, arch, classes, allow_pickle):
    """ImageNetSegModel: `['model']`, loaded strictly (RF-ConvNeXt: the searched rates are buffers in it)."""
    ckpt = read_checkpoint(path, allow_pickle)
    if not isinstance(ckpt, dict) or 'model' not in ckpt:
        fail(f'{path} is not an ImageNetSegModel checkpoint: no "model" (keys: {list(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__})')
    state = ckpt['model']
    model, size, missing = load_state(state, arch, classes, path)
    want = model.state_dict()
    extra = [k for k in state if k not in want]
    if missing or extra:
        guess = what_it_is(state)
        parts = [f'{len(keys)} {what} (e.g. {", ".join(keys[:3])})' for keys, what in ((missing, 'missing'), (extra, 'unexpected')) if keys]
        fail(f'{arch} does not load the checkpoint strictly: {", ".join(parts)}' + (f'; it looks like {guess}' if guess and guess != arch else '') + ': is --arch right?')
    model.load_state_dict(state, strict=True)
    check_rf(model)
    return model, size, []


def load_model(path, arch, classes, allow_pickle):
    """The checkpoint as the reference code of its family loads it."""
    if ARCHS[arch]['family'] == 'pass':
        return load_pass(path, arch, classes, allow_pickle)
    return load_isegm(path, arch, classes, allow_pickle)


class Exported(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image, target):
        logits = self.model(image)
        up = F.interpolate(logits, size=target.shape[-2:], mode='bilinear', align_corners=False)
        return logits, torch.argmax(up, dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--arch', required=True, choices=sorted(ARCHS))
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--classes', type=int, required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--allow-pickle', action='store_true', help='load a checkpoint that is not weights-only (runs code from the file: trusted files only)')
    a = ap.parse_args()
    if a.classes not in (50, 300, 919) and not os.environ.get('ISB_ANY_CLASSES'):
        fail(f'--classes must be 50, 300 or 919, not {a.classes}')
    info = ARCHS[a.arch]
    model, size, ignored = load_model(a.checkpoint, a.arch, a.classes, a.allow_pickle)
    model.eval()
    name = info['name']
    rf = None
    if a.arch == 'rf-convnext-t':
        rf = {'variant': rf_variant(model), 'blocks': rf_structure(model)}
        name = f'{name} {rf["variant"]}'
    os.makedirs(os.path.join(a.out, 'parity'), exist_ok=True)
    onnx_path = os.path.join(a.out, 'model.onnx')
    with torch.no_grad(), warnings.catch_warnings():
        # RF-Next's rates and the ViT grid's sizes are read as constants on purpose: they are structure
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        # the wrapper in eval mode too: the exporter restores the wrapper's mode on everything inside
        # torch 2.x: the TorchScript exporter, whose symbolic functions (the ViT grid's Resize) this relies on
        legacy = {'dynamo': False} if 'dynamo' in inspect.signature(torch.onnx.export).parameters else {}
        torch.onnx.export(
            Exported(model).eval(), (torch.zeros(1, 3, 256, 320), torch.zeros(1, 1, 300, 400, dtype=torch.uint8)), onnx_path,
            input_names=['image', 'target'], output_names=['logits', 'labels'], opset_version=17,
            dynamic_axes={'image': {2: 'h', 3: 'w'}, 'target': {2: 'H', 3: 'W'}, 'logits': {2: 'fh', 3: 'fw'}, 'labels': {1: 'H', 2: 'W'}}, **legacy,
        )
    # parity inputs: normalised-range noise at a few sizes; PyTorch's logits beside them
    model.eval()
    g = torch.Generator().manual_seed(1)
    parity = []
    with torch.no_grad():
        for i, (h, w) in enumerate([(256, 341), (384, 256), (256, 256)]):
            x = torch.randn(1, 3, h, w, generator=g) * 1.2
            logits = model(x)
            x.numpy().astype(np.float32).tofile(os.path.join(a.out, 'parity', f'{i}.input.f32'))
            logits.numpy().astype(np.float32).tofile(os.path.join(a.out, 'parity', f'{i}.logits.f32'))
            parity.append({'input': [1, 3, h, w], 'logits': list(logits.shape)})
    manifest = {
        'arch': a.arch, 'name': name, 'family': info['family'], 'classes': a.classes,
        'size': {k: (v if not isinstance(v, tuple) else list(v)) for k, v in size.items() if k != 'kernels'},
        **({'rf': rf} if rf else {}),
        'protocol': 'fully-unsupervised' if info['family'] == 'pass' else 'semi-supervised',
        'outputs': 'cluster ids (0 = other): a match is computed on validation and applied on test' if info['family'] == 'pass' else 'class ids (0 = other)',
        'preprocessing': {'resize_short_side': 256, 'resampler': 'PIL bilinear', 'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]},
        'max_res': {'pixels': MAX_RES, 'rule': 'pass' if info['family'] == 'pass' else 'orientation',
                    'says': 'over max_res² pixels: logits to (max_res, int(max_res·W/H)), arg-max, nearest up to (H, W)' if info['family'] == 'pass'
                    else 'over max_res² pixels: logits to max_res on the long side by orientation, arg-max, nearest up'},
        'checkpoint': {'file': os.path.basename(a.checkpoint), 'sha256': sha256(a.checkpoint), 'ignored_keys': ignored[:50], 'ignored_count': len(ignored)},
        'onnx': {'file': 'model.onnx', 'sha256': sha256(onnx_path), 'opset': 17, 'inputs': ['image', 'target'], 'outputs': ['logits', 'labels']},
        'converted_with': {'torch': torch.__version__},
        'parity_inputs': parity,
    }
    with open(os.path.join(a.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
    print(json.dumps({'out': a.out, 'onnx_sha256': manifest['onnx']['sha256'], 'ignored_keys': len(ignored)}))


if __name__ == '__main__':
    main()
