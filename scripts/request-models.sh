#!/usr/bin/env bash
# Rewrites template.yaml's request `Models` block from infra/openapi.yaml's request bodies (the
# test `request_models_match_the_openapi_document` keeps the two equal).
set -euo pipefail
cd "$(dirname "$0")/.."
models=$(mktemp)
trap 'rm -f "$models"' EXIT
cargo run -q -p podcastflow-local --example request_models >"$models"
python3 - "$models" <<'PY'
import sys
printed = open(sys.argv[1]).read().split("\n")
# The example prints the Models block, then each route's RequestModel line as a comment.
block = [l for l in printed[: next((i for i, l in enumerate(printed) if l.startswith("#")), len(printed))]]
while block and not block[-1].strip():
    block.pop()
lines = open("template.yaml").read().split("\n")
start = next(i for i, l in enumerate(lines) if l == "      Models:")
end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() and not lines[i].startswith("        "))
while not lines[end - 1].strip():
    end -= 1
lines[start:end] = block
open("template.yaml", "w").write("\n".join(lines))
PY
