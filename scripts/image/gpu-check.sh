#!/usr/bin/env bash
# Runs scripts/image/gpu-check.ts on a lent GPU machine (the `device` tool), from the repo root.
# Before the first call, on the session's own machine (see /work/.library/device/README.md):
#   echo /.gl/ >>.git/info/exclude; mkdir -p .gl /tmp/amd64/partial
#   o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
#   apt-get $o update; (cd .gl && apt-get $o download libvulkan1 dataset-fashion-mnist)
# What travels is capped at 64 MiB, so do not carry node_modules whole (onnxruntime-node alone is
# 288 MB with every platform's binaries). Pack a trimmed copy into an ignored folder and carry it:
#   - node_modules/onnxruntime-node with only bin/napi-v6/linux/x64 (45 MB), onnxruntime-common,
#     ajv (+ fast-deep-equal, fast-uri, json-schema-traverse, require-from-string), pino (+ deps);
#   - a Node >= 22 binary if the machine lacks one (node_modules/node/bin/node, xz-compressed).
# Then run this script with carry: [".gl", "<that folder>"] and NODE_PATH / PATH pointing into it.
set -euo pipefail
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
${NODE:-node_modules/.bin/node} scripts/image/gpu-check.ts
