"""``servicecircle targets``: the plan-target catalogue, with citations."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``targets`` and its options."""
    tg = sub.add_parser("targets", help="list the plan-target catalogue (with citations)")
    tg.add_argument("--region", help="only targets a region inherits (e.g. 360203)")
    tg.add_argument("--plan", help="only one plan's targets")


def run(args: argparse.Namespace) -> int:
    """Print the catalogue (or the targets a region inherits, or one plan's)."""
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
