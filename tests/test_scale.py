"""The array form (chokepoint.core.sparse) gives the figures of the graph form, on any network.

Known answers first (the hand-worked chains of test_analysis.py, now through the array form),
then the two forms compared on random generated networks with cycles, every metric and every
scenario, and the pieces of the array form (generations, strongly connected components) on
graphs whose answer is known. No timings: benchmarks/run.py measures speed.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

from chokepoint import analyze, load_chain  # noqa: E402
from chokepoint.core.batch import Plan, pairs_import, propagate_batch  # noqa: E402
from chokepoint.core.scenarios import (  # noqa: E402
    Scenario,
    prepare,
    propagate_losses,
    run_scenario,
    sweep_cuts,
)
from chokepoint.core.sparse import Network, _generations, _tarjan, strong_components  # noqa: E402
from chokepoint.errors import AnalysisError  # noqa: E402
from chokepoint.io.forms import parse_cut  # noqa: E402
from chokepoint.io.generate import generate  # noqa: E402
from chokepoint.io.loader import check_document  # noqa: E402
from chokepoint.io.yamlread import Located  # noqa: E402
from chokepoint.model import Chain, Shock  # noqa: E402

from .chains import write_chain  # noqa: E402
from .test_analysis import CYCLE, REMAINDERS, TIERS  # noqa: E402


def generated(nodes: int, seed: int, cycles: float) -> Chain:
    return check_document(Located(generate(nodes, seed, cycles=cycles), "generated"))


# --- known answers through the array form ------------------------------------------------------


def test_arrays_cycle_known_answers(tmp_path: Path) -> None:
    result = analyze(
        load_chain(write_chain(tmp_path, "cycle", CYCLE, "[up, down]")), method="arrays"
    )
    a, b, c = (result.node(n) for n in "abc")
    # JP: Xa = 0.5 + 0.5 (0.5 Xb + 0.2 Xa), Xb = 0.2 Xa -> Xa = 0.5 / 0.85
    assert a.exposure["JP"] == pytest.approx(0.5 / 0.85)
    assert b.exposure["US"] == pytest.approx(0.2 + 0.2 * 0.05 / 0.85)
    assert c.total_dependence == pytest.approx(0.5 * 0.55 / 0.85)
    # JP cut at a feeds back through the self-input to 1; US cut at b: qb = 1/3, qc = qa = 1/6
    assert a.impact == pytest.approx(1.0)
    assert b.impact == pytest.approx(1 / 6)
    assert (a.impact_on, b.impact_on, c.impact) == ("c", "c", None)
    assert result.finals == ("c",)


def test_arrays_tiers_known_answers(tmp_path: Path) -> None:
    tiers = load_chain(write_chain(tmp_path, "tiers", TIERS, "[s1, s2, s3, s4, s5, s6]"))
    result = analyze(tiers, method="arrays")
    expected_kr = [0.6, 0.27, 0.135, 0.0675, 0.054, 0.0162]
    expected_t = [0.6, 0.37, 0.185, 0.5925, 0.474, 0.5422]
    for k, node in enumerate(result.nodes):
        assert node.exposure.get("KR", 0.0) == pytest.approx(expected_kr[k])
        assert node.total_dependence == pytest.approx(expected_t[k])
    # impacts: t1 0.6 x 0.9 x 1 x 0.5 x 1 x 0.6 = 0.162; t4 0.5 x 1 x 0.6 = 0.3; t6 0.4 itself
    impacts = [result.node(n).impact for n in ("t1", "t2", "t4", "t6")]
    assert impacts == pytest.approx([0.162, 0.03, 0.3, 0.4])
    assert [n.id for n in result.chokepoints()] == ["t4", "t1"]
    with pytest.raises(AnalysisError, match="--strict: no shares known for t5"):
        analyze(tiers, strict=True, method="arrays")


def test_arrays_singular_cycle_same_message(tmp_path: Path) -> None:
    nodes = """\
    - {id: a, name: A, stage: up, shares: {CN: 1.0}, source: s, inputs: [{node: a, cost_share: 1.0}]}
    """
    chain = load_chain(write_chain(tmp_path, "singular", nodes, "[up]"))
    messages = []
    for method in ("graph", "arrays"):
        with pytest.raises(AnalysisError, match="singular on the cycle a") as info:
            analyze(chain, method=method)  # type: ignore[arg-type]
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    ("text", "stages", "extra"),
    [
        (CYCLE, "[up, down]", ""),
        (REMAINDERS, "[up, down]", "regions: {EU: [DE, FR]}"),
        (TIERS, "[s1, s2, s3, s4, s5, s6]", ""),
    ],
)
def test_arrays_equal_graph_on_hand_chains(
    tmp_path: Path, text: str, stages: str, extra: str
) -> None:
    chain = load_chain(write_chain(tmp_path, "hand", text, stages, extra))
    assert analyze(chain, method="arrays") == analyze(chain, method="graph")


# --- the two forms on random networks ----------------------------------------------------------


def _assert_same_analysis(chain: Chain) -> None:
    graph = analyze(chain, method="graph")
    arrays = analyze(chain, method="arrays")
    assert arrays.assumptions == graph.assumptions
    assert arrays.finals == graph.finals
    for x, y in zip(graph.nodes, arrays.nodes, strict=True):
        # direct metrics and the linear solve: bit for bit
        assert (y.id, y.dependence, y.hhi, y.import_hhi, y.top_supplier, y.top_share) == (
            x.id,
            x.dependence,
            x.hhi,
            x.import_hhi,
            x.top_supplier,
            x.top_share,
        )
        assert (y.countries_to_75, y.chokepoint) == (x.countries_to_75, x.chokepoint)
        assert (y.import_hhi_max, y.possible_chokepoint) == (
            x.import_hhi_max,
            x.possible_chokepoint,
        )
        assert y.exposure == x.exposure
        assert y.total_dependence == x.total_dependence
        # impacts: the same final product, the loss to a few ulps (products formed backwards)
        assert y.impact_on == x.impact_on
        if x.impact is None:
            assert y.impact is None
        else:
            assert y.impact is not None
            assert math.isclose(y.impact, x.impact, rel_tol=1e-12, abs_tol=1e-15)
        assert y.reasons == x.reasons


@pytest.mark.parametrize(
    ("nodes", "seed", "cycles"),
    [(20, 1, 0.0), (40, 2, 0.05), (60, 3, 0.1), (120, 4, 0.3), (200, 5, 0.02), (400, 6, 0.01)],
)
def test_arrays_equal_graph_on_generated(nodes: int, seed: int, cycles: float) -> None:
    _assert_same_analysis(generated(nodes, seed, cycles))


@pytest.mark.parametrize("name", ["robots", "machine-tools", "semiconductors"])
def test_arrays_equal_graph_on_shipped(name: str) -> None:
    chain = load_chain(name)
    # the shipped chains' impacts have exact ties of products: the whole result is the same
    assert analyze(chain, method="arrays") == analyze(chain, method="graph")


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize(("nodes", "seed", "cycles"), [(50, 7, 0.2), (180, 8, 0.05)])
def test_scenarios_arrays_equal_graph(nodes: int, seed: int, cycles: float, model: str) -> None:
    chain = generated(nodes, seed, cycles)
    origins = sorted({c for n in chain.nodes for c in n.shares or {}} - {"CN", "other"})
    at = [n.id for n in chain.nodes if n.shares and origins[2] in n.shares][:2]
    scenario = Scenario(
        cuts=(
            parse_cut(f"{origins[0]}=0.5"),
            parse_cut(f"{origins[1]}=1"),
            parse_cut(f"{origins[2]}:{','.join(at)}=0.3"),
        ),
        shocks=(Shock(chain.nodes[-1].id, 0.4), Shock(chain.nodes[40].id, 0.2)),
        substitution={chain.nodes[3].id: 0.5},
    )
    graph = run_scenario(chain, scenario, model=model, method="graph")  # type: ignore[arg-type]
    arrays = run_scenario(chain, scenario, model=model, method="arrays")  # type: ignore[arg-type]
    assert arrays == graph
    for over in ("origins", "nodes"):
        graph_sweep = sweep_cuts(chain, over=over, severities=(0.25, 1.0), method="graph")
        arrays_sweep = sweep_cuts(chain, over=over, severities=(0.25, 1.0), method="arrays")
        assert arrays_sweep == graph_sweep


@pytest.mark.parametrize("model", ["leontief", "linear"])
def test_batched_sweep_equals_one_scenario_at_a_time(
    model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = load_chain("robots")
    severities = tuple(k / 100 for k in range(101))
    batched = sweep_cuts(chain, cut="JP:reducers", severities=severities, model=model)  # type: ignore[arg-type]
    monkeypatch.setattr("chokepoint.core.scenarios.SWEEP_BATCH_MIN", 10**9)
    looped = sweep_cuts(chain, cut="JP:reducers", severities=severities, model=model)  # type: ignore[arg-type]
    assert batched == looped
    assert len(batched.rows) == 101


def test_batched_sweep_checks_like_the_loop() -> None:
    chain = load_chain("robots")
    severities = tuple(k / 100 for k in range(101))
    with pytest.raises(Exception, match="not a foreign origin") as batched:
        sweep_cuts(chain, cut="ZZ", severities=severities)
    with pytest.raises(Exception, match="not a foreign origin") as looped:
        sweep_cuts(chain, cut="ZZ", severities=severities[:3])
    assert str(batched.value) == str(looped.value)
    with pytest.raises(Exception, match=r"cut JP: 1\.5 is outside \[0, 1\]"):
        sweep_cuts(chain, cut="JP", severities=(*severities, 1.5))


def test_propagate_columns_equal_propagate_losses() -> None:
    chain = generated(150, 9, 0.1)
    network = Network.build(chain)
    prepared = prepare(chain)
    rng = np.random.default_rng(3)
    imports = rng.random((len(network.nodes), 12)) * (rng.random((len(network.nodes), 12)) < 0.2)
    shocks = rng.random((len(network.nodes), 12)) * (rng.random((len(network.nodes), 12)) < 0.1)
    for model in ("leontief", "linear"):
        q, domestic = network.propagate(imports, shocks, model)  # type: ignore[arg-type]
        for j in range(12):
            expected = propagate_losses(
                prepared.graph,
                prepared.splits,
                {n: float(imports[k, j]) for k, n in enumerate(network.nodes) if imports[k, j]},
                {n: float(shocks[k, j]) for k, n in enumerate(network.nodes) if shocks[k, j]},
                model,  # type: ignore[arg-type]
                prepared.order,
            )
            assert q[:, j].tolist() == [expected[n][0] for n in network.nodes]
            assert domestic[:, j].tolist() == [expected[n][2] for n in network.nodes]


def test_pairs_import_equals_batch() -> None:
    chain = generated(120, 10, 0.05)
    network = Network.build(chain)
    plan = Plan.build(prepare(chain))
    origins, rows, shares, _ = network.pairs()
    assert list(zip(origins, [network.nodes[r] for r in rows.tolist()], strict=True)) == plan.pairs
    assert shares.tolist() == plan.pair_shares.tolist()
    kappa = np.random.default_rng(4).random((len(origins), 9))
    assert np.array_equal(network.pairs_import(kappa), pairs_import(plan, kappa))
    q_batch = propagate_batch(plan, pairs_import(plan, kappa))
    q_network, _ = network.propagate(network.pairs_import(kappa))
    assert np.array_equal(q_network, q_batch)


# --- the pieces ---------------------------------------------------------------------------------


def test_generations_known_answer() -> None:
    # 0 -> 1 -> 3, 0 -> 2 -> 3, 2 -> 4, and 5 <-> 6 (a cycle, never reached), 6 -> 7
    src = np.array([0, 1, 0, 2, 2, 5, 6, 6])
    dst = np.array([1, 3, 2, 3, 4, 6, 5, 7])
    assert _generations(8, src, dst).tolist() == [0, 1, 1, 2, 2, -1, -1, -1]


def _partition(labels: list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for node, label in enumerate(labels):
        groups.setdefault(label, set()).add(node)
    return {frozenset(g) for g in groups.values()}


def test_strong_components_known_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # {0, 1, 2} a cycle, 3 alone with a self-loop, {4, 5} a cycle fed by 2, 6 a sink
    src = np.array([0, 1, 2, 3, 2, 4, 5, 5])
    dst = np.array([1, 2, 0, 3, 4, 5, 4, 6])
    expected = {frozenset({0, 1, 2}), frozenset({3}), frozenset({4, 5}), frozenset({6})}
    assert _partition(_tarjan(7, src, dst).tolist()) == expected
    assert _partition(strong_components(7, src, dst).tolist()) == expected
    monkeypatch.setattr("chokepoint.core.sparse.SCIPY_MIN_LINKS", 0)
    assert _partition(strong_components(7, src, dst).tolist()) == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tarjan_equals_scipy_on_random_graphs(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("scipy")
    monkeypatch.setattr("chokepoint.core.sparse.SCIPY_MIN_LINKS", 0)
    rng = np.random.default_rng(seed)
    size = 300
    src = rng.integers(0, size, 900)
    dst = rng.integers(0, size, 900)
    assert _partition(_tarjan(size, src, dst).tolist()) == _partition(
        strong_components(size, src, dst).tolist()
    )


def test_generated_network_cycles_are_components() -> None:
    chain = generated(300, 11, 0.05)
    network = Network.build(chain)
    prepared = prepare(chain)
    cyclic = {frozenset(network.nodes[n] for n in members) for members in network.cyclic}
    expected = {
        frozenset(component)
        for component in prepared.order
        if len(component) > 1 or prepared.graph.has_edge(component[0], component[0])
    }
    assert cyclic == expected
    assert cyclic  # the generator made some


def test_small_chains_never_import_numpy() -> None:
    code = (
        "import sys; from chokepoint import analyze, load_chain, run_scenario; "
        "from chokepoint.core.scenarios import sweep_cuts; c = load_chain('robots'); analyze(c); "
        "run_scenario(c, 'japan-components'); sweep_cuts(c, cut='JP', severities=(0.5, 1.0)); "
        "print(sorted(m for m in ('numpy', 'scipy', 'rich') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_large_chains_choose_arrays() -> None:
    from chokepoint.core.analysis import ARRAY_MIN_NODES, use_arrays

    assert not use_arrays(load_chain("robots"))
    assert use_arrays(generated(ARRAY_MIN_NODES, 1, 0.0))
    assert not use_arrays(generated(ARRAY_MIN_NODES, 1, 0.0), "graph")


def test_doctests() -> None:
    import doctest

    import chokepoint.core.sparse

    failures, _ = doctest.testmod(chokepoint.core.sparse, optionflags=doctest.ELLIPSIS)
    assert failures == 0
