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

step "starting moto (DynamoDB) on loopback"
moto_log=$(mktemp)
read -r moto_pid moto_port < <(scripts/moto.sh "$venv" "$moto_log")
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$moto_log"' EXIT
export PODCASTFLOW_DYNAMODB_ENDPOINT="http://127.0.0.1:$moto_port"
echo "moto pid $moto_pid on $PODCASTFLOW_DYNAMODB_ENDPOINT"

step "tests (unit, contract on embedded and DynamoDB)"
cargo test --workspace --locked

step "contract cases per adapter"
listing=$(cargo test -p podcastflow-tests --test suite --locked -- --list 2>/dev/null)
embedded=$(grep -c '^contract::embedded::.*: test$' <<<"$listing" || true)
dynamodb=$(grep -c '^contract::dynamodb::.*: test$' <<<"$listing" || true)
echo "contract cases: embedded=$embedded dynamodb=$dynamodb"
if [ "$embedded" -eq 0 ] || [ "$embedded" -ne "$dynamodb" ]; then
  echo "the two adapters must run the same, non-zero number of contract cases" >&2
  exit 1
fi
