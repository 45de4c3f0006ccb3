#!/usr/bin/env bash
# Installs and starts the real Docker engine the runner tier needs, and builds its offline test images.
# Idempotent: whatever is already installed, running or built is left as it is. Needs root (CI runs as root).
#   - Debian's docker.io (Engine 20.10) and busybox-static (the only userland the test images have);
#   - dockerd on unix:///var/run/docker.sock with --bridge=none (no container network but "none") and
#     --live-restore (containers survive a daemon restart; the re-attach tests rely on it);
#   - image cubelab-test/busybox:1, FROM scratch + busybox, built offline;
#   - Debian's docker-registry on 127.0.0.1:5000 (loopback only) holding that image as
#     127.0.0.1:5000/cubelab-test/busybox:1, so the runner's pull path is tested against a real registry.
set -euo pipefail

SOCK=/var/run/docker.sock
LOG=${CUBELAB_DOCKERD_LOG:-/tmp/cubelab-dockerd.log}
IMAGE=cubelab-test/busybox:1
REGISTRY=127.0.0.1:5000
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/../out/docker-images"

die() { echo "setup-docker: $*" >&2; exit 1; }
# Debian's client, not whichever docker CLI happens to come first on PATH.
DOCKER=/usr/bin/docker

if [ "$(id -u)" != 0 ]; then
  [ -S "$SOCK" ] && docker version >/dev/null 2>&1 || die "not root and no engine answers on $SOCK: run this script as root, or start dockerd yourself."
fi

need=()
[ -x /usr/sbin/dockerd ] && [ -x "$DOCKER" ] || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-docker: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${need[@]}" >/tmp/cubelab-apt.log 2>&1; then
    apt-get update >>/tmp/cubelab-apt.log 2>&1 || die "apt-get update failed (see /tmp/cubelab-apt.log)"
    apt-get install -y --no-install-recommends "${need[@]}" >>/tmp/cubelab-apt.log 2>&1 || die "apt-get install ${need[*]} failed (see /tmp/cubelab-apt.log)"
  fi
fi

answers() { "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! answers; then
  # This engine's own pid file: another dockerd (the remote test host's, setup-remote.sh) is not this one.
  if [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    echo "setup-docker: a dockerd is running but does not answer yet; waiting"
  else
    echo "setup-docker: starting dockerd (log: $LOG)"
    # setsid: the engine outlives this script and the test run that started it.
    setsid /usr/sbin/dockerd --host "unix://$SOCK" --bridge=none --iptables=false --ip-masq=false --live-restore \
      >>"$LOG" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 120); do answers && break; sleep 0.5; done
  answers || { tail -20 "$LOG" >&2 || true; die "the Docker engine did not answer on $SOCK within 60 s (log above: $LOG)"; }
fi
echo "setup-docker: engine $("$DOCKER" -H "unix://$SOCK" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

if ! "$DOCKER" -H "unix://$SOCK" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "setup-docker: building $IMAGE from busybox-static"
  rm -rf "$OUT/busybox" && mkdir -p "$OUT/busybox"
  cp /bin/busybox "$OUT/busybox/busybox"
  cat >"$OUT/busybox/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENTRYPOINT ["/bin/sh", "-c", "echo task=$0 args=$@"]
DOCKERFILE
  "$DOCKER" -H "unix://$SOCK" build --network none -q -t "$IMAGE" "$OUT/busybox" >/dev/null \
    || die "building $IMAGE failed"
fi
echo "setup-docker: image $IMAGE ready"

registry_answers() { curl -fsS -o /dev/null --max-time 2 "http://$REGISTRY/v2/" 2>/dev/null; }
if ! registry_answers; then
  mkdir -p "$OUT/registry/data"
  cat >"$OUT/registry/config.yml" <<CONFIG
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $OUT/registry/data}, delete: {enabled: true}}
http: {addr: $REGISTRY}
CONFIG
  echo "setup-docker: starting docker-registry on $REGISTRY (log: /tmp/cubelab-registry.log)"
  setsid /usr/bin/docker-registry serve "$OUT/registry/config.yml" >>/tmp/cubelab-registry.log 2>&1 </dev/null &
  for _ in $(seq 1 40); do registry_answers && break; sleep 0.25; done
  registry_answers || { tail -20 /tmp/cubelab-registry.log >&2 || true; die "docker-registry did not answer on $REGISTRY"; }
fi
if ! curl -fsS --max-time 5 "http://$REGISTRY/v2/cubelab-test/busybox/tags/list" 2>/dev/null | grep -q '"1"'; then
  "$DOCKER" -H "unix://$SOCK" tag "$IMAGE" "$REGISTRY/$IMAGE"
  "$DOCKER" -H "unix://$SOCK" push "$REGISTRY/$IMAGE" >/dev/null || die "pushing $REGISTRY/$IMAGE failed"
  "$DOCKER" -H "unix://$SOCK" rmi "$REGISTRY/$IMAGE" >/dev/null
fi
echo "setup-docker: registry $REGISTRY holds $IMAGE"
