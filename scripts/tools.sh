#!/usr/bin/env bash
# Installs a set of Python tools into its own virtualenv, idempotently: a second run with the same
# requirements only checks a stamp file. Prints the virtualenv's path on stdout.
#
#   scripts/tools.sh test       moto (DynamoDB, Cognito) for the contract suites
#   scripts/tools.sh template   cfn-lint and SAM CLI for template checks
#   scripts/tools.sh build      SAM CLI and cargo-lambda for `sam build` (arm64)
#
# Location: $PODCASTFLOW_TOOLS_DIR (default ~/.cache/podcastflow), outside the clone so fresh
# clones on the same machine reuse it; a new machine installs from PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
set_name=${1:-test}
req="$root/scripts/requirements-$set_name.txt"
[ -f "$req" ] || { echo "tools: no such tool set: $set_name" >&2; exit 2; }
tools_dir=${PODCASTFLOW_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podcastflow}
hash=$(sha256sum "$req" | cut -c1-16)
venv="$tools_dir/venv-$set_name-$hash"
if [ ! -f "$venv/.installed" ]; then
  echo "tools: installing $set_name tools into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$tools_dir"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.installed"
fi
echo "$venv"
