#!/usr/bin/env bash
# Builds the model image the model tier and the Predict e2e test run (cubelab/python-sklearn:<key>, Debian's
# python3-sklearn and python3-pil, debootstrap'd offline) through the same script the demo's Configure uses,
# once per machine: a second run finds the image and returns at once. Prints the build time and the size.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$(date +%s)
# debootstrap's per-package lines and the progress lines go to the log only.
log=/tmp/cubelab-model-image.log
if ! bash "$here/../../scripts/build-model-image.sh" >"$log" 2>&1; then
  tail -30 "$log" >&2
  echo "setup-model-image: the build failed (log: $log)" >&2
  exit 1
fi
grep '^build-model-image: ' "$log" || true
image="$(bash "$here/../../scripts/build-model-image.sh" --name)"
docker image inspect "$image" >/dev/null 2>&1 || { echo "setup-model-image: $image is missing after the build" >&2; exit 1; }
echo "setup-model-image: $image ready ($(( $(docker image inspect -f '{{.Size}}' "$image") / 1000000 )) MB; this step took $(( $(date +%s) - start )) s)"
