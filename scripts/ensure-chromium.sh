#!/usr/bin/env bash
# Make sure a headless Chromium is available for tests/test_browser.py. Uses Debian's `chromium`
# package (Playwright cannot download its own browser offline). Set CHROMIUM=/path to use another one.
set -euo pipefail
bin=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$bin" ]; then exit 0; fi
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null; then
  echo "Chromium not found at $bin and apt-get is not available: install Chromium and set CHROMIUM=/path/to/chromium" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
