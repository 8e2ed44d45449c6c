#!/usr/bin/env bash
# Installs axe-core (Deque's accessibility engine, from the npm registry) for the accessibility
# tests (tests/it/a11y.rs), into target/npm/node_modules/axe-core: outside the sources, gone with
# `cargo clean`. The version is pinned here and in the test's message. Idempotent: does nothing
# when that version is there. Needs Node.js's npm (Debian's nodejs and npm).
set -euo pipefail
cd "$(dirname "$0")/.."

version="4.10.3"
prefix="target/npm"
installed="$prefix/node_modules/axe-core/package.json"

if [ -f "$installed" ] && grep -q "\"version\": \"$version\"" "$installed"; then
  echo "install-axe: axe-core $version is installed"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq nodejs npm
fi

mkdir -p "$prefix"
for attempt in 1 2 3; do
  if npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts "axe-core@$version"; then
    break
  fi
  if [ "$attempt" -eq 3 ]; then
    echo "install-axe: could not install axe-core $version from the npm registry" >&2
    exit 1
  fi
  echo "install-axe: npm failed (attempt $attempt), retrying in 10 s" >&2
  sleep 10
done
test -f "$prefix/node_modules/axe-core/axe.min.js"
echo "install-axe: axe-core $version installed in $prefix"
