"""Loss over time, drawn with matplotlib (the optional ``plot`` extra): ``scenario --plot``.

:func:`plot_timeline` draws each final product's loss curve :math:`L_f(t)` of a scenario with
time (:class:`~chokepoint.core.timeline.TimelineResult`) as a step line, exactly at its
breakpoints (the loss holds from one breakpoint to the next), and marks with labelled vertical
lines the end of every cut and shock and the month each stock runs out. As in
:mod:`chokepoint.output.plot`, matplotlib is imported inside the function, on the Agg canvas,
without :mod:`matplotlib.pyplot`, under local ``rcParams``; without it the function raises
:class:`~chokepoint.output.plot.PlotDependencyError`, which says how to install it.

In SVG, each curve is the group ``loss-ID`` and each marker ``event-K`` (text kept as text), so
the picture can be read back.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import OutputError
from .plot import (
    DPI,
    INSTALL_HINT,
    PLOT_FORMATS,
    SWEEP_LINES,
    SWEEP_WRAP,
    PlotDependencyError,
    PlotFormat,
)

if TYPE_CHECKING:
    from ..core.timeline import TimelineResult
    from ..model import Chain

__all__ = ["TIMELINE_SIZE", "events", "plot_timeline"]

#: Size of the picture in inches (1200 x 675 px as PNG).
TIMELINE_SIZE = (8.0, 4.5)
#: The event markers' colours: a cut or shock ending, a stock running out.
_END_COLOUR = "#2b6cb0"
_STOCK_COLOUR = "#c05621"


def events(result: TimelineResult) -> list[tuple[float, str, str]]:
    """The marked events within the horizon, in time order: ``(month, kind, label)``.

    ``kind`` is ``end`` (a cut or shock ends: its time to recover) or ``stock`` (a node's stock
    runs out). A permanent cut or shock has no end to mark; nor has one that ends after the
    horizon.
    """
    scenario = result.static.scenario
    found: list[tuple[float, str, str]] = []
    for cut in scenario.cuts:
        if cut.months is not None and cut.months <= result.months:
            where = f":{','.join(cut.nodes)}" if cut.nodes else ""
            found.append((cut.months, "end", f"cut {cut.origin}{where} ends ({cut.months:g})"))
    for shock in scenario.shocks:
        if shock.months is not None and shock.months <= result.months:
            found.append((shock.months, "end", f"shock {shock.node} ends ({shock.months:g})"))
    found.extend(
        (month, "stock", f"stock of {node} runs out ({month:.3g})")
        for node, month in result.exhausted
    )
    return sorted(found, key=lambda item: (item[0], item[1], item[2]))


@contextmanager
def _drawing() -> Iterator[None]:
    """matplotlib present, local rcParams (SVG text kept as text, a fixed hash salt)."""
    try:
        import matplotlib as mpl
    except ImportError:
        msg = f"plots need matplotlib, which is not installed; install it with: {INSTALL_HINT}"
        raise PlotDependencyError(msg) from None
    local = mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "chokepoint", "font.size": 8})
    with local, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        yield


def plot_timeline(
    result: TimelineResult, chain: Chain, *, fmt: PlotFormat = "png", year: int | None = None
) -> bytes:
    """Draw each final product's loss over time, with the cut's end and stock run-outs marked.

    Parameters
    ----------
    result
        A scenario with time (:func:`~chokepoint.core.timeline.run_timeline`).
    chain
        The chain (its title and the final products' names).
    fmt
        ``png`` or ``svg``.
    year
        The year named in the title (default: the chain's).

    Returns
    -------
    bytes
        An 8 x 4.5 inch image. A final product whose loss rests on a missing cost share
        (``linear`` model) has no curve: its loss is unknown, not 0.

    Raises
    ------
    PlotDependencyError
        When matplotlib is not installed.
    OutputError
        For an unknown format, or when no final product has a known curve.
    """
    if fmt not in PLOT_FORMATS:
        msg = f"unknown image format '{fmt}'; choose png or svg"
        raise OutputError(msg)
    curves = [f for f in result.final if f.curve]
    if not curves:
        msg = "nothing to plot: no final product's loss over time is known (see the table)"
        raise OutputError(msg)
    names = {n.id: n.name for n in chain.nodes}
    horizon = result.months
    top = max(max(loss for _, loss in f.curve) for f in curves)
    with _drawing():
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import PercentFormatter

        figure = Figure(figsize=TIMELINE_SIZE, dpi=DPI)
        FigureCanvasAgg(figure)
        ax = figure.add_axes((0.09, 0.13, 0.6, 0.72))
        for k, f in enumerate(curves):
            times = [t for t, _ in f.curve]
            losses = [loss for _, loss in f.curve]
            (line,) = ax.plot(
                times,
                losses,
                drawstyle="steps-post",
                linestyle=SWEEP_LINES[k % len(SWEEP_LINES)],
                linewidth=1.6,
                clip_on=False,
                label=textwrap.fill(names.get(f.id, f.id), SWEEP_WRAP),
            )
            line.set_gid(f"loss-{f.id}")
        ceiling = top * 1.2 if top > 0 else 0.1
        for k, (month, kind, label) in enumerate(events(result)):
            colour = _END_COLOUR if kind == "end" else _STOCK_COLOUR
            marker = ax.axvline(month, color=colour, linewidth=0.9, linestyle=(0, (4, 2)))
            marker.set_gid(f"event-{k}")
            # from the bottom up, left of the marker: clear of a loss that starts there
            ax.text(
                month,
                ceiling * 0.02,
                f"{label} ",
                rotation=90,
                va="bottom",
                ha="right",
                fontsize=7,
                color=colour,
            )
        ax.set_xlim(0.0, horizon if horizon > 0 else 1.0)
        ax.set_ylim(0.0, ceiling)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("months from the start of the disruption")
        ax.set_ylabel("loss of output")
        ax.grid(True, linewidth=0.4, alpha=0.6)
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="final product"
        )
        stocks = ", ".join(f"{node} {value:g} mo" for node, value in result.stocks) or "none"
        title = (
            f"{chain.title}: loss over {horizon:g} months · stocks: {stocks} · perspective "
            f"{result.static.perspective} · {year or chain.year} · {result.static.model} model"
        )
        ax.set_title(textwrap.fill(title, 80), fontsize=9)
        buffer = io.BytesIO()
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
        return buffer.getvalue()
