"""Self-contained HTML maps: the vendored Leaflet files inlined, no CDN needed to open them."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any, Final

from geo._errors import InputError
from geo._vendor import VENDORED, leaflet_dir
from geo.export.headers import _check_path

_SCRIPT_SRC: Final = re.compile(
    r"<script\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>\s*</script>", re.I
)
_LINK_HREF: Final = re.compile(r"<link\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"'][^>]*?/?>", re.I)
_CSS_URL: Final = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")


def _vendored_text(url: str) -> str:
    return (leaflet_dir() / VENDORED[url]).read_text(encoding="utf-8")


def _inline_css(css: str) -> str:
    def data_uri(match: re.Match[str]) -> str:
        image = leaflet_dir() / match.group(2)
        if not image.is_file():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return _CSS_URL.sub(data_uri, css).replace("</style", "<\\/style")


def vendored_data_url(url: str) -> str | None:
    """A ``data:`` URL holding the vendored file that replaces ``url`` (None if not vendored).

    For pages that load assets by URL (e.g. ``streamlit_folium``'s ``default_js``/``default_css``
    links), so they work without a CDN; images referenced by the CSS are inlined too.
    """
    if url not in VENDORED:
        return None
    text = _vendored_text(url)
    if VENDORED[url].endswith(".css"):
        css = _inline_css(text)  # the same image inlining as in saved maps
        return "data:text/css;base64," + base64.b64encode(css.encode("utf-8")).decode("ascii")
    return "data:text/javascript;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def html_self_contained(html: str) -> str:
    """Replace the vendored Leaflet links of a rendered map with the files' inlined text.

    Raises
    ------
    InputError
        When the page links any other script or stylesheet (a plugin whose assets are not
        vendored): it would not load offline.
    """

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        if url not in VENDORED:
            return match.group(0)
        code = _vendored_text(url).replace("</script", "<\\/script")
        return f"<script>/* {VENDORED[url]}, inlined; see geo/_vendor */\n{code}\n</script>"

    def link(match: re.Match[str]) -> str:
        url, tag = match.group(1), match.group(0)
        if "stylesheet" not in tag.lower() or url not in VENDORED:
            return tag
        return (
            f"<style>/* {VENDORED[url]}, inlined */\n{_inline_css(_vendored_text(url))}\n</style>"
        )

    html = _SCRIPT_SRC.sub(script, html)
    html = _LINK_HREF.sub(link, html)
    external = sorted(
        {m.group(1) for m in _SCRIPT_SRC.finditer(html)}
        | {m.group(1) for m in _LINK_HREF.finditer(html) if "stylesheet" in m.group(0).lower()}
    )
    if external:
        raise InputError(
            f"the map links {', '.join(external)}, which is not vendored, so the "
            "saved file would not work offline; build the map without that plugin, or vendor "
            "its files under geo/_vendor (see scripts/vendor_leaflet.sh)."
        )
    return html


def save_html(fmap: Any, path: str | Path) -> Path:
    """Save a folium map as ONE self-contained HTML file (UTF-8).

    Leaflet's script and stylesheet are inlined from ``geo/_vendor``; the page then needs the
    network only for basemap tiles (none with ``basemap="none"``) and opens by double-click.

    Parameters
    ----------
    fmap
        A ``folium.Map`` (or its ``branca`` Figure), e.g. from
        :func:`analysis.maps.coverage_map`.
    path
        The ``.html`` file to write.
    """
    out = _check_path(path, suffixes=(".html", ".htm"))
    root = fmap.get_root() if hasattr(fmap, "get_root") else fmap
    if not hasattr(root, "render"):
        raise InputError(f"save_html needs a folium map, got {type(fmap).__name__}")
    html = html_self_contained(root.render())
    out.write_text(html, encoding="utf-8")
    return out
