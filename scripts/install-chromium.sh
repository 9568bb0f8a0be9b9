#!/usr/bin/env bash
# install-chromium.sh: make sure Debian's headless-capable Chromium is installed,
# for the report's rendering test (report/render_test.go) and its screenshot.
# Installs the `chromium` package when missing and running as root; otherwise
# says what to run. Prints the browser's path.
set -euo pipefail
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null; then command -v "$b"; exit 0; fi
done
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing: sudo apt-get install chromium" >&2
  exit 2
fi
echo "installing chromium (Debian package)..." >&2
export DEBIAN_FRONTEND=noninteractive
(apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1) ||
  (apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends chromium >/dev/null)
command -v chromium
