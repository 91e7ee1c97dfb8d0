"""Known-answer tests of the basis of a figure: location (where produced) or ownership (whose firms)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import analyze, load_chain, run_scenario
from chokepoint.cli import app
from chokepoint.errors import ChainError
from chokepoint.io.loader import read_text
from chokepoint.io.tabular import dump_json, write_tables
from chokepoint.io.yamlread import parse_yaml

from .chains import write_chain

# w: Japanese firms hold 70% of CN's market (ownership), but 30 of those points are made in CN,
# so by place of production JP supplies 40% and CN 60% (location). m gives ownership shares only.
NODES = """\
- id: w
  name: W
  stage: up
  basis: ownership
  shares: {CN: 0.3, JP: 0.7}
  location_shares: {CN: 0.6, JP: 0.4}
  history: {2015: {CN: 0.2, JP: 0.8}}
  source: s
- {id: m, name: M, stage: up, shares: {CN: 0.5, KR: 0.5}, source: s}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, basis: location, source: s, inputs: [w, m]}
"""
OWNED = "regions: {EU: [DE, FR]}\nbasis: ownership"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "owned", NODES, extra=OWNED)


def test_each_node_on_its_own_basis_by_default(path: Path) -> None:
    chain = load_chain(path)
    assert (chain.basis, chain.node("w").basis, chain.node("m").basis) == (
        "ownership",
        "ownership",
        "ownership",
    )
    assert chain.node("f").basis == "location"
    result = analyze(chain)
    w = result.node("w")
    assert (w.dependence, w.basis) == (pytest.approx(0.7), "ownership")  # 1 - 0.3
    assert result.node("f").basis == "location"
    said = [a for a in result.assumptions if a.startswith("ownership basis at w, m:")]
    assert len(said) == 1
    assert "their production in CN included" in said[0]


def test_location_basis_takes_the_location_shares(path: Path) -> None:
    chain = load_chain(path).on_basis("location")
    result = analyze(chain)
    w = result.node("w")
    assert (w.dependence, w.basis) == (pytest.approx(0.4), "location")  # 1 - 0.6
    # m has ownership shares only: kept, and said
    assert result.node("m").basis == "ownership"
    assert any(
        "asked for the location basis, but 1 node(s) give shares only on the ownership basis, "
        "used as they are: m" in a
        for a in result.assumptions
    )
    # the ownership history is set aside on the location basis
    assert chain.node("w").history == {}
    assert chain.node("w").basis_shares == {"ownership": {"CN": 0.3, "JP": 0.7}}
    assert load_chain(path).on_basis(None) == load_chain(path)


def test_a_cut_of_jp_differs_by_basis(path: Path) -> None:
    cut = {"cuts": ["JP:w=1"]}
    # ownership: Japanese firms stop wherever they produce; f (fixed proportions) keeps 0.3
    owned = run_scenario(load_chain(path), **cut)
    assert dict(owned.final)["f"] == pytest.approx(0.7)
    # location: only what is made in Japan stops; f keeps 0.6
    located = run_scenario(load_chain(path).on_basis("location"), **cut)
    assert dict(located.final)["f"] == pytest.approx(0.4)


def test_cli_basis_option(path: Path) -> None:
    runner = CliRunner()
    env = {"COLUMNS": "100", "NO_COLOR": "1"}
    out = runner.invoke(app, ["scenario", str(path), "--cut", "JP:w=1", "-f", "json"], env=env)
    assert out.exit_code == 0, out.stderr
    final = {f["id"]: f["loss"] for f in json.loads(out.stdout)["final"]}
    assert final == {"f": pytest.approx(0.7)}
    args = ["scenario", str(path), "--cut", "JP:w=1", "--basis", "location", "-f", "json"]
    out = runner.invoke(app, args, env=env)
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["final"][0]["loss"] == pytest.approx(0.4)
    out = runner.invoke(app, ["analyze", str(path), "--basis", "location", "-f", "json"], env=env)
    nodes = {n["id"]: n for n in json.loads(out.stdout)["nodes"]}
    assert (nodes["w"]["dependence"], nodes["w"]["basis"]) == (pytest.approx(0.4), "location")
    out = runner.invoke(app, ["analyze", str(path), "--basis", "owner"], env=env)
    assert out.exit_code == 2


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  basis: ownership\n",
            "  basis: location\n",
            "location_shares at nodes[0] repeats `shares`, whose basis is already location; give "
            "the ownership split as ownership_shares",
        ),
        ("  basis: ownership\n", "  basis: owned\n", "unknown basis 'owned' at nodes[0].basis; "),
        ("  shares: {CN: 0.3, JP: 0.7}\n", "", "location_shares at nodes[0] needs `shares`"),
        ("{CN: 0.6, JP: 0.4}", "{CN: 0.6, JP: 0.6}", "sum"),
    ],
)
def test_checker_messages(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = write_chain(tmp_path, "owned", NODES.replace(old, new, 1), extra=OWNED)
    with pytest.raises(ChainError) as caught:
        load_chain(path)
    assert message in str(caught.value)
    assert "owned.yaml:" in str(caught.value)


def test_chain_level_basis_is_checked(tmp_path: Path) -> None:
    path = write_chain(tmp_path, "owned", NODES, extra="basis: brand")
    with pytest.raises(ChainError, match="unknown basis 'brand' at basis"):
        load_chain(path)


def test_shipped_chains_mark_their_brand_shares() -> None:
    robots = load_chain("robots")
    assert robots.basis == "ownership"
    assert robots.node("semiconductors").basis == "location"  # made in China, Table 4-4
    for node in ("reducers", "servo", "controllers", "cnc", "plc", "robot-bodies"):
        assert robots.node(node).basis == "ownership", node
    tools = load_chain("machine-tools")
    assert (tools.node("cnc").basis, tools.node("semiconductors").basis) == (
        "ownership",
        "location",
    )
    assert load_chain("semiconductors").node("ics").basis == "location"


def test_json_and_csv_forms_carry_the_basis(path: Path, tmp_path: Path) -> None:
    chain = load_chain(path)
    document = parse_yaml(read_text(path), str(path)).value
    (tmp_path / "c.json").write_text(dump_json(document), encoding="utf-8")
    write_tables(document, tmp_path / "csv")
    header = (tmp_path / "csv" / "shares.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "node,origin,share,source,year,basis"
    assert "w,JP,0.4,s,,location" in (tmp_path / "csv" / "shares.csv").read_text(encoding="utf-8")
    for form in ("c.json", "csv"):
        again = load_chain(tmp_path / form)
        assert again.basis == "ownership"
        assert again.node("w").basis_shares == chain.node("w").basis_shares
        assert again.node("f").basis == "location"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("w,JP,0.4,s,,place", "unknown basis 'place'; location, ownership, or blank"),
        ("w,US,0.1,s,2016,location", "shares on the location basis are for the node's own year"),
    ],
)
def test_csv_basis_cells_are_checked(path: Path, tmp_path: Path, row: str, message: str) -> None:
    document = parse_yaml(read_text(path), str(path)).value
    write_tables(document, tmp_path / "csv")
    shares = tmp_path / "csv" / "shares.csv"
    text = shares.read_text(encoding="utf-8")
    shares.write_text(text + row + "\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    with pytest.raises(ChainError) as caught:
        load_chain(tmp_path / "csv")
    assert f"shares.csv:{line}:6: {message}" in str(caught.value).replace("\n", " ")
