"""Rendering result objects: rich tables for people, JSON and CSV for scripts.

Nothing here computes a metric; everything arrives as result objects or plain rows. ``rich`` is
imported only when a table is drawn, so ``--format json`` never pays for it.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .model import OTHER, Chain

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "chain_list",
    "console",
    "emit_csv",
    "emit_json",
    "fmt_pct",
    "origin_label",
    "show_chain",
]


def console() -> Console:
    """A console on stdout; plain text (no colour or box art) when stdout is not a terminal."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def emit_json(document: Any) -> None:
    """Write ``document`` as indented JSON; key order is the order the result objects give."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


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


def fmt_pct(value: float | None, digits: int = 0) -> str:
    """``0.653`` -> ``65%``; ``None`` -> ``n/a``."""
    if value is None:
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def origin_label(code: str, chain: Chain | None = None) -> str:
    """A code with its name: ``JP (Japan)``, ``EU (DE, FR)``, ``other (unnamed foreign)``."""
    from .countries import country_name

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


def chain_list(rows: list[dict[str, Any]], fmt: str) -> None:
    """Render the output of ``chokepoint list``."""
    fields = ["name", "title", "perspective", "year", "nodes", "path", "error"]
    if fmt == "json":
        emit_json({"chains": rows})
        return
    if fmt == "csv":
        emit_csv(rows, fields)
        return
    from rich.table import Table

    table = Table(title="Chains", title_justify="left")
    for column in ("name", "title", "perspective", "year", "nodes"):
        table.add_column(column, justify="right" if column in ("year", "nodes") else "left")
    for row in rows:
        if "error" in row:
            table.add_row(row["name"], f"[red]invalid: {row['error']}[/red]", "", "", "")
        else:
            table.add_row(
                row["name"], row["title"], row["perspective"], str(row["year"]), str(row["nodes"])
            )
    console().print(table)


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
                "estimate": n.estimate,
                "source": list(n.source),
                "inputs": [
                    {"node": i.node, "cost_share": i.cost_share, "essential": i.essential}
                    for i in n.inputs
                ],
                "note": n.note,
            }
            for n in chain.nodes
        ],
        "sources": {s.id: {"citation": s.citation(), "url": s.url} for s in chain.sources.values()},
    }


def show_chain(chain: Chain, fmt: str) -> None:
    """Render ``chokepoint show``: stages, nodes, shares, inputs and sources."""
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
                    "inputs": [i.node for i in n.inputs],
                    "source": list(n.source),
                    "estimate": n.estimate,
                }
            )
        emit_csv(rows, ["id", "name", "stage", "year", "shares", "inputs", "source", "estimate"])
        return
    from rich.markup import escape
    from rich.tree import Tree

    market = "world market" if chain.is_global else f"{chain.perspective} market"
    root = Tree(
        f"[bold]{escape(chain.title)}[/bold] ({chain.name}) · perspective "
        f"{origin_label(chain.perspective, chain)} · {market} · {chain.year}"
    )
    for stage in chain.stages:
        branch = root.add(f"[bold cyan]{stage}[/bold cyan]")
        for n in (n for n in chain.nodes if n.stage == stage):
            year = f" ({n.year})" if n.year and n.year != chain.year else ""
            est = " [yellow]estimate[/yellow]" if n.estimate else ""
            cites = f" [dim]{escape('[' + ', '.join(n.source) + ']')}[/dim]" if n.source else ""
            leaf = branch.add(
                f"[bold]{n.id}[/bold] {escape(n.name)}: {_shares_text(n.shares)}{year}{est}{cites}"
            )
            if n.inputs:
                parts = []
                for i in n.inputs:
                    cost = f" {fmt_pct(i.cost_share)}" if i.cost_share is not None else ""
                    flag = "" if i.essential else " (inessential)"
                    parts.append(f"{i.node}{cost}{flag}")
                leaf.add(f"[dim]inputs: {', '.join(parts)}[/dim]")
    out = console()
    out.print(root)
    if chain.sources:
        out.print("[bold]Sources[/bold]")
        for source in chain.sources.values():
            out.print(escape(f"  [{source.id}] {source.citation()}"))
