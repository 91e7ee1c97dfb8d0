"""Known-answer tests of the ETO import (chokepoint.io.eto).

``tests/data/eto/mini`` is an invented miniature folder in ETO's format (see its README); the
expected chain below was worked out by hand from its rows. The ETO data itself (CC BY-NC) is never
copied here: one test reads ``../shared/data/eto-chip-explorer`` when that folder exists.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import chokepoint
from chokepoint.errors import ChainError, ChokepointError
from chokepoint.io.eto import DATASET_SOURCE, LICENCE, convert, to_yaml

MINI = Path(__file__).parent / "data" / "eto" / "mini"
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "eto-chip-explorer"
FAKE = "fake-analysis-of-invented-data-2025"
MADE_UP = "made-up-report-citing-nobody"


def _nodes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in document["nodes"]}


def _without_note(node: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in node.items() if key != "note"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the mini folder, for the error tests to break."""
    target = tmp_path / "eto"
    shutil.copytree(MINI, target)
    return target


# ------------------------------------------------------------------------------------------
# The whole conversion, by hand


def test_chain_header() -> None:
    document, _ = convert(MINI)
    assert document["format"] == 1
    assert document["perspective"] == "CN"
    assert document["market"] == "global"
    assert document["year"] == 2025  # 8 rows of 2025, 6 of 2019 (the stage row not counted)
    assert document["stages"] == ["design", "fabrication"]
    assert [n["id"] for n in document["nodes"]] == [
        "widget-design",  # design
        "gizmo-tools",  # fabrication: inputs.csv order
        "ultra-gizmo-tools",
        "sprocket-wafers",
        "fabricating-widgets",
    ]


def test_sources() -> None:
    document, _ = convert(MINI)
    sources = document["sources"]
    assert list(sources) == [DATASET_SOURCE, FAKE, MADE_UP]  # dataset, then by first use
    dataset = sources[DATASET_SOURCE]
    assert dataset["licence"] == LICENCE == "CC BY-NC 4.0"
    assert dataset["year"] == 2025
    assert "'mini'" in dataset["note"]
    assert sources[FAKE] == {
        "title": "Fake analysis of invented data (2025). Made up for tests.",
        "publisher": "cited in ETO's Advanced Semiconductor Supply Chain Dataset (provision.csv)",
        "year": 2025,
        "note": "From the source column of provision.csv.",
    }
    made_up = sources[MADE_UP]
    assert made_up["title"] == "Made-up Report (citing nobody)"  # markdown link dropped
    assert made_up["url"] == "https://example.org/report"
    assert made_up["year"] == 2019  # no year in the text: the year of the rows citing it
    assert "[Made-up Report](https://example.org/report)" in made_up["note"]


def test_country_shares_from_country_rows() -> None:
    nodes = _nodes(convert(MINI)[0])
    assert _without_note(nodes["widget-design"]) == {
        "id": "widget-design",
        "name": "Widget design",
        "stage": "design",
        "shares": {"US": 0.8, "CN": 0.2},
        "source": [DATASET_SOURCE],  # its rows have a blank source
    }


def test_sum_above_100_normalised_blank_share_two_years_and_firm_row() -> None:
    nodes = _nodes(convert(MINI)[0])
    assert _without_note(nodes["gizmo-tools"]) == {
        "id": "gizmo-tools",
        "name": "Gizmo tools",
        "stage": "fabrication",  # from 'Fabricating widgets', which it goes into
        # 60.2 + 40.0 = 100.2: scaled by 100 / 100.2
        "shares": {"US": 0.600798, "JP": 0.399202},
        "history": {2019: {"US": 0.7, "CN": 0.3}},
        "source": [DATASET_SOURCE, FAKE, MADE_UP],
        "suppliers": [{"firm": "Dummy Widgets Inc", "country": "US", "share": 0.55, "year": 2025}],
        "inputs": [{"node": "ultra-gizmo-tools", "essential": False}],  # is a type of
    }
    note = nodes["gizmo-tools"]["note"]
    assert "ETO input N2 (tool_resource)" in note
    assert "summed to 100.2%" in note
    assert "blank share in ETO (share unknown, not counted): CN" in note
    assert "Global market size (ETO): $2 billion (2025)" in note


def test_type_of_row_and_firm_headquarters() -> None:
    nodes = _nodes(convert(MINI)[0])
    assert _without_note(nodes["ultra-gizmo-tools"]) == {
        "id": "ultra-gizmo-tools",
        "name": "Ultra gizmo tools",
        "stage": "fabrication",  # via gizmo-tools (no stage) to fabricating-widgets
        "shares": {"NL": 1.0},
        "source": [DATASET_SOURCE, FAKE],
        "suppliers": [{"firm": "Fakeco Lithography", "country": "NL", "share": 1.0, "year": 2025}],
    }
    assert "A type of 'Gizmo tools' (gizmo-tools)" in nodes["ultra-gizmo-tools"]["note"]


def test_pseudo_countries_and_node_year() -> None:
    nodes = _nodes(convert(MINI)[0])
    assert _without_note(nodes["sprocket-wafers"]) == {
        "id": "sprocket-wafers",
        "name": "Sprocket wafers",
        "stage": "fabrication",
        "year": 2019,  # only 2019 figures; the chain's year is 2025
        "shares": {"US": 0.5, "other": 0.3},  # Various countries 20 + EUR 10
        "source": [DATASET_SOURCE, MADE_UP],
        # Sample Holdings (headquarters 'Various countries') is no supplier
    }
    note = nodes["sprocket-wafers"]["note"]
    assert "EUR (Europe) 10%, Various countries 20%" in note
    assert "Sample Holdings (headquarters 'Various countries', 15%)" in note


def test_goes_into_rows_are_inputs_without_cost_shares() -> None:
    nodes = _nodes(convert(MINI)[0])
    assert _without_note(nodes["fabricating-widgets"]) == {
        "id": "fabricating-widgets",
        "name": "Fabricating widgets",
        "stage": "fabrication",
        "source": [DATASET_SOURCE],
        "inputs": ["gizmo-tools", "sprocket-wafers", "widget-design"],  # sequence.csv order
    }
    assert "no provision rows" in nodes["fabricating-widgets"]["note"]


def test_warnings() -> None:
    _, warnings = convert(MINI)
    assert warnings == [
        "provision.csv: years mix (2019: 6 rows, 2025: 8 rows); chain year 2025, nodes with "
        "figures of another year only say so in `year`, other years of a node go to `history`",
        "providers.csv:11: firm 'Sample Holdings' has headquarters 'Various countries', not one "
        "country; its 1 provision row are not listed as suppliers (notes name them)",
        "provision.csv: 1 row give shares of whole stages (S2 Fabrication), not of inputs; chain "
        "stages carry no shares, so they were left out",
        "provision.csv: 1 country row and 0 firm rows have a blank share (ETO: major provider, "
        "share unknown); countries are named in the node's note, firms are listed as suppliers "
        "without a share",
        "provision.csv: 'Gizmo tools' (2025): country shares sum to 100.2% (rounding); scaled to "
        "100%",
        "provision.csv: 'Gizmo tools' (2025): CN named as major provider(s) without a share while "
        "the other shares sum to 100.2%; they count as 0 (their dependence is overstated)",
    ]


# ------------------------------------------------------------------------------------------
# Options


def test_year_option_picks_the_shares_and_moves_the_rest_to_history() -> None:
    document, warnings = convert(MINI, year=2019)
    nodes = _nodes(document)
    assert document["year"] == 2019
    assert nodes["gizmo-tools"]["shares"] == {"US": 0.7, "CN": 0.3}
    assert nodes["gizmo-tools"]["history"] == {2025: {"US": 0.600798, "JP": 0.399202}}
    assert nodes["gizmo-tools"]["source"] == [DATASET_SOURCE, MADE_UP, FAKE]
    assert "year" not in nodes["gizmo-tools"]
    assert "year" not in nodes["sprocket-wafers"]
    assert nodes["widget-design"]["year"] == 2025
    assert nodes["ultra-gizmo-tools"]["year"] == 2025
    assert "chain year 2019" in warnings[0]


def test_year_option_refuses_a_year_without_rows() -> None:
    with pytest.raises(ChainError) as info:
        convert(MINI, year=2000)
    (problem,) = info.value.problems
    assert problem.file.endswith("provision.csv")
    assert "no provision row is of 2000; years in the data: 2019 (6 rows), 2025 (8 rows)" in str(
        problem
    )


@pytest.mark.parametrize(("given", "expected"), [("US", "US"), ("jp", "JP")])
def test_perspective_option(given: str, expected: str) -> None:
    assert convert(MINI, perspective=given)[0]["perspective"] == expected


def test_unknown_perspective() -> None:
    with pytest.raises(ChokepointError, match="unknown perspective 'CHN'; did you mean 'CN'"):
        convert(MINI, perspective="CHN")


# ------------------------------------------------------------------------------------------
# The written file: loads, analyses, is deterministic


def test_to_yaml_loads_and_is_deterministic(tmp_path: Path) -> None:
    text = to_yaml(convert(MINI)[0])
    assert text == to_yaml(convert(MINI)[0])
    assert text.startswith("# Converted by `chokepoint import eto`")
    assert "CC BY-NC 4.0 (non-commercial use only, attribution required)" in text
    assert "  shares: {US: 0.600798, JP: 0.399202}\n" in text
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    chain = chokepoint.load_chain(path)
    assert chain.is_global
    assert chain.node("gizmo-tools").history[2019] == {"US": 0.7, "CN": 0.3}
    assert chain.node("gizmo-tools").inputs[0].essential is False
    assert chain.node("fabricating-widgets").inputs[0].cost_share is None


@pytest.mark.parametrize(
    ("perspective", "flagged"),
    [
        # widget-design: D = 0.8, import HHI = 1; gizmo-tools: D = 1 (CN's share is blank),
        # HHI = 0.600798^2 + 0.399202^2 = 0.52; ultra: D = 1, HHI = 1;
        # sprocket-wafers: D = 1 but only US 0.5 named, HHI = 0.25
        ("CN", {"widget-design", "gizmo-tools", "ultra-gizmo-tools"}),
        # widget-design D = 0.2, gizmo-tools D = 0.399, sprocket-wafers HHI = 0 (other only)
        ("US", {"ultra-gizmo-tools"}),
    ],
)
def test_analysis_of_the_converted_chain(
    tmp_path: Path, perspective: str, flagged: set[str]
) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(to_yaml(convert(MINI)[0]), encoding="utf-8")
    result = chokepoint.analyze(chokepoint.load_chain(path), perspective=perspective)
    assert {n.id for n in result.chokepoints()} == flagged


def test_to_yaml_without_dataset_source() -> None:
    assert to_yaml({"format": 1, "name": "x"}) == (
        "# Converted by `chokepoint import eto`; do not edit by hand, convert again instead.\n"
        "format: 1\nname: x\n"
    )


# ------------------------------------------------------------------------------------------
# Errors name the CSV file, line and column


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="does not exist"):
        convert(tmp_path / "nowhere")


def test_missing_file(folder: Path) -> None:
    (folder / "sequence.csv").unlink()
    with pytest.raises(ChainError) as info:
        convert(folder)
    (problem,) = info.value.problems
    assert problem.file == str(folder / "sequence.csv")
    assert problem.line == 0
    assert "missing file" in problem.message


def test_missing_column(folder: Path) -> None:
    path = folder / "provision.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("share_provided", "share_pct", 1), encoding="utf-8")
    with pytest.raises(ChainError) as info:
        convert(folder)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), 1, "share_provided")
    assert "missing column 'share_provided'; did you mean 'share_pct'?" in problem.message


def _replace_line(path: Path, number: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def test_bad_numbers_and_ids_are_all_reported(folder: Path) -> None:
    path = folder / "provision.csv"
    _replace_line(path, 4, "60.2", "sixty")  # USA -> Gizmo tools
    _replace_line(path, 5, ",40.0,", ",140.0,")  # JPN -> Gizmo tools
    _replace_line(path, 9, "2019", "19")  # CHN -> Gizmo tools, 2019
    _replace_line(path, 10, "P1,", "P99,")  # unknown provider
    with pytest.raises(ChainError) as info:
        convert(folder)
    found = [(p.file, p.line, p.column, p.path) for p in info.value.problems]
    assert found == [
        (str(path), 4, 5, "share_provided"),
        (str(path), 5, 5, "share_provided"),
        (str(path), 9, 6, "year"),
        (str(path), 10, 2, "provider_id"),
    ]
    messages = [p.message for p in info.value.problems]
    assert "share_provided 'sixty' is not a number" in messages[0]
    assert "share_provided 140.0 is outside [0, 100]" in messages[1]
    assert "year '19' is not a year" in messages[2]
    assert "unknown provider 'P99'" in messages[3]


def test_line_numbers_count_quoted_newlines(folder: Path) -> None:
    path = folder / "inputs.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace('"Tools that make gizmos, invented', '"Tools that make gizmos,\ninvented')
    text = text.replace(
        "N4,Sprocket wafers,material_resource,,,", "N4,Sprocket wafers,material_resource,,S9,"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChainError) as info:
        convert(folder)
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.path) == (6, 5, "stage_id")  # line 5 + 1
    assert "unknown stage 'S9'" in problem.message


def test_unknown_sequence_reference(folder: Path) -> None:
    _replace_line(folder / "sequence.csv", 3, ",N2", ",N42")
    with pytest.raises(ChainError) as info:
        convert(folder)
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (3, "is_type_of_id")
    assert "unknown input 'N42'" in problem.message


def test_conflicting_provider_ids(folder: Path) -> None:
    path = folder / "providers.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "Other Firm,,P7,organization,JPN\n", encoding="utf-8"
    )
    with pytest.raises(ChainError, match="id 'P7' is used twice, for different providers"):
        convert(folder)


def test_not_utf8(folder: Path) -> None:
    path = folder / "providers.csv"
    path.write_bytes(path.read_bytes() + b"Caf\xe9 Tools,,P10,organization,FRA\n")
    with pytest.raises(ChainError) as info:
        convert(folder)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.line == 12
    assert "not UTF-8 text (byte 0xe9)" in problem.message


# ------------------------------------------------------------------------------------------
# The real dataset, when the shared copy is there (never copied into the repository)


@pytest.mark.skipif(not REAL.is_dir(), reason="ETO dataset not at ../shared/data/eto-chip-explorer")
def test_real_dataset_flags_euv_lithography_for_china(tmp_path: Path) -> None:
    document, warnings = convert(REAL)
    path = tmp_path / "eto.yaml"
    path.write_text(to_yaml(document), encoding="utf-8")
    chain = chokepoint.load_chain(path)
    assert len(chain.nodes) == len(document["nodes"]) > 100
    assert chain.is_global
    euv = chain.node("euv-lithography-tools")
    assert euv.shares == {"NL": 1.0}
    assert {s.firm for s in euv.suppliers} == {"ASML"}
    result = chokepoint.analyze(chain, perspective="CN")
    metrics = result.node("euv-lithography-tools")
    assert metrics.chokepoint
    assert metrics.top_supplier == "NL"
    assert metrics.dependence == pytest.approx(1.0)
    assert metrics.import_hhi == pytest.approx(1.0)
    assert "euv-lithography-tools" in {n.id for n in result.chokepoints()}
    assert any("scaled to 100%" in w for w in warnings)


def test_same_name_gets_the_eto_id_appended(folder: Path) -> None:
    path = folder / "inputs.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "N6,Gizmo tools,tool_resource,,S2,Another.,2025,,,\n",
        encoding="utf-8",
    )
    nodes = _nodes(convert(folder)[0])
    assert nodes["gizmo-tools-n6"]["name"] == "Gizmo tools"
    assert "shares" not in nodes["gizmo-tools-n6"]


def test_goes_into_between_two_tools_is_read_as_a_type(folder: Path) -> None:
    # ETO's dry and wet etching tools "go into" etch and clean tools: a category whose shares
    # already count its kinds. Read as "is a type of" (non-essential), with a warning.
    _append(
        folder / "inputs.csv", "N6,Mega gizmo tools,tool_resource,,,A kind of gizmo tool.,2025,,,"
    )
    line = _append(folder / "sequence.csv", "Mega gizmo tools,N6,Gizmo tools,N2,,")
    document, warnings = convert(folder)
    nodes = _nodes(document)
    assert {"node": "mega-gizmo-tools", "essential": False} in nodes["gizmo-tools"]["inputs"]
    assert "mega-gizmo-tools" not in nodes["gizmo-tools"]["inputs"]
    assert "read as 'is a type of', not as an essential input" in nodes["mega-gizmo-tools"]["note"]
    assert any(w.startswith(f"sequence.csv:{line}: 'Mega gizmo tools' goes into") for w in warnings)
    # a tool going into a process stays an essential input
    assert "gizmo-tools" in nodes["fabricating-widgets"]["inputs"]


def test_repeated_provision_row_is_skipped_with_a_warning(folder: Path) -> None:
    path = folder / "provision.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "USA,P1,Widget design,N1,75.0,2025,\n", encoding="utf-8"
    )
    document, warnings = convert(folder)
    assert _nodes(document)["widget-design"]["shares"] == {"US": 0.8, "CN": 0.2}
    assert "provision.csv:17: 'USA' -> 'Widget design' (2025) repeats line 14; skipped" in warnings


# ------------------------------------------------------------------------------------------
# Faults of a whole file or of the stage and input tables, each with its file, line and key


def _append(path: Path, row: str) -> int:
    """Append ``row`` to a CSV file; return its line number."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text + row + "\n", encoding="utf-8")
    return len(text.splitlines()) + 1


def _problems(folder: Path) -> list[tuple[str, int, str, str]]:
    with pytest.raises(ChainError) as info:
        convert(folder)
    return [(Path(p.file).name, p.line, p.path, p.message) for p in info.value.problems]


def test_a_folder_in_place_of_a_file(folder: Path) -> None:
    (folder / "sequence.csv").unlink()
    (folder / "sequence.csv").mkdir()
    assert _problems(folder) == [("sequence.csv", 0, "", "is a folder, not a CSV file")]


def test_an_empty_file(folder: Path) -> None:
    (folder / "sequence.csv").write_bytes(b"")
    assert _problems(folder) == [
        ("sequence.csv", 1, "", "empty file; expected a header line naming the columns")
    ]


def test_a_row_with_too_many_fields(folder: Path) -> None:
    line = _append(folder / "stages.csv", "S3,Testing,one,two,,,")
    assert _problems(folder) == [
        (
            "stages.csv",
            line,
            "",
            "has 7 fields but the header has 6; quote fields that contain commas",
        )
    ]


@pytest.mark.parametrize(
    ("file", "row", "path", "message"),
    [
        ("stages.csv", "S1,Design again,,,,", "stage_id", "stage id 'S1' is listed twice"),
        ("stages.csv", "S3,,,,,", "stage_name", "is empty"),
        ("stages.csv", ",Nameless,,,,", "stage_id", "is empty"),
        (
            "inputs.csv",
            "N1,Widget design again,process,,,,2025,,,",
            "input_id",
            "id 'N1' is used twice",
        ),  # fmt: skip
        (
            "inputs.csv",
            "S2,Fabrication as an input,process,,,,2025,,,",
            "input_id",
            "id 'S2' is used twice",
        ),  # fmt: skip
        ("inputs.csv", "N9,,process,,,,2025,,,", "input_name", "is empty"),
    ],
)
def test_stage_and_input_rows(folder: Path, file: str, row: str, path: str, message: str) -> None:
    line = _append(folder / file, row)
    assert _problems(folder) == [(file, line, path, message)]


def test_no_stages(folder: Path) -> None:
    path = folder / "stages.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert ("stages.csv", 1, "", "no stages; a chain needs at least one") in _problems(folder)
