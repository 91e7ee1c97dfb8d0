r"""Monte Carlo disruptions: random independent origin cuts, propagated in vectorised batches.

Each sample cuts every (origin, node) pair of the chain independently: origin :math:`c` stops
delivering a fraction :math:`\kappa(c, n)` of its supply of node :math:`n`, where

.. math::

    \kappa(c, n) = B_{cn} K_{cn}, \qquad B_{cn} \sim \mathrm{Bernoulli}(p), \qquad
    K_{cn} \sim F \ (\text{uniform on } [0, 1),\ \text{a fixed value, or } \mathrm{Beta}(a, b))

all independent. The pairs are the named foreign origin keys of each node (``other`` is never
cut; a region used as a share key is one origin). The cuts are propagated with the disruption
model of :mod:`chokepoint.core.propagate` on the compiled chain, a chunk of samples at a time
(each chunk one batch). The final-product losses :math:`q_f` are
summarised by their mean and quantiles (numpy's default linear interpolation, Hyndman and Fan's
definition 7 [1]_).

Drivers: with :math:`L = \max_f q_f` the sample's worst final-product loss (the measure of a
choke point's ``impact``) and the tail :math:`T = \{L \ge \mathrm{P90}(L),\ L > 0\}`, each pair
(and each origin, cut at one node or more) reports the fraction of samples in which it was cut,
:math:`E[L \mid \text{cut}]` and :math:`P(\text{cut} \mid T)`, the share of tail samples in which
it was cut. The counts and sums are kept per driver as the chunks go; the cut indicators of
the tail samples, known only at the end, are drawn again from the seed (no ``samples x pairs``
matrix is ever kept).

``p_cut`` defaults to 0.1: a stress test in which each pair fails one time in ten, not an estimate
of how often real supply fails. The random streams are numpy's PCG64 [2]_ seeded with ``seed``:
the cut indicators and the severities come from two independent streams spawned from it, drawn
sample by sample, so the result depends on the seed alone (not on the chunk size).

References
----------
.. [1] Hyndman, R. J. and Fan, Y. (1996), "Sample quantiles in statistical packages",
       *The American Statistician* 50(4), 361-365.
.. [2] O'Neill, M. E. (2014), "PCG: A family of simple fast space-efficient statistically good
       algorithms for random number generation", Harvey Mudd College, HMC-CS-2014-0905.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..io.limits import Limit
from ..model import OTHER, Chain
from .compiled import BoolArray, Compiled, FloatArray, IntArray, compile_chain
from .metrics import rests_on_unknown
from .propagate import LossModel, check_model, import_losses, propagate

__all__ = [
    "CHUNK_CELLS",
    "DEFAULT_CHUNK",
    "DEFAULT_P_CUT",
    "Driver",
    "FinalStats",
    "MAX_SAMPLES",
    "MonteCarloResult",
    "SAMPLES",
    "SeverityDist",
    "montecarlo",
    "parse_severity_dist",
]

#: Probability that each (origin, node) pair is cut in a sample (a stress-test default).
DEFAULT_P_CUT = 0.1
#: The most samples one call draws unless raised (``max_samples=N`` or ``CHOKEPOINT_MAX_SAMPLES``):
#: about 9 s and 0.5 GB on the ``robots`` chain.
MAX_SAMPLES = 10_000_000
#: The sample ceiling with the environment variable that raises it.
SAMPLES = Limit("CHOKEPOINT_MAX_SAMPLES", MAX_SAMPLES, "samples")
#: Most samples propagated per chunk (the default of ``montecarlo(chunk=...)``).
DEFAULT_CHUNK = 16_384
#: Bound on a chunk's samples x (nodes + pairs): a chunk's working matrices stay within about
#: 22 bytes per cell (measured; 370 MB); 20 samples at a time on a 10^6-link network.
CHUNK_CELLS = 1 << 24
#: The quantile that starts the tail used for the drivers.
TAIL_QUANTILE = 0.9

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class SeverityDist:
    """The distribution of a cut's severity: ``uniform``, ``fixed`` (value ``a``) or ``beta``."""

    kind: str
    a: float = 0.0
    b: float = 0.0

    def __str__(self) -> str:
        if self.kind == "fixed":
            return f"fixed:{_number(self.a)}"
        if self.kind == "beta":
            return f"beta:{_number(self.a)},{_number(self.b)}"
        return "uniform"

    @property
    def mean(self) -> float:
        """The expected severity: 1/2, the fixed value, or a / (a + b)."""
        if self.kind == "fixed":
            return self.a
        if self.kind == "beta":
            return self.a / (self.a + self.b)
        return 0.5

    def draw(self, rng: np.random.Generator, shape: tuple[int, int]) -> FloatArray:
        """Draw severities of the given shape (nothing is drawn for ``fixed``)."""
        if self.kind == "fixed":
            return np.full(shape, self.a, dtype=np.float64)
        if self.kind == "beta":
            return rng.beta(self.a, self.b, size=shape)
        return rng.random(shape, dtype=np.float64)


def _number(value: float) -> str:
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


_FIXED = re.compile(r"^fixed:(.+)$")
_BETA = re.compile(r"^beta:([^,]+),(.+)$")


def parse_severity_dist(value: str | Sequence[Any]) -> SeverityDist:
    """Parse ``uniform``, ``fixed:X`` or ``beta:A,B`` (or ``("beta", A, B)``, ``("fixed", X)``).

    >>> str(parse_severity_dist("beta:2,5")), parse_severity_dist(("fixed", 0.5)).mean
    ('beta:2,5', 0.5)

    Raises
    ------
    ScenarioError
        For another form, a fixed value outside [0, 1] or beta parameters that are not > 0.
    """
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if text == "uniform":
            return SeverityDist("uniform")
        fixed, beta = _FIXED.match(text), _BETA.match(text)
        parts: tuple[Any, ...] = (
            ("fixed", fixed.group(1)) if fixed else ("beta", *beta.groups()) if beta else (text,)
        )
    else:
        parts = tuple(value)
    kind = str(parts[0]) if parts else ""
    try:
        numbers = [float(p) for p in parts[1:]]
    except (TypeError, ValueError):
        numbers = []
    if kind == "uniform" and not numbers:
        return SeverityDist("uniform")
    if kind == "fixed" and len(numbers) == 1 and 0 <= numbers[0] <= 1:
        return SeverityDist("fixed", numbers[0])
    if kind == "beta" and len(numbers) == 2 and all(math.isfinite(x) and x > 0 for x in numbers):
        return SeverityDist("beta", numbers[0], numbers[1])
    msg = (
        f"severity distribution {value!r}: write uniform, fixed:X with X in [0, 1], or beta:A,B "
        "with A, B > 0 (e.g. beta:2,5, mean A/(A+B))"
    )
    raise ScenarioError(msg)


@dataclass(frozen=True, slots=True)
class FinalStats:
    """A final product's loss over the samples: mean and quantiles.

    All four are None when the loss rests on figures the chain does not give (``linear`` model:
    an input without a cost share that a cut can reach); ``unknown`` then says which.
    """

    id: str
    mean: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    unknown: str | None = None


@dataclass(frozen=True, slots=True)
class Driver:
    """An origin (``node`` None: cut at one node or more) or (origin, node) pair and the tail.

    ``probability_cut`` is the fraction of samples in which it was cut, ``mean_loss_if_cut`` the
    mean worst final-product loss over those samples (None when never cut) and ``tail_share`` the
    fraction of tail samples in which it was cut.
    """

    origin: str
    node: str | None
    probability_cut: float
    mean_loss_if_cut: float | None
    tail_share: float


@dataclass(frozen=True, slots=True)
class MonteCarloResult:
    """Summary of a Monte Carlo run; :meth:`to_dict` is the JSON document."""

    chain: str
    perspective: str
    model: LossModel
    samples: int
    seed: int
    p_cut: float
    severity_dist: SeverityDist
    final: tuple[FinalStats, ...]
    drivers: tuple[Driver, ...]
    tail_threshold: float
    assumptions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint montecarlo --format json``.

        Keys, in order: ``chain``, ``perspective``, ``model``, ``samples``, ``seed`` (the seed
        used; rerun with it to reproduce), ``p_cut``, ``severity_dist`` (``uniform``,
        ``fixed:X`` or ``beta:A,B``), ``final`` (one object per final product: ``id``,
        ``mean``, ``p50``, ``p90``, ``p99``) and ``drivers`` (origins first, ``node`` null,
        then (origin, node) pairs, each group ranked by ``tail_share``, then
        ``mean_loss_if_cut``, both descending, then origin and node; ``probability_cut`` is the
        fraction of samples in which it was cut, ``mean_loss_if_cut`` the mean worst
        final-product loss over those samples (null when never cut) and ``tail_share`` the
        fraction of tail samples in which it was cut).
        """
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "model": self.model,
            "samples": self.samples,
            "seed": self.seed,
            "p_cut": self.p_cut,
            "severity_dist": str(self.severity_dist),
            "final": [
                {
                    "id": f.id,
                    "mean": f.mean,
                    "p50": f.p50,
                    "p90": f.p90,
                    "p99": f.p99,
                    "unknown": f.unknown,
                }
                for f in self.final
            ],
            "drivers": [
                {
                    "origin": d.origin,
                    "node": d.node,
                    "probability_cut": d.probability_cut,
                    "mean_loss_if_cut": d.mean_loss_if_cut,
                    "tail_share": d.tail_share,
                }
                for d in self.drivers
            ],
        }


def montecarlo(
    chain: Chain,
    samples: int = 10_000,
    seed: int | None = None,
    *,
    max_samples: int | None = None,
    p_cut: float = DEFAULT_P_CUT,
    severity_dist: str | Sequence[Any] | SeverityDist = "uniform",
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
    progress: Progress | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> MonteCarloResult:
    r"""Sample random independent origin cuts and summarise the final-product losses.

    The function behind ``chokepoint montecarlo``.

    Every (origin, node) pair is cut with probability ``p_cut`` at a severity drawn from
    ``severity_dist``:

    .. math:: \kappa(c, n) = B_{cn} K_{cn}, \quad B_{cn} \sim \mathrm{Bernoulli}(p), \quad
              K_{cn} \sim F

    and each sample is propagated with the disruption model (docs/methodology.md).

    Parameters
    ----------
    chain
        The chain.
    samples
        Number of samples, from 1 to the ceiling.
    seed
        Seed (>= 0) of ``numpy.random.default_rng``; the same seed gives the same result. None
        draws a fresh 53-bit seed, reported as the result's ``seed`` so that the run can be
        repeated.
    max_samples
        The ceiling on ``samples``; default :data:`MAX_SAMPLES` (10,000,000), or the environment
        variable ``CHOKEPOINT_MAX_SAMPLES``.
    p_cut
        Probability that each pair is cut in a sample (default 0.1, a stress test).
    severity_dist
        ``uniform`` (on [0, 1)), ``fixed:X``, ``beta:A,B``, or ``("beta", A, B)``.
    perspective, model, year
        As for :func:`~chokepoint.core.scenarios.run_scenario`.
    progress
        Called with (samples done, samples) after each chunk.
    chunk
        Most samples propagated at once; fewer on a large chain, whose chunk is bounded by
        :data:`CHUNK_CELLS` cells (samples x (nodes + pairs)). The result does not depend on it.

    Returns
    -------
    MonteCarloResult
        Final-product statistics, ranked drivers and the tail threshold :math:`\mathrm{P90}(L)`.

    Raises
    ------
    ScenarioError
        For a bad sample count (or one above the ceiling), probability, distribution or model,
        or a chain without a named foreign origin to cut.
    SettingError
        For a ``CHOKEPOINT_MAX_SAMPLES`` that is not a whole number.

    Notes
    -----
    Memory: a chunk's working matrices, about (3 pairs + 6 nodes) x 8 bytes per sample of the
    chunk, plus what the summary keeps over all samples: the final-product losses (8 bytes per
    final product and sample) and, per pair and per origin, three running totals. The cut
    indicators are never kept: the drivers' counts over the tail, known only once every sample
    is drawn, replay the indicators' random stream for the tail samples alone (PCG64 jumps over
    the others: a uniform double takes one 64-bit draw).

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = montecarlo(load_chain("robots"), 1000, seed=1, p_cut=1.0,
    ...                     severity_dist="fixed:1")
    >>> [round(f.mean, 4) for f in result.final]
    [0.94, 0.94, 0.94]
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        msg = f"samples must be a whole number >= 1, not {samples!r}"
        raise ScenarioError(msg)
    ceiling = SAMPLES.get(max_samples)
    if samples > ceiling:
        msg = (
            f"samples={samples:,} is above the ceiling of {ceiling:,} samples per call (raise "
            "it with max_samples=N or CHOKEPOINT_MAX_SAMPLES=N if the machine can hold it); to "
            "go beyond, run several calls with different seed values, each a sample of the same "
            "distribution, or use the distributed mode planned in the scale issue"
        )
        raise ScenarioError(msg)
    if seed is None:
        seed = secrets.randbits(53)  # fits a JSON number exactly (a double's 53-bit mantissa)
    elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        msg = f"seed must be a whole number >= 0, not {seed!r}"
        raise ScenarioError(msg)
    if not 0 <= p_cut <= 1:
        msg = f"p_cut {p_cut} is outside [0, 1]"
        raise ScenarioError(msg)
    if chunk < 1:
        msg = f"chunk must be >= 1, not {chunk}"
        raise ScenarioError(msg)
    check_model(model)
    dist = (
        severity_dist
        if isinstance(severity_dist, SeverityDist)
        else parse_severity_dist(severity_dist)
    )
    engine = _engine(chain, perspective, year, model)
    count = len(engine.origins)
    if not count:
        msg = (
            f"chain '{chain.name}' has no named foreign origin to cut from {engine.perspective}'s "
            "point of view; nothing to sample"
        )
        raise ScenarioError(msg)
    width = max(1, min(chunk, CHUNK_CELLS // (engine.size + count)))
    cut_bits, severity_bits = _streams(seed)
    cut_rng, severity_rng = np.random.Generator(cut_bits), np.random.Generator(severity_bits)
    tally = _Tally(engine.origins)

    finals = engine.finals
    losses = np.empty((len(finals), samples), dtype=np.float64)
    worst = np.zeros(samples, dtype=np.float64)
    done = 0
    while done < samples:
        size = min(width, samples - done)
        # sample-major draws: sample k always takes the same numbers, whatever the chunk size
        cut = cut_rng.random((size, count)) < p_cut
        kappa = dist.draw(severity_rng, (size, count))
        kappa[~cut] = 0.0
        q = engine.losses(kappa.T)  # pairs x samples (a view: the import sums read it so)
        del kappa
        losses[:, done : done + size] = q
        if engine.known.any():
            worst[done : done + size] = q[engine.known].max(axis=0)
        tally.add(cut, worst[done : done + size])
        del cut, q
        done += size
        if progress is not None:
            progress(done, samples)

    final = tuple(
        FinalStats(n, *stats)
        if known
        else FinalStats(n, None, None, None, None, engine.unknown.get(n))
        for n, stats, known in zip(finals, _summaries(losses), engine.known.tolist(), strict=True)
    )
    del losses
    threshold = float(np.quantile(worst, TAIL_QUANTILE))
    tail = (worst >= threshold) & (worst > 0)
    tally.replay_tail(seed, tail, p_cut, width)
    drivers = tally.drivers(engine.pair_nodes, samples, int(tail.sum()))
    if len(finals) and not engine.known.any():  # no known final loss: nothing to drive
        drivers = tuple(replace(d, mean_loss_if_cut=None) for d in drivers)
    assumptions = list(engine.assumptions)
    if engine.unknown:
        assumptions.append(
            "linear model: the loss of "
            + ", ".join(engine.unknown)
            + " draws on inputs without a cost share that the cuts can reach, so it is n/a; "
            "the tail and the drivers are measured on the other final products"
            + ("" if engine.known.any() else " (there are none: no tail, drivers' losses n/a)")
        )
    if engine.others:
        assumptions.append(
            f"`{OTHER}` shares (unnamed foreign origins) are never cut: {', '.join(engine.others)}"
        )
    regions = sorted({c for c in set(engine.origins) if c in chain.regions})
    if regions:
        assumptions.append(
            f"a region used as a share key is one origin, cut independently of its members' "
            f"keys: {', '.join(regions)}"
        )
    return MonteCarloResult(
        chain.name,
        engine.perspective,
        model,
        samples,
        seed,
        p_cut,
        dist,
        final,
        drivers,
        threshold,
        tuple(assumptions),
    )


#: Cells of the block of final products whose quantiles are taken at once (a copy is sorted).
_SUMMARY_CELLS = 1 << 22


def _summaries(losses: FloatArray) -> list[tuple[float, float, float, float]]:
    """Mean, P50, P90 and P99 of each row (the numbers of ``np.quantile`` on each row alone)."""
    out: list[tuple[float, float, float, float]] = []
    step = max(1, _SUMMARY_CELLS // max(1, losses.shape[1]))
    for start in range(0, losses.shape[0], step):
        block = losses[start : start + step]
        p50, p90, p99 = np.quantile(block, [0.5, 0.9, 0.99], axis=1).tolist()
        out.extend(zip(np.mean(block, axis=1).tolist(), p50, p90, p99, strict=True))
    return out


def _streams(seed: int) -> tuple[np.random.PCG64, np.random.PCG64]:
    """The two streams of a run: those of ``numpy.random.default_rng(seed).spawn(2)``."""
    cuts, severities = np.random.SeedSequence(seed).spawn(2)
    return np.random.PCG64(cuts), np.random.PCG64(severities)


@dataclass(frozen=True, slots=True)
class _Engine:
    r"""The compiled chain, reduced to what a run needs.

    ``losses`` maps ``pairs x S`` cuts :math:`\kappa` (pairs in :attr:`origins` order) to the
    ``finals x S`` final-product losses.
    """

    perspective: str
    assumptions: tuple[str, ...]
    size: int
    origins: Sequence[str]
    pair_nodes: Sequence[str]
    finals: Sequence[str]
    others: Sequence[str]
    losses: Callable[[FloatArray], FloatArray]
    known: BoolArray
    unknown: dict[str, str]


def _engine(chain: Chain, perspective: str | None, year: int | None, model: LossModel) -> _Engine:
    """Compile the chain once (the garbage collector paused: many objects, none garbage)."""
    from .._gc import paused

    with paused():
        c = compile_chain(chain, perspective, year)
    unknown = _unknown_finals(c, model)

    def losses(kappa: FloatArray) -> FloatArray:
        q, _ = propagate(c, import_losses(c, kappa), None, model)
        out: FloatArray = q[c.finals]
        return out

    return _Engine(
        c.perspective,
        c.assumptions,
        c.size,
        c.pair_origin,
        [c.nodes[r] for r in c.pair_row.tolist()],
        c.final_ids(),
        [n for n, s in zip(c.nodes, c.splits, strict=True) if s.other > 0],
        losses,
        ~np.isin(np.arange(c.finals.size), list(unknown)),
        {c.nodes[int(c.finals[j])]: reason for j, reason in unknown.items()},
    )


def _unknown_finals(c: Compiled, model: LossModel) -> dict[int, str]:
    """The final products (positions in ``c.finals``) whose ``linear`` loss can rest on a
    missing cost share: those that draw on one in the scenario that cuts every pair fully,
    where every node any sample can hit is hit (saturation ignored: a superset, never fewer)."""
    if model != "linear" or bool(c.in_known.all()) or not c.pair_share.size:
        return {}
    kappa = np.ones((c.pair_share.size, 1), dtype=np.float64)
    q, _ = propagate(c, import_losses(c, kappa), None, model)
    unknown = rests_on_unknown(c, q, np.zeros_like(q, dtype=np.bool_))
    out: dict[int, str] = {}
    for j, f in enumerate(c.finals.tolist()):
        if unknown[f, 0]:
            out[j] = "linear model: rests on inputs without a cost share that the cuts reach"
    return out


#: From this many drivers, each sample's loss is added to the running sums in place; below, a
#: block of :data:`_ADD_CELLS` cells is accumulated at once.
_ADD_WIDE = 1024
_ADD_CELLS = 1 << 16


class _Totals:
    """Running totals of a set of drivers: samples cut, sum of :math:`L` over them, tail cuts."""

    def __init__(self, size: int) -> None:
        self.cut = np.zeros(size, dtype=np.int64)
        self.loss = np.zeros(size, dtype=np.float64)
        self.tail = np.zeros(size, dtype=np.int64)

    def add(self, hit: BoolArray, worst: FloatArray) -> None:
        """Count a chunk's ``samples x drivers`` indicators; add each sample's :math:`L`.

        The losses are added sample after sample, as one sum over every sample would add them,
        so the totals (and the means) do not depend on the chunks; a zero adds nothing and is
        skipped. Many drivers: one addition in place per sample; few: ``np.add.accumulate``
        down a block of samples, the running totals first (the same additions, in one call).
        """
        self.cut += hit.sum(axis=0)
        rows = np.flatnonzero(worst > 0)
        if self.loss.size >= _ADD_WIDE:
            for k in rows.tolist():
                np.add(self.loss, worst[k], out=self.loss, where=hit[k])
            return
        step = max(1, _ADD_CELLS // self.loss.size)
        for start in range(0, rows.size, step):
            part = rows[start : start + step]
            terms = np.empty((part.size + 1, self.loss.size), dtype=np.float64)
            terms[0] = self.loss
            np.multiply(hit[part], worst[part, None], out=terms[1:])
            self.loss = np.add.accumulate(terms, axis=0)[-1].copy()


class _Tally:
    """The drivers' totals for every (origin, node) pair and every origin, chunk by chunk."""

    def __init__(self, origins: Sequence[str]) -> None:
        self.origins = origins
        index: dict[str, int] = {}
        group = np.array([index.setdefault(c, len(index)) for c in origins], dtype=np.intp)
        self.names = list(index)
        self.order = np.argsort(group, kind="stable")
        self.starts = np.searchsorted(group[self.order], np.arange(len(index)))
        self.pairs = _Totals(len(origins))
        self.by_origin = _Totals(len(index))

    def _origin_hits(self, cut: BoolArray) -> BoolArray:
        """``samples x origins``: whether each origin was cut at one node or more."""
        hits: BoolArray = np.logical_or.reduceat(cut[:, self.order], self.starts, axis=1)
        return hits

    def add(self, cut: BoolArray, worst: FloatArray) -> None:
        """Add a chunk: its ``samples x pairs`` cut indicators and its samples' :math:`L`."""
        self.pairs.add(cut, worst)
        self.by_origin.add(self._origin_hits(cut), worst)

    def replay_tail(self, seed: int, tail: BoolArray, p_cut: float, width: int) -> None:
        """Count the cuts of the tail samples, drawing their indicators again from the seed.

        The indicators' stream is replayed in windows of at most ``width`` samples that cover
        the tail samples; the stream jumps over a gap between two windows (PCG64's ``advance``:
        a uniform double takes one 64-bit draw, so sample ``k`` starts at draw ``k x pairs``).
        """
        count = len(self.origins)
        bits, _ = _streams(seed)
        rng = np.random.Generator(bits)
        position = 0
        for start, stop in _windows(np.flatnonzero(tail), width, count):
            bits.advance((start - position) * count)
            cut = (rng.random((stop - start, count)) < p_cut)[tail[start:stop]]
            position = stop
            self.pairs.tail += cut.sum(axis=0)
            self.by_origin.tail += self._origin_hits(cut).sum(axis=0)

    def drivers(
        self, pair_nodes: Sequence[str], samples: int, tail_count: int
    ) -> tuple[Driver, ...]:
        """Origins, then pairs, each ranked by tail share, then mean loss if cut (descending)."""

        def build(origins: Sequence[str], nodes: Sequence[str | None], t: _Totals) -> list[Driver]:
            return [
                Driver(
                    origin,
                    node,
                    cut / samples,
                    loss / cut if cut else None,
                    tail / tail_count if tail_count else 0.0,
                )
                for origin, node, cut, loss, tail in zip(
                    origins, nodes, t.cut.tolist(), t.loss.tolist(), t.tail.tolist(), strict=True
                )
            ]

        def rank(d: Driver) -> tuple[float, float, str, str]:
            return (-d.tail_share, -(d.mean_loss_if_cut or 0.0), d.origin, d.node or "")

        origins = build(self.names, [None] * len(self.names), self.by_origin)
        singles = build(self.origins, pair_nodes, self.pairs)
        return tuple(sorted(origins, key=rank) + sorted(singles, key=rank))


#: A gap between tail samples is jumped over (not drawn through) from this many draws.
_JUMP_DRAWS = 4096


def _windows(rows: IntArray, width: int, count: int) -> Iterator[tuple[int, int]]:
    """Windows ``[start, stop)`` of at most ``width`` samples covering the samples ``rows``.

    A gap of fewer than :data:`_JUMP_DRAWS` draws (``count`` per sample) stays inside a window:
    drawing it costs less than another window.
    """
    if not rows.size:
        return
    jumps = np.flatnonzero((np.diff(rows) - 1) * count >= _JUMP_DRAWS) + 1
    for group in np.split(rows, jumps):
        first, last = int(group[0]), int(group[-1]) + 1
        for start in range(first, last, width):
            yield start, min(start + width, last)
