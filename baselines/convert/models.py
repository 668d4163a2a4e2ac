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


ARCHS = {
    'pass-r18': dict(family='pass', build=lambda classes, width=64: PassResNet(Basic, [2, 2, 2, 2], classes, width)),
    'pass-r50': dict(family='pass', build=lambda classes, width=64: PassResNet(Bottle, [3, 4, 6, 3], classes, width)),
    'r50-d32': dict(family='imagenetsegmodel', build=lambda classes, width=64: SegResNet(Bottle, [3, 4, 6, 3], classes, width)),
    'r50-d16': dict(family='imagenetsegmodel', build=lambda classes, width=64: SegResNet(Bottle, [3, 4, 6, 3], classes, width, dilate_last=True)),
}


def build(arch, classes, width=64):
    if arch not in ARCHS:
        raise SystemExit(f'unknown --arch {arch!r}; this converter knows {", ".join(sorted(ARCHS))}')
    return ARCHS[arch]['build'](classes, width)


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
                elif name.endswith('.weight') and t.dim() == 1:
                    t.copy_(1 + 0.1 * torch.randn(t.shape, generator=g))
                else:
                    fan = t[0].numel() if t.dim() > 1 else 1
                    t.copy_(torch.randn(t.shape, generator=g) * (2.0 / fan) ** 0.5)
    return model
