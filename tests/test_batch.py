"""The vectorised disruption model gives, column by column, the losses of the scalar one."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import chokepoint.core.batch
from chokepoint import load_chain
from chokepoint.core.batch import (
    Plan,
    cut_matrix,
    family_matrix,
    pairs_import,
    propagate_batch,
)
from chokepoint.core.scenarios import Prepared, prepare, propagate_losses, sweep_cuts
from chokepoint.errors import ScenarioError
from chokepoint.model import Cut

from .chains import CYCLE, FIVE, MIXED, write_chain

CHAINS = {"five": FIVE, "cycle": CYCLE, "mixed": MIXED}


@pytest.fixture(params=sorted(CHAINS))
def prepared(request: pytest.FixtureRequest, tmp_path: Path) -> Prepared:
    name = request.param
    return prepare(load_chain(write_chain(tmp_path, name, CHAINS[name])))


def scalar(
    prepared: Prepared, imports: np.ndarray, shocks: np.ndarray | None, model: str
) -> np.ndarray:
    """propagate_losses column by column, rows in the plan's order."""
    nodes = list(prepared.graph)
    out = np.zeros_like(imports)
    for j in range(imports.shape[1]):
        values = propagate_losses(
            prepared.graph,
            prepared.splits,
            {n: float(imports[k, j]) for k, n in enumerate(nodes) if imports[k, j]},
            {} if shocks is None else {n: float(shocks[k, j]) for k, n in enumerate(nodes)},
            model,  # type: ignore[arg-type]
            prepared.order,
        )
        out[:, j] = [values[n][0] for n in nodes]
    return out


def random_cuts(plan: Plan, count: int, seed: int) -> np.ndarray:
    """kappa (pairs x count): each pair cut with probability 1/2 at a random severity, some 1."""
    rng = np.random.default_rng(seed)
    kappa = rng.random((len(plan.pairs), count)) * (rng.random((len(plan.pairs), count)) < 0.5)
    kappa[:, :3] = np.array([0.0, 1.0, 0.5])  # no cut, every pair cut fully, halfway
    return kappa


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize("with_shocks", [False, True])
def test_batch_equals_scalar(prepared: Prepared, model: str, with_shocks: bool) -> None:
    plan = Plan.build(prepared)
    kappa = random_cuts(plan, 200, seed=7)
    imports = pairs_import(plan, kappa)
    shocks = None
    if with_shocks:
        rng = np.random.default_rng(8)
        shocks = rng.random(imports.shape) * (rng.random(imports.shape) < 0.3)
    got = propagate_batch(plan, imports, shocks, model)  # type: ignore[arg-type]
    np.testing.assert_allclose(got, scalar(prepared, imports, shocks, model), rtol=1e-12, atol=0)
    assert got.shape == (len(prepared.graph), 200)
    assert np.all((got >= 0) & (got <= 1))


def test_pairs_import_equals_scalar_import_losses(prepared: Prepared) -> None:
    plan = Plan.build(prepared)
    kappa = random_cuts(plan, 50, seed=3)
    cuts = [
        [Cut(c, float(kappa[p, j]), (n,)) for p, (c, n) in enumerate(plan.pairs) if kappa[p, j]]
        for j in range(kappa.shape[1])
    ]
    np.testing.assert_allclose(
        pairs_import(plan, kappa), cut_matrix(plan, cuts), rtol=1e-12, atol=0
    )


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # test_scenarios.py's hand-worked values for JP=1 everywhere plus c2 shocked by 0.2
        ("leontief", {"m1": 0.6, "m2": 0.0, "c1": 0.76, "c2": 0.2, "f": 0.684}),
        ("linear", {"m1": 0.6, "m2": 0.0, "c1": 0.58, "c2": 0.2, "f": 0.2628}),
    ],
)
def test_five_by_hand(tmp_path: Path, model: str, expected: dict[str, float]) -> None:
    plan = Plan.build(prepare(load_chain(write_chain(tmp_path, "five", FIVE))))
    imports = cut_matrix(plan, [[Cut("JP", 1.0)], []])
    shocks = np.zeros_like(imports)
    shocks[plan.index["c2"], 0] = 0.2
    q = propagate_batch(plan, imports, shocks, model)  # type: ignore[arg-type]
    assert {n: q[plan.index[n], 0] for n in expected} == pytest.approx(expected)
    assert not q[:, 1].any()  # the empty scenario loses nothing


def test_cycle_by_hand(tmp_path: Path) -> None:
    plan = Plan.build(prepare(load_chain(write_chain(tmp_path, "cycle", CYCLE))))
    # US cuts b at 1 and at 0.5: qb = 0.2k + 0.8 qa, qa = 0.5 max(qa, qb) -> qb = k/3, qa = k/6
    q = propagate_batch(plan, family_matrix(plan, [("US", ["b"])], [1.0, 0.5]))
    assert q[plan.index["b"]] == pytest.approx([1 / 3, 1 / 6])
    assert q[plan.index["a"]] == pytest.approx([1 / 6, 1 / 12])
    assert q[plan.index["c"]] == pytest.approx([1 / 6, 1 / 12])


def test_family_matrix_regions_and_sweep_rows(tmp_path: Path) -> None:
    prepared = prepare(load_chain(write_chain(tmp_path, "mixed", MIXED)))
    plan = Plan.build(prepared)
    # EU reaches its own key at r and its members' keys DE and FR at p
    eu = dict(zip(plan.pairs, plan.pair_mask("EU").tolist(), strict=True))
    assert [pair for pair, hit in eu.items() if hit] == [("EU", "r"), ("DE", "p"), ("FR", "p")]
    origins = sorted({c for c, _ in plan.pairs})
    severities = [0.0, 0.3, 1.0]
    imports = family_matrix(plan, [(c, ()) for c in origins], severities)
    q = propagate_batch(plan, imports)
    rows = sweep_cuts(prepared.chain, over="origins", severities=tuple(severities)).rows
    finals = [[loss for _, loss in r.final] for r in rows]
    np.testing.assert_allclose(q[plan.finals].T, finals, rtol=1e-12, atol=0)
    # EU:p at 1: the import loss is (1 - 0.5) * (0.5 + 0.4)
    one = family_matrix(plan, [("EU", ["p"])], [1.0])
    assert one[plan.index["p"], 0] == pytest.approx(0.45)
    assert np.count_nonzero(one) == 1


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (("KR", ()), "not a foreign origin"),
        (("CN", ()), "the perspective's own supply"),
        (("JP", ("zz",)), "unknown node 'zz'"),
        (("DE", ("m1",)), r"DE has no share in m1 \(its foreign origins: JP\)"),
    ],
)
def test_family_matrix_refuses_bad_cuts(
    tmp_path: Path, cut: tuple[str, tuple[str, ...]], message: str
) -> None:
    plan = Plan.build(prepare(load_chain(write_chain(tmp_path, "five", FIVE))))
    with pytest.raises(ScenarioError, match=message):
        family_matrix(plan, [cut], [1.0])


def test_bad_shapes_model_and_severities(tmp_path: Path) -> None:
    plan = Plan.build(prepare(load_chain(write_chain(tmp_path, "five", FIVE))))
    with pytest.raises(ScenarioError, match=r"shape \(nodes, S\) = \(5, S\)"):
        propagate_batch(plan, np.zeros((4, 2)))
    with pytest.raises(ScenarioError, match="shocks must have the shape"):
        propagate_batch(plan, np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ScenarioError, match="unknown model 'cobb'"):
        propagate_batch(plan, np.zeros((5, 2)), None, "cobb")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"shape \(pairs, S\)"):
        pairs_import(plan, np.zeros((2, 2)))
    with pytest.raises(ScenarioError, match=r"in \[0, 1\]"):
        family_matrix(plan, [("JP", ())], [1.5])


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
    prepared = prepare(load_chain(path))
    shocks = np.full((1, 2), 1e-8)
    with pytest.raises(ScenarioError, match="the losses on the cycle z did not converge"):
        propagate_losses(prepared.graph, prepared.splits, {}, {"z": 1e-8}, "linear")
    with pytest.raises(ScenarioError, match="the losses on the cycle z did not converge"):
        propagate_batch(prepared, np.zeros((1, 2)), shocks, "linear")
    # leontief: q = max(h, q) is reached at once
    assert propagate_batch(prepared, np.zeros((1, 2)), shocks).tolist() == [[1e-8, 1e-8]]


def test_empty_batch(tmp_path: Path) -> None:
    plan = Plan.build(prepare(load_chain(write_chain(tmp_path, "cycle", CYCLE))))
    assert propagate_batch(plan, np.zeros((3, 0))).shape == (3, 0)


def test_doctests() -> None:
    failures, _ = doctest.testmod(chokepoint.core.batch, optionflags=doctest.ELLIPSIS)
    assert failures == 0
