r"""Dependence, concentration and propagated exposure: pure functions over the chain graph.

For a perspective economy :math:`P` and a node :math:`n` with origin shares :math:`s_n(c)`
(named origins, ``other`` for known foreign origins not named, and an unattributed remainder
:math:`r_n = 1 - \sum_c s_n(c)`), inputs :math:`i` with cost shares :math:`w_{ni}`:

.. math::

    D_n = 1 - s_n(P), \qquad
    \mathrm{HHI}_n = \sum_{c \ne \mathrm{other}} s_n(c)^2, \qquad
    \mathrm{HHI}^{imp}_n = \sum_{c \notin \{P, \mathrm{other}\}} \left(\frac{s_n(c)}{D_n}\right)^2

.. math::

    X_n(c) = s_n(c) + s_n(P) \sum_i w_{ni} X_i(c), \qquad
    T_n = D_n + s_n(P) \sum_i w_{ni} T_i

Formulas, conventions and references are in ``docs/methodology.md``.

References
----------
.. [1] European Commission (2021), "Strategic dependencies and capacities", SWD(2021) 352.
.. [2] Miller, R. E. and Blair, P. D. (2009), *Input-Output Analysis*, 2nd ed., Cambridge UP, ch. 2.
.. [3] Center for Security and Emerging Technology (2022), ETO Supply Chain Explorer,
       methodology ("countries to 75%").
.. [4] Kvalseth, T. O. (2018), "Relationship between concentration ratio and Herfindahl-Hirschman
       index: a re-examination based on majorization theory", *Heliyon* 4(10), e00846,
       doi:10.1016/j.heliyon.2018.e00846.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import AnalysisError
from ..model import OTHER
from .graph import COST_SHARE, SHARES

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "OriginSplit",
    "components_in_order",
    "countries_to_75",
    "exposure",
    "hhi",
    "import_hhi",
    "import_hhi_max",
    "split_shares",
    "top_supplier",
]

#: Tolerance used when comparing cumulative shares and pivots.
EPS = 1e-12


@dataclass(frozen=True, slots=True)
class OriginSplit:
    """A node's supply split from the perspective's point of view.

    ``domestic`` is :math:`s_n(P)` (the perspective's key plus, for a region, its members);
    ``foreign`` the named foreign origins; ``other`` the known-foreign unnamed share;
    ``unattributed`` the remainder. ``known`` is False for a node without shares, which counts
    as fully domestic in propagation.
    """

    domestic: float
    foreign: Mapping[str, float]
    other: float
    unattributed: float
    known: bool = True

    @property
    def dependence(self) -> float:
        r"""Import dependence :math:`D_n = 1 - s_n(P)`."""
        return 1.0 - self.domestic


def split_shares(shares: Mapping[str, float] | None, domestic_keys: Collection[str]) -> OriginSplit:
    """Split origin shares into domestic, named foreign, ``other`` and unattributed parts.

    Examples
    --------
    >>> s = split_shares({"CN": 0.28, "JP": 0.65, "other": 0.05}, {"CN"})
    >>> round(s.dependence, 2), dict(s.foreign), round(s.unattributed, 2)
    (0.72, {'JP': 0.65}, 0.02)
    """
    if shares is None:
        return OriginSplit(1.0, {}, 0.0, 0.0, known=False)
    domestic = sum(v for k, v in shares.items() if k in domestic_keys)
    foreign = {k: v for k, v in shares.items() if k not in domestic_keys and k != OTHER}
    other = shares.get(OTHER, 0.0)
    unattributed = max(0.0, 1.0 - sum(shares.values()))
    return OriginSplit(min(domestic, 1.0), foreign, other, unattributed)


def hhi(split: OriginSplit) -> float:
    r"""Herfindahl-Hirschman index of the named origins, the perspective counted as one origin.

    .. math:: \mathrm{HHI}_n = s_n(P)^2 + \sum_{c\ \mathrm{named\ foreign}} s_n(c)^2

    ``other`` and the unattributed remainder are excluded (they are not single suppliers).

    >>> hhi(split_shares({"CN": 0.28, "JP": 0.65, "other": 0.05}, {"CN"}))  # doctest: +ELLIPSIS
    0.5009...
    """
    return split.domestic**2 + sum(v * v for v in split.foreign.values())


def import_hhi(split: OriginSplit) -> float:
    r"""Concentration of the import sources: :math:`\sum_c (s_n(c)/D_n)^2`, 0 when :math:`D_n = 0`.

    The sum runs over named foreign origins; ``other`` and the unattributed remainder stay in
    :math:`D_n` but add nothing to the sum, so fragmented or unknown imports lower the index.
    The EU's dependency screening uses 0.4 as the threshold of high concentration [1]_.

    >>> round(import_hhi(split_shares({"CN": 0.28, "JP": 0.65, "other": 0.05}, {"CN"})), 4)
    0.815
    """
    dependence = split.dependence
    if dependence <= EPS:
        return 0.0
    return sum((v / dependence) ** 2 for v in split.foreign.values())


def import_hhi_max(
    split: OriginSplit,
    *,
    low: float | None = None,
    top: tuple[str | None, float | None] | None = None,
) -> tuple[float, str | None]:
    r"""The largest import HHI the figures allow, and the origin that would take the unknown share.

    :func:`import_hhi` counts only named foreign origins, so it is the *lowest* concentration
    consistent with a node whose ``other`` share :math:`o_n` or unattributed remainder
    :math:`r_n` is not zero (those shares spread over countless small origins). The highest is
    reached when the unknown shares are as concentrated as the figures allow: ``other`` (foreign
    origins not named at the node) in one economy, and the remainder (any foreign origin) with the
    largest of the named foreign origins or of ``other``. With :math:`f_c` the named foreign shares
    and :math:`m_n = \max(\max_c f_c, o_n)`:

    .. math::

        \mathrm{HHI}^{imp,max}_n = \frac{\sum_c f_c^2 + o_n^2 + r_n^2 + 2\, r_n m_n}{D_n^2}

    (0 when :math:`D_n = 0`). The sum of squares is convex, so its maximum over the ways of
    splitting :math:`o_n` and :math:`r_n` lies at a corner: all of each in one origin; adding
    :math:`r_n` to the largest share raises it most. The index equals :func:`import_hhi` when
    every foreign share is named. Bounding a Herfindahl index from partly known shares follows
    Kvalseth (2018) [4]_.

    Returns ``(bound, origin)``: ``origin`` is the named foreign origin that would take the
    remainder, ``"other"`` when ``other``'s economy would, None when nothing is unknown. ``low``
    and ``top`` may pass :func:`import_hhi` and :func:`top_supplier` when already computed.

    >>> s = split_shares({"CN": 0.22, "JP": 0.218, "EUROPE": 0.203}, {"CN"})
    >>> bound, via = import_hhi_max(s)
    >>> round(bound, 4), via
    (0.615, 'JP')
    >>> import_hhi_max(split_shares({"CN": 0.3, "other": 0.7}, {"CN"}))
    (1.0, 'other')
    """
    dependence = split.dependence
    if dependence <= EPS:
        return 0.0, None
    low = import_hhi(split) if low is None else low
    other, rest = split.other, split.unattributed
    if other <= EPS and rest <= EPS:
        return low, None
    code, largest = top_supplier(split) if top is None else top
    if code is None or largest is None or other > largest:
        code, largest = OTHER, other
    extra = (other * other + rest * rest + 2.0 * rest * largest) / (dependence * dependence)
    return min(1.0, low + extra), code if rest > EPS else OTHER


def top_supplier(split: OriginSplit) -> tuple[str | None, float | None]:
    """The largest named foreign origin and its share of total supply (ties: first code A-Z)."""
    if not split.foreign:
        return None, None
    code = min(split.foreign, key=lambda c: (-split.foreign[c], c))
    return code, split.foreign[code]


def countries_to_75(split: OriginSplit) -> int | None:
    """The fewest named origins (the perspective counted as one) whose shares reach 0.75.

    None when the named shares never reach 0.75 (ETO's concentration measure [3]_).

    >>> countries_to_75(split_shares({"CN": 0.28, "JP": 0.65, "other": 0.05}, {"CN"}))
    2
    >>> countries_to_75(split_shares({"US": 0.4, "other": 0.6}, {"CN"})) is None
    True
    """
    named = sorted([split.domestic, *split.foreign.values()], reverse=True)
    total = 0.0
    for count, share in enumerate(named, start=1):
        total += share
        if total >= 0.75 - 1e-9:
            return count
    return None


def components_in_order(graph: nx.DiGraph[str]) -> list[list[str]]:
    """Strongly connected components, inputs before users (a DAG gives one node per component)."""
    import networkx as nx

    if nx.number_of_selfloops(graph) == 0 and nx.is_directed_acyclic_graph(graph):
        return [[n] for n in nx.topological_sort(graph)]
    condensed = nx.condensation(graph)
    members = condensed.graph["mapping"]
    groups: dict[int, list[str]] = {}
    for node in graph:  # keep graph order inside a component
        groups.setdefault(members[node], []).append(node)
    return [groups[c] for c in nx.topological_sort(condensed)]


def propagate_linear(
    graph: nx.DiGraph[str],
    base: Mapping[str, Sequence[float]],
    coef: Mapping[str, float],
    what: str = "exposure",
) -> dict[str, list[float]]:
    r"""Solve :math:`x_n = b_n + a_n \sum_i w_{ni} x_i` for vectors :math:`x_n` on the chain graph.

    Components are solved in topological order; a cyclic component is solved as the linear
    system :math:`(I - \mathrm{diag}(a) W) x = b'` by Gaussian elimination with partial pivoting.

    Raises
    ------
    AnalysisError
        When a cyclic component's system is singular.
    """
    width = len(next(iter(base.values()), ()))
    solved: dict[str, list[float]] = {}

    def weight(src: str, dst: str) -> float:
        return float(graph.edges[src, dst][COST_SHARE] or 0.0)

    for component in components_in_order(graph):
        inside = set(component)
        # right-hand side: base plus what comes from already solved components
        rhs: dict[str, list[float]] = {}
        for n in component:
            vector = list(base[n])
            a = coef[n]
            if a:
                for i in graph.predecessors(n):
                    if i not in inside:
                        w = a * weight(i, n)
                        if w:
                            xi = solved[i]
                            for k in range(width):
                                vector[k] += w * xi[k]
            rhs[n] = vector
        if len(component) == 1 and not graph.has_edge(component[0], component[0]):
            solved[component[0]] = rhs[component[0]]
            continue
        size = len(component)
        index = {n: k for k, n in enumerate(component)}
        matrix = [[0.0] * size + rhs[n] for n in component]
        for n in component:
            row = matrix[index[n]]
            row[index[n]] += 1.0
            for i in graph.predecessors(n):
                if i in inside:
                    row[index[i]] -= coef[n] * weight(i, n)
        solution = _gauss(matrix, size, width)
        if solution is None:
            names = ", ".join(component)
            msg = (
                f"the {what} system is singular on the cycle {names}: with no imports, the cost "
                "shares around it add up to 1, so its dependence is undefined; lower a cost share "
                "on the cycle"
            )
            raise AnalysisError(msg)
        for n in component:
            solved[n] = solution[index[n]]
    return solved


def _gauss(matrix: list[list[float]], size: int, width: int) -> list[list[float]] | None:
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(matrix[r][col]))
        if abs(matrix[pivot][col]) < 1e-10:
            return None
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        lead = matrix[col][col]
        for row in range(size):
            if row != col and matrix[row][col]:
                factor = matrix[row][col] / lead
                target, source = matrix[row], matrix[col]
                for k in range(col, size + width):
                    target[k] -= factor * source[k]
    return [[v / matrix[r][r] for v in matrix[r][size:]] for r in range(size)]


def exposure(
    graph: nx.DiGraph[str], domestic_keys: Collection[str]
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    r"""Propagated exposure to each named foreign origin, and total dependence, for every node.

    .. math::

        X_n(c) = s_n(c) + s_n(P) \sum_i w_{ni} X_i(c), \qquad
        T_n = D_n + s_n(P) \sum_i w_{ni} T_i

    i.e. :math:`X = (I - \mathrm{diag}(s_P) W)^{-1} S`: the share of the node's supply that comes,
    directly or through the inputs of its domestic production, from origin :math:`c` (the import
    content of domestic production, as in input-output analysis [2]_). A node without shares counts
    as domestic (:math:`s_n(P) = 1`); an input without a cost share weighs 0.

    Returns
    -------
    (exposure, total_dependence)
        ``exposure[n]`` maps each origin with a non-zero exposure to :math:`X_n(c)`;
        ``total_dependence[n]`` is :math:`T_n`.
    """
    splits = {n: split_shares(graph.nodes[n][SHARES], domestic_keys) for n in graph}
    origins = sorted({c for s in splits.values() for c in s.foreign})
    position = {c: k for k, c in enumerate(origins)}
    base: dict[str, list[float]] = {}
    for n, split in splits.items():
        vector = [0.0] * (len(origins) + 1)
        for c, v in split.foreign.items():
            vector[position[c]] = v
        vector[-1] = split.dependence if split.known else 0.0
        base[n] = vector
    coef = {n: s.domestic for n, s in splits.items()}
    solved = propagate_linear(graph, base, coef)
    exposures = {
        n: {c: vector[position[c]] for c in origins if vector[position[c]] > EPS}
        for n, vector in solved.items()
    }
    total = {n: vector[-1] for n, vector in solved.items()}
    return exposures, total
