"""A fast reader of the CSV form, for inputs it can vouch for; every other input goes to the checked one.

The checked reader (:func:`chokepoint.io.tabular.load_large`) turns each row into a mapping of
the YAML form and walks it with :class:`~chokepoint.io.check.Checker`: one Python call per cell,
which at a million links is most of the read. This reader takes the tables column by column
instead: the cells of a column are split out of the text at C speed (by pyarrow for a table of
:data:`ARROW_CHARS` or more when it is installed, else by ``str.split``; by the csv module when
the table holds quotes, carriage returns, NUL bytes or blank lines; cells that may carry
whitespace at their edges, or any non-ASCII text, are stripped with ``str.strip`` as the
checked reader does, and then never go through pyarrow), each distinct text of a column (an
origin, a share, a source list, a flag) is checked once, node references become index arrays
(numpy), and the rules over rows are whole-array tests: unknown nodes, repeated rows, shares
and cost shares summing above 1. Only when every rule holds are the model's objects built, in
bulk; but for the links, which stay arrays: each node's ``inputs`` is a
:class:`~chokepoint.model.LazyInputs` over the shared :class:`~chokepoint.model.LinkTable`,
equal to the tuple of :class:`~chokepoint.model.Input` the checked reader gives, whose objects
are made only when first read.

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
one distinct source text in its share rows, or a source cell without ids (``;``); more than 7
distinct years in ``shares.csv``; a sum within 1e-9 of its limit (where the order of additions
could matter). Reading stays within the limits of :mod:`chokepoint.io.limits` (the files are
read by :class:`~chokepoint.io.tabular.TableFiles`), and a declined input costs at most one
more read of it.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Sequence
from itertools import islice, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._gc import paused
from ..countries import is_country
from ..errors import ChainError, Problem
from ..model import OTHER, Chain, ChainArrays, LinkTable, Node, build_many
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

#: The characters of a slug (``[a-z0-9]+(-[a-z0-9]+)*``) and the line break, deleted by
#: ``str.translate`` (a text of those only becomes empty; 6 times faster than a set of it).
_NOT_SLUG = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz0123456789-\n")
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
            msg = "the folder or archive cannot be opened"
            raise Declined(msg) from None
        try:
            return _read(files, str(path))
        except ChainError:
            msg = "a file cannot be read within the limits"
            raise Declined(msg) from None
        finally:
            files.close()
            _release()


def _release() -> None:
    """Hand the memory pyarrow's pool kept from the tables back (about 0.13 GB at 10^6 links)."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()


class _Columns:
    """A table's cells by column (stripped texts: lists, or pyarrow arrays), and each row's line."""

    def __init__(self, columns: dict[str, Any], rows: int, lines: Sequence[int]) -> None:
        self.columns = columns
        self.rows = rows
        self.lines = lines

    def cells(self, name: str) -> Any:
        """The cells of column ``name`` (blank when the table has no such column)."""
        found = self.columns.get(name)
        return [""] * self.rows if found is None else found

    def texts(self, name: str) -> list[str]:
        """The cells of column ``name`` as a list of texts."""
        found = self.cells(name)
        return found if isinstance(found, list) else list(found.to_pylist())

    def filled(self, name: str) -> bool:
        """True when column ``name`` has a non-empty cell."""
        found = self.columns.get(name)
        if found is None:
            return False
        if isinstance(found, list):
            return any(found)
        import pyarrow.compute as pc  # type: ignore[import-untyped,import-not-found,unused-ignore]

        return bool(len(found)) and bool(pc.max(pc.binary_length(found)).as_py())


#: Tables of at least this many characters (8 MiB) are parsed by pyarrow when it is installed;
#: below, importing pyarrow (0.2 s, 0.1 GB) costs more than it saves (measured at 10^5 links).
ARROW_CHARS = 8 << 20


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
        msg = f"{name}: its header has a problem"
        raise Declined(msg)
    body = body.removesuffix("\n")
    if '"' in text or "\r" in text or "\x00" in text:
        return _by_csv_module(files, name)
    if not body:
        return _Columns({column: [] for column in header}, 0, range(0))
    rows = body.count("\n") + 1
    if len(text) >= ARROW_CHARS and body.isascii():
        arrays = _arrow_columns(text, header, rows, _CODED[name])
        if arrays is not None and not _arrow_refused(arrays, body):
            return _Columns(dict(zip(header, arrays, strict=True)), rows, range(2, rows + 2))
    if _blank_line(body):
        return _by_csv_module(files, name)
    spaced = _edge_space(body)
    width = len(header)
    lines = body.split("\n")
    if set(map(str.count, lines, repeat(","))) != {width - 1}:
        msg = f"{name}: a line has too many or too few fields"
        raise Declined(msg)
    del lines
    cells = body.replace("\n", ",").split(",")
    columns = {column: cells[k::width] for k, column in enumerate(header)}
    del cells
    if spaced:
        columns = {column: list(map(str.strip, values)) for column, values in columns.items()}
    return _Columns(columns, rows, range(2, rows + 2))


def _by_csv_module(files: TableFiles, name: str) -> _Columns:
    """The columns of a table read by the csv module (quotes, carriage returns, blank lines)."""
    problems: list[Problem] = []
    table = read_csv_table(files, name, problems)
    if problems or table is None:
        msg = f"{name}: the csv module finds a problem"
        raise Declined(msg)
    columns = {column: table.column(column) for column in table.columns}
    return _Columns(columns, len(table.records), table.lines)


def _blank_line(body: str) -> bool:
    """True when ``body`` (a table's lines, the last line break removed) has a blank line.

    >>> [_blank_line(b) for b in ("a,b\\nc,d", "a,b\\n\\nc,d", "\\na,b", "a,b\\n")]
    [False, True, True, True]
    """
    return "\n\n" in body or body.startswith("\n") or body.endswith("\n")


def _arrow_refused(arrays: list[Any], body: str) -> bool:
    """True when the cells pyarrow read from ``body`` (ASCII) cannot be taken as they are: a
    cell begins or ends with whitespace (which the checked reader strips), or there is a blank
    line (pyarrow makes it a row of empty cells; looked for only when the first column has an
    empty cell).

    Where ``body`` holds a space character at all, each cell's first and last characters are
    looked at (in the columns' buffers) rather than the text around every space
    (:func:`_edge_space`): 0.02 s instead of 0.08 s for the 17 MB of ``nodes.csv`` at 10^6
    links, whose names have spaces.
    """
    import numpy as np

    arrays = [getattr(array, "dictionary", array) for array in arrays]  # each distinct cell
    offsets = [_offsets(array) for array in arrays]
    if len(offsets[0]) > 1 and np.diff(offsets[0]).min() == 0 and _blank_line(body):
        return True
    if not any(space in body for space in _SPACES):
        return False
    space = np.zeros(256, dtype=np.bool_)
    space[list(_SPACES.encode())] = True
    for array, starts in zip(arrays, offsets, strict=True):
        data_buffer = array.buffers()[2]
        filled = np.diff(starts) > 0
        if data_buffer is None or not filled.any():
            continue
        data = np.frombuffer(data_buffer, dtype=np.uint8)
        if space[data[starts[:-1][filled]]].any() or space[data[starts[1:][filled] - 1]].any():
            return True
    return False


def _offsets(array: Any) -> np.ndarray:
    """The offsets of a pyarrow string array's cells in its data buffer (``len + 1`` of them)."""
    import numpy as np

    return np.frombuffer(
        array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4
    )


#: The columns read only through :func:`_codes` (each distinct text once): pyarrow reads them
#: dictionary-encoded, which saves a pass over them (0.05 s at 10^6 links).
_CODED: dict[str, frozenset[str]] = {
    "nodes.csv": frozenset(
        {"stage", "year", "substitutability", "stock_months", "estimate", "note", "source"}
    ),
    "shares.csv": frozenset({"origin", "share", "source", "year"}),
    "edges.csv": frozenset({"cost_share", "essential"}),
    "suppliers.csv": frozenset(),
}


def _arrow_columns(
    text: str, header: list[str], rows: int, coded: frozenset[str]
) -> list[Any] | None:
    """The columns of a table without quotes, parsed by pyarrow (blank lines and spaced cells
    are looked for after, by :func:`_arrow_refused`); those named in ``coded`` dictionary-encoded.

    None when pyarrow is not installed or finds a row of another width.
    """
    try:
        import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pyarrow.csv as pacsv  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return None
    width = len(header)
    names = [f"c{k}" for k in range(width)]
    coded_type = pa.dictionary(pa.int32(), pa.string())
    types = {
        n: coded_type if h in coded else pa.string() for n, h in zip(names, header, strict=True)
    }
    data = text.encode()
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            # one block: one chunk per column (the columns are then used without a copy)
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=len(data) + 1
            ),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows != rows or any(table.column(k).num_chunks != 1 for k in range(width)):
        return None
    return [table.column(k).chunk(0) for k in range(width)]


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
        msg = "the header file or a table is missing, or two header files"
        raise Declined(msg)
    name = headers[0]
    file = files.file(name)
    text = files.text(name)
    header = parse_json(text, file) if name.endswith(".json") else parse_yaml(text, file)
    root = header.value
    if header.problems or not isinstance(root, dict) or "nodes" in root:
        msg = "the header has a problem"
        raise Declined(msg)
    tables = {t: _read_columns(files, t) for t in TABLES if files.exists(t)}
    firms = tables.get("suppliers.csv")
    if firms is not None and firms.rows:
        msg = "suppliers.csv has rows"
        raise Declined(msg)
    doc = Located({**root, "nodes": tables}, file, positions=header.positions)
    checker = _FastChecker(doc, root.get("year"))
    chain = checker.chain(path)
    if checker.problems or chain is None:
        msg = "the header has a problem"
        raise Declined(msg)
    if checker.arrays is not None and checker.arrays[1] is chain.nodes:
        chain.keep_arrays(checker.arrays[0])
    return chain


class _FastChecker(Checker):
    """The checker of the header (every rule and message), with the nodes read column-wise."""

    def __init__(self, doc: Located, year: Any) -> None:
        super().__init__(doc, DEFAULT_MAX_ERRORS)
        self.chain_year = year if type(year) is int else None
        #: The nodes as arrays, and the nodes they describe (set by :meth:`check_nodes`).
        self.arrays: tuple[ChainArrays, tuple[Node, ...]] | None = None

    def check_nodes(self, value: Any) -> tuple[Node, ...]:
        if self.problems:
            msg = "the header has a problem"
            raise Declined(msg)
        return _nodes(self, value)


def _slugs(ids: list[str]) -> bool:
    """True when every id is a slug: lower-case letters and digits in runs joined by single
    hyphens (tested on all the ids at once, joined by line breaks).

    >>> _slugs(["ore", "chip-2"]), _slugs(["ore", "-chip"]), _slugs(["a--b"]), _slugs(["", "a"])
    (True, False, False, False)
    """
    joined = "\n".join(ids)
    return (
        not joined.translate(_NOT_SLUG)
        and all(bad not in joined for bad in ("--", "\n-", "-\n", "\n\n"))
        and joined[:1] not in ("-", "\n", "")
        and joined[-1:] not in ("-", "\n")
    )


def _codes(cells: Any) -> tuple[np.ndarray, list[str]]:
    """Each cell's index among the distinct cells, and the distinct cells (a list or pyarrow)."""
    import numpy as np

    if not isinstance(cells, list):
        encoded = cells if hasattr(cells, "dictionary") else cells.dictionary_encode()
        return _integers(encoded.indices), list(encoded.dictionary.to_pylist())
    distinct = list(dict.fromkeys(cells))
    place = {text: k for k, text in enumerate(distinct)}
    return np.fromiter(map(place.__getitem__, cells), np.intp, len(cells)), distinct


class _Ids:
    """The node ids as read (a list, and the cells: a list or a pyarrow array), looked up by
    :func:`_refs`; the lookup tables are made when first needed."""

    def __init__(self, ids: list[str], cells: Any) -> None:
        self.ids = ids
        self.cells = cells
        self._index: dict[str, int] | None = None
        self._arrow: Any = None

    def index(self) -> dict[str, int]:
        """Each id's position."""
        if self._index is None:
            self._index = dict(zip(self.ids, range(len(self.ids)), strict=True))
        return self._index

    def arrow(self) -> Any:
        """The ids as a pyarrow array."""
        if self._arrow is None:
            cells = self.cells
            self._arrow = cells if not isinstance(cells, list) else _strings(self.ids)
        return self._arrow


def _refs(what: str, ids: _Ids, *columns: Any) -> list[np.ndarray]:
    """The node index of each cell of each column (lists, or pyarrow arrays looked up among
    the ids in one call); declines on an unknown node."""
    import numpy as np

    if not any(isinstance(cells, list) for cells in columns):
        import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pyarrow.compute as pc  # type: ignore[import-untyped,import-not-found,unused-ignore]

        # one lookup (one hash table of the ids) for all the columns, while 32-bit offsets do
        joined = list(columns)
        if len(columns) > 1 and sum(cells.nbytes for cells in columns) < 1 << 31:
            joined = [pa.concat_arrays(joined)]
        places = [pc.index_in(cells, value_set=ids.arrow()) for cells in joined]
        if any(found.null_count for found in places):
            msg = f"{what} names a node not in nodes.csv"
            raise Declined(msg)
        found = np.concatenate([_integers(found) for found in places])
        bounds = np.cumsum([0] + [len(cells) for cells in columns]).tolist()
        return [found[start:stop] for start, stop in itertools.pairwise(bounds)]
    index = ids.index()
    out = []
    for cells in columns:
        found = np.fromiter(map(index.get, cells, repeat(-1)), np.intp, len(cells))
        if len(found) and found.min() < 0:
            msg = f"{what} names a node not in nodes.csv"
            raise Declined(msg)
        out.append(found)
    return out


def _integers(array: Any) -> np.ndarray:
    """A pyarrow array of signed integers without nulls, as numpy ``intp``.

    Read from its buffer: pyarrow's ``to_numpy`` imports pandas when it is installed
    (0.3 s, measured), which nothing here needs.
    """
    import numpy as np

    width = array.type.bit_width // 8
    data = np.frombuffer(
        array.buffers()[1], dtype=f"=i{width}", count=len(array), offset=array.offset * width
    )
    return data.astype(np.intp)


def _strings(texts: list[str]) -> Any:
    """The ASCII ``texts`` as a pyarrow string array, made from its buffers (``pa.array`` of a
    list imports pandas when it is installed)."""
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]

    data = "".join(texts).encode("ascii")
    if len(data) >= 1 << 31:  # pragma: no cover - beyond 32-bit offsets: pyarrow's own way
        return pa.array(texts, type=pa.string())
    offsets = np.zeros(len(texts) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, texts), np.int32, len(texts)), out=offsets[1:])
    return pa.StringArray.from_buffers(len(texts), pa.py_buffer(offsets), pa.py_buffer(data))


def _number(text: str, high: float, what: str) -> float:
    """A number in [0, high] written with digits, ``.``, ``e`` and ``+`` only, or decline."""
    if not text or not set(text) <= _NUMBER_CHARS:
        msg = f"{what} {text[:20]!r} is not a plain number"
        raise Declined(msg)
    try:
        value = float(text)
    except ValueError:
        msg = f"{what} {text[:20]!r} is not a number"
        raise Declined(msg) from None
    if not 0 <= value <= high:
        msg = f"{what} {text[:20]!r} is out of range"
        raise Declined(msg)
    return value


def _mapped(cells: Any, read: Any) -> list[Any]:
    """``read`` of each cell, called once per distinct text."""
    codes, values = _read_distinct(cells, read)
    out: list[Any] = values[codes].tolist()
    return out


def _numbers(cells: Any, read: Any, dtype: Any) -> np.ndarray:
    """``read`` of each cell (a number), called once per distinct text, as an array."""
    import numpy as np

    codes, values = _read_distinct(cells, read)
    out: np.ndarray = np.array(values.tolist(), dtype=dtype)[codes]
    return out


def _read_distinct(cells: Any, read: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's index among the distinct cells, and ``read`` of each distinct cell (an
    object array)."""
    codes, distinct = _codes(cells)
    import numpy as np

    values = np.empty(len(distinct), dtype=object)
    values[:] = [read(text) for text in distinct]
    return codes, values


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
        msg = "nodes.csv gives a basis or HS codes"
        raise Declined(msg)
    ids = nodes.texts("id")
    count = len(ids)
    if not count or not _slugs(ids):
        msg = "no nodes, or an id that is not a slug"
        raise Declined(msg)
    checker.node_ids = set(ids)
    if len(checker.node_ids) != count:
        msg = "a node id is repeated"
        raise Declined(msg)
    lookup = _Ids(ids, nodes.cells("id"))
    names = nodes.texts("name")
    if not all(names):
        msg = "a node without a name"
        raise Declined(msg)
    stage_codes, stage_set = _codes(nodes.cells("stage"))
    if not set(stage_set) <= checker.stage_set:
        msg = "an unknown stage"
        raise Declined(msg)
    stages = np.array(stage_set, dtype=object)[stage_codes].tolist()
    year_codes, year_set = _read_distinct(nodes.cells("year"), _node_year)
    years = year_set[year_codes].tolist()
    sigma = _mapped(nodes.cells("substitutability"), _sigma)
    stock = _mapped(nodes.cells("stock_months"), _stock)
    estimate = _mapped(nodes.cells("estimate"), _estimate)
    notes = _mapped(nodes.cells("note"), lambda text: text or None)
    cell_codes, cell_texts = _codes(nodes.cells("source"))
    cell_ids = [_cited(checker, text, empty=True) for text in cell_texts]

    # shares.csv: base shares and history, one dict per node and year, in row order
    shares_of: list[Any] = [None] * count
    history_of: list[dict[int, dict[str, float]]] | None = None
    share_codes = np.full(count, -1, dtype=np.intp)
    share_texts: list[str] = []
    # each node's shares as arrays, for compile_chain (none kept when a node has a history)
    shares_table: dict[str, Any] = {
        "share_known": np.zeros(count, dtype=np.bool_),
        "share_ptr": np.zeros(count + 1, dtype=np.intp),
        "share_origin": np.zeros(0, dtype=np.intp),
        "share_value": np.zeros(0, dtype=np.float64),
    }
    table = tables["shares.csv"]
    if table.rows:
        if table.filled("basis"):
            msg = "shares.csv gives a basis"
            raise Declined(msg)
        (owners,) = _refs("shares.csv", lookup, table.cells("node"))
        origin_codes, origins = _codes(table.cells("origin"))
        for origin in origins:
            if origin != OTHER and not is_country(origin):
                msg = "a share origin is a region or unknown"
                raise Declined(msg)
        values = _numbers(table.cells("share"), lambda t: _number(t, 1.0, "share"), np.float64)
        row_years = _numbers(table.cells("year"), _share_year, np.int_)
        base_years = np.array(
            [y if y is not None else (checker.chain_year or 0) for y in year_set.tolist()],
            dtype=np.int_,
        )[year_codes]
        dated = np.where(row_years == base_years[owners], 0, row_years)
        source_codes, share_texts = _codes(table.cells("source"))
        for text in share_texts:
            _cited(checker, text, empty=False)
        distinct_years = np.unique(np.append(row_years, 0))
        if len(distinct_years) > 8:
            msg = "shares.csv gives more than 7 years"
            raise Declined(msg)
        groups = owners * len(distinct_years) + np.searchsorted(distinct_years, dated)
        if _repeats(groups * len(origins) + origin_codes):
            msg = "an origin is given twice for a node and year"
            raise Declined(msg)
        if np.bincount(groups, weights=values).max() > 1 + SUM_TOLERANCE - _MARGIN:
            msg = "shares sum to above 1, or near it"
            raise Declined(msg)
        if len(share_texts) > 1 and len(_distinct(owners * len(share_texts) + source_codes)) != len(
            _distinct(owners)
        ):
            msg = "a node cites more than one source text in shares.csv"
            raise Declined(msg)
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
            owners_of, lengths = _runs(owners)
            pairs = zip(origin_list, value_list, strict=True)
            for i, made in zip(
                owners_of, map(dict, map(islice, repeat(pairs), lengths)), strict=True
            ):
                shares_of[i] = made
            shares_table["share_known"][owners] = True
            np.cumsum(np.bincount(owners, minlength=count), out=shares_table["share_ptr"][1:])
            shares_table.update(
                share_origin=origin_codes, share_value=values, origins=tuple(origins)
            )
        else:
            shares_table = {}
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
            msg = "stock_months without a source"
            raise Declined(msg)

    # edges.csv: the inputs of each node, in row order, read from the arrays when first used
    in_ptr = np.zeros(count + 1, dtype=np.intp)
    in_src = np.zeros(0, dtype=np.intp)
    in_cost = np.zeros(0, dtype=np.float64)
    in_essential = np.zeros(0, dtype=np.bool_)
    table = tables["edges.csv"]
    if table.rows:
        users, used = _refs("edges.csv", lookup, table.cells("node"), table.cells("input"))
        if _repeats(users * count + used):
            msg = "an input is listed twice for a node"
            raise Declined(msg)
        cost_codes, cost_set = _read_distinct(table.cells("cost_share"), _cost)
        flag_codes, flag_set = _read_distinct(table.cells("essential"), _essential)
        cost_of = np.array(cost_set.tolist(), dtype=np.float64)  # None (unknown): NaN
        weights = cost_of[cost_codes]
        weights[np.isnan(weights)] = 0.0
        if np.bincount(users, weights=weights).max() > 1 + SUM_TOLERANCE - _MARGIN:
            msg = "cost shares sum to above 1, or near it"
            raise Declined(msg)
        del weights
        order = _grouped(users)
        if order is not None:
            users, used = users[order], used[order]
            cost_codes, flag_codes = cost_codes[order], flag_codes[order]
        in_src, in_cost = used, cost_of[cost_codes]
        in_essential = np.array(flag_set.tolist(), dtype=np.bool_)[flag_codes]
        np.cumsum(np.bincount(users, minlength=count), out=in_ptr[1:])
    # every node's (an empty one for a node without inputs: equal to ())
    inputs_of = LinkTable(ids, in_ptr.tolist(), in_src, in_cost, in_essential).sequences()
    built = tuple(
        build_many(
            Node,
            count,
            id=ids,
            name=names,
            stage=stages,
            shares=shares_of,
            year=years,
            source=sources,
            estimate=estimate,
            note=notes,
            substitutability=sigma,
            history=history_of or [{} for _ in range(count)],
            suppliers=repeat(()),
            inputs=inputs_of,
            line=nodes.lines,
            stock_months=stock,
            basis=repeat(checker.basis),
            basis_shares=[{} for _ in range(count)],
            hs=repeat(()),
        )
    )
    arrays = ChainArrays(
        in_ptr=in_ptr,
        in_src=in_src,
        in_cost=in_cost,
        in_essential=in_essential,
        substitutability=np.array(sigma, dtype=np.float64),
        **shares_table,
    )
    checker.arrays = (arrays, built)
    return built


def _runs(owners: np.ndarray) -> tuple[list[int], list[int]]:
    """The distinct owners of sorted ``owners``, and the number of rows of each.

    >>> import numpy as np
    >>> _runs(np.array([0, 0, 2, 5, 5, 5]))
    ([0, 2, 5], [2, 1, 3])
    """
    import numpy as np

    starts = np.concatenate(([0], np.flatnonzero(owners[1:] != owners[:-1]) + 1))
    lengths = np.diff(np.append(starts, len(owners)))
    return owners[starts].tolist(), lengths.tolist()


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
        msg = "a share row without a source"
        raise Declined(msg)
    ids = source_list(text)
    if not ids or not set(ids) <= checker.source_ids:
        msg = "a source list is empty or names an unknown source"
        raise Declined(msg)
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
        msg = "a node's year is not a year from 1900 to 2100"
        raise Declined(msg)
    return int(text)


def _share_year(text: str) -> int:
    """A share row's year (0 when blank)."""
    if not text:
        return 0
    if not _YEAR.fullmatch(text) or not 1900 <= int(text) <= 2100:
        msg = "a share's year is not a year from 1900 to 2100"
        raise Declined(msg)
    return int(text)


def _sigma(text: str) -> float:
    return _number(text, 1.0, "substitutability") if text else 0.0


def _stock(text: str) -> float | None:
    return _number(text, MAX_MONTHS, "stock_months") if text else None


def _cost(text: str) -> float | None:
    return _number(text, 1.0, "cost share") if text else None


def _flag(text: str, name: str, empty: bool) -> bool:
    """A true/false cell (``empty``: the value of an empty one); anything else declines."""
    if not text:
        return empty
    lower = text.lower()
    if lower in _TRUE:
        return True
    if lower in _FALSE:
        return False
    msg = f"{name} is not true or false"
    raise Declined(msg)


def _estimate(text: str) -> bool:
    return _flag(text, "estimate", empty=False)


def _essential(text: str) -> bool:
    return _flag(text, "essential", empty=True)
