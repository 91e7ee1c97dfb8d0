r"""Monte Carlo disruptions: random independent origin cuts, propagated in vectorised batches.

Each sample cuts every (origin, node) pair of the chain independently: origin :math:`c` stops
delivering a fraction :math:`\kappa(c, n)` of its supply of node :math:`n`, where

.. math::

    \kappa(c, n) = B_{cn} K_{cn}, \qquad B_{cn} \sim \mathrm{Bernoulli}(p), \qquad
    K_{cn} \sim F \ (\text{uniform on } [0, 1),\ \text{a fixed value, or } \mathrm{Beta}(a, b))

all independent. The pairs are the named foreign origin keys of each node (``other`` is never
cut; a region used as a share key is one origin). The cuts are propagated with the disruption
model of :mod:`chokepoint.core.propagate` on the compiled chain, a chunk of samples at a time
(each chunk one batch).

Blocks: the samples are cut into fixed blocks of :data:`BLOCK` samples; block :math:`b` draws
from its own two streams, numpy's PCG64 [2]_ seeded with ``SeedSequence(seed, spawn_key=(b, 0))``
(the cut indicators, drawn as geometric gaps between cuts, one uniform double per cut: see
:class:`_Cuts`; ``(b, 3)`` for a rare continuation) and ``(b, 1)`` (the severities of the cut
pairs only, in the order of the cuts), sample after sample. Each block is
summarised on its own (the sum of its losses added sample after sample, its histogram of
losses, its drivers' counts) and the block summaries are merged in block order, so the result
depends on the seed alone: not on the chunk size, the memory limit or the number of workers
(:mod:`chokepoint.core.distributed` maps blocks over dask workers).

Summary: the mean of each final-product loss :math:`q_f` is exact (the sum of the block sums in
block order, over the samples); the quantiles P50, P90 and P99 (numpy's default linear
interpolation, Hyndman and Fan's definition 7 [1]_) are read from a histogram of :data:`BINS`
equal bins over :math:`(0, 1)` plus two atoms, a loss of exactly 0 and of exactly 1:

.. math::

    |\hat Q(p) - Q(p)| \le \frac{1}{2 \cdot \mathrm{BINS}} = 8.3 \times 10^{-5} < 10^{-4}

(docs/methodology.md derives it). The memory kept over all samples is the histograms,
finals x (BINS + 2) one-byte counts (a count above 255 carries apart: at most 16 bytes per final
product and 256 samples), and 8 bytes per sample for :math:`L` below.

Drivers: with :math:`L = \max_f q_f` the sample's worst final-product loss (the measure of a
choke point's ``impact``) and the tail :math:`T = \{L \ge \mathrm{P90}(L),\ L > 0\}` (the P90
of :math:`L` exact, from the kept :math:`L`), each pair (and each origin, cut at one node or
more) reports the fraction of samples in which it was cut, :math:`E[L \mid \text{cut}]` and
:math:`P(\text{cut} \mid T)`, the share of tail samples in which it was cut. The counts and
sums are kept per driver as the blocks go; the cut indicators of the tail samples, known only at
the end, are drawn again from their blocks' streams, for the tail samples alone (no ``samples x
pairs`` matrix is ever kept).

Durations (``months_dist``): sample :math:`s` draws one duration :math:`T_s` from a third
stream per block (``spawn_key=(b, 2)``; the static summary does not change) and all its cuts last
:math:`T_s` months; the block's samples run as one batch of the time model
(:func:`~chokepoint.core.timeline.timeline`, exact) over the horizon :math:`H = \max T`. Each
final product's cumulative loss :math:`\mathrm{CL}_f \in [0, H]` is summarised like the static
loss, its histogram scaled to :math:`H`: the quantiles are within :math:`H / (2 \cdot
\mathrm{BINS})`, the mean is exact.

``p_cut`` defaults to 0.1: a stress test in which each pair fails one time in ten, not an estimate
of how often real supply fails.

References
----------
.. [1] Hyndman, R. J. and Fan, Y. (1996), "Sample quantiles in statistical packages",
       *The American Statistician* 50(4), 361-365.
.. [2] O'Neill, M. E. (2014), "PCG: A family of simple fast space-efficient statistically good
       algorithms for random number generation", Harvey Mudd College, HMC-CS-2014-0905.
.. [3] Devroye, L. (1986), *Non-Uniform Random Variate Generation*, Springer, ch. X.2 (the
       geometric distribution by inversion).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ScenarioError
from ..io.limits import Limit
from ..io.schema import MAX_MONTHS
from ..model import OTHER, Chain, Cut
from .compiled import BoolArray, Compiled, FloatArray, IntArray, compile_chain
from .metrics import rests_on_unknown
from .propagate import LossModel, Plan, check_model, cut_imports, import_losses, plan, propagate

__all__ = [
    "BINS",
    "BLOCK",
    "CHUNK_CELLS",
    "DEFAULT_CHUNK",
    "DEFAULT_P_CUT",
    "Driver",
    "FinalStats",
    "MAX_SAMPLES",
    "MonteCarloResult",
    "MonthsDist",
    "SAMPLES",
    "SeverityDist",
    "montecarlo",
    "parse_months_dist",
    "parse_severity_dist",
]

#: Probability that each (origin, node) pair is cut in a sample (a stress-test default).
DEFAULT_P_CUT = 0.1
#: The most samples one call draws unless raised (``max_samples=N`` or ``CHOKEPOINT_MAX_SAMPLES``):
#: 12 s and 0.22 GB on the ``robots`` chain (the CLI, JSON out, on the 2-core benchmark VM).
MAX_SAMPLES = 10_000_000
#: The sample ceiling with the environment variable that raises it.
SAMPLES = Limit("CHOKEPOINT_MAX_SAMPLES", MAX_SAMPLES, "samples")
#: Most samples propagated per chunk (the default of ``montecarlo(chunk=...)``).
DEFAULT_CHUNK = 16_384
#: Bound on a chunk's samples x (nodes + pairs): 66 samples at a time on a 3x10^5-link network,
#: 20 on a 10^6-link one (wider chunks share each step's fixed cost among more samples).
CHUNK_CELLS = 1 << 24
#: The same bound with durations (the time model's chunk costs more per cell).
TIMED_CHUNK_CELLS = 1 << 22
#: The quantile that starts the tail used for the drivers.
TAIL_QUANTILE = 0.9
#: Samples per block: each block draws from its own random streams (a constant: the result for
#: a seed must not depend on how the blocks are chunked or spread over workers).
BLOCK = 1024
#: Equal bins of the loss histogram over (0, 1); a quantile is read to within 1 / (2 BINS).
BINS = 6000
#: Bytes per cell of a chunk's working matrices, samples x (nodes + pairs) (measured before the
#: plan-based propagation; its chunk adds about 7 bytes per cell on the 3x10^5-link network).
CELL_BYTES = 22
#: The same with durations (the time model's stocks, masks and forcing besides; measured: 2.16
#: times the static chunk's peak on a 7x10^4-link generated network, 1,000 samples), used
#: to size the chunk under a memory limit.
TIMED_CELL_BYTES = 48

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

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
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
class MonthsDist:
    """The distribution of a sample's cut duration in months: ``fixed`` (``a``), ``uniform`` on
    ``[a, b)`` or ``triangular`` (low ``a``, mode ``c``, high ``b``)."""

    kind: str
    a: float
    b: float = 0.0
    c: float = 0.0

    def __str__(self) -> str:
        if self.kind == "fixed":
            return f"fixed:{_number(self.a)}"
        if self.kind == "uniform":
            return f"uniform:{_number(self.a)},{_number(self.b)}"
        return f"triangular:{_number(self.a)},{_number(self.c)},{_number(self.b)}"

    @property
    def horizon(self) -> float:
        """The longest duration the distribution can give: every sample's horizon."""
        return self.a if self.kind == "fixed" else self.b

    def draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` durations (nothing is drawn for ``fixed``)."""
        if self.kind == "fixed":
            return np.full(size, self.a, dtype=np.float64)
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b, size)
        return rng.triangular(self.a, self.c, self.b, size)


_MONTHS_FORMS = re.compile(r"^(fixed|uniform|triangular):(.+)$")


def parse_months_dist(value: str | Sequence[Any]) -> MonthsDist:
    """Parse ``fixed:M``, ``uniform:A,B`` or ``triangular:A,C,B`` (or ``("uniform", A, B)``).

    Durations are in months, above 0 and at most :data:`~chokepoint.io.schema.MAX_MONTHS`;
    ``A < B`` and ``A <= C <= B``.

    >>> str(parse_months_dist("uniform:1,12")), parse_months_dist(("fixed", 6)).horizon
    ('uniform:1,12', 6.0)

    Raises
    ------
    ScenarioError
        For another form or durations outside those bounds.
    """
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        match = _MONTHS_FORMS.match(text)
        parts: tuple[Any, ...] = (match.group(1), *match.group(2).split(",")) if match else (text,)
    else:
        parts = tuple(value)
    kind = str(parts[0]) if parts else ""
    try:
        numbers = [float(p) for p in parts[1:]]
    except (TypeError, ValueError):
        numbers = []
    ok = all(math.isfinite(x) and 0 < x <= MAX_MONTHS for x in numbers)
    if ok and kind == "fixed" and len(numbers) == 1:
        return MonthsDist("fixed", numbers[0])
    if ok and kind == "uniform" and len(numbers) == 2 and numbers[0] < numbers[1]:
        return MonthsDist("uniform", numbers[0], numbers[1])
    if ok and kind == "triangular" and len(numbers) == 3:
        low, mode, high = numbers
        if low <= mode <= high and low < high:
            return MonthsDist("triangular", low, high, mode)
    msg = (
        f"months distribution {value!r}: write fixed:M, uniform:A,B (A < B) or triangular:A,C,B "
        f"(A <= C <= B, A < B), in months above 0 and at most {MAX_MONTHS:,} (e.g. uniform:1,12)"
    )
    raise ScenarioError(msg)


@dataclass(frozen=True, slots=True)
class Cumulative:
    """A final product's cumulative loss over the samples (months of output lost): mean and
    quantiles, and ``p_short``, the fraction of samples in which it runs short (TTS not null)."""

    mean: float
    p50: float
    p90: float
    p99: float
    p_short: float


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
    #: With durations (``months_dist``): the cumulative loss; None when unknown or not asked.
    cumulative: Cumulative | None = None


@dataclass(frozen=True, slots=True)
class Driver:
    """An origin (``node`` None: cut at one node or more) or (origin, node) pair and the tail.

    ``probability_cut`` is the fraction of samples in which it was cut, ``mean_loss_if_cut`` the
    mean worst final-product loss over those samples (None when never cut) and ``tail_share`` the
    fraction of tail samples in which it was cut. Both are None when no final product's loss is
    known (``linear`` model, every final product resting on a missing cost share): the tail is
    then unknown, not empty.
    """

    origin: str
    node: str | None
    probability_cut: float
    mean_loss_if_cut: float | None
    tail_share: float | None


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
    tail_threshold: float | None
    assumptions: tuple[str, ...] = ()
    #: Why the tail (threshold, drivers' shares and losses) is unknown; None when it is known.
    tail_unknown: str | None = None
    #: The distribution of the cuts' duration (None: no time model) and the stocks (node, months).
    months_dist: MonthsDist | None = None
    stocks: tuple[tuple[str, float], ...] = ()

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

        With ``months_dist``: ``months_dist``, ``horizon`` (its maximum, months) and ``stocks``
        (``{node: months}``) follow ``severity_dist``, and each final product gains
        ``cumulative`` (``mean``, ``p50``, ``p90``, ``p99`` of its cumulative loss in months of
        output lost, and ``p_short``, the fraction of samples in which it runs short; null
        when its loss is unknown).
        """
        timed: dict[str, Any] = {}
        if self.months_dist is not None:
            timed = {
                "months_dist": str(self.months_dist),
                "horizon": self.months_dist.horizon,
                "stocks": dict(self.stocks),
            }
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "model": self.model,
            "samples": self.samples,
            "seed": self.seed,
            "p_cut": self.p_cut,
            "severity_dist": str(self.severity_dist),
            **timed,
            "final": [
                {
                    "id": f.id,
                    "mean": f.mean,
                    "p50": f.p50,
                    "p90": f.p90,
                    "p99": f.p99,
                    "unknown": f.unknown,
                    **({"cumulative": _cumulative_dict(f.cumulative)} if timed else {}),
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


def _cumulative_dict(c: Cumulative | None) -> dict[str, float] | None:
    if c is None:
        return None
    return {"mean": c.mean, "p50": c.p50, "p90": c.p90, "p99": c.p99, "p_short": c.p_short}


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
    memory_limit: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    months_dist: str | Sequence[Any] | MonthsDist | None = None,
    stocks: Mapping[str, float] | Iterable[str] | None = None,
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
        Seed (>= 0) of the blocks' streams (``SeedSequence(seed, spawn_key=(block, stream))``);
        the same seed gives the same result. None draws a fresh 53-bit seed, reported as the
        result's ``seed`` so that the run can be repeated.
    max_samples
        The ceiling on ``samples``; default :data:`MAX_SAMPLES` (10,000,000), or the environment
        variable ``CHOKEPOINT_MAX_SAMPLES``.
    p_cut
        Probability that each pair is cut in a sample, in [0, 1].
    severity_dist
        ``uniform``, ``fixed:X`` or ``beta:A,B`` (:func:`parse_severity_dist`).
    perspective, model, year
        As for :func:`~chokepoint.core.scenarios.run_scenario`.
    progress
        Called with (samples done, samples) after each chunk (each block with workers).
    chunk
        Most samples propagated at once; fewer on a large chain, whose chunk is bounded by
        :data:`CHUNK_CELLS` cells (samples x (nodes + pairs)). The result does not depend on it.
    memory_limit
        Bytes that the run may add to the compiled chain (its summary, a block's codes and a
        chunk's working matrices); the chunk is made small enough. The result does not depend
        on it.
    workers, scheduler
        Run the blocks on a local dask cluster of ``workers`` processes, or on the
        dask.distributed scheduler at ``scheduler`` (``tcp://host:8786``); needs the ``dask``
        extra. The result is the same as without (with ``months_dist`` too: each block's
        cumulative losses travel with it, 2 bytes per final product and sample).
    months_dist
        The distribution of the cuts' duration in months, ``fixed:M``, ``uniform:A,B`` or
        ``triangular:A,C,B`` (:func:`parse_months_dist`): one duration :math:`T` per sample,
        shared by all its cuts; each sample then also runs the time model
        (:func:`~chokepoint.core.timeline.timeline`, exactly) over the horizon
        :math:`H = \max T`, and each final product gains its cumulative loss
        :math:`\mathrm{CL}_f \in [0, H]` (:class:`Cumulative`).
    stocks
        With ``months_dist``: stocks in months of normal use by node (``{node: months}`` or
        texts ``node=months``), overriding the chain's ``stock_months``.

    Returns
    -------
    MonteCarloResult
        Final-product statistics, ranked drivers and the tail threshold :math:`\mathrm{P90}(L)`.

    Raises
    ------
    ScenarioError
        For a bad sample count (or one above the ceiling), probability, distribution or model,
        a memory limit below what the summary needs, or a chain without a named foreign origin
        to cut.
    SettingError
        For a ``CHOKEPOINT_MAX_SAMPLES`` that is not a whole number.
    DistributedError
        When dask is not installed or the scheduler cannot be reached.

    Notes
    -----
    Memory: the histograms, finals x (:data:`BINS` + 2) counts of one byte each (the few cells
    above 255 keep their carries apart, 16 bytes each), 8 bytes per sample for :math:`L`, with
    workers the loss codes of the blocks in flight (2 bytes per final product and sample), and a
    chunk's working matrices, about :data:`CELL_BYTES` bytes per sample and node or pair
    (:data:`TIMED_CELL_BYTES` with durations, whose cumulative losses add a second set of
    histograms and 2 bytes per final product and sample of a block). The cut indicators are never kept:
    the drivers' counts over the tail, known only once every sample is drawn, replay the
    indicators' stream of each block for the tail samples alone (each sample's draws start at
    a place of its own, :class:`_Cuts`; PCG64 jumps over the others).

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
            "distribution; workers=N or scheduler=ADDRESS spread a call over a dask cluster "
            "(docs/distributed.md)"
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
    months = (
        None
        if months_dist is None
        else months_dist
        if isinstance(months_dist, MonthsDist)
        else parse_months_dist(months_dist)
    )
    if months is None and stocks is not None:
        msg = "stocks need a months distribution (months_dist=..., --months-dist)"
        raise ScenarioError(msg)
    engine = _engine(chain, perspective, year, model)
    held: FloatArray | None = None
    given: dict[str, float] = {}
    if months is not None:
        from ..io.forms import parse_stock
        from .timeline import stock_vector

        if isinstance(stocks, Mapping):
            given = dict(stocks)
        elif stocks is not None:
            given = dict(parse_stock(text) for text in stocks)
        held = stock_vector(engine.compiled, given)
        engine = replace(engine, timed=_timed(engine.compiled))
    count = len(engine.origins)
    if not count:
        msg = (
            f"chain '{chain.name}' has no named foreign origin to cut from {engine.perspective}'s "
            "point of view; nothing to sample"
        )
        raise ScenarioError(msg)
    width = _width(engine, samples, chunk, memory_limit, timed=months is not None)
    draw = _Draw(seed, samples, p_cut, dist, width, months, held)
    summary = _Summary(engine, samples)
    if months is not None:
        summary.time = _Summary(engine, samples, tail=False, scale=months.horizon)
    if workers is None and scheduler is None:
        blocks = range(_block_count(samples))
        for block in _blocks(engine, draw, blocks, progress, summary.tally):
            summary.merge(block)
    else:
        from .distributed import map_blocks

        for block in map_blocks(
            _run_blocks, engine, draw, _block_count(samples), workers=workers, scheduler=scheduler
        ):
            summary.merge(block)
            if progress is not None:
                progress(min(samples, (block.index + 1) * BLOCK), samples)

    timed: list[Cumulative | None] = [None] * len(engine.finals)
    if summary.time is not None:
        timed = [
            Cumulative(*stats, short / samples)
            for stats, short in zip(summary.time.stats(), summary.short.tolist(), strict=True)
        ]
    final = tuple(
        FinalStats(n, *stats, cumulative=cumulative)
        if known
        else FinalStats(n, None, None, None, None, engine.unknown.get(n))
        for n, stats, known, cumulative in zip(
            engine.finals, summary.stats(), engine.known.tolist(), timed, strict=True
        )
    )
    worst = summary.worst
    threshold = float(np.quantile(worst, TAIL_QUANTILE))
    tail = (worst >= threshold) & (worst > 0)
    _replay_tail(engine, draw, tail, summary)
    drivers = _drivers(engine, summary, samples, int(tail.sum()))
    tail_unknown = None
    if len(engine.finals) and not engine.known.any():  # no known final loss: no known tail
        tail_unknown = (
            "every final product's loss rests on inputs without a cost share (linear model), "
            "so the tail and the drivers' losses are unknown"
        )
        drivers = tuple(replace(d, mean_loss_if_cut=None, tail_share=None) for d in drivers)
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
    stocked: tuple[tuple[str, float], ...] = ()
    if months is not None and held is not None:
        stocked = tuple(
            (engine.compiled.nodes[n], float(held[n])) for n in np.flatnonzero(held).tolist()
        )
        assumptions += [
            f"each sample's cuts all last the same duration, drawn from {months} months; "
            f"horizon {months.horizon:g} months (its maximum)",
            "stocks are not refilled within the horizon",
            *(f"stock of {node} = {value:g} months (assumed)" for node, value in given.items()),
        ]
        if not stocked:
            assumptions.append("no node holds a stock: the loss starts when the disruption does")
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
        None if tail_unknown else threshold,
        tuple(assumptions),
        tail_unknown,
        months,
        stocked,
    )


def _own_pairs(c: Compiled, origins: Sequence[str]) -> bool:
    """Whether a cut of each origin at a node reaches that node's pair of the origin alone
    (no origin is a standard region whose members are keys too): the time model may then take
    the samples' cut matrix as it is (``timeline(pair_cuts=...)``) instead of a ``Cut`` per
    cut, with the same result."""
    return all(c.members(o) == {o} for o in set(origins))


def _block_count(samples: int) -> int:
    return -(-samples // BLOCK)


def _width(
    engine: _Engine, samples: int, chunk: int, memory_limit: int | None, *, timed: bool = False
) -> int:
    """Samples per chunk: at most ``chunk``, :data:`CHUNK_CELLS` cells, and ``memory_limit``
    (counted at :data:`TIMED_CELL_BYTES` per cell with durations; without a limit the chunk is
    the static one's: fewer samples per chunk cost more time steps than the memory they save)."""
    cells = engine.size + len(engine.origins)
    cell_bytes = TIMED_CELL_BYTES if timed else CELL_BYTES
    width = max(1, min(chunk, (TIMED_CHUNK_CELLS if timed else CHUNK_CELLS) // cells))
    if memory_limit is None:
        return width
    finals = len(engine.finals)
    fixed = (
        finals * (BINS + 2)  # the histograms' low bytes
        + 16 * finals * (samples // 256 + 1)  # their carries, at most
        + samples * 8  # L of every sample
        + finals * min(samples, BLOCK) * 2  # a block's codes
        + 16 * (len(engine.origins) + len(engine.origin_names) + finals)  # running totals
    )
    if timed:  # the cumulative losses' histograms, a block's codes and its counts of shortages
        fixed += finals * (BINS + 2) + 16 * finals * (samples // 256 + 1)
        fixed += finals * min(samples, BLOCK) * 2 + 32 * finals
    room = (memory_limit - fixed) // (cell_bytes * cells)
    if room < 1:
        need = fixed + cell_bytes * cells
        msg = (
            f"memory limit of {memory_limit:,} bytes ({memory_limit / 1e6:.3g} MB) is below the "
            f"{need:,} bytes ({need / 1e6:.3g} MB) that "
            f"{samples:,} samples of this chain need at least (a histogram of {BINS + 2:,} counts "
            f"for each of its {finals:,} final products, 8 bytes per sample, and one sample's "
            "working matrices); raise the memory limit"
        )
        raise ScenarioError(msg)
    return int(min(width, room))


@dataclass(frozen=True, slots=True)
class _Draw:
    """What a block needs besides the chain: the seed, the sampling law and the chunk width."""

    seed: int
    samples: int
    p_cut: float
    dist: SeverityDist
    width: int
    months: MonthsDist | None = None
    stocks: FloatArray | None = None

    def duration_stream(self, block: int) -> np.random.PCG64:
        """Block ``block``'s stream of durations (a third stream: the first two are unchanged)."""
        return np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(block, 2)))

    def streams(self, block: int) -> tuple[np.random.PCG64, np.random.PCG64]:
        """Block ``block``'s streams: cut indicators, severities."""
        return (
            np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(block, 0))),
            np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(block, 1))),
        )

    def size(self, block: int) -> int:
        return min(BLOCK, self.samples - block * BLOCK)


def _codes(q: FloatArray) -> npt.NDArray[np.uint16]:
    r"""Each loss's histogram cell: 0 for exactly 0, :data:`BINS` + 1 for exactly 1, else
    :math:`1 + \lfloor q \cdot \mathrm{BINS} \rfloor` (at most :data:`BINS`).

    >>> _codes(np.array([0.0, 1e-9, 0.5, 0.99999, 1.0])).tolist()
    [0, 1, 3001, 6000, 6001]
    """
    scaled = q * BINS
    np.nan_to_num(scaled, copy=False, nan=0.0)
    np.clip(scaled, 0.0, BINS - 1, out=scaled)
    codes = scaled.astype(np.uint16)
    codes += 1
    codes[q <= 0] = 0
    codes[q >= 1] = BINS + 1
    return codes


#: The value that stands for each histogram cell: 0, the bins' midpoints, 1.
_VALUES = np.concatenate([[0.0], (np.arange(BINS) + 0.5) / BINS, [1.0]])


@dataclass(slots=True)
class _Block:
    """The summary of one block of samples, merged into the run's in block order."""

    index: int
    codes: npt.NDArray[np.uint16]
    sums: FloatArray
    low: FloatArray
    high: FloatArray
    worst: FloatArray
    pairs: _Totals
    origins: _Totals
    time: _TimeBlock | None = None


@dataclass(slots=True)
class _TimeBlock:
    """A block's cumulative losses: codes (of CL / H), sums, smallest and largest, shortages."""

    codes: npt.NDArray[np.uint16]
    sums: FloatArray
    low: FloatArray
    high: FloatArray
    short: IntArray


class _Open:
    """A block being drawn: its streams and its summary so far."""

    def __init__(self, engine: _Engine, draw: _Draw, index: int, sink: _Sink | None) -> None:
        _, severities = draw.streams(index)
        size = draw.size(index)
        self.cuts = _Cuts(draw, index, len(engine.origins))
        self.severity_rng = np.random.Generator(severities)
        self.done = 0
        self.sink = sink
        self.horizon = 0.0
        time = None
        if draw.months is not None:
            self.months_rng = np.random.Generator(draw.duration_stream(index))
            self.horizon = draw.months.horizon
            finals = len(engine.finals)
            time = _TimeBlock(
                np.empty((finals, size), dtype=np.uint16),
                np.zeros(finals, dtype=np.float64),
                np.full(finals, np.inf),
                np.full(finals, -np.inf),
                np.zeros(finals, dtype=np.int64),
            )
        self.block = _Block(
            index,
            np.empty((len(engine.finals), 0 if sink else size), dtype=np.uint16),
            np.zeros(len(engine.finals), dtype=np.float64),
            np.full(len(engine.finals), np.inf),
            np.full(len(engine.finals), -np.inf),
            np.empty(size, dtype=np.float64),
            _Totals(len(engine.origins)),
            _Totals(len(engine.origin_names)),
            time,
        )

    def add(
        self,
        engine: _Engine,
        q: FloatArray,
        worst: FloatArray,
        cuts: tuple[IntArray, IntArray],
        course: tuple[FloatArray, FloatArray] | None = None,
    ) -> bool:
        """Add ``q`` (finals x k), the samples' :math:`L` and cuts (samples, from 0, and
        pairs, sample after sample), and with durations their cumulative losses and TTS
        (finals x k each); True once the block is full."""
        b, k = self.block, worst.size
        if b.time is not None and course is not None:
            cumulative, tts = course
            t = b.time
            t.codes[:, self.done : self.done + k] = _codes(cumulative / self.horizon)
            _add_in_order(t.sums, cumulative.T)
            np.minimum(t.low, cumulative.min(axis=1, initial=np.inf), out=t.low)
            np.maximum(t.high, cumulative.max(axis=1, initial=-np.inf), out=t.high)
            t.short += (~np.isnan(tts)).sum(axis=1)
        # the non-zero losses, final after final, each one's samples in order
        flat = np.ascontiguousarray(q).reshape(-1)
        some = flat != 0  # a mask first: np.flatnonzero of floats branches on every value
        where = np.flatnonzero(some)
        values = flat[where]
        count = np.count_nonzero(some.reshape(q.shape), axis=1)
        rows = np.repeat(np.arange(q.shape[0], dtype=np.intp), count)
        codes = _codes(values)
        if self.sink is None:
            where -= rows * k  # the samples
            mine = b.codes[:, self.done : self.done + k]
            mine.fill(0)
            mine[rows, where] = codes
        else:  # the samples, when the histograms need them (more than 255)
            samples = where - rows * k if k > _WRAP else None
            self.sink(rows, samples, codes, k, count)
        _add_nonzero(b.sums, b.low, b.high, rows, values, k, count)
        b.worst[self.done : self.done + k] = worst
        sample, pair = cuts
        b.pairs.add(sample, pair, worst)
        b.origins.add(*_origins_cut(engine.group, len(engine.origin_names), sample, pair, k), worst)
        self.done += k
        return self.done == b.worst.size


def _origins_cut(
    group: IntArray, names: int, sample: IntArray, pair: IntArray, k: int
) -> tuple[IntArray, IntArray]:
    """The origins cut in each of ``k`` samples (an origin is cut when one of its pairs is),
    as (sample, origin), sample after sample, origins in order: from the cuts (``sample``,
    ``pair``) listed sample after sample and each pair's origin ``group``.

    >>> _origins_cut(np.array([0, 1, 0]), 2, np.array([0, 0, 2]), np.array([0, 2, 1]), 3)
    (array([0, 2]), array([0, 1]))
    """
    if pair.size < _PER_SAMPLE * max(1, k):  # few cuts per sample: one count over them all
        hit = np.flatnonzero(np.bincount(sample * names + group[pair], minlength=k * names))
        return hit // names, hit % names
    # many: each sample's origins counted on their own (short counts, no long keys)
    origin = group[pair]
    edges = np.searchsorted(sample, np.arange(k + 1)).tolist()
    hits = [
        np.flatnonzero(np.bincount(origin[edges[j] : edges[j + 1]], minlength=names))
        for j in range(k)
    ]
    every = np.arange(k, dtype=np.intp)
    return np.repeat(every, [h.size for h in hits]), np.concatenate(hits)


def _add_nonzero(
    total: FloatArray,
    low: FloatArray,
    high: FloatArray,
    rows: IntArray,
    values: FloatArray,
    k: int,
    count: IntArray | None = None,
) -> None:
    """Add ``k`` samples of losses, given by their non-zero ``values`` (row ``rows``, the rows
    in order, each row's values in sample order; ``count``: how many in each row, if known),
    to each row's ``total``, ``low`` and ``high``: the same as adding, and taking the least
    and the largest of, the ``k`` values of each row one sample after the other.

    A zero adds nothing (``total`` starts at +0 and never becomes -0, so :math:`t + 0 = t`),
    and ``np.add.at`` adds the values in order; a row with fewer than ``k`` values has a
    zero among its samples.

    >>> t, lo, hi = np.zeros(3), np.full(3, np.inf), np.full(3, -np.inf)
    >>> _add_nonzero(t, lo, hi, np.array([0, 0, 2]), np.array([0.1, 0.2, 0.5]), 2)
    >>> t.tolist(), lo.tolist(), hi.tolist()
    ([0.30000000000000004, 0.0, 0.5], [0.1, 0.0, 0.0], [0.2, 0.0, 0.5])
    """
    np.add.at(total, rows, values)
    if count is None:
        count = np.bincount(rows, minlength=total.size)
    least = np.zeros(total.size, dtype=np.float64)
    most = np.zeros(total.size, dtype=np.float64)
    some = np.flatnonzero(count)
    if some.size:
        starts = np.cumsum(count) - count
        least[some] = np.minimum.reduceat(values, starts[some])
        most[some] = np.maximum.reduceat(values, starts[some])
        full = count == k  # no zero among the row's samples
        np.minimum(least, 0.0, out=least, where=~full)
        np.maximum(most, 0.0, out=most, where=~full)
    np.minimum(low, least, out=low)
    np.maximum(high, most, out=high)


def _add_in_order(total: FloatArray, rows: FloatArray) -> None:
    """Add the rows of ``rows`` to ``total`` one after the other (the order of a plain loop)."""
    step = max(1, _ADD_CELLS // max(1, total.size))
    for start in range(0, rows.shape[0], step):
        part = rows[start : start + step]
        terms = np.empty((part.shape[0] + 1, total.size), dtype=np.float64)
        terms[0] = total
        terms[1:] = part
        total[:] = np.add.accumulate(terms, axis=0)[-1]


#: Where a block's loss codes go as they are drawn (the histograms, in one process), instead of
#: being kept with the block until it is merged: the non-zero codes' rows, columns (None for
#: at most 255 columns) and codes, the number of columns and each row's number of non-zero
#: codes (:meth:`_Summary.tally`).
_Sink = Callable[[IntArray, IntArray | None, npt.NDArray[np.uint16], int, IntArray], None]
#: Samples counted into the one-byte histograms at once: a cell wraps at most once.
_WRAP = 255


def _blocks(
    engine: _Engine,
    draw: _Draw,
    blocks: range,
    progress: Progress | None = None,
    sink: _Sink | None = None,
) -> Iterator[_Block]:
    """Draw, propagate and summarise ``blocks`` in order, ``draw.width`` samples at a time (a
    chunk may end inside a block or span several). With ``sink``, the loss codes go there
    chunk by chunk (counts add in any order) and the blocks carry none.

    A chunk's cuts are a list (sample, pair), sample after sample and pair after pair: the
    indicators of each block's samples from its first stream, then the severities of the cut
    pairs from its second, in that order; the chunk is propagated as one batch on the engine's
    plan (:meth:`_Engine.losses_of`)."""
    count = len(engine.origins)
    position, end = blocks.start * BLOCK, min(blocks.stop * BLOCK, draw.samples)
    current: _Open | None = None
    work: dict[int, FloatArray] = {}
    while position < end:
        size = min(draw.width, end - position)
        parts: list[tuple[_Open, int]] = []
        at = position
        while at < position + size:
            index = at // BLOCK
            if current is None or current.block.index != index:
                current = _Open(engine, draw, index, sink)
            stop = min(position + size, (index + 1) * BLOCK)
            parts.append((current, stop - at))
            at = stop
        # sample-major draws: sample k of a block always takes the same numbers; the cuts
        # listed sample after sample, pair after pair; their severities drawn in that order
        drawn = [o.cuts.next_pairs(k) for o, k in parts]
        for (sample, _), offset in zip(drawn, _offsets(parts), strict=True):
            sample += offset
        sample = drawn[0][0] if len(drawn) == 1 else np.concatenate([d[0] for d in drawn])
        pair = drawn[0][1] if len(drawn) == 1 else np.concatenate([d[1] for d in drawn])
        del drawn
        edges = np.searchsorted(sample, [*_offsets(parts), size])
        severity = np.concatenate(
            [
                draw.dist.draw(o.severity_rng, (int(edges[j + 1] - edges[j]),))
                for j, (o, _) in enumerate(parts)
            ]
        )
        if size not in work:  # the working matrices of a chunk this wide, kept for the next
            work.clear()
            work[size] = np.empty((engine.size, size))
        q = engine.losses_of(sample, pair, severity, size, work[size])  # finals x samples
        course = None
        if draw.months is not None:
            kappa = np.zeros((size, count), dtype=np.float64)
            kappa[sample, pair] = severity
            durations = np.concatenate([draw.months.draw(o.months_rng, k) for o, k in parts])
            course = engine.course(kappa, durations, draw)
            del kappa
        del severity
        worst = (
            (q if engine.known.all() else q[engine.known]).max(axis=0)
            if engine.known.any()
            else np.zeros(size)
        )
        for j, ((o, k), offset) in enumerate(zip(parts, _offsets(parts), strict=True)):
            window = slice(offset, offset + k)
            part = None if course is None else (course[0][:, window], course[1][:, window])
            mine = slice(int(edges[j]), int(edges[j + 1]))
            cuts = (sample[mine] - offset, pair[mine])
            if o.add(engine, q[:, window], worst[window], cuts, part):
                yield o.block
        del sample, pair, q
        position += size
        if progress is not None:
            progress(position, draw.samples)


def _draws_per_sample(pairs: int, p: float) -> int:
    r"""The uniforms each sample takes from its block's first stream: :math:`D = \min(\mathrm{
    pairs} + 1, \lceil \mathrm{pairs}\, p + 8 \sqrt{\mathrm{pairs}\, p (1 - p)} + 16
    \rceil)`, the cuts expected and eight standard deviations besides (``pairs + 1`` always
    suffice: each gap is at least 1).

    >>> _draws_per_sample(166_726, 0.1), _draws_per_sample(4, 0.5)
    (17669, 5)
    """
    return min(pairs + 1, math.ceil(pairs * p + 8 * math.sqrt(pairs * p * (1 - p)) + 16))


#: Where sample ``k``'s continuation starts in its block's fourth stream (``k`` times this).
_CONTINUATION = 1 << 40
#: Uniforms per sample from which a sample's cuts are counted row by row (fewer: their places
#: in the window are found and divided by the uniforms per sample).
_LONG_ROWS = 256
#: Uniform draws made at once (a window of samples is drawn in parts of about this size).
_DRAW_CELLS = 1 << 20


class _Cuts:
    r"""A block's cut indicators, drawn as the gaps between cuts.

    Each pair of a sample is cut with probability :math:`p`, independently: the cut pairs are
    :math:`t_i = t_{i-1} + G_i` from :math:`t_0 = -1` while :math:`t_i < \mathrm{pairs}`, with
    gaps :math:`G_i = 1 + \lfloor \ln(1 - U_i) / \ln(1 - p) \rfloor` (geometric on
    :math:`\{1, 2, \dots\}`, :math:`P(G > g) = (1 - p)^g`: the inversion method [3]_), one
    uniform double :math:`U_i` each. Sample :math:`k` of a block takes the :math:`D` uniforms
    (:func:`_draws_per_sample`) from draw :math:`k D` of the block's first stream, and in the
    rare case that they end inside the sample, goes on from draw :math:`k \cdot 2^{40}` of its
    fourth stream (``spawn_key=(b, 3)``). :math:`p = 0` cuts nothing and
    :math:`p = 1` every pair, with no draw. A sample's cuts depend on the seed, its block and
    its place in the block alone: the chunks drawn, and the tail samples drawn again
    (:func:`_replay_tail`), jump to it (PCG64's ``advance``).
    """

    def __init__(self, draw: _Draw, block: int, pairs: int) -> None:
        self.bits, _ = draw.streams(block)
        self.rng = np.random.Generator(self.bits)
        self.draw, self.block, self.p, self.pairs = draw, block, draw.p_cut, pairs
        self.size = draw.size(block)
        self.per = _draws_per_sample(pairs, self.p)
        self.log = math.log1p(-self.p) if 0 < self.p < 1 else 0.0
        #: Uniforms drawn from the first stream so far; the next sample :meth:`next` draws.
        self.at = 0
        self.sample = 0

    def next(self, samples: int) -> IntArray:
        """The cut positions (``sample x pairs + pair``, from the first) of the next
        ``samples`` samples of the block."""
        sample, pair = self.next_pairs(samples)
        sample *= self.pairs
        sample += pair
        return sample

    def next_pairs(self, samples: int) -> tuple[IntArray, IntArray]:
        """The cuts (sample, from the first, and pair) of the next ``samples`` samples of the
        block, sample after sample, in pair order."""
        k = min(samples, self.size - self.sample)
        found = self.pairs_of(self.sample, k)
        self.sample += k
        return found

    def window(self, first: int, samples: int) -> IntArray:
        """The cut positions of samples ``first`` to ``first + samples - 1`` of the block,
        from sample ``first``'s first pair, sample after sample, in pair order."""
        sample, pair = self.pairs_of(first, samples)
        sample *= self.pairs
        sample += pair
        return sample

    def pairs_of(self, first: int, samples: int) -> tuple[IntArray, IntArray]:
        """The cuts (sample, from ``first``, and pair) of samples ``first`` to ``first +
        samples - 1`` of the block, sample after sample, in pair order."""
        pairs, per = self.pairs, self.per
        if self.p <= 0 or not samples:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if self.p >= 1:
            every = np.arange(samples, dtype=np.int64)
            return np.repeat(every, pairs), np.tile(np.arange(pairs, dtype=np.int64), samples)
        found: list[tuple[IntArray, IntArray]] = []
        continued = False
        rows = max(1, _DRAW_CELLS // per)
        for top in range(first, first + samples, rows):
            k = min(rows, first + samples - top)
            self.bits.advance(top * per - self.at)
            gaps = self.rng.random((k, per))
            self.at = (top + k) * per
            steps = self._steps(gaps)
            inside = steps < pairs
            if per >= _LONG_ROWS:  # each row's cuts counted, its sample repeated
                count = np.count_nonzero(inside, axis=1)
                ahead = np.arange(top - first, top - first + k, dtype=np.int64)
                found.append((np.repeat(ahead, count), steps[inside]))
            else:  # many short rows: the cuts' places, divided
                where = np.flatnonzero(inside)
                found.append((where // per + (top - first), steps.reshape(-1)[where]))
            for row in np.flatnonzero(steps[:, -1] < pairs).tolist():  # rare: more cuts
                more = self._continue(top + row, int(steps[row, -1]))
                found.append((np.full(more.size, top + row - first, dtype=np.int64), more))
                continued = True
        if len(found) == 1:
            return found[0]
        sample = np.concatenate([f[0] for f in found])
        pair = np.concatenate([f[1] for f in found])
        if continued:  # a continuation's cuts among the others (positions are distinct)
            order = np.argsort(sample * pairs + pair, kind="stable")
            sample, pair = sample[order], pair[order]
        return sample, pair

    def _steps(self, gaps: FloatArray) -> IntArray:
        """Each row's cut positions from its uniforms (gaps clipped to the pairs)."""
        np.subtract(1.0, gaps, out=gaps)  # exact: U on a grid of 2^-53, 1 - U in (0, 1]
        np.log(gaps, out=gaps)
        gaps /= self.log
        np.minimum(gaps, float(self.pairs), out=gaps)  # a gap past the sample ends it
        # the floors (the ratios are >= 0), summed along each row (into a new array: a cast
        # or an output in place makes numpy buffer the sum, twice as slow)
        steps = np.cumsum(gaps.astype(np.int64), axis=1)
        steps += np.arange(steps.shape[1], dtype=np.int64)  # the sum of (gap + 1), less 1
        return steps

    def _continue(self, sample: int, last: int) -> IntArray:
        """The cuts of ``sample`` after position ``last``, from its block's fourth stream."""
        bits = np.random.PCG64(np.random.SeedSequence(self.draw.seed, spawn_key=(self.block, 3)))
        bits.advance(sample * _CONTINUATION)
        rng = np.random.Generator(bits)
        found = []
        while last < self.pairs:
            steps = self._steps(rng.random((1, self.per)))[0] + (last + 1)
            found.append(steps[steps < self.pairs])
            last = int(steps[-1])
        return np.concatenate(found)


def _offsets(parts: Sequence[tuple[_Open, int]]) -> list[int]:
    """Where each part of a chunk starts (its first sample's column)."""
    starts = [0]
    for _, k in parts[:-1]:
        starts.append(starts[-1] + k)
    return starts


def _run_blocks(engine: _Engine, draw: _Draw, first: int, stop: int) -> list[_Block]:
    """The summaries of blocks ``first`` to ``stop - 1`` (a task of the distributed mode)."""
    return list(_blocks(engine, draw, range(first, stop)))


#: Cells of a block of histogram rows handled at once (counted, or searched for quantiles).
_SUMMARY_CELLS = 1 << 22
#: Loss codes counted at once (:meth:`_Summary._add`): their histogram bytes stay in cache.
_TALLY_CELLS = 1 << 13
#: Numbers below this fit a 32-bit signed integer (the quantiles' cumulative counts, when small).
_INT32_ROOM = 2**31
#: Carries pending before they are folded into the sorted ones (or more, as many as there are).
_CARRY_PENDING = 1 << 16


class _Summary:
    """The run's summary: blocks merged in block order."""

    def __init__(
        self, engine: _Engine, samples: int, *, tail: bool = True, scale: float = 1.0
    ) -> None:
        finals = len(engine.finals)
        self.samples = samples
        #: The histograms cover values / ``scale`` (the cumulative losses: the horizon).
        self.scale = scale
        #: With durations: the cumulative losses' summary, and the shortages' counts.
        self.time: _Summary | None = None
        self.short = np.zeros(finals, dtype=np.int64)
        # each count is hist + 256 x carry: a byte per cell, and the few cells above 255 kept
        # apart (sorted cell numbers and their carries), so that the histograms take a byte
        # per cell whatever the samples
        self.hist = np.zeros((finals, BINS + 2), dtype=np.uint8)
        self.carry_cells = np.zeros(0, dtype=np.int64)
        self.carry = np.zeros(0, dtype=np.int64)
        self.pending: list[tuple[IntArray, IntArray]] = []
        self.pending_size = 0
        self.sums = np.zeros(finals, dtype=np.float64)
        self.low = np.full(finals, np.inf)
        self.high = np.full(finals, -np.inf)
        self.worst = np.empty(samples if tail else 0, dtype=np.float64)
        self.pairs = _Totals(len(engine.origins))
        self.origins = _Totals(len(engine.origin_names))
        self.next = 0

    def merge(self, block: _Block) -> None:
        """Add the next block (blocks come in order: the float sums are formed in that order)."""
        if block.index != self.next:  # pragma: no cover - a bug, not an input
            msg = f"block {block.index} merged out of order (expected {self.next})"
            raise AssertionError(msg)
        self.next += 1
        self.sums += block.sums
        np.minimum(self.low, block.low, out=self.low)
        np.maximum(self.high, block.high, out=self.high)
        start = block.index * BLOCK
        self.worst[start : start + block.worst.size] = block.worst
        for mine, theirs in ((self.pairs, block.pairs), (self.origins, block.origins)):
            mine.cut += theirs.cut
            mine.loss += theirs.loss
        self.count(block.codes)
        if self.time is not None and block.time is not None:
            t = block.time
            self.time.sums += t.sums
            np.minimum(self.time.low, t.low, out=self.time.low)
            np.maximum(self.time.high, t.high, out=self.time.high)
            self.time.count(t.codes)
            self.short += t.short

    def count(self, codes: npt.NDArray[np.uint16]) -> None:
        """Add loss codes (finals x samples) to the histograms (:meth:`tally` of the non-zero
        ones)."""
        rows, columns = np.nonzero(codes)
        self.tally(rows, columns, codes[rows, columns], codes.shape[1])

    def tally(
        self,
        rows: IntArray,
        columns: IntArray | None,
        codes: npt.NDArray[np.uint16],
        samples: int,
        count: IntArray | None = None,
    ) -> None:
        """Add ``samples`` loss codes of every final product to the histograms, given by the
        cells ``codes`` of final products ``rows`` in samples ``columns`` (every other code is
        0, a loss of exactly 0; ``columns`` may be None for at most 255 samples; ``count``:
        how many are given for each final product, if known).

        Each code adds 1 to its cell's low byte in place (``np.add.at``, wrapping at 256);
        at most 255 samples at a time, so a cell wraps at most once, exactly when its byte
        comes out below what it was, and then carries 1. The losses of exactly 0 (the atom)
        are counted per final product, one addition per row. The cost follows the non-zero
        codes counted, not the size of the histograms.
        """
        if columns is None and samples > _WRAP:  # pragma: no cover - a bug, not an input
            msg = f"the columns of {samples} samples are needed"
            raise AssertionError(msg)
        width = BINS + 2
        flat = self.hist.reshape(-1)
        cells = np.arange(self.hist.shape[0], dtype=np.intp) * width
        for left in range(0, samples, _WRAP):
            part = min(_WRAP, samples - left)
            if part < samples and columns is not None:  # (columns given: see above)
                mine = (columns >= left) & (columns < left + part)
                at, found = rows[mine], codes[mine]
                given = np.bincount(at, minlength=cells.size)
            else:
                at, found = rows, codes
                given = np.bincount(at, minlength=cells.size) if count is None else count
            zeros = part - given
            self._add(flat, cells, zeros.astype(np.uint8), unique=True)
            keys = at * width
            keys += found
            self._add(flat, keys, np.uint8(1), unique=False)
        if self.pending_size > max(_CARRY_PENDING, self.carry.size):
            self._settle()

    def _add(
        self,
        flat: npt.NDArray[np.uint8],
        cells: IntArray,
        counts: npt.NDArray[np.uint8] | np.uint8,
        *,
        unique: bool,
    ) -> None:
        """Add ``counts`` (each below 256, in total at most 255 per cell) to the low bytes of
        ``cells``; a byte that comes out below what it was wrapped once: its carry waits.

        Without ``unique``, :data:`_TALLY_CELLS` cells at a time: the bytes read before the
        addition are still in the processor's cache when they are added to and read again (a
        cell listed in two pieces still wraps once at most, in the piece that takes it past
        255)."""
        step = max(1, cells.size) if unique else _TALLY_CELLS
        found = [cells[:0]]
        for top in range(0, cells.size, step):
            part = cells[top : top + step]
            before = flat[part]
            if unique:
                flat[part] = before + counts
            else:
                np.add.at(flat, part, counts)
            found.append(part[flat[part] < before])
        wrapped = found[-1] if len(found) <= 2 else np.concatenate(found)
        if not unique:
            wrapped = np.unique(wrapped)
        if wrapped.size:
            self.pending.append((wrapped, np.ones(wrapped.size, dtype=np.int64)))
            self.pending_size += wrapped.size

    def _settle(self) -> None:
        """Fold the pending carries into the sorted ones."""
        if not self.pending:
            return
        cells = np.concatenate([self.carry_cells, *(c for c, _ in self.pending)])
        carry = np.concatenate([self.carry, *(v for _, v in self.pending)])
        self.carry_cells, where = np.unique(cells, return_inverse=True)
        self.carry = np.bincount(where, weights=carry).astype(np.int64)
        self.pending, self.pending_size = [], 0

    def counts(
        self,
        top: int,
        stop: int,
        dtype: type[np.signedinteger[Any]] = np.int64,
        columns: int = BINS + 2,
    ) -> npt.NDArray[np.signedinteger[Any]]:
        """The counts of final products ``top`` to ``stop - 1`` (rows x cells), as ``dtype``
        (which must hold the samples), in ``columns`` columns (the cells, then zeros)."""
        self._settle()
        width = BINS + 2
        rows = self.hist[top:stop]
        out = np.zeros((rows.shape[0], columns), dtype=dtype)
        out[:, :width] = rows
        first, last = np.searchsorted(self.carry_cells, [top * width, stop * width])
        cells = self.carry_cells[first:last] - top * width
        carried = (self.carry[first:last] << 8).astype(dtype)
        out[cells // width, cells % width] += carried
        return out

    def stats(self) -> list[tuple[float, float, float, float]]:
        r"""Mean, P50, P90 and P99 of each final product.

        The quantile :math:`p` of :math:`n` samples is numpy's linear one, :math:`x_{(j)} + g
        (x_{(j+1)} - x_{(j)})` with :math:`h = (n - 1) p`, :math:`j = \lfloor h \rfloor`, :math:`g
        = h - j` (order statistics from 0), each order statistic replaced by the value of the
        histogram cell that holds it (:data:`_VALUES`, times :attr:`scale`; the cell is found
        by :func:`_order_cells`), moved into the final product's smallest and largest loss when
        outside them (so a loss that never varies is exact).
        """
        values = _VALUES * self.scale
        n = self.samples
        means = (self.sums / n).tolist()
        ranks: list[tuple[int, int, float]] = []
        for p in (0.5, 0.9, 0.99):
            h = (n - 1) * p
            j = math.floor(h)
            ranks.append((j, min(j + 1, n - 1), h - j))
        columns: list[list[float]] = []
        padded = -(-(BINS + 2) // _GROUP) * _GROUP
        step = max(1, _SUMMARY_CELLS // padded)
        dtype: type[np.signedinteger[Any]] = np.int32 if n < _INT32_ROOM else np.int64
        for top in range(0, self.hist.shape[0], step):
            counts = self.counts(top, top + step, dtype, padded)
            floor = self.low[top : top + step]
            ceiling = self.high[top : top + step]
            cells = _order_cells(counts, [r for j, k, _ in ranks for r in (j, k)], n)
            part = []
            for i, (_, _, g) in enumerate(ranks):
                low = np.clip(values[cells[2 * i]], floor, ceiling)
                high = np.clip(values[cells[2 * i + 1]], floor, ceiling)
                part.append(low + g * (high - low))
            columns.append(np.column_stack(part).tolist() if part[0].size else [])
        rows = [row for block in columns for row in block]
        return [(m, *r) for m, r in zip(means, rows, strict=True)]  # type: ignore[misc]


#: Cells of a group in :func:`_order_cells`.
_GROUP = 64


def _order_cells(
    counts: npt.NDArray[np.signedinteger[Any]], ranks: Sequence[int], n: int
) -> list[IntArray]:
    """For each rank :math:`j` (from 0) and each row of ``counts`` (rows x cells, the cells
    a multiple of :data:`_GROUP`; each row's counts add up to ``n``), the cell that holds
    order statistic :math:`j`: the first whose cumulative count exceeds :math:`j`.

    The cells are taken :data:`_GROUP` at a time: the groups' cumulative counts (row
    :math:`r`'s shifted by :math:`r (n + 1)`, so that every row's follow one another in one
    sorted array) are searched once for all rows for the group, then that group's cells are
    summed in turn. The same cell as one cumulative sum over every cell, with a sum over
    every cell only in groups.

    >>> c = np.zeros((2, 128), dtype=np.int64)
    >>> c[0, [3, 70]] = 2, 1
    >>> c[1, 127] = 3
    >>> [cells.tolist() for cells in _order_cells(c, [0, 1, 2], 3)]
    [[3, 127], [3, 127], [70, 127]]
    """
    rows = counts.shape[0]
    groups = counts.shape[1] // _GROUP
    sums = counts.reshape(rows, groups, _GROUP).sum(axis=2, dtype=counts.dtype)
    ends = np.cumsum(sums, axis=1, dtype=np.int64)  # the cumulative count at each group's end
    shift = np.arange(rows, dtype=np.int64) * (n + 1)
    flat = (ends + shift[:, None]).reshape(-1)
    start = np.arange(rows, dtype=np.int64) * groups
    every = np.arange(rows)
    found = []
    for j in ranks:
        group = np.searchsorted(flat, shift + j, side="right") - start
        before = np.where(group > 0, ends[every, np.maximum(group - 1, 0)], 0)
        cells = group[:, None] * _GROUP + np.arange(_GROUP)
        inside = np.cumsum(counts[every[:, None], cells], axis=1, dtype=np.int64)
        inside += before[:, None]
        found.append(group * _GROUP + np.argmax(inside > j, axis=1))
    return found


def _replay_tail(engine: _Engine, draw: _Draw, tail: BoolArray, summary: _Summary) -> None:
    """Count the cuts of the tail samples, drawing their indicators again from their blocks.

    Each block's tail samples are drawn again (:class:`_Cuts`: a sample's draws start at a
    place of its own), in windows of at most ``draw.width`` samples; a gap between tail
    samples inside a window is drawn through when shorter than :data:`_JUMP_DRAWS` draws.
    """
    count = len(engine.origins)
    names = len(engine.origin_names)
    for index in range(_block_count(draw.samples)):
        mine = tail[index * BLOCK : (index + 1) * BLOCK]
        if not mine.any():
            continue
        cuts = _Cuts(draw, index, count)
        for start, stop in _windows(np.flatnonzero(mine), draw.width, cuts.per):
            k = stop - start
            sample, pair = cuts.pairs_of(start, k)
            keep = mine[start:stop][sample]
            sample, pair = sample[keep], pair[keep]
            summary.pairs.tail += np.bincount(pair, minlength=count)
            _, origin = _origins_cut(engine.group, names, sample, pair, k)
            summary.origins.tail += np.bincount(origin, minlength=names)


#: A gap between tail samples is jumped over (not drawn through) from this many draws.
_JUMP_DRAWS = 4096


def _windows(rows: IntArray, width: int, per: int) -> Iterator[tuple[int, int]]:
    """Windows ``[start, stop)`` of at most ``width`` samples covering the samples ``rows``.

    A gap of fewer than :data:`_JUMP_DRAWS` draws (``per`` per sample) stays inside a window:
    drawing it costs less than another window.

    >>> list(_windows(np.array([0, 1, 5, 9000]), 4, 100))
    [(0, 4), (4, 6), (9000, 9001)]
    """
    jumps = np.flatnonzero((np.diff(rows) - 1) * per >= _JUMP_DRAWS) + 1
    for group in np.split(rows, jumps):
        first, last = int(group[0]), int(group[-1]) + 1
        for start in range(first, last, width):
            yield start, min(start + width, last)


def _drivers(
    engine: _Engine, summary: _Summary, samples: int, tail_count: int
) -> tuple[Driver, ...]:
    """Origins, then pairs, each ranked by tail share, then mean loss if cut (descending),
    then origin and node (the drivers are put in order by ``np.lexsort`` on the same keys,
    then built)."""

    def build(origins: Sequence[str], nodes: Sequence[str | None], t: _Totals) -> list[Driver]:
        cut = t.cut.astype(np.float64)  # exact: counts below 2^53
        share = t.tail / tail_count if tail_count else np.zeros(cut.size)
        mean = np.divide(t.loss, cut, out=np.zeros(cut.size), where=t.cut > 0)
        keys = [np.array([n or "" for n in nodes], dtype=str), np.array(origins, dtype=str)]
        order = np.lexsort([*keys, -mean, -share]).tolist() if cut.size else []
        counts, losses, tails = t.cut.tolist(), t.loss.tolist(), t.tail.tolist()
        return [
            Driver(
                origins[i],
                nodes[i],
                counts[i] / samples,
                losses[i] / counts[i] if counts[i] else None,
                tails[i] / tail_count if tail_count else 0.0,
            )
            for i in order
        ]

    names = engine.origin_names
    return tuple(
        build(names, [None] * len(names), summary.origins)
        + build(engine.origins, engine.pair_nodes, summary.pairs)
    )


@dataclass(frozen=True, slots=True)
class _Engine:
    r"""The compiled chain, reduced to what a run needs (sent once to each worker).

    :meth:`losses` maps ``pairs x S`` cuts :math:`\kappa` (pairs in :attr:`origins` order) to
    the ``finals x S`` final-product losses.
    """

    compiled: Compiled
    model: LossModel
    perspective: str
    assumptions: tuple[str, ...]
    size: int
    origins: Sequence[str]
    pair_nodes: Sequence[str]
    finals: Sequence[str]
    others: Sequence[str]
    known: BoolArray
    unknown: dict[str, str]
    origin_names: Sequence[str]
    order: IntArray
    starts: IntArray
    #: Each pair's origin (a position in :attr:`origin_names`).
    group: IntArray
    #: The final products' rows in the plan's order.
    final_rows: IntArray
    #: With durations: the compiled chain without its regions, so that a cut of a region key
    #: at a node reaches that key alone (a pair, as the static samples cut it).
    timed: Compiled | None = None
    #: The propagation's plan, built once per run (:func:`~chokepoint.core.propagate.plan`).
    plan: Plan | None = None

    def course(
        self, kappa: FloatArray, durations: FloatArray, draw: _Draw
    ) -> tuple[FloatArray, FloatArray]:
        r"""The cumulative loss and TTS (``finals x S``) of the samples ``kappa`` (``S x
        pairs``), sample :math:`s`'s cuts all lasting ``durations[s]`` months, over the
        horizon :math:`H`: one :func:`~chokepoint.core.timeline.timeline` batch, exact."""
        from ..core.scenarios import Scenario
        from .timeline import timeline

        if self.timed is None or draw.months is None or draw.stocks is None:  # pragma: no cover
            msg = "the time model was not set up"
            raise AssertionError(msg)
        origins, nodes = self.origins, self.pair_nodes
        horizons = np.full(len(kappa), draw.months.horizon)
        timed = self.timed
        if _own_pairs(timed, origins):  # the matrix as it is, no Cut object per cut
            batch = timeline(
                timed,
                [Scenario()] * len(kappa),
                draw.stocks,
                horizons,
                self.model,
                curves=False,
                check=False,
                pair_cuts=(np.ascontiguousarray(kappa.T), durations),
            )
            return batch.cumulative, batch.tts
        scenarios = []
        for row, months in zip(kappa, durations.tolist(), strict=True):
            hit = np.flatnonzero(row > 0)
            cuts = (Cut(origins[p], float(row[p]), (nodes[p],), months) for p in hit.tolist())
            scenarios.append(Scenario(cuts=tuple(cuts)))
        batch = timeline(
            timed, scenarios, draw.stocks, horizons, self.model, curves=False, check=False
        )
        return batch.cumulative, batch.tts

    def losses_of(
        self,
        sample: IntArray,
        pair: IntArray,
        severity: FloatArray,
        width: int,
        out: FloatArray | None = None,
    ) -> FloatArray:
        """The ``finals x width`` losses of the cuts listed (sample, pair, severity); ``out``:
        a ``nodes x width`` matrix to work in (the import losses, then the losses over them)."""
        c = self.compiled
        imports = cut_imports(c, pair, sample, severity, width, plan=self.plan, out=out, gross=True)
        q, _ = propagate(
            c,
            imports,
            None,
            self.model,
            plan=self.plan,
            ordered=True,
            out=imports,
            domestic=False,
            gross=True,
        )
        finals: FloatArray = q[self.final_rows]
        return finals


def _engine(chain: Chain, perspective: str | None, year: int | None, model: LossModel) -> _Engine:
    """Compile the chain once (the garbage collector paused: many objects, none garbage)."""
    from .._gc import paused

    with paused():
        c = compile_chain(chain, perspective, year)
    unknown = _unknown_finals(c, model)
    steps = plan(c, model)
    index: dict[str, int] = {}
    group = np.array([index.setdefault(o, len(index)) for o in c.pair_origin], dtype=np.intp)
    order = np.argsort(group, kind="stable")
    return _Engine(
        c,
        model,
        c.perspective,
        c.assumptions,
        c.size,
        c.pair_origin,
        [c.nodes[r] for r in c.pair_row.tolist()],
        c.final_ids(),
        [c.nodes[n] for n in np.flatnonzero(c.known & (c.other > 0)).tolist()],
        ~np.isin(np.arange(c.finals.size), list(unknown)),
        {c.nodes[int(c.finals[j])]: reason for j, reason in unknown.items()},
        list(index),
        order,
        np.searchsorted(group[order], np.arange(len(index))),
        group,
        steps.position[c.finals],
        plan=steps,
    )


def _timed(c: Compiled) -> Compiled:
    """The compiled chain with no regions: a cut names one share key (see :class:`_Engine`)."""
    return replace(c, chain=replace(c.chain, regions={}))


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


#: Cells of a block of rows added at once in order (:func:`_add_in_order`).
_ADD_CELLS = 1 << 16


#: Drivers cut per sample from which :meth:`_Totals.add` adds sample by sample.
_PER_SAMPLE = 256


class _Totals:
    """Running totals of a set of drivers: samples cut, sum of :math:`L` over them, tail cuts."""

    def __init__(self, size: int) -> None:
        self.cut = np.zeros(size, dtype=np.int64)
        self.loss = np.zeros(size, dtype=np.float64)
        self.tail = np.zeros(size, dtype=np.int64)

    def add(self, sample: IntArray, driver: IntArray, worst: FloatArray) -> None:
        """Count a chunk's cuts (``driver`` cut in ``sample``, listed sample after sample, a
        driver at most once per sample); add each sample's :math:`L` to the drivers cut in it.

        The losses are added sample after sample (``np.add.at`` works through the list in
        order; with many drivers per sample, one ``np.add.at`` of the sample's :math:`L` per
        sample), as one sum over every sample would add them, so the totals (and the means) do
        not depend on the chunks; a zero adds nothing and is skipped.
        """
        self.cut += np.bincount(driver, minlength=self.cut.size)
        if driver.size >= _PER_SAMPLE * max(1, worst.size):
            # many drivers per sample: one addition per sample, its drivers distinct
            edges = np.searchsorted(sample, np.arange(worst.size + 1)).tolist()
            for k in np.flatnonzero(worst > 0).tolist():
                np.add.at(self.loss, driver[edges[k] : edges[k + 1]], worst[k])
            return
        loss = worst[sample]
        some = loss > 0
        np.add.at(self.loss, driver[some], loss[some])
