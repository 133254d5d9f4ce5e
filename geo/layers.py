"""The facility layers and how each is counted.

Shared vocabulary for geo/, analysis/ and the app: layer keys are ASCII, labels are Chinese.
The four layers of the mission are counted per township (骨灰安放设施 per county); the three
added for the plans' village-level targets are counted per 城市社区 (社区日间照料机构), per
建制村 (农村互助养老服务设施) and per township (珠山区's 民政服务站).
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
    "day_care": "社区日间照料机构",
    "mutual_aid": "农村互助养老服务设施",
    "civil_station": "民政服务站",
}

#: the layers measured per township or county; every run summarises them (as before the others)
TOWNSHIP_LAYERS: Final[tuple[str, ...]] = (
    "elderly_care",
    "social_work",
    "cremains",
    "minor_protection",
)

#: the administrative level whose units must each hold >=1 facility, by default
DEFAULT_UNIT_LEVEL: Final[dict[str, str]] = {
    "elderly_care": "township",
    "social_work": "township",
    "cremains": "county",
    "minor_protection": "township",
    "day_care": "community",
    "mutual_aid": "village",
    "civil_station": "township",
}

#: words in a register's 类型 column (or file name) that identify a layer
LAYER_KEYWORDS: Final[dict[str, tuple[str, ...]]] = {
    "elderly_care": ("养老", "敬老", "颐养", "日间照料", "elderly", "nursing"),
    "social_work": ("社工", "社会工作", "慈善", "social"),
    "cremains": ("骨灰", "公墓", "安葬", "安放", "殡", "陵园", "cemetery", "cremains"),
    "minor_protection": ("未成年", "儿童", "minor", "child"),
    # longer phrases than elderly_care's 日间照料 / 养老: the more specific layer wins
    "day_care": ("社区日间照料", "日间照料机构", "社区日照", "day care", "daycare", "day_care"),
    "mutual_aid": ("互助养老", "幸福院", "mutual aid", "mutual_aid"),
    "civil_station": ("民政服务站", "民政工作站", "civil_station"),
}

#: unit levels
LEVEL_LABELS: Final[dict[str, str]] = {
    "township": "乡镇（街道）",
    "street_only": "街道",
    "county": "县（区）",
    "community": "城市社区（居委会）",
    "village": "建制村（村委会）",
}

#: the unit levels counted over village-level units, and the unit kind each counts
VILLAGE_LEVEL_KINDS: Final[dict[str, str]] = {"community": "社区", "village": "村"}


def layers_in_text(text: str) -> list[str]:
    """The layers whose keywords a (lower-cased) 类型 text or file name contains.

    When several match, a layer is dropped if every keyword it matched lies inside a longer
    keyword another layer matched: 社区日间照料中心 is 社区日间照料机构 (not 养老服务中心, whose
    日间照料 it contains), 农村互助养老站 is 农村互助养老服务设施 (not 养老). A plain 日间照料中心
    stays 养老服务中心, as before these layers existed.
    """
    matched = {
        key: [w for w in words if w in text]
        for key, words in LAYER_KEYWORDS.items()
        if any(w in text for w in words)
    }
    if len(matched) < 2:
        return list(matched)
    return [
        key
        for key, words in matched.items()
        if not all(
            any(
                w in longer and w != longer
                for o, ws in matched.items()
                if o != key
                for longer in ws
            )
            for w in words
        )
    ]


def layer_label(layer: str) -> str:
    """Chinese label of a layer key; raises InputError for an unknown key."""
    try:
        return LAYERS[layer]
    except KeyError:
        raise InputError(
            f"unknown facility layer {layer!r}; use one of {', '.join(LAYERS)}"
        ) from None
