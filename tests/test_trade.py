"""Known-answer tests of the trade readers (BACI, Comtrade) and of `chokepoint import trade`.

Every file is written by the tests (tests/trade_files.py); the values are worked out in the
comments next to each assertion.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import chokepoint
from chokepoint.cli import app
from chokepoint.errors import ArgumentError, ChainError, ChokepointError
from chokepoint.io import trade
from chokepoint.io.trade import find_flows, import_trade, read_totals, resolve_importer

from .chains import chain_text
from .trade_files import COUNTRIES_OLD, write_baci, write_comtrade

ENGINES = ["python", "arrow"]


def totals_by_origin(totals: trade.TradeTotals) -> dict[str, dict[str, float]]:
    """``{hs: {origin: USD}}`` of the non-zero imports."""
    return {
        totals.hs_text(p): {
            o: float(totals.imports[p, n])
            for n, o in enumerate(totals.origins)
            if totals.imports[p, n] > 0
        }
        for p in range(len(totals.hs))
    }


# ------------------------------------------------------------------------------------------
# BACI


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("countries", ["new", "old"])
def test_baci_imports_of_china_with_every_quirk(
    tmp_path: Path, engine: str, countries: str
) -> None:
    codes = COUNTRIES_OLD if countries == "old" else None
    write_baci(tmp_path, **({"countries": codes} if codes else {}))
    totals = read_totals(find_flows(tmp_path, 2018), "CN", engine=engine)
    assert totals.engine == engine
    # values in thousands of USD, times 1,000; 490 is Taiwan, 516 ("NA") Namibia, 899 (ISO N/A)
    # names no country; 030192 keeps its leading zero; missing and "NA" quantities are not read
    assert totals_by_origin(totals) == {
        "030192": {"NA": 10_000.0, "#899 Areas, nes": 30_000.0, "US": 500.0},
        "847950": {"JP": 60_000.0, "DE": 20_000.0, "TW": 20_000.0},
    }
    # China's exports: 847950 to Japan 5; JP -> DE is neither China's import nor export
    assert dict(
        zip([totals.hs_text(p) for p in range(2)], totals.exports.tolist(), strict=True)
    ) == {
        "030192": 0.0,
        "847950": 5_000.0,
    }
    assert totals.rows == 8
    assert any("490 'Other Asia, nes' is read as TW" in note for note in totals.notes)
    assert totals.names[30192].startswith("Fish; live, eels")


def test_baci_year_file_and_hs_filter(tmp_path: Path) -> None:
    year_file = write_baci(tmp_path)
    flows = find_flows(year_file, 2018)
    assert flows.kind == trade.BACI
    assert (flows.release, flows.revision) == ("V202401b", "HS17")
    totals = read_totals(flows, "cn", hs=["847950"], engine="python")
    assert totals_by_origin(totals) == {"847950": {"JP": 60_000.0, "DE": 20_000.0, "TW": 20_000.0}}


def test_baci_without_arrow_uses_the_standard_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_baci(tmp_path)
    monkeypatch.setattr(trade, "_has_arrow", lambda: False)
    totals = read_totals(find_flows(tmp_path, 2018), "CN")
    assert totals.engine == "python"
    assert totals_by_origin(totals)["847950"]["TW"] == 20_000.0


def test_baci_code_missing_from_the_code_file_is_an_unnamed_origin(tmp_path: Path) -> None:
    write_baci(tmp_path, "t,i,j,k,v,q\n2018,4,156,847950,1,\n")
    totals = read_totals(find_flows(tmp_path, 2018), "CN", engine="python")
    assert totals.origins == ("#4 (not in the country code file)",)
    assert any("codes missing from country_codes_V202401b.csv: 4" in n for n in totals.notes)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("row", "where", "message"),
    [
        ("2018,392,156,847950,x,1", ":3:21:", "v 'x'"),
        ("2018,392,156,84795A,1,1", ":3:14:", "k '84795A' is not an HS-6 product code"),
        ("2018,392,156,8479501,1,1", ":3:14:", "k '8479501' is not an HS-6"),
        ("2018,3920,156,847950,1,1", ":3:6:", "i '3920'"),
        ("2018,392,156,847950,-1,1", ":3:21:", "v '-1'"),
        ("2017,392,156,847950,1,1", ":3:1:", "t = 2017 in a BACI file of year 2018"),
        ("2018,392,156,847950,1,1,7", ":3:1:", "has 7 fields but a BACI row has 6"),
    ],
)
def test_baci_bad_row_is_located(
    tmp_path: Path, engine: str, row: str, where: str, message: str
) -> None:
    write_baci(tmp_path, f"t,i,j,k,v,q\n2018,392,156,847950,1,1\n{row}\n")
    with pytest.raises(ChainError) as caught:
        read_totals(find_flows(tmp_path, 2018), "CN", engine=engine)
    text = str(caught.value)
    assert f"BACI_HS17_Y2018_V202401b.csv{where}" in text
    assert message in text


def test_baci_files_are_found_or_refused(tmp_path: Path) -> None:
    write_baci(tmp_path)
    with pytest.raises(
        ChainError, match="no BACI file of year 2019 in this folder \\(years found: 2018\\)"
    ):
        find_flows(tmp_path, 2019)
    with pytest.raises(ChainError, match="is a BACI file of year 2018, not of --year 2017"):
        find_flows(tmp_path / "BACI_HS17_Y2018_V202401b.csv", 2017)
    with pytest.raises(ChainError, match="no such file or folder"):
        find_flows(tmp_path / "missing.csv", 2018)
    (tmp_path / "country_codes_V202401b.csv").unlink()
    with pytest.raises(ChainError, match="no BACI country code file beside it"):
        find_flows(tmp_path, 2018)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ChainError, match="not a BACI or UN Comtrade file"):
        find_flows(other, 2018)


def test_baci_country_code_file_problems(tmp_path: Path) -> None:
    write_baci(tmp_path, countries="country_code,name\n156,China\n")
    with pytest.raises(ChainError, match="missing column 'country_name_abbreviation'"):
        read_totals(find_flows(tmp_path, 2018), "CN")
    write_baci(
        tmp_path, countries="country_code,country_name,country_iso2,country_iso3\nx,China,CN,CHN\n"
    )
    with pytest.raises(ChainError, match=r"country_codes_V202401b.csv:2:1: country_code 'x'"):
        read_totals(find_flows(tmp_path, 2018), "CN")


def test_baci_rows_above_the_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_baci(tmp_path)
    monkeypatch.setenv("CHOKEPOINT_MAX_TRADE_ROWS", "3")
    with pytest.raises(ChainError, match="too many rows.*CHOKEPOINT_MAX_TRADE_ROWS"):
        read_totals(find_flows(tmp_path, 2018), "CN", engine="python")


def test_baci_bytes_above_the_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_baci(tmp_path)
    monkeypatch.setenv("CHOKEPOINT_MAX_BYTES", "100")
    with pytest.raises(ChainError, match="file is too large.*CHOKEPOINT_MAX_BYTES"):
        read_totals(find_flows(tmp_path, 2018), "CN", engine="python")


def test_importer_and_engine_are_checked(tmp_path: Path) -> None:
    # country_converter's EU27 is the EU's official list of its 27 members since 2020-02-01
    # (https://european-union.europa.eu/principles-countries-history/eu-countries_en)
    assert resolve_importer("eu27") == (
        "EU27",
        ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
         "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    )  # fmt: skip
    assert resolve_importer("G7")[1] == ("CA", "DE", "FR", "GB", "IT", "JP", "US")
    with pytest.raises(ArgumentError, match="importer 'CHN' .*did you mean 'CN'"):
        resolve_importer("CHN")
    write_baci(tmp_path)
    with pytest.raises(ArgumentError, match="engine='fast'"):
        read_totals(find_flows(tmp_path, 2018), "CN", engine="fast")


# ------------------------------------------------------------------------------------------
# UN Comtrade


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_comtrade_imports_of_china(tmp_path: Path, delimiter: str) -> None:
    path = write_comtrade(tmp_path / "comtrade.csv", delimiter=delimiter)
    flows = find_flows(path, 2018)
    assert flows.kind == trade.COMTRADE
    totals = read_totals(flows, "CN")
    # World, the C01 breakdown, the 2-digit total, 2017 and France's rows are left out;
    # S19 (490) is Taiwan; "30192" at aggrLevel 6 is 030192; NAM is Namibia (NA)
    assert totals_by_origin(totals) == {
        "030192": {"NA": 100.0},
        "847950": {"DE": 200.0, "JP": 600.0, "TW": 200.0},
    }
    assert totals.exports.tolist() == [0.0, 50.0]
    assert any("read as TW" in n for n in totals.notes)


def test_comtrade_codes_without_iso_columns(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    rows = [
        "refYear,reporterCode,flowCode,partnerCode,cmdCode,primaryValue",
        "2018,156,M,842,848340,10",  # 842: USA
        "2018,156,M,251,848340,20",  # 251: France
        "2018,156,M,699,848340,30",  # 699: India
        "2018,156,M,757,848340,40",  # 757: Switzerland
        "2018,156,M,392,848340,50",  # ISO numeric: Japan
        "2018,156,M,899,848340,60",  # Areas, nes: no country
        "2018,156,M,392,84834,70",  # five digits: leading zero lost, skipped with a note
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    totals = read_totals(find_flows(path, 2018), "CN")
    assert totals_by_origin(totals) == {
        "848340": {"US": 10.0, "FR": 20.0, "IN": 30.0, "CH": 40.0, "JP": 50.0, "#899": 60.0}
    }
    assert any("1 rows with 5-digit commodity codes skipped" in n for n in totals.notes)


def test_comtrade_problems_are_located(tmp_path: Path) -> None:
    path = write_comtrade(
        tmp_path / "bad.csv",
        ["C,A,2018,2018,156,CHN,China,M,392,JPN,Japan,0,H5,847950,6,C00,0,,lots"],
    )
    with pytest.raises(ChainError, match=r"bad.csv:2:\d+: primaryValue 'lots'"):
        read_totals(find_flows(path, 2018), "CN")
    path = write_comtrade(tmp_path / "mixed.csv", [
        "C,A,2018,2018,156,CHN,China,M,392,JPN,Japan,0,H5,847950,6,C00,0,,1",
        "C,M,2018,201801,156,CHN,China,M,392,JPN,Japan,0,H5,847950,6,C00,0,,1",
    ])  # fmt: skip
    with pytest.raises(ChainError, match="mixes annual \\(A\\) and monthly \\(M\\) rows"):
        read_totals(find_flows(path, 2018), "CN")
    short = tmp_path / "short.csv"
    short.write_text("refYear,cmdCode,primaryValue,flowCode\n", encoding="utf-8")
    with pytest.raises(ChainError, match="missing column 'reporterISO', 'partnerISO'"):
        read_totals(find_flows(short, 2018), "CN")


# ------------------------------------------------------------------------------------------
# The node key `hs`


def test_hs_codes_are_read_as_texts(tmp_path: Path) -> None:
    path = tmp_path / "hs.yaml"
    path.write_text(
        chain_text("hs", """\
            - {id: a, name: A, stage: up, hs: ["030192", "847950"], source: s}
            - {id: b, name: B, stage: mid, inputs: [a]}
            """),
        encoding="utf-8",
    )  # fmt: skip
    chain = chokepoint.load_chain(path)
    assert chain.node("a").hs == ("030192", "847950")
    assert chain.node("b").hs == ()


def test_bad_hs_codes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "hs.yaml"
    text = chain_text("hs", """\
        - {id: a, name: A, stage: up, hs: [30192], source: s}
        - {id: b, name: B, stage: up, hs: ["8483"]}
        - {id: c, name: C, stage: up, hs: ["848340", "848340"]}
        - {id: d, name: D, stage: up, hs: "848340"}
        - {id: e, name: E, stage: up, hs: [1234567]}
        """)  # fmt: skip
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChainError) as caught:
        chokepoint.load_chain(path)
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(n for n, line in enumerate(lines, 1) if fragment in line)

    messages = [(p.line, p.message) for p in caught.value.problems]
    assert messages == [
        (line_of("id: a,"), 'HS code 30192 at nodes[0].hs[0] is a number; write it in quotes as '
         'six digits, e.g. "030192" (a number loses leading zeros)'),
        (line_of("id: b,"), "HS code '8483' at nodes[1].hs[0] is not an HS-6 code (six digits in "
         'quotes, e.g. "848340")'),
        (line_of("id: c,"), "HS code '848340' at nodes[2].hs[1] is given twice"),
        (line_of("id: d,"), "nodes[3].hs must be a non-empty list of HS-6 codes in quotes, e.g. "
         'hs: ["848340"], not a text (\'848340\')'),
        (line_of("id: e,"), "HS code 1234567 at nodes[4].hs[0] is not six digits"),
    ]  # fmt: skip


def test_schema_describes_hs() -> None:
    node = chokepoint.schema()["$defs"]["node"]["properties"]["hs"]
    assert node["items"]["pattern"] == "^[0-9]{6}$"


def test_robots_chain_carries_cited_hs_codes() -> None:
    robots = chokepoint.load_chain("robots")
    assert robots.node("robot-bodies").hs == ("847950",)
    assert robots.node("reducers").hs == ("848340",)
    assert robots.node("semiconductors").hs == ("854231", "854232", "854233", "854239")
    for node in robots.nodes:
        if node.hs:
            assert "wco-hs2017" in node.source, node.id


# ------------------------------------------------------------------------------------------
# import trade

TRADE_CHAIN = """\
- {id: bodies, name: Robot bodies, stage: up, hs: ["847950"], shares: {CN: 0.2, other: 0.8}, source: s, note: Brand shares.}
- {id: eels, name: Eels, stage: up, hs: ["030192"], shares: {CN: 0.5}, source: s}
- {id: magnets, name: Magnets, stage: up, hs: ["850511"], source: s}
- {id: later, name: Later, stage: up, hs: ["847950"], shares: {CN: 0.1}, history: {2018: {CN: 0.4}}, year: 2020, source: s}
- {id: none, name: No imports, stage: up, hs: ["848340"], shares: {CN: 0.5}, source: s}
- {id: domestic, name: Domestic, stage: up, hs: ["847950"], shares: {CN: 1.0}, source: s}
- {id: plain, name: Plain, stage: mid, shares: {CN: 0.3, JP: 0.7}, source: s, inputs: [bodies, eels, magnets, later, none, domestic]}
"""


@pytest.fixture
def trade_chain(tmp_path: Path) -> Path:
    path = tmp_path / "tc.yaml"
    path.write_text(chain_text("tc", TRADE_CHAIN), encoding="utf-8")
    return path


@pytest.mark.parametrize("engine", ENGINES)
def test_import_trade_splits_foreign_supply(tmp_path: Path, trade_chain: Path, engine: str) -> None:
    write_baci(tmp_path / "baci")
    done = import_trade(tmp_path / "baci", trade_chain, year=2018, min_share=0.05, engine=engine)
    chain = chokepoint.load_chain(_written(tmp_path, done.text))
    # bodies: foreign 0.8 split by 847950 imports JP 60, DE 20, TW 20 (of 100):
    # JP 0.8 x 0.6 = 0.48, DE 0.8 x 0.2 = 0.16, TW 0.16
    assert dict(chain.node("bodies").shares or {}) == {
        "CN": 0.2,
        "JP": 0.48,
        "DE": 0.16,
        "TW": 0.16,
    }
    # eels: foreign 0.5 split by 030192 imports NA 10, #899 30, US 0.5 (of 40.5); NA 10/40.5 =
    # 0.2469 -> 0.5 x 0.2469 = 0.1235; #899 (no country) and US (1.2% < 5%) are other:
    # 0.5 x 30.5/40.5 = 0.3765
    assert dict(chain.node("eels").shares or {}) == {"CN": 0.5, "NA": 0.1235, "other": 0.3765}
    # later: the 2018 history entry is split (CN 0.4 kept), its 2020 shares stay
    assert dict(chain.node("later").history[2018]) == {
        "CN": 0.4,
        "JP": 0.36,
        "DE": 0.12,
        "TW": 0.12,
    }
    assert dict(chain.node("later").shares or {}) == {"CN": 0.1}
    for unchanged in ("magnets", "none", "domestic", "plain"):
        assert chain.node(unchanged).estimate is False, unchanged
    bodies = chain.node("bodies")
    assert bodies.estimate is True
    assert bodies.source == ("s", "baci-hs17-v202401b-2018")
    assert (bodies.note or "").startswith("Brand shares. Foreign split (chokepoint import trade)")
    assert "location basis" in (bodies.note or "")
    assert chain.sources["baci-hs17-v202401b-2018"].publisher == "CEPII"
    assert chain.sources["baci-hs17-v202401b-2018"].year == 2024
    assert "490 'Other Asia, nes' is read as TW (Taiwan)" in (
        chain.sources["baci-hs17-v202401b-2018"].note or ""
    )
    assert done.changed == ("bodies", "eels", "later")
    assert [w.split(":")[0] for w in done.warnings] == [
        "node 'magnets' (line 13)",
        "node 'none' (line 15)",
        "node 'domestic' (line 16)",
    ]
    assert "no domestic (CN) share for 2018" in done.warnings[0]
    assert "no imports of HS 848340" in done.warnings[1]
    assert "wholly domestic" in done.warnings[2]
    assert any("read as TW" in n for n in done.notes)


def _written(tmp_path: Path, text: str) -> Path:
    out = tmp_path / "out.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def test_import_trade_from_comtrade(tmp_path: Path, trade_chain: Path) -> None:
    path = write_comtrade(tmp_path / "ct.csv")
    done = import_trade(path, trade_chain, year=2018)
    chain = chokepoint.load_chain(_written(tmp_path, done.text))
    # 847950 imports JP 600, DE 200, TW 200: as from BACI
    assert dict(chain.node("bodies").shares or {}) == {
        "CN": 0.2,
        "JP": 0.48,
        "DE": 0.16,
        "TW": 0.16,
    }
    # 030192: only Namibia (100): all the foreign 0.5
    assert dict(chain.node("eels").shares or {}) == {"CN": 0.5, "NA": 0.5}
    assert chain.sources["comtrade-2018"].publisher == "United Nations Statistics Division"


def test_import_trade_refusals(tmp_path: Path, trade_chain: Path) -> None:
    write_baci(tmp_path / "baci")
    with pytest.raises(ArgumentError, match="importer JP is not the chain's perspective \\(CN\\)"):
        import_trade(tmp_path / "baci", trade_chain, year=2018, importer="JP")
    with pytest.raises(ArgumentError, match="min_share=1"):
        import_trade(tmp_path / "baci", trade_chain, year=2018, min_share=1.0)
    with pytest.raises(ChokepointError, match="no node of chain 'mini' has `hs` codes"):
        import_trade(
            tmp_path / "baci", Path(__file__).parent / "data" / "valid" / "mini.yaml", year=2018
        )
    glob = tmp_path / "g.yaml"
    glob.write_text(
        chain_text("g", "- {id: a, name: A, stage: up, shares: {JP: 1}, source: s}\n",
                   extra="market: global"),
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(ArgumentError, match="world market shares"):
        import_trade(tmp_path / "baci", glob, year=2018)


def test_import_trade_of_robots(tmp_path: Path) -> None:
    write_baci(tmp_path / "baci")
    done = import_trade(tmp_path / "baci", "robots", year=2018, importer="CN")
    chain = chokepoint.load_chain(_written(tmp_path, done.text))
    # robot bodies 2018: CN 0.20 (domestic brands, the chain's figure); foreign 0.80 split by
    # 847950 imports JP 60, DE 20, TW 20: JP 0.48, DE 0.16, TW 0.16
    assert dict(chain.node("robot-bodies").shares or {}) == {
        "CN": 0.2, "JP": 0.48, "DE": 0.16, "TW": 0.16,
    }  # fmt: skip
    assert done.changed == ("robot-bodies",)
    assert chain.node("reducers").shares == chokepoint.load_chain("robots").node("reducers").shares


def test_cli_import_trade(tmp_path: Path, trade_chain: Path, runner: CliRunner) -> None:
    write_baci(tmp_path / "baci")
    out = tmp_path / "tc-trade.yaml"
    result = runner.invoke(
        app,
        ["import", "trade", str(tmp_path / "baci"), "--year", "2018", "--chain", str(trade_chain),
         "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout
    assert "3 nodes split by import origin: bodies, eels, later" in result.stdout
    assert "note: node 'magnets'" in result.stderr
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert document["nodes"][0]["shares"] == {"CN": 0.2, "JP": 0.48, "DE": 0.16, "TW": 0.16}
    quiet = runner.invoke(
        app,
        ["import", "trade", str(tmp_path / "baci"), "--year", "2018", "--chain", str(trade_chain),
         "-q"],
    )  # fmt: skip
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    assert quiet.stdout.startswith("# Written by `chokepoint import trade` from tc.yaml")
    bad = runner.invoke(
        app, ["import", "trade", str(tmp_path / "nowhere"), "--year", "2018", "--chain", "robots"]
    )
    assert bad.exit_code == 2
    assert "nowhere: no such file or folder" in bad.stderr
    assert "Traceback" not in bad.output


def test_import_trade_refuses_other_chain_forms(tmp_path: Path) -> None:
    write_baci(tmp_path / "baci")
    json_chain = tmp_path / "c.json"
    json_chain.write_text(
        textwrap.dedent("""\
            {"format": 1, "name": "c", "title": "C", "perspective": "CN", "year": 2018,
             "stages": ["up"], "sources": {"s": {"title": "t", "publisher": "p", "year": 2020}},
             "nodes": [{"id": "a", "name": "A", "stage": "up", "hs": ["847950"],
                        "shares": {"CN": 0.5}, "source": "s"}]}
            """),
        encoding="utf-8",
    )
    with pytest.raises(ChokepointError, match="import trade copies YAML chains"):
        import_trade(tmp_path / "baci", json_chain, year=2018)
