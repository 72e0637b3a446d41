"""Errors the tool expects and explains in one line each; every type carries its exit status.

Exit statuses (the CLI contract): 0 all done; 1 some records failed (the others were written);
2 usage, settings or content error (nothing written).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input: where it is (file, row, field) and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def within(self, prefix: str) -> Problem:
        """The same problem, located inside `prefix` (a file name, a row, an outer key)."""
        if not prefix:
            return self
        return Problem(f"{prefix}: {self.where}" if self.where else prefix, self.message)


class R2RError(Exception):
    """Base of every error the tool reports without a traceback."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem | str]) -> None:
        self.problems = tuple(p if isinstance(p, Problem) else Problem("", p) for p in problems)
        super().__init__(self.format())

    def format(self) -> str:
        """One line per problem, ready for stderr."""
        return "\n".join(str(p) for p in self.problems)


class SettingsError(R2RError):
    """`site.toml` is missing or invalid: nothing can be built."""


class ContentError(R2RError):
    """A content page, protocol or template is invalid: nothing is written."""


class RecordError(R2RError):
    """One record (a patient, one output) failed; the others are still produced."""

    exit_code = 1


class OutputError(R2RError):
    """An output could not be written (disk full, read-only folder); earlier outputs are kept."""

    exit_code = 1
