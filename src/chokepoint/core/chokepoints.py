r"""Choke points: the criteria, and the impact of every node in one backward pass.

A node is a choke point for perspective :math:`P` when

.. math:: D_n > \delta \quad\text{and}\quad \mathrm{HHI}^{imp}_n > \eta

with :math:`\delta = 0.5` and :math:`\eta = 0.4` by default, the thresholds of the European
Commission's screening of strategic dependencies [1]_, which counts a product as concentrated
when its import HHI is *above* 0.4 and as dependent when imports are *above* half of demand:
strict inequalities, so a figure exactly at a threshold does not meet it. Its **impact** is the largest loss among the
final products when its top foreign supplier :math:`c^*_n` stops supplying that node alone
(:math:`\kappa(c^*_n, n) = 1`), propagated with fixed proportions (the ``leontief`` model of
:mod:`chokepoint.core.propagate`).

Cutting node :math:`n`'s supplier changes nothing upstream of :math:`n`; downstream, fixed
proportions give :math:`q_m = s_m(P) \max_{i \in E_m} q_i`, a product along the best essential
path, so the loss of final product :math:`f` is :math:`q_n \prod_{m \in p} s_m(P)` maximised over
essential paths :math:`p` from :math:`n` to :math:`f`. With

.. math:: G_x = \max\Bigl(\mathbb{1}[x \text{ final}],\ \max_{x \to m \text{ essential}}
          s_m(P)\, G_m\Bigr)

computed from the final products backwards, :math:`\mathrm{impact}_n = q_n G_n` with
:math:`q_n = \min(1, (1 - \sigma_n) s_n(c^*_n))`: :math:`O(\text{links})` for every node at once,
where one scenario per node would cost :math:`O(\text{nodes} \times \text{links})`. A node on a
cycle feeds its own loss back, a geometric series round its best loop: its scenario has a closed
form on its component (:func:`_cut_losses`: best paths inside it, found exactly by relaxation),
then is carried out of it along the best paths. The tests check every impact against a batch of the corresponding scenarios
(:func:`chokepoint.core.propagate.propagate`).

References
----------
.. [1] European Commission (2021), "Strategic dependencies and capacities", SWD(2021) 352, ch. 2.
.. [2] Leontief, W. (1951), *The Structure of American Economy 1919-1939*, 2nd ed., Oxford UP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from .compiled import CHUNK, BoolArray, Compiled, FloatArray, IntArray
from .metrics import component_links
from .propagate import cut_imports, propagate

__all__ = [
    "DEFAULT_MIN_CONCENTRATION",
    "DEFAULT_MIN_DEPENDENCE",
    "best_paths",
    "criteria",
    "impact_finals",
    "impacts",
    "unmeasurable",
]

DEFAULT_MIN_DEPENDENCE = 0.5
DEFAULT_MIN_CONCENTRATION = 0.4


@overload
def criteria(
    dependence: float | None,
    concentration: float | None,
    min_dependence: float = ...,
    min_concentration: float = ...,
) -> tuple[bool, bool]: ...


@overload
def criteria(
    dependence: FloatArray,
    concentration: FloatArray,
    min_dependence: float = ...,
    min_concentration: float = ...,
) -> tuple[BoolArray, BoolArray]: ...


def criteria(
    dependence: Any,
    concentration: Any,
    min_dependence: float = DEFAULT_MIN_DEPENDENCE,
    min_concentration: float = DEFAULT_MIN_CONCENTRATION,
) -> tuple[Any, Any]:
    """Return (dependence criterion met, concentration criterion met); n/a values never meet one.

    Both are strict inequalities, as in EU SWD(2021) 352 (import HHI above 0.4, import reliance
    above 50%); a value within 1e-12 of its threshold counts as equal to it, so it fails. Given
    arrays, the criteria of every element at once, NaN standing for n/a.

    >>> criteria(0.6, 0.41), criteria(None, 0.9), criteria(0.5, 0.4)
    ((True, True), (False, True), (False, False))
    >>> [a.tolist() for a in criteria(np.array([0.6, np.nan]), np.array([0.41, 0.9]))]
    [[True, False], [True, True]]
    """
    dep = dependence is not None and dependence > min_dependence + 1e-12
    con = concentration is not None and concentration > min_concentration + 1e-12
    return dep, con


def impacts(
    c: Compiled,
    top_share: FloatArray,
    paths: tuple[FloatArray, IntArray] | None = None,
) -> list[tuple[float, str] | None]:
    r"""Impact of every node with a named foreign supplier, by position in the chain: ``(impact,
    id of the final product)``, None for a node without a named foreign supplier.

    ``top_share`` is each node's top foreign share (NaN: none), from
    :func:`chokepoint.core.metrics.direct_metrics`. Ties between final products go to the node
    itself when it is final, then to the first final product in chain order. ``paths`` is :func:`best_paths` of ``c`` when already
    computed.

    .. math:: \mathrm{impact}_n = \max_f q_f \quad\text{when}\quad \kappa(c^*_n, n) = 1

    Raises
    ------
    ScenarioError
        When the losses on a cycle do not converge.
    """
    value, final = best_paths(c) if paths is None else paths
    is_final = np.zeros(c.size, dtype=np.bool_)
    is_final[c.finals] = True
    has = ~np.isnan(top_share)
    loss = np.where(has, (1.0 - c.substitutability) * np.nan_to_num(top_share), 0.0)
    losses = loss.tolist()
    q = np.minimum(1.0, loss)
    worst = np.where(is_final, q, q * value)
    which = np.where(is_final, -2, final)  # -2: the node itself, preferred on ties
    for members in c.cyclic:
        sources = [n for n in members if has[n]]
        if sources:
            for n, (best, reach) in _cycle_impacts(
                c, members, sources, losses, value, final, is_final
            ).items():
                worst[n], which[n] = best, reach
    finals = c.final_ids()
    # the final product named: the node itself (-2) when hit, the one reached, else when
    # nothing is lost the node itself if final, or the first final product
    itself = len(finals) + np.arange(c.size)  # positions of the nodes' own ids in ``names``
    hit_itself = (which == -2) & (worst != 0.0)
    zero = ~hit_itself & ((worst == 0.0) | (which < 0))
    label = np.where(hit_itself, itself, which)
    label = np.where(zero, np.where(is_final | (not finals), itself, 0), label)
    names = np.array([*finals, *c.nodes], dtype=object)
    rows = np.flatnonzero(has)
    out: list[tuple[float, str] | None] = [None] * c.size
    made = zip(np.where(zero, 0.0, worst)[rows].tolist(), names[label[rows]].tolist(), strict=True)
    for n, hit in zip(rows.tolist(), made, strict=True):
        out[n] = hit
    return out


def best_paths(c: Compiled) -> tuple[FloatArray, IntArray]:
    r""":math:`G_x` of every node (see the module docstring) and the final product it reaches
    (an index into ``c.finals``, -1: none), from the final products backwards.

    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> value, final = best_paths(c)
    >>> k = c.index["electronics"]
    >>> float(value[k]), c.final_ids()[final[k]]  # a final product: G = 1
    (1.0, 'electronics')
    """
    value = np.zeros(c.size, dtype=np.float64)
    final = np.full(c.size, -1, dtype=np.intp)
    value[c.finals] = 1.0
    final[c.finals] = np.arange(c.finals.size, dtype=np.intp)
    is_final = np.zeros(c.size, dtype=np.bool_)
    is_final[c.finals] = True
    big = np.iinfo(np.intp).max
    links = c.out_links
    users = c.in_user[links]  # per link grouped by input: the node it feeds
    useful = c.in_essential[links] & (users != c.in_src[links])
    pending = list(zip(c.cyclic, c.cyclic_generation, strict=True))
    for g in range(len(c.by_generation) - 1, -1, -1):
        while pending and pending[-1][1] == g:
            members, _ = pending.pop()
            _cycle_paths(c, members, value, final, is_final)
        rows = c.by_generation[g]
        rows = rows[~is_final[rows]]
        if not rows.size:
            continue
        starts = c.out_ptr[rows]
        counts = c.out_ptr[rows + 1] - starts
        positions = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(
            int(counts.sum()), dtype=np.intp
        )
        keep = useful[positions]
        owner = np.repeat(np.arange(rows.size, dtype=np.intp), counts)[keep]
        targets = users[positions][keep]
        if not targets.size:
            continue
        candidate = c.domestic[targets] * value[targets]
        group = np.flatnonzero(np.diff(owner, prepend=-1))
        best = np.maximum.reduceat(candidate, group)
        top = best[np.searchsorted(group, np.arange(owner.size), side="right") - 1]
        tied = np.where(candidate == top, final[targets], big)
        tied = np.where(final[targets] < 0, big, tied)
        first = np.minimum.reduceat(tied, group)
        who = rows[owner[group]]
        value[who] = best
        final[who] = np.where(first == big, -1, first)
    return value, final


def _cycle_paths(
    c: Compiled, members: tuple[int, ...], value: FloatArray, final: IntArray, is_final: BoolArray
) -> None:
    """:math:`G` on a cyclic component: iterate the maximum to its fixed point (finite)."""
    for _ in range(len(members) + 1):
        changed = False
        for x in members:
            if is_final[x]:
                continue
            best, which = float(value[x]), int(final[x])
            for e in c.out_links[c.out_ptr[x] : c.out_ptr[x + 1]].tolist():
                m = int(c.in_user[e])
                if m == x or not c.in_essential[e]:
                    continue
                candidate = float(c.domestic[m] * value[m])
                reach = int(final[m])
                if reach < 0:
                    continue
                if candidate > best or (candidate == best and (which < 0 or reach < which)):
                    best, which = candidate, reach
            if best != value[x] or which != final[x]:
                value[x], final[x] = best, which
                changed = True
        if not changed:
            return


@dataclass(frozen=True, slots=True)
class _Component:
    """A cyclic component prepared for :func:`_cut_losses`: its members, their :math:`s(P)`,
    and its inside essential links grouped by user (``first``: each member's first link in
    ``src``) and by rank within the user (``groups``: each rank reaches a user at most once)."""

    rows: IntArray
    where: dict[int, int]
    share: FloatArray
    first: IntArray
    src: IntArray
    groups: tuple[tuple[IntArray, IntArray, FloatArray], ...]


def _component(c: Compiled, members: Sequence[int]) -> _Component:
    """The :class:`_Component` of ``members``, in time of the order of their links."""
    rows, links, owner, source = component_links(c, members)
    keep = (source >= 0) & c.in_essential[links]
    user, src = owner[keep], source[keep]  # grouped by user, in member order
    share = c.domestic[rows]
    first = np.searchsorted(user, np.arange(rows.size + 1, dtype=np.intp))
    rank = np.arange(user.size, dtype=np.intp) - first[user]
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(int(rank.max(initial=-1)) + 2)).tolist()
    groups = tuple(
        (user[order[a:b]], src[order[a:b]], share[user[order[a:b]], None])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    )
    where = {x: k for k, x in enumerate(rows.tolist())}
    return _Component(rows, where, share, first, src, groups)


def _cut_losses(comp: _Component, at: IntArray, cut: FloatArray) -> FloatArray:
    r"""The losses of the members (``members x S``) when member ``at[j]`` alone has the import
    loss ``cut[j]``, the least fixed point of the ``leontief`` model on the component:

    .. math:: q_x = q_n W(n \to x), \qquad
              q_n = \min\Bigl(1, \frac{m}{1 - s_n(P) \max_{i \in E_n} W(n \to i)}\Bigr)

    (:math:`q_n = 1` when the denominator is 0 and :math:`m > 0`), :math:`W(n \to x)` the
    largest product of :math:`s(P)` over the nodes entered along the essential paths from
    :math:`n` to :math:`x` inside the component (:math:`W(n \to n) = 1`). :math:`W` is found by
    relaxing the inside links, every column at once, until nothing changes: with factors at most
    1 a simple path is best, so that takes at most its number of links plus one sweep (exactly;
    no tolerance). See ``docs/methodology.md``.
    """
    width = at.size
    columns = np.arange(width, dtype=np.intp)
    paths = np.zeros((comp.rows.size, width), dtype=np.float64)
    paths[at, columns] = 1.0
    for _ in range(comp.rows.size + 1):
        before = paths.copy()
        for who, whence, factor in comp.groups:
            paths[who] = np.maximum(paths[who], factor * paths[whence])
        if np.array_equal(before, paths):
            break
    # the best way back to each source through one of its essential inputs
    back = np.zeros(width, dtype=np.float64)
    counts = comp.first[at + 1] - comp.first[at]
    spots = np.repeat(comp.first[at] - (np.cumsum(counts) - counts), counts) + np.arange(
        int(counts.sum()), dtype=np.intp
    )
    owners = np.repeat(columns, counts)
    np.maximum.at(back, owners, paths[comp.src[spots], owners])
    loop = comp.share[at] * back
    closed = loop >= 1.0  # a loop that loses nothing: any import loss saturates the source
    q = np.where(
        closed,
        np.where(cut > 0.0, 1.0, 0.0),
        np.minimum(1.0, cut / np.where(closed, 1.0, 1.0 - loop)),
    )
    paths *= q
    return paths


def _cycle_impacts(
    c: Compiled,
    members: tuple[int, ...],
    sources: list[int],
    losses: Sequence[float],
    value: FloatArray,
    final: IntArray,
    is_final: BoolArray,
) -> dict[int, tuple[float, int]]:
    """The impacts of the nodes of one cyclic component: their cuts' losses on the component
    (:func:`_cut_losses`, a chunk of sources at a time within
    :data:`~chokepoint.core.compiled.CHUNK` cells), carried out of it along the best paths:
    ``{source: (impact, final reached)}``."""
    comp = _component(c, members)
    rows, where, size = comp.rows, comp.where, comp.rows.size
    exit_value = np.zeros(size, dtype=np.float64)  # best path out of each member, its final
    exit_reach = np.full(size, -1, dtype=np.intp)
    for k, x in enumerate(members):
        best, which = 0.0, -1
        for e in c.out_links[c.out_ptr[x] : c.out_ptr[x + 1]].tolist():
            m = int(c.in_user[e])
            if m in where or not c.in_essential[e] or final[m] < 0:
                continue
            candidate = float(c.domestic[m] * value[m])
            if _better(candidate, int(final[m]), best, which):
                best, which = candidate, int(final[m])
        exit_value[k], exit_reach[k] = best, which
    # the options of _better, all at once: the largest loss, then the node itself, then the
    # first final product
    option = is_final[rows] | (exit_reach >= 0)
    key = np.where(is_final[rows], -1, exit_reach)[option]  # -1 here: the node itself (-2)
    local = np.fromiter((where[n] for n in sources), np.intp, len(sources))
    found: dict[int, tuple[float, int]] = {}
    step = max(1, CHUNK // max(size, 1))
    for start in range(0, len(sources), step):
        part = sources[start : start + step]
        cut = np.fromiter((losses[n] for n in part), np.float64, len(part))
        q = _cut_losses(comp, local[start : start + step], cut)
        candidates = np.where(is_final[rows, None], q, q * exit_value[:, None])[option]
        if not candidates.shape[0]:
            found.update((n, (0.0, -1)) for n in part)
            continue
        best = candidates.max(axis=0)
        which = np.where(candidates == best, key[:, None], np.iinfo(np.intp).max).min(axis=0)
        for j, n in enumerate(part):
            found[n] = (float(best[j]), -2 if which[j] == -1 else int(which[j]))
    return found


def _better(value: float, reach: int, best: float, which: int) -> bool:
    """Whether ``(value, reach)`` beats ``(best, which)``: larger loss, then the cut node itself
    (``-2``), then the first final product in chain order."""
    if value != best:
        return value > best
    if which == -1:
        return True
    if reach == -2 or which == -2:
        return reach == -2 and which != -2
    return reach < which


def unmeasurable(c: Compiled, paths: tuple[FloatArray, IntArray] | None = None) -> dict[int, str]:
    """Nodes whose impact cannot be measured, with the reason: ``{node index: reason}``.

    A node that is not itself final and from which no chain of essential inputs leads to a final
    product has no loss the model can carry to a final product: its impact is unknown (the chain
    does not say what it is used for), not 0. ``paths`` is :func:`best_paths` of ``c`` when
    already computed.

    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> unmeasurable(compile_chain(load_chain("robots")))
    {}
    """
    _, reach = best_paths(c) if paths is None else paths
    is_final = np.zeros(c.size, dtype=np.bool_)
    is_final[c.finals] = True
    essential_use = np.zeros(c.size, dtype=np.bool_)
    used = c.in_essential & (c.in_src != c.in_user)
    essential_use[c.in_src[used]] = True
    unknown = (reach < 0) & ~is_final
    # the non-essential users of the nodes whose impact is unknown and that nothing needs
    optional: dict[int, list[str]] = {}
    edges = ~c.in_essential & (c.in_src != c.in_user) & (unknown & ~essential_use)[c.in_src]
    for src, user in zip(c.in_src[edges].tolist(), c.in_user[edges].tolist(), strict=True):
        optional.setdefault(src, []).append(c.nodes[user])
    out: dict[int, str] = {}
    for n in np.flatnonzero(unknown).tolist():
        if essential_use[n]:
            out[n] = (
                "no final product depends on it through essential inputs (the nodes that take "
                "it as essential reach no final product that way); its impact cannot be measured"
            )
        elif n in optional:
            users = ", ".join(optional[n][:5]) + (", ..." if len(optional[n]) > 5 else "")
            out[n] = (
                "no node of the chain takes it as an essential input (it is a non-essential "
                f"input of {users}: a type of it or an alternative, whose loss stops nothing "
                "under fixed proportions); its impact cannot be measured"
            )
        else:
            out[n] = (
                "no node of the chain takes it as an essential input; its impact cannot be measured"
            )
    return out


def impact_finals(c: Compiled, top: IntArray, rows: IntArray) -> dict[int, list[int]]:
    r"""The final products that bear a node's impact: ``{node: [final indices]}``.

    For each node ``n`` of ``rows`` with a top supplier pair ``top[n] >= 0``, the scenario
    :math:`\kappa(c^*_n, n) = 1` is propagated (``leontief``, a batch of scenarios at once) and
    every final product whose loss equals the largest (to :math:`10^{-12}`) is returned, in chain
    order: the impact's end uses hit alike. Nodes whose largest loss is 0 map to ``[]``. A cut
    node on a cycle (:math:`s_n(P) > 0`) enters as its closed-form loss :math:`q_n`
    (:func:`_cut_losses`) given as the shock :math:`h_n = q_n / s_n(P)`, no import loss: the
    same least fixed point, which the cycle's iteration reaches in a few exact sweeps instead of
    a long geometric approach.
    """
    wanted = [int(n) for n in rows.tolist() if top[n] >= 0]
    out: dict[int, list[int]] = {}
    if not wanted or not c.finals.size:
        return out
    block = max(1, min(1024, (1 << 22) // max(c.size, 1)))
    looped = _looped(c, wanted)
    for start in range(0, len(wanted), block):
        part = wanted[start : start + block]
        # kappa(c*_n, n) = 1 in column j for the j-th node: one cut a column, as a list (the
        # same sums as import_losses of the pairs x S matrix, without making it)
        width = len(part)
        imports = cut_imports(
            c, top[part], np.arange(width), np.ones(width, dtype=np.float64), width
        )
        shocks = None
        # a cut node on a cycle: its own loss in closed form (the block's nodes of a component
        # at once), given as a shock that its domestic part turns into that loss, so the cycle
        # carries it in a few exact sweeps
        by_component: dict[int, list[int]] = {}
        for j, n in enumerate(part):
            if n in looped:
                by_component.setdefault(id(looped[n][0]), []).append(j)
        for columns in by_component.values():
            nodes = np.array([part[j] for j in columns], dtype=np.intp)
            comp = looped[part[columns[0]]][0]
            at = np.array([looped[part[j]][1] for j in columns], dtype=np.intp)
            losses = _cut_losses(comp, at, imports[nodes, columns])[at, np.arange(at.size)]
            shocks = np.zeros_like(imports) if shocks is None else shocks
            shocks[nodes, columns] = losses / c.domestic[nodes]
            imports[nodes, columns] = 0.0
        # only the cut nodes and their users, direct or not, can lose: every other node keeps
        # the loss 0 it starts from (exactly what a propagation over every node gives it)
        seeds = np.zeros(c.size, dtype=np.bool_)
        seeds[part] = True
        zero = np.zeros((c.size, len(part)), dtype=np.float64)
        q, _ = propagate(c, imports, shocks, start=(zero, zero), dirty=c.downstream(seeds))
        losses = q[c.finals]
        worst = losses.max(axis=0)
        for j, n in enumerate(part):
            if worst[j] <= 0.0:
                out[n] = []
            else:
                hit = np.flatnonzero(losses[:, j] >= worst[j] - 1e-12)
                out[n] = c.finals[hit].tolist()
    return out


def _looped(c: Compiled, nodes: Sequence[int]) -> dict[int, tuple[_Component, int]]:
    """The ``nodes`` on a cycle through which they feed their own loss back (a cyclic
    component, :math:`s_n(P) > 0`): ``{node: (its component, its position there)}``."""
    wanted = np.zeros(c.size, dtype=np.bool_)
    wanted[list(nodes)] = True
    wanted &= c.domestic > 0.0
    out: dict[int, tuple[_Component, int]] = {}
    for members in c.cyclic:
        if wanted[list(members)].any():
            comp = _component(c, members)
            out.update((n, (comp, k)) for n, k in comp.where.items() if wanted[n])
    return out
