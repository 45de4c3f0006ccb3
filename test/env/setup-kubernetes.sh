#!/usr/bin/env bash
# What the kubernetes tier needs besides the Docker engine (setup-docker.sh): openssl, with which the tests make
# the test CA and the certificate of their stand-in Kubernetes API server (test/kubernetes/helpers.ts).
# No Kubernetes is installed: none can run on these machines, and the tier runs against a stand-in of its own.
# Idempotent. Needs root for apt-get when openssl is missing.
set -euo pipefail
if ! command -v openssl >/dev/null; then
  echo "setup-kubernetes: installing openssl"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends openssl >/tmp/cubelab-apt.log 2>&1; then
    apt-get update >>/tmp/cubelab-apt.log 2>&1 || { echo "setup-kubernetes: apt-get update failed (see /tmp/cubelab-apt.log)" >&2; exit 1; }
    apt-get install -y --no-install-recommends openssl >>/tmp/cubelab-apt.log 2>&1 || { echo "setup-kubernetes: apt-get install openssl failed (see /tmp/cubelab-apt.log)" >&2; exit 1; }
  fi
fi
echo "setup-kubernetes: $(openssl version)"
