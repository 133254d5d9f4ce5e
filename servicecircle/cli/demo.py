"""``servicecircle demo``: everything on Wuhan, or on a plan's own region, with the illustrative registers."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``demo`` and its options."""
    demo = sub.add_parser("demo", help="run everything on Wuhan with illustrative registers")
    demo.add_argument(
        "--region",
        default="420102",
        help="county code in central Wuhan (default 420102 江岸区), or a plan's own region: "
        "360203 珠山区, 4407 江门市, 3212 泰州市",
    )
    demo.add_argument("--plan", help="hold the figures to one plan's targets (e.g. jiangxi)")
    demo.add_argument(
        "--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)"
    )
    demo.add_argument("--basemap", choices=["osm", "tianditu", "amap", "none"], default="osm")
    demo.add_argument("--skip-reach", action="store_true", help="skip the 15-minute service circle")
    demo.add_argument("--skip-siting", action="store_true", help="skip the k = 5 siting run")
    demo.add_argument(
        "--docx", type=Path, help="also write the Word briefing (简报, .docx) to this path"
    )


def run(args: argparse.Namespace) -> int:
    """Run the demo; see :func:`servicecircle.demo.run_demo`."""
    from servicecircle.demo import run_demo

    code = run_demo(
        region=args.region,
        plan=args.plan,
        out=args.out,
        basemap=args.basemap,
        reach=not args.skip_reach,
        siting=not args.skip_siting,
    )
    if code == 0 and args.docx:
        from servicecircle.briefing import demo_briefing

        args.docx.parent.mkdir(parents=True, exist_ok=True)
        path = demo_briefing(args.docx, out=args.out, region=args.region, plan=args.plan)
        print(f"  {'docx':<24} {path}")
    return code
