#!/usr/bin/env bash
# Install and run the demo on Wuhan (needs the reference bundle: SERVICE_DATA_DIR, default ../shared/data).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVICECIRCLE_SKIP_SYSTEM=1 bash scripts/install.sh
if [ -z "${SERVICE_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  SERVICE_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export SERVICE_DATA_DIR="${SERVICE_DATA_DIR:-}"
exec .venv/bin/servicecircle demo "$@"
