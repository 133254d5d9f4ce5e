"""The siting solvers' notes and infeasibility messages in Chinese, with township names for codes.

:mod:`analysis.siting` writes its notes for analysts (English, unit codes); the planner reads
them in Chinese, in the app and in the Word briefing. A text no pattern knows is kept as it
is, after the names are put in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_NUM = r"([\d.,]+%?)"


def _rules(names: Callable[[str], str]) -> list[_Rule]:
    return [
        (re.compile(rf"^minimum number of sites: {_NUM}$"), lambda m: f"最少需新增 {m[1]} 处"),
        (
            re.compile(rf"^{_NUM} improving move\(s\)$"),
            lambda m: f"局部搜索改进 {m[1]} 次",
        ),
        (
            re.compile(rf"^stopped after max_rounds={_NUM} moves; more may help$"),
            lambda m: f"局部搜索在 {m[1]} 轮后停止，继续搜索或可更好",
        ),
        (
            re.compile(rf"^count not proven minimal within {_NUM} s: at least {_NUM}$"),
            lambda m: f"{m[1]} 秒内未能证明数量最少：至少需 {m[2]} 处",
        ),
        (
            re.compile(rf"^{_NUM} of {_NUM} units covered; the target needs {_NUM}$"),
            lambda m: f"已覆盖 {m[1]} / {m[2]} 个乡镇（街道），目标需要 {m[3]} 个",
        ),
        (
            re.compile(r"^the target is already met: no new sites needed$"),
            lambda m: "已达到目标，无需新增",
        ),
        (
            re.compile(rf"^existing facilities already cover {_NUM} >= {_NUM}$"),
            lambda m: f"现有设施已覆盖 {m[1]}（不低于目标 {m[2]}），无需新增",
        ),
        (
            re.compile(r"^no candidate reaches any uncovered demand$"),
            lambda m: "没有候选点能覆盖尚未覆盖的居住小区",
        ),
        (
            re.compile(r"^all demand weights are 0: shares are undefined \(NaN\)$"),
            lambda m: "所有需求点权重为 0，无法计算比例",
        ),
        (
            re.compile(rf"^only {_NUM} of k={_NUM} sites are useful.*$"),
            lambda m: f"k={m[2]} 处中只有 {m[1]} 处有新增覆盖，其余不再增加覆盖",
        ),
        (
            re.compile(rf"^{_NUM} chosen site\(s\) .* added no new demand and were dropped$"),
            lambda m: f"{m[1]} 处选址没有新增覆盖，已去掉",
        ),
        (
            re.compile(
                rf"^{_NUM} demand point\(s\) with weight {_NUM} are reached by no allowed candidate.*$"
            ),
            lambda m: f"{m[1]} 个居住小区（权重 {m[2]}）任何候选点都到不了，未计入模型",
        ),
        (
            re.compile(
                rf"^the target needs {_NUM} more covered units but only {_NUM} uncovered units have a "
                rf"candidate site; {_NUM} uncovered unit\(s\) have none: (.*?)\. Fix:.*$",
                re.S,
            ),
            lambda m: (
                f"目标还需再覆盖 {m[1]} 个乡镇（街道），但未覆盖的乡镇（街道）中只有 {m[2]} 个有候选点；"
                f"以下 {m[3]} 个没有候选点：{_named(m[4], names)}。请在这些乡镇（街道）内点选拟建点"
                "或上传候选点文件，或降低目标。"
            ),
        ),
        (
            re.compile(rf"^min_share={_NUM} cannot be reached: .*? at most {_NUM} .*$", re.S),
            lambda m: (
                f"可达比例 {m[1]} 无法达到：所有候选点都启用时最多 {m[2]}。请增加候选点、延长步行时间"
                "或降低目标。"
            ),
        ),
        (
            re.compile(
                rf"^target_share (>=|>) {_NUM} of {_NUM} units needs {_NUM} covered units.*$"
            ),
            lambda m: f"目标 {m[2]} 需要覆盖 {m[4]} 个单位，超过总数 {m[3]}；请核对目标值。",
        ),
    ]


_CODE: Final = re.compile(r"\b\d{9,12}\b")


def _named(text: str, names: Callable[[str], str]) -> str:
    items = [s.strip() for s in re.split(r"[,，、]", text.replace("…", "").strip()) if s.strip()]
    more = "等" if "…" in text else ""
    return "、".join(names(i) for i in items) + more


def in_chinese(text: str, township_names: Mapping[str, str] | None = None) -> str:
    """A solver note or error in Chinese; unit codes replaced by their names."""
    names_map = dict(township_names or {})

    def names(code: str) -> str:
        return names_map.get(code, code)

    text = str(text).strip()
    for pattern, say in _rules(names):
        m = pattern.match(text)
        if m:
            return say(m)
    return _CODE.sub(lambda m: names(m[0]), text)


#: solver status -> label
STATUS_LABELS: Final[dict[str, str]] = {
    "evaluated": "已测算",
    "optimal": "最优解",
    "time_limit": "达到时间上限（取当前最好解）",
    "heuristic": "启发式解",
    "feasible": "可行解",
    "infeasible": "无可行解",
}


#: solver key -> label
SOLVER_LABELS: Final[dict[str, str]] = {
    "what-if": "方案测算",
    "highs": "精确求解（HiGHS）",
    "greedy": "贪心",
    "greedy+swap": "贪心 + 交换",
    "brute": "穷举",
}


def status_label(status: str) -> str:
    """A scenario's solver status in Chinese (unknown ones as they are)."""
    return STATUS_LABELS.get(status, status)


def solver_label(solver: str) -> str:
    """A scenario's solver in Chinese (unknown ones as they are)."""
    return SOLVER_LABELS.get(solver, solver)
