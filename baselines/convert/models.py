"""Model definitions whose state-dict keys load the official checkpoints strictly.

Written for this project from the architectures' published descriptions (no code copied from the
reference repositories). Each model maps a normalised image batch (N, 3, H, W) to per-class logits
(N, C + 1, h, w), channel 0 = "other".

PASS (LUSSeg/PASS, fully unsupervised): a ResNet-18 or ResNet-50 whose stem pads by 1 with zeros
before a 7x7 / stride-2 / padding-2 convolution, then the usual max-pool and four stages, and a 1x1
convolution `last_layer` to C + 1 channels at stride 32. Checkpoint: `['state_dict']`, `module.`
prefixes, extra training heads ignored, missing keys an error.

ImageNetSegModel ResNet-50 D32 / D16 (semi-supervised fine-tuning): the same stem and stages (D16:
the last stage dilated by 2 instead of strided, its first block undilated), a 1x1 convolution `head`
to C + 1 channels, then a x2 bilinear upsampling (align_corners=False). Checkpoint: `['model']`,
loaded strictly.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, down=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = down

    def forward(self, x):
        skip = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + skip)


class Bottle(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, down=None, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = down

    def forward(self, x):
        skip = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + skip)


class Backbone(nn.Module):
    """The shared stem and four stages; `dilate_last`: the last stage dilated by 2, not strided (D16)."""

    def __init__(self, block, depths, width=64, dilate_last=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 2, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        cin = width
        for i, (n, planes) in enumerate(zip(depths, [width, width * 2, width * 4, width * 8])):
            dilated = dilate_last and i == 3
            stride = 1 if i == 0 or dilated else 2
            blocks = []
            for b in range(n):
                down = None
                if b == 0 and (stride != 1 or cin != planes * block.expansion):
                    down = nn.Sequential(nn.Conv2d(cin, planes * block.expansion, 1, stride, bias=False), nn.BatchNorm2d(planes * block.expansion))
                extra = {'dilation': 2} if dilated and b > 0 else {}
                blocks.append(block(cin, planes, stride if b == 0 else 1, down, **extra))
                cin = planes * block.expansion
            setattr(self, f'layer{i + 1}', nn.Sequential(*blocks))
        self.out_channels = cin

    def features(self, x):
        x = F.pad(x, (1, 1, 1, 1))
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class PassResNet(Backbone):
    def __init__(self, block, depths, classes, width=64):
        super().__init__(block, depths, width)
        self.last_layer = nn.Conv2d(self.out_channels, classes + 1, 1, 1)

    def forward(self, x):
        return self.last_layer(self.features(x))


class SegResNet(Backbone):
    def __init__(self, block, depths, classes, width=64, dilate_last=False):
        super().__init__(block, depths, width, dilate_last)
        self.head = nn.Conv2d(self.out_channels, classes + 1, 1, 1)

    def forward(self, x):
        return F.interpolate(self.head(self.features(x)), scale_factor=2, mode='bilinear', align_corners=False)


class LayerNorm2d(nn.LayerNorm):
    """Layer norm over the channels of an (N, C, H, W) tensor (moved last and back, as timm does)."""

    def forward(self, x):
        return F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps).permute(0, 3, 1, 2)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class SearchedDepthwise(nn.Module):
    """RF-Next's depthwise convolution once its receptive field is searched: the state the official
    RFConv2d saves (weight, bias, sample_weights, and the buffers rates, num_rates, counter,
    current_search_step) read as fixed structure. One rate (rfsingle, rfmerge): a dilated convolution
    at rates[0] padded to keep the size. Several (rfmultiple): the convolution at each rate, each
    scaled by |w_i| / Σ|w| and summed in rate order. rfmerge's merged kernels are simply larger
    (the kernel size is the weight's)."""

    def __init__(self, dim, kernel=7, branches=3):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(dim, 1, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.sample_weights = nn.Parameter(torch.zeros(branches))
        self.register_buffer('counter', torch.zeros(1))
        self.register_buffer('current_search_step', torch.zeros(1))
        self.register_buffer('rates', torch.ones(branches, 2, dtype=torch.int32))
        self.register_buffer('num_rates', torch.ones(1, dtype=torch.int32))

    def branches(self):
        """[(rate_h, rate_w), ...] in use; plain ints, so an exported graph has them as constants."""
        return [tuple(int(v) for v in r) for r in self.rates[:int(self.num_rates[0])].tolist()]

    def forward(self, x):
        k, groups = self.weight.shape[-1], self.weight.shape[0]
        rates = self.branches()
        if len(rates) == 1:
            r = rates[0]
            return F.conv2d(x, self.weight, self.bias, 1, (r[0] * (k - 1) // 2, r[1] * (k - 1) // 2), r, groups)
        w = self.sample_weights[:len(rates)].abs()
        w = w / w.sum()
        out = None
        for i, r in enumerate(rates):
            y = F.conv2d(x, self.weight, self.bias, 1, (r[0] * (k - 1) // 2, r[1] * (k - 1) // 2), r, groups) * w[i]
            out = y if out is None else out + y
        return out


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim, conv_dw):
        super().__init__()
        self.conv_dw = conv_dw
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, 4 * dim)
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        y = self.conv_dw(x).permute(0, 2, 3, 1)
        y = self.mlp(self.norm(y)).permute(0, 3, 1, 2)
        return y.mul(self.gamma.reshape(1, -1, 1, 1)) + x


class ConvNeXtStage(nn.Module):
    def __init__(self, cin, dim, depth, conv_dw, downsample):
        super().__init__()
        self.downsample = nn.Sequential(LayerNorm2d(cin, eps=1e-6), nn.Conv2d(cin, dim, 2, 2)) if downsample else nn.Identity()
        self.blocks = nn.Sequential(*[ConvNeXtBlock(dim, conv_dw(j)) for j in range(depth)])

    def forward(self, x):
        return self.blocks(self.downsample(x))


class SegConvNeXt(nn.Module):
    """ImageNetSegModel's ConvNeXt / RF-ConvNeXt: a patch-4 stem, four stages (stride 32), a layer
    norm over the channels, and a 1x1 convolution to (C + 1)·p² channels rearranged into p x p
    sub-pixels per position, so the logits come out at stride 32 / p (p = 4: stride 8).
    `kernels`: RF-ConvNeXt's depthwise kernel per block ('stages.i.blocks.j': k), None for ConvNeXt."""

    def __init__(self, classes, dims=(96, 192, 384, 768), depths=(3, 3, 9, 3), kernels=None, patch=4):
        super().__init__()
        self.patch = patch
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], 4, 4), LayerNorm2d(dims[0], eps=1e-6))
        stages, cin = [], dims[0]
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            if kernels is None:
                conv_dw = lambda j, dim=dim: nn.Conv2d(dim, dim, 7, 1, 3, groups=dim)  # noqa: E731
            else:
                conv_dw = lambda j, dim=dim, i=i: SearchedDepthwise(dim, kernels.get(f'stages.{i}.blocks.{j}', 7))  # noqa: E731
            stages.append(ConvNeXtStage(cin, dim, depth, conv_dw, downsample=i > 0))
            cin = dim
        self.stages = nn.Sequential(*stages)
        self.seg_norm = nn.LayerNorm(cin, eps=1e-6)
        self.seg_head = nn.Sequential()
        self.seg_head.add_module('fc', nn.Conv2d(cin, (classes + 1) * patch * patch, 1))

    def forward(self, x):
        x = self.stages(self.stem(x))
        b, c, h, w = x.shape
        x = self.seg_norm(x.reshape(b, c, h * w).permute(0, 2, 1)).permute(0, 2, 1).reshape(b, c, h, w)
        x = self.seg_head.fc(x)
        p = self.patch
        k = x.shape[1] // (p * p)
        # channel (i·p + j)·K + c is class c at sub-pixel (i, j)
        x = x.permute(0, 2, 3, 1).reshape(b, h, w, p, p, k).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(b, k, h * p, w * p)


class _PositionResize(torch.autograd.Function):
    """The position grid resized bicubically by scale factors computed from the input's size.
    Eager: F.interpolate(scale_factor=...). Exported: ONNX Resize (cubic, a = -0.75, half_pixel)
    with the scales as a computed input, which torch 1.13's exporter cannot emit from a traced
    scale_factor."""

    @staticmethod
    def forward(ctx, grid, scales):
        sh, sw = scales.tolist()
        return F.interpolate(grid, scale_factor=(sh, sw), mode='bicubic', align_corners=False)

    @staticmethod
    def symbolic(g, grid, scales):
        ones = g.op('Constant', value_t=torch.ones(2, dtype=torch.float32))
        full = g.op('Concat', ones, g.op('Cast', scales, to_i=1), axis_i=0)
        roi = g.op('Constant', value_t=torch.tensor([], dtype=torch.float32))
        return g.op('Resize', grid, roi, full, mode_s='cubic', cubic_coeff_a_f=-0.75,
                    coordinate_transformation_mode_s='half_pixel', exclude_outside_i=0)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        a = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, N, C))


class ViTBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class SegViT(nn.Module):
    """ImageNetSegModel's ViT (MAE / TEC / SERE fine-tuning): 16 x 16 patches, a class token, the
    224-pixel position grid (14 x 14) interpolated bicubically to the input's grid with the DINO
    offset (scale (n + 0.1) / 14), pre-norm blocks, a layer norm on the patch tokens and a 1x1
    convolution to C + 1 channels at stride 16. Heads of 64 channels (ViT-S: 6, ViT-B: 12).
    The official shortcut (no interpolation when the grid is 14 x 14 and the input square) is not
    exported: after Resize(256) the short side has 16 patches, so it never applies."""

    def __init__(self, classes, dim=768, depth=12, patch=16, grid=14):
        super().__init__()
        self.patch = patch
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid + 1, dim))
        self.blocks = nn.Sequential(*[ViTBlock(dim, dim // 64) for _ in range(depth)])
        self.fc_norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Conv2d(dim, classes + 1, 1)

    def positions(self, image, tokens):
        """The position embeddings for the image's grid (the official interpolate_pos_encoding)."""
        H, W = image.shape[-2:]
        n = self.pos_embed.shape[1] - 1
        side = math.sqrt(n)
        cls, grid = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        dim = grid.shape[-1]
        grid = grid.reshape(1, int(side), int(side), dim).permute(0, 3, 1, 2)
        if torch.onnx.is_in_onnx_export():
            hw = torch._shape_as_tensor(image)[2:4]
            scales = (torch.div(hw, self.patch, rounding_mode='floor').double() + 0.1) / side
            grid = _PositionResize.apply(grid, scales)
        else:
            if tokens - 1 == n and H == W:
                return self.pos_embed
            grid = F.interpolate(grid, scale_factor=((H // self.patch + 0.1) / side, (W // self.patch + 0.1) / side), mode='bicubic', align_corners=False)
        return torch.cat((cls, grid.permute(0, 2, 3, 1).reshape(1, -1, dim)), dim=1)

    def forward(self, image):
        B, _, H, W = image.shape
        x = self.patch_embed.proj(image).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(B, -1, -1), x), dim=1)
        x = x + self.positions(image, x.shape[1])
        x = self.fc_norm(self.blocks(x)[:, 1:])
        # contiguous, as the official code has it: the convolution's kernel (and its rounding) follows the layout
        x = x.reshape(B, H // self.patch, W // self.patch, x.shape[-1]).permute(0, 3, 1, 2).contiguous()
        return self.head(x)


def _count(state, prefix):
    """How many numbered children `prefix.N.` the state has."""
    return len({k[len(prefix):].split('.')[0] for k in state if k.startswith(prefix)})


def _resnet_size(state):
    return {'width': int(state['conv1.weight'].shape[0])}


def _convnext_size(state):
    dims = tuple(int(state[f'stages.{i}.blocks.0.conv_dw.weight'].shape[0]) for i in range(4))
    return {'dims': dims, 'depths': tuple(_count(state, f'stages.{i}.blocks.') for i in range(4))}


def _rf_size(state):
    size = _convnext_size(state)
    size['kernels'] = {k[:-len('.conv_dw.weight')]: int(v.shape[-1]) for k, v in state.items() if k.endswith('.conv_dw.weight')}
    return size


def _vit_size(state):
    return {'dim': int(state['patch_embed.proj.weight'].shape[0]), 'depth': _count(state, 'blocks.')}


# arch: display name, family, builder, the key that tells the layout, the size read from a
# checkpoint, the official size (a checkpoint of another is refused; ISB_ANY_SIZE, for tests, relaxes
# all but the `fixed` part), a reduced size for tests (random weights; the official sizes are checked
# by key lists), the head (key, channels per class)
PASS = dict(family='pass', probe='conv1.weight', size=_resnet_size, head=('last_layer.weight', 1))
SEG_RESNET = dict(family='imagenetsegmodel', probe='conv1.weight', size=_resnet_size, head=('head.weight', 1))
CONVNEXT_T = dict(family='imagenetsegmodel', probe='stem.0.weight', head=('seg_head.fc.weight', 16),
                  official={'dims': (96, 192, 384, 768), 'depths': (3, 3, 9, 3)}, reduced={'dims': (16, 32, 64, 128), 'depths': (1, 1, 2, 1)})
VIT = dict(family='imagenetsegmodel', probe='patch_embed.proj.weight', size=_vit_size, head=('head.weight', 1), fixed=('dim',))
ARCHS = {
    'pass-r18': dict(PASS, name='PASS-R18', build=lambda classes, width=64: PassResNet(Basic, [2, 2, 2, 2], classes, width)),
    'pass-r50': dict(PASS, name='PASS-R50', build=lambda classes, width=64: PassResNet(Bottle, [3, 4, 6, 3], classes, width)),
    'r50-d32': dict(SEG_RESNET, name='ResNet-50 D32', build=lambda classes, width=64: SegResNet(Bottle, [3, 4, 6, 3], classes, width)),
    'r50-d16': dict(SEG_RESNET, name='ResNet-50 D16', build=lambda classes, width=64: SegResNet(Bottle, [3, 4, 6, 3], classes, width, dilate_last=True)),
    'convnext-t': dict(CONVNEXT_T, name='ConvNeXt-T', size=_convnext_size, build=lambda classes, **s: SegConvNeXt(classes, **s)),
    'rf-convnext-t': dict(CONVNEXT_T, name='RF-ConvNeXt-T', size=_rf_size, build=lambda classes, kernels=None, **s: SegConvNeXt(classes, kernels=kernels or {}, **s)),
    'vit-s16': dict(VIT, name='ViT-S/16', official={'dim': 384, 'depth': 12}, reduced={'dim': 384, 'depth': 2},
                    build=lambda classes, dim=384, depth=12: SegViT(classes, dim, depth)),
    'vit-b16': dict(VIT, name='ViT-B/16', official={'dim': 768, 'depth': 12}, reduced={'dim': 768, 'depth': 1},
                    build=lambda classes, dim=768, depth=12: SegViT(classes, dim, depth)),
}


def build(arch, classes, **size):
    if arch not in ARCHS:
        raise SystemExit(f'unknown --arch {arch!r}; this converter knows {", ".join(sorted(ARCHS))}')
    return ARCHS[arch]['build'](classes, **size)


def rf_variant(model):
    """rfmultiple when a block sums several rates, rfmerge when a kernel grew past 7, else rfsingle."""
    convs = [m for m in model.modules() if isinstance(m, SearchedDepthwise)]
    if any(len(m.branches()) > 1 for m in convs):
        return 'rfmultiple'
    return 'rfmerge' if any(m.weight.shape[-1] > 7 for m in convs) else 'rfsingle'


def rf_structure(model):
    """Each searched block's kernel and rates (the manifest's record of what was searched)."""
    return {n: {'kernel': int(m.weight.shape[-1]), 'rates': [list(r) for r in m.branches()]}
            for n, m in model.named_modules() if isinstance(m, SearchedDepthwise)}


def random_init(model, seed):
    """Seeded weights and non-trivial batch-norm statistics (tests: no official weights here)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype.is_floating_point:
                if name.endswith('running_var'):
                    t.copy_(0.5 + torch.rand(t.shape, generator=g))
                elif name.endswith('running_mean'):
                    t.copy_(0.1 * torch.randn(t.shape, generator=g))
                elif name.endswith(('pos_embed', 'cls_token')):
                    t.copy_(torch.randn(t.shape, generator=g))
                elif name.endswith('gamma'):
                    t.copy_(0.2 + 0.5 * torch.rand(t.shape, generator=g))
                elif name.endswith('.weight') and t.dim() == 1:
                    t.copy_(1 + 0.1 * torch.randn(t.shape, generator=g))
                else:
                    fan = t[0].numel() if t.dim() > 1 else 1
                    t.copy_(torch.randn(t.shape, generator=g) * (2.0 / fan) ** 0.5)
    return model
