"""``servicecircle coverage``: township coverage rates of facility registers against plan targets."""

from __future__ import annotations

import argparse
from pathlib import Path

from servicecircle.cli import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``coverage`` and its options."""
    cov = sub.add_parser(
        "coverage",
        help="township coverage rates of facility registers against plan targets",
        description="Import facility registers, assign each facility to its township, and report per "
        "county and layer the share of townships (or counties, for 骨灰安放设施) with at least one "
        "facility against the plan targets, naming the uncovered units. Writes coverage.xlsx, "
        "coverage.csv, townships.geojson, facilities.geojson, coverage_map.html and coverage_map.png.",
    )
    common.add_region_args(cov)
    g = cov.add_argument_group("registers")
    g.add_argument(
        "--register", action="append", required=True, type=str, help=common.REGISTER_HELP
    )
    g.add_argument(
        "--columns",
        help="column overrides for all registers, e.g. name=机构名称,lon=X坐标,lat=Y坐标,"
        "township=所属街道,code=区划代码,type=类型,address=地址",
    )
    common.add_plan_args(cov)
    common.add_output_args(cov, "out/coverage")
    cov.add_argument(
        "--docx", type=Path, help="also write the Word briefing (简报, .docx) to this path"
    )


def run(args: argparse.Namespace) -> int:
    """Import the registers, measure coverage, write the outputs and save the run.

    The run's imports and its run record are one workspace transaction, written only after
    every output file was written (into the staging folder of :func:`common.run_command`).
    """
    from geo.settings import workspace_path
    from geo.workspace import Workspace
    from servicecircle import workflows
    from servicecircle.outputs import console_table, write_coverage_outputs

    specs = [common.register_spec(r) for r in args.register]
    cols = common.column_overrides(args.columns)
    if cols:
        specs = [workflows.RegisterSpec(s.source, s.layer, s.crs, cols, s.sheet) for s in specs]
    region, imported, cov = common.region_and_run(args, specs)
    common.print_sources(imported.sources)
    paths = write_coverage_outputs(cov, args.out, basemap=args.basemap)
    with (
        Workspace.open(args.workspace or workspace_path()) as ws,
        ws.transaction("本次 coverage 运行的导入与运行记录"),
    ):
        for spec, part in zip(specs, imported.parts, strict=True):
            ws.save_import(part.facilities, part.report, part.source, layer=spec.layer)
        run_id = ws.save_run(
            "coverage", cov.params, {"comparison": cov.comparison, "summary": cov.summary}
        )
    if args.docx:
        from servicecircle.briefing import write_briefing

        args.docx.parent.mkdir(parents=True, exist_ok=True)
        paths["docx"] = write_briefing(args.docx, cov, map_png=paths["png"])
    common.print_report(imported.report)
    print(console_table(cov.comparison))
    common.print_outputs(args, run_id, paths)
    return 0
