"""The four facility layers and how each is counted.

Shared vocabulary for geo/, analysis/ and the app: layer keys are ASCII, labels are Chinese.
"""

from __future__ import annotations

from typing import Final

from geo._errors import InputError

#: layer key -> Chinese label shown to users
LAYERS: Final[dict[str, str]] = {
    "elderly_care": "养老服务中心",
    "social_work": "社工站",
    "cremains": "骨灰安放设施",
    "minor_protection": "未成年人保护工作站",
}

#: the administrative level whose units must each hold >=1 facility, by default
DEFAULT_UNIT_LEVEL: Final[dict[str, str]] = {
    "elderly_care": "township",
    "social_work": "township",
    "cremains": "county",
    "minor_protection": "township",
}

#: words in a register's 类型 column (or file name) that identify a layer
LAYER_KEYWORDS: Final[dict[str, tuple[str, ...]]] = {
    "elderly_care": ("养老", "敬老", "颐养", "日间照料", "elderly", "nursing"),
    "social_work": ("社工", "社会工作", "慈善", "social"),
    "cremains": ("骨灰", "公墓", "安葬", "安放", "殡", "陵园", "cemetery", "cremains"),
    "minor_protection": ("未成年", "儿童", "minor", "child"),
}

#: unit levels
LEVEL_LABELS: Final[dict[str, str]] = {
    "township": "乡镇（街道）",
    "street_only": "街道",
    "county": "县（区）",
    "village": "村（社区）",
}


def layer_label(layer: str) -> str:
    """Chinese label of a layer key; raises InputError for an unknown key."""
    try:
        return LAYERS[layer]
    except KeyError:
        raise InputError(
            f"unknown facility layer {layer!r}; use one of {', '.join(LAYERS)}"
        ) from None
