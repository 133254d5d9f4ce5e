#!/usr/bin/env bash
# Vendor the Leaflet dist files into geo/_vendor/leaflet/ from the npm registry package.
#
# Saved maps inline these files (geo.export.save_html) so a map opens offline, by double-click,
# with no CDN. Run from anywhere; needs npm and tar. Re-run to change LEAFLET_VERSION (and update
# LEAFLET_VERSION in geo/_vendor/__init__.py to match).
set -euo pipefail

LEAFLET_VERSION="${LEAFLET_VERSION:-1.9.4}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/geo/_vendor/leaflet"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "leaflet@${LEAFLET_VERSION}" >/dev/null)
tar -xzf "$work/leaflet-${LEAFLET_VERSION}.tgz" -C "$work"

mkdir -p "$dest/images"
cp "$work/package/dist/leaflet.js" "$work/package/dist/leaflet.css" "$dest/"
cp "$work/package/dist/images/"*.png "$dest/images/"
cp "$work/package/LICENSE" "$dest/LICENSE"
(cd "$dest" && sha256sum leaflet.js leaflet.css images/*.png LICENSE > SHA256SUMS)
echo "vendored leaflet@${LEAFLET_VERSION} into ${dest}"
