"""Progress over counties with an ETA (rich), and the failure list printed at the end."""

from __future__ import annotations

import pandas as pd


class CountyProgress:
    """A rich progress bar over the counties of a batch run: done / total, elapsed, ETA.

    ``enabled=False`` keeps it silent (tests, non-interactive use); the bar is drawn on
    stderr, so the command's printed results stay clean on stdout.
    """

    def __init__(self, *, description: str = "区县", enabled: bool = True) -> None:
        self.description = description
        self.enabled = enabled
        self._progress = None
        self._task = None
        self.failed = 0

    def start(self, *, total: int, already: int = 0) -> None:
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("已用"),
            TimeElapsedColumn(),
            TextColumn("剩余"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[last]}"),
            console=Console(stderr=True),
        )
        self._progress.start()
        self._task = self._progress.add_task(
            self.description, total=total, completed=already, last=""
        )

    def advance(self, label: str, *, ok: bool = True) -> None:
        if not ok:
            self.failed += 1
        if self._progress is None:
            return
        self._progress.update(self._task, advance=1, last=f"{'✓' if ok else '✗'} {label}")

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def failure_lines(failed: pd.DataFrame) -> list[str]:
    """One line per failed county: 名称（代码）：error."""
    return [f"  {r.name}（{r.code}）：{r.error}" for r in failed.itertuples()]
