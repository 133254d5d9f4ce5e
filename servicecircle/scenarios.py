"""Siting scenarios on a region: candidates, best k, fewest sites, what-if — saved and compared.

Geometry is adapted here (snapping, bounded searches, township lookup); the solvers in
:mod:`analysis.siting` and the arithmetic in :mod:`analysis.scenario` only see arrays.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix

from servicecircle._errors import InputError
from servicecircle.workflows import WGS84, CoverageRun, ReachRun, Streets, _group_of

CANDIDATE_METHODS = ("seats", "residential", "grid")


@dataclass(frozen=True)
class SitingProblem:
    """Everything a siting question needs, built once per scenario family and reused."""

    run: CoverageRun
    reach: ReachRun
    streets: Streets
    layer: str
    facilities: gpd.GeoDataFrame  # existing sites of the layer (reset index)
    candidates: gpd.GeoDataFrame  # site_id, name, source, township_code, snapped
    demand: gpd.GeoDataFrame  # from the reach run (reset index)
    coverage: csr_matrix  # candidates × demand, within the budget
    existing: csr_matrix  # facilities × demand, within the budget
    demand_snaps: pd.DataFrame
    counted: np.ndarray  # demand points on the network (snapped)
    build_s: float
    township_polygons: np.ndarray  # shapely polygons of the region's townships (for clicks)
    township_codes: np.ndarray  # their codes, aligned


@dataclass(frozen=True)
class Scenario:
    """One answered siting question: chosen sites, reach and plan status before and after."""

    name: str
    kind: str  # best_k | fewest_share | township_target | what_if
    chosen: gpd.GeoDataFrame  # order, site_id, name, township, gain_weight, gain_points
    closed: tuple[str, ...]
    reach_by_township: pd.DataFrame  # before/after shares per township
    reach_total: pd.DataFrame  # one row per county: before/after
    coverage: pd.DataFrame  # township coverage of the layer vs targets: before/after status
    solver: str
    status: str
    gap: float
    time_s: float
    notes: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)


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


def siting_problem(
    run: CoverageRun,
    reach: ReachRun,
    streets: Streets,
    candidates: gpd.GeoDataFrame,
    *,
    layer: str = "elderly_care",
    snap_max_m: float = 300.0,
) -> SitingProblem:
    """Snap candidates and demand, and build the candidate × demand coverage matrix once."""
    from analysis import reach as engine

    t0 = time.perf_counter()
    if candidates is None or len(candidates) == 0:
        raise InputError(
            "the candidate list is empty: upload candidates, click the map, or "
            "generate them (seats / residential / grid)"
        )
    cands = candidates.reset_index(drop=True).to_crs(WGS84)
    if "site_id" not in cands.columns:
        cands.insert(0, "site_id", [f"C{i + 1:03d}" for i in range(len(cands))])
    if "name" not in cands.columns:
        cands["name"] = cands["site_id"]
    arrays = streets.arrays
    demand = reach.demand.reset_index(drop=True)
    dsnap = engine.snap_points(arrays, demand, max_distance_m=snap_max_m)
    csnap = engine.snap_points(arrays, cands, max_distance_m=snap_max_m)
    fac = run.facilities[(run.facilities["layer"] == layer) & run.facilities.geometry.notna()]
    fac = fac.reset_index(drop=True)
    fsnap = engine.snap_points(arrays, fac, max_distance_m=snap_max_m)
    kw = {"minutes": reach.minutes, "walk_speed_m_s": reach.walk_speed_m_s}
    cov = engine.coverage_matrix(arrays, csnap, dsnap, **kw)
    existing = engine.coverage_matrix(arrays, fsnap, dsnap, **kw)
    cands = cands.assign(
        township_code=_group_of(cands, run.region.townships).values,
        snapped=csnap["snapped"].values,
    )
    towns = run.region.townships[run.region.townships.geometry.notna()]
    return SitingProblem(
        run=run,
        reach=reach,
        streets=streets,
        layer=layer,
        facilities=fac,
        candidates=cands,
        demand=demand,
        coverage=csr_matrix(cov),
        existing=csr_matrix(existing),
        demand_snaps=dsnap,
        counted=dsnap["snapped"].to_numpy(dtype=bool),
        build_s=time.perf_counter() - t0,
        township_polygons=np.asarray(towns.geometry.values),
        township_codes=towns["code"].to_numpy(dtype=object),
    )


def _township_of_points(problem: SitingProblem, points: gpd.GeoDataFrame) -> np.ndarray:
    out = np.full(len(points), "", dtype=object)
    for i, pt in enumerate(points.geometry):
        hit = np.flatnonzero(shapely.contains(problem.township_polygons, pt))
        if len(hit):
            out[i] = problem.township_codes[hit[0]]
    return out


def unreachable_candidates(problem: SitingProblem) -> pd.DataFrame:
    """Candidates farther than the snapping distance from any street: reported, never chosen."""
    c = problem.candidates
    return pd.DataFrame(c.loc[~c["snapped"], ["site_id", "name"]])


def _weights(problem: SitingProblem) -> np.ndarray:
    return np.where(problem.counted, problem.demand["weight"].to_numpy(dtype=float), 0.0)


def _groups(problem: SitingProblem) -> np.ndarray:
    return problem.candidates["township_code"].replace("", "（区域外）").to_numpy(dtype=object)


def best_k(
    problem: SitingProblem,
    *,
    k: int,
    solver: str = "exact",
    one_per_township: bool = False,
    must_townships: Sequence[str] = (),
    close: Sequence[str] = (),
    time_limit_s: float = 10.0,
    name: str = "",
) -> Scenario:
    """The k candidates reaching the most (weighted) demand within the budget (MCLP)."""
    from analysis import siting

    closed_idx = _closed_rows(problem, close)
    from analysis.scenario import reached_after

    already = reached_after(problem.existing, close=closed_idx) & problem.counted
    forbidden = np.flatnonzero(~problem.candidates["snapped"].to_numpy(dtype=bool))
    kw = {
        "k": k,
        "already_covered": already,
        "groups": _groups(problem) if one_per_township or must_townships else None,
        "max_per_group": 1 if one_per_township else max(k, 1),
        "must_groups": tuple(must_townships),
        "forbidden": tuple(int(i) for i in forbidden),
    }
    if solver == "exact":
        res = siting.exact_mclp(
            problem.coverage, _weights(problem), time_limit_s=time_limit_s, **kw
        )
    elif solver == "greedy":
        res = siting.greedy_mclp(problem.coverage, _weights(problem), **kw)
        res = siting.swap_improve(
            problem.coverage, _weights(problem), res, **{k2: v for k2, v in kw.items() if k2 != "k"}
        )
    else:
        raise InputError(f"solver={solver!r}; use 'exact' (HiGHS) or 'greedy' (greedy + swap)")
    return _scenario(
        problem,
        res,
        kind="best_k",
        name=name or f"最优{k}处（{res.solver}）",
        closed=tuple(close),
        params={
            "k": k,
            "solver": solver,
            "one_per_township": one_per_township,
            "must_townships": list(must_townships),
        },
    )


def fewest_for_share(
    problem: SitingProblem, *, min_share: float, close: Sequence[str] = (), name: str = ""
) -> Scenario:
    """The fewest candidates so that ``min_share`` of the weighted demand is reached (LSCP)."""
    from analysis import siting
    from analysis.scenario import reached_after

    closed_idx = _closed_rows(problem, close)
    already = reached_after(problem.existing, close=closed_idx) & problem.counted
    forbidden = np.flatnonzero(~problem.candidates["snapped"].to_numpy(dtype=bool))
    res = siting.lscp(
        problem.coverage,
        _weights(problem),
        min_share=min_share,
        already_covered=already,
        forbidden=tuple(int(i) for i in forbidden),
    )
    return _scenario(
        problem,
        res,
        kind="fewest_share",
        name=name or f"达到{min_share:.0%}可达的最少选址",
        closed=tuple(close),
        params={"min_share": min_share},
    )


def fewest_for_township_target(
    problem: SitingProblem, *, target_pct: float, comparator: str = ">=", name: str = ""
) -> Scenario:
    """The fewest new facilities bringing township coverage of the layer to ``target_pct``."""
    from analysis import siting

    t = problem.run.townships
    covered = t.loc[t[f"covered_{problem.layer}"], "code"].tolist()
    score = np.asarray(problem.coverage @ _weights(problem)).ravel()
    ok = problem.candidates["snapped"].to_numpy(dtype=bool)
    units = problem.candidates["township_code"].where(ok, "").to_numpy(dtype=object)
    res = siting.sites_for_unit_target(
        units,
        covered,
        t["code"].tolist(),
        target_share=target_pct / 100.0,
        comparator=comparator,
        candidate_score=score,
    )
    return _scenario(
        problem,
        res,
        kind="township_target",
        name=name or f"乡镇覆盖率达到{target_pct:g}%的最少选址",
        closed=(),
        params={"target_pct": target_pct, "comparator": comparator},
    )


def what_if(
    problem: SitingProblem,
    *,
    open_sites: Sequence[str] = (),
    new_points: gpd.GeoDataFrame | None = None,
    close: Sequence[str] = (),
    name: str = "",
) -> Scenario:
    """Open candidates (by site_id) and/or new clicked points, close existing facilities.

    New points are answered with a bounded local search around each site (no full-graph pass).
    """
    from analysis import reach as engine
    from analysis.siting import SitingResult

    t0 = time.perf_counter()
    ids = problem.candidates["site_id"].tolist()
    unknown = [s for s in open_sites if s not in ids]
    if unknown:
        raise InputError(f"unknown candidate site(s) {unknown}; known ids look like {ids[:3]}")
    chosen = [ids.index(s) for s in open_sites]
    masks = [problem.coverage[j].toarray().ravel().astype(bool) for j in chosen]
    extra = None
    if new_points is not None and len(new_points):
        extra = new_points.reset_index(drop=True).to_crs(WGS84)
        snaps = engine.snap_points(problem.streets.arrays, extra)
        for i in range(len(extra)):
            if not bool(snaps["snapped"].iloc[i]):
                raise InputError(
                    f"new site {i + 1} at ({extra.geometry.iloc[i].x:.6f}, "
                    f"{extra.geometry.iloc[i].y:.6f}) is farther than the snapping distance from "
                    "any street of the network; move it onto a street or load a wider network"
                )
            pr = engine.reach_from_point(
                problem.streets.arrays,
                snaps.iloc[i],
                minutes=problem.reach.minutes,
                walk_speed_m_s=problem.reach.walk_speed_m_s,
                demand_snaps=problem.demand_snaps,
            )
            masks.append(pr.demand_reached.to_numpy(dtype=bool))
    closed_idx = _closed_rows(problem, close)
    from analysis.scenario import reached_after

    before = reached_after(problem.existing) & problem.counted
    base = reached_after(problem.existing, close=closed_idx) & problem.counted
    w = _weights(problem)
    gains, after = [], base.copy()
    for m in masks:
        new = m & problem.counted & ~after
        gains.append(float(w[new].sum()))
        after |= m & problem.counted
    res = SitingResult(
        chosen=tuple(chosen),
        marginal_gain=tuple(gains[: len(chosen)]),
        objective=float(w[after].sum()),
        covered_before=float(w[before].sum()),
        covered_after=float(w[after].sum()),
        share_before=float(w[before].sum() / w.sum()) if w.sum() else float("nan"),
        share_after=float(w[after].sum() / w.sum()) if w.sum() else float("nan"),
        solver="what-if",
        status="evaluated",
        gap=float("nan"),
        bound=float("nan"),
        time_s=time.perf_counter() - t0,
        notes=(),
    )
    return _scenario(
        problem,
        res,
        kind="what_if",
        name=name or "方案测算",
        closed=tuple(close),
        extra_points=extra,
        extra_gains=gains[len(chosen) :],
        open_masks=masks,
        params={
            "open": list(open_sites),
            "close": list(close),
            "new_points": [] if extra is None else [[g.x, g.y] for g in extra.geometry],
        },
    )


def _closed_rows(problem: SitingProblem, close: Sequence[str]) -> list[int]:
    ids = problem.facilities["facility_id"].tolist()
    unknown = [c for c in close if c not in ids]
    if unknown:
        raise InputError(f"cannot close {unknown}: not an existing {problem.layer} facility id")
    return [ids.index(c) for c in close]


def _scenario(
    problem, res, *, kind, name, closed, params, extra_points=None, extra_gains=(), open_masks=None
) -> Scenario:
    from analysis.scenario import reached_after, share_by_group
    from analysis.targets import compare_with_targets

    cands = problem.candidates
    chosen = cands.iloc[list(res.chosen)].copy()
    chosen["gain_weight"] = list(res.marginal_gain)
    if extra_points is not None and len(extra_points):
        ex = extra_points.assign(
            site_id=[f"P{i + 1}" for i in range(len(extra_points))],
            name=extra_points.get(
                "name", pd.Series([f"新增点{i + 1}" for i in range(len(extra_points))])
            ),
            source="地图点选",
            gain_weight=list(extra_gains),
            township_code=_township_of_points(problem, extra_points),
        )
        chosen = pd.concat(
            [chosen, ex[["site_id", "name", "source", "township_code", "gain_weight", "geometry"]]],
            ignore_index=True,
        )
    chosen = gpd.GeoDataFrame(chosen.reset_index(drop=True), geometry="geometry", crs=WGS84)
    chosen.insert(0, "order", range(1, len(chosen) + 1))
    names = problem.run.region.townships.set_index("code")["name"]
    chosen["township"] = chosen["township_code"].map(names).fillna("（区域外）")
    # reach before / after per township
    closed_idx = _closed_rows(problem, closed)
    if open_masks is None:
        open_masks = [problem.coverage[j].toarray().ravel().astype(bool) for j in res.chosen]
    before = reached_after(problem.existing) & problem.counted
    after = (
        reached_after(problem.existing, close=closed_idx, open_masks=open_masks) & problem.counted
    )
    w = problem.demand["weight"].to_numpy(dtype=float)
    groups = problem.demand["township_code"].replace("", "（无乡镇边界）")
    b = share_by_group(before, w, groups, counted=problem.counted)
    a = share_by_group(after, w, groups, counted=problem.counted)
    by_t = _before_after(b, a)
    by_t.insert(1, "name", [names.get(c, c) for c in b.index])
    by_t = by_t.drop(columns=["weight_before", "weight_after"])
    county = problem.demand["county_code"].replace("", "（区域外）")
    total = _before_after(
        share_by_group(before, w, county, counted=problem.counted),
        share_by_group(after, w, county, counted=problem.counted),
    ).drop(columns=["weight_share_before", "weight_share_after"])
    # township coverage of the layer before / after, against the same targets
    run = problem.run
    summary_after = _summary_after(problem, chosen["township_code"].tolist(), list(closed))
    comp_after = compare_with_targets(summary_after, run.targets)
    comp_before = run.comparison[run.comparison["layer"] == problem.layer]
    keys = ["scope", "code", "unit_level", "target_id"]
    cov = comp_before[
        keys + ["name", "held_to", "units", "covered", "rate", "status", "units_needed"]
    ].merge(
        comp_after[keys + ["covered", "rate", "status", "units_needed"]],
        on=keys,
        how="outer",
        suffixes=("_before", "_after"),
    )
    cov = cov[
        cov["status_before"].isin(["达标", "未达标"]) | cov["status_after"].isin(["达标", "未达标"])
    ]
    return Scenario(
        name=name,
        kind=kind,
        chosen=chosen,
        closed=tuple(closed),
        reach_by_township=by_t,
        reach_total=total,
        coverage=cov.reset_index(drop=True),
        solver=res.solver,
        status=res.status,
        gap=res.gap,
        time_s=res.time_s,
        notes=tuple(res.notes),
        params=dict(
            params,
            minutes=problem.reach.minutes,
            walk_speed_m_s=problem.reach.walk_speed_m_s,
            layer=problem.layer,
        ),
    )


def _before_after(b: pd.DataFrame, a: pd.DataFrame) -> pd.DataFrame:
    """Side by side: :func:`analysis.scenario.share_by_group` before (``b``) and after (``a``)."""
    return pd.DataFrame(
        {
            "code": b.index,
            "points": b["points"].values,
            "reached_before": b["points_reached"].values,
            "reached_after": a["points_reached"].values,
            "share_before": b["share_points"].values,
            "share_after": a["share_points"].values,
            "weight_share_before": b["share_weight"].values,
            "weight_share_after": a["share_weight"].values,
            "weight_before": b["weight_reached"].values,
            "weight_after": a["weight_reached"].values,
        }
    )


def _summary_after(
    problem: SitingProblem, new_townships: list[str], closed: list[str]
) -> pd.DataFrame:
    """The layer's coverage summary after opening sites in ``new_townships`` and closing
    facilities, by adjusting the run's summary (no recount of every facility)."""
    run = problem.run
    layer = problem.layer
    fac = run.facilities[run.facilities["layer"] == layer]
    remaining = fac[~fac["facility_id"].isin(set(closed))]
    covered = set(remaining["township_code"]) | {t for t in new_townships if t}
    covered.discard("")
    counties_with = set(remaining["county_code"]) | {t[:6] for t in new_townships if t}
    towns = run.region.townships
    kind = dict(zip(towns["code"], towns["kind"], strict=True))
    names = dict(zip(towns["code"], towns["name"], strict=True))
    county_names = dict(zip(run.region.counties["code"], run.region.counties["name"], strict=True))
    rows = []
    for r in run.summary[run.summary["layer"] == layer].itertuples(index=False):
        d = r._asdict()
        if r.unit_level == "county":
            members = [c for c in county_names if c.startswith(r.code)]
            unc = [c for c in members if c not in counties_with]
            d["uncovered_codes"], d["uncovered_names"] = unc, [county_names[c] for c in unc]
        else:
            members = [c for c in names if c.startswith(r.code)]
            if r.unit_level == "street_only":
                members = [c for c in members if kind[c] == "街道"]
            unc = [c for c in members if c not in covered]
            d["uncovered_codes"], d["uncovered_names"] = unc, [names[c] for c in unc]
        d["covered"] = r.units - len(d["uncovered_codes"])
        d["rate"] = d["covered"] / r.units if r.units else float("nan")
        rows.append(d)
    return pd.DataFrame(rows, columns=run.summary.columns)


def scenario_tables(sc: Scenario) -> dict[str, pd.DataFrame]:
    """A scenario's tables for the workspace and Excel."""
    chosen = pd.DataFrame(sc.chosen.drop(columns="geometry")).assign(
        lon=sc.chosen.geometry.x, lat=sc.chosen.geometry.y
    )
    return {
        "chosen": chosen,
        "reach_by_township": sc.reach_by_township,
        "reach_total": sc.reach_total,
        "coverage": sc.coverage,
    }


def compare_scenarios(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Side by side: sites, reach before/after, township status after, solver and gap."""
    rows = []
    for sc in scenarios:
        tot = sc.reach_total
        pts = tot["points"].sum()
        rows.append(
            {
                "scenario": sc.name,
                "kind": sc.kind,
                "sites": len(sc.chosen),
                "closed": len(sc.closed),
                "share_before": tot["reached_before"].sum() / pts if pts else float("nan"),
                "share_after": tot["reached_after"].sum() / pts if pts else float("nan"),
                "weight_after": tot["weight_after"].sum(),
                "status_after": "、".join(
                    f"{r.held_to}:{r.status_after}"
                    for r in sc.coverage[sc.coverage["scope"] == "county"].itertuples()
                    if isinstance(r.held_to, str)
                ),
                "solver": sc.solver,
                "gap": sc.gap,
                "time_s": sc.time_s,
            }
        )
    return pd.DataFrame(rows)


def new_site_areas(
    problem: SitingProblem, sc: Scenario, *, buffer_m: float = 50.0
) -> gpd.GeoDataFrame:
    """The walking reach of a scenario's new sites (the map's "after" layer), EPSG:4326."""
    from analysis import reach as engine

    if len(sc.chosen) == 0:
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs=WGS84)
    sites = sc.chosen.reset_index(drop=True)
    snaps = engine.snap_points(problem.streets.arrays, sites)
    ok = snaps["snapped"].to_numpy(dtype=bool)
    sites, snaps = sites[ok].reset_index(drop=True), snaps[ok].reset_index(drop=True)
    budget_s = problem.reach.minutes * 60.0
    times = engine.nearest_facility(
        problem.streets.arrays,
        snaps,
        walk_speed_m_s=problem.reach.walk_speed_m_s,
        limit_s=budget_s + 1.0,
    )
    areas = engine.service_areas(
        problem.streets.arrays, times, snaps, budget_s=budget_s, buffer_m=buffer_m
    )
    areas = areas.assign(site_id=sites["site_id"].values, name=sites["name"].values)
    return areas[~areas.geometry.is_empty].to_crs(WGS84)


_SCENARIO_FIELDS = ("name", "kind", "closed", "solver", "status", "gap", "time_s", "notes")


def save_scenario(ws, sc: Scenario, *, label: str = "") -> int:
    """Save a scenario (inputs in its params, all its tables) as a 'siting' run; returns its id."""
    meta = {f: getattr(sc, f) for f in _SCENARIO_FIELDS}
    meta["closed"], meta["notes"] = list(sc.closed), list(sc.notes)
    meta["gap"] = None if sc.gap != sc.gap else sc.gap
    return ws.save_run(
        "siting",
        {"scenario": meta, "inputs": sc.params},
        scenario_tables(sc),
        label=label or sc.name,
    )


def load_scenario(ws, run_id: int) -> Scenario:
    """Reopen a saved scenario, e.g. to compare it side by side with today's."""
    run = ws.load_run(run_id)
    if run.kind != "siting" or "scenario" not in run.params:
        raise InputError(
            f"workspace run {run_id} is a {run.kind!r} run, not a saved siting scenario"
        )
    meta = run.params["scenario"]
    t = run.tables
    chosen = gpd.GeoDataFrame(
        t["chosen"].drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(t["chosen"]["lon"], t["chosen"]["lat"]),
        crs=WGS84,
    )
    return Scenario(
        name=meta["name"],
        kind=meta["kind"],
        chosen=chosen,
        closed=tuple(meta["closed"]),
        reach_by_township=t["reach_by_township"],
        reach_total=t["reach_total"],
        coverage=t["coverage"],
        solver=meta["solver"],
        status=meta["status"],
        gap=float("nan") if meta["gap"] is None else float(meta["gap"]),
        time_s=float(meta["time_s"]),
        notes=tuple(meta["notes"]),
        params=run.params["inputs"],
    )
