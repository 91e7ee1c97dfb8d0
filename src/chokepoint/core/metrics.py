r"""Dependence, concentration and propagated exposure of every node, on the compiled form.

For a perspective economy :math:`P` and a node :math:`n` with origin shares :math:`s_n(c)`
(named origins, ``other`` for known foreign origins not named, and an unattributed remainder
:math:`r_n = 1 - \sum_c s_n(c)`), inputs :math:`i` with cost shares :math:`w_{ni}`:

.. math::

    D_n = 1 - s_n(P), \qquad
    \mathrm{HHI}_n = s_n(P)^2 + \sum_{c\ \mathrm{named\ foreign}} s_n(c)^2, \qquad
    \mathrm{HHI}^{imp}_n = \sum_{c\ \mathrm{named\ foreign}} \left(\frac{s_n(c)}{D_n}\right)^2

.. math::

    X_n(c) = s_n(c) + s_n(P) \sum_i w_{ni} X_i(c), \qquad
    T_n = D_n + s_n(P) \sum_i w_{ni} T_i

Each formula is written once, over all nodes at once; formulas, conventions and references are
in ``docs/methodology.md``.

References
----------
.. [1] European Commission (2021), "Strategic dependencies and capacities", SWD(2021) 352.
.. [2] Miller, R. E. and Blair, P. D. (2009), *Input-Output Analysis*, 2nd ed., Cambridge UP, ch. 2.
.. [3] Center for Security and Emerging Technology (2022), ETO Supply Chain Explorer,
       methodology ("countries to 75%").
.. [4] Kvalseth, T. O. (2018), "Relationship between concentration ratio and Herfindahl-Hirschman
       index: a re-examination based on majorization theory", *Heliyon* 4(10), e00846,
       doi:10.1016/j.heliyon.2018.e00846.
.. [5] Higham, N. J. (1988), "FORTRAN codes for estimating the one-norm of a real or complex
       matrix, with applications to condition estimation", *ACM Transactions on Mathematical
       Software* 14(4), 381-396, doi:10.1145/50063.214386.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import AnalysisError
from ..model import OTHER
from .compiled import BoolArray, Compiled, FloatArray, IntArray, Supply

__all__ = [
    "EPS",
    "SPARSE_FROM",
    "SPARSE_LINKS",
    "DirectMetrics",
    "component_links",
    "direct_metrics",
    "exposure",
    "rests_on_unknown",
]

#: Tolerance used when comparing cumulative shares and pivots.
EPS = 1e-12
#: A cyclic system whose condition number exceeds this is treated as singular.
_SINGULAR = 1e10
#: Cyclic components of this many members or more are solved sparse when scipy is installed.
SPARSE_FROM = 500
#: Chains of this many links or more are propagated by sparse products when scipy is installed.
SPARSE_LINKS = 20_000


@dataclass(frozen=True, slots=True)
class DirectMetrics:
    """The direct metrics of every node, as arrays in node order (n/a where a node has no shares).

    ``top`` is the index into ``Compiled.pair_origin`` of the top supplier's pair (-1: none);
    ``countries_to_75`` is 0 where the named shares never reach 0.75; ``hhi_max_via`` names the
    origin that would take the unknown share in :attr:`import_hhi_max` (None: nothing unknown).
    """

    dependence: FloatArray
    hhi: FloatArray
    import_hhi: FloatArray
    import_hhi_max: FloatArray
    hhi_max_via: tuple[str | None, ...]
    top: IntArray
    top_share: FloatArray
    countries_to_75: IntArray


def direct_metrics(c: Supply) -> DirectMetrics:
    r"""Dependence, HHI, import HHI and its upper bound, top supplier and countries to 75%.

    .. math::

        D_n = 1 - s_n(P), \quad
        \mathrm{HHI}_n = s_n(P)^2 + \sum_c f_c^2, \quad
        \mathrm{HHI}^{imp}_n = \sum_c (f_c / D_n)^2 \ (0 \text{ when } D_n = 0),

        \mathrm{HHI}^{imp,max}_n = \min\Bigl(1, \frac{\sum_c f_c^2 + o_n^2 + r_n^2 + 2 r_n m_n}
        {D_n^2}\Bigr), \quad m_n = \max(\max_c f_c, o_n)

    with :math:`f_c` the named foreign shares, :math:`o_n` the ``other`` share and :math:`r_n`
    the unattributed remainder. ``import_hhi`` counts named origins only, the *lowest*
    concentration consistent with the figures; ``import_hhi_max`` the highest, with the unknown
    shares as concentrated as they could be (the sum of squares is convex, so its maximum lies at
    a corner: ``other`` in one economy, the remainder added to the largest share), after
    Kvalseth (2018) [4]_. The top supplier is the largest named foreign share, ties to the first
    code A-Z; countries to 75% counts the fewest named origins (:math:`P` as one) whose shares
    reach 0.75, ETO's measure [3]_. The EU screening uses 0.4 as the threshold of high import
    concentration [1]_.

    Examples
    --------
    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> m = direct_metrics(c)
    >>> k = c.index["reducers"]
    >>> c.pair_origin[m.top[k]], round(float(m.import_hhi[k]), 4)  # (0.614 / 0.72) ** 2
    ('JP', 0.7272)
    """
    size = c.size
    shares = c.pair_share
    dependence = 1.0 - c.domestic
    safe = np.where(dependence > EPS, dependence, 1.0)
    squares = c.reduce_pairs((shares * shares)[:, None])[:, 0]
    hhi = c.domestic * c.domestic + squares
    import_hhi = np.where(dependence > EPS, squares / (safe * safe), 0.0)
    # top supplier: the largest share, ties to the first code A-Z
    top = np.full(size, -1, dtype=np.intp)
    top_share = np.full(size, np.nan)
    if shares.size:
        alphabet = {code: k for k, code in enumerate(sorted(set(c.pair_origin)))}
        code_rank = np.fromiter(map(alphabet.__getitem__, c.pair_origin), np.intp, shares.size)
        # each node's pairs lie together (pair_ptr): its largest share, then the first code A-Z
        # among the pairs that hold it (a node's codes are distinct: one pair per node is left)
        rows = np.flatnonzero(np.diff(c.pair_ptr))
        starts, group = c.pair_ptr[rows], np.searchsorted(rows, c.pair_row)
        held = shares == np.maximum.reduceat(shares, starts)[group]
        ranks = np.where(held, code_rank, len(alphabet))
        least = np.minimum.reduceat(ranks, starts)[group]
        first = np.flatnonzero(held & (code_rank == least))
        top[c.pair_row[first]] = first
        top_share[c.pair_row[first]] = shares[first]
    # the upper bound of import HHI: unknown shares as concentrated as the figures allow
    largest = np.where(top >= 0, np.nan_to_num(top_share), -1.0)
    to_other = c.other > largest
    m = np.where(to_other, c.other, largest)
    o, r = c.other, c.unattributed
    extra = (o * o + r * r + 2.0 * r * m) / (safe * safe)
    unknown = (o > EPS) | (r > EPS)
    bound = np.where(unknown, np.minimum(1.0, import_hhi + extra), import_hhi)
    bound = np.where(dependence > EPS, bound, 0.0)
    via = np.full(size, None, dtype=object)
    asked = np.flatnonzero(unknown & (dependence > EPS))
    to_top = asked[(r[asked] > EPS) & ~to_other[asked]]  # to_other is True without a top
    via[asked] = OTHER
    via[to_top] = np.array(c.pair_origin, dtype=object)[top[to_top]]
    # countries to 75%: the perspective and the named origins, largest first
    values = np.concatenate([c.domestic, shares])
    owner = np.concatenate([np.arange(size, dtype=np.intp), c.pair_row])
    order = np.lexsort((-values, owner))
    counts = np.bincount(owner, minlength=size)
    start = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(counts, out=start[1:])
    ordered = values[order]
    total = np.zeros(size, dtype=np.float64)
    reached = np.zeros(size, dtype=np.intp)
    for j in range(int(counts.max()) if size else 0):
        live = np.flatnonzero(counts > j)
        total[live] += ordered[start[live] + j]
        hit = live[(total[live] >= 0.75 - 1e-9) & (reached[live] == 0)]
        reached[hit] = j + 1
    return DirectMetrics(
        dependence, hhi, import_hhi, bound, tuple(via.tolist()), top, top_share, reached
    )


def exposure(c: Compiled) -> tuple[list[str], FloatArray]:
    r"""Propagated exposure to each named foreign origin, and total dependence, of every node.

    .. math::

        X_n(c) = s_n(c) + s_n(P) \sum_i w_{ni} X_i(c), \qquad
        T_n = D_n + s_n(P) \sum_i w_{ni} T_i

    i.e. :math:`X = (I - \mathrm{diag}(s_P) W)^{-1} S`: the share of the node's supply that comes,
    directly or through the inputs of its domestic production, from origin :math:`c` (the import
    content of domestic production, as in input-output analysis [2]_). A node without shares
    counts as domestic (:math:`s_n(P) = 1`, :math:`D_n = 0`); an input without a cost share weighs
    0. Acyclic nodes are one forward-substitution step per generation; a cyclic component is
    solved as the system :math:`(I - \mathrm{diag}(s_P) W_{cc}) x = b`, built from its links:
    dense (LAPACK's LU) below :data:`SPARSE_FROM` members or without scipy, sparse (SuperLU)
    from there with scipy. It is singular when LU meets a zero pivot or its 1-norm condition
    number exceeds :math:`10^{10}`: exact on the dense matrix, Hager-Higham's estimate on the
    sparse one (see :func:`_solve_cycle`).

    Returns
    -------
    (origins, X)
        The sorted named foreign origins and the ``nodes x (origins + 1)`` matrix whose last
        column is total dependence :math:`T`.

    Raises
    ------
    AnalysisError
        When a cyclic component's system is singular (a domestic cycle whose cost shares add up
        to 1: dependence through it is undefined).
    """
    origins = c.origins()
    position = {code: k for k, code in enumerate(origins)}
    width = len(origins) + 1
    base = np.zeros((c.size, width), dtype=np.float64)
    if c.pair_share.size:
        columns = np.fromiter(map(position.__getitem__, c.pair_origin), np.intp, c.pair_share.size)
        base[c.pair_row, columns] = c.pair_share
    base[:, -1] = np.where(c.known, 1.0 - c.domestic, 0.0)
    coef = c.domestic[c.in_user] * c.in_cost
    # each node's row holds its base until the node is solved (the sparse step reads it there)
    x = base.copy()
    rows_matrix = _sparse_rows(c)

    def term(links: IntArray) -> FloatArray:
        product: FloatArray = coef[links, None] * x[c.in_src[links]]
        return product

    def rows_step(rows: IntArray) -> None:
        if rows_matrix is None:
            x[rows] = c.reduce_inputs(np.add, rows, base[rows], term)
        else:
            x[rows] = rows_matrix(rows, coef, True) @ x

    def cycle_step(members: tuple[int, ...]) -> None:
        rows, links, owner, source = component_links(c, members)
        inside = source >= 0
        rhs = base[rows].copy()
        out = ~inside & (coef[links] != 0.0)
        # outside inputs, added in link order (as one addition after the other would)
        np.add.at(rhs, owner[out], coef[links[out], None] * x[c.in_src[links[out]]])
        solution = _solve_cycle(rows.size, owner[inside], source[inside], coef[links[inside]], rhs)
        if solution is None:
            names = ", ".join(c.nodes[n] for n in members)
            msg = (
                f"the exposure system is singular on the cycle {names}: with no imports, the cost "
                "shares around it add up to 1, so its dependence is undefined; lower a cost share "
                "on the cycle"
            )
            raise AnalysisError(msg)
        x[rows] = solution

    c.walk(width, rows_step, cycle_step)
    return origins, x


def _sparse_rows(
    c: Compiled,
) -> Callable[[IntArray, npt.NDArray[Any], bool], Any] | None:
    """``rows_matrix(rows, weights, own)``: the ``rows x nodes`` CSR matrix (scipy) whose row
    ``j`` holds ``weights`` of the input links of node ``rows[j]``, in link order, after a 1 at
    the node itself when ``own``; None without scipy (the ``fast`` extra) or below
    :data:`SPARSE_LINKS` links (a curated chain: scipy's import would cost more than it saves).

    ``rows_matrix(rows, w, True) @ x`` is :math:`x_r + \\sum_i w_{ri} x_i` for each row: scipy's
    CSR kernel adds ``x_r`` first, then each product in link order, at a tenth of the memory
    traffic of :meth:`~chokepoint.core.compiled.Compiled.reduce_inputs` (no ``links x S``
    temporaries). Its sums may differ from that method's in the last bit (numpy adds the terms
    of a reduction pairwise).
    """
    if c.in_src.size < SPARSE_LINKS:
        return None
    try:
        from scipy.sparse import csr_array  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return None

    def rows_matrix(rows: IntArray, weights: npt.NDArray[Any], own: bool) -> Any:
        counts = c.in_ptr[rows + 1] - c.in_ptr[rows]
        extra = int(own)
        indptr = np.zeros(rows.size + 1, dtype=np.intp)
        np.cumsum(counts + extra, out=indptr[1:])
        before = indptr[:-1] - extra * np.arange(rows.size, dtype=np.intp)  # links before row j
        at = np.repeat(c.in_ptr[rows] - before, counts)
        at += np.arange(at.size, dtype=np.intp)
        if own:
            links = np.ones(int(indptr[-1]), dtype=np.bool_)
            links[indptr[:-1]] = False
            indices = np.empty(links.size, dtype=np.intp)
            data = np.empty(links.size, dtype=weights.dtype)
            indices[indptr[:-1]] = rows
            data[indptr[:-1]] = 1
            indices[links] = c.in_src[at]
            data[links] = weights[at]
        else:
            indices, data = c.in_src[at], weights[at]
        return csr_array((data, indices, indptr), shape=(rows.size, c.size))

    return rows_matrix


def rests_on_unknown(
    c: Compiled,
    values: FloatArray,
    base: BoolArray,
    saturated: BoolArray | None = None,
) -> BoolArray:
    r"""Which values of a cost-weighted recursion rest on a figure the chain does not give.

    ``values`` (``nodes x S``) were computed by a recursion of the form
    :math:`v_n = a_n + s_n(P)\, f\bigl(\sum_i w_{ni} v_i\bigr)` (total dependence and exposure,
    or the ``linear`` loss model) with a missing cost share counted as 0. ``base`` marks the
    values unknown in themselves (a node without shares). Value :math:`v_n` is unknown when it
    is in ``base``, or when :math:`s_n(P) > 0`, it is not ``saturated`` (already at its ceiling,
    where more input cannot move it) and one of its inputs :math:`i`

    * has a known cost share :math:`w_{ni} > 0` and an unknown :math:`v_i`, or
    * has no cost share, the node's known cost shares leave room for one
      (:math:`\sum_{known} w_{ni} < 1`), and :math:`v_i` is unknown or not 0.

    An input without a cost share whose value is 0 changes nothing whatever its weight, so it
    leaves the value known. On a cycle the rule is applied until nothing changes. Only the nodes
    downstream of one unknown in itself or with an input without a cost share are visited: no
    other can be unknown.

    Returns
    -------
    BoolArray
        ``nodes x S``, True where the value is unknown.
    """
    unknown = np.asarray(base, dtype=np.bool_).copy()
    if not c.in_src.size:
        return unknown
    width = values.shape[1]
    known_total = np.zeros(c.size, dtype=np.float64)
    np.add.at(known_total, c.in_user, np.where(c.in_known, c.in_cost, 0.0))
    room = (1.0 - known_total) > 1e-9
    weighs = c.in_known & (c.in_cost > 0.0)
    open_link = ~c.in_known & room[c.in_user]
    live = c.domestic > EPS
    ceiling = np.zeros_like(unknown) if saturated is None else np.asarray(saturated, dtype=np.bool_)

    def term(links: IntArray) -> FloatArray:
        src = c.in_src[links]
        hit = unknown[src] | (values[src] > EPS)
        flag = (weighs[links, None] & unknown[src]) | (open_link[links, None] & hit)
        out: FloatArray = flag.astype(np.float64)
        return out

    rows_matrix = _sparse_rows(c)
    if rows_matrix is not None:  # counts of the flagged inputs, as sparse products
        as_count = np.float32  # exact for up to 2^24 inputs of a node
        flagged = np.asarray(unknown, dtype=as_count)
        positive = np.asarray(values > EPS, dtype=as_count)
        any_weight = np.asarray(weighs | open_link, dtype=as_count)
        open_weight = np.asarray(open_link, dtype=as_count)

    def rows_step(rows: IntArray) -> None:
        if rows_matrix is None:
            first = np.zeros((rows.size, width), dtype=np.float64)
            reached = c.reduce_inputs(np.maximum, rows, first, term) > 0.0
        else:
            reached = (rows_matrix(rows, any_weight, False) @ flagged) > 0.0
            reached |= (rows_matrix(rows, open_weight, False) @ positive) > 0.0
        reached &= live[rows, None] & ~ceiling[rows]
        unknown[rows] |= reached
        if rows_matrix is not None:
            flagged[rows] = unknown[rows]

    def cycle_step(members: tuple[int, ...]) -> None:
        rows = np.asarray(members, dtype=np.intp)
        for _ in range(len(members) + 1):
            before = unknown[rows].copy()
            rows_step(rows)
            if np.array_equal(before, unknown[rows]):
                return

    # only a node unknown in itself, one with an input without a cost share, and what uses
    # them, directly or not, can be unknown: the walk visits those alone
    seeds: BoolArray = np.asarray(unknown.any(axis=1), dtype=np.bool_)
    seeds[c.in_user[open_link]] = True
    c.walk(width, rows_step, cycle_step, c.downstream(seeds))
    return unknown


def component_links(
    c: Compiled, members: Sequence[int]
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The links into the members of a component, in time of the order of their links.

    Returns ``(rows, links, owner, source)``: the members as an array, the positions of their
    input links (``c.in_*`` order, each member's in turn), the index in ``rows`` of each link's
    user, and that of its source (-1: a node outside the component).

    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> rows, links, owner, source = component_links(c, [c.index["reducers"]])
    >>> bool((owner == 0).all()), bool((source == -1).all())
    (True, True)
    """
    rows = np.asarray(members, dtype=np.intp)
    starts = c.in_ptr[rows]
    counts = c.in_ptr[rows + 1] - starts
    total = int(counts.sum())
    before = np.cumsum(counts) - counts
    links = np.repeat(starts - before, counts) + np.arange(total, dtype=np.intp)
    owner = np.repeat(np.arange(rows.size, dtype=np.intp), counts)
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    src = c.in_src[links]
    at = np.searchsorted(ordered, src).clip(max=max(ordered.size - 1, 0))
    source = np.where(ordered[at] == src, order[at], -1) if ordered.size else src
    return rows, links, owner, source


def _solve_cycle(
    size: int, row: IntArray, col: IntArray, weight: FloatArray, rhs: FloatArray
) -> FloatArray | None:
    r"""Solve :math:`(I - A) x = b`, :math:`A` given by its entries ``(row, col, weight)``
    (repeated entries add up); None when the system is singular.

    Singular means: LU finds an exactly zero pivot, or the 1-norm condition number
    :math:`\kappa_1 = \lVert M \rVert_1 \lVert M^{-1} \rVert_1` of :math:`M = I - A` exceeds
    ``_SINGULAR`` (or is not finite). Up to :data:`SPARSE_FROM` members (or without scipy), the
    dense matrix: LAPACK's LU solve and :math:`\kappa_1` exact (``np.linalg.cond(M, 1)``), in
    :math:`O(n^2)` memory and :math:`O(n^3)` time. From :data:`SPARSE_FROM` members with scipy,
    a sparse LU (SuperLU, ``scipy.sparse.linalg.splu``) and :math:`\lVert M^{-1} \rVert_1`
    estimated by Hager's method as refined by Higham (LAPACK's ``xLACON``) [5]_: a lower bound,
    usually exact, from a few solves with the factors, in memory of the order of the links and
    of the factors' fill-in.
    """
    if size >= SPARSE_FROM:
        try:
            from scipy.sparse import csc_array  # type: ignore[import-untyped,import-not-found,unused-ignore]
            from scipy.sparse.linalg import splu  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError:
            pass
        else:
            diagonal = np.arange(size, dtype=np.intp)
            matrix = csc_array(
                (
                    np.concatenate([np.ones(size), -weight]),
                    (np.concatenate([diagonal, row]), np.concatenate([diagonal, col])),
                ),
                shape=(size, size),
            )
            try:
                lu = splu(matrix)
            except RuntimeError:  # an exactly zero pivot
                return None
            norm = float(abs(matrix).sum(axis=0).max())
            condition = norm * _inverse_norm(lu.solve, lambda v: lu.solve(v, trans="T"), size)
            if not np.isfinite(condition) or condition > _SINGULAR:
                return None
            solution: FloatArray = np.asarray(lu.solve(rhs), dtype=np.float64)
            return solution if np.isfinite(solution).all() else None
    dense = np.eye(size)
    np.subtract.at(dense, (row, col), weight)
    condition = float(np.linalg.cond(dense, 1))
    if not np.isfinite(condition) or condition > _SINGULAR:
        return None
    try:
        return np.asarray(np.linalg.solve(dense, rhs), dtype=np.float64)
    except np.linalg.LinAlgError:  # pragma: no cover - an exactly singular matrix has cond inf
        return None


def _inverse_norm(
    solve: Callable[[FloatArray], FloatArray],
    solve_t: Callable[[FloatArray], FloatArray],
    size: int,
) -> float:
    r"""An estimate (a lower bound) of :math:`\lVert M^{-1} \rVert_1`, given solves with
    :math:`M` and :math:`M^T`: Hager's method with Higham's refinements [5]_ (at most 5
    iterations, then the alternating vector :math:`b_i = (-1)^i (1 + i / (n - 1))`).

    >>> m = np.array([[2.0, 0.0], [1.0, 4.0]])  # inverse [[0.5, 0], [-0.125, 0.25]]: norm 0.625
    >>> _inverse_norm(lambda v: np.linalg.solve(m, v), lambda v: np.linalg.solve(m.T, v), 2)
    0.625
    """
    vector = np.full(size, 1.0 / size)
    estimate = 0.0
    last = -1
    for _ in range(5):
        y = solve(vector)
        estimate = max(estimate, float(np.abs(y).sum()))
        z = solve_t(np.where(y >= 0.0, 1.0, -1.0))
        j = int(np.argmax(np.abs(z)))
        if j == last or abs(float(z[j])) <= float(z @ vector):
            break
        vector = np.zeros(size)
        vector[j] = 1.0
        last = j
    alternating = (-1.0) ** np.arange(size) * (1.0 + np.arange(size) / max(size - 1, 1))
    return max(estimate, 2.0 * float(np.abs(solve(alternating)).sum()) / (3.0 * size))
