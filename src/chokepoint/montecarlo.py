r"""Monte Carlo disruptions: random independent origin cuts, propagated in vectorised batches.

Each sample cuts every (origin, node) pair of the chain independently: origin :math:`c` stops
delivering a fraction :math:`\kappa(c, n)` of its supply of node :math:`n`, where

.. math::

    \kappa(c, n) = B_{cn} K_{cn}, \qquad B_{cn} \sim \mathrm{Bernoulli}(p), \qquad
    K_{cn} \sim F \ (\text{uniform on } [0, 1),\ \text{a fixed value, or } \mathrm{Beta}(a, b))

all independent. The pairs are the named foreign origin keys of each node (``other`` is never
cut; a region used as a share key is one origin). The cuts are propagated with the disruption
model of :mod:`chokepoint.scenarios` (vectorised by :mod:`chokepoint.batch`), and the
final-product losses :math:`q_f` summarised by their mean and quantiles (numpy's default linear
interpolation, Hyndman and Fan's definition 7 [1]_).

Drivers: with :math:`L = \max_f q_f` the sample's worst final-product loss (the measure of a
choke point's ``impact``) and the tail :math:`T = \{L \ge \mathrm{P90}(L),\ L > 0\}`, each pair
(and each origin, cut at one node or more) reports the fraction of samples in which it was cut,
:math:`E[L \mid \text{cut}]` and :math:`P(\text{cut} \mid T)`, the share of tail samples in which
it was cut.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .batch import BoolArray, FloatArray, Plan, pairs_import, propagate_batch
from .errors import ScenarioError
from .model import OTHER, Chain
from .scenarios import MODELS, LossModel, prepare

__all__ = [
    "DEFAULT_CHUNK",
    "DEFAULT_P_CUT",
    "Driver",
    "FinalStats",
    "MonteCarloResult",
    "SeverityDist",
    "parse_severity_dist",
    "run_montecarlo",
]

#: Probability that each (origin, node) pair is cut in a sample (a stress-test default).
DEFAULT_P_CUT = 0.1
#: Samples propagated per batch: the working memory is about (2 nodes + 3 pairs) x 8 bytes x chunk.
DEFAULT_CHUNK = 16_384
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
    """A final product's loss over the samples: mean and quantiles."""

    id: str
    mean: float
    p50: float
    p90: float
    p99: float


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
                {"id": f.id, "mean": f.mean, "p50": f.p50, "p90": f.p90, "p99": f.p99}
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


def run_montecarlo(
    chain: Chain,
    samples: int,
    seed: int | None,
    *,
    p_cut: float = DEFAULT_P_CUT,
    severity_dist: str | Sequence[Any] | SeverityDist = "uniform",
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
    progress: Progress | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> MonteCarloResult:
    r"""Sample random independent origin cuts and summarise the final-product losses.

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
        Number of samples (>= 1).
    seed
        Seed (>= 0) of ``numpy.random.default_rng``; the same seed gives the same result. None
        draws a fresh 53-bit seed, reported as the result's ``seed`` so that the run can be
        repeated.
    p_cut
        Probability that each pair is cut in a sample (default 0.1, a stress test).
    severity_dist
        ``uniform`` (on [0, 1)), ``fixed:X``, ``beta:A,B``, or ``("beta", A, B)``.
    perspective, model, year
        As for :func:`~chokepoint.scenarios.run_scenario`.
    progress
        Called with (samples done, samples) after each chunk.
    chunk
        Samples propagated at once (memory bound; the result does not depend on it).

    Returns
    -------
    MonteCarloResult
        Final-product statistics, ranked drivers and the tail threshold :math:`\mathrm{P90}(L)`.

    Raises
    ------
    ScenarioError
        For a bad sample count, probability, distribution or model, or a chain without a
        named foreign origin to cut.

    Notes
    -----
    Memory: a chunk's working matrices (about (2 nodes + 3 pairs) x 8 bytes per sample), plus
    what the summary needs over all samples: the final-product losses (8 bytes per final product
    and sample) and the cut indicators (1 byte per pair and sample).

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = run_montecarlo(load_chain("robots"), 1000, seed=1, p_cut=1.0,
    ...                         severity_dist="fixed:1")
    >>> [round(f.mean, 4) for f in result.final]
    [0.94, 0.94, 0.94]
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        msg = f"samples must be a whole number >= 1, not {samples!r}"
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
    if model not in MODELS:
        msg = f"unknown model '{model}'; choose one of {', '.join(MODELS)}"
        raise ScenarioError(msg)
    dist = (
        severity_dist
        if isinstance(severity_dist, SeverityDist)
        else parse_severity_dist(severity_dist)
    )
    prepared = prepare(chain, perspective, year)
    plan = Plan.build(prepared)
    pairs = plan.pairs
    if not pairs:
        msg = (
            f"chain '{chain.name}' has no named foreign origin to cut from {prepared.perspective}'s "
            "point of view; nothing to sample"
        )
        raise ScenarioError(msg)
    rng = np.random.default_rng(seed)
    cut_rng, severity_rng = rng.spawn(2)

    finals = plan.finals
    losses = np.empty((len(finals), samples), dtype=np.float64)
    cuts: BoolArray = np.empty((samples, len(pairs)), dtype=np.bool_)
    done = 0
    while done < samples:
        size = min(chunk, samples - done)
        # sample-major draws: sample k always takes the same numbers, whatever the chunk size
        cut = cut_rng.random((size, len(pairs))) < p_cut
        severity = dist.draw(severity_rng, (size, len(pairs)))
        kappa = np.ascontiguousarray(np.where(cut, severity, 0.0).T)
        q = propagate_batch(plan, pairs_import(plan, kappa), None, model)
        losses[:, done : done + size] = q[finals]
        cuts[done : done + size] = cut
        done += size
        if progress is not None:
            progress(done, samples)

    final = tuple(
        FinalStats(plan.nodes[row], *_summary(losses[k])) for k, row in enumerate(finals.tolist())
    )
    worst = losses.max(axis=0) if len(finals) else np.zeros(samples, dtype=np.float64)
    threshold = float(np.quantile(worst, TAIL_QUANTILE))
    tail = (worst >= threshold) & (worst > 0)
    drivers = _drivers(pairs, cuts, worst, tail)
    assumptions = list(prepared.assumptions)
    others = [n for n, s in prepared.splits.items() if s.other > 0]
    if others:
        assumptions.append(
            f"`{OTHER}` shares (unnamed foreign origins) are never cut: {', '.join(others)}"
        )
    regions = sorted({c for c, _ in pairs if c in chain.regions})
    if regions:
        assumptions.append(
            f"a region used as a share key is one origin, cut independently of its members' "
            f"keys: {', '.join(regions)}"
        )
    return MonteCarloResult(
        chain.name,
        prepared.perspective,
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


def _summary(values: FloatArray) -> tuple[float, float, float, float]:
    p50, p90, p99 = np.quantile(values, [0.5, 0.9, 0.99]).tolist()
    return float(np.mean(values)), p50, p90, p99


def _drivers(
    pairs: list[tuple[str, str]], cuts: BoolArray, worst: FloatArray, tail: BoolArray
) -> tuple[Driver, ...]:
    tail_count = int(tail.sum())

    def driver(origin: str, node: str | None, hit: BoolArray) -> Driver:
        count = int(hit.sum())
        mean = float(worst[hit].mean()) if count else None
        share = int((hit & tail).sum()) / tail_count if tail_count else 0.0
        return Driver(origin, node, count / len(worst), mean, share)

    def rank(d: Driver) -> tuple[float, float, str, str]:
        return (-d.tail_share, -(d.mean_loss_if_cut or 0.0), d.origin, d.node or "")

    def cut_in(columns: list[int]) -> BoolArray:
        return np.asarray(cuts[:, columns].any(axis=1), dtype=np.bool_)

    by_origin: dict[str, list[int]] = {}
    for p, (origin, _) in enumerate(pairs):
        by_origin.setdefault(origin, []).append(p)
    origins = [driver(c, None, cut_in(ps)) for c, ps in by_origin.items()]
    singles = [driver(c, n, cut_in([p])) for p, (c, n) in enumerate(pairs)]
    return tuple(sorted(origins, key=rank) + sorted(singles, key=rank))
