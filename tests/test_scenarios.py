"""Known-answer tests of the disruption model (both models), sweeps and their identities."""

from __future__ import annotations

from pathlib import Path

import pytest

from chokepoint import analyze, load_chain, run_scenario
from chokepoint.core.scenarios import Scenario, sweep
from chokepoint.errors import ChokepointError, ScenarioError
from chokepoint.io.forms import parse_cut, parse_severities, parse_shock
from chokepoint.model import Cut, Shock

from .chains import CYCLE, FIVE, chain_text, write_chain


@pytest.fixture
def five(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "five", FIVE, extra="")  # no regions: origins are countries


JP_AND_SHOCK = Scenario(cuts=(Cut("JP", 1.0),), shocks=(Shock("c2", 0.2),))


def losses(result: object) -> dict[str, tuple[float, float, float]]:
    return {n.id: (n.loss, n.import_loss, n.domestic_loss) for n in result.nodes}  # type: ignore[attr-defined]


def test_leontief_by_hand(five: Path) -> None:
    result = run_scenario(load_chain(five), JP_AND_SHOCK)
    got = losses(result)
    # m1: import 0.8 net of 25% substitution = 0.6
    assert got["m1"] == pytest.approx((0.6, 0.6, 0.0))
    assert got["m2"] == pytest.approx((0.0, 0.0, 0.0))
    # c1: import 0.4; domestic 0.6 * max(q_m1) = 0.36 (m2 is inessential)
    assert got["c1"] == pytest.approx((0.76, 0.4, 0.36))
    # c2: the capacity shock 0.2 on fully domestic production
    assert got["c2"] == pytest.approx((0.2, 0.0, 0.2))
    # f: domestic 0.9 * max(0.76, 0.2)
    assert got["f"] == pytest.approx((0.684, 0.0, 0.684))
    assert result.final == (("f", pytest.approx(0.684)),)


def test_linear_by_hand(five: Path) -> None:
    got = losses(run_scenario(load_chain(five), JP_AND_SHOCK, model="linear"))
    assert got["m1"] == pytest.approx((0.6, 0.6, 0.0))
    # c1: d = 0.5 * 0.6 + 0.2 * 0 = 0.3 -> 0.4 + 0.6 * 0.3
    assert got["c1"] == pytest.approx((0.58, 0.4, 0.18))
    assert got["c2"] == pytest.approx((0.2, 0.0, 0.2))
    # f: d = 0.4 * 0.58 + 0.3 * 0.2 = 0.292 -> 0.9 * 0.292
    assert got["f"] == pytest.approx((0.2628, 0.0, 0.2628))


def test_substitution_override_and_largest_cut_wins(five: Path) -> None:
    chain = load_chain(five)
    scenario = Scenario(cuts=(Cut("JP", 0.5), Cut("JP", 1.0, ("m1",))), substitution={"m1": 0.5})
    got = losses(run_scenario(chain, scenario))
    # m1: the larger cut (1.0) applies, net of the overridden substitutability 0.5
    assert got["m1"][0] == pytest.approx(0.4)
    # c1: the JP=0.5 cut of every node: 0.4 * 0.5 = 0.2 import; domestic 0.6 * 0.4
    assert got["c1"] == pytest.approx((0.44, 0.2, 0.24))


def test_haimes_jiang_inoperability_example(tmp_path: Path) -> None:
    # A* = [[0, 0.8], [0.2, 0]], c* = [0, 0.6]: q = (I - A*)^-1 c* = [0.571, 0.714]
    path = write_chain(
        tmp_path,
        "iim",
        """\
        - {id: one, name: Sector 1, stage: up, shares: {CN: 1.0}, source: s, inputs: [{node: two, cost_share: 0.8}]}
        - {id: two, name: Sector 2, stage: up, shares: {CN: 1.0}, source: s, inputs: [{node: one, cost_share: 0.2}]}
        """,
    )
    got = losses(
        run_scenario(load_chain(path), Scenario(shocks=(Shock("two", 0.6),)), model="linear")
    )
    assert got["one"][0] == pytest.approx(0.5714285714, abs=1e-9)
    assert got["two"][0] == pytest.approx(0.7142857143, abs=1e-9)


def test_cyclic_leontief_fixed_point(tmp_path: Path) -> None:
    chain = load_chain(write_chain(tmp_path, "cyc", CYCLE))
    got = losses(run_scenario(chain, Scenario(cuts=(Cut("US", 1.0, ("b",)),))))
    # qb = 0.2 + 0.8 qa and qa = 0.5 max(qa, qb): qb = 1/3, qa = 1/6, qc = qa
    assert got["b"][0] == pytest.approx(1 / 3)
    assert got["a"][0] == pytest.approx(1 / 6)
    assert got["c"][0] == pytest.approx(1 / 6)


@pytest.mark.parametrize("origin", ["JP", "US"])
def test_exposure_identity_on_a_cycle(tmp_path: Path, origin: str) -> None:
    """Under `linear`, a full cut of one origin everywhere equals analyze's exposure to it."""
    chain = load_chain(write_chain(tmp_path, "cyc", CYCLE))
    exposure = {n.id: n.exposure.get(origin, 0.0) for n in analyze(chain).nodes}
    got = losses(run_scenario(chain, Scenario(cuts=(Cut(origin, 1.0),)), model="linear"))
    assert {n: v[0] for n, v in got.items()} == pytest.approx(exposure)


def test_exposure_identity_on_five_nodes(five: Path) -> None:
    chain = load_chain(five)
    for origin in ("DE", "US"):  # origins at nodes without substitutability
        exposure = {n.id: n.exposure.get(origin, 0.0) for n in analyze(chain).nodes}
        got = losses(run_scenario(chain, Scenario(cuts=(Cut(origin, 1.0),)), model="linear"))
        assert {n: v[0] for n, v in got.items()} == pytest.approx(exposure)


def test_named_scenario_and_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "named.yaml"
    text = chain_text("named", FIVE)
    text += (
        "scenarios:\n  jp: {title: Japan stops, cuts: [{origin: JP, nodes: [m1], severity: 1}]}\n"
    )
    path.write_text(text, encoding="utf-8")
    chain = load_chain(path)
    result = run_scenario(chain, "jp")
    assert result.scenario.title == "Japan stops"
    assert losses(result)["m1"][0] == pytest.approx(0.6)
    with pytest.raises(ScenarioError, match=r"unknown scenario 'kr'.*scenarios: jp"):
        run_scenario(chain, "kr")


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            Scenario(cuts=(Cut("KR", 1.0),)),
            r"not a foreign origin of chain 'five' \(origins: DE, JP, US\)",
        ),
        (Scenario(cuts=(Cut("CN", 1.0),)), "the perspective's own supply; use a capacity shock"),
        (
            Scenario(cuts=(Cut("DE", 1.0, ("m1",)),)),
            r"DE has no share in m1 \(its foreign origins: JP\)",
        ),
        (
            Scenario(cuts=(Cut("JP", 1.0, ("zz",)),)),
            "unknown node 'zz' \\(nodes: m1, m2, c1, c2, f\\)",
        ),
        (Scenario(shocks=(Shock("zz", 0.5),)), "unknown node"),
        (Scenario(cuts=(Cut("JP", 1.5),)), r"1.5 is outside \[0, 1\]"),
    ],
)
def test_bad_scenarios_name_the_choices(five: Path, scenario: Scenario, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        run_scenario(load_chain(five), scenario)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JP:reducers=1", Cut("JP", 1.0, ("reducers",))),
        ("JP=0.5", Cut("JP", 0.5)),
        ("EU:plc,servo=50%", Cut("EU", 0.5, ("plc", "servo"))),
    ],
)
def test_parse_cut(text: str, expected: Cut) -> None:
    assert parse_cut(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("JP", "malformed"),
        ("JP:reducers=x", "not a number"),
        ("JP=2", "outside"),
        ("=1", "malformed"),
    ],
)
def test_parse_cut_errors(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_cut(text)


def test_parse_shock_and_severities() -> None:
    assert parse_shock("reducers=0.3") == Shock("reducers", 0.3)
    assert parse_severities("0:1:0.1") == pytest.approx([k / 10 for k in range(11)])
    assert len(parse_severities("0:1:0.1")) == 11
    assert parse_severities("0:0.5:0.2") == pytest.approx([0.0, 0.2, 0.4, 0.5])
    with pytest.raises(ScenarioError, match="STEP must be > 0"):
        parse_severities("0:1:0")


def test_sweep_severities_and_over(five: Path) -> None:
    chain = load_chain(five)
    rows = sweep(chain, cut="JP:m1", severity=(0.0, 0.5, 1.0)).rows
    # f loses 0.9 * 0.6 * (0.75 * 0.8 * severity)
    assert [r.final[0][1] for r in rows] == pytest.approx([0.0, 0.162, 0.324])
    assert {(r.origin, r.node) for r in rows} == {("JP", "m1")}
    by_origin = {r.origin: r.final[0][1] for r in sweep(chain, over="origins").rows}
    # DE: m2 feeds c1 (inessential) and c2 (0.5 lost) -> f = 0.9 * 0.5; US: f's own 0.1
    assert by_origin == pytest.approx({"DE": 0.45, "JP": 0.684, "US": 0.1})
    by_node = {r.node: (r.origin, r.final[0][1]) for r in sweep(chain, over="nodes").rows}
    assert by_node["m1"] == ("JP", pytest.approx(0.324))
    assert by_node["c1"] == ("JP", pytest.approx(0.36))
    assert set(by_node) == {"m1", "m2", "c1", "f"}


def test_a_scenario_file_is_read_even_without_a_name(five: Path, tmp_path: Path) -> None:
    """A mistyped --scenario-file is an error, not silently ignored, when only cuts are given."""
    with pytest.raises(ChokepointError, match="missing.yaml"):
        run_scenario(load_chain(five), cuts=["JP=1"], scenario_file=tmp_path / "missing.yaml")
