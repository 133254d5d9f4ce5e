"""Benchmark: importing big registers, and a whole ``servicecircle coverage`` run on them.

A register of N facilities in 江岸区 (420102; the official township list and county polygon
ship with the project, no bundle needed) is generated: names, a 类型 of two layers, declared
townships written register-style (…街道办事处, one in 50 misspelt), one coordinate in 50 junk,
one row in 100 a repeat of an earlier one. Measured, each in a fresh process so that the peak
memory (``ru_maxrss``) belongs to that step alone:

* ``read_register`` of the file (parse, columns, townships, CRS choice, checks);
* the import as a run does it, without writing output files: inputs checked, region loaded,
  register read, duplicates across registers, coverage, imports + run saved in one workspace
  transaction;
* the whole ``servicecircle coverage`` command on it: validation first, import, duplicate check
  across registers, coverage, Excel/CSV/GeoJSON/HTML/PNG/PDF outputs and the workspace
  transaction (``--basemap none``).

Run from the repository root::

    python benchmarks/registers.py --rows 50000 500000

Prints a markdown table; writes only into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION = "420102"


def make_register(path: Path, rows: int, *, seed: int = 0) -> None:
    """A CSV register of ``rows`` facilities in 江岸区 (see the module docstring)."""
    import pandas as pd
    import shapely

    from geo import boundaries, divisions

    rng = np.random.default_rng(seed)
    towns = divisions.townships_of([REGION])
    county = boundaries.county_polygons([REGION]).geometry.iloc[0]
    minx, miny, maxx, maxy = county.bounds
    shapely.prepare(county)
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < rows:  # uniform points inside the county
        x = rng.uniform(minx, maxx, rows)
        y = rng.uniform(miny, maxy, rows)
        inside = shapely.contains_xy(county, x, y)
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    lon, lat = lon[:rows], lat[:rows]
    names = np.array([f"第{i}号养老服务站" for i in range(rows)], dtype=object)
    declared = rng.choice(towns["name"].to_numpy(), rows)
    declared = np.array([f"{t}办事处" for t in declared], dtype=object)
    declared[::50] = "不存在街道"
    kinds = np.where(rng.random(rows) < 0.5, "养老服务中心", "社工站")
    lon_text = np.char.mod("%.6f", lon).astype(object)
    lon_text[7::50] = "abc"
    frame = pd.DataFrame(
        {
            "机构名称": names,
            "类型": kinds,
            "所属街道": declared,
            "经度": lon_text,
            "纬度": np.char.mod("%.6f", lat),
        }
    )
    repeats = frame.iloc[::100]
    pd.concat([frame, repeats], ignore_index=True).to_csv(path, index=False, encoding="utf-8-sig")


def _child(step: str, path: str, work: str) -> None:
    """One measured step in this (fresh) process; prints JSON."""
    if step == "read":
        from geo.registers import read_register

        t = time.perf_counter()
        result = read_register(path)
        seconds = time.perf_counter() - t
        extra = {"kept": result.source["rows_kept"], "read": result.source["rows_read"]}
    elif step == "import":
        from geo.registers import check_register
        from geo.workspace import Workspace
        from servicecircle import workflows

        t = time.perf_counter()
        spec = workflows.RegisterSpec(Path(path))
        check_register(spec.source)
        region = workflows.load_region(REGION)
        imported = workflows.import_registers([spec], region)
        cov = workflows.coverage_run(region, imported)
        with Workspace.open(Path(work) / "import.duckdb") as ws, ws.transaction("benchmark"):
            for part in imported.parts:
                ws.save_import(part.facilities, part.report, part.source, layer=None)
            ws.save_run("coverage", cov.params, {"comparison": cov.comparison})
        seconds = time.perf_counter() - t
        extra = {"kept": len(imported.facilities)}
    else:
        from servicecircle.cli import main

        t = time.perf_counter()
        code = main(
            [
                "coverage",
                "--region",
                REGION,
                "--register",
                path,
                "--out",
                str(Path(work) / "out"),
                "--workspace",
                str(Path(work) / "ws.duckdb"),
                "--basemap",
                "none",
            ]
        )
        seconds = time.perf_counter() - t
        extra = {"exit": code}
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, **extra}))


def _measure(step: str, path: Path, work: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, str(path), str(work)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000])
    parser.add_argument(
        "--steps",
        default="read,import,coverage",
        help="read, import (everything but the output files) and/or coverage (default all)",
    )
    parser.add_argument("--child", nargs=3, metavar=("STEP", "PATH", "WORK"))
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    print(f"Machine: {platform.machine()}, Python {platform.python_version()}\n")
    print("| rows | step | time | peak memory (RSS) | notes |")
    print("|---|---|---|---|---|")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "养老服务中心.csv"
            make_register(path, rows)
            for step in args.steps.split(","):
                got = _measure(step, path, Path(tmp))
                label, note = STEP_LABELS[step]
                print(
                    f"| {rows:,} | {label} | {got['seconds']:.1f} s | "
                    f"{got['peak_mib']:.0f} MiB | {note.format(**got)} |"
                )


#: step -> (what the table calls it, its note from the child's numbers)
STEP_LABELS = {
    "read": ("`read_register`", "{read:,} rows read, {kept:,} kept"),
    "import": (
        "check + import + duplicates + coverage + workspace transaction (no output files)",
        "{kept:,} facilities",
    ),
    "coverage": ("`servicecircle coverage` (whole run, outputs, workspace)", "exit {exit}"),
}


if __name__ == "__main__":
    main()
