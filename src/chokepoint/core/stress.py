r"""Stress tests over time: every origin, and every (origin, node) pair, cut for ``months``.

Each row is one scenario of the time model (:mod:`chokepoint.core.timeline`): a full cut
(severity 1) of a foreign origin at every node (``node`` None) or at one node, lasting
:math:`M` months from month 0, with the chain's stocks (or those given). For each final product
:math:`f` the row gives the time to survive :math:`\mathrm{TTS}_f`, the cumulative loss
:math:`\mathrm{CL}_f = \int_0^M L_f(t)\,dt` and the peak loss; rows are ranked by their worst
cumulative loss, :math:`\max_f \mathrm{CL}_f`, worst first. A final product whose TTS is below
:math:`M` runs short before the cut ends: its time to survive is shorter than the time to
recover. The rows run as batches of :func:`~chokepoint.core.timeline.timeline` of at most
:data:`BLOCK` columns (fewer on large chains), so memory stays bounded, as in a sweep.

References
----------
.. [1] Simchi-Levi, D., Schmidt, W., Wei, Y., Zhang, P. Y., Combs, K., Ge, Y., Gusikhin, O.,
       Sanders, M. and Zhang, D. (2015), "Identifying risks and mitigating disruptions in the
       automotive supply chain", *Interfaces* 45(5), 375-390.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import ScenarioError
from ..io.forms import parse_stock
from ..model import Chain, Cut
from .compiled import BoolArray, Compiled, IntArray, compile_chain
from .propagate import LossModel, check_model, cut_matrix, import_losses, propagate
from .scenarios import (
    SWEEP_ROWS,
    Scenario,
    check_scenario,
    hit_reason,
    uncosted_hits,
    unknown_mask,
)
from .timeline import horizon_of, stock_vector, timeline

__all__ = [
    "BLOCK",
    "CELLS",
    "StressFinal",
    "StressResult",
    "StressRow",
    "durations_from",
    "stress",
]

#: The most scenarios (columns) one batch of the time model holds.
BLOCK = 1024
#: How many cells (nodes or pairs x columns) a batch may hold: bounds the memory of one batch
#: (shared by the sweeps over time, :mod:`chokepoint.core.timesweep`).
CELLS = 1 << 22


@dataclass(frozen=True, slots=True)
class StressFinal:
    """A final product under one cut: time to survive, cumulative and peak loss.

    All three are None when the loss rests on a missing cost share (``linear`` model); ``tts``
    is None when the product does not run short within the horizon.
    """

    id: str
    tts: float | None
    cumulative_loss: float | None
    peak_loss: float | None
    unknown: str | None = None
    """Why the three are None (the inputs without a cost share that the cut hits)."""


@dataclass(frozen=True, slots=True)
class StressRow:
    """One cut of a stress test: ``origin`` at ``node`` (every node when None)."""

    origin: str
    node: str | None
    final: tuple[StressFinal, ...]
    months: float | None = None
    """The cut's own duration, when the rows' durations come from a scenario file
    (``months_from``); None when every cut lasts the result's ``months``."""

    @property
    def worst(self) -> StressFinal | None:
        """The final product with the largest cumulative loss (None if none is known)."""
        known = [f for f in self.final if f.cumulative_loss is not None]
        return max(known, key=lambda f: f.cumulative_loss or 0.0, default=None)


@dataclass(frozen=True, slots=True)
class StressResult:
    """Every cut of a stress test, ranked by worst cumulative loss, worst first."""

    chain: str
    perspective: str
    model: LossModel
    months: float | None
    """How long every cut lasts; None when each row carries its own (``months_from``)."""
    rows: tuple[StressRow, ...]
    stocks: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint stress --format json``."""
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "model": self.model,
            "months": self.months,
            "rows": [
                {
                    "origin": r.origin,
                    "node": r.node,
                    **({} if r.months is None else {"months": r.months}),
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


def stress(
    chain: Chain,
    months: float | None = None,
    *,
    months_from: str | os.PathLike[str] | None = None,
    stocks: Mapping[str, float] | Iterable[str] | None = None,
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
    max_rows: int | None = None,
    over: Literal["all", "origins", "pairs"] | str = "all",
) -> StressResult:
    r"""Cut every foreign origin, and every (origin, node) pair, fully for ``months`` months.

    The function behind ``chokepoint stress``: the time-to-survive / time-to-recover table of
    supply-chain stress tests [1]_. Every row is a scenario of the time model
    (:func:`~chokepoint.core.timeline.timeline`) with one cut of severity 1 and time to recover
    ``months``, over the horizon ``months``; rows are ranked by
    :math:`\max_f \mathrm{CL}_f` over the final products, worst first (ties: origin, then node,
    a whole-origin cut first).

    Parameters
    ----------
    chain
        The chain.
    months
        How long every cut lasts (its time to recover), which is also the horizon; above 0 and
        at most :data:`~chokepoint.core.timeline.MAX_MONTHS`.
    months_from
        Instead of ``months``: a scenario file (``scenarios:`` in the chain file's form) whose
        cuts give the durations, ``months`` per origin (a cut of every node: the origin and
        each of its pairs) or per (origin, node) (a cut naming nodes, which wins over its
        origin's). Only the cuts the file names are stressed, each fully and for its own
        months, over its own horizon; severities and shocks in the file are not used.
    stocks
        Stocks in months of normal use by node id (``{node: months}``, or texts
        ``node=months``), overriding the chain's ``stock_months``.
    perspective, model, year
        As for :func:`~chokepoint.core.scenarios.run_scenario`.
    over
        ``all`` (default): every origin and every pair; ``origins``: every origin at every node
        only; ``pairs``: every (origin, node) pair only.
    max_rows
        The ceiling on rows (origins plus pairs); default
        :data:`~chokepoint.core.scenarios.MAX_SWEEP_ROWS` (10,000), or the environment variable
        ``CHOKEPOINT_MAX_SWEEP_ROWS``.

    Returns
    -------
    StressResult

    Raises
    ------
    ScenarioError
        For ``months`` out of range, a bad stock, an unknown ``over``, or more rows than the
        ceiling; with ``months_from``, for a cut without ``months``, one that is not a foreign
        origin (or has no share in its node) of the chain, or a cut given two durations.
    ChainError, ChainNotFoundError
        For a scenario file that is missing or breaks the chain file's rules.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = stress(load_chain("robots"), 6, stocks={"reducers": 3})
    >>> row = next(r for r in result.rows if (r.origin, r.node) == ("JP", "reducers"))
    >>> f = row.final[0]
    >>> round(f.tts, 3), round(f.cumulative_loss, 3)
    (4.886, 0.137)

    References
    ----------
    .. [1] Simchi-Levi, D. et al. (2015), "Identifying risks and mitigating disruptions in the
           automotive supply chain", *Interfaces* 45(5), 375-390.
    """
    check_model(model)
    if over not in ("all", "origins", "pairs"):
        msg = f"over={over!r} must be 'all', 'origins' or 'pairs'"
        raise ScenarioError(msg)
    if (months is None) == (months_from is None):
        msg = "give either months=M (one duration for every cut) or months_from=FILE, not both"
        if months is None:
            msg = "give either months=M (one duration for every cut) or months_from=FILE"
        raise ScenarioError(msg)
    horizon = None if months is None else horizon_of(Scenario(), months)
    if stocks is not None and not isinstance(stocks, Mapping):
        stocks = dict(parse_stock(text) for text in stocks)
    c = compile_chain(chain, perspective, year)
    held = stock_vector(c, stocks)
    plans: list[tuple[str, str | None]] = []
    if over != "pairs":
        plans += [(code, None) for code in c.origins()]
    if over != "origins":
        plans += [
            (origin, c.nodes[int(row)])
            for origin, row in zip(c.pair_origin, c.pair_row, strict=True)
        ]
    if months_from is not None:
        whole, pairs = durations_from(months_from, c)
        # a pair's own duration wins over its origin's; a row the file does not name is left out
        timed = [
            pairs.get((origin, node), whole.get(origin)) if node else whole.get(origin)
            for origin, node in plans
        ]
        lasting = [m for m in timed if m is not None]
        plans = [plan for plan, m in zip(plans, timed, strict=True) if m is not None]
        if not plans:
            msg = (
                f"{os.fspath(months_from)}: none of its cuts is a row of a stress test over "
                f"{over} (a cut naming nodes makes (origin, node) rows, one of every node an "
                "origin's row); use over='all'"
            )
            raise ScenarioError(msg)
    else:
        lasting = [float(horizon or 0.0)] * len(plans)
    ceiling = SWEEP_ROWS.get(max_rows)
    if len(plans) > ceiling:
        msg = (
            f"a stress test of chain '{chain.name}' over {over} has {len(plans):,} rows (origins "
            f"and (origin, node) pairs), above the ceiling of {ceiling:,} "
            "(raise it with max_rows=N or CHOKEPOINT_MAX_SWEEP_ROWS=N)"
        )
        raise ScenarioError(msg)
    finals = c.final_ids()
    block = max(1, min(BLOCK, CELLS // max(c.size, len(c.pair_origin), 1)))
    rows: list[tuple[float, StressRow]] = []
    reasons: dict[tuple[str, bytes], str] = {}
    for start in range(0, len(plans), block):
        part = plans[start : start + block]
        ends = lasting[start : start + block]
        scenarios = [
            Scenario(cuts=(Cut(origin, 1.0, (node,) if node else (), m),))
            for (origin, node), m in zip(part, ends, strict=True)
        ]
        batch = timeline(
            c, scenarios, held, np.asarray(ends, dtype=np.float64), model, curves=False, check=False
        )
        hidden = None
        causes = None
        if model == "linear" and not bool(c.in_known.all()):
            kappa = cut_matrix(c, [s.cuts for s in scenarios])
            q, dom = propagate(c, import_losses(c, kappa), None, model)
            mask = unknown_mask(c, q, dom, model)
            hidden = None if mask is None else mask[c.finals]
            causes = None if mask is None else uncosted_hits(c, q, mask)

        # the ranking key: the worst known cumulative loss; -1 when no final product's is known
        known = batch.cumulative if hidden is None else np.where(hidden, -1.0, batch.cumulative)
        keys = known.max(axis=0, initial=-1.0).tolist()
        tts = batch.tts.T.tolist()
        cumulative = batch.cumulative.T.tolist()
        peak = batch.peak.T.tolist()
        for j, (origin, node) in enumerate(part):
            final = tuple(
                StressFinal(f, None, None, None, _reason(c, causes, j, f, reasons))
                if hidden is not None and hidden[k, j]
                else StressFinal(
                    f,
                    None if math.isnan(tts[j][k]) else tts[j][k],
                    cumulative[j][k],
                    peak[j][k],
                )
                for k, f in enumerate(finals)
            )
            own = ends[j] if months_from is not None else None
            rows.append((keys[j], StressRow(origin, node, final, own)))
    rows.sort(key=lambda item: (-item[0], item[1].origin, item[1].node or ""))
    return StressResult(
        chain.name,
        c.perspective,
        model,
        horizon,
        tuple(row for _, row in rows),
        tuple((c.nodes[n], float(held[n])) for n in np.flatnonzero(held).tolist()),
    )


def durations_from(
    path: str | os.PathLike[str], c: Compiled
) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """The durations a scenario file gives its cuts: by origin, and by (origin, node).

    A cut of every node gives its origin's duration (a region's: each of its members that is an
    origin of the chain); a cut naming nodes gives each (origin, node) pair its own. Every
    scenario of the file counts.

    Raises
    ------
    ScenarioError
        Naming the file, line, scenario and cut: for a cut without ``months``, one that is not a
        foreign origin of the chain or has no share in its node, or a cut given two durations.
    ChainError, ChainNotFoundError
        For a scenario file that is missing or breaks the chain file's rules.
    """
    from ..io.loader import load_scenarios, scenario_cut_lines

    specs = load_scenarios(path, c.chain)
    lines = scenario_cut_lines(path, specs)
    file = os.fspath(path)
    whole: dict[str, float] = {}
    pairs: dict[tuple[str, str], float] = {}
    seen: dict[str | tuple[str, str], tuple[float, str]] = {}
    origins = set(c.origins())
    for name, spec in specs.items():
        for k, cut in enumerate(spec.cuts):
            label = cut.origin + (f":{','.join(cut.nodes)}" if cut.nodes else "")
            place = f"{file}, line {lines[(name, k)]}: scenario '{name}'"
            where = f"{place}, cut {label}"
            if cut.months is None:
                msg = (
                    f"{where} has no `months`; months_from takes each cut's duration from the "
                    "file: add one (e.g. months: 6), or give one duration to every cut with months=M"
                )
                raise ScenarioError(msg)
            try:
                check_scenario(Scenario(cuts=(cut,)), c)
            except ScenarioError as exc:
                msg = f"{place}, {exc}"
                raise ScenarioError(msg) from None
            members = (
                [cut.origin]
                if cut.origin in origins
                else [m for m in c.chain.regions.get(cut.origin, ()) if m in origins]
            )
            keys: list[str | tuple[str, str]] = (
                [(m, node) for m in members for node in cut.nodes] if cut.nodes else list(members)
            )
            for key in keys:
                if key in seen and seen[key][0] != cut.months:
                    before, there = seen[key]
                    msg = (
                        f"{where} lasts {cut.months:g} months, but {there} gives it "
                        f"{before:g}; give each cut one duration"
                    )
                    raise ScenarioError(msg)
                seen[key] = (cut.months, f"line {lines[(name, k)]} (scenario '{name}')")
                if isinstance(key, tuple):
                    pairs[key] = cut.months
                else:
                    whole[key] = cut.months
    return whole, pairs


def _reason(
    c: Compiled,
    causes: tuple[BoolArray, IntArray] | None,
    j: int,
    final: str,
    cache: dict[tuple[str, bytes], str],
) -> str | None:
    """Why ``final``'s loss is unknown in column ``j``: the inputs without a cost share the cut
    hits (:func:`~chokepoint.core.scenarios.uncosted_hits`); each text made once (``cache``)."""
    if causes is None:
        return None
    edges = causes[1][causes[0][:, j]]
    key = (final, edges.tobytes())
    if key not in cache:
        cache[key] = hit_reason(c, [final], edges)
    return cache[key]
