#!/usr/bin/env bash
# The whole GPU session in one command, for a machine that has only the
# NVIDIA driver and Python's CUDA wheels (no Node, no npm, no toolkit).
# Needs the files of `npm run gpu:prepare` carried along: .gpu/ (Node and the
# addon, xz-packed) and dist/. Steps, each with its own time limit (8 min in
# all): unpack; nvidia-smi and the driver version; the nvidia library folders
# of the Python environments; gpu-check --self-test; gpu-check with the
# library path set; if that fails, a second pass with --no-bench. Everything
# lands under $OUT (default ./gpu-out); the last lines are a table.
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu-run.log") 2>&1
START=$(date +%s)
SUMMARY=()
note() { SUMMARY+=("$(printf '%-28s | %-6s | %4ss' "$1" "$2" "$3")"); }
step() {  # step NAME LIMIT_S CMD...: runs CMD with a time limit, records exit code and seconds
  local name=$1 limit=$2 t0 rc
  shift 2
  echo; echo "==== $name (limit ${limit}s) ===="
  t0=$(date +%s)
  timeout -k 5 "$limit" "$@"
  rc=$?
  note "$name" "$rc" "$(( $(date +%s) - t0 ))"
  return $rc
}

echo "==== unpack ===="
BIN=/tmp/nodetorch-gpu-bin
mkdir -p "$BIN" build-cuda/Release
if [ -f .gpu/node.xz ]; then xz -dc .gpu/node.xz > "$BIN/node" && chmod +x "$BIN/node"; fi
if [ -f .gpu/nodetorch.node.xz ]; then xz -dc .gpu/nodetorch.node.xz > build-cuda/Release/nodetorch.node; fi
export PATH="$BIN:$PATH"
export NODETORCH_ADDON="$PWD/build-cuda/Release/nodetorch.node"
command -v node >/dev/null || { echo "no Node: carry .gpu/node.xz (npm run gpu:prepare)"; exit 2; }
test -f "$NODETORCH_ADDON" || { echo "no addon: carry .gpu/nodetorch.node.xz (npm run gpu:prepare)"; exit 2; }
test -f dist/lib/index.js || { echo "no dist/: carry dist (npm run gpu:prepare)"; exit 2; }
echo "node $(node --version)"

echo; echo "==== GPU and driver ===="
nvidia-smi -L || echo "nvidia-smi failed"
echo "driver: $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1) (nodetorch needs R580 or newer)"

echo; echo "==== nvidia library folders ===="
# Every site-packages the Python on PATH knows (and the one PYTHON names),
# with the nvidia-* wheels' lib folders and torch/lib; the addon searches
# these itself too, the explicit path makes the run independent of that.
PY="${PYTHON:-python3}"
LIBS=$(timeout 30 "$PY" - <<'PYEOF' 2>/dev/null
import glob, os, site, sysconfig
roots = list(getattr(site, 'getsitepackages', lambda: [])()) + [site.getusersitepackages(), sysconfig.get_paths()['purelib']]
seen, dirs = set(), []
for r in roots:
    for d in sorted(glob.glob(os.path.join(r, 'nvidia', '*', 'lib'))) + [os.path.join(r, 'torch', 'lib')]:
        if os.path.isdir(d) and os.path.realpath(d) not in seen:
            seen.add(os.path.realpath(d)); dirs.append(d)
print(':'.join(dirs))
PYEOF
)
export NODETORCH_CUDA_LIB_PATH="${LIBS}${NODETORCH_CUDA_LIB_PATH:+:$NODETORCH_CUDA_LIB_PATH}"
echo "${NODETORCH_CUDA_LIB_PATH:-<none found by $PY>}" | tr ':' '\n'
for d in $(echo "$NODETORCH_CUDA_LIB_PATH" | tr ':' ' '); do ls "$d" 2>/dev/null | grep -E '^lib(cublas|cudnn|cudart)[^_]*\.so\.[0-9]+$' | sed "s|^|  $d/|"; done
node -e "
const nt = require('./dist/lib');
console.log('nt.cuda.libraries():', JSON.stringify(nt.cuda.libraries(), null, 1));
console.log('nt.cuda.isAvailable():', nt.cuda.isAvailable(), nt.cuda.unavailableReason());" 2>&1 | tee "$OUT/libraries.txt"

mkdir -p "$OUT/self-test" "$OUT/pass1" "$OUT/pass2"
step "gpu-check --self-test" 90 env OUT="$OUT/self-test" node scripts/gpu-check.js --self-test --no-bench --no-torch \
  > "$OUT/self-test/stdout.txt" 2>&1
tail -3 "$OUT/self-test/stdout.txt"

step "gpu-check" 270 env OUT="$OUT/pass1" node scripts/gpu-check.js
RC=$?
if [ "$RC" -ne 0 ] && [ "$RC" -ne 3 ]; then
  step "gpu-check --no-bench (2nd)" 110 env OUT="$OUT/pass2" node scripts/gpu-check.js --no-bench --no-torch
fi

echo; echo "==== gpu-run summary ($(( $(date +%s) - START )) s) ===="
printf '%-28s | %-6s | %5s\n' step exit time
for l in "${SUMMARY[@]}"; do echo "$l"; done
exit "$RC"
