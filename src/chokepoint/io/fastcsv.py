"""A fast reader of the CSV form, for inputs it can vouch for; every other input goes to the checked one.

The checked reader (:func:`chokepoint.io.tabular.load_large`) turns each row into a mapping of
the YAML form and walks it with :class:`~chokepoint.io.check.Checker`: one Python call per cell,
which at a million links is most of the read. This reader takes the tables column by column
instead: the cells of a column are split out of the text at C speed, each distinct text of a
column (an origin, a share, a source list, a flag) is checked once, node references become
index arrays (numpy), and the rules over rows are whole-array tests: unknown nodes, repeated
rows, shares and cost shares summing above 1. Only when every rule holds are the model's
objects built, in bulk.

It never writes a message. On any doubt it raises :class:`Declined` (with the reason) and
:func:`load_csv_form` hands the input to the checked reader, which reads it again and reports
every problem with its file, line, column and fix, exactly as before. So the fast reader
accepts a subset of what the checked one accepts and builds the same :class:`Chain`
(``tests/test_fastcsv.py`` compares them).

What makes it decline, besides any problem (all the rules of ``docs/chain-format.md``): a header
with a problem; a table holding a quote character, a carriage return or a NUL byte that the
standard csv module reads into a table with a problem; ``suppliers.csv`` with rows; a ``basis``
or ``hs`` cell; a region (the chain's or a standard one) as a share origin; a percentage or any
number written otherwise than with the digits, ``.``, ``e`` and ``+``; a node citing more than
one distinct source text in its share rows; a sum within 1e-9 of its limit (where the order of
additions could matter).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._gc import paused
from ..countries import is_country
from ..errors import ChainError, Problem
from ..model import OTHER, Chain, Input, Node
from .check import SUM_TOLERANCE, Checker
from .limits import DEFAULT_MAX_ERRORS, MAX_BYTES_LARGE
from .schema import MAX_MONTHS
from .tabular import (
    COLUMNS,
    HEADER_FILES,
    REQUIRED_COLUMNS,
    TABLES,
    TableFiles,
    load_large,
    parse_json,
    read_csv_table,
    source_list,
)
from .yamlread import Located, parse_yaml

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Declined", "load_csv_form", "read_fast"]

#: Node ids: slugs, one per line, matched at once.
_SLUGS = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\n[a-z0-9]+(?:-[a-z0-9]+)*)*")
#: The characters of a number the fast reader reads (``float`` of such text, when it parses,
#: is what the checked reader would get; no sign, so no negative zero).
_NUMBER_CHARS = frozenset("0123456789.eE+")
_YEAR = re.compile(r"[0-9]{4}")
#: The ASCII characters that ``str.strip`` removes, but the line break.
_SPACES = " \t\x0b\x0c\x1c\x1d\x1e\x1f"
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
#: A sum this close to its limit is left to the checked reader, which adds in its own order.
_MARGIN = 1e-9


class Declined(Exception):  # noqa: N818 - an outcome, not a failure
    """The fast reader does not vouch for this input; the message says why."""


def load_csv_form(
    path: Path, *, max_bytes: int | None = None, max_errors: int = DEFAULT_MAX_ERRORS
) -> Chain:
    """Load the CSV form (a folder or a ``.zip``): the fast reader, else the checked one.

    The result, and every error, are those of :func:`chokepoint.io.tabular.load_large`.
    """
    try:
        return read_fast(path, max_bytes=max_bytes)
    except Declined:
        pass
    return load_large(path, max_bytes=max_bytes, max_errors=max_errors)


def read_fast(path: Path, *, max_bytes: int | None = None) -> Chain:
    """Read the CSV form without the per-row checker, or decline.

    Raises
    ------
    Declined
        On any problem or any feature this reader does not handle (the module's docstring
        lists them); the checked reader then decides, with located messages.
    """
    limit = MAX_BYTES_LARGE.get(max_bytes)
    with paused():
        try:
            files = TableFiles(path, limit)
        except ChainError:
            raise Declined("the folder or archive cannot be opened") from None
        try:
            return _read(files, str(path))
        except ChainError:
            raise Declined("a file cannot be read within the limits") from None
        finally:
            files.close()


class _Columns:
    """A table's cells by column (stripped texts), and the line of each row."""

    def __init__(self, columns: dict[str, list[str]], rows: int, lines: Sequence[int]) -> None:
        self.columns = columns
        self.rows = rows
        self.lines = lines

    def get(self, name: str) -> list[str] | None:
        return self.columns.get(name)

    def filled(self, name: str) -> bool:
        """True when column ``name`` has a non-empty cell."""
        cells = self.columns.get(name)
        return cells is not None and any(cells)


def _read_columns(files: TableFiles, name: str) -> _Columns:
    text = files.text(name, table=True)
    head, _, body = text.partition("\n")
    header = [cell.strip() for cell in head.split(",")]
    allowed = COLUMNS[name]
    if (
        len(set(header)) != len(header)
        or not set(header) <= set(allowed)
        or not set(REQUIRED_COLUMNS[name]) <= set(header)
    ):
        raise Declined(f"{name}: its header has a problem")
    if '"' in text or "\r" in text or "\x00" in text:
        problems: list[Problem] = []
        table = read_csv_table(files, name, problems)
        if problems or table is None:
            raise Declined(f"{name}: the csv module finds a problem")
        columns = {column: table.column(column) for column in table.columns}
        return _Columns(columns, len(table.records), table.lines)
    width = len(header)
    body = body.removesuffix("\n")
    if not body:
        return _Columns({column: [] for column in header}, 0, range(0))
    lines = body.split("\n")
    rows = len(lines)
    if body.count(",") != rows * (width - 1) or set(map(str.count, lines, repeat(","))) != {
        width - 1
    }:
        raise Declined(f"{name}: a line has too many or too few fields, or is blank")
    del lines
    cells = body.replace("\n", ",").split(",")
    columns = {column: cells[k::width] for k, column in enumerate(header)}
    del cells
    if _edge_space(body):
        columns = {column: list(map(str.strip, values)) for column, values in columns.items()}
    return _Columns(columns, rows, range(2, rows + 2))


def _edge_space(body: str) -> bool:
    """True when a cell of ``body`` (lines of cells) may begin or end with whitespace."""
    if not body.isascii():
        return True  # any of Unicode's spaces may be there: strip every cell
    if body[0] in _SPACES or body[-1] in _SPACES:
        return True
    for space in _SPACES:
        if space in body and any(
            pair in body for pair in (space + ",", "," + space, space + "\n", "\n" + space)
        ):
            return True
    return False


def _read(files: TableFiles, path: str) -> Chain:
    headers = [h for h in HEADER_FILES if files.exists(h)]
    if len(headers) != 1 or not all(files.exists(t) for t in TABLES[:3]):
        raise Declined("the header file or a table is missing, or two header files")
    name = headers[0]
    file = files.file(name)
    text = files.text(name)
    header = parse_json(text, file) if name.endswith(".json") else parse_yaml(text, file)
    root = header.value
    if header.problems or not isinstance(root, dict) or "nodes" in root:
        raise Declined("the header has a problem")
    tables = {t: _read_columns(files, t) for t in TABLES if files.exists(t)}
    firms = tables.get("suppliers.csv")
    if firms is not None and firms.rows:
        raise Declined("suppliers.csv has rows")
    doc = Located({**root, "nodes": tables}, file, positions=header.positions)
    checker = _FastChecker(doc, root.get("year"))
    chain = checker.chain(path)
    if checker.problems or chain is None:
        raise Declined("the header has a problem")
    return chain


class _FastChecker(Checker):
    """The checker of the header (every rule and message), with the nodes read column-wise."""

    def __init__(self, doc: Located, year: Any) -> None:
        super().__init__(doc, DEFAULT_MAX_ERRORS)
        self.chain_year = year if type(year) is int else None

    def check_nodes(self, value: Any) -> tuple[Node, ...]:
        if self.problems:
            raise Declined("the header has a problem")
        return _nodes(self, value)


def _codes(cells: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each cell's index among the distinct cells, and the distinct cells in order."""
    import numpy as np

    distinct = list(dict.fromkeys(cells))
    place = {text: k for k, text in enumerate(distinct)}
    return np.fromiter(map(place.__getitem__, cells), np.intp, len(cells)), distinct


def _refs(cells: list[str], index: dict[str, int], what: str) -> np.ndarray:
    """The node index of each cell; declines on an unknown node."""
    import numpy as np

    found = np.fromiter(map(index.get, cells, repeat(-1)), np.intp, len(cells))
    if len(found) and found.min() < 0:
        raise Declined(f"{what} names a node not in nodes.csv")
    return found


def _number(text: str, high: float, what: str) -> float:
    """A number in [0, high] written with digits, ``.``, ``e`` and ``+`` only, or decline."""
    if not text or not set(text) <= _NUMBER_CHARS:
        raise Declined(f"{what} {text[:20]!r} is not a plain number")
    try:
        value = float(text)
    except ValueError:
        raise Declined(f"{what} {text[:20]!r} is not a number") from None
    if not 0 <= value <= high:
        raise Declined(f"{what} {text[:20]!r} is out of range")
    return value


def _mapped(cells: list[str], read: Any) -> list[Any]:
    """``read`` of each cell, called once per distinct text."""
    codes, distinct = _codes(cells)
    import numpy as np

    values = np.empty(len(distinct), dtype=object)
    values[:] = [read(text) for text in distinct]
    out: list[Any] = values[codes].tolist()
    return out


def _grouped(owners: np.ndarray) -> np.ndarray | None:
    """The stable order that groups rows by owner; None when they are grouped already."""
    import numpy as np

    if len(owners) < 2 or bool(np.all(owners[1:] >= owners[:-1])):
        return None
    return np.argsort(owners, kind="stable")


def _nodes(checker: _FastChecker, tables: dict[str, _Columns]) -> tuple[Node, ...]:
    import numpy as np

    nodes = tables["nodes.csv"]
    if nodes.filled("basis") or nodes.filled("hs"):
        raise Declined("nodes.csv gives a basis or HS codes")
    ids = nodes.columns["id"]
    count = len(ids)
    if not count or not _SLUGS.fullmatch("\n".join(ids)):
        raise Declined("no nodes, or an id that is not a slug")
    index = {node_id: k for k, node_id in enumerate(ids)}
    if len(index) != count:
        raise Declined("a node id is repeated")
    checker.node_ids = set(index)
    names = nodes.columns["name"]
    if not all(names):
        raise Declined("a node without a name")
    stages = nodes.columns["stage"]
    if not set(stages) <= checker.stage_set:
        raise Declined("an unknown stage")
    blank = [""] * count
    years = _mapped(nodes.get("year") or blank, _node_year)
    sigma = _mapped(nodes.get("substitutability") or blank, _sigma)
    stock = _mapped(nodes.get("stock_months") or blank, _stock)
    estimate = _mapped(nodes.get("estimate") or blank, _estimate)
    notes = _mapped(nodes.get("note") or blank, lambda text: text or None)
    cell_codes, cell_texts = _codes(nodes.get("source") or blank)
    cell_ids = [_cited(checker, text, empty=True) for text in cell_texts]

    # shares.csv: base shares and history, one dict per node and year, in row order
    shares_of: list[Any] = [None] * count
    history_of: list[dict[int, dict[str, float]]] | None = None
    share_codes = np.full(count, -1, dtype=np.intp)
    share_texts: list[str] = []
    table = tables["shares.csv"]
    if table.rows:
        if table.filled("basis"):
            raise Declined("shares.csv gives a basis")
        owners = _refs(table.columns["node"], index, "shares.csv")
        origin_codes, origins = _codes(table.columns["origin"])
        for origin in origins:
            if origin != OTHER and not is_country(origin):
                raise Declined("a share origin is a region or unknown")
        values = np.array(_mapped(table.columns["share"], lambda t: _number(t, 1.0, "share")))
        row_years = np.array(_mapped(table.get("year") or [""] * table.rows, _share_year))
        base_years = np.array([y if y is not None else (checker.chain_year or 0) for y in years])
        dated = np.where(row_years == base_years[owners], 0, row_years)
        source_codes, share_texts = _codes(table.columns["source"])
        for text in share_texts:
            _cited(checker, text, empty=False)
        distinct_years = np.array(sorted({0, *row_years.tolist()}))
        if len(distinct_years) > 8:
            raise Declined("shares.csv gives more than 7 years")
        groups = owners * len(distinct_years) + np.searchsorted(distinct_years, dated)
        if _repeats(groups * len(origins) + origin_codes):
            raise Declined("an origin is given twice for a node and year")
        if np.bincount(groups, weights=values).max() > 1 + SUM_TOLERANCE - _MARGIN:
            raise Declined("shares sum to above 1, or near it")
        if len(share_texts) > 1 and len(_distinct(owners * len(share_texts) + source_codes)) != len(
            _distinct(owners)
        ):
            raise Declined("a node cites more than one source text in shares.csv")
        share_codes[owners] = source_codes
        order = _grouped(owners)
        if order is not None:
            owners, origin_codes, values, dated = (
                owners[order],
                origin_codes[order],
                values[order],
                dated[order],
            )
        origin_list = np.array(origins, dtype=object)[origin_codes].tolist()
        value_list = values.tolist()
        if not dated.any():
            for i, rows in _runs(owners):
                shares_of[i] = dict(zip(origin_list[rows], value_list[rows], strict=True))
        else:
            history_of = [{} for _ in range(count)]
            for k, (i, year) in enumerate(zip(owners.tolist(), dated.tolist(), strict=True)):
                if year:
                    target = history_of[i].setdefault(year, {})
                else:
                    target = shares_of[i]
                    if target is None:
                        target = shares_of[i] = {}
                target[origin_list[k]] = value_list[k]
    sources = _node_sources(checker, cell_codes, cell_ids, share_codes, share_texts)
    for k, months in enumerate(stock):
        if months is not None and not sources[k]:
            raise Declined("stock_months without a source")

    # edges.csv: the inputs of each node, in row order
    inputs_of: list[tuple[Input, ...]] = [()] * count
    table = tables["edges.csv"]
    if table.rows:
        users = _refs(table.columns["node"], index, "edges.csv")
        used = _refs(table.columns["input"], index, "edges.csv")
        if _repeats(users * count + used):
            raise Declined("an input is listed twice for a node")
        costs = _mapped(table.get("cost_share") or [""] * table.rows, _cost)
        flags = _mapped(table.get("essential") or [""] * table.rows, _essential)
        weights = np.array([c or 0.0 for c in costs]) if None in costs else np.array(costs)
        if np.bincount(users, weights=weights).max() > 1 + SUM_TOLERANCE - _MARGIN:
            raise Declined("cost shares sum to above 1, or near it")
        order = _grouped(users)
        if order is not None:
            users, used = users[order], used[order]
            costs = [costs[k] for k in order.tolist()]
            flags = [flags[k] for k in order.tolist()]
        refs = np.array(ids, dtype=object)[used].tolist()
        links = list(map(Input, refs, costs, flags))
        for i, rows in _runs(users):
            inputs_of[i] = tuple(links[rows])
    basis = checker.basis
    return tuple(
        map(
            Node,
            ids,
            names,
            stages,
            shares_of,
            years,
            sources,
            estimate,
            notes,
            sigma,
            history_of or ({} for _ in range(count)),
            repeat(()),
            inputs_of,
            nodes.lines,
            stock,
            repeat(basis),
            ({} for _ in range(count)),
            repeat(()),
        )
    )


def _runs(owners: np.ndarray) -> Iterator[tuple[int, slice]]:
    """Each distinct owner of sorted ``owners`` with the slice of its rows."""
    import numpy as np

    starts = [0, *(np.flatnonzero(owners[1:] != owners[:-1]) + 1).tolist()]
    ends = [*starts[1:], len(owners)]
    return zip(owners[starts].tolist(), map(slice, starts, ends), strict=True)


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of ``keys``, sorted (by a sort: numpy's hashing is slower here)."""
    import numpy as np

    ordered = np.sort(keys)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _repeats(keys: np.ndarray) -> bool:
    """True when a value of ``keys`` occurs twice."""
    return len(_distinct(keys)) != len(keys)


def _cited(checker: Checker, text: str, *, empty: bool) -> list[str]:
    """The source ids of a cell, each defined, marked as used; declines otherwise."""
    if not text:
        if empty:
            return []
        raise Declined("a share row without a source")
    ids = source_list(text)
    if not ids or not set(ids) <= checker.source_ids:
        raise Declined("a source list is empty or names an unknown source")
    checker.used_sources.update(ids)
    return ids


def _node_sources(
    checker: Checker,
    cell_codes: np.ndarray,
    cell_ids: list[list[str]],
    share_codes: np.ndarray,
    share_texts: list[str],
) -> list[tuple[str, ...]]:
    """Each node's sources: its own cell's ids, then those of its share rows not yet there."""
    import numpy as np

    width = len(share_texts) + 1
    combined = cell_codes * width + share_codes + 1
    distinct = _distinct(combined)
    inverse = np.searchsorted(distinct, combined)
    made = np.empty(len(distinct), dtype=object)
    for k, key in enumerate(distinct.tolist()):
        cited = list(cell_ids[key // width])
        extra = key % width - 1
        if extra >= 0 and not cited:  # the share rows' list as it is, repeats included
            cited = source_list(share_texts[extra])
        elif extra >= 0:
            for sid in source_list(share_texts[extra]):
                if sid not in cited:
                    cited.append(sid)
        made[k] = tuple(cited)
    out: list[tuple[str, ...]] = made[inverse].tolist()
    return out


def _node_year(text: str) -> int | None:
    if not text:
        return None
    if not _YEAR.fullmatch(text) or not 1900 <= int(text) <= 2100:
        raise Declined("a node's year is not a year from 1900 to 2100")
    return int(text)


def _share_year(text: str) -> int:
    """A share row's year (0 when blank)."""
    if not text:
        return 0
    if not _YEAR.fullmatch(text) or not 1900 <= int(text) <= 2100:
        raise Declined("a share's year is not a year from 1900 to 2100")
    return int(text)


def _sigma(text: str) -> float:
    return _number(text, 1.0, "substitutability") if text else 0.0


def _stock(text: str) -> float | None:
    return _number(text, MAX_MONTHS, "stock_months") if text else None


def _cost(text: str) -> float | None:
    return _number(text, 1.0, "cost share") if text else None


def _estimate(text: str) -> bool:
    lower = text.lower()
    if not text or lower in _FALSE:
        return False
    if lower in _TRUE:
        return True
    raise Declined("estimate is not true or false")


def _essential(text: str) -> bool:
    lower = text.lower()
    if not text or lower in _TRUE:
        return True
    if lower in _FALSE:
        return False
    raise Declined("essential is not true or false")

