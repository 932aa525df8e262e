#!/usr/bin/env bash
# Whole-process benchmarks: builds every function binary with the given profile (bench-local by
# default: optimised, no fat LTO, minutes on 2 cores; `release` is what cargo-lambda deploys) and
# measures cold start, peak RSS and size (scripts/bench-coldstart.py). Not part of the tests:
# figures are compared between runs on one machine (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-bench-local}
runs=${RUNS:-20}
packages=()
for dir in functions/*/; do packages+=(-p "podcastflow-$(basename "$dir")"); done
cargo build --locked --profile "$profile" --bins "${packages[@]}"
python3 scripts/bench-coldstart.py --profile "$profile" --runs "$runs"
