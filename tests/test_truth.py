"""Issue 13, "results that must not mislead": known answers for every figure that rests on an
unknown (null / n/a with the reason, never ranked above a known figure), the impact sentence and
the year every figure carries. The arithmetic is in the comments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import analyze, load_chain, run_scenario
from chokepoint.cli import app
from chokepoint.core.scenarios import Scenario, sweep
from chokepoint.model import Cut

from .chains import write_chain

# a {CN .5, JP .5} and z {CN .6, US .4} upstream; b (all domestic) takes a without a cost share
# and z at 0.3; m is all imported (US) and takes a without a cost share; f1 takes b at 0.5;
# f3 takes z at 1.0, which leaves no room for a cost share of a.
LINEAR = """\
- {id: a, name: A, stage: up, shares: {CN: 0.5, JP: 0.5}, source: s}
- {id: z, name: Z, stage: up, shares: {CN: 0.6, US: 0.4}, source: s}
- {id: b, name: B, stage: mid, shares: {CN: 1.0}, source: s, inputs: [a, {node: z, cost_share: 0.3}]}
- {id: m, name: M, stage: mid, shares: {US: 1.0}, source: s, inputs: [a]}
- {id: f1, name: F1, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: b, cost_share: 0.5}]}
- {id: f3, name: F3, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: z, cost_share: 1.0}, a]}
"""


@pytest.fixture
def linear_chain(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "linear", LINEAR)


def losses(path: Path, origin: str, node: str) -> dict[str, float | None]:
    cut = Scenario(cuts=(Cut(origin, 1.0, (node,)),))
    result = run_scenario(load_chain(path), cut, model="linear")
    return {n.id: n.loss for n in result.nodes}


def test_linear_losses_resting_on_missing_cost_shares_are_unknown(linear_chain: Path) -> None:
    got = losses(linear_chain, "JP", "a")
    # q_a = 0.5 (JP's share). b has domestic production and takes a, which is hit, without a
    # cost share: unknown. f1 takes b (unknown) at 0.5: unknown. m imports all its supply
    # (s_m(P) = 0): its loss does not depend on its inputs, 0. f3's known cost shares sum to 1,
    # so a's must be 0: d = 1.0 * q_z = 0, known.
    assert got == {"a": 0.5, "z": 0.0, "b": None, "m": 0.0, "f1": None, "f3": 0.0}
    result = run_scenario(
        load_chain(linear_chain), Scenario(cuts=(Cut("JP", 1.0, ("a",)),)), model="linear"
    )
    reasons = {n.id: n.unknown for n in result.nodes}
    assert reasons["b"] == "linear model: no cost share for the input(s) the scenario hits: a->b"
    assert reasons["f1"] == "linear model: the loss of input(s) b is n/a"
    assert dict(result.final) == {"m": 0.0, "f1": None, "f3": 0.0}
    assert any(
        "a linear loss that would draw on one of them that the scenario hits is n/a: a->b, "
        "a->f3, a->m" in text
        for text in result.assumptions
    )


def test_linear_losses_known_when_the_uncosted_input_is_not_hit(linear_chain: Path) -> None:
    got = losses(linear_chain, "US", "z")
    # q_z = 0.4; a is not hit, so its missing cost share weighs nothing: b = 0.3 * 0.4 = 0.12,
    # f1 = 0.5 * 0.12 = 0.06, f3 = 1.0 * 0.4 = 0.4, m is not cut (US at z only): 0
    assert got == pytest.approx({"a": 0.0, "z": 0.4, "b": 0.12, "m": 0.0, "f1": 0.06, "f3": 0.4})


def test_leontief_needs_no_cost_share(linear_chain: Path) -> None:
    result = run_scenario(load_chain(linear_chain), Scenario(cuts=(Cut("JP", 1.0, ("a",)),)))
    # b, f1 follow their scarcest essential input: b = 1.0 * 0.5, f1 = 0.5; f3 takes a: 0.5
    assert dict(result.final) == pytest.approx({"m": 0.0, "f1": 0.5, "f3": 0.5})


def test_sweep_linear_nulls_unknown_final_losses(linear_chain: Path) -> None:
    result = sweep(load_chain(linear_chain), cut="JP:a", severity=(0.0, 1.0), model="linear")
    rows = result.to_dict()["rows"]
    # severity 0 hits nothing: every loss known and 0; severity 1: f1 rests on a->b
    assert rows[0]["final"] == [
        {"id": "m", "loss": 0.0},
        {"id": "f1", "loss": 0.0},
        {"id": "f3", "loss": 0.0},
    ]
    assert rows[1]["final"] == [
        {"id": "m", "loss": 0.0},
        {"id": "f1", "loss": None},
        {"id": "f3", "loss": 0.0},
    ]
    assert result.rows[1].unknown == ("f1",)


def test_total_dependence_rests_on_missing_cost_shares(linear_chain: Path) -> None:
    result = analyze(load_chain(linear_chain))
    # b: T = 0 + 1.0 (w_a T_a + 0.3 T_z) with w_a unknown and T_a = 0.5 > 0: n/a.
    b = result.node("b")
    assert (b.total_dependence, b.exposure) == (None, {"JP": None, "US": 0.3 * 0.4})
    assert b.unknown["total_dependence"] == "rests on inputs without a cost share (a->b)"
    # m imports everything: T = D = 1 whatever its inputs weigh
    assert result.node("m").total_dependence == pytest.approx(1.0)
    # f3: the known cost shares sum to 1, so a's is 0: T = 1.0 * T_z = 0.4
    assert result.node("f3").total_dependence == pytest.approx(0.4)
    # f1 takes b (unknown) at 0.5 with s_P = 1: n/a
    f1 = result.node("f1")
    assert f1.total_dependence is None
    assert f1.unknown["total_dependence"] == "rests on inputs whose own figure is n/a (b)"


# A world-market chain seen from DE: a feeds four final products alike.
GLOBAL = """\
- {id: a, name: Anodes, stage: up, shares: {CN: 0.6, DE: 0.1, US: 0.3}, source: s}
- {id: b, name: Buses, stage: down, shares: {DE: 0.5, US: 0.5}, source: s, inputs: [a]}
- {id: c, name: Cars, stage: down, shares: {DE: 0.5, JP: 0.5}, source: s, inputs: [a]}
"""


def test_impact_sentence_names_every_final_product_hit_alike(tmp_path: Path) -> None:
    path = write_chain(tmp_path, "glob", GLOBAL, "[up, down]", "market: global")
    result = analyze(load_chain(path), perspective="DE")
    a = result.node("a")
    # CN cut at a: q_a = 0.6; b and c each keep their imports and lose their domestic half's
    # input: 0.5 * 0.6 = 0.3 each
    assert a.impact == pytest.approx(0.3)
    assert a.reasons[-1] == (
        "CN supplies 60% of world supply for Anodes; if CN stops supplying it to DE, the supply "
        "of each of Buses and Cars available to DE (sourced at world shares) falls by 30%"
    )


def test_impact_sentence_with_many_final_products(tmp_path: Path) -> None:
    finals = "".join(
        f"- {{id: f{k}, name: F{k}, stage: down, shares: {{CN: 1.0}}, source: s, inputs: [a]}}\n"
        for k in range(4)
    )
    nodes = "- {id: a, name: A, stage: up, shares: {CN: 0.3, JP: 0.7}, source: s}\n" + finals
    path = write_chain(tmp_path, "many", nodes, "[up, down]", "")
    a = analyze(load_chain(path)).node("a")
    # JP cut at a: 0.7, carried whole to each final product (all domestic)
    assert a.reasons[-1] == (
        "JP supplies 70% of CN's market for A; if JP stops supplying it, the supply of each of "
        "4 final products (e.g. F0, F1) in CN's market falls by 70%"
    )


def test_every_node_carries_the_year_of_its_figures() -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["analyze", "robots", "--year", "2014", "-f", "json"])
    assert done.exit_code == 0, done.output
    doc = json.loads(done.output)
    years = {n["id"]: n["year"] for n in doc["nodes"]}
    # cnc and plc have figures of 2017 only (their `year`), servo, controllers and robot-bodies
    # of the chain's 2018; reducers and semiconductors have 2014 history; nodes without
    # shares have no year
    assert (years["cnc"], years["plc"]) == (2017, 2017)
    assert (years["servo"], years["controllers"], years["robot-bodies"]) == (2018, 2018, 2018)
    assert (years["reducers"], years["semiconductors"]) == (2014, 2014)
    assert years["castings"] is None
    assert (doc["year"], doc["years"]) == (2014, [2014, 2017, 2018])
    assert (
        "5 node(s) have no figures for 2014; the figures of another year were used: 2017 for "
        "cnc, plc; 2018 for servo, controllers, robot-bodies"
    ) in doc["assumptions"]
    done = runner.invoke(app, ["analyze", "robots", "--year", "2014"], env={"COLUMNS": "120"})
    assert "Industrial robots: dependence of CN (China), 2014-2018" in done.output
    assert "⚑ plc* '17" in done.output


def test_impact_sentence_hedges_when_ties_were_not_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chokepoint.core import analysis as analysis_module

    nodes = (
        "- {id: a, name: A, stage: up, shares: {CN: 0.3, JP: 0.7}, source: s}\n"
        "- {id: b, name: B, stage: up, shares: {CN: 0.5, US: 0.5}, source: s}\n"
        "- {id: f0, name: F0, stage: down, shares: {CN: 1.0}, source: s, inputs: [a, b]}\n"
        "- {id: f1, name: F1, stage: down, shares: {CN: 1.0}, source: s, inputs: [a, b]}\n"
    )
    path = write_chain(tmp_path, "budget", nodes, "[up, down]", "")
    # a budget of one propagation: a (the choke point: 70% > 50%, HHI 1) is checked for ties,
    # b (50%, not above the threshold) is not, so its sentence says others may be hit alike
    monkeypatch.setattr(analysis_module, "_TIES_CELLS", 1)
    result = analyze(load_chain(path))
    assert (
        result.node("a")
        .reasons[-1]
        .endswith("the supply of each of F0 and F1 in CN's market falls by 70%")
    )
    assert (
        result.node("b")
        .reasons[-1]
        .endswith(
            "the supply of F0 (the hardest hit; other final products may be hit alike) in CN's "
            "market falls by 50%"
        )
    )
    monkeypatch.undo()
    assert (
        analyze(load_chain(path))
        .node("b")
        .reasons[-1]
        .endswith("the supply of each of F0 and F1 in CN's market falls by 50%")
    )
