"""``servicecircle site``: what-if, best k new sites (MCLP), fewest sites for a target (LSCP)."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo._errors import InputError
from servicecircle.cli import common
from servicecircle.cli.reach import finish, measure
from servicecircle.wording import in_chinese, solver_label, status_label


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``site`` and its options."""
    st = sub.add_parser(
        "site",
        help="siting: what-if, best k new sites (MCLP), fewest sites for a target (LSCP)",
        description="Test candidate sites and find the best new ones. Candidates come from a file "
        "(read like a register), or are generated (seats of uncovered townships, homes outside the "
        "service circle, a grid). Exactly one question per run: --k, --min-share, "
        "--township-target or --open/--close (what-if).",
    )
    common.add_region_args(st)
    common.add_reach_args(st)
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
    common.add_plan_args(st)
    common.add_output_args(st, "out/site")


def run(args: argparse.Namespace) -> int:
    """The reach run, then one siting question on it; its files and scenario are saved too."""
    import geopandas as gpd

    from servicecircle import scenarios as S

    measured = measure(args)
    cov, rr, region, streets = measured.run, measured.reach, measured.region, measured.streets
    paths, map_layers = measured.paths, measured.map_layers
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
        common.print_report(report)
    else:
        cands = S.generate_candidates(
            cov,
            rr,
            layer=args.layer,
            methods=tuple(args.generate.split(",")),
            grid_spacing_m=args.grid_spacing,
            max_candidates=args.max_candidates,
        )
    problem = S.siting_problem(
        cov, rr, streets, gpd.GeoDataFrame(cands, crs="EPSG:4326"), layer=args.layer
    )
    far = S.unreachable_candidates(problem)
    if len(far):
        print(
            f"{len(far)} 个候选点距最近道路超过 300 米（不会被选中）："
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
    print(
        f"\n{in_chinese(sc.name)}：{solver_label(sc.solver)}，{status_label(sc.status)}，"
        f"用时 {sc.time_s * 1000:.0f} 毫秒"
    )
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
    measured.params["siting"] = sc.params

    def save_scenario(ws) -> None:
        sid = S.save_scenario(ws, sc)
        print(f"方案已保存为工作区运行记录 {sid}（可用 scenarios.load_scenario 重新打开）")

    return finish(args, measured, save_more=save_scenario)
