r"""Sweeps over time: one cut, with its duration or one node's stock varied, to find where a
shortage starts.

Each row is one scenario of the time model (:mod:`chokepoint.core.timeline`): the cut of
``origin`` (at ``nodes``, every node when empty) at one severity, lasting :math:`M` months from
month 0, over the horizon :math:`M`, with the chain's stocks and those given. Either :math:`M`
takes every value of a range (``months=0:12:1``), or :math:`M` is fixed and the stock
:math:`S_n` of one node takes every value of a range (``stocks={"reducers": "0:6:1"}``). For each
final product :math:`f` a row gives the time to survive :math:`\mathrm{TTS}_f`, the cumulative
loss :math:`\mathrm{CL}_f = \int_0^M L_f(t)\,dt` and the peak loss, so that the first duration
(or the largest stock) at which :math:`\mathrm{TTS}_f` is reached within the cut reads off the
table. A duration of 0 is no disruption: no loss. The rows run as batches of
:func:`~chokepoint.core.timeline.timeline`, as a stress test does.

References
----------
.. [1] Simchi-Levi, D., Schmidt, W., Wei, Y., Zhang, P. Y., Combs, K., Ge, Y., Gusikhin, O.,
       Sanders, M. and Zhang, D. (2015), "Identifying risks and mitigating disruptions in the
       automotive supply chain", *Interfaces* 45(5), 375-390.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import ScenarioError
from ..io.forms import parse_cut, parse_month_range, parse_severities, parse_stock_range
from ..model import Chain, Cut
from .compiled import compile_chain
from .propagate import LossModel, check_model, cut_matrix, import_losses, propagate
from .scenarios import (
    SWEEP_ROWS,
    Scenario,
    check_scenario,
    hit_reason,
    uncosted_hits,
    unknown_mask,
)
from .stress import BLOCK, CELLS, StressFinal
from .timeline import stock_vector, timeline

__all__ = ["TimeSweepResult", "TimeSweepRow", "time_sweep"]

_RAISE_ROWS = "raise it with max_rows=N or CHOKEPOINT_MAX_SWEEP_ROWS=N"


@dataclass(frozen=True, slots=True)
class TimeSweepRow:
    """One row: the cut lasting ``months``, with ``stock`` months of the varied node's stock
    (None when the duration is what varies)."""

    months: float
    stock: float | None
    final: tuple[StressFinal, ...]


@dataclass(frozen=True, slots=True)
class TimeSweepResult:
    """A sweep over the duration of a cut, or over one node's stock."""

    chain: str
    perspective: str
    model: LossModel
    origin: str
    nodes: tuple[str, ...]
    severity: float
    vary: Literal["months", "stock"]
    node: str | None
    stocks: tuple[tuple[str, float], ...]
    rows: tuple[TimeSweepRow, ...]

    @property
    def cut(self) -> str:
        """The cut as on the command line, ``ORIGIN[:NODE,...]=SEVERITY``."""
        where = f":{','.join(self.nodes)}" if self.nodes else ""
        return f"{self.origin}{where}={self.severity:g}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint sweep --months/--stock --format json``."""
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "model": self.model,
            "cut": {"origin": self.origin, "nodes": list(self.nodes), "severity": self.severity},
            "vary": self.vary,
            "node": self.node,
            "stocks": dict(self.stocks),
            "rows": [
                {
                    "months": r.months,
                    "stock": r.stock,
                    "final": [
                        {
                            "id": f.id,
                            "tts": f.tts,
                            "cumulative_loss": f.cumulative_loss,
                            "peak_loss": f.peak_loss,
                            "unknown": f.unknown,
                        }
                        for f in r.final
                    ],
                }
                for r in self.rows
            ],
        }


def time_sweep(
    chain: Chain,
    cut: str,
    *,
    months: str | float | Sequence[float],
    stocks: Mapping[str, str | float] | Iterable[str] | None = None,
    severity: str | float | None = None,
    max_rows: int | None = None,
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
) -> TimeSweepResult:
    r"""Run one cut over a range of durations, or of one node's stock: where a shortage starts.

    The function behind ``chokepoint sweep --months`` and ``--stock``. Each row is a scenario of
    the time model (:func:`~chokepoint.core.timeline.timeline`): the cut lasts :math:`M` months
    (its time to recover) over the horizon :math:`M`, and gives per final product
    :math:`\mathrm{TTS}_f`, :math:`\mathrm{CL}_f = \int_0^M L_f(t)\,dt` and the peak loss.

    Parameters
    ----------
    chain
        The chain.
    cut
        ``ORIGIN[:NODE[,NODE]]`` or with a severity, ``ORIGIN[:NODE]=SEVERITY``.
    months
        The cut's duration: one value, a sequence, or ``START:STOP:STEP`` (both ends included),
        each from 0 (no disruption) to :data:`~chokepoint.core.timeline.MAX_MONTHS`.
    stocks
        Stocks in months by node id, overriding the chain's ``stock_months``: ``{node: value}``
        or texts ``node=value``, where at most one value may be a range ``START:STOP:STEP``
        (then ``months`` must be one value).
    severity
        The cut's severity when ``cut`` carries none: one value in [0, 1]; default 1.
    max_rows
        The ceiling on rows; default :data:`~chokepoint.core.scenarios.MAX_SWEEP_ROWS` (10,000),
        or the environment variable ``CHOKEPOINT_MAX_SWEEP_ROWS``.
    perspective, model, year
        As for :func:`~chokepoint.core.scenarios.run_scenario`.

    Returns
    -------
    TimeSweepResult

    Raises
    ------
    ScenarioError
        For a bad cut, months or stock, two ranges at once, or more rows than the ceiling.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> r = time_sweep(load_chain("robots"), "JP:reducers", months="4:6:1",
    ...                stocks={"reducers": 3})
    >>> [(row.months, row.final[0].tts and round(row.final[0].tts, 3)) for row in r.rows]
    [(4.0, None), (5.0, 4.886), (6.0, 4.886)]
    """
    check_model(model)
    ceiling = SWEEP_ROWS.get(max_rows)
    parsed = parse_cut(cut if "=" in cut else f"{cut}=1")
    level = parsed.severity
    if severity is not None:
        if "=" in cut:
            msg = f"the cut {cut} carries its severity; leave out severity={severity!r}"
            raise ScenarioError(msg)
        levels = _values(severity, lambda text: parse_severities(text))
        if len(levels) != 1:
            msg = "severity: a sweep over months or a stock takes one severity, e.g. 1"
            raise ScenarioError(msg)
        level = levels[0]
    durations = _values(
        months, lambda text: parse_month_range(text, limit=ceiling, raise_with=_RAISE_ROWS)
    )
    given: dict[str, tuple[float, ...]] = {}
    items = (
        stocks.items()
        if isinstance(stocks, Mapping)
        else (
            parse_stock_range(text, limit=ceiling, raise_with=_RAISE_ROWS) for text in stocks or ()
        )
    )
    for node, value in items:
        given[node] = _values(
            value,
            lambda text, node=node: parse_month_range(
                text, f"--stock {node}=", limit=ceiling, raise_with=_RAISE_ROWS
            ),
        )
    ranges = [node for node, values in given.items() if len(values) > 1]
    if len(ranges) + (len(durations) > 1) > 1:
        msg = "vary one thing at a time: a range of --months or of one --stock, not both"
        raise ScenarioError(msg)
    vary: Literal["months", "stock"] = "stock" if ranges else "months"
    count = len(given[ranges[0]]) if ranges else len(durations)
    if count > ceiling:
        msg = f"the sweep has {count:,} rows, above the ceiling of {ceiling:,} ({_RAISE_ROWS})"
        raise ScenarioError(msg)
    c = compile_chain(chain, perspective, year)
    the_cut = Cut(parsed.origin, level, parsed.nodes)
    check_scenario(Scenario(cuts=(the_cut,)), c)
    held = stock_vector(c, {node: values[0] for node, values in given.items()})
    stock_values = given[ranges[0]] if ranges else ()
    row_months = list(durations) * count if ranges else list(durations)
    scenarios = [
        Scenario(cuts=(Cut(the_cut.origin, level, the_cut.nodes, m),)) if m > 0 else Scenario()
        for m in row_months
    ]
    # a loss that rests on a missing cost share (linear model) does so at every duration
    hidden = None
    finals = c.final_ids()
    why: dict[str, str] = {}
    if model == "linear" and not bool(c.in_known.all()):
        q, dom = propagate(c, import_losses(c, cut_matrix(c, [(the_cut,)])), None, model)
        mask = unknown_mask(c, q, dom, model)
        hidden = None if mask is None else mask[c.finals, 0].tolist()
        if mask is not None:
            hit, edges = uncosted_hits(c, q, mask)
            why = {f: hit_reason(c, [f], edges[hit[:, 0]]) for f in finals}
    block = max(1, min(BLOCK, CELLS // max(c.size, 1)))
    rows: list[TimeSweepRow] = []
    for start in range(0, count, block):
        part = slice(start, min(count, start + block))
        # the stocks of this block only: nodes x block, the varied node's row set per column
        held_now = held
        if ranges:
            held_now = np.repeat(held[:, None], part.stop - part.start, axis=1)
            held_now[c.index[ranges[0]], :] = stock_values[part]
        batch = timeline(
            c,
            scenarios[part],
            held_now,
            np.asarray(row_months[part], dtype=np.float64),
            model,
            curves=False,
            check=False,
        )
        tts = batch.tts.T.tolist()
        cumulative = batch.cumulative.T.tolist()
        peak = batch.peak.T.tolist()
        for j, m in enumerate(row_months[part]):
            final = tuple(
                StressFinal(f, None, None, None, why.get(f))
                if hidden is not None and hidden[k] and m > 0
                else StressFinal(
                    f,
                    None if math.isnan(tts[j][k]) else tts[j][k],
                    cumulative[j][k],
                    peak[j][k],
                )
                for k, f in enumerate(finals)
            )
            stock = stock_values[start + j] if ranges else None
            rows.append(TimeSweepRow(m, stock, final))
    return TimeSweepResult(
        chain=chain.name,
        perspective=c.perspective,
        model=model,
        origin=the_cut.origin,
        nodes=the_cut.nodes,
        severity=level,
        vary=vary,
        node=ranges[0] if ranges else None,
        stocks=tuple(
            (c.nodes[n], float(held[n]))
            for n in np.flatnonzero(held).tolist()
            if not ranges or c.nodes[n] != ranges[0]
        ),
        rows=tuple(rows),
    )


def _values(value: Any, parse: Any) -> tuple[float, ...]:
    """A text (parsed by ``parse``), a number, or a sequence of numbers, as a tuple of floats."""
    if isinstance(value, str):
        return tuple(parse(value))
    if isinstance(value, int | float):
        return tuple(parse(repr(float(value))))
    return tuple(v for item in value for v in parse(repr(float(item))))
