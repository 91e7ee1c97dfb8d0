"""The compiled form: its order of computation, and the analysis on it against references
computed here by other means (a dense inverse, one scenario per node, networkx's components)."""

from __future__ import annotations

import builtins
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest

from chokepoint import analyze, build_graph, load_chain
from chokepoint.core import compiled as compiled_module
from chokepoint.core.compiled import Compiled, _levels, compile_chain, strong_components
from chokepoint.core.metrics import direct_metrics, exposure
from chokepoint.core.propagate import cut_matrix, import_losses, propagate
from chokepoint.io.generate import build_network
from chokepoint.io.loader import check_document
from chokepoint.io.yamlread import Located
from chokepoint.model import Chain, Cut


def generated(nodes: int, seed: int, cycles: float) -> Chain:
    return check_document(Located(build_network(nodes, seed, cycles=cycles), "generated"))


NETWORKS = [(20, 1, 0.0), (60, 3, 0.1), (120, 4, 0.3), (400, 6, 0.01)]


@pytest.mark.parametrize(("nodes", "seed", "cycles"), NETWORKS)
def test_exposure_equals_the_dense_inverse(
    nodes: int,
    seed: int,
    cycles: float,
    dense_exposure: Callable[[Compiled, list[str]], npt.NDArray[np.float64]],
) -> None:
    """X = (I - diag(s_P) W)^-1 S, the Leontief-inverse form of input-output analysis."""
    c = compile_chain(generated(nodes, seed, cycles))
    origins, x = exposure(c)
    expected = dense_exposure(c, origins)
    np.testing.assert_allclose(x, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("nodes", "seed", "cycles"), NETWORKS)
def test_impacts_equal_one_scenario_per_node(nodes: int, seed: int, cycles: float) -> None:
    """The backward pass gives, for every node, the worst final loss of cutting its top
    supplier there: checked against that batch of scenarios propagated forwards."""
    chain = generated(nodes, seed, cycles)
    c = compile_chain(chain)
    direct = direct_metrics(c)
    sources = [n for n in range(c.size) if direct.top[n] >= 0]
    cuts = [[Cut(c.pair_origin[direct.top[n]], 1.0, (c.nodes[n],))] for n in sources]
    q, _ = propagate(c, import_losses(c, cut_matrix(c, cuts)))
    worst = q[c.finals].max(axis=0)
    result = analyze(chain)
    for j, n in enumerate(sources):
        node = result.node(c.nodes[n])
        if node.impact is None:
            # no essential path to a final product: the scenario reaches none (0), and the
            # impact is reported unknown with its reason instead of 0
            assert worst[j] == 0.0
            assert "its impact cannot be measured" in node.unknown["impact"]
            continue
        assert node.impact == pytest.approx(worst[j], abs=1e-12)
        assert node.impact_on is not None
        assert q[c.index[node.impact_on], j] == pytest.approx(worst[j], abs=1e-12)


@pytest.mark.parametrize("name", ["robots", "machine-tools", "semiconductors"])
def test_impacts_of_shipped_chains_equal_one_scenario_per_node(name: str) -> None:
    chain = load_chain(name)
    c = compile_chain(chain)
    result = analyze(chain)
    for node in result.nodes:
        if node.top_supplier is None:
            assert node.impact is None
            continue
        cut = [[Cut(node.top_supplier, 1.0, (node.id,))]]
        q, _ = propagate(c, import_losses(c, cut_matrix(c, cut)))
        worst = float(q[c.finals, 0].max())
        if node.impact is None:
            assert worst == 0.0
            assert "its impact cannot be measured" in node.unknown["impact"]
            continue
        assert node.impact == pytest.approx(worst, abs=1e-12)


def test_levels_known_answer() -> None:
    # 0 -> 1 -> 3, 0 -> 2 -> 3, 2 -> 4, and 5 <-> 6 (a cycle, never reached), 6 -> 7
    src = np.array([0, 1, 0, 2, 2, 5, 6, 6])
    dst = np.array([1, 3, 2, 3, 4, 6, 5, 7])
    assert _levels(8, src, dst).tolist() == [0, 1, 1, 2, 2, -1, -1, -1]


def _partition(labels: list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for node, label in enumerate(labels):
        groups.setdefault(label, set()).add(node)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("scipy", [True, False], ids=["scipy", "networkx"])
def test_strong_components_known_answer(scipy: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if scipy:
        pytest.importorskip("scipy")
    else:  # scipy is an optional extra: without it, networkx finds the same components
        real = builtins.__import__

        def no_scipy(name: str, *args: Any, **kwargs: Any) -> Any:
            if name.startswith("scipy"):
                raise ImportError(name)
            return real(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_scipy)
    # {0, 1, 2} a cycle, 3 alone with a self-loop, {4, 5} a cycle fed by 2, 6 a sink
    src = np.array([0, 1, 2, 3, 2, 4, 5, 5])
    dst = np.array([1, 2, 0, 3, 4, 5, 4, 6])
    expected = {frozenset({0, 1, 2}), frozenset({3}), frozenset({4, 5}), frozenset({6})}
    assert _partition(strong_components(7, src, dst).tolist()) == expected


def test_generated_network_cycles_are_networkx_components() -> None:
    chain = generated(300, 11, 0.05)
    c = compile_chain(chain)
    graph = build_graph(chain)
    expected = {
        frozenset(component)
        for component in nx.strongly_connected_components(graph)
        if len(component) > 1 or graph.has_edge(next(iter(component)), next(iter(component)))
    }
    assert {frozenset(c.nodes[n] for n in members) for members in c.cyclic} == expected
    assert expected  # the generator made some
    # every link goes from an earlier generation to a later one, or stays in its component
    generation = np.empty(c.size, dtype=np.intp)
    for g, rows in enumerate(c.by_generation):
        generation[rows] = g
    for members, g in zip(c.cyclic, c.cyclic_generation, strict=True):
        generation[list(members)] = g
    inside = {(a, b) for members in c.cyclic for a in members for b in members}
    for src, dst in zip(c.in_src.tolist(), c.in_user.tolist(), strict=True):
        assert generation[src] < generation[dst] or (src, dst) in inside


def test_chunks_bound_a_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step's working matrix is split into chunks of at most CHUNK cells: same results."""
    chain = generated(200, 5, 0.02)
    expected = analyze(chain).to_dict()
    monkeypatch.setattr(compiled_module, "CHUNK", 16)
    assert analyze(chain).to_dict() == expected


def test_curated_chains_import_neither_scipy_nor_rich() -> None:
    code = (
        "import sys; from chokepoint import analyze, load_chain, run_scenario; "
        "from chokepoint.core.scenarios import sweep; c = load_chain('robots'); analyze(c); "
        "run_scenario(c, 'japan-components'); sweep(c, cut='JP', severity=(0.5, 1.0)); "
        "print(sorted(m for m in ('scipy', 'rich', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def _small_chain() -> Chain:
    """Four nodes: shares summing above 1, `other`, a region, none at all; cost shares summing
    above 1 and one unknown."""
    from chokepoint.model import Input, Node

    nodes = (
        Node("a", "A", "up", shares={"CN": 0.1, "JP": 0.2, "KR": 0.3}),
        Node("b", "B", "up", shares={"JP": 0.5, "CN": 0.3, "other": 0.25}),  # sums to 1.05
        Node("c", "C", "up"),
        Node(
            "d",
            "D",
            "down",
            shares={"EU": 0.4, "CN": 0.6},
            inputs=(Input("a", 0.6), Input("b", 0.42), Input("c", None)),  # 1.02 known
        ),
    )
    return Chain("t", "T", "CN", 2020, ("up", "down"), nodes, regions={"EU": ("DE", "FR")})


def test_origin_splits_known_answer() -> None:
    """Shares above 1 are divided by their sum; sums run left to right, as Python's sum."""
    c = compile_chain(_small_chain())
    a, b, none, d = (c.splits[k] for k in range(4))
    # a: 0.1 (CN) domestic; 0.1 + 0.2 + 0.3 = 0.6000000000000001 left to right, so the rest is
    # 1 - 0.6000000000000001 = 0.3999999999999999
    assert (a.domestic, dict(a.foreign), a.other) == (0.1, {"JP": 0.2, "KR": 0.3}, 0.0)
    assert a.unattributed == 1.0 - ((0.1 + 0.2) + 0.3) == 0.3999999999999999
    # b: total 0.5 + 0.3 + 0.25 = 1.05 > 1, every share / 1.05
    assert b.domestic == 0.3 / 1.05
    assert dict(b.foreign) == {"JP": 0.5 / 1.05}
    assert b.other == 0.25 / 1.05
    assert b.unattributed == max(0.0, 1.0 - ((0.5 / 1.05 + 0.3 / 1.05) + 0.25 / 1.05))
    assert (none.known, none.domestic, dict(none.foreign), none.unattributed) == (
        False,
        1.0,
        {},
        0.0,
    )
    assert (d.domestic, dict(d.foreign)) == (0.6, {"EU": 0.4})
    assert [s.known for s in c.splits] == [True, True, False, True]
    assert (
        "shares summing above 1 (within the loader's tolerance) were divided by their sum: b (1.05)"
        in c.assumptions
    )
    # the arrays are those of the splits
    assert c.domestic.tolist() == [0.1, 0.3 / 1.05, 1.0, 0.6]
    assert c.pair_origin == ("JP", "KR", "JP", "EU")
    assert c.pair_ptr.tolist() == [0, 2, 3, 3, 4]


def test_splits_sequence_and_split_shares_agree() -> None:
    """``Compiled.splits`` makes each split when asked; every way of reading it gives
    :func:`split_shares` of the node's shares."""
    from chokepoint.core.compiled import split_shares

    chain = _small_chain()
    c = compile_chain(chain)
    expected = [split_shares(n.shares, c.domestic_keys) for n in chain.nodes]
    assert len(c.splits) == 4
    assert list(c.splits) == expected
    assert [c.splits[k] for k in range(4)] == expected
    assert c.splits[-1] == expected[-1]
    assert c.splits[1:3] == tuple(expected[1:3])
    with pytest.raises(IndexError):
        c.splits[4]


def test_cost_shares_known_answer() -> None:
    """d's known cost shares sum to 0.6 + 0.42 = 1.02 > 1: each is multiplied by 1 / 1.02;
    the unknown one weighs 0 and is marked unknown."""
    c = compile_chain(_small_chain())
    a, b = int(c.in_ptr[3]), int(c.in_ptr[4])
    assert c.in_cost[a:b].tolist() == [0.6 * (1.0 / 1.02), 0.42 * (1.0 / 1.02), 0.0]
    assert c.in_known[a:b].tolist() == [True, True, False]


def test_row_sums_add_left_to_right() -> None:
    """(0.1 + 0.2) + 0.3 = 0.6000000000000001 while 0.1 + (0.2 + 0.3) = 0.6: the order of
    Python's sum, whatever the rows' lengths."""
    from chokepoint.core.compiled import _row_sums

    ptr = np.array([0, 3, 3, 4, 6])
    values = np.array([0.1, 0.2, 0.3, 5.0, 0.5, 0.25])
    assert _row_sums(ptr, values).tolist() == [0.6000000000000001, 0.0, 5.0, 0.75]
    assert _row_sums(np.zeros(1, dtype=np.intp), np.zeros(0)).tolist() == []
