"""Writers for planners: a formatted Excel workbook, CSV for Excel, GeoJSON, self-contained HTML maps.

Every writer takes the output path first, never changes its input, and writes text exactly as
given: a facility named ``<script>…`` or ``=HYPERLINK(…)`` stays plain text in every format.
"""

from geo.export.excel import write_excel
from geo.export.headers import CHINESE_HEADERS, chinese_header
from geo.export.html import html_self_contained, save_html, vendored_data_url
from geo.export.text import write_csv, write_geojson

__all__ = [
    "CHINESE_HEADERS",
    "chinese_header",
    "html_self_contained",
    "save_html",
    "vendored_data_url",
    "write_csv",
    "write_excel",
    "write_geojson",
]
