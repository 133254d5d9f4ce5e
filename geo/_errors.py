"""The project's exceptions, all on built-in bases so callers can catch either.

Every message names the argument, file or row, shows the bad value and says the fix.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user: a file, a column, a value or an argument."""


class DataMissingError(FileNotFoundError):
    """A data file or the reference bundle is not where it should be."""


class InfeasibleError(ValueError):
    """A target or constraint that no choice of sites can meet; the message says why."""


class WorkspaceError(RuntimeError):
    """The DuckDB workspace could not be read or written; it is left as it was."""
