#!/usr/bin/env bash
# `npm run test:tsan`: builds the addon with ThreadSanitizer (cmake-js,
# -DNT_TSAN=ON, CPU only, portable GEMM so every kernel is instrumented, into
# build-tsan/) and runs the tests that drive native code from several threads:
# the device queue, async reads and I/O, worker_threads, the thread pool.
#   scripts/test-tsan.sh              that set
#   scripts/test-tsan.sh test/foo     any jest arguments
#   NT_TSAN_SKIP_BUILD=1              reuse an existing build-tsan/
# Node is not instrumented, so libtsan is preloaded and
# ignore_noninstrumented_modules=1 keeps reports to instrumented code (V8's
# own lock-free code would otherwise be reported). halt_on_error=1: the first
# report kills the process, which fails its test file and this stage.
set -euo pipefail
cd "$(dirname "$0")/.."

TSAN_LIB=$(gcc -print-file-name=libtsan.so 2>/dev/null || true)
if [ ! -e "$TSAN_LIB" ] || [ "$TSAN_LIB" = "libtsan.so" ]; then
  echo "test:tsan skipped: libtsan not found (Debian: apt-get install libgcc-12-dev, which gcc pulls in)"
  exit 0
fi

if [ "${NT_TSAN_SKIP_BUILD:-0}" != "1" ] || [ ! -f build-tsan/Release/nodetorch.node ]; then
  echo "building the ThreadSanitizer addon into build-tsan/ (log: /tmp/nodetorch-build-tsan.log)"
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
  NODETORCH_BLAS=fallback flock /tmp/nodetorch-build.lock node node_modules/cmake-js/bin/cmake-js rebuild \
    --out build-tsan --CDNT_TSAN=ON --CDNT_WITH_CUDA=OFF >/tmp/nodetorch-build-tsan.log 2>&1 \
    || { tail -50 /tmp/nodetorch-build-tsan.log; exit 1; }
fi

export NODETORCH_ADDON=build-tsan/Release/nodetorch.node
export NODETORCH_QUIET=1
export LD_PRELOAD="$TSAN_LIB${LD_PRELOAD:+:$LD_PRELOAD}"
export TSAN_OPTIONS="halt_on_error=1:report_signal_unsafe=0:ignore_noninstrumented_modules=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export NT_FUZZ_RUNS="${NT_FUZZ_RUNS:-300}"
export NT_SOAK_STEPS="${NT_SOAK_STEPS:-300}"

if [ "$#" -eq 0 ]; then
  set -- test/async_execution test/reliability/workers test/data_async test/io_async test/grad_mode_async \
    test/optim_ test/tensor_elementwise test/memory_scope
  for extra in test/workers_share.test.ts; do [ -f "$extra" ] && set -- "$@" "$extra"; done
fi
echo "jest under ThreadSanitizer: $*"
node node_modules/jest/bin/jest.js --ci "$@"
