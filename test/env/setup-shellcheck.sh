#!/usr/bin/env bash
# Installs Debian's shellcheck (the unit tier checks CubeLab's generated Slurm batch scripts with it). Idempotent.
set -euo pipefail
command -v shellcheck >/dev/null 2>&1 && exit 0
[ "$(id -u)" = 0 ] || { echo "setup-shellcheck: shellcheck is missing; install it (apt-get install shellcheck) or run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends shellcheck >/tmp/cubelab-apt-shellcheck.log 2>&1 \
  || { apt-get update >>/tmp/cubelab-apt-shellcheck.log 2>&1 && apt-get install -y --no-install-recommends shellcheck >>/tmp/cubelab-apt-shellcheck.log 2>&1; } \
  || { echo "setup-shellcheck: apt-get install shellcheck failed (see /tmp/cubelab-apt-shellcheck.log)" >&2; exit 1; }
command -v shellcheck >/dev/null 2>&1 || { echo "setup-shellcheck: shellcheck is still missing" >&2; exit 1; }
