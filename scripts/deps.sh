#!/usr/bin/env bash
# Installs what building and testing tboard needs, and only what is missing:
# Debian packages with apt-get (run as root, or through sudo), then the web
# UI's npm packages with `npm ci`. Safe to run again; it does nothing when
# everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libmicrohttpd-dev libjansson-dev zlib1g-dev libcurl4-openssl-dev
  libcmark-gfm-dev libcmark-gfm-extensions-dev libpcre2-dev
  libprotobuf-c-dev protobuf-c-compiler libyajl-dev
  nodejs npm chromium
  libexpat1-dev
  libjwt-dev
  libdragonbox-dev
)
# ISA-L's CRC-32C where Debian builds it for this architecture (amd64,
# arm64 and others); without it the record reader keeps its own.
if apt-cache show libisal-dev >/dev/null 2>&1; then
  packages+=(libisal-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# A machine may carry its own Node.js outside Debian's packages; keep it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci only when the lock file changed since the last install.
stamp=web/node_modules/.tboard-lock
if [ ! -f "$stamp" ] || ! cmp -s web/package-lock.json "$stamp"; then
  echo "deps: npm ci in web/"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  cp web/package-lock.json "$stamp"
fi
