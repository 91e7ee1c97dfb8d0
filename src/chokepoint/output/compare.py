"""Rendering ``compare`` and ``rank``: rich tables that keep every figure whole, JSON and CSV.

Nothing here computes a figure: the values and differences arrive in
:class:`~chokepoint.core.compare.CompareResult` and :class:`~chokepoint.core.compare.RankResult`.

A comparison table tries three layouts and prints the first whose figure columns fit the
terminal whole (the node column may wrap): a value column per column with its difference beside
it; then the difference under the value in the same cell; then that layout split into several
tables, each repeating the first column. ``rich`` is imported only when a table is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .render import OWNED_MARK, console, emit_csv, emit_json, fmt_pct, origin_label, owned_legend

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..core.compare import CompareResult, CompareRow, RankResult
    from ..model import Chain

__all__ = ["compare", "compare_rows", "rank", "wrap_label"]

#: The narrowest a node column may become (it wraps) when the figures need the room.
NODE_MIN = 10
#: The widest a value column's header is before it wraps.
HEADER_MAX = 10


# ------------------------------------------------------------------------------------------
# compare


def _value_text(value: float | None, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "fraction":
        return fmt_pct(value, 1)
    if kind == "index":
        return f"{value:.2f}"
    return str(int(value))


def _difference_text(value: float | None, kind: str) -> str:
    """``+20.0`` (percentage points), ``-0.05`` (index) or ``+1`` (count); 0 without a sign."""
    if value is None:
        return "n/a"
    if kind == "fraction":
        text = f"{value * 100:+.1f}"
    elif kind == "index":
        text = f"{value:+.2f}"
    else:
        text = f"{int(value):+d}"
    return text[1:] if text.lstrip("+-").strip("0.") == "" else text


def wrap_label(label: str, width: int) -> str:
    """``label`` on lines of at most ``width`` characters, broken after ``-``, ``:``, ``,``,
    ``=`` or a space where it can be, else cut.

    >>> wrap_label("japan-components", 10)
    'japan-\\ncomponents'
    >>> wrap_label("JP:reducers=1", 10)
    'JP:\\nreducers=1'
    """
    lines: list[str] = []
    rest = label
    while len(rest) > width:
        cut = max((rest.rfind(ch, 0, width) for ch in "-:,= "), default=-1)
        end = cut + 1 if cut >= 0 else width
        lines.append(rest[:end].rstrip())
        rest = rest[end:]
    lines.append(rest)
    return "\n".join(lines)


def _year_mark(row: CompareRow, j: int, column_year: int) -> str:
    year = row.years[j]
    if year is None or year == column_year or row.values[j] is None:
        return ""
    return f" '{year % 100:02d}"


def compare_rows(result: CompareResult) -> tuple[list[dict[str, Any]], list[str]]:
    """CSV rows of a comparison, one per node, and their field names: ``id``, ``stage``,
    ``final``, one column per label, ``delta_LABEL`` per column after the first,
    ``year_LABEL`` per column and ``unknown`` (the reasons, ``LABEL: reason; ...``). When a
    label would take the name of another field (a scenario named ``final``), every value
    column is named ``value_LABEL`` instead."""
    labels = [c.label for c in result.columns]
    finals = {r.id for r in result.final}
    taken = {"id", "stage", "final", "unknown"} | {
        f"{prefix}_{label}" for label in labels for prefix in ("delta", "year")
    }
    heads = [f"value_{label}" for label in labels] if taken & set(labels) else labels
    fields = [
        "id",
        "stage",
        "final",
        *heads,
        *(f"delta_{label}" for label in labels[1:]),
        *(f"year_{label}" for label in labels),
        "unknown",
    ]
    rows = []
    for node in result.nodes:
        row: dict[str, Any] = {"id": node.id, "stage": node.stage, "final": node.id in finals}
        row.update(zip(heads, node.values, strict=True))
        row.update(
            (f"delta_{label}", value)
            for label, value in zip(labels[1:], node.differences, strict=True)
        )
        row.update((f"year_{label}", year) for label, year in zip(labels, node.years, strict=True))
        reasons = [
            f"{label}: {why}" for label, why in zip(labels, node.unknown, strict=True) if why
        ] + [
            f"delta_{label}: {why}"
            for label, why in zip(labels[1:], node.unknown_differences, strict=True)
            if why
        ]
        row["unknown"] = "; ".join(reasons) or None
        rows.append(row)
    return rows, fields


def _title(result: CompareResult, chain: Chain | None) -> str:
    measure = result.measure.replace("_", " ")
    first = result.columns[0]
    who = origin_label(first.perspective, chain)
    if result.kind == "scenarios":
        return (
            f"{result.title}: {measure} under each scenario ({result.model} model), {who}, "
            f"{first.year}"
        )
    under = f" under {first.scenario} ({result.model} model)" if first.scenario else ""
    if result.kind == "years":
        return f"{result.title}: {measure} of {who} by year{under}"
    return f"{result.title}: {measure} by perspective{under}, {first.year}"


def _natural_width(table: Table) -> int:
    """The width ``table`` takes when nothing limits it."""
    from rich.console import Console

    wide = Console(width=10_000, file=io.StringIO(), color_system=None)
    with wide.capture() as captured:
        wide.print(table)
    return max((len(line) for line in captured.get().splitlines()), default=0)


def _compare_table(
    result: CompareResult,
    rows: Sequence[CompareRow],
    shown: Sequence[int],
    stacked: bool,
    title: str | None,
    caption: str | None,
) -> tuple[Table, int]:
    """The table of ``rows`` for the columns ``shown`` (the first always first) and the width
    its node column could give up by wrapping."""
    from rich.markup import escape
    from rich.table import Table

    from ..core.compare import MEASURE_KIND

    kind = MEASURE_KIND[result.measure]
    table = Table(
        title=escape(title) if title else None,
        title_justify="left",
        caption=escape(caption) if caption else None,
        caption_justify="left",
        pad_edge=False,
        expand=False,
    )
    stage_rows = any(r.stage for r in rows) and len({r.stage for r in rows}) > 1
    table.add_column("node", overflow="fold", min_width=NODE_MIN)
    cells: list[list[str]] = [[] for _ in rows]
    for j in shown:
        column = result.columns[j]
        values = [
            escape(_value_text(r.values[j], kind) + _year_mark(r, j, column.year)) for r in rows
        ]
        differences = [_difference_text(r.differences[j - 1], kind) for r in rows] if j else []
        if stacked and j:
            width = max([len(t) for t in values + differences] + [5])
            body = [f"{v}\n[dim]{d}[/dim]" for v, d in zip(values, differences, strict=True)]
        else:
            width = max([len(t) for t in values] + [5])
            body = values
        width = max(width, min(len(column.label), HEADER_MAX))
        table.add_column(
            escape(wrap_label(column.label, width)), justify="right", no_wrap=True, min_width=width
        )
        for k, text in enumerate(body):
            cells[k].append(text)
        if j and not stacked:
            width = max([len(t) for t in differences] + [2])
            table.add_column("Δ", justify="right", no_wrap=True, min_width=width)
            for k, text in enumerate(differences):
                cells[k].append(text)
    previous = None
    for row, row_cells in zip(rows, cells, strict=True):
        if stage_rows and row.stage != previous:
            table.add_row(f"[cyan]{escape(row.stage)}[/cyan]", *[""] * len(row_cells))
        previous = row.stage
        table.add_row(escape(row.id), *row_cells)
    node_width = max([len(r.id) for r in rows] + [NODE_MIN, 4])
    return table, node_width - NODE_MIN


def _print_fitting(
    out: Console,
    result: CompareResult,
    rows: Sequence[CompareRow],
    title: str | None,
    caption: str | None,
) -> None:
    """Print ``rows`` in the first layout whose figure columns fit ``out`` whole."""
    every = list(range(len(result.columns)))
    for stacked in (False, True):
        table, slack = _compare_table(result, rows, every, stacked, title, caption)
        if _natural_width(table) - slack <= out.width:
            out.print(table)
            return
    size = len(every) - 2
    while size > 1:
        table, slack = _compare_table(result, rows, [0, *every[1 : size + 1]], True, title, caption)
        if _natural_width(table) - slack <= out.width:
            break
        size -= 1
    size = max(size, 1)
    groups = [every[start : start + size] for start in range(1, len(every), size)]
    for g, group in enumerate(groups):
        part = (
            f"{title} (columns {group[0] + 1}-{group[-1] + 1} of {len(every)})"
            if title and len(group) > 1
            else f"{title} (column {group[0] + 1} of {len(every)})"
            if title
            else None
        )
        table, _ = _compare_table(
            result, rows, [0, *group], True, part, caption if g == len(groups) - 1 else None
        )
        out.print(table)


def compare(result: CompareResult, fmt: str, chain: Chain | None = None) -> None:
    """Render ``chokepoint compare``: the final products, then every node, one column per
    scenario, year or perspective, with the differences; the reasons of every n/a; assumptions."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        rows, fields = compare_rows(result)
        emit_csv(rows, fields)
        return
    from rich.markup import escape

    from ..core.compare import MEASURE_KIND

    out = console()
    kind = MEASURE_KIND[result.measure]
    first = result.columns[0].label
    unit = {"fraction": ", in percentage points", "index": "", "count": ""}[kind]
    marked = any(
        _year_mark(r, j, c.year) for r in result.nodes for j, c in enumerate(result.columns)
    )
    legend = f"Δ: a column minus the first ({first}), beside or under its value{unit}"
    if marked:
        legend += "; '17: the node's figures are of that year (the column's year otherwise)"
    if any(None in r.values or None in r.differences for r in result.nodes):
        legend += "; n/a: see below"
    out.print(f"[bold]{escape(_title(result, chain))}[/bold]", overflow="fold")
    if result.final:
        _print_fitting(out, result, result.final, "Final products", None)
    _print_fitting(out, result, result.nodes, "Every node, by stage", legend)
    labels = [c.label for c in result.columns]
    reasons: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for node in result.nodes:
        by_reason: dict[str, list[str]] = {}
        for label, why in zip(labels, node.unknown, strict=True):
            if why:
                by_reason.setdefault(why, []).append(label)
        for why, columns in by_reason.items():
            key = tuple(columns) if len(columns) < len(labels) else ()
            reasons.setdefault((why, key), []).append(node.id)
        for label, why in zip(labels[1:], node.unknown_differences, strict=True):
            if why:
                reasons.setdefault((why, (f"Δ {label}",)), []).append(node.id)
    if reasons:
        out.print("[bold]n/a[/bold]")
        for (why, where), ids in reasons.items():
            within = f" ({', '.join(where)})" if where else ""
            out.print(escape(f"  - {', '.join(ids)}{within}: {why}"), overflow="fold")
    if result.assumptions:
        out.print("[bold]Assumptions[/bold]")
        for text in result.assumptions:
            out.print(escape(f"  - {text}"), overflow="fold")


# ------------------------------------------------------------------------------------------
# rank

RANK_FIELDS = (
    "rank",
    "chain",
    "id",
    "name",
    "stage",
    "impact",
    "impact_on",
    "dependence",
    "import_hhi",
    "top_supplier",
    "top_share",
    "perspective",
    "year",
    "basis",
    "unknown",
)


def rank(result: RankResult, fmt: str, top: int | None = None) -> None:
    """Render ``chokepoint rank``: the choke points of every chain ranked by impact (the table
    lists at most ``top``), why an impact is n/a, and the chains read or skipped."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        emit_csv([r.to_dict() for r in result.rows], RANK_FIELDS)
        return
    from rich.markup import escape
    from rich.table import Table

    out = console()
    shown = result.rows[:top] if top is not None else result.rows
    unknown = [r for r in shown if r.unknown]
    table = Table(
        title=f"Choke points of {len([c for c in result.chains if c.error is None])} chain(s), "
        "ranked by impact",
        title_justify="left",
        caption=f"choke point: dependence > {result.min_dependence:.0%} and import HHI > "
        f"{result.min_concentration:.2f}; impact = worst final-product loss if the top supplier "
        "stops; dep = 1 - domestic share" + ("; n/a: see below" if unknown else ""),
        caption_justify="left",
        pad_edge=False,
        expand=False,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("chain", overflow="fold", min_width=6)
    table.add_column("node", overflow="fold", min_width=NODE_MIN)
    table.add_column("impact", justify="right", no_wrap=True)
    table.add_column("dep", justify="right", no_wrap=True)
    table.add_column("imp.HHI", justify="right", no_wrap=True)
    table.add_column("top", no_wrap=True)
    for row in shown:
        supplier = (
            f"{row.top_supplier} {fmt_pct(row.top_share)}"
            + (OWNED_MARK if row.basis == "ownership" else "")
            if row.top_supplier is not None
            else "-"
        )
        table.add_row(
            str(row.rank),
            escape(row.chain),
            escape(row.id),
            fmt_pct(row.impact),
            fmt_pct(row.dependence),
            "n/a" if row.import_hhi is None else f"{row.import_hhi:.2f}",
            escape(supplier),
        )
    if shown:
        out.print(table)
        owned = sorted({r.perspective for r in shown if r.basis == "ownership" and r.top_supplier})
        if owned:
            out.print(escape(owned_legend(", ".join(owned))), overflow="fold")
    else:
        out.print("No choke points at these thresholds in the chains read.")
    if len(shown) < len(result.rows):
        out.print(
            f"[dim]{len(shown)} of {len(result.rows)} choke points shown (--top "
            f"{len(result.rows)} lists all; --format json or csv always does)[/dim]"
        )
    if unknown:
        out.print("[bold]n/a[/bold]")
        for row in unknown:
            out.print(
                escape(f"  - impact of {row.id} ({row.chain}): {row.unknown}"), overflow="fold"
            )
    out.print("[bold]Chains[/bold]")
    for chain in result.chains:
        if chain.error is not None:
            text = f"  - {chain.name}: skipped, {chain.error}"
        else:
            text = (
                f"  - {chain.name}: {chain.chokepoints} choke point(s), perspective "
                f"{chain.perspective}, {chain.years} ({chain.path})"
            )
        out.print(escape(text), overflow="fold")
