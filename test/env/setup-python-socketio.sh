#!/usr/bin/env bash
# Installs the publishing client of the endpoint tier: Debian's python-socketio 5.x (the client library MLgym
# uses), python3-websocket (MLgym connects with transports=["websocket"]) and python3-requests (REST calls and
# the polling transport). Idempotent: installs only what is missing. Needs root, or the packages already there.
set -euo pipefail

PY=/usr/bin/python3
die() { echo "setup-python-socketio: $*" >&2; exit 1; }

need=()
for pkg in python3 python3-socketio python3-websocket python3-requests; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${need[*]}: run this script as root (apt-get install ${need[*]})."
  echo "setup-python-socketio: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${need[@]}" >/tmp/cubelab-apt-socketio.log 2>&1; then
    apt-get update >>/tmp/cubelab-apt-socketio.log 2>&1 || die "apt-get update failed (see /tmp/cubelab-apt-socketio.log)"
    apt-get install -y --no-install-recommends "${need[@]}" >>/tmp/cubelab-apt-socketio.log 2>&1 \
      || die "apt-get install ${need[*]} failed (see /tmp/cubelab-apt-socketio.log)"
  fi
fi

# Debian's interpreter, not whichever python comes first on PATH (a pyenv one lacks these modules).
"$PY" -c 'import socketio, websocket, requests; print("setup-python-socketio: python-socketio", socketio.__version__ if hasattr(socketio, "__version__") else "?", "ready")' \
  || die "$PY cannot import socketio, websocket and requests"
