"""The JSON and CSV forms: the same chains, the same rules and messages, the right places.

Every valid and shipped chain is written in both forms and read back to the same model; broken
CSV and JSON files are checked for their exact file, line, column and message.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.errors import ChainError, OutputError, Problem
from chokepoint.io.loader import find_chain, iter_chain_files, read_text
from chokepoint.io.tabular import JsonLocator, dump_json, to_tables, write_tables
from chokepoint.io.yamlread import parse_yaml
from chokepoint.model import Chain

from .chains import NET_HEADER as HEADER
from .chains import SHIPPED_FILES as SHIPPED
from .chains import VALID_FILES as VALID
from .chains import write_folder

NODES = "id,name,stage\nore,Ore,up\nchips,Chips,up\nphones,Phones,down\n"
SHARES = (
    "node,origin,share,source\n"
    "ore,CN,0.3,s\n"
    "ore,AU,0.7,s\n"
    "chips,TW,65%,s\n"
    "chips,CN,0.2,s\n"
    "phones,CN,0.9,s\n"
)
EDGES = "input,node,cost_share,essential\nore,chips,0.1,\nchips,phones,0.4,true\n"


def _same(a: Chain, b: Chain) -> bool:
    """Equal chains apart from where they were read (path, node lines)."""

    def strip(chain: Chain) -> Chain:
        nodes = tuple(dataclasses.replace(n, line=0) for n in chain.nodes)
        return dataclasses.replace(chain, path=None, nodes=nodes)

    return strip(a) == strip(b)


def _folder(tmp_path: Path, **files: str) -> Path:
    tables = {"nodes.csv": NODES, "shares.csv": SHARES, "edges.csv": EDGES}
    return write_folder(tmp_path / "net", HEADER, tables, **files)


def _problems(path: Path) -> list[tuple[str, int, int, str]]:
    with pytest.raises(ChainError) as info:
        load_chain(path)
    return [(Path(p.file).name, p.line, p.column, p.message) for p in info.value.problems]


# --- the same chains ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID + SHIPPED, ids=lambda p: p.stem)
def test_every_chain_reads_back_from_json_and_csv(path: Path, tmp_path: Path) -> None:
    chain = load_chain(path)
    document = parse_yaml(read_text(path), str(path)).value
    (tmp_path / "c.json").write_text(dump_json(document), encoding="utf-8")
    write_tables(document, tmp_path / "csv")
    write_tables(document, tmp_path / "c.zip")
    for form in ("c.json", "csv", "c.zip"):
        assert _same(load_chain(tmp_path / form), chain), form


def test_small_network_reads(tmp_path: Path) -> None:
    chain = load_chain(_folder(tmp_path))
    assert [n.id for n in chain.nodes] == ["ore", "chips", "phones"]
    assert chain.node("chips").shares == {"TW": 0.65, "CN": 0.2}
    assert chain.node("chips").source == ("s",)
    [edge] = chain.node("phones").inputs
    assert (edge.node, edge.cost_share, edge.essential) == ("chips", 0.4, True)
    assert chain.node("chips").inputs[0].essential  # blank cell: the default, essential
    assert chain.node("phones").line == 4  # the line in nodes.csv


def test_share_rows_with_a_year_become_history(tmp_path: Path) -> None:
    shares = SHARES.replace("node,origin,share,source", "node,origin,share,source,year")
    shares = shares.replace(",s\n", ",s,\n") + "ore,CN,0.1,s,2014\nore,AU,0.9,s,2014\n"
    shares += "phones,JP,0.05,s,2020\n"  # the chain's year: a base share
    chain = load_chain(_folder(tmp_path, shares_csv=shares))
    assert chain.node("ore").history == {2014: {"CN": 0.1, "AU": 0.9}}
    assert chain.node("phones").shares == {"CN": 0.9, "JP": 0.05}


def test_suppliers_table(tmp_path: Path) -> None:
    firms = "node,firm,country,share,year,note,source\nchips,TSMC,TW,0.6,2020,,s\n"
    chain = load_chain(_folder(tmp_path, suppliers_csv=firms))
    [firm] = chain.node("chips").suppliers
    assert (firm.firm, firm.country, firm.share, firm.year) == ("TSMC", "TW", 0.6, 2020)


# --- the same rules, located in the CSV files -------------------------------------------------


def test_csv_problems_name_file_line_and_column(tmp_path: Path) -> None:
    shares = SHARES.replace("chips,TW,65%", "chips,TWN,65%").replace("phones,CN,0.9", "phones,CN,9")
    edges = EDGES + "chip,phones,,\n"
    nodes = NODES.replace("phones,Phones,down", "phones,Phones,downstream")
    assert _problems(_folder(tmp_path, shares_csv=shares, edges_csv=edges, nodes_csv=nodes)) == [
        (
            "nodes.csv",
            4,
            3,
            "unknown stage 'downstream' at nodes[2] (stages: up, down)",
        ),
        (
            "shares.csv",
            4,
            2,
            "unknown country or region 'TWN' at nodes[1].shares; did you mean 'TW'?",
        ),
        (
            "shares.csv",
            6,
            2,
            'share 9 at nodes[2].shares.CN is above 1; did you mean "9%" (or 0.09)?',
        ),
        (
            "edges.csv",
            4,
            1,
            "unknown input node 'chip' at nodes[2].inputs[1]; did you mean 'chips'?",
        ),
    ]


def test_csv_sums_and_duplicates(tmp_path: Path) -> None:
    shares = SHARES + "ore,AU,0.2,s\nchips,JP,0.2,s\n"
    nodes = NODES + "ore,Ore again,up\n"
    edges = EDGES + "phones,chips,0.95,\n"
    assert _problems(_folder(tmp_path, shares_csv=shares, nodes_csv=nodes, edges_csv=edges)) == [
        ("nodes.csv", 5, 1, "duplicate node id 'ore' (first on line 2); node ids must be unique"),
        (
            "shares.csv",
            4,
            1,
            "shares at nodes[1].shares sum to 1.05, above 1 (tolerance 0.005); check for a "
            "double-counted origin or a typo",
        ),
        (
            "shares.csv",
            7,
            2,
            "node 'ore' has a second row for origin 'AU' (first on line 3); give each origin once",
        ),
        (
            "edges.csv",
            2,
            1,
            "cost shares at nodes[1].inputs sum to 1.05, above 1; they are fractions of the "
            "node's cost",
        ),
    ]


def test_csv_repeated_share_rows_name_their_first_line(tmp_path: Path) -> None:
    # lines 2-6 are SHARES; 7, 8 and 9 repeat lines 3, 4 and 6; 10 is new and 11 repeats it
    # (the first lines are indexed at the first repeat, then kept up to date)
    shares = SHARES + (
        "ore,AU,0.2,s\nchips,TW,0.1,s\nphones,CN,0.05,s\nphones,US,0.05,s\nphones,US,0.01,s\n"
    )
    repeat = "node '{}' has a second row for origin '{}' (first on line {}); give each origin once"
    assert _problems(_folder(tmp_path, shares_csv=shares)) == [
        ("shares.csv", 7, 2, repeat.format("ore", "AU", 3)),
        ("shares.csv", 8, 2, repeat.format("chips", "TW", 4)),
        ("shares.csv", 9, 2, repeat.format("phones", "CN", 6)),
        ("shares.csv", 11, 2, repeat.format("phones", "US", 10)),
    ]


def test_csv_table_problems(tmp_path: Path) -> None:
    edges = "input,node,cost,essential\nore,chips,0.1,\n"
    shares = SHARES + "ore,JP\nmetal,JP,0.1,s\nphones,KR,0.01,\n"
    assert _problems(_folder(tmp_path, edges_csv=edges, shares_csv=shares)) == [
        ("shares.csv", 7, 1, "has 2 fields but the header has 4; quote fields that contain commas"),
        ("shares.csv", 8, 1, "unknown node 'metal' in shares.csv (not in nodes.csv)"),
        (
            "shares.csv",
            9,
            4,
            "empty source; every share cites a source id defined under `sources` in the chain "
            "header",
        ),
        (
            "edges.csv",
            1,
            3,
            "unknown column 'cost' in edges.csv (columns: input, node, cost_share, essential)",
        ),
    ]


def test_csv_header_problems_are_in_the_header_file(tmp_path: Path) -> None:
    header = "format: 1\nname: net\ntitle: T\nperspective: CHN\nyear: 2020\nstages: [up, down]\n"
    header += "sources:\n  s: {title: t, publisher: p, year: 2025}\n"
    folder = _folder(tmp_path, chain_json=None)
    (folder / "chain.yaml").write_text(header, encoding="utf-8")
    assert _problems(folder) == [
        ("chain.yaml", 4, 1, "unknown country or region 'CHN' at perspective; did you mean 'CN'?")
    ]


def test_csv_missing_parts(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "edges.csv").unlink()
    [problem] = _problems(folder)
    assert problem[3] == "the CSV form needs edges.csv (see docs/chain-format.md)"
    (folder / "edges.csv").write_text("node\nphones\n", encoding="utf-8")
    assert _problems(folder)[0][1:] == (
        1,
        1,
        "missing column 'input' in edges.csv (its columns: input, node, optionally cost_share, "
        "essential)",
    )
    (folder / "chain.yaml").write_text("format: 1\n", encoding="utf-8")
    [problem] = _problems(folder)
    assert (
        problem[3]
        == "holds chain.yaml and chain.json; the CSV form has one header file: keep one of them"
    )


def test_zip_problems_name_the_member(tmp_path: Path) -> None:
    archive = tmp_path / "net.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("net/chain.json", json.dumps(HEADER))
        z.writestr("net/nodes.csv", NODES)
        z.writestr("net/shares.csv", SHARES.replace("AU", "AUS"))
        z.writestr("net/edges.csv", EDGES)
    with pytest.raises(ChainError) as info:
        load_chain(archive)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.column) == (f"{archive}/net/shares.csv", 3, 2)


def test_folder_without_nodes_csv_is_still_refused(data_dir: Path) -> None:
    with pytest.raises(ChainError, match="is a folder, not a chain file"):
        load_chain(data_dir)


# --- JSON ---------------------------------------------------------------------------------------


def test_json_problems_are_located(tmp_path: Path) -> None:
    document = {**HEADER, "nodes": [{"id": "a", "name": "A", "stage": "up"}]}
    document["nodes"].append(
        {"id": "b", "name": "B", "stage": "up", "shares": {"JPN": 0.5}, "source": "s"}
    )
    path = tmp_path / "net.json"
    path.write_text(dump_json(document), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    line = text.count("\n", 0, text.index('"JPN"')) + 1
    column = text.index('"JPN"') - text.rfind("\n", 0, text.index('"JPN"'))
    assert _problems(path) == [
        (
            "net.json",
            line,
            column,
            "unknown country or region 'JPN' at nodes[1].shares; did you mean 'JP'?",
        )
    ]


def test_json_duplicate_keys_and_syntax(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text('{"format": 1,\n "name": "x",\n "name": "y"}', encoding="utf-8")
    problems = _problems(path)
    assert problems[-1] == (
        "dup.json",
        3,
        2,
        "duplicate key 'name' at (top level) (first given on line 2); JSON readers keep only the "
        "last: remove or rename one",
    )
    path.write_text('{"format": 1,\n "name": "x",,\n}', encoding="utf-8")
    assert _problems(path) == [
        ("dup.json", 2, 14, "JSON syntax error: Expecting property name enclosed in double quotes")
    ]


def test_json_locator_finds_keys_and_items() -> None:
    text = '{"a": [1, {"b": 2}],\n "c": {"d": [3,\n   4]}}'
    locate = JsonLocator(text, "f.json")
    assert locate(("a", 1, "b")) == ("f.json", 1, 12)
    assert locate(("c", "d", 1)) == ("f.json", 3, 4)
    assert locate(("c", "x")) is None


def test_json_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    path.write_text(dump_json({**HEADER, "nodes": []}), encoding="utf-8")
    with pytest.raises(ChainError) as info:
        load_chain(path, max_bytes=10)
    assert "above the limit of 10" in info.value.problems[0].message


# --- finding, writing, the command line ---------------------------------------------------------


def test_names_find_json_zip_and_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = parse_yaml(read_text(find_chain("robots")), "robots").value
    (tmp_path / "robots-json.json").write_text(dump_json(document), encoding="utf-8")
    write_tables(document, tmp_path / "robots-csv")
    write_tables(document, tmp_path / "robots-zip.zip")
    monkeypatch.setenv("CHOKEPOINT_PATH", str(tmp_path))
    for name in ("robots-json", "robots-csv", "robots-zip"):
        assert load_chain(name).name == "robots"
    found = [p.name for p in iter_chain_files()]
    assert {"robots-json.json", "robots-csv", "robots-zip.zip"} <= set(found)


def test_to_tables_rows() -> None:
    document = {
        "nodes": [
            {
                "id": "a",
                "name": "A",
                "stage": "up",
                "shares": {"JP": 0.5},
                "source": "s",
                "history": {2014: {"JP": 0.2}},
                "inputs": ["b", {"node": "c", "cost_share": 0.2, "essential": False}],
            }
        ]
    }
    tables = to_tables(document)
    assert tables["shares.csv"][1:] == [["a", "JP", 0.5, "s", ""], ["a", "JP", 0.2, "s", 2014]]
    assert tables["edges.csv"][1:] == [["b", "a", "", ""], ["c", "a", 0.2, "false"]]


def test_write_tables_refuses_a_folder_with_a_yaml_header(tmp_path: Path) -> None:
    (tmp_path / "chain.yaml").write_text("format: 1\n", encoding="utf-8")
    with pytest.raises(OutputError, match="it holds chain.yaml"):
        write_tables({"nodes": []}, tmp_path)


def test_cli_reads_every_form(runner: CliRunner, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "net: 3 nodes" in result.output
    result = runner.invoke(app, ["analyze", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    nodes = {n["id"]: n for n in json.loads(result.output)["nodes"]}
    # chips: CN 0.2, TW 0.65: dependence 0.8, import HHI (0.65 / 0.8)^2
    assert nodes["chips"]["dependence"] == pytest.approx(0.8)
    assert nodes["chips"]["import_hhi"] == pytest.approx((0.65 / 0.8) ** 2)
    (folder / "shares.csv").write_text(SHARES + "ore,XX,0.1,s\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2
    assert f"error: {folder / 'shares.csv'}:7:2: unknown country or region 'XX'" in result.output


def test_problem_str_for_csv() -> None:
    problem = Problem("net/shares.csv", 42, 2, "nodes[7].shares.JPN", "unknown ...")
    assert str(problem) == "net/shares.csv:42:2: unknown ..."


def test_doctests() -> None:
    import doctest

    import chokepoint.io.tabular

    failures, _ = doctest.testmod(chokepoint.io.tabular, optionflags=doctest.ELLIPSIS)
    assert failures == 0
