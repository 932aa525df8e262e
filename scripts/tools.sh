#!/usr/bin/env bash
# Installs the Python test tools into a virtualenv, idempotently: a second run with the same
# requirements only checks a stamp file. Prints the virtualenv's path on stdout.
#
# Location: $PODCASTFLOW_TOOLS_DIR (default ~/.cache/podcastflow), outside the clone so fresh
# clones on the same machine reuse it; a new machine installs from PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools_dir=${PODCASTFLOW_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podcastflow}
req="$root/scripts/requirements-test.txt"
hash=$(sha256sum "$req" | cut -c1-16)
venv="$tools_dir/venv-$hash"
if [ ! -f "$venv/.installed" ]; then
  echo "tools: installing Python test tools into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$tools_dir"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.installed"
fi
echo "$venv"
