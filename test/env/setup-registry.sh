#!/usr/bin/env bash
# Starts the OCI registries the registry tier (and the registry e2e test) need: Debian's docker-registry
# (distribution 2.8), loopback only, three instances with their own storage under test/out/registry/:
#   - 127.0.0.1:5010  no auth, plain HTTP (allowed for loopback only), deletes enabled;
#   - 127.0.0.1:5011  htpasswd auth behind TLS, with a CA and a server certificate this script makes (openssl);
#   - 127.0.0.1:5012  `auth: token`, plain HTTP; its tokens come from the tests' own token issuer, a stand-in
#                     the tests start on 127.0.0.1:5013 (test/registry/tokenIssuer.ts), signed with the key
#                     this script makes (the registry trusts its certificate).
# Idempotent: an instance that answers is left as it is; keys, certificates and passwords are made once.
# Needs root for apt-get when docker-registry, openssl or python3 is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(cd "$HERE/.." && pwd)/out/registry"
LOG=/tmp/cubelab-registry-tier.log
die() { echo "setup-registry: $*" >&2; exit 1; }

need=()
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-registry: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${need[@]}" >/tmp/cubelab-apt.log 2>&1; then
    apt-get update >>/tmp/cubelab-apt.log 2>&1 || die "apt-get update failed (see /tmp/cubelab-apt.log)"
    apt-get install -y --no-install-recommends "${need[@]}" >>/tmp/cubelab-apt.log 2>&1 || die "apt-get install ${need[*]} failed (see /tmp/cubelab-apt.log)"
  fi
fi

mkdir -p "$OUT"/{plain,tls,token,ca}
umask 077

# ---- the test CA and the TLS registry's certificate (127.0.0.1 and localhost)
if [ ! -s "$OUT/ca/ca.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=CubeLab test CA" \
    -keyout "$OUT/ca/ca.key" -out "$OUT/ca/ca.pem" >/dev/null 2>&1 || die "openssl could not make the test CA"
  rm -f "$OUT/tls/server.pem"
fi
if [ ! -s "$OUT/tls/server.pem" ]; then
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" -keyout "$OUT/tls/server.key" -out "$OUT/tls/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$OUT/tls/ext.cnf"
  openssl x509 -req -in "$OUT/tls/server.csr" -CA "$OUT/ca/ca.pem" -CAkey "$OUT/ca/ca.key" -CAcreateserial -days 3650 -sha256 \
    -extfile "$OUT/tls/ext.cnf" -out "$OUT/tls/server.pem" >/dev/null 2>&1 || die "openssl could not sign the registry's certificate"
fi
# ---- htpasswd (bcrypt, from python3's crypt over libxcrypt): user cubelab, a password made here once
if [ ! -s "$OUT/tls/password" ]; then
  openssl rand -hex 12 >"$OUT/tls/password"
  rm -f "$OUT/tls/htpasswd"
fi
if [ ! -s "$OUT/tls/htpasswd" ]; then
  python3 -W ignore -c 'import crypt,sys; p=open(sys.argv[1]).read().strip(); print("cubelab:" + crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
    "$OUT/tls/password" >"$OUT/tls/htpasswd" || die "could not write the htpasswd file"
fi
# ---- the token issuer's signing key and certificate (the registry trusts this certificate)
if [ ! -s "$OUT/token/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=CubeLab test token issuer" \
    -keyout "$OUT/token/key.pem" -out "$OUT/token/cert.pem" >/dev/null 2>&1 || die "openssl could not make the token key"
fi
[ -s "$OUT/token/password" ] || openssl rand -hex 12 >"$OUT/token/password"
umask 022

config() { # name addr extra-yaml
  mkdir -p "$OUT/$1/data"
  cat >"$OUT/$1/config.yml" <<CONFIG
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $OUT/$1/data}, delete: {enabled: true}}
http:
  addr: $2
$3
CONFIG
}
config plain 127.0.0.1:5010 ""
config tls 127.0.0.1:5011 "  tls: {certificate: $OUT/tls/server.pem, key: $OUT/tls/server.key}
auth: {htpasswd: {realm: cubelab-test, path: $OUT/tls/htpasswd}}"
config token 127.0.0.1:5012 "auth:
  token: {realm: 'http://127.0.0.1:5013/token', service: cubelab-test-registry, issuer: cubelab-test-issuer, rootcertbundle: $OUT/token/cert.pem}"

answers() { # url: any HTTP answer (401 included) means the registry is up
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$OUT/ca/ca.pem" "$1" 2>/dev/null || true)
  [ "$code" = 200 ] || [ "$code" = 401 ]
}
start() { # name url port
  # A registry another clone of the project started on this port serves that clone's certificates and trusts its
  # token key: it is replaced by this clone's (the ports are fixed, so two clones cannot each have their own).
  local pid cmd
  pid=$(ss -Hltnp "sport = :$3" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
  if [ -n "$pid" ]; then
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    if [[ "$cmd" == *docker-registry* && "$cmd" != *"$OUT/$1/config.yml"* ]]; then
      echo "setup-registry: the registry on port $3 is another clone's ($cmd); starting this clone's instead"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do ss -Hltn "sport = :$3" 2>/dev/null | grep -q . || break; sleep 0.25; done
    fi
  fi
  if answers "$2"; then return; fi
  echo "setup-registry: starting docker-registry $1 on $2 (log: $LOG)"
  setsid /usr/bin/docker-registry serve "$OUT/$1/config.yml" >>"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 40); do answers "$2" && break; sleep 0.25; done
  answers "$2" || { tail -20 "$LOG" >&2 || true; die "docker-registry $1 did not answer on $2"; }
}
start plain http://127.0.0.1:5010/v2/ 5010
start tls https://127.0.0.1:5011/v2/ 5011
start token http://127.0.0.1:5012/v2/ 5012
echo "setup-registry: registries on 127.0.0.1:5010 (no auth), 127.0.0.1:5011 (TLS + htpasswd), 127.0.0.1:5012 (token; issuer: the tests' stand-in on 5013)"
