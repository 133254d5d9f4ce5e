"""Candidate sites: generated (uncovered township seats, unreached homes, a grid) or read from a file."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from servicecircle.workflows import WGS84, CoverageRun, ReachRun

CANDIDATE_METHODS = ("seats", "residential", "grid")


def generate_candidates(
    run: CoverageRun,
    reach: ReachRun,
    *,
    layer: str = "elderly_care",
    methods: Sequence[str] = ("seats", "residential"),
    grid_spacing_m: float = 500.0,
    max_candidates: int = 500,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """Candidate sites made automatically.

    ``seats``: township-seat points of townships without a facility of the layer;
    ``residential``: residential points left outside the service circle;
    ``grid``: a square grid of ``grid_spacing_m`` over the region. At most ``max_candidates``
    (seeded sample of the residential and grid ones; seats are always kept).
    """
    bad = [m for m in methods if m not in CANDIDATE_METHODS]
    if bad:
        raise InputError(f"unknown candidate method(s) {bad}; use {', '.join(CANDIDATE_METHODS)}")
    rng = np.random.default_rng(seed)
    parts = []
    if "seats" in methods and run.region.seats is not None:
        covered = set(run.townships.loc[run.townships[f"covered_{layer}"], "code"])
        seats = run.region.seats[~run.region.seats["code"].isin(covered)]
        parts.append(
            gpd.GeoDataFrame(
                {"name": seats["name"] + "（街道办事处附近）", "source": "未覆盖乡镇驻地"},
                geometry=seats.geometry.values,
                crs=WGS84,
            )
        )
    pool = []
    if "residential" in methods and len(reach.uncovered):
        u = reach.uncovered
        pool.append(
            gpd.GeoDataFrame(
                {"name": u["name"].replace("", "居住小区").values, "source": "服务圈外居住点"},
                geometry=u.geometry.values,
                crs=WGS84,
            )
        )
    if "grid" in methods:
        area = shapely.union_all(list(run.region.county_polygons.geometry))
        metric = gpd.GeoSeries([area], crs=WGS84).estimate_utm_crs()
        a = gpd.GeoSeries([area], crs=WGS84).to_crs(metric).iloc[0]
        x0, y0, x1, y1 = a.bounds
        xs, ys = np.meshgrid(np.arange(x0, x1, grid_spacing_m), np.arange(y0, y1, grid_spacing_m))
        pts = gpd.GeoSeries(gpd.points_from_xy(xs.ravel(), ys.ravel()), crs=metric)
        pts = pts[pts.within(a)].to_crs(WGS84)
        pool.append(
            gpd.GeoDataFrame(
                {
                    "name": ["网格点"] * len(pts),
                    "source": [f"{grid_spacing_m:g} m 网格"] * len(pts),
                },
                geometry=pts.values,
                crs=WGS84,
            )
        )
    fixed = pd.concat(parts, ignore_index=True) if parts else None
    room = max_candidates - (len(fixed) if fixed is not None else 0)
    if pool and room > 0:
        p = pd.concat(pool, ignore_index=True)
        if len(p) > room:
            p = p.iloc[np.sort(rng.choice(len(p), size=room, replace=False))]
        parts.append(p)
    if not parts:
        raise InputError(
            "no candidate could be generated: every township is covered and no "
            "residential point is outside the service circle; give candidates instead"
        )
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=WGS84)
    out.insert(0, "site_id", [f"C{i + 1:03d}" for i in range(len(out))])
    return out


def candidates_from_file(spec, region, *, source: str = "上传候选点"):
    """Candidate sites from a register-like file (same reader and validation as registers).

    Returns ``(candidates, report)``: the rows with coordinates (``name, source, geometry``)
    and the validation report; InputError when no row has usable coordinates.
    """
    from servicecircle.workflows import import_registers

    imported = import_registers([spec], region)
    pts = imported.facilities[imported.facilities.geometry.notna()]
    if pts.empty:
        name = getattr(spec.source, "name", None) or spec.source[1]
        raise InputError(
            f"候选点文件 {name!r} 没有可用的坐标行；请检查名称和经纬度列（见校验报告的同类提示）。"
        )
    cands = gpd.GeoDataFrame(
        {"name": pts["name"].astype(str).values, "source": [source] * len(pts)},
        geometry=pts.geometry.values,
        crs=WGS84,
    )
    return cands, imported.report
