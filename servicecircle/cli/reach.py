"""``servicecircle reach``: the 15-minute service circle over the street network.

:func:`measure` and :func:`finish` are also the first and last steps of ``site``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
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
        "reach.xlsx, reach_demand.geojson, service_areas.geojson and the HTML map.",
    )
    common.add_region_args(rc)
    common.add_reach_args(rc)
    common.add_plan_args(rc)
    common.add_output_args(rc, "out/reach")


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

    specs = [common.register_spec(r) for r in args.register]
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


def run(args: argparse.Namespace) -> int:
    """Measure the service circle, write the outputs and save the run."""
    return finish(args, measure(args))
