"""Generate the ILLUSTRATIVE demo facility registers in data/demo/ (seeded, reproducible).

These registers are NOT official data. They are placed at or near real OpenStreetMap locations
from the reference bundle (``SERVICE_DATA_DIR``): 街道办事处 (town_hall), community centres,
graveyards and cemeteries in the seven central districts of Wuhan. Every row is marked 示例.
They exist to exercise the platform the way real county registers do: an Excel register in
GCJ-02 (高德 picker coordinates), a GBK CSV in WGS84 with 街道办事处-style names and one swapped
and one nameless row, a UTF-8-BOM CSV in BD-09 (百度 coordinates), and a GeoJSON.

The registers of the plans' own regions (珠山区 360203, 江门 4407, 泰州 3212), from
:func:`plan_region_registers`, are made the same way with their own seeds: the township-level
ones of 珠山区 sit at real OSM points of the bundle's 景德镇 file inside 珠山区 and declare no
township (the township comes from where the point lies, as with a 高德-picker export); those of
江门 and 泰州, where the bundle has no POIs, declare their 乡镇（街道） and have no coordinates. The
village-level registers (社区日间照料机构, 农村互助养老服务设施) declare their 乡镇（街道） and 社区/村 —
by official name, by a shortened name (新厂村 for 新厂村委会) or by 12-digit code — from the
committed official list (data/divisions, MIT). Nothing here is derived from the bundle's township
polygons (no licence).

Run: ``SERVICE_DATA_DIR=../shared/data python scripts/make_demo_registers.py``.
Data © OpenStreetMap contributors (ODbL 1.0).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.bundle import bundle_path
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02

SEED = 20251125
COUNTIES = ["420102"]
CITY = ["420102", "420103", "420104", "420105", "420106", "420107", "420111"]
OUT = Path(__file__).resolve().parent.parent / "data" / "demo"
MARK = "示例数据（非官方，据OSM位置生成）"
MARK_LIST = "示例数据（非官方，据官方区划名录随机生成）"


def _jitter(rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray, lo_m: float, hi_m: float):
    r = rng.uniform(lo_m, hi_m, len(lon))
    a = rng.uniform(0, 2 * np.pi, len(lon))
    dlat = r * np.sin(a) / 111_000.0
    dlon = r * np.cos(a) / (111_000.0 * np.cos(np.radians(lat)))
    return lon + dlon, lat + dlat


def main() -> int:
    rng = np.random.default_rng(SEED)
    counties = gpd.read_file(bundle_path("counties_wgs84")).set_crs(4326, allow_override=True)
    city = counties[counties["adcode"].astype(str).isin(CITY)][["adcode", "geometry"]]
    counties = counties[counties["adcode"].astype(str).isin(COUNTIES)][["adcode", "geometry"]]
    pois = gpd.read_file(bundle_path("pois_wuhan"))
    pois = pois.sjoin(counties, predicate="within").drop(columns="index_right")
    pois = pois.sort_values(["adcode", "osm_id"]).reset_index(drop=True)
    halls = pois[(pois["fclass"] == "town_hall") & pois["name"].str.contains("街道", na=False)]
    halls = halls.assign(street=halls["name"].str.replace("办事处", "").str.rstrip(";"))
    centres = pois[pois["fclass"] == "community_centre"]
    land = gpd.read_file(bundle_path("landuse_wuhan"))
    graves = land[land["fclass"].isin(["graveyard", "cemetery"])]
    graves = graves.sjoin(city, predicate="within").drop(columns="index_right")
    graves = graves.sort_values("osm_id").drop_duplicates("osm_id").reset_index(drop=True)
    OUT.mkdir(parents=True, exist_ok=True)

    # 养老服务中心: ~70 % of 街道 get one near the 街道办事处, plus the community centres. GCJ-02.
    pick = halls[rng.random(len(halls)) < 0.7]
    lon, lat = _jitter(rng, pick.geometry.x.values, pick.geometry.y.values, 60, 250)
    c_lon, c_lat = centres.geometry.x.values, centres.geometry.y.values
    lon = np.concatenate([lon, c_lon])
    lat = np.concatenate([lat, c_lat])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    names = [f"示例·{s}综合养老服务中心" for s in pick["street"]] + [
        f"示例·{n or '社区'}嵌入式养老服务站" for n in centres["name"].fillna("")
    ]
    elderly = pd.DataFrame(
        {
            "序号": range(1, len(names) + 1),
            "机构名称": names,
            "类型": ["街道综合养老服务中心"] * len(pick) + ["社区养老服务站"] * len(centres),
            "所属街道": list(pick["street"]) + [""] * len(centres),
            "经度": np.round(g_lon, 6),
            "纬度": np.round(g_lat, 6),
            "地址": [f"武汉市（示例地址 {i}）" for i in range(1, len(names) + 1)],
            "备注": MARK,
        }
    )
    with pd.ExcelWriter(OUT / "养老服务中心_示例_GCJ02.xlsx", engine="openpyxl") as xw:
        elderly.to_excel(xw, sheet_name="养老服务中心", index=False)

    # 社工站: ~85 % of 街道, names as 街道办事处, WGS84, GBK; one swapped row, one nameless row.
    pick = halls[rng.random(len(halls)) < 0.85]
    lon, lat = _jitter(rng, pick.geometry.x.values, pick.geometry.y.values, 30, 150)
    social = pd.DataFrame(
        {
            "站点名称": [f"示例·{s}社工站" for s in pick["street"]],
            "所属乡镇（街道）": [s.replace("街道", "街道办事处") for s in pick["street"]],
            "lng": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "备注": MARK,
        }
    ).reset_index(drop=True)
    social.loc[3, ["lng", "lat"]] = social.loc[3, ["lat", "lng"]].to_numpy(
        copy=True
    )  # swapped lon/lat
    social.loc[7, "站点名称"] = ""  # nameless row: rejected, reported
    social.to_csv(OUT / "社工站_示例_GBK.csv", index=False, encoding="gbk")

    # 未成年人保护工作站: ~45 % of 街道, BD-09 (百度 picker), UTF-8 with BOM.
    pick = halls[rng.random(len(halls)) < 0.45]
    lon, lat = _jitter(rng, pick.geometry.x.values, pick.geometry.y.values, 40, 200)
    b_lon, b_lat = wgs84_to_bd09(lon, lat)
    minors = pd.DataFrame(
        {
            "名称": [f"示例·{s}未成年人保护工作站" for s in pick["street"]],
            "街道": list(pick["street"]),
            "经度": np.round(b_lon, 6),
            "纬度": np.round(b_lat, 6),
            "备注": MARK,
        }
    )
    minors.to_csv(OUT / "未成年人保护工作站_示例_BD09.csv", index=False, encoding="utf-8-sig")

    # 骨灰安放设施: OSM graveyards/cemeteries, GeoJSON WGS84.
    cremains = gpd.GeoDataFrame(
        {
            "name": [f"示例·{n or '公益性'}骨灰安放设施" for n in graves["name"].fillna("")],
            "type": "公益性骨灰堂（示例）",
            "note": MARK,
        },
        geometry=graves.geometry.values,
        crs=4326,
    )
    cremains.to_file(OUT / "骨灰安放设施_示例.geojson", driver="GeoJSON")
    print(
        f"wrote {len(elderly)} 养老, {len(social)} 社工站, {len(minors)} 未保, "
        f"{len(cremains)} 骨灰 illustrative rows to {OUT}"
    )
    for region in PLAN_REGIONS:
        for path, n in plan_region_registers(region).items():
            print(f"wrote {n} illustrative rows to {path}")
    return 0


#: the plans' own regions: code -> (name, seed, share covered per township layer, village layers)
PLAN_REGIONS: dict[str, tuple[str, int, dict[str, float], dict[str, float]]] = {
    "360203": (
        "珠山区",
        360203,
        {
            "elderly_care": 0.7,
            "social_work": 0.9,
            "minor_protection": 0.6,
            "civil_station": 0.8,
            "cremains": 0.1,
        },
        {"day_care": 0.85, "mutual_aid": 0.75},
    ),
    "4407": (
        "江门市",
        4407,
        {"elderly_care": 0.55, "social_work": 0.95, "minor_protection": 0.5, "cremains": 0.08},
        {"day_care": 0.8},
    ),
    "3212": (
        "泰州市",
        3212,
        {"elderly_care": 0.6, "social_work": 0.9, "minor_protection": 0.85, "cremains": 0.9},
        {"mutual_aid": 0.6},
    ),
}

_LABELS = {
    "elderly_care": "养老服务中心",
    "social_work": "社工站",
    "minor_protection": "未成年人保护工作站",
    "civil_station": "民政服务站",
    "cremains": "骨灰安放设施",
    "day_care": "社区日间照料机构",
    "mutual_aid": "农村互助养老服务设施",
}


def plan_region_file(region: str, layer: str) -> Path:
    """Where the illustrative register of one layer of a plan region is written."""
    name = PLAN_REGIONS[region][0]
    suffix = ".xlsx" if layer in ("elderly_care", "day_care") else ".csv"
    return OUT / f"{name}_{_LABELS[layer]}_示例{suffix}"


def _short(name: str) -> str:
    for word in ("社区居委会", "居委会", "村委会", "村民委员会"):
        if name.endswith(word):
            return name[: -len(word)] + ("社区" if "居" in word else "村")
    return name


def plan_region_registers(region: str) -> dict[Path, int]:
    """Write the illustrative registers of one plan region; returns path -> rows."""
    from geo.divisions import counties_in, townships_of
    from geo.villages import villages_of

    name, seed, township_shares, village_shares = PLAN_REGIONS[region]
    rng = np.random.default_rng(seed)
    codes = counties_in(region)["code"].tolist()
    towns = townships_of(codes)
    villages = villages_of(codes)
    points = None
    if region == "360203":
        counties = gpd.read_file(bundle_path("counties_wgs84")).set_crs(4326, allow_override=True)
        area = counties[counties["adcode"].astype(str) == region][["geometry"]]
        pois = gpd.read_file(bundle_path("pois_jingdezhen")).sjoin(area, predicate="within")
        points = pois.sort_values("osm_id").reset_index(drop=True)
    written: dict[Path, int] = {}
    for layer, share in township_shares.items():
        label = _LABELS[layer]
        if points is not None:
            n = max(1, round(share * len(towns)))
            pick = points.iloc[rng.choice(len(points), size=n, replace=False)]
            lon, lat = _jitter(rng, pick.geometry.x.values, pick.geometry.y.values, 20, 120)
            table = pd.DataFrame(
                {
                    "名称": [f"示例·{name}{label}{i + 1}" for i in range(n)],
                    "类型": label,
                    "经度": np.round(lon, 6),
                    "纬度": np.round(lat, 6),
                    "地址": [f"{name}（示例地址，OSM {o}）" for o in pick["osm_id"]],
                    "备注": MARK,
                }
            )
        else:
            pick = towns[rng.random(len(towns)) < share]
            table = pd.DataFrame(
                {
                    "名称": [f"示例·{t}{label}" for t in pick["name"]],
                    "类型": label,
                    "所属乡镇": list(pick["name"]),
                    "行政区划代码": list(pick["code"]),
                    "备注": MARK_LIST,
                }
            )
        path = plan_region_file(region, layer)
        _write(table, path)
        written[path] = len(table)
    town_names = dict(zip(towns["code"], towns["name"]))
    for layer, share in village_shares.items():
        kind = "社区" if layer == "day_care" else "村"
        units = villages[villages["kind"] == kind]
        pick = units[rng.random(len(units)) < share].reset_index(drop=True)
        how = rng.choice(["name", "short", "code"], size=len(pick), p=[0.4, 0.3, 0.3])
        suffix = "日间照料中心" if layer == "day_care" else "互助养老服务点"
        table = pd.DataFrame(
            {
                "名称": [f"示例·{_short(v)}{suffix}" for v in pick["name"]],
                "类型": _LABELS[layer],
                "所属乡镇": [town_names.get(t, "") for t in pick["township_code"]],
                "所属社区/村": [
                    v if h == "name" else (_short(v) if h == "short" else "")
                    for v, h in zip(pick["name"], how)
                ],
                "村级区划代码": [c if h == "code" else "" for c, h in zip(pick["code"], how)],
                "备注": MARK_LIST,
            }
        )
        path = plan_region_file(region, layer)
        _write(table, path)
        written[path] = len(table)
    return written


def _write(table: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            table.to_excel(xw, sheet_name="登记表", index=False)
    else:
        table.to_csv(path, index=False, encoding="utf-8-sig")


if __name__ == "__main__":
    sys.exit(main())
