"""Every result of the app as a file to download: reach and siting tables (Excel) and maps
(HTML/PNG), saved workspace runs, the workspace file and the Word briefing.

Files are written into a temporary folder that is removed when the function returns; the
bytes are handed to ``st.download_button``. Headers are Chinese (:func:`planner_view`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from servicecircle.app_support.downloads import Download

if TYPE_CHECKING:
    from servicecircle.workflows import CoverageRun, ReachRun

XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _read(path: Path, *, label: str, file_name: str, mime: str) -> Download:
    return Download(label=label, file_name=file_name, data=path.read_bytes(), mime=mime)


def _html(fmap: Any, path: Path) -> Path:
    from geo.export import save_html

    save_html(fmap, path)
    return path


def _files(key: str, label: str, stem: str, *, xlsx: Path, html: Path, png: Path) -> dict:
    """One result's Excel, HTML map and PNG map as downloads labelled after ``label``."""
    return {
        f"{key}_excel": _read(xlsx, label=f"{label} Excel", file_name=f"{stem}.xlsx", mime=XLSX),
        f"{key}_html": _read(
            html, label=f"{label} HTML 地图", file_name=f"{stem}.html", mime="text/html"
        ),
        f"{key}_png": _read(
            png, label=f"{label} PNG 静态图", file_name=f"{stem}.png", mime="image/png"
        ),
    }


def _png(run: CoverageRun, path: Path, *, title: str, sources: Sequence[str], extra=None) -> Path:
    """The static map of the 养老服务中心 layer (plus ``extra`` points, e.g. new sites)."""
    import geopandas as gpd

    from analysis.maps import static_map_png

    facilities = run.facilities[run.facilities.geometry.notna()]
    if extra is not None and len(extra):
        facilities = gpd.GeoDataFrame(
            pd.concat([facilities, extra], ignore_index=True), geometry="geometry", crs=4326
        )
    static_map_png(
        run.townships[run.townships.geometry.notna()],
        facilities,
        path,
        title=title,
        layer="elderly_care",
        sources=sources,
    )
    return path


def reach_downloads(
    region_code: str, run: CoverageRun, reach: ReachRun, fmap: Any, *, sources: Sequence[str]
) -> dict[str, Download]:
    """The 15-minute results: Excel tables, the HTML map and a PNG map."""
    from geo.export import write_excel
    from geo.settings import ATTRIBUTION_OSM
    from servicecircle.outputs import planner_view, reach_sheets

    stem = f"{region_code}_{reach.minutes:g}分钟养老服务圈"
    title = f"{run.region.name} {reach.minutes:g}分钟养老服务圈"
    with tempfile.TemporaryDirectory(prefix="servicecircle-reach-") as tmp:
        folder = Path(tmp)
        xlsx = write_excel(
            folder / "reach.xlsx",
            {name: planner_view(t) for name, t in reach_sheets(reach).items()},
            title=title,
            notes=(*sources, reach.demand_source, reach.weight_label, ATTRIBUTION_OSM),
        )
        return _files(
            "reach",
            "15分钟圈",
            stem,
            xlsx=xlsx,
            html=_html(fmap, folder / "reach.html"),
            png=_png(run, folder / "reach.png", title=title, sources=sources),
        )


def scenario_sheets(scenarios: Sequence[Any]) -> dict[str, pd.DataFrame]:
    """The scenarios' tables for Excel: the comparison, then each scenario's sites and reach."""
    from servicecircle.app_support.tables import scenarios_table
    from servicecircle.outputs import planner_view
    from servicecircle.scenarios import scenario_tables

    sheets = {"方案对比": scenarios_table(scenarios)}
    for i, sc in enumerate(scenarios, start=1):
        tables = scenario_tables(sc)
        sheets[f"方案{i}_选址"] = planner_view(tables["chosen"])
        sheets[f"方案{i}_乡镇可达"] = planner_view(tables["reach_by_township"])
        sheets[f"方案{i}_覆盖"] = planner_view(tables["coverage"])
    return sheets


def siting_downloads(
    region_code: str, problem: Any, scenarios: Sequence[Any], fmap: Any, *, sources: Sequence[str]
) -> dict[str, Download]:
    """The siting results: the scenarios in Excel, the map with the latest one (HTML, PNG)."""
    from geo.export import write_excel

    run = problem.run
    latest = scenarios[-1]
    title = f"{run.region.name} 养老服务中心选址：{latest.name}"
    stem = f"{region_code}_选址方案"
    with tempfile.TemporaryDirectory(prefix="servicecircle-siting-") as tmp:
        folder = Path(tmp)
        xlsx = write_excel(folder / "siting.xlsx", scenario_sheets(scenarios), title=title,
                           notes=tuple(sources))  # fmt: skip
        chosen = latest.chosen.assign(
            layer="elderly_care", name="推荐新增：" + latest.chosen["name"]
        )
        return _files(
            "siting",
            "选址方案",
            stem,
            xlsx=xlsx,
            html=_html(fmap, folder / "siting.html"),
            png=_png(run, folder / "siting.png", title=title, sources=sources, extra=chosen),
        )


def briefing_download(
    region_code: str,
    run: CoverageRun,
    *,
    comparison: pd.DataFrame,
    sources: Sequence[str],
    reach: ReachRun | None = None,
    scenario: Any | None = None,
) -> Download:
    """The Word briefing (.docx) with the static coverage map."""
    from analysis.maps import static_map_png
    from servicecircle.briefing import ReachFigures, write_briefing

    with tempfile.TemporaryDirectory(prefix="servicecircle-docx-") as tmp:
        folder = Path(tmp)
        png = folder / "map.png"
        static_map_png(
            run.townships[run.townships.geometry.notna()],
            run.facilities[run.facilities.geometry.notna()],
            png,
            title=f"{run.region.name} 民政服务设施覆盖情况",
            sources=sources,
            dpi=150,
        )
        path = write_briefing(
            folder / "briefing.docx",
            run,
            comparison=comparison,
            sources=sources,
            reach=None if reach is None else ReachFigures.from_run(reach),
            scenario=scenario,
            map_png=png,
        )
        return _read(
            path,
            label="Word 简报（.docx）",
            file_name=f"{region_code}_简报_{dt.date.today().isoformat()}.docx",
            mime=DOCX,
        )


def saved_run_download(path: Path, run_id: int) -> Download:
    """One saved workspace run (its parameters and tables) as an Excel workbook."""
    from geo.export import write_excel
    from geo.workspace import Workspace
    from servicecircle.outputs import planner_view

    with Workspace.open(path) as ws:
        saved = ws.load_run(int(run_id))
    sheets = {name: planner_view(pd.DataFrame(t)) for name, t in saved.tables.items()}
    if not sheets:
        sheets = {
            "参数": pd.DataFrame({"项目": list(saved.params), "内容": list(saved.params.values())})
        }
    with tempfile.TemporaryDirectory(prefix="servicecircle-run-") as tmp:
        xlsx = write_excel(
            Path(tmp) / "run.xlsx",
            sheets,
            title=f"工作区记录 {saved.run_id}：{saved.label}",
            notes=(f"类型：{saved.kind}", f"保存时间（UTC）：{saved.created_at}"),
        )
        return _read(
            xlsx, label=f"记录 {run_id} Excel", file_name=f"工作区记录_{run_id}.xlsx", mime=XLSX
        )


def workspace_download(path: Path) -> Download | None:
    """The session's DuckDB workspace file (None before anything is saved)."""
    if not path.is_file():
        return None
    return Download(
        label="工作区文件（DuckDB）",
        file_name="servicecircle_工作区.duckdb",
        data=path.read_bytes(),
        mime="application/octet-stream",
    )
