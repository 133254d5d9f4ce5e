"""The Word document (.docx): headings, paragraphs, bullet lists, tables and pictures, in Chinese.

A format writer only: it knows Word, not plans. The caller composes the blocks (see
:mod:`servicecircle.briefing`). Text is written as text (python-docx escapes it; characters
XML cannot hold are dropped), tables get Chinese headers, lists are joined with "、", and
达标/未达标 cells are shaded green/red as in the Excel workbook.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from geo._errors import InputError
from geo.export.headers import (
    _FRACTION_COLUMNS,
    _STATUS_COLUMNS,
    _check_path,
    _flat_frame,
    chinese_header,
)

_FILL_FAIL: Final = "FFC7CE"
_FILL_PASS: Final = "C6EFCE"
_EAST_ASIAN_FONT: Final = "宋体"
#: characters an XML 1.0 document cannot hold
_XML_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: the most rows a table of the document shows (the rest is in the Excel workbook)
MAX_TABLE_ROWS: Final = 200


@dataclass(frozen=True)
class Heading:
    """A heading (level 1 or 2)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table with a caption; at most ``max_rows`` rows shown (a note says how many more)."""

    frame: pd.DataFrame
    caption: str = ""
    max_rows: int = MAX_TABLE_ROWS


@dataclass(frozen=True)
class Picture:
    """A picture (PNG/JPEG file) with a caption, ``width_cm`` wide."""

    path: Path
    caption: str = ""
    width_cm: float = 15.5


Block = Heading | Paragraph | Bullets | Table | Picture


def _text(value: Any) -> str:
    if value is None:
        return ""
    return _XML_ILLEGAL.sub("", str(value))


def _cell_text(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in _FRACTION_COLUMNS and isinstance(value, (int, float)):
        return f"{float(value):.1%}"
    if isinstance(value, float):
        return f"{value:g}"
    return _text(value)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _set_fonts(document: Any) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Caption"):
        try:
            style = document.styles[name]
        except KeyError:
            continue
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), _EAST_ASIAN_FONT)
    document.styles["Normal"].font.size = Pt(10.5)


def _add_table(document: Any, block: Table) -> None:
    from docx.shared import Pt

    flat = _flat_frame(block.frame)
    shown = flat.head(block.max_rows)
    if block.caption:
        document.add_paragraph(_text(block.caption), style="Caption")
    headers = [chinese_header(c) for c in shown.columns]
    table = document.add_table(rows=1, cols=max(len(headers), 1))
    table.style = "Table Grid"
    for cell, head in zip(table.rows[0].cells, headers):
        cell.text = ""
        run = cell.paragraphs[0].add_run(_text(head))
        run.bold = True
    for values in shown.itertuples(index=False):
        cells = table.add_row().cells
        for cell, column, value in zip(cells, shown.columns, values):
            text = _cell_text(str(column), value)
            cell.text = text
            if str(column) in _STATUS_COLUMNS or chinese_header(column) in _STATUS_COLUMNS:
                if text == "未达标":
                    _shade(cell, _FILL_FAIL)
                elif text == "达标":
                    _shade(cell, _FILL_PASS)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    if len(flat) > len(shown):
        document.add_paragraph(f"（另有 {len(flat) - len(shown)} 行未列出，见 Excel 工作簿。）")


def write_docx(
    path: str | Path,
    blocks: Sequence[Block],
    *,
    title: str,
    date: str | dt.date | None = None,
    attribution: str | None = None,
) -> Path:
    """Write a Word document: the title and date, then ``blocks`` in order.

    Parameters
    ----------
    path
        The ``.docx`` file to write (replaced when present).
    blocks
        :class:`Heading`, :class:`Paragraph`, :class:`Bullets`, :class:`Table` and
        :class:`Picture` blocks.
    title
        The document title (Chinese).
    date
        The date under the title (default today).
    attribution
        A closing line, e.g. ``© OpenStreetMap contributors (ODbL)`` where OSM data is used.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        When the path does not end with .docx, its folder is missing, the title is empty or
        a picture file does not exist.
    """
    from docx import Document
    from docx.shared import Cm

    out = _check_path(path, suffixes=(".docx",))
    if not isinstance(title, str) or not title.strip():
        raise InputError("文档标题不能为空，例如“江岸区 民政服务设施覆盖情况简报”。")
    document = Document()
    _set_fonts(document)
    document.add_heading(_text(title), level=0)
    when = date or dt.date.today()
    document.add_paragraph(f"日期：{when.isoformat() if isinstance(when, dt.date) else when}")
    for block in blocks:
        if isinstance(block, Heading):
            document.add_heading(_text(block.text), level=min(max(block.level, 1), 3))
        elif isinstance(block, Paragraph):
            document.add_paragraph(_text(block.text))
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(_text(item), style="List Bullet")
        elif isinstance(block, Table):
            _add_table(document, block)
        elif isinstance(block, Picture):
            picture = Path(block.path)
            if not picture.is_file():
                raise InputError(f"图片文件 {str(picture)!r} 不存在；请先生成静态地图。")
            document.add_picture(str(picture), width=Cm(block.width_cm))
            if block.caption:
                document.add_paragraph(_text(block.caption), style="Caption")
        else:
            raise InputError(f"文档内容块 {block!r} 的类型未知。")
    if attribution:
        document.add_paragraph(_text(attribution))
    document.save(str(out))
    return out
