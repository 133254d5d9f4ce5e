"""What the app tells the user instead of a traceback: error messages, and why a basemap or the
service circle cannot be shown here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from geo._errors import DataMissingError, InfeasibleError, InputError, WorkspaceError
from geo.settings import TIANDITU_KEY_ENV
from servicecircle.app_support.choices import BASEMAP_CHOICES

if TYPE_CHECKING:
    pass


#: the errors shown to the user as a message rather than a traceback
USER_ERRORS: Final = (InputError, DataMissingError, InfeasibleError, WorkspaceError)


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


def demo_notice(region_code: str, region_counties: list[str], demo_counties: Any) -> str | None:
    """What the sidebar says about the demo registers for this region (None: nothing to say).

    ``demo_counties`` is :func:`~servicecircle.app_support.loaders.cached_demo_counties`: the
    counties the demo registers hold facilities in.
    """
    have = dict(zip(demo_counties["code"], demo_counties["name"]))
    names = "、".join(have.values()) or "（无）"
    inside = [c for c in region_counties if c in have]
    if not inside:
        return (
            f"示例登记表只有 {names} 的设施；本区域没有示例设施，覆盖率显示为 0% 并非实际情况。"
            "请上传本区域的登记表。"
        )
    if len(inside) < len(region_counties):
        return (
            f"示例登记表只有 {names} 的设施；本区域其他 {len(region_counties) - len(inside)} 个"
            "区县没有示例设施，其覆盖率为 0%，并非实际情况。"
        )
    return None
