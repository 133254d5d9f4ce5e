"""Console lines in Chinese: how each register file was read (encoding, sheets, header row, columns, coordinate system and why) and the validation report."""

from __future__ import annotations

#: what a report action is called on the console
ACTION_LABELS = {"rejected": "未导入", "repaired": "已修正", "warning": "提示"}


def print_sources(sources) -> None:
    """Per register file: encoding, sheet(s), header row, the column of each role, and the
    coordinate system used and why (a loud line when it is a guess)."""
    for src in sources:
        parts = [f"格式 {src.get('format')}"]
        if src.get("encoding"):
            parts.append(f"编码 {src['encoding']}")
        if src.get("sheet"):
            parts.append(f"工作表 {src['sheet']}")
        if src.get("header_row"):
            parts.append(f"表头 {src['header_row']}")
        cols = src.get("columns") or {}
        if cols:
            parts.append("列 " + "、".join(f"{ROLE_LABELS.get(k, k)}={v}" for k, v in cols.items()))
        crs = src.get("crs") or "无坐标"
        parts.append(f"坐标系 {crs}（{src.get('crs_reason', '')}）")
        print(f"读取 {src.get('file')}：" + "；".join(parts))
        print(
            f"  共 {src.get('rows_read', 0)} 行：导入 {src.get('rows_kept', 0)} 行，未导入 "
            f"{src.get('rows_rejected', 0)} 行，重复跳过 {src.get('duplicates_dropped', 0)} 行"
        )
        if src.get("crs") and not src.get("crs_certain", True):
            print(
                f"  ！！注意：{src.get('file')} 的坐标系未能确定，已按 {crs} 读取；若是高德/腾讯或百度坐标，"
                "请在 --register 后加 ,crs=gcj02 或 ,crs=bd09 重新运行"
            )


#: the roles of register columns, as the console names them
ROLE_LABELS = {
    "name": "名称",
    "kind": "类型",
    "lon": "经度",
    "lat": "纬度",
    "lonlat": "经纬度",
    "township": "所属乡镇",
    "code": "区划代码",
    "address": "地址",
    "ref": "编号",
}


def print_report(report) -> None:
    """The validation report on the console: counts by action, then the first 20 rows."""
    if report is None or report.empty:
        print("校验：全部行通过")
        return
    counts = report["action"].value_counts()
    print(
        "校验报告："
        + "，".join(f"{ACTION_LABELS.get(str(a), str(a))} {int(n)} 条" for a, n in counts.items())
    )
    for r in report.head(20).itertuples():
        action = ACTION_LABELS.get(str(r.action), str(r.action))
        value = str(r.value) if len(str(r.value)) <= 40 else str(r.value)[:40] + "…"
        print(f"  {r.file} 第{r.row}行 [{r.column}] {value:<24} {r.reason} → {r.fix}（{action}）")
    if len(report) > 20:
        print(f"  …… 另有 {len(report) - 20} 条，见 Excel 工作表“校验报告”")
