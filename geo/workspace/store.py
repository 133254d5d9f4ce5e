"""Cached layers (boundaries, streets) and saved analysis runs with their result tables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from geo._errors import InputError
from geo.workspace.core import _Base
from geo.workspace.schema import _BATCH_ROWS, Run
from geo.workspace.values import (
    _check_table_name,
    _crs_text,
    _dumps,
    _from_wkb,
    _now,
    _table_from_parquet,
    _table_to_parquet,
    _wkb,
)


class _Store(_Base):
    """Cached layers, runs, and whole-workspace snapshots."""

    def save_layer(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Cache a GeoDataFrame by name (replacing one of the same name), in one transaction.

        Attributes are stored as one JSON object per row and come back with the same column
        order; the index is not kept.

        Parameters
        ----------
        name
            The cache name, e.g. ``"townships:420100"``.
        gdf
            Any GeoDataFrame (its CRS is kept).
        kind
            What it is, e.g. ``"boundaries"``, ``"townships"``, ``"street_edges"``.
        params
            How it was made (JSON-serialisable), e.g. the source file and its sha256.
        """
        _check_table_name(name, argument="name")
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(f"layer {name!r}: expected a GeoDataFrame, got {type(gdf).__name__}")
        geometry_name = gdf.geometry.name
        attrs = pd.DataFrame(gdf.drop(columns=[geometry_name]))
        attrs.columns = [str(c) for c in attrs.columns]
        lines = (
            attrs.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
            .rstrip("\n")
            .split("\n")
            if len(attrs)
            else []
        )
        if len(attrs.columns) == 0:
            lines = ["{}"] * len(gdf)
        params_json = _dumps(dict(params or {}), what=f"params of layer {name!r}")
        columns_json = _dumps(list(attrs.columns), what=f"columns of layer {name!r}")
        with self._transaction(f"saving layer {name!r}"):
            self._con.execute("DELETE FROM layer_features WHERE layer = ?", [name])
            self._con.execute("DELETE FROM layers WHERE name = ?", [name])
            self._con.execute(
                "INSERT INTO layers VALUES (?, ?, ?, ?, ?, ?, ?)",
                [name, kind, params_json, _crs_text(gdf), columns_json, len(gdf), _now()],
            )
            geoms = gdf.geometry.to_numpy()
            for start in range(0, len(gdf), _BATCH_ROWS):
                stop = min(start + _BATCH_ROWS, len(gdf))
                cols: dict[str, list[Any]] = {
                    "layer": [name] * (stop - start),
                    "ord": list(range(start, stop)),
                    "attrs": lines[start:stop],
                    "geom": [
                        _wkb(geoms[i], where=f"layer {name!r}, row {i}") for i in range(start, stop)
                    ],
                }
                self._insert(
                    "layer_features",
                    cols,
                    {
                        "layer": pa.string(),
                        "ord": pa.int64(),
                        "attrs": pa.string(),
                        "geom": pa.binary(),
                    },
                )

    def load_layer(self, name: str) -> gpd.GeoDataFrame | None:
        """A cached layer by name, or None when there is none."""
        meta = self._con.execute(
            "SELECT crs, columns FROM layers WHERE name = ?", [name]
        ).fetchone()
        if meta is None:
            return None
        crs, columns_json = meta
        columns = json.loads(columns_json) if columns_json else []
        df = self._df("SELECT attrs, geom FROM layer_features WHERE layer = ? ORDER BY ord", [name])
        records = [json.loads(v) if isinstance(v, str) else {} for v in df["attrs"]]
        attrs = (
            pd.DataFrame.from_records(records, columns=columns)
            if records
            else (pd.DataFrame(columns=columns))
        )
        return gpd.GeoDataFrame(attrs, geometry=_from_wkb(df["geom"]), crs=crs)

    def layers(self) -> pd.DataFrame:
        """Cached layers: name, kind, params, crs, columns, n_features, saved_at."""
        df = self._df("SELECT * FROM layers ORDER BY name")
        for c in ("params", "columns"):
            df[c] = [json.loads(v) if isinstance(v, str) else None for v in df[c]]
        return df

    # ------------------------------------------------------------------ runs
    def save_run(
        self,
        kind: str,
        params: Mapping[str, Any],
        tables: Mapping[str, pd.DataFrame],
        *,
        label: str = "",
    ) -> int:
        """Save an analysis run with its result tables (one transaction); returns its id.

        Tables are stored as Parquet (GeoDataFrames as GeoParquet), so list columns, dtypes
        and a named or non-default index come back as they were.

        Parameters
        ----------
        kind
            E.g. ``"coverage"``, ``"reach"``, ``"siting"``.
        params
            The run's parameters (JSON-serialisable).
        tables
            Result tables by name.
        label
            A free text label shown to the planner.
        """
        _check_table_name(kind, argument="kind")
        params_json = _dumps(dict(params), what=f"params of the {kind!r} run")
        blobs: list[tuple[str, str, bytes]] = []
        for name, table in tables.items():
            _check_table_name(name, argument="tables key")
            blobs.append((name, *_table_to_parquet(table, name=name)))
        with self._transaction(f"saving the {kind!r} run"):
            run_id = int(self._scalar("SELECT nextval('run_id_seq')"))
            self._con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                [run_id, kind, params_json, _now(), label],
            )
            for name, fmt, blob in blobs:
                self._con.execute(
                    "INSERT INTO run_tables VALUES (?, ?, ?, ?)", [run_id, name, fmt, blob]
                )
        return run_id

    def load_run(self, run_id: int) -> Run:
        """A saved run with its tables.

        Raises
        ------
        InputError
            When no run has that id.
        """
        row = self._con.execute(
            "SELECT kind, params, created_at, label FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if row is None:
            raise InputError(
                f"run_id {run_id!r} is not in workspace {self.path!r}; see Workspace.runs()."
            )
        kind, params_json, created_at, label = row
        tables = {
            name: _table_from_parquet(bytes(blob), fmt)
            for name, fmt, blob in self._con.execute(
                "SELECT name, format, data FROM run_tables WHERE run_id = ? ORDER BY name",
                [run_id],
            ).fetchall()
        }
        return Run(
            run_id=int(run_id),
            kind=kind,
            params=json.loads(params_json) if params_json else {},
            tables=tables,
            created_at=created_at,
            label=label or "",
        )

    def runs(self, kind: str | None = None) -> pd.DataFrame:
        """Saved runs (of one kind, or all), oldest first, with their table names."""
        where, params = ("WHERE r.kind = ?", [kind]) if kind is not None else ("", [])
        df = self._df(
            "SELECT r.run_id, r.kind, r.label, r.created_at, r.params, "
            "list(t.name ORDER BY t.name) FILTER (WHERE t.name IS NOT NULL) AS tables "
            f"FROM runs r LEFT JOIN run_tables t USING (run_id) {where} "
            "GROUP BY ALL ORDER BY r.run_id",
            params,
        )
        df["params"] = [json.loads(v) if isinstance(v, str) else {} for v in df["params"]]
        df["tables"] = [list(v) if isinstance(v, (list, np.ndarray)) else [] for v in df["tables"]]
        return df

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's full content, rows sorted (to check that a failed write changed nothing)."""
        names = ("meta", "imports", "facilities", "validation", "layers", "layer_features",
                 "runs", "run_tables")  # fmt: skip
        return {
            n: sorted(self._con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names
        }

    def table_counts(self) -> dict[str, int]:
        """Row count of every workspace table (for status displays and checks)."""
        names = ("imports", "facilities", "validation", "layers", "layer_features", "runs",
                 "run_tables")  # fmt: skip
        return {n: int(self._scalar(f"SELECT count(*) FROM {n}")) for n in names}
