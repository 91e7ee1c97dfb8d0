"""The fast reader of the CSV form: the same Chain as the checked reader, or it declines.

(a) On valid inputs (every valid and shipped chain written in the CSV form, generated networks,
quoted, padded and blank-line tables, history rows) the fast reader builds a Chain equal to the
checked reader's, node lines included, with pyarrow, with the standard library, and with
pyarrow hidden. (b) Every kind of bad input (one per rule) makes it decline, and ``load_chain``
then raises exactly the checked reader's error. (c) Inputs with a feature the fast reader leaves
to the checked one (suppliers, percentages, regions, basis) still load, equal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from chokepoint import load_chain
from chokepoint.errors import ChainError
from chokepoint.io import fastcsv
from chokepoint.io.fastcsv import Declined, read_fast
from chokepoint.io.generate import build_network, write_network
from chokepoint.io.loader import read_text
from chokepoint.io.tabular import load_large, write_tables
from chokepoint.io.yamlread import parse_yaml

from .chains import NET_HEADER, write_folder
from .chains import SHIPPED_FILES as SHIPPED
from .chains import VALID_FILES as VALID

HEADER = {
    **NET_HEADER,
    "sources": {
        **NET_HEADER["sources"],
        "t": {"title": "More figures", "publisher": "tests", "year": 2025},
    },
}
NODES = "id,name,stage,substitutability,estimate,source\n"
NODES += "ore,Ore,up,0.2,true,\nchips,Chips,up,,,t\nphones,Phones,down,1,false,t;s\n"
SHARES = "node,origin,share,source\nore,CN,0.3,s\nore,AU,0.7,s\nchips,TW,0.65,s\n"
SHARES += "chips,CN,0.2,s\nphones,CN,0.9,s\n"
EDGES = "input,node,cost_share,essential\nore,chips,0.1,\nchips,phones,0.4,true\n"
EDGES += "ore,phones,,no\n"


def _folder(tmp_path: Path, **files: str | None) -> Path:
    tables = {"nodes.csv": NODES, "shares.csv": SHARES, "edges.csv": EDGES}
    return write_folder(tmp_path / "net", HEADER, tables, **files)


def _decline_reason(path: Path) -> str:
    with pytest.raises(Declined) as info:
        read_fast(path)
    return str(info.value)


# --- (a) the same chain ----------------------------------------------------------------------


def test_small_network_by_hand(tmp_path: Path, reader: str) -> None:
    chain = read_fast(_folder(tmp_path))
    assert chain == load_large(tmp_path / "net")
    ore, chips, phones = chain.nodes
    assert (ore.substitutability, ore.estimate, ore.source) == (0.2, True, ("s",))
    assert chips.source == ("t", "s")  # its own cell first, then its share rows'
    assert phones.source == ("t", "s")
    assert phones.substitutability == 1.0
    assert type(phones.substitutability) is float  # as the checks give it, not the int 1
    assert ore.shares == {"CN": 0.3, "AU": 0.7}
    assert [(i.node, i.cost_share, i.essential) for i in phones.inputs] == [
        ("chips", 0.4, True),
        ("ore", None, False),
    ]
    assert [n.line for n in chain.nodes] == [2, 3, 4]


@pytest.mark.parametrize("path", VALID + SHIPPED, ids=lambda p: p.stem)
def test_every_chain_in_the_csv_form(path: Path, tmp_path: Path) -> None:
    document = parse_yaml(read_text(path), str(path)).value
    write_tables(document, tmp_path / "csv")
    write_tables(document, tmp_path / "c.zip")
    for form in ("csv", "c.zip"):
        expected = load_large(tmp_path / form)
        assert load_chain(tmp_path / form) == expected
        try:
            chain = read_fast(tmp_path / form)
        except Declined:
            continue  # a feature left to the checked reader (the module's docstring)
        assert chain == expected


@pytest.mark.parametrize("cycles", [0.0, 0.05])
def test_generated_networks(tmp_path: Path, reader: str, cycles: float) -> None:
    document = build_network(600, seed=3, cycles=cycles)
    write_network(document, tmp_path / "net")
    write_network(document, tmp_path / "net.zip")
    for form in ("net", "net.zip"):
        chain = read_fast(tmp_path / form)
        assert chain == load_large(tmp_path / form)
        assert sum(len(n.inputs) for n in chain.nodes) > 600


def test_arrow_for_the_large_tables_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_network(build_network(600, seed=4), tmp_path / "net")
    sizes = {p.name: len(p.read_text()) for p in (tmp_path / "net").glob("*.csv")}
    assert sizes["nodes.csv"] < sizes["edges.csv"]
    # edges.csv (and shares.csv when as large) through pyarrow, nodes.csv through str.split
    monkeypatch.setattr(fastcsv, "ARROW_CHARS", sizes["edges.csv"])
    assert read_fast(tmp_path / "net") == load_large(tmp_path / "net")


def test_rows_in_any_order(tmp_path: Path, reader: str) -> None:
    shares = SHARES.splitlines(keepends=True)
    edges = EDGES.splitlines(keepends=True)
    folder = _folder(
        tmp_path,
        shares_csv=shares[0] + "".join(reversed(shares[1:])),
        edges_csv=edges[0] + "".join(reversed(edges[1:])),
    )
    chain = read_fast(folder)
    assert chain == load_large(folder)
    assert list(chain.node("ore").shares) == ["AU", "CN"]  # row order kept
    assert [i.node for i in chain.node("phones").inputs] == ["ore", "chips"]


def test_quoted_padded_and_blank_lines(tmp_path: Path, reader: str) -> None:
    nodes = NODES.replace("Chips,", '"Chips, ""fine""\nand more",')  # a quoted line break
    shares = SHARES.replace("ore,CN,0.3,s", " ore , CN ,0.3 , s ") + "\n"
    edges = EDGES.replace("\n", "\r\n")
    folder = _folder(tmp_path, nodes_csv=nodes, shares_csv=shares, edges_csv=edges)
    chain = read_fast(folder)
    assert chain == load_large(folder)
    assert chain.node("chips").name == 'Chips, "fine"\nand more'
    assert [n.line for n in chain.nodes] == [2, 3, 5]
    padded = _folder(tmp_path, nodes_csv=NODES.replace("\nore,", "\n ore ,"), shares_csv="")
    (padded / "shares.csv").write_text("node,origin,share,source\n\nore,CN,0.3,s\n")
    assert read_fast(padded) == load_large(padded)
    assert read_fast(padded).node("ore").shares == {"CN": 0.3}


def test_history_rows(tmp_path: Path, reader: str) -> None:
    shares = SHARES.replace("node,origin,share,source", "node,origin,share,source,year")
    shares = shares.replace(",s\n", ",s,\n") + "ore,CN,0.1,s,2014\nore,AU,0.9,s,2014\n"
    shares += "phones,JP,0.05,s,2020\nchips,KR,0.5,s,2016\n"
    folder = _folder(tmp_path, shares_csv=shares)
    chain = read_fast(folder)
    assert chain == load_large(folder)
    assert chain.node("ore").history == {2014: {"CN": 0.1, "AU": 0.9}}
    assert chain.node("phones").shares == {"CN": 0.9, "JP": 0.05}  # the chain's year: base


def test_without_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastcsv, "ARROW_CHARS", 0)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.csv", None)
    write_network(build_network(300, seed=5), tmp_path / "net")
    assert read_fast(tmp_path / "net") == load_large(tmp_path / "net")


def test_stock_months_and_notes(tmp_path: Path, reader: str) -> None:
    nodes = (
        "id,name,stage,substitutability,estimate,source,stock_months,note,year\n"
        "ore,Ore,up,0.2,true,,,,2019\n"
        "chips,Chips,up,,,t,2.5,a note,\n"
        "phones,Phones,down,1,false,t;s,0,,\n"
    )
    folder = _folder(tmp_path, nodes_csv=nodes)
    chain = read_fast(folder)
    assert chain == load_large(folder)
    assert (chain.node("chips").stock_months, chain.node("chips").note) == (2.5, "a note")
    assert chain.node("ore").year == 2019


# --- (b) every bad input declines, and the checked reader's error stands ------------------------

BAD = {
    "id not a slug": {"nodes_csv": NODES.replace("\nore,", "\nOre,")},
    "id repeated": {"nodes_csv": NODES + "ore,Ore again,up,,,\n"},
    "empty name": {"nodes_csv": NODES.replace("Chips", "")},
    "unknown stage": {"nodes_csv": NODES.replace("Phones,down", "Phones,downstream")},
    "bad year": {
        "nodes_csv": NODES.replace("source\n", "source,year\n").replace(",t\n", ",t,1800\n")
    },
    "substitutability above 1": {"nodes_csv": NODES.replace("0.2,true", "20,true")},
    "estimate not a flag": {"nodes_csv": NODES.replace("true,", "maybe,")},
    "unknown node source": {"nodes_csv": NODES.replace(",t\n", ",x\n")},
    "unknown share node": {"shares_csv": SHARES + "metal,JP,0.1,s\n"},
    "unknown origin": {"shares_csv": SHARES.replace("TW", "TWN")},
    "share above 1": {"shares_csv": SHARES.replace("0.9", "9")},
    "share not a number": {"shares_csv": SHARES.replace("0.9", "lots")},
    "share nan": {"shares_csv": SHARES.replace("0.9", "nan")},
    "share negative": {"shares_csv": SHARES.replace("0.9", "-0.1")},
    "shares sum above 1": {"shares_csv": SHARES + "ore,JP,0.2,s\n"},
    "origin twice": {"shares_csv": SHARES + "ore,CN,0.0,s\n"},
    "empty share source": {"shares_csv": SHARES.replace("phones,CN,0.9,s", "phones,CN,0.9,")},
    "unknown share source": {"shares_csv": SHARES.replace("phones,CN,0.9,s", "phones,CN,0.9,x")},
    "history year out of range": {
        "shares_csv": SHARES.replace("source\n", "source,year\n").replace(",s\n", ",s,\n")
        + "ore,CN,0.1,s,1066\n"
    },
    "unknown edge user": {"edges_csv": EDGES + "ore,tablets,,\n"},
    "unknown input": {"edges_csv": EDGES + "chip,phones,,\n"},
    "input twice": {"edges_csv": EDGES + "ore,chips,0.1,\n"},
    "cost share above 1": {"edges_csv": EDGES.replace("0.4", "1.4")},
    "cost shares sum above 1": {"edges_csv": EDGES.replace(",,no", ",0.65,no")},
    "essential not a flag": {"edges_csv": EDGES.replace("true", "sure")},
    "too few fields": {"edges_csv": EDGES + "ore,phones\n"},
    "too many fields": {"edges_csv": EDGES + "ore,phones,0.1,true,x\n"},
    "unknown column": {"edges_csv": EDGES.replace("cost_share", "cost")},
    "missing column": {"edges_csv": EDGES.replace("input,", "inp,")},
    "header problem": {"chain_json": json.dumps({**HEADER, "perspective": "CHN"})},
    "unused source": {
        "chain_json": json.dumps(
            {**HEADER, "sources": {**HEADER["sources"], "u": HEADER["sources"]["s"]}}  # type: ignore[dict-item]
        )
    },
    "nodes in the header": {"chain_json": json.dumps({**HEADER, "nodes": []})},
    "no nodes": {"nodes_csv": "id,name,stage\n"},
    "stock without a source": {
        "nodes_csv": NODES.replace("source\n", "source,stock_months\n")
        .replace("true,\n", "true,,3\n")
        .replace(",t\n", ",t,\n")
        .replace("t;s\n", "t;s,\n"),
        "shares_csv": "node,origin,share,source\nchips,CN,0.2,s\n",
    },
    "quoted row of the wrong width": {"nodes_csv": NODES + '"x",y\n'},
    "a file over the size limit": {"edges_csv": EDGES + "#" * 50},
}


@pytest.mark.parametrize("files", BAD.values(), ids=list(BAD))
def test_bad_input_declines_and_keeps_its_located_error(
    files: dict[str, str], tmp_path: Path, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, **files)
    if "#" * 50 in files.get("edges_csv", ""):
        monkeypatch.setenv("CHOKEPOINT_MAX_BYTES", str(len(EDGES) + 10))
    assert _decline_reason(folder)
    with pytest.raises(ChainError) as checked:
        load_large(folder)
    with pytest.raises(ChainError) as loaded:
        load_chain(folder)
    assert str(loaded.value) == str(checked.value)
    assert all(p.line >= 1 for p in loaded.value.problems)


# --- (c) features left to the checked reader ---------------------------------------------------

LEFT = {
    "suppliers": {
        "suppliers_csv": "node,firm,country,share,year,note,source\nchips,TSMC,TW,0.6,2020,,s\n"
    },
    "a percentage": {"shares_csv": SHARES.replace("0.65", "65%")},
    "a region origin": {
        "chain_json": json.dumps({**HEADER, "regions": {"EUROPE": ["DE", "FR"]}}),
        "shares_csv": SHARES.replace("AU", "EUROPE"),
    },
    "a basis column": {
        "shares_csv": SHARES.replace("source\n", "source,basis\n").replace(",s\n", ",s,\n")
        + "ore,JP,0.5,s,ownership\n"
    },
    "two source texts for a node": {"shares_csv": SHARES.replace("ore,AU,0.7,s", "ore,AU,0.7,t")},
    "a source cell without ids": {"nodes_csv": NODES.replace(",t\n", ",;\n")},
    "a sum at the tolerance": {"shares_csv": SHARES.replace("0.7,s", "0.705,s")},
}


@pytest.mark.parametrize("files", LEFT.values(), ids=list(LEFT))
def test_features_left_to_the_checked_reader(
    files: dict[str, str], tmp_path: Path, reader: str
) -> None:
    folder = _folder(tmp_path, **files)
    assert _decline_reason(folder)
    assert load_chain(folder) == load_large(folder)


def test_doctests() -> None:
    import doctest

    assert doctest.testmod(fastcsv).failed == 0


# --- mutations: the fast reader declines or agrees with the checked reader ----------------------

TRICKY = [
    "", " ore ", "0", "1", "1.0", "1e0", "+0.5", "-0", "-0.0", "0.5_0", "nan", "inf", "1e-320",
    "65%", "2020", "2014", "1899", "02020", "true", "TRUE", "yes", "No", "maybe", "CN", "cn",
    "other", "EU", "XX", ";", "s;s", "s;t", "t", "x", "ore", "chips", "phones", "new-node", "Ore",
    "Société", "\u00a0ore", "0.35", "0.95",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_random_mutations_decline_or_agree(tmp_path: Path, reader: str, seed: int) -> None:
    import random

    rng = random.Random(seed)
    base = {"nodes.csv": NODES, "shares.csv": SHARES, "edges.csv": EDGES}
    base["shares.csv"] = SHARES.replace("source\n", "source,year\n").replace(",s\n", ",s,\n")
    agreed = declined = 0
    for trial in range(40):
        tables = {
            name: [line.split(",") for line in text.splitlines()] for name, text in base.items()
        }
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(list(tables))
            rows = tables[name]
            k = rng.randrange(1, len(rows))
            action = rng.random()
            if action < 0.7:
                rows[k][rng.randrange(len(rows[k]))] = rng.choice(TRICKY)
            elif action < 0.8:
                rows.append(list(rows[k]))  # a repeated row
            elif action < 0.9 and len(rows) > 2:
                del rows[k]
            else:
                rows.insert(k, [""])  # a blank line
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        (folder / "chain.json").write_text(json.dumps(HEADER), encoding="utf-8")
        for name, rows in tables.items():
            text = "".join(",".join(row) + "\n" for row in rows)
            (folder / name).write_text(text, encoding="utf-8")
        try:
            chain = read_fast(folder)
        except Declined:
            declined += 1
            continue
        assert chain == load_large(folder), (trial, tables)
        agreed += 1
    assert agreed
    assert declined
