#!/usr/bin/env bash
# Runs a command in a mount namespace where the clone's parent folder holds nothing but the clone, so a test
# that reads a file beside the repository (a corpus or a doc that only sits on a development machine) fails
# here as it would on a clone anywhere. Usage: test/env/isolated.sh COMMAND [ARGS...]
# Needs root (CI runs as root) or unprivileged user namespaces; fails, never falls back, when neither works.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
PARENT="$(dirname "$ROOT")"
NAME="$(basename "$ROOT")"
die() { echo "isolated: $*" >&2; exit 1; }
[ "$PARENT" != / ] || die "the clone sits at the file system root ($ROOT): there is no parent folder to empty"
command -v unshare >/dev/null || die "unshare (util-linux) is not installed"

# A holding place for the clone while its parent is covered, outside that parent.
HOLD=""
for base in /run /dev/shm /var/tmp /tmp; do
  case "$base/" in "$PARENT"/*) continue ;; esac
  [ -d "$base" ] && [ -w "$base" ] && { HOLD="$base"; break; }
done
[ -n "$HOLD" ] || die "no writable folder outside $PARENT to hold the clone"

if [ "$(id -u)" = 0 ]; then NS=(unshare --mount --propagation private); else NS=(unshare --user --map-root-user --mount --propagation private); fi

export CUBELAB_ISOLATED=1 CUBELAB_ISOLATED_ROOT="$ROOT"
exec "${NS[@]}" bash -c '
  set -euo pipefail
  ROOT="$1"; PARENT="$2"; NAME="$3"; HOLD="$4"; shift 4
  hold="$(mktemp -d "$HOLD/cubelab-clone.XXXXXX")"
  mount --bind "$ROOT" "$hold"
  mount -t tmpfs -o mode=755 cubelab-isolated "$PARENT"
  mkdir "$PARENT/$NAME"
  mount --bind "$hold" "$PARENT/$NAME"
  umount "$hold" && rmdir "$hold" || true
  found="$(ls -A "$PARENT")"
  [ "$found" = "$NAME" ] || { echo "isolated: $PARENT holds more than the clone: $found" >&2; exit 1; }
  echo "isolated: $PARENT holds only $NAME (mount namespace)"
  cd "$PARENT/$NAME"
  exec "$@"
' isolated "$ROOT" "$PARENT" "$NAME" "$HOLD" "$@"
