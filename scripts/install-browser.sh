#!/usr/bin/env bash
# Installs Debian's headless browser for the browser tests (tests/it/browser.rs): chromium and
# chromium-driver, giving /usr/bin/chromium and /usr/bin/chromedriver. Idempotent: does nothing
# when both are there. Waits and retries while another apt or dpkg holds the lock.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "install-browser: chromium and chromedriver are installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# apt-get waits for the dpkg lock by itself for this long; the loop covers a lock that outlasts it
# and a transient failure to reach the package mirror.
apt() {
  $sudo apt-get -o DPkg::Lock::Timeout=300 "$@"
}

for attempt in 1 2 3 4 5; do
  if apt update -qq && apt install -y -qq chromium chromium-driver; then
    break
  fi
  if [ "$attempt" -eq 5 ]; then
    echo "install-browser: could not install chromium and chromium-driver" >&2
    exit 1
  fi
  echo "install-browser: apt failed (attempt $attempt), retrying in 20 s" >&2
  sleep 20
done

/usr/bin/chromium --version 2>/dev/null | grep -v "unexpected operator" || true
/usr/bin/chromedriver --version
