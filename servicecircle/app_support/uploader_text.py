"""Streamlit's own widget texts in Chinese — the file uploader's, and the multiselect's
"Select all" — (it has no setting for them: a stylesheet hides the English words and writes
Chinese ones in their place)."""

from __future__ import annotations

import streamlit as st


def uploader_css(*, limit_mb: float) -> str:
    """The stylesheet: '拖放文件到此处', '选择文件', the limit and '全选', in place of Streamlit's."""
    return f"""<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > span,
[data-testid="stFileUploaderDropzoneInstructions"] > div > small {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: "拖放文件到此处，或点击右侧按钮选择；每个文件不超过 {limit_mb:g} MB";
  font-size: 0.875rem;
}}
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"] {{
  font-size: 0 !important;
}}
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"] * {{
  display: none;
}}
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"]::after {{
  content: "选择文件";
  font-size: 0.875rem;
}}
[data-key="__select_all__"] > div, [data-key="__select_matches__"] > div {{ font-size: 0; }}
[data-key="__select_all__"] > div::after {{ content: "全选"; font-size: 0.875rem; }}
[data-key="__select_matches__"] > div::after {{ content: "全选匹配项"; font-size: 0.875rem; }}
</style>"""


def chinese_uploader_texts(*, limit_mb: float) -> None:
    """Put the Chinese uploader texts on the page (a stylesheet of ours, no user input)."""
    st.markdown(uploader_css(limit_mb=limit_mb), unsafe_allow_html=True)
