"""Walkable ways of an OSM file as flat node arrays, and those arrays as street segments.

The hot loop never touches a way's nodes in Python. libosmium reads the file with its
node-location cache, only ways with a ``highway`` key reach Python, which tests each way's tags
once and hands the kept ways back to libosmium's OPL writer with their node locations
(``locations_on_ways``). Every ``BATCH_NODES`` way nodes the OPL text is cut to its node lists
(one regular expression and one ``bytes.translate``) and parsed by pyarrow's CSV reader (C++,
exact float parsing) into ref/lon/lat columns, so memory and temporary disk stay bounded by a
batch, whatever the size of the province.
"""

from __future__ import annotations

import re
import tempfile
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from geo._errors import InputError

BATCH_NODES = 1_000_000  # way nodes per OPL batch (~ 30 MB of text)
_NODE_LIST = re.compile(rb"(?m)^[^\n]* N")  # a way's id and tags, up to its node list
# "n<ref>x<lon>y<lat>," -> "<ref>,<lon>,<lat>\n": a CSV of three columns
_TO_CSV = bytes.maketrans(b",xy", b"\n,,")


def read_way_nodes(
    path: Path, keep_way: Callable[[Any], bool]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node refs, lon and lat of every kept way, flattened in way order, and each way's first row.

    A node whose location the file lacks (a clipped extract) has NaN coordinates.
    """
    refs: list[np.ndarray] = []
    lon: list[np.ndarray] = []
    lat: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    try:
        for batch, n_nodes in _opl_batches(path, keep_way):
            r, x, y = _parse_opl(batch, int(n_nodes.sum()))
            refs.append(r)
            lon.append(x)
            lat.append(y)
            counts.append(n_nodes)
    except RuntimeError as err:  # libosmium: unreadable or corrupt file
        raise InputError(f"{path}: cannot read it as OpenStreetMap data ({err}).") from err
    if not counts:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty, empty.astype(np.int64)
    n = np.concatenate(counts)
    starts = np.r_[0, np.cumsum(n)[:-1]].astype(np.int64)
    return np.concatenate(refs), np.concatenate(lon), np.concatenate(lat), starts


def _opl_batches(path: Path, keep_way: Callable[[Any], bool]) -> Iterator[tuple[Path, np.ndarray]]:
    """Write the kept ways to temporary OPL files of about ``BATCH_NODES`` way nodes; yield
    each file when full, with the node count of each of its ways."""
    import osmium

    fp = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    with tempfile.TemporaryDirectory(prefix="servicecircle-osm-") as tmp:
        k = 0

        def opened() -> tuple[osmium.SimpleWriter, Path]:
            out = Path(tmp) / f"ways-{k}.opl"
            spec = osmium.io.File(str(out), "opl,add_metadata=false,locations_on_ways=true")
            return osmium.SimpleWriter(spec), out

        writer, out = opened()
        sizes = array("q")
        total = 0
        try:
            for way in fp:
                if not keep_way(way.tags):
                    continue
                writer.add_way(way)  # type: ignore[arg-type]
                m = len(way.nodes)  # type: ignore[union-attr]
                sizes.append(m)
                total += m
                if total >= BATCH_NODES:
                    writer.close()
                    yield out, np.frombuffer(sizes, dtype=np.int64).copy()
                    out.unlink()
                    k += 1
                    writer, out = opened()
                    sizes, total = array("q"), 0
        finally:
            writer.close()
        if len(sizes):
            yield out, np.frombuffer(sizes, dtype=np.int64).copy()


def _parse_opl(path: Path, n_nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One OPL batch (``w<id> T<tags> Nn<ref>x<lon>y<lat>,…`` per line) as three columns.

    Tags are %-escaped (no spaces), and node lists hold no spaces, so everything up to a line's
    last ``" N"`` is the way's id and tags.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    text = _NODE_LIST.sub(b"", path.read_bytes()).translate(_TO_CSV, b"n")
    table = pacsv.read_csv(
        pa.py_buffer(text),
        # the system allocator gives freed batches back; jemalloc's pool would keep them
        memory_pool=pa.system_memory_pool(),
        read_options=pacsv.ReadOptions(column_names=["ref", "lon", "lat"]),
        convert_options=pacsv.ConvertOptions(
            column_types={"ref": pa.int64(), "lon": pa.float64(), "lat": pa.float64()}
        ),
    )
    del text
    if table.num_rows != n_nodes:
        raise InputError(
            f"{path.name}: {table.num_rows} way nodes parsed where {n_nodes} were written."
        )
    out = [_column(table.column(c), dtype) for c, dtype in (("ref", np.int64), ("lon", float))]
    out.append(_column(table.column("lat"), float))
    return out[0], out[1], out[2]


def _column(col: Any, dtype: type) -> np.ndarray:
    """An Arrow column of int64/float64 as numpy, straight from its buffers, nulls (nodes
    without a location) as NaN: pyarrow's own conversions would import pandas (a second and
    60 MB for nothing)."""
    parts = []
    for k in col.chunks:
        bitmap, data = k.buffers()[0], k.buffers()[1]
        a: np.ndarray = np.frombuffer(data, dtype=dtype, count=len(k), offset=k.offset * 8).copy()
        if bitmap is not None and k.null_count:
            if a.dtype.kind != "f":
                raise InputError("an OSM way lists a node without an id; the file is damaged.")
            bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
            a[bits[k.offset : k.offset + len(k)] == 0] = np.nan
        parts.append(a)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def segments_from_way_nodes(
    refs: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    starts: np.ndarray,
    *,
    bbox: tuple[float, float, float, float] | None,
) -> tuple[np.ndarray, ...]:
    """Segments between consecutive way nodes: ``node_id, lon, lat, u, v, a`` where ``a`` is
    each segment's first row in the flat arrays (its second is ``a + 1``).

    Pairs across two ways, repeated nodes (``n1 n1``) and ends without a location are no
    segment; with ``bbox`` both ends must lie inside. Nodes are unique and all used.
    """
    k = len(refs)
    ok = np.ones(max(k - 1, 0), dtype=bool)
    inner = starts[(starts > 0) & (starts < k)]
    ok[inner - 1] = False  # the last node of a way and the first of the next
    ok &= refs[:-1] != refs[1:]
    has = np.isfinite(lon) & np.isfinite(lat)
    if bbox is not None:
        w, s, e, n = bbox
        has &= (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
    ok &= has[:-1] & has[1:]
    a = np.flatnonzero(ok)
    del ok, has
    uniq, inv = np.unique(refs, return_inverse=True)
    inv = inv.reshape(-1)
    u_all, v_all = inv[a], inv[a + 1]
    used = np.zeros(len(uniq), dtype=bool)
    used[u_all] = True
    used[v_all] = True
    new_pos = np.cumsum(used, dtype=np.int64) - 1
    node_lon = np.empty(len(uniq))
    node_lat = np.empty(len(uniq))
    node_lon[inv] = lon  # every occurrence of a node carries its one location
    node_lat[inv] = lat
    return (
        uniq[used].astype(np.int64),
        node_lon[used],
        node_lat[used],
        new_pos[u_all],
        new_pos[v_all],
        a,
    )
