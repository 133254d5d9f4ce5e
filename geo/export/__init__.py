"""Writers for planners: a formatted Excel workbook, CSV for Excel, GeoJSON, self-contained HTML maps, Word documents.

Every writer takes the output path first, never changes its input, and writes text exactly as
given: a facility named ``<script>…`` or ``=HYPERLINK(…)`` stays plain text in every format.
"""

from geo.export.docx import Bullets, Heading, Paragraph, Picture, Table, write_docx
from geo.export.excel import write_excel
from geo.export.headers import CHINESE_HEADERS, chinese_header
from geo.export.html import html_self_contained, save_html, vendored_data_url
from geo.export.text import write_csv, write_geojson

__all__ = [
    "Bullets",
    "Heading",
    "Paragraph",
    "Picture",
    "Table",
    "CHINESE_HEADERS",
    "chinese_header",
    "html_self_contained",
    "save_html",
    "vendored_data_url",
    "write_csv",
    "write_docx",
    "write_excel",
    "write_geojson",
]
