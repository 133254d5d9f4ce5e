"""Where a batch run keeps its files, atomic writes, and the keys that say a file is current.

Layout under the cache folder (default ``<out>/cache``; on a cluster it must be a folder
every worker sees)::

    streets/<key>.parquet              the whole street table, read once from the .osm.pbf
    pieces/<key>/<halo>/<code>.parquet one street piece per county (+ pieces.json)
    search/<key>/<halo>/<code>.npz     a county's compiled graph and snaps (warm recompute)

and under ``--out``: ``counties/<code>.parquet``, one result per county, written by its task.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block ends without error.

    A reader sees the old file or the whole new one, never half of it; a task killed while
    writing leaves only a ``.tmp-*`` file, which the next writer ignores.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def digest(*parts: object) -> str:
    """A short stable hash of plain values, arrays and tables (16 hex digits)."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, pd.DataFrame):
            # column by column: numbers as bytes, text joined (pandas' row hashing of Arrow
            # strings is 100× slower and this runs for every county of every run)
            h.update(json.dumps(list(map(str, p.columns))).encode())
            for c in p.columns:
                col = p[c]
                if col.dtype.kind in "biufM":
                    h.update(np.ascontiguousarray(col.to_numpy()).tobytes())
                else:
                    h.update("\x1f".join(col.astype(str).tolist()).encode())
                h.update(b"\x1e")
        elif isinstance(p, np.ndarray):
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"|")
    return h.hexdigest()[:16]


def file_key(path: Path) -> str:
    """Key of an input file: its name, size and modification time (no need to read it)."""
    st = Path(path).stat()
    return f"{Path(path).stem.split('.')[0]}-{digest(Path(path).name, st.st_size, st.st_mtime_ns)}"
