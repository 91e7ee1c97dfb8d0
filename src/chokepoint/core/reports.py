"""Trends over years, stage economics and source usage: result objects for `trend`, `stages`, `sources`.

* ``trend``: for every node with ``history``, the dependence :math:`D_n(y) = 1 - s_n^{(y)}(P)` and
  top foreign supplier in each year with figures (the node's own year included).
* ``stages``: per stage, the node count, the mean and maximum dependence over nodes with shares,
  the choke points (as :func:`chokepoint.core.analysis.analyze` flags them) and the chain's
  ``stage_data`` figures by period, so that where the money goes can be set beside where the
  dependence is.
* ``sources``: every source with the figures that cite it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import AnalysisError
from ..model import Chain
from .analysis import Analysis, analyze
from .compiled import OriginSplit, Supply, resolve_perspective, split_shares
from .metrics import direct_metrics

__all__ = [
    "SourceUse",
    "SourcesResult",
    "StageRow",
    "StagesResult",
    "TrendResult",
    "TrendRow",
    "sources",
    "stages",
    "trend",
]

_FIGURES = ("rd_intensity", "subsidy_intensity", "subsidy_amount", "amount_unit", "profit_margin")


@dataclass(frozen=True, slots=True)
class TrendRow:
    """A node's dependence and top supplier in one year."""

    node: str
    year: int
    dependence: float
    top_supplier: str | None
    top_share: float | None


@dataclass(frozen=True, slots=True)
class TrendResult:
    """Rows of ``chokepoint trend``, by node then year."""

    chain: str
    perspective: str
    rows: tuple[TrendRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"chain", "perspective", "rows": [{"node", "year", "dependence", "top_supplier", "top_share"}]}``."""
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "rows": [
                {
                    "node": r.node,
                    "year": r.year,
                    "dependence": r.dependence,
                    "top_supplier": r.top_supplier,
                    "top_share": r.top_share,
                }
                for r in self.rows
            ],
        }


def trend(chain: Chain, node: str | None = None, perspective: str | None = None) -> TrendResult:
    """Dependence and top supplier per year for every node with ``history`` (or one node).

    The function behind ``chokepoint trend``.

    Raises
    ------
    AnalysisError
        For an unknown node, a node without history, or a chain without any history.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> rows = trend(load_chain("robots"), "reducers").rows
    >>> [(r.year, round(r.dependence, 2)) for r in rows]
    [(2014, 0.89), (2018, 0.72)]
    """
    who, keys, _ = resolve_perspective(chain, perspective)
    ids = [n.id for n in chain.nodes]
    if node is not None and node not in ids:
        from ..io.check import Suggester

        close = Suggester(ids)(node[:200])
        hint = f"; did you mean '{close}'?" if close else f" (nodes: {', '.join(ids)})"
        msg = f"unknown node '{node}' in chain '{chain.name}'{hint}"
        raise AnalysisError(msg)
    with_history = [n for n in chain.nodes if n.history and (node is None or n.id == node)]
    if not with_history:
        have = [n.id for n in chain.nodes if n.history]
        what = f"node '{node}' has" if node else f"chain '{chain.name}' has"
        hint = f" (nodes with history: {', '.join(have)})" if have else ""
        msg = f"{what} no history: trends need figures for more than one year{hint}"
        raise AnalysisError(msg)
    cells: list[tuple[str, int, OriginSplit]] = []
    for n in with_history:
        series = dict(n.history)
        if n.shares is not None:
            series.setdefault(n.year or chain.year, n.shares)
        cells.extend((n.id, year, split_shares(series[year], keys)) for year in sorted(series))
    table = Supply.of(tuple(f"{n}@{y}" for n, y, _ in cells), tuple(s for _, _, s in cells))
    direct = direct_metrics(table)
    tops, shares = direct.top.tolist(), direct.top_share.tolist()
    rows = [
        TrendRow(
            n,
            year,
            split.dependence,
            table.pair_origin[tops[k]] if tops[k] >= 0 else None,
            shares[k] if tops[k] >= 0 else None,
        )
        for k, (n, year, split) in enumerate(cells)
    ]
    return TrendResult(chain.name, who, tuple(rows))


@dataclass(frozen=True, slots=True)
class StageRow:
    """One stage: its nodes, dependence, choke points and economic figures by period."""

    stage: str
    nodes: int
    mean_dependence: float | None
    max_dependence: float | None
    chokepoints: tuple[str, ...]
    data: dict[str, dict[str, Any]]
    possible_chokepoints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StagesResult:
    """Rows of ``chokepoint stages``, in stage order."""

    chain: str
    perspective: str
    stages: tuple[StageRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"chain", "perspective", "stages": [{"stage", "nodes", "mean_dependence", ...}]}``.

        Each stage: ``stage``, ``nodes``, ``mean_dependence``, ``max_dependence``,
        ``chokepoints``, ``possible_chokepoints`` (ids, ranked as by ``analyze``) and ``data``.
        """
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "stages": [
                {
                    "stage": s.stage,
                    "nodes": s.nodes,
                    "mean_dependence": s.mean_dependence,
                    "max_dependence": s.max_dependence,
                    "chokepoints": list(s.chokepoints),
                    "possible_chokepoints": list(s.possible_chokepoints),
                    "data": s.data,
                }
                for s in self.stages
            ],
        }


def stages(
    chain: Chain | Analysis, *, perspective: str | None = None, year: int | None = None
) -> StagesResult:
    r"""Per stage: node count, mean and max dependence, choke points and ``stage_data`` by period.

    The function behind ``chokepoint stages``.

    .. math:: \bar D_s = \frac{1}{|N_s|} \sum_{n \in N_s} D_n, \qquad \max_{n \in N_s} D_n

    over the nodes :math:`N_s` of stage :math:`s` that have shares (None when none has).
    ``data`` maps each period to its figures, with ``source`` and ``estimate``; entries of the
    same period are merged.

    Parameters
    ----------
    chain
        A chain (analysed for ``perspective`` and ``year``), or an analysis already made (then
        ``perspective`` and ``year`` must be None).

    Raises
    ------
    AnalysisError
        For a bad perspective, or a perspective or year given with an analysis.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> [(row.stage, row.nodes) for row in stages(load_chain("robots")).stages][:2]
    [('materials', 3), ('upstream', 10)]
    """
    if isinstance(chain, Analysis):
        if perspective is not None or year is not None:
            msg = "an analysis has its perspective and year already; give the chain instead"
            raise AnalysisError(msg)
        result = chain
    else:
        result = analyze(chain, perspective=perspective, year=year)
    chain = result.chain
    rows = []
    for stage in chain.stages:
        nodes = [n for n in result.nodes if n.stage == stage]
        known = [n.dependence for n in nodes if n.dependence is not None]
        data: dict[str, dict[str, Any]] = {}
        for figure in (f for f in chain.stage_data if f.stage == stage):
            entry = data.setdefault(figure.period, {"source": [], "estimate": False, "notes": []})
            for key in _FIGURES:
                value = getattr(figure, key)
                if value is not None:
                    entry[key] = value
            entry["source"] = sorted({*entry["source"], *figure.source})
            entry["estimate"] = entry["estimate"] or figure.estimate
            if figure.note:
                entry["notes"].append(figure.note)
        rows.append(
            StageRow(
                stage=stage,
                nodes=len(nodes),
                mean_dependence=sum(known) / len(known) if known else None,
                max_dependence=max(known) if known else None,
                chokepoints=tuple(n.id for n in result.chokepoints() if n.stage == stage),
                data=dict(sorted(data.items())),
                possible_chokepoints=tuple(
                    n.id for n in result.possible_chokepoints() if n.stage == stage
                ),
            )
        )
    return StagesResult(chain.name, result.perspective, tuple(rows))


@dataclass(frozen=True, slots=True)
class SourceUse:
    """A source and the figures that cite it (``nodes[reducers].shares``, ``stage_data.upstream``)."""

    id: str
    citation: str
    url: str | None
    supports: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourcesResult:
    """The sources of a chain with what each supports (``chokepoint sources``)."""

    chain: str
    sources: tuple[SourceUse, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"chain", "sources": [{"id", "citation", "url", "supports"}]}``."""
        return {
            "chain": self.chain,
            "sources": [
                {"id": u.id, "citation": u.citation, "url": u.url, "supports": list(u.supports)}
                for u in self.sources
            ],
        }


def sources(chain: Chain) -> SourcesResult:
    """Every source of the chain with what it supports, in definition order.

    The function behind ``chokepoint sources``.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = sources(load_chain("robots"))
    >>> result.chain, len(result.sources) > 0
    ('robots', True)
    """
    uses: dict[str, list[str]] = {sid: [] for sid in chain.sources}
    for node in chain.nodes:
        what = [
            key
            for key, present in (
                ("shares", node.shares is not None),
                ("history", bool(node.history)),
                ("suppliers", bool(node.suppliers)),
            )
            if present
        ] or ["note"]
        for sid in node.source:
            uses[sid].append(f"{node.id} ({', '.join(what)})")
    for figure in chain.stage_data:
        for sid in figure.source:
            uses[sid].append(f"stage_data {figure.stage} {figure.period}")
    return SourcesResult(
        chain.name,
        tuple(
            SourceUse(s.id, s.citation(), s.url, tuple(uses[s.id])) for s in chain.sources.values()
        ),
    )
