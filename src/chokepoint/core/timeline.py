r"""Disruptions over time: durations, stocks, time to survive and cumulative loss.

Time :math:`t \ge 0` is in months. Each cut and shock of a scenario lasts ``months`` from month 0
(its time to recover; ``None``: permanent). Node :math:`n` may hold a stock :math:`S_n \ge 0` of
its output, in months of normal use. The shortfall before stocks :math:`u_n(t)` is the static
loss of :mod:`chokepoint.core.propagate` (either model) with the cuts and shocks active at
:math:`t` and with its inputs' losses after their stocks, :math:`L_i(t)`:

.. math::

    B_n(0) = S_n, \qquad \frac{dB_n}{dt} = -u_n(t) \ \text{while}\ B_n(t) > 0, \qquad
    L_n(t) = \begin{cases} 0 & B_n(t) > 0 \\ u_n(t) & \text{otherwise} \end{cases}

Stocks are not refilled. Every duration is a step, so :math:`u_n` and :math:`L_n` are piecewise
constant and the model is solved exactly, event by event: on each interval the batch is
propagated once with the active cuts and with the nodes whose stock lasts marked ``buffered``
(their users read a loss of 0); the interval ends at the first of the next cut or shock end, the
first stock to run out (:math:`t + B_n / u_n` over buffered nodes with :math:`u_n > 0`) and the
horizon. For each final product :math:`f`: the time to survive :math:`\mathrm{TTS}_f` (first
:math:`t` in the horizon with :math:`L_f(t) > 0`), the loss curve as breakpoints, the cumulative
loss :math:`\mathrm{CL}_f = \int_0^T L_f(t)\,dt` (months of output lost) and the peak loss.

Every column of a batch (one scenario) runs its own events; the columns advance in lock-step,
one propagation of the still-running columns per step. After the first step, a step recomputes
only the nodes an event changed (a stock that ran out: its users; a cut or shock that ended: the
nodes it hit) and everything downstream of them; every other node keeps its losses, which none
of its inputs changed. See ``docs/methodology.md``.
A column that reaches its horizon with no event there keeps its last losses, and a column with
no cut or shock active has no loss until its horizon, both without another propagation.

References
----------
.. [1] Simchi-Levi, D., Schmidt, W., Wei, Y., Zhang, P. Y., Combs, K., Ge, Y., Gusikhin, O.,
       Sanders, M. and Zhang, D. (2015), "Identifying risks and mitigating disruptions in the
       automotive supply chain", *Interfaces* 45(5), 375-390.
.. [2] Simchi-Levi, D., Schmidt, W. and Wei, Y. (2014), "From superstorms to factory fires:
       managing unpredictable supply-chain disruptions", *Harvard Business Review* 92(1-2).
.. [3] Inoue, H. and Todo, Y. (2019), "Firm-level propagation of shocks through supply-chain
       networks", *Nature Sustainability* 2, 841-847.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..io.forms import parse_stock
from ..io.schema import MAX_MONTHS
from ..model import Chain, Cut, Shock
from .compiled import BoolArray, Compiled, FloatArray, IntArray, compile_chain
from .propagate import LossModel, check_model, cut_matrix, import_losses, propagate
from .scenarios import Scenario, ScenarioResult, check_scenario, require_scenario, scenario_result

__all__ = [
    "MAX_MONTHS",
    "FinalTimeline",
    "TimelineBatch",
    "TimelineResult",
    "horizon_of",
    "run_timeline",
    "stock_vector",
    "timeline",
]

#: Relative tolerance under which a stock's run-out time counts as the event's time.
_EVENT_TOLERANCE = 1e-12

Curve = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True, eq=False)
class TimelineBatch:
    """The time course of a batch of scenarios (columns), for the final products ``finals``.

    ``tts``, ``cumulative`` and ``peak`` are ``finals x S`` (``tts`` is NaN where a final product
    never runs short within the horizon); ``exhausted`` is ``nodes x S``, the month each node's
    stock ran out (NaN: it did not, or there was none); ``curves[j][k]`` the breakpoints
    ``(t, loss)`` of final ``k`` in column ``j`` (the loss holds from ``t`` to the next breakpoint;
    the last one is at the horizon), empty when curves were not asked for.
    """

    horizon: FloatArray
    finals: IntArray
    tts: FloatArray
    cumulative: FloatArray
    peak: FloatArray
    exhausted: FloatArray
    steps: int
    curves: tuple[tuple[Curve, ...], ...] = ()


def horizon_of(scenario: Scenario, months: float | None = None) -> float:
    """The horizon of a scenario: ``months`` if given, else its longest cut or shock.

    Raises
    ------
    ScenarioError
        For a horizon or duration outside (0, :data:`MAX_MONTHS`], or a permanent cut or shock
        without ``months`` (its cumulative loss would have no end).

    Examples
    --------
    >>> from chokepoint.model import Cut
    >>> horizon_of(Scenario(cuts=(Cut("JP", 1.0, (), 6.0), Cut("KR", 1.0, (), 2.0))))
    6.0
    >>> horizon_of(Scenario(cuts=(Cut("JP", 1.0),)), months=12)
    12.0
    """
    durations = _durations(scenario)
    if months is not None:
        return _check_months(months, "the horizon months")
    permanent = [what for what, value in durations if value is None]
    if permanent:
        msg = (
            f"{permanent[0]} is permanent (no `months`), so its loss never ends; give a horizon "
            "(months=12, or --months 12) or a duration to every cut and shock"
        )
        raise ScenarioError(msg)
    return max((float(value) for _, value in durations if value is not None), default=0.0)


def _durations(scenario: Scenario) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for cut in scenario.cuts:
        what = f"cut {cut.origin}" + (f":{','.join(cut.nodes)}" if cut.nodes else "")
        if cut.months is not None:
            _check_months(cut.months, f"{what}: months")
        out.append((what, cut.months))
    for shock in scenario.shocks:
        if shock.months is not None:
            _check_months(shock.months, f"shock {shock.node}: months")
        out.append((f"shock {shock.node}", shock.months))
    return out


def _check_months(value: float, what: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and 0 < value <= MAX_MONTHS):
        msg = f"{what} {value!r} must be a number of months above 0 and at most {MAX_MONTHS:,}"
        raise ScenarioError(msg)
    return float(value)


def stock_vector(c: Compiled, stocks: Mapping[str, float] | None = None) -> FloatArray:
    """Each node's stock in months: its ``stock_months`` (none: 0), overridden by ``stocks``.

    Raises
    ------
    ScenarioError
        For an unknown node or a stock outside [0, :data:`MAX_MONTHS`].
    """
    out = np.array([n.stock_months or 0.0 for n in c.chain.nodes], dtype=np.float64)
    for node, value in (stocks or {}).items():
        if node not in c.index:
            from ..io.check import Suggester

            close = Suggester(c.nodes)(node[:200])
            shown = ", ".join(c.nodes[:20]) + (", ..." if c.size > 20 else "")
            hint = f"; did you mean '{close}'?" if close else f" (nodes: {shown})"
            msg = f"stock {node}: unknown node{hint}"
            raise ScenarioError(msg)
        ok = isinstance(value, int | float) and math.isfinite(value)
        if not (ok and 0 <= value <= MAX_MONTHS):
            msg = f"stock {node}: {value!r} must be a number of months from 0 to {MAX_MONTHS:,}"
            raise ScenarioError(msg)
        out[c.index[node]] = float(value)
    return out


def _forcing(
    c: Compiled,
    scenarios: Sequence[Scenario],
    at: FloatArray,
    pair_cuts: tuple[FloatArray, FloatArray] | None = None,
    columns: IntArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Import losses and shocks of each scenario with the cuts and shocks active at ``at[j]``;
    with ``pair_cuts`` (see :func:`timeline`), the cuts of the batch's ``columns`` from there."""
    imports = np.zeros((c.size, len(scenarios)), dtype=np.float64)
    shocks = np.zeros_like(imports)
    if pair_cuts is not None:
        kappa, months = pair_cuts
        chosen = np.arange(len(scenarios)) if columns is None else columns
        in_force = kappa[:, chosen] * (at < months[chosen])  # a column's cuts end together
        imports[:] = import_losses(c, in_force)
    active = [
        tuple(x for x in s.cuts if x.months is None or t < x.months)
        for s, t in zip(scenarios, at.tolist(), strict=True)
    ]
    plain = [j for j, s in enumerate(scenarios) if not s.substitution]
    if plain and pair_cuts is None:
        imports[:, plain] = import_losses(c, cut_matrix(c, [active[j] for j in plain]))
    for j, (scenario, t) in enumerate(zip(scenarios, at.tolist(), strict=True)):
        if scenario.substitution:
            kappa = cut_matrix(c, [active[j]])
            imports[:, [j]] = import_losses(c, kappa, scenario.substitution)
        for shock in scenario.shocks:
            if shock.months is None or t < shock.months:
                row = c.index[shock.node]
                shocks[row, j] = max(shocks[row, j], shock.severity)
    return imports, shocks


def timeline(
    c: Compiled,
    scenarios: Sequence[Scenario],
    stocks: FloatArray,
    horizons: FloatArray,
    model: LossModel = "leontief",
    *,
    curves: bool = True,
    check: bool = True,
    pair_cuts: tuple[FloatArray, FloatArray] | None = None,
) -> TimelineBatch:
    r"""Run a batch of scenarios over time, exactly, event by event.

    Parameters
    ----------
    c
        The compiled chain.
    scenarios
        The scenarios (columns); their cuts and shocks last ``months`` (``None``: to the horizon).
    stocks
        Stocks :math:`S_n` in months, ``nodes`` (the same for every column) or ``nodes x S``.
    horizons
        The horizon :math:`T` of each column, in months (:func:`horizon_of`).
    model
        ``leontief`` or ``linear``.
    curves
        Keep each final product's loss curve (``False`` for sweeps that need the totals only).
    check
        Check every scenario (:func:`~chokepoint.core.scenarios.check_scenario`); ``False``
        only for scenarios built from the compiled chain's own pairs, as a stress test does.
    pair_cuts
        ``(kappa, months)``: the cuts of every column as a ``pairs x S`` matrix of severities on
        the compiled chain's own pairs, those of column ``s`` all lasting ``months[s]`` (> 0),
        in place of the scenarios' cuts, which must have none (Monte Carlo durations: the same
        as one :class:`~chokepoint.model.Cut` per pair, without an object per cut).

    Returns
    -------
    TimelineBatch

    Raises
    ------
    ScenarioError
        For a bad scenario (:func:`~chokepoint.core.scenarios.check_scenario`), a negative or
        non-finite stock or horizon, or a cycle that does not converge.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> from chokepoint.model import Cut
    >>> c = compile_chain(load_chain("robots"))
    >>> stocks = np.zeros(c.size)
    >>> stocks[c.index["reducers"]] = 3.0
    >>> s = Scenario(cuts=(Cut("JP", 1.0, ("reducers",), 6.0),))
    >>> out = timeline(c, [s], stocks, np.array([6.0]))
    >>> round(float(out.tts[0, 0]), 3), round(float(out.cumulative[0, 0]), 3)
    (4.886, 0.137)
    """
    check_model(model)
    if check:
        for scenario in scenarios:
            check_scenario(scenario, c)
    width = len(scenarios)
    horizon = np.asarray(horizons, dtype=np.float64).reshape(-1)
    if horizon.shape != (width,) or not np.all(np.isfinite(horizon)) or np.any(horizon < 0):
        msg = f"horizons must be {width} finite numbers of months >= 0"
        raise ScenarioError(msg)
    stock = np.asarray(stocks, dtype=np.float64)
    if stock.ndim == 1:
        stock = stock[:, None]
    if stock.shape[0] != c.size or stock.shape[1] not in (1, width):
        msg = f"stocks must have shape (nodes,) or (nodes, S) = ({c.size}, {width})"
        raise ScenarioError(msg)
    if not np.all(np.isfinite(stock)) or np.any(stock < 0):
        msg = "stocks must be finite numbers of months >= 0"
        raise ScenarioError(msg)
    full = np.broadcast_to(stock, (c.size, width))
    buffered: BoolArray = np.array(full > 0)
    # the stocks drain on these rows only: each step's stock arithmetic is stocked x columns
    stocked = np.flatnonzero(buffered.any(axis=1))
    left = np.array(full[stocked], dtype=np.float64)
    # each column's sorted distinct ends (a set and a sort: np.unique per column costs more)
    ends = [
        np.array(sorted({m for _, m in _durations(s) if m is not None}) or [np.inf], np.float64)
        for s in scenarios
    ]
    if pair_cuts is not None:
        plain = not any(s.cuts or s.substitution for s in scenarios)
        if not plain or pair_cuts[0].shape != (c.pair_share.size, width):
            msg = (
                f"pair_cuts must be a ({c.pair_share.size}, {width}) matrix, for scenarios "
                "without cuts or substitution"
            )
            raise ScenarioError(msg)
        cut_any = np.count_nonzero(pair_cuts[0], axis=0).tolist()
        months = pair_cuts[1].tolist()
        for j, end in enumerate(ends):
            if cut_any[j]:
                merged = {*end.tolist(), _check_months(months[j], "pair_cuts: months")} - {np.inf}
                ends[j] = np.array(sorted(merged), np.float64)
    finals = c.finals
    t = np.zeros(width, dtype=np.float64)
    tts = np.full((finals.size, width), np.nan)
    cumulative = np.zeros((finals.size, width))
    peak = np.zeros((finals.size, width))
    exhausted = np.full((c.size, width), np.nan)
    points: list[list[list[tuple[float, float]]]] = (
        [[[] for _ in range(finals.size)] for _ in range(width)] if curves else []
    )
    imports, shocks = _forcing(c, scenarios, t, pair_cuts)
    # the columns with a cut or shock in force (they change only when one ends)
    active: BoolArray = np.logical_or(imports.any(axis=0), shocks.any(axis=0))
    live = np.arange(width, dtype=np.intp)
    steps = 0
    # the last losses of the live columns, and the nodes an event changed since (a stock that
    # ran out, a cut or shock that ended): the next step recomputes only those and their users
    last: tuple[FloatArray, FloatArray] | None = None
    seeds: BoolArray | None = None
    while live.size:
        # every column live: views, not copies, of the nodes x columns matrices
        cols: slice | IntArray = slice(None) if live.size == width else live
        # with no cut or shock active, every loss is 0 from now to the horizon: nothing to run
        idle: BoolArray = ~active[live]
        if idle.any():
            if curves:
                zero = np.zeros((finals.size, live.size))
                never: BoolArray = np.zeros(live.size, dtype=np.bool_)
                _record(points, live, t[live], zero, idle & (t[live] < horizon[live]), never)
                _record(points, live, horizon[live], zero, never, idle)
            t[live[idle]] = horizon[live[idle]]
            live = live[~idle]
            if last is not None:
                last = (last[0][:, ~idle], last[1][:, ~idle])
            if not live.size:
                break
            cols = live
        steps += 1
        cover = buffered[:, cols]
        if last is None or seeds is None:
            u, dom = propagate(c, imports[:, cols], shocks[:, cols], model, cover)
        else:
            u, dom = propagate(
                c,
                imports[:, cols],
                shocks[:, cols],
                model,
                cover,
                start=last,
                dirty=c.downstream(seeds),
            )
        seeds = np.zeros(c.size, dtype=np.bool_)
        loss = np.where(cover[finals], 0.0, u[finals])
        now = t[live]
        stop = horizon[live]
        drawn = u[stocked]
        draining = cover[stocked] & (drawn > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            run_out = np.where(draining, now + left[:, live] / drawn, np.inf)
        next_end = np.array(
            [
                e[np.searchsorted(e, x, side="right")] if x < e[-1] else np.inf
                for e, x in zip((ends[j] for j in live.tolist()), now.tolist(), strict=True)
            ],
            dtype=np.float64,
        )
        at_end = now >= stop
        step_to = np.minimum(np.minimum(next_end, run_out.min(axis=0, initial=np.inf)), stop)
        step_to = np.where(at_end, now, step_to)
        dt = step_to - now
        moving = dt > 0
        short = (loss > 0) & moving & np.isnan(tts[:, live])
        tts[:, live] = np.where(short, now, tts[:, live])
        cumulative[:, live] += loss * dt
        peak[:, live] = np.maximum(peak[:, live], np.where(moving, loss, 0.0))
        if curves:
            _record(points, live, now, loss, moving, at_end)
        left[:, live] = np.where(draining, left[:, live] - drawn * dt, left[:, live])
        slack = _EVENT_TOLERANCE * np.maximum(step_to, 1.0)
        out = draining & (run_out <= step_to + slack) & ~at_end
        if out.any():
            held, cols = np.nonzero(out)
            rows = stocked[held]
            where = live[cols]
            left[held, where] = 0.0
            buffered[rows, where] = False
            exhausted[rows, where] = step_to[cols]
            seeds[rows] = True
        t[live] = step_to
        ended = (next_end <= step_to) & ~at_end
        changed = live[ended]
        if changed.size:
            part = [scenarios[j] for j in changed.tolist()]
            before = (imports[:, changed], shocks[:, changed])
            imports[:, changed], shocks[:, changed] = _forcing(
                c, part, t[changed], pair_cuts, changed
            )
            seeds |= (imports[:, changed] != before[0]).any(axis=1)
            seeds |= (shocks[:, changed] != before[1]).any(axis=1)
            active[changed] = np.logical_or(
                imports[:, changed].any(axis=0), shocks[:, changed].any(axis=0)
            )
        # a column that reaches its horizon with nothing changing there keeps its last losses
        quiet = (step_to >= stop) & ~at_end & ~ended & ~out.any(axis=0)
        if curves and quiet.any():
            _record(points, live, step_to, loss, np.zeros_like(quiet), quiet)
        keep = ~at_end & ~quiet
        live = live[keep]
        last = (u, dom) if keep.all() else (u[:, keep], dom[:, keep])
    return TimelineBatch(
        horizon=horizon,
        finals=finals,
        tts=tts,
        cumulative=cumulative,
        peak=peak,
        exhausted=exhausted,
        steps=steps,
        curves=tuple(tuple(tuple(p) for p in column) for column in points) if curves else (),
    )


def _record(
    points: list[list[list[tuple[float, float]]]],
    live: IntArray,
    now: FloatArray,
    loss: FloatArray,
    moving: BoolArray,
    closing: BoolArray,
) -> None:
    """Append ``(t, loss)`` to the curves where the loss changed, and at the horizon always."""
    for col, j in enumerate(live.tolist()):
        if not (moving[col] or closing[col]):
            continue
        t = float(now[col])
        for k, value in enumerate(loss[:, col].tolist()):
            curve = points[j][k]
            if curve and curve[-1][1] == value and not closing[col]:
                continue
            curve.append((t, value))


@dataclass(frozen=True, slots=True)
class FinalTimeline:
    """A final product's course: static loss, time to survive, cumulative and peak loss, curve."""

    id: str
    loss: float | None
    tts: float | None
    cumulative_loss: float | None
    peak_loss: float | None
    curve: Curve


@dataclass(frozen=True, slots=True)
class TimelineResult:
    """A scenario with time: the static result plus, per final product, its course over time."""

    static: ScenarioResult
    months: float
    stocks: tuple[tuple[str, float], ...]
    final: tuple[FinalTimeline, ...]
    exhausted: tuple[tuple[str, float], ...]
    assumptions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint scenario --months`` (the static one, extended)."""
        out = self.static.to_dict()
        scenario = self.static.scenario
        for item, cut in zip(out["scenario"]["cuts"], scenario.cuts, strict=True):
            item["months"] = cut.months
        for item, shock in zip(out["scenario"]["shocks"], scenario.shocks, strict=True):
            item["months"] = shock.months
        out["months"] = self.months
        out["stocks"] = dict(self.stocks)
        out["final"] = [
            {
                "id": f.id,
                "loss": f.loss,
                "tts": f.tts,
                "cumulative_loss": f.cumulative_loss,
                "peak_loss": f.peak_loss,
                "curve": [[t, loss] for t, loss in f.curve],
            }
            for f in self.final
        ]
        out["exhausted"] = [{"node": n, "month": t} for n, t in self.exhausted]
        out["assumptions"] = list(self.assumptions)
        return out


def run_timeline(
    chain: Chain,
    scenario: Scenario | str | None = None,
    *,
    cuts: Iterable[Cut | str] = (),
    shocks: Iterable[Shock | str] = (),
    substitution: Mapping[str, float] | Iterable[str] | None = None,
    scenario_file: str | os.PathLike[str] | None = None,
    duration: float | None = None,
    months: float | None = None,
    stocks: Mapping[str, float] | Iterable[str] | None = None,
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
) -> TimelineResult:
    """Run a scenario over time: the static result plus TTS, cumulative and peak loss per final.

    Parameters
    ----------
    chain
        The chain.
    scenario, cuts, shocks, substitution, scenario_file
        The scenario, as for :func:`~chokepoint.core.scenarios.run_scenario` (cuts and shocks
        may carry ``months``: their time to recover).
    duration
        Months that every cut and shock without a duration of its own lasts (its time to
        recover); default: such a cut or shock is permanent.
    months
        The horizon in months; default: the scenario's longest cut or shock (required when one
        of them is permanent).
    stocks
        Stocks in months of normal use by node id (``{node: months}``, or texts
        ``node=months``), overriding the chain's ``stock_months`` (assumptions, listed as such).
    perspective, model, year
        As for :func:`~chokepoint.core.scenarios.run_scenario`.

    Raises
    ------
    ScenarioError
        For a bad scenario, stock or horizon, or a permanent cut without ``months``.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> from chokepoint.model import Cut
    >>> s = Scenario(cuts=(Cut("JP", 1.0, ("reducers",), 6.0),))
    >>> r = run_timeline(load_chain("robots"), s, stocks={"reducers": 3.0})
    >>> f = r.final[0]
    >>> f.id, round(f.loss, 3), round(f.tts or 0, 3), round(f.cumulative_loss, 3)
    ('electronics', 0.123, 4.886, 0.137)
    """
    resolved = require_scenario(
        chain,
        scenario,
        cuts=cuts,
        shocks=shocks,
        substitution=substitution,
        scenario_file=scenario_file,
    )
    if duration is not None:
        if not (math.isfinite(duration) and 0 < duration <= MAX_MONTHS):
            msg = f"duration {duration!r} must be a number of months above 0 and at most {MAX_MONTHS:,}"
            raise ScenarioError(msg)
        resolved = replace(
            resolved,
            cuts=tuple(
                x if x.months is not None else replace(x, months=duration) for x in resolved.cuts
            ),
            shocks=tuple(
                x if x.months is not None else replace(x, months=duration) for x in resolved.shocks
            ),
        )
    scenario = resolved
    if stocks is not None and not isinstance(stocks, Mapping):
        stocks = dict(parse_stock(text) for text in stocks)
    horizon = horizon_of(scenario, months)
    c = compile_chain(chain, perspective, year)
    static = scenario_result(c, scenario, model)
    held = stock_vector(c, stocks)
    batch = timeline(c, [scenario], held, np.array([horizon]), model)
    final = tuple(
        FinalTimeline(
            id=c.nodes[f],
            loss=static_loss,
            tts=None if math.isnan(batch.tts[k, 0]) else float(batch.tts[k, 0]),
            cumulative_loss=float(batch.cumulative[k, 0]),
            peak_loss=float(batch.peak[k, 0]),
            curve=batch.curves[0][k],
        )
        if static_loss is not None
        # the static loss rests on a missing cost share: so does its course over time
        else FinalTimeline(c.nodes[f], None, None, None, None, ())
        for k, (f, (_, static_loss)) in enumerate(zip(c.finals.tolist(), static.final, strict=True))
    )
    ran_out = [
        (c.nodes[n], float(batch.exhausted[n, 0]))
        for n in np.argsort(batch.exhausted[:, 0], kind="stable").tolist()
        if not math.isnan(batch.exhausted[n, 0])
    ]
    given = dict(stocks or {})
    assumptions = [
        f"horizon {horizon:g} months"
        + (" (given)" if months is not None else " (the longest cut or shock)"),
        "stocks are not refilled within the horizon",
    ]
    assumptions += [
        f"stock of {node} = {value:g} months (assumed)" for node, value in given.items()
    ]
    if not held.any():
        assumptions.append("no node holds a stock: the loss starts when the disruption does")
    return TimelineResult(
        static=static,
        months=horizon,
        stocks=tuple((c.nodes[n], float(held[n])) for n in np.flatnonzero(held).tolist()),
        final=final,
        exhausted=tuple(ran_out),
        assumptions=(*static.assumptions, *assumptions),
    )
