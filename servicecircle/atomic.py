"""Output folders written whole: a run writes into a hidden staging folder beside the target, and its files are moved into place only when the run succeeds."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from geo._errors import InputError


@dataclass
class Staging:
    """Where a run writes (``path``) and where its files end up (``final``)."""

    path: Path
    final: Path
    discarded: bool = field(default=False)

    def final_path(self, p: Path | str) -> Path:
        """Where a file written under :attr:`path` lives once the run succeeded."""
        p = Path(p)
        try:
            return self.final / p.relative_to(self.path)
        except ValueError:
            return p  # written elsewhere on purpose

    def final_paths(self, paths: Mapping[str, Path]) -> dict[str, Path]:
        """:meth:`final_path` of every value."""
        return {k: self.final_path(v) for k, v in paths.items()}

    def discard(self) -> None:
        """Throw the staged files away at the end (the run failed without raising)."""
        self.discarded = True

    def _commit(self) -> None:
        self.final.mkdir(parents=True, exist_ok=True)
        for src in sorted(self.path.rglob("*")):
            if src.is_dir():
                continue
            dest = self.final / src.relative_to(self.path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)  # atomic per file on one file system


@contextmanager
def staged_outputs(final: Path) -> Iterator[Staging]:
    """Write a run's outputs into a staging folder; move them into ``final`` on success.

    On an exception (or :meth:`Staging.discard`) the staged files are deleted and ``final``
    is left exactly as it was: a failed run never leaves half of its files over the previous
    run's. Files of the previous run that this run does not write stay where they are.

    Raises
    ------
    InputError
        When the folder beside ``final`` cannot be written.
    """
    final = Path(final)
    created = [d for d in (final.parent, *final.parent.parents) if not d.exists()]
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    except OSError as exc:
        raise InputError(
            f"输出文件夹 {str(final)!r} 无法写入（{exc.strerror or exc}）；请换一个有写权限的 --out 文件夹"
        ) from None
    staging = Staging(tmp, final)
    done = False
    try:
        yield staging
        if not staging.discarded:
            try:
                staging._commit()
            except OSError as exc:
                raise InputError(
                    f"输出文件无法移入 {str(final)!r}（{exc.strerror or exc}）；请关闭在 Excel 等程序中"
                    "打开的输出文件后重试"
                ) from None
            done = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not done:
            for d in created:  # folders made only for this run, innermost first
                try:
                    d.rmdir()
                except OSError:
                    break
