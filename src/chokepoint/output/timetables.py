"""Tables, JSON and CSV of the sweeps over time and of stress tests with durations from a file.

``chokepoint sweep --months/--stock`` (:class:`~chokepoint.core.timesweep.TimeSweepResult`) and
``chokepoint stress --months-from`` (a :class:`~chokepoint.core.stress.StressResult` whose rows
carry their own duration). The shared pieces (console, JSON and CSV writers, percentages) are
those of :mod:`chokepoint.output.render`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .render import TABLE_ROWS, console, emit_csv, emit_json, emit_stress_csv, fmt_pct

if TYPE_CHECKING:
    from ..core.stress import StressFinal, StressResult
    from ..core.timesweep import TimeSweepResult
    from ..model import Chain

__all__ = [
    "STRESS_FROM_CSV_FIELDS",
    "TIME_SWEEP_CSV_FIELDS",
    "stress_from",
    "time_sweep",
]

TIME_SWEEP_CSV_FIELDS = ["months", "stock", "final", "tts", "cumulative_loss", "peak_loss"]
STRESS_FROM_CSV_FIELDS = [
    "rank",
    "origin",
    "node",
    "months",
    "final",
    "tts",
    "cumulative_loss",
    "peak_loss",
]
_NA_NOTE = (
    "n/a: with the linear model, the loss rests on inputs without a cost share that the cut "
    "hits (chokepoint scenario --model linear names them)"
)


def _cells(f: StressFinal) -> tuple[str, str, str]:
    """TTS, cumulative and peak loss of a final product as table cells (n/a when unknown)."""
    if f.cumulative_loss is None or f.peak_loss is None:
        return "n/a", "n/a", "n/a"
    tts = "never" if f.tts is None else f"{f.tts:.2f}"
    return tts, f"{f.cumulative_loss:.3f}", fmt_pct(f.peak_loss, 1)


def time_sweep(result: TimeSweepResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint sweep --months/--stock``: per duration (or stock) and final product,
    its time to survive, cumulative and peak loss; then where each product's shortage starts."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        emit_csv(
            (
                {
                    "months": r.months,
                    "stock": r.stock,
                    "final": f.id,
                    "tts": f.tts,
                    "cumulative_loss": f.cumulative_loss,
                    "peak_loss": f.peak_loss,
                }
                for r in result.rows
                for f in r.final
            ),
            TIME_SWEEP_CSV_FIELDS,
        )
        return
    from rich.markup import escape
    from rich.table import Table

    by_stock = result.vary == "stock"
    what = (
        f"stock of {result.node} varied, cut lasting {result.rows[0].months:g} months"
        if by_stock and result.rows
        else "cut lasting each number of months"
    )
    table = Table(
        title=escape(
            f"{chain.title}: cut {result.cut}, {what} ({result.perspective}, {result.model} model)"
        ),
        title_justify="left",
        pad_edge=False,
    )
    table.add_column("stock (mo)" if by_stock else "months", justify="right", no_wrap=True)
    table.add_column("final product", overflow="fold")
    table.add_column("TTS (mo)", justify="right", no_wrap=True)
    table.add_column("cum. (mo)", justify="right", no_wrap=True)
    table.add_column("peak", justify="right", no_wrap=True)
    shown = result.rows[:TABLE_ROWS]
    unknown = False
    for r in shown:
        value = r.stock if by_stock and r.stock is not None else r.months
        for k, f in enumerate(r.final):
            cells = _cells(f)
            unknown = unknown or cells[0] == "n/a"
            table.add_row(
                f"{value:g}" if k == 0 else "",
                escape(f.id),
                *cells,
                end_section=k == len(r.final) - 1,
            )
    out = console()
    out.print(table)
    notes = []
    if len(result.rows) > len(shown):
        notes.append(
            f"the first {len(shown):,} of {len(result.rows):,} rows; --format csv or json "
            "gives every row"
        )
    notes.extend(_onsets(result))
    notes.append(
        "TTS: months until the final product runs short (never: not while the cut lasts); "
        "cum.: months of its output lost while the cut lasts"
    )
    fixed = ", ".join(f"{node} {value:g} months" for node, value in result.stocks) or "none"
    notes.append(
        (
            f"stocks: {result.node} as in the table, others {fixed}"
            if by_stock
            else f"stocks: {fixed}"
        )
        + "; not refilled while the cut lasts"
    )
    if unknown:
        notes.append(_NA_NOTE)
    for text in notes:
        out.print(escape(f"  - {text}"), overflow="fold")


def _onsets(result: TimeSweepResult) -> list[str]:
    """Where each final product's shortage starts: read off the rows, in their order."""
    lines: list[str] = []
    if not result.rows:
        return lines
    for k, f in enumerate(result.rows[0].final):
        known = [r for r in result.rows if r.final[k].cumulative_loss is not None]
        if not known:
            continue
        short = [r for r in known if r.final[k].tts is not None]
        if result.vary == "months":
            if short:
                first = short[0]
                lines.append(
                    f"{f.id} runs short when the cut lasts {first.months:g} months or more of "
                    f"those tried (from month {first.final[k].tts:.2f})"
                )
            else:
                lines.append(f"{f.id} does not run short at any duration tried")
            continue
        enough = [r for r in known if r.final[k].tts is None]
        if enough and enough[0].stock is not None:
            lines.append(
                f"{f.id} does not run short with a stock of {result.node} of "
                f"{enough[0].stock:g} months or more of those tried"
            )
        else:
            lines.append(f"{f.id} runs short at every stock of {result.node} tried")
    return lines


def stress_from(result: StressResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint stress --months-from``: as ``stress``, with each cut's own duration
    (TTR) from the scenario file."""
    if fmt == "json":
        emit_json(result.to_dict())
        return
    if fmt == "csv":
        emit_stress_csv(result, STRESS_FROM_CSV_FIELDS)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=escape(
            f"{chain.title}: each cut of the scenario file, fully, for its own months, worst "
            f"cumulative loss first ({result.perspective}, {result.model} model)"
        ),
        title_justify="left",
        pad_edge=False,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("origin", no_wrap=True)
    table.add_column("node", overflow="fold")
    table.add_column("worst final", overflow="fold")
    table.add_column("TTS", justify="right", no_wrap=True)
    table.add_column("cum.", justify="right", no_wrap=True)
    table.add_column("peak", justify="right", no_wrap=True)
    table.add_column("TTR", justify="right", no_wrap=True)
    unknown = False
    for rank, r in enumerate(result.rows, 1):
        worst = r.worst
        cells = ("n/a", "n/a", "n/a") if worst is None else _cells(worst)
        unknown = unknown or any(f.cumulative_loss is None for f in r.final)
        table.add_row(
            str(rank),
            escape(r.origin),
            escape(r.node or "(all)"),
            "n/a" if worst is None else escape(worst.id),
            *cells,
            f"{r.months:g}" if r.months is not None else "",
        )
    out = console()
    out.print(table)
    notes = [
        "TTS: months until the final product runs short (never: not within the cut); cum.: "
        "months of its output lost; TTR: months until the cut ends (from the scenario file)",
        "stocks: "
        + (", ".join(f"{node} {value:g} months" for node, value in result.stocks) or "none"),
    ]
    if unknown:
        notes.append(_NA_NOTE)
    for text in notes:
        out.print(escape(f"  - {text}"), overflow="fold")
