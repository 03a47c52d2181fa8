#!/usr/bin/env bash
# `npm test`: static checks, then the whole suite, CPU only, on the addon `npm install` built,
# then again on the other builds CI must prove: the portable-GEMM build and
# the CUDA build (compiled with nvcc; on a GPU-less machine it must load and
# fall back cleanly). Each stage prints a header; the first failure stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

# cmake-js (the portable-GEMM, ASAN and CUDA builds) needs the Node headers
# and cannot download them offline: use the installed ones when there are.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi

stage() { printf '\n==== %s ====\n' "$*"; }
JEST="node node_modules/jest/bin/jest.js --ci"

stage "TypeScript build (dist/)"
npm run --silent build:ts

# Layering and style, before any test: no import cycles (dpdm), no unused
# files/exports/dependencies (knip), Biome format + lint for TS/JS/JSON,
# clang-format for native/ (scripts/check-static.sh; `npm run format` fixes
# the formatting). Every check runs, then the stage fails if any did.
stage "static checks (npm run lint)"
bash scripts/check-static.sh

stage "jest: default build ($(node -e "console.log(require('./dist/lib').info().binary.path)"))"
$JEST

if [ "${NODETORCH_SKIP_ASAN:-0}" != "1" ]; then
  # The whole jest suite on the sanitized addon: ~3 min of tests plus the
  # build (~6-15 min on 2 cores). NODETORCH_ASAN_CI=1 runs the trimmed set
  # (scripts/test-asan.sh --ci) if CI time ever gets tight.
  stage "ASAN + UBSan build (jest suite)"
  bash scripts/test-asan.sh ${NODETORCH_ASAN_CI:+--ci}
fi

if [ "${NODETORCH_SKIP_TSAN:-0}" != "1" ]; then
  # The device queue, async reads, worker_threads and the thread pool on a
  # ThreadSanitizer build (scripts/test-tsan.sh; ~1 min build, ~30 s of tests).
  stage "ThreadSanitizer build (concurrency tests)"
  bash scripts/test-tsan.sh
fi

if [ "${NODETORCH_SKIP_VARIANTS:-0}" != "1" ]; then
  stage "portable-GEMM build (no OpenBLAS)"
  NODETORCH_BLAS=fallback node node_modules/cmake-js/bin/cmake-js rebuild --out build-fallback --CDNT_WITH_CUDA=OFF >/tmp/nodetorch-build-fallback.log 2>&1 \
    || { tail -50 /tmp/nodetorch-build-fallback.log; exit 1; }
  NODETORCH_ADDON=build-fallback/Release/nodetorch.node NODETORCH_QUIET=1 $JEST test/tensor_ test/linalg test/build_

  if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
    stage "CUDA build (nvcc), tested on this machine"
    export PATH="$PATH:/usr/local/cuda/bin"
    # CI proves the CUDA code compiles and loads; one real target keeps that to
    # minutes on 2 cores (the release prebuild compiles every target).
    # It makes the CPU addon and nodetorch-cuda.so next to it, which the addon
    # loads (no GPU here: it must load and fall back cleanly). ccache, when
    # installed, makes a rebuild with unchanged kernels take seconds.
    LAUNCH=()
    command -v ccache >/dev/null 2>&1 && LAUNCH=(--CDCMAKE_CUDA_COMPILER_LAUNCHER=ccache --CDCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    NT_CUDA_ARCHS="${NT_CUDA_ARCHS:-90-real}" node node_modules/cmake-js/bin/cmake-js rebuild --out build-cuda "${LAUNCH[@]}" >/tmp/nodetorch-build-cuda.log 2>&1 \
      || { tail -80 /tmp/nodetorch-build-cuda.log; exit 1; }
    test -f build-cuda/Release/nodetorch-cuda.so || { echo "the CUDA build made no nodetorch-cuda.so"; exit 1; }
    NODETORCH_ADDON=build-cuda/Release/nodetorch.node $JEST
    CUDA_BUILT=1
  else
    echo "nvcc not found: CUDA build skipped"
  fi
fi

# The npm packages as a user gets them: nodetorch and @nodetorch/<platform>
# packed (scripts/platform-packages.js), installed offline with compilers
# hidden, loaded from the platform package. Its CPU binary is the one
# `npm install` built (node-gyp, OpenBLAS opened at run time), so nothing is
# compiled twice; the CUDA build is not shipped in it.
stage "packaging: npm pack, offline install without compilers, CJS/ESM/TS consumers"
if [ -f build/Release/nodetorch.node ]; then
  node scripts/pack-test.js --skip-build-ts --from build/Release/nodetorch.node
else
  node scripts/pack-test.js --skip-build-ts --cpu
fi
