"""Rendering ``chokepoint screen`` (table, JSON, CSV) and the summary of ``import trade``.

Nothing here computes a figure: the screen's values arrive in a
:class:`~chokepoint.core.screen.ScreenResult`. A figure that could not be computed prints as
``n/a`` with its reason in the notes under the table, and as null (JSON) or an empty cell (CSV).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .render import console, emit_csv, emit_json, fmt_pct

if TYPE_CHECKING:
    from ..core.screen import ScreenProduct, ScreenResult

__all__ = ["SCREEN_CSV_FIELDS", "TABLE_UNFLAGGED", "screen"]

SCREEN_CSV_FIELDS = [
    "rank",
    "hs",
    "import_hhi",
    "import_export_ratio",
    "import_demand_ratio",
    "flagged",
    "imports",
    "exports",
    "production",
    "top_origin",
    "top_share",
    "description",
]
#: Products not flagged shown in a table after the flagged ones (JSON and CSV list every one).
TABLE_UNFLAGGED = 10


def _ratio(product: ScreenProduct) -> str:
    if product.import_export_ratio is not None:
        return f"{product.import_export_ratio:,.2f}"
    return "inf (no exports)" if product.imports > 0 else "n/a"


def _money(value: float) -> str:
    for unit, size in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:,.1f}{unit}"
    return f"{value:,.0f}"


def _verdict(product: ScreenProduct) -> str:
    if product.flagged is None:
        return "n/a"
    return "yes" if product.flagged else "no"


def screen(result: ScreenResult, fmt: str) -> None:
    """Render ``chokepoint screen``: flagged products first, then the others."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        emit_csv(
            ({"rank": rank, **p.to_dict()} for rank, p in enumerate(result.products, 1)),
            SCREEN_CSV_FIELDS,
        )
        return
    from rich.markup import escape
    from rich.table import Table

    flagged = [p for p in result.products if p.flagged]
    unknown = [p for p in result.products if p.flagged is None]
    others = [p for p in result.products if p.flagged is False]
    shown = [*flagged, *unknown, *others[:TABLE_UNFLAGGED]]
    criteria = "HHI > 0.4, imports/exports > 1" + (
        ", imports/demand > 0.5" if result.production else ""
    )
    table = Table(
        title=escape(
            f"Screen of {result.importer}'s imports from outside it, {result.year} "
            f"(EU SWD(2021) 352: {criteria}): {len(flagged)} of {len(result.products)} "
            "products flagged"
        ),
        title_justify="left",
        pad_edge=False,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("HS", no_wrap=True)
    table.add_column("product", overflow="fold", max_width=32)
    table.add_column("HHI", justify="right", no_wrap=True)
    table.add_column("M/X", justify="right", no_wrap=True)
    if result.production:
        table.add_column("M/demand", justify="right", no_wrap=True)
    table.add_column("imports $", justify="right", no_wrap=True)
    table.add_column("top origin", no_wrap=True)
    table.add_column("flagged", no_wrap=True)
    for rank, p in enumerate(shown, 1):
        row = [
            str(rank),
            p.hs,
            escape(p.description or ""),
            "n/a" if p.import_hhi is None else f"{p.import_hhi:.3f}",
            _ratio(p),
        ]
        if result.production:
            row.append("n/a" if p.import_demand_ratio is None else f"{p.import_demand_ratio:.2f}")
        row += [
            _money(p.imports),
            "-" if p.top_origin is None else f"{escape(p.top_origin)} {fmt_pct(p.top_share)}",
            _verdict(p),
        ]
        table.add_row(*row)
    out = console()
    out.print(table)
    notes = [f"source: {result.source}; {result.rows:,} rows read"]
    if len(result.members) > 1:
        notes.append(
            f"{result.importer} = {', '.join(result.members)}; trade between members is left out"
        )
    if len(others) > TABLE_UNFLAGGED:
        notes.append(
            f"{len(others) - TABLE_UNFLAGGED:,} further products not flagged are left out of the "
            "table; -f csv or -f json lists every product"
        )
    if any(p.import_hhi is None for p in shown):
        notes.append("HHI n/a: no imports from outside, so no origin shares")
    if any(p.import_export_ratio is None and p.imports > 0 for p in shown):
        notes.append("M/X inf: imports but no exports, so the ratio criterion holds")
    if unknown:
        notes.append(
            "flagged n/a: concentrated and not substitutable, but imports/demand is unknown "
            "(no production figure for the product, or demand not above 0)"
        )
    notes.extend(result.notes)
    for text in notes:
        out.print(escape(f"  - {text}"), overflow="fold")
