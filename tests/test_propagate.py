"""The loss models on the compiled form: hand-worked batches, and any batch against a plain
fixed-point iteration written here node by node (a reference that shares no code with the core)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chokepoint import load_chain
from chokepoint.core.compiled import Compiled, compile_chain
from chokepoint.core.propagate import cut_matrix, import_losses, propagate
from chokepoint.core.scenarios import Scenario, run_scenarios, sweep
from chokepoint.errors import ScenarioError
from chokepoint.io.generate import build_network
from chokepoint.io.loader import check_document
from chokepoint.io.yamlread import Located
from chokepoint.model import Cut, Shock

from .chains import CYCLE, FIVE, MIXED, write_chain

CHAINS = {"five": FIVE, "cycle": CYCLE, "mixed": MIXED}


def compiled_of(tmp_path: Path, name: str) -> Compiled:
    return compile_chain(load_chain(write_chain(tmp_path, name, CHAINS[name])))


def reference(c: Compiled, imports: np.ndarray, shocks: np.ndarray, model: str) -> np.ndarray:
    """The model's equations iterated on every node at once from zero loss (Jacobi), in plain
    Python per node, until nothing moves: the least fixed point, for each column."""
    chain = c.chain
    out = np.zeros_like(imports)
    for j in range(imports.shape[1]):
        q = dict.fromkeys(c.nodes, 0.0)
        for _ in range(100_000):
            new = {}
            for k, node in enumerate(chain.nodes):
                if model == "leontief":
                    d = max([shocks[k, j]] + [q[i.node] for i in node.inputs if i.essential])
                else:
                    d = min(
                        1.0,
                        shocks[k, j] + sum((i.cost_share or 0.0) * q[i.node] for i in node.inputs),
                    )
                new[node.id] = min(1.0, imports[k, j] + c.splits[k].domestic * d)
            moved = max(abs(new[n] - q[n]) for n in q)
            q = new
            if moved < 1e-15:
                break
        out[:, j] = [q[n] for n in c.nodes]
    return out


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize("name", sorted(CHAINS))
def test_batch_equals_the_reference(tmp_path: Path, name: str, model: str) -> None:
    c = compiled_of(tmp_path, name)
    rng = np.random.default_rng(7)
    pairs = len(c.pair_origin)
    kappa = rng.random((pairs, 40)) * (rng.random((pairs, 40)) < 0.5)
    kappa[:, :3] = np.array([0.0, 1.0, 0.5])  # no cut, every pair cut fully, halfway
    shocks = rng.random((c.size, 40)) * (rng.random((c.size, 40)) < 0.3)
    imports = import_losses(c, kappa)
    q, domestic = propagate(c, imports, shocks, model)  # type: ignore[arg-type]
    np.testing.assert_allclose(q, reference(c, imports, shocks, model), rtol=0, atol=1e-12)
    np.testing.assert_allclose(q, np.minimum(imports + domestic, 1.0), rtol=0, atol=0)
    # one column at a time gives the same losses as the batch
    for j in (0, 1, 17):
        alone, _ = propagate(c, imports[:, [j]], shocks[:, [j]], model)  # type: ignore[arg-type]
        np.testing.assert_allclose(alone[:, 0], q[:, j], rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # test_scenarios.py's hand-worked values for JP=1 everywhere plus c2 shocked by 0.2
        ("leontief", {"m1": 0.6, "m2": 0.0, "c1": 0.76, "c2": 0.2, "f": 0.684}),
        ("linear", {"m1": 0.6, "m2": 0.0, "c1": 0.58, "c2": 0.2, "f": 0.2628}),
    ],
)
def test_five_by_hand(tmp_path: Path, model: str, expected: dict[str, float]) -> None:
    c = compiled_of(tmp_path, "five")
    scenarios = [Scenario(cuts=(Cut("JP", 1.0),), shocks=(Shock("c2", 0.2),)), Scenario()]
    q, _, _ = run_scenarios(c, scenarios, model)  # type: ignore[arg-type]
    assert {n: q[c.index[n], 0] for n in expected} == pytest.approx(expected)
    assert not q[:, 1].any()  # the empty scenario loses nothing


def test_cycle_by_hand(tmp_path: Path) -> None:
    c = compiled_of(tmp_path, "cycle")
    # US cuts b at 1 and at 0.5: qb = 0.2k + 0.8 qa, qa = 0.5 max(qa, qb) -> qb = k/3, qa = k/6
    kappa = cut_matrix(c, [[Cut("US", 1.0, ("b",))], [Cut("US", 0.5, ("b",))]])
    q, _ = propagate(c, import_losses(c, kappa))
    assert q[c.index["b"]] == pytest.approx([1 / 3, 1 / 6])
    assert q[c.index["a"]] == pytest.approx([1 / 6, 1 / 12])
    assert q[c.index["c"]] == pytest.approx([1 / 6, 1 / 12])


def test_cut_matrix_regions_and_sweep_rows(tmp_path: Path) -> None:
    c = compiled_of(tmp_path, "mixed")
    pairs = [(o, c.nodes[r]) for o, r in zip(c.pair_origin, c.pair_row.tolist(), strict=True)]
    # EU reaches its own key at r and its members' keys DE and FR at p
    eu = cut_matrix(c, [[Cut("EU", 1.0)]])[:, 0]
    assert [pair for pair, hit in zip(pairs, eu.tolist(), strict=True) if hit] == [
        ("EU", "r"),
        ("DE", "p"),
        ("FR", "p"),
    ]
    # the largest cut of a pair applies
    both = cut_matrix(c, [[Cut("EU", 0.3), Cut("DE", 0.8, ("p",))]])[:, 0]
    assert dict(zip(pairs, both.tolist(), strict=True))[("DE", "p")] == 0.8
    assert dict(zip(pairs, both.tolist(), strict=True))[("FR", "p")] == 0.3
    # EU:p at 1: the import loss is (1 - 0.5) * (0.5 + 0.4)
    one = import_losses(c, cut_matrix(c, [[Cut("EU", 1.0, ("p",))]]))
    assert one[c.index["p"], 0] == pytest.approx(0.45)
    assert np.count_nonzero(one) == 1
    # a sweep over origins is the batch of one cut per origin and severity
    severities = (0.0, 0.3, 1.0)
    rows = {
        (r.origin, r.severity): r for r in sweep(c.chain, over="origins", severity=severities).rows
    }
    scenarios = [[Cut(o, s)] for o in c.origins() for s in severities]
    q, _ = propagate(c, import_losses(c, cut_matrix(c, scenarios)))
    np.testing.assert_allclose(
        q[c.finals].T,
        [[loss for _, loss in rows[o, s].final] for o in c.origins() for s in severities],
        rtol=0,
        atol=1e-15,
    )


def test_bad_shapes_and_model(tmp_path: Path) -> None:
    c = compiled_of(tmp_path, "five")
    with pytest.raises(ScenarioError, match=r"shape \(nodes, S\) = \(5, S\)"):
        propagate(c, np.zeros((4, 2)))
    with pytest.raises(ScenarioError, match="unknown model 'cobb'"):
        propagate(c, np.zeros((5, 2)), None, "cobb")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"shape \(pairs, S\)"):
        import_losses(c, np.zeros((2, 2)))
    with pytest.raises(ScenarioError, match=r"1.5 is outside \[0, 1\]"):
        run_scenarios(c, [Scenario(cuts=(Cut("JP", 1.5),))])


def test_non_convergence_names_the_cycle(tmp_path: Path) -> None:
    # fully domestic z uses itself: q = h + w q with w = 1 - 1e-7 moves by h w^t ~ 1e-8 per
    # iteration, so 10,000 iterations do not reach the 1e-12 tolerance (the fixed point is 0.1)
    path = write_chain(
        tmp_path,
        "slow",
        """\
        - {id: z, name: Z, stage: up, shares: {CN: 1.0}, source: s, inputs: [{node: z, cost_share: 0.9999999}]}
        """,
    )
    c = compile_chain(load_chain(path))
    shocks = np.full((1, 2), 1e-8)
    with pytest.raises(ScenarioError, match="the losses on the cycle z did not converge"):
        propagate(c, np.zeros((1, 2)), shocks, "linear")
    # leontief: q = max(h, q) is reached at once
    q, _ = propagate(c, np.zeros((1, 2)), shocks)
    assert q.tolist() == [[1e-8, 1e-8]]


def test_empty_batch(tmp_path: Path) -> None:
    c = compiled_of(tmp_path, "cycle")
    q, domestic = propagate(c, np.zeros((3, 0)))
    assert q.shape == domestic.shape == (3, 0)


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize(("nodes", "seed", "cycles"), [(50, 7, 0.2), (180, 8, 0.05)])
def test_generated_networks_equal_the_reference(
    nodes: int, seed: int, cycles: float, model: str
) -> None:
    c = compile_chain(check_document(Located(build_network(nodes, seed, cycles=cycles), "net")))
    assert c.cyclic  # the generator made some cycles
    rng = np.random.default_rng(seed)
    imports = rng.random((c.size, 6)) * (rng.random((c.size, 6)) < 0.2)
    shocks = rng.random((c.size, 6)) * (rng.random((c.size, 6)) < 0.1)
    q, _ = propagate(c, imports, shocks, model)  # type: ignore[arg-type]
    np.testing.assert_allclose(q, reference(c, imports, shocks, model), rtol=0, atol=1e-11)


@pytest.mark.parametrize("model", ["leontief", "linear"])
def test_cycles_finished_pair_by_pair_give_the_same_bits(
    monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    """The last sweeps of a cyclic component, run one (component, column) pair at a time in
    Python floats (:func:`_finish`), give the bits of the sweeps run on every pair at once:
    never finished early, finished after the first sweep, and the default, with inputs
    buffered at random (the time model's stocks) and without."""
    import chokepoint.core.propagate as core

    c = compile_chain(check_document(Located(build_network(300, 5, cycles=0.1), "net")))
    assert len(c.cyclic) > 5
    rng = np.random.default_rng(11)
    imports = rng.random((c.size, 9)) * (rng.random((c.size, 9)) < 0.3)
    shocks = rng.random((c.size, 9)) * (rng.random((c.size, 9)) < 0.1)
    buffered = rng.random((c.size, 9)) < 0.2
    found = []
    for cells in (0, 10**9, core._FINISH_CELLS):
        monkeypatch.setattr(core, "_FINISH_CELLS", cells)
        found.append(
            [
                propagate(c, imports, shocks, model)[0],  # type: ignore[arg-type]
                propagate(c, imports, shocks, model, buffered)[1],  # type: ignore[arg-type]
            ]
        )
    for other in found[1:]:
        for mine, theirs in zip(found[0], other, strict=True):
            assert mine.tobytes() == theirs.tobytes()


def test_cut_imports_in_pieces_and_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """The import losses of a list of cuts: each node's terms s_n(c) kappa added in list
    order from 0 (np.bincount's order), then times 1 - sigma_n; the same bits in pieces of 5
    cuts, and written into a given matrix (whatever it held) in the plan's row order."""
    import chokepoint.core.propagate as core

    c = compile_chain(check_document(Located(build_network(120, 2), "net")))
    rng = np.random.default_rng(4)
    width = 7
    column = np.repeat(np.arange(width), 40)
    pair = np.concatenate([np.sort(rng.choice(c.pair_share.size, 40, replace=False))] * width)
    severity = rng.random(pair.size)
    sums = np.bincount(
        c.pair_row[pair] * width + column,
        weights=c.pair_share[pair] * severity,
        minlength=c.size * width,
    ).reshape(c.size, width)
    expected = sums * (1.0 - c.substitutability)[:, None]
    assert (c.substitutability > 0).any()
    whole = core.cut_imports(c, pair, column, severity, width)
    monkeypatch.setattr(core, "_CUTS", 5)
    steps = core.plan(c)
    out = rng.random((c.size, width))
    pieces = core.cut_imports(c, pair, column, severity, width, plan=steps, out=out)
    assert pieces is out
    assert whole.tobytes() == expected.tobytes()
    assert pieces.tobytes() == expected[steps.order].tobytes()
    with pytest.raises(ScenarioError, match="C-contiguous matrix of shape"):
        core.cut_imports(c, pair, column, severity, width, out=out[:, :3])


@pytest.mark.parametrize("model", ["leontief", "linear"])
def test_gross_import_losses_netted_row_by_row(model: str) -> None:
    """Import losses summed gross and netted of substitution (times 1 - sigma_n) as each row
    is propagated: the bits of netting them first, on a network with substitutable nodes and
    cycles; gross sums take no override and need the plan's order."""
    import chokepoint.core.propagate as core

    c = compile_chain(check_document(Located(build_network(300, 5, cycles=0.1), "net")))
    assert (c.substitutability > 0).any()
    rng = np.random.default_rng(8)
    width = 5
    column = np.repeat(np.arange(width), 60)
    pair = np.concatenate([np.sort(rng.choice(c.pair_share.size, 60, replace=False))] * width)
    severity = rng.random(pair.size)
    steps = core.plan(c, model)  # type: ignore[arg-type]
    net = core.cut_imports(c, pair, column, severity, width, plan=steps)
    gross = core.cut_imports(c, pair, column, severity, width, plan=steps, gross=True)
    assert not np.array_equal(net, gross)
    kwargs = {"plan": steps, "ordered": True}
    want, want_dom = core.propagate(c, net, None, model, **kwargs)  # type: ignore[arg-type]
    got, got_dom = core.propagate(c, gross.copy(), None, model, gross=True, **kwargs)  # type: ignore[arg-type]
    assert got.tobytes() == want.tobytes()
    assert got_dom.tobytes() == want_dom.tobytes()
    same, _ = core.propagate(  # type: ignore[call-overload]
        c, gross, None, model, out=gross, domestic=False, gross=True, **kwargs
    )
    assert same.tobytes() == want.tobytes()
    with pytest.raises(ScenarioError, match="no substitution override"):
        core.cut_imports(c, pair, column, severity, width, {"n0": 0.5}, gross=True)
    with pytest.raises(ScenarioError, match="gross=True needs ordered=True"):
        core.propagate(c, gross, None, model, gross=True)  # type: ignore[arg-type]
