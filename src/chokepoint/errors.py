"""Exceptions raised by the chokepoint core; the CLI turns them into messages and exit code 2."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnalysisError",
    "ArgumentError",
    "ChainError",
    "ChainNotFoundError",
    "ChokepointError",
    "DistributedError",
    "OutputError",
    "Problem",
    "ScenarioError",
    "SettingError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an input file, located by file, line, column and key path."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.message}"


class ChokepointError(Exception):
    """Base class of every error that bad input (not a bug) can cause; exit code 2."""


class ChainError(ChokepointError):
    """A chain file is invalid; ``problems`` lists the problems found, in file order.

    When more problems were found than the loader was asked to list (``max_errors``), the last
    problem, which has no line, says how many more of each kind there were; ``omitted`` holds
    those counts by kind.
    """

    def __init__(self, problems: list[Problem], omitted: dict[str, int] | None = None) -> None:
        self.problems = list(problems)
        self.omitted = dict(omitted or {})
        super().__init__("\n".join(str(p) for p in self.problems))


class ChainNotFoundError(ChokepointError):
    """A chain name or path matches no file."""


class AnalysisError(ChokepointError):
    """An analysis cannot be computed as asked (bad perspective, singular system, strict mode)."""


class ScenarioError(ChokepointError):
    """A scenario names an unknown origin or node, or a severity outside [0, 1]."""


class ArgumentError(ChokepointError, ValueError):
    """An argument of a public function is out of its range or above its ceiling (``nodes``,
    ``max_rows``); also a :class:`ValueError`."""


class SettingError(ChokepointError):
    """An environment variable (such as ``CHOKEPOINT_MAX_BYTES``) or setting has a bad value."""


class DistributedError(ChokepointError):
    """The distributed mode cannot run: dask is not installed, or its scheduler is unreachable."""


class OutputError(ChokepointError):
    """An output file cannot be written (missing folder, no permission)."""
