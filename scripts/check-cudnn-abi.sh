#!/usr/bin/env bash
# Checks the hand-written cuDNN ABI (native/cuda/cudnn_abi.h) against real
# cuDNN 9 headers: signatures, enum values, struct layouts
# (scripts/cudnn-abi-check.cpp). The headers are not part of the repository;
# give the folder holding cudnn_cnn.h, e.g. a wheel's
# site-packages/nvidia/cudnn/include (pip install nvidia-cudnn-cu13).
#
#   bash scripts/check-cudnn-abi.sh [CUDNN_INCLUDE_DIR]
#
# Exit 0: the declarations match; 1: they do not (the compiler names the
# first mismatch); 2: no cuDNN headers found.
set -uo pipefail
cd "$(dirname "$0")/.."
dir="${1:-${CUDNN_INCLUDE:-}}"
if [ -z "$dir" ]; then
  for d in /usr/include /usr/include/x86_64-linux-gnu /usr/local/cuda/include; do
    [ -f "$d/cudnn_cnn.h" ] && dir="$d" && break
  done
fi
if [ -z "$dir" ] || [ ! -f "$dir/cudnn_cnn.h" ]; then
  echo "no cudnn_cnn.h found (give its folder as the argument or in CUDNN_INCLUDE)" >&2
  exit 2
fi
grep -h '#define CUDNN_\(MAJOR\|MINOR\|PATCHLEVEL\)' "$dir/cudnn_version.h" 2>/dev/null | awk '{printf "%s ", $3} END {print ""}' |
  sed 's/ /./; s/ /./; s/^/cuDNN headers: /'
if "${CXX:-g++}" -std=c++17 -fsyntax-only -I"$dir" -Inative -I/usr/local/cuda/include scripts/cudnn-abi-check.cpp; then
  echo "native/cuda/cudnn_abi.h matches $dir"
else
  echo "native/cuda/cudnn_abi.h does NOT match $dir" >&2
  exit 1
fi
