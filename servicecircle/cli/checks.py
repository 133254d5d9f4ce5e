"""Validation first: every input of a run (registers, boundaries, township list, street file, demand table) checked before any expensive step, all problems listed at once."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo._errors import InputError
from servicecircle.cli.common import USER_ERRORS


def check_inputs(args: argparse.Namespace, specs: list) -> None:
    """Every input of a run checked before any expensive step, all problems listed at once.

    Registers (exist, readable, a header with a name column), the township list, township
    polygons, county boundaries, seat points, the street file (exists, a known format) and the
    demand table (exists, the weight column present).
    """
    from geo.registers import check_register

    problems: list[str] = []

    def need_file(option: str, value: object) -> Path | None:
        if not value or value == "bundle":
            return None
        p = Path(str(value))
        if not p.is_file():
            problems.append(f"{option} {str(p)!r}：文件不存在；请检查路径")
            return None
        return p

    for spec in specs:
        source = spec.source
        if isinstance(source, Path) and not source.is_file():
            problems.append(
                f"--register {str(source)!r}：文件不存在；请检查路径（路径中的逗号可照写）"
            )
            continue
        try:
            check_register(
                source, layer=spec.layer, columns=spec.columns, crs=spec.crs, sheet=spec.sheet
            )
        except USER_ERRORS as exc:
            problems.append(f"--register：{exc}")
    for option, attr in (
        ("--townships", "townships"),
        ("--township-polygons", "township_polygons"),
        ("--counties", "counties"),
        ("--seats", "seats"),
    ):
        need_file(option, getattr(args, attr, None))
    streets = need_file("--streets", getattr(args, "streets", None))
    if streets is not None:
        from geo.network import check_street_file

        try:
            check_street_file(streets)  # the header only: a known format, readable
        except USER_ERRORS as exc:
            problems.append(f"--streets：{exc}")
    demand = need_file("--demand", getattr(args, "demand", None))
    if demand is not None:
        from geo.demand import check_demand_file

        try:
            check_demand_file(demand, weight_column=getattr(args, "weight_column", None))
        except USER_ERRORS as exc:
            problems.append(f"--demand：{exc}")
    if problems:
        listed = "\n".join(f"  {i}. {p}" for i, p in enumerate(problems, start=1))
        raise InputError(f"输入检查发现 {len(problems)} 个问题（尚未开始计算）：\n{listed}")

