"""The arrays the fast CSV reader keeps on a chain (:attr:`Chain.arrays`), and compile_chain on them.

(a) On a small network worked out by hand (rows out of order, an unknown cost share, a node
without shares, a cycle) the kept arrays are the ones written here. (b) ``compile_chain`` of a
chain with its arrays equals, array for array and tuple for tuple, ``compile_chain`` of the same
chain without them (``dataclasses.replace`` drops them), on every valid and shipped chain in the
CSV form, for every perspective and year they allow, on generated networks with and without
cycles (pyarrow and the standard library), and with history rows. (c) The arrays are a cache:
``replace``, ``on_basis`` and pickle drop them, equality ignores them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chokepoint.core.compiled import Compiled, compile_chain
from chokepoint.errors import AnalysisError
from chokepoint.io import fastcsv
from chokepoint.io.fastcsv import Declined, read_fast
from chokepoint.io.generate import build_network, write_network
from chokepoint.io.loader import read_text
from chokepoint.io.tabular import load_large, write_tables
from chokepoint.io.yamlread import parse_yaml
from chokepoint.model import Chain, ChainArrays

from .chains import NET_HEADER as HEADER
from .chains import SHIPPED_FILES as SHIPPED
from .chains import VALID_FILES as VALID

#: ore(0) chips(1) phones(2) tools(3) retail(4); tools and retail have no shares
NODES = "id,name,stage,substitutability,source\n"
NODES += "ore,Ore,up,0.2,\nchips,Chips,up,,\nphones,Phones,down,1,\ntools,Tools,up,,s\n"
NODES += "retail,Retail,down,0.5,s\n"
SHARES = "node,origin,share,source\nore,CN,0.3,s\nore,AU,0.7,s\nchips,TW,0.65,s\n"
SHARES += "chips,CN,0.2,s\nphones,CN,0.9,s\n"
#: rows out of node order; chips and phones use each other (a cycle); ore-phones has no cost share
EDGES = "input,node,cost_share,essential\nchips,phones,0.4,true\nore,chips,0.1,\n"
EDGES += "ore,phones,,no\nphones,chips,0.2,false\ntools,ore,0.05,\nphones,retail,0.5,\n"


def _folder(tmp_path: Path, shares: str = SHARES) -> Path:
    folder = tmp_path / "net"
    folder.mkdir(exist_ok=True)
    texts = {"chain.json": json.dumps(HEADER), "nodes.csv": NODES, "shares.csv": shares}
    texts["edges.csv"] = EDGES
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


def _same(a: Compiled, b: Compiled) -> None:
    """Every field of ``a`` equals that of ``b``: arrays in dtype and every element."""
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if field.name == "splits":
            x, y = list(x), list(y)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, field.name
            np.testing.assert_array_equal(x, y, err_msg=field.name, strict=True)
        elif field.name == "by_generation":
            assert len(x) == len(y)
            for p, q in zip(x, y, strict=True):
                assert p.dtype == q.dtype
                np.testing.assert_array_equal(p, q, strict=True)
        else:
            assert x == y, field.name
            assert type(x) is type(y), field.name


def _both_ways(chain: Chain, perspective: str | None = None, year: int | None = None) -> Compiled:
    """compile_chain with the kept arrays and without them, checked equal; the former."""
    assert chain.arrays is not None
    bare = dataclasses.replace(chain)
    assert bare.arrays is None
    assert bare == chain
    fast = compile_chain(chain, perspective, year)
    _same(fast, compile_chain(bare, perspective, year))
    return fast


# --- (a) by hand -------------------------------------------------------------------------------


def test_small_network_by_hand(tmp_path: Path, reader: str) -> None:
    chain = read_fast(_folder(tmp_path))
    assert chain == load_large(tmp_path / "net")
    kept = chain.arrays
    assert kept is not None
    # inputs grouped by user in row order: ore [tools]; chips [ore, phones]; phones [chips, ore];
    # retail [phones]
    assert kept.in_ptr.tolist() == [0, 1, 3, 5, 5, 6]
    assert kept.in_src.tolist() == [3, 0, 2, 1, 0, 2]
    cost = kept.in_cost.tolist()
    assert cost[:4] + cost[5:] == [0.05, 0.1, 0.2, 0.4, 0.5]
    assert math.isnan(cost[4])  # ore -> phones: unknown
    assert kept.in_essential.tolist() == [True, True, False, True, False, True]
    assert kept.substitutability.tolist() == [0.2, 0.0, 1.0, 0.0, 0.5]
    # shares: origins in order of first use (CN 0, AU 1, TW 2)
    assert kept.share_known.tolist() == [True, True, True, False, False]
    assert kept.share_ptr.tolist() == [0, 2, 4, 5, 5, 5]
    assert [kept.origins[k] for k in kept.share_origin.tolist()] == ["CN", "AU", "TW", "CN", "CN"]
    assert kept.share_value.tolist() == [0.3, 0.7, 0.65, 0.2, 0.9]

    c = _both_ways(chain)
    assert c.in_known.tolist() == [True, True, True, True, False, True]
    assert c.in_cost.tolist() == [0.05, 0.1, 0.2, 0.4, 0.0, 0.5]  # unknown: 0; no sum above 1
    # CN's view: foreign pairs AU at ore, TW at chips; tools and retail domestic, unknown
    assert (c.pair_origin, c.pair_row.tolist(), c.pair_ptr.tolist()) == (
        ("AU", "TW"),
        [0, 1],
        [0, 1, 2, 2, 2, 2],
    )
    assert c.domestic.tolist() == [0.3, 0.2, 0.9, 1.0, 1.0]
    assert c.unattributed.tolist() == [0.0, 1 - (0.65 + 0.2), 1 - 0.9, 0.0, 0.0]
    # tools (generation 0) -> ore (1) -> {chips, phones} (a cycle, 2) -> retail (3)
    assert [g.tolist() for g in c.by_generation] == [[3], [0], [], [4]]
    assert (c.cyclic, c.cyclic_generation, c.finals.tolist()) == (((1, 2),), (2,), [4])
    assert c.out_ptr.tolist() == [0, 2, 3, 5, 6, 6]  # links by input: ore 2, chips 1, phones 2
    assert c.out_links.tolist() == [1, 4, 3, 2, 5, 0]


def test_a_global_chain_from_another_perspective(tmp_path: Path, reader: str) -> None:
    HEADER["market"] = "global"
    try:
        chain = read_fast(_folder(tmp_path))
    finally:
        del HEADER["market"]
    c = _both_ways(chain, "AU")
    # AU's view: CN is foreign at ore, chips and phones; AU is domestic at ore
    assert c.pair_origin == ("CN", "TW", "CN", "CN")
    assert c.domestic.tolist() == [0.7, 0.0, 0.0, 1.0, 1.0]


def test_history_rows_keep_no_share_arrays(tmp_path: Path, reader: str) -> None:
    shares = SHARES.replace("node,origin,share,source", "node,origin,share,source,year")
    shares = shares.replace(",s\n", ",s,\n") + "ore,CN,0.1,s,2014\nore,AU,0.9,s,2014\n"
    chain = read_fast(_folder(tmp_path, shares))
    assert chain.arrays is not None
    assert chain.arrays.share_known is None  # a node's shares depend on the year
    assert chain.arrays.in_ptr.tolist() == [0, 1, 3, 5, 5, 6]
    assert _both_ways(chain).domestic.tolist() == [0.3, 0.2, 0.9, 1.0, 1.0]
    assert _both_ways(chain, year=2014).domestic.tolist() == [0.1, 0.2, 0.9, 1.0, 1.0]


def test_no_edges_and_no_shares(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "node,origin,share,source\n")
    (folder / "edges.csv").write_text("input,node,cost_share,essential\n", encoding="utf-8")
    (folder / "nodes.csv").write_text(NODES.replace(",\n", ",s\n"), encoding="utf-8")
    chain = read_fast(folder)
    assert chain.arrays is not None
    assert chain.arrays.in_ptr.tolist() == [0] * 6
    assert chain.arrays.share_ptr.tolist() == [0] * 6
    c = _both_ways(chain)
    assert (c.in_src.size, c.known.any(), c.finals.tolist()) == (0, False, [0, 1, 2, 3, 4])


# --- (b) the same compiled form on every chain -----------------------------------------------


@pytest.mark.parametrize("path", VALID + SHIPPED, ids=lambda p: p.stem)
def test_every_chain_in_the_csv_form(path: Path, tmp_path: Path) -> None:
    document = parse_yaml(read_text(path), str(path)).value
    write_tables(document, tmp_path / "csv")
    try:
        chain = read_fast(tmp_path / "csv")
    except Declined:
        chain = load_large(tmp_path / "csv")
        assert chain.arrays is None  # the checked reader keeps none
        return
    years = sorted({chain.year, *(y for n in chain.nodes for y in n.history)})
    perspectives = [None, "US", "EU"] if chain.is_global else [None]
    compiled = 0
    for who in perspectives:
        for year in years:
            try:
                _both_ways(chain, who, year)
            except AnalysisError:
                continue
            compiled += 1
    assert compiled >= 1


@pytest.mark.parametrize(("nodes", "seed", "cycles"), [(600, 3, 0.0), (900, 7, 0.05)])
def test_generated_networks(
    tmp_path: Path, reader: str, nodes: int, seed: int, cycles: float
) -> None:
    write_network(build_network(nodes, seed=seed, cycles=cycles), tmp_path / "net")
    chain = read_fast(tmp_path / "net")
    c = _both_ways(chain)
    assert c.in_src.size > nodes
    assert bool(c.cyclic) == (cycles > 0)
    assert not c.known.all()  # some nodes without shares
    assert not c.in_known.all()  # some links without a cost share


# --- (c) a cache -----------------------------------------------------------------------------


def test_the_arrays_are_a_cache(tmp_path: Path) -> None:
    chain = read_fast(_folder(tmp_path))
    assert chain.arrays is not None
    assert dataclasses.replace(chain, title="Other").arrays is None
    assert chain.on_basis("ownership").arrays is None
    assert chain.on_basis(None).arrays is chain.arrays  # the same chain
    copy = pickle.loads(pickle.dumps(chain))
    assert copy == chain
    assert copy.arrays is None
    assert copy.node("chips") == chain.node("chips")
    assert "_arrays=" not in repr(chain)


def test_arrays_of_another_size_are_refused(tmp_path: Path) -> None:
    chain = load_large(_folder(tmp_path))
    wrong = ChainArrays(np.zeros(3, dtype=np.intp), None, None, None, None)
    with pytest.raises(ValueError, match="another number of nodes"):
        chain.keep_arrays(wrong)
    assert chain.arrays is None


def test_the_index_of_ids_is_made_when_first_needed(tmp_path: Path) -> None:
    chain = read_fast(_folder(tmp_path))
    assert chain.node("tools").stage == "up"  # position 3
    assert [chain.node(n.id) for n in chain.nodes] == list(chain.nodes)
    copy = pickle.loads(pickle.dumps(chain))
    assert copy.node("retail") is copy.nodes[4]
    with pytest.raises(KeyError):
        chain.node("gold")


# --- pyarrow's columns to numpy without pandas ------------------------------------------------


def test_integers_and_strings_from_pyarrow_buffers() -> None:
    pa = pytest.importorskip("pyarrow")
    sliced = pa.array([5, 6, 7, 8], type=pa.int32()).slice(1, 2)  # offset 1: 6 and 7
    assert fastcsv._integers(sliced).tolist() == [6, 7]
    assert fastcsv._integers(pa.array([-1, 2**40], type=pa.int64())).tolist() == [-1, 2**40]
    assert fastcsv._integers(sliced).dtype == np.intp
    made = fastcsv._strings(["ore", "chip-2", ""])
    assert made.equals(pa.array(["ore", "chip-2", ""], type=pa.string()))


def test_reading_with_pyarrow_does_not_import_pandas(tmp_path: Path) -> None:
    """pyarrow's ``to_numpy`` and ``pa.array`` of a list import pandas (0.3 s) when it is
    installed; the fast reader uses neither."""
    pytest.importorskip("pyarrow")
    write_network(build_network(300, seed=5), tmp_path / "net")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from chokepoint.io import fastcsv\n"
        "fastcsv.ARROW_CHARS = 0\n"
        f"chain = fastcsv.read_fast(Path({str(tmp_path / 'net')!r}))\n"
        "assert chain.arrays is not None\n"
        "print('pyarrow' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]


def test_compiled_arrays_are_not_the_kept_ones(tmp_path: Path) -> None:
    """Writing into a Compiled's arrays cannot change the chain's cache (nor the next compile)."""
    chain = read_fast(_folder(tmp_path))
    kept = chain.arrays
    assert kept is not None
    c = compile_chain(chain)
    for name in ("in_ptr", "in_src", "in_essential", "substitutability"):
        assert not np.shares_memory(getattr(c, name), getattr(kept, name)), name
    assert not np.shares_memory(c.known, kept.share_known)
    c.known[:] = False
    c.in_src[:] = 0
    _both_ways(chain)
