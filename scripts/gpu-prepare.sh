#!/usr/bin/env bash
# `npm run gpu:prepare`: builds what scripts/gpu-run.sh carries to a GPU
# machine: the CUDA addon (sm_90 only unless NT_CUDA_ARCHS says otherwise),
# dist/ (build:ts), and .gpu/ (git-ignored) holding the xz-packed Node binary
# and addon. Then carry [".gpu", "dist"] and run `bash scripts/gpu-run.sh`.
#   --skip-build   reuse build-cuda/Release/nodetorch.node and dist/
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--skip-build" ]; then
  # cmake-js reads the Node headers from npm's nodedir; nvcc is often off PATH.
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
  export PATH="$PATH:/usr/local/cuda/bin"
  NT_CUDA_ARCHS="${NT_CUDA_ARCHS:-90-real}" flock /tmp/nodetorch-build.lock \
    node node_modules/cmake-js/bin/cmake-js rebuild --out build-cuda >/tmp/nodetorch-build-cuda.log 2>&1 \
    || { tail -40 /tmp/nodetorch-build-cuda.log; exit 1; }
  npm run --silent build:ts
fi
test -f build-cuda/Release/nodetorch.node || { echo "gpu:prepare: no build-cuda/Release/nodetorch.node" >&2; exit 1; }
test -f dist/lib/index.js || { echo "gpu:prepare: no dist/ (npm run build:ts)" >&2; exit 1; }
mkdir -p .gpu
xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
xz -T2 -6 -c build-cuda/Release/nodetorch.node > .gpu/nodetorch.node.xz
node -e "
const b = require('./build-cuda/Release/nodetorch.node').buildInfo();
if (!b.cudaCompiled) { console.error('gpu:prepare: build-cuda is not a CUDA build'); process.exit(1); }
console.log('addon', b.version, 'kernels', b.kernels.length);"
du -ch .gpu/* dist | tail -4
echo "carry [\".gpu\", \"dist\"] (64 MiB at most in all) and run: bash scripts/gpu-run.sh"
