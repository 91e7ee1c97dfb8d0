"""Exposure and its unknowns by sparse products (scipy, chains of ``SPARSE_LINKS`` links or
more): hand-worked values, and the same figures as the numpy reduction and the dense inverse."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from chokepoint import analyze
from chokepoint.core import metrics
from chokepoint.core.compiled import Compiled, compile_chain
from chokepoint.core.metrics import exposure, rests_on_unknown
from chokepoint.io.generate import build_network
from chokepoint.io.loader import check_document
from chokepoint.io.yamlread import Located
from chokepoint.model import Chain, Input, Node

pytest.importorskip("scipy")


@pytest.fixture
def sparse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chain, however small, propagated by sparse products."""
    monkeypatch.setattr(metrics, "SPARSE_LINKS", 0)


def _three() -> Chain:
    """a -> b -> c, and a -> c without a cost share (perspective CN)."""
    nodes = (
        Node("a", "A", "up", shares={"JP": 0.5, "CN": 0.5}),
        Node("b", "B", "mid", shares={"CN": 0.8, "KR": 0.2}, inputs=(Input("a", 0.4),)),
        Node("c", "C", "down", shares={"CN": 1.0}, inputs=(Input("b", 0.5), Input("a", None))),
    )
    return Chain("t", "T", "CN", 2020, ("up", "mid", "down"), nodes)


@pytest.mark.usefixtures("sparse")
def test_hand_worked_exposure_and_unknowns() -> None:
    c = compile_chain(_three())
    origins, x = exposure(c)
    assert origins == ["JP", "KR"]
    a, b, cc = (c.index[n] for n in "abc")
    jp, kr, total = 0, 1, 2
    # X_a = s_a: JP 0.5, KR 0, total D_a = 0.5
    assert x[a].tolist() == [0.5, 0.0, 0.5]
    # X_b = s_b + s_b(CN) w_ba X_a: JP 0.8 * 0.4 * 0.5 = 0.16, KR 0.2, T_b = 0.2 + 0.16
    assert x[b, jp] == pytest.approx(0.8 * 0.4 * 0.5, abs=1e-16)
    assert x[b, kr] == 0.2
    assert x[b, total] == pytest.approx(0.2 + 0.8 * 0.4 * 0.5, abs=1e-16)
    # X_c = 1.0 * (0.5 X_b + ? X_a): the unknown weight of a counts as 0 in the value ...
    assert x[cc, kr] == pytest.approx(0.5 * 0.2, abs=1e-16)
    assert x[cc, jp] == pytest.approx(0.5 * 0.16, abs=1e-16)
    unknown = rests_on_unknown(c, x, np.zeros_like(x, dtype=np.bool_))
    # ... and makes it unknown wherever a's value is not 0 (JP, total); KR stays known, since a
    # has no KR exposure whatever its weight
    assert unknown[cc].tolist() == [True, False, True]
    assert not unknown[a].any()
    assert not unknown[b].any()


def _generated(nodes: int, seed: int, cycles: float) -> Chain:
    return check_document(Located(build_network(nodes, seed, cycles=cycles), "generated"))


NETWORKS = [(60, 3, 0.1), (300, 5, 0.02), (400, 6, 0.3)]


@pytest.mark.parametrize(("nodes", "seed", "cycles"), NETWORKS)
def test_sparse_equals_the_reduction_and_the_dense_inverse(
    nodes: int,
    seed: int,
    cycles: float,
    monkeypatch: pytest.MonkeyPatch,
    dense_exposure: Callable[[Compiled, list[str]], npt.NDArray[np.float64]],
) -> None:
    chain = _generated(nodes, seed, cycles)
    c = compile_chain(chain)
    origins, reduced = exposure(c)
    base = np.repeat(~c.known[:, None], reduced.shape[1], axis=1)
    reduced_unknown = rests_on_unknown(c, reduced, base)
    before = analyze(chain).to_dict()
    monkeypatch.setattr(metrics, "SPARSE_LINKS", 0)
    same_origins, x = exposure(c)
    assert same_origins == origins
    # the same sums, added in another order (numpy reduces pairwise): equal to the last bits
    np.testing.assert_allclose(x, reduced, rtol=0, atol=1e-14)
    np.testing.assert_allclose(x, dense_exposure(c, origins), rtol=0, atol=1e-12)
    assert (rests_on_unknown(c, x, base) == reduced_unknown).all()
    after = analyze(chain).to_dict()
    assert [n["id"] for n in after["nodes"]] == [n["id"] for n in before["nodes"]]
    for old, new in zip(before["nodes"], after["nodes"], strict=True):
        assert new["unknown"] == old["unknown"]
        assert new["exposure"].keys() == old["exposure"].keys()
        for origin, value in old["exposure"].items():
            assert (new["exposure"][origin] is None) == (value is None)
            if value is not None:
                assert new["exposure"][origin] == pytest.approx(value, abs=1e-14)
        if old["total_dependence"] is None:
            assert new["total_dependence"] is None
        else:
            assert new["total_dependence"] == pytest.approx(old["total_dependence"], abs=1e-14)


def test_small_chains_keep_the_reduction() -> None:
    """Below SPARSE_LINKS links no sparse matrix is made (scipy is not even imported)."""
    c = compile_chain(_three())
    assert c.in_src.size < metrics.SPARSE_LINKS
    assert metrics._sparse_rows(c) is None
