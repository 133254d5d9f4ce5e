"""The choices a planner picks from and the labels the app shows, in Chinese."""

from __future__ import annotations

from typing import Final

from servicecircle.wording import SOLVER_LABELS, STATUS_LABELS, status_label  # noqa: F401

#: coordinate systems a planner can pick for an upload -> label
CRS_CHOICES: Final[dict[str, str]] = {
    "auto": "自动识别",
    "wgs84": "WGS84（GPS、OSM）",
    "cgcs2000": "CGCS2000（国家2000）",
    "gcj02": "GCJ-02（高德、腾讯拾取）",
    "bd09": "BD-09（百度拾取）",
}


def region_choices() -> dict[str, str]:
    """The regions the sidebar offers: the demo districts, their city, province and 全国."""
    from servicecircle.demo import DEMO_COUNTIES

    out = {code: f"{name}（{code}，区县）" for code, name in DEMO_COUNTIES.items()}
    out.update({"4201": "武汉市（4201，地级市）", "42": "湖北省（42，省）", "000000": "全国"})
    return out


#: plan key (None: every plan the region inherits) -> label
PLAN_CHOICES: Final[dict[str | None, str]] = {
    None: "全部适用规划",
    "national": "全国《“十四五”民政事业发展规划》",
    "jiangxi": "江西省",
    "zhushan": "珠山区（景德镇市）",
    "jiangmen": "江门市",
    "guangdong": "广东省",
    "taizhou": "泰州市",
}


#: basemap key -> label
BASEMAP_CHOICES: Final[dict[str, str]] = {
    "local": "本地矢量底图（区县边界、道路；离线可用）",
    "osm": "OpenStreetMap 在线瓦片（需联网）",
    "tianditu": "天地图（需 TIANDITU_KEY）",
    "amap": "高德在线瓦片（需联网）",
    "none": "无底图",
}


#: scenario kind -> label
SCENARIO_KINDS: Final[dict[str, str]] = {
    "what_if": "方案测算",
    "best_k": "新增 k 处最优",
    "fewest_share": "最少新增达到可达比例",
    "township_target": "最少新增达到乡镇覆盖目标",
}


#: workspace run kind -> label
RUN_KINDS: Final[dict[str, str]] = {
    "coverage": "覆盖率",
    "siting": "选址方案",
    "demo": "示例",
    "reach": "15分钟服务圈",
}

