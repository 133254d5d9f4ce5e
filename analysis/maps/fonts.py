"""A Chinese font for the static map: the project's Noto Sans SC, else a system CJK font."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from geo._errors import DataMissingError

#: Chinese (simplified) font families, in order of preference, for the static map
CJK_FAMILIES: Final = (
    "Noto Sans SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Droid Sans Fallback",
)
_FONT_FIX: Final = (
    "install the project's font package (pip install pylopdf-fonts-zh-cn, Noto Sans SC) or a "
    "system CJK font (apt-get install fonts-noto-cjk)"
)


def cjk_font() -> Any:
    """A matplotlib FontProperties for Chinese text, registering the project's font file.

    Looks first for Noto Sans SC from the ``pylopdf-fonts-zh-cn`` package (a dependency), then
    for a system CJK font that matplotlib knows (:data:`CJK_FAMILIES`).

    Raises
    ------
    DataMissingError
        When no Chinese font is available, saying what to install.
    """
    from matplotlib import font_manager

    try:
        import pylopdf_fonts_zh_cn  # the project's font package: Noto Sans SC (OFL)

        path = Path(pylopdf_fonts_zh_cn.sans_path())
        if path.is_file():
            known = {Path(f.fname) for f in font_manager.fontManager.ttflist}
            if path not in known:
                font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path))
    except ImportError:
        pass
    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return font_manager.FontProperties(fname=installed[family])
    raise DataMissingError(f"no Chinese font found for the static map; {_FONT_FIX}.")
