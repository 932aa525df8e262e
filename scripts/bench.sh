#!/usr/bin/env bash
# The benchmark suite. Builds with the given profile (bench-local by default: optimised, no fat
# LTO, minutes on 2 cores; `release` is what cargo-lambda deploys) and runs, in order:
#
#   coldstart  every function binary: cold start to the first runtime API `next`, peak RSS,
#              binary and zip size (scripts/bench-coldstart.py, RUNS=20 starts each)
#   handlers   warm handler cost per representative route in process: CPU time (criterion),
#              allocations, table calls against the documented minimum
#   load       requests/s and p50/p90/p99 through the local stack, 8 clients for 20 s per route
#   fanout     time from a write to delivery on 100 and 1,000 WebSocket subscribers
#   backup     export and restore of 100,000 items: items/s and peak RSS
#   writes     concurrent conditional puts into the embedded table: writes/s, p50/p99, group commit
#   large-org  every list and read route as each role, on the demo organization and one 100 times
#              larger: table calls, items read, p50/p99 (about 5 minutes: the large one is written)
#   warm       the campaigns function's binary under a runtime API emulator against moto: CPU and
#              wall per warm invocation of GET /campaigns/{id} and a list of 20, and table calls
#              (scripts/bench-coldstart.py --warm, WARM=1000 invocations each; starts moto)
#
# Each part writes <target>/benchmarks/<part>.md; the report joins them into
# <target>/benchmarks/report.md and prints it. Pick parts with BENCH="handlers load".
# Not part of the tests: figures are compared between runs on one machine (BENCHMARKS.md).
#
#   scripts/bench.sh                  # everything, bench-local profile
#   BENCH=handlers scripts/bench.sh   # one part
#   scripts/bench.sh release          # the deployed profile (fat LTO: much longer to build)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-bench-local}
runs=${RUNS:-20}
parts=${BENCH:-coldstart handlers load fanout backup writes large-org warm}
out=${CARGO_TARGET_DIR:-target}/benchmarks
mkdir -p "$out"
for part in $parts; do
  printf '\n==> %s\n' "$part"
  case $part in
    coldstart)
      packages=()
      for dir in functions/*/; do packages+=(-p "podcastflow-$(basename "$dir")"); done
      cargo build --locked --profile "$profile" --bins "${packages[@]}"
      python3 scripts/bench-coldstart.py --profile "$profile" --runs "$runs" --out "$out/coldstart.md"
      ;;
    handlers)
      cargo bench --locked --profile "$profile" -p podcastflow-tests --bench handlers
      ;;
    load | fanout | backup | writes)
      cargo run --locked --profile "$profile" -p podcastflow-tests --example "$part"
      ;;
    large-org)
      cargo run --locked --profile "$profile" -p podcastflow-tests --example large_org
      ;;
    warm)
      cargo build --locked --profile "$profile" --bins -p podcastflow-campaigns
      cargo build --locked --profile "$profile" -p podcastflow-tests --example warm_seed
      venv=$(scripts/tools.sh test)
      moto_log=$(mktemp)
      read -r moto_pid moto_port < <(scripts/moto.sh "$venv" "$moto_log")
      export PODCASTFLOW_DYNAMODB_ENDPOINT="http://127.0.0.1:$moto_port"
      seed=$(mktemp)
      "${CARGO_TARGET_DIR:-target}/$profile/examples/warm_seed" "podcastflow-warm-$$" > "$seed"
      python3 scripts/bench-coldstart.py --profile "$profile" --warm "${WARM:-1000}" --seed "$seed" \
        --out "$out/warm.md" || { kill "$moto_pid"; exit 1; }
      kill "$moto_pid" 2>/dev/null || true
      rm -f "$moto_log" "$seed"
      ;;
    *)
      echo "unknown part: $part (coldstart, handlers, load, fanout, backup, writes, large-org, warm)" >&2
      exit 2
      ;;
  esac
done
{
  printf '# PodcastFlow benchmarks\n\n%s UTC; %s cores, %s GiB; profile %s; commit %s\n' \
    "$(date -u '+%F %H:%M')" "$(nproc)" "$(awk '/MemTotal/ { printf "%d", $2 / 1048576 }' /proc/meminfo)" \
    "$profile" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  for part in $parts; do
    printf '\n## %s\n\n' "$part"
    cat "$out/$part.md"
  done
} > "$out/report.md"
printf '\n'
cat "$out/report.md"
