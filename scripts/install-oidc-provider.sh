#!/usr/bin/env bash
# Installs the OpenID provider the single sign-on tests start (tests/it/oidc.rs): the npm package
# `oidc-provider`, pinned, into target/oidc-provider (outside the sources; target/ is ignored).
# Needs Node.js 20 or later and npm; installs Debian's nodejs and npm when they are missing.
# Idempotent: does nothing when the pinned version is there.
set -euo pipefail
cd "$(dirname "$0")/.."

version="9.13.3"
dir="target/oidc-provider"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq nodejs npm
fi

if [ -f "$dir/node_modules/oidc-provider/package.json" ] &&
  grep -q "\"version\": \"$version\"" "$dir/node_modules/oidc-provider/package.json"; then
  echo "install-oidc-provider: oidc-provider $version is installed in $dir"
  exit 0
fi

mkdir -p "$dir"
cat >"$dir/package.json" <<JSON
{ "name": "rambok-test-oidc-provider", "private": true, "type": "module",
  "dependencies": { "oidc-provider": "$version" } }
JSON
for attempt in 1 2 3; do
  if (cd "$dir" && npm install --no-audit --no-fund --loglevel=error); then
    break
  fi
  if [ "$attempt" -eq 3 ]; then
    echo "install-oidc-provider: could not install oidc-provider $version" >&2
    exit 1
  fi
  sleep 10
done
node --version
echo "install-oidc-provider: oidc-provider $version installed in $dir"
