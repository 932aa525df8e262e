#!/usr/bin/env bash
# Starts moto on a free loopback port in the background and prints "PID PORT". Requests are
# applied one at a time (scripts/moto_server.py), as DynamoDB applies each atomically.
# Usage: scripts/moto.sh VENV LOGFILE
set -euo pipefail
venv=$1
log=$2
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$venv/bin/python" "$(dirname "$0")/moto_server.py" 127.0.0.1 "$port" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
    echo "$pid $port"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "moto exited early; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "moto did not answer on port $port within 10 s" >&2
kill "$pid" 2>/dev/null || true
exit 1
