"""Large strongly connected components: the closed form of a cut's losses on a cycle (impacts),
and the sparse solve of the exposure system with its singularity test."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from chokepoint import analyze, load_chain
from chokepoint.core import chokepoints as chokepoints_module
from chokepoint.core import metrics as metrics_module
from chokepoint.core.chokepoints import _component, _cut_losses
from chokepoint.core.compiled import Compiled, compile_chain
from chokepoint.core.metrics import _inverse_norm, direct_metrics, exposure
from chokepoint.errors import AnalysisError
from chokepoint.io.generate import build_network
from chokepoint.io.loader import check_document
from chokepoint.io.yamlread import Located

from .chains import write_chain

# a -> b -> c -> a, a chord a -> c, and the final product f made from c; all inputs essential
TRIANGLE = """\
- {id: a, name: A, stage: up, shares: {CN: 0.5, US: 0.5}, source: s,
   inputs: [{node: c, cost_share: 0.5}]}
- {id: b, name: B, stage: up, shares: {CN: 0.8, JP: 0.2}, substitutability: 0.5, source: s,
   inputs: [{node: a, cost_share: 0.5}]}
- {id: c, name: C, stage: up, shares: {CN: 0.9, DE: 0.1}, source: s,
   inputs: [{node: b, cost_share: 0.4}, {node: a, cost_share: 0.1}]}
- {id: f, name: F, stage: down, shares: {CN: 0.6, KR: 0.4}, source: s,
   inputs: [{node: c, cost_share: 0.5}]}
"""


def test_cycle_impacts_by_hand(tmp_path: Path) -> None:
    """Each cut on the cycle comes back to its node round the best loop, a geometric series
    q_n = m (1 + L + L^2 + ...) = m / (1 - L), L = s_n(P) x the best product of s(P) back to n;
    then q_x = q_n x the best product of s(P) from n to x, and F loses 0.6 q_c."""
    result = analyze(load_chain(write_chain(tmp_path, "triangle", TRIANGLE, "[up, down]")))
    impact = {n.id: n.impact for n in result.nodes}
    # cut US at a (m = 0.5): a -> c directly (0.9) beats a -> b -> c (0.8 x 0.9 = 0.72);
    # back to a from c: L = 0.5 x 0.9 = 0.45, q_a = 0.5 / 0.55 = 10/11, q_c = 0.9 x 10/11
    assert impact["a"] == pytest.approx(0.6 * 0.9 * 0.5 / (1 - 0.45), abs=1e-15)
    assert impact["a"] == pytest.approx(27 / 55, abs=1e-15)
    # cut JP at b (m = (1 - 0.5) x 0.2 = 0.1): b -> c (0.9) -> a (0.5 x 0.9 = 0.45), back to b
    # from a: L = 0.8 x 0.45 = 0.36, q_b = 0.1 (1 + 0.36 + 0.36^2 + ...) = 0.15625
    assert impact["b"] == pytest.approx(0.6 * 0.9 * 0.1 / (1 - 0.36), abs=1e-15)
    assert impact["b"] == pytest.approx(0.084375, abs=1e-15)
    # cut DE at c (m = 0.1): c's essential inputs are b (c -> a -> b: 0.5 x 0.8 = 0.4) and a
    # (c -> a: 0.5), the better: L = 0.9 x 0.5 = 0.45, q_c = 0.1 / 0.55 = 2/11
    assert impact["c"] == pytest.approx(0.6 * 0.1 / (1 - 0.45), abs=1e-15)
    assert impact["c"] == pytest.approx(6 / 55, abs=1e-15)
    assert impact["f"] == pytest.approx(0.4, abs=1e-15)  # f is final, outside the cycle
    assert {n.id: n.impact_on for n in result.nodes if n.impact} == dict.fromkeys("abcf", "f")


def _random_component(tmp_path: Path, size: int, seed: int) -> Path:
    """A ring n0 -> n1 -> ... -> n0 with random chords (strongly connected), random shares and
    essential flags (the ring's links essential), and a final product fed by three members."""
    rng = np.random.default_rng(seed)
    lines = []
    for k in range(size):
        domestic = float(rng.uniform(0.0, 0.95)) if k % 7 else 0.0  # some with s(P) = 0
        us = float(rng.uniform(0.0, 1.0 - domestic))
        inputs = [f"{{node: n{(k - 1) % size}, cost_share: 0.3}}"]
        for j in rng.choice(size, size=int(rng.integers(0, 4)), replace=False).tolist():
            if j not in (k, (k - 1) % size):
                essential = "true" if rng.random() < 0.6 else "false"
                inputs.append(f"{{node: n{j}, cost_share: 0.1, essential: {essential}}}")
        sigma = float(rng.choice([0.0, 0.0, 0.3]))
        lines.append(
            f"- {{id: n{k}, name: N{k}, stage: up, shares: {{CN: {domestic!r}, US: {us!r}, "
            f"JP: {1.0 - domestic - us!r}}}, substitutability: {sigma!r}, source: s, "
            f"inputs: [{', '.join(inputs)}]}}"
        )
    feeds = ", ".join(f"{{node: n{k}, cost_share: 0.2}}" for k in (0, size // 3, size // 2))
    lines.append(
        f"- {{id: f, name: F, stage: down, shares: {{CN: 0.7, US: 0.3}}, source: s, "
        f"inputs: [{feeds}]}}"
    )
    return write_chain(tmp_path, f"ring{seed}", "\n".join(lines) + "\n", "[up, down]")


def _brute_force(s: np.ndarray, essential: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """The least fixed point of q = min(1, diag(m) + s x max over essential inputs of q), one
    column per cut, by plain Jacobi sweeps from 0 over the dense matrices until nothing moves."""
    q = np.zeros_like(cut)
    for _ in range(100_000):
        d = np.where(essential[:, :, None], q[None, :, :], 0.0).max(axis=1)
        new = np.minimum(1.0, cut + s[:, None] * d)
        if np.array_equal(new, q):
            return q
        q = new
    raise AssertionError("no fixed point")  # pragma: no cover


@pytest.mark.parametrize(("size", "seed"), [(12, 1), (30, 2), (45, 3)])
def test_cut_losses_equal_a_dense_fixed_point(
    tmp_path: Path, size: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = load_chain(_random_component(tmp_path, size, seed))
    c = compile_chain(chain)
    assert [len(m) for m in c.cyclic] == [size]
    members = c.cyclic[0]
    comp = _component(c, members)
    rows = comp.rows
    direct = direct_metrics(c)
    m = (1.0 - c.substitutability[rows]) * np.nan_to_num(direct.top_share[rows])
    # the dense reference: essential[x, i] when i is an essential input of x
    local = {n: k for k, n in enumerate(rows.tolist())}
    essential = np.zeros((size, size), dtype=np.bool_)
    for src, user, ess in zip(
        c.in_src.tolist(), c.in_user.tolist(), c.in_essential.tolist(), strict=True
    ):
        if ess and src in local and user in local:
            essential[local[user], local[src]] = True
    expected = _brute_force(c.domestic[rows], essential, np.diag(m))
    found = _cut_losses(comp, np.arange(size, dtype=np.intp), m)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-14)
    # the impacts: F loses 0.7 x its worst essential input; the same in chunks of two sources
    worst = 0.7 * expected[[local[c.index[f"n{k}"]] for k in (0, size // 3, size // 2)]].max(0)
    impact = {n.id: n.impact for n in analyze(chain).nodes}
    for n, k in local.items():
        assert impact[c.nodes[n]] == pytest.approx(worst[k], abs=1e-14)
    monkeypatch.setattr(chokepoints_module, "CHUNK", 2 * size)
    assert {n.id: n.impact for n in analyze(chain).nodes} == impact


def _generated(nodes: int, seed: int, cycles: float) -> Any:
    return check_document(Located(build_network(nodes, seed, cycles=cycles), "generated"))


@pytest.mark.parametrize("scipy", [True, False], ids=["scipy", "dense"])
def test_exposure_on_a_large_component_equals_the_dense_inverse(
    scipy: bool,
    monkeypatch: pytest.MonkeyPatch,
    dense_exposure: Callable[[Compiled, list[str]], npt.NDArray[np.float64]],
) -> None:
    """A component of 622 members: sparse LU with scipy, the dense solve without; both give
    X = (I - diag(s_P) W)^-1 S to 1e-12 (the check of test_compiled on a larger component)."""
    if not scipy:
        real = builtins.__import__

        def no_scipy(name: str, *args: Any, **kwargs: Any) -> Any:
            if name.startswith("scipy"):
                raise ImportError(name)
            return real(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_scipy)
    c = compile_chain(_generated(1000, 2, 0.1))
    assert max(len(m) for m in c.cyclic) >= metrics_module.SPARSE_FROM
    origins, x = exposure(c)
    expected = dense_exposure(c, origins)
    np.testing.assert_allclose(x, expected, rtol=0, atol=1e-12)


NEARLY = """\
- {id: a, name: A, stage: up, shares: {CN: 0.99999999999, US: 0.00000000001}, source: s,
   inputs: [{node: b, cost_share: 1.0}]}
- {id: b, name: B, stage: up, shares: {CN: 0.99999999999, US: 0.00000000001}, source: s,
   inputs: [{node: a, cost_share: 1.0}]}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: b, cost_share: 1}]}
"""
EXACTLY = """\
- {id: a, name: A, stage: up, shares: {CN: 1.0}, source: s, inputs: [{node: b, cost_share: 1.0}]}
- {id: b, name: B, stage: up, shares: {CN: 1.0}, source: s, inputs: [{node: a, cost_share: 1.0}]}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: b, cost_share: 1}]}
"""


@pytest.mark.parametrize("solver", ["sparse", "dense"])
@pytest.mark.parametrize("text", [NEARLY, EXACTLY], ids=["nearly", "exactly"])
def test_singular_cycle_on_either_solver(
    tmp_path: Path, solver: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """M = [[1, -s], [-s, 1]], s = 1 - 1e-11: det = 1 - s^2 ~ 2e-11, M^-1 = adj(M) / det, so
    cond_1(M) = ||M||_1 ||M^-1||_1 = (1 + s) x (1 + s) / det ~ 2e11 > 1e10: singular; with
    s = 1 the LU meets a zero pivot. The sparse solver is made to serve a 2-member component."""
    if solver == "sparse":
        pytest.importorskip("scipy")
        monkeypatch.setattr(metrics_module, "SPARSE_FROM", 2)
    path = write_chain(tmp_path, "singular", text, "[up, down]")
    with pytest.raises(AnalysisError, match="exposure system is singular on the cycle (a, b|b, a)"):
        analyze(load_chain(path))


def test_sparse_solver_on_a_small_cycle_matches_the_dense_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("scipy")
    path = write_chain(tmp_path, "triangle", TRIANGLE, "[up, down]")
    dense = exposure(compile_chain(load_chain(path)))[1]
    monkeypatch.setattr(metrics_module, "SPARSE_FROM", 1)
    sparse = exposure(compile_chain(load_chain(path)))[1]
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-15)
    # by hand, total dependence: T_a = 0.5 + 0.5 x 0.5 T_c, T_b = 0.2 + 0.8 x 0.5 T_a,
    # T_c = 0.1 + 0.9 (0.4 T_b + 0.1 T_a): substituting, T_a = 0.5 + 0.25 (0.1 + 0.36 (0.2 +
    # 0.4 T_a) + 0.09 T_a) = 0.5 + 0.25 (0.172 + 0.234 T_a) = 0.543 + 0.0585 T_a
    c = compile_chain(load_chain(path))
    assert sparse[c.index["a"], -1] == pytest.approx(0.543 / (1 - 0.0585), abs=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_inverse_norm_estimate_is_a_tight_lower_bound(seed: int) -> None:
    """Hager-Higham on diagonally dominant M = I - A (the exposure systems' form): never above
    the exact ||M^-1||_1, and on these matrices equal to it."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.0, 1.0, (40, 40)) * (rng.random((40, 40)) < 0.1)
    a /= np.maximum(1.0, a.sum(axis=1, keepdims=True) * 1.01)
    m = np.eye(40) - a
    exact = float(np.abs(np.linalg.inv(m)).sum(axis=0).max())
    estimate = _inverse_norm(lambda v: np.linalg.solve(m, v), lambda v: np.linalg.solve(m.T, v), 40)
    assert estimate <= exact * (1 + 1e-12)
    assert estimate >= exact / 3


def test_cycle_that_reaches_no_final_product_has_unknown_impacts(tmp_path: Path) -> None:
    """a <-> b feed f only as a non-essential input: no essential path leaves the cycle, so
    the cuts on it reach no final product and their impacts are unknown, not 0."""
    text = """\
    - {id: a, name: A, stage: up, shares: {CN: 0.5, US: 0.5}, source: s, inputs: [b]}
    - {id: b, name: B, stage: up, shares: {CN: 0.5, JP: 0.5}, source: s, inputs: [a]}
    - {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s,
       inputs: [{node: a, essential: false}]}
    """
    result = analyze(load_chain(write_chain(tmp_path, "loose", text, "[up, down]")))
    for node in ("a", "b"):
        assert result.node(node).impact is None
        assert "its impact cannot be measured" in result.node(node).unknown["impact"]
