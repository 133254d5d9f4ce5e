#!/usr/bin/env bash
# Install servicecircle into ./.venv (Python >= 3.11) with everything it needs.
#   bash scripts/install.sh          # the package, its tests' extras and the browser for e2e tests
# System packages (Debian, when run as root): chromium + chromium-driver for the end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[test]"

if [ "${SERVICECIRCLE_SKIP_SYSTEM:-0}" != "1" ]; then
  need=""
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need="$need fonts-noto-cjk"
  command -v chromium >/dev/null 2>&1 || need="$need chromium"
  command -v chromedriver >/dev/null 2>&1 || need="$need chromium-driver"
  if [ -n "$need" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing Debian packages:$need"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else
      echo "note:$need not installed and not root: the browser end-to-end tests will be skipped" >&2
    fi
  fi
fi
