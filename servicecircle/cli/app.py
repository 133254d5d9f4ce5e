"""``servicecircle app``: start the Streamlit app."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``app`` and its options."""
    app = sub.add_parser("app", help="start the Streamlit app")
    app.add_argument("--port", type=int, default=8501)


def run(args: argparse.Namespace) -> int:
    """Run ``streamlit run app.py`` from the checkout until it exits; its exit code."""
    import subprocess

    from geo.settings import project_root

    root = project_root()
    # run from the checkout so Streamlit reads .streamlit/config.toml (upload limit, toolbar)
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(root / "app.py"),
            "--server.port",
            str(args.port),
            "--server.headless",
            "true",
        ],
        cwd=root,
    )
