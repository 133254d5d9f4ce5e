"""``servicecircle app``: start the Streamlit app."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``app`` and its options."""
    app = sub.add_parser("app", help="start the Streamlit app")
    app.add_argument("--port", type=int, default=8501)
    app.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1: this computer only)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``streamlit run app.py`` from the checkout until it exits; its exit code.

    Streamlit runs as a child process that stops with this one: SIGTERM or Ctrl-C here
    terminates it too, so no server is left behind.
    """
    import signal
    import subprocess

    from geo.settings import project_root

    root = project_root()
    # run from the checkout so Streamlit reads .streamlit/config.toml (upload limit, toolbar)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(root / "app.py"),
            "--server.port",
            str(args.port),
            "--server.address",
            str(args.address),
            "--server.headless",
            "true",
        ],
        cwd=root,
    )

    def stop(signum: int, frame: object) -> None:
        proc.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
