#!/usr/bin/env bash
# Native reference kernels (CE and unsquared softmax Dice on index workloads, BCE and sigmoid focal on
# the dense `binary` workload, value + gradient) and a memory bandwidth probe.
# Builds kernels.c with clang -O3 -ffp-contract=off twice: W=4 (-msse4.1) and W=8 (-mavx2 -mfma),
# into bench/native/out/ (gitignored), then runs the workloads given and prints one JSON line per result.
#
#   bash bench/native/run.sh voc                 # CE + Dice, with gradient, sse and avx2
#   bash bench/native/run.sh --isa avx2 --kernels ce voc city
#   bash bench/native/run.sh --grad both --reps 9 voc bw
#
# Options (passed through to the binaries unless noted): --isa sse|avx2|sse,avx2 (this script),
#   --reps R (9, min 7 recommended), --warmup K (2), --grad 1|0|both (1), --kernels ce,dice,bce,focal, --seed S (1).
# Workloads: small (N2 C5 17x23), voc (N8 C21 256x256), city (N1 C19 1024x2048), binary (N4 C1 512x512,
#   dense mask), NxCxHxW, bw (bandwidth).
# Without clang: prints {"skipped":"clang not found"} and exits 0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/out"

isas="sse,avx2"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --isa) isas="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

CLANG="${CLANG:-$(command -v clang || true)}"
if [ -z "$CLANG" ]; then
  echo '{"skipped":"clang not found"}'
  exit 0
fi

mkdir -p "$out"
common=(-O3 -ffp-contract=off -fno-fast-math -std=c11 -Wall -Wextra -Wno-unused-function)
build() { # isa width flags...
  local isa="$1" w="$2"; shift 2
  local bin="$out/kernels_$isa"
  if [ ! -x "$bin" ] || [ "$here/kernels.c" -nt "$bin" ] || [ "$0" -nt "$bin" ]; then
    "$CLANG" "${common[@]}" -DW="$w" "$@" -o "$bin" "$here/kernels.c" -lm >&2
  fi
}

IFS=',' read -r -a isa_list <<< "$isas"
for isa in "${isa_list[@]}"; do
  case "$isa" in
    sse)
      build sse 4 -msse4.1
      ;;
    avx2)
      if ! grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
        echo '{"isa":"avx2","skipped":"cpu has no avx2"}'
        continue
      fi
      build avx2 8 -mavx2 -mfma
      ;;
    *) echo "unknown isa $isa (sse, avx2)" >&2; exit 2 ;;
  esac
  if [ ${#args[@]} -gt 0 ]; then "$out/kernels_$isa" "${args[@]}"; fi
done
