"""Monte Carlo: known answers (degenerate and closed-form cases), reproducibility, drivers, and
the chunked run against a direct computation of the whole batch at once."""

from __future__ import annotations

import doctest
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chokepoint.core.montecarlo
from chokepoint import load_chain, run_scenario
from chokepoint.core.compiled import compile_chain
from chokepoint.core.montecarlo import (
    Driver,
    MonteCarloResult,
    SeverityDist,
    _Cuts,
    _Draw,
    montecarlo,
    parse_severity_dist,
)
from chokepoint.core.propagate import import_losses, propagate
from chokepoint.core.scenarios import Scenario
from chokepoint.errors import ScenarioError
from chokepoint.io.generate import build_network
from chokepoint.io.loader import check_document
from chokepoint.io.yamlread import Located
from chokepoint.model import Chain, Cut

from .chains import CYCLE, FIVE, MIXED, write_chain


def chain_of(tmp_path: Path, name: str, nodes: str) -> Chain:
    return load_chain(write_chain(tmp_path, name, nodes))


ONE = "- {id: x, name: X, stage: up, shares: {CN: 0.5, JP: 0.5}, source: s}\n"
TWO_ORIGINS = "- {id: x, name: X, stage: up, shares: {CN: 0.5, JP: 0.4, US: 0.1}, source: s}\n"


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize("nodes", [FIVE, CYCLE, MIXED], ids=["five", "cycle", "mixed"])
def test_certain_fixed_cuts_equal_the_scenario(tmp_path: Path, nodes: str, model: str) -> None:
    """p_cut = 1 and a fixed severity: every sample is the scenario "every pair cut at 0.5"."""
    chain = chain_of(tmp_path, "known", nodes)
    result = montecarlo(
        chain, 64, seed=5, p_cut=1.0, severity_dist="fixed:0.5", model=model, chunk=10
    )  # type: ignore[arg-type]
    pairs = [(c, n.id) for n in chain.nodes for c in (n.shares or {}) if c not in ("CN", "other")]
    scenario = Scenario(cuts=tuple(Cut(c, 0.5, (n,)) for c, n in pairs))
    expected = dict(run_scenario(chain, scenario, model=model).final)  # type: ignore[arg-type]
    assert [f.id for f in result.final] == list(expected)
    for stats in result.final:
        want = expected[stats.id]
        if want is None:  # linear loss resting on a missing cost share (mixed: g takes r)
            assert (stats.mean, stats.p50, stats.p90, stats.p99) == (None,) * 4
            assert stats.unknown is not None
            continue
        np.testing.assert_allclose(
            [stats.mean, stats.p50, stats.p90, stats.p99], [want] * 4, rtol=1e-12
        )
    assert all(d.probability_cut == 1.0 for d in result.drivers)


def test_one_node_closed_form(tmp_path: Path) -> None:
    """x = {CN 0.5, JP 0.5}: L = 0.5 B U with B ~ Bernoulli(p), U ~ U[0, 1)."""
    p, n = 0.2, 100_000
    result = montecarlo(chain_of(tmp_path, "one", ONE), n, seed=11, p_cut=p)
    (stats,) = result.final
    # E[L] = 0.5 p / 2 = 0.05; Var L = p/12 - (p/4)^2 = 0.014167, sd 0.119, SE = sd/sqrt(n)
    # = 3.8e-4: allow 4 SE
    assert stats.mean == pytest.approx(0.5 * p * 0.5, abs=4 * 3.8e-4)
    # P(L > x) = p (1 - 2x): P90 = 0.25, P99 = 0.475; the density there is 2p = 0.4, so the SE
    # of the sample quantile is sqrt(q (1 - q) / n) / 0.4 = 2.4e-3 (P90) and 7.9e-4 (P99)
    assert stats.p50 == 0.0  # 80% of the samples cut nothing
    assert stats.p90 == pytest.approx(0.25, abs=4 * 2.4e-3)
    assert stats.p99 == pytest.approx(0.475, abs=4 * 7.9e-4)
    origin, pair = result.drivers
    assert (origin.origin, origin.node, pair.origin, pair.node) == ("JP", None, "JP", "x")
    for driver in (origin, pair):
        # P(cut) = p, SE sqrt(p (1 - p) / n) = 1.3e-3; E[L | cut] = 0.25, SE 0.144 / sqrt(pn) = 1e-3
        assert driver.probability_cut == pytest.approx(p, abs=4 * 1.3e-3)
        assert driver.mean_loss_if_cut == pytest.approx(0.25, abs=4 * 1e-3)
        assert driver.tail_share == 1.0  # a loss needs the cut


def test_beta_severity_mean(tmp_path: Path) -> None:
    # E[L] = 0.5 p a / (a + b) = 0.5 * 0.5 * 2/7 = 0.0714; L <= 0.5, so SE <= 0.25 / sqrt(n)
    # = 1.1e-3 for n = 50,000: allow 4 SE
    result = montecarlo(
        chain_of(tmp_path, "one", ONE), 50_000, seed=2, p_cut=0.5, severity_dist=("beta", 2, 5)
    )
    assert result.final[0].mean == pytest.approx(0.5 * 0.5 * 2 / 7, abs=4 * 1.1e-3)
    assert result.to_dict()["severity_dist"] == "beta:2,5"


def test_drivers_tail_and_ranking(tmp_path: Path) -> None:
    """x = {CN 0.5, JP 0.4, US 0.1}, p = 1/2, full cuts: L in {0, 0.1, 0.4, 0.5}, 1/4 each.

    The P90 is 0.5 (both cut), so both origins are in every tail sample; E[L | JP cut] =
    (0.4 + 0.5) / 2 = 0.45 (L | JP cut is 0.4 or 0.5: sd 0.05, SE 0.05 / sqrt(n p) = 7.1e-4 for
    n = 10,000) and E[L | US cut] = (0.1 + 0.5) / 2 = 0.3 (0.1 or 0.5: sd 0.2, SE 2.83e-3), JP
    ranking first.
    """
    result = montecarlo(
        chain_of(tmp_path, "two", TWO_ORIGINS), 10_000, seed=3, p_cut=0.5, severity_dist="fixed:1"
    )
    assert result.tail_threshold == 0.5
    rows = [(d.origin, d.node, d.tail_share) for d in result.drivers]
    assert rows == [("JP", None, 1.0), ("US", None, 1.0), ("JP", "x", 1.0), ("US", "x", 1.0)]
    means = [d.mean_loss_if_cut for d in result.drivers]
    error = [4 * 7.1e-4, 4 * 2.83e-3] * 2
    assert all(abs(m - w) <= e for m, w, e in zip(means, [0.45, 0.3] * 2, error, strict=True))


def test_no_cut_no_loss_no_tail(tmp_path: Path) -> None:
    result = montecarlo(chain_of(tmp_path, "five", FIVE), 500, seed=1, p_cut=0.0)
    assert all((f.mean, f.p50, f.p90, f.p99) == (0.0, 0.0, 0.0, 0.0) for f in result.final)
    assert all(d.mean_loss_if_cut is None and d.tail_share == 0.0 for d in result.drivers)
    document = result.to_dict()
    assert json.loads(json.dumps(document, allow_nan=False)) == document


def test_same_seed_same_document_whatever_the_chunk(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "mixed", MIXED)
    first = montecarlo(chain, 3_000, seed=42, chunk=1_000).to_dict()
    again = montecarlo(chain, 3_000, seed=42, chunk=7).to_dict()
    other = montecarlo(chain, 3_000, seed=43).to_dict()
    assert json.dumps(first) == json.dumps(again)
    assert other["final"] != first["final"]
    assert (first["seed"], other["seed"]) == (42, 43)


def test_without_seed_the_seed_used_is_reported(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "five", FIVE)
    drawn = montecarlo(chain, 200, seed=None)
    assert isinstance(drawn.seed, int)
    assert 0 <= drawn.seed < 2**53
    assert montecarlo(chain, 200, seed=drawn.seed).to_dict() == drawn.to_dict()


def test_document_keys_and_ranking_groups(tmp_path: Path) -> None:
    document = montecarlo(chain_of(tmp_path, "five", FIVE), 2_000, seed=9).to_dict()
    assert list(document) == [
        "chain",
        "perspective",
        "model",
        "samples",
        "seed",
        "p_cut",
        "severity_dist",
        "final",
        "drivers",
    ]
    assert (document["chain"], document["perspective"], document["p_cut"]) == ("five", "CN", 0.1)
    assert [f["id"] for f in document["final"]] == ["f"]
    assert list(document["final"][0]) == ["id", "mean", "p50", "p90", "p99", "unknown"]
    drivers = document["drivers"]
    assert list(drivers[0]) == [
        "origin",
        "node",
        "probability_cut",
        "mean_loss_if_cut",
        "tail_share",
    ]
    # origins (node null) first, then the pairs; each group by tail share, descending
    nodes = [d["node"] for d in drivers]
    assert nodes[:3] == [None, None, None]
    assert {(d["origin"], d["node"]) for d in drivers[3:]} == {
        ("JP", "m1"),
        ("DE", "m2"),
        ("JP", "c1"),
        ("US", "f"),
    }
    for group in (drivers[:3], drivers[3:]):
        shares = [d["tail_share"] for d in group]
        assert shares == sorted(shares, reverse=True)


def test_progress_reports_every_chunk(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    montecarlo(
        chain_of(tmp_path, "one", ONE),
        25,
        seed=0,
        chunk=10,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(10, 25), (20, 25), (25, 25)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uniform", "uniform"),
        ("fixed:0.5", "fixed:0.5"),
        ("fixed:1", "fixed:1"),
        ("beta: 2, 5", "beta:2,5"),
        (("beta", 0.5, 0.25), "beta:0.5,0.25"),
        (("fixed", 0.1), "fixed:0.1"),
    ],
)
def test_parse_severity_dist(text: str | tuple[object, ...], expected: str) -> None:
    assert str(parse_severity_dist(text)) == expected


@pytest.mark.parametrize("text", ["normal", "fixed:2", "fixed:x", "beta:0,1", "beta:1", ""])
def test_parse_severity_dist_errors(text: str) -> None:
    with pytest.raises(ScenarioError, match="write uniform, fixed:X"):
        parse_severity_dist(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"samples": 0}, "samples must be a whole number >= 1"),
        ({"p_cut": 1.5}, r"p_cut 1.5 is outside \[0, 1\]"),
        ({"model": "cobb"}, "unknown model 'cobb'"),
        ({"severity_dist": "normal"}, "severity distribution 'normal'"),
        ({"chunk": 0}, "chunk must be >= 1"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"samples": 10, "seed": 0, **kwargs}
    with pytest.raises(ScenarioError, match=message):
        montecarlo(chain_of(tmp_path, "one", ONE), **arguments)  # type: ignore[arg-type]


def test_nothing_to_cut(tmp_path: Path) -> None:
    chain = chain_of(
        tmp_path, "home", "- {id: h, name: H, stage: up, shares: {CN: 1.0}, source: s}\n"
    )
    with pytest.raises(ScenarioError, match="has no named foreign origin to cut from CN"):
        montecarlo(chain, 10, seed=0)


def test_robots_assumptions_name_other_and_regions() -> None:
    result = montecarlo(load_chain("robots"), 100, seed=1)
    text = " ".join(result.assumptions)
    assert "`other` shares (unnamed foreign origins) are never cut" in text
    assert "a region used as a share key is one origin" in text
    assert "EUROPE" in text


def test_doctests() -> None:
    failures, _ = doctest.testmod(chokepoint.core.montecarlo, optionflags=doctest.ELLIPSIS)
    assert failures == 0


# -- chunk sizes, and a direct implementation --------------------------------------------


def network(nodes: int = 300, seed: int = 1) -> Chain:
    """A generated network with cycles (2% mutual-supply links)."""
    return check_document(Located(build_network(nodes, seed=seed, cycles=0.02), "net"))


def indicators(
    seed: int, block: int, p: float, samples: int, pairs: int, per: int | None = None
) -> np.ndarray:
    """Block ``block``'s cut indicators (samples x pairs), one cut at a time. Sample k: from
    t = -1, t += 1 + floor(log(1 - U) / log(1 - p)) for each uniform U while t < pairs, the
    first D = min(pairs + 1, ceil(pairs p + 8 sqrt(pairs p (1 - p)) + 16)) uniforms from draw
    k D of SeedSequence(seed, spawn_key=(block, 0)), then from draw k 2^40 of (block, 3);
    p = 0 cuts nothing and p = 1 everything, with no draw (``per``: another D)."""
    cut = np.zeros((samples, pairs), dtype=bool)
    if p >= 1:
        cut[:] = True
    if not 0 < p < 1:
        return cut
    if per is None:
        per = min(pairs + 1, math.ceil(pairs * p + 8 * math.sqrt(pairs * p * (1 - p)) + 16))

    def stream(key: int, start: int) -> np.random.Generator:
        bits = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block, key)))
        bits.advance(start)
        return np.random.Generator(bits)

    for k in range(samples):
        rng, t = stream(0, k * per), -1
        for drawn in itertools.count():
            if drawn == per:  # the sample's D uniforms used up: its continuation
                rng = stream(3, k * 2**40)
            t += 1 + math.floor(math.log(1.0 - rng.random()) / math.log1p(-p))
            if t >= pairs:
                break
            cut[k, t] = True
    return cut


def direct(
    chain: Chain,
    samples: int,
    seed: int,
    p_cut: float,
    dist: SeverityDist,
    model: str,
    known: np.ndarray | None = None,
) -> tuple[np.ndarray, list[Driver]]:
    """The summary computed the obvious way, all at once: the final-product losses (finals x
    samples) and the drivers, unranked, from the whole samples x pairs matrix of cuts, block b
    of 1,024 samples drawn from ``SeedSequence(seed, spawn_key=(b, 0|1))``: the cut
    indicators (:func:`indicators`), then the severities of the cut pairs only."""
    c = compile_chain(chain)
    pairs = len(c.pair_origin)
    cuts_in, kappas = [], []
    for b, block in enumerate(np.random.SeedSequence(seed).spawn(-(-samples // 1024))):
        size = min(1024, samples - 1024 * b)
        severity_rng = np.random.default_rng(block.spawn(2)[1])
        cut = indicators(seed, b, p_cut, size, pairs)
        cuts_in.append(cut)
        # the severities of the cut pairs alone, sample after sample, pair after pair
        kappa_block = np.zeros((size, pairs))
        kappa_block[cut] = dist.draw(severity_rng, (int(cut.sum()),))
        kappas.append(kappa_block)
    cuts = np.concatenate(cuts_in)
    kappa = np.concatenate(kappas)
    q, _ = propagate(c, import_losses(c, np.ascontiguousarray(kappa.T)), None, model)  # type: ignore[arg-type]
    losses = q[c.finals]
    known = np.ones(len(losses), dtype=bool) if known is None else known
    worst = losses[known].max(axis=0) if known.any() else np.zeros(samples)
    tail = (worst >= np.quantile(worst, 0.9)) & (worst > 0)

    def driver(origin: str, node: str | None, hit: np.ndarray) -> Driver:
        mean = float(worst[hit].mean()) if hit.any() else None
        # no known final loss (linear, every final on a missing cost share): the tail is unknown
        share = float((hit & tail).sum() / tail.sum()) if tail.any() else None
        if share is None and known.any():
            share = 0.0  # known losses, all 0: an empty tail
        return Driver(origin, node, float(hit.mean()), mean, share)

    origins = list(dict.fromkeys(c.pair_origin))
    by_origin = np.array(c.pair_origin)
    drivers = [driver(o, None, cuts[:, by_origin == o].any(axis=1)) for o in origins]
    drivers += [
        driver(o, c.nodes[r], cuts[:, p])
        for p, (o, r) in enumerate(zip(c.pair_origin, c.pair_row.tolist(), strict=True))
    ]
    return losses, drivers


@pytest.mark.parametrize(
    ("nodes", "chunk", "dist"),
    [
        (FIVE, 7, "uniform"),  # 4 pairs: the tail's gaps are drawn through
        (CYCLE, 1_000, "beta:2,5"),
        (MIXED, 1, "fixed:1"),  # ties: a quarter of the samples in the tail
        (None, 13, "uniform"),  # 620 pairs: the replay jumps over the gaps
        (None, 16_384, "beta:0.5,0.5"),
    ],
    ids=["five", "cycle", "mixed", "net-chunk-13", "net-one-chunk"],
)
@pytest.mark.parametrize("model", ["leontief", "linear"])
def test_equals_the_direct_computation(
    tmp_path: Path, nodes: str | None, chunk: int, dist: str, model: str
) -> None:
    """Chunked, with running totals and the tail's cuts drawn again: the numbers of the direct
    computation. The means are sums over samples formed in another order (sample after sample
    within a block here, pairwise in numpy's ``mean``): equal to 1e-12; the quantiles come from
    the histogram, within its bound of 1 / (2 x 6,000) = 8.3e-5 (docs/methodology.md)."""
    chain = network() if nodes is None else chain_of(tmp_path, "known", nodes)
    samples, p = 1_500, 0.2
    result = montecarlo(chain, samples, 17, p_cut=p, severity_dist=dist, model=model, chunk=chunk)  # type: ignore[arg-type]
    # linear: final products whose loss draws on an input without a cost share are n/a and the
    # tail is measured on the others (mixed: g takes r without a cost share; issue 13)
    known = np.array([f.mean is not None for f in result.final])
    if model == "leontief":
        assert known.all()
    if nodes is MIXED and model == "linear":
        assert [f.id for f in result.final if f.mean is None] == ["g"]
    losses, expected = direct(chain, samples, 17, p, parse_severity_dist(dist), model, known)
    found_stats = [
        (f.mean, f.p50, f.p90, f.p99) for f, k in zip(result.final, known, strict=True) if k
    ]
    want_stats = [
        (float(np.mean(v)), *np.quantile(v, [0.5, 0.9, 0.99]).tolist()) for v in losses[known]
    ]
    assert len(found_stats) == len(want_stats)
    for got_row, want_row in zip(found_stats, want_stats, strict=True):
        assert got_row[0] == pytest.approx(want_row[0], rel=1e-12, abs=1e-300)
        error = max(abs(a - b) for a, b in zip(got_row[1:], want_row[1:], strict=True))
        assert error <= 1 / 12_000 + 1e-15  # the half bin, and the rounding of its midpoint
    worst = losses[known].max(axis=0) if known.any() else np.zeros(samples)
    threshold = float(np.quantile(worst, 0.9)) if known.any() else None
    assert result.tail_threshold == threshold
    found = {(d.origin, d.node): d for d in result.drivers}
    assert len(found) == len(expected) == len(result.drivers)
    assert sum((d.tail_share or 0) > 0 for d in expected) > 0 or not known.any()
    for want in expected:
        got = found[want.origin, want.node]
        assert (got.probability_cut, got.tail_share) == (want.probability_cut, want.tail_share)
        if want.mean_loss_if_cut is None or not known.any():
            # never cut, or no final product with a known loss (mixed, linear): n/a
            assert got.mean_loss_if_cut is None
        else:
            assert got.mean_loss_if_cut == pytest.approx(want.mean_loss_if_cut, rel=1e-12)


def same_runs(chain: Chain, **kwargs: object) -> list[MonteCarloResult]:
    """The run with three chunk sizes (the result must not depend on it)."""
    return [
        montecarlo(chain, 2_000, 3, chunk=1_000, **kwargs),  # type: ignore[arg-type]
        montecarlo(chain, 2_000, 3, chunk=7, **kwargs),  # type: ignore[arg-type]
        montecarlo(chain, 2_000, 3, **kwargs),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize("dist", ["uniform", "fixed:0.5", "beta:2,5"])
@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize("nodes", [FIVE, CYCLE, MIXED], ids=["five", "cycle", "mixed"])
def test_chunk_sizes_give_the_same_document(
    tmp_path: Path, nodes: str, model: str, dist: str
) -> None:
    """Each sample is propagated alike in any chunk: the same document, to the last bit."""
    chain = chain_of(tmp_path, "forms", nodes)
    big, small, default = same_runs(chain, model=model, severity_dist=dist, p_cut=0.3)
    assert json.dumps(big.to_dict()) == json.dumps(small.to_dict()) == json.dumps(default.to_dict())
    assert big.tail_threshold == small.tail_threshold
    assert big.assumptions == small.assumptions


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize("seed", [1, 2])
def test_chunk_sizes_on_a_generated_network(seed: int, model: str) -> None:
    chain = network(300, seed)
    big, small, default = same_runs(chain, model=model)
    assert big.to_dict() == small.to_dict() == default.to_dict()
    assert big.tail_threshold == small.tail_threshold
    assert len(big.final) > 10
    assert sum(d.node is not None for d in big.drivers) > 500


def test_chunks_are_bounded_by_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FIVE has 5 nodes and 4 pairs: 40 cells hold 4 samples; the result does not change."""
    chain = chain_of(tmp_path, "five", FIVE)
    unbounded = montecarlo(chain, 10, seed=4, p_cut=0.5).to_dict()
    monkeypatch.setattr(chokepoint.core.montecarlo, "CHUNK_CELLS", 40)
    calls: list[tuple[int, int]] = []
    bounded = montecarlo(
        chain, 10, seed=4, p_cut=0.5, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(4, 10), (8, 10), (10, 10)]
    assert bounded.to_dict() == unbounded


@pytest.mark.parametrize("cells", [1, 7, 1 << 16])
def test_running_sums_added_either_way(monkeypatch: pytest.MonkeyPatch, cells: int) -> None:
    """The final products' sums accumulated one row at a time or in blocks of rows: the same
    additions in the same order, so the same bits."""
    chain = network()
    expected = montecarlo(chain, 600, seed=8, p_cut=0.3).to_dict()
    monkeypatch.setattr(chokepoint.core.montecarlo, "_ADD_CELLS", cells)
    assert montecarlo(chain, 600, seed=8, p_cut=0.3).to_dict() == expected


def test_driver_totals_add_sample_after_sample() -> None:
    """The drivers' running totals from a list of cuts equal a plain loop over the samples in
    order (the same float additions), whatever the list is cut into."""
    from chokepoint.core.montecarlo import _Totals

    rng = np.random.default_rng(3)
    hit = rng.random((50, 7)) < 0.4
    worst = np.where(rng.random(50) < 0.2, 0.0, rng.random(50) / 3)
    loss, cut = np.zeros(7), np.zeros(7, dtype=np.int64)
    for k in range(50):  # the obvious way: sample after sample
        cut += hit[k]
        for d in range(7):
            if hit[k, d] and worst[k] > 0:
                loss[d] += worst[k]
    totals = _Totals(7)
    for start in (0, 13, 14, 40):  # chunks of 13, 1, 26 and 10 samples
        stop = {0: 13, 13: 14, 14: 40, 40: 50}[start]
        sample, driver = np.nonzero(hit[start:stop])
        totals.add(sample, driver, worst[start:stop])
    assert totals.cut.tolist() == cut.tolist()
    assert totals.loss.tolist() == loss.tolist()


# Task of issue 15: a final product whose loss rests on an unknown leaves the tail unknown.
# EU's view of a global market: DE and FR are domestic; `film` names 0.7 of its supply (the
# rest is unnamed, never cut); `cell` takes film and `pack` takes cell without a cost share.
UNKNOWN_TAIL = """\
- {id: ore, name: Ore, stage: up, shares: {CN: 0.6, AU: 0.3, DE: 0.1}, source: s}
- {id: film, name: Film, stage: up, shares: {JP: 0.5, US: 0.2}, source: s}
- id: cell
  name: Cell
  stage: mid
  shares: {CN: 0.7, KR: 0.2, FR: 0.1}
  source: s
  inputs: [{node: ore, cost_share: 0.4}, {node: film}]
- {id: pack, name: Pack, stage: down, shares: {CN: 0.5, DE: 0.3, US: 0.2}, source: s, inputs: [{node: cell}]}
"""


def unknown_tail_chain(tmp_path: Path) -> Chain:
    path = write_chain(
        tmp_path, "tail", UNKNOWN_TAIL, extra="market: global\nregions: {EU: [DE, FR]}"
    )
    return load_chain(path)


def test_tail_of_unknown_losses_is_unknown_not_zero(tmp_path: Path) -> None:
    """linear: pack's loss rests on cell, and cell's on film, neither with a cost share, so no
    final product's loss is known: the tail threshold, every driver's tail share and loss if cut
    are None (null, n/a), never 0; the cut frequencies stay known (p_cut = 1: all 1.0)."""
    chain = unknown_tail_chain(tmp_path)
    result = montecarlo(
        chain, 300, seed=3, p_cut=1.0, severity_dist="fixed:1", perspective="EU", model="linear"
    )
    assert [(f.id, f.mean, f.p90) for f in result.final] == [("pack", None, None)]
    assert result.tail_threshold is None
    assert result.tail_unknown is not None
    # pairs: ore CN, AU; film JP, US; cell CN, KR; pack CN, US (DE, FR domestic); origins 5
    assert len(result.drivers) == 5 + 8
    for d in result.drivers:
        assert (d.probability_cut, d.mean_loss_if_cut, d.tail_share) == (1.0, None, None)
    document = result.to_dict()
    assert all(d["tail_share"] is None for d in document["drivers"])


def test_tail_of_unknown_losses_leontief_is_known(tmp_path: Path) -> None:
    """leontief ignores cost shares: every pair cut fully (p_cut = 1, fixed:1) gives
    q_ore = min(1, m + s(P) d) = 0.6 + 0.3 = 0.9 (DE 0.1 domestic, no inputs);
    q_film = 0.5 + 0.2 = 0.7 (the unnamed 0.3 is never cut);
    q_cell = 0.7 + 0.2 + 0.1 * max(0.9, 0.7) = 0.99;
    q_pack = 0.5 + 0.2 + 0.3 * 0.99 = 0.997. Every sample is the same, so the tail (L >= P90 =
    0.997, L > 0) is every sample: each driver was cut in it, tail share 1, loss if cut 0.997."""
    chain = unknown_tail_chain(tmp_path)
    result = montecarlo(chain, 300, seed=3, p_cut=1.0, severity_dist="fixed:1", perspective="EU")
    (pack,) = result.final
    np.testing.assert_allclose([pack.mean, pack.p50, pack.p90, pack.p99], [0.997] * 4, rtol=1e-12)
    assert result.tail_threshold == pytest.approx(0.997, rel=1e-12)
    assert result.tail_unknown is None
    for d in result.drivers:
        assert d.tail_share == 1.0
        assert d.mean_loss_if_cut == pytest.approx(0.997, rel=1e-12)


def test_unknown_tail_table_says_na(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chokepoint.cli import app

    path = write_chain(
        tmp_path, "tail", UNKNOWN_TAIL, extra="market: global\nregions: {EU: [DE, FR]}"
    )
    args = ["montecarlo", str(path), "--samples", "50", "--seed", "1", "--p-cut", "0.5"]
    args += ["--model", "linear", "--perspective", "EU"]
    out = CliRunner().invoke(
        app, [*args, "--format", "table", "--top", "8"], env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0, out.output
    tail = out.output.split("What drives")[1]
    assert "P90 = 0.0%" not in out.output
    assert "0.0%  " not in tail
    # 5 origins and the top 8 of 8 pairs: loss if cut and tail share both n/a on each row
    assert sum(line.count("n/a") == 2 for line in tail.splitlines()) == 5 + 8
    assert "n/a: no final product's loss is known" in out.output
    out = CliRunner().invoke(app, [*args, "--format", "csv"])
    rows = [line.split(",") for line in out.output.splitlines() if line.startswith("driver")]
    assert len(rows) == 5 + 8
    assert all(r[-2] == "" for r in rows)  # tail_share empty (null), not 0


@pytest.mark.parametrize(("p", "per"), [(0.3, 3), (0.05, 1), (0.5, 41), (0.0, 1), (1.0, 1)])
def test_cut_stream_sample_by_sample(monkeypatch: pytest.MonkeyPatch, p: float, per: int) -> None:
    """The cut positions of a block, drawn in chunks of 7 and again in windows (the tail's
    replay), against :func:`indicators` drawing one uniform at a time; D forced small so that
    most samples go on in their continuation (or none, for D = 41 > 40 pairs)."""
    monkeypatch.setattr(chokepoint.core.montecarlo, "_draws_per_sample", lambda pairs, q: per)
    pairs, samples = 40, 50
    draw = _Draw(7, 1_100, p, parse_severity_dist("uniform"), 7)
    want = indicators(7, 1, p, samples, pairs, per)
    cuts = _Cuts(draw, 1, pairs)
    got = np.zeros(samples * pairs, dtype=bool)
    for start in range(0, samples, 7):
        got[cuts.next(min(7, samples - start)) + start * pairs] = True
    assert (got.reshape(samples, pairs) == want).all()
    again = _Cuts(draw, 1, pairs)
    window = np.zeros((9, pairs), dtype=bool)
    window.reshape(-1)[again.window(30, 9)] = True
    assert (window == want[30:39]).all()
    if 0 < p < 1:
        assert 0 < want.mean() < 1


def test_nonzero_losses_summarised_as_a_plain_loop() -> None:
    """Sums, least and largest losses from the non-zero values alone equal a loop over every
    sample in order (the same float additions: adding 0 changes nothing), chunk after chunk;
    a row of zeros has least and largest 0, a row without zero its own extremes."""
    from chokepoint.core.montecarlo import _add_nonzero

    rng = np.random.default_rng(5)
    losses = rng.random((6, 40)) / 3 * (rng.random((6, 40)) < 0.4)
    losses[1] = 0.0
    losses[2] = rng.random(40) + 0.01
    total = np.zeros(6)
    for k in range(40):  # the obvious way: sample after sample
        total += losses[:, k]
    got = np.zeros(6), np.full(6, np.inf), np.full(6, -np.inf)
    for start, stop in ((0, 13), (13, 14), (14, 40)):
        part = losses[:, start:stop]
        rows, columns = np.nonzero(part)
        _add_nonzero(*got, rows, part[rows, columns], stop - start)
    assert got[0].tolist() == total.tolist()
    assert got[1].tolist() == losses.min(axis=1).tolist()
    assert got[2].tolist() == losses.max(axis=1).tolist()
    assert got[1][1] == got[2][1] == 0.0
    assert got[1][2] > 0


@pytest.mark.parametrize("per_sample", [1, 10**9])
def test_driver_totals_either_way(monkeypatch: pytest.MonkeyPatch, per_sample: int) -> None:
    """The drivers' losses added sample by sample (many drivers per sample) or through one
    ``np.add.at`` over the list: the same additions in the same order, so the same run."""
    chain = network()
    expected = montecarlo(chain, 700, seed=9, p_cut=0.3).to_dict()
    monkeypatch.setattr(chokepoint.core.montecarlo, "_PER_SAMPLE", per_sample)
    assert montecarlo(chain, 700, seed=9, p_cut=0.3).to_dict() == expected


def test_quantiles_from_32_or_64_bit_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cumulative counts read for the quantiles in 32 bits (when they fit) or 64: the same
    cells, so the same document."""
    chain = network()
    expected = montecarlo(chain, 1_500, seed=2, p_cut=0.2).to_dict()
    monkeypatch.setattr(chokepoint.core.montecarlo, "_INT32_ROOM", 0)
    assert montecarlo(chain, 1_500, seed=2, p_cut=0.2).to_dict() == expected


def test_histogram_counted_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loss codes counted a few at a time (a cell in several pieces of one chunk, and full
    severities, whose few loss values carry past 255 many times) or all at once: the same
    counts, so the same document."""
    chain = network()
    kwargs: dict[str, Any] = {"p_cut": 0.3, "severity_dist": "fixed:1"}
    expected = montecarlo(chain, 3_000, seed=3, **kwargs).to_dict()
    monkeypatch.setattr(chokepoint.core.montecarlo, "_TALLY_CELLS", 5)
    assert montecarlo(chain, 3_000, seed=3, **kwargs).to_dict() == expected


@pytest.mark.parametrize(("p", "per"), [(0.3, 3), (0.5, 41), (0.1, 300)])
def test_cut_rows_counted_or_divided(monkeypatch: pytest.MonkeyPatch, p: float, per: int) -> None:
    """A block's cuts found row by row (long rows of uniforms) or by dividing their places
    (short rows): the same (sample, pair) lists, against :func:`indicators` one uniform at a
    time, continuations included (D = 3 < the draws most samples need)."""
    monkeypatch.setattr(chokepoint.core.montecarlo, "_draws_per_sample", lambda pairs, q: per)
    pairs, samples = 40, 63
    draw = _Draw(5, 1_100, p, parse_severity_dist("uniform"), 9)
    want = indicators(5, 0, p, samples, pairs, per)
    found = []
    for rows in (1, 10**9):
        monkeypatch.setattr(chokepoint.core.montecarlo, "_LONG_ROWS", rows)
        cuts = _Cuts(draw, 0, pairs)
        parts = [cuts.next_pairs(9) for _ in range(0, samples, 9)]
        sample = np.concatenate([s + 9 * j for j, (s, _) in enumerate(parts)])
        pair = np.concatenate([q for _, q in parts])
        found.append((sample.tolist(), pair.tolist()))
        got = np.zeros((samples, pairs), dtype=bool)
        got[sample, pair] = True
        assert (got == want).all()
    assert found[0] == found[1]


def test_order_statistics_found_group_by_group() -> None:
    """The cell of order statistic j in each row (the first whose cumulative count exceeds
    j), found 64 cells at a time: the cell one cumulative sum over the row gives, for ranks
    at the first and last sample, on group edges and inside groups, in 32 and 64 bits."""
    from chokepoint.core.montecarlo import _order_cells

    rng = np.random.default_rng(6)
    counts = rng.integers(0, 3, (40, 256)) * (rng.random((40, 256)) < 0.3)
    counts[:, 0] += 5  # an atom at 0
    counts[3] = 0
    counts[3, [63, 64, 255]] = 1, 1, 5  # on either side of a group's edge, and the last cell
    counts[:, -1] += 200 - counts.sum(axis=1)  # every row n = 200 samples
    assert (counts >= 0).all()
    ranks = [0, 1, 4, 5, 63, 100, 198, 199]
    want = [
        [int(np.searchsorted(np.cumsum(row), j, side="right")) for row in counts] for j in ranks
    ]
    for dtype in (np.int32, np.int64):
        got = _order_cells(counts.astype(dtype), ranks, 200)
        assert [cells.tolist() for cells in got] == want
    assert [w[3] for w in want] == [63, 64, 255, 255, 255, 255, 255, 255]
