"""Known-answer tests of `analyze`: every metric of three small chains, worked out by hand.

Each chain is written out in the test so that the arithmetic in the comments can be checked
against it. Notation: D dependence, X exposure, T total dependence, w cost share.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chokepoint import analyze, load_chain
from chokepoint.core.analysis import Analysis
from chokepoint.errors import AnalysisError

from .chains import write_chain

# --- Chain A: a cycle (a <-> b) and a self-input (a -> a) ------------------------------------
CYCLE = """\
- id: a
  name: Node A
  stage: up
  shares: {CN: 0.5, JP: 0.5}
  source: s
  inputs: [{node: b, cost_share: 0.5}, {node: a, cost_share: 0.2}]
- id: b
  name: Node B
  stage: up
  shares: {CN: 0.8, US: 0.2}
  source: s
  inputs: [{node: a, cost_share: 0.25}]
- id: c
  name: Node C
  stage: down
  shares: {CN: 1.0}
  source: s
  inputs: [{node: a, cost_share: 0.5}]
"""


@pytest.fixture
def cycle(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "cycle", CYCLE, "[up, down]")


def test_cycle_direct_metrics(cycle: Path) -> None:
    result = analyze(load_chain(cycle))
    a, b, c = (result.node(n) for n in "abc")
    # a: D = 1 - 0.5; HHI = 0.5^2 + 0.5^2; import HHI = (0.5/0.5)^2; c75: 0.5 + 0.5 >= 0.75 -> 2
    assert (a.dependence, a.hhi, a.import_hhi) == pytest.approx((0.5, 0.5, 1.0))
    assert (a.top_supplier, a.top_share, a.countries_to_75) == ("JP", 0.5, 2)
    # b: D = 0.2; HHI = 0.64 + 0.04; import HHI = (0.2/0.2)^2; c75: 0.8 alone -> 1
    assert (b.dependence, b.hhi, b.import_hhi) == pytest.approx((0.2, 0.68, 1.0))
    assert (b.top_supplier, b.top_share, b.countries_to_75) == ("US", 0.2, 1)
    # c: fully domestic: D = 0, import HHI 0 by definition, no supplier
    assert (c.dependence, c.hhi, c.import_hhi) == pytest.approx((0.0, 1.0, 0.0))
    assert (c.top_supplier, c.top_share, c.countries_to_75) == (None, None, 1)


def test_cycle_exposure_solves_the_linear_system(cycle: Path) -> None:
    result = analyze(load_chain(cycle))
    a, b, c = (result.node(n) for n in "abc")
    # JP: Xa = 0.5 + 0.5 (0.5 Xb + 0.2 Xa), Xb = 0.8 * 0.25 Xa = 0.2 Xa -> Xa = 0.5 / 0.85
    assert a.exposure["JP"] == pytest.approx(0.5 / 0.85)
    assert b.exposure["JP"] == pytest.approx(0.2 * 0.5 / 0.85)
    # US: Xb = 0.2 + 0.2 Xa, Xa = 0.25 Xb + 0.1 Xa -> Xa = 0.05 / 0.85
    assert a.exposure["US"] == pytest.approx(0.05 / 0.85)
    assert b.exposure["US"] == pytest.approx(0.2 + 0.2 * 0.05 / 0.85)
    # T: Ta = 0.55 / 0.85, Tb = 0.2 + 0.2 Ta; c takes half of a
    assert a.total_dependence == pytest.approx(0.55 / 0.85)
    assert b.total_dependence == pytest.approx(0.2 + 0.2 * 0.55 / 0.85)
    assert c.total_dependence == pytest.approx(0.5 * 0.55 / 0.85)
    assert c.exposure == pytest.approx({"JP": 0.5 * 0.5 / 0.85, "US": 0.5 * 0.05 / 0.85})


def test_cycle_chokepoints_and_impact(cycle: Path) -> None:
    result = analyze(load_chain(cycle))
    a, b, c = (result.node(n) for n in "abc")
    # a's dependence is exactly 0.5: the EU criterion is strict (above 50%), so a is not flagged
    # at the default threshold (it was under >=), and is flagged just below it
    assert result.chokepoints() == []
    assert a.reasons[0] == "import concentration (HHI) 1.00 > 0.40 but dependence 50% <= 50%"
    lower = analyze(load_chain(cycle), min_dependence=0.49)
    assert [n.id for n in lower.chokepoints()] == ["a"]
    # JP cut at a: qa = 0.5 + 0.5 max(qb, qa) -> 1 (the self-input feeds the loss back); qc = qa
    assert a.impact == pytest.approx(1.0)
    # US cut at b: qb = 0.2 + 0.8 qa, qa = 0.5 qb -> qb = 1/3, qa = 1/6 = qc
    assert b.impact == pytest.approx(1 / 6)
    assert c.impact is None
    assert not b.chokepoint
    assert result.finals == ("c",)


def test_singular_cycle_is_reported(tmp_path: Path) -> None:
    path = write_chain(
        tmp_path,
        "singular",
        """\
        - id: a
          name: A
          stage: up
          shares: {CN: 1.0}
          source: s
          inputs: [{node: a, cost_share: 1.0}]
        """,
        "[up]",
    )
    with pytest.raises(AnalysisError, match="singular on the cycle a"):
        analyze(load_chain(path))


# --- Chain B: unattributed remainders, `other`, a region, an inessential input -----------------
REMAINDERS = """\
- id: x
  name: X
  stage: up
  shares: {CN: 0.1, JP: 0.3, DE: 0.2, other: 0.25}
  source: s
- id: y
  name: Y
  stage: up
  shares: {EU: 0.6, US: 0.1, CN: 0.2}
  source: s
- id: z
  name: Z
  stage: down
  shares: {CN: 0.7, other: 0.3}
  source: s
  inputs: [{node: x, cost_share: 0.4}, {node: y, cost_share: 0.3, essential: false}]
"""


@pytest.fixture
def remainders(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "rem", REMAINDERS, "[up, down]", "regions: {EU: [DE, FR]}")


def test_remainders_direct_metrics(remainders: Path) -> None:
    result = analyze(load_chain(remainders))
    x, y, z = (result.node(n) for n in "xyz")
    # x: unattributed 0.15 and other 0.25 stay in D = 0.9 but not in the HHIs
    assert x.dependence == pytest.approx(0.9)
    assert x.hhi == pytest.approx(0.01 + 0.09 + 0.04)
    assert x.import_hhi == pytest.approx((0.3 / 0.9) ** 2 + (0.2 / 0.9) ** 2)
    assert (x.top_supplier, x.top_share) == ("JP", 0.3)
    assert x.countries_to_75 is None  # 0.3 + 0.2 + 0.1 = 0.6 never reaches 0.75
    assert not x.chokepoint  # import HHI 0.16 < 0.4
    # the most concentrated the unknown 40% could be: the unattributed 0.15 with JP (the largest
    # named), `other` 0.25 in one economy: ((0.3 + 0.15)^2 + 0.2^2 + 0.25^2) / 0.9^2 = 0.305 / 0.81
    assert x.import_hhi_max == pytest.approx(0.305 / 0.81)
    assert not x.possible_chokepoint  # even that stays below 0.4
    assert x.reasons[0] == (
        "dependence 90% > 50% but import concentration (HHI) 0.16 <= 0.40 counting named origins "
        "only; 40% of supply has no named origin (25% `other`, 15% unattributed): even if the "
        "unattributed part came from JP and `other` from one economy, the HHI would be 0.38 <= "
        "0.40"
    )
    # y: the region EU is one origin
    assert y.dependence == pytest.approx(0.8)
    assert y.hhi == pytest.approx(0.36 + 0.01 + 0.04)
    assert y.import_hhi == pytest.approx(0.5625 + 0.015625)
    assert (y.top_supplier, y.countries_to_75, y.chokepoint) == ("EU", 2, True)
    # unattributed 0.1 with EU: ((0.6 + 0.1)^2 + 0.1^2) / 0.8^2; a flagged node is not "possible"
    assert (y.import_hhi_max, y.possible_chokepoint) == (pytest.approx(0.5 / 0.64), False)
    # z: only `other` abroad: dependent but no named supplier
    assert (z.dependence, z.import_hhi, z.top_supplier, z.countries_to_75) == (
        pytest.approx(0.3),
        0.0,
        None,
        None,
    )
    # `other` 0.3 could be one economy: 0.3^2 / 0.3^2 = 1, but D = 0.3 < 0.5
    assert (z.import_hhi_max, z.possible_chokepoint) == (pytest.approx(1.0), False)
    assert result.possible_chokepoints() == []


def test_possible_chokepoint_when_the_unknown_share_could_be_concentrated(
    remainders: Path,
) -> None:
    # z's dependence is 0.3: at a threshold of 0.3 it does not qualify (strict, as the EU's
    # "above"), at 0.29 it does; named origins give HHI 0, the `other` 0.3 in one economy gives 1:
    # not ruled out
    assert not analyze(load_chain(remainders), min_dependence=0.3).node("z").possible_chokepoint
    result = analyze(load_chain(remainders), min_dependence=0.29)
    z = result.node("z")
    assert (z.chokepoint, z.possible_chokepoint) == (False, True)
    assert [n.id for n in result.possible_chokepoints()] == ["z"]
    assert z.reasons[0] == (
        "dependence 30% > 29% but import concentration (HHI) 0.00 <= 0.40 counting named origins "
        "only; 30% of supply has no named origin (30% `other`): if it all came from one economy, "
        "the HHI would be 1.00, so the figures cannot rule this node out as a choke point (origin "
        "shares for that part would settle it)"
    )
    # x's bound 0.3765 passes a threshold of 0.35 while its named HHI 0.16 does not
    loose = analyze(load_chain(remainders), min_concentration=0.35)
    assert loose.node("x").possible_chokepoint
    assert not loose.node("y").possible_chokepoint  # flagged outright


def test_remainders_propagation(remainders: Path) -> None:
    z = analyze(load_chain(remainders)).node("z")
    # T = 0.3 + 0.7 (0.4 * 0.9 + 0.3 * 0.8) = 0.72 (inessential inputs still carry cost weight)
    assert z.total_dependence == pytest.approx(0.72)
    assert z.exposure == pytest.approx(
        {"JP": 0.7 * 0.4 * 0.3, "DE": 0.7 * 0.4 * 0.2, "EU": 0.7 * 0.3 * 0.6, "US": 0.7 * 0.3 * 0.1}
    )


def test_remainders_impact_ignores_inessential_inputs(remainders: Path) -> None:
    result = analyze(load_chain(remainders))
    # JP cut at x: qx = 0.3, z falls to its scarcest essential input: 0.7 * 0.3
    assert result.node("x").impact == pytest.approx(0.21)
    # y is only an inessential input of z: no node takes it as essential, so the model cannot
    # carry a loss of y anywhere; its impact is unknown, not 0 (issue 13; was 0.0)
    y = result.node("y")
    assert y.impact is None
    assert y.unknown["impact"] == (
        "no node of the chain takes it as an essential input (it is a non-essential input of z: "
        "a type of it or an alternative, whose loss stops nothing under fixed proportions); its "
        "impact cannot be measured"
    )
    # y is a choke point with an unknown impact: ranked after x's known 0.21
    flagged = analyze(load_chain(remainders), min_concentration=0.1).chokepoints()
    assert [n.id for n in flagged] == ["x", "y"]
    assert result.node("z").impact is None


def test_other_perspective_refused_for_own_market_chain(remainders: Path) -> None:
    with pytest.raises(AnalysisError, match="CN's own market; they say nothing about DE's market"):
        analyze(load_chain(remainders), perspective="DE")


def test_global_chain_takes_any_perspective(tmp_path: Path) -> None:
    path = write_chain(
        tmp_path, "glob", REMAINDERS, "[up, down]", "market: global\nregions: {EU: [DE, FR]}"
    )
    chain = load_chain(path)
    de = analyze(chain, perspective="DE")
    # x from DE's side: domestic 0.2, foreign CN 0.1 and JP 0.3
    assert de.node("x").dependence == pytest.approx(0.8)
    assert de.node("x").import_hhi == pytest.approx((0.1 / 0.8) ** 2 + (0.3 / 0.8) ** 2)
    assert any("region EU includes DE" in a for a in de.assumptions)
    eu = analyze(chain, perspective="EU")
    # the region's own key and its members are all domestic
    assert eu.node("x").dependence == pytest.approx(0.8)
    assert eu.node("y").dependence == pytest.approx(0.4)
    with pytest.raises(AnalysisError, match="did you mean 'JP'"):
        analyze(chain, perspective="JPN")


# --- Chain C: six tiers, a node without shares ------------------------------------------------
TIERS = """\
- {id: t1, name: T1, stage: s1, shares: {CN: 0.4, KR: 0.6}, source: s}
- {id: t2, name: T2, stage: s2, shares: {CN: 0.9, JP: 0.1}, source: s, inputs: [{node: t1, cost_share: 0.5}]}
- {id: t3, name: T3, stage: s3, shares: {CN: 1.0}, source: s, inputs: [{node: t2, cost_share: 0.5}]}
- {id: t4, name: T4, stage: s4, shares: {CN: 0.5, US: 0.5}, source: s, inputs: [{node: t3, cost_share: 1.0}]}
- {id: t5, name: T5, stage: s5, inputs: [{node: t4, cost_share: 0.8}]}
- {id: t6, name: T6, stage: s6, shares: {CN: 0.6, JP: 0.4}, source: s, inputs: [{node: t5, cost_share: 0.5}]}
"""


@pytest.fixture
def tiers(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "tiers", TIERS, "[s1, s2, s3, s4, s5, s6]")


def test_tiers_exposure_accumulates(tiers: Path) -> None:
    result = analyze(load_chain(tiers))
    expected_kr = [0.6, 0.27, 0.135, 0.0675]
    expected_jp = [0.0, 0.1, 0.05, 0.025]
    expected_t = [0.6, 0.37, 0.185, 0.5925]
    for k, node in enumerate(result.nodes[:4]):
        assert node.exposure.get("KR", 0.0) == pytest.approx(expected_kr[k])
        assert node.exposure.get("JP", 0.0) == pytest.approx(expected_jp[k])
        assert node.total_dependence == pytest.approx(expected_t[k])
    # t5 has no shares: its dependence is unknown, so its total and exposures are too (they
    # were 0.474 etc. counting t5 as domestic); t6 draws on t5 at cost share 0.5 with a domestic
    # share of 0.6, so its total and exposures rest on t5's and are n/a as well (issue 13)
    t5, t6 = result.node("t5"), result.node("t6")
    assert (t5.total_dependence, t6.total_dependence) == (None, None)
    assert t5.exposure == {"JP": None, "KR": None, "US": None}
    assert t6.exposure == {"JP": None, "KR": None, "US": None}
    assert t5.unknown["total_dependence"] == "no shares known for this node"
    assert t6.unknown["total_dependence"] == "rests on inputs whose own figure is n/a (t5)"


def test_tiers_node_without_shares(tiers: Path) -> None:
    result = analyze(load_chain(tiers))
    t5 = result.node("t5")
    assert (t5.dependence, t5.hhi, t5.import_hhi, t5.top_supplier, t5.impact) == (None,) * 5
    assert any("no shares known for t5" in a for a in result.assumptions)
    with pytest.raises(AnalysisError, match="strict: no shares known for t5"):
        analyze(load_chain(tiers), strict=True)


def test_tiers_chokepoints_ranked_by_impact(tiers: Path) -> None:
    result = analyze(load_chain(tiers))
    # impacts: t1 0.6 -> 0.54 -> 0.54 -> 0.27 -> 0.27 -> 0.162; t4 0.5 -> 0.5 -> 0.3; t6 0.4
    assert result.node("t1").impact == pytest.approx(0.162)
    assert result.node("t2").impact == pytest.approx(0.03)
    assert result.node("t4").impact == pytest.approx(0.3)
    assert result.node("t6").impact == pytest.approx(0.4)
    # t4's dependence is exactly 50%: not above the EU's 50%, so not flagged (it was under >=)
    assert [n.id for n in result.chokepoints()] == ["t1"]
    assert result.node("t4").reasons == (
        "import concentration (HHI) 1.00 > 0.40 but dependence 50% <= 50%",
        "US supplies 50% of CN's market for T4; if US stops supplying it, the supply of T6 in "
        "CN's market falls by 30%",
    )
    assert result.node("t6").reasons[0] == (
        "import concentration (HHI) 1.00 > 0.40 but dependence 40% <= 50%"
    )
    # t2: JP is its only foreign origin (HHI 1) but 10% is far from dependent
    assert result.node("t2").reasons == (
        "import concentration (HHI) 1.00 > 0.40 but dependence 10% <= 50%",
        "JP supplies 10% of CN's market for T2; if JP stops supplying it, the supply of T6 in "
        "CN's market falls by 3%",
    )
    # t3: fully domestic, neither criterion holds, no foreign supplier: nothing to say
    assert result.node("t3").reasons == ()
    looser = analyze(load_chain(tiers), min_dependence=0.35)
    assert [n.id for n in looser.chokepoints()] == ["t6", "t4", "t1"]


def test_year_uses_history(tmp_path: Path) -> None:
    path = write_chain(
        tmp_path,
        "hist",
        """\
        - id: r
          name: R
          stage: up
          shares: {CN: 0.3, JP: 0.7}
          history: {2014: {CN: 0.1, JP: 0.9}}
          source: s
        - {id: q, name: Q, stage: up, shares: {CN: 0.5, US: 0.5}, source: s}
        """,
        "[up]",
    )
    chain = load_chain(path)
    old = analyze(chain, year=2014)
    assert old.year == 2014
    assert old.node("r").dependence == pytest.approx(0.9)
    assert old.node("q").dependence == pytest.approx(0.5)
    assert any(
        "1 node(s) have no figures for 2014; the figures of another year were used: 2020 for q" in a
        for a in old.assumptions
    )
    # every node carries the year of its figures; the title names the span
    assert (old.node("r").year, old.node("q").year) == (2014, 2020)
    assert old.years() == [2014, 2020]
    assert old.years_text() == "2014-2020"
    assert analyze(chain).years_text() == "2020"
    with pytest.raises(AnalysisError, match="no figures for 2010; years with figures: 2014, 2020"):
        analyze(chain, year=2010)


# Shares summing above 1 within the loader's tolerance are divided by their sum (issue 13).
OVER = """\
- {id: a, name: A, stage: up, shares: {US: 0.497, JP: 0.306, KR: 0.2}, source: s}
- {id: b, name: B, stage: down, shares: {US: 0.5, JP: 0.5}, source: s, inputs: [{node: a, cost_share: 0.6}, {node: a2, cost_share: 0.403}]}
- {id: a2, name: A2, stage: up, shares: {JP: 1.0}, source: s}
"""


def test_shares_above_one_are_normalised(tmp_path: Path) -> None:
    path = write_chain(tmp_path, "over", OVER, "[up, down]", extra="")
    text = path.read_text(encoding="utf-8").replace("perspective: CN", "perspective: US")
    path.write_text(text, encoding="utf-8")
    result = analyze(load_chain(path))
    a = result.node("a")
    # sum 1.003: US 0.497/1.003, D = (0.306 + 0.2)/1.003 = 0.506/1.003 = 0.504487
    assert a.dependence == pytest.approx(0.506 / 1.003)
    # import HHI = (0.306^2 + 0.2^2) / 0.506^2 = (0.093636 + 0.04) / 0.256036 = 0.52194
    # (without normalising: 0.133636 / 0.503^2 = 0.52819, the figure the issue reported)
    assert a.import_hhi == pytest.approx(0.133636 / 0.256036)
    assert round(a.import_hhi, 4) == 0.5219
    # HHI = (0.497^2 + 0.306^2 + 0.2^2) / 1.003^2 = 0.380645 / 1.006009 = 0.378371
    assert a.hhi == pytest.approx(0.380645 / 1.006009)
    # b's cost shares sum to 1.003: divided by the sum, 0.6/1.003 and 0.403/1.003;
    # T_b = 0.5 + 0.5 (0.6 T_a + 0.403 T_a2) / 1.003, T_a = 0.504487, T_a2 = 1
    t_b = 0.5 + 0.5 * (0.6 * 0.506 / 1.003 + 0.403 * 1.0) / 1.003
    assert result.node("b").total_dependence == pytest.approx(t_b)
    assert any("divided by their sum: a (1.003)" in x for x in result.assumptions)


def _check_invariants(result: Analysis) -> None:
    for node in result.nodes:
        if node.import_hhi is not None:
            assert -1e-12 <= node.import_hhi <= 1 + 1e-12, node.id
            assert node.hhi is not None
            assert -1e-12 <= node.hhi <= 1 + 1e-12, node.id
        total = node.total_dependence
        if total is None:
            continue
        assert all(v is not None for v in node.exposure.values()) or node.unknown, node.id
        assert sum(v for v in node.exposure.values() if v is not None) <= total + 1e-9, node.id
        assert total <= 1 + 1e-9, node.id
        if node.dependence is not None:
            assert node.dependence <= total + 1e-9, node.id


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_invariants_on_generated_networks_with_shares_above_one(seed: int) -> None:
    import random

    from chokepoint.io.generate import build_network
    from chokepoint.io.loader import check_document
    from chokepoint.io.yamlread import Located

    document = build_network(80, seed, cycles=0.1)
    rng = random.Random(seed)
    for node in document["nodes"]:  # push shares and cost shares up to the tolerance
        shares = node.get("shares")
        if shares:
            total = sum(shares.values())
            scale = rng.uniform(1.0, 1.0049) / total if total > 0 else 1.0
            if max(shares.values()) * scale <= 1.0:
                node["shares"] = {k: v * scale for k, v in shares.items()}
        costs = [i for i in node.get("inputs", []) if i.get("cost_share") is not None]
        total = sum(i["cost_share"] for i in costs)
        scale = rng.uniform(1.0, 1.0049) / total if total > 0 else 1.0
        if costs and max(i["cost_share"] for i in costs) * scale <= 1.0:
            for i in costs:
                i["cost_share"] *= scale
    _check_invariants(analyze(check_document(Located(document, "generated"))))


@pytest.mark.parametrize("name", ["robots", "machine-tools", "semiconductors"])
def test_invariants_on_shipped_chains(name: str) -> None:
    _check_invariants(analyze(load_chain(name)))


def test_node_metrics_made_by_columns_are_those_of_the_constructor() -> None:
    """``_node_metrics`` sets the fields a column at a time: the same frozen objects as
    ``NodeMetrics(...)``, and a missing column is refused."""
    import dataclasses

    from chokepoint.core.analysis import NodeMetrics, _node_metrics

    nodes = analyze(load_chain("robots")).nodes
    names = [f.name for f in dataclasses.fields(NodeMetrics)]
    columns = [[getattr(n, name) for n in nodes] for name in names]
    made = _node_metrics(len(nodes), columns)
    assert made == tuple(NodeMetrics(*(getattr(n, name) for name in names)) for n in nodes)
    assert [n.to_dict() for n in made] == [n.to_dict() for n in nodes]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].impact = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="zip"):
        _node_metrics(len(nodes), columns[:-1])
    with pytest.raises(ValueError, match="values for the"):
        _node_metrics(len(nodes) + 1, columns)


def test_progress_reports_each_step_in_order() -> None:
    """analyze calls progress with (done, STEPS) after compiling, the direct metrics, exposure,
    impacts, the final products hit alike and the result objects: 1, 2, ... 6 of 6."""
    from chokepoint import load_chain
    from chokepoint.core.analysis import STEPS, analyze

    calls: list[tuple[int, int]] = []
    result = analyze(load_chain("robots"), progress=lambda done, total: calls.append((done, total)))
    assert STEPS == 6
    assert calls == [(k, 6) for k in range(1, 7)]
    assert result.to_dict() == analyze(load_chain("robots")).to_dict()


def test_top_supplier_ties_go_to_the_first_code_a_to_z() -> None:
    """The top supplier is the largest named foreign share; equal shares go to the first code
    A-Z, whatever their order in the file; a node with no foreign pair has none."""
    from chokepoint.core.compiled import compile_chain
    from chokepoint.core.metrics import direct_metrics
    from chokepoint.model import Chain, Node

    nodes = (
        Node("a", "A", "up", shares={"KR": 0.3, "CN": 0.3, "JP": 0.3, "DE": 0.1}),
        Node("b", "B", "up", shares={"US": 0.2, "DE": 0.5, "CN": 0.3}),
        Node("c", "C", "up", shares={"CN": 1.0}),
        Node("d", "D", "up", shares={"TW": 0.4, "KR": 0.4, "NL": 0.4}),  # sums to 1.2: / 1.2
    )
    c = compile_chain(Chain("t", "T", "CN", 2020, ("up",), nodes))
    m = direct_metrics(c)
    top = [None if t < 0 else c.pair_origin[t] for t in m.top.tolist()]
    # a: KR and JP tie at 0.3 (CN is domestic): JP < KR; b: DE 0.5; c: none; d: KR < NL < TW
    assert top == ["JP", "DE", None, "KR"]
    assert m.top_share.tolist()[:2] == [0.3, 0.5]
    assert np.isnan(m.top_share[2])
    assert m.top_share[3] == 0.4 / ((0.4 + 0.4) + 0.4)  # the sum, added left to right
