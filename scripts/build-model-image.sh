#!/usr/bin/env bash
# Builds CubeLab's model image offline from Debian's packages: `debootstrap --variant=minbase` of the suite
# with the packages of scripts/model-image/packages.txt (Python 3, scikit-learn, Pillow, NumPy, PyYAML),
# from the same mirror apt uses on this machine, imported into the Docker engine as
#   cubelab/python-sklearn:<key>     key = the first 12 hex digits of sha256(suite, variant, sorted packages)
# Built once per machine: when the engine has that image already, the script says so and returns at once.
# Used by the tests' setup (test/env/setup-model-image.sh) and by the demo's Configure (the setting
# cubelab.docker.imageBuilders in examples/.vscode/settings.json names this script for the image's repository).
#
#   bash scripts/build-model-image.sh [IMAGE]     IMAGE, when given, must be the name this script builds
#   bash scripts/build-model-image.sh --name      prints that name and exits
#
# Lines "progress: N/100 text" report progress (CubeLab shows them in its notification); everything else is
# the build's log. Needs root (debootstrap) and a Docker engine (DOCKER_HOST, else /var/run/docker.sock).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="$here/model-image/packages.txt"
REPO=cubelab/python-sklearn

die() { echo "build-model-image: $*" >&2; exit 1; }
say() { echo "build-model-image: $*"; }
progress() { echo "progress: $1/100 $2"; }

[ -f "$list" ] || die "the package list $list is missing"
suite="$(sed -n 's/^# suite: *//p' "$list")"
variant="$(sed -n 's/^# variant: *//p' "$list")"
mapfile -t packages < <(grep -v '^#' "$list" | sed 's/[[:space:]]//g' | grep -v '^$' | LC_ALL=C sort -u)
[ -n "$suite" ] && [ -n "$variant" ] && [ ${#packages[@]} -gt 0 ] || die "$list names no suite, variant or packages"
key="$(printf '%s\n' "$suite" "$variant" "${packages[@]}" | sha256sum | cut -c1-12)"
IMAGE="$REPO:$key"

if [ "${1:-}" = --name ]; then echo "$IMAGE"; exit 0; fi
if [ -n "${1:-}" ] && [ "$1" != "$IMAGE" ]; then
  die "asked for $1, but the package list ($list) makes $IMAGE: name $IMAGE in the Dockerfile's FROM line (or restore the list)."
fi

DOCKER=(docker)
[ -x /usr/bin/docker ] && DOCKER=(/usr/bin/docker)
"${DOCKER[@]}" version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}); start one first (sudo bash test/env/setup-docker.sh)."
if "${DOCKER[@]}" image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE is ready ($(( $("${DOCKER[@]}" image inspect -f '{{.Size}}' "$IMAGE") / 1000000 )) MB); nothing to build."
  progress 100 "$IMAGE is ready"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "building $IMAGE needs root (debootstrap makes a Debian root file system): run 'sudo bash $here/build-model-image.sh'."

# One build at a time per machine (the tests' setup and a Configure in the editor may start together).
exec 9>/tmp/cubelab-model-image.lock
if ! flock -n 9; then
  say "another build of $IMAGE is running; waiting for it"
  flock 9
  if "${DOCKER[@]}" image inspect "$IMAGE" >/dev/null 2>&1; then say "$IMAGE was built by the other build"; progress 100 "$IMAGE is ready"; exit 0; fi
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends debootstrap >/tmp/cubelab-apt.log 2>&1 \
    || { apt-get update >>/tmp/cubelab-apt.log 2>&1 && apt-get install -y --no-install-recommends debootstrap >>/tmp/cubelab-apt.log 2>&1; } \
    || die "apt-get install debootstrap failed (see /tmp/cubelab-apt.log)"
fi

# The mirror apt uses here (deb822 .sources files first, then sources.list), never one of our own choosing.
mirror="${CUBELAB_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror="$(awk -v s="$suite" '
      /^[[:space:]]*$/ { if (uri != "" && ok) { print uri; exit } uri = ""; ok = 0; next }
      /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
      END { if (uri != "" && ok) print uri }' "$f" | head -1)"
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk -v s="$suite" '$1 == "deb" { u = $2; if (u ~ /^\[/) { u = $3; su = $4 } else su = $3; if (su == s) { print u; exit } }' /etc/apt/sources.list)"
fi
[ -n "$mirror" ] || die "no apt source for $suite found in /etc/apt (set CUBELAB_DEBIAN_MIRROR to the mirror's URL)."

work="$(mktemp -d /var/tmp/cubelab-model-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
started=$(date +%s)
say "building $IMAGE: debootstrap --variant=$variant $suite from $mirror with ${packages[*]}"
progress 1 "debootstrap: resolving ${#packages[@]} packages"
include="$(IFS=,; echo "${packages[*]}")"
# debootstrap's own log lines: "I: Retrieving <pkg> <version>" per package, then "I: Extracting", "I: Unpacking",
# "I: Configuring"; their counts against the number of packages give the progress.
total=0; n=0; stage=resolve
set +e
debootstrap --variant="$variant" --include="$include" --components=main "$suite" "$rootfs" "$mirror" 2>&1 | while IFS= read -r line; do
  echo "$line"
  case "$line" in
    "I: Retrieving "*)
      [ "$stage" = retrieve ] || { stage=retrieve; n=0; }
      n=$((n + 1)); [ $n -gt $total ] && total=$n
      progress $(( 2 + (n * 48 / (n + 20)) )) "downloading ${line#I: Retrieving }" ;;
    "I: Extracting "*) [ "$stage" = extract ] || { stage=extract; n=0; }; n=$((n + 1)); progress $(( 50 + n * 10 / (n + 10) )) "extracting ${line#I: Extracting }" ;;
    "I: Unpacking "*) [ "$stage" = unpack ] || { stage=unpack; n=0; }; n=$((n + 1)); progress $(( 60 + n * 15 / (n + 20) )) "unpacking ${line#I: Unpacking }" ;;
    "I: Configuring "*) [ "$stage" = configure ] || { stage=configure; n=0; }; n=$((n + 1)); progress $(( 75 + n * 15 / (n + 20) )) "configuring ${line#I: Configuring }" ;;
  esac
done
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || { tail -40 "$rootfs/debootstrap/debootstrap.log" 2>/dev/null >&2 || true; die "debootstrap failed (exit $rc)"; }
debootstrapped=$(date +%s)

progress 91 "trimming the root file system"
# What an image never needs: downloaded packages, package lists, docs (the copyright files stay), man pages, locales.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/man "$rootfs"/usr/share/locale "$rootfs"/usr/share/info
find "$rootfs/usr/share/doc" -type f ! -name copyright -delete 2>/dev/null || true
find "$rootfs" -name '__pycache__' -prune -o -name '*.pyc' -print0 | xargs -0 rm -f 2>/dev/null || true
printf '%s\n' "$suite" "$variant" "${packages[@]}" >"$rootfs/etc/cubelab-model-image"

progress 93 "importing into the Docker engine"
tar --numeric-owner -C "$rootfs" -c . | "${DOCKER[@]}" import \
  --change 'ENV LANG=C.UTF-8' --change 'ENV PYTHONDONTWRITEBYTECODE=1' --change 'CMD ["python3"]' \
  --message "debootstrap --variant=$variant $suite + ${packages[*]}" - "$IMAGE" >/dev/null \
  || die "docker import failed"
done_at=$(date +%s)
size=$("${DOCKER[@]}" image inspect -f '{{.Size}}' "$IMAGE")
say "built $IMAGE in $((done_at - started)) s (debootstrap $((debootstrapped - started)) s, import $((done_at - debootstrapped)) s); size $((size / 1000000)) MB"
progress 100 "$IMAGE is ready"
