"""``servicecircle reach``: the 15-minute service circle over the street network.

One command at every scale: a region of more than one county, or streets given as an
``.osm.pbf``/``.osm`` extract, runs county by county on Dask (:mod:`servicecircle.batch`,
:func:`run_partitioned`); one county with another street file runs in this process.
:func:`measure` and :func:`finish` are also the first and last steps of ``site``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servicecircle.cli import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``reach`` and its options."""
    rc = sub.add_parser(
        "reach",
        help="15-minute service circle: who can walk to a facility over the street network",
        description="Per township and county: the share of demand points (homes) within a walk of "
        "N minutes of the nearest facility over the street network (osmnx graph, exact shortest "
        "paths), with speed scenarios and the straight-line radius for comparison. Writes "
        "reach.xlsx, reach_demand.geojson, service_areas.geojson and the HTML map. A province "
        "(--region 36) or an .osm.pbf runs county by county on Dask and writes a Parquet dataset "
        "(demand/townships/counties/rollup.parquet), reach_summary.xlsx and a county map.",
    )
    common.add_region_args(rc)
    common.add_reach_args(rc)
    common.add_plan_args(rc)
    common.add_output_args(rc, "out/reach")
    common.add_batch_args(rc)


@dataclass
class Measured:
    """The coverage and reach runs of ``reach``/``site``, and what is written and saved so far.

    ``site`` adds its files to ``paths``, its candidates to ``map_layers`` and its parameters
    to ``params`` before :func:`finish`.
    """

    region: Any  # servicecircle.workflows.Region
    run: Any  # servicecircle.workflows.CoverageRun
    streets: Any  # servicecircle.workflows.Streets
    reach: Any  # servicecircle.workflows.ReachRun
    paths: dict = field(default_factory=dict)
    map_layers: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


def measure(args: argparse.Namespace) -> Measured:
    """Coverage, streets, demand and the reach run; prints the reach and writes its outputs."""
    import shapely

    from geo.demand import read_demand, residential_points
    from servicecircle import workflows
    from servicecircle.outputs import reach_console, write_reach_outputs

    specs = _check_inputs(args)
    region, imported, run = common.region_and_run(args, specs)
    streets = workflows.load_streets(args.streets)
    if args.demand:
        demand = read_demand(args.demand, weight_column=args.weight_column)
        source = f"{args.demand.name}"
        label = f"权重：{args.weight_column}" if args.weight_column else "每个点权重为1（均匀）"
    else:
        demand = residential_points(shapely.union_all(list(region.county_polygons.geometry)))
        source = "OSM 居住小区（landuse=residential）质心，reference bundle"
        label = "每个居住小区权重为1（均匀）"
    speeds = tuple(float(v) for v in args.speeds.split(","))
    layer_fac = run.facilities[run.facilities["layer"] == args.layer]
    rr = workflows.reach_run(
        region,
        layer_fac,
        demand,
        streets,
        minutes=args.minutes,
        walk_speed_m_s=args.speed,
        speeds=speeds,
        demand_source=source,
        weight_label=label,
    )
    print(reach_console(rr))
    paths = write_reach_outputs(rr, args.out)
    return Measured(
        region=region,
        run=run,
        streets=streets,
        reach=rr,
        paths=paths,
        map_layers={"service_areas": rr.service_areas, "uncovered_points": rr.uncovered},
        tables={"reach_township": rr.by_township, "reach_scenarios": rr.scenarios},
        params=dict(run.params, reach=rr.params),
    )


def finish(
    args: argparse.Namespace,
    measured: Measured,
    *,
    save_more: Callable[[Any], None] | None = None,
) -> int:
    """Write the coverage outputs with the reach layers, save the run (and, through
    ``save_more(workspace)``, anything else) in the workspace and list the outputs."""
    from geo.settings import workspace_path
    from geo.workspace import Workspace
    from servicecircle.outputs import reach_sheets, write_coverage_outputs

    paths = measured.paths
    paths.update(
        write_coverage_outputs(
            measured.run,
            args.out,
            basemap=args.basemap,
            map_layers=measured.map_layers,
            extra_sheets=reach_sheets(measured.reach),
        )
    )
    with Workspace.open(args.workspace or workspace_path()) as ws:
        run_id = ws.save_run(args.command, measured.params, measured.tables)
        if save_more is not None:
            save_more(ws)
    common.print_outputs(args, run_id, paths)
    return 0


def partitioned(args: argparse.Namespace) -> bool:
    """County partitions when the region spans more than one county or streets are OSM."""
    from geo import divisions
    from geo.network import is_osm_file

    if args.streets is not None and is_osm_file(args.streets):
        return True
    return len(divisions.counties_in(args.region)) > 1


def run(args: argparse.Namespace) -> int:
    """Measure the service circle, write the outputs and save the run."""
    if partitioned(args):
        return run_partitioned(args)
    return finish(args, measure(args))


def _check_inputs(args: argparse.Namespace) -> list:
    """Every input checked before anything expensive: files, numbers, the demand table."""
    from geo._errors import InputError
    from servicecircle.workflows.reach import check_reach_inputs

    specs = [common.register_spec(r) for r in args.register]
    check_reach_inputs(streets=args.streets, demand=args.demand, weight_column=args.weight_column)
    workers = getattr(args, "workers", None)  # ``site`` has no batch options
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if args.minutes <= 0 or args.speed <= 0:
        raise InputError("--minutes and --speed must be positive numbers")
    return specs


def _demand(args: argparse.Namespace, region):
    """The homes: the population-point table (with its 乡镇 codes when it has them), or the
    bundle's residential compounds; and the words saying which."""
    import shapely

    from geo.demand import read_demand, residential_points

    if not args.demand:
        pts = residential_points(shapely.union_all(list(region.county_polygons.geometry)))
        return pts, "OSM 居住小区（landuse=residential）质心，reference bundle", "每个点权重为1"
    pts = read_demand(args.demand, weight_column=args.weight_column)
    codes = _declared_townships(args.demand, len(pts))
    if codes is not None:
        pts = pts.assign(township_code=codes)
    label = f"权重：{args.weight_column}" if args.weight_column else "每个点权重为1（均匀）"
    return pts, args.demand.name, label


def _declared_townships(path: Path, n: int):
    """A 9-digit township code column of the demand table (乡镇代码 / township_code), if any."""
    from geo.tables import read_table

    table = read_table(path)
    for col in ("township_code", "乡镇代码", "乡镇（街道）代码", "所属乡镇代码"):
        if col in table.columns and len(table) == n:
            codes = table[col].astype(str).str.strip()
            return codes.where(codes.str.fullmatch(r"\d{9}"), "").to_numpy()
    return None


def run_partitioned(args: argparse.Namespace) -> int:
    """The service circle county by county on Dask: the Parquet dataset, the workbook, the
    county map, the coverage outputs (the same run), the failures listed at the end."""
    from analysis.targets import reach_targets
    from geo.network import is_osm_file
    from geo.plans import read_plan_targets
    from geo.settings import workspace_path
    from geo.workspace import Workspace
    from servicecircle import batch, workflows
    from servicecircle.batch import report
    from servicecircle.batch.plan import street_table_from_arrays
    from servicecircle.outputs import run_sources, write_coverage_outputs

    specs = _check_inputs(args)
    region, _imported, cov = common.region_and_run(args, specs)
    demand, source, label = _demand(args, region)
    speeds = [float(v) for v in args.speeds.split(",")]
    facilities = cov.facilities[cov.facilities["layer"] == args.layer]
    table = None
    streets = args.streets
    if streets is None or not is_osm_file(streets):
        loaded = workflows.load_streets(streets)
        table = street_table_from_arrays(loaded.arrays)
        if streets is None:
            from geo.bundle import bundle_path

            streets = bundle_path("streets_wuhan")
    where = args.scheduler or f"本机 LocalCluster，{args.workers or os.cpu_count()} 个进程"
    print(
        f"区域 {region.name}（{region.code}）：{len(region.counties)} 个区县，按区县分区计算（{where}）"
    )
    run = batch.batch_reach(
        region=region,
        facilities=facilities,
        demand=demand,
        streets=Path(streets),
        out_dir=args.out,
        cache_dir=args.cache,
        state_dir=common.final_path(args, args.out),  # county results outlive a failed run
        minutes=args.minutes,
        walk_speed_m_s=args.speed,
        speeds=speeds,
        scheduler=args.scheduler,
        workers=args.workers,
        resume=args.resume,
        progress=batch.CountyProgress(enabled=sys.stderr.isatty()),
        street_table=table,
    )
    if run.cluster == "driver":
        where = "本进程（各区县图与吸附点均已缓存，无需启动 Dask）"
    print("\n".join(report.console_lines(run, where=where, minutes=args.minutes, speed=args.speed)))
    title = f"{region.name} {args.minutes:g}分钟养老服务圈"
    sources = (*run_sources(cov), f"需求点：{source}（{label}）", f"道路：{Path(streets).name}")
    statements = reach_targets(read_plan_targets(), region_code=region.code, plan=args.plan)
    paths = dict(run.paths)
    paths["reach_summary_excel"] = report.write_workbook(
        run,
        args.out / "reach_summary.xlsx",
        title=title,
        reach_statements=statements,
        notes=sources,
    )
    paths["county_map_html"] = report.county_map(
        run,
        region.county_polygons,
        facilities,
        args.out / "reach_counties_map.html",
        layer=args.layer,
        title=title,
        basemap=args.basemap,
        sources=sources,
        townships=region.townships,
    )
    # the coverage figures of the same run, held to the plan targets
    paths.update(write_coverage_outputs(cov, args.out, basemap=args.basemap))
    params = dict(
        cov.params,
        reach={
            "minutes": args.minutes,
            "walk_speed_m_s": args.speed,
            "speeds": speeds,
            "streets": Path(streets).name,
            "partitioned": True,
            "dask": where,
            "demand": source,
        },
    )
    with Workspace.open(args.workspace or workspace_path()) as ws:
        run_id = ws.save_run(
            args.command, params, {"reach_county": run.counties, "reach_rollup": run.rollup}
        )
    common.print_outputs(args, run_id, paths)
    return 0 if run.outcome.ok else 1
