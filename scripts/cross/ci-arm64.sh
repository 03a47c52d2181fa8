#!/usr/bin/env bash
# CI stage (.ci/run): linux-arm64 cross-compiled with Debian's
# gcc-aarch64-linux-gnu and its QUICK jest subset run under qemu-user
# (scripts/cross-arm64.js). Installs what is missing. Debian's arm64 OpenBLAS
# needs the arm64 architecture in dpkg (added here when apt can fetch it;
# Ubuntu serves arm64 from another mirror), else the built-in GEMM runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
t0=$SECONDS
missing=()
for pkg in gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -ne 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq || echo "arm64: apt has no arm64 lists here; the tests run on the built-in GEMM"
fi
node scripts/cross-arm64.js setup
node scripts/cross-arm64.js build | tail -20
echo "arm64: toolchain, Node and build ready in $((SECONDS - t0)) s"
node scripts/cross-arm64.js test --quick
echo "arm64: stage took $((SECONDS - t0)) s"
