#!/usr/bin/env bash
# Installs what the e2e and integration tiers (and `npm start`) need: Debian's headless Chromium, the build
# tools code-server's native modules need, ripgrep, and code-server itself (VS Code 1.100.3 served to a
# browser) in test/env/vscode/. Idempotent: a second run that finds everything in place returns at once.
# Only the Debian archive and the npm registry are used (see docs/environment.md, "A real VS Code, headless").
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# The @vscode/ripgrep version code-server 4.100.3's lock file pins; its postinstall downloads rg from GitHub
# into a cache folder named after it unless the archive is already there.
RIPGREP_PKG_VERSION=1.15.11
RIPGREP_ARCHIVE=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
DEBIAN_PACKAGES=(pkg-config libx11-dev libxkbfile-dev libsecret-1-dev libkrb5-dev ripgrep chromium)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$here/vscode"
marker="$dir/node_modules/.cubelab-installed-$CODE_SERVER_VERSION"

fail() { echo "setup-vscode: ERROR: $*" >&2; exit 1; }
say() { echo "setup-vscode: $*"; }

# ---- Debian packages -------------------------------------------------------------------------------------
missing=()
installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${DEBIAN_PACKAGES[@]}" 2>/dev/null | awk '/install ok installed/ {print $1}' | sed 's/:.*//' || true)"
for p in "${DEBIAN_PACKAGES[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "Debian packages missing (${missing[*]}) and not root: run this script as root, or install them with apt-get."
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when the package lists do not know a package (a fresh machine has no lists).
  needs_update=0
  for p in "${missing[@]}"; do
    cand="$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')"
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then needs_update=1; break; fi
  done
  if ((needs_update)); then
    say "apt-get update (the package lists do not know every package yet)"
    "${sudo[@]}" apt-get update -q || fail "apt-get update failed: is the Debian archive reachable?"
  fi
  "${sudo[@]}" apt-get install -y -q "${missing[@]}" \
    || fail "apt-get install ${missing[*]} failed (see apt's output above)."
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing after installing Debian's chromium package."
command -v rg >/dev/null || fail "ripgrep (rg) is missing after installing Debian's ripgrep package."

# ---- code-server -----------------------------------------------------------------------------------------
if [ -f "$marker" ] && [ -x "$dir/node_modules/.bin/code-server" ]; then
  say "code-server $CODE_SERVER_VERSION already installed in $dir"
  exit 0
fi

command -v npm >/dev/null || fail "npm is not on PATH."
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || say "warning: code-server $CODE_SERVER_VERSION is built for Node 20; this is Node $(node -v)."

# Pre-seed the ripgrep download with Debian's rg (GitHub is not reachable from here).
cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
if [ ! -s "$cache/$RIPGREP_ARCHIVE" ]; then
  say "seeding the ripgrep cache $cache with $(command -v rg)"
  mkdir -p "$cache"
  tar -C "$(dirname "$(command -v rg)")" -czf "$cache/$RIPGREP_ARCHIVE" rg || fail "could not write $cache/$RIPGREP_ARCHIVE"
fi

# Native modules are built against the local Node headers when present (node-gyp would download them).
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

say "installing code-server@$CODE_SERVER_VERSION in $dir (takes a minute or two: it builds native modules)"
# The log stays in node_modules/, which git ignores.
mkdir -p "$dir/node_modules"
log="$dir/node_modules/.cubelab-install.log"
# unsafe_perm: code-server's postinstall runs nested npm installs that must keep root's permissions.
if ! (cd "$dir" && npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund >"$log" 2>&1); then
  tail -n 40 "$log" >&2
  fail "npm install code-server@$CODE_SERVER_VERSION failed; full log: $log"
fi
"$dir/node_modules/.bin/code-server" --version >/dev/null 2>&1 \
  || { tail -n 40 "$log" >&2; fail "code-server was installed but does not start ($dir/node_modules/.bin/code-server --version); log: $log"; }
[ -x "$dir/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] \
  || fail "code-server's ripgrep is missing (was the cache $cache seeded?); log: $log"
touch "$marker"
say "code-server $("$dir/node_modules/.bin/code-server" --version | head -n 1) installed"
