#!/usr/bin/env bash
# Installs Debian's headless Chromium for the report's browser test (tests/picture), when it is missing
# and apt-get can be used (root). Idempotent and never fatal for the suite: without a browser that
# one test skips, saying why.
set -euo pipefail
for name in chromium chromium-headless-shell chrome-headless-shell google-chrome; do
  if command -v "$name" >/dev/null 2>&1; then
    echo "browser present: $(command -v "$name")"
    exit 0
  fi
done
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "no Chromium, and apt-get cannot install one here: the report's browser test will skip" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium-headless-shell >&2
echo "browser installed: $(command -v chromium-headless-shell)"
