#!/usr/bin/env bash
# Runs every test of PodcastFlow: formatting, lints, template checks, unit tests, and the suites
# in tests/ against the embedded adapter and against DynamoDB (moto). Installs what it needs (scripts/tools.sh)
# and cleans up what it starts.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "formatting (cargo fmt --check)"
cargo fmt --all -- --check

step "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "template (cfn-lint, sam validate --lint)"
scripts/check-template.sh

step "test tools (Python virtualenv)"
venv=$(scripts/tools.sh test)

step "starting moto (DynamoDB and Cognito) on loopback"
moto_log=$(mktemp)
read -r moto_pid moto_port < <(scripts/moto.sh "$venv" "$moto_log")
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$moto_log"' EXIT
export PODCASTFLOW_DYNAMODB_ENDPOINT="http://127.0.0.1:$moto_port"
export PODCASTFLOW_COGNITO_ENDPOINT="http://127.0.0.1:$moto_port"
echo "moto pid $moto_pid on $PODCASTFLOW_DYNAMODB_ENDPOINT"

step "tests (unit; contract and repositories on embedded and DynamoDB; identity on local and Cognito)"
test_log=$(mktemp)
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$moto_log" "$test_log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$test_log"

step "cases per adapter"
# Counted from the run above: listing them with `cargo test -p` would resolve features anew and
# compile much of the workspace a second time.
listing=$(sed -n 's/^test \([a-z_:0-9]*\) \.\.\. .*$/\1: test/p' "$test_log")
for suite in contract repositories; do
  embedded=$(grep -c "^$suite::embedded::.*: test\$" <<<"$listing" || true)
  dynamodb=$(grep -c "^$suite::dynamodb::.*: test\$" <<<"$listing" || true)
  echo "$suite cases: embedded=$embedded dynamodb=$dynamodb"
  if [ "$embedded" -eq 0 ] || [ "$embedded" -ne "$dynamodb" ]; then
    echo "the two adapters must run the same, non-zero number of $suite cases" >&2
    exit 1
  fi
done
local_cases=$(grep -c "^identity::local::.*: test\$" <<<"$listing" || true)
cognito_cases=$(grep -c "^identity::cognito::.*: test\$" <<<"$listing" || true)
echo "identity cases: local=$local_cases cognito=$cognito_cases (the rest need what moto lacks)"
if [ "$cognito_cases" -eq 0 ]; then
  echo "the Cognito adapter must run the identity suite" >&2
  exit 1
fi

# One closing line for the whole run (cargo prints one per test binary, the last often empty).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$test_log"
