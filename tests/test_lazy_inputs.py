"""A fast-read chain's inputs (:class:`LazyInputs` over a :class:`LinkTable`) are the tuples.

A small chain written by hand in the CSV form and in YAML: the fast reader gives each node a
:class:`LazyInputs` that equals, hashes, prints, slices, pickles and copies as the tuple of
inputs the YAML reader gives; the link table's :class:`Input` values are those written in
``edges.csv`` (rows out of order, an unknown cost share, ``essential`` false, no and blank).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
from pathlib import Path

import numpy as np
import pytest

import chokepoint
from chokepoint.core.compiled import compile_chain
from chokepoint.io.fastcsv import read_fast
from chokepoint.io.tabular import load_large
from chokepoint.model import Input, LazyInputs, LinkTable

from .chains import NET_HEADER, write_chain, write_folder

NODES = (
    "id,name,stage,source\nore,Ore,up,s\ngas,Gas,up,s\nchips,Chips,down,s\nphones,Phones,down,s\n"
)
SHARES = "node,origin,share,source\nore,CN,0.4,s\nore,AU,0.6,s\ngas,QA,1,s\n"
SHARES += "chips,TW,0.7,s\nphones,CN,0.9,s\n"
# phones' rows come first and chips' are split around them: the reader groups them by node
EDGES = "input,node,cost_share,essential\nore,chips,0.25,\ngas,phones,,false\n"
EDGES += "chips,phones,0.5,true\ngas,chips,0.125,no\n"
YAML = """\
- {id: ore, name: Ore, stage: up, shares: {CN: 0.4, AU: 0.6}, source: s}
- {id: gas, name: Gas, stage: up, shares: {QA: 1}, source: s}
- id: chips
  name: Chips
  stage: down
  shares: {TW: 0.7}
  source: s
  inputs: [{node: ore, cost_share: 0.25}, {node: gas, cost_share: 0.125, essential: false}]
- id: phones
  name: Phones
  stage: down
  shares: {CN: 0.9}
  source: s
  inputs: [{node: gas, essential: false}, {node: chips, cost_share: 0.5}]
"""
#: By hand, from edges.csv: each node's inputs in row order.
EXPECTED = {
    "ore": (),
    "gas": (),
    "chips": (Input("ore", 0.25, True), Input("gas", 0.125, False)),
    "phones": (Input("gas", None, False), Input("chips", 0.5, True)),
}


@pytest.fixture
def fast(tmp_path: Path, reader: str) -> chokepoint.Chain:
    tables = {"nodes.csv": NODES, "shares.csv": SHARES, "edges.csv": EDGES}
    return read_fast(write_folder(tmp_path / "net", NET_HEADER, tables))


@pytest.fixture
def slow(tmp_path: Path) -> chokepoint.Chain:
    return chokepoint.load_chain(write_chain(tmp_path, "net", YAML, stages="[up, down]", extra=""))


def test_the_inputs_written_by_hand(fast: chokepoint.Chain) -> None:
    for node in fast.nodes:
        assert type(node.inputs) is LazyInputs
        assert node.inputs == EXPECTED[node.id]
        assert EXPECTED[node.id] == node.inputs  # the tuple's side
        assert (node.inputs != EXPECTED[node.id]) is False
        assert len(node.inputs) == len(EXPECTED[node.id])
        assert bool(node.inputs) is bool(EXPECTED[node.id])
    # the arrays compile_chain reads say the same: phones (3) uses gas (1) and chips (2)
    arrays = fast.arrays
    assert arrays is not None
    assert arrays.in_ptr.tolist() == [0, 0, 0, 2, 4]
    assert arrays.in_src.tolist() == [0, 1, 1, 2]
    assert arrays.in_essential.tolist() == [True, False, False, True]
    assert math.isnan(arrays.in_cost[2])


def test_the_same_as_the_yaml_readers_tuples(
    fast: chokepoint.Chain, slow: chokepoint.Chain
) -> None:
    for node in fast.nodes:
        tuple_ = slow.node(node.id).inputs
        assert type(tuple_) is tuple
        assert node.inputs == tuple_
        assert tuple_ == node.inputs
        assert hash(node.inputs) == hash(tuple_)
        assert repr(node.inputs) == repr(tuple_)
        assert list(node.inputs) == list(tuple_)
        assert list(reversed(node.inputs)) == list(reversed(tuple_))
        # equal nodes but for the line and the file: the rest of the node compares as before
        assert dataclasses.replace(node, line=0) == dataclasses.replace(slow.node(node.id), line=0)
    phones = fast.node("phones").inputs
    assert repr(phones) == (
        "(Input(node='gas', cost_share=None, essential=False), "
        "Input(node='chips', cost_share=0.5, essential=True))"
    )


def test_indexing_slicing_and_membership(fast: chokepoint.Chain) -> None:
    chips = fast.node("chips").inputs
    assert chips[0] == Input("ore", 0.25, True)
    assert chips[-1] == Input("gas", 0.125, False)
    assert chips[1:] == (Input("gas", 0.125, False),)
    assert type(chips[1:]) is tuple
    assert chips[::-1] == EXPECTED["chips"][::-1]
    assert fast.node("ore").inputs[:] == ()
    with pytest.raises(IndexError, match="tuple index out of range"):
        fast.node("ore").inputs[0]
    assert Input("gas", 0.125, False) in chips
    assert Input("gas", 0.125, True) not in chips
    assert chips.index(Input("gas", 0.125, False)) == 1
    assert chips.count(Input("ore", 0.25, True)) == 1
    assert chips + (Input("x"),) == (*EXPECTED["chips"], Input("x"))
    assert (Input("x"),) + chips == (Input("x"), *EXPECTED["chips"])
    assert chips != list(EXPECTED["chips"])  # as a tuple is not a list
    with pytest.raises(TypeError):
        chips + [Input("x")]  # as a tuple and a list do not add up
    with pytest.raises(TypeError):
        [Input("x")] + chips
    assert chips != fast.node("phones").inputs


def test_pickled_copied_and_replaced_chains(fast: chokepoint.Chain) -> None:
    again = pickle.loads(pickle.dumps(fast))
    assert again == fast
    assert again.arrays is None
    assert all(type(n.inputs) is tuple for n in again.nodes)  # pickled as the plain tuples
    assert again.node("phones").inputs == EXPECTED["phones"]
    copied = copy.deepcopy(fast.node("chips"))
    assert type(copied.inputs) is tuple
    assert copied == fast.node("chips")
    assert pickle.loads(pickle.dumps(fast.node("chips").inputs)) == EXPECTED["chips"]
    replaced = dataclasses.replace(fast)
    assert replaced == fast
    assert replaced.arrays is None  # compile_chain reads the inputs from the objects
    for c in (again, replaced):
        compiled, direct = compile_chain(c), compile_chain(fast)
        assert compiled.in_src.tolist() == direct.in_src.tolist() == [0, 1, 1, 2]
        assert compiled.in_cost.tolist() == direct.in_cost.tolist()
        assert chokepoint.analyze(c).to_dict() == chokepoint.analyze(fast).to_dict()


def test_two_reads_compare_equal(tmp_path: Path, fast: chokepoint.Chain) -> None:
    other = read_fast(tmp_path / "net")
    assert other.node("chips").inputs == fast.node("chips").inputs  # another link table
    assert other == fast == load_large(tmp_path / "net")


def test_link_table_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # links: c -> (0.5, essential), a -> (unknown, not essential), b -> (0.25), a -> (1.0)
    ids = ["a", "b", "c"]
    src = np.array([2, 0, 1, 0])
    cost = np.array([0.5, np.nan, 0.25, 1.0])
    essential = np.array([True, False, True, True])
    first = (Input("c", 0.5, True), Input("a", None, False))
    second = (Input("b", 0.25, True), Input("a", 1.0, True))
    # a run made alone counts 4 + 2 per link (in links made at once); with BULK = 4, runs are
    # made alone while those counts add up to at most 4 x 4 links = 16
    monkeypatch.setattr(LinkTable, "BULK", 4.0)
    table = LinkTable(ids, [0, 2, 2, 4], src, cost, essential)  # 3 nodes: 2, 0 and 2 links
    one, empty, two = table.sequences()
    made = one[0]  # 4 + 2 x 2 = 8: the run's inputs made alone
    assert one == first  # 16: made alone again (equal objects, not the same)
    assert one[0] is not made  # 24, above 16: the table makes all 4 links' at once, keeps them
    assert one[0] == made
    assert one[0] is one[0] is table.sequences()[0][0]
    assert (empty, two) == ((), second)
    assert table.sequences()[2] == two  # another object for the same node of the same table
    assert len(table) == 4
    assert table.links(1, 3) == (Input("a", None, False), Input("b", 0.25, True))
    assert type(table.links(0, 4)[1].cost_share) is type(None)
