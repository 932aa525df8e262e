#!/usr/bin/env bash
# Builds every function for AWS as `sam deploy` would ship it: `sam build` runs cargo-lambda
# (release profile, arm64, cross-compiled with Zig) per function into .aws-sam/build, then
# prints the build time and each function's bootstrap and zip size.
#
#   scripts/sam-build.sh            build (incremental: cargo reuses target/)
#
# Tools come from scripts/tools.sh build (SAM CLI and cargo-lambda from PyPI, in a virtualenv).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/tools.sh build)
export PATH="$venv/bin:$PATH" SAM_CLI_TELEMETRY=0
start=$(date +%s)
sam build --beta-features --config-env default
elapsed=$(( $(date +%s) - start ))
printf '\nsam build: %d s\n\n| function | bootstrap (bytes) | zip (bytes) |\n|---|---:|---:|\n' "$elapsed"
for dir in .aws-sam/build/*Function; do
  [ -f "$dir/bootstrap" ] || continue
  zip_size=$(python3 - "$dir/bootstrap" <<'PY'
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.write(sys.argv[1], "bootstrap")
print(len(buf.getvalue()))
PY
)
  printf '| %s | %d | %d |\n' "$(basename "$dir")" "$(stat -c %s "$dir/bootstrap")" "$zip_size"
done
