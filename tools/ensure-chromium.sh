#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (test/tokens/browser.test.ts) when it is missing,
# so that a fresh CI machine works. Debian's package only: no browser download by playwright.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; then
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends chromium >/dev/null
fi
[ -x /usr/bin/chromium ]
