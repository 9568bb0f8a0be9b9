#!/usr/bin/env bash
# install-axe.sh: install axe-core (npm) where the dashboard's browser test
# (web/browser_evening_test.go, build tag `browser`) finds it:
# web/testdata/axe/node_modules/axe-core/axe.min.js. Not committed (.gitignore).
# Needs npm (Debian: sudo apt-get install npm). Prints the file's path.
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.14.1
dir=web/testdata/axe
file=$dir/node_modules/axe-core/axe.min.js
if [ -f "$file" ] && grep -q "axe v$version" "$file"; then echo "$file"; exit 0; fi
if ! command -v npm >/dev/null; then
  echo "npm is missing: sudo apt-get install npm, then run scripts/install-axe.sh again" >&2
  exit 2
fi
mkdir -p "$dir"
npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$dir" "axe-core@$version" >&2
test -f "$file"
echo "$file"
