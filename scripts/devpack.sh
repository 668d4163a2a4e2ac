#!/usr/bin/env bash
# Packs what a GPU host without Node needs to run the baseline runner (scripts/bench-baselines-gpu.sh):
# this machine's Node binary, the runner bundled by esbuild, the native modules it loads (ONNX Runtime
# with its bundled CPU and WebGPU providers; sharp) and the Vulkan loader with the GL dispatch libraries
# WebGPU needs on NVIDIA's driver (with libvulkan1 alone Dawn finds no adapter), into .devpack/ and .gl/
# (both ignored; about 45 MB compressed). Run from the repository root.
set -euo pipefail
rm -rf .devpack && mkdir -p .devpack .gl
for e in baseline profile-runner; do npx esbuild scripts/$e.ts --bundle --platform=node --format=esm --target=node20 --log-level=error \
  --outfile=.devpack/$e.mjs --external:onnxruntime-node --external:sharp --external:better-sqlite3 \
  "--banner:js=import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"; done
xz -T0 -6 -c "$(command -v node)" > .devpack/node.xz
tar -C node_modules -cJf .devpack/node_modules.tar.xz \
  onnxruntime-node/package.json onnxruntime-node/dist onnxruntime-node/bin/napi-v6/linux/x64 onnxruntime-common \
  sharp @img/sharp-linux-x64 @img/sharp-libvips-linux-x64 @img/colour detect-libc semver
if ! ls .gl/libglx0_*.deb >/dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial && apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
fi
du -ch .devpack/* .gl/* | tail -1
