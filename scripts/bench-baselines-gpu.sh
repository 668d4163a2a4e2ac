#!/usr/bin/env bash
# Baselines on a GPU host (the README's GPU figures): the runner (ONNX Runtime in Node; --device
# webgpu, then cpu) against PyTorch eager on CUDA (reference.py --device cuda), same full-size
# random-initialised models at 919 classes, same JPEGs, one run. The host needs python3 with torch
# and torchvision; Node and the runner travel in .devpack/ and .gl/ (scripts/devpack.sh).
#   bash scripts/bench-baselines-gpu.sh [images] [work dir]
set -uo pipefail
N=${1:-24}; W=${2:-/tmp/isb-gpu}; PY=${PYTHON:-python3}; TORCH_DEVICE=${TORCH_DEVICE:-cuda}
MODELS=${MODELS:-pass-r50 rf-convnext-t-rfmultiple vit-b16}
rm -rf "$W" && mkdir -p "$W/bin" "$W/images/n01000001"
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
# WebGPU runs on Vulkan: the loader travels in .gl/, the NVIDIA driver brings its ICD
for d in /usr/local/nvidia/share /usr/share /etc; do ls $d/vulkan/icd.d/ $d/glvnd/egl_vendor.d/ 2>/dev/null; done
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
xz -dc .devpack/node.xz > "$W/bin/node" && chmod +x "$W/bin/node"
mkdir -p .devpack/node_modules && tar -C .devpack/node_modules -xJf .devpack/node_modules.tar.xz
NODE="$W/bin/node"
nvidia-smi -L; "$NODE" --version; $PY -c 'import torch, torchvision; print("torch", torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA")'
# JPEGs of typical ImageNet sizes (smooth gradients and noise, as the CPU bench's)
$PY - "$W/images/n01000001" "$N" <<'PYEOF'
import sys, numpy as np
from PIL import Image, ImageFilter
out, n = sys.argv[1], int(sys.argv[2])
g = np.random.default_rng(11)
sizes = [(375, 500), (500, 375), (333, 500), (500, 333), (400, 500), (500, 500), (281, 500), (768, 1024)]
names = []
for i in range(n):
    h, w = sizes[i % len(sizes)]
    x = (np.linspace(0, 255, w)[None, :, None] + g.integers(0, 64, (h, w, 3))).clip(0, 255).astype(np.uint8)
    Image.fromarray(x).filter(ImageFilter.GaussianBlur(3)).save(f'{out}/img{i}.JPEG', quality=85)
    names.append(f'n01000001/img{i}.JPEG n01000001/img{i}.png')
open(f'{out}/../../names.txt', 'w').write('\n'.join(names) + '\n')
PYEOF
for spec in "pass-r50 pass-r50" "rf-convnext-t-rfmultiple rf-convnext-t --variant rfmultiple" "vit-b16 vit-b16"; do
  set -- $spec; id=$1; arch=$2; shift 2
  case " $MODELS " in *" $id "*) ;; *) continue ;; esac
  echo "== $id"
  $PY baselines/convert/make_checkpoint.py --arch "$arch" --classes 919 --seed 1 "$@" --out "$W/$id.pth" || continue
  $PY baselines/convert/convert.py --arch "$arch" --checkpoint "$W/$id.pth" --classes 919 --out "$W/model-$id" 2>"$W/$id.convert.log" | tail -1 || { tail -5 "$W/$id.convert.log"; continue; }
  [ -f "$W/model-$id/model.onnx" ] || { tail -5 "$W/$id.convert.log"; continue; }
  $PY baselines/convert/reference.py --arch "$arch" --checkpoint "$W/$id.pth" --classes 919 --images "$W/images" --out "$W/ref-$id" --timing --device "$TORCH_DEVICE" 2>&1 | tail -1 | sed "s/^/pytorch-$TORCH_DEVICE $id /"
  # and without TF32 (cuDNN's default allows it in convolutions): the fp32 reference the runner is held to
  $PY baselines/convert/reference.py --arch "$arch" --checkpoint "$W/$id.pth" --classes 919 --images "$W/images" --out "$W/ref32-$id" --timing --device "$TORCH_DEVICE" --fp32 2>&1 | tail -1 | sed "s/^/pytorch-$TORCH_DEVICE-fp32 $id /"
  for dev in webgpu cpu; do
    "$NODE" .devpack/baseline.mjs run --model "$W/model-$id" --images "$W/images" --names "$W/names.txt" --out "$W/ours-$id-$dev" --device "$dev" 2>&1 | grep -v "^$" | grep -iv "warning\|xdg_runtime" | tail -3 | sed "s/^/runner-$dev $id /"
    for r in ref ref32; do $PY - "$W/$r-$id" "$W/ours-$id-$dev" <<'PYEOF'
import sys, os, numpy as np
from PIL import Image
a, b = sys.argv[1], sys.argv[2]
same = total = 0
for f in sorted(os.listdir(f'{a}/n01000001')):
    if not f.endswith('.png') or not os.path.exists(f'{b}/n01000001/{f}'): continue
    x, y = np.asarray(Image.open(f'{a}/n01000001/{f}')), np.asarray(Image.open(f'{b}/n01000001/{f}'))
    same += int((x == y).all(-1).sum()); total += x.shape[0] * x.shape[1]
print(f'agreement with {os.path.basename(a)}: {same / max(total, 1):.7f} of {total} pixels')
PYEOF
    done
  done
  # where the runner's time goes (scripts/profile-runner.ts)
  for dev in webgpu cpu; do "$NODE" .devpack/profile-runner.mjs "$W/model-$id" "$W/images/n01000001" "$dev" 2>&1 | grep '^{' | sed "s/^/profile-$dev $id /"; done
done
