"""Known-answer tests of standard regions (country_converter's table) in shares, perspectives
and cuts, and of cuts that a chain's own regions hide (``--cut DE=1`` where shares say EUROPE)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import analyze, countries, load_chain, run_scenario
from chokepoint.cli import app
from chokepoint.core.compiled import compile_chain, region_members
from chokepoint.errors import AnalysisError, ChainError, ScenarioError

from .chains import write_chain

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}

# Parts come from DE 30%, FR 20%, JP 40% and CN itself 10%; the product is made in CN from parts.
BY_COUNTRY = """\
- {id: parts, name: Parts, stage: up, shares: {DE: 0.3, FR: 0.2, JP: 0.4, CN: 0.1}, source: s}
- {id: product, name: Product, stage: down, shares: {CN: 1.0}, source: s, inputs: [parts]}
"""

# World market of cells: CN 60%, KR 20%, DE 10%, FR 10%.
WORLD = """\
- {id: cells, name: Cells, stage: up, shares: {CN: 0.6, KR: 0.2, DE: 0.1, FR: 0.1}, source: s}
- {id: packs, name: Packs, stage: down, shares: {CN: 0.5, DE: 0.5}, source: s, inputs: [cells]}
"""

# Shares given by a standard region: EU27 as one origin.
BY_REGION = """\
- {id: parts, name: Parts, stage: up, shares: {EU27: 0.5, JP: 0.3, CN: 0.2}, source: s}
- {id: product, name: Product, stage: down, shares: {CN: 1.0}, source: s, inputs: [parts]}
"""


def finals(result: object) -> dict[str, float | None]:
    return dict(result.final)  # type: ignore[attr-defined]


def test_standard_regions_come_from_country_converter() -> None:
    # G7 and BRIC have fixed, well-known members; EU27 has 27 (since 1 February 2020).
    assert countries.standard_region("G7") == ("CA", "DE", "FR", "GB", "IT", "JP", "US")
    assert countries.standard_region("BRIC") == ("BR", "CN", "IN", "RU")
    eu = countries.standard_region("EU27")
    assert eu is not None
    assert len(eu) == 27
    assert {"DE", "FR", "GR", "HR"} <= set(eu)
    assert "GB" not in eu  # ^GB$|^UK$ in the table: GB is in EU28, not in EU27
    assert "GB" in (countries.standard_region("EU28") or ())
    assert countries.standard_region("ASEAN") is None  # not in country_converter: not standard
    assert countries.region_source().startswith("country_converter ")


def test_a_cut_of_a_region_cuts_every_member(tmp_path: Path) -> None:
    chain = load_chain(
        write_chain(tmp_path, "by-country", BY_COUNTRY, stages="[up, down]", extra="")
    )
    # EU27 reaches DE and FR: import loss of parts = 0.3 + 0.2 = 0.5 (JP untouched); the product
    # is all domestic and takes parts as its only essential input: leontief loss 1.0 * 0.5.
    result = run_scenario(chain, cuts=["EU27=1"])
    assert finals(result) == pytest.approx({"product": 0.5})
    source = countries.region_source()
    note = f"EU27 (European Union of 27, since 1 February 2020): 27 countries, as in {source}"
    assert note in result.assumptions
    # G7 at 50% reaches DE, FR and JP: 0.5 * (0.3 + 0.2 + 0.4) = 0.45.
    assert finals(run_scenario(chain, cuts=["G7=50%"])) == pytest.approx({"product": 0.45})
    # the node form: EU27:parts is the same cut
    assert finals(run_scenario(chain, cuts=["EU27:parts=1"])) == pytest.approx({"product": 0.5})
    # BRIC reaches no foreign origin (CN is the perspective): refused, naming the origins
    with pytest.raises(ScenarioError, match=r"cut BRIC: not a foreign origin .*DE, FR, JP"):
        run_scenario(chain, cuts=["BRIC=1"])


def test_a_chain_region_of_the_same_name_wins(tmp_path: Path) -> None:
    # The chain's own EU is DE only: a cut of EU reaches DE (0.3), not FR.
    chain = load_chain(
        write_chain(
            tmp_path, "own-eu", BY_COUNTRY, stages="[up, down]", extra="regions: {EU: [DE]}"
        )
    )
    assert region_members(chain, "EU") == ("DE",)
    assert finals(run_scenario(chain, cuts=["EU=1"])) == pytest.approx({"product": 0.3})


def test_shares_by_standard_region(tmp_path: Path) -> None:
    chain = load_chain(write_chain(tmp_path, "by-region", BY_REGION, stages="[up, down]", extra=""))
    assert len(chain.regions["EU27"]) == 27  # the members the chain used, from the table
    assert finals(run_scenario(chain, cuts=["EU27=1"])) == pytest.approx({"product": 0.5})
    # EU (current members) holds exactly EU27's members: it reaches the EU27 key whole
    assert finals(run_scenario(chain, cuts=["EU=1"])) == pytest.approx({"product": 0.5})
    # DE lies inside EU27, which the chain gives as one origin: refused, saying why
    with pytest.raises(ScenarioError, match=r"cut DE: DE lies inside EU27 \(AT, BE, .*cut EU27"):
        run_scenario(chain, cuts=["DE=1"])
    # G7 reaches JP (0.3); DE, FR and IT inside EU27 are not cut, and the result says so
    result = run_scenario(chain, cuts=["G7=1"])
    assert finals(result) == pytest.approx({"product": 0.3})
    assert any(
        "DE, FR and IT, members of G7, lie inside EU27" in note for note in result.assumptions
    )


def test_perspective_as_a_region_on_a_world_market(tmp_path: Path) -> None:
    path = write_chain(tmp_path, "world", WORLD, stages="[up, down]", extra="market: global")
    chain = load_chain(path)
    result = analyze(chain, perspective="EU27")
    assert any(a.startswith("EU27 (European Union of 27") for a in result.assumptions)
    cells = {n.id: n for n in result.nodes}["cells"]
    # domestic s(EU27) = DE 0.1 + FR 0.1; dependence 0.8;
    # import HHI = (0.6 / 0.8)^2 + (0.2 / 0.8)^2 = 0.5625 + 0.0625 = 0.625
    assert cells.dependence == pytest.approx(0.8)
    assert cells.import_hhi == pytest.approx(0.625)
    # packs: s(EU27) = DE 0.5, dependence 0.5
    packs = {n.id: n for n in result.nodes}["packs"]
    assert packs.dependence == pytest.approx(0.5)
    # a cut of CN seen from EU27: cells lose 0.6; packs lose CN's half of their supply (0.5)
    # plus their EU27 half times the cells' loss: 0.5 + 0.5 * 0.6 = 0.8
    scenario = run_scenario(chain, cuts=["CN=1"], perspective="EU27")
    assert finals(scenario) == pytest.approx({"packs": 0.8})
    # DE is inside the perspective EU27: its own supply, not a cut
    with pytest.raises(ScenarioError, match="the perspective's own supply"):
        run_scenario(chain, cuts=["DE=1"], perspective="EU27")
    # seen from DE, a cut of EU27 reaches FR (0.1 of cells) and says DE itself is not cut
    seen = run_scenario(chain, cuts=["EU27=1"], perspective="DE")
    # cells: 0.1; packs: DE makes half, CN the other half (not cut): 0.5 * 0.1 = 0.05
    assert finals(seen) == pytest.approx({"packs": 0.05})
    assert any("DE (the perspective DE) is not cut" in note for note in seen.assumptions)


def test_a_region_inside_the_perspective_counts_as_domestic(tmp_path: Path) -> None:
    nodes = "- {id: cells, name: Cells, stage: up, shares: {NORDIC: 0.3, CN: 0.7}, source: s}\n"
    chain = load_chain(
        write_chain(
            tmp_path,
            "nordic",
            nodes,
            stages="[up]",
            extra="market: global\nregions: {NORDIC: [SE, FI]}",
        )
    )
    # NORDIC (SE, FI) lies inside EU27: domestic seen from EU27, dependence 0.7
    result = analyze(chain, perspective="EU27")
    assert result.nodes[0].dependence == pytest.approx(0.7)
    assert any("NORDIC (FI, SE) lies inside EU27" in a for a in result.assumptions)
    # seen from SE, NORDIC is foreign (SE's part of it is not given): dependence 1.0
    seen = analyze(chain, perspective="SE")
    assert seen.nodes[0].dependence == pytest.approx(1.0)
    assert any("region NORDIC includes SE but is counted as foreign" in a for a in seen.assumptions)


def test_a_standard_region_as_the_chains_perspective(tmp_path: Path) -> None:
    path = write_chain(tmp_path, "eu-view", WORLD, stages="[up, down]", extra="market: global")
    path.write_text(path.read_text().replace("perspective: CN", "perspective: EU27"))
    chain = load_chain(path)
    assert chain.perspective == "EU27"
    assert compile_chain(chain).domestic_keys >= {"EU27", "DE", "FR"}


def test_region_hidden_cut_on_a_shipped_chain(runner: CliRunner) -> None:
    # robots gives EUROPE (DE, CH, SK) as one origin of plc, cnc and servo
    result = runner.invoke(app, ["scenario", "robots", "--cut", "DE=1"], env=ENV)
    assert result.exit_code == 2
    assert "DE lies inside EUROPE (DE, CH, SK)" in result.stderr
    assert "cut EUROPE instead" in result.stderr
    assert "Traceback" not in result.stderr
    # OECD holds DE, CH and SK: it reaches EUROPE whole, and JP; the same as cutting both
    both = runner.invoke(
        app, ["scenario", "robots", "--cut", "JP=1", "--cut", "EUROPE=1", "-f", "json"], env=ENV
    )
    oecd = runner.invoke(app, ["scenario", "robots", "--cut", "OECD=1", "-f", "json"], env=ENV)
    assert oecd.exit_code == 0, oecd.stderr
    assert json.loads(oecd.stdout)["final"] == json.loads(both.stdout)["final"]
    # G7 holds DE but not CH or SK: it reaches JP only, and says DE inside EUROPE is not cut
    g7 = runner.invoke(app, ["scenario", "robots", "--cut", "G7=1", "-f", "json"], env=ENV)
    jp = runner.invoke(app, ["scenario", "robots", "--cut", "JP=1", "-f", "json"], env=ENV)
    assert json.loads(g7.stdout)["final"] == json.loads(jp.stdout)["final"]
    assert any(
        "DE, member of G7, lies inside EUROPE" in a for a in json.loads(g7.stdout)["assumptions"]
    )


def test_perspective_region_is_refused_on_a_national_market() -> None:
    with pytest.raises(AnalysisError, match="gives shares of CN's own market"):
        analyze(load_chain("robots"), perspective="EU27")


@pytest.fixture
def no_country_converter(monkeypatch: pytest.MonkeyPatch) -> object:
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "country_converter" else real(name, *args)  # type: ignore[arg-type]

    countries._region_table.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    yield
    monkeypatch.undo()
    countries._region_table.cache_clear()


@pytest.mark.usefixtures("no_country_converter")
def test_without_country_converter_the_message_names_the_extra(tmp_path: Path) -> None:
    with pytest.raises(countries.RegionsUnavailableError, match=r"chokepoint-supply\[regions\]"):
        countries.standard_region("G7")
    assert countries.is_standard_region("G7")  # the names are known without the table
    with pytest.raises(ChainError, match=r"region 'EU27' at nodes\[0\].shares: .*\[regions\]"):
        load_chain(write_chain(tmp_path, "by-region", BY_REGION, stages="[up, down]", extra=""))
    # a chain's own region needs no table
    chain = load_chain(
        write_chain(tmp_path, "own", BY_COUNTRY, stages="[up, down]", extra="regions: {EU: [DE]}")
    )
    assert finals(run_scenario(chain, cuts=["EU=1"])) == pytest.approx({"product": 0.3})


def test_regions_never_import_pandas() -> None:
    """The table is read with csv: neither country_converter nor pandas is imported."""
    import subprocess
    import sys

    code = (
        "import sys; from chokepoint.countries import standard_region; standard_region('G7'); "
        "print(sorted(m for m in ('pandas', 'country_converter') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_member_named_at_one_node_and_hidden_at_another(tmp_path: Path) -> None:
    nodes = """\
- {id: parts, name: Parts, stage: up, shares: {DE: 0.3, JP: 0.7}, source: s}
- {id: kit, name: Kit, stage: up, shares: {EUROPE: 0.4, CN: 0.6}, source: s}
- {id: product, name: Product, stage: down, shares: {CN: 1.0}, source: s, inputs: [parts, kit]}
"""
    chain = load_chain(
        write_chain(
            tmp_path, "split", nodes, stages="[up, down]", extra="regions: {EUROPE: [DE, CH]}"
        )
    )
    # at kit, DE is inside EUROPE: refused, naming the cut to make
    with pytest.raises(ScenarioError, match="which kit's shares give as one origin whose split"):
        run_scenario(chain, cuts=["DE:kit=1"])
    # everywhere: DE's 0.3 of parts is cut; kit keeps its supply (EUROPE is not cut), and the
    # result says so; product takes both essential inputs: max(0.3, 0) = 0.3
    result = run_scenario(chain, cuts=["DE=1"])
    assert finals(result) == pytest.approx({"product": 0.3})
    assert "cut DE: DE lies inside EUROPE (DE, CH), given as one origin" in " ".join(
        result.assumptions
    )
    # EUROPE reaches its key at kit and its members' keys (DE at parts): max(0.3, 0.4) = 0.4
    assert finals(run_scenario(chain, cuts=["EUROPE=1"])) == pytest.approx({"product": 0.4})
