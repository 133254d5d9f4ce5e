"""Opening a workspace file, its schema check, and the one-transaction-per-write rule."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import duckdb
import pandas as pd
import pyarrow as pa

from geo._errors import InputError, WorkspaceError
from geo.settings import workspace_path
from geo.workspace.schema import _DDL, SCHEMA_VERSION


class _Base:
    """The connection, its transactions and query helpers (the public class is ``Workspace``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._con = con
        self.path = path
        self._depth = 0  # open transactions: the outermost one commits or rolls back

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open(cls, path: str | Path | None = None, *, read_only: bool = False) -> Self:
        """Open (and create, when absent) a workspace.

        Parameters
        ----------
        path
            The DuckDB file, or ``":memory:"``; default ``geo.settings.workspace_path()``.
        read_only
            Open without the write lock (the file must exist).
        """
        target = str(workspace_path() if path is None else path)
        if target != ":memory:" and not target.startswith(":memory:"):
            parent = Path(target).resolve().parent
            if not parent.is_dir():
                raise WorkspaceError(
                    f"工作区 {target!r}：文件夹 {str(parent)!r} 不存在；"
                    "请先创建该文件夹，或换一个路径（--workspace 或 SERVICECIRCLE_WORKSPACE）"
                )
            if read_only and not Path(target).is_file():
                raise WorkspaceError(
                    f"workspace {target!r} does not exist; open it once without read_only to "
                    "create it."
                )
        try:
            con = duckdb.connect(target, read_only=read_only)
        except duckdb.Error as exc:
            hint = (
                "另一个程序（例如正在运行的 app）正占用该文件：请先关闭那个程序"
                if "lock" in str(exc).lower()
                else "请确认它是 servicecircle 的 DuckDB 工作区文件，或换一个路径"
            )
            raise WorkspaceError(f"无法打开工作区 {target!r}（{str(exc)[:200]}）；{hint}") from exc
        ws = cls(con, target)
        try:
            ws._ensure_schema(read_only=read_only)
        except BaseException:
            con.close()
            raise
        return ws

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({self.path!r})"

    def _ensure_schema(self, *, read_only: bool) -> None:
        try:
            if not read_only:
                with self._transaction("creating the workspace tables"):
                    for statement in _DDL:
                        self._con.execute(statement)
                    self._con.execute(
                        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                        [str(SCHEMA_VERSION)],
                    )
            row = self._con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except duckdb.Error as exc:
            raise WorkspaceError(
                f"{self.path!r} 不是 servicecircle 工作区（{str(exc)[:200]}）；请换一个工作区文件"
            ) from exc
        version = int(row[0]) if row else None
        if version != SCHEMA_VERSION:
            raise WorkspaceError(
                f"工作区 {self.path!r} 的格式版本为 {version}，本程序读取版本 {SCHEMA_VERSION}；"
                "请升级 servicecircle，或使用新的工作区文件"
            )

    # ------------------------------------------------------------------ transactions
    class _Tx:
        def __init__(self, ws: _Base, what: str) -> None:
            self.ws, self.what = ws, what

        def __enter__(self) -> None:
            if self.ws._depth == 0:
                self.ws._con.begin()
            self.ws._depth += 1

        def __exit__(
            self,
            exc_type: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> Literal[False]:
            self.ws._depth -= 1
            if self.ws._depth > 0:
                return False  # an enclosing transaction commits or rolls back
            con = self.ws._con
            if exc is None:
                try:
                    con.commit()
                except duckdb.Error as commit_exc:
                    con.rollback()
                    raise WorkspaceError(
                        f"{self.what}未能写入工作区 {self.ws.path!r}（{commit_exc}）；工作区未改动"
                    ) from commit_exc
                return False
            con.rollback()
            if isinstance(exc, (WorkspaceError, InputError)) or not isinstance(exc, Exception):
                return False  # re-raised as it is (it already names the row / argument)
            raise WorkspaceError(
                f"{self.what}写入工作区 {self.ws.path!r} 时出错（{exc}）；工作区未改动"
            ) from exc

    def _transaction(self, what: str) -> _Base._Tx:
        return _Base._Tx(self, what)

    def transaction(self, what: str = "本次运行") -> _Base._Tx:
        """One transaction around several writes (e.g. a run's imports and its run record).

        Writes inside join it; when anything in the block raises, all of them are rolled back
        and the workspace is left exactly as it was::

            with ws.transaction("coverage run"):
                ws.save_import(...)
                ws.save_run(...)
        """
        return _Base._Tx(self, what)

    def _scalar(self, query: str, params: list[Any] | None = None) -> Any:
        row = self._con.execute(query, params or []).fetchone()
        return None if row is None else row[0]

    def _df(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        try:
            return self._con.execute(query, params or []).df()
        except duckdb.Error as exc:
            raise WorkspaceError(f"reading workspace {self.path!r} failed: {exc}") from exc

    def _insert(self, table: str, columns: dict[str, Any], types: dict[str, pa.DataType]):
        arrow = pa.table(
            {
                name: values if isinstance(values, pa.Array) else pa.array(values, type=types[name])
                for name, values in columns.items()
            }
        )
        names = ", ".join(f'"{c}"' for c in columns)
        self._con.register("_sc_batch", arrow)
        try:
            self._con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _sc_batch")
        finally:
            self._con.unregister("_sc_batch")
