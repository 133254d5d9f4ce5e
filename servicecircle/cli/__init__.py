"""Command line: ``servicecircle demo | coverage | reach | site | targets | app``.

One module per subcommand, each with ``add_parser(sub)`` and ``run(args) -> int``;
:mod:`.common` holds the shared argument groups, the region/run set-up and the handling of
project errors (one line on stderr, exit code 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from servicecircle.cli import app, common, coverage, demo, reach, site, targets

#: subcommand -> its module, in the order ``--help`` lists them
COMMANDS = {
    "demo": demo,
    "coverage": coverage,
    "reach": reach,
    "site": site,
    "targets": targets,
    "app": app,
}


def build_parser() -> argparse.ArgumentParser:
    """The ``servicecircle`` parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="servicecircle",
        description="民政服务设施覆盖率、15分钟养老服务圈与选址 — coverage of civil-affairs facilities "
        "against five-year-plan targets.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its exit code (2 for a project error or an unknown command)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = COMMANDS.get(args.command)
    if command is None:
        parser.error(f"unknown command {args.command}")
        return 2
    return common.run_command(args, command.run)


__all__ = ["COMMANDS", "build_parser", "main"]
