#!/usr/bin/env bash
# `npm run test:asan`: builds the addon with AddressSanitizer + UBSan
# (cmake-js, -DNT_SANITIZE=ON, CPU only, into build-asan/) and runs jest on it.
#   scripts/test-asan.sh              the whole suite (~3 min of tests on 2 cores, plus the build)
#   scripts/test-asan.sh --ci         the trimmed suite CI runs (reliability,
#                                     fuzz, tensor and optimizer tests)
#   scripts/test-asan.sh test/foo     any jest arguments
#   NT_ASAN_SKIP_BUILD=1              reuse an existing build-asan/
# Node itself is not instrumented, so the sanitizer runtimes are preloaded.
# detect_leaks=0: node and V8 leak by design at exit. allocator_may_return_null=1:
# a refused huge allocation must reach our OutOfMemoryError, not abort.
set -euo pipefail
cd "$(dirname "$0")/.."

ASAN_LIB=$(gcc -print-file-name=libasan.so 2>/dev/null || true)
UBSAN_LIB=$(gcc -print-file-name=libubsan.so 2>/dev/null || true)
if [ ! -e "$ASAN_LIB" ] || [ "$ASAN_LIB" = "libasan.so" ] || [ ! -e "$UBSAN_LIB" ] || [ "$UBSAN_LIB" = "libubsan.so" ]; then
  echo "test:asan skipped: libasan/libubsan not found (Debian: apt-get install libgcc-12-dev, which gcc pulls in)"
  exit 0
fi

if [ "${NT_ASAN_SKIP_BUILD:-0}" != "1" ] || [ ! -f build-asan/Release/nodetorch.node ]; then
  echo "building the ASAN+UBSan addon into build-asan/ (log: /tmp/nodetorch-build-asan.log)"
  # cmake-js reads the node headers location from npm's nodedir (set when run via npm).
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
  flock /tmp/nodetorch-build.lock node node_modules/cmake-js/bin/cmake-js rebuild --out build-asan \
    --CDNT_SANITIZE=ON --CDNT_WITH_CUDA=OFF >/tmp/nodetorch-build-asan.log 2>&1 \
    || { tail -50 /tmp/nodetorch-build-asan.log; exit 1; }
fi

export NODETORCH_ADDON=build-asan/Release/nodetorch.node
export NODETORCH_QUIET=1
export LD_PRELOAD="$ASAN_LIB:$UBSAN_LIB${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:abort_on_error=0:halt_on_error=1:detect_odr_violation=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Under ASAN everything is ~3x slower: shorter fuzz runs keep the suite in budget.
export NT_FUZZ_RUNS="${NT_FUZZ_RUNS:-1500}"
export NT_SOAK_STEPS="${NT_SOAK_STEPS:-800}"

JEST="node node_modules/jest/bin/jest.js --ci"
if [ "${1:-}" = "--ci" ]; then
  shift
  # The trimmed CI set: everything that drives native code with hostile or
  # edge-case input, plus the kernel and optimizer tests.
  set -- test/reliability test/fuzz test/tensor_ test/optim_ test/nn_loss test/data_idx test/io_safetensors "$@"
fi
echo "jest under ASAN+UBSan: ${*:-(whole suite)}"
$JEST "$@"
