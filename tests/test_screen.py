"""Known-answer tests of `chokepoint screen` (EU SWD(2021) 352 criteria) on hand-made BACI files.

EU27 imports and exports in 2018 (thousands of USD in the file, US dollars in the results):

======  ==============================  ==========  =====================  ============
HS      extra-EU imports (origin: v)    HHI         extra-EU exports       M / X
======  ==============================  ==========  =====================  ============
854231  IT from 490 (Taiwan) 100        1           none                   inf
850511  IT from CN 90, JP 10            0.82        none                   inf
030192  FR from CN 30, Namibia 10       0.625       FR to US 5             8
847950  DE from JP 50, US 50            0.5         DE to CN 200           0.5
848340  FR from CN, JP, US, KR 10 each  0.25        none                   inf
======  ==============================  ==========  =====================  ============

HHI: 850511 0.9² + 0.1² = 0.82; 030192 0.75² + 0.25² = 0.625; 847950 2 x 0.5² = 0.5;
848340 4 x 0.25² = 0.25. Intra-EU trade (DE -> FR 7 of 030192) is left out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import chokepoint
from chokepoint.cli import app
from chokepoint.core.screen import import_hhi, screen
from chokepoint.errors import ArgumentError, ChainError

from .trade_files import write_baci, write_comtrade

EU_ROWS = """\
t,i,j,k,v,q
2018,490,380,854231,100,
2018,156,380,850511,90,1
2018,392,380,850511,10,NA
2018,156,251,030192,30,
2018,516,251,030192,10,
2018,251,842,030192,5,
2018,276,251,030192,7,
2018,392,276,847950,50,
2018,842,276,847950,50,
2018,276,156,847950,200,
2018,156,251,848340,10,
2018,392,251,848340,10,
2018,842,251,848340,10,
2018,410,251,848340,10,
"""
PRODUCTION = """\
hs,production
030192,60000
850511,10000
848340,1000000
"""


@pytest.fixture
def eu_baci(tmp_path: Path) -> Path:
    write_baci(tmp_path / "baci", EU_ROWS)
    return tmp_path / "baci"


def test_import_hhi_formula() -> None:
    import numpy as np

    # 0.6² + 0.2² + 0.2² = 0.44; a single origin 1; no imports: no shares (nan)
    values = import_hhi(np.array([[60.0, 20.0, 20.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]))
    assert values[:2].round(10).tolist() == [0.44, 1.0]
    assert np.isnan(values[2])


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_screen_eu27(eu_baci: Path, engine: str) -> None:
    result = screen(eu_baci, "EU27", 2018, engine=engine)
    rows = [
        (p.hs, p.import_hhi, p.import_export_ratio, p.flagged, p.imports, p.exports)
        for p in result.products
    ]
    assert rows == [
        ("854231", 1.0, None, True, 100_000.0, 0.0),
        ("850511", pytest.approx(0.82), None, True, 100_000.0, 0.0),
        ("030192", 0.625, 8.0, True, 40_000.0, 5_000.0),
        ("847950", 0.5, 0.5, False, 100_000.0, 200_000.0),
        ("848340", 0.25, None, False, 40_000.0, 0.0),
    ]
    top = result.products[0]
    assert (top.top_origin, top.top_share) == ("TW", 1.0)
    assert top.description == "Electronic integrated circuits; processors and controllers"
    assert [p.hs for p in result.flagged] == ["854231", "850511", "030192"]
    assert result.importer == "EU27"
    assert len(result.members) == 27
    assert any("read as TW" in n for n in result.notes)


def test_screen_with_production(eu_baci: Path, tmp_path: Path) -> None:
    made = tmp_path / "production.csv"
    made.write_text(PRODUCTION, encoding="utf-8")
    result = screen(eu_baci, "EU27", 2018, production=made)
    got = {p.hs: (p.import_demand_ratio, p.flagged) for p in result.products}
    # 030192: demand 60,000 + 40,000 - 5,000 = 95,000; 40,000 / 95,000 = 0.421 <= 0.5: not flagged
    # 850511: 100,000 / (10,000 + 100,000) = 0.909 > 0.5: flagged
    # 854231: concentrated, no exports, no production figure: verdict unknown (None)
    # 848340: 40,000 / 1,040,000 = 0.038, and not concentrated anyway
    # 847950: no production figure, but substitutable (M/X 0.5): not flagged
    assert got == {
        "850511": (pytest.approx(100 / 110), True),
        "854231": (None, None),
        "030192": (pytest.approx(40 / 95), False),
        "847950": (None, False),
        "848340": (pytest.approx(40 / 1040), False),
    }
    assert [p.hs for p in result.products] == ["850511", "854231", "030192", "847950", "848340"]
    assert result.to_dict()["thresholds"]["import_demand_ratio"] == 0.5


def test_screen_of_one_country(tmp_path: Path) -> None:
    write_baci(tmp_path / "baci")
    result = screen(tmp_path / "baci", "CN", 2018)
    got = {p.hs: (p.import_hhi, p.import_export_ratio, p.flagged) for p in result.products}
    # 847950: JP 60, DE 20, TW 20 -> 0.36 + 0.04 + 0.04 = 0.44 > 0.4; 100 / 5 = 20 > 1: flagged
    # 030192: NA 10, #899 30, US 0.5 of 40.5 -> 0.0610 + 0.5487 + 0.0002 = 0.6098; no exports
    assert got["847950"] == (pytest.approx(0.44), 20.0, True)
    assert got["030192"][0] == pytest.approx(
        (10 / 40.5) ** 2 + (30 / 40.5) ** 2 + (0.5 / 40.5) ** 2
    )
    assert got["030192"][1:] == (None, True)


def test_screen_from_comtrade(tmp_path: Path) -> None:
    path = write_comtrade(tmp_path / "ct.csv")
    result = screen(path, "CN", 2018)
    got = {p.hs: (p.import_hhi, p.import_export_ratio, p.flagged) for p in result.products}
    # 847950: JP 600, DE 200, TW 200 -> 0.44; 1,000 / 50 = 20
    assert got == {"847950": (pytest.approx(0.44), 20.0, True), "030192": (1.0, None, True)}


def test_screen_json_and_csv(eu_baci: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["screen", str(eu_baci), "--importer", "EU27", "--year", "2018", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document)[:3] == ["importer", "year", "products"]
    assert (document["importer"], document["year"]) == ("EU27", 2018)
    first = document["products"][0]
    assert list(first)[:4] == ["hs", "import_hhi", "import_export_ratio", "flagged"]
    assert first == {**first, "hs": "854231", "import_hhi": 1.0, "import_export_ratio": None,
                     "flagged": True}  # fmt: skip
    csv_out = runner.invoke(
        app, ["screen", str(eu_baci), "--importer", "EU27", "--year", "2018", "-f", "csv"]
    )
    assert csv_out.exit_code == 0, csv_out.output
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("rank,hs,import_hhi,import_export_ratio,import_demand_ratio,flagged")
    assert lines[3].startswith("3,030192,0.625,8.0,,true,40000.0,5000.0,,CN,0.75,")


def test_screen_table(eu_baci: Path, tmp_path: Path, runner: CliRunner) -> None:
    made = tmp_path / "production.csv"
    made.write_text(PRODUCTION, encoding="utf-8")
    result = runner.invoke(
        app,
        ["screen", str(eu_baci), "--importer", "eu27", "--year", "2018", "--production", str(made)],
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "1 of 5 products flagged" in text
    assert "imports/demand > 0.5" in text
    assert "inf (no exports)" in text
    assert "TW 100%" in text
    assert "flagged n/a: concentrated and not substitutable, but imports/demand is unknown" in text
    assert "trade between members is left out" in text
    assert "read as TW" in text


def test_screen_table_lists_at_most_ten_unflagged(tmp_path: Path, runner: CliRunner) -> None:
    rows = "t,i,j,k,v,q\n" + "".join(
        f"2018,392,156,{847900 + n:06d},1,\n2018,842,156,{847900 + n:06d},1,\n2018,156,392,{847900 + n:06d},9,\n"
        for n in range(12)
    )
    write_baci(tmp_path / "baci", rows, products=False)
    result = runner.invoke(
        app, ["screen", str(tmp_path / "baci"), "--importer", "CN", "--year", "2018"]
    )
    assert result.exit_code == 0, result.output
    assert "0 of 12 products flagged" in result.stdout
    assert "2 further products not flagged are left out of the table" in result.stdout


def test_screen_refusals(eu_baci: Path, tmp_path: Path, runner: CliRunner) -> None:
    with pytest.raises(ArgumentError, match="importer 'Europe'"):
        screen(eu_baci, "Europe", 2018)
    bad = tmp_path / "production.csv"
    bad.write_text("hs,production\n030192,1\n030192,2\n", encoding="utf-8")
    with pytest.raises(ChainError, match=r"production.csv:3:1: hs 030192 given twice"):
        screen(eu_baci, "EU27", 2018, production=bad)
    bad.write_text("hs,production\n030192,many\n", encoding="utf-8")
    with pytest.raises(ChainError, match=r"production.csv:2:8: production 'many'"):
        screen(eu_baci, "EU27", 2018, production=bad)
    bad.write_text("hs,production\n030192\n", encoding="utf-8")
    with pytest.raises(ChainError, match=r"production.csv:2:1: has 1 fields"):
        screen(eu_baci, "EU27", 2018, production=bad)
    bad.write_text("", encoding="utf-8")
    with pytest.raises(ChainError, match="empty file; expected the header hs,production"):
        screen(eu_baci, "EU27", 2018, production=bad)
    result = runner.invoke(app, ["screen", str(eu_baci), "--importer", "XX", "--year", "2018"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: importer 'XX' is neither an ISO 3166-1 alpha-2 country code nor a standard region"
    )


def test_public_api() -> None:
    assert chokepoint.screen is screen
    assert "screen" in chokepoint.__all__
    assert "import_trade" in chokepoint.__all__
