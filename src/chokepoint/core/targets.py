r"""Policy targets measured against a chain's figures: today's value, trend, and what would remain.

A target (``targets:`` in a chain file) says that the perspective's share of the supply of each
of its nodes, :math:`d_n = s_n(P)`, should reach :math:`v` by year :math:`Y`. For every node:

- **today**: :math:`d_n` in the year of the node's figures. It is unknown (``None``, with the
  reason) when the shares leave part of the supply unattributed and do not name the perspective:
  the unattributed rest may be domestic, so :math:`d_n` lies between 0 and that rest.
- **trend**: the least-squares line :math:`\hat d(t) = \bar d + b (t - \bar t)` through the
  years with a known :math:`d_n` (``history`` and the node's own year), slope

  .. math:: b = \frac{\sum_t (t - \bar t)(d_t - \bar d)}{\sum_t (t - \bar t)^2},

  and the first whole year the line reaches :math:`v`,
  :math:`\lceil \bar t + (v - \bar d) / b \rceil` when :math:`b > 0`. Fewer than two such years
  give no trend; a flat or falling line never reaches the target.
- **if met**: the chain re-analysed with every node of the target at :math:`v` where it is below:
  the domestic shares scaled up to total :math:`v`, everything else (named origins, ``other``
  and the unattributed rest) scaled by :math:`(1 - v) / (1 - d_n)`, so foreign origins keep their
  proportions. The choke points of that chain are those that would remain.

References
----------
.. [1] Japan Science and Technology Agency (2025), *Policies, Key Industries and Science,
       Technology and Innovation underlying China's Science and Technology Power Strategy*,
       ch. 4 (IC domestic production rate, Table 4-4; the "Made in China 2025 Technology
       Roadmap" targets) and ch. 5 (70% self-sufficiency in core robot components by 2025).
.. [2] Montgomery, D. C., Peck, E. A. and Vining, G. G. (2012), *Introduction to Linear
       Regression Analysis*, 5th ed., Wiley, ch. 2 (least-squares line).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import AnalysisError
from ..model import Chain, Node, Target
from .analysis import analyze

__all__ = [
    "NodeProgress",
    "TargetResult",
    "TargetsResult",
    "domestic_share",
    "impose",
    "linear_trend",
    "targets",
]

#: Shares within this of 1 leave nothing unattributed (the loader's rounding tolerance is wider).
_WHOLE = 1e-9


@dataclass(frozen=True, slots=True)
class NodeProgress:
    """One node of a target: today's value, its trend and where it stands.

    ``status`` is ``met`` (today's value reaches the target), ``on track`` (the trend reaches it
    by the target year), ``behind`` (later), ``off track`` (the trend is flat or falling),
    ``no trend`` (fewer than two years with a known value) or ``unknown`` (no value today).
    """

    id: str
    year: int | None
    value: float | None
    unknown: str | None
    trend_years: tuple[int, ...]
    trend_per_year: float | None
    reaches_in: int | None
    status: str

    def gap(self, target: float) -> float | None:
        """How far today's value is below the target (0 when met; None when unknown)."""
        return None if self.value is None else round(max(0.0, target - self.value), 12)


@dataclass(frozen=True, slots=True)
class TargetResult:
    """A target with its nodes' progress and the choke points today and if it were met."""

    target: Target
    nodes: tuple[NodeProgress, ...]
    chokepoints_now: tuple[str, ...]
    chokepoints_if_met: tuple[str, ...]
    not_applied: Mapping[str, str]

    @property
    def removed(self) -> tuple[str, ...]:
        """Choke points today that meeting the target would clear."""
        kept = set(self.chokepoints_if_met)
        return tuple(n for n in self.chokepoints_now if n not in kept)


@dataclass(frozen=True, slots=True)
class TargetsResult:
    """Every target of a chain (or one), as ``chokepoint targets`` shows them."""

    chain: str
    perspective: str
    targets: tuple[TargetResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"chain", "perspective", "targets": [{"name", "title", "measure", "value", "year",
        "source", "note", "nodes": [...], "chokepoints_now", "chokepoints_if_met", "removed",
        "not_applied"}]}``; unknown figures are null with the reason in ``unknown``."""
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "targets": [
                {
                    "name": r.target.name,
                    "title": r.target.title,
                    "measure": r.target.measure,
                    "value": r.target.value,
                    "year": r.target.year,
                    "source": list(r.target.source),
                    "note": r.target.note,
                    "nodes": [
                        {
                            "id": n.id,
                            "year": n.year,
                            "value": n.value,
                            "gap": n.gap(r.target.value),
                            "unknown": n.unknown,
                            "trend_years": list(n.trend_years),
                            "trend_per_year": n.trend_per_year,
                            "reaches_in": n.reaches_in,
                            "status": n.status,
                        }
                        for n in r.nodes
                    ],
                    "chokepoints_now": list(r.chokepoints_now),
                    "chokepoints_if_met": list(r.chokepoints_if_met),
                    "removed": list(r.removed),
                    "not_applied": dict(r.not_applied),
                }
                for r in self.targets
            ],
        }


def domestic_share(
    shares: Mapping[str, float] | None, domestic_keys: Collection[str]
) -> tuple[float | None, str | None]:
    """The perspective's share :math:`d = \\sum_{k \\in P} s(k)`, or None with the reason.

    Shares summing above 1 (within the loader's tolerance) are divided by their sum first, as
    every metric does. The share is unknown when no domestic key is given and part of the
    supply is unattributed: that part may be domestic.

    Examples
    --------
    >>> domestic_share({"CN": 0.28, "JP": 0.614}, {"CN"})
    (0.28, None)
    >>> domestic_share({"JP": 0.6, "DE": 0.4}, {"CN"})  # the whole supply is foreign
    (0.0, None)
    >>> domestic_share({"JP": 0.37, "DE": 0.57}, {"CN"})[1]
    'the shares do not give the domestic share and leave 0.06 unattributed (the domestic share is between 0 and 0.06)'
    """
    if shares is None:
        return None, "no shares known for this node"
    total = sum(shares.values())
    scale = 1.0 / total if total > 1.0 else 1.0
    if not any(k in shares for k in domestic_keys) and total < 1.0 - _WHOLE:
        rest = 1.0 - total
        return None, (
            f"the shares do not give the domestic share and leave {rest:.2g} unattributed "
            f"(the domestic share is between 0 and {rest:.2g})"
        )
    return min(1.0, scale * sum(v for k, v in shares.items() if k in domestic_keys)), None


def linear_trend(points: Mapping[int, float]) -> tuple[float, float, float] | None:
    """The least-squares line through ``{year: value}``: ``(mean year, mean value, slope)``.

    None for fewer than two years.

    Examples
    --------
    >>> linear_trend({2014: 0.11, 2018: 0.28})  # slope (0.28 - 0.11) / 4
    (2016.0, 0.195, 0.0425)
    """
    if len(points) < 2:
        return None
    years = sorted(points)
    t_mean = sum(years) / len(years)
    d_mean = sum(points[t] for t in years) / len(years)
    sxx = sum((t - t_mean) ** 2 for t in years)
    sxy = sum((t - t_mean) * (points[t] - d_mean) for t in years)
    return t_mean, round(d_mean, 15), round(sxy / sxx, 15)


def _reaches(line: tuple[float, float, float], value: float) -> int | None:
    """The first whole year the line is at least ``value`` (None when it never gets there)."""
    t_mean, d_mean, slope = line
    if slope <= 0:
        return None
    return math.ceil(round(t_mean + (value - d_mean) / slope, 9))


def impose(
    shares: Mapping[str, float], domestic_keys: Collection[str], perspective: str, value: float
) -> dict[str, float]:
    r"""The shares with the domestic share raised to ``value`` (unchanged when it is already).

    Domestic keys scale up to total :math:`v` (the perspective's key takes all of it when none
    is given); every other key, ``other`` included, and the unattributed rest scale by
    :math:`(1 - v) / (1 - d)`.

    Examples
    --------
    >>> new = impose({"CN": 0.28, "JP": 0.614, "DE": 0.06}, {"CN"}, "CN", 0.7)
    >>> {k: round(v, 6) for k, v in new.items()}  # JP 0.614 * 0.3 / 0.72, DE 0.06 * 0.3 / 0.72
    {'CN': 0.7, 'JP': 0.255833, 'DE': 0.025}
    """
    total = sum(shares.values())
    if total > 1.0:
        shares = {k: v / total for k, v in shares.items()}
    domestic = sum(v for k, v in shares.items() if k in domestic_keys)
    if domestic >= value:
        return dict(shares)
    foreign = (1.0 - value) / (1.0 - domestic)
    out: dict[str, float] = {perspective: value} if domestic == 0.0 else {}
    for key, share in shares.items():
        if key not in domestic_keys:
            out[key] = share * foreign
        elif domestic > 0.0:
            out[key] = share * value / domestic
    return out


def _progress(node: Node, target: Target, keys: Collection[str], chain_year: int) -> NodeProgress:
    year = node.year or chain_year if node.shares is not None else None
    value, unknown = domestic_share(node.shares, keys)
    series = dict(node.history)
    if node.shares is not None and year is not None:
        series[year] = node.shares
    points: dict[int, float] = {}
    for t, shares in series.items():
        known, _ = domestic_share(shares, keys)
        if known is not None:
            points[t] = known
    line = linear_trend(points)
    reaches = _reaches(line, target.value) if line else None
    if value is None:
        status = "unknown"
    elif value >= target.value:
        status = "met"
        reaches = None
    elif line is None:
        status = "no trend"
    elif reaches is None:
        status = "off track"
    else:
        status = "on track" if reaches <= target.year else "behind"
    return NodeProgress(
        id=node.id,
        year=year,
        value=value,
        unknown=unknown,
        trend_years=tuple(sorted(points)),
        trend_per_year=line[2] if line else None,
        reaches_in=reaches,
        status=status,
    )


def targets(chain: Chain, name: str | None = None) -> TargetsResult:
    """Each target of the chain (or the one named): progress per node, and choke points if met.

    The function behind ``chokepoint targets``. Targets are the chain perspective's goals, so
    they are measured from that perspective and the chain's year.

    Raises
    ------
    AnalysisError
        When the chain has no targets, or ``name`` is not one of them.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> r = targets(load_chain("semiconductors"), "ic-production-2030").targets[0]
    >>> n = r.nodes[0]
    >>> n.id, n.value, n.status, n.reaches_in
    ('ics', 0.256, 'behind', 2052)
    """
    if not chain.targets:
        msg = (
            f"chain '{chain.name}' states no targets; add a `targets:` section (see "
            "docs/chain-format.md) with the goal's nodes, measure, value, year and source"
        )
        raise AnalysisError(msg)
    chosen = list(chain.targets.values())
    if name is not None:
        if name not in chain.targets:
            close = difflib.get_close_matches(name, list(chain.targets), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            msg = (
                f"unknown target '{name}' in chain '{chain.name}' ({hint}targets: "
                f"{', '.join(chain.targets)})"
            )
            raise AnalysisError(msg)
        chosen = [chain.targets[name]]
    keys = chain.members(chain.perspective)
    now = tuple(n.id for n in analyze(chain).chokepoints())
    results: list[TargetResult] = []
    for target in chosen:
        progress = tuple(
            _progress(chain.node(node_id), target, keys, chain.year) for node_id in target.nodes
        )
        not_applied: dict[str, str] = {}
        nodes = list(chain.nodes)
        where = {n.id: k for k, n in enumerate(nodes)}
        for node_id in target.nodes:
            node = chain.node(node_id)
            if node.shares is None:
                not_applied[node_id] = "no shares known for this node"
                continue
            nodes[where[node_id]] = replace(
                node, shares=impose(node.shares, keys, chain.perspective, target.value)
            )
        met = analyze(replace(chain, nodes=tuple(nodes)))
        results.append(
            TargetResult(
                target=target,
                nodes=progress,
                chokepoints_now=now,
                chokepoints_if_met=tuple(n.id for n in met.chokepoints()),
                not_applied=not_applied,
            )
        )
    return TargetsResult(chain.name, chain.perspective, tuple(results))
