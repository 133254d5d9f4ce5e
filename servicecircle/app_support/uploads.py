"""Registers uploaded in the browser: checked (size, type, layer, coordinate system) and wrapped
as plain, hashable values for ``st.cache_data``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from geo._errors import InputError
from geo.layers import LAYERS
from servicecircle.app_support.choices import CRS_CHOICES

if TYPE_CHECKING:
    from servicecircle.workflows import (
        RegisterSpec,
    )


#: largest register file accepted from the browser, in MB (the uploader lets twice as much
#: through, up to ``server.maxUploadSize``, so the message past it is this module's, in Chinese)
MAX_UPLOAD_MB: Final = 200.0

#: environment variable overriding :data:`MAX_UPLOAD_MB` (read at call time)
MAX_UPLOAD_MB_ENV: Final = "SERVICECIRCLE_MAX_UPLOAD_MB"


def max_upload_mb() -> float:
    """The upload limit in MB: ``SERVICECIRCLE_MAX_UPLOAD_MB`` when set, else 200."""
    import os

    text = os.environ.get(MAX_UPLOAD_MB_ENV, "").strip()
    try:
        value = float(text) if text else MAX_UPLOAD_MB
    except ValueError:
        raise InputError(
            f"环境变量 {MAX_UPLOAD_MB_ENV}={text!r} 不是数字；请设为以 MB 计的上限，如 200。"
        ) from None
    return value if value > 0 else MAX_UPLOAD_MB


#: file types the uploader accepts (parsed by :func:`geo.registers.read_register`, never run)
UPLOAD_TYPES: Final = ("csv", "xlsx", "geojson", "json", "zip", "gpkg")


@dataclass(frozen=True)
class UploadedRegister:
    """One register from the browser: its bytes and how to read them.

    Frozen and made of plain values, so ``st.cache_data`` can hash it.
    """

    name: str
    data: bytes
    layer: str | None = None
    crs: str = "auto"

    def spec(self) -> RegisterSpec:
        """The :class:`~servicecircle.workflows.RegisterSpec` reading these bytes."""
        from servicecircle.workflows import RegisterSpec

        return RegisterSpec((self.data, self.name), layer=self.layer, crs=self.crs)


def check_upload(*, name: str, size_bytes: int, max_mb: float | None = None) -> None:
    """Refuse an upload that is too large or of a type the reader does not take.

    Parameters
    ----------
    name
        The uploaded file's name.
    size_bytes
        Its size.
    max_mb
        The largest size accepted, in MB (1 MB = 1,048,576 bytes; default :func:`max_upload_mb`).

    Raises
    ------
    InputError
        Naming the file, its size or suffix, and what to do.
    """
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_TYPES:
        raise InputError(
            f"上传文件 {name!r} 的类型 .{suffix or '(无扩展名)'} 不受支持；请另存为 "
            f"{' / '.join('.' + t for t in UPLOAD_TYPES)}（Shapefile 请把 .shp/.shx/.dbf/.prj/.cpg "
            "一起压缩成 .zip）。"
        )
    if size_bytes <= 0:
        raise InputError(f"上传文件 {name!r} 是空文件（0 字节）；请检查导出是否成功后重新上传。")
    max_mb = max_upload_mb() if max_mb is None else max_mb
    limit = int(max_mb * 1024 * 1024)
    if size_bytes > limit:
        raise InputError(
            f"上传文件 {name!r} 大小 {size_bytes / 1024 / 1024:.1f} MB，超过上限 {max_mb:g} MB；"
            "请只保留设施名称、类型、所属乡镇（街道）、经纬度、地址等列，或按设施类型拆分后分别上传。"
        )


def uploaded_register(
    *,
    name: str,
    data: bytes,
    layer: str | None = None,
    crs: str = "auto",
    max_mb: float | None = None,
) -> UploadedRegister:
    """Check an upload and wrap it; ``layer`` None lets the reader decide from 类型 or the name.

    Raises
    ------
    InputError
        When the file is too large, empty or of another type, or ``layer``/``crs`` is unknown.
    """
    check_upload(name=name, size_bytes=len(data), max_mb=max_mb)
    if layer is not None and layer not in LAYERS:
        raise InputError(
            f"上传文件 {name!r} 的设施类型 {layer!r} 未知；请选择 {'、'.join(LAYERS.values())}。"
        )
    if crs not in CRS_CHOICES:
        raise InputError(
            f"上传文件 {name!r} 的坐标系 {crs!r} 未知；请选择 {'、'.join(CRS_CHOICES.values())}。"
        )
    return UploadedRegister(name=name, data=bytes(data), layer=layer, crs=crs)


def register_specs(registers: Sequence[UploadedRegister] | None) -> list[RegisterSpec]:
    """Specs of the uploaded registers, or the four demo registers when ``registers`` is None."""
    if registers is None:
        from servicecircle.demo import demo_register_specs

        return demo_register_specs()
    return [r.spec() for r in registers]
