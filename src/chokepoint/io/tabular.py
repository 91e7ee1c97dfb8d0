"""The forms for large networks: the chain document as JSON, and as a folder (or .zip) of CSV files.

Both are read into the same plain document that a YAML chain file gives and pass through the
same checks with the same messages (:func:`chokepoint.io.loader.check_document`); only the places
differ:

* **JSON** (``net.json``): the chain document itself, with the keys of the YAML form, parsed by
  the standard library (40-70 times faster than a YAML parser). ``json.loads`` keeps no positions,
  so a problem's line and column are found in the text afterwards, only when there is a problem
  (:class:`JsonLocator`). Duplicate keys are refused as in YAML.
* **CSV** (a folder, or a ``.zip`` of one): ``chain.yaml`` or ``chain.json`` holds every
  top-level key except ``nodes`` (format, name, title, perspective, year, stages, sources, ...);
  ``nodes.csv``, ``shares.csv`` and ``edges.csv`` (and optionally ``suppliers.csv``) hold the
  nodes one row per node, share, input and firm. Problems name the CSV file, its line and the
  column number of the cell (1 = first column), e.g.
  ``net/shares.csv:42:2: unknown country or region 'JPN' at nodes[7].shares; did you mean 'JP'?``.
  Inside a ``.zip``, the file is the archive followed by the member:
  ``net.zip/net/shares.csv:42:2: ...``. A .zip holds one chain in one folder (its root or one
  sub-folder); members are inflated with a cap on the bytes actually produced, and encrypted
  members or unknown compression methods are refused, naming the member.

Reading is bounded by the limits of :mod:`chokepoint.io.limits` (file size, inflated size, line
length, rows, values), checked while the bytes arrive, before anything is built.

``docs/chain-format.md`` documents the columns. :func:`write_tables` and :func:`dump_json` write a
chain document in these forms (used by :mod:`chokepoint.io.generate`).
"""

from __future__ import annotations

import bisect
import csv
import difflib
import io
import json
import json.decoder
import json.scanner
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from .._gc import paused
from ..errors import ChainError, Problem
from ..model import BASES, Chain
from .check import Checker, ProblemLog, Suggester
from .files import LineGauge, check_regular, decode, read_stream, read_text
from .limits import DEFAULT_MAX_ERRORS, MAX_BYTES_LARGE, MAX_LINE, MAX_ROWS, MAX_VALUES
from .numbers import LongInteger
from .yamlread import Located, format_path, parse_yaml
from .yamlread import Path as KeyPath

__all__ = [
    "COLUMNS",
    "DEFAULT_MAX_BYTES",
    "HEADER_FILES",
    "REQUIRED_COLUMNS",
    "TABLES",
    "CsvTable",
    "JsonLocator",
    "TableFiles",
    "dump_json",
    "load_large",
    "parse_json",
    "read_csv_table",
    "read_tables",
    "source_list",
    "to_tables",
    "write_tables",
]

#: Largest JSON or CSV file read, in bytes (``CHOKEPOINT_MAX_BYTES`` or ``max_bytes`` override).
DEFAULT_MAX_BYTES = MAX_BYTES_LARGE.default
#: The header of the CSV form: every top-level key of the chain except ``nodes``.
HEADER_FILES = ("chain.yaml", "chain.yml", "chain.json")
#: The tables of the CSV form, in the order they are read; ``suppliers.csv`` may be left out.
TABLES = ("nodes.csv", "shares.csv", "edges.csv", "suppliers.csv")
#: Columns every table must have.
REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "nodes.csv": ("id", "name", "stage"),
    "shares.csv": ("node", "origin", "share", "source"),
    "edges.csv": ("input", "node"),
    "suppliers.csv": ("node", "firm", "country"),
}
#: Every column a table may have, required ones first.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "nodes.csv": (
        "id",
        "name",
        "stage",
        "year",
        "substitutability",
        "estimate",
        "note",
        "source",
        "stock_months",
        "basis",
        "hs",
    ),
    "shares.csv": ("node", "origin", "share", "source", "year", "basis"),
    "edges.csv": ("input", "node", "cost_share", "essential"),
    "suppliers.csv": ("node", "firm", "country", "share", "year", "note", "source"),
}
_OPTIONAL_TABLES = ("suppliers.csv",)
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_INTEGER = re.compile(r"^[+-]?[0-9]{1,64}$", re.ASCII)
#: A ``\uD800``-``\uDFFF`` escape in JSON text, with the backslashes before it.
_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")
#: Compression methods the standard library inflates.
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _limit(max_bytes: int | None) -> int:
    return MAX_BYTES_LARGE.get(max_bytes)


def load_large(
    path: Path, *, max_bytes: int | None = None, max_errors: int = DEFAULT_MAX_ERRORS
) -> Chain:
    """Load a chain in the JSON form (``.json``) or the CSV form (a folder or a ``.zip``).

    Parameters
    ----------
    path
        A ``.json`` file, a ``.zip`` of the CSV form, or a folder holding the CSV form.
    max_bytes
        Refuse larger files (each file of the CSV form counts alone, inflated inside a .zip);
        default 1 GiB or ``CHOKEPOINT_MAX_BYTES``.
    max_errors
        List at most this many problems; the rest are counted by kind.

    Raises
    ------
    ChainError
        Listing every problem, each with the file (the CSV file where the row is), line, column
        and key path.
    """
    limit = _limit(max_bytes)
    with paused():
        if path.suffix.lower() == ".json":
            text = read_text(path, limit, limit=MAX_BYTES_LARGE, lines=False)
            doc = parse_json(text, str(path), max_errors=max_errors)
            order = [str(path)]
        else:
            doc, order = read_tables(path, limit, max_errors=max_errors)
        checker = Checker(doc, max_errors)
        chain = checker.chain(str(path))
    if checker.problems or chain is None:
        if not checker.problems:
            checker.problems.append(doc.problem((), "invalid chain"))
        rank = {file: k for k, file in enumerate(order)}
        raise checker.problems.error(str(path), rank)
    return chain


# --------------------------------------------------------------------------------------------
# JSON


def _json_int(text: str) -> Any:
    """A JSON integer; one too long for ``int()`` (over 4,300 digits) becomes a
    :class:`~chokepoint.io.numbers.LongInteger`, which the checks refuse with the key's place."""
    return int(text) if len(text) <= 4000 else LongInteger(text)


def _lone_surrogate(text: str, file: str) -> Problem | None:
    """The first ``\\uD800``-``\\uDFFF`` escape in JSON text that is not half of a pair."""
    if "\\u" not in text:
        return None
    paired = -1
    locator: JsonLocator | None = None
    for match in _ESCAPE.finditer(text):
        if len(match.group(1)) % 2 == 0:  # an escaped backslash, then plain "u..."
            continue
        start = match.end(1) - 1
        code = int(match.group(2), 16)
        if code < 0xDC00:
            after = _ESCAPE.match(text, match.end())
            if after is not None and len(after.group(1)) == 1 and int(after.group(2), 16) >= 0xDC00:
                paired = after.end(1) - 1
                continue
        elif start == paired:
            continue
        locator = locator or JsonLocator(text, file)
        line, column = locator.line_column(start)
        message = (
            f"text holds a lone surrogate (\\u{code:04x}), which cannot be printed or written; "
            "remove the escape, or write the character itself (or a pair of escapes)"
        )
        return Problem(file, line, column, "", message)
    return None


def parse_json(text: str, file: str, *, max_errors: int = DEFAULT_MAX_ERRORS) -> Located:
    """Parse the JSON form of a chain document; positions are found only for problems.

    Duplicate keys (which ``json.loads`` would silently resolve to the last) are reported, located
    at the second occurrence, like the YAML reader does. Integers of more than 4,000 digits are
    read as (infinite) floats for the checks to refuse.

    Raises
    ------
    ChainError
        On a JSON syntax error (with the parser's line and column), nesting too deep to parse,
        more values than :data:`~chokepoint.io.limits.MAX_VALUES` (estimated by counting commas
        before parsing) or a lone surrogate escape (``"\\ud800"``).
    """
    max_values = MAX_VALUES.get()
    commas = text.count(",")
    if commas >= max_values:
        what = f"the document holds about {commas + 1:,} values"
        raise ChainError([Problem(file, 1, 1, "", MAX_VALUES.refusal(what, limit=max_values))])
    lone = _lone_surrogate(text, file)
    if lone is not None:
        raise ChainError([lone])
    repeated: list[tuple[dict[str, Any], list[str]]] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) != len(pairs):
            seen: set[str] = set()
            twice: list[str] = []
            for key, _ in pairs:
                if key in seen:
                    twice.append(key)
                seen.add(key)
            repeated.append((value, twice))
        return value

    try:
        value = json.loads(text, object_pairs_hook=pairs_hook, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        problem = Problem(file, exc.lineno, exc.colno, "", f"JSON syntax error: {exc.msg}")
        raise ChainError([problem]) from None
    except RecursionError:
        problem = Problem(file, 1, 1, "", "nesting too deep to read; a chain never needs this")
        raise ChainError([problem]) from None
    locator = JsonLocator(text, file)
    doc = Located(value, file, problems=ProblemLog(max_errors), locate=locator, lazy=True)
    if repeated:
        paths = _paths_of({id(obj) for obj, _ in repeated}, value)
        for obj, keys in repeated:
            where = paths.get(id(obj), ())
            for key in keys:
                first = locator.offset((*where, key))
                line = locator.line_column(first)[0] if first is not None else 0
                second = locator.offset((*where, key), occurrence=2)
                _, row, column = (
                    (file, *locator.line_column(second)) if second is not None else (file, 1, 1)
                )
                doc.problems.append(
                    Problem(
                        file,
                        row,
                        column,
                        format_path((*where, key)),
                        f"duplicate key {key!r} at {format_path(where)} (first given on line "
                        f"{line}); JSON readers keep only the last: remove or rename one",
                    )
                )
    return doc


def _paths_of(wanted: set[int], root: Any) -> dict[int, KeyPath]:
    """The key paths of the containers whose ``id`` is in ``wanted`` (a walk, on problems only)."""
    found: dict[int, KeyPath] = {}
    stack: list[tuple[Any, KeyPath]] = [(root, ())]
    while stack and len(found) < len(wanted):
        value, path = stack.pop()
        if id(value) in wanted:
            found[id(value)] = path
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, (*path, k)) for k, v in enumerate(value) if isinstance(v, dict | list))
    return found


class JsonLocator:
    """Finds the line and column of a key path in JSON text, after ``json.loads`` has parsed it.

    Each container on the way is scanned once with the standard library's C scanner (which
    skips whole values) and its members' offsets are kept, so locating many problems in one
    large list costs one scan of that list.

    >>> locate = JsonLocator('{"a": 1,\\n "nodes": [{"id": "x"},\\n  {"id": "y"}]}', "f.json")
    >>> locate(("nodes", 1, "id"))
    ('f.json', 3, 4)
    """

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        decoder: Any = json.JSONDecoder(parse_int=_json_int)
        self._scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(decoder)
        self._children: dict[KeyPath, list[tuple[str | int, int, int]] | None] = {}
        self._newlines: list[int] | None = None

    def __call__(self, path: KeyPath) -> tuple[str, int, int] | None:
        offset = self.offset(path)
        if offset is None:
            return None
        return (self.file, *self.line_column(offset))

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_left(self._newlines, offset)
        start = self._newlines[line - 1] + 1 if line else 0
        return line + 1, offset - start + 1

    def offset(self, path: KeyPath, occurrence: int = 1) -> int | None:
        """Offset of the key (mapping member) or value (list item, root) at ``path``."""
        ws = json.decoder.WHITESPACE  # type: ignore[attr-defined]
        value_at = ws.match(self.text, 0).end()
        found = value_at
        for depth, part in enumerate(path):
            members = self._members(path[:depth], value_at)
            if members is None:
                return None
            want = occurrence if depth == len(path) - 1 else 1
            hit = None
            if members and isinstance(members[0][0], int):  # a list: index it
                if isinstance(part, int) and 0 <= part < len(members):
                    hit = members[part]
            else:
                for member in members:
                    if member[0] == part or (
                        not isinstance(member[0], int) and member[0] == str(part)
                    ):
                        want -= 1
                        if not want:
                            hit = member
                            break
            if hit is None:
                return None
            found, value_at = hit[1], hit[2]
        return int(found)

    def _members(self, path: KeyPath, start: int) -> list[tuple[str | int, int, int]] | None:
        if path in self._children:
            return self._children[path]
        text = self.text
        ws = json.decoder.WHITESPACE  # type: ignore[attr-defined]
        members: list[tuple[str | int, int, int]] | None = []
        assert members is not None
        try:
            opener = text[start]
            if opener not in "{[":
                members = None
            else:
                pos = ws.match(text, start + 1).end()
                closer = "}" if opener == "{" else "]"
                index = 0
                while text[pos] != closer:
                    if opener == "{":
                        key, after = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
                        colon = ws.match(text, after).end()
                        value_at = ws.match(text, colon + 1).end()
                        members.append((key, pos, value_at))
                    else:
                        value_at = pos
                        members.append((index, pos, pos))
                    index += 1
                    _, pos = self._scan(text, value_at)
                    pos = ws.match(text, pos).end()
                    if text[pos] == ",":
                        pos = ws.match(text, pos + 1).end()
        except (IndexError, StopIteration, ValueError):  # pragma: no cover - text parsed before
            members = None
        self._children[path] = members
        return members


def dump_json(document: Mapping[str, Any]) -> str:
    """The JSON form of a chain document: one node per line, so that lines point somewhere."""
    head = {k: v for k, v in document.items() if k != "nodes"}
    nodes = document.get("nodes", [])
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "nodes": [']
    lines.extend(
        json.dumps(node, ensure_ascii=False) + ("," if k < len(nodes) - 1 else "")
        for k, node in enumerate(nodes)
    )
    lines.append("]}")
    if not head:
        lines[0] = '{"nodes": ['
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# CSV


@dataclass
class CsvTable:
    """A CSV table read into rows of cells, each row with its line number."""

    name: str
    file: str
    columns: dict[str, int]  # column name -> 0-based index
    records: list[list[str]]
    lines: Sequence[int]  # the line of each record
    _columns: dict[str, list[str]] = field(default_factory=dict)

    def column_cell(self, record: int, name: str) -> str:
        """One record's cell in column ``name``, stripped."""
        return self.records[record][self.columns[name]].strip()

    def column(self, name: str) -> list[str]:
        """Every record's cell in column ``name``, stripped (made once, at C speed)."""
        found = self._columns.get(name)
        if found is None:
            cells = map(itemgetter(self.columns[name]), self.records)
            found = self._columns[name] = list(map(str.strip, cells))
        return found


@dataclass
class _Places:
    """Where each part of the document built from the CSV tables came from.

    Only what reading needs anyway is kept (each table's records and each record's node);
    the rows of one node are gathered when a problem asks where it is.
    """

    chain_year: int | None = None  # the header's `year`: shares.csv rows of it are base shares
    files: dict[str, str] = field(default_factory=dict)  # table -> file name in problems
    tables: dict[str, CsvTable] = field(default_factory=dict)
    owners: dict[str, list[int]] = field(default_factory=dict)  # table -> node index per record
    share_years: list[int | None] = field(default_factory=list)  # None: base shares
    _rows: dict[str, dict[int, list[int]]] = field(default_factory=dict)

    def at(self, table: str, line: int, column: str | None = None) -> tuple[str, int, int]:
        index = self.tables[table].columns.get(column or "", -1) if table in self.tables else -1
        return self.files[table], line, index + 1 if index >= 0 else 1

    def rows(self, table: str, node: int) -> list[int]:
        """The records of ``table`` that belong to node index ``node``, in file order."""
        if table not in self._rows:
            by_node: dict[int, list[int]] = {}
            for k, owner in enumerate(self.owners.get(table, ())):
                if owner >= 0:
                    by_node.setdefault(owner, []).append(k)
            self._rows[table] = by_node
        return self._rows[table].get(node, [])

    def cell(self, table: str, record: int, column: str) -> str:
        t = self.tables[table]
        return t.records[record][t.columns[column]].strip() if column in t.columns else ""

    def locate(self, path: KeyPath) -> tuple[str, int, int] | None:
        """Map a key path of the built document to (CSV file, line, column)."""
        nodes = self.tables.get("nodes.csv")
        if not path or path[0] != "nodes" or nodes is None:
            return None
        if len(path) == 1:
            return self.files["nodes.csv"], 1, 1
        i = path[1]
        if not isinstance(i, int) or not 0 <= i < len(nodes.lines):
            return None
        line = nodes.lines[i]
        if len(path) == 2:
            return self.files["nodes.csv"], line, 1
        key, rest = path[2], path[3:]
        if key == "source":
            k = rest[0] if rest and isinstance(rest[0], int) else 0
            return self._source(i, k) or self.at("nodes.csv", line, "source")
        if key in ("shares", "history"):
            return self._share(i, key, rest) or self.at("nodes.csv", line)
        if key in ("inputs", "suppliers"):
            table = "edges.csv" if key == "inputs" else "suppliers.csv"
            records = self.rows(table, i)
            if not records:
                return self.at("nodes.csv", line)
            k = rest[0] if rest and isinstance(rest[0], int) else 0
            record = records[k] if k < len(records) else records[0]
            column = rest[1] if len(rest) > 1 and isinstance(rest[1], str) else None
            if key == "inputs" and column == "node":
                column = "input"
            return self.at(table, self.tables[table].lines[record], column)
        return self.at("nodes.csv", line, str(key))

    def _source(self, i: int, k: int) -> tuple[str, int, int] | None:
        """Where the ``k``-th id of node ``i``'s source list was first cited."""
        seen: list[str] = []
        line = self.tables["nodes.csv"].lines[i]
        places = [
            ("nodes.csv", line, sid) for sid in source_list(self.cell("nodes.csv", i, "source"))
        ]
        for table in ("shares.csv", "suppliers.csv"):
            if table in self.tables:
                for record in self.rows(table, i):
                    text = self.cell(table, record, "source")
                    row = self.tables[table].lines[record]
                    places.extend((table, row, sid) for sid in source_list(text))
        for table, row, sid in places:
            if sid not in seen:
                seen.append(sid)
                if len(seen) == k + 1:
                    return self.at(table, row, "source")
        return None

    def _share(self, i: int, key: str, rest: KeyPath) -> tuple[str, int, int] | None:
        if "shares.csv" not in self.tables:
            return None
        lines = self.tables["shares.csv"].lines
        records = self.rows("shares.csv", i)
        if key == "shares":
            base = [k for k in records if self.share_years[k] is None]
            if rest:
                for k in base:
                    if self.cell("shares.csv", k, "origin") == rest[0]:
                        return self.at("shares.csv", lines[k], "origin")
            return self.at("shares.csv", lines[base[0]]) if base else None
        dated = [k for k in records if self.share_years[k] is not None]
        if rest:
            dated = [k for k in dated if str(self.share_years[k]) == str(rest[0])]
            if len(rest) > 1:
                for k in dated:
                    if self.cell("shares.csv", k, "origin") == rest[1]:
                        return self.at("shares.csv", lines[k], "origin")
        return self.at("shares.csv", lines[dated[0]], "year") if dated else None


class TableFiles:
    """The files of a folder or a .zip, read as UTF-8 text within the limits.

    A .zip must hold its header and tables in one folder (its root or one sub-folder): tables
    from different folders would make one chain of two. Members are inflated a chunk at a time
    and the bytes produced are counted against the limit; the sizes the archive declares are
    never trusted.
    """

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.archive: zipfile.ZipFile | None = None
        self.members: dict[str, str] = {}  # base name -> member name
        if path.suffix.lower() == ".zip":
            check_regular(path)
            try:
                self.archive = zipfile.ZipFile(path)
            except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError, EOFError) as exc:
                odd = _odd_version(path) if isinstance(exc, NotImplementedError) else None
                if odd is not None:
                    member, version = odd
                    message = (
                        f"needs zip version {version / 10:.1f} to extract, which chokepoint "
                        "cannot read; re-create the .zip with `zip -r`"
                    )
                    raise ChainError([Problem(f"{path}/{member}", 1, 1, "", message)]) from None
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else None
                message = (
                    f"cannot read: {reason}"
                    if reason
                    else "cannot read: not a valid .zip file (re-create it with `zip -r`)"
                )
                raise ChainError([Problem(str(path), 1, 1, "", message)]) from None
            folders: dict[str, list[str]] = {}
            for info in self.archive.infolist():
                folder, _, base = info.filename.rpartition("/")
                if base in HEADER_FILES or base in TABLES:
                    folders.setdefault(folder, []).append(info.filename)
            if len(folders) > 1:
                first, second = sorted(folders)[:2]
                message = (
                    f"holds chain tables in more than one folder ({folders[first][0]}, "
                    f"{folders[second][0]}); a .zip holds one chain in one folder: zip one "
                    "folder per chain"
                )
                raise ChainError([Problem(str(path), 1, 1, "", message)])
            for names in folders.values():
                for name in names:
                    self.members[name.rpartition("/")[2]] = name

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def file(self, name: str) -> str:
        """The name problems give for ``name``: ``DIR/name`` or ``ARCHIVE.zip/member``."""
        if self.archive is not None:
            return f"{self.path}/{self.members.get(name, name)}"
        return str(self.path / name)

    def exists(self, name: str) -> bool:
        if self.archive is not None:
            return name in self.members
        return (self.path / name).exists()

    def text(self, name: str, *, table: bool = False) -> str:
        """The text of ``name``; lines are measured as they are read (but in a JSON header),
        and a table's rows are counted."""
        file = self.file(name)
        lines = not name.endswith(".json")
        if self.archive is None:
            rows = MAX_ROWS.get() if table else None
            return read_text(
                self.path / name, self.limit, limit=MAX_BYTES_LARGE, lines=lines, max_rows=rows
            )
        info = self.archive.getinfo(self.members[name])
        if info.flag_bits & 0x1:
            message = (
                "is encrypted; chokepoint reads unencrypted archives only: re-create the .zip "
                "without a password"
            )
            raise ChainError([Problem(file, 1, 1, "", message)])
        if info.compress_type not in _METHODS:
            message = (
                f"uses compression method {info.compress_type}, which chokepoint cannot inflate "
                "(99 is AES encryption); re-create the .zip with deflate (`zip -r`)"
            )
            raise ChainError([Problem(file, 1, 1, "", message)])
        gauge = (
            LineGauge(file, MAX_LINE.get(), MAX_ROWS.get() if table else None) if lines else None
        )
        try:
            with self.archive.open(info) as handle:
                data = read_stream(
                    handle.read, file, self.limit, MAX_BYTES_LARGE, gauge, "inflated member"
                )
        except ChainError:
            raise
        except (
            OSError,
            EOFError,
            zipfile.BadZipFile,
            zlib.error,
            RuntimeError,
            NotImplementedError,
            ValueError,
            LookupError,
        ) as exc:
            reason = str(exc) or type(exc).__name__
            message = (
                f"cannot read this member of the .zip ({reason}); the archive is damaged or "
                "uses a feature chokepoint does not read: re-create it with `zip -r`"
            )
            raise ChainError([Problem(file, 1, 1, "", message)]) from None
        return decode(data, file)


def _odd_version(path: Path) -> tuple[str, int] | None:
    """The first member whose central-directory entry asks for a zip version beyond 6.3."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - (16 << 20)))
            tail = handle.read()
    except OSError:
        return None
    at = tail.find(b"PK\x01\x02")
    while 0 <= at <= len(tail) - 46:
        version = int.from_bytes(tail[at + 6 : at + 8], "little") & 0xFF
        length = int.from_bytes(tail[at + 28 : at + 30], "little")
        if version > zipfile.MAX_EXTRACT_VERSION:
            name = tail[at + 46 : at + 46 + length].decode("utf-8", "replace")
            return name, version
        at = tail.find(b"PK\x01\x02", at + 46)
    return None


def read_csv_table(source: TableFiles, name: str, problems: list[Problem]) -> CsvTable | None:
    """Read table ``name`` of ``source`` with the csv module, each record with its line.

    Problems of the header and of rows of the wrong width go to ``problems`` (rows of the wrong
    width are left out); None when the header lacks a required column or the file is empty.
    """
    file = source.file(name)
    text = source.text(name, table=True)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        problems.append(Problem(file, 1, 1, "", _empty_table(name)))
        return None
    except csv.Error as exc:
        problems.append(Problem(file, 1, 1, "", f"malformed CSV header: {exc}"))
        return None
    columns: dict[str, int] = {}
    allowed = COLUMNS[name]
    for index, column in enumerate(header):
        if column in columns:
            problems.append(
                Problem(file, 1, index + 1, column, f"column '{column}' is given twice")
            )
        elif column not in allowed:
            close = difflib.get_close_matches(column[:100], allowed, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f" (columns: {', '.join(allowed)})"
            problems.append(
                Problem(file, 1, index + 1, column, f"unknown column '{column}' in {name}{hint}")
            )
        else:
            columns[column] = index
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in columns]
    for column in missing:
        problems.append(
            Problem(
                file,
                1,
                1,
                column,
                f"missing column '{column}' in {name} (its columns: "
                f"{', '.join(REQUIRED_COLUMNS[name])}, optionally "
                f"{', '.join(c for c in allowed if c not in REQUIRED_COLUMNS[name])})",
            )
        )
    if missing:
        return None
    width = len(header)
    records: list[list[str]] = []
    lines: list[int] | range = []
    try:
        if '"' not in text and reader.line_num == 1:
            # no quoting, so one line per record: read at C speed and number by position
            records = list(reader)
            lines = range(2, 2 + len(records))
        else:
            start = reader.line_num + 1
            numbers: list[int] = []
            for record in reader:
                numbers.append(start)
                records.append(record)
                start = reader.line_num + 1
            lines = numbers
    except csv.Error as exc:
        problems.append(Problem(file, max(1, reader.line_num), 1, "", f"malformed CSV: {exc}"))
        return CsvTable(name, file, columns, [], [])
    bad = [k for k, record in enumerate(records) if len(record) != width]
    if bad:
        for k in bad:
            record = records[k]
            if any(cell.strip() for cell in record):
                problems.append(
                    Problem(
                        file,
                        lines[k],
                        1,
                        "",
                        f"has {len(record)} fields but the header has {width}; quote fields "
                        "that contain commas",
                    )
                )
        skip = set(bad)
        lines = [line for k, line in enumerate(lines) if k not in skip]
        records = [record for k, record in enumerate(records) if k not in skip]
    return CsvTable(name, file, columns, records, lines)


def _empty_table(name: str) -> str:
    return (
        f"empty file; {name} starts with a header line naming its columns "
        f"({', '.join(REQUIRED_COLUMNS[name])})"
    )


def _number(text: str) -> Any:
    """A cell as a number when it reads as one; otherwise the text, for the checks to refuse.

    Integers of more than 64 digits are read as floats (then very large or infinite), which the
    range checks refuse; ``int()`` itself refuses text of over 4,300 digits.
    """
    if _INTEGER.match(text):
        return int(text)
    if len(text) > 64 and text.lstrip("+-").isdigit() and text.isascii():
        return LongInteger(text)
    try:
        return float(text)
    except ValueError:
        return text


def _fractions(cells: list[str]) -> list[Any]:
    """:func:`_fraction` of every cell; at C speed when they are all plain numbers."""
    try:
        return list(map(float, cells))
    except ValueError:
        return [_fraction(text) if text else text for text in cells]


def _fraction(text: str) -> Any:
    """A share or cost share: a float when it reads as one, else the text (e.g. ``"65%"``)."""
    try:
        return float(text)
    except ValueError:
        return text


def _flag(text: str) -> Any:
    lower = text.lower()
    if lower in _TRUE:
        return True
    if lower in _FALSE:
        return False
    return text


def source_list(text: str) -> list[str]:
    """The source ids of a cell, separated by ``;`` (repeats kept).

    >>> source_list("a; b;;a")
    ['a', 'b', 'a']
    """
    return [s.strip() for s in text.split(";") if s.strip()]


def read_tables(
    path: Path, max_bytes: int | None = None, *, max_errors: int = DEFAULT_MAX_ERRORS
) -> tuple[Located, list[str]]:
    """Read the CSV form (a folder or a .zip) into a located chain document.

    Returns the document, whose problems so far are those of reading (bad header, unknown
    columns, rows naming unknown nodes, repeated rows), and the files in reading order.

    Raises
    ------
    ChainError
        When the header file or ``nodes.csv`` is missing or cannot be read.
    """
    limit = _limit(max_bytes)
    source = TableFiles(path, limit)
    try:
        return _read_tables(source, max_errors)
    finally:
        source.close()


def _read_tables(source: TableFiles, max_errors: int) -> tuple[Located, list[str]]:
    headers = [h for h in HEADER_FILES if source.exists(h)]
    if len(headers) > 1:
        message = (
            f"holds {' and '.join(headers)}; the CSV form has one header file: keep one of them"
        )
        raise ChainError([Problem(str(source.path), 1, 1, "", message)])
    header_name = headers[0] if headers else None
    missing = [t for t in TABLES if t not in _OPTIONAL_TABLES and not source.exists(t)]
    if header_name is None or missing:
        what = [*([] if header_name else ["chain.yaml (or chain.json)"]), *missing]
        where = str(source.path)
        message = (
            f"is a folder, not a chain file; the CSV form of a chain is a folder (or .zip) "
            f"holding {', '.join(HEADER_FILES[:1])}, {', '.join(TABLES[:3])}: {', '.join(what)} "
            "missing (see docs/chain-format.md)"
            if source.archive is None and not source.exists("nodes.csv")
            else f"the CSV form needs {', '.join(what)} (see docs/chain-format.md)"
        )
        raise ChainError([Problem(where, 1, 1, "", message)])
    header_file = source.file(header_name)
    header_text = source.text(header_name)
    if header_name.endswith(".json"):
        header = parse_json(header_text, header_file)
    else:
        header = parse_yaml(header_text, header_file)
    order = [header_file]
    problems = ProblemLog(max_errors, header.problems)
    root = header.value
    if isinstance(root, dict) and "nodes" in root:
        problems.append(
            header.problem(
                ("nodes",),
                f"nodes come from nodes.csv in the CSV form; remove `nodes` from {header_name}",
            )
        )
    places = _Places()
    if isinstance(root, dict) and isinstance(root.get("year"), int):
        places.chain_year = root["year"]
    tables: dict[str, CsvTable] = {}
    for name in TABLES:
        if not source.exists(name):
            continue
        places.files[name] = source.file(name)
        order.append(source.file(name))
        table = read_csv_table(source, name, problems)
        if table is not None:
            tables[name] = table
            places.tables[name] = table
    nodes = _build_nodes(tables, places, problems)
    document = dict(root) if isinstance(root, dict) else root
    if isinstance(document, dict):
        document["nodes"] = nodes
    doc = Located(
        document,
        header_file,
        positions=header.positions,
        problems=problems,
        locate=_chain_locators(header, places),
    )
    return doc, order


def _chain_locators(
    header: Located, places: _Places
) -> Callable[[KeyPath], tuple[str, int, int] | None]:
    def locate(path: KeyPath) -> tuple[str, int, int] | None:
        found = places.locate(path)
        if found is None and header.locate is not None:
            return header.locate(path)
        return found

    return locate


def _build_nodes(
    tables: dict[str, CsvTable], places: _Places, problems: ProblemLog
) -> list[dict[str, Any]]:
    """The ``nodes`` list of the chain document; ``places`` keeps what locates its parts.

    Column by column, so that a million rows cost a few list comprehensions and one loop.
    """
    table = tables.get("nodes.csv")
    if table is None:
        return []
    ids = table.column("id")
    nodes: list[dict[str, Any]] = [
        {"id": a, "name": b, "stage": c}
        for a, b, c in zip(ids, table.column("name"), table.column("stage"), strict=True)
    ]
    for column in COLUMNS["nodes.csv"][3:]:
        if column not in table.columns:
            continue
        convert: Callable[[str], Any] = (
            _number
            if column in ("year", "substitutability", "stock_months")
            else _flag
            if column == "estimate"
            else source_list
            if column in ("source", "hs")
            else str
        )
        for node, text in zip(nodes, table.column(column), strict=True):
            if text:
                node[column] = convert(text)
    # the first node with each id (a repeated id is reported by the checks)
    index = dict(zip(reversed(ids), range(len(ids) - 1, -1, -1), strict=True))
    suggest: Suggester | None = None
    sources: dict[str, list[str]] = {}

    def owners(name: str) -> list[int] | None:
        other = tables.get(name)
        if other is None:
            return None
        found = [index.get(node_id, -1) for node_id in other.column("node")]
        places.owners[name] = found
        column = other.columns["node"]
        nonlocal suggest
        for k, i in enumerate(found):
            if i < 0:
                message = f"unknown node in {name} (not in nodes.csv)"
                if problems.full:
                    problems.tally(message)
                    continue
                node_id = other.records[k][column].strip()
                suggest = suggest or Suggester(index)
                close = suggest(node_id)
                hint = f"; did you mean '{close}'?" if close else ""
                shown = node_id if len(node_id) <= 80 else f"{node_id[:60]}..."
                problems.append(
                    Problem(
                        other.file,
                        other.lines[k],
                        column + 1,
                        "node",
                        f"unknown node '{shown}' in {name} (not in nodes.csv){hint}",
                    )
                )
        return found

    def cite(node: dict[str, Any], text: str) -> None:
        ids = sources.get(text)
        if ids is None:
            ids = sources[text] = source_list(text)
        cited = node.get("source")
        if cited is None:
            node["source"] = list(ids)
            return
        for sid in ids:
            if sid not in cited:
                cited.append(sid)

    shares = tables.get("shares.csv")
    found = owners("shares.csv")
    if shares is not None and found is not None:
        _read_shares(shares, found, nodes, places, problems, cite)
    edges = tables.get("edges.csv")
    found = owners("edges.csv")
    if edges is not None and found is not None:
        blank = [""] * len(found)
        costs = _fractions(edges.column("cost_share")) if "cost_share" in edges.columns else blank
        flags = edges.column("essential") if "essential" in edges.columns else blank
        read_flag = {text: _flag(text) for text in set(flags) if text}  # a few distinct texts
        for i, node_id, cost, flag in zip(found, edges.column("input"), costs, flags, strict=True):
            if i < 0:
                continue
            item: dict[str, Any]
            if cost != "" and flag:  # the common case, as one literal
                item = {"node": node_id, "cost_share": cost, "essential": read_flag[flag]}
            else:
                item = {"node": node_id}
                if cost != "":
                    item["cost_share"] = cost
                if flag:
                    item["essential"] = read_flag[flag]
            node = nodes[i]
            if "inputs" in node:
                node["inputs"].append(item)
            else:
                node["inputs"] = [item]
    firms = tables.get("suppliers.csv")
    found = owners("suppliers.csv")
    if firms is not None and found is not None:
        cols = firms.columns
        for k, i in enumerate(found):
            if i < 0:
                continue
            cells = firms.records[k]
            firm: dict[str, Any] = {
                "firm": cells[cols["firm"]].strip(),
                "country": cells[cols["country"]].strip(),
            }
            for column in ("share", "year", "note"):
                if column in cols and (text := cells[cols[column]].strip()):
                    firm[column] = text if column == "note" else _number(text)
            if "source" in cols and (text := cells[cols["source"]].strip()):
                cite(nodes[i], text)
            nodes[i].setdefault("suppliers", []).append(firm)
    return nodes


def _read_shares(
    table: CsvTable,
    owners: list[int],
    nodes: list[dict[str, Any]],
    places: _Places,
    problems: ProblemLog,
    cite: Callable[[dict[str, Any], str], None],
) -> None:
    cols = table.columns
    years: list[int | None] = [None] * len(owners)
    places.share_years = years
    year_cells = table.column("year") if "year" in cols else None
    basis_cells = table.column("basis") if "basis" in cols else None
    rows = zip(
        owners,
        table.column("origin"),
        _fractions(table.column("share")),
        table.column("source"),
        strict=True,
    )
    # (node, year, origin) -> line of its first row: made at the first repeated row only
    first_rows: dict[tuple[int, int | None, str], int] | None = None
    origins = table.column("origin")
    for k, (i, origin, share, cited) in enumerate(rows):
        if i < 0:
            continue
        node = nodes[i]
        year: int | None = None
        if year_cells is not None and (text := year_cells[k]):
            if not _INTEGER.match(text) or len(text) > 6:
                problems.append(
                    Problem(
                        table.file,
                        table.lines[k],
                        cols["year"] + 1,
                        "year",
                        f"year {text[:20]!r} is not a year; leave it blank for the node's own year",
                    )
                )
                owners[k] = -1
                continue
            year = int(text)
            base_year = node.get("year")
            if year == (base_year if isinstance(base_year, int) else places.chain_year):
                year = None
            years[k] = year
        basis = basis_cells[k] if basis_cells is not None else ""
        if basis and year is not None:
            problems.append(
                Problem(
                    table.file,
                    table.lines[k],
                    cols["basis"] + 1,
                    "basis",
                    f"shares on the {basis[:20]} basis are for the node's own year; leave `year` "
                    "blank on this row (history is on the node's own basis)",
                )
            )
            owners[k] = -1
            continue
        if basis and basis not in BASES:
            problems.append(
                Problem(
                    table.file,
                    table.lines[k],
                    cols["basis"] + 1,
                    "basis",
                    f"unknown basis {basis[:20]!r}; location, ownership, or blank for the "
                    "node's own basis",
                )
            )
            owners[k] = -1
            continue
        if basis:
            target = node.setdefault(f"{basis}_shares", {})
        elif year is None:
            target = node.get("shares")
            if target is None:
                target = node["shares"] = {}
        else:
            target = node.setdefault("history", {}).setdefault(year, {})
        if origin in target:
            if first_rows is None:
                first_rows = {}
                for j in range(k):  # the rows kept so far (a row left out has owner -1)
                    if owners[j] >= 0:
                        first_rows.setdefault((owners[j], years[j], origins[j]), table.lines[j])
            first = first_rows.get((i, year, origin), 0)
            problems.append(
                Problem(
                    table.file,
                    table.lines[k],
                    cols["origin"] + 1,
                    "origin",
                    f"node '{node['id']}' has a second row for origin '{origin}'"
                    + (f" in {year}" if year is not None else "")
                    + f" (first on line {first}); give each origin once",
                )
            )
            owners[k] = -1
            continue
        target[origin] = share
        if first_rows is not None:
            first_rows[(i, year, origin)] = table.lines[k]
        if cited:
            cite(node, cited)
        else:
            problems.append(
                Problem(
                    table.file,
                    table.lines[k],
                    cols["source"] + 1,
                    "source",
                    "empty source; every share cites a source id defined under `sources` in "
                    "the chain header",
                )
            )


# --------------------------------------------------------------------------------------------
# Writing


def to_tables(document: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
    """Split a chain document into the CSV form's header document and tables (rows of cells).

    The header (every key but ``nodes``) is returned under ``"chain.json"`` as a one-cell row.
    Shares of other years (``history``) become ``shares.csv`` rows with a ``year``.
    """
    nodes = document.get("nodes", [])
    stocked = any(isinstance(n, Mapping) and "stock_months" in n for n in nodes)
    based = any(isinstance(n, Mapping) and "basis" in n for n in nodes)
    both = any(isinstance(n, Mapping) and any(f"{b}_shares" in n for b in BASES) for n in nodes)
    coded = any(isinstance(n, Mapping) and "hs" in n for n in nodes)
    node_columns = [
        c
        for c in COLUMNS["nodes.csv"]
        if (stocked or c != "stock_months") and (based or c != "basis") and (coded or c != "hs")
    ]
    node_rows: list[list[Any]] = [node_columns]
    share_columns = [c for c in COLUMNS["shares.csv"] if both or c != "basis"]
    share_rows: list[list[Any]] = [share_columns]
    edge_rows: list[list[Any]] = [list(COLUMNS["edges.csv"])]
    firm_rows: list[list[Any]] = [list(COLUMNS["suppliers.csv"])]
    for node in nodes:
        sources = node.get("source", [])
        sources = [sources] if isinstance(sources, str) else list(sources)
        cited = ";".join(sources)
        cells = {
            "id": node["id"],
            "name": node["name"],
            "stage": node["stage"],
            "year": node.get("year", ""),
            "substitutability": node.get("substitutability", ""),
            "estimate": _cell(node.get("estimate", "")),
            "note": node.get("note", ""),
            "source": cited,
            "stock_months": node.get("stock_months", ""),
            "basis": node.get("basis", ""),
            "hs": ";".join(str(code) for code in node.get("hs") or []),
        }
        node_rows.append([cells[column] for column in node_columns])
        extra = [""] if both else []
        for origin, share in (node.get("shares") or {}).items():
            share_rows.append([node["id"], origin, share, cited, "", *extra])
        for year, shares in (node.get("history") or {}).items():
            for origin, share in shares.items():
                share_rows.append([node["id"], origin, share, cited, year, *extra])
        for basis in BASES:
            for origin, share in (node.get(f"{basis}_shares") or {}).items():
                share_rows.append([node["id"], origin, share, cited, "", basis])
        for item in node.get("inputs") or []:
            item = {"node": item} if isinstance(item, str) else item
            edge_rows.append(
                [
                    item["node"],
                    node["id"],
                    item.get("cost_share", ""),
                    _cell(item.get("essential", "")),
                ]
            )
        for firm in node.get("suppliers") or []:
            firm_rows.append(
                [
                    node["id"],
                    firm["firm"],
                    firm["country"],
                    firm.get("share", ""),
                    firm.get("year", ""),
                    firm.get("note", ""),
                    cited,
                ]
            )
    return {
        "nodes.csv": node_rows,
        "shares.csv": share_rows,
        "edges.csv": edge_rows,
        "suppliers.csv": firm_rows,
    }


def _cell(value: Any) -> Any:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value


def _csv_text(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _texts(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    head = {k: v for k, v in document.items() if k != "nodes"}
    yield "chain.json", json.dumps(head, indent=2, ensure_ascii=False) + "\n"
    for name, rows in to_tables(document).items():
        yield name, _csv_text(rows)


def write_tables(document: Mapping[str, Any], target: Path) -> list[Path]:
    """Write a chain document in the CSV form: into folder ``target``, or a ``.zip`` file.

    The header goes to ``chain.json``. Returns the files written (the archive for a .zip).

    Raises
    ------
    OutputError
        When the folder cannot be created or a file cannot be written.
    """
    from ..errors import OutputError
    from .atomic import write_atomic

    if target.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in _texts(document):
                archive.writestr(name, text)
        return [write_atomic(target, buffer.getvalue())]
    stale = [name for name in HEADER_FILES[:2] if (target / name).exists()]
    if stale:
        msg = (
            f"cannot write the CSV form into {target}: it holds {stale[0]}, which would be read "
            "instead of the chain.json written; choose an empty folder"
        )
        raise OutputError(msg)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create folder {target}: {exc.strerror}"
        raise OutputError(msg) from None
    return [write_atomic(target / name, text) for name, text in _texts(document)]
