#!/usr/bin/env bash
# Install and run the whole test suite: lint, types, unit, bundle and browser end-to-end tests.
# This is the README's test command, and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
VENV=${VENV:-.venv}
if [ -z "${SERVICE_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  SERVICE_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export SERVICE_DATA_DIR="${SERVICE_DATA_DIR:-}"
"$VENV/bin/ruff" check geo analysis servicecircle tests benchmarks scripts app.py
"$VENV/bin/mypy" geo analysis
"$VENV/bin/lint-imports"   # the layers of docs/architecture.md (contracts in pyproject.toml)
"$VENV/bin/python" -m pytest "$@"
