"""Rendering result objects: rich tables for people, JSON and CSV for scripts.

Nothing here computes a metric; everything arrives as result objects or plain rows. ``rich`` is
imported only when a table is drawn, so ``--format json`` never pays for it.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from ..model import OTHER, Chain, ScenarioSpec

T = TypeVar("T")

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..core.analysis import Analysis
    from ..core.montecarlo import MonteCarloResult
    from ..core.reports import SourcesResult, StagesResult, TrendResult
    from ..core.scenarios import Scenario, ScenarioResult, SweepResult
    from ..core.stress import StressResult
    from ..core.timeline import TimelineResult
    from ..io.listing import ChainListing

__all__ = [
    "chain_list",
    "fitted_table",
    "wrap_id",
    "timeline",
    "console",
    "emit_csv",
    "emit_json",
    "fmt_pct",
    "montecarlo",
    "origin_label",
    "show_chain",
    "stress",
]


def console() -> Console:
    """A console on stdout; plain text (no colour or box art) when stdout is not a terminal.

    A closed stdout (``| head -1``) raises :class:`BrokenPipeError` to the caller, which ends the
    command quietly with exit 0 (rich's own handling exits with 1, the code for a bug).
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    return _Console(highlight=False, soft_wrap=False)


#: Above this many nodes (or rows), JSON is written compact (no indent, no space after ``,`` and
#: ``:``), a block of :data:`JSON_BLOCK` items at a time, with orjson when it is installed.
COMPACT_JSON_ABOVE = 20_000
#: Items of a large document encoded at once: bounds the text held in memory.
JSON_BLOCK = 4_096
#: Above this many nodes, tables list the choke points and the most dependent nodes only.
TABLE_ROWS = 200


def emit_json(document: Any) -> None:
    """Write ``document`` as JSON; keys in result order.

    Up to :data:`COMPACT_JSON_ABOVE` nodes (or rows): indented by two spaces. Larger documents
    (a firm-level network) are written compact, their ``nodes`` (or ``rows``) a block of
    :data:`JSON_BLOCK` items at a time, so that the whole text (hundreds of MB at a million links)
    is never held at once (nor, when they are a sequence that makes them on demand such as
    :class:`~chokepoint.core.analysis.NodeDicts`, the items), with the cyclic collector paused (the items are millions of small
    objects, none of them garbage). orjson (the ``fast`` extra) encodes them about ten times
    faster than the standard library (``benchmarks/run.py``); both give the same JSON values,
    though a number may be spelled differently (``1e-05`` or ``1e-5``). When stdout writes
    UTF-8, the blocks go to its byte stream as the encoder made them (no decoding to text and
    encoding back: 0.1-0.2 s of 220 MB at a million links).
    """
    items = document.get("nodes", document.get("rows")) if isinstance(document, dict) else None
    if items is None or len(items) <= COMPACT_JSON_ABOVE:
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False, default=_listed)
        sys.stdout.write(text + "\n")
        return
    from .._gc import paused

    out = _binary_stdout()
    encode: Callable[[Any], Any]
    if out is None:
        encode = _compact_encoder()
        write: Callable[[Any], Any] = sys.stdout.write
        pieces: tuple[Any, ...] = ("{", ",", ":", "[", "]", "}\n")
    else:  # the encoder's UTF-8 bytes as they are: no decoding, then encoding again
        encode, write = _compact_encoder(binary=True), out.write
        pieces = (b"{", b",", b":", b"[", b"]", b"}\n")
    opening, comma, colon, start, end, closing = pieces
    with paused():
        write(opening)
        for k, (key, value) in enumerate(document.items()):
            if k:
                write(comma)
            write(encode(key) + colon)
            if key in ("nodes", "rows") and isinstance(value, Sequence):
                write(start)
                for first in range(0, len(value), JSON_BLOCK):
                    if first:
                        write(comma)
                    write(encode(value[first : first + JSON_BLOCK])[1:-1])
                write(end)
            else:
                write(encode(value))
        write(closing)
    if out is not None:
        out.flush()


def _binary_stdout() -> Any:
    """The byte stream under ``sys.stdout`` when it writes UTF-8 (its text layer flushed
    first, so that what was written before stays before), else None (a ``StringIO``)."""
    out = getattr(sys.stdout, "buffer", None)
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    if out is None or encoding != "utf8":
        return None
    sys.stdout.flush()
    return out


@overload
def _compact_encoder(binary: Literal[False] = False) -> Callable[[Any], str]: ...


@overload
def _compact_encoder(binary: Literal[True]) -> Callable[[Any], bytes]: ...


def _compact_encoder(binary: bool = False) -> Callable[[Any], str] | Callable[[Any], bytes]:
    """Compact JSON of a value, as text or (``binary``) UTF-8 bytes: orjson when installed,
    else the standard library's C encoder.

    numpy scalars become the Python numbers they hold (both encoders); an unknown figure is None
    in the results, never NaN (which json refuses and orjson would write as ``null``).
    """
    try:
        import orjson
    except ImportError:
        encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        if binary:
            return lambda value: encoder.encode(value).encode()
        return encoder.encode
    dumps, keys = orjson.dumps, orjson.OPT_NON_STR_KEYS

    def encoded(value: Any) -> bytes:
        # keys other than text (years) need OPT_NON_STR_KEYS, which makes every dict a third
        # slower to encode: asked for only when a value has such a key (the same text)
        try:
            return dumps(value, default=_plain)
        except TypeError:
            return dumps(value, default=_plain, option=keys)

    if binary:
        return encoded
    return lambda value: encoded(value).decode()


def _listed(value: Any) -> Any:
    """A sequence made on demand (:class:`~chokepoint.core.analysis.NodeDicts`) as a list
    (the standard library's ``default``)."""
    if isinstance(value, Sequence):
        return value[:]
    msg = f"{type(value).__name__} is not JSON serializable"
    raise TypeError(msg)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (orjson's ``default``)."""
    item = getattr(value, "item", None)
    if item is None:
        msg = f"{type(value).__name__} is not JSON serializable"
        raise TypeError(msg)
    return item()


def emit_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> None:
    """Write rows as CSV with a header; ``None`` becomes an empty cell, booleans true/false."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    sys.stdout.write(buffer.getvalue())


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value


#: Marks a share on the ownership basis (the firms based in the origin) in tables.
OWNED_MARK = "°"


def owned_legend(perspective: str) -> str:
    """The line under a table that marks ownership-basis shares with :data:`OWNED_MARK`."""
    return (
        f"{OWNED_MARK} ownership basis: the share of the firms (brands) based in that origin, their "
        f"production in {perspective} included; other shares are by place of production"
    )


def fmt_pct(value: float | None, digits: int = 0) -> str:
    """``0.653`` -> ``65%``; ``None`` -> ``n/a``."""
    if value is None:
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def origin_label(code: str, chain: Chain | None = None) -> str:
    """A code with its name: ``JP (Japan)``, ``EU (DE, FR)``, ``other (unnamed foreign)``."""
    from ..countries import country_name

    if code == OTHER:
        return "other (unnamed foreign)"
    if chain is not None and code in chain.regions:
        return f"{code} ({', '.join(chain.regions[code])})"
    name = country_name(code)
    return f"{code} ({name})" if name else code


def _shares_text(shares: Mapping[str, float] | None) -> str:
    if shares is None:
        return "shares unknown"
    ordered = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
    text = " · ".join(f"{k} {fmt_pct(v, 1 if v < 0.1 else 0)}" for k, v in ordered)
    rest = 1 - sum(shares.values())
    if rest > 0.005:
        text += f" · unattributed {fmt_pct(rest)}"
    return text


def chain_list(result: ChainListing, fmt: str) -> None:
    """Render the output of ``chokepoint list``: each chain's name, file and path.

    A chain answers to its name and to its file name without the suffix; the table shows the
    file, one table per folder (titled with the folder), JSON and CSV the whole path.
    """
    rows = result.to_dict()["chains"]
    fields = ["name", "file", "title", "perspective", "year", "nodes", "path", "error"]
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        emit_csv(rows, fields)
        return
    from pathlib import Path

    from rich.markup import escape
    from rich.table import Table

    folders: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        folders.setdefault(str(Path(row["path"]).parent), []).append(row)

    def builder(folder: str, listed: list[dict[str, Any]]) -> Callable[[int, int | None], Table]:
        # the file column may give way when every file is the chain's name plus a suffix
        plain = all(row["file"].rsplit(".", 1)[0] == row["name"] for row in listed)

        def build(level: int, wrap: int | None) -> Table:
            """The table of one folder: level 1 leaves out a file column that only repeats the
            names; ``wrap``: names (and files) broken after hyphens."""
            files = level == 0 or not plain
            table = Table(title=f"Chains in {escape(folder)}", title_justify="left")
            if not files:
                kinds = sorted({Path(row["file"]).suffix or " (a folder)" for row in listed})
                table.caption = f"files: each chain's name + {' or '.join(kinds)}"
                table.caption_justify = "left"
            table.add_column("name", no_wrap=True)
            if files:
                table.add_column("file", no_wrap=True)
            table.add_column("title", overflow="fold")
            for column in ("persp.", "year", "nodes"):
                right = column in ("year", "nodes")
                table.add_column(column, justify="right" if right else "left", no_wrap=True)
            for row in listed:
                cells = [
                    escape(row[key] if wrap is None else wrap_id(row[key], wrap))
                    for key in (("name", "file") if files else ("name",))
                ]
                if "error" in row:
                    cells += [f"[red]invalid: {escape(row['error'])}[/red]", "", "", ""]
                else:
                    cells += [
                        escape(row["title"]),
                        escape(row["perspective"]),
                        str(row["year"]),
                        str(row["nodes"]),
                    ]
                table.add_row(*cells)
            return table

        return build

    out = console()
    for folder, listed in folders.items():
        out.print(
            fitted_table(
                out, builder(folder, listed), 2, ids=lambda level: (0, 1) if level == 0 else (0,)
            )[0]
        )


def chain_document(chain: Chain) -> dict[str, Any]:
    """The chain as plain data (used by ``show --format json`` and the JSON export)."""
    return {
        "chain": chain.name,
        "title": chain.title,
        "perspective": chain.perspective,
        "market": chain.market or chain.perspective,
        "year": chain.year,
        "stages": list(chain.stages),
        "regions": {k: list(v) for k, v in chain.regions.items()},
        "nodes": [
            {
                "id": n.id,
                "name": n.name,
                "stage": n.stage,
                "year": n.year or chain.year,
                "shares": dict(n.shares) if n.shares is not None else None,
                "history": {str(y): dict(v) for y, v in sorted(n.history.items())},
                "substitutability": n.substitutability,
                "stock_months": n.stock_months,
                "estimate": n.estimate,
                "source": list(n.source),
                "inputs": [
                    {"node": i.node, "cost_share": i.cost_share, "essential": i.essential}
                    for i in n.inputs
                ],
                "suppliers": [
                    {"firm": f.firm, "country": f.country, "share": f.share, "year": f.year}
                    for f in n.suppliers
                ],
                "note": n.note,
            }
            for n in chain.nodes
        ],
        "scenarios": [
            {
                "name": spec.name,
                "title": spec.title,
                "cuts": [
                    {
                        "origin": c.origin,
                        "severity": c.severity,
                        "nodes": list(c.nodes),
                        "months": c.months,
                    }
                    for c in spec.cuts
                ],
                "shocks": [
                    {"node": k.node, "severity": k.severity, "months": k.months}
                    for k in spec.shocks
                ],
                "substitution": dict(spec.substitution),
                "note": spec.note,
            }
            for spec in chain.scenarios.values()
        ],
        "sources": {s.id: {"citation": s.citation(), "url": s.url} for s in chain.sources.values()},
    }


def scenario_parts(spec: ScenarioSpec | Scenario) -> list[str]:
    """What a scenario does, one phrase per cut, shock and substitutability override.

    >>> from chokepoint.model import Cut, ScenarioSpec
    >>> scenario_parts(ScenarioSpec("x", "X", cuts=(Cut("JP", 0.5, ("plc",), 6.0),)))
    ['JP cuts 50% of plc for 6 months']
    """

    def lasting(months: float | None) -> str:
        return "" if months is None else f" for {months:g} months"

    what = [
        f"{c.origin} cuts {fmt_pct(c.severity)} of "
        + (", ".join(c.nodes) if c.nodes else "every node")
        + lasting(c.months)
        for c in spec.cuts
    ] + [
        f"{k.node} loses {fmt_pct(k.severity)} of domestic capacity{lasting(k.months)}"
        for k in spec.shocks
    ]
    return what + [f"substitutability of {k} = {v:g}" for k, v in spec.substitution.items()]


SHOW_CSV_FIELDS = [
    "id",
    "name",
    "stage",
    "year",
    "shares",
    "history",
    "substitutability",
    "stock_months",
    "inputs",
    "source",
    "estimate",
]


def show_chain(chain: Chain, fmt: str) -> None:
    """Render ``chokepoint show``: stages, nodes (shares, their history, substitutability, stock,
    inputs), named scenarios and sources. CSV: one row per node (``history`` as ``YEAR: shares``
    items joined with "; "); JSON: :func:`chain_document`."""
    if fmt == "json":
        emit_json(chain_document(chain))
        return
    if fmt == "csv":
        rows = []
        for n in chain.nodes:
            rows.append(
                {
                    "id": n.id,
                    "name": n.name,
                    "stage": n.stage,
                    "year": n.year or chain.year,
                    "shares": _shares_text(n.shares),
                    "history": [f"{y}: {_shares_text(v)}" for y, v in sorted(n.history.items())],
                    "substitutability": n.substitutability,
                    "stock_months": n.stock_months,
                    "inputs": [i.node for i in n.inputs],
                    "source": list(n.source),
                    "estimate": n.estimate,
                }
            )
        emit_csv(rows, SHOW_CSV_FIELDS)
        return
    from rich.markup import escape
    from rich.tree import Tree

    market = "world market" if chain.is_global else f"{chain.perspective} market"
    root = Tree(
        f"[bold]{escape(chain.title)}[/bold] ({escape(chain.name)}) · perspective "
        f"{escape(origin_label(chain.perspective, chain))} · {escape(market)} · {chain.year}"
    )
    for stage in chain.stages:
        branch = root.add(f"[bold cyan]{escape(stage)}[/bold cyan]")
        for n in (n for n in chain.nodes if n.stage == stage):
            year = f" ({n.year})" if n.year and n.year != chain.year else ""
            est = " [yellow]estimate[/yellow]" if n.estimate else ""
            cites = f" [dim]{escape('[' + ', '.join(n.source) + ']')}[/dim]" if n.source else ""
            leaf = branch.add(
                f"[bold]{escape(n.id)}[/bold] {escape(n.name)}: {escape(_shares_text(n.shares))}"
                f"{year}{est}{cites}"
            )
            if n.substitutability or n.stock_months is not None:
                extra = [f"substitutability {n.substitutability:g}"] if n.substitutability else []
                if n.stock_months is not None:
                    extra.append(f"stock {n.stock_months:g} months")
                leaf.add(escape(", ".join(extra)))
            if n.history:
                leaf.add(
                    "history: "
                    + escape(
                        "; ".join(f"{y}: {_shares_text(v)}" for y, v in sorted(n.history.items()))
                    )
                )
            if n.inputs:
                parts = []
                for i in n.inputs:
                    cost = f" {fmt_pct(i.cost_share)}" if i.cost_share is not None else ""
                    flag = "" if i.essential else " (inessential)"
                    parts.append(f"{i.node}{cost}{flag}")
                leaf.add(f"[dim]inputs: {escape(', '.join(parts))}[/dim]")
    out = console()
    out.print(root)
    if chain.scenarios:
        out.print("[bold]Scenarios[/bold] (chokepoint scenario CHAIN NAME)")
        for spec in chain.scenarios.values():
            out.print(f"  [bold]{escape(spec.name)}[/bold]: {escape(spec.title)}", overflow="fold")
            out.print(escape("    " + "; ".join(scenario_parts(spec))), overflow="fold")
    codes = sorted({c for n in chain.nodes for c in (n.shares or {})} - {OTHER})
    if codes:
        out.print("[bold]Origins[/bold]")
        out.print(escape("  " + " · ".join(origin_label(c, chain) for c in codes)), overflow="fold")
    if chain.sources:
        out.print("[bold]Sources[/bold]")
        for source in chain.sources.values():
            out.print(escape(f"  [{source.id}] {source.citation()}"))


# ------------------------------------------------------------------------------------------
# fitting a table to the terminal: figures and ids whole, only prose wraps


#: Markup or a line break: a cell that is measured by rendering it.
_MARKUP = re.compile(r"[\[\n]")
#: A word longer than this (a path, a URL) in a column of prose that folds may be folded.
PROSE_WORD = 24


def _column_needs(table: Table, out: Console) -> list[int]:
    """The width each column of ``table`` needs, padding included, to show every cell whole: a
    column that does not wrap, its widest line (header included); one that wraps (prose), its
    longest word (rich wraps at spaces only), up to :data:`PROSE_WORD` when the column folds
    longer words (``overflow="fold"``; in the others, such as lists of ids, a word is never
    broken)."""
    from rich.cells import cell_len
    from rich.measure import Measurement

    _, right, _, left = table.padding
    last = len(table.columns) - 1
    needs = []
    for index, column in enumerate(table.columns):
        need = 1
        if column.width is not None:
            need = column.width
        elif column.min_width is not None:
            need = column.min_width
        if column.width is None:
            for cell in (column.header, *column.cells):
                if column.no_wrap and isinstance(cell, str) and not _MARKUP.search(cell):
                    need = max(need, cell_len(cell))  # plain text on one line: its length
                    continue
                low, high = Measurement.get(out, out.options, cell)
                if not column.no_wrap and column.overflow == "fold":
                    low = min(low, PROSE_WORD)  # a long word of prose (a path) may fold
                need = max(need, high if column.no_wrap else low)
        pad_left = 0 if index == 0 and not table.pad_edge else left
        pad_right = 0 if index == last and not table.pad_edge else right
        needs.append(need + pad_left + pad_right)
    return needs


def _borders(table: Table) -> int:
    if table.box is None:
        return 0
    return (2 if table.show_edge else 0) + len(table.columns) - 1


def _fits(table: Table, out: Console) -> bool:
    """Whether ``table`` shows every figure and id whole at the console's width."""
    return sum(_column_needs(table, out)) + _borders(table) <= out.width


def wrap_id(text: str, width: int) -> str:
    """``text`` (an id, a slug) on lines of at most ``width`` characters, broken after a hyphen or
    at a space only, so that no part of it is cut inside a word.

    >>> print(wrap_id("tube-based-diffusion-and-deposition-tools", 16))
    tube-based-
    diffusion-and-
    deposition-tools
    """
    parts = [p for p in re.split(r"(?<=-)|(?= )", text) if p]
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part.lstrip(" ") if lines else part)
    return "\n".join(line.rstrip(" ") for line in lines)


#: Ids wrapped after hyphens in a wider layout only when each line may be this long; narrower
#: wrapping waits for the narrowest layout.
WRAP_AT_LEAST = 16


def fitted_table(
    out: Console,
    build: Callable[[int, int | None], Table],
    levels: int,
    ids: Sequence[int] | Callable[[int], Sequence[int]] = (),
) -> tuple[Table, int]:
    """The widest of ``levels`` layouts of a table (``build(level, wrap)``, widest first) that
    shows every figure and id whole at the console's width, and its level.

    A layout that does not fit as it is may still fit with its id columns (``ids``, or
    ``ids(level)``) wrapped after hyphens (:func:`wrap_id`) to share the room the other columns
    leave, at least :data:`WRAP_AT_LEAST` characters a line; the narrowest layout is wrapped as
    narrow as it takes. Prose columns (those that wrap) then get fixed widths, each at least its
    longest word, so that rich never cuts a word to make room.
    """
    table = build(0, None)
    level = 0
    while True:
        last = level == levels - 1
        if _fits(table, out):
            break
        columns = ids(level) if callable(ids) else ids
        if columns:
            wrapped = _wrapped(out, table, build, level, columns, 8 if last else WRAP_AT_LEAST)
            if wrapped is not None and (last or _fits(wrapped, out)):
                table = wrapped
                break
        if last:
            break
        level += 1
        table = build(level, None)
    _share_prose(table, out)
    return table, level


def _wrapped(
    out: Console,
    table: Table,
    build: Callable[[int, int | None], Table],
    level: int,
    ids: Sequence[int],
    least: int,
) -> Table | None:
    """``table`` built again with its id columns wrapped to share the room left (None when that
    would be narrower than ``least``)."""
    needs = _column_needs(table, out)
    _, right, _, left = table.padding
    room = out.width - _borders(table) - sum(n for i, n in enumerate(needs) if i not in ids)
    wrap = (room - (left + right) * len(ids)) // len(ids)
    if wrap < least:
        return None if least > 8 else build(level, 8)
    wrapped = build(level, wrap)
    for _ in range(4):  # a part longer than the width stays whole: narrow the others
        excess = sum(_column_needs(wrapped, out)) + _borders(wrapped) - out.width
        if excess <= 0 or wrap <= least:
            break
        wrap = max(least, wrap + (excess // -len(ids)))
        wrapped = build(level, wrap)
    return wrapped


def _share_prose(table: Table, out: Console) -> None:
    """When the table would not fit unwrapped, give each wrapping (prose) column a fixed width: its
    longest word, plus a share of the room left in proportion to what it would take unwrapped (so
    that rich, which shrinks the widest columns first, never cuts a word to make room)."""
    from rich.measure import Measurement

    if all(c.no_wrap or c.width is not None for c in table.columns):
        return
    needs = _column_needs(table, out)
    spare = out.width - _borders(table) - sum(needs)
    prose = []
    for column in table.columns:
        if column.no_wrap or column.width is not None:
            continue
        sizes = [Measurement.get(out, out.options, c) for c in (column.header, *column.cells)]
        low = max(m.minimum for m in sizes)
        if column.overflow == "fold":
            low = min(low, PROSE_WORD)
        prose.append((column, low, max(m.maximum for m in sizes) - low))
    wanted = sum(want for _, _, want in prose)
    if not prose or spare < 0 or spare >= wanted:
        return
    for column, low, want in prose:
        column.width = low + spare * want // wanted


# ------------------------------------------------------------------------------------------
# analyze


def _bar(value: float | None, width: int = 6) -> str:
    if value is None:
        return ""
    filled = round(max(0.0, min(1.0, value)) * width)
    return "█" * filled + "░" * (width - filled)


def _dep_style(value: float | None) -> str:
    if value is None:
        return "dim"
    if value >= 0.75:
        return "red"
    if value >= 0.5:
        return "yellow"
    return "green"


def _capped(items: Sequence[T], key: Callable[[T], Any]) -> list[T]:
    """All items when there are at most :data:`TABLE_ROWS`; else the first by ``key``, in order."""
    if len(items) <= TABLE_ROWS:
        return list(items)
    keep = set(sorted(range(len(items)), key=lambda k: key(items[k]))[:TABLE_ROWS])
    return [item for k, item in enumerate(items) if k in keep]


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def analysis_rows(result: Analysis) -> tuple[list[dict[str, Any]], list[str]]:
    """CSV rows of an analysis (exposure flattened as ``exposure_XX``) and their field names."""
    from ..core.analysis import FIELDS

    origins = sorted({c for n in result.nodes for c in n.exposure})
    fields = [f for f in FIELDS if f != "exposure"]
    fields = (
        fields[: fields.index("total_dependence") + 1]
        + [f"exposure_{c}" for c in origins]
        + fields[fields.index("total_dependence") + 1 :]
    )
    rows = []
    for node in result.nodes:
        row = {k: v for k, v in node.to_dict().items() if k != "exposure"}
        row["unknown"] = "; ".join(f"{k}: {v}" for k, v in node.unknown.items()) or None
        row.update({f"exposure_{c}": node.exposure.get(c) for c in origins})
        rows.append(row)
    return rows, fields


def _impact_cell(node: Any) -> str:
    if node.impact is not None:
        return fmt_pct(node.impact)
    return "n/a" if "impact" in node.unknown else "-"


def _print_unknown(out: Console, nodes: Sequence[Any]) -> None:
    """Under a table: why each n/a figure is n/a, one line per reason with the nodes it covers."""
    from rich.markup import escape

    by_reason: dict[tuple[str, str], list[str]] = {}
    for node in nodes:
        for figure, reason in node.unknown.items():
            if figure == "exposure" and node.unknown.get("total_dependence") == reason:
                continue  # said once, under total
            label = figure
            if figure == "total_dependence":
                same = node.unknown.get("exposure") == reason
                label = "total and exposure" if same else "total"
            by_reason.setdefault((label, reason), []).append(node.id)
    if not by_reason:
        return
    out.print("[bold]n/a[/bold]")
    for (label, reason), ids in by_reason.items():
        out.print(escape(f"  - {label} of {', '.join(ids)}: {reason}"), overflow="fold")


def analysis(result: Analysis, fmt: str, top: int = 10) -> None:
    """Render ``chokepoint analyze``: one table in stage order, choke points, sources, assumptions."""
    if fmt == "json":
        emit_json(result.to_dict(lazy=True))
        return
    if fmt == "csv":
        rows, fields = analysis_rows(result)
        emit_csv(rows, fields)
        return
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    chain = result.chain
    out = console()
    market = "world market shares" if chain.is_global else f"shares of {chain.perspective}'s market"
    shown = _capped(
        result.nodes,
        lambda n: (
            not n.chokepoint,
            not n.possible_chokepoint,
            -(n.impact or 0.0),
            -(n.dependence or 0.0),
        ),
    )

    def build(level: int, wrap: int | None) -> Table:
        """The table; level 1 (when the full one would not fit the terminal): stages as rows of
        their own and dependence without its bar, so every figure column stays whole; ``wrap``:
        node ids broken after hyphens to that width."""
        compact = level > 0
        table = Table(
            title=escape(
                f"{chain.title}: dependence of {origin_label(result.perspective, chain)}, "
                f"{result.years_text()} ({market})"
            ),
            title_justify="left",
            caption="dep = 1 - domestic share; imp.HHI = concentration of imports; c75 = origins "
            "to reach 75%; total = incl. inputs; impact = worst final-product loss if the top "
            "supplier stops; ⚑ choke point; ? not ruled out (origins incomplete); * estimate; "
            "'17 figures of that year (others: the title's); n/a: see below",
            caption_justify="left",
            expand=False,
            pad_edge=False,
        )
        if not compact:
            table.add_column("stage", style="cyan", no_wrap=True)
        table.add_column("node", no_wrap=True)
        table.add_column("dep", justify="right", no_wrap=True)
        table.add_column("top supplier" if not compact else "top", no_wrap=True)
        table.add_column("imp.HHI", justify="right", no_wrap=True)
        table.add_column("c75", justify="right", no_wrap=True)
        table.add_column("total", justify="right", no_wrap=True)
        table.add_column("impact", justify="right", no_wrap=True)
        previous = None
        for node in shown:
            stage = node.stage if node.stage != previous else ""
            previous = node.stage
            name = node.id + ("*" if node.estimate else "")
            if node.year is not None and len(result.years()) > 1 and node.year != result.year:
                name += f" '{node.year % 100:02d}"
            mark = "⚑ " if node.chokepoint else "? " if node.possible_chokepoint else ""
            name = mark + name
            if wrap is not None:
                name = wrap_id(name, wrap)
            if node.chokepoint:
                name = f"[bold red]{escape(name)}[/bold red]"
            elif node.possible_chokepoint:
                name = f"[yellow]{escape(name)}[/yellow]"
            else:
                name = escape(name)
            style = _dep_style(node.dependence)
            bar = "" if compact else f"{_bar(node.dependence)} "
            dep = (
                f"[{style}]{bar}{fmt_pct(node.dependence)}[/{style}]"
                if node.dependence is not None
                else "[dim]n/a[/dim]"
            )
            supplier = (
                escape(f"{node.top_supplier} {fmt_pct(node.top_share)}")
                + (OWNED_MARK if node.basis == "ownership" else "")
                if node.top_supplier
                else "[dim]-[/dim]"
            )
            cells = [
                name,
                dep,
                supplier,
                _num(node.import_hhi),
                str(node.countries_to_75) if node.countries_to_75 is not None else "-",
                fmt_pct(node.total_dependence),
                _impact_cell(node),
            ]
            if compact:
                if stage:
                    label = stage if wrap is None else wrap_id(stage, wrap)
                    table.add_row(f"[cyan]{escape(label)}[/cyan]", *[""] * 6)
                table.add_row(*cells)
            else:
                table.add_row(escape(stage), *cells)
        return table

    out.print(fitted_table(out, build, 2, ids=lambda level: (1,) if level == 0 else (0,))[0])
    if any(n.basis == "ownership" and n.top_supplier for n in shown):
        out.print(escape(owned_legend(result.perspective)), overflow="fold")
    _print_unknown(out, shown)
    if len(shown) < len(result.nodes):
        out.print(
            f"[dim]{len(shown)} of {len(result.nodes):,} nodes shown (choke points first, then by "
            "impact and dependence); --format json or csv lists every node[/dim]"
        )
    ranked = result.chokepoints()
    possible = result.possible_chokepoints()
    lines = []
    for rank, node in enumerate(ranked[:top], start=1):
        why = node.reasons[-1] if node.reasons else ""
        lines.append(
            f"[bold]{rank}. {escape(node.name)}[/bold] ({escape(node.id)}, {escape(node.stage)}): "
            f"impact {fmt_pct(node.impact)}\n   {escape(why)}"
        )
    if len(ranked) > top:
        lines.append(f"[dim]... {len(ranked) - top} more (--top {len(ranked)})[/dim]")
    if not ranked:
        lines.append("None at these thresholds.")
    if possible:
        lines.append(
            "[yellow]Not ruled out: dependent, but part of the foreign supply has no named "
            "origin[/yellow]"
        )
        for node in possible[:top]:
            who = (
                f"firms based in {node.top_supplier} supply"
                if node.basis == "ownership"
                else f"{node.top_supplier} supplies"
            )
            supplier = (
                f"; {who} {fmt_pct(node.top_share)}, impact {fmt_pct(node.impact)}"
                if node.top_supplier
                else ""
            )
            lines.append(
                f"? {escape(node.name)} ({escape(node.id)}, {escape(node.stage)}): dependence "
                f"{fmt_pct(node.dependence)}, import HHI {_num(node.import_hhi)} counting named "
                f"origins, up to {_num(node.import_hhi_max)}{escape(supplier)}"
            )
        if len(possible) > top:
            lines.append(f"[dim]... {len(possible) - top} more (--top {len(possible)})[/dim]")
    criteria = (
        f"dependence > {result.min_dependence:.0%} and import HHI > "
        f"{result.min_concentration:.2f} (EU SWD(2021) 352)"
    )
    out.print(
        Panel(
            "\n".join(lines),
            title=f"Choke points, ranked by impact: {criteria}",
            title_align="left",
            expand=False,
        )
    )
    cited = [s for s in chain.sources.values() if any(s.id in n.sources for n in result.nodes)]
    if cited:
        out.print("[bold]Sources[/bold]")
        for source in cited:
            out.print(escape(f"  [{source.id}] {source.citation()}"), overflow="fold")
    if result.assumptions:
        out.print("[bold]Assumptions[/bold]")
        for text in result.assumptions:
            out.print(escape(f"  - {text}"), overflow="fold")


# ------------------------------------------------------------------------------------------
# scenarios


def timeline(result: TimelineResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint scenario --months/--stock``: the static result, then each final
    product's time to survive, cumulative and peak loss over the horizon."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        rows = [
            {
                "id": f.id,
                "loss": f.loss,
                "tts": f.tts,
                "cumulative_loss": f.cumulative_loss,
                "peak_loss": f.peak_loss,
            }
            for f in result.final
        ]
        emit_csv(rows, ["id", "loss", "tts", "cumulative_loss", "peak_loss"])
        return
    from rich.markup import escape
    from rich.table import Table

    scenario(result.static, chain, fmt, assumptions=False)
    out = console()

    def build(level: int, wrap: int | None) -> Table:
        """The table; ``wrap``: final-product ids broken after hyphens to that width."""
        del level
        table = Table(
            title=f"Over {result.months:g} months: time to survive (TTS), cumulative and peak loss",
            title_justify="left",
            pad_edge=False,
        )
        table.add_column("final product", no_wrap=True)
        table.add_column("static", justify="right", no_wrap=True)
        table.add_column("TTS (mo)", justify="right", no_wrap=True)
        table.add_column("cum. (mo)", justify="right", no_wrap=True)
        table.add_column("peak", justify="right", no_wrap=True)
        for f in result.final:
            name = escape(f.id if wrap is None else wrap_id(f.id, wrap))
            if f.loss is None or f.cumulative_loss is None or f.peak_loss is None:
                table.add_row(name, "n/a", "n/a", "n/a", "n/a")
                continue
            table.add_row(
                name,
                fmt_pct(f.loss, 1),
                "never" if f.tts is None else f"{f.tts:.2f}",
                f"{f.cumulative_loss:.3f}",
                fmt_pct(f.peak_loss, 1),
            )
        return table

    out.print(fitted_table(out, build, 1, ids=(0,))[0])
    for node, month in result.exhausted:
        out.print(escape(f"  stock of {node} runs out at month {month:.2f}"))
    for text in result.assumptions:
        out.print(escape(f"  - {text}"), overflow="fold")


def scenario(result: ScenarioResult, chain: Chain, fmt: str, *, assumptions: bool = True) -> None:
    """Render ``chokepoint scenario``: final products first, then every node's loss."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        rows = [
            {
                "id": n.id,
                "stage": n.stage,
                "final": n.id in dict(result.final),
                "loss": n.loss,
                "import_loss": n.import_loss,
                "domestic_loss": n.domestic_loss,
                "unknown": n.unknown,
            }
            for n in result.nodes
        ]
        emit_csv(rows, ["id", "stage", "final", "loss", "import_loss", "domestic_loss", "unknown"])
        return
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    out = console()
    names = {n.id: n.name for n in chain.nodes}
    spec = result.scenario

    what = scenario_parts(spec)
    heading = spec.title or "; ".join(what)
    finals = "\n".join(
        f"[bold]{escape(names.get(node, node))}[/bold] ({escape(node)}): supply falls by "
        f"[bold red]{fmt_pct(loss, 1)}[/bold red]"
        if loss is not None
        else f"[bold]{escape(names.get(node, node))}[/bold] ({escape(node)}): supply loss n/a"
        for node, loss in result.final
    )
    out.print(
        Panel(
            finals or "no final products",
            title=escape(f"{heading} ({result.model} model, {result.perspective})"),
            title_align="left",
            expand=False,
        )
    )
    if spec.title and what:
        out.print("[dim]" + escape("; ".join(what)) + "[/dim]")
    shown = _capped(result.nodes, lambda n: -(n.loss or 0.0))

    def build(level: int, wrap: int | None) -> Table:
        """Level 0: stages in a column, losses with bars; level 1 (when that would not fit):
        stages as rows of their own, no bars; ``wrap``: ids broken after hyphens."""
        compact = level > 0
        table = Table(title_justify="left", pad_edge=False)
        if not compact:
            table.add_column("stage", style="cyan", no_wrap=True)
        table.add_column("node", no_wrap=True)
        table.add_column("loss", justify="right", no_wrap=True)
        table.add_column("import part", justify="right", no_wrap=True)
        table.add_column("domestic part", justify="right", no_wrap=True)
        previous = None
        for n in shown:
            stage = n.stage if n.stage != previous else ""
            previous = n.stage
            style = _dep_style(n.loss) if n.loss else "dim"
            bar = "" if compact else f"{_bar(n.loss)} "
            loss = f"[{style}]{bar}{fmt_pct(n.loss, 1)}[/{style}]" if n.loss is not None else "n/a"
            figures = (loss, fmt_pct(n.import_loss, 1), fmt_pct(n.domestic_loss, 1))
            name = n.id if wrap is None else wrap_id(n.id, wrap)
            if not compact:
                table.add_row(escape(stage), escape(name), *figures)
                continue
            if stage:
                label = stage if wrap is None else wrap_id(stage, wrap)
                table.add_row(f"[cyan]{escape(label)}[/cyan]", "", "", "")
            table.add_row(escape(name), *figures)
        return table

    out.print(fitted_table(out, build, 2, ids=lambda level: (1,) if level == 0 else (0,))[0])
    if len(shown) < len(result.nodes):
        out.print(
            f"[dim]the {len(shown)} largest losses of {len(result.nodes):,} nodes shown; "
            "--format json or csv lists every node[/dim]"
        )
    reasons: dict[str, list[str]] = {}
    for n in result.nodes:
        if n.unknown:
            reasons.setdefault(n.unknown, []).append(n.id)
    if reasons:
        out.print("[bold]n/a[/bold]")
        for reason, ids in reasons.items():
            out.print(escape(f"  - loss of {', '.join(ids)}: {reason}"), overflow="fold")
    if assumptions:
        for text in result.assumptions:
            out.print(escape(f"  - {text}"), overflow="fold")


def sweep(result: SweepResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint sweep``: one row per scenario, one column per final product."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        rows = [
            {
                "severity": r.severity,
                "origin": r.origin,
                "node": r.node,
                "final": f,
                "loss": None if f in r.unknown else q,
                "rank": r.rank,
                "worst_loss": r.worst,
            }
            for r in result.rows
            for f, q in r.final
        ]
        emit_csv(rows, ["severity", "origin", "node", "final", "loss", "rank", "worst_loss"])
        return
    from rich.markup import escape
    from rich.table import Table

    finals = [f for f, _ in result.rows[0].final] if result.rows else []
    title = escape(
        f"{chain.title}: final-product loss for {result.perspective} ({result.model} model)"
        + (", worst first" if result.over else "")
    )
    keys = {f: f"F{k}" for k, f in enumerate(finals, 1)}

    def cell(r: Any, f: str, q: float) -> str:
        return "n/a" if f in r.unknown else fmt_pct(q, 1)

    def build(level: int, wrap: int | None) -> Table:
        """Level 0: a column per final product, headed by its id; level 1: headed F1, F2, ...
        (a legend follows); level 2: a row per scenario and final product."""
        table = Table(title=title, title_justify="left", pad_edge=False)
        table.add_column("origin", no_wrap=True)
        table.add_column("node", no_wrap=True)
        table.add_column("severity", justify="right", no_wrap=True)

        def node(r: Any) -> str:
            name = r.node or "(all)"
            return escape(name if wrap is None else wrap_id(name, wrap))

        if level < 2:
            for f in finals:
                table.add_column(
                    escape(f if level == 0 else keys[f]), justify="right", no_wrap=True
                )
            for r in result.rows:
                table.add_row(
                    escape(r.origin),
                    node(r),
                    fmt_pct(r.severity),
                    *(cell(r, f, q) for f, q in r.final),
                )
            return table
        table.add_column("final product", no_wrap=True)
        table.add_column("loss", justify="right", no_wrap=True)
        for r in result.rows:
            for k, (f, q) in enumerate(r.final):
                first = k == 0
                table.add_row(
                    escape(r.origin) if first else "",
                    node(r) if first else "",
                    fmt_pct(r.severity) if first else "",
                    escape(f if wrap is None else wrap_id(f, wrap)),
                    cell(r, f, q),
                )
        return table

    out = console()
    table, level = fitted_table(out, build, 3, ids=lambda level: (1,) if level < 2 else (1, 3))
    out.print(table)
    if finals and level == 1:
        legend = " · ".join(f"{keys[f]} {f}" for f in finals)
        out.print(escape(f"final products: {legend}"), overflow="fold")
    if any(r.unknown for r in result.rows):
        out.print(
            escape(
                "n/a: with the linear model, the loss rests on inputs without a cost share that "
                "the cut hits"
                + ("; the cuts whose worst loss is n/a come last" if result.over else "")
            ),
            overflow="fold",
        )
    cuts: dict[str, list[str]] = {}  # each reason once, with the cuts it applies to
    for r in result.rows:
        if r.reason:
            where = f"{r.origin}:{r.node}" if r.node else r.origin
            cuts.setdefault(r.reason, []).append(f"{where} at {fmt_pct(r.severity)}")
    for reason, which in cuts.items():
        more = f" and {len(which) - 8:,} more" if len(which) > 8 else ""
        out.print(escape(f"  - {', '.join(which[:8])}{more}: {reason}"), overflow="fold")


STRESS_CSV_FIELDS = ["rank", "origin", "node", "final", "tts", "cumulative_loss", "peak_loss"]


def emit_stress_csv(result: StressResult, fields: Sequence[str]) -> None:
    """A stress result as CSV, one line per cut and final product, ranked (``fields`` of
    :data:`STRESS_CSV_FIELDS`, with ``months`` when each cut has its own duration)."""
    emit_csv(
        (
            {
                "rank": rank,
                "origin": r.origin,
                "node": r.node,
                "months": r.months,
                "final": f.id,
                "tts": f.tts,
                "cumulative_loss": f.cumulative_loss,
                "peak_loss": f.peak_loss,
            }
            for rank, r in enumerate(result.rows, 1)
            for f in r.final
        ),
        fields,
    )


def stress(result: StressResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint stress``: one row per cut, worst first, with its worst final product."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        emit_stress_csv(result, STRESS_CSV_FIELDS)
        return
    from rich.markup import escape
    from rich.table import Table

    months = f"{result.months:g}"

    def build(level: int, wrap: int | None) -> Table:
        """The table; ``wrap``: node and final-product ids broken after hyphens to that width."""
        del level

        def name(text: str) -> str:
            return escape(text if wrap is None else wrap_id(text, wrap))

        table = Table(
            title=escape(
                f"{chain.title}: each origin and (origin, node) cut fully for {months} months, "
                f"worst cumulative loss first ({result.perspective}, {result.model} model)"
            ),
            title_justify="left",
            pad_edge=False,
        )
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("origin", no_wrap=True)
        table.add_column("node", no_wrap=True)
        table.add_column("worst final", no_wrap=True)
        table.add_column("TTS", justify="right", no_wrap=True)
        table.add_column("cum.", justify="right", no_wrap=True)
        table.add_column("peak", justify="right", no_wrap=True)
        table.add_column("TTR", justify="right", no_wrap=True)
        for rank, r in enumerate(result.rows, 1):
            worst = r.worst
            if worst is None or worst.cumulative_loss is None or worst.peak_loss is None:
                cells = ["n/a"] * 4
            else:
                cells = [
                    name(worst.id),
                    "never" if worst.tts is None else f"{worst.tts:.2f}",
                    f"{worst.cumulative_loss:.3f}",
                    fmt_pct(worst.peak_loss, 1),
                ]
            table.add_row(str(rank), escape(r.origin), name(r.node or "(all)"), *cells, months)
        return table

    unknown = any(
        r.worst is None
        or r.worst.cumulative_loss is None
        or r.worst.peak_loss is None
        or any(f.cumulative_loss is None for f in r.final)
        for r in result.rows
    )
    out = console()
    out.print(fitted_table(out, build, 1, ids=(2, 3))[0])
    notes = [
        "TTS: months until the final product runs short (never: not within the cut); cum.: "
        "months of its output lost; TTR: months until the cut ends",
        "stocks: "
        + (", ".join(f"{node} {value:g} months" for node, value in result.stocks) or "none"),
    ]
    if unknown:
        notes.append(
            "n/a: with the linear model, the loss rests on inputs without a cost share that the "
            "cut hits (chokepoint scenario --model linear names them)"
        )
    for text in notes:
        out.print(escape(f"  - {text}"), overflow="fold")


MONTECARLO_CSV_FIELDS = [
    "kind",
    "id",
    "mean",
    "p50",
    "p90",
    "p99",
    "origin",
    "node",
    "probability_cut",
    "mean_loss_if_cut",
    "tail_share",
    "unknown",
]


def montecarlo(result: MonteCarloResult, chain: Chain, fmt: str, top: int = 10) -> None:
    """Render ``chokepoint montecarlo``: final-product loss quantiles, then the tail's drivers.

    CSV: one row per final product (``kind`` final: ``id``, ``mean``, ``p50``, ``p90``,
    ``p99``) then one per driver (``kind`` driver: ``origin``, ``node`` (empty for an origin at
    any node), ``probability_cut``, ``mean_loss_if_cut``, ``tail_share``), in the JSON's order.
    With ``--months-dist``, the final rows also fill ``cumulative_mean``, ``cumulative_p50``,
    ``cumulative_p90``, ``cumulative_p99`` (months of output lost) and ``p_short``, the last
    columns (empty when unknown).
    """
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        document = result.to_dict()
        fields = list(MONTECARLO_CSV_FIELDS)
        rows = []
        for f in document["final"]:
            row = {"kind": "final", **f}
            if result.months_dist is not None:
                course = row.pop("cumulative") or {}
                row |= {f"cumulative_{k}": course.get(k) for k in ("mean", "p50", "p90", "p99")}
                row["p_short"] = course.get("p_short")
            rows.append(row)
        if result.months_dist is not None:
            fields += [f"cumulative_{k}" for k in ("mean", "p50", "p90", "p99")] + ["p_short"]
        rows += [{"kind": "driver", **d} for d in document["drivers"]]
        emit_csv(rows, fields)
        return
    from rich.markup import escape
    from rich.table import Table

    out = console()
    names = {n.id: n.name for n in chain.nodes}

    def build_finals(level: int, wrap: int | None) -> Table:
        """Level 0: the mean with a bar; level 1 (when that would not fit): without; ``wrap``:
        names and ids broken at spaces and after hyphens to that width."""
        table = Table(
            title=escape(
                f"{chain.title}: final-product loss for {result.perspective} over "
                f"{result.samples:,} samples ({result.model} model)"
            ),
            title_justify="left",
            caption=escape(
                f"each (origin, node) pair cut with probability {result.p_cut:g} at severity "
                f"{result.severity_dist}; seed {result.seed} (--seed {result.seed} repeats this "
                "run)"
            ),
            caption_justify="left",
            pad_edge=False,
        )
        table.add_column("final product", no_wrap=True)
        table.add_column("mean", justify="right", no_wrap=True)
        for column in ("P50", "P90", "P99"):
            table.add_column(column, justify="right", no_wrap=True, min_width=6)
        for f in result.final:
            style = _dep_style(f.mean) if f.mean else "dim"
            bar = f"{_bar(f.mean)} " if level == 0 and f.mean is not None else ""
            label = f"{names.get(f.id, f.id)} ({f.id})"
            table.add_row(
                escape(label if wrap is None else wrap_id(label, wrap)),
                f"[{style}]{bar}{fmt_pct(f.mean, 1)}[/{style}]",
                fmt_pct(f.p50, 1),
                fmt_pct(f.p90, 1),
                fmt_pct(f.p99, 1),
            )
        return table

    out.print(fitted_table(out, build_finals, 2, ids=(0,))[0])
    for f in result.final:
        if f.unknown:
            out.print(escape(f"  n/a: {f.id}: {f.unknown}"), overflow="fold")
    if result.months_dist is not None:
        _montecarlo_cumulative(result, names)
    origins = [d for d in result.drivers if d.node is None]
    pairs = [d for d in result.drivers if d.node is not None]
    known = [f for f in result.final if f.p90 is not None]
    threshold = fmt_pct(result.tail_threshold, 1)
    caption = (
        "cut in = share of samples in which it was cut; loss if cut = mean worst "
        "final-product loss over those samples; tail share = share of tail samples in which it "
        "was cut"
    )
    if len(known) > 1:
        caption += (
            f"; a sample's worst loss is the largest of its {len(known)} final products' losses: "
            f"its P90 ({threshold}) need not be any product's P90 above"
        )

    def build_drivers(level: int, wrap: int | None) -> Table:
        """Level 0: the tail share with a bar; level 1: without; level 2: origins by their
        code (named under the table); ``wrap``: node ids broken after hyphens."""
        table = Table(
            title=(
                f"What drives the tail: the samples whose worst final-product loss is at least "
                f"its P90, {threshold}, and above 0"
                if result.tail_unknown is None
                else "What drives the tail (n/a: no final product's loss is known)"
            ),
            title_justify="left",
            caption=caption,
            caption_justify="left",
            pad_edge=False,
        )
        table.add_column("origin", overflow="fold")
        table.add_column("node", no_wrap=True)
        table.add_column("cut in", justify="right", no_wrap=True)
        table.add_column("loss if cut", justify="right", no_wrap=True)
        table.add_column("tail share", justify="right", no_wrap=True)
        for d in [*origins, *pairs[:top]]:
            if d.mean_loss_if_cut is not None:
                loss = fmt_pct(d.mean_loss_if_cut, 1)
            else:  # never cut, or no final product's loss is known (the notes say why)
                loss = "-" if d.probability_cut == 0 else "n/a"
            bar = f"{_bar(d.tail_share)} " if level == 0 else ""
            node = (
                escape(d.node if wrap is None else wrap_id(d.node, wrap))
                if d.node is not None
                else "[dim](any)[/dim]"
            )
            table.add_row(
                escape(origin_label(d.origin, chain) if level < 2 else d.origin),
                node,
                fmt_pct(d.probability_cut, 1),
                loss,
                f"{bar}{fmt_pct(d.tail_share)}".strip(),
            )
        return table

    table, level = fitted_table(out, build_drivers, 3, ids=(1,))
    out.print(table)
    if level == 2:
        codes = dict.fromkeys(d.origin for d in [*origins, *pairs[:top]])
        out.print(
            escape("origins: " + " · ".join(origin_label(c, chain) for c in codes)),
            overflow="fold",
        )
    if result.tail_unknown is not None:
        out.print(escape(f"  n/a: tail: {result.tail_unknown}"), overflow="fold")
    if len(pairs) > top:
        out.print(f"[dim]... {len(pairs) - top} more pairs (--top {len(pairs)})[/dim]")
    for text in result.assumptions:
        out.print(escape(f"  - {text}"), overflow="fold")


def _montecarlo_cumulative(result: MonteCarloResult, names: Mapping[str, str]) -> None:
    """The table of cumulative losses (months of output lost) of ``montecarlo --months-dist``."""
    from rich.markup import escape
    from rich.table import Table

    months = result.months_dist
    horizon = months.horizon if months is not None else 0.0
    table = Table(
        title=escape(
            f"cumulative loss over {horizon:g} months (months of output lost), cuts lasting "
            f"{months} months"
        ),
        title_justify="left",
        caption="runs short = share of samples in which the final product runs short within "
        "the horizon (its stocks do not cover the cut)",
        caption_justify="left",
        pad_edge=False,
    )
    table.add_column("final product", max_width=34, overflow="fold")
    for column in ("mean", "P50", "P90", "P99", "runs short"):
        table.add_column(column, justify="right", no_wrap=True)

    def shown(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    for f in result.final:
        c = f.cumulative
        table.add_row(
            escape(f"{names.get(f.id, f.id)} ({f.id})"),
            *(
                [shown(c.mean), shown(c.p50), shown(c.p90), shown(c.p99), fmt_pct(c.p_short, 1)]
                if c is not None
                else ["n/a"] * 5
            ),
        )
    console().print(table)
    for f in result.final:
        if f.unknown:
            console().print(escape(f"  n/a: {f.id}: {f.unknown}"), overflow="fold")


# ------------------------------------------------------------------------------------------
# trend, stages, sources


def trend(result: TrendResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint trend``: one row per node and year."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    rows = result.to_dict()["rows"]
    if fmt == "csv":
        emit_csv(rows, ["node", "year", "dependence", "top_supplier", "top_share"])
        return
    from rich.markup import escape
    from rich.table import Table

    def build(level: int, wrap: int | None) -> Table:
        """Level 0: dependence with a bar; level 1: without; ``wrap``: ids broken after
        hyphens."""
        table = Table(
            title=escape(f"{chain.title}: dependence of {result.perspective} over time"),
            title_justify="left",
            pad_edge=False,
        )
        for column in ("node", "year", "dependence", "top supplier"):
            right = column in ("year", "dependence")
            table.add_column(column, justify="right" if right else "left", no_wrap=True)
        previous = None
        for r in result.rows:
            name = r.node if r.node != previous else ""
            previous = r.node
            supplier = f"{r.top_supplier} {fmt_pct(r.top_share)}" if r.top_supplier else "-"
            style = _dep_style(r.dependence)
            bar = f"{_bar(r.dependence)} " if level == 0 else ""
            table.add_row(
                escape(name if wrap is None else wrap_id(name, wrap)),
                str(r.year),
                f"[{style}]{bar}{fmt_pct(r.dependence)}[/{style}]",
                escape(supplier),
            )
        return table

    out = console()
    out.print(fitted_table(out, build, 2, ids=(0,))[0])


def _figures_text(figures: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    est = "*" if figures.get("estimate") else ""
    for key in ("rd_intensity", "subsidy_intensity", "profit_margin"):
        if key in figures:
            out[key] = fmt_pct(figures[key], 1) + est
    if "subsidy_amount" in figures:
        unit = figures.get("amount_unit") or ""
        out["subsidy_amount"] = f"{figures['subsidy_amount']:g} {unit}".strip() + est
    return out


def stages(result: StagesResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint stages``: dependence and choke points beside R&D and subsidy figures."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        rows = []
        for s in result.stages:
            base = {
                "stage": s.stage,
                "nodes": s.nodes,
                "mean_dependence": s.mean_dependence,
                "max_dependence": s.max_dependence,
                "chokepoints": list(s.chokepoints),
                "possible_chokepoints": list(s.possible_chokepoints),
            }
            if not s.data:
                rows.append(base)
            for period, figures in s.data.items():
                rows.append(
                    {**base, "period": period, **{k: figures.get(k) for k in _STAGE_FIGURES}}
                )
        emit_csv(
            rows,
            [
                "stage",
                "nodes",
                "mean_dependence",
                "max_dependence",
                "chokepoints",
                "possible_chokepoints",
                "period",
                *_STAGE_FIGURES,
            ],
        )
        return
    from rich.markup import escape
    from rich.table import Table

    def figures_of(s: Any) -> dict[str, list[tuple[str, str]]]:
        cells: dict[str, list[tuple[str, str]]] = {k: [] for k in _STAGE_COLUMNS}
        for period, figures in s.data.items():
            for key, text in _figures_text(figures).items():
                if key in cells:
                    cells[key].append((period, text))
        return cells

    def choke_text(s: Any) -> str:
        choke = (
            [f"[bold red]{escape(', '.join(s.chokepoints))}[/bold red]"] if s.chokepoints else []
        )
        if s.possible_chokepoints:
            choke.append(f"[yellow]? {escape(', '.join(s.possible_chokepoints))}[/yellow]")
        return "\n".join(choke)

    def build(level: int, wrap: int | None) -> Table:
        """Level 0: every column; level 1 (when that would not fit): the R&D and subsidy figures
        in a table of their own; level 2: the choke points too, as lines under the table."""
        table = Table(
            title=escape(f"{chain.title}: stages seen from {result.perspective}"),
            title_justify="left",
            caption="mean and max dep: over the stage's nodes with shares; R&D and subsidy "
            "intensity: share of sales; * estimate. Figures by period. ? not ruled out as a "
            "choke point (origins incomplete).",
            caption_justify="left",
            pad_edge=False,
        )
        table.add_column("stage", style="cyan", no_wrap=True)
        table.add_column("nodes", justify="right", no_wrap=True)
        table.add_column("mean dep", justify="right", no_wrap=True)
        table.add_column("max dep", justify="right", no_wrap=True)
        if level < 2:
            table.add_column("choke points")
        if level == 0:
            for header in _STAGE_COLUMNS.values():
                table.add_column(header, no_wrap=True)
        for s in result.stages:
            cells = [
                escape(s.stage if wrap is None else wrap_id(s.stage, wrap)),
                str(s.nodes),
                fmt_pct(s.mean_dependence),
                fmt_pct(s.max_dependence),
            ]
            if level < 2:
                cells.append(choke_text(s) or "-")
            if level == 0:
                cells += [
                    escape("\n".join(f"{period}: {text}" for period, text in found)) or "-"
                    for found in figures_of(s).values()
                ]
            table.add_row(*cells)
        return table

    out = console()
    table, level = fitted_table(out, build, 3, ids=(0,))
    out.print(table)
    if level == 2 and any(s.chokepoints or s.possible_chokepoints for s in result.stages):
        out.print("[bold]Choke points[/bold] (? not ruled out)")
        for s in result.stages:
            if s.chokepoints or s.possible_chokepoints:
                out.print(f"  [cyan]{escape(s.stage)}[/cyan]: " + choke_text(s).replace("\n", " "))
    if level > 0 and any(any(figures_of(s).values()) for s in result.stages):

        def build_figures(level: int, wrap: int | None) -> Table:
            del level
            table = Table(
                title="R&D and subsidies by stage and period", title_justify="left", pad_edge=False
            )
            table.add_column("stage", style="cyan", no_wrap=True)
            table.add_column("period", no_wrap=True)
            for header in _STAGE_COLUMNS.values():
                table.add_column(header, justify="right", no_wrap=True)
            for s in result.stages:
                found = figures_of(s)
                periods = [p for p in s.data if any(p in dict(v) for v in found.values())]
                for k, period in enumerate(periods):
                    texts = {key: dict(pairs).get(period, "-") for key, pairs in found.items()}
                    stage = s.stage if wrap is None else wrap_id(s.stage, wrap)
                    table.add_row(
                        escape(stage) if k == 0 else "",
                        escape(period),
                        *(escape(texts[key]) for key in _STAGE_COLUMNS),
                    )
            return table

        out.print(fitted_table(out, build_figures, 1, ids=(0,))[0])
    unknown = [s.stage for s in result.stages if s.mean_dependence is None]
    if unknown:
        out.print(
            escape(
                f"  - n/a: mean and max dep of {', '.join(unknown)}: no node of the stage has "
                "known shares"
            ),
            overflow="fold",
        )


_STAGE_COLUMNS = {
    "rd_intensity": "R&D",
    "subsidy_intensity": "subsidy int.",
    "subsidy_amount": "subsidies",
}

_STAGE_FIGURES = (
    "rd_intensity",
    "subsidy_intensity",
    "subsidy_amount",
    "amount_unit",
    "profit_margin",
    "estimate",
    "source",
)


def sources(result: SourcesResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint sources``: each source and the figures it supports."""
    document = result.to_dict()
    rows = document["sources"]
    uses = result.sources
    if fmt == "json":
        emit_json(document)
        return
    if fmt == "csv":
        emit_csv(rows, ["id", "citation", "url", "supports"])
        return
    from rich.markup import escape

    out = console()
    out.print(f"[bold]{escape(chain.title)}[/bold]: {len(uses)} sources")
    for u in uses:
        out.print(escape(f"[{u.id}] {u.citation}"), overflow="fold")
        if u.url:
            out.print(f"  {escape(u.url)}", overflow="fold")
        out.print("  supports: " + escape(", ".join(u.supports)), overflow="fold", style="dim")
