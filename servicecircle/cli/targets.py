"""``servicecircle targets``: the plan-target catalogue, with citations and how each is measured."""

from __future__ import annotations

import argparse
from pathlib import Path

from servicecircle.cli import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``targets`` and its options."""
    tg = sub.add_parser(
        "targets",
        help="list the plan-target catalogue (with citations), measured on registers if given",
        description="List the targets a region inherits with their citations and the register "
        "that measures each. With --register (and --region), import the registers and print "
        "every target with its measured figure (covered/units, 达标/未达标, units still needed).",
    )
    tg.add_argument("--region", help="only targets a region inherits (e.g. 360203)")
    tg.add_argument("--plan", help="only one plan's targets")
    tg.add_argument(
        "--register", action="append", default=[], help=common.REGISTER_HELP + " (needs --region)"
    )
    tg.add_argument(
        "--township-polygons", type=Path, help="township boundary file (else declared townships)"
    )
    tg.add_argument(
        "--village-list", type=Path, help="your own 村级 list (代码, 名称, 城乡分类代码)"
    )
    tg.add_argument("--village-polygons", type=Path, help="village (社区/村) boundary file")


def run(args: argparse.Namespace) -> int:
    """Print the catalogue (or a region's targets), measured on the registers when given."""
    import pandas as pd

    from analysis.targets import measuring_paths, reach_targets, targets_for_region
    from geo._errors import InputError
    from geo.plans import read_plan_targets

    cat = read_plan_targets()
    if args.register:
        if not args.region:
            raise InputError("--register needs --region (e.g. --region 360203)")
        return _measured(args, cat)
    if args.region or args.plan:
        code = args.region or "000000"
        cat = pd.concat(
            [
                targets_for_region(cat, region_code=code, plan=args.plan),
                reach_targets(cat, region_code=code, plan=args.plan),
            ],
            ignore_index=True,
        )
    cat = cat.merge(measuring_paths(cat)[["target_id", "how"]], on="target_id", how="left")
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
                    "how",
                ]
            ].to_string(index=False)
        )
    return 0


def _measured(args: argparse.Namespace, cat) -> int:
    import pandas as pd

    from analysis.targets import measured_targets, reach_targets
    from servicecircle import workflows
    from servicecircle.demo_regions import targets_console

    specs = [common.register_spec(r) for r in args.register]
    region = workflows.load_region(args.region, township_polygons=args.township_polygons)
    imported = workflows.import_registers(specs, region)
    run = workflows.coverage_run(
        region,
        imported,
        plan=args.plan,
        catalogue=cat,
        register_specs=specs,
        village_list=args.village_list,
        village_polygons=args.village_polygons,
    )
    every = pd.concat(
        [run.targets, reach_targets(cat, region_code=args.region, plan=args.plan)],
        ignore_index=True,
    )
    scope = {6: "county", 4: "city", 2: "province"}[len(args.region)]
    table = measured_targets(
        every,
        run.comparison,
        scope=scope,
        code=args.region,
        registered=set(run.facilities["layer"]),
    )
    common.print_report(imported.report)
    print(f"{region.name}（{args.region}）的规划指标：")
    print(targets_console(table))
    return 0
