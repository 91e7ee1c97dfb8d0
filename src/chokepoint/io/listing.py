"""Chain files as a whole: checking several (``chokepoint validate``) and listing those found on
the search path (``chokepoint list``).

Nothing here raises for a bad file: every problem is collected into the result, so that one bad
file never hides the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ChainError, ChokepointError
from . import loader

__all__ = ["ChainListing", "ChainRow", "FileCheck", "Validation", "list_chains", "validate"]


# ------------------------------------------------------------------------------------------
# validate


@dataclass(frozen=True, slots=True)
class FileCheck:
    """The check of one chain file: its chain's name and size, or every problem found."""

    given: str
    path: str | None
    chain: str | None
    nodes: int | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the file is a valid chain."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """``{"given", "path", "chain", "nodes", "ok", "problems"}``."""
        return {
            "given": self.given,
            "path": self.path,
            "chain": self.chain,
            "nodes": self.nodes,
            "ok": self.ok,
            "problems": list(self.problems),
        }


@dataclass(frozen=True, slots=True)
class Validation:
    """The checks of ``chokepoint validate``, one per file in the order given."""

    files: tuple[FileCheck, ...]

    @property
    def ok(self) -> bool:
        """Whether every file is valid."""
        return all(f.ok for f in self.files)

    @property
    def problems(self) -> tuple[str, ...]:
        """Every problem of every file, in order (``FILE:LINE:COLUMN: message``)."""
        return tuple(p for f in self.files for p in f.problems)

    def to_dict(self) -> dict[str, Any]:
        """``{"ok", "files": [...]}``."""
        return {"ok": self.ok, "files": [f.to_dict() for f in self.files]}


def validate(files: Iterable[str | os.PathLike[str]]) -> Validation:
    """Check chain files (or names) against format v1, collecting every problem of every file.

    The function behind ``chokepoint validate``. A file that cannot be found or read is a
    problem like any other: nothing is raised for bad input.

    Parameters
    ----------
    files
        Chain files, folders, archives or names of chains.

    Returns
    -------
    Validation
        One :class:`FileCheck` per file; ``ok`` when every file is valid.

    Examples
    --------
    >>> result = validate(["robots", "no-such-chain"])
    >>> [(f.chain, f.ok) for f in result.files]
    [('robots', True), (None, False)]
    >>> result.problems[0].startswith("no chain named 'no-such-chain'")
    True
    """
    checks: list[FileCheck] = []
    for given in files:
        name = os.fspath(given)
        try:
            chain = loader.load_chain(given)
        except ChainError as exc:
            checks.append(FileCheck(name, None, None, None, tuple(str(p) for p in exc.problems)))
            continue
        except ChokepointError as exc:
            checks.append(FileCheck(name, None, None, None, (str(exc),)))
            continue
        checks.append(FileCheck(name, str(chain.path), chain.name, len(chain.nodes), ()))
    return Validation(tuple(checks))


# ------------------------------------------------------------------------------------------
# list


@dataclass(frozen=True, slots=True)
class ChainRow:
    """A chain found on the search path, or the first line of why its file is invalid.

    A chain answers to its ``name`` (the ``name:`` it declares) and to its file name without
    the suffix (:func:`~chokepoint.io.loader.find_chain`); ``file`` is the file (or folder)
    name, ``path`` the whole path. An invalid file's ``name`` is its file name without suffix.
    """

    name: str
    path: str
    title: str | None = None
    perspective: str | None = None
    year: int | None = None
    nodes: int | None = None
    error: str | None = None

    @property
    def file(self) -> str:
        """The file (or folder) name, e.g. ``robots.yaml``."""
        return Path(self.path).name

    def to_dict(self) -> dict[str, Any]:
        """A valid chain's name, file, title, perspective, year, nodes and path; else name, file,
        path and error."""
        if self.error is not None:
            return {"name": self.name, "file": self.file, "path": self.path, "error": self.error}
        return {
            "name": self.name,
            "file": self.file,
            "title": self.title,
            "perspective": self.perspective,
            "year": self.year,
            "nodes": self.nodes,
            "path": self.path,
        }


@dataclass(frozen=True, slots=True)
class ChainListing:
    """The chains of ``chokepoint list``, in search-path order."""

    chains: tuple[ChainRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"chains": [...]}``, each row as :meth:`ChainRow.to_dict`."""
        return {"chains": [row.to_dict() for row in self.chains]}


def list_chains() -> ChainListing:
    """List the chains on ``CHOKEPOINT_PATH`` and those shipped with chokepoint.

    The function behind ``chokepoint list``. A file that fails to load is listed with the first
    line of its error (whatever it raised), so that one bad file never hides the others.

    Examples
    --------
    >>> rows = {row.name: row for row in list_chains().chains}
    >>> rows["robots"].perspective, rows["robots"].file, rows["robots"].error
    ('CN', 'robots.yaml', None)
    """
    rows: list[ChainRow] = []
    for path in loader.iter_chain_files():
        try:
            chain = loader.load_chain(path)
        except ChokepointError as exc:
            first = (str(exc).splitlines() or ["invalid"])[0]
            rows.append(ChainRow(path.stem, str(path), error=first))
            continue
        except Exception as exc:  # one unreadable file must not hide the others
            first = (str(exc).splitlines() or [""])[0]
            rows.append(ChainRow(path.stem, str(path), error=f"{type(exc).__name__}: {first}"))
            continue
        rows.append(
            ChainRow(
                chain.name, str(path), chain.title, chain.perspective, chain.year, len(chain.nodes)
            )
        )
    return ChainListing(tuple(rows))
